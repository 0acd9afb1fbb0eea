/*
 * test_task.c: unit tests for ir/timeline and ir/task on a real SQLite
 * store: timeline kinds, times and ordering, text limits; tasks per phase,
 * assignees, due times, completing and reopening, listing, what external
 * accounts see, and the audit row each change writes (and that refusals
 * write nothing).
 */
#include "unit_ir.h"

#include <jansson.h>

#include "ir/actor.h"
#include "ir/incident.h"
#include "ir/task.h"
#include "ir/timeline.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/err.h"
#include "util/time.h"

#define NOW INT64_C(1795737600) /* 2026-11-27T00:00:00Z = 09:00 JST */

static struct tz *tokyo;



struct fx {
	struct store *st;
	struct actor admin;  /* the local operator */
	struct actor bob;    /* commander */
	struct actor carol;  /* incident_handler */
	struct actor vic;    /* viewer */
	struct actor lea;    /* legal_advisor: timeline but no tasks */
	struct actor vendor; /* external forensic_engineer */
};


static int group_setup(void **state)
{
	static const struct unit_account acc[] = {
		{ "bob", ROLE_COMMANDER, 0, 0 },
		{ "carol", ROLE_INCIDENT_HANDLER, 0, 0 },
		{ "vic", ROLE_VIEWER, 0, 0 },
		{ "lea", ROLE_LEGAL_ADVISOR, 0, 0 },
		{ "vendor", ROLE_FORENSIC_ENGINEER, 1, 0 },
		{ "dora", ROLE_INCIDENT_HANDLER, 0, 1 }, /* disabled */
	};

	(void)state;
	return unit_template("template", NOW - 86400, &tokyo, acc, sizeof(acc) / sizeof(acc[0]));
}

static int group_teardown(void **state)
{
	(void)state;
	unit_template_done(tokyo);
	return 0;
}

static void as_user(struct fx *f, const char *name, struct actor *a)
{
	unit_as(f->st, tokyo, name, NOW, a);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->st = unit_fx_open("template");
	actor_local(&f->admin, tokyo);
	f->admin.now = NOW;
	as_user(f, "bob", &f->bob);
	as_user(f, "carol", &f->carol);
	as_user(f, "vic", &f->vic);
	as_user(f, "lea", &f->lea);
	as_user(f, "vendor", &f->vendor);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	free(f);
	return 0;
}

static int64_t count(struct store *st, const char *sql)
{
	return unit_count(st, sql, NULL);
}

struct snap {
	int64_t audit, timeline, tasks, done;
};

static void snap_take(struct fx *f, struct snap *s)
{
	s->audit = count(f->st, "SELECT COUNT(*) FROM audit_log");
	s->timeline = count(f->st, "SELECT COUNT(*) FROM timeline");
	s->tasks = count(f->st, "SELECT COUNT(*) FROM tasks");
	s->done = count(f->st, "SELECT COUNT(*) FROM tasks WHERE done_at IS NOT NULL");
}

#define UNCHANGED(f, before) unchanged((f), (before), __LINE__)
static void unchanged(struct fx *f, const struct snap *before, int line)
{
	struct snap now;

	snap_take(f, &now);
	if (memcmp(&now, before, sizeof(now)) != 0)
		print_error("line %d: a refused change wrote something (audit %lld->%lld, "
			    "timeline %lld->%lld, tasks %lld->%lld, done %lld->%lld)\n", line,
			    (long long)before->audit, (long long)now.audit,
			    (long long)before->timeline, (long long)now.timeline,
			    (long long)before->tasks, (long long)now.tasks,
			    (long long)before->done, (long long)now.done);
	assert_memory_equal(&now, before, sizeof(now));
}

/* The newest audit row: action, object id and after (JSON text). */
static void last_audit(struct fx *f, char action[64], char object[64], char *after, size_t n)
{
	struct stmt *s;

	assert_int_equal(store_prepare(f->st, "SELECT action, object_id, COALESCE(after, '') "
					      "FROM audit_log ORDER BY seq DESC LIMIT 1", &s, NULL), 0);
	assert_int_equal(stmt_step(s, NULL), 1);
	snprintf(action, 64, "%s", stmt_text(s, 0));
	snprintf(object, 64, "%s", stmt_text(s, 1));
	snprintf(after, n, "%s", stmt_text(s, 2));
	stmt_done(s);
}

