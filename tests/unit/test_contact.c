/*
 * test_contact.c: unit tests for ir/contact on a real store: adding,
 * changing and removing contacts with their validation and audit rows; who
 * may read or edit (external accounts may not); the CSV round trip (quotes,
 * embedded commas and newlines, Japanese, columns in any order) and import
 * errors naming each bad line, with nothing written.
 */
#include "unit.h"

#include <jansson.h>

#include "ir/actor.h"
#include "ir/contact.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"

static struct tz *tokyo;
static struct err e;

struct fx {
	struct store *st;
	struct actor admin, carol, vic, ext;
};

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

static void add_user(struct fx *f, const char *name, enum role r, int external, struct actor *a)
{
	struct user_new nu = { .username = name, .role = r, .external = external };
	char otp[USER_OTP_LEN + 1];
	struct user u;

	assert_int_equal(user_add(f->st, &f->admin, &nu, otp, &u, &e), 0);
	user_release(&u);
	assert_int_equal(actor_for_user(f->st, name, tokyo, a, &e), 0);
}

static struct store *open_store(const char *name)
{
	struct store *st = NULL;
	char url[700];

	unit_db_url(name, url, sizeof(url));
	if (store_open(url, STORE_CREATE, &st, &e) != 0)
		fail_msg("store_open: %s", err_msg(&e));
	return st;
}

