/*
 * page_alert.c: the alert queue (/alerts) with filters and triage forms,
 * one alert with its matched event, and the kill-chain bar of an incident
 * (detected phases apart from those marked by hand) that the incident page
 * shows. Triage goes through ir/alert.h, which checks and audits it.
 */
#include "ir/alert.h"
#include "ir/role.h"
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

static const char *const statuses[] = { "new", "false_positive", "benign", "promoted",
					"attached", NULL };
static const char *const levels[] = { "informational", "low", "medium", "high", "critical",
				      NULL };

static const char *keyed(struct request *rq, const char *prefix, const char *name, char *key,
			 size_t n)
{
	snprintf(key, n, "%s%s", prefix, name ? name : "");
	return page_t(rq, key);
}

static int may_triage(const struct request *rq)
{
	return role_may(rq->actor.role, ACT_ALERT_TRIAGE) && !rq->actor.external;
}

static int settled(const char *status)
{
	return status && (strcmp(status, "promoted") == 0 || strcmp(status, "attached") == 0);
}

static void select_of(struct request *rq, struct buf *b, const char *name, const char *prefix,
		      const char *const *values, const char *selected)
{
	char key[96];

	html_printf(b, "<label>%s <select name=\"%s\"><option value=\"\">%s</option>",
		    keyed(rq, "alerts.", name, key, sizeof(key)), name, page_t(rq, "alerts.any"));
	for (int i = 0; values[i]; i++)
		html_printf(b, "<option value=\"%s\"%s>%s</option>", values[i],
			    selected && strcmp(selected, values[i]) == 0 ? " selected" : "",
			    keyed(rq, prefix, values[i], key, sizeof(key)));
	buf_adds(b, "</select></label>");
}

/* The triage forms an alert can still take (none once settled). */
static void triage_forms(struct request *rq, struct buf *b, json_t *a, int compact)
{
	long long id = (long long)json_integer_value(json_object_get(a, "id"));
	const char *status = json_str(a, "status");

	if (!may_triage(rq) || settled(status))
		return;
	html_printf(b, "<div class=\"triage%s\">", compact ? " compact" : "");
	html_printf(b, "<form method=\"post\" action=\"/alerts/%lld/triage\" class=\"inline\">", id);
	page_csrf_field(rq, b);
	html_printf(b, "<input type=\"hidden\" name=\"action\" value=\"promote\">"
		       "<button type=\"submit\">%s</button></form> ", page_t(rq, "alerts.promote"));
	if (strcmp(status, "benign") != 0) {
		html_printf(b, "<form method=\"post\" action=\"/alerts/%lld/triage\" class=\"inline\">", id);
		page_csrf_field(rq, b);
		html_printf(b, "<input type=\"hidden\" name=\"action\" value=\"benign\">"
			       "<button type=\"submit\" class=\"secondary\">%s</button></form> ",
			    page_t(rq, "alerts.benign"));
	}
	html_printf(b, "<form method=\"post\" action=\"/alerts/%lld/triage\" class=\"inline\">", id);
	page_csrf_field(rq, b);
	html_printf(b, "<input type=\"hidden\" name=\"action\" value=\"false_positive\">"
		       "<input type=\"text\" name=\"reason\" required placeholder=\"%s\" aria-label=\"%s\">"
		       "<button type=\"submit\" class=\"secondary\">%s</button></form> ",
		    page_t(rq, "alerts.reason"), page_t(rq, "alerts.reason"),
		    page_t(rq, "alerts.false_positive"));
	html_printf(b, "<form method=\"post\" action=\"/alerts/%lld/triage\" class=\"inline\">", id);
	page_csrf_field(rq, b);
	html_printf(b, "<input type=\"hidden\" name=\"action\" value=\"attach\">"
		       "<input type=\"text\" name=\"incident\" required placeholder=\"IR-2026-0001\" "
		       "aria-label=\"%s\"><button type=\"submit\" class=\"secondary\">%s</button></form>",
		    page_t(rq, "alerts.incident"), page_t(rq, "alerts.attach"));
	buf_adds(b, "</div>");
}