static void create(struct fx *f, const char *title, char hid[INCIDENT_HID_MAX])
{
	struct incident_field fv[] = { { "title", title }, { "owner", "carol" } };
	struct incident inc;

	CHECK(incident_create(f->st, &f->admin, fv, 2, &inc, &e), 0);
	snprintf(hid, INCIDENT_HID_MAX, "%s", inc.hid);
	incident_release(&inc);
}

static void move_to(struct fx *f, const char *hid, enum incident_state to, const char *reject)
{
	struct incident_move m = { NULL, reject, NULL, 0 };
	struct incident inc;

	CHECK(incident_move(f->st, &f->admin, hid, to, &m, &inc, &e), 0);
	incident_release(&inc);
}

static int64_t version_of(struct fx *f, const char *hid)
{
	struct incident inc;
	int64_t v;

	CHECK(incident_get(f->st, &f->admin, hid, &inc, &e), 0);
	v = inc.version;
	incident_release(&inc);
	return v;
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Timeline */

static int note(struct fx *f, const struct actor *who, const char *hid, const char *kind,
		const char *at, const char *text, json_t **out)
{
	err_clear(&e);
	if (out)
		*out = NULL;
	return timeline_add(f->st, who, hid, kind, at, text, out, &e);
}

static void test_timeline_kinds(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *kind, *want;
	} ok[] = {
		{ NULL, "observation" }, { "", "observation" }, { "note", "observation" },
		{ "OBSERVATION", "observation" }, { "action", "action" }, { "decision", "decision" },
		{ "communication", "communication" }, { "evidence", "evidence" },
	};
	char hid[INCIDENT_HID_MAX], action[64], object[64], after[4096];
	struct snap s;
	json_t *j;

	create(f, "Kinds", hid);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t v = version_of(f, hid);
		snap_take(f, &s);
		CHECK(note(f, &f->carol, hid, ok[i].kind, NULL, "something happened", &j), 0);
		assert_string_equal(str(j, "kind"), ok[i].want);
		assert_string_equal(str(j, "incident"), hid);
		assert_string_equal(str(j, "author"), "carol");
		assert_string_equal(str(j, "text"), "something happened");
		json_decref(j);
		/* One entry, one audit row, and the incident changed. */
		assert_int_equal(count(f->st, "SELECT COUNT(*) FROM timeline"), s.timeline + 1);
		assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log"), s.audit + 1);
		assert_int_equal(version_of(f, hid), v + 1);
		last_audit(f, action, object, after, sizeof(after));
		assert_string_equal(action, "timeline.add");
		assert_string_equal(object, hid);
		assert_non_null(strstr(after, "something happened"));
		assert_non_null(strstr(after, ok[i].want));
	}
	/* state_change belongs to the lifecycle; unknown kinds name the valid ones. */
	snap_take(f, &s);
	CHECK(note(f, &f->carol, hid, "state_change", NULL, "closed it myself", NULL), ERR_INVALID);
	MSG_HAS("state_change");
	CHECK(note(f, &f->carol, hid, "STATE_CHANGE", NULL, "closed it myself", NULL), ERR_INVALID);
	CHECK(note(f, &f->carol, hid, "gossip", NULL, "heard a rumour", NULL), ERR_INVALID);
	MSG_HAS("communication");
	UNCHANGED(f, &s);
}

