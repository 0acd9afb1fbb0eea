/*
 * page_dashboard.c: the first page after sign-in: open incidents by state
 * and by priority (each count links to the filtered list), the actor's open
 * tasks, and recent activity (the audit log for those who may read it,
 * recently changed incidents for everyone else).
 */
#include "web/pages.h"
#include "ir/alert.h"
#include "ir/audit.h"
#include "ir/incident.h"
#include "ir/role.h"
#include "ir/task.h"
#include "ir/vocab.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "web/html.h"
#include "web/page.h"
#include "web/req.h"

#include <string.h>

static void counts_by_state(struct request *rq, struct buf *b, const struct incident_list *l)
{
	int n[ST__COUNT] = { 0 };

	for (size_t i = 0; i < l->n; i++)
		n[l->items[i].state]++;
	html_printf(b, "<section class=\"card\"><h2>%s</h2><table class=\"counts\"><tbody>",
		    page_t(rq, "dash.by_state"));
	for (int s = 0; s < ST__COUNT; s++) {
		if (incident_state_terminal((enum incident_state)s))
			continue;
		html_printf(b, "<tr><th><a href=\"/incidents?state=%s\">%s</a></th>"
			       "<td class=\"num\"><a href=\"/incidents?state=%s\">%d</a></td></tr>",
			    incident_state_name((enum incident_state)s),
			    incident_state_label((enum incident_state)s, rq->lang),
			    incident_state_name((enum incident_state)s), n[s]);
	}
	html_printf(b, "</tbody><tfoot><tr><th><a href=\"/incidents?state=open\">%s</a></th>"
		       "<td class=\"num\">%d</td></tr></tfoot></table></section>",
		    page_t(rq, "dash.total_open"), (int)l->n);
}

static void counts_by_priority(struct request *rq, struct buf *b, const struct incident_list *l)
{
	int n[5] = { 0 };

	for (size_t i = 0; i < l->n; i++)
		n[l->items[i].priority >= 1 && l->items[i].priority <= 4 ? l->items[i].priority : 0]++;
	html_printf(b, "<section class=\"card\"><h2>%s</h2><table class=\"counts\"><tbody>",
		    page_t(rq, "dash.by_priority"));
	for (int p = 1; p <= 4; p++) {
		html_printf(b, "<tr><th><a href=\"/incidents?state=open&amp;priority=P%d\">"
			       "<span class=\"pri P%d\">%s</span></a></th><td class=\"num\">"
			       "<a href=\"/incidents?state=open&amp;priority=P%d\">%d</a></td></tr>",
			    p, p, vocab_label(&vocab_priority, p - 1, rq->lang), p, n[p]);
	}
	html_printf(b, "<tr><th>%s</th><td class=\"num\">%d</td></tr></tbody></table></section>",
		    page_t(rq, "dash.unclassified"), n[0]);
}

static void my_tasks(struct request *rq, struct buf *b)
{
	struct task_filter f;
	json_t *tasks = NULL, *t;
	size_t i;
	char when[64];
	struct err e;

	memset(&f, 0, sizeof(f));
	f.assignee = rq->actor.name;
	f.open_only = 1;
	f.limit = 50;
	err_clear(&e);
	html_printf(b, "<section class=\"card\"><h2>%s</h2>", page_t(rq, "dash.my_tasks"));
	if (task_list(rq->st, &rq->actor, &f, &tasks, &e) != 0) {
		pg_error_box(rq, b, "dash.unavailable", err_msg(&e));
	} else if (json_array_size(tasks) == 0) {
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "dash.no_tasks"));
	} else {
		buf_adds(b, "<ul class=\"tasks\">");
		json_array_foreach(tasks, i, t) {
			const char *hid = json_str(t, "incident");
			struct buf href = BUF_INIT;
			buf_adds(&href, "/incidents/");
			url_esc(&href, hid);
			html_printf(b, "<li><a href=\"%s\">%s</a> %s", href.data, hid, json_str(t, "title"));
			if (pg_json_time(t, "due_at"))
				html_printf(b, " <span class=\"muted small\">%s %s</span>",
					    page_t(rq, "tasks.due"), page_time(rq, pg_json_time(t, "due_at"), when));
			buf_adds(b, "</li>");
			buf_release(&href);
		}
		buf_adds(b, "</ul>");
	}
	json_decref(tasks);
	buf_adds(b, "</section>");
}

/* The alerts waiting for triage, for those who read alerts. */
static void new_alerts(struct request *rq, struct buf *b)
{
	int64_t n = 0;

	if (rq->actor.external || !role_may(rq->actor.role, ACT_ALERT_READ) ||
	    alert_count(rq->st, &rq->actor, "new", &n, NULL) != 0)
		return;
	html_printf(b, "<section class=\"card\"><h2>%s</h2><table class=\"counts\"><tbody>"
		       "<tr><th><a href=\"/alerts?status=new\">%s</a></th><td class=\"num\">"
		       "<a href=\"/alerts?status=new\" id=\"new-alerts\">%lld</a></td></tr></tbody></table>"
		       "</section>", page_t(rq, "dash.alerts"), page_t(rq, "dash.new_alerts"), (long long)n);
}