static void status_cell(struct request *rq, struct buf *b, json_t *a)
{
	char key[96];
	const char *inc = json_str(a, "incident");

	html_printf(b, "<span class=\"state al-%s\">%s</span>", json_str(a, "status"),
		    keyed(rq, "alerts.status.", json_str(a, "status"), key, sizeof(key)));
	if (inc) {
		struct buf href = BUF_INIT;
		buf_adds(&href, "/incidents/");
		url_esc(&href, inc);
		html_printf(b, " <a href=\"%s\">%s</a>", href.data, inc);
		buf_release(&href);
	}
}

int page_alert_list(struct request *rq, struct response *rs)
{
	struct alert_filter f;
	struct buf b = BUF_INIT;
	json_t *items = NULL, *a;
	int64_t next = 0;
	char key[96], when[64];
	size_t i;
	int rc;

	memset(&f, 0, sizeof(f));
	f.status = req_query(rq, "status");
	f.level = req_query(rq, "level");
	if (f.status && !*f.status)
		f.status = NULL;
	if (f.level && !*f.level)
		f.level = NULL;
	f.group_key = req_query(rq, "group_key");
	if (f.group_key && !*f.group_key)
		f.group_key = NULL;
	f.before = pg_query_int(rq, "before", 0, INT64_MAX / 2);
	f.limit = 50;
	rc = alert_list(rq->st, &rq->actor, &f, &items, &next, &rq->err);
	if (rc == ERR_INVALID) {
		rq->err.code = ERR_USAGE;
		return ERR_USAGE;
	}
	if (rc)
		return rc;
	page_begin(rq, &b, page_t(rq, "nav.alerts"));
	html_printf(&b, "<div class=\"titlebar\"><h1>%s</h1><a href=\"/suppressions\">%s</a></div>",
		    page_t(rq, "nav.alerts"), page_t(rq, "suppress.title"));
	pg_done_notice(rq, &b);
	buf_adds(&b, "<form method=\"get\" action=\"/alerts\" class=\"filters\">");
	select_of(rq, &b, "status", "alerts.status.", statuses, f.status);
	select_of(rq, &b, "level", "alerts.level.", levels, f.level);
	html_printf(&b, "<input type=\"search\" name=\"group_key\" value=\"%s\" placeholder=\"%s\" "
		       "aria-label=\"%s\">", f.group_key ? f.group_key : "", page_t(rq, "alerts.group_key"),
		    page_t(rq, "alerts.group_key"));
	html_printf(&b, "<button type=\"submit\" class=\"secondary\">%s</button></form>",
		    page_t(rq, "alerts.filter"));
	if (json_array_size(items) == 0) {
		html_printf(&b, "<p class=\"muted\">%s</p>", page_t(rq, "alerts.none"));
	} else {
		html_printf(&b, "<table class=\"alerts\"><thead><tr><th>#</th><th>%s</th><th>%s</th>"
			       "<th>%s</th><th class=\"num\">%s</th><th>%s</th><th>%s</th><th>%s</th>"
			       "</tr></thead><tbody>",
			    page_t(rq, "alerts.level"), page_t(rq, "alerts.title"),
			    page_t(rq, "alerts.host_user"), page_t(rq, "alerts.count"),
			    page_t(rq, "alerts.last_seen"), page_t(rq, "alerts.phase"),
			    page_t(rq, "alerts.status"));
		json_array_foreach(items, i, a) {
			json_t *ent = json_object_get(a, "entities");
			long long id = (long long)json_integer_value(json_object_get(a, "id"));
			const char *phase = json_str(a, "phase");
			int p = -1;

			if (phase)
				killchain_phase_parse(phase, &p, NULL);
			html_printf(&b, "<tr><td><a href=\"/alerts/%lld\">%lld</a></td>"
				       "<td><span class=\"lvl lvl-%s\">%s</span></td>"
				       "<td><a href=\"/alerts/%lld\">%s</a><div class=\"small muted\">%s</div></td>"
				       "<td>%s<div class=\"small muted\">%s</div></td><td class=\"num\">%lld</td>"
				       "<td class=\"nowrap\">%s</td><td>%s</td><td>",
				    id, id, json_str(a, "level"),
				    keyed(rq, "alerts.level.", json_str(a, "level"), key, sizeof(key)), id,
				    json_str(a, "title"), json_str(a, "rule"), json_str(ent, "host"),
				    json_str(ent, "user"),
				    (long long)json_integer_value(json_object_get(a, "count")),
				    page_time(rq, pg_json_time(a, "last_seen"), when),
				    p >= 0 ? killchain_phase_label(p, rq->lang) : "–");
			status_cell(rq, &b, a);
			triage_forms(rq, &b, a, 1);
			buf_adds(&b, "</td></tr>");
		}
		buf_adds(&b, "</tbody></table>");
	}
	if (next) {
		struct buf href = BUF_INIT;
		buf_addf(&href, "/alerts?before=%lld", (long long)next);
		if (f.status) {
			buf_adds(&href, "&status=");
			url_esc(&href, f.status);
		}
		if (f.level) {
			buf_adds(&href, "&level=");
			url_esc(&href, f.level);
		}
		if (f.group_key) {
			buf_adds(&href, "&group_key=");
			url_esc(&href, f.group_key);
		}
		html_printf(&b, "<p><a href=\"%s\">%s</a></p>", href.data, page_t(rq, "pager.next"));
		buf_release(&href);
	}
	json_decref(items);
	page_end(rq, &b);
	return page_send(rs, &b);
}

