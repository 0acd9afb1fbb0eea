/*
 * test_incident.c: unit tests for ir/incident on a real SQLite store: the
 * lifecycle transition table checked pair by pair against domain.md §1, what
 * each move needs and who may make it, timestamps set by moves, the NIST
 * priority (domain.md §2) and its override, human ids per local year, input
 * validation that writes nothing, optimistic concurrency, listing with
 * filters, text search and sort, external users, and incident members.
 */
#include "unit_ir.h"

#include <jansson.h>

#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/incident.h"
#include "ir/items.h"
#include "ir/lessons.h"
#include "ir/timeline.h"
#include "ir/user.h"
#include "ir/vocab.h"
#include "store/store.h"
#include "util/err.h"
#include "util/time.h"

#define NOW INT64_C(1795737600)       /* 2026-11-27T00:00:00Z = 09:00 JST */
#define AT_0930_JST INT64_C(1795653000) /* 2026-11-26T00:30:00Z */

static struct tz *tokyo;

/* Fail with the error message when rc is not want. */


/* Fixture: a copy of a database holding these accounts. */
struct fx {
	struct store *st;
	struct actor admin;  /* the local operator (admin) */
	struct actor bob;    /* commander */
	struct actor mia;    /* incident_manager */
	struct actor carol;  /* incident_handler */
	struct actor tom;    /* triage */
	struct actor vic;    /* viewer */
	struct actor vendor; /* external forensic_engineer */
};


static int group_setup(void **state)
{
	static const struct unit_account acc[] = {
		{ "bob", ROLE_COMMANDER, 0, 0 },
		{ "mia", ROLE_INCIDENT_MANAGER, 0, 0 },
		{ "carol", ROLE_INCIDENT_HANDLER, 0, 0 },
		{ "tom", ROLE_TRIAGE, 0, 0 },
		{ "vic", ROLE_VIEWER, 0, 0 },
		{ "vendor", ROLE_FORENSIC_ENGINEER, 1, 0 },
		{ "dora", ROLE_INCIDENT_HANDLER, 0, 1 }, /* disabled */
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

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->st = unit_fx_open("template");
	actor_local(&f->admin, tokyo);
	f->admin.now = NOW;
	as_user(f, "bob", &f->bob);
	as_user(f, "mia", &f->mia);
	as_user(f, "carol", &f->carol);
	as_user(f, "tom", &f->tom);
	as_user(f, "vic", &f->vic);
	as_user(f, "vendor", &f->vendor);
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

/* SQL helpers (literal statements only: the store caches them). */

static int64_t count(struct store *st, const char *sql)
{
	return unit_count(st, sql, NULL);
}

static int64_t audit_rows(struct store *st)
{
	return count(st, "SELECT COUNT(*) FROM audit_log");
}

static int64_t timeline_rows(struct store *st)
{
	return count(st, "SELECT COUNT(*) FROM timeline");
}

static int64_t incident_rows(struct store *st)
{
	return count(st, "SELECT COUNT(*) FROM incidents");
}

/* The newest audit row's action and object id. */
static void last_audit(struct store *st, char action[64], char object[64], char *after,
		       size_t after_size)
{
	struct stmt *s;

	assert_int_equal(store_prepare(st, "SELECT action, object_id, COALESCE(after, '') "
					   "FROM audit_log ORDER BY seq DESC LIMIT 1", &s, NULL), 0);
	assert_int_equal(stmt_step(s, NULL), 1);
	snprintf(action, 64, "%s", stmt_text(s, 0));
	snprintf(object, 64, "%s", stmt_text(s, 1));
	if (after)
		snprintf(after, after_size, "%s", stmt_text(s, 2));
	stmt_done(s);
}

/* What must stay the same when a change is refused. */
struct snap {
	int64_t audit, timeline, incidents, version;
	enum incident_state state;
};

static void snap_take(struct fx *f, const char *hid, struct snap *s)
{
	struct incident inc;

	s->audit = audit_rows(f->st);
	s->timeline = timeline_rows(f->st);
	s->incidents = incident_rows(f->st);
	s->version = 0;
	s->state = ST_NEW;
	if (hid) {
		CHECK(incident_get(f->st, &f->admin, hid, &inc, &e), 0);
		s->version = inc.version;
		s->state = inc.state;
		incident_release(&inc);
	}
}

#define UNCHANGED(f, hid, before) unchanged((f), (hid), (before), __LINE__)
static void unchanged(struct fx *f, const char *hid, const struct snap *before, int line)
{
	struct snap now;

	snap_take(f, hid, &now);
	if (now.audit != before->audit || now.timeline != before->timeline ||
	    now.incidents != before->incidents || now.version != before->version ||
	    now.state != before->state)
		print_error("line %d: a refused change wrote something (audit %lld->%lld, "
			    "timeline %lld->%lld, incidents %lld->%lld, version %lld->%lld)\n",
			    line, (long long)before->audit, (long long)now.audit,
			    (long long)before->timeline, (long long)now.timeline,
			    (long long)before->incidents, (long long)now.incidents,
			    (long long)before->version, (long long)now.version);
	assert_int_equal(now.audit, before->audit);
	assert_int_equal(now.timeline, before->timeline);
	assert_int_equal(now.incidents, before->incidents);
	assert_int_equal(now.version, before->version);
	assert_int_equal(now.state, before->state);
}

/* Incident helpers */

static void create_with(struct fx *f, const struct actor *who, const struct incident_field *fv,
			size_t n, char hid[INCIDENT_HID_MAX])
{
	struct incident inc;

	CHECK(incident_create(f->st, who, fv, n, &inc, &e), 0);
	if (hid)
		snprintf(hid, INCIDENT_HID_MAX, "%s", inc.hid);
	incident_release(&inc);
}

static void create_titled(struct fx *f, const char *title, char hid[INCIDENT_HID_MAX])
{
	struct incident_field fv[] = { { "title", title } };

	create_with(f, &f->admin, fv, 1, hid);
}

static int move(struct fx *f, const struct actor *who, const char *hid, enum incident_state to,
		const char *reason, const char *reject, const char *dup)
{
	struct incident_move m = { reason, reject, dup, 0 };
	struct incident inc;
	int rc;

	err_clear(&e);
	rc = incident_move(f->st, who, hid, to, &m, &inc, &e);
	incident_release(&inc);
	return rc;
}

static int set1(struct fx *f, const struct actor *who, const char *hid, const char *name,
		const char *value, const char *reason)
{
	struct incident_field fv[] = { { name, value } };
	struct incident inc;
	int rc;

	err_clear(&e);
	rc = incident_update(f->st, who, hid, fv, 1, reason, 0, &inc, &e);
	incident_release(&inc);
	return rc;
}

static void get(struct fx *f, const char *hid, struct incident *inc)
{
	CHECK(incident_get(f->st, &f->admin, hid, inc, &e), 0);
}

/*
 * Fill what the embedded catalog requires of an "other" incident before
 * post_incident (data/catalog/common.yaml and types/other.yaml), so that
 * lifecycle tests pass its gates.
 */
static void complete_items(struct fx *f, const char *hid)
{
	struct incident_field items[] = {
		{ "public_disclosure", "none" }, { "cause", "a test" },
		{ "business_impact", "none" }, { "description", "a test incident" },
		{ "personal_data_involved", "no" },
	};

	CHECK(items_set(f->st, &f->admin, hid, items, 5, &e), 0);
	CHECK(set1(f, &f->admin, hid, "occurred_at", "2026-11-01 09:00", NULL), 0);
}

/*
 * An incident with an owner, a complete classification (P3) and the items
 * its gates ask for, brought to state `to` along the forward path, by the
 * admin.
 */
static void reach(struct fx *f, enum incident_state to, char hid[INCIDENT_HID_MAX])
{
	static const enum incident_state path[] = {
		ST_TRIAGE, ST_ANALYSIS, ST_CONTAINMENT, ST_ERADICATION, ST_RECOVERY,
		ST_POST_INCIDENT, ST_CLOSED,
	};
	struct incident_field fv[] = {
		{ "title", "Reach test" }, { "owner", "carol" }, { "functional_impact", "low" },
		{ "information_impact", "none" }, { "recoverability", "regular" },
	};

	create_with(f, &f->admin, fv, 5, hid);
	complete_items(f, hid);
	if (to == ST_NEW)
		return;
	if (to == ST_REJECTED) {
		CHECK(move(f, &f->admin, hid, ST_TRIAGE, NULL, NULL, NULL), 0);
		CHECK(move(f, &f->admin, hid, ST_REJECTED, NULL, "false_positive", NULL), 0);
		return;
	}
	for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
		CHECK(move(f, &f->admin, hid, path[i], NULL, NULL, NULL), 0);
		if (path[i] == to)
			return;
	}
	fail_msg("state %d not on the forward path", to);
}

/*
 * The lifecycle as domain.md §1 and the comment above the table in
 * incident.c describe it, written down independently of the code:
 * forward along NIST SP 800-61 (new, triage, analysis, containment,
 * eradication, recovery, post_incident, closed); rejected as a terminal side
 * exit from triage and analysis; back to analysis from containment (new
 * findings) and back to containment from eradication and recovery
 * (reinfection); closed reopened to analysis and rejected reopened to triage.
 * Y: allowed, N: not.
 */
enum { N = 0, Y = 1 };
static const unsigned char spec[ST__COUNT][ST__COUNT] = {
	/*                   new tri ana con era rec pos clo rej */
	[ST_NEW]           = { N,  Y,  N,  N,  N,  N,  N,  N,  N },
	[ST_TRIAGE]        = { N,  N,  Y,  N,  N,  N,  N,  N,  Y },
	[ST_ANALYSIS]      = { N,  N,  N,  Y,  N,  N,  N,  N,  Y },
	[ST_CONTAINMENT]   = { N,  N,  Y,  N,  Y,  N,  N,  N,  N },
	[ST_ERADICATION]   = { N,  N,  N,  Y,  N,  Y,  N,  N,  N },
	[ST_RECOVERY]      = { N,  N,  N,  Y,  N,  N,  Y,  N,  N },
	[ST_POST_INCIDENT] = { N,  N,  N,  N,  N,  N,  N,  Y,  N },
	[ST_CLOSED]        = { N,  N,  Y,  N,  N,  N,  N,  N,  N },
	[ST_REJECTED]      = { N,  Y,  N,  N,  N,  N,  N,  N,  N },
};

static const char *sname(int s)
{
	return incident_state_name((enum incident_state)s);
}

static void test_transition_table_matrix(void **state)
{
	int allowed = 0;

	(void)state;
	for (int from = 0; from < ST__COUNT; from++) {
		for (int to = 0; to < ST__COUNT; to++) {
			const struct transition *t =
				incident_transition((enum incident_state)from, (enum incident_state)to);
			if ((t != NULL) != (spec[from][to] == Y))
				print_error("%s -> %s: table %s, domain.md §1 says %s\n", sname(from),
					    sname(to), t ? "allows" : "refuses",
					    spec[from][to] ? "allowed" : "not allowed");
			assert_int_equal(t != NULL, spec[from][to] == Y);
			if (!t)
				continue;
			allowed++;
			assert_int_equal(t->from, from);
			assert_int_equal(t->to, to);
		}
	}
	assert_int_equal(allowed, 14);
	assert_null(incident_transition(ST__COUNT, ST_NEW));
}

/* What each move takes and sets, per the comment in incident.c. */
static void test_transition_needs_and_stamps(void **state)
{
	const struct transition *t;

	(void)state;
	/* Going back needs a reason; so does reopening, which is the reopen action. */
	assert_true(incident_transition(ST_CONTAINMENT, ST_ANALYSIS)->needs & NEED_REASON);
	assert_true(incident_transition(ST_ERADICATION, ST_CONTAINMENT)->needs & NEED_REASON);
	assert_true(incident_transition(ST_RECOVERY, ST_CONTAINMENT)->needs & NEED_REASON);
	t = incident_transition(ST_CLOSED, ST_ANALYSIS);
	assert_true(t->needs & NEED_REASON);
	assert_int_equal(t->act, ACT_INCIDENT_REOPEN);
	assert_int_equal(t->sets, STAMP_CLEAR_CLOSED);
	t = incident_transition(ST_REJECTED, ST_TRIAGE);
	assert_true(t->needs & NEED_REASON);
	assert_int_equal(t->act, ACT_INCIDENT_REOPEN);
	/* Forward moves need no reason. */
	assert_false(incident_transition(ST_NEW, ST_TRIAGE)->needs & NEED_REASON);
	assert_false(incident_transition(ST_ANALYSIS, ST_CONTAINMENT)->needs & NEED_REASON);
	assert_false(incident_transition(ST_POST_INCIDENT, ST_CLOSED)->needs & NEED_REASON);
	/* Rejecting needs a rejection reason and is a triage decision. */
	for (int from = ST_TRIAGE; from <= ST_ANALYSIS; from++) {
		t = incident_transition((enum incident_state)from, ST_REJECTED);
		assert_true(t->needs & NEED_REJECT_REASON);
		assert_int_equal(t->act, ACT_INCIDENT_TRIAGE);
		assert_int_equal(t->sets, STAMP_CLOSED);
	}
	/* Who may: triage decisions, response, closing. */
	assert_int_equal(incident_transition(ST_NEW, ST_TRIAGE)->act, ACT_INCIDENT_TRIAGE);
	assert_int_equal(incident_transition(ST_TRIAGE, ST_ANALYSIS)->act, ACT_INCIDENT_TRIAGE);
	assert_int_equal(incident_transition(ST_ANALYSIS, ST_CONTAINMENT)->act, ACT_INCIDENT_RESPOND);
	assert_int_equal(incident_transition(ST_RECOVERY, ST_POST_INCIDENT)->act, ACT_INCIDENT_RESPOND);
	assert_int_equal(incident_transition(ST_POST_INCIDENT, ST_CLOSED)->act, ACT_INCIDENT_CLOSE);
	/* Analysis takes an owner; containment an owner and a priority. */
	assert_true(incident_transition(ST_TRIAGE, ST_ANALYSIS)->needs & NEED_OWNER);
	assert_true(incident_transition(ST_ANALYSIS, ST_CONTAINMENT)->needs & NEED_OWNER);
	assert_true(incident_transition(ST_ANALYSIS, ST_CONTAINMENT)->needs & NEED_PRIORITY);
	/* The stamps: triaged leaving triage, contained leaving containment, ... */
	assert_int_equal(incident_transition(ST_TRIAGE, ST_ANALYSIS)->sets, STAMP_TRIAGED);
	assert_int_equal(incident_transition(ST_CONTAINMENT, ST_ERADICATION)->sets, STAMP_CONTAINED);
	assert_int_equal(incident_transition(ST_RECOVERY, ST_POST_INCIDENT)->sets, STAMP_RECOVERED);
	assert_int_equal(incident_transition(ST_POST_INCIDENT, ST_CLOSED)->sets, STAMP_CLOSED);
	/* Terminal states. */
	for (int s = 0; s < ST__COUNT; s++)
		assert_int_equal(incident_state_terminal((enum incident_state)s),
				 s == ST_CLOSED || s == ST_REJECTED);
}

/* domain.md §1: rejected is a side exit from triage/analysis, not from intake. */
static void test_spec_reject_only_after_triage(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX];
	struct snap s;

	if (incident_transition(ST_NEW, ST_REJECTED))
		print_error("new -> rejected is in the table, but domain.md §1 allows rejecting "
			    "only from triage and analysis (and rejecting from new leaves "
			    "triaged_at unset)\n");
	assert_null(incident_transition(ST_NEW, ST_REJECTED));
	reach(f, ST_NEW, hid);
	snap_take(f, hid, &s);
	CHECK(move(f, &f->admin, hid, ST_REJECTED, NULL, "false_positive", NULL), ERR_CONFLICT);
	UNCHANGED(f, hid, &s);
}

