/*
 * test_auth.c: unit tests for ir/auth on a real SQLite store: sign-in and
 * its one failure message, sessions (stored by hash, idle and absolute
 * expiry, sign-out, rotation), throttling and locking per account and per
 * address, API tokens, TOTP (RFC 6238 vectors, enrolment, replay, skew) and
 * preferences. Every argon2id check costs a fraction of a second under ASan,
 * so each test signs in as few times as it can.
 */
#include "unit.h"

#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/auth.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/err.h"

#include <sodium.h>

#define PW_ALICE "correct horse battery"
#define PW_BOB "bob's long passphrase"
#define T0 INT64_C(1800000000) /* 2027-01-15T08:00:00Z, a multiple of 30 */

static struct err last; /* the error of the last helper call */

static struct store *open_store_url(char *url, size_t size)
{
	static int n;
	struct store *st = NULL;
	struct err e;
	int rc;

	err_clear(&e);
	{
		char name[16];
		snprintf(name, sizeof(name), "a%d", ++n);
		unit_db_url(name, url, size);
	}
	rc = store_open(url, STORE_CREATE, &st, &e);
	if (rc)
		print_error("store_open(%s): %s\n", url, err_msg(&e));
	assert_int_equal(rc, 0);
	return st;
}

static struct store *open_store(void)
{
	char url[400];

	return open_store_url(url, sizeof(url));
}

static int64_t count(struct store *st, const char *sql, const char *param)
{
	struct stmt *s;
	int64_t n;

	assert_int_equal(store_prepare(st, sql, &s, NULL), 0);
	if (param)
		stmt_bind_text(s, 1, param);
	assert_int_equal(stmt_step(s, NULL), 1);
	n = stmt_int(s, 0);
	stmt_done(s);
	return n;
}

/* 1 when any row of sql (one text column) contains needle. */
static int table_has(struct store *st, const char *sql, const char *needle)
{
	struct stmt *s;
	int found = 0;

	assert_int_equal(store_prepare(st, sql, &s, NULL), 0);
	while (stmt_step(s, NULL) == 1)
		if (strstr(stmt_text(s, 0), needle))
			found = 1;
	stmt_done(s);
	return found;
}

static int audit_has(struct store *st, const char *needle)
{
	return table_has(st, "SELECT actor || ' ' || action || ' ' || object_type || ' ' || "
			     "object_id || ' ' || COALESCE(before, '') || COALESCE(after, '') "
			     "FROM audit_log", needle);
}

static int64_t audit_count(struct store *st, const char *action)
{
	return count(st, "SELECT COUNT(*) FROM audit_log WHERE action = ?", action);
}

/* The audit chain is intact. */
static void audit_ok(struct store *st)
{
	struct audit_report rep;
	struct actor a;
	struct err e;
	int rc;

	actor_local(&a, NULL);
	err_clear(&e);
	rc = audit_verify(st, &a, NULL, &rep, &e);
	if (rc)
		print_error("audit_verify: %s\n", err_msg(&e));
	assert_int_equal(rc, 0);
	assert_true(rep.rows > 0);
}

static void add_user(struct store *st, const char *name, enum role r, const char *pw, char *otp)
{
	struct user_new nu = { .username = name, .role = r, .password = pw };
	struct actor admin;
	struct err e;
	int rc;

	actor_local(&admin, NULL);
	err_clear(&e);
	rc = user_add(st, &admin, &nu, otp, NULL, &e);
	if (rc)
		print_error("user_add(%s): %s\n", name, err_msg(&e));
	assert_int_equal(rc, 0);
}

static void as_user(struct store *st, const char *name, int64_t now, struct actor *a)
{
	struct err e;

	err_clear(&e);
	if (actor_for_user(st, name, NULL, a, &e))
		print_error("actor_for_user(%s): %s\n", name, err_msg(&e));
	assert_string_equal(a->name, name);
	a->now = now;
}

static int signin(struct store *st, const char *name, const char *pw, const char *totp,
		  const char *addr, int64_t now, struct session_info *out, int *retry)
{
	struct signin in = { .username = name, .password = pw, .totp = totp, .addr = addr,
			     .user_agent = "unit-test/1.0", .now = now };
	struct session_info tmp;
	int ra = -1;

	err_clear(&last);
	return auth_signin(st, &in, out ? out : &tmp, retry ? retry : &ra, &last);
}

static void signin_ok(struct store *st, const char *name, const char *pw, const char *totp,
		      const char *addr, int64_t now, struct session_info *out)
{
	int rc = signin(st, name, pw, totp, addr, now, out, NULL);

	if (rc)
		print_error("auth_signin(%s): %s\n", name, err_msg(&last));
	assert_int_equal(rc, 0);
}

static void signin_refused(struct store *st, const char *name, const char *pw, const char *totp,
			   const char *addr, int64_t now)
{
	assert_int_equal(signin(st, name, pw, totp, addr, now, NULL, NULL), ERR_AUTH);
	assert_string_equal(last.msg, "invalid username or password");
}

