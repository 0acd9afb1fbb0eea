/*
 * test_user.c: unit tests for ir/user on a real SQLite store: creating,
 * reading and listing accounts, what is refused (and that refusing writes
 * nothing), password checks, one-time passwords, permissions and audit rows.
 * Each argon2id hash costs ~64 MiB and a fraction of a second under ASan,
 * so the tests hash as few passwords as they can.
 */
#include "unit.h"

#include "ir/actor.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/err.h"

#define PW_ALICE "correct horse battery"
#define PW_BOB "bob's long passphrase"

static struct store *open_store(void)
{
	static int n;
	char url[400];
	struct store *st = NULL;
	struct err e;
	int rc;

	err_clear(&e);
	snprintf(url, sizeof(url), "sqlite:%s/u%d.db", unit_tmpdir(), ++n);
	rc = store_open(url, STORE_CREATE, &st, &e);
	if (rc)
		print_error("store_open(%s): %s\n", url, err_msg(&e));
	assert_int_equal(rc, 0);
	return st;
}

static int64_t count(struct store *st, const char *sql)
{
	struct stmt *s;
	int64_t n;

	assert_int_equal(store_prepare(st, sql, &s, NULL), 0);
	assert_int_equal(stmt_step(s, NULL), 1);
	n = stmt_int(s, 0);
	stmt_done(s);
	return n;
}

static int64_t users(struct store *st)
{
	return count(st, "SELECT COUNT(*) FROM users");
}

static int64_t audit_rows(struct store *st)
{
	return count(st, "SELECT COUNT(*) FROM audit_log");
}

/* No audit row holds a password hash or the given secret. */
static void assert_audit_clean(struct store *st, const char *secret)
{
	struct stmt *s;

	assert_int_equal(store_prepare(st, "SELECT COALESCE(before, '') || COALESCE(after, '') "
					   "FROM audit_log", &s, NULL), 0);
	while (stmt_step(s, NULL) == 1) {
		const char *t = stmt_text(s, 0);
		assert_null(strstr(t, "argon2"));
		assert_null(strstr(t, "password_hash"));
		if (secret && *secret)
			assert_null(strstr(t, secret));
	}
	stmt_done(s);
}

static int64_t audit_count(struct store *st, const char *action, const char *object_id)
{
	struct stmt *s;
	int64_t n;

	assert_int_equal(store_prepare(st, "SELECT COUNT(*) FROM audit_log WHERE action = ? AND "
					   "object_type = 'user' AND object_id = ?", &s, NULL), 0);
	stmt_bind_text(s, 1, action);
	stmt_bind_text(s, 2, object_id);
	assert_int_equal(stmt_step(s, NULL), 1);
	n = stmt_int(s, 0);
	stmt_done(s);
	return n;
}

static void add_ok(struct store *st, const struct actor *a, const char *name, enum role r,
		   const char *pw, char *otp, struct user *out)
{
	struct user_new nu = { .username = name, .role = r, .password = pw };
	struct user tmp;
	struct err e;
	int rc;

	err_clear(&e);
	rc = user_add(st, a, &nu, otp, out ? out : &tmp, &e);
	if (rc)
		print_error("user_add(%s): %s\n", name, err_msg(&e));
	assert_int_equal(rc, 0);
	if (!out)
		user_release(&tmp);
}

static void as_user(struct store *st, const char *name, struct actor *a)
{
	struct err e;
	int rc;

	err_clear(&e);
	rc = actor_for_user(st, name, NULL, a, &e);
	if (rc)
		print_error("actor_for_user(%s): %s\n", name, err_msg(&e));
	assert_int_equal(rc, 0);
}