/* The comment in incident.c: forward moves follow NIST; no skipping phases. */
static void test_spec_no_skip_from_analysis_to_post_incident(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX];
	struct snap s;

	if (incident_transition(ST_ANALYSIS, ST_POST_INCIDENT))
		print_error("analysis -> post_incident is in the table, but neither domain.md §1 "
			    "nor the comment above the table describes skipping containment, "
			    "eradication and recovery\n");
	assert_null(incident_transition(ST_ANALYSIS, ST_POST_INCIDENT));
	reach(f, ST_ANALYSIS, hid);
	snap_take(f, hid, &s);
	CHECK(move(f, &f->admin, hid, ST_POST_INCIDENT, "nothing to contain", NULL, NULL),
	      ERR_CONFLICT);
	UNCHANGED(f, hid, &s);
}

/* The "(allowed: a, b)" part of a refusal names the allowed next states. */
static void assert_allowed_list(const char *msg, int from)
{
	const char *p = strstr(msg, "(allowed: "), *end;
	char list[256];
	char *save = NULL;
	int seen[ST__COUNT] = { 0 };

	if (!p)
		print_error("'%s' does not name the allowed states\n", msg);
	assert_non_null(p);
	p += strlen("(allowed: ");
	end = strchr(p, ')');
	assert_non_null(end);
	snprintf(list, sizeof(list), "%.*s", (int)(end - p), p);
	for (char *tok = strtok_r(list, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		enum incident_state s;
		assert_int_equal(incident_state_parse(tok, &s, NULL), 0);
		assert_int_equal(spec[from][s], Y);
		seen[s] = 1;
	}
	for (int to = 0; to < ST__COUNT; to++)
		if (spec[from][to] == Y && !seen[to])
			fail_msg("'%s' does not name %s", msg, sname(to));
}

/* Every (from, to) pair through the real store. */
static void test_move_every_pair(void **state)
{
	struct fx *f = *state;

	for (int from = 0; from < ST__COUNT; from++) {
		for (int to = 0; to < ST__COUNT; to++) {
			char hid[INCIDENT_HID_MAX];
			struct incident inc;
			struct snap s;
			int rc;

			reach(f, (enum incident_state)from, hid);
			snap_take(f, hid, &s);
			rc = move(f, &f->admin, hid, (enum incident_state)to, "a reason",
				  to == ST_REJECTED ? "false_positive" : NULL, NULL);
			if (spec[from][to] == Y) {
				if (rc)
					print_error("%s -> %s: %s\n", sname(from), sname(to), e.msg);
				assert_int_equal(rc, 0);
				get(f, hid, &inc);
				assert_int_equal(inc.state, to);
				assert_int_equal(inc.version, s.version + 1);
				incident_release(&inc);
				assert_int_equal(audit_rows(f->st), s.audit + 1);
				assert_int_equal(timeline_rows(f->st), s.timeline + 1);
				continue;
			}
			if (rc != ERR_CONFLICT)
				print_error("%s -> %s: got %d (%s), want ERR_CONFLICT\n", sname(from),
					    sname(to), rc, e.msg);
			assert_int_equal(rc, ERR_CONFLICT);
			UNCHANGED(f, hid, &s);
			assert_non_null(strstr(e.msg, hid));
			if (from == to) {
				MSG_HAS("already");
				continue;
			}
			assert_allowed_list(e.msg, from);
		}
	}
}

/* The state_change timeline entry and the audit row of a move. */
static void test_move_records(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX], action[64], object[64], after[4096];
	json_t *tl;
	size_t n;

	reach(f, ST_CONTAINMENT, hid);
	f->bob.now = NOW + 60;
	CHECK(move(f, &f->bob, hid, ST_ANALYSIS, "second host found", NULL, NULL), 0);
	last_audit(f->st, action, object, after, sizeof(after));
	assert_string_equal(action, "incident.move");
	assert_string_equal(object, hid);
	assert_non_null(strstr(after, "\"state\":\"analysis\""));
	assert_non_null(strstr(after, "second host found"));
	CHECK(timeline_list(f->st, &f->admin, hid, &tl, &e), 0);
	n = json_array_size(tl);
	assert_true(n >= 4);
	{
		json_t *last = json_array_get(tl, n - 1);
		assert_string_equal(json_string_value(json_object_get(last, "kind")), "state_change");
		assert_string_equal(json_string_value(json_object_get(last, "author")), "bob");
		assert_non_null(strstr(json_string_value(json_object_get(last, "text")), "containment"));
		assert_non_null(strstr(json_string_value(json_object_get(last, "text")), "analysis"));
		assert_non_null(strstr(json_string_value(json_object_get(last, "text")),
				       "second host found"));
	}
	json_decref(tl);
}