/* TOTP */

/* RFC 6238 Appendix B, SHA1: the last six of the eight digits. */
static void test_totp_vectors(void **state)
{
	static const struct {
		int64_t t;
		const char *code;
	} v[] = {
		{ 59, "287082" },         { 1111111109, "081804" }, { 1111111111, "050471" },
		{ 1234567890, "005924" }, { 2000000000, "279037" }, { INT64_C(20000000000), "353130" },
	};
	const unsigned char *key = (const unsigned char *)"12345678901234567890";
	char out[7];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(auth_totp_code(key, 20, v[i].t, out), 0);
		assert_string_equal(out, v[i].code);
	}
	/* The same step gives the same code; the next one another. */
	assert_int_equal(auth_totp_code(key, 20, 60, out), 0);
	assert_int_equal(auth_totp_code(key, 20, 89, out), 0);
	assert_int_equal(auth_totp_code(key, 20, -1, out), ERR_INVALID);
	assert_int_equal(auth_totp_code(key, 0, 59, out), ERR_INVALID);
}

/* RFC 4648 base32 (no padding) back to bytes; returns the length. */
static size_t unbase32(const char *s, unsigned char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *s; s++) {
		const char *p = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", *s);
		assert_non_null(p);
		acc = (acc << 5) | (uint32_t)(p - "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
		bits += 5;
		if (bits >= 8) {
			out[n++] = (unsigned char)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return n;
}

/* Sign-in */

static void test_signin_and_failures(void **state)
{
	struct store *st = open_store();
	struct session_info s;
	char otp[USER_OTP_LEN + 1];
	char sql[200];
	int retry = -1;

	(void)state;
	add_user(st, "alice", ROLE_INCIDENT_HANDLER, PW_ALICE, NULL);
	add_user(st, "bob", ROLE_TRIAGE, PW_BOB, NULL);
	add_user(st, "carol", ROLE_VIEWER, NULL, otp);

	assert_int_equal(signin(st, "alice", PW_ALICE, NULL, "192.0.2.1", T0, &s, &retry), 0);
	assert_int_equal(retry, 0);
	assert_int_equal((int)strlen(s.id), AUTH_SESSION_LEN);
	assert_int_equal((int)strlen(s.csrf), AUTH_CSRF_LEN);
	assert_string_not_equal(s.id, s.csrf);
	assert_true(s.user_id > 0);
	assert_string_equal(s.username, "alice");
	assert_int_equal(s.expires_at, T0 + AUTH_SESSION_ABSOLUTE);
	assert_int_equal(s.must_change_password, 0);
	assert_int_equal(s.totp_enrol_required, 0);
	assert_string_equal(s.lang, "");
	assert_string_equal(s.tz, "");
	assert_int_equal(audit_count(st, "auth.signin"), 1);

	/* Neither the cookie value nor the CSRF token is in the database. */
	snprintf(sql, sizeof(sql), "SELECT id_hash || ' ' || csrf || ' ' || addr || ' ' || "
		 "user_agent FROM sessions");
	assert_int_equal(count(st, "SELECT COUNT(*) FROM sessions", NULL), 1);
	assert_false(table_has(st, sql, s.id));
	assert_false(table_has(st, sql, s.csrf));
	assert_true(table_has(st, sql, "unit-test/1.0"));
	assert_true(table_has(st, sql, "192.0.2.1"));

	/* Every cause of failure reads the same. */
	signin_refused(st, "alice", "wrong horse battery", NULL, "192.0.2.2", T0);
	signin_refused(st, "nosuchuser", PW_ALICE, NULL, "192.0.2.3", T0);
	signin_refused(st, "alice", "", NULL, "192.0.2.4", T0);
	signin_refused(st, NULL, NULL, NULL, "192.0.2.5", T0);
	{
		struct actor admin;

		actor_local(&admin, NULL);
		assert_int_equal(user_set_disabled(st, &admin, "bob", 1, NULL), 0);
	}
	signin_refused(st, "bob", PW_BOB, NULL, "192.0.2.6", T0);

	/* The failures are audited under the account, or the address when there is none. */
	assert_int_equal(audit_count(st, "auth.failure"), 5);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.failure' "
				   "AND actor = ?", "alice"), 2);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.failure' "
				   "AND actor = ?", "address:192.0.2.3"), 1);
	assert_true(audit_has(st, "account_disabled"));
	/* An unknown name may be a mistyped password: it is not recorded. */
	assert_false(audit_has(st, "nosuchuser"));
	assert_false(audit_has(st, PW_ALICE));
	assert_false(audit_has(st, "wrong horse"));
	assert_false(audit_has(st, s.id));
	assert_false(audit_has(st, s.csrf));
	/* The counters were committed although sign-in failed. */
	assert_int_equal(count(st, "SELECT failures FROM signin_failures WHERE key = ?",
			       "user:alice"), 2);
	assert_int_equal(count(st, "SELECT failures FROM signin_failures WHERE key = ?",
			       "addr:192.0.2.3"), 1);

	/* A one-time password signs in, and the session says it must be changed. */
	signin_ok(st, "carol", otp, NULL, "192.0.2.7", T0, &s);
	assert_int_equal(s.must_change_password, 1);
	audit_ok(st);
	store_close(st);
}

