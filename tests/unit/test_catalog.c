/*
 * test_catalog.c: the incident catalog and what it does to incidents:
 * the embedded catalog loads complete; broken catalogs are refused with the
 * file and line of every problem; item values are checked and normalised;
 * a type's playbook becomes tasks (once, also when the type changes); the
 * completeness gates refuse a move with missing items, and only someone
 * who may override them forces it, with a reason, on the record.
 */
#include "unit_ir.h"

#include <jansson.h>
#include <sys/stat.h>

#include "ir/actor.h"
#include "ir/catalog.h"
#include "ir/incident.h"
#include "ir/items.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/embed.h"
#include "util/err.h"
#include "util/time.h"

#define NOW INT64_C(1795737600) /* 2026-11-27T00:00:00Z = 09:00 JST */

static struct tz *tokyo;



/* catalog files */

static void test_embedded_catalog(void **state)
{
	const struct catalog *c = catalog_active();
	const struct catalog_type *bec;
	const struct catalog_item *it;
	const struct catalog_threat_list *tl;

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->ntypes, 13);
	for (size_t i = 0; i < c->ntypes; i++) {
		assert_non_null(c->types[i].key);
		assert_true(c->types[i].nsteps > 0);
		assert_true(c->types[i].retention_days > 0);
	}
	/* Appendix C table 1 is common to every incident. */
	for (const char *const *k = (const char *const[]){ "business_sector", "organisation",
		"responsible", "contact", "occurred_at", "discovered_at", "public_disclosure", NULL };
	     *k; k++) {
		it = catalog_item(c, NULL, *k);
		assert_non_null(it);
		assert_string_equal(it->section, "appendix_c1");
	}
	assert_true(c->ncommon_steps >= 9);
	bec = catalog_type(c, "bec");
	assert_non_null(bec);
	it = catalog_item(c, bec, "payment_status");
	assert_non_null(it);
	assert_int_equal(it->type, IT_CHOICE);
	assert_int_equal(it->required_before, ST_POST_INCIDENT);
	assert_null(catalog_item(c, NULL, "payment_status"));
	/* Threat lists, newest first, ten each; sheets the steps name. */
	assert_true(c->nthreat_lists >= 2);
	assert_int_equal(c->threat_lists[0].year, 2026);
	assert_int_equal(c->threat_lists[0].n, 10);
	assert_non_null(catalog_threat(c, "2018:bec", &tl));
	assert_int_equal(tl->year, 2018);
	assert_non_null(catalog_sheet(c, "windows_volatile"));
	assert_non_null(catalog_sheet(c, "linux_volatile"));
	assert_string_equal(ctext(&bec->label, "ja"), "ビジネスメール詐欺");
}

/* A catalog folder: the embedded files copied, then file `name` replaced by text. */
static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static const char *catalog_copy(const char *dir)
{
	static char root[600];
	char path[800];

	snprintf(root, sizeof(root), "%s/%s", unit_tmpdir(), dir);
	for (const char *const *sub = (const char *const[]){ "", "/types", "/threats", "/sheets",
							      NULL }; *sub; sub++) {
		snprintf(path, sizeof(path), "%s%s", root, *sub);
		mkdir(path, 0700);
	}
	for (const struct embed_file *ef = embed_files; ef->name; ef++) {
		if (strncmp(ef->name, "catalog/", 8))
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, ef->name + 8);
		write_file(path, ef->data, ef->len);
	}
	return root;
}

static void replace(const char *root, const char *name, const char *text)
{
	char path[800];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	if (text)
		write_file(path, text, strlen(text));
	else
		assert_int_equal(unlink(path), 0);
}

/* Load root and expect its problems to contain each line of want. */
static void expect_problems(const char *root, const char *const *want)
{
	struct catalog *c = NULL;
	struct buf problems = BUF_INIT;

	err_clear(&e);
	CHECK(catalog_load(root, &c, &problems, &e), ERR_PARSE);
	assert_null(c);
	for (; *want; want++) {
		if (!strstr(problems.data, *want))
			print_error("problems lack '%s':\n%s", *want, problems.data);
		assert_non_null(strstr(problems.data, *want));
	}
	buf_release(&problems);
}