static void test_add_get_list(void **state)
{
	struct store *st = open_store();
	struct actor admin;
	struct user u;
	struct user_new nu = { .username = "alice", .display_name = "Alice Ōta",
			       .email = "alice@example.jp", .role = ROLE_INCIDENT_HANDLER,
			       .external = 0, .password = PW_ALICE };
	char otp[USER_OTP_LEN + 1] = "junk";
	json_t *list = NULL, *o;
	char *dump;
	struct err e;
	int64_t n;

	(void)state;
	err_clear(&e);
	actor_local(&admin, NULL);
	assert_int_equal(user_count(st, &n, &e), 0);
	assert_int_equal(n, 0);

	assert_int_equal(user_add(st, &admin, &nu, otp, &u, &e), 0);
	assert_string_equal(otp, "");
	assert_true(u.id > 0);
	assert_string_equal(u.username, "alice");
	assert_string_equal(u.display_name, "Alice Ōta");
	assert_int_equal(u.must_change_password, 0);
	user_release(&u);

	add_ok(st, &admin, "0xvendor", ROLE_FORENSIC_ENGINEER, NULL, otp, NULL);
	assert_int_equal((int)strlen(otp), USER_OTP_LEN);

	assert_int_equal(user_get(st, "alice", &u, &e), 0);
	assert_string_equal(u.email, "alice@example.jp");
	assert_int_equal(u.role, ROLE_INCIDENT_HANDLER);
	assert_int_equal(u.disabled, 0);
	assert_true(u.created_at > 0);
	user_release(&u);
	assert_int_equal(user_get(st, "0xvendor", &u, &e), 0);
	assert_int_equal(u.must_change_password, 1);
	assert_string_equal(u.display_name, "");
	user_release(&u);
	assert_int_equal(user_get(st, "nobody", &u, &e), ERR_NOTFOUND);

	assert_int_equal(user_count(st, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(user_list(st, &admin, &list, &e), 0);
	assert_int_equal(json_array_size(list), 2);
	/* Ordered by name; no secret in the JSON. */
	o = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(o, "username")), "0xvendor");
	assert_string_equal(json_string_value(json_object_get(o, "role")), "forensic_engineer");
	assert_true(json_is_true(json_object_get(o, "must_change_password")));
	o = json_array_get(list, 1);
	assert_string_equal(json_string_value(json_object_get(o, "username")), "alice");
	assert_true(json_is_false(json_object_get(o, "external")));
	dump = json_dumps(list, 0);
	assert_non_null(dump);
	assert_null(strstr(dump, "argon2"));
	assert_null(strstr(dump, "hash"));
	assert_null(strstr(dump, PW_ALICE));
	assert_null(strstr(dump, otp));
	free(dump);
	json_decref(list);

	/* One audit row per account, with nothing secret in it. */
	assert_int_equal(audit_rows(st), 2);
	assert_int_equal(audit_count(st, "user.create", "alice"), 1);
	assert_int_equal(audit_count(st, "user.create", "0xvendor"), 1);
	assert_audit_clean(st, PW_ALICE);
	assert_audit_clean(st, otp);
	store_close(st);
}

static void test_duplicate(void **state)
{
	struct store *st = open_store();
	struct actor admin;
	struct user_new nu = { .username = "alice", .role = ROLE_TRIAGE, .password = PW_BOB };
	struct user u;
	struct err e;

	(void)state;
	err_clear(&e);
	actor_local(&admin, NULL);
	add_ok(st, &admin, "alice", ROLE_TRIAGE, PW_ALICE, NULL, NULL);
	assert_int_equal(user_add(st, &admin, &nu, NULL, &u, &e), ERR_EXISTS);
	assert_non_null(strstr(e.msg, "alice"));
	assert_int_equal(users(st), 1);
	assert_int_equal(audit_rows(st), 1);
	/* The first password still works: nothing was overwritten. */
	assert_int_equal(user_check_password(st, "alice", PW_ALICE, NULL, &e), 0);
	store_close(st);
}

