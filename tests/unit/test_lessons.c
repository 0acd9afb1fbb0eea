/*
 * test_lessons.c: lessons learned (ir/lessons.c): closing a P1 is refused
 * until every question is answered, and the refusal names what is missing;
 * a P3 closes without; refused input writes nothing; the facts computed
 * from the record; follow-up actions become post_incident tasks.
 */
#include "unit_ir.h"

#include <jansson.h>

#include "ir/actor.h"
#include "ir/incident.h"
#include "ir/items.h"
#include "ir/lessons.h"
#include "ir/task.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"

#define NOW INT64_C(1795737600) /* 2026-11-27T00:00:00Z */

static struct tz *tokyo;
static struct store *st;
static struct actor admin, carol, vic;


static void add_user(const char *name, enum role r)
{
	struct user_new nu = { .username = name, .role = r };
	char otp[USER_OTP_LEN + 1];
	struct user u;

	CHECK(user_add(st, &admin, &nu, otp, &u, &e), 0);
	user_release(&u);
}

static int group_setup(void **state)
{
	char url[600];

	(void)state;
	err_clear(&e);
	if (tz_load("Asia/Tokyo", &tokyo, &e))
		return -1;
	unit_db_url("lessons", url, sizeof(url));
	if (store_open(url, STORE_CREATE, &st, &e))
		return -1;
	actor_local(&admin, tokyo);
	admin.now = NOW;
	add_user("carol", ROLE_INCIDENT_HANDLER);
	add_user("vic", ROLE_VIEWER);
	CHECK(actor_for_user(st, "carol", tokyo, &carol, &e), 0);
	CHECK(actor_for_user(st, "vic", tokyo, &vic, &e), 0);
	carol.now = vic.now = NOW;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	store_close(st);
	tz_free(tokyo);
	unit_rmtmp();
	return 0;
}

/* An incident of the given functional impact moved to post_incident. */
static void at_post_incident(const char *functional, char hid[INCIDENT_HID_MAX])
{
	static const enum incident_state path[] = { ST_TRIAGE, ST_ANALYSIS, ST_CONTAINMENT,
						    ST_ERADICATION, ST_RECOVERY, ST_POST_INCIDENT };
	struct incident_field fv[] = { { "title", "Lessons test" }, { "owner", "carol" },
				       { "functional_impact", functional }, { "information_impact", "none" },
				       { "recoverability", "regular" }, { "occurred_at", "@1795730400" } };
	struct incident inc;

	admin.now = NOW;
	/* What the catalog requires of an "other" incident before post_incident. */
	struct incident_field items[] = {
		{ "public_disclosure", "none" }, { "cause", "a test" }, { "business_impact", "none" },
		{ "description", "a test incident" }, { "personal_data_involved", "no" },
	};

	CHECK(incident_create(st, &admin, fv, 6, &inc, &e), 0);
	snprintf(hid, INCIDENT_HID_MAX, "%s", inc.hid);
	incident_release(&inc);
	CHECK(items_set(st, &admin, hid, items, 5, &e), 0);
	for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		struct incident_move m = { NULL, NULL, NULL, 0 };
		admin.now = NOW + (int64_t)i * 600;
		CHECK(incident_move(st, &admin, hid, path[i], &m, &inc, &e), 0);
		incident_release(&inc);
	}
}

static int close_it(const char *hid)
{
	struct incident_move m = { NULL, NULL, NULL, 0 };
	struct incident inc;
	int rc;

	err_clear(&e);
	rc = incident_move(st, &admin, hid, ST_CLOSED, &m, &inc, &e);
	incident_release(&inc);
	return rc;
}

static int64_t count(const char *sql)
{
	struct stmt *s;
	int64_t n;

	assert_int_equal(store_prepare(st, sql, &s, NULL), 0);
	assert_int_equal(stmt_step(s, NULL), 1);
	n = stmt_int(s, 0);
	stmt_done(s);
	return n;
}

static void test_p1_needs_lessons(void **state)
{
	char hid[INCIDENT_HID_MAX];
	struct lessons_field first[] = { { "what_happened", "A phishing mail led to a worm." } };
	struct lessons_field rest[LQ__COUNT];
	struct incident inc;
	json_t *l = NULL;

	(void)state;
	at_post_incident("high", hid); /* P1 */
	CHECK(close_it(hid), ERR_INVALID);
	assert_non_null(strstr(e.msg, "lessons learned"));
	assert_non_null(strstr(e.msg, "what_happened"));
	assert_non_null(strstr(e.msg, "(P1)"));
	CHECK(incident_get(st, &admin, hid, &inc, &e), 0);
	assert_int_equal(inc.state, ST_POST_INCIDENT);
	assert_int_equal(inc.closed_at, 0);
	incident_release(&inc);

	CHECK(lessons_set(st, &carol, hid, first, 1, &l, &e), 0);
	assert_false(json_is_true(json_object_get(l, "complete")));
	assert_true(json_is_true(json_object_get(l, "required")));
	assert_int_equal(json_array_size(json_object_get(l, "missing")), LQ__COUNT - 1);
	json_decref(l);
	CHECK(close_it(hid), ERR_INVALID);
	assert_null(strstr(e.msg, "what_happened"));
	assert_non_null(strstr(e.msg, "staff_performance"));

	for (int q = 0; q < LQ__COUNT; q++)
		rest[q] = (struct lessons_field){ lessons_question_name((enum lessons_question)q),
						  "answered" };
	rest[0].value = "A phishing mail led to a worm.";
	CHECK(lessons_set(st, &carol, hid, rest, LQ__COUNT, NULL, &e), 0);
	CHECK(close_it(hid), 0);
	assert_int_equal(count("SELECT COUNT(*) FROM audit_log WHERE action = 'lessons.set'"), 2);
}