/* Each need is refused with ERR_INVALID, and nothing is written. */
static void test_move_needs(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX], other[INCIDENT_HID_MAX], bare[INCIDENT_HID_MAX];
	struct incident inc;
	struct snap s;

	/* NEED_REASON: going back and reopening. */
	reach(f, ST_CONTAINMENT, hid);
	snap_take(f, hid, &s);
	CHECK(move(f, &f->admin, hid, ST_ANALYSIS, NULL, NULL, NULL), ERR_INVALID);
	MSG_HAS("needs a reason");
	UNCHANGED(f, hid, &s);
	CHECK(move(f, &f->admin, hid, ST_ANALYSIS, "", NULL, NULL), ERR_INVALID);
	UNCHANGED(f, hid, &s);
	reach(f, ST_CLOSED, hid);
	snap_take(f, hid, &s);
	CHECK(move(f, &f->admin, hid, ST_ANALYSIS, NULL, NULL, NULL), ERR_INVALID);
	MSG_HAS("--reason");
	UNCHANGED(f, hid, &s);
	/* A reason must be clean text too. */
	CHECK(move(f, &f->admin, hid, ST_ANALYSIS, "bad\x01reason", NULL, NULL), ERR_INVALID);
	UNCHANGED(f, hid, &s);

	/* NEED_REJECT_REASON. */
	reach(f, ST_TRIAGE, hid);
	reach(f, ST_NEW, other);
	snap_take(f, hid, &s);
	CHECK(move(f, &f->admin, hid, ST_REJECTED, "spam", NULL, NULL), ERR_INVALID);
	MSG_HAS("false_positive");
	UNCHANGED(f, hid, &s);
	CHECK(move(f, &f->admin, hid, ST_REJECTED, NULL, "boring", NULL), ERR_INVALID);
	MSG_HAS("not_our_constituency");
	UNCHANGED(f, hid, &s);
	CHECK(move(f, &f->admin, hid, ST_REJECTED, NULL, "duplicate", NULL), ERR_INVALID);
	MSG_HAS("--duplicate-of");
	UNCHANGED(f, hid, &s);
	CHECK(move(f, &f->admin, hid, ST_REJECTED, NULL, "duplicate", hid), ERR_INVALID);
	MSG_HAS("itself");
	UNCHANGED(f, hid, &s);
	/* A rejection reason on a move that is not a rejection. */
	CHECK(move(f, &f->admin, hid, ST_ANALYSIS, NULL, "false_positive", NULL), ERR_INVALID);
	UNCHANGED(f, hid, &s);
	/* Lower case id and a real duplicate work. */
	{
		char lower[INCIDENT_HID_MAX];
		snprintf(lower, sizeof(lower), "ir%s", other + 2);
		CHECK(move(f, &f->admin, hid, ST_REJECTED, NULL, "DUPLICATE", lower), 0);
	}
	get(f, hid, &inc);
	assert_int_equal(inc.state, ST_REJECTED);
	assert_int_equal(inc.reject_reason, REJ_DUPLICATE);
	assert_string_equal(inc.duplicate_hid, other);
	incident_release(&inc);
	/* Reopening clears the rejection. */
	CHECK(move(f, &f->bob, hid, ST_TRIAGE, "not a duplicate after all", NULL, NULL), 0);
	get(f, hid, &inc);
	assert_int_equal(inc.reject_reason, -1);
	assert_string_equal(inc.duplicate_hid, "");
	assert_int_equal(inc.duplicate_of, 0);
	incident_release(&inc);

	/* NEED_OWNER. */
	create_titled(f, "No owner yet", bare);
	CHECK(move(f, &f->admin, bare, ST_TRIAGE, NULL, NULL, NULL), 0);
	snap_take(f, bare, &s);
	CHECK(move(f, &f->admin, bare, ST_ANALYSIS, NULL, NULL, NULL), ERR_INVALID);
	MSG_HAS("owner");
	UNCHANGED(f, bare, &s);
	CHECK(set1(f, &f->admin, bare, "owner", "carol", NULL), 0);
	CHECK(move(f, &f->admin, bare, ST_ANALYSIS, NULL, NULL, NULL), 0);

	/* NEED_PRIORITY: no classification yet. */
	snap_take(f, bare, &s);
	CHECK(move(f, &f->admin, bare, ST_CONTAINMENT, NULL, NULL, NULL), ERR_INVALID);
	MSG_HAS("priority");
	UNCHANGED(f, bare, &s);
	/* NEED_OWNER at containment: owner removed again. */
	CHECK(set1(f, &f->admin, bare, "functional_impact", "low", NULL), 0);
	CHECK(set1(f, &f->admin, bare, "information_impact", "integrity_loss", NULL), 0);
	CHECK(set1(f, &f->admin, bare, "recoverability", "supplemented", NULL), 0);
	CHECK(set1(f, &f->admin, bare, "owner", "", NULL), 0);
	snap_take(f, bare, &s);
	CHECK(move(f, &f->admin, bare, ST_CONTAINMENT, NULL, NULL, NULL), ERR_INVALID);
	MSG_HAS("owner");
	UNCHANGED(f, bare, &s);
	CHECK(set1(f, &f->admin, bare, "owner", "bob", NULL), 0);
	CHECK(move(f, &f->admin, bare, ST_CONTAINMENT, NULL, NULL, NULL), 0);
	/* NEED_PRIORITY at eradication: classification cleared in containment. */
	CHECK(set1(f, &f->admin, bare, "recoverability", "", NULL), 0);
	snap_take(f, bare, &s);
	CHECK(move(f, &f->admin, bare, ST_ERADICATION, NULL, NULL, NULL), ERR_INVALID);
	MSG_HAS("priority");
	UNCHANGED(f, bare, &s);
	/* An override is a priority too. */
	CHECK(set1(f, &f->bob, bare, "priority", "P2", "board asked for it"), 0);
	CHECK(move(f, &f->admin, bare, ST_ERADICATION, NULL, NULL, NULL), 0);
}

/*
 * --duplicate-of names an incident that does not exist: the move's input is
 * invalid (ERR_INVALID, exit 4), as an unknown owner is; ERR_NOTFOUND (exit 3)
 * would say that the incident being moved does not exist.
 */
static void test_duplicate_of_unknown_is_invalid(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX];
	struct snap s;

	reach(f, ST_TRIAGE, hid);
	snap_take(f, hid, &s);
	CHECK(move(f, &f->admin, hid, ST_REJECTED, NULL, "duplicate", "IR-2026-9999"), ERR_INVALID);
	MSG_HAS("IR-2026-9999");
	UNCHANGED(f, hid, &s);
}

/* Who may make which move (role.c's table through the lifecycle). */
static void test_move_who_may(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX];
	struct incident inc;
	struct snap s;

	/* A triage user triages and hands over, but does not respond. */
	{
		struct incident_field fv[] = { { "title", "Odd login at night" } };
		create_with(f, &f->tom, fv, 1, hid);
	}
	CHECK(move(f, &f->tom, hid, ST_TRIAGE, NULL, NULL, NULL), 0);
	CHECK(set1(f, &f->tom, hid, "owner", "carol", NULL), 0);
	CHECK(move(f, &f->tom, hid, ST_ANALYSIS, NULL, NULL, NULL), 0);
	CHECK(set1(f, &f->tom, hid, "functional_impact", "medium", NULL), 0);
	CHECK(set1(f, &f->tom, hid, "information_impact", "none", NULL), 0);
	CHECK(set1(f, &f->tom, hid, "recoverability", "regular", NULL), 0);
	snap_take(f, hid, &s);
	CHECK(move(f, &f->tom, hid, ST_CONTAINMENT, NULL, NULL, NULL), ERR_DENIED);
	MSG_HAS("tom");
	UNCHANGED(f, hid, &s);
	/* The handler responds ... */
	CHECK(move(f, &f->carol, hid, ST_CONTAINMENT, NULL, NULL, NULL), 0);
	CHECK(move(f, &f->carol, hid, ST_ERADICATION, NULL, NULL, NULL), 0);
	CHECK(move(f, &f->carol, hid, ST_RECOVERY, NULL, NULL, NULL), 0);
	complete_items(f, hid);
	CHECK(move(f, &f->carol, hid, ST_POST_INCIDENT, NULL, NULL, NULL), 0);
	/* ... but does not close. */
	snap_take(f, hid, &s);
	CHECK(move(f, &f->carol, hid, ST_CLOSED, NULL, NULL, NULL), ERR_DENIED);
	UNCHANGED(f, hid, &s);
	CHECK(move(f, &f->vic, hid, ST_CLOSED, NULL, NULL, NULL), ERR_DENIED);
	UNCHANGED(f, hid, &s);
	/* A P2 closes once its lessons learned are written (ir/lessons.c). */
	CHECK(move(f, &f->mia, hid, ST_CLOSED, NULL, NULL, NULL), ERR_INVALID);
	MSG_HAS("lessons learned");
	{
		struct lessons_field lf[LQ__COUNT];
		for (int q = 0; q < LQ__COUNT; q++)
			lf[q] = (struct lessons_field){ lessons_question_name((enum lessons_question)q), "-" };
		CHECK(lessons_set(f->st, &f->mia, hid, lf, LQ__COUNT, NULL, &e), 0);
	}
	CHECK(move(f, &f->mia, hid, ST_CLOSED, NULL, NULL, NULL), 0);
	/* Only a commander (or admin) reopens, and with a reason. */
	snap_take(f, hid, &s);
	CHECK(move(f, &f->mia, hid, ST_ANALYSIS, "new evidence", NULL, NULL), ERR_DENIED);
	UNCHANGED(f, hid, &s);
	CHECK(move(f, &f->carol, hid, ST_ANALYSIS, "new evidence", NULL, NULL), ERR_DENIED);
	UNCHANGED(f, hid, &s);
	CHECK(move(f, &f->bob, hid, ST_ANALYSIS, NULL, NULL, NULL), ERR_INVALID);
	UNCHANGED(f, hid, &s);
	CHECK(move(f, &f->bob, hid, ST_ANALYSIS, "new evidence", NULL, NULL), 0);
	get(f, hid, &inc);
	assert_int_equal(inc.state, ST_ANALYSIS);
	incident_release(&inc);

	/* A rejected incident is reopened by a commander too. */
	reach(f, ST_REJECTED, hid);
	snap_take(f, hid, &s);
	CHECK(move(f, &f->tom, hid, ST_TRIAGE, "was real", NULL, NULL), ERR_DENIED);
	UNCHANGED(f, hid, &s);
	CHECK(move(f, &f->bob, hid, ST_TRIAGE, "was real", NULL, NULL), 0);

	/* A viewer and an external account create nothing. */
	snap_take(f, NULL, &s);
	{
		struct incident_field fv[] = { { "title", "Viewer tries" } };
		err_clear(&e);
		CHECK(incident_create(f->st, &f->vic, fv, 1, &inc, &e), ERR_DENIED);
		incident_release(&inc);
		MSG_HAS("vic");
		CHECK(incident_create(f->st, &f->vendor, fv, 1, &inc, &e), ERR_DENIED);
		incident_release(&inc);
	}
	UNCHANGED(f, NULL, &s);
	/* The viewer does not triage either. */
	reach(f, ST_NEW, hid);
	snap_take(f, hid, &s);
	CHECK(move(f, &f->vic, hid, ST_TRIAGE, NULL, NULL, NULL), ERR_DENIED);
	UNCHANGED(f, hid, &s);
}

