/*
 * mail_json.c: an analysis as JSON (the CLI's --json, later the API and the
 * alert's observables): file, verdict, score, reasons, iocs, auth and a
 * summary of the message (headers, links, attachments).
 */
#include "mail/mail.h"
#include "util/json.h"

#include <string.h>

/* Strings from mail are not always valid UTF-8 (8-bit headers); jansson refuses those. */
static json_t *jstr(const char *s)
{
	json_t *v = json_string(s ? s : "");
	return v ? v : json_string("\xef\xbf\xbd");
}

static json_t *jlist(const struct strv *s)
{
	json_t *a = json_array();
	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(a, jstr(s->v[i]));
	return a;
}

static json_t *jres(const char *s)
{
	return s && *s ? jstr(s) : json_null();
}

json_t *mail_result_json(const struct mail_result *r, const char *file)
{
	json_t *o = json_object(), *reasons = json_array(), *iocs = json_object(), *auth = json_object();
	json_t *msg = json_object(), *links = json_array(), *atts = json_array();
	const struct mail_msg *m = &r->msg;

	json_object_set_new(o, "file", jstr(file));
	json_object_set_new(o, "verdict", json_string(mail_verdict_name(r->verdict)));
	json_object_set_new(o, "score", json_integer(r->score));
	for (size_t i = 0; i < r->nreasons; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "code", json_string(r->reasons[i].code));
		json_object_set_new(x, "weight", json_integer(r->reasons[i].weight));
		json_object_set_new(x, "detail", jstr(r->reasons[i].detail));
		json_array_append_new(reasons, x);
	}
	json_object_set_new(o, "reasons", reasons);
	json_object_set_new(iocs, "urls", jlist(&r->iocs.urls));
	json_object_set_new(iocs, "domains", jlist(&r->iocs.domains));
	json_object_set_new(iocs, "ips", jlist(&r->iocs.ips));
	json_object_set_new(iocs, "emails", jlist(&r->iocs.emails));
	json_object_set_new(iocs, "sha256", jlist(&r->iocs.hashes));
	json_object_set_new(o, "iocs", iocs);
	json_object_set_new(auth, "trusted", json_boolean(r->auth.trusted));
	json_object_set_new(auth, "authserv_id", jres(r->auth.authserv_id));
	json_object_set_new(auth, "spf", jres(r->auth.spf));
	json_object_set_new(auth, "spf_domain", jres(r->auth.spf_domain));
	json_object_set_new(auth, "spf_aligned", json_boolean(r->auth.spf_aligned));
	json_object_set_new(auth, "dkim", jres(r->auth.dkim));
	json_object_set_new(auth, "dkim_domains", jlist(&r->auth.dkim_domains));
	json_object_set_new(auth, "dkim_aligned", json_boolean(r->auth.dkim_aligned));
	json_object_set_new(auth, "dmarc", jres(r->auth.dmarc));
	json_object_set_new(auth, "mailing_list", json_boolean(m->list_headers));
	json_object_set_new(o, "auth", auth);
	json_object_set_new(msg, "from", jstr(m->from_addr));
	json_object_set_new(msg, "from_name", jstr(m->from_name));
	json_object_set_new(msg, "reply_to", jstr(m->reply_to));
	json_object_set_new(msg, "return_path", jstr(m->return_path));
	json_object_set_new(msg, "subject", jstr(m->subject));
	json_object_set_new(msg, "date", jstr(m->date));
	json_object_set_new(msg, "message_id", jstr(m->message_id));
	json_object_set_new(msg, "list_id", jstr(m->list_id));
	json_object_set_new(msg, "forwarded", json_boolean(m->forwarded));
	json_object_set_new(msg, "forwarded_inline", json_boolean(m->inline_forward));
	for (size_t i = 0; i < m->nlinks; i++) {
		json_t *l = json_object();
		json_object_set_new(l, "href", jstr(m->links[i].href));
		json_object_set_new(l, "text", jstr(m->links[i].text));
		json_array_append_new(links, l);
	}
	json_object_set_new(msg, "links", links);
	for (size_t i = 0; i < m->natts; i++) {
		const struct mail_attachment *a = &m->atts[i];
		json_t *x = json_object();
		json_object_set_new(x, "name", jstr(a->name));
		json_object_set_new(x, "declared_type", jstr(a->declared_type));
		json_object_set_new(x, "sniffed_type", jstr(a->sniffed));
		json_object_set_new(x, "size", json_integer((json_int_t)a->size));
		json_object_set_new(x, "sha256", jstr(a->sha256));
		json_object_set_new(x, "encrypted", json_boolean(a->encrypted));
		json_object_set_new(x, "macros", json_boolean(a->macros));
		json_array_append_new(atts, x);
	}
	json_object_set_new(msg, "attachments", atts);
	json_object_set_new(msg, "notes", jlist(&m->notes));
	json_object_set_new(o, "message", msg);
	return o;
}
