/*
 * page_mail.c: the mail page of an alert made from a reported mail: the
 * verdict and score, each reason with its evidence, the headers, the
 * authentication results, the links (visible text and real target), the
 * attachments, the indicators and the observables the alert keeps of them
 * (copied to the incident on promote or attach). The mail's HTML is never rendered:
 * everything is escaped text, under a CSP without inline anything.
 */
#include "ir/alert.h"
#include "ir/observable.h"
#include "ir/mailalert.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stricter than the default: no images at all, nothing fetched. */
static const char mail_csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
			       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

void pg_mail_link(struct request *rq, struct buf *b, const json_t *alert)
{
	const char *src = json_str(alert, "source");

	if (src && strcmp(src, "mail") == 0)
		html_printf(b, "<p><a href=\"/alerts/%lld/mail\" id=\"mail-link\">%s</a></p>",
			    (long long)json_integer_value(json_object_get(alert, "id")),
			    page_t(rq, "mail.show"));
}

/* One <tr><th>label</th><td>value</td></tr>, skipped when value is empty. */
static void row(struct request *rq, struct buf *b, const char *key, const char *value)
{
	if (value && *value)
		html_printf(b, "<tr><th>%s</th><td><code>%s</code></td></tr>", page_t(rq, key), value);
}

static void reasons(struct request *rq, struct buf *b, const json_t *an)
{
	const json_t *x;
	size_t i;

	html_printf(b, "<h3>%s</h3><table class=\"mail-reasons\"><thead><tr><th>%s</th><th>%s</th>"
		       "<th>%s</th></tr></thead><tbody>", page_t(rq, "mail.reasons"),
		    page_t(rq, "mail.reason"), page_t(rq, "mail.weight"), page_t(rq, "mail.evidence"));
	json_array_foreach(json_object_get(an, "reasons"), i, x)
		html_printf(b, "<tr><td><code>%s</code></td><td>%lld</td><td><mark>%s</mark></td></tr>",
			    json_str(x, "code"), (long long)json_integer_value(json_object_get(x, "weight")),
			    json_str(x, "detail"));
	buf_adds(b, "</tbody></table>");
}

static void headers(struct request *rq, struct buf *b, const json_t *m)
{
	struct buf from = BUF_INIT;

	buf_addf(&from, "%s%s<%s>", json_str(m, "from_name"), *json_str(m, "from_name") ? " " : "",
		 json_str(m, "from"));
	html_printf(b, "<h3>%s</h3><table class=\"mail-headers\"><tbody>", page_t(rq, "mail.headers"));
	row(rq, b, "mail.h.from", from.data);
	row(rq, b, "mail.h.reply_to", json_str(m, "reply_to"));
	row(rq, b, "mail.h.return_path", json_str(m, "return_path"));
	row(rq, b, "mail.h.subject", json_str(m, "subject"));
	row(rq, b, "mail.h.date", json_str(m, "date"));
	row(rq, b, "mail.h.message_id", json_str(m, "message_id"));
	row(rq, b, "mail.h.list_id", json_str(m, "list_id"));
	if (json_is_true(json_object_get(m, "forwarded")))
		html_printf(b, "<tr><td colspan=\"2\">%s</td></tr>",
			    page_t(rq, json_is_true(json_object_get(m, "forwarded_inline")) ? "mail.forwarded_inline"
											    : "mail.forwarded"));
	buf_adds(b, "</tbody></table>");
	buf_release(&from);
}

static void auth(struct request *rq, struct buf *b, const json_t *a)
{
	struct buf dkim = BUF_INIT;
	const json_t *d;
	size_t i;

	json_array_foreach(json_object_get(a, "dkim_domains"), i, d)
		buf_addf(&dkim, "%s%s", i ? ", " : "", json_string_value(d));
	html_printf(b, "<h3>%s</h3><table class=\"mail-auth\"><tbody>", page_t(rq, "mail.auth"));
	html_printf(b, "<tr><th>%s</th><td>%s</td></tr>", page_t(rq, "mail.auth.trusted"),
		    page_t(rq, json_is_true(json_object_get(a, "trusted")) ? "mail.yes" : "mail.no"));
	row(rq, b, "mail.auth.authserv_id", json_str(a, "authserv_id"));
	row(rq, b, "mail.auth.spf", json_str(a, "spf"));
	row(rq, b, "mail.auth.spf_domain", json_str(a, "spf_domain"));
	row(rq, b, "mail.auth.dkim", json_str(a, "dkim"));
	row(rq, b, "mail.auth.dkim_domains", dkim.data);
	row(rq, b, "mail.auth.dmarc", json_str(a, "dmarc"));
	html_printf(b, "<tr><th>%s</th><td>SPF %s, DKIM %s</td></tr></tbody></table>",
		    page_t(rq, "mail.auth.aligned"),
		    page_t(rq, json_is_true(json_object_get(a, "spf_aligned")) ? "mail.yes" : "mail.no"),
		    page_t(rq, json_is_true(json_object_get(a, "dkim_aligned")) ? "mail.yes" : "mail.no"));
	buf_release(&dkim);
}