/* Moves stamp the time of the move; stamps are corrected only with a reason. */
static void test_timestamps(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX], rej[INCIDENT_HID_MAX], text[64];
	struct incident inc;
	struct snap s;
	json_t *tl, *j;

	reach(f, ST_TRIAGE, hid);
	get(f, hid, &inc);
	assert_int_equal(inc.triaged_at, 0);
	assert_int_equal(inc.discovered_at, NOW);
	assert_int_equal(inc.reported_at, NOW);
	incident_release(&inc);

	f->admin.now = NOW + 100;
	CHECK(move(f, &f->admin, hid, ST_ANALYSIS, NULL, NULL, NULL), 0);
	f->admin.now = NOW + 200;
	CHECK(move(f, &f->admin, hid, ST_CONTAINMENT, NULL, NULL, NULL), 0);
	get(f, hid, &inc);
	assert_int_equal(inc.triaged_at, NOW + 100);
	assert_int_equal(inc.contained_at, 0);
	assert_int_equal(inc.updated_at, NOW + 200);
	incident_release(&inc);
	f->admin.now = NOW + 300;
	CHECK(move(f, &f->admin, hid, ST_ERADICATION, NULL, NULL, NULL), 0);
	f->admin.now = NOW + 400;
	CHECK(move(f, &f->admin, hid, ST_RECOVERY, NULL, NULL, NULL), 0);
	f->admin.now = NOW + 500;
	CHECK(move(f, &f->admin, hid, ST_POST_INCIDENT, NULL, NULL, NULL), 0);
	f->admin.now = NOW + 600;
	CHECK(move(f, &f->admin, hid, ST_CLOSED, NULL, NULL, NULL), 0);
	get(f, hid, &inc);
	assert_int_equal(inc.triaged_at, NOW + 100);
	assert_int_equal(inc.contained_at, NOW + 300);
	assert_int_equal(inc.recovered_at, NOW + 500);
	assert_int_equal(inc.closed_at, NOW + 600);
	j = incident_to_json(&inc);
	time_format_utc(NOW + 600, text);
	assert_string_equal(json_string_value(json_object_get(j, "closed_at")), text);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "closed");
	assert_string_equal(json_string_value(json_object_get(j, "nist_phase")), "post_incident");
	assert_int_equal(json_array_size(json_object_get(j, "next_states")), 1);
	json_decref(j);
	incident_release(&inc);

	/* Reopening clears closed_at and keeps the rest. */
	f->bob.now = NOW + 700;
	CHECK(move(f, &f->bob, hid, ST_ANALYSIS, "missed a host", NULL, NULL), 0);
	get(f, hid, &inc);
	assert_int_equal(inc.closed_at, 0);
	assert_int_equal(inc.triaged_at, NOW + 100);
	assert_int_equal(inc.contained_at, NOW + 300);
	j = incident_to_json(&inc);
	assert_true(json_is_null(json_object_get(j, "closed_at")));
	json_decref(j);
	incident_release(&inc);

	/* Rejecting from triage stamps triaged_at and closed_at. */
	reach(f, ST_TRIAGE, rej);
	f->admin.now = NOW + 800;
	CHECK(move(f, &f->admin, rej, ST_REJECTED, NULL, "not_our_constituency", NULL), 0);
	get(f, rej, &inc);
	assert_int_equal(inc.triaged_at, NOW + 800);
	assert_int_equal(inc.closed_at, NOW + 800);
	incident_release(&inc);
	f->bob.now = NOW + 900;
	CHECK(move(f, &f->bob, rej, ST_TRIAGE, "it is ours", NULL, NULL), 0);
	get(f, rej, &inc);
	assert_int_equal(inc.closed_at, 0);
	incident_release(&inc);

	/* Correcting a stamp: needs a reason and ACT_TIMESTAMP_EDIT. */
	f->bob.now = f->carol.now = NOW + 1000;
	snap_take(f, hid, &s);
	CHECK(set1(f, &f->bob, hid, "triaged_at", "2026-11-27 09:00:30 JST", NULL), ERR_INVALID);
	MSG_HAS("reason");
	UNCHANGED(f, hid, &s);
	CHECK(set1(f, &f->carol, hid, "triaged_at", "2026-11-27 09:00:30 JST", "typo"), ERR_DENIED);
	UNCHANGED(f, hid, &s);
	CHECK(set1(f, &f->bob, hid, "triaged_at", "now+1h", "typo"), ERR_INVALID);
	MSG_HAS("future");
	UNCHANGED(f, hid, &s);
	CHECK(set1(f, &f->bob, hid, "triaged_at", "2026-11-27 09:00:30 JST",
		   "triage call started earlier"), 0);
	get(f, hid, &inc);
	assert_int_equal(inc.triaged_at, NOW + 30);
	assert_int_equal(inc.version, s.version + 1);
	incident_release(&inc);
	assert_int_equal(audit_rows(f->st), s.audit + 1);
	assert_int_equal(timeline_rows(f->st), s.timeline + 1);
	CHECK(timeline_list(f->st, &f->admin, hid, &tl, &e), 0);
	{
		json_t *last = json_array_get(tl, json_array_size(tl) - 1);
		const char *t = json_string_value(json_object_get(last, "text"));
		assert_string_equal(json_string_value(json_object_get(last, "kind")), "decision");
		assert_non_null(strstr(t, "triaged_at corrected from"));
		assert_non_null(strstr(t, "triage call started earlier"));
	}
	json_decref(tl);
	/* Closed incidents may have their stamps corrected too. */
	reach(f, ST_CLOSED, hid);
	CHECK(set1(f, &f->mia, hid, "closed_at", "2026-11-27 08:00 JST", "closed in the meeting"), 0);
	get(f, hid, &inc);
	assert_int_equal(inc.closed_at, NOW - 3600);
	incident_release(&inc);
	/* A stamp is not set at creation. */
	snap_take(f, NULL, &s);
	{
		struct incident_field fv[] = { { "title", "x" }, { "triaged_at", "now" } };
		err_clear(&e);
		CHECK(incident_create(f->st, &f->admin, fv, 2, &inc, &e), ERR_INVALID);
		incident_release(&inc);
	}
	UNCHANGED(f, NULL, &s);
}

static void test_priority_derive(void **state)
{
	static const struct {
		int fi;
		unsigned ii;
		int rc, want;
	} cases[] = {
		/* incomplete classification: unknown */
		{ -1, 1u << II_NONE, RC_REGULAR, 0 },
		{ FI_HIGH, 0, RC_REGULAR, 0 },
		{ FI_HIGH, 1u << II_PRIVACY, -1, 0 },
		/* P1: functional high, whatever else */
		{ FI_HIGH, 1u << II_NONE, RC_REGULAR, 1 },
		{ FI_HIGH, 1u << II_INTEGRITY, RC_SUPPLEMENTED, 1 },
		/* P1: a data breach that is hard to recover */
		{ FI_NONE, 1u << II_PRIVACY, RC_EXTENDED, 1 },
		{ FI_NONE, 1u << II_PROPRIETARY, RC_NOT_RECOVERABLE, 1 },
		{ FI_LOW, (1u << II_PRIVACY) | (1u << II_INTEGRITY), RC_NOT_RECOVERABLE, 1 },
		/* P4: nothing at all */
		{ FI_NONE, 1u << II_NONE, RC_REGULAR, 4 },
		/* P2: medium, a breach, or extended recovery */
		{ FI_MEDIUM, 1u << II_NONE, RC_REGULAR, 2 },
		{ FI_NONE, 1u << II_PRIVACY, RC_REGULAR, 2 },
		{ FI_LOW, 1u << II_PROPRIETARY, RC_SUPPLEMENTED, 2 },
		{ FI_NONE, 1u << II_NONE, RC_EXTENDED, 2 },
		{ FI_LOW, 1u << II_INTEGRITY, RC_NOT_RECOVERABLE, 2 },
		{ FI_MEDIUM, 1u << II_PRIVACY, RC_SUPPLEMENTED, 2 },
		/* P3: the rest */
		{ FI_LOW, 1u << II_NONE, RC_REGULAR, 3 },
		{ FI_NONE, 1u << II_INTEGRITY, RC_REGULAR, 3 },
		{ FI_NONE, 1u << II_NONE, RC_SUPPLEMENTED, 3 },
		{ FI_LOW, 1u << II_INTEGRITY, RC_SUPPLEMENTED, 3 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = incident_priority_derive(cases[i].fi, cases[i].ii, cases[i].rc);
		if (got != cases[i].want)
			print_error("case %zu: (%d, %#x, %d) gave P%d, want P%d\n", i, cases[i].fi,
				    cases[i].ii, cases[i].rc, got, cases[i].want);
		assert_int_equal(got, cases[i].want);
	}
}

static void test_priority_override(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX];
	struct incident inc;
	struct snap s;
	json_t *j, *tl;

	create_titled(f, "CEO mailbox forwarding rule", hid);
	get(f, hid, &inc);
	assert_int_equal(inc.priority, 0);
	j = incident_to_json(&inc);
	assert_true(json_is_null(json_object_get(j, "priority")));
	json_decref(j);
	incident_release(&inc);

	/* Classification gives the derived priority. */
	CHECK(set1(f, &f->carol, hid, "functional_impact", "low", NULL), 0);
	CHECK(set1(f, &f->carol, hid, "information_impact", "integrity_loss", NULL), 0);
	CHECK(set1(f, &f->carol, hid, "recoverability", "regular", NULL), 0);
	get(f, hid, &inc);
	assert_int_equal(inc.priority_derived, 3);
	assert_int_equal(inc.priority, 3);
	incident_release(&inc);
	CHECK(set1(f, &f->carol, hid, "information_impact", "privacy_breach, integrity_loss", NULL), 0);
	get(f, hid, &inc);
	assert_int_equal(inc.priority, 2);
	incident_release(&inc);
	CHECK(set1(f, &f->carol, hid, "information_impact", "none,privacy_breach", NULL), ERR_INVALID);

	/* The override needs the permission and a reason. */
	snap_take(f, hid, &s);
	CHECK(set1(f, &f->carol, hid, "priority", "P1", "feels urgent"), ERR_DENIED);
	UNCHANGED(f, hid, &s);
	CHECK(set1(f, &f->bob, hid, "priority", "P1", NULL), ERR_INVALID);
	MSG_HAS("reason");
	UNCHANGED(f, hid, &s);
	CHECK(set1(f, &f->bob, hid, "priority", "P5", "x"), ERR_INVALID);
	UNCHANGED(f, hid, &s);
	CHECK(set1(f, &f->bob, hid, "priority", "P1", "CEO account involved"), 0);
	get(f, hid, &inc);
	assert_int_equal(inc.priority, 1);
	assert_int_equal(inc.priority_override, 1);
	assert_int_equal(inc.priority_derived, 2);
	assert_string_equal(inc.priority_reason, "CEO account involved");
	j = incident_to_json(&inc);
	assert_string_equal(json_string_value(json_object_get(j, "priority")), "P1");
	assert_string_equal(json_string_value(json_object_get(j, "priority_derived")), "P2");
	assert_string_equal(json_string_value(json_object_get(j, "priority_override")), "P1");
	json_decref(j);
	incident_release(&inc);
	assert_int_equal(timeline_rows(f->st), s.timeline + 1);
	CHECK(timeline_list(f->st, &f->admin, hid, &tl, &e), 0);
	{
		json_t *last = json_array_get(tl, json_array_size(tl) - 1);
		assert_string_equal(json_string_value(json_object_get(last, "kind")), "decision");
		assert_non_null(strstr(json_string_value(json_object_get(last, "text")), "P1"));
		assert_non_null(strstr(json_string_value(json_object_get(last, "text")),
				       "CEO account involved"));
	}
	json_decref(tl);
	/* Changing the classification changes the derived, not the effective, priority. */
	CHECK(set1(f, &f->carol, hid, "information_impact", "none", NULL), 0);
	get(f, hid, &inc);
	assert_int_equal(inc.priority_derived, 3);
	assert_int_equal(inc.priority, 1);
	assert_string_equal(inc.priority_reason, "CEO account involved");
	incident_release(&inc);
	/* The list filters by the effective priority. */
	{
		struct incident_filter fl = { .type = -1, .priorities = 1u << 1 };
		struct incident_list l;
		CHECK(incident_list(f->st, &f->admin, &fl, &l, &e), 0);
		assert_int_equal(l.n, 1);
		assert_string_equal(l.items[0].hid, hid);
		incident_list_release(&l);
	}
	/* "auto" removes the override. */
	CHECK(set1(f, &f->bob, hid, "priority", "AUTO", NULL), 0);
	get(f, hid, &inc);
	assert_int_equal(inc.priority_override, 0);
	assert_int_equal(inc.priority, 3);
	assert_null(inc.priority_reason);
	incident_release(&inc);
	/* Removing an override that is not there writes nothing. */
	snap_take(f, hid, &s);
	CHECK(set1(f, &f->bob, hid, "priority", "auto", NULL), 0);
	UNCHANGED(f, hid, &s);

	/* At creation: override with a reason; refused without one or without the right. */
	{
		struct incident_field ok[] = { { "title", "Ransom note" }, { "priority", "2" },
					       { "reason", "ransomware is always P2 or higher" } };
		struct incident_field noreason[] = { { "title", "Ransom note" }, { "priority", "P2" } };
		CHECK(incident_create(f->st, &f->bob, ok, 3, &inc, &e), 0);
		assert_int_equal(inc.priority, 2);
		assert_int_equal(inc.priority_override, 2);
		assert_string_equal(inc.priority_reason, "ransomware is always P2 or higher");
		incident_release(&inc);
		snap_take(f, NULL, &s);
		CHECK(incident_create(f->st, &f->bob, noreason, 2, &inc, &e), ERR_INVALID);
		incident_release(&inc);
		CHECK(incident_create(f->st, &f->tom, ok, 3, &inc, &e), ERR_DENIED);
		incident_release(&inc);
		UNCHANGED(f, NULL, &s);
	}
}

