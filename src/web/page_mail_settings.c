/*
 * page_mail_settings.c: the admin page of the reported-mail analyser's
 * settings (/settings/mail): own and partner domains, executives, known
 * senders, authserv-id and thresholds as form fields, saved through
 * ir/mailsettings.h (the file's loader checks them; other keys of the
 * settings are kept as they are).
 */
#include "ir/mailsettings.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "web/html.h"
#include "web/http.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/req.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define EXEC_BLANK_ROWS 3  /* empty executive rows offered for new entries */

/* A list of strings as lines of a textarea. */
static void lines_of(struct buf *out, const json_t *a)
{
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (json_is_string(v))
			buf_addf(out, "%s\n", json_string_value(v));
}

/* A list of the settings as a textarea; hint: the i18n key of its help line. */
static void lines_field(struct request *rq, struct buf *b, const json_t *cfg, const char *key, const char *hint)
{
	struct buf text = BUF_INIT;
	char label[64];

	lines_of(&text, json_object_get(cfg, key));
	snprintf(label, sizeof(label), "mailset.%s", key);
	html_printf(b, "<label for=\"ms-%s\">%s</label><textarea id=\"ms-%s\" name=\"%s\" rows=\"4\">%s"
		       "</textarea><p class=\"hint muted\">%s</p>", key, page_t(rq, label), key, key,
		    text.data, page_t(rq, hint));
	buf_release(&text);
}

static void exec_cell(struct buf *b, int row, const char *field, const json_t *x, const char *type)
{
	char name[32];
	const char *v = x ? json_str(x, field) : NULL;

	snprintf(name, sizeof(name), "exec%d_%s", row, field);
	html_printf(b, "<td><input type=\"%s\" name=\"%s\" id=\"ms-%s\" value=\"%s\" maxlength=\"200\"></td>",
		    type, name, name, v ? v : "");
}

static void execs_field(struct request *rq, struct buf *b, const json_t *cfg)
{
	const json_t *execs = json_object_get(cfg, "executives");
	size_t n = json_array_size(execs), rows = n + EXEC_BLANK_ROWS;

	if (rows > MAILSET_EXECS_MAX)
		rows = n > MAILSET_EXECS_MAX ? n : MAILSET_EXECS_MAX;
	html_printf(b, "<h3>%s</h3><table class=\"list mail-execs\"><thead><tr><th>%s</th><th>%s</th>"
		       "<th>%s</th></tr></thead><tbody>", page_t(rq, "mailset.executives"),
		    page_t(rq, "mailset.exec_name"), page_t(rq, "mailset.exec_name_en"),
		    page_t(rq, "mailset.exec_email"));
	for (size_t i = 0; i < rows; i++) {
		const json_t *x = json_array_get(execs, i);
		buf_adds(b, "<tr>");
		exec_cell(b, (int)i, "name", x, "text");
		exec_cell(b, (int)i, "name_en", x, "text");
		exec_cell(b, (int)i, "email", x, "email");
		buf_adds(b, "</tr>");
	}
	html_printf(b, "</tbody></table><input type=\"hidden\" name=\"exec_rows\" value=\"%d\">",
		    (int)rows);
}

static void threshold_field(struct request *rq, struct buf *b, const json_t *cfg, const char *key)
{
	const json_t *v = json_object_get(json_object_get(cfg, "thresholds"), key);
	char label[64], value[32] = "";

	if (json_is_integer(v))
		snprintf(value, sizeof(value), "%lld", (long long)json_integer_value(v));
	snprintf(label, sizeof(label), "mailset.threshold_%s", key);
	html_printf(b, "<label for=\"ms-thr-%s\">%s</label><input type=\"number\" min=\"1\" max=\"100\" "
		       "id=\"ms-thr-%s\" name=\"threshold_%s\" value=\"%s\">", key, page_t(rq, label),
		    key, key, value);
}

/* The page with settings cfg in the form (what is saved, or what was refused). */
static int render(struct request *rq, struct response *rs, unsigned status, const char *msg,
		  const json_t *shown, const json_t *cfg)
{
	struct buf b = BUF_INIT;
	char when[64];
	const char *auth = json_str(cfg, "authserv_id");

	page_begin(rq, &b, page_t(rq, "mailset.title"));
	html_printf(&b, "<p class=\"crumbs\"><a href=\"/settings\">%s</a></p><h1>%s</h1>",
		    page_t(rq, "settings.title"), page_t(rq, "mailset.title"));
	if (msg)
		pg_error_box(rq, &b, "msg.not_saved", msg);
	pg_done_notice(rq, &b);
	html_printf(&b, "<p class=\"muted\" id=\"mailset-source\">%s: <strong>%s</strong>",
		    page_t(rq, "mailset.source"),
		    page_t(rq, !strcmp(json_str(shown, "source"), "store") ? "mailset.source_store" :
			   !strcmp(json_str(shown, "source"), "file") ? "mailset.source_file" :
			   "mailset.source_defaults"));
	if (json_is_string(json_object_get(shown, "updated_at")))
		html_printf(&b, " (%s %lld, %s, %s)", page_t(rq, "mailset.version"),
			    (long long)json_integer_value(json_object_get(shown, "version")),
			    json_str(shown, "updated_by"),
			    page_time(rq, pg_json_time(shown, "updated_at"), when));
	html_printf(&b, "</p><p class=\"hint muted\">%s</p><section class=\"card\">"
		       "<form class=\"stack\" method=\"post\" action=\"/settings/mail\">",
		    page_t(rq, "mailset.hint"));
	page_csrf_field(rq, &b);
	lines_field(rq, &b, cfg, "own_domains", "mailset.one_per_line");
	lines_field(rq, &b, cfg, "partner_domains", "mailset.one_per_line");
	execs_field(rq, &b, cfg);
	lines_field(rq, &b, cfg, "known_senders", "mailset.known_senders_hint");
	html_printf(&b, "<label for=\"ms-authserv\">%s</label><input type=\"text\" id=\"ms-authserv\" "
		       "name=\"authserv_id\" value=\"%s\" maxlength=\"255\"><p class=\"hint muted\">%s</p>",
		    page_t(rq, "mailset.authserv_id"), auth ? auth : "", page_t(rq, "mailset.authserv_hint"));
	threshold_field(rq, &b, cfg, "suspicious");
	threshold_field(rq, &b, cfg, "malicious");
	html_printf(&b, "<p><button type=\"submit\">%s</button></p></form></section>",
		    page_t(rq, "mailset.save"));
	page_end(rq, &b);
	rs->status = status;
	return page_send(rs, &b);
}