static void test_timeline_times(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX];
	struct snap s;
	json_t *j, *list;

	create(f, "Times", hid);
	CHECK(note(f, &f->carol, hid, NULL, "2026-11-26 09:30 JST", "mail received", &j), 0);
	assert_string_equal(str(j, "occurred_at"), "2026-11-26T00:30:00Z");
	assert_string_equal(str(j, "created_at"), "2026-11-27T00:00:00Z");
	json_decref(j);
	CHECK(note(f, &f->carol, hid, NULL, NULL, "now", &j), 0);
	assert_string_equal(str(j, "occurred_at"), "2026-11-27T00:00:00Z");
	json_decref(j);
	/* Up to five minutes ahead is clock skew; more is the future. */
	CHECK(note(f, &f->carol, hid, NULL, "now+4m", "skewed clock", &j), 0);
	assert_string_equal(str(j, "occurred_at"), "2026-11-27T00:04:00Z");
	json_decref(j);
	snap_take(f, &s);
	CHECK(note(f, &f->carol, hid, NULL, "now+1h", "from the future", NULL), ERR_INVALID);
	MSG_HAS("future");
	CHECK(note(f, &f->carol, hid, NULL, "2026-11-28", "tomorrow", NULL), ERR_INVALID);
	CHECK(note(f, &f->carol, hid, NULL, "26/11/2026 09:30", "bad date", NULL), ERR_PARSE);
	MSG_HAS("occurred_at");
	CHECK(note(f, &f->carol, hid, NULL, "2026-11-26 25:00", "bad hour", NULL), ERR_PARSE);
	UNCHANGED(f, &s);

	/* Listed by when it happened, not by when it was written down. */
	create(f, "Order", hid);
	CHECK(note(f, &f->carol, hid, NULL, "2026-11-26 10:00 JST", "third", NULL), 0);
	CHECK(note(f, &f->carol, hid, NULL, "2026-11-26 08:00 JST", "first", NULL), 0);
	CHECK(note(f, &f->carol, hid, NULL, "2026-11-26 09:00 JST", "second", NULL), 0);
	CHECK(note(f, &f->carol, hid, NULL, "2026-11-26 00:00Z", "second, same time", NULL), 0);
	CHECK(note(f, &f->carol, hid, NULL, "2026-11-26 09:00 JST", "second, same time again", NULL), 0);
	CHECK(timeline_list(f->st, &f->admin, hid, &list, &e), 0);
	assert_int_equal(json_array_size(list), 5);
	assert_string_equal(str(json_array_get(list, 0), "text"), "first");
	assert_string_equal(str(json_array_get(list, 1), "text"), "second");
	assert_string_equal(str(json_array_get(list, 2), "text"), "second, same time");
	assert_string_equal(str(json_array_get(list, 3), "text"), "second, same time again");
	assert_string_equal(str(json_array_get(list, 4), "text"), "third");
	json_decref(list);
	/* Lifecycle entries are interleaved by time. */
	f->admin.now = NOW + 60;
	move_to(f, hid, ST_TRIAGE, NULL);
	CHECK(timeline_list(f->st, &f->admin, hid, &list, &e), 0);
	assert_int_equal(json_array_size(list), 6);
	assert_string_equal(str(json_array_get(list, 5), "kind"), "state_change");
	json_decref(list);
}

static void test_timeline_text(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX];
	char *big = malloc(20002);
	struct snap s;
	json_t *j;

	assert_non_null(big);
	create(f, "Text", hid);
	memset(big, 'x', 20000);
	big[20000] = '\0';
	CHECK(note(f, &f->carol, hid, NULL, NULL, big, &j), 0);
	assert_int_equal(strlen(str(j, "text")), 20000);
	json_decref(j);
	CHECK(note(f, &f->carol, hid, "evidence", NULL, "ハッシュ値:\n\tsha256 abc…\r\n", &j), 0);
	assert_string_equal(str(j, "text"), "ハッシュ値:\n\tsha256 abc…\r\n");
	json_decref(j);

	snap_take(f, &s);
	big[20000] = 'x';
	big[20001] = '\0';
	CHECK(note(f, &f->carol, hid, NULL, NULL, big, NULL), ERR_TOOLONG);
	MSG_HAS("text");
	CHECK(note(f, &f->carol, hid, NULL, NULL, "", NULL), ERR_INVALID);
	CHECK(note(f, &f->carol, hid, NULL, NULL, NULL, NULL), ERR_INVALID);
	CHECK(note(f, &f->carol, hid, NULL, NULL, "bell\x07", NULL), ERR_INVALID);
	CHECK(note(f, &f->carol, hid, NULL, NULL, "bad \xc3\x28 byte", NULL), ERR_INVALID);
	CHECK(note(f, &f->carol, hid, NULL, NULL, "c1 \xc2\x85 control", NULL), ERR_INVALID);
	UNCHANGED(f, &s);
	free(big);
}