static void test_sessions(void **state)
{
	struct store *st = open_store();
	struct session_info a, b, got;
	struct actor admin;
	struct err e;
	char fake[AUTH_SESSION_LEN + 1];
	int64_t t;

	(void)state;
	err_clear(&e);
	add_user(st, "alice", ROLE_INCIDENT_HANDLER, PW_ALICE, NULL);
	signin_ok(st, "alice", PW_ALICE, NULL, "192.0.2.1", T0, &a);
	signin_ok(st, "alice", PW_ALICE, NULL, "192.0.2.1", T0 + 5, &b);
	/* Rotation: each sign-in makes a new id and token. */
	assert_string_not_equal(a.id, b.id);
	assert_string_not_equal(a.csrf, b.csrf);

	assert_int_equal(auth_session(st, a.id, T0 + 10, &got, &e), 0);
	assert_string_equal(got.id, a.id);
	assert_string_equal(got.csrf, a.csrf);
	assert_string_equal(got.username, "alice");
	assert_int_equal(got.user_id, a.user_id);
	assert_int_equal(got.expires_at, T0 + AUTH_SESSION_ABSOLUTE);

	/* Idle: exactly AUTH_SESSION_IDLE since last use is fine, one second more is not. */
	assert_int_equal(auth_session(st, a.id, T0 + AUTH_SESSION_IDLE, &got, &e), 0);
	t = T0 + 2 * AUTH_SESSION_IDLE + 1;
	assert_int_equal(auth_session(st, a.id, t, &got, &e), ERR_AUTH);
	assert_string_equal(got.id, "");
	assert_string_equal(got.csrf, "");
	/* It is gone for good, even at an earlier time. */
	assert_int_equal(auth_session(st, a.id, T0 + 20, &got, &e), ERR_AUTH);

	/* Absolute: used every 50 minutes, the session still ends 12 hours after sign-in. */
	for (t = T0 + 5 + 3000; t < T0 + 5 + AUTH_SESSION_ABSOLUTE; t += 3000)
		assert_int_equal(auth_session(st, b.id, t, &got, &e), 0);
	assert_int_equal(auth_session(st, b.id, T0 + 5 + AUTH_SESSION_ABSOLUTE - 1, &got, &e), 0);
	assert_int_equal(auth_session(st, b.id, T0 + 5 + AUTH_SESSION_ABSOLUTE, &got, &e),
			 ERR_AUTH);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM sessions", NULL), 0);

	/* Sign-out ends one session; others go on. */
	signin_ok(st, "alice", PW_ALICE, NULL, "192.0.2.1", T0 + 100, &a);
	signin_ok(st, "alice", PW_ALICE, NULL, "192.0.2.1", T0 + 100, &b);
	assert_int_equal(auth_signout(st, a.id, &e), 0);
	assert_int_equal(auth_session(st, a.id, T0 + 101, &got, &e), ERR_AUTH);
	assert_int_equal(auth_session(st, b.id, T0 + 101, &got, &e), 0);
	assert_int_equal(auth_signout(st, a.id, &e), 0); /* unknown ids are fine */
	assert_int_equal(auth_signout(st, "", &e), 0);

	/* Ids that were never handed out. */
	memset(fake, 'A', AUTH_SESSION_LEN);
	fake[AUTH_SESSION_LEN] = '\0';
	assert_int_equal(auth_session(st, fake, T0 + 101, &got, &e), ERR_AUTH);
	assert_int_equal(auth_session(st, "", T0 + 101, &got, &e), ERR_AUTH);
	assert_int_equal(auth_session(st, NULL, T0 + 101, &got, &e), ERR_AUTH);
	assert_int_equal(auth_session(st, "short", T0 + 101, &got, &e), ERR_AUTH);

	/* A disabled account's sessions stop working; sign-out-all ends them all. */
	actor_local(&admin, NULL);
	assert_int_equal(user_set_disabled(st, &admin, "alice", 1, &e), 0);
	assert_int_equal(auth_session(st, b.id, T0 + 102, &got, &e), ERR_AUTH);
	assert_int_equal(user_set_disabled(st, &admin, "alice", 0, &e), 0);
	assert_int_equal(auth_session(st, b.id, T0 + 103, &got, &e), 0);
	assert_int_equal(auth_signout_all(st, b.user_id, &e), 0);
	assert_int_equal(auth_session(st, b.id, T0 + 104, &got, &e), ERR_AUTH);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM sessions", NULL), 0);
	audit_ok(st);
	store_close(st);
}

