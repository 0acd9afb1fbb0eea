/*
 * unit_ir.h: what the unit tests of store-backed modules share on top of
 * unit.h: `e`, the error of the call under test; CHECK(call, want), which
 * prints the call's message when its code is not the one wanted; MSG_HAS
 * (the message contains a text and is one line); and adding an account.
 */
#ifndef IRDESK_TESTS_UNIT_IR_H
#define IRDESK_TESTS_UNIT_IR_H

#include "unit.h"

#include "ir/actor.h"
#include "ir/role.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/err.h"
#include "util/time.h"

static struct err e;

#define CHECK(expr, want) unit_check_rc((expr), (want), #expr, __LINE__)
static inline void unit_check_rc(int rc, int want, const char *what, int line)
{
	if (rc != want)
		print_error("line %d: %s: got %d, want %d: %s\n", line, what, rc, want, err_msg(&e));
	assert_int_equal(rc, want);
}

#define MSG_HAS(s) unit_msg_has((s), __LINE__)
static inline void unit_msg_has(const char *s, int line)
{
	if (!strstr(e.msg, s))
		print_error("line %d: message '%s' lacks '%s'\n", line, e.msg, s);
	assert_non_null(strstr(e.msg, s));
	assert_null(strchr(e.msg, '\n'));
}

/* Add account name with role r (external when external is 1) as admin. */
static inline void unit_add_user(struct store *st, const struct actor *admin, const char *name,
				 enum role r, int external)
{
	struct user_new nu = { .username = name, .role = r, .external = external };
	char otp[USER_OTP_LEN + 1];
	struct user u;

	CHECK(user_add(st, admin, &nu, otp, &u, &e), 0);
	user_release(&u);
}

struct unit_account {
	const char *name;
	enum role role;
	int external;
	int disabled; /* 1: the account is disabled after it is added */
};

/*
 * A group setup: load Asia/Tokyo into *tz, then create the template store
 * `name` (copied per test with unit_db_copy) holding the n accounts, added
 * by the local operator at time now. Returns 0, or -1 with the reason printed.
 */
static inline int unit_template(const char *name, int64_t now, struct tz **tz,
				const struct unit_account *acc, size_t n)
{
	struct store *st = NULL;
	struct actor admin;
	char url[600];

	err_clear(&e);
	if (tz_load("Asia/Tokyo", tz, &e) || (unit_db_url(name, url, sizeof(url)),
					       store_open(url, STORE_CREATE, &st, &e))) {
		print_error("template %s: %s\n", name, err_msg(&e));
		return -1;
	}
	actor_local(&admin, *tz);
	admin.now = now;
	for (size_t i = 0; i < n; i++) {
		unit_add_user(st, &admin, acc[i].name, acc[i].role, acc[i].external);
		if (acc[i].disabled)
			CHECK(user_set_disabled(st, &admin, acc[i].name, 1, &e), 0);
	}
	store_close(st);
	return 0;
}

/* The group teardown that goes with unit_template. */
static inline void unit_template_done(struct tz *tz)
{
	tz_free(tz);
	unit_rmtmp();
}

/* A test's own store: a fresh numbered copy of the template store tmpl. */
static inline struct store *unit_fx_open(const char *tmpl)
{
	static int n;
	char name[64], url[700];
	struct store *st = NULL;

	snprintf(name, sizeof(name), "%.40s-%d", tmpl, ++n);
	unit_db_copy(tmpl, name, url, sizeof(url));
	CHECK(store_open(url, 0, &st, &e), 0);
	return st;
}

/* *a becomes the account name (in zone tz) acting at time now. */
static inline void unit_as(struct store *st, struct tz *tz, const char *name, int64_t now,
			   struct actor *a)
{
	CHECK(actor_for_user(st, name, tz, a, &e), 0);
	a->now = now;
}

/* The number a one-row, one-column query gives (sql literal: the store
 * caches statements by text; arg, when not NULL, binds ?1). */
static inline int64_t unit_count(struct store *st, const char *sql, const char *arg)
{
	struct stmt *s;
	int64_t n;

	assert_int_equal(store_prepare(st, sql, &s, NULL), 0);
	if (arg)
		stmt_bind_text(s, 1, arg);
	assert_int_equal(stmt_step(s, NULL), 1);
	n = stmt_int(s, 0);
	stmt_done(s);
	return n;
}

#endif