static void test_timeline_who(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX], other[INCIDENT_HID_MAX];
	struct snap s;
	json_t *list;

	create(f, "Who writes", hid);
	create(f, "Not for vendors", other);
	snap_take(f, &s);
	CHECK(note(f, &f->vic, hid, NULL, NULL, "viewer note", NULL), ERR_DENIED);
	CHECK(note(f, &f->carol, "IR-2026-0999", NULL, NULL, "no such incident", NULL), ERR_NOTFOUND);
	CHECK(note(f, &f->carol, "nonsense", NULL, NULL, "no such incident", NULL), ERR_NOTFOUND);
	/* An external account that is not a member: the incident does not exist for it. */
	CHECK(note(f, &f->vendor, hid, NULL, NULL, "vendor note", NULL), ERR_NOTFOUND);
	UNCHANGED(f, &s);
	/* A legal advisor writes notes; a member vendor too. */
	CHECK(note(f, &f->lea, hid, "decision", NULL, "report to the PPC within 3-5 days", NULL), 0);
	CHECK(incident_member_set(f->st, &f->admin, hid, "vendor", "forensic_engineer", &e), 0);
	CHECK(note(f, &f->vendor, hid, "evidence", NULL, "disk image acquired", NULL), 0);
	CHECK(timeline_list(f->st, &f->vendor, hid, &list, &e), 0);
	assert_int_equal(json_array_size(list), 2);
	json_decref(list);
	CHECK(timeline_list(f->st, &f->vendor, other, &list, &e), ERR_NOTFOUND);
	assert_null(list);
}

/* Tasks */

static int add(struct fx *f, const struct actor *who, const char *hid, const char *title,
	       const char *phase, const char *assignee, const char *due, json_t **out)
{
	struct task_new t = { title, phase, assignee, due };

	err_clear(&e);
	if (out)
		*out = NULL;
	return task_add(f->st, who, hid, &t, out, &e);
}

static int64_t add_ok(struct fx *f, const struct actor *who, const char *hid, const char *title,
		      const char *phase, const char *assignee, const char *due)
{
	json_t *j;
	int64_t id;

	CHECK(add(f, who, hid, title, phase, assignee, due, &j), 0);
	id = json_integer_value(json_object_get(j, "id"));
	assert_true(id > 0);
	json_decref(j);
	return id;
}

static int done(struct fx *f, const struct actor *who, int64_t id, int d, json_t **out)
{
	err_clear(&e);
	if (out)
		*out = NULL;
	return task_set_done(f->st, who, id, d, out, &e);
}

