/*
 * test_actor.c: who is acting (the local operator, the system, an account
 * on a real SQLite store) and the authorisation every path goes through:
 * external accounts see nothing but the incidents they are members of, and
 * act there with their incident role.
 *
 * Accounts get generated one-time passwords: each still costs one argon2id
 * hash, so the group makes its few accounts once.
 */
#include "unit.h"

#include "ir/actor.h"
#include "ir/incident.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/err.h"
#include "util/time.h"

#include <pwd.h>

static struct store *st;
static struct actor admin;

static void add_user(const char *name, enum role r, int external)
{
	struct user_new nu = { .username = name, .role = r, .external = external };
	char otp[USER_OTP_LEN + 1];
	struct err e;
	int rc;

	err_clear(&e);
	rc = user_add(st, &admin, &nu, otp, NULL, &e);
	if (rc)
		print_error("user_add(%s): %s\n", name, err_msg(&e));
	assert_int_equal(rc, 0);
	assert_int_equal(strlen(otp), USER_OTP_LEN);
}

static int group_setup(void **state)
{
	char url[600];
	struct err e;
	(void)state;
	unit_db_url("x", url, sizeof(url));
	err_clear(&e);
	if (store_open(url, STORE_CREATE, &st, &e)) {
		print_error("store_open(%s): %s\n", url, err_msg(&e));
		return -1;
	}
	actor_local(&admin, NULL);
	add_user("alice", ROLE_INCIDENT_HANDLER, 0);
	add_user("bob", ROLE_COMMANDER, 0);
	/* An outside forensics vendor whose account role would allow a lot. */
	add_user("vendor", ROLE_COMMANDER, 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	store_close(st);
	st = NULL;
	return 0;
}

static void as_user(const char *name, struct actor *a)
{
	struct err e;
	int rc;

	err_clear(&e);
	rc = actor_for_user(st, name, NULL, a, &e);
	if (rc)
		print_error("actor_for_user(%s): %s\n", name, err_msg(&e));
	assert_int_equal(rc, 0);
}

static void new_incident(const char *title, struct incident *out)
{
	struct incident_field f[] = { { "title", title } };
	struct err e;
	int rc;

	err_clear(&e);
	rc = incident_create(st, &admin, f, 1, out, &e);
	if (rc)
		print_error("incident_create: %s\n", err_msg(&e));
	assert_int_equal(rc, 0);
	assert_true(out->id > 0);
}

static void set_member(const char *hid, const char *user, const char *role)
{
	struct err e;
	int rc;

	err_clear(&e);
	rc = incident_member_set(st, &admin, hid, user, role, &e);
	if (rc)
		print_error("incident_member_set(%s, %s): %s\n", user, role, err_msg(&e));
	assert_int_equal(rc, 0);
}

static void test_local_actor(void **state)
{
	struct passwd *pw = getpwuid(getuid());
	struct actor a;
	struct tz *tz = NULL;
	char want[ACTOR_NAME_MAX];
	int64_t before = time_now();
	(void)state;
	assert_int_equal(tz_load("UTC", &tz, NULL), 0);
	actor_local(&a, tz);
	assert_non_null(pw);
	snprintf(want, sizeof(want), "cli:%s", pw->pw_name);
	assert_string_equal(a.name, want);
	assert_int_equal(a.role, ROLE_ADMIN);
	assert_int_equal(a.user_id, 0);
	assert_int_equal(a.external, 0);
	assert_ptr_equal(a.tz, tz);
	assert_true(a.now >= before && a.now <= time_now());
	/* The local operator administers the database. */
	assert_int_equal(authz_check(&a, ACT_USER_ADMIN, NULL), 0);
	assert_int_equal(authz_check(&a, ACT_AUDIT_READ, NULL), 0);
	tz_free(tz);
}

static void test_system_actor(void **state)
{
	struct actor a;
	(void)state;
	actor_system(&a, NULL);
	assert_string_equal(a.name, "system");
	assert_int_equal(a.role, ROLE_ADMIN);
	assert_int_equal(a.user_id, 0);
	assert_int_equal(a.external, 0);
	assert_null(a.tz);
}

static void test_actor_for_user(void **state)
{
	struct actor a;
	struct user u;
	(void)state;
	as_user("alice", &a);
	assert_int_equal(user_get(st, "alice", &u, NULL), 0);
	assert_int_equal(a.user_id, u.id);
	assert_true(a.user_id > 0);
	assert_string_equal(a.name, "alice");
	assert_int_equal(a.role, ROLE_INCIDENT_HANDLER);
	assert_int_equal(a.external, 0);
	user_release(&u);

	as_user("vendor", &a);
	assert_string_equal(a.name, "vendor");
	assert_int_equal(a.external, 1);
	assert_int_equal(a.role, ROLE_COMMANDER);
}

static void test_unknown_user(void **state)
{
	struct actor a;
	struct err e;
	(void)state;
	err_clear(&e);
	assert_int_equal(actor_for_user(st, "mallory", NULL, &a, &e), ERR_NOTFOUND);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_non_null(strstr(e.msg, "mallory"));
	/* Names are exact. */
	assert_int_equal(actor_for_user(st, "ALICE", NULL, &a, NULL), ERR_NOTFOUND);
	assert_int_equal(actor_for_user(st, "", NULL, &a, NULL), ERR_NOTFOUND);
}

static void test_disabled_user(void **state)
{
	struct actor a;
	struct err e;
	(void)state;
	add_user("carol", ROLE_TRIAGE, 0);
	assert_int_equal(user_set_disabled(st, &admin, "carol", 1, NULL), 0);
	err_clear(&e);
	assert_int_equal(actor_for_user(st, "carol", NULL, &a, &e), ERR_DENIED);
	assert_int_equal(e.code, ERR_DENIED);
	assert_non_null(strstr(e.msg, "disabled"));
	/* Enabled again, the account acts again. */
	assert_int_equal(user_set_disabled(st, &admin, "carol", 0, NULL), 0);
	as_user("carol", &a);
	assert_int_equal(a.role, ROLE_TRIAGE);
}

static void test_authz_check_internal(void **state)
{
	struct actor a;
	struct err e;
	(void)state;
	as_user("alice", &a);
	assert_int_equal(authz_check(&a, ACT_INCIDENT_READ, NULL), 0);
	assert_int_equal(authz_check(&a, ACT_INCIDENT_CREATE, NULL), 0);
	assert_int_equal(authz_check(&a, ACT_INCIDENT_RESPOND, NULL), 0);
	err_clear(&e);
	assert_int_equal(authz_check(&a, ACT_INCIDENT_CLOSE, &e), ERR_DENIED);
	assert_non_null(strstr(e.msg, "alice"));
	assert_non_null(strstr(e.msg, "incident_handler"));
	assert_int_equal(authz_check(&a, ACT_USER_ADMIN, NULL), ERR_DENIED);
	as_user("bob", &a);
	assert_int_equal(authz_check(&a, ACT_INCIDENT_REOPEN, NULL), 0);
	assert_int_equal(authz_check(&a, ACT_USER_ADMIN, NULL), ERR_DENIED);
}

static void test_authz_check_external(void **state)
{
	struct actor a;
	struct err e;
	(void)state;
	as_user("vendor", &a);
	/* Its account role is commander, but outside an incident it may only read. */
	assert_int_equal(authz_check(&a, ACT_INCIDENT_READ, NULL), 0);
	for (int act = 0; act < ACT__COUNT; act++) {
		if (act == ACT_INCIDENT_READ)
			continue;
		err_clear(&e);
		if (authz_check(&a, (enum action)act, &e) != ERR_DENIED)
			fail_msg("external account may %s", action_name((enum action)act));
		assert_non_null(strstr(e.msg, "vendor"));
	}
}

static void test_external_non_member_sees_nothing(void **state)
{
	struct incident inc, got;
	struct actor v;
	struct err e, missing;
	char msg_missing[ERR_MSG_MAX], msg_hidden[ERR_MSG_MAX];
	(void)state;
	new_incident("社内ファイルサーバからの情報流出", &inc);
	as_user("vendor", &v);
	/* Not ERR_DENIED: that would tell an outsider the incident exists. */
	for (int act = 0; act < ACT__COUNT; act++) {
		err_clear(&e);
		assert_int_equal(authz_incident(st, &v, (enum action)act, inc.id, inc.hid, &e),
				 ERR_NOTFOUND);
	}
	err_clear(&e);
	assert_int_equal(incident_get(st, &v, inc.hid, &got, &e), ERR_NOTFOUND);
	incident_release(&got);
	snprintf(msg_hidden, sizeof(msg_hidden), "%s", e.msg);
	/* Exactly what an incident that does not exist gives. */
	err_clear(&missing);
	assert_int_equal(incident_get(st, &v, "IR-2000-9999", &got, &missing), ERR_NOTFOUND);
	incident_release(&got);
	snprintf(msg_missing, sizeof(msg_missing), "%s", missing.msg);
	{
		char want[ERR_MSG_MAX];
		snprintf(want, sizeof(want), "incident %s not found", inc.hid);
		assert_string_equal(msg_hidden, want);
		assert_string_equal(msg_missing, "incident IR-2000-9999 not found");
	}
	/* Staff see it with their account role, no membership needed. */
	{
		struct actor a;
		as_user("alice", &a);
		assert_int_equal(authz_incident(st, &a, ACT_INCIDENT_READ, inc.id, inc.hid, NULL), 0);
		assert_int_equal(authz_incident(st, &a, ACT_TIMELINE_ADD, inc.id, inc.hid, NULL), 0);
		assert_int_equal(authz_incident(st, &a, ACT_INCIDENT_CLOSE, inc.id, inc.hid, NULL),
				 ERR_DENIED);
	}
	incident_release(&inc);
}

static void test_external_member_uses_incident_role(void **state)
{
	struct incident inc, other, got;
	struct actor v;
	struct err e;
	(void)state;
	new_incident("ランサムウェア感染", &inc);
	new_incident("別件", &other);
	set_member(inc.hid, "vendor", "forensic_engineer");
	as_user("vendor", &v);

	/* What a forensic engineer may do in its incident. */
	assert_int_equal(authz_incident(st, &v, ACT_INCIDENT_READ, inc.id, inc.hid, NULL), 0);
	assert_int_equal(authz_incident(st, &v, ACT_TIMELINE_ADD, inc.id, inc.hid, NULL), 0);
	assert_int_equal(authz_incident(st, &v, ACT_TASK_EDIT, inc.id, inc.hid, NULL), 0);
	err_clear(&e);
	assert_int_equal(authz_incident(st, &v, ACT_INCIDENT_EDIT, inc.id, inc.hid, &e), ERR_DENIED);
	assert_non_null(strstr(e.msg, "forensic_engineer"));
	assert_int_equal(authz_incident(st, &v, ACT_INCIDENT_CLOSE, inc.id, inc.hid, NULL), ERR_DENIED);
	assert_int_equal(incident_get(st, &v, inc.hid, &got, NULL), 0);
	assert_string_equal(got.hid, inc.hid);
	incident_release(&got);

	/* Membership is per incident. */
	assert_int_equal(authz_incident(st, &v, ACT_INCIDENT_READ, other.id, other.hid, NULL),
			 ERR_NOTFOUND);

	/*
	 * A stronger incident role widens the work it may do there, but the
	 * organisation's decisions (closing, reopening, members, priority
	 * overrides, corrected timestamps) and administration stay internal.
	 */
	set_member(inc.hid, "vendor", "commander");
	assert_int_equal(authz_incident(st, &v, ACT_INCIDENT_EDIT, inc.id, inc.hid, NULL), 0);
	assert_int_equal(authz_incident(st, &v, ACT_INCIDENT_RESPOND, inc.id, inc.hid, NULL), 0);
	assert_int_equal(authz_incident(st, &v, ACT_INCIDENT_CLOSE, inc.id, inc.hid, NULL), ERR_DENIED);
	assert_int_equal(authz_incident(st, &v, ACT_MEMBER_EDIT, inc.id, inc.hid, NULL), ERR_DENIED);
	assert_int_equal(authz_incident(st, &v, ACT_PRIORITY_OVERRIDE, inc.id, inc.hid, NULL), ERR_DENIED);
	assert_int_equal(authz_incident(st, &v, ACT_TIMESTAMP_EDIT, inc.id, inc.hid, NULL), ERR_DENIED);
	assert_int_equal(authz_incident(st, &v, ACT_INCIDENT_REOPEN, inc.id, inc.hid, NULL), ERR_DENIED);
	assert_int_equal(authz_incident(st, &v, ACT_AUDIT_READ, inc.id, inc.hid, NULL), ERR_DENIED);
	assert_int_equal(authz_incident(st, &v, ACT_USER_ADMIN, inc.id, inc.hid, NULL), ERR_DENIED);

	/* And a weaker one narrows it, whatever the account role says. */
	set_member(inc.hid, "vendor", "viewer");
	assert_int_equal(authz_incident(st, &v, ACT_INCIDENT_READ, inc.id, inc.hid, NULL), 0);
	assert_int_equal(authz_incident(st, &v, ACT_TIMELINE_ADD, inc.id, inc.hid, NULL), ERR_DENIED);

	/* Removed, it sees nothing again. */
	assert_int_equal(incident_member_remove(st, &admin, inc.hid, "vendor", NULL), 0);
	assert_int_equal(authz_incident(st, &v, ACT_INCIDENT_READ, inc.id, inc.hid, NULL), ERR_NOTFOUND);
	incident_release(&inc);
	incident_release(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_actor),
		cmocka_unit_test(test_system_actor),
		cmocka_unit_test(test_actor_for_user),
		cmocka_unit_test(test_unknown_user),
		cmocka_unit_test(test_disabled_user),
		cmocka_unit_test(test_authz_check_internal),
		cmocka_unit_test(test_authz_check_external),
		cmocka_unit_test(test_external_non_member_sees_nothing),
		cmocka_unit_test(test_external_member_uses_incident_role),
	};
	int rc = cmocka_run_group_tests_name("actor", tests, group_setup, group_teardown);
	unit_rmtmp();
	return rc;
}