/* Each of these must be refused with ERR_INVALID/ERR_TOOLONG and write nothing. */
static void test_bad_input(void **state)
{
	struct store *st = open_store();
	struct actor admin;
	char long_name[USER_NAME_MAX + 2], long_pw[USER_PASSWORD_MAX + 2];
	char long_email[260], long_display[210 * 3 + 1];
	char otp[USER_OTP_LEN + 1];
	struct user u;
	struct err e;
	static const char *const bad_names[] = {
		"", "Alice", "aLICE", ".alice", "-alice", "_alice", "ali ce", "ali/ce",
		"ali@ce", "alicé", "ali\nce", "ali\tce", "アリス",
	};
	static const char *const bad_passwords[] = {
		"", "pw-tiny", "elevenchars", "パスワードパスワード", /* 10 characters, 30 bytes */
		"\xff\xfe invalid utf-8 bytes",
		"overlong \xc0\xaf sequence here",
	};
	static const char *const bad_emails[] = {
		"alice", "alice@@example.jp", "a@b@example.jp", "@example.jp", "alice@",
		"ali ce@example.jp", "alice@exa mple.jp", "alice\n@example.jp",
	};

	(void)state;
	err_clear(&e);
	actor_local(&admin, NULL);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	memset(long_pw, 'p', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	memset(long_email, 'm', sizeof(long_email) - 1);
	long_email[sizeof(long_email) - 1] = '\0';
	long_email[10] = '@';
	long_display[0] = '\0';
	for (int i = 0; i < 201; i++)
		strcat(long_display, "名");

	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		struct user_new nu = { .username = bad_names[i], .role = ROLE_VIEWER,
				       .password = PW_ALICE };
		err_clear(&e);
		assert_int_equal(user_add(st, &admin, &nu, otp, &u, &e), ERR_INVALID);
		assert_non_null(strstr(e.msg, "username"));
	}
	{
		struct user_new nu = { .username = long_name, .role = ROLE_VIEWER };
		assert_int_equal(user_add(st, &admin, &nu, otp, &u, &e), ERR_INVALID);
		assert_non_null(strstr(e.msg, "too long"));
	}
	{
		/* Upper case gets a message that says so. */
		struct user_new nu = { .username = "Alice", .role = ROLE_VIEWER };
		assert_int_equal(user_add(st, &admin, &nu, otp, &u, &e), ERR_INVALID);
		assert_non_null(strstr(e.msg, "lower case"));
	}
	for (size_t i = 0; i < sizeof(bad_passwords) / sizeof(bad_passwords[0]); i++) {
		struct user_new nu = { .username = "alice", .role = ROLE_VIEWER,
				       .password = bad_passwords[i] };
		err_clear(&e);
		assert_int_equal(user_add(st, &admin, &nu, otp, &u, &e), ERR_INVALID);
		assert_non_null(strstr(e.msg, "password"));
		if (*bad_passwords[i])
			assert_null(strstr(e.msg, bad_passwords[i]));
	}
	{
		struct user_new nu = { .username = "alice", .role = ROLE_VIEWER, .password = long_pw };
		assert_int_equal(user_add(st, &admin, &nu, otp, &u, &e), ERR_INVALID);
		assert_non_null(strstr(e.msg, "too long"));
	}
	for (size_t i = 0; i < sizeof(bad_emails) / sizeof(bad_emails[0]); i++) {
		struct user_new nu = { .username = "alice", .role = ROLE_VIEWER,
				       .email = bad_emails[i] };
		err_clear(&e);
		assert_int_equal(user_add(st, &admin, &nu, otp, &u, &e), ERR_INVALID);
		assert_non_null(strstr(e.msg, "email"));
	}
	{
		struct user_new nu = { .username = "alice", .role = ROLE_VIEWER, .email = long_email };
		assert_int_equal(user_add(st, &admin, &nu, otp, &u, &e), ERR_INVALID);
	}
	{
		struct user_new nu = { .username = "alice", .role = ROLE_VIEWER,
				       .display_name = long_display };
		int rc = user_add(st, &admin, &nu, otp, &u, &e);
		assert_true(rc == ERR_TOOLONG || rc == ERR_INVALID);
		nu.display_name = "Alice\x01";
		rc = user_add(st, &admin, &nu, otp, &u, &e);
		assert_int_equal(rc, ERR_INVALID);
		nu.display_name = "Alice";
		nu.role = ROLE__COUNT;
		assert_int_equal(user_add(st, &admin, &nu, otp, &u, &e), ERR_INVALID);
	}
	assert_int_equal(users(st), 0);
	assert_int_equal(audit_rows(st), 0);

	/* The limits themselves are fine: 64-byte name, 12 and 256 characters. */
	long_name[USER_NAME_MAX] = '\0';
	long_pw[USER_PASSWORD_MAX] = '\0';
	add_ok(st, &admin, long_name, ROLE_VIEWER, long_pw, otp, NULL);
	add_ok(st, &admin, "x.y_z-0", ROLE_VIEWER, "パスワードパスワードパス", otp, NULL);
	assert_int_equal(users(st), 2);
	assert_int_equal(audit_rows(st), 2);
	store_close(st);
}

