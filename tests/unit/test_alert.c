/*
 * test_alert.c: unit tests for ir/alert on a real store: ATT&CK tags to
 * kill-chain phases (both tag spellings), deduplication windows and group
 * keys, suppressions and their expiry, the triage rules (reasons, who may,
 * settled alerts, promote and attach with the event in the timeline and
 * the phase marked as detected), manual kill-chain marks, and the audit
 * rows triage writes.
 */
#include "unit_ir.h"

#include <jansson.h>

#include "ir/actor.h"
#include "ir/alert.h"
#include "ir/audit.h"
#include "ir/incident.h"
#include "ir/timeline.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"

#define NOW INT64_C(1795737600) /* 2026-11-27T00:00:00Z */

static struct tz *tokyo;


struct fx {
	struct store *st;
	struct actor sys;    /* detection */
	struct actor admin;  /* local operator */
	struct actor carol;  /* incident_handler: triages */
	struct actor vic;    /* viewer: reads only */
};

static void add_user(struct fx *f, const char *name, enum role r)
{
	struct user_new nu = { .username = name, .role = r, .external = 0 };
	char otp[USER_OTP_LEN + 1];
	struct user u;

	CHECK(user_add(f->st, &f->admin, &nu, otp, &u, &e), 0);
	user_release(&u);
}