/* A link to the suppression form, filled with the alert's rule and host. */
static void suppress_link(struct request *rq, struct buf *b, json_t *a)
{
	struct buf href = BUF_INIT;
	const char *host = json_str(json_object_get(a, "entities"), "host");

	if (!role_may(rq->actor.role, ACT_ALERT_SUPPRESS) || rq->actor.external)
		return;
	buf_adds(&href, "/suppressions?rule=");
	url_esc(&href, json_str(a, "rule"));
	if (host && *host) {
		buf_adds(&href, "&entity=host&value=");
		url_esc(&href, host);
	}
	html_printf(b, "<p><a href=\"%s\">%s</a></p>", href.data, page_t(rq, "suppress.link"));
	buf_release(&href);
}

static int render_alert(struct request *rq, struct response *rs, unsigned status, const char *msg)
{
	static const char *const names[] = { "host", "user", "ip", "process" };
	struct buf b = BUF_INIT, title = BUF_INIT;
	json_t *a = NULL, *ent, *ev, *t;
	char key[96], when[64], saved[ERR_MSG_MAX];
	const char *s = req_param(rq, 0), *phase;
	char *end, *text;
	long long id = strtoll(s, &end, 10);
	size_t i;
	int rc, p = -1;

	if (msg) {
		snprintf(saved, sizeof(saved), "%s", msg);
		msg = saved;
	}
	if (!*s || *end || id <= 0)
		return err_set(&rq->err, ERR_NOTFOUND, "alert %.40s not found", s);
	rc = alert_get(rq->st, &rq->actor, id, &a, &rq->err);
	if (rc)
		return rc;
	buf_addf(&title, "#%lld %s", id, json_str(a, "title"));
	page_begin(rq, &b, title.data);
	buf_release(&title);
	html_printf(&b, "<p class=\"crumbs\"><a href=\"/alerts\">%s</a></p>"
		       "<div class=\"titlebar\"><h1><span class=\"hid\">#%lld</span>%s</h1></div>",
		    page_t(rq, "nav.alerts"), id, json_str(a, "title"));
	if (msg)
		pg_error_box(rq, &b, "msg.not_saved", msg);
	pg_done_notice(rq, &b);
	buf_adds(&b, "<section class=\"card\"><div class=\"facts\">");
	html_printf(&b, "<span><span class=\"lvl lvl-%s\">%s</span></span>", json_str(a, "level"),
		    keyed(rq, "alerts.level.", json_str(a, "level"), key, sizeof(key)));
	buf_adds(&b, "<span>");
	status_cell(rq, &b, a);
	buf_adds(&b, "</span>");
	phase = json_str(a, "phase");
	if (phase)
		killchain_phase_parse(phase, &p, NULL);
	html_printf(&b, "<span>%s: <strong>%s</strong></span>", page_t(rq, "alerts.phase"),
		    p >= 0 ? killchain_phase_label(p, rq->lang) : "–");
	html_printf(&b, "<span>%s: <strong>%lld</strong></span>", page_t(rq, "alerts.count"),
		    (long long)json_integer_value(json_object_get(a, "count")));
	html_printf(&b, "<span>%s: %s</span>", page_t(rq, "alerts.first_seen"),
		    page_time(rq, pg_json_time(a, "first_seen"), when));
	html_printf(&b, "<span>%s: %s</span></div>", page_t(rq, "alerts.last_seen"),
		    page_time(rq, pg_json_time(a, "last_seen"), when));
	html_printf(&b, "<p>%s: <code>%s</code> ", page_t(rq, "alerts.rule"), json_str(a, "rule"));
	json_array_foreach(json_object_get(a, "tags"), i, t)
		html_printf(&b, "<span class=\"tag\">%s</span> ", json_string_value(t));
	buf_adds(&b, "</p>");
	if (json_str(a, "reason"))
		html_printf(&b, "<p>%s: %s</p>", page_t(rq, "alerts.reason"), json_str(a, "reason"));
	if (json_str(a, "group_key")) {
		struct buf same = BUF_INIT;
		buf_adds(&same, "/alerts?group_key=");
		url_esc(&same, json_str(a, "group_key"));
		html_printf(&b, "<p class=\"group-key\">%s: <a href=\"%s\"><code>%s</code></a></p>",
			    page_t(rq, "alerts.group_key"), same.data, json_str(a, "group_key"));
		buf_release(&same);
	}
	ent = json_object_get(a, "entities");
	buf_adds(&b, "<table class=\"entities\"><tbody>");
	for (i = 0; i < 4; i++)
		if (json_str(ent, names[i]) && *json_str(ent, names[i]))
			html_printf(&b, "<tr><th>%s</th><td><code>%s</code></td></tr>",
				    keyed(rq, "alerts.entity.", names[i], key, sizeof(key)),
				    json_str(ent, names[i]));
	buf_adds(&b, "</tbody></table>");
	pg_mail_link(rq, &b, a);
	triage_forms(rq, &b, a, 0);
	suppress_link(rq, &b, a);
	buf_adds(&b, "</section>");
	html_printf(&b, "<section class=\"card\"><h2>%s%s</h2>", page_t(rq, "alerts.event"),
		    json_is_true(json_object_get(a, "event_truncated")) ? page_t(rq, "alerts.cut") : "");
	ev = json_object_get(a, "event");
	text = json_is_string(ev) ? strdup(json_string_value(ev))
				  : json_dumps(ev, JSON_INDENT(2) | JSON_SORT_KEYS);
	buf_adds(&b, "<pre class=\"event\">");
	html_esc(&b, text ? text : "");
	buf_adds(&b, "</pre></section>");
	free(text);
	json_decref(a);
	page_end(rq, &b);
	rc = page_send(rs, &b);
	if (!rc && status)
		rs->status = status;
	return rc;
}

