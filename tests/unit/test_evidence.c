/*
 * test_evidence.c: unit tests for ir/evidence on a real store (SQLite, or
 * PostgreSQL in the PG pass) and a real folder: content addressing and the
 * known SHA-256 of a text, one file per content, size limits, refusals that
 * write nothing and leave no temporary file, the custody log (ordered,
 * audited, append-only), holds that block deletion, deletion that keeps the
 * record, verification of changed and missing files, what outsiders see.
 */
#include "unit_ir.h"

#include <jansson.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include "ir/actor.h"
#include "ir/evidence.h"
#include "ir/incident.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"

#define NOW INT64_C(1795737600) /* 2026-11-27T00:00:00Z = 09:00 JST */
#define ABC_SHA "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static struct tz *tokyo;


struct fx {
	struct store *st;
	char dir[512];
	char hid[INCIDENT_HID_MAX], other[INCIDENT_HID_MAX];
	struct actor admin, bob, carol, vic, vendor;
};


static int group_setup(void **state)
{
	static const struct unit_account acc[] = {
		{ "bob", ROLE_COMMANDER, 0, 0 },
		{ "carol", ROLE_FORENSIC_ENGINEER, 0, 0 },
		{ "vic", ROLE_VIEWER, 0, 0 },
		{ "vendor", ROLE_FORENSIC_ENGINEER, 1, 0 },
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

static void new_incident(struct fx *f, const char *title, char hid[INCIDENT_HID_MAX])
{
	struct incident_field fl[] = { { "title", title }, { "type", "ransomware" } };
	struct incident inc;

	CHECK(incident_create(f->st, &f->admin, fl, 2, &inc, &e), 0);
	snprintf(hid, INCIDENT_HID_MAX, "%s", inc.hid);
	incident_release(&inc);
}

static int fx_setup(void **state)
{
	static int n;
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->st = unit_fx_open("template");
	snprintf(f->dir, sizeof(f->dir), "%s/ev%d", unit_tmpdir(), ++n);
	actor_local(&f->admin, tokyo);
	f->admin.now = NOW;
	as_user(f, "bob", &f->bob);
	as_user(f, "carol", &f->carol);
	as_user(f, "vic", &f->vic);
	as_user(f, "vendor", &f->vendor);
	new_incident(f, "Ransomware", f->hid);
	new_incident(f, "Another", f->other);
	CHECK(incident_member_set(f->st, &f->admin, f->hid, "vendor", "forensic_engineer", &e), 0);
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

/* Files in the folder, temporary ones apart. */
static int files(const char *dir, int temporary)
{
	char cmd[700];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "find '%s' -type f -name '%s' 2>/dev/null | wc -l", dir,
		 temporary ? ".upload-*" : "[0-9a-f]*");
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

/* Add text as an item of hid; returns the rc, *id the new item's. */
static int add(struct fx *f, const struct actor *who, const char *hid, const char *text,
	       const struct evidence_new *n, int64_t *id)
{
	struct evidence_new dflt = { "notes.txt", NULL, "ws01", "2026-11-26 10:00", NULL, NULL, NULL };
	struct evidence_upload *u = NULL;
	json_t *item = NULL;
	int rc;

	CHECK(evidence_upload_new(f->dir, 0, &u, &e), 0);
	CHECK(evidence_upload_write(u, text, strlen(text), &e), 0);
	rc = evidence_add(f->st, who, hid, n ? n : &dflt, u, &item, &e);
	evidence_upload_free(u);
	if (!rc && id)
		*id = json_integer_value(json_object_get(item, "id"));
	json_decref(item);
	return rc;
}

static void test_retention_default(void **state)
{
	(void)state;
	/* From the catalog (data/catalog/types/TYPE.yaml), else the default. */
	assert_int_equal(evidence_retention_days("ransomware"), 2555);
	assert_int_equal(evidence_retention_days("other"), 1825);
	assert_int_equal(evidence_retention_days("no_such_type"), 1825);
	assert_int_equal(evidence_retention_days(NULL), 1825);
}

static void test_item_parse(void **state)
{
	int64_t id = 0;

	(void)state;
	CHECK(evidence_item_parse("12", &id, &e), 0);
	assert_int_equal(id, 12);
	CHECK(evidence_item_parse("#7", &id, &e), 0);
	CHECK(evidence_item_parse("E9", &id, &e), 0);
	assert_int_equal(id, 9);
	CHECK(evidence_item_parse("0", &id, &e), ERR_USAGE);
	CHECK(evidence_item_parse("1x", &id, &e), ERR_USAGE);
	CHECK(evidence_item_parse("E", &id, &e), ERR_USAGE);
	assert_true(evidence_is_item("#3"));
	assert_false(evidence_is_item("IR-2026-0001"));
}

static void test_content_addressed_once(void **state)
{
	struct fx *f = *state;
	char path[700];
	json_t *item;
	int64_t a, b;
	struct stat sb;

	CHECK(add(f, &f->carol, f->hid, "abc", NULL, &a), 0);
	CHECK(add(f, &f->carol, f->other, "abc", NULL, &b), 0);
	assert_int_not_equal(a, b);
	snprintf(path, sizeof(path), "%s/ba/%s", f->dir, ABC_SHA);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, 3);
	assert_int_equal(sb.st_mode & 0222, 0); /* read-only once stored */
	assert_int_equal(files(f->dir, 0), 1);
	assert_int_equal(files(f->dir, 1), 0);
	CHECK(evidence_get(f->st, &f->carol, a, &item, &e), 0);
	assert_string_equal(json_str(item, "sha256"), ABC_SHA);
	assert_string_equal(json_str(item, "media_type"), "text/plain");
	assert_string_equal(json_str(item, "acquired_by"), "carol");
	/* 2026-11-26 10:00 JST + 2555 days (a ransomware incident) */
	assert_string_equal(json_str(item, "retain_until"), "2033-11-24T01:00:00Z");
	assert_string_equal(json_str(json_array_get(json_object_get(item, "custody"), 0), "action"),
			    "acquired");
	json_decref(item);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log WHERE action = 'evidence.acquired'"), 2);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM timeline WHERE text LIKE 'evidence #%'"), 2);
}

