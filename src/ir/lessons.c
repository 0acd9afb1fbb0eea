/*
 * lessons.c: lessons learned per incident, the facts computed for them,
 * follow-up actions as tasks, and the check that closing a P1 or P2
 * incident makes. See lessons.h.
 */
#include "ir/lessons.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/incident.h"
#include "ir/metrics.h"
#include "ir/task.h"
#include "ir/timeline.h"
#include "ir/vocab.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "util/utf8.h"

#include <stdio.h>
#include <string.h>

struct question {
	const char *name, *ja, *en;
};

static const struct question questions[] = {
#define X(n, ja, en) { #n, ja, en },
	LESSONS_QUESTIONS(X)
#undef X
};

/* The columns of a lessons row, questions first. */
#define X(n, ja, en) #n ", "
#define LESSONS_COLUMNS LESSONS_QUESTIONS(X) "damage_before_detection, meeting_at, updated_by, updated_at"
static const char select_sql[] = "SELECT " LESSONS_COLUMNS " FROM lessons WHERE incident_id = ?";
#undef X

enum { COL_DAMAGE = LQ__COUNT, COL_MEETING, COL_BY, COL_AT };

const char *lessons_question_name(enum lessons_question q)
{
	return (unsigned)q < LQ__COUNT ? questions[q].name : "";
}

const char *lessons_question_text(enum lessons_question q, const char *lang)
{
	if ((unsigned)q >= LQ__COUNT)
		return "";
	return lang && strcmp(lang, "ja") == 0 ? questions[q].ja : questions[q].en;
}

/* The record of incident_id as JSON ({} parts empty when there is none). */
static int lessons_load(struct store *st, int64_t incident_id, json_t **out, struct err *e)
{
	json_t *o = json_object(), *answers = json_object(), *missing = json_array();
	struct stmt *s;
	int rc, have;

	*out = NULL;
	if ((rc = store_prepare(st, select_sql, &s, e))) {
		json_decref(o);
		json_decref(answers);
		json_decref(missing);
		return rc;
	}
	stmt_bind_int(s, 1, incident_id);
	rc = stmt_step(s, e);
	have = rc == 1;
	for (int q = 0; q < LQ__COUNT; q++) {
		const char *a = have ? stmt_text(s, q) : "";
		json_set_str(answers, questions[q].name, a);
		if (!*a)
			json_array_append_new(missing, json_string(questions[q].name));
	}
	json_object_set_new(o, "answers", answers);
	json_set_str(o, "damage_before_detection", have ? stmt_text(s, COL_DAMAGE) : "");
	json_set_time(o, "meeting_at", have ? stmt_int(s, COL_MEETING) : 0);
	if (have) {
		json_set_str(o, "updated_by", stmt_text(s, COL_BY));
		json_set_time(o, "updated_at", stmt_int(s, COL_AT));
	}
	json_set_bool(o, "complete", json_array_size(missing) == 0);
	json_object_set_new(o, "missing", missing);
	stmt_done(s);
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

static int field_column(const char *name)
{
	for (int q = 0; q < LQ__COUNT; q++)
		if (strcmp(name, questions[q].name) == 0)
			return q;
	if (strcmp(name, "damage_before_detection") == 0)
		return COL_DAMAGE;
	if (strcmp(name, "meeting_at") == 0)
		return COL_MEETING;
	return -1;
}

/* Check every field before anything is written; meeting times into when[]. */
static int check_fields(const struct actor *who, const struct lessons_field *f, size_t n,
			int64_t *when, struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		int col = f[i].name ? field_column(f[i].name) : -1, rc;
		const char *v = f[i].value ? f[i].value : "";

		when[i] = 0;
		if (col < 0)
			return err_set(e, ERR_INVALID, "unknown lessons field '%.40s' (a question, "
				       "damage_before_detection or meeting_at)", f[i].name ? f[i].name : "");
		if (col == COL_MEETING) {
			if (*v && (rc = time_parse(v, who->tz, who->now, &when[i], e)))
				return err_prefix(e, "meeting_at");
		} else if ((rc = utf8_check_text(f[i].name, v, LESSONS_ANSWER_MAX, 1, e))) {
			return rc;
		}
	}
	return 0;
}