static int fx_setup(void **state)
{
	static int n;
	struct fx *f = calloc(1, sizeof(*f));
	char name[32], url[700];

	assert_non_null(f);
	if (!tokyo)
		CHECK(tz_load("Asia/Tokyo", &tokyo, &e), 0);
	snprintf(name, sizeof(name), "alert%d", ++n);
	unit_db_url(name, url, sizeof(url));
	CHECK(store_open(url, STORE_CREATE, &f->st, &e), 0);
	actor_local(&f->admin, tokyo);
	f->admin.now = NOW;
	actor_system(&f->sys, tokyo);
	f->sys.now = NOW;
	add_user(f, "carol", ROLE_INCIDENT_HANDLER);
	add_user(f, "vic", ROLE_VIEWER);
	CHECK(actor_for_user(f->st, "carol", tokyo, &f->carol, &e), 0);
	CHECK(actor_for_user(f->st, "vic", tokyo, &f->vic, &e), 0);
	f->carol.now = f->vic.now = NOW;
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

static int group_teardown(void **state)
{
	(void)state;
	tz_free(tokyo);
	unit_rmtmp();
	return 0;
}

static const char *const tags_exec[] = { "attack.execution", "attack.t1059.001", NULL };
static const char *const tags_multi[] = { "attack.persistence", "attack.lateral_movement",
					  "attack.initial-access", NULL };

/* One match of rule on host/user at time t; returns the outcome. */
static enum alert_outcome rec(struct fx *f, const char *rule, const char *host, const char *user,
			      int64_t t, int64_t *id)
{
	struct alert_input in;
	enum alert_outcome out = ALERT_CREATED;
	static const char ev[] = "{\"EventID\": 1, \"Image\": \"C:\\\\x.exe\", \"Note\": \"<b>\"}";

	memset(&in, 0, sizeof(in));
	in.rule_id = rule;
	in.title = "Suspicious <PowerShell> download";
	in.level = "high";
	in.tags = tags_exec;
	in.host = host;
	in.user = user;
	in.process = "C:\\x.exe";
	in.event = ev;
	in.event_len = strlen(ev);
	in.seen_at = t;
	CHECK(alert_record(f->st, &f->sys, &in, 600, id, &out, &e), 0);
	return out;
}

static json_t *get(struct fx *f, int64_t id)
{
	json_t *a = NULL;

	CHECK(alert_get(f->st, &f->vic, id, &a, &e), 0);
	return a;
}

static int64_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void test_tag_phases(void **state)
{
	static const struct {
		const char *tag;
		int phase;
	} cases[] = {
		{ "attack.reconnaissance", KC_RECON },
		{ "attack.resource-development", KC_RECON },
		{ "attack.resource_development", KC_RECON },
		{ "attack.initial-access", KC_DELIVERY },
		{ "attack.initial_access", KC_DELIVERY },
		{ "attack.execution", KC_EXPLOIT },
		{ "attack.persistence", KC_INSTALL },
		{ "attack.privilege_escalation", KC_INSTALL },
		{ "attack.privilege-escalation", KC_INSTALL },
		{ "attack.defense_evasion", KC_INSTALL },
		{ "attack.defense-evasion", KC_INSTALL },
		{ "attack.command_and_control", KC_C2 },
		{ "attack.command-and-control", KC_C2 },
		{ "attack.credential_access", KC_LATERAL },
		{ "attack.credential-access", KC_LATERAL },
		{ "attack.discovery", KC_LATERAL },
		{ "attack.lateral_movement", KC_LATERAL },
		{ "attack.lateral-movement", KC_LATERAL },
		{ "attack.collection", KC_OBJECTIVES },
		{ "attack.exfiltration", KC_OBJECTIVES },
		{ "attack.impact", KC_OBJECTIVES },
		{ "ATTACK.Impact", KC_OBJECTIVES },
		{ "attack.t1059.001", -1 },
		{ "attack.g0016", -1 },
		{ "cve.2021-44228", -1 },
		{ "attack.", -1 },
		{ "execution", -1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (killchain_tag_phase(cases[i].tag) != cases[i].phase)
			fail_msg("%s: got %d, want %d", cases[i].tag, killchain_tag_phase(cases[i].tag),
				 cases[i].phase);
	/* The furthest phase wins; none at all is -1. */
	assert_int_equal(killchain_tags_phase(tags_multi), KC_LATERAL);
	assert_int_equal(killchain_tags_phase(tags_exec), KC_EXPLOIT);
	assert_int_equal(killchain_tags_phase(NULL), -1);
	assert_string_equal(killchain_phase_label(KC_LATERAL, "ja"), "侵入拡大");
	assert_string_equal(killchain_phase_label(KC_OBJECTIVES, "ja"), "目的達成");
	assert_string_equal(killchain_phase_name(KC_C2), "command_and_control");
	assert_int_equal(KC__COUNT, 7);
}

static void test_dedup_window(void **state)
{
	struct fx *f = *state;
	int64_t a1, a2, a3, a4, a5;
	json_t *a;

	assert_int_equal(rec(f, "r1", "WS01", "alice", NOW, &a1), ALERT_CREATED);
	/* Same rule and group key within 10 minutes: folded, host case aside. */
	assert_int_equal(rec(f, "r1", "ws01", "alice", NOW + 120, &a2), ALERT_DEDUPLICATED);
	assert_int_equal(a2, a1);
	assert_int_equal(rec(f, "r1", "WS01", "ALICE", NOW + 599, &a2), ALERT_DEDUPLICATED);
	a = get(f, a1);
	assert_int_equal(jint(a, "count"), 3);
	assert_string_equal(json_str(a, "first_seen"), "2026-11-27T00:00:00Z");
	assert_string_equal(json_str(a, "last_seen"), "2026-11-27T00:09:59Z");
	assert_string_equal(json_str(a, "phase"), "exploitation");
	assert_string_equal(json_str(json_object_get(a, "event"), "Note"), "<b>");
	json_decref(a);
	/* The window counts from first_seen: 600 s later is a new alert. */
	assert_int_equal(rec(f, "r1", "WS01", "alice", NOW + 600, &a3), ALERT_CREATED);
	assert_true(a3 != a1);
	/* Another host, another user or another rule: another alert. */
	assert_int_equal(rec(f, "r1", "WS02", "alice", NOW + 601, &a4), ALERT_CREATED);
	assert_int_equal(rec(f, "r1", "WS01", "bob", NOW + 601, &a5), ALERT_CREATED);
	assert_int_equal(rec(f, "r2", "WS01", "alice", NOW + 601, &a5), ALERT_CREATED);
	/* A triaged alert takes no more matches. */
	{
		struct alert_triage t = { "benign", NULL, NULL };
		CHECK(alert_triage(f->st, &f->carol, a3, &t, NULL, &e), 0);
	}
	assert_int_equal(rec(f, "r1", "WS01", "alice", NOW + 602, &a5), ALERT_CREATED);
	assert_true(a5 != a3);
	/* Listing: newest first, filters, pages. */
	{
		struct alert_filter fl = { 0 };
		json_t *items = NULL;
		int64_t next = 0;

		fl.limit = 2;
		CHECK(alert_list(f->st, &f->vic, &fl, &items, &next, &e), 0);
		assert_int_equal(json_array_size(items), 2);
		assert_int_equal(jint(json_array_get(items, 0), "id"), a5);
		assert_true(next > 0);
		json_decref(items);
		fl.before = next;
		fl.limit = 100;
		CHECK(alert_list(f->st, &f->vic, &fl, &items, &next, &e), 0);
		assert_int_equal(json_array_size(items), 4);
		assert_int_equal(next, 0);
		json_decref(items);
		memset(&fl, 0, sizeof(fl));
		fl.status = "benign";
		CHECK(alert_list(f->st, &f->vic, &fl, &items, NULL, &e), 0);
		assert_int_equal(json_array_size(items), 1);
		json_decref(items);
		fl.status = "bogus";
		CHECK(alert_list(f->st, &f->vic, &fl, &items, NULL, &e), ERR_INVALID);
	}
}

static void test_suppression_expiry(void **state)
{
	struct fx *f = *state;
	struct suppression_new s = { "r1", NULL, NULL, "now+1h", "known admin script" };
	json_t *row = NULL, *list = NULL;
	int64_t id;

	/* Who may: not a handler, not a viewer. */
	CHECK(suppression_add(f->st, &f->carol, &s, NULL, &e), ERR_DENIED);
	s.reason = NULL;
	CHECK(suppression_add(f->st, &f->admin, &s, NULL, &e), ERR_INVALID);
	s.reason = "known admin script";
	s.expires = "now-1h";
	CHECK(suppression_add(f->st, &f->admin, &s, NULL, &e), ERR_INVALID);
	s.expires = "now+1h";
	CHECK(suppression_add(f->st, &f->admin, &s, &row, &e), 0);
	assert_string_equal(json_str(row, "expires_at"), "2026-11-27T01:00:00Z");
	json_decref(row);
	assert_int_equal(rec(f, "r1", "WS01", "alice", NOW + 60, &id), ALERT_SUPPRESSED);
	assert_int_equal(id, 0);
	assert_int_equal(rec(f, "r2", "WS01", "alice", NOW + 60, &id), ALERT_CREATED);
	/* Expired: matches become alerts again. */
	assert_int_equal(rec(f, "r1", "WS01", "alice", NOW + 3600, &id), ALERT_CREATED);
	/* An entity suppression covers only that host (any case). */
	s.rule = "r3";
	s.entity = "host";
	s.value = "WS09";
	s.expires = NULL;
	CHECK(suppression_add(f->st, &f->admin, &s, NULL, &e), 0);
	assert_int_equal(rec(f, "r3", "ws09", "alice", NOW, &id), ALERT_SUPPRESSED);
	assert_int_equal(rec(f, "r3", "WS10", "alice", NOW, &id), ALERT_CREATED);
	s.entity = "colour";
	CHECK(suppression_add(f->st, &f->admin, &s, NULL, &e), ERR_INVALID);
	s.entity = "host";
	s.value = NULL;
	CHECK(suppression_add(f->st, &f->admin, &s, NULL, &e), ERR_INVALID);
	/* Listing shows hits; removal is audited. */
	CHECK(suppression_list(f->st, &f->vic, 1, &list, &e), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_int_equal(jint(json_array_get(list, 0), "hits"), 1);
	id = jint(json_array_get(list, 1), "id");
	json_decref(list);
	CHECK(suppression_remove(f->st, &f->vic, id, &e), ERR_DENIED);
	CHECK(suppression_remove(f->st, &f->admin, id, &e), 0);
	CHECK(suppression_remove(f->st, &f->admin, id, &e), ERR_NOTFOUND);
	assert_int_equal(rec(f, "r3", "ws09", "alice", NOW + 10, &id), ALERT_CREATED);
}

/* The audit rows of action so far. */
static int audit_rows(struct fx *f, const char *action)
{
	struct audit_filter af = { 0 };
	json_t *rows = NULL, *r;
	size_t i;
	int n = 0;

	af.limit = 1000;
	CHECK(audit_list(f->st, &f->admin, &af, &rows, &e), 0);
	json_array_foreach(rows, i, r)
		n += strcmp(json_str(r, "action"), action) == 0;
	json_decref(rows);
	return n;
}

static void test_triage_rules(void **state)
{
	struct fx *f = *state;
	struct alert_triage t = { 0 };
	json_t *a = NULL, *tl = NULL, *kc = NULL;
	int64_t id, id2;
	struct incident inc;
	struct incident_field fld = { "title", "Existing" };

	rec(f, "r1", "WS01", "alice", NOW, &id);
	/* Viewers read, they do not triage. */
	t.action = "benign";
	CHECK(alert_triage(f->st, &f->vic, id, &t, NULL, &e), ERR_DENIED);
	t.action = "ignore";
	CHECK(alert_triage(f->st, &f->carol, id, &t, NULL, &e), ERR_INVALID);
	t.action = "false_positive";
	CHECK(alert_triage(f->st, &f->carol, id, &t, NULL, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "reason"));
	t.reason = "the backup job";
	CHECK(alert_triage(f->st, &f->carol, id, &t, &a, &e), 0);
	assert_string_equal(json_str(a, "status"), "false_positive");
	assert_string_equal(json_str(a, "reason"), "the backup job");
	assert_string_equal(json_str(a, "triaged_by"), "carol");
	json_decref(a);
	CHECK(alert_triage(f->st, &f->carol, 9999, &t, NULL, &e), ERR_NOTFOUND);
	/* Reconsidered: promote makes an incident with the event in its timeline. */
	t.action = "promote";
	t.reason = NULL;
	CHECK(alert_triage(f->st, &f->carol, id, &t, &a, &e), 0);
	assert_string_equal(json_str(a, "status"), "promoted");
	assert_non_null(json_str(a, "incident"));
	CHECK(incident_get(f->st, &f->carol, json_str(a, "incident"), &inc, &e), 0);
	assert_string_equal(inc.title, "Suspicious <PowerShell> download");
	assert_int_equal(inc.occurred_at, NOW);
	incident_release(&inc);
	CHECK(timeline_list(f->st, &f->carol, json_str(a, "incident"), &tl, &e), 0);
	assert_int_equal(json_array_size(tl), 1);
	assert_non_null(strstr(json_str(json_array_get(tl, 0), "text"), "\"Note\":\"<b>\""));
	json_decref(tl);
	CHECK(killchain_get(f->st, &f->vic, json_str(a, "incident"), &kc, &e), 0);
	assert_int_equal(json_array_size(kc), 7);
	assert_true(json_is_true(json_object_get(json_array_get(kc, KC_EXPLOIT), "detected")));
	assert_true(json_is_false(json_object_get(json_array_get(kc, KC_EXPLOIT), "manual")));
	assert_true(json_is_false(json_object_get(json_array_get(kc, KC_DELIVERY), "detected")));
	json_decref(kc);
	/* Settled: no more triage. */
	t.action = "benign";
	CHECK(alert_triage(f->st, &f->carol, id, &t, NULL, &e), ERR_CONFLICT);
	/* Attach to an existing incident. */
	CHECK(incident_create(f->st, &f->admin, &fld, 1, &inc, &e), 0);
	rec(f, "r2", "WS01", "alice", NOW, &id2);
	t.action = "attach";
	CHECK(alert_triage(f->st, &f->carol, id2, &t, NULL, &e), ERR_INVALID);
	t.incident = "IR-2000-0001";
	CHECK(alert_triage(f->st, &f->carol, id2, &t, NULL, &e), ERR_NOTFOUND);
	t.incident = inc.hid;
	CHECK(alert_triage(f->st, &f->carol, id2, &t, NULL, &e), 0);
	json_decref(a);
	a = get(f, id2);
	assert_string_equal(json_str(a, "status"), "attached");
	assert_string_equal(json_str(a, "incident"), inc.hid);
	json_decref(a);
	{
		struct alert_filter fl = { 0 };
		json_t *items = NULL;
		fl.incident = inc.hid;
		CHECK(alert_list(f->st, &f->vic, &fl, &items, NULL, &e), 0);
		assert_int_equal(json_array_size(items), 1);
		json_decref(items);
	}
	/* Manual marks are kept apart from detected ones. */
	CHECK(killchain_mark(f->st, &f->vic, inc.hid, "delivery", 1, "phishing mail", &e), ERR_DENIED);
	CHECK(killchain_mark(f->st, &f->carol, inc.hid, "weaponry", 1, NULL, &e), ERR_INVALID);
	CHECK(killchain_mark(f->st, &f->carol, inc.hid, "delivery", 1, "phishing mail", &e), 0);
	CHECK(killchain_mark(f->st, &f->carol, inc.hid, "exploitation", 1, NULL, &e), 0);
	CHECK(killchain_get(f->st, &f->vic, inc.hid, &kc, &e), 0);
	assert_true(json_is_true(json_object_get(json_array_get(kc, KC_DELIVERY), "manual")));
	assert_true(json_is_false(json_object_get(json_array_get(kc, KC_DELIVERY), "detected")));
	assert_string_equal(json_str(json_array_get(kc, KC_DELIVERY), "note"), "phishing mail");
	assert_true(json_is_true(json_object_get(json_array_get(kc, KC_EXPLOIT), "manual")));
	assert_true(json_is_true(json_object_get(json_array_get(kc, KC_EXPLOIT), "detected")));
	json_decref(kc);
	CHECK(killchain_mark(f->st, &f->carol, inc.hid, "delivery", 0, NULL, &e), 0);
	CHECK(killchain_get(f->st, &f->vic, inc.hid, &kc, &e), 0);
	assert_true(json_is_false(json_object_get(json_array_get(kc, KC_DELIVERY), "manual")));
	json_decref(kc);
	incident_release(&inc);
	/* Every triage wrote one audit row; the refusals none. */
	assert_int_equal(audit_rows(f, "alert.triage"), 3);
	assert_int_equal(audit_rows(f, "incident.killchain.mark"), 2);
	assert_int_equal(audit_rows(f, "incident.killchain.unmark"), 1);
}

static void test_event_cut(void **state)
{
	struct fx *f = *state;
	struct alert_input in;
	struct buf;
	char *big = malloc(ALERT_EVENT_MAX * 2);
	json_t *a;
	int64_t id;

	assert_non_null(big);
	memset(big, 'x', ALERT_EVENT_MAX * 2);
	memcpy(big, "{\"a\":\"", 6);
	memcpy(big + ALERT_EVENT_MAX * 2 - 3, "\"}", 3);
	memset(&in, 0, sizeof(in));
	in.rule_id = "big";
	in.event = big;
	in.event_len = strlen(big);
	CHECK(alert_record(f->st, &f->sys, &in, 0, &id, NULL, &e), 0);
	a = get(f, id);
	assert_true(json_is_true(json_object_get(a, "event_truncated")));
	assert_int_equal(strlen(json_string_value(json_object_get(a, "event"))), ALERT_EVENT_MAX);
	assert_string_equal(json_str(a, "level"), "medium");
	assert_string_equal(json_str(a, "title"), "big");
	json_decref(a);
	free(big);
	/* Detection needs event_write: a viewer may not record. */
	CHECK(alert_record(f->st, &f->vic, &in, 0, &id, NULL, &e), ERR_DENIED);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag_phases),
		T(test_dedup_window),
		T(test_suppression_expiry),
		T(test_triage_rules),
		T(test_event_cut),
	};
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