static void links(struct request *rq, struct buf *b, const json_t *m)
{
	const json_t *x;
	size_t i;

	if (json_array_size(json_object_get(m, "links")) == 0)
		return;
	html_printf(b, "<h3>%s</h3><table class=\"mail-links\"><thead><tr><th>%s</th><th>%s</th></tr>"
		       "</thead><tbody>", page_t(rq, "mail.links"), page_t(rq, "mail.link.text"),
		    page_t(rq, "mail.link.target"));
	json_array_foreach(json_object_get(m, "links"), i, x)
		html_printf(b, "<tr><td>%s</td><td><code>%s</code></td></tr>", json_str(x, "text"),
			    json_str(x, "href"));
	buf_adds(b, "</tbody></table>");
}

static void attachments(struct request *rq, struct buf *b, const json_t *m)
{
	const json_t *x;
	size_t i;

	if (json_array_size(json_object_get(m, "attachments")) == 0)
		return;
	html_printf(b, "<h3>%s</h3><table class=\"mail-atts\"><thead><tr><th>%s</th><th>%s</th>"
		       "<th>%s</th><th>%s</th><th>SHA-256</th></tr></thead><tbody>",
		    page_t(rq, "mail.attachments"), page_t(rq, "mail.att.name"),
		    page_t(rq, "mail.att.declared"), page_t(rq, "mail.att.sniffed"),
		    page_t(rq, "mail.att.size"));
	json_array_foreach(json_object_get(m, "attachments"), i, x) {
		html_printf(b, "<tr><td>%s", json_str(x, "name"));
		if (json_is_true(json_object_get(x, "encrypted")))
			html_printf(b, " <span class=\"tag\">%s</span>", page_t(rq, "mail.att.encrypted"));
		if (json_is_true(json_object_get(x, "macros")))
			html_printf(b, " <span class=\"tag\">%s</span>", page_t(rq, "mail.att.macros"));
		html_printf(b, "</td><td><code>%s</code></td><td><code>%s</code></td><td>%lld</td>"
			       "<td><code>%s</code></td></tr>", json_str(x, "declared_type"),
			    json_str(x, "sniffed_type"), (long long)json_integer_value(json_object_get(x, "size")),
			    json_str(x, "sha256"));
	}
	buf_adds(b, "</tbody></table>");
}

/* What the analysis could not see (the parser's notes, in English in the JSON). */
static void notes(struct request *rq, struct buf *b, const json_t *m)
{
	static const struct {
		const char *prefix, *key;
	} known[] = {
		{ "a header longer than the limit", "mail.note.header_cut" },
		{ "body text cut", "mail.note.text_cut" },
		{ "mime nesting cut", "mail.note.depth" },
		{ "mime parts cut", "mail.note.parts" },
		{ "not unwrapped as a report", "mail.note.not_unwrapped" },
	};
	const json_t *v;
	size_t i;
	int open = 0;

	json_array_foreach(json_object_get(m, "notes"), i, v) {
		const char *s = json_string_value(v), *key = NULL;
		if (!s || !strncmp(s, "forwarded inline", 16))
			continue; /* the headers say it */
		if (!open++)
			html_printf(b, "<h3>%s</h3><ul class=\"mail-notes\">", page_t(rq, "mail.notes"));
		for (size_t k = 0; s && !key && k < sizeof(known) / sizeof(known[0]); k++)
			if (!strncmp(s, known[k].prefix, strlen(known[k].prefix)))
				key = known[k].key;
		html_printf(b, "<li>%s</li>", key ? page_t(rq, key) : s);
	}
	if (open)
		buf_adds(b, "</ul>");
}

static void iocs(struct request *rq, struct buf *b, const json_t *io)
{
	static const char *const kinds[] = { "urls", "domains", "ips", "emails", "sha256" };
	char key[32];

	html_printf(b, "<h3>%s</h3><table class=\"mail-iocs\"><tbody>", page_t(rq, "mail.iocs"));
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const json_t *v;
		size_t i;
		if (json_array_size(json_object_get(io, kinds[k])) == 0)
			continue;
		snprintf(key, sizeof(key), "mail.ioc.%s", kinds[k]);
		html_printf(b, "<tr><th>%s</th><td>", page_t(rq, key));
		json_array_foreach(json_object_get(io, kinds[k]), i, v)
			html_printf(b, "<code>%s</code><br>", json_string_value(v));
		buf_adds(b, "</td></tr>");
	}
	buf_adds(b, "</tbody></table>");
}