static void recent_audit(struct request *rq, struct buf *b)
{
	struct audit_filter f;
	json_t *rows = NULL, *r;
	size_t i;
	char when[64];
	struct err e;

	memset(&f, 0, sizeof(f));
	f.limit = 10;
	f.newest_first = 1;
	err_clear(&e);
	html_printf(b, "<section class=\"card\"><h2>%s</h2>", page_t(rq, "dash.activity"));
	if (audit_list(rq->st, &rq->actor, &f, &rows, &e) != 0) {
		pg_error_box(rq, b, "dash.unavailable", err_msg(&e));
	} else if (json_array_size(rows) == 0) {
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "dash.no_activity"));
	} else {
		buf_adds(b, "<table class=\"activity\"><tbody>");
		json_array_foreach(rows, i, r) {
			const char *type = json_str(r, "object_type"), *id = json_str(r, "object_id");
			html_printf(b, "<tr><td class=\"nowrap\">%s</td><td>%s</td><td><code>%s</code></td><td>",
				    page_time(rq, pg_json_time(r, "at"), when), json_str(r, "actor"),
				    json_str(r, "action"));
			if (type && id && strcmp(type, "incident") == 0) {
				struct buf href = BUF_INIT;
				buf_adds(&href, "/incidents/");
				url_esc(&href, id);
				html_printf(b, "<a href=\"%s\">%s</a>", href.data, id);
				buf_release(&href);
			} else if (id) {
				html_esc(b, id);
			}
			buf_adds(b, "</td></tr>");
		}
		html_printf(b, "</tbody></table><p><a href=\"/audit\">%s</a></p>", page_t(rq, "dash.all_audit"));
	}
	json_decref(rows);
	buf_adds(b, "</section>");
}

static void recent_incidents(struct request *rq, struct buf *b)
{
	struct incident_filter f;
	struct incident_list l = { NULL, 0 };
	char when[64];
	struct err e;

	memset(&f, 0, sizeof(f));
	f.type = -1;
	f.sort = SORT_UPDATED_DESC;
	f.limit = 10;
	err_clear(&e);
	html_printf(b, "<section class=\"card\"><h2>%s</h2>", page_t(rq, "dash.recent"));
	if (incident_list(rq->st, &rq->actor, &f, &l, &e) != 0) {
		pg_error_box(rq, b, "dash.unavailable", err_msg(&e));
	} else if (l.n == 0) {
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "dash.no_activity"));
	} else {
		buf_adds(b, "<table class=\"activity\"><tbody>");
		for (size_t i = 0; i < l.n; i++) {
			struct buf href = BUF_INIT;
			buf_adds(&href, "/incidents/");
			url_esc(&href, l.items[i].hid);
			html_printf(b, "<tr><td class=\"nowrap\">%s</td><td><a href=\"%s\">%s</a></td>"
				       "<td>%s</td><td>%s</td></tr>",
				    page_time(rq, l.items[i].updated_at, when), href.data, l.items[i].hid,
				    l.items[i].title, incident_state_label(l.items[i].state, rq->lang));
			buf_release(&href);
		}
		buf_adds(b, "</tbody></table>");
	}
	incident_list_release(&l);
	buf_adds(b, "</section>");
}

int page_dashboard(struct request *rq, struct response *rs)
{
	struct incident_filter f;
	struct incident_list l = { NULL, 0 };
	struct buf b = BUF_INIT;
	int rc;

	memset(&f, 0, sizeof(f));
	f.open_only = 1;
	f.type = -1;
	f.limit = 1000;
	rc = incident_list(rq->st, &rq->actor, &f, &l, &rq->err);
	if (rc)
		return rc;
	page_begin(rq, &b, page_t(rq, "nav.dashboard"));
	html_printf(&b, "<div class=\"titlebar\"><h1>%s</h1>", page_t(rq, "nav.dashboard"));
	if (role_may(rq->actor.role, ACT_INCIDENT_CREATE) && !rq->actor.external)
		html_printf(&b, "<a class=\"button\" href=\"/incidents/new\">%s</a>",
			    page_t(rq, "incidents.new"));
	buf_adds(&b, "</div>");
	if (rq->session.must_change_password)
		html_printf(&b, "<p class=\"error\"><a href=\"/account\">%s</a></p>",
			    page_t(rq, "account.must_change"));
	buf_adds(&b, "<div class=\"grid\">");
	counts_by_state(rq, &b, &l);
	counts_by_priority(rq, &b, &l);
	my_tasks(rq, &b);
	new_alerts(rq, &b);
	buf_adds(&b, "</div>");
	pg_clock_dashboard(rq, &b);
	if (role_may(rq->actor.role, ACT_AUDIT_READ) && !rq->actor.external)
		recent_audit(rq, &b);
	else
		recent_incidents(rq, &b);
	page_end(rq, &b);
	incident_list_release(&l);
	return page_send(rs, &b);
}