/* IR-YYYY-NNNN: the year in the actor's zone, one counter per year. */
static void test_human_ids(void **state)
{
	struct fx *f = *state;
	struct incident_field fv[] = { { "title", "Year end" } };
	struct actor a = f->admin;
	char hid[INCIDENT_HID_MAX];
	struct incident inc;

	a.now = INT64_C(1798731000); /* 2026-12-31T15:30Z = 2027-01-01 00:30 JST */
	create_with(f, &a, fv, 1, hid);
	assert_string_equal(hid, "IR-2027-0001");
	a.now = INT64_C(1798727400); /* 2026-12-31T14:30Z = 23:30 JST */
	create_with(f, &a, fv, 1, hid);
	assert_string_equal(hid, "IR-2026-0001");
	create_with(f, &a, fv, 1, hid);
	assert_string_equal(hid, "IR-2026-0002");
	a.now = INT64_C(1798731000);
	create_with(f, &a, fv, 1, hid);
	assert_string_equal(hid, "IR-2027-0002");
	/* In UTC the first instant is still 2026. */
	a.tz = NULL;
	create_with(f, &a, fv, 1, hid);
	assert_string_equal(hid, "IR-2026-0003");
	/* Ids are looked up case-insensitively; anything else is not found. */
	CHECK(incident_get(f->st, &f->admin, "ir-2027-0002", &inc, &e), 0);
	assert_string_equal(inc.hid, "IR-2027-0002");
	incident_release(&inc);
	CHECK(incident_get(f->st, &f->admin, "IR-2027-0003", &inc, &e), ERR_NOTFOUND);
	MSG_HAS("IR-2027-0003");
	CHECK(incident_get(f->st, &f->admin, "IR-2027-0002x", &inc, &e), ERR_NOTFOUND);
	CHECK(incident_get(f->st, &f->admin, "2027-0002", &inc, &e), ERR_NOTFOUND);
	CHECK(incident_get(f->st, &f->admin, "", &inc, &e), ERR_NOTFOUND);
	CHECK(incident_get(f->st, &f->admin, "IR-2027-0002' OR '1'='1", &inc, &e), ERR_NOTFOUND);
}

/* Past 9999 the number grows a digit, and sorting by id stays numeric. */
static void test_human_ids_past_9999(void **state)
{
	struct fx *f = *state;
	struct incident_filter fl = { .type = -1, .sort = SORT_HID };
	struct incident_list l;
	char a[INCIDENT_HID_MAX], b[INCIDENT_HID_MAX];

	assert_int_equal(store_exec(f->st, "INSERT INTO incident_counters (year, last) "
				    "VALUES (2026, 9998)", &e), 0);
	create_titled(f, "Busy year", a);
	create_titled(f, "Busier year", b);
	assert_string_equal(a, "IR-2026-9999");
	assert_string_equal(b, "IR-2026-10000");
	CHECK(incident_list(f->st, &f->admin, &fl, &l, &e), 0);
	assert_int_equal(l.n, 2);
	if (strcmp(l.items[0].hid, a) != 0)
		print_error("sort by id puts %s before %s\n", l.items[0].hid, l.items[1].hid);
	assert_string_equal(l.items[0].hid, a);
	assert_string_equal(l.items[1].hid, b);
	incident_list_release(&l);
}

/* The tasks of incident hid, and the count its playbook.apply audit row gives. */
static void playbook_of(struct store *st, const char *hid, int64_t *tasks, int64_t *audited)
{
	struct stmt *s;
	json_t *after;

	assert_int_equal(store_prepare(st, "SELECT COUNT(*) FROM tasks t JOIN incidents i ON "
				       "i.id = t.incident_id WHERE i.hid = ? AND t.step IS NOT NULL",
				       &s, NULL), 0);
	stmt_bind_text(s, 1, hid);
	assert_int_equal(stmt_int_result(s, tasks, NULL), 0);
	*audited = -1;
	assert_int_equal(store_prepare(st, "SELECT after FROM audit_log WHERE action = "
				       "'playbook.apply' AND object_id = ?", &s, NULL), 0);
	stmt_bind_text(s, 1, hid);
	if (stmt_step(s, NULL) == 1) {
		after = json_loads(stmt_text(s, 0), 0, NULL);
		*audited = json_integer_value(json_object_get(after, "tasks_added"));
		json_decref(after);
	}
	stmt_done(s);
}

/*
 * Many creations in one transaction (a bulk import) with an inner one that
 * rolls back: numbers, playbook tasks and the audit chain come out as if
 * each had been created on its own, without a gap where the undone one was.
 */
static void test_create_many_in_one_transaction(void **state)
{
	struct fx *f = *state;
	struct incident_field typed[] = { { "title", "Phish" }, { "type", "phishing" } };
	struct actor next_year = f->admin;
	struct audit_report rep;
	char hid[INCIDENT_HID_MAX];
	int64_t tasks, audited, first_tasks, audit0 = audit_rows(f->st);

	next_year.now = INT64_C(1798731000); /* 2027-01-01 00:30 JST */
	CHECK(store_begin(f->st, &e), 0);
	create_with(f, &f->admin, typed, 2, hid);
	assert_string_equal(hid, "IR-2026-0001");
	create_titled(f, "Untyped", hid);
	assert_string_equal(hid, "IR-2026-0002");
	CHECK(store_begin(f->st, &e), 0);
	create_with(f, &f->admin, typed, 2, hid);
	assert_string_equal(hid, "IR-2026-0003");
	store_rollback(f->st);
	create_with(f, &next_year, typed, 2, hid);
	assert_string_equal(hid, "IR-2027-0001");
	create_with(f, &f->admin, typed, 2, hid);
	assert_string_equal(hid, "IR-2026-0003");
	create_with(f, &next_year, typed, 2, hid);
	assert_string_equal(hid, "IR-2027-0002");
	CHECK(store_commit(f->st, &e), 0);

	assert_int_equal(incident_rows(f->st), 5);
	assert_int_equal(count(f->st, "SELECT last FROM incident_counters WHERE year = 2026"), 3);
	assert_int_equal(count(f->st, "SELECT last FROM incident_counters WHERE year = 2027"), 2);
	playbook_of(f->st, "IR-2026-0001", &first_tasks, &audited);
	assert_true(first_tasks > 5);
	assert_int_equal(audited, first_tasks);
	playbook_of(f->st, "IR-2026-0003", &tasks, &audited);
	assert_int_equal(tasks, first_tasks);
	assert_int_equal(audited, first_tasks);
	playbook_of(f->st, "IR-2027-0002", &tasks, &audited);
	assert_int_equal(tasks, first_tasks);
	playbook_of(f->st, "IR-2026-0002", &tasks, &audited);
	assert_int_equal(tasks, 0);
	assert_int_equal(audited, -1);
	/* 4 typed creations and their playbooks, 1 untyped. */
	assert_int_equal(audit_rows(f->st), audit0 + 9);
	CHECK(audit_verify(f->st, &f->admin, NULL, &rep, &e), 0);
	assert_int_equal(rep.rows, audit0 + 9);
	/* A second transaction goes on from the committed counters. */
	create_titled(f, "Later", hid);
	assert_string_equal(hid, "IR-2026-0004");
}

