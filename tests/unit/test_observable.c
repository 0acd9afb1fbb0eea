/*
 * test_observable.c: observables (ir/observable.c) on a real store:
 * normalisation per type (data-driven: tests/data/observable/
 * 0001-normalize.tsv), the Unicode display of IDN, adding with refusals
 * that write nothing, sightings that never name an incident the user may
 * not see, extraction from pasted text, the watchlist "observables", and
 * changing and removing with their audit rows.
 */
#include "unit_ir.h"

#include <jansson.h>

#include "detect/ioc.h"
#include "detect/watchlist.h"
#include "ir/actor.h"
#include "ir/incident.h"
#include "ir/observable.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/time.h"

#define NOW INT64_C(1795737600) /* 2026-11-27T00:00:00Z */

static struct tz *tokyo;


static void test_normalize_cases(void **state)
{
	const char *t = getenv("IRDESK_TESTDATA");
	char path[512], *line, *save = NULL;
	struct buf b;
	int cases = 0;

	(void)state;
	buf_init(&b, 0);
	snprintf(path, sizeof(path), "%s/observable/0001-normalize.tsv", t && *t ? t : "tests/data");
	assert_int_equal(fs_read_file(path, &b, &e), 0);
	for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[4], *p = line, out[OBSERVABLE_VALUE_MAX];
		enum observable_type ty = OBS__COUNT;
		int rc;

		if (*line == '#')
			continue;
		for (int i = 0; i < 4; i++) {
			f[i] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
			else if (i < 3)
				fail_msg("malformed case: %s", line);
		}
		if (strcmp(f[1], "auto") != 0)
			assert_int_equal(observable_type_parse(f[1], &ty, NULL), 0);
		err_clear(&e);
		rc = observable_normalize(f[0], &ty, out, sizeof(out), &e);
		if (strcmp(f[2], "!") == 0) {
			if (rc == 0)
				fail_msg("'%s' should be refused, got %s '%s'", f[0],
					 observable_type_name(ty), out);
			assert_int_equal(rc, ERR_INVALID);
			assert_non_null(strstr(e.msg, "value"));
		} else {
			if (rc != 0)
				fail_msg("'%s': %s", f[0], e.msg);
			if (strcmp(observable_type_name(ty), f[2]) != 0 || strcmp(out, f[3]) != 0)
				fail_msg("'%s': got %s '%s', want %s '%s'", f[0], observable_type_name(ty),
					 out, f[2], f[3]);
			{
				/* Idempotent: the stored form normalises to itself. */
				char again[OBSERVABLE_VALUE_MAX];
				enum observable_type t2 = ty;
				assert_int_equal(observable_normalize(out, &t2, again, sizeof(again), &e), 0);
				assert_string_equal(again, out);
				assert_int_equal(t2, ty);
			}
		}
		cases++;
	}
	assert_true(cases >= 50);
	buf_release(&b);
}

static void test_display_and_limits(void **state)
{
	struct buf d = BUF_INIT;
	char out[OBSERVABLE_VALUE_MAX], *big;
	enum observable_type t = OBS_DOMAIN;

	(void)state;
	observable_display(OBS_DOMAIN, "xn--bcher-kva.example", &d);
	assert_string_equal(d.data, "bücher.example");
	buf_reset(&d);
	observable_display(OBS_EMAIL, "ceo@xn--r8jz45g.jp", &d);
	assert_string_equal(d.data, "ceo@例え.jp");
	buf_reset(&d);
	observable_display(OBS_URL, "http://xn--bcher-kva.example/", &d);
	assert_string_equal(d.data, "http://xn--bcher-kva.example/");
	buf_release(&d);
	/* Too long, not UTF-8, control characters, unknown type. */
	big = malloc(OBSERVABLE_VALUE_MAX + 10);
	assert_non_null(big);
	memset(big, 'a', OBSERVABLE_VALUE_MAX + 9);
	big[OBSERVABLE_VALUE_MAX + 9] = '\0';
	t = OBS_OTHER;
	CHECK(observable_normalize(big, &t, out, sizeof(out), &e), ERR_INVALID);
	free(big);
	t = OBS_OTHER;
	CHECK(observable_normalize("bad\xff", &t, out, sizeof(out), &e), ERR_INVALID);
	t = OBS_OTHER;
	CHECK(observable_normalize("a\x01" "b", &t, out, sizeof(out), &e), ERR_INVALID);
	CHECK(observable_type_parse("ipv9", &t, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "registry_key"));
}

/* The store */