static void test_refusals_write_nothing(void **state)
{
	struct fx *f = *state;
	struct evidence_new n = { "x.bin", NULL, "ws", "2026-11-26 10:00", NULL, NULL, NULL };
	struct evidence_upload *u = NULL;
	int64_t audit = count(f->st, "SELECT COUNT(*) FROM audit_log");

	CHECK(add(f, &f->vic, f->hid, "abc", &n, NULL), ERR_DENIED);
	CHECK(add(f, &f->vendor, f->other, "abc", &n, NULL), ERR_NOTFOUND);
	n.acquired_at = "2026-11-28 10:00"; /* a day ahead */
	CHECK(add(f, &f->carol, f->hid, "abc", &n, NULL), ERR_INVALID);
	n.acquired_at = "2026-11-26 10:00";
	n.retain_until = "2026-01-01";
	CHECK(add(f, &f->carol, f->hid, "abc", &n, NULL), ERR_INVALID);
	n.retain_until = NULL;
	n.source = "";
	CHECK(add(f, &f->carol, f->hid, "abc", &n, NULL), ERR_INVALID);
	n.source = "ws";
	n.name = "../etc";
	CHECK(add(f, &f->carol, f->hid, "abc", &n, NULL), ERR_INVALID);
	n.name = "x.bin";
	n.media_type = "no type";
	CHECK(add(f, &f->carol, f->hid, "abc", &n, NULL), ERR_INVALID);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM evidence"), 0);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log"), audit);
	assert_int_equal(files(f->dir, 0), 0);
	assert_int_equal(files(f->dir, 1), 0);

	/* A crash's leftover (untouched for two days) goes; a fresh one is someone's upload. */
	{
		char old[700], fresh[700];
		struct timeval tv[2] = { { time(NULL) - 2 * 86400, 0 }, { time(NULL) - 2 * 86400, 0 } };
		FILE *fp;
		snprintf(old, sizeof(old), "%s/.upload-crashed", f->dir);
		snprintf(fresh, sizeof(fresh), "%s/.upload-running", f->dir);
		assert_non_null(fp = fopen(old, "w"));
		fclose(fp);
		assert_non_null(fp = fopen(fresh, "w"));
		fclose(fp);
		assert_int_equal(utimes(old, tv), 0);
		assert_int_equal(files(f->dir, 1), 2);
		CHECK(evidence_upload_new(f->dir, 10, &u, &e), 0);
		assert_int_not_equal(access(old, F_OK), 0);
		assert_int_equal(access(fresh, F_OK), 0);
		unlink(fresh);
	}
	CHECK(evidence_upload_write(u, "0123456789", 10, &e), 0);
	CHECK(evidence_upload_write(u, "!", 1, &e), ERR_TOOLONG);
	assert_int_equal(files(f->dir, 1), 1);
	evidence_upload_free(u);
	assert_int_equal(files(f->dir, 1), 0);
}