int page_alert_show(struct request *rq, struct response *rs)
{
	return render_alert(rq, rs, 0, NULL);
}

int page_alert_triage(struct request *rq, struct response *rs)
{
	struct alert_triage t;
	const char *s = req_param(rq, 0);
	json_t *a = NULL;
	char *end;
	long long id = strtoll(s, &end, 10);
	int rc;

	if (!*s || *end || id <= 0)
		return err_set(&rq->err, ERR_NOTFOUND, "alert %.40s not found", s);
	memset(&t, 0, sizeof(t));
	t.action = req_form(rq, "action");
	t.reason = req_form(rq, "reason");
	t.incident = req_form(rq, "incident");
	if (t.reason && !*t.reason)
		t.reason = NULL;
	if (t.incident && !*t.incident)
		t.incident = NULL;
	rc = alert_triage(rq->st, &rq->actor, id, &t, &a, &rq->err);
	if (rc) {
		if (!pg_user_error(rc))
			return rc;
		return render_alert(rq, rs, pg_status(rc), err_msg(&rq->err));
	}
	if (json_str(a, "incident")) {
		struct buf loc = BUF_INIT;
		buf_adds(&loc, "/incidents/");
		url_esc(&loc, json_str(a, "incident"));
		pg_redirect_done(rs, loc.data, "alert_triaged");
		buf_release(&loc);
	} else {
		char loc[64];
		snprintf(loc, sizeof(loc), "/alerts/%lld", id);
		pg_redirect_done(rs, loc, "alert_triaged");
	}
	json_decref(a);
	return 0;
}