/* Throttling */

static void test_throttle_account(void **state)
{
	struct store *st = open_store();
	struct session_info s;
	char addr[32];
	int64_t t = T0, lock_at;
	int retry = -1, i;

	(void)state;
	add_user(st, "alice", ROLE_INCIDENT_HANDLER, PW_ALICE, NULL);
	/* Each attempt from its own address, so only the account key counts. */
	for (i = 1; i <= AUTH_FREE_FAILURES; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		signin_refused(st, "alice", "wrong password 1", NULL, addr, t);
	}
	/* Now a delay is asked, and even the right password waits for it. */
	assert_int_equal(signin(st, "alice", PW_ALICE, NULL, "203.0.113.9", t, &s, &retry),
			 ERR_BUSY);
	assert_int_equal(retry, 1);
	assert_string_equal(last.msg, "too many failed sign-ins: wait 1 seconds");
	assert_string_equal(s.id, "");
	t += 1;
	signin_refused(st, "alice", "wrong password 2", NULL, "198.51.100.4", t);
	/* Four failures: two seconds from the last. */
	assert_int_equal(signin(st, "alice", PW_ALICE, NULL, "203.0.113.9", t + 1, &s, &retry),
			 ERR_BUSY);
	assert_int_equal(retry, 1);
	assert_int_equal(signin(st, "alice", PW_ALICE, NULL, "203.0.113.9", t, &s, &retry),
			 ERR_BUSY);
	assert_int_equal(retry, 2);
	/* Refused attempts are not counted: still four. */
	assert_int_equal(count(st, "SELECT failures FROM signin_failures WHERE key = ?",
			       "user:alice"), 4);

	for (i = 5; i <= AUTH_LOCK_FAILURES; i++) {
		t += 61; /* past the longest delay */
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		signin_refused(st, "alice", "wrong password 3", NULL, addr, t);
	}
	lock_at = t;
	assert_int_equal(audit_count(st, "auth.lock"), 1);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.lock' AND "
				   "object_type = 'user' AND object_id = ?", "alice"), 1);

	/* Locked: the right password does not help, for AUTH_LOCK_SECONDS. */
	assert_int_equal(signin(st, "alice", PW_ALICE, NULL, "203.0.113.9", lock_at + 61, &s,
				&retry), ERR_DENIED);
	assert_int_equal(retry, AUTH_LOCK_SECONDS - 61);
	assert_non_null(strstr(last.msg, "account locked until "));
	assert_int_equal(signin(st, "alice", PW_ALICE, NULL, "203.0.113.9",
				lock_at + AUTH_LOCK_SECONDS - 1, &s, &retry), ERR_DENIED);
	assert_int_equal(audit_count(st, "auth.lock"), 1);
	assert_int_equal(audit_count(st, "auth.signin"), 0);

	/* The lock ends and the count starts again from zero. */
	signin_ok(st, "alice", PW_ALICE, NULL, "203.0.113.9", lock_at + AUTH_LOCK_SECONDS, &s);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM signin_failures WHERE key = ?",
			       "user:alice"), 0);
	t = lock_at + AUTH_LOCK_SECONDS + 10;
	signin_refused(st, "alice", "wrong password 4", NULL, "198.51.100.20", t);
	assert_int_equal(count(st, "SELECT failures FROM signin_failures WHERE key = ?",
			       "user:alice"), 1);
	/* An unknown name is throttled just the same (nothing to tell them apart by). */
	for (i = 0; i < AUTH_FREE_FAILURES; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", 30 + i);
		signin_refused(st, "mallory", "whatever password", NULL, addr, t);
	}
	assert_int_equal(signin(st, "mallory", "whatever password", NULL, "203.0.113.10", t, &s,
				&retry), ERR_BUSY);
	assert_false(audit_has(st, "mallory"));
	assert_false(audit_has(st, "wrong password"));
	audit_ok(st);
	store_close(st);
}

/* Checking the password again (before a change) is throttled like a sign-in. */
static void test_reauth_throttled(void **state)
{
	struct store *st = open_store();
	struct err e;
	int retry = -1, i;

	(void)state;
	add_user(st, "rita", ROLE_INCIDENT_HANDLER, PW_ALICE, NULL);
	err_clear(&e);
	assert_int_equal(auth_reauth(st, "rita", PW_ALICE, "192.0.2.1", T0, &retry, &e), 0);
	for (i = 0; i < AUTH_FREE_FAILURES; i++)
		assert_int_equal(auth_reauth(st, "rita", "not the password", "192.0.2.1", T0,
					     &retry, &e), ERR_AUTH);
	/* Now even the right password must wait, as at sign-in. */
	assert_int_equal(auth_reauth(st, "rita", PW_ALICE, "192.0.2.1", T0, &retry, &e), ERR_BUSY);
	assert_true(retry > 0);
	assert_int_equal(audit_count(st, "auth.failure"), AUTH_FREE_FAILURES);
	assert_int_equal(auth_reauth(st, "rita", PW_ALICE, "192.0.2.1", T0 + 60, &retry, &e), 0);
	audit_ok(st);
	store_close(st);
}