static void test_copy_of_embedded_loads(void **state)
{
	const char *root = catalog_copy("good");
	struct catalog *c = NULL;
	struct buf problems = BUF_INIT;

	(void)state;
	CHECK(catalog_load(root, &c, &problems, &e), 0);
	assert_string_equal(problems.data, "");
	assert_int_equal(c->ntypes, 13);
	catalog_free(c);
	buf_release(&problems);
	err_clear(&e);
	CHECK(catalog_load("/nonexistent/catalog", &c, NULL, &e), ERR_NOTFOUND);
}

static void test_broken_catalogs(void **state)
{
	const char *root;

	(void)state;
	/* A YAML syntax error names its line. */
	root = catalog_copy("b1");
	replace(root, "types/bec.yaml", "type: bec\nlabel: {ja: x, en: y\nitems: []\n");
	expect_problems(root, (const char *const[]){ "types/bec.yaml:", NULL });
	/* Unknown keys, bad states, types and choices, each on its line. */
	root = catalog_copy("b2");
	replace(root, "types/bec.yaml",
		"type: bec\n"                                           /* 1 */
		"label: {ja: ビジネスメール詐欺, en: BEC}\n"            /* 2 */
		"table: {ja: 項目, en: Items}\n"                        /* 3 */
		"retention_days: 0\n"                                   /* 4 */
		"items:\n"                                              /* 5 */
		"  - key: amount\n"                                     /* 6 */
		"    type: money\n"                                     /* 7 */
		"    label: {ja: 金額, en: Amount}\n"                   /* 8 */
		"    required_befor: containment\n"                     /* 9 */
		"  - key: status\n"                                     /* 10 */
		"    type: choice\n"                                    /* 11 */
		"    label: {ja: 状況, en: Status}\n"                   /* 12 */
		"    required_before: finished\n"                       /* 13 */
		"  - key: amount\n"                                     /* 14 */
		"    type: number\n"                                    /* 15 */
		"    label: {ja: 金額, en: Amount}\n"                   /* 16 */
		"playbook:\n"                                           /* 17 */
		"  - key: bec_call\n"                                   /* 18 */
		"    phase: containment\n"                              /* 19 */
		"    title: {ja: 電話する, en: Call}\n"                 /* 20 */
		"    sheet: no_such_sheet\n");                          /* 21 */
	expect_problems(root, (const char *const[]){
		"types/bec.yaml:4: 'retention_days' must be a number of days from 1 to 36500",
		"types/bec.yaml:7: type 'money' is not one of",
		"types/bec.yaml:9: unknown key 'required_befor' in an item",
		"types/bec.yaml:10: missing 'choices'",
		"types/bec.yaml:13: 'required_before: finished' is not one of",
		"types/bec.yaml:14: item 'amount' appears twice",
		"sheet 'no_such_sheet', which is not in sheets/", NULL });
	/* A missing type file and a stray file. */
	root = catalog_copy("b3");
	replace(root, "types/dos.yaml", NULL);
	replace(root, "threats/notes.yaml", "hello: world\n");
	expect_problems(root, (const char *const[]){ "no file for type dos",
		"threats/notes.yaml:1: unknown key 'hello'", NULL });
	/* A type in the wrong file, an unknown type, and a sheet without a title. */
	root = catalog_copy("b4");
	replace(root, "types/malware.yaml", "type: worms\nlabel: {ja: a, en: b}\n");
	replace(root, "sheets/linux_volatile.md", "no title\n");
	expect_problems(root, (const char *const[]){
		"types/malware.yaml:1: 'worms' is not an incident type",
		"sheets/linux_volatile.md:1: a sheet starts with a title line", NULL });
}