static void test_task_add(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX], action[64], object[64], after[4096], t301[302], t300[301];
	struct snap s;
	json_t *j;
	int64_t v;

	create(f, "Tasks", hid);
	/* A new incident has no phase of its own for tasks. */
	snap_take(f, &s);
	CHECK(add(f, &f->carol, hid, "Check headers", NULL, NULL, NULL, NULL), ERR_INVALID);
	MSG_HAS("new");
	CHECK(add(f, &f->carol, hid, "Check headers", "new", NULL, NULL, NULL), ERR_INVALID);
	UNCHANGED(f, &s);
	v = version_of(f, hid);
	CHECK(add(f, &f->carol, hid, "Check headers", "triage", NULL, NULL, &j), 0);
	assert_string_equal(str(j, "phase"), "triage");
	assert_string_equal(str(j, "title"), "Check headers");
	assert_string_equal(str(j, "incident"), hid);
	assert_string_equal(str(j, "created_by"), "carol");
	assert_string_equal(str(j, "created_at"), "2026-11-27T00:00:00Z");
	assert_true(json_is_false(json_object_get(j, "done")));
	assert_true(json_is_null(json_object_get(j, "assignee")));
	assert_true(json_is_null(json_object_get(j, "due_at")));
	json_decref(j);
	assert_int_equal(version_of(f, hid), v + 1);
	last_audit(f, action, object, after, sizeof(after));
	assert_string_equal(action, "task.add");
	assert_string_equal(object, hid);
	assert_non_null(strstr(after, "Check headers"));
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log"), s.audit + 1);

	/* The default phase is the incident's state. */
	move_to(f, hid, ST_TRIAGE, NULL);
	move_to(f, hid, ST_ANALYSIS, NULL);
	CHECK(add(f, &f->carol, hid, "Collect logs", NULL, "carol", "2026-12-01 18:00 JST", &j), 0);
	assert_string_equal(str(j, "phase"), "analysis");
	assert_string_equal(str(j, "assignee"), "carol");
	assert_string_equal(str(j, "due_at"), "2026-12-01T09:00:00Z");
	json_decref(j);
	CHECK(add(f, &f->carol, hid, "Lessons learned", "POST_INCIDENT", NULL, "2026-12-10", &j), 0);
	assert_string_equal(str(j, "phase"), "post_incident");
	assert_string_equal(str(j, "due_at"), "2026-12-09T15:00:00Z"); /* midnight JST */
	json_decref(j);
	/* An external account may be assigned. */
	CHECK(add(f, &f->carol, hid, "Image the disk", "containment", "vendor", NULL, &j), 0);
	assert_string_equal(str(j, "assignee"), "vendor");
	json_decref(j);

	/* Refused, writing nothing. */
	memset(t301, 't', 301);
	t301[301] = '\0';
	memset(t300, 't', 300);
	t300[300] = '\0';
	snap_take(f, &s);
	CHECK(add(f, &f->carol, hid, "x", "closed", NULL, NULL, NULL), ERR_INVALID);
	MSG_HAS("closed");
	CHECK(add(f, &f->carol, hid, "x", "rejected", NULL, NULL, NULL), ERR_INVALID);
	CHECK(add(f, &f->carol, hid, "x", "someday", NULL, NULL, NULL), ERR_INVALID);
	MSG_HAS("phase");
	CHECK(add(f, &f->carol, hid, "x", NULL, "nobody", NULL, NULL), ERR_INVALID);
	MSG_HAS("nobody");
	CHECK(add(f, &f->carol, hid, "x", NULL, "dora", NULL, NULL), ERR_INVALID);
	MSG_HAS("disabled");
	CHECK(add(f, &f->carol, hid, "x", NULL, NULL, "next friday", NULL), ERR_PARSE);
	MSG_HAS("due");
	CHECK(add(f, &f->carol, hid, "x", NULL, NULL, "2026-11-31", NULL), ERR_PARSE);
	CHECK(add(f, &f->carol, hid, "", NULL, NULL, NULL, NULL), ERR_INVALID);
	CHECK(add(f, &f->carol, hid, NULL, NULL, NULL, NULL, NULL), ERR_INVALID);
	CHECK(add(f, &f->carol, hid, t301, NULL, NULL, NULL, NULL), ERR_TOOLONG);
	CHECK(add(f, &f->carol, hid, "two\nlines", NULL, NULL, NULL, NULL), ERR_INVALID);
	CHECK(add(f, &f->carol, hid, "bad \xff", NULL, NULL, NULL, NULL), ERR_INVALID);
	CHECK(add(f, &f->carol, "IR-2026-0999", "x", NULL, NULL, NULL, NULL), ERR_NOTFOUND);
	CHECK(add(f, &f->vic, hid, "x", NULL, NULL, NULL, NULL), ERR_DENIED);
	CHECK(add(f, &f->lea, hid, "x", NULL, NULL, NULL, NULL), ERR_DENIED);
	CHECK(add(f, &f->vendor, hid, "x", NULL, NULL, NULL, NULL), ERR_NOTFOUND);
	UNCHANGED(f, &s);
	CHECK(add(f, &f->carol, hid, t300, NULL, NULL, NULL, NULL), 0);

	/* A closed incident has no phase of its own either. */
	move_to(f, hid, ST_REJECTED, "false_positive");
	snap_take(f, &s);
	CHECK(add(f, &f->carol, hid, "after the fact", NULL, NULL, NULL, NULL), ERR_INVALID);
	MSG_HAS("rejected");
	UNCHANGED(f, &s);
}