static void test_throttle_address(void **state)
{
	struct store *st = open_store();
	struct session_info s;
	int retry = -1;

	(void)state;
	add_user(st, "alice", ROLE_INCIDENT_HANDLER, PW_ALICE, NULL);
	/* One address trying three different names... */
	signin_refused(st, "admin", "guess number one", NULL, "203.0.113.66", T0);
	signin_refused(st, "root", "guess number two", NULL, "203.0.113.66", T0);
	signin_refused(st, "alice", "guess number three", NULL, "203.0.113.66", T0);
	/* ...is slowed down for every name, even with the right password. */
	assert_int_equal(signin(st, "alice", PW_ALICE, NULL, "203.0.113.66", T0, &s, &retry),
			 ERR_BUSY);
	assert_int_equal(retry, 1);
	assert_int_equal(signin(st, "carol", "guess number four", NULL, "203.0.113.66", T0, &s,
				&retry), ERR_BUSY);
	assert_int_equal(count(st, "SELECT failures FROM signin_failures WHERE key = ?",
			       "addr:203.0.113.66"), 3);
	/* Another address is not. */
	signin_ok(st, "alice", PW_ALICE, NULL, "192.0.2.10", T0, &s);
	/* Success clears the account's count, not the address's. */
	assert_int_equal(count(st, "SELECT COUNT(*) FROM signin_failures WHERE key = ?",
			       "user:alice"), 0);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM signin_failures WHERE key = ?",
			       "addr:203.0.113.66"), 1);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.failure' "
				   "AND actor = ?", "address:203.0.113.66"), 2);
	audit_ok(st);
	store_close(st);
}

/* The address key locks too, with its own audit row. */
static void test_lock_address(void **state)
{
	struct store *st = open_store();
	struct session_info s;
	char name[32];
	int64_t t = T0;
	int retry = -1;

	(void)state;
	for (int i = 0; i < AUTH_LOCK_FAILURES; i++) {
		snprintf(name, sizeof(name), "sprayed%d", i);
		signin_refused(st, name, "spring2027spring", NULL, "203.0.113.77", t);
		t += 61;
	}
	assert_int_equal(count(st, "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.lock' AND "
				   "object_type = 'address' AND object_id = ?", "203.0.113.77"), 1);
	assert_int_equal(audit_count(st, "auth.lock"), 1);
	assert_int_equal(signin(st, "someone", "spring2027spring", NULL, "203.0.113.77", t, &s,
				&retry), ERR_DENIED);
	assert_non_null(strstr(last.msg, "address"));
	assert_true(retry > 0);
	audit_ok(st);
	store_close(st);
}

/* API tokens */