static void test_item_values(void **state)
{
	const struct catalog *c = catalog_active();
	const struct catalog_type *bec = catalog_type(c, "bec");
	const struct catalog_item *amount = catalog_item(c, bec, "amount");
	const struct catalog_item *status = catalog_item(c, bec, "payment_status");
	const struct catalog_item *bank = catalog_item(c, bec, "bank_contacted");
	const struct catalog_item *res = catalog_item(c, NULL, "affected_resources");
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(bank->type, IT_YESNO);
	assert_int_equal(res->type, IT_LIST);
	CHECK(catalog_item_value(amount, "1,200,000", tokyo, NOW, &out, &e), 0);
	assert_string_equal(out.data, "1200000");
	CHECK(catalog_item_value(amount, "lots", tokyo, NOW, &out, &e), ERR_INVALID);
	MSG_HAS("amount: 'lots' is not a number");
	CHECK(catalog_item_value(status, "Paid", tokyo, NOW, &out, &e), 0);
	assert_string_equal(out.data, "paid");
	CHECK(catalog_item_value(status, "未払い", tokyo, NOW, &out, &e), 0);
	assert_string_equal(out.data, "not_paid");
	CHECK(catalog_item_value(status, "maybe", tokyo, NOW, &out, &e), ERR_INVALID);
	MSG_HAS("not one of not_paid, stopped, paid");
	CHECK(catalog_item_value(bank, "はい", tokyo, NOW, &out, &e), 0);
	assert_string_equal(out.data, "yes");
	CHECK(catalog_item_value(bank, "perhaps", tokyo, NOW, &out, &e), ERR_INVALID);
	CHECK(catalog_item_value(res, " fs01 \n\n  10.0.0.5\n", tokyo, NOW, &out, &e), 0);
	assert_string_equal(out.data, "fs01\n10.0.0.5");
	CHECK(catalog_item_value(res, "", tokyo, NOW, &out, &e), 0);
	assert_string_equal(out.data, "");
	buf_release(&out);
}

/* incidents */

struct fx {
	struct store *st;
	struct actor admin, bob /* commander */, carol /* handler */;
};


static int group_setup(void **state)
{
	static const struct unit_account acc[] = {
		{ "bob", ROLE_COMMANDER, 0, 0 },
		{ "carol", ROLE_INCIDENT_HANDLER, 0, 0 },
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

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->st = unit_fx_open("template");
	actor_local(&f->admin, tokyo);
	f->admin.now = NOW;
	CHECK(actor_for_user(f->st, "bob", tokyo, &f->bob, &e), 0);
	CHECK(actor_for_user(f->st, "carol", tokyo, &f->carol, &e), 0);
	f->bob.now = f->carol.now = NOW;
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

static int64_t count(struct store *st, const char *sql, const char *arg)
{
	return unit_count(st, sql, arg);
}

static void create(struct fx *f, const char *type, char hid[INCIDENT_HID_MAX])
{
	struct incident_field fv[] = {
		{ "title", "Supplier says its bank account changed" }, { "type", type },
		{ "owner", "carol" }, { "functional_impact", "low" }, { "information_impact", "none" },
		{ "recoverability", "regular" }, { "occurred_at", "2026-11-20 10:00" },
	};
	struct incident inc;

	CHECK(incident_create(f->st, &f->admin, fv, type ? 7 : 1, &inc, &e), 0);
	snprintf(hid, INCIDENT_HID_MAX, "%s", inc.hid);
	incident_release(&inc);
}

static int move(struct fx *f, const struct actor *who, const char *hid, enum incident_state to,
		int force, const char *reason)
{
	struct incident_move m = { reason, NULL, NULL, force };
	struct incident inc;
	int rc;

	err_clear(&e);
	rc = incident_move(f->st, who, hid, to, &m, &inc, &e);
	incident_release(&inc);
	return rc;
}

static int64_t tasks_with_step(struct fx *f, const char *like)
{
	return count(f->st, "SELECT COUNT(*) FROM tasks WHERE step LIKE ?", like);
}

static void test_playbook_tasks(void **state)
{
	struct fx *f = *state;
	const struct catalog *c = catalog_active();
	char hid[INCIDENT_HID_MAX];
	struct incident inc;
	struct incident_field ty[] = { { "type", "ransomware" } }, back[] = { { "type", "bec" } };
	int64_t nist = (int64_t)c->ncommon_steps;

	/* Without a type: no playbook yet. */
	create(f, NULL, hid);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM tasks", NULL), 0);
	/* A BEC incident gets the NIST steps and the BEC steps. */
	create(f, "bec", hid);
	assert_int_equal(tasks_with_step(f, "nist%"), nist);
	assert_int_equal(tasks_with_step(f, "bec%"),
			 (int64_t)catalog_type(c, "bec")->nsteps);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM tasks WHERE sheet = ?",
			       "windows_volatile") >= 1, 1);
	/* Becoming ransomware adds its steps; going back to bec adds nothing twice. */
	CHECK(incident_update(f->st, &f->admin, hid, ty, 1, NULL, 0, &inc, &e), 0);
	incident_release(&inc);
	assert_int_equal(tasks_with_step(f, "nist%"), nist);
	assert_int_equal(tasks_with_step(f, "ransomware%"),
			 (int64_t)catalog_type(c, "ransomware")->nsteps);
	CHECK(incident_update(f->st, &f->admin, hid, back, 1, NULL, 0, &inc, &e), 0);
	incident_release(&inc);
	assert_int_equal(tasks_with_step(f, "bec%"), (int64_t)catalog_type(c, "bec")->nsteps);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log WHERE action = ?",
			       "playbook.apply"), 2);
}

