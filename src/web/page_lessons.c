/*
 * page_lessons.c: the lessons-learned page of an incident
 * (/incidents/{id}/lessons): the NIST questions as a form, the facts taken
 * from the record, follow-up actions (tasks with owners), and the card on
 * the incident page that says whether closing still needs it.
 */
#include "ir/incident.h"
#include "ir/lessons.h"
#include "ir/metrics.h"
#include "ir/task.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/req.h"

#include <stdio.h>
#include <string.h>

static void lessons_path(struct buf *b, const char *hid, const char *suffix)
{
	buf_adds(b, "/incidents/");
	url_esc(b, hid);
	buf_adds(b, "/lessons");
	if (suffix)
		buf_adds(b, suffix);
}

void pg_lessons_card(struct request *rq, struct buf *b, const char *hid)
{
	json_t *l = NULL;
	struct buf href = BUF_INIT;
	struct err e;
	size_t missing;

	err_clear(&e);
	if (lessons_get(rq->st, &rq->actor, hid, &l, &e) != 0)
		return;
	missing = json_array_size(json_object_get(l, "missing"));
	lessons_path(&href, hid, NULL);
	html_printf(b, "<section class=\"card\" id=\"lessons\"><h2>%s</h2><p>", page_t(rq, "lessons.title"));
	if (missing == 0)
		html_printf(b, "%s", page_t(rq, "lessons.complete"));
	else
		html_printf(b, "%s: %d / %d", page_t(rq, "lessons.answered"), (int)(LQ__COUNT - missing),
			    LQ__COUNT);
	if (missing && json_is_true(json_object_get(l, "required")))
		html_printf(b, " <strong>%s</strong>", page_t(rq, "lessons.required"));
	html_printf(b, "</p><p><a href=\"%s\">%s</a></p></section>", href.data,
		    page_t(rq, "lessons.open"));
	buf_release(&href);
	json_decref(l);
}

static void facts_table(struct request *rq, struct buf *b, json_t *facts)
{
	html_printf(b, "<table class=\"facts\" id=\"lessons-facts\"><tbody>");
	for (int d = 0; d < MD__COUNT; d++) {
		json_t *v = json_object_get(facts, metric_duration_name((enum metric_duration)d));
		char t[TIME_STR_MAX] = "–";

		if (json_is_integer(v))
			time_format_duration(json_integer_value(v), t);
		html_printf(b, "<tr data-key=\"%s\"><th>%s</th><td>%s</td></tr>",
			    metric_duration_name((enum metric_duration)d),
			    metric_duration_label((enum metric_duration)d, rq->lang), t);
	}
	html_printf(b, "<tr data-key=\"tasks\"><th>%s</th><td>%lld / %lld</td></tr></tbody></table>",
		    page_t(rq, "lessons.tasks_done"),
		    (long long)json_integer_value(json_object_get(facts, "tasks_done")),
		    (long long)json_integer_value(json_object_get(facts, "tasks_total")));
}

/* A field's value: what was just posted (when refused), else what is stored. */
static const char *kept(struct request *rq, json_t *l, const char *name)
{
	const char *stored = json_str(json_object_get(l, "answers"), name);

	if (!stored)
		stored = json_str(l, name);
	return pg_keep(rq, "lessons", name, stored ? stored : "");
}

static void answers_form(struct request *rq, struct buf *b, json_t *l, const char *hid, int edit)
{
	struct buf act = BUF_INIT;
	char meeting[64];

	lessons_path(&act, hid, NULL);
	html_printf(b, "<form class=\"stack\" method=\"post\" action=\"%s\">", act.data);
	page_csrf_field(rq, b);
	buf_adds(b, "<input type=\"hidden\" name=\"_form\" value=\"lessons\">");
	for (int q = 0; q < LQ__COUNT; q++) {
		const char *name = lessons_question_name((enum lessons_question)q);
		html_printf(b, "<label for=\"l-%s\">%d. %s</label><textarea id=\"l-%s\" name=\"%s\" "
			       "rows=\"3\" maxlength=\"10000\"%s>%s</textarea>",
			    name, q + 1, lessons_question_text((enum lessons_question)q, rq->lang), name,
			    name, edit ? "" : " readonly", kept(rq, l, name));
	}
	html_printf(b, "<label for=\"l-damage\">%s</label><textarea id=\"l-damage\" "
		       "name=\"damage_before_detection\" rows=\"2\" maxlength=\"10000\"%s>%s</textarea>",
		    page_t(rq, "lessons.damage"), edit ? "" : " readonly",
		    kept(rq, l, "damage_before_detection"));
	html_printf(b, "<label for=\"l-meeting\">%s</label><input type=\"text\" id=\"l-meeting\" "
		       "name=\"meeting_at\" value=\"%s\" placeholder=\"%s\"%s>",
		    page_t(rq, "lessons.meeting_at"),
		    pg_keep(rq, "lessons", "meeting_at", pg_input_time(rq, pg_json_time(l, "meeting_at"),
								       meeting)),
		    page_t(rq, "time.placeholder"), edit ? "" : " readonly");
	if (edit)
		html_printf(b, "<p><button type=\"submit\">%s</button></p>", page_t(rq, "lessons.save"));
	buf_adds(b, "</form>");
	buf_release(&act);
}