static void test_p3_closes_without(void **state)
{
	char hid[INCIDENT_HID_MAX];

	(void)state;
	at_post_incident("low", hid); /* P3 */
	CHECK(close_it(hid), 0);
}

static void test_refusals_write_nothing(void **state)
{
	char hid[INCIDENT_HID_MAX];
	struct lessons_field unknown[] = { { "what_happend", "typo" } };
	struct lessons_field bad_time[] = { { "tools", "EDR" }, { "meeting_at", "yesterday-ish" } };
	struct lessons_field ok[] = { { "tools", "EDR" } };
	int64_t audit;

	(void)state;
	at_post_incident("medium", hid);
	audit = count("SELECT COUNT(*) FROM audit_log");
	CHECK(lessons_set(st, &carol, hid, unknown, 1, NULL, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "what_happend"));
	CHECK(lessons_set(st, &carol, hid, bad_time, 2, NULL, &e), ERR_PARSE);
	assert_non_null(strstr(e.msg, "meeting_at"));
	CHECK(lessons_set(st, &vic, hid, ok, 1, NULL, &e), ERR_DENIED);
	CHECK(lessons_set(st, &carol, hid, ok, 0, NULL, &e), ERR_INVALID);
	CHECK(lessons_set(st, &carol, "IR-2026-9999", ok, 1, NULL, &e), ERR_NOTFOUND);
	assert_int_equal(count("SELECT COUNT(*) FROM audit_log"), audit);
	assert_int_equal(count("SELECT COUNT(*) FROM lessons"), 1); /* from the P1 test only */
}

static void test_facts_and_actions(void **state)
{
	char hid[INCIDENT_HID_MAX];
	struct task_new t = { .title = "Block macros in mail attachments", .assignee = "carol",
			      .due = "2026-12-15" };
	json_t *task = NULL, *l = NULL, *facts;

	(void)state;
	at_post_incident("medium", hid);
	CHECK(lessons_action_add(st, &carol, hid, &t, &task, &e), 0);
	assert_string_equal(json_str(task, "phase"), "post_incident");
	assert_string_equal(json_str(task, "assignee"), "carol");
	json_decref(task);
	t.assignee = "nobody-here";
	CHECK(lessons_action_add(st, &carol, hid, &t, NULL, &e), ERR_INVALID);
	CHECK(lessons_action_add(st, &vic, hid, &t, NULL, &e), ERR_DENIED);
	CHECK(lessons_get(st, &vic, hid, &l, &e), 0);
	assert_int_equal(json_array_size(json_object_get(l, "actions")), 1);
	assert_string_equal(json_str(json_array_get(json_object_get(l, "actions"), 0), "title"),
			    "Block macros in mail attachments");
	facts = json_object_get(l, "facts");
	/* Occurred 2026-11-26T22:00Z, discovered at creation (NOW); the lifecycle stamps
	 * triaged on leaving triage (+600 s), contained on leaving containment (+1800 s)
	 * and recovered on leaving recovery (+3000 s). */
	assert_int_equal(json_integer_value(json_object_get(facts, "time_to_detect")), 7200);
	assert_int_equal(json_integer_value(json_object_get(facts, "time_to_triage")), 600);
	assert_int_equal(json_integer_value(json_object_get(facts, "time_to_contain")), 1800);
	assert_int_equal(json_integer_value(json_object_get(facts, "time_to_recover")), 3000);
	assert_true(json_is_null(json_object_get(facts, "time_to_report")));
	assert_int_equal(json_integer_value(json_object_get(facts, "tasks_total")), 1);
	assert_int_equal(json_integer_value(json_object_get(facts, "tasks_done")), 0);
	assert_string_equal(json_str(l, "priority"), "P2");
	json_decref(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_p1_needs_lessons),
		cmocka_unit_test(test_p3_closes_without),
		cmocka_unit_test(test_refusals_write_nothing),
		cmocka_unit_test(test_facts_and_actions),
	};

	return cmocka_run_group_tests_name("lessons", tests, group_setup, group_teardown);
}