struct fx {
	struct store *st;
	struct actor admin, carol, vic, vendor;
	char a[INCIDENT_HID_MAX], b[INCIDENT_HID_MAX]; /* vendor is a member of a only */
};


static int group_setup(void **state)
{
	static const struct unit_account acc[] = {
		{ "carol", ROLE_INCIDENT_HANDLER, 0, 0 },
		{ "vic", ROLE_VIEWER, 0, 0 },
		{ "vendor", ROLE_FORENSIC_ENGINEER, 1, 0 },
	};

	(void)state;
	return unit_template("obs_template", NOW - 86400, &tokyo, acc, sizeof(acc) / sizeof(acc[0]));
}

static int group_teardown(void **state)
{
	(void)state;
	unit_template_done(tokyo);
	return 0;
}

static void create(struct fx *f, const char *title, const char *tlp, char hid[INCIDENT_HID_MAX])
{
	struct incident_field fv[] = { { "title", title }, { "tlp", tlp } };
	struct incident inc;

	CHECK(incident_create(f->st, &f->admin, fv, 2, &inc, &e), 0);
	snprintf(hid, INCIDENT_HID_MAX, "%s", inc.hid);
	incident_release(&inc);
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->st = unit_fx_open("obs_template");
	actor_local(&f->admin, tokyo);
	f->admin.now = NOW;
	CHECK(actor_for_user(f->st, "carol", tokyo, &f->carol, &e), 0);
	CHECK(actor_for_user(f->st, "vic", tokyo, &f->vic, &e), 0);
	CHECK(actor_for_user(f->st, "vendor", tokyo, &f->vendor, &e), 0);
	f->carol.now = f->vic.now = f->vendor.now = NOW;
	create(f, "Phishing wave", "TLP:GREEN", f->a);
	create(f, "Ransomware on file server", "TLP:RED", f->b);
	CHECK(incident_member_set(f->st, &f->admin, f->a, "vendor", "forensic_engineer", &e), 0);
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

static int64_t writes(struct fx *f)
{
	return count(f->st, "SELECT (SELECT COUNT(*) FROM audit_log) + (SELECT COUNT(*) FROM "
			    "observables) + (SELECT COUNT(*) FROM timeline)");
}

static json_t *add(struct fx *f, const struct actor *who, const char *hid, const char *type,
		   const char *value, int ioc, int want)
{
	struct observable_new n = { .type = type, .value = value, .ioc = ioc };
	json_t *o = NULL;

	err_clear(&e);
	CHECK(observable_add(f->st, who, hid, &n, &o, &e), want);
	return o;
}

static void test_add_and_refuse(void **state)
{
	struct fx *f = *state;
	json_t *o;
	int64_t before;

	o = add(f, &f->carol, f->a, NULL, "hxxp://Evil[.]Example/login#x", 0, 0);
	assert_string_equal(json_str(o, "type"), "url");
	assert_string_equal(json_str(o, "value"), "http://evil.example/login");
	assert_string_equal(json_str(o, "tlp"), "TLP:GREEN"); /* the incident's */
	assert_string_equal(json_str(o, "incident"), f->a);
	assert_false(json_is_true(json_object_get(o, "ioc")));
	json_decref(o);
	o = add(f, &f->carol, f->a, "domain", "bücher.example", 0, 0);
	assert_string_equal(json_str(o, "value"), "xn--bcher-kva.example");
	assert_string_equal(json_str(o, "display"), "bücher.example");
	json_decref(o);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log WHERE action = 'observable.add'"), 2);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM timeline WHERE text LIKE 'observable added:%'"), 2);

	/* Refusals write nothing: duplicate (also in another spelling), bad value, bad TLP,
	 * a viewer, an external non-member (404), an unknown incident. */
	before = writes(f);
	json_decref(add(f, &f->carol, f->a, NULL, "http://EVIL.example:80/login", 0, ERR_EXISTS));
	assert_non_null(strstr(e.msg, "already has"));
	json_decref(add(f, &f->carol, f->a, "md5", "1234", 0, ERR_INVALID));
	{
		struct observable_new n = { .value = "8.8.8.8", .tlp = "TLP:PURPLE" };
		err_clear(&e);
		CHECK(observable_add(f->st, &f->carol, f->a, &n, NULL, &e), ERR_INVALID);
		assert_non_null(strstr(e.msg, "tlp"));
	}
	json_decref(add(f, &f->vic, f->a, NULL, "8.8.8.8", 0, ERR_DENIED));
	json_decref(add(f, &f->vendor, f->b, NULL, "8.8.8.8", 0, ERR_NOTFOUND));
	json_decref(add(f, &f->carol, "IR-2026-9999", NULL, "8.8.8.8", 0, ERR_NOTFOUND));
	assert_int_equal(writes(f), before);
	/* The external member adds to its own incident. */
	json_decref(add(f, &f->vendor, f->a, NULL, "8.8.8.8", 0, 0));
}