static void fill(struct fx *f, const char *hid, const char *key, const char *value, int want)
{
	struct incident_field v[] = { { key, value } };

	err_clear(&e);
	CHECK(items_set(f->st, &f->carol, hid, v, 1, &e), want);
}

static void test_bec_gate(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX];
	json_t *items;
	int64_t audit;

	create(f, "bec", hid);
	CHECK(move(f, &f->carol, hid, ST_TRIAGE, 0, NULL), 0);
	CHECK(move(f, &f->carol, hid, ST_ANALYSIS, 0, NULL), 0);
	/* Containment needs what was asked for and where it went. */
	CHECK(move(f, &f->carol, hid, ST_CONTAINMENT, 0, NULL), ERR_CONFLICT);
	MSG_HAS("missing items required before containment: counterparty,amount,bank_account");
	fill(f, hid, "counterparty", "Example Trading Co., +81-3-0000-0000 (on file)", 0);
	fill(f, hid, "amount", "3,800,000", 0);
	fill(f, hid, "bank_account", "Other Bank, 1234567", 0);
	fill(f, hid, "amount", "a lot", ERR_INVALID);
	fill(f, hid, "no_such_item", "x", ERR_INVALID);
	fill(f, hid, "occurred_at", "2026-11-01", ERR_INVALID); /* an incident field */
	CHECK(move(f, &f->carol, hid, ST_CONTAINMENT, 0, NULL), 0);
	CHECK(move(f, &f->carol, hid, ST_ERADICATION, 0, NULL), 0);
	CHECK(move(f, &f->carol, hid, ST_RECOVERY, 0, NULL), 0);
	fill(f, hid, "public_disclosure", "none", 0);
	fill(f, hid, "cause", "a forged invoice mail", 0);
	fill(f, hid, "business_impact", "payment delayed", 0);
	/* The payment status is what still stops post_incident. */
	CHECK(move(f, &f->carol, hid, ST_POST_INCIDENT, 0, NULL), ERR_CONFLICT);
	MSG_HAS("before post_incident: payment_status");
	CHECK(items_get(f->st, &f->carol, hid, "en", &items, &e), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(items,
				    "missing"), "post_incident"), 0)), "payment_status");
	json_decref(items);
	/* A handler may not force it; a commander may, with a reason. */
	CHECK(move(f, &f->carol, hid, ST_POST_INCIDENT, 1, "waiting for the bank"), ERR_DENIED);
	CHECK(move(f, &f->bob, hid, ST_POST_INCIDENT, 1, NULL), ERR_INVALID);
	MSG_HAS("needs a reason");
	audit = count(f->st, "SELECT COUNT(*) FROM audit_log", NULL);
	CHECK(move(f, &f->bob, hid, ST_POST_INCIDENT, 1, "the bank answers next month"), 0);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log", NULL), audit + 2);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM timeline WHERE text LIKE ?",
			       "%forced with items missing: payment_status%"), 1);
	/* Filled, nothing is left to force. */
	fill(f, hid, "payment_status", "stopped", 0);
	CHECK(move(f, &f->bob, hid, ST_CLOSED, 1, "x"), ERR_INVALID);
	MSG_HAS("nothing to force");
	CHECK(move(f, &f->bob, hid, ST_CLOSED, 0, NULL), 0);
}