int page_mail_settings(struct request *rq, struct response *rs)
{
	json_t *shown = NULL;
	int rc = mailsettings_show(http_mail_settings(rq->srv), rq->st, &rq->actor, &shown, &rq->err);

	if (rc)
		return rc;
	rc = render(rq, rs, 200, NULL, shown, json_object_get(shown, "config"));
	json_decref(shown);
	return rc;
}

/* The lines of textarea name as a JSON array, blanks and spaces dropped. */
static json_t *form_lines(struct request *rq, const char *name)
{
	const char *p = req_form(rq, name);
	json_t *a = json_array();

	while (p && *p) {
		size_t n = strcspn(p, "\r\n");
		const char *s = p;
		p += n;
		p += strspn(p, "\r\n");
		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n)
			json_array_append_new(a, json_stringn(s, n));
	}
	return a;
}

static json_t *form_execs(struct request *rq)
{
	static const char *const fields[] = { "name", "name_en", "email" };
	const char *r = req_form(rq, "exec_rows");
	long rows = r ? strtol(r, NULL, 10) : 0;
	json_t *a = json_array();
	char key[32];

	for (long i = 0; i < rows && i < 2 * MAILSET_EXECS_MAX; i++) {
		json_t *x = json_object();
		for (size_t k = 0; k < 3; k++) {
			const char *v;
			snprintf(key, sizeof(key), "exec%ld_%s", i, fields[k]);
			if ((v = req_form(rq, key)) && *v)
				json_set_str(x, fields[k], v);
		}
		if (json_object_size(x))
			json_array_append_new(a, x);
		else
			json_decref(x);
	}
	return a;
}

/* Set thresholds.key from the form; -1 when it is no whole number. */
static int form_threshold(struct request *rq, json_t *th, const char *key)
{
	char name[32], *end;
	const char *v;
	long n;

	snprintf(name, sizeof(name), "threshold_%s", key);
	if (!(v = req_form(rq, name)) || !*v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (*end || errno || n < -1000 || n > 1000)
		return -1;
	json_object_set_new(th, key, json_integer(n));
	return 0;
}

/* The saved settings with the form's fields put over them. */
static int form_config(struct request *rq, const json_t *saved, json_t **out)
{
	json_t *cfg = json_deep_copy(saved), *th = json_object();
	const char *auth = req_form(rq, "authserv_id");
	int rc = 0;

	json_object_set_new(cfg, "own_domains", form_lines(rq, "own_domains"));
	json_object_set_new(cfg, "partner_domains", form_lines(rq, "partner_domains"));
	json_object_set_new(cfg, "executives", form_execs(rq));
	json_object_set_new(cfg, "known_senders", form_lines(rq, "known_senders"));
	if (auth && *auth)
		json_set_str(cfg, "authserv_id", auth);
	else
		json_object_del(cfg, "authserv_id");
	if (form_threshold(rq, th, "suspicious") || form_threshold(rq, th, "malicious"))
		rc = err_set(&rq->err, ERR_INVALID, "thresholds: expected whole numbers from 1 to 100");
	if (json_object_size(th))
		json_object_set(cfg, "thresholds", th);
	else
		json_object_del(cfg, "thresholds");
	json_decref(th);
	*out = cfg;
	return rc;
}

int page_mail_settings_save(struct request *rq, struct response *rs)
{
	json_t *shown = NULL, *cfg = NULL;
	struct buf text = BUF_INIT;
	int rc = mailsettings_show(http_mail_settings(rq->srv), rq->st, &rq->actor, &shown, &rq->err);

	if (rc)
		return rc;
	rc = form_config(rq, json_object_get(shown, "config"), &cfg);
	if (!rc) {
		json_dump_buf(cfg, 0, &text);
		rc = mailsettings_save(rq->st, &rq->actor, text.data, text.len, NULL, &rq->err);
	}
	if (!rc)
		rc = pg_redirect_done(rs, "/settings/mail", "saved");
	else if (pg_user_error(rc))
		rc = render(rq, rs, pg_status(rc), err_msg(&rq->err), shown, cfg);
	json_decref(shown);
	json_decref(cfg);
	buf_release(&text);
	return rc;
}