/* Invalid input at creation is refused before anything is written. */
static void test_create_validation(void **state)
{
	struct fx *f = *state;
	char t201[202], t200ja[200 * 3 + 1], s20001[20002];
	struct incident inc;
	struct snap s;
	struct {
		const char *name, *value;
		int rc;
		const char *msg;
	} cases[] = {
		{ "title", t201, ERR_TOOLONG, "title: too long" },
		{ "title", "Bad \xff byte", ERR_INVALID, "UTF-8" },
		{ "title", "Bad \xc0\xaf overlong", ERR_INVALID, "UTF-8" },
		{ "title", "Bell\x07", ERR_INVALID, "control" },
		{ "title", "two\nlines", ERR_INVALID, "control" },
		{ "title", "esc \x1b[31m red", ERR_INVALID, "control" },
		{ "title", "", ERR_INVALID, "title" },
		{ "summary", s20001, ERR_TOOLONG, "summary" },
		{ "reporter", "tab\there", ERR_INVALID, "reporter" },
		{ "type", "virus", ERR_INVALID, "phishing" },
		{ "attack_vector", "usb", ERR_INVALID, "removable_media" },
		{ "functional_impact", "severe", ERR_INVALID, "medium" },
		{ "information_impact", "privacy_breach,bogus", ERR_INVALID, "integrity_loss" },
		{ "information_impact", "none,privacy_breach", ERR_INVALID, "none" },
		{ "recoverability", "maybe", ERR_INVALID, "not_recoverable" },
		{ "tlp", "TLP:PURPLE", ERR_INVALID, "TLP:AMBER+STRICT" },
		{ "pap", "PAP:BLUE", ERR_INVALID, "PAP:GREEN" },
		{ "priority", "P0", ERR_INVALID, "P4" },
		{ "owner", "nobody", ERR_INVALID, "nobody" },
		{ "owner", "dora", ERR_INVALID, "disabled" },
		{ "owner", "vendor", ERR_INVALID, "external" },
		{ "occurred_at", "now+1h", ERR_INVALID, "future" },
		{ "occurred_at", "2026-02-30 10:00", ERR_PARSE, "occurred_at" },
		{ "discovered_at", "yesterday-ish", ERR_PARSE, "discovered_at" },
		{ "closed_at", "now", ERR_INVALID, "closed_at" },
		{ "colour", "red", ERR_INVALID, "unknown incident field 'colour'" },
		{ "state", "closed", ERR_INVALID, "state" },
	};

	memset(t201, 'a', 201);
	t201[201] = '\0';
	for (int i = 0; i < 200; i++)
		memcpy(t200ja + i * 3, "\xe3\x81\x82", 3); /* あ */
	t200ja[600] = '\0';
	memset(s20001, 's', 20001);
	s20001[20001] = '\0';

	snap_take(f, NULL, &s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct incident_field fv[] = { { "title", "Valid title" },
					       { cases[i].name, cases[i].value } };
		int rc;
		err_clear(&e);
		rc = incident_create(f->st, &f->admin, fv, 2, &inc, &e);
		incident_release(&inc);
		if (rc != cases[i].rc || !strstr(e.msg, cases[i].msg))
			print_error("case %zu (%s): got %d '%s', want %d with '%s'\n", i, cases[i].name,
				    rc, e.msg, cases[i].rc, cases[i].msg);
		assert_int_equal(rc, cases[i].rc);
		assert_non_null(strstr(e.msg, cases[i].msg));
		assert_null(strchr(e.msg, '\n'));
		UNCHANGED(f, NULL, &s);
	}
	/* No title at all; discovered before it occurred. */
	{
		struct incident_field notitle[] = { { "summary", "no title" } };
		struct incident_field order[] = { { "title", "t" },
						  { "occurred_at", "2026-11-27 08:00 JST" },
						  { "discovered_at", "2026-11-27 07:00 JST" } };
		CHECK(incident_create(f->st, &f->admin, notitle, 1, &inc, &e), ERR_INVALID);
		MSG_HAS("title");
		CHECK(incident_create(f->st, &f->admin, NULL, 0, &inc, &e), ERR_INVALID);
		CHECK(incident_create(f->st, &f->admin, order, 3, &inc, &e), ERR_INVALID);
		MSG_HAS("discovered_at");
		UNCHANGED(f, NULL, &s);
	}

	/* What is accepted: limits counted in characters, aliases, slack for clocks. */
	{
		struct incident_field fv[] = {
			{ "title", t200ja }, { "summary", "line one\nline two\ttabbed" },
			{ "type", "PHISHING" }, { "tlp", "white" }, { "pap", "green" },
			{ "occurred_at", "2026-11-26 09:30 JST" }, { "reported_at", "now+4m" },
			{ "reporter", "佐藤 (営業部)" },
		};
		json_t *j;
		CHECK(incident_create(f->st, &f->admin, fv, 8, &inc, &e), 0);
		assert_string_equal(inc.title, t200ja);
		assert_int_equal(inc.type, 8);
		assert_int_equal(inc.tlp, TLP_CLEAR);
		assert_int_equal(inc.pap, PAP_GREEN);
		assert_int_equal(inc.occurred_at, AT_0930_JST);
		assert_int_equal(inc.reported_at, NOW + 240);
		assert_int_equal(inc.discovered_at, NOW);
		assert_int_equal(inc.state, ST_NEW);
		assert_int_equal(inc.version, 1);
		j = incident_to_json(&inc);
		assert_string_equal(json_string_value(json_object_get(j, "type")), "phishing");
		assert_string_equal(json_string_value(json_object_get(j, "tlp")), "TLP:CLEAR");
		assert_string_equal(json_string_value(json_object_get(j, "occurred_at")),
				    "2026-11-26T00:30:00Z");
		assert_string_equal(json_string_value(json_object_get(j, "created_by")), f->admin.name);
		json_decref(j);
		incident_release(&inc);
		/* The creation, then the phishing playbook's tasks. */
		assert_int_equal(audit_rows(f->st), s.audit + 2);
		/* Creation writes no timeline entry. */
		assert_int_equal(timeline_rows(f->st), s.timeline);
	}
	/* Defaults. */
	{
		struct incident_field fv[] = { { "title", "Defaults" } };
		CHECK(incident_create(f->st, &f->admin, fv, 1, &inc, &e), 0);
		assert_int_equal(inc.type, vocab_incident_type.n - 1);
		assert_string_equal(vocab_name(&vocab_incident_type, inc.type), "other");
		assert_int_equal(inc.tlp, TLP_AMBER);
		assert_int_equal(inc.pap, PAP_AMBER);
		assert_int_equal(inc.owner_id, 0);
		incident_release(&inc);
	}
}

/* Invalid changes are refused and write nothing; terminal incidents are frozen. */
static void test_update_validation(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX], t201[202];
	struct incident inc;
	struct snap s;
	struct {
		const char *name, *value;
		int rc;
	} cases[] = {
		{ "title", t201, ERR_TOOLONG },
		{ "title", "", ERR_INVALID },
		{ "title", NULL, ERR_INVALID },
		{ "type", "", ERR_INVALID },
		{ "tlp", "", ERR_INVALID },
		{ "title", "\xed\xa0\x80 surrogate", ERR_INVALID },
		{ "summary", "nul\x7f del", ERR_INVALID },
		{ "type", "virus", ERR_INVALID },
		{ "occurred_at", "2026-11-27 09:10 JST", ERR_INVALID }, /* future (slack 5 min) */
		{ "occurred_at", "32/13/2026", ERR_PARSE },
		{ "discovered_at", "2026-11-20 09:00 JST", ERR_INVALID }, /* before occurred */
		{ "owner", "ghost", ERR_INVALID },
		{ "nickname", "x", ERR_INVALID },
	};

	memset(t201, 'b', 201);
	t201[201] = '\0';
	{
		struct incident_field fv[] = { { "title", "Edit me" },
					       { "occurred_at", "2026-11-25 09:00 JST" } };
		create_with(f, &f->admin, fv, 2, hid);
	}
	snap_take(f, hid, &s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = set1(f, &f->carol, hid, cases[i].name, cases[i].value, NULL);
		if (rc != cases[i].rc)
			print_error("case %zu (%s): got %d '%s', want %d\n", i, cases[i].name, rc, e.msg,
				    cases[i].rc);
		assert_int_equal(rc, cases[i].rc);
		UNCHANGED(f, hid, &s);
	}
	/* Several fields: one bad one refuses them all. */
	{
		struct incident_field fv[] = { { "title", "New title" }, { "type", "bogus" } };
		CHECK(incident_update(f->st, &f->carol, hid, fv, 2, NULL, 0, &inc, &e), ERR_INVALID);
		incident_release(&inc);
		UNCHANGED(f, hid, &s);
		CHECK(incident_update(f->st, &f->carol, hid, fv, 0, NULL, 0, &inc, &e), ERR_INVALID);
		incident_release(&inc);
		UNCHANGED(f, hid, &s);
	}
	/* Unknown incident; a viewer may not edit. */
	CHECK(set1(f, &f->carol, "IR-2026-0999", "title", "x", NULL), ERR_NOTFOUND);
	CHECK(set1(f, &f->vic, hid, "title", "x", NULL), ERR_DENIED);
	UNCHANGED(f, hid, &s);
	/* A change that changes nothing writes nothing. */
	CHECK(set1(f, &f->carol, hid, "title", "Edit me", NULL), 0);
	UNCHANGED(f, hid, &s);
	/* A real change: one audit row holding before and after, version + 1. */
	CHECK(set1(f, &f->carol, hid, "title", "Edited", NULL), 0);
	{
		char action[64], object[64], after[4096];
		last_audit(f->st, action, object, after, sizeof(after));
		assert_string_equal(action, "incident.update");
		assert_string_equal(object, hid);
		assert_non_null(strstr(after, "Edited"));
		assert_null(strstr(after, "\"type\""));
	}
	get(f, hid, &inc);
	assert_string_equal(inc.title, "Edited");
	assert_int_equal(inc.version, s.version + 1);
	incident_release(&inc);
	/* The new title is searchable and the old one is not. */
	{
		struct incident_filter fl = { .type = -1, .text = "Edited" };
		struct incident_list l;
		CHECK(incident_list(f->st, &f->admin, &fl, &l, &e), 0);
		assert_int_equal(l.n, 1);
		incident_list_release(&l);
		fl.text = "Edit me";
		CHECK(incident_list(f->st, &f->admin, &fl, &l, &e), 0);
		assert_int_equal(l.n, 0);
		incident_list_release(&l);
	}
	/* Closed: reopen before changing anything but a stamp. */
	reach(f, ST_CLOSED, hid);
	snap_take(f, hid, &s);
	CHECK(set1(f, &f->admin, hid, "title", "Too late", NULL), ERR_CONFLICT);
	MSG_HAS("reopen");
	UNCHANGED(f, hid, &s);
}

static void test_optimistic_concurrency(void **state)
{
	struct fx *f = *state;
	struct incident_field t1[] = { { "title", "Alice's edit" } };
	struct incident_field t2[] = { { "summary", "Bob's edit" } };
	char hid[INCIDENT_HID_MAX];
	struct incident inc;
	struct snap s;
	int64_t v;

	create_titled(f, "Shared", hid);
	get(f, hid, &inc);
	v = inc.version;
	incident_release(&inc);
	CHECK(incident_update(f->st, &f->carol, hid, t1, 1, NULL, v, &inc, &e), 0);
	assert_int_equal(inc.version, v + 1);
	incident_release(&inc);
	snap_take(f, hid, &s);
	CHECK(incident_update(f->st, &f->bob, hid, t2, 1, NULL, v, &inc, &e), ERR_CONFLICT);
	incident_release(&inc);
	MSG_HAS("someone else");
	UNCHANGED(f, hid, &s);
	get(f, hid, &inc);
	assert_string_equal(inc.summary, "");
	incident_release(&inc);
	/* With the current version it goes through. */
	CHECK(incident_update(f->st, &f->bob, hid, t2, 1, NULL, v + 1, &inc, &e), 0);
	incident_release(&inc);
	/* Other writers bump the version too (a note, a member). */
	CHECK(timeline_add(f->st, &f->carol, hid, NULL, NULL, "looked at it", NULL, &e), 0);
	CHECK(incident_update(f->st, &f->bob, hid, t1, 1, NULL, v + 2, &inc, &e), ERR_CONFLICT);
	incident_release(&inc);
}

