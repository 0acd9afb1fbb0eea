/*
 * page_notify.c: the incident page's sections for the regulatory clocks,
 * the personal-data breach flags (a form) and the notifications sent (a
 * list and a form: a contact from the directory or a typed recipient), and
 * the dashboard's running clocks and recent reminders.
 */
#include "ir/clock.h"
#include "ir/contact.h"
#include "ir/notify.h"
#include "ir/role.h"
#include "ir/scheduler.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *keyed(struct request *rq, const char *prefix, const char *name, char *key,
			 size_t n)
{
	snprintf(key, n, "%s%s", prefix, name ? name : "");
	return page_t(rq, key);
}

static void incident_href(struct buf *b, const char *hid, const char *tail)
{
	buf_adds(b, "/incidents/");
	url_esc(b, hid);
	if (tail)
		buf_adds(b, tail);
}

/* One clock as a table row: what, due, time left, state. */
static void clock_row(struct request *rq, struct buf *b, json_t *c, int with_incident)
{
	char key[96], due[64], left[TIME_STR_MAX];
	const char *state = json_str(c, "state");

	time_format_duration(json_integer_value(json_object_get(c, "left_seconds")), left);
	html_printf(b, "<tr class=\"clock clock-%s\">", state);
	if (with_incident) {
		struct buf href = BUF_INIT;
		incident_href(&href, json_str(c, "incident"), NULL);
		html_printf(b, "<td><a href=\"%s\">%s</a> %s</td>", href.data, json_str(c, "incident"),
			    json_str(c, "title"));
		buf_release(&href);
	}
	html_printf(b, "<td>%s</td><td class=\"nowrap\">%s</td><td class=\"num\">%s</td>"
		       "<td><span class=\"state clock-%s\">%s</span></td></tr>",
		    keyed(rq, "clock.", json_str(c, "clock"), key, sizeof(key)),
		    page_time(rq, pg_json_time(c, "due_at"), due),
		    json_str(c, "satisfied_at") ? "-" : left, state,
		    keyed(rq, "clock.state.", state, key, sizeof(key)));
}

static void clock_table(struct request *rq, struct buf *b, json_t *clocks, int with_incident)
{
	size_t i;
	json_t *c;

	buf_adds(b, "<table class=\"clocks\"><thead><tr>");
	if (with_incident)
		html_printf(b, "<th>%s</th>", page_t(rq, "clock.incident"));
	html_printf(b, "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
		    page_t(rq, "clock.clock"), page_t(rq, "clock.due"), page_t(rq, "clock.left"),
		    page_t(rq, "clock.state"));
	json_array_foreach(clocks, i, c)
		clock_row(rq, b, c, with_incident);
	buf_adds(b, "</tbody></table>");
}

static void breach_form(struct request *rq, struct buf *b, const char *hid, json_t *br, int edit)
{
	char key[96];

	html_printf(b, "<h3>%s</h3>", page_t(rq, "breach.title"));
	if (edit) {
		struct buf action = BUF_INIT;
		incident_href(&action, hid, "/breach");
		html_printf(b, "<form class=\"stack\" method=\"post\" action=\"%s\">", action.data);
		page_csrf_field(rq, b);
		buf_adds(b, "<input type=\"hidden\" name=\"_form\" value=\"breach\">");
		buf_release(&action);
	}
	buf_adds(b, "<ul class=\"flags\">");
	for (int i = 0; breach_flag_names[i]; i++) {
		int on = json_is_true(json_object_get(br, breach_flag_names[i]));
		if (edit)
			html_printf(b, "<li><label><input type=\"checkbox\" name=\"%s\" value=\"yes\"%s> %s"
				       "</label></li>", breach_flag_names[i], on ? " checked" : "",
				    keyed(rq, "breach.", breach_flag_names[i], key, sizeof(key)));
		else
			html_printf(b, "<li>%s: %s</li>",
				    keyed(rq, "breach.", breach_flag_names[i], key, sizeof(key)),
				    page_t(rq, on ? "breach.yes" : "breach.no"));
	}
	buf_adds(b, "</ul>");
	if (edit)
		html_printf(b, "<button type=\"submit\">%s</button></form>", page_t(rq, "breach.save"));
}