static void test_check_password(void **state)
{
	struct store *st = open_store();
	struct actor admin;
	struct user u;
	struct err e;

	(void)state;
	err_clear(&e);
	actor_local(&admin, NULL);
	add_ok(st, &admin, "alice", ROLE_COMMANDER, PW_ALICE, NULL, NULL);

	assert_int_equal(user_check_password(st, "alice", PW_ALICE, &u, &e), 0);
	assert_string_equal(u.username, "alice");
	assert_int_equal(u.role, ROLE_COMMANDER);
	user_release(&u);

	assert_int_equal(user_check_password(st, "alice", PW_ALICE "x", &u, &e), ERR_AUTH);
	assert_string_equal(e.msg, "invalid username or password");
	err_clear(&e);
	assert_int_equal(user_check_password(st, "mallory", PW_ALICE, &u, &e), ERR_AUTH);
	assert_string_equal(e.msg, "invalid username or password");
	err_clear(&e);
	assert_int_equal(user_check_password(st, "Alice", PW_ALICE, NULL, &e), ERR_AUTH);

	assert_int_equal(user_set_disabled(st, &admin, "alice", 1, &e), 0);
	err_clear(&e);
	assert_int_equal(user_check_password(st, "alice", PW_ALICE, &u, &e), ERR_AUTH);
	assert_string_equal(e.msg, "invalid username or password");
	assert_int_equal(user_set_disabled(st, &admin, "alice", 0, &e), 0);
	assert_int_equal(user_check_password(st, "alice", PW_ALICE, NULL, &e), 0);
	store_close(st);
}

static void test_passwd(void **state)
{
	struct store *st = open_store();
	struct actor admin, alice, bob;
	char otp[USER_OTP_LEN + 1], otp2[USER_OTP_LEN + 1];
	struct user u;
	struct err e;
	int64_t rows;

	(void)state;
	err_clear(&e);
	actor_local(&admin, NULL);
	add_ok(st, &admin, "alice", ROLE_INCIDENT_HANDLER, NULL, otp, NULL);
	add_ok(st, &admin, "bob", ROLE_COMMANDER, PW_BOB, NULL, NULL);
	as_user(st, "alice", &alice);
	as_user(st, "bob", &bob);
	rows = audit_rows(st);

	/* Alice sets her own password: the one-time flag goes away. */
	assert_int_equal(user_passwd(st, &alice, "alice", PW_ALICE, otp2, &e), 0);
	assert_string_equal(otp2, "");
	assert_int_equal(user_get(st, "alice", &u, &e), 0);
	assert_int_equal(u.must_change_password, 0);
	user_release(&u);
	assert_int_equal(audit_count(st, "user.passwd", "alice"), 1);
	assert_int_equal(user_check_password(st, "alice", PW_ALICE, NULL, &e), 0);
	assert_int_equal(user_check_password(st, "alice", otp, NULL, &e), ERR_AUTH);

	/* Neither she nor a commander may set anyone else's, known or not. */
	assert_int_equal(user_passwd(st, &alice, "bob", PW_ALICE, NULL, &e), ERR_DENIED);
	assert_int_equal(user_passwd(st, &bob, "alice", PW_BOB, NULL, &e), ERR_DENIED);
	assert_int_equal(user_passwd(st, &alice, "nobody", PW_ALICE, NULL, &e), ERR_DENIED);
	/* A weak password is refused even for oneself. */
	assert_int_equal(user_passwd(st, &alice, "alice", "short", NULL, &e), ERR_INVALID);
	assert_int_equal(audit_rows(st), rows + 1);

	/* The administrator resets bob: a new one-time password. */
	assert_int_equal(user_passwd(st, &admin, "nobody", NULL, otp2, &e), ERR_NOTFOUND);
	assert_int_equal(user_passwd(st, &admin, "bob", NULL, otp2, &e), 0);
	assert_int_equal((int)strlen(otp2), USER_OTP_LEN);
	assert_int_equal(user_get(st, "bob", &u, &e), 0);
	assert_int_equal(u.must_change_password, 1);
	user_release(&u);
	assert_int_equal(user_check_password(st, "bob", otp2, NULL, &e), 0);
	assert_int_equal(audit_count(st, "user.passwd", "bob"), 1);
	assert_int_equal(audit_rows(st), rows + 2);
	assert_audit_clean(st, PW_ALICE);
	assert_audit_clean(st, otp2);
	store_close(st);
}

