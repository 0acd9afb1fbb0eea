/*
 * task.c: incident tasks per lifecycle phase.
 */
#include "ir/task.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/incident.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "util/utf8.h"

#include <stdio.h>
#include <string.h>

#define TASK_COLUMNS                                                                         \
	"t.id, i.hid, t.title, t.phase, u.username, t.due_at, t.done_at, t.done_by, "      \
	"t.created_at, t.created_by, t.incident_id, t.step, t.sheet "                      \
	"FROM tasks t JOIN incidents i ON i.id = t.incident_id "                           \
	"LEFT JOIN users u ON u.id = t.assignee_id "

static json_t *task_from_row(struct stmt *s)
{
	json_t *o = json_object();

	json_set_int(o, "id", stmt_int(s, 0));
	json_set_str(o, "incident", stmt_text(s, 1));
	json_set_str(o, "title", stmt_text(s, 2));
	json_set_str(o, "phase", stmt_text(s, 3));
	json_set_str_nonempty(o, "assignee", stmt_text(s, 4));
	json_set_time(o, "due_at", stmt_int(s, 5));
	json_set_time(o, "done_at", stmt_int(s, 6));
	json_set_str_nonempty(o, "done_by", stmt_text(s, 7));
	json_set_bool(o, "done", stmt_int(s, 6) != 0);
	json_set_time(o, "created_at", stmt_int(s, 8));
	json_set_str(o, "created_by", stmt_text(s, 9));
	json_set_str_nonempty(o, "step", stmt_text(s, 11));
	json_set_str_nonempty(o, "sheet", stmt_text(s, 12));
	return o;
}

/* Load task id as JSON and its incident's internal id. */
static int task_load(struct store *st, int64_t id, json_t **out, int64_t *incident_id,
		     char hid[INCIDENT_HID_MAX], struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT " TASK_COLUMNS "WHERE t.id = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	rc = stmt_step(s, e);
	if (rc == 1) {
		*out = task_from_row(s);
		*incident_id = stmt_int(s, 10);
		snprintf(hid, INCIDENT_HID_MAX, "%s", stmt_text(s, 1));
		rc = 0;
	} else if (rc == 0) {
		rc = err_set(e, ERR_NOTFOUND, "task %lld not found", (long long)id);
	}
	stmt_done(s);
	return rc;
}

static int assignee_id(struct store *st, const char *username, int64_t *id, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT id, disabled FROM users WHERE username = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_text(s, 1, username);
	rc = stmt_step(s, e);
	if (rc == 1) {
		*id = stmt_int(s, 0);
		rc = stmt_int(s, 1) ? err_set(e, ERR_INVALID, "assignee: user '%.64s' is disabled",
					      username) : 0;
	} else if (rc == 0) {
		rc = err_set(e, ERR_INVALID, "assignee: no user '%.64s'", username);
	}
	stmt_done(s);
	return rc;
}

int task_add(struct store *st, const struct actor *who, const char *hid,
	     const struct task_new *t, json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct incident inc;
	enum incident_state phase;
	struct stmt *s;
	int64_t incident_id, task_id = 0, due = 0, uid = 0;
	int rc;

	if (out)
		*out = NULL;
	if (!t->title || !*t->title)
		return err_set(e, ERR_INVALID, "title: required");
	rc = utf8_check_text("title", t->title, TASK_TITLE_MAX, 0, e);
	if (rc)
		return rc;
	if (t->due && *t->due && (rc = time_parse(t->due, who->tz, who->now, &due, e)))
		return err_prefix(e, "due");
	rc = incident_resolve(st, who, hid, ACT_TASK_EDIT, &incident_id, canon, e);
	if (rc)
		return rc;
	rc = incident_get(st, who, canon, &inc, e);
	if (rc)
		return rc;
	phase = inc.state;
	incident_release(&inc);
	if (t->phase && *t->phase && (rc = incident_state_parse(t->phase, &phase, e)))
		return err_prefix(e, "phase");
	if (phase == ST_NEW || incident_state_terminal(phase))
		return err_set(e, ERR_INVALID, "phase: tasks belong to triage .. post_incident, not %s%s",
			       incident_state_name(phase),
			       t->phase && *t->phase ? "" : " (give a phase, or move the incident first)");
	if (t->assignee && *t->assignee && (rc = assignee_id(st, t->assignee, &uid, e)))
		return rc;

	rc = store_begin(st, e);
	if (rc)
		return rc;
	rc = store_prepare(st, "INSERT INTO tasks (incident_id, title, phase, assignee_id, due_at, "
			       "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
			   &s, e);
	if (rc)
		goto rollback;
	stmt_bind_int(s, 1, incident_id);
	stmt_bind_text(s, 2, t->title);
	stmt_bind_text(s, 3, incident_state_name(phase));
	stmt_bind_int_or_null(s, 4, uid);
	stmt_bind_int_or_null(s, 5, due);
	stmt_bind_int(s, 6, who->now);
	stmt_bind_text(s, 7, who->name);
	rc = stmt_int_result(s, &task_id, e);
	if (!rc)
		rc = incident_touch(st, who, incident_id, e);
	if (rc)
		goto rollback;
	{
		json_t *task = NULL;
		int64_t iid;
		rc = task_load(st, task_id, &task, &iid, canon, e);
		if (!rc)
			rc = audit_append(st, who, "task.add", "incident", canon, NULL, task, e);
		if (!rc)
			rc = store_commit(st, e);
		if (rc) {
			json_decref(task);
			goto rollback;
		}
		if (out)
			*out = task;
		else
			json_decref(task);
	}
	return 0;
rollback:
	store_rollback(st);
	return rc;
}