static void test_tokens(void **state)
{
	char url[400];
	struct store *st = open_store_url(url, sizeof(url)), *st2 = NULL;
	struct actor admin, alice, bob, got;
	char token[AUTH_TOKEN_LEN + 1], token2[AUTH_TOKEN_LEN + 1], bad[AUTH_TOKEN_LEN + 1];
	char prefix[16];
	json_t *info = NULL, *list = NULL;
	char *dump;
	int64_t id, rows;
	struct err e;

	(void)state;
	err_clear(&e);
	add_user(st, "alice", ROLE_INCIDENT_HANDLER, PW_ALICE, NULL);
	add_user(st, "bob", ROLE_TRIAGE, PW_BOB, NULL);
	actor_local(&admin, NULL);
	admin.now = T0;
	as_user(st, "alice", T0, &alice);
	as_user(st, "bob", T0, &bob);

	assert_int_equal(auth_token_create(st, &admin, "alice", "ci", token, &info, &e), 0);
	assert_int_equal((int)strlen(token), AUTH_TOKEN_LEN);
	assert_memory_equal(token, "ird_", 4);
	assert_non_null(info);
	id = json_integer_value(json_object_get(info, "id"));
	assert_true(id > 0);
	assert_string_equal(json_string_value(json_object_get(info, "name")), "ci");
	snprintf(prefix, sizeof(prefix), "%s", json_string_value(json_object_get(info, "prefix")));
	assert_true(strlen(prefix) >= 8 && strlen(prefix) < 16);
	assert_memory_equal(prefix, token, strlen(prefix));
	assert_null(json_object_get(info, "token"));
	assert_null(json_object_get(info, "hash"));
	json_decref(info);

	/* Not stored in the clear, nor in the audit log. */
	assert_false(table_has(st, "SELECT name || ' ' || prefix || ' ' || hash FROM api_tokens",
			       token));
	assert_false(table_has(st, "SELECT name || ' ' || prefix || ' ' || hash FROM api_tokens",
			       token + strlen(prefix)));
	assert_false(audit_has(st, token));
	assert_int_equal(audit_count(st, "token.create"), 1);

	/* The token acts as alice, and its use is recorded. */
	assert_int_equal(auth_token_actor(st, token, T0 + 5, NULL, &got, &e), 0);
	assert_int_equal(got.user_id, alice.user_id);
	assert_string_equal(got.name, "alice");
	assert_int_equal(got.role, ROLE_INCIDENT_HANDLER);
	assert_int_equal(got.now, T0 + 5);
	assert_int_equal(count(st, "SELECT last_used FROM api_tokens WHERE name = ?", "ci"),
			 T0 + 5);

	/* Another connection (another process) agrees on the server key. */
	assert_int_equal(store_open(url, 0, &st2, &e), 0);
	assert_int_equal(auth_token_actor(st2, token, T0 + 6, NULL, &got, &e), 0);
	assert_int_equal(auth_token_create(st2, &alice, "alice", "own", token2, NULL, &e), 0);
	store_close(st2);
	assert_int_equal(auth_token_actor(st, token2, T0 + 7, NULL, &got, &e), 0);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM meta WHERE key = ?", "server_key"), 1);

	/* Look-alikes are refused. */
	snprintf(bad, sizeof(bad), "%s", token);
	bad[AUTH_TOKEN_LEN - 1] = bad[AUTH_TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_token_actor(st, bad, T0, NULL, &got, &e), ERR_AUTH);
	assert_string_equal(got.name, "");
	assert_int_equal(auth_token_actor(st, "", T0, NULL, &got, &e), ERR_AUTH);
	assert_int_equal(auth_token_actor(st, NULL, T0, NULL, &got, &e), ERR_AUTH);
	assert_int_equal(auth_token_actor(st, prefix, T0, NULL, &got, &e), ERR_AUTH);

	/* Listing shows names and prefixes, never tokens or hashes. */
	assert_int_equal(auth_token_list(st, &alice, "alice", &list, &e), 0);
	assert_int_equal(json_array_size(list), 2);
	dump = json_dumps(list, 0);
	assert_non_null(dump);
	assert_non_null(strstr(dump, "\"ci\""));
	assert_non_null(strstr(dump, prefix));
	assert_null(strstr(dump, token));
	assert_null(strstr(dump, token2));
	assert_null(strstr(dump, "hash"));
	free(dump);
	json_decref(list);

	/* Others need user_admin, and cannot probe names without it. */
	assert_int_equal(auth_token_create(st, &bob, "alice", "x", token2, NULL, &e), ERR_DENIED);
	assert_string_equal(token2, "");
	assert_int_equal(auth_token_list(st, &bob, "alice", &list, &e), ERR_DENIED);
	assert_null(list);
	assert_int_equal(auth_token_revoke(st, &bob, id, &e), ERR_DENIED);
	assert_int_equal(auth_token_create(st, &bob, "nobody", "x", token2, NULL, &e), ERR_DENIED);
	assert_int_equal(auth_token_create(st, &admin, "nobody", "x", token2, NULL, &e),
			 ERR_NOTFOUND);
	assert_int_equal(auth_token_revoke(st, &bob, 999, &e), ERR_DENIED);
	assert_int_equal(auth_token_revoke(st, &admin, 999, &e), ERR_NOTFOUND);
	assert_int_equal(auth_token_create(st, &alice, "alice", "", token2, NULL, &e), ERR_INVALID);
	assert_int_equal(auth_token_create(st, &alice, "alice", "a\nb", token2, NULL, &e),
			 ERR_INVALID);
	{
		char longname[102];

		memset(longname, 'n', 101);
		longname[101] = '\0';
		assert_int_equal(auth_token_create(st, &alice, "alice", longname, token2, NULL, &e),
				 ERR_TOOLONG);
		longname[100] = '\0';
		assert_int_equal(auth_token_create(st, &alice, "alice", longname, token2, NULL, &e),
				 0);
		assert_int_equal(auth_token_actor(st, token2, T0, NULL, &got, &e), 0);
	}

	/* Revoked: refused at once; revoking again writes nothing. */
	assert_int_equal(auth_token_revoke(st, &alice, id, &e), 0);
	assert_int_equal(auth_token_actor(st, token, T0 + 8, NULL, &got, &e), ERR_AUTH);
	rows = count(st, "SELECT COUNT(*) FROM audit_log", NULL);
	assert_int_equal(auth_token_revoke(st, &admin, id, &e), 0);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM audit_log", NULL), rows);
	assert_int_equal(audit_count(st, "token.revoke"), 1);
	assert_int_equal(auth_token_list(st, &admin, "alice", &list, &e), 0);
	assert_int_equal(json_array_size(list), 3);
	assert_true(json_is_true(json_object_get(json_array_get(list, 0), "revoked")));
	assert_false(json_is_true(json_object_get(json_array_get(list, 1), "revoked")));
	json_decref(list);

	/* A disabled account's tokens stop working, and it gets no new ones. */
	assert_int_equal(auth_token_create(st, &admin, "bob", "bot", token, NULL, &e), 0);
	assert_int_equal(auth_token_actor(st, token, T0, NULL, &got, &e), 0);
	assert_int_equal(user_set_disabled(st, &admin, "bob", 1, &e), 0);
	assert_int_equal(auth_token_actor(st, token, T0, NULL, &got, &e), ERR_AUTH);
	assert_string_equal(e.msg, "invalid or revoked api token");
	assert_int_equal(auth_token_create(st, &admin, "bob", "bot2", token, NULL, &e),
			 ERR_CONFLICT);
	audit_ok(st);
	store_close(st);
}