static void test_otp(void **state)
{
	struct store *st = open_store();
	struct actor admin;
	char otp[3][USER_OTP_LEN + 1];
	const char *names[3] = { "u1", "u2", "u3" };

	(void)state;
	actor_local(&admin, NULL);
	for (int i = 0; i < 3; i++) {
		add_ok(st, &admin, names[i], ROLE_VIEWER, NULL, otp[i], NULL);
		assert_int_equal((int)strlen(otp[i]), USER_OTP_LEN);
		for (int k = 0; k < USER_OTP_LEN; k++) {
			char ch = otp[i][k];
			assert_true((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				    (ch >= '2' && ch <= '9'));
			assert_null(strchr("0O1lI", ch));
		}
	}
	assert_string_not_equal(otp[0], otp[1]);
	assert_string_not_equal(otp[1], otp[2]);
	store_close(st);
}

static void test_disable_and_permissions(void **state)
{
	struct store *st = open_store();
	struct actor admin, boss, vendor;
	struct user_new nu = { .username = "carol", .role = ROLE_VIEWER, .password = PW_BOB };
	struct user u;
	json_t *list = NULL;
	struct err e;
	int64_t rows;

	(void)state;
	err_clear(&e);
	actor_local(&admin, NULL);
	add_ok(st, &admin, "boss", ROLE_ADMIN, PW_ALICE, NULL, NULL);
	add_ok(st, &admin, "vendor", ROLE_FORENSIC_ENGINEER, PW_BOB, NULL, NULL);
	as_user(st, "boss", &boss);
	/* The vendor account is external: build its actor by hand. */
	as_user(st, "vendor", &vendor);
	vendor.external = 1;
	rows = audit_rows(st);

	/* Only user administrators create, disable and enable accounts. */
	assert_int_equal(user_add(st, &vendor, &nu, NULL, &u, &e), ERR_DENIED);
	vendor.external = 0;
	assert_int_equal(user_add(st, &vendor, &nu, NULL, &u, &e), ERR_DENIED);
	assert_int_equal(user_set_disabled(st, &vendor, "boss", 1, &e), ERR_DENIED);
	assert_int_equal(audit_rows(st), rows);

	/* Staff may list accounts; an outsider may not. */
	assert_int_equal(user_list(st, &vendor, &list, &e), 0);
	json_decref(list);
	vendor.external = 1;
	assert_int_equal(user_list(st, &vendor, &list, &e), ERR_DENIED);
	assert_null(list);

	assert_int_equal(user_set_disabled(st, &boss, "boss", 1, &e), ERR_CONFLICT);
	assert_int_equal(user_set_disabled(st, &boss, "nobody", 1, &e), ERR_NOTFOUND);
	assert_int_equal(user_set_disabled(st, &boss, "vendor", 1, &e), 0);
	assert_int_equal(audit_count(st, "user.disable", "vendor"), 1);
	/* Disabling twice changes nothing and writes nothing. */
	assert_int_equal(user_set_disabled(st, &boss, "vendor", 1, &e), 0);
	assert_int_equal(audit_count(st, "user.disable", "vendor"), 1);
	assert_int_equal(user_get(st, "vendor", &u, &e), 0);
	assert_int_equal(u.disabled, 1);
	user_release(&u);
	/* A disabled account cannot act. */
	assert_int_equal(actor_for_user(st, "vendor", NULL, &vendor, &e), ERR_DENIED);

	assert_int_equal(user_set_disabled(st, &boss, "vendor", 0, &e), 0);
	assert_int_equal(audit_count(st, "user.enable", "vendor"), 1);
	assert_int_equal(audit_rows(st), rows + 2);
	assert_int_equal(user_get(st, "vendor", &u, &e), 0);
	assert_int_equal(u.disabled, 0);
	user_release(&u);
	assert_audit_clean(st, NULL);
	store_close(st);
}

static void test_to_json(void **state)
{
	struct user u;
	json_t *o;
	char dname[] = "名前", email[] = "x@example.jp";

	(void)state;
	memset(&u, 0, sizeof(u));
	u.id = 7;
	snprintf(u.username, sizeof(u.username), "x");
	u.display_name = dname;
	u.email = email;
	u.role = ROLE_LEGAL_ADVISOR;
	u.external = 1;
	u.created_at = 1795653000;
	o = user_to_json(&u);
	assert_non_null(o);
	assert_int_equal(json_integer_value(json_object_get(o, "id")), 7);
	assert_string_equal(json_string_value(json_object_get(o, "role")), "legal_advisor");
	assert_string_equal(json_string_value(json_object_get(o, "display_name")), "名前");
	assert_true(json_is_true(json_object_get(o, "external")));
	assert_string_equal(json_string_value(json_object_get(o, "created_at")),
			    "2026-11-26T00:30:00Z");
	assert_null(json_object_get(o, "password_hash"));
	assert_null(json_object_get(o, "password"));
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_get_list),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_check_password),
		cmocka_unit_test(test_passwd),
		cmocka_unit_test(test_otp),
		cmocka_unit_test(test_disable_and_permissions),
		cmocka_unit_test(test_to_json),
	};
	int rc = cmocka_run_group_tests_name("user", tests, NULL, NULL);

	unit_rmtmp();
	return rc;
}
