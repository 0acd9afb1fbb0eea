/*
 * page_settings.c: the administrator's settings pages. /settings lists
 * them (the reported-mail settings are page_mail_settings.c's); /settings/clocks edits the regulatory clocks (ir/clock.h: APPI
 * 速報 and 確報 days, GDPR hours, "due soon", reminder thresholds and the
 * organisation's zone), all fields saved together or none.
 */
#include "web/pages.h"
#include "ir/clock.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "web/html.h"
#include "web/page.h"
#include "web/req.h"

#include <stdio.h>
#include <string.h>

int page_settings(struct request *rq, struct response *rs)
{
	struct buf b = BUF_INIT;

	page_begin(rq, &b, page_t(rq, "settings.title"));
	html_printf(&b, "<h1>%s</h1><ul class=\"settings\">", page_t(rq, "settings.title"));
	html_printf(&b, "<li><a href=\"/settings/clocks\">%s</a> · %s</li>",
		    page_t(rq, "settings.clocks"), page_t(rq, "settings.clocks_help"));
	html_printf(&b, "<li><a href=\"/settings/mail\">%s</a> · %s</li>", page_t(rq, "mailset.link"),
		    page_t(rq, "settings.mail_help"));
	buf_adds(&b, "</ul>");
	page_end(rq, &b);
	return page_send(rs, &b);
}

/* The clock settings, their labels and help (i18n "clockset.KEY"). */
static const char *const clock_keys[] = { "preliminary_days", "final_days", "final_days_purpose",
					  "gdpr_hours", "due_soon_hours", "reminder_hours", "zone" };
#define NCLOCK_KEYS (sizeof(clock_keys) / sizeof(clock_keys[0]))

/* A setting's current value as the form shows it (reminders as "72,24"). */
static void clock_value(json_t *cfg, const char *key, struct buf *out)
{
	json_t *v = json_object_get(cfg, key), *h;
	size_t i;

	if (json_is_integer(v))
		buf_addf(out, "%lld", (long long)json_integer_value(v));
	else if (json_is_string(v))
		buf_adds(out, json_string_value(v));
	else if (json_is_array(v))
		json_array_foreach(v, i, h)
			buf_addf(out, "%s%lld", i ? "," : "", (long long)json_integer_value(h));
}

static int render_clocks(struct request *rq, struct response *rs, unsigned status, const char *msg)
{
	struct buf b = BUF_INIT, val = BUF_INIT;
	char label[64];
	json_t *cfg = NULL;
	int rc = clock_config_json(rq->st, &rq->actor, &cfg, &rq->err);

	if (rc)
		return rc;
	page_begin(rq, &b, page_t(rq, "settings.clocks"));
	html_printf(&b, "<p class=\"crumbs\"><a href=\"/settings\">%s</a></p><h1>%s</h1>",
		    page_t(rq, "settings.title"), page_t(rq, "settings.clocks"));
	if (msg)
		pg_error_box(rq, &b, "msg.not_saved", msg);
	pg_done_notice(rq, &b);
	buf_adds(&b, "<form class=\"stack card\" method=\"post\" action=\"/settings/clocks\">");
	page_csrf_field(rq, &b);
	for (size_t i = 0; i < NCLOCK_KEYS; i++) {
		const char *sent = msg ? req_form(rq, clock_keys[i]) : NULL;
		buf_reset(&val);
		if (sent)
			buf_adds(&val, sent); /* a refused form keeps what was typed */
		else
			clock_value(cfg, clock_keys[i], &val);
		snprintf(label, sizeof(label), "clockset.%s", clock_keys[i]);
		html_printf(&b, "<label for=\"%s\">%s</label>", clock_keys[i], page_t(rq, label));
		html_printf(&b, "<input type=\"text\" id=\"%s\" name=\"%s\" value=\"%s\">", clock_keys[i],
			    clock_keys[i], val.data);
		snprintf(label, sizeof(label), "clockset.%s_help", clock_keys[i]);
		html_printf(&b, "<p class=\"muted\">%s</p>", page_t(rq, label));
	}
	html_printf(&b, "<p><button type=\"submit\">%s</button></p></form>", page_t(rq, "form.save"));
	page_end(rq, &b);
	buf_release(&val);
	json_decref(cfg);
	rc = page_send(rs, &b);
	if (!rc && status)
		rs->status = status;
	return rc;
}

int page_settings_clocks(struct request *rq, struct response *rs)
{
	return render_clocks(rq, rs, 0, NULL);
}

int page_settings_clocks_save(struct request *rq, struct response *rs)
{
	const char *keys[NCLOCK_KEYS], *values[NCLOCK_KEYS];
	size_t n = 0;
	int rc;

	/* The fields sent (a missing one keeps its value). */
	for (size_t i = 0; i < NCLOCK_KEYS; i++) {
		const char *v = req_form(rq, clock_keys[i]);
		if (!v)
			continue;
		keys[n] = clock_keys[i];
		values[n++] = v;
	}
	rc = clock_config_set_many(rq->st, &rq->actor, keys, values, n, &rq->err);
	if (rc) {
		if (!pg_user_error(rc))
			return rc;
		return render_clocks(rq, rs, pg_status(rc), err_msg(&rq->err));
	}
	return pg_redirect_done(rs, "/settings/clocks", "saved");
}