static void test_custody_log(void **state)
{
	struct fx *f = *state;
	struct custody_note hand = { "carol", "police lab", "analysis" }, out = { NULL, NULL, "imaging" };
	struct custody_note none = { NULL, NULL, NULL };
	json_t *item, *c;
	int64_t id;

	CHECK(add(f, &f->carol, f->hid, "abc", NULL, &id), 0);
	CHECK(evidence_handover(f->st, &f->carol, id, &none, NULL, &e), ERR_INVALID);
	CHECK(evidence_handover(f->st, &f->vic, id, &hand, NULL, &e), ERR_DENIED);
	CHECK(evidence_handover(f->st, &f->carol, id, &hand, NULL, &e), 0);
	CHECK(evidence_checkin(f->st, &f->carol, id, &none, NULL, &e), ERR_CONFLICT);
	CHECK(evidence_checkout(f->st, &f->vendor, id, &out, NULL, &e), 0);
	CHECK(evidence_checkout(f->st, &f->carol, id, &out, NULL, &e), ERR_CONFLICT);
	CHECK(evidence_checkin(f->st, &f->carol, id, &none, &item, &e), 0);
	c = json_object_get(item, "custody");
	assert_int_equal(json_array_size(c), 4);
	assert_string_equal(json_str(json_array_get(c, 1), "to"), "police lab");
	assert_string_equal(json_str(json_array_get(c, 2), "to"), "vendor");
	assert_string_equal(json_str(json_array_get(c, 3), "action"), "checkin");
	assert_string_equal(json_str(json_array_get(c, 3), "from"), "vendor");
	json_decref(item);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'evidence.%'"), 4);
	/* Append-only, whoever has the database. */
	assert_int_not_equal(store_exec(f->st, "UPDATE evidence_custody SET actor = 'x'", NULL), 0);
	assert_int_not_equal(store_exec(f->st, "DELETE FROM evidence_custody", NULL), 0);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM evidence_custody WHERE actor = 'x'"), 0);
}