int task_set_done(struct store *st, const struct actor *who, int64_t id, int done,
		  json_t **out, struct err *e)
{
	char hid[INCIDENT_HID_MAX];
	json_t *before = NULL, *after = NULL;
	struct stmt *s;
	int64_t incident_id, ignore;
	int rc;

	if (out)
		*out = NULL;
	rc = task_load(st, id, &before, &incident_id, hid, e);
	if (rc)
		return rc;
	rc = authz_incident(st, who, ACT_TASK_EDIT, incident_id, hid, e);
	if (rc) {
		/* A task of an incident the actor may not see does not exist for it. */
		if (rc == ERR_NOTFOUND)
			err_set(e, ERR_NOTFOUND, "task %lld not found", (long long)id);
		json_decref(before);
		return rc;
	}
	if (json_is_true(json_object_get(before, "done")) == !!done) {
		rc = err_set(e, ERR_CONFLICT, "task %lld is already %s", (long long)id,
			     done ? "done" : "open");
		json_decref(before);
		return rc;
	}
	rc = store_begin(st, e);
	if (rc) {
		json_decref(before);
		return rc;
	}
	rc = store_prepare(st, "UPDATE tasks SET done_at = ?, done_by = ? WHERE id = ?", &s, e);
	if (rc)
		goto rollback;
	stmt_bind_int_or_null(s, 1, done ? who->now : 0);
	stmt_bind_text(s, 2, done ? who->name : NULL);
	stmt_bind_int(s, 3, id);
	rc = stmt_exec(s, e);
	if (!rc)
		rc = incident_touch(st, who, incident_id, e);
	if (!rc)
		rc = task_load(st, id, &after, &ignore, hid, e);
	if (!rc)
		rc = audit_append(st, who, done ? "task.done" : "task.reopen", "incident", hid,
				  before, after, e);
	if (!rc)
		rc = store_commit(st, e);
	if (rc)
		goto rollback;
	json_decref(before);
	if (out)
		*out = after;
	else
		json_decref(after);
	return 0;
rollback:
	store_rollback(st);
	json_decref(before);
	json_decref(after);
	return rc;
}

int task_list(struct store *st, const struct actor *who, const struct task_filter *f,
	      json_t **out, struct err *e)
{
	struct buf sql = BUF_INIT;
	struct stmt *s;
	char canon[INCIDENT_HID_MAX];
	int64_t incident_id = 0;
	int rc, i = 1, limit = f->limit ? f->limit : 200;

	*out = NULL;
	if (limit < 0 || limit > 10000)
		return err_set(e, ERR_INVALID, "limit: between 1 and 10000");
	if (f->hid) {
		rc = incident_resolve(st, who, f->hid, ACT_INCIDENT_READ, &incident_id, canon, e);
		if (rc)
			return rc;
	} else if ((rc = authz_check(who, ACT_INCIDENT_READ, e))) {
		return rc;
	}
	buf_adds(&sql, "SELECT " TASK_COLUMNS "WHERE 1 = 1");
	if (incident_id)
		buf_adds(&sql, " AND t.incident_id = ?");
	if (f->assignee)
		buf_adds(&sql, " AND u.username = ?");
	if (f->open_only)
		buf_adds(&sql, " AND t.done_at IS NULL");
	if (who->external)
		buf_adds(&sql, " AND t.incident_id IN (SELECT incident_id FROM incident_members "
			       "WHERE user_id = ?)");
	buf_adds(&sql, " ORDER BY t.done_at IS NOT NULL, t.due_at IS NULL, t.due_at, t.id LIMIT ?");
	rc = store_prepare(st, sql.data, &s, e);
	buf_release(&sql);
	if (rc)
		return rc;
	if (incident_id)
		stmt_bind_int(s, i++, incident_id);
	if (f->assignee)
		stmt_bind_text(s, i++, f->assignee);
	if (who->external)
		stmt_bind_int(s, i++, who->user_id);
	stmt_bind_int(s, i++, limit);
	*out = json_array();
	while ((rc = stmt_step(s, e)) == 1)
		json_array_append_new(*out, task_from_row(s));
	stmt_done(s);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}