static void test_task_done(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX], action[64], object[64], after[4096];
	struct snap s;
	json_t *j;
	int64_t id, v;

	create(f, "Done", hid);
	move_to(f, hid, ST_TRIAGE, NULL);
	id = add_ok(f, &f->carol, hid, "Call the reporter", NULL, "bob", NULL);

	v = version_of(f, hid);
	snap_take(f, &s);
	f->bob.now = NOW + 3600;
	CHECK(done(f, &f->bob, id, 1, &j), 0);
	assert_true(json_is_true(json_object_get(j, "done")));
	assert_string_equal(str(j, "done_at"), "2026-11-27T01:00:00Z");
	assert_string_equal(str(j, "done_by"), "bob");
	json_decref(j);
	assert_int_equal(version_of(f, hid), v + 1);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log"), s.audit + 1);
	last_audit(f, action, object, after, sizeof(after));
	assert_string_equal(action, "task.done");
	assert_string_equal(object, hid);
	assert_non_null(strstr(after, "\"done\":true"));

	/* Twice is a conflict and writes nothing. */
	snap_take(f, &s);
	CHECK(done(f, &f->bob, id, 1, NULL), ERR_CONFLICT);
	MSG_HAS("already done");
	UNCHANGED(f, &s);

	/* Reopening clears done_at and done_by. */
	CHECK(done(f, &f->carol, id, 0, &j), 0);
	assert_true(json_is_false(json_object_get(j, "done")));
	assert_true(json_is_null(json_object_get(j, "done_at")));
	assert_true(json_is_null(json_object_get(j, "done_by")));
	json_decref(j);
	last_audit(f, action, object, after, sizeof(after));
	assert_string_equal(action, "task.reopen");
	snap_take(f, &s);
	CHECK(done(f, &f->carol, id, 0, NULL), ERR_CONFLICT);
	MSG_HAS("already open");
	/* Unknown tasks, and people who may not. */
	CHECK(done(f, &f->carol, id + 1000, 1, NULL), ERR_NOTFOUND);
	CHECK(done(f, &f->carol, 0, 1, NULL), ERR_NOTFOUND);
	CHECK(done(f, &f->vic, id, 1, NULL), ERR_DENIED);
	CHECK(done(f, &f->lea, id, 1, NULL), ERR_DENIED);
	CHECK(done(f, &f->vendor, id, 1, NULL), ERR_NOTFOUND);
	MSG_HAS("task");
	UNCHANGED(f, &s);
}

/* The ids of a task list, as "1,2,3". */
static void ids_of(json_t *list, char *out, size_t n)
{
	size_t k, len = 0;
	json_t *v;

	out[0] = '\0';
	json_array_foreach(list, k, v)
		len += (size_t)snprintf(out + len, n - len, "%s%lld", k ? "," : "",
					(long long)json_integer_value(json_object_get(v, "id")));
}

#define TASKS_ARE(f, who, fl, want) tasks_are((f), (who), (fl), (want), __LINE__)
static void tasks_are(struct fx *f, const struct actor *who, const struct task_filter *fl,
		      const char *want, int line)
{
	json_t *list = NULL;
	char got[256];

	CHECK(task_list(f->st, who, fl, &list, &e), 0);
	ids_of(list, got, sizeof(got));
	if (strcmp(got, want) != 0)
		print_error("line %d: tasks %s, want %s\n", line, got, want);
	assert_string_equal(got, want);
	json_decref(list);
}