static void actions_section(struct request *rq, struct buf *b, json_t *l, const char *hid, int edit)
{
	struct buf act = BUF_INIT;
	size_t i;
	json_t *t;

	html_printf(b, "<section class=\"card\"><h2>%s</h2>", page_t(rq, "lessons.actions"));
	if (json_array_size(json_object_get(l, "actions")) == 0)
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "lessons.no_actions"));
	else
		buf_adds(b, "<ul class=\"tasks\" id=\"lessons-actions\">");
	json_array_foreach(json_object_get(l, "actions"), i, t)
		html_printf(b, "<li class=\"%s\">%s <span class=\"muted small\">%s</span></li>",
			    json_is_true(json_object_get(t, "done")) ? "done" : "open", json_str(t, "title"),
			    json_str(t, "assignee") ? json_str(t, "assignee") : page_t(rq, "tasks.nobody"));
	if (json_array_size(json_object_get(l, "actions")))
		buf_adds(b, "</ul>");
	if (edit) {
		lessons_path(&act, hid, "/actions");
		html_printf(b, "<form class=\"stack\" method=\"post\" action=\"%s\">", act.data);
		page_csrf_field(rq, b);
		html_printf(b, "<input type=\"hidden\" name=\"_form\" value=\"action\"><label for=\"a-title\">"
			       "%s</label><input type=\"text\" id=\"a-title\" name=\"title\" maxlength=\"300\" "
			       "required value=\"%s\"><label for=\"a-assignee\">%s</label><input type=\"text\" "
			       "id=\"a-assignee\" name=\"assignee\" value=\"%s\"><label for=\"a-due\">%s</label>"
			       "<input type=\"text\" id=\"a-due\" name=\"due\" value=\"%s\" placeholder=\"%s\">"
			       "<p><button type=\"submit\">%s</button></p></form>",
			    page_t(rq, "tasks.task_title"), pg_keep(rq, "action", "title", ""),
			    page_t(rq, "tasks.assignee"), pg_keep(rq, "action", "assignee", ""),
			    page_t(rq, "tasks.due"), pg_keep(rq, "action", "due", ""),
			    page_t(rq, "time.placeholder"), page_t(rq, "lessons.add_action"));
	}
	buf_adds(b, "</section>");
	buf_release(&act);
}

static int render(struct request *rq, struct response *rs, unsigned status, const char *msg)
{
	struct buf b = BUF_INIT, back = BUF_INIT;
	char saved[ERR_MSG_MAX], title[96];
	const char *hid;
	json_t *l = NULL;
	int rc, edit = role_may(rq->actor.role, ACT_LESSONS_EDIT) && !rq->actor.external;

	if (msg) {
		snprintf(saved, sizeof(saved), "%s", msg);
		msg = saved;
	}
	if ((rc = lessons_get(rq->st, &rq->actor, req_param(rq, 0), &l, &rq->err)))
		return rc;
	hid = json_str(l, "incident");
	snprintf(title, sizeof(title), "%s %s", hid, page_t(rq, "lessons.title"));
	page_begin(rq, &b, title);
	buf_adds(&back, "/incidents/");
	url_esc(&back, hid);
	html_printf(&b, "<div class=\"titlebar\"><h1><a href=\"%s\">%s</a> · %s</h1></div>", back.data,
		    hid, page_t(rq, "lessons.title"));
	if (msg)
		pg_error_box(rq, &b, "msg.not_saved", msg);
	pg_done_notice(rq, &b);
	if (json_is_true(json_object_get(l, "required")))
		html_printf(&b, "<p class=\"notice\">%s</p>", page_t(rq, "lessons.required_help"));
	buf_adds(&b, "<div class=\"cols\"><div class=\"col-main\"><section class=\"card\">");
	answers_form(rq, &b, l, hid, edit);
	buf_adds(&b, "</section>");
	actions_section(rq, &b, l, hid, edit);
	html_printf(&b, "</div><div class=\"col-side\"><section class=\"card\"><h2>%s</h2>",
		    page_t(rq, "lessons.facts"));
	facts_table(rq, &b, json_object_get(l, "facts"));
	buf_adds(&b, "</section></div></div>");
	page_end(rq, &b);
	buf_release(&back);
	json_decref(l);
	rc = page_send(rs, &b);
	if (!rc && status)
		rs->status = status;
	return rc;
}

int page_lessons(struct request *rq, struct response *rs)
{
	return render(rq, rs, 200, NULL);
}

static int finish(struct request *rq, struct response *rs, int rc, const char *done)
{
	return pg_after_change(rq, rs, rc, "/lessons", done, render);
}

int page_lessons_save(struct request *rq, struct response *rs)
{
	struct lessons_field f[LQ__COUNT + 2];
	size_t n = 0;
	json_t *out = NULL;
	int rc;

	for (int q = 0; q < LQ__COUNT; q++) {
		const char *name = lessons_question_name((enum lessons_question)q);
		const char *v = req_form(rq, name);
		if (v)
			f[n++] = (struct lessons_field){ name, v };
	}
	if (req_form(rq, "damage_before_detection"))
		f[n++] = (struct lessons_field){ "damage_before_detection",
						 req_form(rq, "damage_before_detection") };
	if (req_form(rq, "meeting_at"))
		f[n++] = (struct lessons_field){ "meeting_at", req_form(rq, "meeting_at") };
	rc = lessons_set(rq->st, &rq->actor, req_param(rq, 0), f, n, &out, &rq->err);
	json_decref(out);
	return finish(rq, rs, rc, "saved");
}

int page_lessons_action(struct request *rq, struct response *rs)
{
	struct task_new t = { 0 };
	const char *as = req_form(rq, "assignee"), *due = req_form(rq, "due");
	json_t *out = NULL;
	int rc;

	t.title = req_form(rq, "title");
	if (!t.title)
		t.title = "";
	t.assignee = as && *as ? as : NULL;
	t.due = due && *due ? due : NULL;
	rc = lessons_action_add(rq->st, &rq->actor, req_param(rq, 0), &t, &out, &rq->err);
	json_decref(out);
	return finish(rq, rs, rc, "task_added");
}