static void test_holds_and_deletion(void **state)
{
	struct fx *f = *state;
	char item[32], path[700];
	json_t *v;
	int64_t a, b;

	CHECK(add(f, &f->carol, f->hid, "abc", NULL, &a), 0);
	CHECK(add(f, &f->carol, f->other, "abc", NULL, &b), 0);
	snprintf(item, sizeof(item), "%lld", (long long)a);
	snprintf(path, sizeof(path), "%s/ba/%s", f->dir, ABC_SHA);
	CHECK(evidence_hold(f->st, &f->carol, item, 1, "", NULL, &e), ERR_INVALID);
	CHECK(evidence_hold(f->st, &f->carol, item, 1, "subpoena", NULL, &e), 0);
	CHECK(evidence_hold(f->st, &f->carol, item, 1, "again", NULL, &e), ERR_CONFLICT);
	CHECK(evidence_delete(f->st, &f->bob, f->dir, a, "retention", NULL, &e), ERR_CONFLICT);
	CHECK(evidence_hold(f->st, &f->carol, item, 0, "over", NULL, &e), ERR_DENIED);
	CHECK(evidence_hold(f->st, &f->bob, item, 0, "over", NULL, &e), 0);
	CHECK(evidence_hold(f->st, &f->carol, f->hid, 1, "litigation", NULL, &e), 0);
	CHECK(evidence_delete(f->st, &f->bob, f->dir, a, "retention", NULL, &e), ERR_CONFLICT);
	CHECK(evidence_hold(f->st, &f->bob, f->hid, 0, "settled", NULL, &e), 0);
	CHECK(evidence_hold(f->st, &f->bob, f->hid, 0, "settled", NULL, &e), ERR_CONFLICT);
	CHECK(evidence_delete(f->st, &f->carol, f->dir, a, "retention", NULL, &e), ERR_DENIED);
	CHECK(evidence_delete(f->st, &f->bob, f->dir, a, "", NULL, &e), ERR_INVALID);
	CHECK(evidence_delete(f->st, &f->bob, f->dir, a, "retention", &v, &e), 0);
	assert_true(json_is_true(json_object_get(v, "deleted")));
	json_decref(v);
	assert_true(access(path, F_OK) == 0); /* item b still has this content */
	CHECK(evidence_delete(f->st, &f->bob, f->dir, a, "again", NULL, &e), ERR_CONFLICT);
	CHECK(evidence_delete(f->st, &f->bob, f->dir, b, "retention", NULL, &e), 0);
	assert_true(access(path, F_OK) != 0);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM evidence"), 2);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log WHERE action = 'evidence.deleted'"), 2);
	CHECK(evidence_list(f->st, &f->bob, f->hid, 0, &v, &e), 0);
	assert_int_equal(json_array_size(v), 0);
	json_decref(v);
}

static void test_verify_and_outsiders(void **state)
{
	struct fx *f = *state;
	char path[700];
	json_t *res, *v;
	int64_t a, b;
	int fd = -1;
	FILE *fp;

	CHECK(add(f, &f->carol, f->hid, "abc", NULL, &a), 0);
	CHECK(add(f, &f->carol, f->other, "abcd", NULL, &b), 0);
	CHECK(evidence_verify(f->st, &f->carol, f->dir, NULL, &res, &e), 0);
	assert_int_equal(json_array_size(res), 2);
	json_decref(res);
	snprintf(path, sizeof(path), "%s/ba/%s", f->dir, ABC_SHA);
	chmod(path, 0600);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("abd", fp);
	fclose(fp);
	CHECK(evidence_verify(f->st, &f->carol, f->dir, f->hid, &res, &e), ERR_TAMPERED);
	assert_string_equal(json_str(json_array_get(res, 0), "result"), "mismatch");
	json_decref(res);
	unlink(path);
	CHECK(evidence_verify(f->st, &f->carol, f->dir, "1", &res, &e), ERR_TAMPERED);
	assert_string_equal(json_str(json_array_get(res, 0), "result"), "missing");
	json_decref(res);
	CHECK(evidence_get(f->st, &f->carol, a, &v, &e), 0);
	assert_string_equal(json_str(v, "verified"), "mismatch");
	json_decref(v);

	/* The vendor sees its incident's evidence only; another's does not exist for it. */
	CHECK(evidence_get(f->st, &f->vendor, b, &v, &e), ERR_NOTFOUND);
	CHECK(evidence_open(f->st, &f->vendor, f->dir, b, &fd, &v, &e), ERR_NOTFOUND);
	assert_int_equal(fd, -1);
	CHECK(evidence_list(f->st, &f->vendor, f->other, 0, &v, &e), ERR_NOTFOUND);
	CHECK(evidence_list(f->st, &f->vendor, NULL, 0, &v, &e), 0);
	assert_int_equal(json_array_size(v), 1);
	json_decref(v);
	CHECK(evidence_open(f->st, &f->vic, f->dir, b, &fd, &v, &e), ERR_DENIED);
	CHECK(evidence_open(f->st, &f->carol, f->dir, b, &fd, &v, &e), 0);
	assert_true(fd >= 0);
	close(fd);
	json_decref(v);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM evidence_custody WHERE action = 'downloaded'"), 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retention_default),
		cmocka_unit_test(test_item_parse),
		T(test_content_addressed_once),
		T(test_refusals_write_nothing),
		T(test_custody_log),
		T(test_holds_and_deletion),
		T(test_verify_and_outsiders),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