/* TOTP enrolment and sign-in */

static void test_totp(void **state)
{
	struct store *st = open_store();
	struct session_info s;
	struct actor alice, bob, admin;
	char secret[64], uri[512], want[600], code[7], other[64];
	unsigned char key[64];
	size_t keylen;
	struct err e;
	int64_t t;

	(void)state;
	err_clear(&e);
	add_user(st, "alice", ROLE_INCIDENT_HANDLER, PW_ALICE, NULL);
	add_user(st, "bob", ROLE_TRIAGE, PW_BOB, NULL);
	actor_local(&admin, NULL);
	as_user(st, "alice", T0, &alice);
	as_user(st, "bob", T0, &bob);

	/* Only an account enrols itself, and confirms only what it began. */
	assert_int_equal(auth_totp_begin(st, &admin, secret, uri, &e), ERR_DENIED);
	assert_int_equal(auth_totp_confirm(st, &alice, "123456", &e), ERR_CONFLICT);

	assert_int_equal(auth_totp_begin(st, &alice, secret, uri, &e), 0);
	assert_int_equal((int)strlen(secret), 32);
	snprintf(want, sizeof(want), "otpauth://totp/irdesk:alice?secret=%s&issuer=irdesk", secret);
	assert_string_equal(uri, want);
	keylen = unbase32(secret, key);
	assert_int_equal(keylen, 20);
	assert_false(table_has(st, "SELECT COALESCE(totp_pending, '') || COALESCE(totp_secret, '') "
				   "FROM users", secret));
	assert_false(audit_has(st, secret));

	/* Not enabled until confirmed: the password alone still signs in. */
	signin_ok(st, "alice", PW_ALICE, NULL, "192.0.2.1", T0, &s);

	/* A wrong code does not confirm; the right one (from this step) does. */
	assert_int_equal(auth_totp_code(key, keylen, T0, code), 0);
	assert_int_equal(auth_totp_confirm(st, &alice, code[0] == '9' ? "000000" : "999999", &e),
			 ERR_INVALID);
	assert_int_equal(auth_totp_confirm(st, &alice, "12345", &e), ERR_INVALID);
	assert_int_equal(auth_totp_confirm(st, &alice, code, &e), 0);
	assert_int_equal(count(st, "SELECT totp_enabled FROM users WHERE username = ?", "alice"),
			 1);
	assert_int_equal(audit_count(st, "user.totp_enable"), 1);

	/* Now the password alone is not enough. */
	assert_int_equal(signin(st, "alice", PW_ALICE, NULL, "192.0.2.2", T0 + 1, &s, NULL),
			 ERR_AUTH);
	assert_string_equal(last.msg, "totp code required");
	/* The code used to confirm is spent (replay). */
	signin_refused(st, "alice", PW_ALICE, code, "192.0.2.3", T0 + 2);

	/* One step ahead of the clock is accepted, once. */
	t = T0 + 30;
	assert_int_equal(auth_totp_code(key, keylen, t + 30, code), 0);
	signin_ok(st, "alice", PW_ALICE, code, "192.0.2.4", t, &s);
	signin_refused(st, "alice", PW_ALICE, code, "192.0.2.5", t + 1);
	/* One step behind is accepted; two are not. */
	t = T0 + 300;
	assert_int_equal(auth_totp_code(key, keylen, t - 60, code), 0);
	signin_refused(st, "alice", PW_ALICE, code, "192.0.2.6", t);
	t += 2;
	assert_int_equal(auth_totp_code(key, keylen, t - 30, code), 0);
	assert_int_equal(signin(st, "alice", PW_ALICE, code, "192.0.2.7", t, &s, NULL), 0);
	/* Spaces as authenticator apps show them are fine. */
	t += 60;
	assert_int_equal(auth_totp_code(key, keylen, t, code), 0);
	snprintf(other, sizeof(other), "%.3s %s", code, code + 3);
	signin_ok(st, "alice", PW_ALICE, other, "192.0.2.8", t, &s);
	assert_false(audit_has(st, code));
	assert_int_equal(count(st, "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.failure' "
				   "AND after LIKE ?", "%totp_code%"), 3);

	/* Starting again does not switch off the working secret. */
	assert_int_equal(auth_totp_begin(st, &alice, other, uri, &e), 0);
	assert_string_not_equal(other, secret);
	assert_int_equal(count(st, "SELECT totp_enabled FROM users WHERE username = ?", "alice"),
			 1);

	/* Others may not switch it off; the account itself may. */
	assert_int_equal(auth_totp_disable(st, &bob, "alice", &e), ERR_DENIED);
	assert_int_equal(auth_totp_disable(st, &alice, "alice", &e), 0);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM users WHERE username = ? AND "
				   "totp_enabled = 0 AND totp_secret IS NULL AND totp_pending IS NULL",
			       "alice"), 1);
	assert_int_equal(audit_count(st, "user.totp_disable"), 1);

	/* Requiring it is for user_admin; sessions then say enrolment is due. */
	assert_int_equal(auth_totp_require(st, &bob, "alice", 1, &e), ERR_DENIED);
	assert_int_equal(auth_totp_require(st, &admin, "nobody", 1, &e), ERR_NOTFOUND);
	assert_int_equal(auth_totp_require(st, &admin, "alice", 1, &e), 0);
	assert_int_equal(auth_totp_require(st, &admin, "alice", 1, &e), 0);
	assert_int_equal(audit_count(st, "user.totp_require"), 1);
	assert_int_equal(auth_session(st, s.id, t + 10, &s, &e), 0);
	assert_int_equal(s.totp_enrol_required, 1);
	assert_int_equal(auth_totp_require(st, &admin, "alice", 0, &e), 0);
	assert_int_equal(auth_session(st, s.id, t + 11, &s, &e), 0);
	assert_int_equal(s.totp_enrol_required, 0);
	audit_ok(st);
	store_close(st);
}