void pg_killchain_bar(struct request *rq, struct buf *b, const char *hid, int may_mark)
{
	json_t *items = NULL, *o;
	struct buf action = BUF_INIT;
	struct err e;
	size_t i;

	err_clear(&e);
	if (killchain_get(rq->st, &rq->actor, hid, &items, &e) != 0)
		return;
	buf_adds(&action, "/incidents/");
	url_esc(&action, hid);
	buf_adds(&action, "/killchain");
	html_printf(b, "<section class=\"card killchain\"><h2>%s</h2><ol class=\"kc\">",
		    page_t(rq, "killchain.title"));
	json_array_foreach(items, i, o) {
		int det = json_is_true(json_object_get(o, "detected"));
		int man = json_is_true(json_object_get(o, "manual"));

		html_printf(b, "<li class=\"kc-phase%s%s\" title=\"%s\"><span class=\"kc-n\">%d</span> "
			       "<span class=\"kc-label\">%s</span>",
			    det ? " kc-detected" : "", man ? " kc-manual" : "",
			    json_str(o, "note") ? json_str(o, "note") : "", (int)i + 1,
			    rq->lang[0] == 'j' ? json_str(o, "label_ja") : json_str(o, "label_en"));
		html_printf(b, "<span class=\"kc-alt small muted\">%s</span>",
			    rq->lang[0] == 'j' ? json_str(o, "label_en") : json_str(o, "label_ja"));
		if (det)
			html_printf(b, "<span class=\"tag kc-det\">%s</span>", page_t(rq, "killchain.detected"));
		if (man)
			html_printf(b, "<span class=\"tag kc-man\">%s</span>", page_t(rq, "killchain.manual"));
		if (may_mark) {
			html_printf(b, "<form method=\"post\" action=\"%s\" class=\"inline\">", action.data);
			page_csrf_field(rq, b);
			html_printf(b, "<input type=\"hidden\" name=\"phase\" value=\"%s\">"
				       "<input type=\"hidden\" name=\"marked\" value=\"%s\">"
				       "<button type=\"submit\" class=\"secondary small\">%s</button></form>",
				    json_str(o, "phase"), man ? "0" : "1",
				    page_t(rq, man ? "killchain.unmark" : "killchain.mark"));
		}
		buf_adds(b, "</li>");
	}
	html_printf(b, "</ol><p class=\"hint muted\">%s</p></section>", page_t(rq, "killchain.hint"));
	json_decref(items);
	buf_release(&action);
}

int page_incident_killchain(struct request *rq, struct response *rs)
{
	const char *hid = req_param(rq, 0), *marked = req_form(rq, "marked");
	struct buf loc = BUF_INIT;
	int rc;

	rc = killchain_mark(rq->st, &rq->actor, hid, req_form(rq, "phase"),
			    !(marked && strcmp(marked, "0") == 0), req_form(rq, "note"), &rq->err);
	if (rc)
		return rc == ERR_INVALID ? (rq->err.code = ERR_USAGE, ERR_USAGE) : rc;
	buf_adds(&loc, "/incidents/");
	url_esc(&loc, hid);
	pg_redirect_done(rs, loc.data, "saved");
	buf_release(&loc);
	return 0;
}