/* The role someone holds in the incident counts there, and only there. */
static void test_incident_role(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX], other[INCIDENT_HID_MAX];

	create(f, "bec", hid);
	create(f, "bec", other);
	CHECK(move(f, &f->carol, hid, ST_TRIAGE, 0, NULL), 0);
	CHECK(move(f, &f->carol, hid, ST_ANALYSIS, 0, NULL), 0);
	CHECK(move(f, &f->carol, hid, ST_CONTAINMENT, 1, "the bank must act now"), ERR_DENIED);
	CHECK(incident_member_set(f->st, &f->admin, hid, "carol", "commander", &e), 0);
	CHECK(move(f, &f->carol, hid, ST_CONTAINMENT, 1, "the bank must act now"), 0);
	/* Not in another incident. */
	CHECK(move(f, &f->carol, other, ST_TRIAGE, 0, NULL), 0);
	CHECK(move(f, &f->carol, other, ST_ANALYSIS, 0, NULL), 0);
	CHECK(move(f, &f->carol, other, ST_CONTAINMENT, 1, "the bank must act now"), ERR_DENIED);
}

static void test_items_and_threats(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX];
	struct incident_field two[] = { { "amount", "100" }, { "bank_contacted", "yes" } };
	const char *refs[] = { "2026:ransomware" }, *bad[] = { "2026:nothing" };
	json_t *items, *it;
	size_t i;
	int64_t audit;

	create(f, "bec", hid);
	audit = count(f->st, "SELECT COUNT(*) FROM audit_log", NULL);
	CHECK(items_set(f->st, &f->carol, hid, two, 2, &e), 0);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log", NULL), audit + 1);
	/* The same values again change nothing and write nothing. */
	CHECK(items_set(f->st, &f->carol, hid, two, 2, &e), 0);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log", NULL), audit + 1);
	CHECK(items_get(f->st, &f->carol, hid, "ja", &items, &e), 0);
	json_array_foreach(json_object_get(items, "items"), i, it)
		if (!strcmp(json_string_value(json_object_get(it, "key")), "bank_contacted"))
			assert_string_equal(json_string_value(json_object_get(it, "display")),
					    "はい");
	json_decref(items);
	CHECK(items_threats(f->st, &f->carol, hid, bad, 1, 0, &e), ERR_INVALID);
	CHECK(items_threats(f->st, &f->carol, hid, refs, 1, 0, &e), 0);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM incident_threats WHERE threat = ?",
			       "2026:ransomware"), 1);
	CHECK(items_threats(f->st, &f->carol, hid, refs, 1, 1, &e), 0);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM incident_threats", NULL), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_catalog),
		cmocka_unit_test(test_copy_of_embedded_loads),
		cmocka_unit_test(test_broken_catalogs),
		cmocka_unit_test(test_item_values),
		T(test_playbook_tasks),
		T(test_bec_gate),
		T(test_items_and_threats),
		T(test_incident_role),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