/* The listing fixture: six incidents with distinct titles, states and owners. */
struct lst {
	char a[INCIDENT_HID_MAX], b[INCIDENT_HID_MAX], c[INCIDENT_HID_MAX];
	char d[INCIDENT_HID_MAX], e[INCIDENT_HID_MAX], f[INCIDENT_HID_MAX];
};

static void list_fixture(struct fx *f, struct lst *h)
{
	struct actor a = f->admin;
	struct incident_field fa[] = { { "title", "Phishing at sales" }, { "type", "phishing" },
				       { "owner", "carol" } };
	struct incident_field fb[] = { { "title", "営業部でフィッシングメールを受信した件" },
				       { "type", "phishing" } };
	struct incident_field fc[] = { { "title", "Ransomware on file server" },
				       { "type", "ransomware" }, { "owner", "bob" },
				       { "functional_impact", "high" },
				       { "information_impact", "none" },
				       { "recoverability", "regular" } };
	struct incident_field fd[] = { { "title", "100% CPU on web_01" }, { "type", "dos" },
				       { "summary", "load spike after deploy" },
				       { "functional_impact", "none" },
				       { "information_impact", "none" },
				       { "recoverability", "regular" } };
	struct incident_field fe[] = { { "title", "Lost laptop of 田中" }, { "type", "lost_device" } };
	struct incident_field ff[] = { { "title", "Mail says \"urgent\" wire" }, { "type", "bec" },
				       { "owner", "carol" }, { "functional_impact", "low" },
				       { "information_impact", "none" },
				       { "recoverability", "regular" } };

	a.now = NOW - 600;
	create_with(f, &a, fa, 3, h->a);
	a.now = NOW - 500;
	create_with(f, &a, fb, 2, h->b);
	a.now = NOW - 400;
	create_with(f, &a, fc, 6, h->c);
	a.now = NOW - 300;
	create_with(f, &a, fd, 6, h->d);
	a.now = NOW - 200;
	create_with(f, &a, fe, 2, h->e);
	a.now = NOW - 100;
	create_with(f, &a, ff, 6, h->f);
	a.now = NOW;
	CHECK(move(f, &a, h->a, ST_TRIAGE, NULL, NULL, NULL), 0);
	CHECK(move(f, &a, h->c, ST_TRIAGE, NULL, NULL, NULL), 0);
	CHECK(move(f, &a, h->c, ST_ANALYSIS, NULL, NULL, NULL), 0);
	CHECK(move(f, &a, h->e, ST_TRIAGE, NULL, NULL, NULL), 0);
	CHECK(move(f, &a, h->e, ST_REJECTED, NULL, "false_positive", NULL), 0);
	a.now = NOW + 10;
	CHECK(timeline_add(f->st, &a, h->b, NULL, NULL, "user forwarded the mail", NULL, &e), 0);
}

/* Run the filter and compare the ids, in order, with want (NULL-terminated). */
#define LIST_IS(f, who, fl, ...) list_is((f), (who), (fl), __LINE__, __VA_ARGS__, (const char *)NULL)
static void list_is(struct fx *f, const struct actor *who, const struct incident_filter *fl,
		    int line, ...)
{
	struct incident_list l;
	const char *want[16];
	size_t n = 0;
	va_list ap;
	int bad = 0;

	va_start(ap, line);
	for (const char *w = va_arg(ap, const char *); w; w = va_arg(ap, const char *))
		want[n++] = w;
	va_end(ap);
	if (n == 1 && !*want[0])
		n = 0; /* LIST_IS(..., "") means an empty result */
	err_clear(&e);
	CHECK(incident_list(f->st, who, fl, &l, &e), 0);
	bad = l.n != n;
	for (size_t i = 0; !bad && i < n; i++)
		bad = strcmp(l.items[i].hid, want[i]) != 0;
	if (bad) {
		print_error("line %d (text '%s'): got", line, fl->text ? fl->text : "");
		for (size_t i = 0; i < l.n; i++)
			print_error(" %s", l.items[i].hid);
		print_error(", want");
		for (size_t i = 0; i < n; i++)
			print_error(" %s", want[i]);
		print_error("\n");
	}
	incident_list_release(&l);
	assert_false(bad);
}

static void test_list_filters(void **state)
{
	struct fx *f = *state;
	struct lst h;
	struct incident_filter fl;

	list_fixture(f, &h);
#define RESET() (memset(&fl, 0, sizeof(fl)), fl.type = -1, fl.sort = SORT_CREATED_ASC)
	RESET();
	LIST_IS(f, &f->admin, &fl, h.a, h.b, h.c, h.d, h.e, h.f);
	/* States */
	RESET();
	fl.states = 1u << ST_TRIAGE;
	LIST_IS(f, &f->admin, &fl, h.a);
	fl.states = 1u << ST_NEW;
	LIST_IS(f, &f->admin, &fl, h.b, h.d, h.f);
	fl.states = (1u << ST_TRIAGE) | (1u << ST_REJECTED);
	LIST_IS(f, &f->admin, &fl, h.a, h.e);
	fl.states = 1u << ST_CLOSED;
	LIST_IS(f, &f->admin, &fl, "");
	RESET();
	fl.open_only = 1;
	LIST_IS(f, &f->admin, &fl, h.a, h.b, h.c, h.d, h.f);
	/* Priorities (effective) */
	RESET();
	fl.priorities = 1u << 1;
	LIST_IS(f, &f->admin, &fl, h.c);
	fl.priorities = (1u << 3) | (1u << 4);
	LIST_IS(f, &f->admin, &fl, h.d, h.f);
	fl.priorities = 1u << 2;
	LIST_IS(f, &f->admin, &fl, "");
	/* Type */
	RESET();
	fl.type = 8; /* phishing */
	assert_string_equal(vocab_name(&vocab_incident_type, 8), "phishing");
	LIST_IS(f, &f->admin, &fl, h.a, h.b);
	fl.open_only = 1;
	fl.text = "フィッシング";
	LIST_IS(f, &f->admin, &fl, h.b);
	/* Owner */
	RESET();
	fl.owner = "carol";
	LIST_IS(f, &f->admin, &fl, h.a, h.f);
	fl.owner = "";
	LIST_IS(f, &f->admin, &fl, h.b, h.d, h.e);
	fl.owner = "nobody";
	LIST_IS(f, &f->admin, &fl, "");
	/* Limit and offset */
	RESET();
	fl.sort = SORT_HID;
	fl.limit = 2;
	fl.offset = 1;
	LIST_IS(f, &f->admin, &fl, h.b, h.c);
	fl.offset = 6;
	LIST_IS(f, &f->admin, &fl, "");
	{
		struct incident_list l;
		fl.limit = 1001;
		fl.offset = 0;
		CHECK(incident_list(f->st, &f->admin, &fl, &l, &e), ERR_INVALID);
		fl.limit = 0;
		fl.offset = -1;
		CHECK(incident_list(f->st, &f->admin, &fl, &l, &e), ERR_INVALID);
	}
#undef RESET
}

static void test_list_text(void **state)
{
	struct fx *f = *state;
	struct lst h;
	struct incident_filter fl;
	struct incident_list l;

	list_fixture(f, &h);
	memset(&fl, 0, sizeof(fl));
	fl.type = -1;
	fl.sort = SORT_CREATED_ASC;
#define TEXT(t, ...) (fl.text = (t), LIST_IS(f, &f->admin, &fl, __VA_ARGS__))
	/* ASCII substrings of three or more characters, any case */
	TEXT("phish", h.a);
	TEXT("PHISHING", h.a);
	TEXT("somware", h.c);
	TEXT("deploy", h.d); /* the summary */
	TEXT(h.c, h.c);      /* the id */
	TEXT("2026", h.a, h.b, h.c, h.d, h.e, h.f);
	TEXT("nothing like it", "");
	/* Japanese substrings inside a longer title */
	TEXT("フィッシング", h.b);
	TEXT("フィッシングメール", h.b);
	TEXT("営業部", h.b);
	TEXT("受信した件", h.b);
	TEXT("フィッシング詐欺", "");
	/* One and two characters */
	TEXT("営業", h.b);
	TEXT("田", h.e);
	TEXT("on", h.c, h.d); /* RansomwAre ON, CPU ON web */
	TEXT("at", h.a);
	/* Several words: all of them */
	TEXT("phishing sales", h.a);
	TEXT("phishing ransomware", "");
	TEXT("  Mail   wire ", h.f);
	TEXT("営業部\xe3\x80\x80フィッシング", h.b); /* ideographic space */
	TEXT("file on", h.c);
	/* Quotes, %, _ and backslashes are literal */
	TEXT("\"urgent\"", h.f);
	TEXT("urgent\"", h.f);
	TEXT("\"", h.f);
	TEXT("ur\"gent", "");
	TEXT("\"\"", "");
	TEXT("%", h.d);
	TEXT("100%", h.d);
	TEXT("%0", "");
	TEXT("0%", h.d);
	TEXT("_", h.d);
	TEXT("_0", h.d);
	TEXT("b_0", h.d);
	TEXT("1_0", "");
	TEXT("\\", "");
	TEXT("a\\%", "");
	/* Search syntax is not interpreted */
	TEXT("phish*", "");
	TEXT("sal*", "");
	TEXT("body:phishing", "");
	TEXT("NOT", "");
	TEXT("OR", "");
	TEXT("phishing OR ransomware", "");
	TEXT("NEAR(phishing", "");
	TEXT("-phishing", "");
#undef TEXT
	/* Too many words, control characters, too long */
	fl.text = "a b c d e f g h i";
	CHECK(incident_list(f->st, &f->admin, &fl, &l, &e), ERR_INVALID);
	fl.text = "tab\x01";
	CHECK(incident_list(f->st, &f->admin, &fl, &l, &e), ERR_INVALID);
	fl.text = "\xff\xfe";
	CHECK(incident_list(f->st, &f->admin, &fl, &l, &e), ERR_INVALID);
	{
		char t201[202];
		memset(t201, 'x', 201);
		t201[201] = '\0';
		fl.text = t201;
		CHECK(incident_list(f->st, &f->admin, &fl, &l, &e), ERR_TOOLONG);
	}
}

/*
 * A word in many incidents is searched by walking the date index (the walk
 * hint; on PostgreSQL a form the trigram index does not cover): the page is
 * the same as the text index gives, newest first, with paging by offset and
 * by the last row seen, and a rare word beside it still finds its one row.
 */