static void report(struct request *rq, struct buf *b, const json_t *r, const char *hid)
{
	const json_t *an = json_object_get(r, "analysis"), *m = json_object_get(an, "message");
	char key[48], when[64];

	snprintf(key, sizeof(key), "mail.verdict.%s", json_str(an, "verdict"));
	html_printf(b, "<section class=\"card mail-report\"><h2><span class=\"verdict verdict-%s\">%s"
		       "</span> %s %lld</h2>", json_str(an, "verdict"), page_t(rq, key),
		    page_t(rq, "mail.score"), (long long)json_integer_value(json_object_get(an, "score")));
	html_printf(b, "<p class=\"muted\">%s: %s, %s (%s), SHA-256 <code>%s</code>, %lld bytes",
		    page_t(rq, "mail.received"), page_time(rq, pg_json_time(r, "created_at"), when),
		    json_str(r, "created_by"), json_str(r, "origin"), json_str(r, "sha256"),
		    (long long)json_integer_value(json_object_get(r, "size")));
	if (json_is_integer(json_object_get(r, "evidence")) && hid)
		html_printf(b, ". <a href=\"/incidents/%s/evidence/%lld\">%s E%lld</a>", hid,
			    (long long)json_integer_value(json_object_get(r, "evidence")),
			    page_t(rq, "mail.evidence_item"),
			    (long long)json_integer_value(json_object_get(r, "evidence")));
	buf_adds(b, "</p>");
	reasons(rq, b, an);
	headers(rq, b, m);
	auth(rq, b, json_object_get(an, "auth"));
	links(rq, b, m);
	attachments(rq, b, m);
	iocs(rq, b, json_object_get(an, "iocs"));
	notes(rq, b, m);
	buf_adds(b, "</section>");
}

/* The alert's observables: what promote or attach copies to the incident. */
static void observables(struct request *rq, struct buf *b, const json_t *alert)
{
	const json_t *obs = json_object_get(alert, "observables"), *x;
	size_t i;

	if (json_array_size(obs) == 0)
		return;
	html_printf(b, "<section class=\"card\" id=\"alert-observables\"><h2>%s</h2><p class=\"hint muted\">"
		       "%s</p><table class=\"list\"><thead><tr><th>%s</th><th>%s</th></tr></thead><tbody>",
		    page_t(rq, "mail.observables"), page_t(rq, "mail.observables_hint"),
		    page_t(rq, "obs.type"), page_t(rq, "obs.value"));
	json_array_foreach(obs, i, x) {
		enum observable_type t = OBS__COUNT;
		observable_type_parse(json_str(x, "type"), &t, NULL);
		html_printf(b, "<tr><td>%s</td><td><code>%s</code></td></tr>",
			    t < OBS__COUNT ? observable_type_label(t, rq->lang) : json_str(x, "type"),
			    json_str(x, "display"));
	}
	buf_adds(b, "</tbody></table></section>");
}

int page_alert_mail(struct request *rq, struct response *rs)
{
	struct buf b = BUF_INIT, title = BUF_INIT;
	const char *s = req_param(rq, 0);
	json_t *a = NULL, *items = NULL, *r;
	char *end;
	long long id = strtoll(s, &end, 10);
	size_t i;
	int rc;

	if (!*s || *end || id <= 0)
		return err_set(&rq->err, ERR_NOTFOUND, "alert %.40s not found", s);
	if ((rc = alert_get(rq->st, &rq->actor, id, &a, &rq->err)) ||
	    (rc = mailalert_reports(rq->st, &rq->actor, id, &items, &rq->err))) {
		json_decref(a);
		return rc;
	}
	buf_addf(&title, "#%lld %s", id, page_t(rq, "mail.title"));
	page_begin(rq, &b, title.data);
	buf_release(&title);
	html_printf(&b, "<p class=\"crumbs\"><a href=\"/alerts\">%s</a> / <a href=\"/alerts/%lld\">#%lld"
		       "</a></p><div class=\"titlebar\"><h1>%s</h1></div><p class=\"hint muted\">%s</p>",
		    page_t(rq, "nav.alerts"), id, id, json_str(a, "title"), page_t(rq, "mail.never_html"));
	if (json_array_size(items) == 0)
		html_printf(&b, "<p>%s</p>", page_t(rq, "mail.none"));
	json_array_foreach(items, i, r)
		report(rq, &b, r, json_str(a, "incident"));
	observables(rq, &b, a);
	json_decref(items);
	json_decref(a);
	page_end(rq, &b);
	rs->csp = mail_csp;
	return page_send(rs, &b);
}