static void options(struct request *rq, struct buf *b, const char *name, const char *prefix,
		    const char *const *values)
{
	char key[96];

	html_printf(b, "<label>%s <select name=\"%s\" required>",
		    keyed(rq, prefix, "label", key, sizeof(key)), name);
	for (int i = 0; values[i]; i++)
		html_printf(b, "<option value=\"%s\">%s</option>", values[i],
			    keyed(rq, prefix, values[i], key, sizeof(key)));
	buf_adds(b, "</select></label>");
}

/* The contacts to choose from, for those who may read the directory. */
static void contact_choice(struct request *rq, struct buf *b)
{
	json_t *list = NULL, *c;
	struct err e;
	size_t i;

	err_clear(&e);
	html_printf(b, "<label>%s <select name=\"contact_id\"><option value=\"\">%s</option>",
		    page_t(rq, "notify.contact"), page_t(rq, "notify.no_contact"));
	if (!rq->actor.external && contact_list(rq->st, &rq->actor, NULL, &list, &e) == 0)
		json_array_foreach(list, i, c)
			html_printf(b, "<option value=\"%lld\">%s%s%s%s</option>",
				    (long long)json_integer_value(json_object_get(c, "id")),
				    json_str(c, "name"), *json_str(c, "organisation") ? " - " : "",
				    json_str(c, "organisation"),
				    json_is_true(json_object_get(c, "on_call")) ? " ★" : "");
	json_decref(list);
	buf_adds(b, "</select></label>");
}

static void notify_form(struct request *rq, struct buf *b, const char *hid)
{
	struct buf action = BUF_INIT;

	incident_href(&action, hid, "/notifications");
	html_printf(b, "<details><summary>%s</summary><form class=\"stack\" method=\"post\" "
		       "action=\"%s\">", page_t(rq, "notify.add"), action.data);
	page_csrf_field(rq, b);
	buf_adds(b, "<input type=\"hidden\" name=\"_form\" value=\"notify\">");
	contact_choice(rq, b);
	html_printf(b, "<label>%s <input type=\"text\" name=\"to\" maxlength=\"300\"></label>",
		    page_t(rq, "notify.to"));
	options(rq, b, "channel", "notify.channel.", notify_channels);
	options(rq, b, "kind", "notify.kind.", notify_kinds);
	html_printf(b, "<label>%s <input type=\"text\" name=\"at\" placeholder=\"2026-11-26 09:30\">"
		       "</label><label>%s <input type=\"text\" name=\"subject\" maxlength=\"300\">"
		       "</label><label>%s <textarea name=\"text\" rows=\"5\" required></textarea></label>"
		       "<button type=\"submit\">%s</button></form></details>",
		    page_t(rq, "notify.at"), page_t(rq, "notify.subject"), page_t(rq, "notify.text"),
		    page_t(rq, "notify.record"));
	buf_release(&action);
}

static void notify_table(struct request *rq, struct buf *b, json_t *list)
{
	char key[96], when[64];
	size_t i;
	json_t *n;

	if (!list || json_array_size(list) == 0) {
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "notify.none"));
		return;
	}
	html_printf(b, "<table class=\"notifications\"><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
		       "<th>%s</th><th>%s</th></tr></thead><tbody>",
		    page_t(rq, "notify.at"), page_t(rq, "notify.kind.label"), page_t(rq, "notify.channel.label"),
		    page_t(rq, "notify.to"), page_t(rq, "notify.subject"));
	json_array_foreach(list, i, n) {
		char key2[96];
		html_printf(b, "<tr><td class=\"nowrap\">%s</td><td>%s</td><td>%s</td><td>%s</td>"
			       "<td><details><summary>%s</summary><pre class=\"text\">%s</pre>"
			       "</details></td></tr>",
			    page_time(rq, pg_json_time(n, "sent_at"), when),
			    keyed(rq, "notify.kind.", json_str(n, "kind"), key, sizeof(key)),
			    keyed(rq, "notify.channel.", json_str(n, "channel"), key2, sizeof(key2)),
			    json_str(n, "recipient"),
			    *json_str(n, "subject") ? json_str(n, "subject") : "…", json_str(n, "text"));
	}
	buf_adds(b, "</tbody></table>");
}