static void test_list_text_common(void **state)
{
	struct fx *f = *state;
	struct actor a = f->admin;
	struct incident_filter fl;
	char hid[40][INCIDENT_HID_MAX], rare[INCIDENT_HID_MAX], t[64];

	for (int i = 0; i < 40; i++) {
		struct incident_field fv[] = { { "title", t } };

		snprintf(t, sizeof(t), "%s %d", i % 4 ? "Web SERVER down" : "mail relay", i);
		a.now = NOW - 4000 + i * 60;
		create_with(f, &a, fv, 1, hid[i]);
	}
	a.now = NOW;
	{
		struct incident_field fv[] = { { "title", "kerberoast on the server" } };
		create_with(f, &a, fv, 1, rare);
	}
	memset(&fl, 0, sizeof(fl));
	fl.type = -1;
	fl.sort = SORT_CREATED_DESC;
	fl.limit = 4;
	fl.text = "server";
	LIST_IS(f, &f->admin, &fl, rare, hid[39], hid[38], hid[37]);
	fl.offset = 4;
	LIST_IS(f, &f->admin, &fl, hid[35], hid[34], hid[33], hid[31]);
	fl.offset = 0;
	fl.text = "Server Down 3";
	LIST_IS(f, &f->admin, &fl, hid[39], hid[38], hid[37], hid[35]);
	fl.text = "kerberoast";
	LIST_IS(f, &f->admin, &fl, rare);
	fl.text = "server";
	fl.sort = SORT_CREATED_ASC;
	LIST_IS(f, &f->admin, &fl, hid[1], hid[2], hid[3], hid[5]);
	fl.after_created = NOW - 4000 + 3 * 60;
	fl.after_id = 4;
	LIST_IS(f, &f->admin, &fl, hid[5], hid[6], hid[7], hid[9]);
	/* The text index's answer: every match, sorted otherwise. */
	fl.after_id = 0;
	fl.sort = SORT_HID;
	fl.limit = 1000;
	{
		struct incident_list l;

		CHECK(incident_list(f->st, &f->admin, &fl, &l, &e), 0);
		assert_int_equal(l.n, 31);
		incident_list_release(&l);
	}
}

static void test_list_sort(void **state)
{
	struct fx *f = *state;
	struct lst h;
	struct incident_filter fl;
	enum incident_sort so;

	list_fixture(f, &h);
	memset(&fl, 0, sizeof(fl));
	fl.type = -1;
	fl.sort = SORT_CREATED_DESC; /* the default */
	LIST_IS(f, &f->admin, &fl, h.f, h.e, h.d, h.c, h.b, h.a);
	fl.sort = SORT_CREATED_ASC;
	LIST_IS(f, &f->admin, &fl, h.a, h.b, h.c, h.d, h.e, h.f);
	fl.sort = SORT_HID;
	LIST_IS(f, &f->admin, &fl, h.a, h.b, h.c, h.d, h.e, h.f);
	/* P1, P3, P4, then the unknown ones newest first */
	fl.sort = SORT_PRIORITY;
	LIST_IS(f, &f->admin, &fl, h.c, h.f, h.d, h.e, h.b, h.a);
	/* Lifecycle order, newest first within a state */
	fl.sort = SORT_STATE;
	LIST_IS(f, &f->admin, &fl, h.f, h.d, h.b, h.a, h.c, h.e);
	/* The note on b is the last change */
	fl.sort = SORT_UPDATED_DESC;
	fl.limit = 1;
	LIST_IS(f, &f->admin, &fl, h.b);

	assert_int_equal(incident_sort_parse("priority", &so, &e), 0);
	assert_int_equal(so, SORT_PRIORITY);
	assert_int_equal(incident_sort_parse("-created", &so, &e), 0);
	assert_int_equal(so, SORT_CREATED_DESC);
	assert_int_equal(incident_sort_parse("created", &so, &e), 0);
	assert_int_equal(so, SORT_CREATED_ASC);
	assert_int_equal(incident_sort_parse("id", &so, &e), 0);
	assert_int_equal(so, SORT_HID);
	CHECK(incident_sort_parse("severity", &so, &e), ERR_INVALID);
	MSG_HAS("priority");
}

/* An external account sees only its incidents; the others do not exist for it. */
static void test_external_visibility(void **state)
{
	struct fx *f = *state;
	struct lst h;
	struct incident_filter fl;
	struct incident inc;
	struct snap s;
	json_t *j = NULL;

	list_fixture(f, &h);
	memset(&fl, 0, sizeof(fl));
	fl.type = -1;
	fl.sort = SORT_CREATED_ASC;
	LIST_IS(f, &f->vendor, &fl, "");
	CHECK(incident_member_set(f->st, &f->admin, h.c, "vendor", "forensic_engineer", &e), 0);
	LIST_IS(f, &f->vendor, &fl, h.c);
	fl.text = "phish";
	LIST_IS(f, &f->vendor, &fl, "");
	CHECK(incident_get(f->st, &f->vendor, h.c, &inc, &e), 0);
	assert_string_equal(inc.title, "Ransomware on file server");
	incident_release(&inc);
	CHECK(incident_get(f->st, &f->vendor, h.a, &inc, &e), ERR_NOTFOUND);
	assert_null(strstr(e.msg, "denied"));
	assert_null(strstr(e.msg, "may not"));
	MSG_HAS(h.a);
	CHECK(incident_members(f->st, &f->vendor, h.a, &j, &e), ERR_NOTFOUND);
	CHECK(timeline_list(f->st, &f->vendor, h.a, &j, &e), ERR_NOTFOUND);
	snap_take(f, h.a, &s);
	CHECK(move(f, &f->vendor, h.a, ST_ANALYSIS, NULL, NULL, NULL), ERR_NOTFOUND);
	CHECK(set1(f, &f->vendor, h.a, "title", "x", NULL), ERR_NOTFOUND);
	UNCHANGED(f, h.a, &s);
	/* In its incident it acts with its incident role (forensic_engineer: no edits). */
	snap_take(f, h.c, &s);
	CHECK(set1(f, &f->vendor, h.c, "title", "x", NULL), ERR_DENIED);
	UNCHANGED(f, h.c, &s);
	CHECK(timeline_add(f->st, &f->vendor, h.c, "evidence", NULL, "memory image taken", NULL, &e), 0);
}

static json_t *members_of(struct fx *f, const char *hid)
{
	json_t *j = NULL;

	CHECK(incident_members(f->st, &f->admin, hid, &j, &e), 0);
	return j;
}

static void test_members(void **state)
{
	struct fx *f = *state;
	char hid[INCIDENT_HID_MAX], rej[INCIDENT_HID_MAX], action[64], object[64], after[1024];
	struct snap s;
	json_t *m;

	reach(f, ST_ANALYSIS, hid);
	m = members_of(f, hid);
	assert_int_equal(json_array_size(m), 0);
	json_decref(m);

	snap_take(f, hid, &s);
	CHECK(incident_member_set(f->st, &f->mia, hid, "vendor", "forensic_engineer", &e), 0);
	last_audit(f->st, action, object, after, sizeof(after));
	assert_string_equal(action, "incident.member.set");
	assert_string_equal(object, hid);
	assert_non_null(strstr(after, "forensic_engineer"));
	assert_int_equal(audit_rows(f->st), s.audit + 1);
	m = members_of(f, hid);
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "username")),
			    "vendor");
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "role")),
			    "forensic_engineer");
	assert_true(json_is_true(json_object_get(json_array_get(m, 0), "external")));
	json_decref(m);

	/* Changing the role keeps one row. */
	CHECK(incident_member_set(f->st, &f->mia, hid, "vendor", "researcher", &e), 0);
	CHECK(incident_member_set(f->st, &f->mia, hid, "carol", "incident_handler", &e), 0);
	m = members_of(f, hid);
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "username")),
			    "carol");
	assert_false(json_is_true(json_object_get(json_array_get(m, 0), "external")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "role")),
			    "researcher");
	json_decref(m);

	/* Refused: admin as an incident role, unknown role, unknown user, no right. */
	snap_take(f, hid, &s);
	CHECK(incident_member_set(f->st, &f->mia, hid, "vendor", "admin", &e), ERR_INVALID);
	MSG_HAS("admin");
	CHECK(incident_member_set(f->st, &f->mia, hid, "vendor", "boss", &e), ERR_INVALID);
	MSG_HAS("forensic_engineer");
	CHECK(incident_member_set(f->st, &f->mia, hid, "nobody", "researcher", &e), ERR_INVALID);
	MSG_HAS("nobody");
	CHECK(incident_member_set(f->st, &f->carol, hid, "tom", "triage", &e), ERR_DENIED);
	CHECK(incident_member_set(f->st, &f->vic, hid, "tom", "triage", &e), ERR_DENIED);
	CHECK(incident_member_set(f->st, &f->mia, "IR-2026-0999", "tom", "triage", &e), ERR_NOTFOUND);
	UNCHANGED(f, hid, &s);
	m = members_of(f, hid);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "role")),
			    "researcher");
	json_decref(m);

	/* Removing. */
	CHECK(incident_member_remove(f->st, &f->mia, hid, "vendor", &e), 0);
	last_audit(f->st, action, object, NULL, 0);
	assert_string_equal(action, "incident.member.remove");
	m = members_of(f, hid);
	assert_int_equal(json_array_size(m), 1);
	json_decref(m);
	snap_take(f, hid, &s);
	CHECK(incident_member_remove(f->st, &f->mia, hid, "vendor", &e), ERR_NOTFOUND);
	CHECK(incident_member_remove(f->st, &f->mia, hid, "nobody", &e), ERR_NOTFOUND);
	CHECK(incident_member_remove(f->st, &f->vic, hid, "carol", &e), ERR_DENIED);
	UNCHANGED(f, hid, &s);
	/* Removed, the external account no longer sees it. */
	{
		struct incident inc;
		CHECK(incident_get(f->st, &f->vendor, hid, &inc, &e), ERR_NOTFOUND);
	}

	/* Even as a commander in the incident, an outside party does not reopen. */
	reach(f, ST_REJECTED, rej);
	CHECK(incident_member_set(f->st, &f->bob, rej, "vendor", "commander", &e), 0);
	snap_take(f, rej, &s);
	CHECK(move(f, &f->vendor, rej, ST_TRIAGE, "reopen", NULL, NULL), ERR_DENIED);
	UNCHANGED(f, rej, &s);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transition_table_matrix),
		cmocka_unit_test(test_transition_needs_and_stamps),
		T(test_spec_reject_only_after_triage),
		T(test_spec_no_skip_from_analysis_to_post_incident),
		T(test_move_every_pair),
		T(test_move_records),
		T(test_move_needs),
		T(test_duplicate_of_unknown_is_invalid),
		T(test_move_who_may),
		T(test_timestamps),
		cmocka_unit_test(test_priority_derive),
		T(test_priority_override),
		T(test_human_ids),
		T(test_human_ids_past_9999),
		T(test_create_many_in_one_transaction),
		T(test_create_validation),
		T(test_update_validation),
		T(test_optimistic_concurrency),
		T(test_list_filters),
		T(test_list_text),
		T(test_list_text_common),
		T(test_list_sort),
		T(test_external_visibility),
		T(test_members),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