static int fx_setup(void **state)
{
	static int n;
	struct fx *f = calloc(1, sizeof(*f));
	char name[32];

	assert_non_null(f);
	snprintf(name, sizeof(name), "k%d", ++n);
	f->st = open_store(name);
	actor_local(&f->admin, tokyo);
	add_user(f, "carol", ROLE_NOTIFICATION, 0, &f->carol);
	add_user(f, "vic", ROLE_VIEWER, 0, &f->vic);
	add_user(f, "ext", ROLE_NOTIFICATION, 1, &f->ext);
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

static void test_add_edit_remove(void **state)
{
	struct fx *f = *state;
	struct contact_fields c = { .name = "JPCERT/CC", .scope = "external", .category = "jpcert",
				    .email = "info@jpcert.or.jp", .phone = "03-6271-8901",
				    .on_call = "yes" };
	struct contact_fields bad = c;
	json_t *out = NULL;
	int64_t id;

	assert_int_equal(contact_add(f->st, &f->carol, &c, &out, &e), 0);
	id = json_integer_value(json_object_get(out, "id"));
	assert_true(json_is_true(json_object_get(out, "on_call")));
	json_decref(out);
	/* Refusals write nothing. */
	bad.scope = "outside";
	assert_int_equal(contact_add(f->st, &f->carol, &bad, NULL, &e), ERR_INVALID);
	bad = c;
	bad.email = "not-an-address";
	assert_int_equal(contact_add(f->st, &f->carol, &bad, NULL, &e), ERR_INVALID);
	bad = c;
	bad.name = "";
	assert_int_equal(contact_add(f->st, &f->carol, &bad, NULL, &e), ERR_INVALID);
	assert_int_equal(contact_add(f->st, &f->vic, &c, NULL, &e), ERR_DENIED);
	assert_int_equal(contact_add(f->st, &f->ext, &c, NULL, &e), ERR_DENIED);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM contacts"), 1);
	/* A viewer reads; an external account does not, even with the role. */
	assert_int_equal(contact_get(f->st, &f->vic, id, &out, &e), 0);
	json_decref(out);
	assert_int_equal(contact_list(f->st, &f->ext, NULL, &out, &e), ERR_DENIED);
	/* Edit changes only what is given. */
	memset(&c, 0, sizeof(c));
	c.on_call = "no";
	c.notes = "平日 9-17時";
	assert_int_equal(contact_update(f->st, &f->carol, id, &c, &out, &e), 0);
	assert_false(json_is_true(json_object_get(out, "on_call")));
	assert_string_equal(json_str(out, "email"), "info@jpcert.or.jp");
	assert_string_equal(json_str(out, "notes"), "平日 9-17時");
	json_decref(out);
	assert_int_equal(contact_remove(f->st, &f->carol, id, &e), 0);
	assert_int_equal(contact_get(f->st, &f->carol, id, &out, &e), ERR_NOTFOUND);
	assert_int_equal(contact_remove(f->st, &f->carol, id, &e), ERR_NOTFOUND);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log WHERE object_type = 'contact'"), 3);
}

static const char sample[] =
	"notes,name,scope,category,email,on_call,organisation\r\n"
	"\"複数行の\nメモ, \"\"引用\"\" 付き\",\"山田, 太郎\",internal,legal,yamada@example.jp,yes,法務部\r\n"
	",PPC,external,ppc,,no,個人情報保護委員会\r\n"
	"\r\n"
	"plain,Ops,internal,it,,n,\n";

static void test_csv_round_trip(void **state)
{
	struct fx *f = *state;
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct store *other = open_store("roundtrip");
	int n = 0;

	assert_int_equal(contact_import(f->st, &f->carol, sample, sizeof(sample) - 1, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(contact_export(f->st, &f->carol, &a, &e), 0);
	assert_non_null(strstr(a.data, "name,organisation,scope,category,roles,email,phone,channel,"
				       "on_call,notes\r\n"));
	assert_non_null(strstr(a.data, "\"山田, 太郎\",法務部,internal,legal,,yamada@example.jp,,,yes,"
				       "\"複数行の\nメモ, \"\"引用\"\" 付き\"\r\n"));
	/* Importing the export elsewhere gives the same export. */
	assert_int_equal(contact_import(other, &f->admin, a.data, a.len, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(contact_export(other, &f->admin, &b, &e), 0);
	assert_string_equal(a.data, b.data);
	buf_release(&a);
	buf_release(&b);
	store_close(other);
}

static void import_fails(struct fx *f, const char *csv, const char *const *want)
{
	int64_t before = count(f->st, "SELECT COUNT(*) FROM contacts");
	int n = 0;

	assert_int_not_equal(contact_import(f->st, &f->carol, csv, strlen(csv), &n, &e), 0);
	for (; *want; want++)
		if (!strstr(e.msg, *want))
			fail_msg("message '%s' lacks '%s'", e.msg, *want);
	assert_null(strchr(e.msg, '\n'));
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM contacts"), before);
}

static void test_csv_errors(void **state)
{
	struct fx *f = *state;
	static const char *const w1[] = { "line 4: scope", "line 6: category", NULL };
	static const char *const w2[] = { "line 1: unknown column 'fax'", NULL };
	static const char *const w3[] = { "line 1: the columns name, scope and category", NULL };
	static const char *const w4[] = { "line 2: a quoted field is not closed", NULL };
	static const char *const w5[] = { "line 2: 2 fields, the header has 3", NULL };
	static const char *const w6[] = { "line 2: text after a closing quote", NULL };
	static const char *const w7[] = { "line 3: email", NULL };
	static const char *const w8[] = { "header row", NULL };

	/* Good rows around bad ones: none is added, each bad line is named. */
	import_fails(f, "name,scope,category,notes\nA,internal,it,\"two\nlines\"\nB,nowhere,it,\n"
			"C,external,isp,\nD,internal,spies,\n", w1);
	import_fails(f, "name,scope,category,fax\nA,internal,it,1\n", w2);
	import_fails(f, "name,category\nA,it\n", w3);
	import_fails(f, "name,scope,category\n\"A,internal,it\n", w4);
	import_fails(f, "name,scope,category\nA,internal\n", w5);
	import_fails(f, "name,scope,category\n\"A\"x,internal,it\n", w6);
	import_fails(f, "name,scope,category,email\nA,internal,it,a@b.jp\nB,internal,it,b@\n", w7);
	import_fails(f, "", w8);
	assert_int_equal(contact_import(f->st, &f->ext, sample, sizeof(sample) - 1, &(int){ 0 }, &e),
			 ERR_DENIED);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM contacts"), 0);
}

static int group_setup(void **state)
{
	(void)state;
	err_clear(&e);
	return tz_load("Asia/Tokyo", &tokyo, &e) ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tz_free(tokyo);
	unit_rmtmp();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_edit_remove, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_csv_round_trip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_csv_errors, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