static json_t *find(json_t *list, const char *value)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
		if (strcmp(json_str(v, "value"), value) == 0)
			return v;
	return NULL;
}

static void test_sightings_respect_visibility(void **state)
{
	struct fx *f = *state;
	char c[INCIDENT_HID_MAX];
	json_t *list = NULL, *o, *s;

	create(f, "Third", "TLP:AMBER", c);
	CHECK(incident_member_set(f->st, &f->admin, c, "vendor", "researcher", &e), 0);
	json_decref(add(f, &f->carol, f->a, NULL, "203.0.113.7", 0, 0));
	json_decref(add(f, &f->carol, f->b, NULL, "203.0.113.7", 0, 0));
	json_decref(add(f, &f->carol, c, NULL, "203[.]0[.]113[.]7", 0, 0));

	CHECK(observable_list(f->st, &f->carol, f->a, &list, &e), 0);
	o = find(list, "203.0.113.7");
	assert_non_null(o);
	s = json_object_get(o, "sightings");
	assert_int_equal(json_array_size(s), 2);
	assert_string_equal(json_string_value(json_array_get(s, 0)), f->b);
	assert_string_equal(json_string_value(json_array_get(s, 1)), c);
	json_decref(list);

	/* The vendor sees the sighting on c (a member) but never b. */
	CHECK(observable_list(f->st, &f->vendor, f->a, &list, &e), 0);
	s = json_object_get(find(list, "203.0.113.7"), "sightings");
	assert_int_equal(json_array_size(s), 1);
	assert_string_equal(json_string_value(json_array_get(s, 0)), c);
	json_decref(list);
	CHECK(observable_list(f->st, &f->vendor, f->b, &list, &e), ERR_NOTFOUND);

	/* Search: normalised input, only visible incidents. */
	CHECK(observable_search(f->st, &f->carol, "203[.]0.113.7", &list, &e), 0);
	assert_int_equal(json_array_size(list), 3);
	json_decref(list);
	CHECK(observable_search(f->st, &f->vendor, "203.0.113.7", &list, &e), 0);
	assert_int_equal(json_array_size(list), 2);
	{
		size_t i;
		json_t *v;
		json_array_foreach(list, i, v)
			assert_string_not_equal(json_str(v, "incident"), f->b);
	}
	json_decref(list);
}

static void test_extract(void **state)
{
	struct fx *f = *state;
	const char *text = "From: ceo[@]evil-corp[.]example\n"
			   "Click hxxps://login.evil-corp[.]example/reset?id=1 now.\n"
			   "C2 at 198.51.100.20, internal 10.0.0.5. Dropper "
			   "44d88612fea8a8f36de82e1278abb02f, not a hash: 44d88612fea8a8f3.\n";
	json_t *out = NULL, *items = NULL;
	int64_t before;

	CHECK(observable_extract(text, strlen(text), &items, &e), 0);
	assert_non_null(find(items, "https://login.evil-corp.example/reset?id=1"));
	assert_non_null(find(items, "login.evil-corp.example"));
	assert_non_null(find(items, "ceo@evil-corp.example"));
	assert_non_null(find(items, "198.51.100.20"));
	assert_non_null(find(items, "44d88612fea8a8f36de82e1278abb02f"));
	assert_null(find(items, "44d88612fea8a8f3"));
	json_decref(items);

	json_decref(add(f, &f->carol, f->a, NULL, "198.51.100.20", 0, 0));
	CHECK(observable_add_text(f->st, &f->carol, f->a, text, "TLP:RED", 1, &out, &e), 0);
	assert_int_equal(json_array_size(json_object_get(out, "existing")), 1);
	assert_true(json_array_size(json_object_get(out, "added")) >= 5);
	assert_string_equal(json_str(json_array_get(json_object_get(out, "added"), 0), "tlp"),
			    "TLP:RED");
	json_decref(out);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log WHERE action = 'observable.extract'"), 1);
	/* Again: nothing new, nothing written. */
	before = writes(f);
	CHECK(observable_add_text(f->st, &f->carol, f->a, text, NULL, 0, &out, &e), 0);
	assert_int_equal(json_array_size(json_object_get(out, "added")), 0);
	json_decref(out);
	assert_int_equal(writes(f), before);
	/* Too much text is refused. */
	{
		char *big = malloc(OBSERVABLE_TEXT_MAX + 2);
		assert_non_null(big);
		memset(big, 'x', OBSERVABLE_TEXT_MAX + 1);
		big[OBSERVABLE_TEXT_MAX + 1] = '\0';
		CHECK(observable_add_text(f->st, &f->carol, f->a, big, NULL, 0, &out, &e), ERR_TOOLONG);
		free(big);
	}
	assert_int_equal(writes(f), before);
}