/* UPDATE one column; the name comes from questions[] or the fixed columns, never the user. */
static int write_field(struct store *st, int64_t incident_id, const struct lessons_field *f,
		       int64_t when, struct err *e)
{
	struct buf sql = BUF_INIT;
	struct stmt *s;
	int col = field_column(f->name), rc;

	buf_addf(&sql, "UPDATE lessons SET %s = ? WHERE incident_id = ?",
		 col < LQ__COUNT ? questions[col].name
				 : col == COL_DAMAGE ? "damage_before_detection" : "meeting_at");
	rc = store_prepare(st, sql.data, &s, e);
	buf_release(&sql);
	if (rc)
		return rc;
	if (col == COL_MEETING)
		stmt_bind_int_or_null(s, 1, when);
	else
		stmt_bind_text(s, 1, f->value ? f->value : "");
	stmt_bind_int(s, 2, incident_id);
	return stmt_exec(s, e);
}

static int lessons_write(struct store *st, const struct actor *who, int64_t incident_id,
			 const char *hid, const struct lessons_field *f, size_t n,
			 const int64_t *when, struct err *e)
{
	json_t *before = NULL, *after = NULL;
	struct buf note = BUF_INIT;
	struct stmt *s;
	int rc;

	rc = store_prepare(st, "INSERT INTO lessons (incident_id, updated_by, updated_at) "
			       "VALUES (?, ?, ?) ON CONFLICT (incident_id) DO NOTHING", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	stmt_bind_text(s, 2, who->name);
	stmt_bind_int(s, 3, who->now);
	if ((rc = stmt_exec(s, e)) || (rc = lessons_load(st, incident_id, &before, e)))
		return rc;
	for (size_t i = 0; i < n && !rc; i++)
		rc = write_field(st, incident_id, &f[i], when[i], e);
	if (!rc && !(rc = store_prepare(st, "UPDATE lessons SET updated_by = ?, updated_at = ? "
					    "WHERE incident_id = ?", &s, e))) {
		stmt_bind_text(s, 1, who->name);
		stmt_bind_int(s, 2, who->now);
		stmt_bind_int(s, 3, incident_id);
		rc = stmt_exec(s, e);
	}
	if (!rc)
		rc = lessons_load(st, incident_id, &after, e);
	if (!rc) {
		buf_addf(&note, "lessons learned updated: %zu of %d questions answered",
			 (size_t)LQ__COUNT - json_array_size(json_object_get(after, "missing")),
			 LQ__COUNT);
		rc = timeline_append(st, who, incident_id, TLK_DECISION, who->now, note.data, NULL, e);
	}
	if (!rc)
		rc = incident_touch(st, who, incident_id, e);
	if (!rc)
		rc = audit_append(st, who, "lessons.set", "incident", hid, before, after, e);
	buf_release(&note);
	json_decref(before);
	json_decref(after);
	return rc;
}

int lessons_set(struct store *st, const struct actor *who, const char *hid,
		const struct lessons_field *f, size_t n, json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	int64_t incident_id, when[32];
	int rc;

	if (out)
		*out = NULL;
	if (n == 0)
		return err_set(e, ERR_INVALID, "nothing to change: give at least one answer");
	if (n > sizeof(when) / sizeof(when[0]))
		return err_set(e, ERR_INVALID, "too many fields (at most %zu)",
			       sizeof(when) / sizeof(when[0]));
	if ((rc = check_fields(who, f, n, when, e)) ||
	    (rc = incident_resolve(st, who, hid, ACT_LESSONS_EDIT, &incident_id, canon, e)) ||
	    (rc = store_begin(st, e)))
		return rc;
	rc = lessons_write(st, who, incident_id, canon, f, n, when, e);
	if (!rc)
		rc = store_commit(st, e);
	if (rc) {
		store_rollback(st);
		return rc;
	}
	return out ? lessons_get(st, who, canon, out, e) : 0;
}

static json_t *facts(struct store *st, int64_t incident_id, struct err *e)
{
	struct incident_durations d;
	json_t *o = json_object();
	struct stmt *s;

	if (metrics_incident_durations(st, incident_id, &d, e) == 0)
		for (int i = 0; i < MD__COUNT; i++)
			json_object_set_new(o, metric_duration_name((enum metric_duration)i),
					    d.d[i] >= 0 ? json_integer(d.d[i]) : json_null());
	if (store_prepare(st, "SELECT count(*), count(done_at) FROM tasks WHERE incident_id = ?",
			  &s, e) == 0) {
		stmt_bind_int(s, 1, incident_id);
		if (stmt_step(s, e) == 1) {
			json_set_int(o, "tasks_total", stmt_int(s, 0));
			json_set_int(o, "tasks_done", stmt_int(s, 1));
		}
		stmt_done(s);
	}
	return o;
}

/* The follow-up actions: the incident's tasks listed in lesson_actions. */
static json_t *actions(struct store *st, const struct actor *who, int64_t incident_id,
		       const char *hid, struct err *e)
{
	struct task_filter tf = { .hid = hid, .limit = 10000 };
	json_t *tasks = NULL, *out = json_array(), *t;
	struct stmt *s;
	size_t i;

	if (task_list(st, who, &tf, &tasks, e) != 0 ||
	    store_prepare(st, "SELECT task_id FROM lesson_actions WHERE incident_id = ?", &s, e) != 0) {
		json_decref(tasks);
		return out;
	}
	stmt_bind_int(s, 1, incident_id);
	while (stmt_step(s, e) == 1) {
		json_array_foreach(tasks, i, t)
			if (json_integer_value(json_object_get(t, "id")) == stmt_int(s, 0))
				json_array_append(out, t);
	}
	stmt_done(s);
	json_decref(tasks);
	return out;
}

int lessons_get(struct store *st, const struct actor *who, const char *hid, json_t **out,
		struct err *e)
{
	struct incident inc;
	json_t *o = NULL;
	int rc;

	*out = NULL;
	if ((rc = incident_get(st, who, hid, &inc, e)))
		return rc;
	rc = lessons_load(st, inc.id, &o, e);
	if (!rc) {
		json_set_str(o, "incident", inc.hid);
		json_set_str(o, "priority", inc.priority ? vocab_name(&vocab_priority, inc.priority - 1)
							 : "");
		json_set_bool(o, "required", inc.priority == 1 || inc.priority == 2);
		json_object_set_new(o, "facts", facts(st, inc.id, e));
		json_object_set_new(o, "actions", actions(st, who, inc.id, inc.hid, e));
		*out = o;
	}
	incident_release(&inc);
	return rc;
}

int lessons_action_add(struct store *st, const struct actor *who, const char *hid,
		       const struct task_new *t, json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct task_new tn = *t;
	json_t *task = NULL;
	struct stmt *s;
	int64_t incident_id;
	int rc;

	if (out)
		*out = NULL;
	tn.phase = "post_incident";
	if ((rc = incident_resolve(st, who, hid, ACT_LESSONS_EDIT, &incident_id, canon, e)) ||
	    (rc = store_begin(st, e)))
		return rc;
	rc = task_add(st, who, canon, &tn, &task, e);
	if (!rc && !(rc = store_prepare(st, "INSERT INTO lesson_actions (task_id, incident_id) "
					    "VALUES (?, ?)", &s, e))) {
		stmt_bind_int(s, 1, json_integer_value(json_object_get(task, "id")));
		stmt_bind_int(s, 2, incident_id);
		rc = stmt_exec(s, e);
	}
	if (!rc)
		rc = audit_append(st, who, "lessons.action", "incident", canon, NULL, task, e);
	if (!rc)
		rc = store_commit(st, e);
	if (rc) {
		store_rollback(st);
		json_decref(task);
		return rc;
	}
	if (out)
		*out = task;
	else
		json_decref(task);
	return 0;
}

int lessons_close_check(struct store *st, int64_t incident_id, const char *hid, int priority,
			struct err *e)
{
	json_t *l = NULL, *v;
	struct buf names = BUF_INIT;
	size_t i;
	int rc;

	if (priority != 1 && priority != 2)
		return 0;
	if ((rc = lessons_load(st, incident_id, &l, e)))
		return rc;
	json_array_foreach(json_object_get(l, "missing"), i, v)
		buf_addf(&names, "%s%s", i ? ", " : "", json_string_value(v));
	if (names.len)
		rc = err_set(e, ERR_INVALID, "closing %s (P%d) needs its lessons learned: %s %s "
			     "unanswered (irdesk lessons set %s, or the lessons page)", hid, priority,
			     names.data, json_array_size(json_object_get(l, "missing")) == 1 ? "is"
											    : "are", hid);
	buf_release(&names);
	json_decref(l);
	return rc;
}