void pg_notify_sections(struct request *rq, struct buf *b, const char *hid, int may_record,
			int may_edit)
{
	json_t *br = NULL, *list = NULL, *clocks;
	struct err e;

	err_clear(&e);
	if (breach_get(rq->st, &rq->actor, hid, &br, &e) != 0)
		return;
	clocks = json_object_get(br, "clocks");
	html_printf(b, "<section class=\"card\" id=\"clocks\"><h2>%s</h2>", page_t(rq, "clock.title"));
	if (json_array_size(clocks))
		clock_table(rq, b, clocks, 0);
	else
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "clock.none"));
	breach_form(rq, b, hid, br, may_edit);
	buf_adds(b, "</section>");
	html_printf(b, "<section class=\"card\" id=\"notifications\"><h2>%s</h2>",
		    page_t(rq, "notify.title"));
	if (notify_list(rq->st, &rq->actor, hid, &list, &e) == 0)
		notify_table(rq, b, list);
	if (may_record)
		notify_form(rq, b, hid);
	buf_adds(b, "</section>");
	json_decref(list);
	json_decref(br);
}

static void recent_reminders(struct request *rq, struct buf *b)
{
	json_t *list = NULL, *r;
	char key[96], when[64];
	struct err e;
	size_t i;

	err_clear(&e);
	if (reminder_list(rq->st, &rq->actor, 10, &list, &e) != 0 || !json_array_size(list)) {
		json_decref(list);
		return;
	}
	html_printf(b, "<h3>%s</h3><ul class=\"reminders\">", page_t(rq, "clock.reminders"));
	json_array_foreach(list, i, r) {
		struct buf href = BUF_INIT;
		incident_href(&href, json_str(r, "incident"), NULL);
		html_printf(b, "<li class=\"reminder\"><span class=\"nowrap\">%s</span> "
			       "<a href=\"%s\">%s</a> %s: %s</li>",
			    page_time(rq, pg_json_time(r, "created_at"), when), href.data,
			    json_str(r, "incident"),
			    keyed(rq, "clock.", json_str(r, "clock"), key, sizeof(key)),
			    strcmp(json_str(r, "threshold"), "overdue") == 0
				    ? page_t(rq, "clock.state.overdue") : json_str(r, "threshold"));
		buf_release(&href);
	}
	buf_adds(b, "</ul>");
	json_decref(list);
}

void pg_clock_dashboard(struct request *rq, struct buf *b)
{
	json_t *clocks = NULL;
	struct err e;

	err_clear(&e);
	if (clock_list(rq->st, &rq->actor, 0, 1, &clocks, &e) != 0)
		return;
	html_printf(b, "<section class=\"card\" id=\"dash-clocks\"><h2>%s</h2>",
		    page_t(rq, "clock.dashboard"));
	if (json_array_size(clocks))
		clock_table(rq, b, clocks, 1);
	else
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "clock.none_running"));
	recent_reminders(rq, b);
	buf_adds(b, "</section>");
	json_decref(clocks);
}

/* After a form: back to the incident with a notice, or the error page. */
static int back(struct request *rq, struct response *rs, int rc, const char *done)
{
	struct buf loc = BUF_INIT;

	if (rc)
		return rc;
	incident_href(&loc, req_param(rq, 0), NULL);
	rc = pg_redirect_done(rs, loc.data, done);
	buf_release(&loc);
	return rc;
}

int page_notify_add(struct request *rq, struct response *rs)
{
	struct notify_new n = { 0 };
	const char *cid = req_form(rq, "contact_id");
	char *end;

	if (cid && *cid) {
		n.contact_id = strtoll(cid, &end, 10);
		if (*end || n.contact_id < 1)
			return err_set(&rq->err, ERR_INVALID, "contact: not a contact number");
	}
	n.recipient = req_form(rq, "to");
	n.channel = req_form(rq, "channel");
	n.kind = req_form(rq, "kind");
	n.at = req_form(rq, "at");
	n.subject = req_form(rq, "subject");
	n.text = req_form(rq, "text");
	return back(rq, rs, notify_add(rq->st, &rq->actor, req_param(rq, 0), &n, NULL, &rq->err),
		    "notified");
}

int page_breach_set(struct request *rq, struct response *rs)
{
	struct breach_update u;
	int *v = &u.personal_data;
	json_t *out = NULL;
	int rc;

	/* A checkbox that is not ticked is not sent: every flag is in the form. */
	for (int i = 0; breach_flag_names[i]; i++)
		v[i] = req_form(rq, breach_flag_names[i]) != NULL;
	rc = breach_set(rq->st, &rq->actor, req_param(rq, 0), &u, &out, &rq->err);
	json_decref(out);
	return back(rq, rs, rc, "breach");
}