static int64_t watchlist_entries(struct fx *f)
{
	struct ioc_set *set = NULL;
	size_t n = 0;

	CHECK(ioc_set_new(&set, &e), 0);
	CHECK(watchlist_load(f->st, &f->admin, "observables", set, &n, &e), 0);
	ioc_set_free(set);
	return (int64_t)n;
}

static void test_ioc_feeds_watchlist(void **state)
{
	struct fx *f = *state;
	struct observable_patch p = { NULL, 1, NULL };
	json_t *o, *lists = NULL;
	int64_t id;

	o = add(f, &f->carol, f->a, "hostname", "C2-Node.Evil.Example", 1, 0);
	id = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
	json_decref(add(f, &f->carol, f->b, "hostname", "c2-node.evil.example", 1, 0));
	o = add(f, &f->carol, f->a, NULL, "HKLM\\Software\\Evil", 1, 0); /* no watchlist type */
	json_decref(o);
	o = add(f, &f->carol, f->a, NULL, "9.9.9.9", 0, 0);
	/* One host name as a domain (two incidents, one entry); the registry key is not listed. */
	assert_int_equal(watchlist_entries(f), 1);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM iocs WHERE type = 'domain' AND "
				      "value = 'c2-node.evil.example'"), 1);
	CHECK(watchlist_list(f->st, &f->admin, &lists, &e), 0);
	assert_string_equal(json_str(json_array_get(lists, 0), "name"), "observables");
	json_decref(lists);
	/* Flagging another adds it; removing the flag or the observable takes it out. */
	CHECK(observable_update(f->st, &f->carol, f->a, json_integer_value(json_object_get(o, "id")),
				&p, NULL, &e), 0);
	json_decref(o);
	assert_int_equal(watchlist_entries(f), 2);
	CHECK(observable_remove(f->st, &f->carol, f->a, id, &e), 0);
	assert_int_equal(watchlist_entries(f), 2); /* still on the other incident */
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log WHERE action = 'observable.remove'"), 1);
	/* The observable belongs to incident a: through b it does not exist. */
	CHECK(observable_remove(f->st, &f->carol, f->b, id, &e), ERR_NOTFOUND);
}

static void test_update_and_remove(void **state)
{
	struct fx *f = *state;
	struct observable_patch p = { "TLP:CLEAR", -1, "seen in proxy logs" };
	json_t *o = add(f, &f->carol, f->a, NULL, "evil.example", 0, 0), *after = NULL;
	int64_t id = json_integer_value(json_object_get(o, "id")), before;

	json_decref(o);
	CHECK(observable_update(f->st, &f->carol, f->a, id, &p, &after, &e), 0);
	assert_string_equal(json_str(after, "tlp"), "TLP:CLEAR");
	assert_string_equal(json_str(after, "comment"), "seen in proxy logs");
	json_decref(after);
	before = writes(f);
	p.tlp = "amber-ish";
	CHECK(observable_update(f->st, &f->carol, f->a, id, &p, NULL, &e), ERR_INVALID);
	p.tlp = NULL;
	CHECK(observable_update(f->st, &f->vic, f->a, id, &p, NULL, &e), ERR_DENIED);
	CHECK(observable_remove(f->st, &f->vendor, f->b, id, &e), ERR_NOTFOUND);
	CHECK(observable_remove(f->st, &f->carol, f->a, id + 1000, &e), ERR_NOTFOUND);
	assert_int_equal(writes(f), before);
	CHECK(observable_remove(f->st, &f->carol, f->a, id, &e), 0);
	CHECK(observable_remove(f->st, &f->carol, f->a, id, &e), ERR_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_normalize_cases),
		cmocka_unit_test(test_display_and_limits),
	};
	const struct CMUnitTest store[] = {
		cmocka_unit_test_setup_teardown(test_add_and_refuse, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sightings_respect_visibility, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_extract, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ioc_feeds_watchlist, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_update_and_remove, fx_setup, fx_teardown),
	};
	int rc = cmocka_run_group_tests_name("observable", pure, NULL, NULL);

	return rc | cmocka_run_group_tests_name("observable_store", store, group_setup, group_teardown);
}
