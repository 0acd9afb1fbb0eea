/*
 * page_util.c: helpers the HTML pages share: message boxes, vocabulary
 * selects, times for people and for inputs, priority badges.
 */
#include "web/pages.h"
#include "ir/vocab.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "web/html.h"
#include "web/page.h"
#include "web/req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pg_user_error(int code)
{
	switch (code) {
	case ERR_INVALID: case ERR_PARSE: case ERR_TOOLONG: case ERR_CONFLICT: case ERR_EXISTS:
	case ERR_DENIED: case ERR_USAGE: case ERR_AUTH:
		return 1;
	default:
		return 0;
	}
}

unsigned pg_status(int code)
{
	return code == ERR_PARSE ? 422 : (unsigned)err_http_status(code);
}

void pg_error_box(struct request *rq, struct buf *b, const char *lead_key, const char *msg)
{
	html_printf(b, "<p class=\"error\" role=\"alert\"><strong>%s</strong> %s</p>",
		    page_t(rq, lead_key), msg);
}

void pg_done_notice(struct request *rq, struct buf *b)
{
	const char *done = req_query(rq, "done");
	char key[48];

	if (!done || !*done || strlen(done) > 32)
		return;
	for (const char *p = done; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			return;
	snprintf(key, sizeof(key), "done.%s", done);
	/* Only texts in the catalog: an unknown key would echo itself. */
	if (strcmp(page_t(rq, key), key) == 0)
		return;
	html_printf(b, "<p class=\"notice\" role=\"status\">%s</p>", page_t(rq, key));
}

int pg_redirect_done(struct response *rs, const char *path, const char *key)
{
	struct buf loc = BUF_INIT;
	int rc;

	buf_addf(&loc, "%s%sdone=%s", path, strchr(path, '?') ? "&" : "?", key);
	rc = buf_error(&loc) ? ERR_NOMEM : resp_redirect(rs, loc.data);
	buf_release(&loc);
	return rc;
}

void pg_select_vocab(struct request *rq, struct buf *b, const char *name, const char *id,
		     const struct vocab *v, int selected, const char *empty_key)
{
	html_printf(b, "<select name=\"%s\" id=\"%s\">", name, id ? id : name);
	if (empty_key)
		html_printf(b, "<option value=\"\"%s>%s</option>", selected < 0 ? " selected" : "",
			    page_t(rq, empty_key));
	for (int i = 0; i < v->n; i++)
		html_printf(b, "<option value=\"%s\"%s>%s</option>", v->items[i].name,
			    i == selected ? " selected" : "", vocab_label(v, i, rq->lang));
	buf_adds(b, "</select>");
}

void pg_select_vocab_name(struct request *rq, struct buf *b, const char *name, const char *id,
			  const struct vocab *v, const char *selected, const char *empty_key)
{
	int i = -1;

	if (!selected || !*selected || vocab_parse(v, selected, &i, NULL) != 0)
		i = -1;
	pg_select_vocab(rq, b, name, id, v, i, empty_key);
}

int64_t pg_json_time(const json_t *o, const char *key)
{
	const char *s = json_str(o, key);
	int64_t t = 0;

	if (!s || time_parse(s, NULL, 0, &t, NULL) != 0)
		return 0;
	return t;
}

const char *pg_input_time(struct request *rq, int64_t t, char out[64])
{
	char z[TIME_STR_MAX];

	out[0] = '\0';
	if (!t)
		return out;
	/* "2026-11-26T09:30:00+09:00" -> "2026-11-26 09:30" (":05" kept),
	 * which time_parse reads back in the same zone. */
	time_format_zone(t, rq->tz, z);
	if (strlen(z) < 19) {
		snprintf(out, 64, "%s", z);
		return out;
	}
	z[10] = ' ';
	if (strncmp(z + 16, ":00", 3) == 0)
		z[16] = '\0';
	else
		z[19] = '\0';
	snprintf(out, 64, "%s", z);
	return out;
}

void pg_priority(struct request *rq, struct buf *b, int priority)
{
	if (priority >= 1 && priority <= 4)
		html_printf(b, "<span class=\"pri P%d\" title=\"%s\">P%d</span>", priority,
			    vocab_label(&vocab_priority, priority - 1, rq->lang), priority);
	else
		html_printf(b, "<span class=\"muted\" title=\"%s\">–</span>",
			    page_t(rq, "incident.priority_unknown"));
}

const char *pg_keep(struct request *rq, const char *form, const char *name, const char *fallback)
{
	const char *f, *v;

	if (strcmp(rq->method, "POST") != 0)
		return fallback;
	f = req_form(rq, "_form");
	if (!f || strcmp(f, form) != 0)
		return fallback;
	v = req_form(rq, name);
	return v ? v : "";
}

long long pg_query_int(struct request *rq, const char *name, long long def, long long max)
{
	const char *s = req_query(rq, name);
	char *end;
	long long v;

	if (!s || !*s)
		return def;
	v = strtoll(s, &end, 10);
	if (*end || v < 0)
		return def;
	return v > max ? max : v;
}

void pg_esc_cut(struct buf *b, const char *s, size_t max)
{
	size_t n;
	char *tmp;

	if (!s)
		return;
	n = strlen(s);
	if (n <= max) {
		html_esc(b, s);
		return;
	}
	/* Back off to the start of a UTF-8 character. */
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	tmp = strndup(s, max);
	html_esc(b, tmp);
	free(tmp);
	buf_adds(b, "…");
}