static void test_task_list(void **state)
{
	struct fx *f = *state;
	char a[INCIDENT_HID_MAX], b[INCIDENT_HID_MAX], want[128];
	struct task_filter fl;
	json_t *list;
	int64_t t1, t2, t3, t4, t5;

	create(f, "Incident A", a);
	create(f, "Incident B", b);
	move_to(f, a, ST_TRIAGE, NULL);
	move_to(f, b, ST_TRIAGE, NULL);
	t1 = add_ok(f, &f->carol, a, "no due date", NULL, "carol", NULL);
	t2 = add_ok(f, &f->carol, a, "due late", NULL, "bob", "2026-12-05 12:00 JST");
	t3 = add_ok(f, &f->carol, b, "due early", NULL, "carol", "2026-11-28 12:00 JST");
	t4 = add_ok(f, &f->carol, b, "done already", NULL, NULL, "2026-11-27 12:00 JST");
	t5 = add_ok(f, &f->carol, a, "also no due date", NULL, NULL, NULL);
	CHECK(done(f, &f->carol, t4, 1, NULL), 0);

	/* Open first, by due time (none last), then by number; done at the end. */
	memset(&fl, 0, sizeof(fl));
	snprintf(want, sizeof(want), "%lld,%lld,%lld,%lld,%lld", (long long)t3, (long long)t2,
		 (long long)t1, (long long)t5, (long long)t4);
	TASKS_ARE(f, &f->admin, &fl, want);
	fl.open_only = 1;
	snprintf(want, sizeof(want), "%lld,%lld,%lld,%lld", (long long)t3, (long long)t2,
		 (long long)t1, (long long)t5);
	TASKS_ARE(f, &f->admin, &fl, want);
	fl.open_only = 0;
	fl.hid = a;
	snprintf(want, sizeof(want), "%lld,%lld,%lld", (long long)t2, (long long)t1, (long long)t5);
	TASKS_ARE(f, &f->admin, &fl, want);
	fl.hid = NULL;
	fl.assignee = "carol";
	snprintf(want, sizeof(want), "%lld,%lld", (long long)t3, (long long)t1);
	TASKS_ARE(f, &f->admin, &fl, want);
	fl.assignee = NULL;
	fl.limit = 2;
	snprintf(want, sizeof(want), "%lld,%lld", (long long)t3, (long long)t2);
	TASKS_ARE(f, &f->admin, &fl, want);
	/* A viewer reads tasks. */
	fl.limit = 0;
	fl.hid = b;
	snprintf(want, sizeof(want), "%lld,%lld", (long long)t3, (long long)t4);
	TASKS_ARE(f, &f->vic, &fl, want);
	/* Bad filters. */
	fl.hid = "IR-2026-0999";
	CHECK(task_list(f->st, &f->admin, &fl, &list, &e), ERR_NOTFOUND);
	fl.hid = NULL;
	fl.limit = -1;
	CHECK(task_list(f->st, &f->admin, &fl, &list, &e), ERR_INVALID);

	/* An external account sees the tasks of its incidents only. */
	fl.limit = 0;
	TASKS_ARE(f, &f->vendor, &fl, "");
	CHECK(incident_member_set(f->st, &f->admin, b, "vendor", "forensic_engineer", &e), 0);
	snprintf(want, sizeof(want), "%lld,%lld", (long long)t3, (long long)t4);
	TASKS_ARE(f, &f->vendor, &fl, want);
	fl.assignee = "carol";
	snprintf(want, sizeof(want), "%lld", (long long)t3);
	TASKS_ARE(f, &f->vendor, &fl, want);
	fl.assignee = NULL;
	fl.hid = a;
	CHECK(task_list(f->st, &f->vendor, &fl, &list, &e), ERR_NOTFOUND);
	assert_null(list);
	/* ... and completes them (forensic_engineer has tasks), but not A's. */
	CHECK(done(f, &f->vendor, t3, 1, NULL), 0);
	CHECK(done(f, &f->vendor, t1, 1, NULL), ERR_NOTFOUND);
	/* Its own task in its incident. */
	CHECK(add(f, &f->vendor, b, "Report findings", NULL, "vendor", NULL, NULL), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_timeline_kinds),
		T(test_timeline_times),
		T(test_timeline_text),
		T(test_timeline_who),
		T(test_task_add),
		T(test_task_done),
		T(test_task_list),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