/* Preferences */

static void test_prefs(void **state)
{
	struct store *st = open_store();
	struct session_info s;
	struct actor alice, admin;
	struct err e;

	(void)state;
	err_clear(&e);
	add_user(st, "alice", ROLE_INCIDENT_HANDLER, PW_ALICE, NULL);
	as_user(st, "alice", T0, &alice);
	actor_local(&admin, NULL);

	assert_int_equal(auth_set_prefs(st, &alice, "ja", "Asia/Tokyo", &e), 0);
	assert_int_equal(audit_count(st, "user.prefs"), 1);
	signin_ok(st, "alice", PW_ALICE, NULL, "192.0.2.1", T0, &s);
	assert_string_equal(s.lang, "ja");
	assert_string_equal(s.tz, "Asia/Tokyo");

	/* NULL keeps a setting; "" clears it. */
	assert_int_equal(auth_set_prefs(st, &alice, "en", NULL, &e), 0);
	assert_int_equal(auth_session(st, s.id, T0 + 1, &s, &e), 0);
	assert_string_equal(s.lang, "en");
	assert_string_equal(s.tz, "Asia/Tokyo");
	assert_int_equal(auth_set_prefs(st, &alice, "", "", &e), 0);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM users WHERE username = ? AND lang IS NULL "
				   "AND tz IS NULL", "alice"), 1);
	assert_int_equal(audit_count(st, "user.prefs"), 3);
	/* Setting what is already set writes nothing. */
	assert_int_equal(auth_set_prefs(st, &alice, "", NULL, &e), 0);
	assert_int_equal(audit_count(st, "user.prefs"), 3);

	assert_int_equal(auth_set_prefs(st, &alice, "fr", NULL, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "'fr'"));
	assert_int_equal(auth_set_prefs(st, &alice, "JA", NULL, &e), ERR_INVALID);
	assert_int_equal(auth_set_prefs(st, &alice, NULL, "Nowhere/Atlantis", &e), ERR_NOTFOUND);
	assert_int_equal(auth_set_prefs(st, &alice, NULL, "../etc/passwd", &e), ERR_INVALID);
	assert_int_equal(auth_set_prefs(st, &alice, NULL, "Europe/Paris", &e), 0);
	assert_int_equal(auth_set_prefs(st, &admin, "ja", NULL, &e), ERR_DENIED);
	assert_int_equal(auth_session(st, s.id, T0 + 2, &s, &e), 0);
	assert_string_equal(s.lang, "");
	assert_string_equal(s.tz, "Europe/Paris");
	audit_ok(st);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_totp_vectors),
		cmocka_unit_test(test_signin_and_failures),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_throttle_account),
		cmocka_unit_test(test_reauth_throttled),
		cmocka_unit_test(test_throttle_address),
		cmocka_unit_test(test_lock_address),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_totp),
		cmocka_unit_test(test_prefs),
	};
	int rc;

	if (sodium_init() < 0)
		return 1;
	rc = cmocka_run_group_tests_name("auth", tests, NULL, NULL);
	unit_rmtmp();
	return rc;
}
