/*
 * incident.c: incident records, the lifecycle transition table, priority,
 * field changes, listing, and members.
 */
#include "ir/incident.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/items.h"
#include "ir/lessons.h"
#include "ir/timeline.h"
#include "ir/vocab.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "util/utf8.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* States */

struct state_info {
	const char *name, *ja, *en, *nist, *csf, *jpcert;
};

static const struct state_info states[] = {
#define X(N, n, ja, en, nist, csf, jp) { #n, ja, en, nist, csf, jp },
	INCIDENT_STATES(X)
#undef X
};

const char *incident_state_name(enum incident_state s)
{
	return (unsigned)s < ST__COUNT ? states[s].name : "";
}

const char *incident_state_label(enum incident_state s, const char *lang)
{
	if ((unsigned)s >= ST__COUNT)
		return "";
	return lang && strcmp(lang, "ja") == 0 ? states[s].ja : states[s].en;
}

const char *incident_state_nist(enum incident_state s)
{
	return (unsigned)s < ST__COUNT ? states[s].nist : "";
}

const char *incident_state_csf(enum incident_state s)
{
	return (unsigned)s < ST__COUNT ? states[s].csf : "";
}

const char *incident_state_jpcert(enum incident_state s)
{
	return (unsigned)s < ST__COUNT ? states[s].jpcert : "";
}

int incident_state_parse(const char *s, enum incident_state *out, struct err *e)
{
	struct buf list = BUF_INIT;
	int rc;

	for (int i = 0; i < ST__COUNT; i++) {
		if (strcasecmp(s, states[i].name) == 0) {
			*out = (enum incident_state)i;
			return 0;
		}
	}
	for (int i = 0; i < ST__COUNT; i++)
		buf_addf(&list, "%s%s", i ? ", " : "", states[i].name);
	rc = err_set(e, ERR_INVALID, "unknown state '%.64s' (one of: %s)", s, list.data);
	buf_release(&list);
	return rc;
}

int incident_state_terminal(enum incident_state s)
{
	return s == ST_CLOSED || s == ST_REJECTED;
}

/*
 * The lifecycle (domain.md §1). Forward moves follow NIST SP 800-61 one
 * phase at a time; rejection is a side exit from triage and analysis only;
 * going back to analysis (new findings) or to containment (reinfection)
 * needs a reason; closed and rejected are reopened with a reason.
 */
static const struct transition transitions[] = {
	{ ST_NEW, ST_TRIAGE, ACT_INCIDENT_TRIAGE, 0, STAMP_NONE },
	{ ST_TRIAGE, ST_ANALYSIS, ACT_INCIDENT_TRIAGE, NEED_OWNER, STAMP_TRIAGED },
	{ ST_TRIAGE, ST_REJECTED, ACT_INCIDENT_TRIAGE, NEED_REJECT_REASON, STAMP_CLOSED },
	{ ST_ANALYSIS, ST_CONTAINMENT, ACT_INCIDENT_RESPOND, NEED_OWNER | NEED_PRIORITY, STAMP_NONE },
	{ ST_ANALYSIS, ST_REJECTED, ACT_INCIDENT_TRIAGE, NEED_REJECT_REASON, STAMP_CLOSED },
	{ ST_CONTAINMENT, ST_ERADICATION, ACT_INCIDENT_RESPOND, NEED_PRIORITY, STAMP_CONTAINED },
	{ ST_CONTAINMENT, ST_ANALYSIS, ACT_INCIDENT_RESPOND, NEED_REASON, STAMP_NONE },
	{ ST_ERADICATION, ST_RECOVERY, ACT_INCIDENT_RESPOND, 0, STAMP_NONE },
	{ ST_ERADICATION, ST_CONTAINMENT, ACT_INCIDENT_RESPOND, NEED_REASON, STAMP_NONE },
	{ ST_RECOVERY, ST_POST_INCIDENT, ACT_INCIDENT_RESPOND, 0, STAMP_RECOVERED },
	{ ST_RECOVERY, ST_CONTAINMENT, ACT_INCIDENT_RESPOND, NEED_REASON, STAMP_NONE },
	{ ST_POST_INCIDENT, ST_CLOSED, ACT_INCIDENT_CLOSE, 0, STAMP_CLOSED },
	{ ST_CLOSED, ST_ANALYSIS, ACT_INCIDENT_REOPEN, NEED_REASON, STAMP_CLEAR_CLOSED },
	{ ST_REJECTED, ST_TRIAGE, ACT_INCIDENT_REOPEN, NEED_REASON, STAMP_CLEAR_CLOSED },
};

const struct transition *incident_transitions(size_t *n)
{
	*n = sizeof(transitions) / sizeof(transitions[0]);
	return transitions;
}

const struct transition *incident_transition(enum incident_state from, enum incident_state to)
{
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (transitions[i].from == from && transitions[i].to == to)
			return &transitions[i];
	return NULL;
}

int incident_next_states(const struct incident *inc, enum incident_state *out)
{
	int n = 0;

	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (transitions[i].from == inc->state)
			out[n++] = transitions[i].to;
	return n;
}

/* Priority */

int incident_priority_derive(int functional, unsigned information, int recoverability)
{
	unsigned breach = (1u << II_PRIVACY) | (1u << II_PROPRIETARY);
	int hard = recoverability == RC_EXTENDED || recoverability == RC_NOT_RECOVERABLE;

	if (functional < 0 || information == 0 || recoverability < 0)
		return 0;
	if (functional == FI_HIGH || ((information & breach) && hard))
		return 1;
	if (functional == FI_NONE && information == (1u << II_NONE) && recoverability == RC_REGULAR)
		return 4;
	if (functional == FI_MEDIUM || (information & breach) || hard)
		return 2;
	return 3;
}

static void recompute_priority(struct incident *inc)
{
	inc->priority_derived = incident_priority_derive(inc->functional_impact,
							 inc->information_impact,
							 inc->recoverability);
	inc->priority = inc->priority_override ? inc->priority_override : inc->priority_derived;
}

/* Records */

static void incident_init(struct incident *inc)
{
	memset(inc, 0, sizeof(*inc));
	inc->type = vocab_incident_type.n - 1; /* other */
	inc->reject_reason = -1;
	inc->attack_vector = -1;
	inc->functional_impact = -1;
	inc->recoverability = -1;
	inc->tlp = TLP_AMBER;
	inc->pap = PAP_AMBER;
}

void incident_release(struct incident *inc)
{
	if (!inc)
		return;
	free(inc->title);
	free(inc->summary);
	free(inc->priority_reason);
	free(inc->reporter);
	inc->title = inc->summary = inc->priority_reason = inc->reporter = NULL;
}

/* A deep copy, so that a change can be compared with the original. */
static int incident_copy(struct incident *dst, const struct incident *src)
{
	*dst = *src;
	dst->title = strdup(src->title ? src->title : "");
	dst->summary = strdup(src->summary ? src->summary : "");
	dst->reporter = strdup(src->reporter ? src->reporter : "");
	dst->priority_reason = src->priority_reason ? strdup(src->priority_reason) : NULL;
	if (!dst->title || !dst->summary || !dst->reporter ||
	    (src->priority_reason && !dst->priority_reason)) {
		incident_release(dst);
		return ERR_NOMEM;
	}
	return 0;
}

static int vocab_or_unset(const struct vocab *v, const char *s)
{
	int i;

	if (!s || !*s || vocab_parse(v, s, &i, NULL))
		return -1;
	return i;
}

static unsigned impact_bits(const char *s)
{
	unsigned bits = 0;
	char tmp[256];
	char *save = NULL;

	if (!s || !*s)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s", s);
	for (char *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int i = vocab_or_unset(&vocab_information_impact, tok);
		if (i >= 0)
			bits |= 1u << i;
	}
	return bits;
}

static void impact_string(unsigned bits, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; i < vocab_information_impact.n; i++) {
		if (!(bits & (1u << i)))
			continue;
		n += (size_t)snprintf(out + n, size - n, "%s%s", n ? "," : "",
				      vocab_name(&vocab_information_impact, i));
		if (n >= size)
			break;
	}
}

#define INCIDENT_COLUMNS                                                                   \
	"i.id, i.hid, i.title, i.summary, i.type, i.state, i.reject_reason, i.duplicate_of, " \
	"d.hid, i.attack_vector, i.functional_impact, i.information_impact, "                 \
	"i.recoverability, i.priority_override, i.priority_reason, i.tlp, i.pap, "           \
	"i.owner_id, u.username, i.reporter, i.occurred_at, i.discovered_at, "              \
	"i.reported_at, i.triaged_at, i.contained_at, i.recovered_at, i.closed_at, "        \
	"i.created_at, i.updated_at, i.created_by, i.version "                               \
	"FROM incidents i LEFT JOIN users u ON u.id = i.owner_id "                           \
	"LEFT JOIN incidents d ON d.id = i.duplicate_of "

static int incident_from_row(struct stmt *s, struct incident *inc)
{
	enum incident_state stt = ST_NEW;
	int p;

	incident_init(inc);
	inc->id = stmt_int(s, 0);
	snprintf(inc->hid, sizeof(inc->hid), "%s", stmt_text(s, 1));
	inc->title = strdup(stmt_text(s, 2));
	inc->summary = strdup(stmt_text(s, 3));
	inc->type = vocab_or_unset(&vocab_incident_type, stmt_text(s, 4));
	if (inc->type < 0)
		inc->type = vocab_incident_type.n - 1;
	incident_state_parse(stmt_text(s, 5), &stt, NULL);
	inc->state = stt;
	inc->reject_reason = vocab_or_unset(&vocab_reject_reason, stmt_text(s, 6));
	inc->duplicate_of = stmt_int(s, 7);
	snprintf(inc->duplicate_hid, sizeof(inc->duplicate_hid), "%s", stmt_text(s, 8));
	inc->attack_vector = vocab_or_unset(&vocab_attack_vector, stmt_text(s, 9));
	inc->functional_impact = vocab_or_unset(&vocab_functional_impact, stmt_text(s, 10));
	inc->information_impact = impact_bits(stmt_text(s, 11));
	inc->recoverability = vocab_or_unset(&vocab_recoverability, stmt_text(s, 12));
	p = vocab_or_unset(&vocab_priority, stmt_text(s, 13));
	inc->priority_override = p >= 0 ? p + 1 : 0;
	inc->priority_reason = stmt_strdup(s, 14);
	inc->tlp = vocab_or_unset(&vocab_tlp, stmt_text(s, 15));
	inc->pap = vocab_or_unset(&vocab_pap, stmt_text(s, 16));
	inc->owner_id = stmt_int(s, 17);
	snprintf(inc->owner, sizeof(inc->owner), "%s", stmt_text(s, 18));
	inc->reporter = strdup(stmt_text(s, 19));
	inc->occurred_at = stmt_int(s, 20);
	inc->discovered_at = stmt_int(s, 21);
	inc->reported_at = stmt_int(s, 22);
	inc->triaged_at = stmt_int(s, 23);
	inc->contained_at = stmt_int(s, 24);
	inc->recovered_at = stmt_int(s, 25);
	inc->closed_at = stmt_int(s, 26);
	inc->created_at = stmt_int(s, 27);
	inc->updated_at = stmt_int(s, 28);
	snprintf(inc->created_by, sizeof(inc->created_by), "%s", stmt_text(s, 29));
	inc->version = stmt_int(s, 30);
	recompute_priority(inc);
	if (!inc->title || !inc->summary || !inc->reporter) {
		incident_release(inc);
		return ERR_NOMEM;
	}
	return 0;
}

/* Load by internal id, without authorisation (callers check first). */
static int load_by_id(struct store *st, int64_t id, struct incident *out, struct err *e)
{
	struct stmt *s;
	int rc;

	rc = store_prepare(st, "SELECT " INCIDENT_COLUMNS "WHERE i.id = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	rc = stmt_step(s, e);
	if (rc == 1)
		rc = incident_from_row(s, out) ? err_set(e, ERR_NOMEM, "out of memory") : 0;
	else if (rc == 0)
		rc = err_set(e, ERR_NOTFOUND, "incident %" PRId64 " not found", id);
	stmt_done(s);
	return rc;
}

/* Normalise "ir-2026-0001" to "IR-2026-0001"; reject anything else. */
static int hid_canon(const char *hid, char out[INCIDENT_HID_MAX], struct err *e)
{
	size_t n = hid ? strlen(hid) : 0;

	if (n < 4 || n >= INCIDENT_HID_MAX || strncasecmp(hid, "IR-", 3) != 0)
		goto bad;
	for (size_t i = 3; i < n; i++)
		if (!isdigit((unsigned char)hid[i]) && hid[i] != '-')
			goto bad;
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)toupper((unsigned char)hid[i]);
	return 0;
bad:
	return err_set(e, ERR_NOTFOUND, "incident '%.40s' not found (ids look like IR-2026-0001)",
		       hid ? hid : "");
}

int incident_resolve(struct store *st, const struct actor *who, const char *hid,
		     enum action act, int64_t *id, char canon[INCIDENT_HID_MAX], struct err *e)
{
	struct stmt *s;
	int rc;

	rc = hid_canon(hid, canon, e);
	if (rc)
		return rc;
	rc = store_prepare(st, "SELECT id FROM incidents WHERE hid = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, canon);
	rc = stmt_int_result(s, id, e);
	if (rc == ERR_NOTFOUND)
		return err_set(e, ERR_NOTFOUND, "incident %s not found", canon);
	if (rc)
		return rc;
	return authz_incident(st, who, act, *id, canon, e);
}

int incident_get(struct store *st, const struct actor *who, const char *hid,
		 struct incident *out, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct stmt *s;
	int rc;

	incident_init(out);
	rc = hid_canon(hid, canon, e);
	if (rc)
		return rc;
	/* One query: load by the human id, then check who may see it. */
	rc = store_prepare(st, "SELECT " INCIDENT_COLUMNS "WHERE i.hid = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, canon);
	rc = stmt_step(s, e);
	if (rc == 1)
		rc = incident_from_row(s, out) ? err_set(e, ERR_NOMEM, "out of memory") : 0;
	else if (rc == 0)
		rc = err_set(e, ERR_NOTFOUND, "incident %s not found", canon);
	stmt_done(s);
	if (!rc)
		rc = authz_incident(st, who, ACT_INCIDENT_READ, out->id, canon, e);
	if (rc) {
		incident_release(out);
		incident_init(out);
	}
	return rc;
}

/* JSON */

static json_t *opt_vocab(const struct vocab *v, int i)
{
	const char *n = vocab_name(v, i);
	return n ? json_string(n) : json_null();
}

static json_t *opt_priority(int p)
{
	return p ? json_sprintf("P%d", p) : json_null();
}

json_t *incident_to_json(const struct incident *inc)
{
	json_t *o = json_object(), *impact = json_array(), *next = json_array();
	enum incident_state ns[ST__COUNT];
	int n;

	json_set_str(o, "id", inc->hid);
	json_set_str(o, "title", inc->title);
	json_set_str(o, "summary", inc->summary);
	json_object_set_new(o, "type", opt_vocab(&vocab_incident_type, inc->type));
	json_set_str(o, "state", incident_state_name(inc->state));
	json_set_str(o, "nist_phase", incident_state_nist(inc->state));
	json_set_str(o, "csf_function", incident_state_csf(inc->state));
	json_object_set_new(o, "reject_reason", opt_vocab(&vocab_reject_reason, inc->reject_reason));
	json_set_str_nonempty(o, "duplicate_of", inc->duplicate_hid);
	json_object_set_new(o, "attack_vector", opt_vocab(&vocab_attack_vector, inc->attack_vector));
	json_object_set_new(o, "functional_impact",
			    opt_vocab(&vocab_functional_impact, inc->functional_impact));
	for (int i = 0; i < vocab_information_impact.n; i++)
		if (inc->information_impact & (1u << i))
			json_array_append_new(impact, json_string(vocab_name(&vocab_information_impact, i)));
	json_object_set_new(o, "information_impact", impact);
	json_object_set_new(o, "recoverability", opt_vocab(&vocab_recoverability, inc->recoverability));
	json_object_set_new(o, "priority", opt_priority(inc->priority));
	json_object_set_new(o, "priority_derived", opt_priority(inc->priority_derived));
	json_object_set_new(o, "priority_override", opt_priority(inc->priority_override));
	json_set_str(o, "priority_reason", inc->priority_reason);
	json_object_set_new(o, "tlp", opt_vocab(&vocab_tlp, inc->tlp));
	json_object_set_new(o, "pap", opt_vocab(&vocab_pap, inc->pap));
	json_set_str_nonempty(o, "owner", inc->owner);
	json_set_str(o, "reporter", inc->reporter);
	json_set_time(o, "occurred_at", inc->occurred_at);
	json_set_time(o, "discovered_at", inc->discovered_at);
	json_set_time(o, "reported_at", inc->reported_at);
	json_set_time(o, "triaged_at", inc->triaged_at);
	json_set_time(o, "contained_at", inc->contained_at);
	json_set_time(o, "recovered_at", inc->recovered_at);
	json_set_time(o, "closed_at", inc->closed_at);
	json_set_time(o, "created_at", inc->created_at);
	json_set_time(o, "updated_at", inc->updated_at);
	json_set_str(o, "created_by", inc->created_by);
	json_set_int(o, "version", inc->version);
	n = incident_next_states(inc, ns);
	for (int i = 0; i < n; i++)
		json_array_append_new(next, json_string(incident_state_name(ns[i])));
	json_object_set_new(o, "next_states", next);
	return o;
}

/*
 * The keys whose values differ between a and b, as two objects holding the
 * old and the new values: the audit row's before and after.
 */
static void json_diff(json_t *a, json_t *b, json_t **before, json_t **after)
{
	const char *key;
	json_t *va;

	*before = json_object();
	*after = json_object();
	json_object_foreach(a, key, va) {
		json_t *vb = json_object_get(b, key);
		if (strcmp(key, "version") == 0 || strcmp(key, "updated_at") == 0 ||
		    strcmp(key, "next_states") == 0)
			continue;
		if (!json_equal(va, vb)) {
			json_object_set(*before, key, va);
			json_object_set(*after, key, vb ? vb : json_null());
		}
	}
}

/* Field changes */

enum field_kind { F_TEXT, F_VOCAB, F_IMPACT, F_PRIORITY, F_OWNER, F_TIME };

struct field_def {
	const char *name;
	enum field_kind kind;
	enum action act;
	size_t max;             /* characters, for text */
	int multi_line;
	const struct vocab *vocab;
	size_t off;             /* offset of the member in struct incident */
	int required;           /* may not be cleared */
	int needs_reason;
};

#define OFF(m) offsetof(struct incident, m)
static const struct field_def fields[] = {
	{ "title", F_TEXT, ACT_INCIDENT_EDIT, INCIDENT_TITLE_MAX, 0, NULL, OFF(title), 1, 0 },
	{ "summary", F_TEXT, ACT_INCIDENT_EDIT, INCIDENT_SUMMARY_MAX, 1, NULL, OFF(summary), 0, 0 },
	{ "reporter", F_TEXT, ACT_INCIDENT_EDIT, INCIDENT_REPORTER_MAX, 0, NULL, OFF(reporter), 0, 0 },
	{ "type", F_VOCAB, ACT_INCIDENT_EDIT, 0, 0, &vocab_incident_type, OFF(type), 1, 0 },
	{ "attack_vector", F_VOCAB, ACT_INCIDENT_EDIT, 0, 0, &vocab_attack_vector, OFF(attack_vector), 0, 0 },
	{ "functional_impact", F_VOCAB, ACT_INCIDENT_EDIT, 0, 0, &vocab_functional_impact,
	  OFF(functional_impact), 0, 0 },
	{ "information_impact", F_IMPACT, ACT_INCIDENT_EDIT, 0, 0, NULL, OFF(information_impact), 0, 0 },
	{ "recoverability", F_VOCAB, ACT_INCIDENT_EDIT, 0, 0, &vocab_recoverability,
	  OFF(recoverability), 0, 0 },
	{ "priority", F_PRIORITY, ACT_PRIORITY_OVERRIDE, 0, 0, NULL, OFF(priority_override), 0, 1 },
	{ "tlp", F_VOCAB, ACT_INCIDENT_EDIT, 0, 0, &vocab_tlp, OFF(tlp), 1, 0 },
	{ "pap", F_VOCAB, ACT_INCIDENT_EDIT, 0, 0, &vocab_pap, OFF(pap), 1, 0 },
	{ "owner", F_OWNER, ACT_INCIDENT_EDIT, 0, 0, NULL, OFF(owner_id), 0, 0 },
	{ "occurred_at", F_TIME, ACT_INCIDENT_EDIT, 0, 0, NULL, OFF(occurred_at), 0, 0 },
	{ "discovered_at", F_TIME, ACT_INCIDENT_EDIT, 0, 0, NULL, OFF(discovered_at), 0, 0 },
	{ "reported_at", F_TIME, ACT_INCIDENT_EDIT, 0, 0, NULL, OFF(reported_at), 0, 0 },
	{ "triaged_at", F_TIME, ACT_TIMESTAMP_EDIT, 0, 0, NULL, OFF(triaged_at), 0, 1 },
	{ "contained_at", F_TIME, ACT_TIMESTAMP_EDIT, 0, 0, NULL, OFF(contained_at), 0, 1 },
	{ "recovered_at", F_TIME, ACT_TIMESTAMP_EDIT, 0, 0, NULL, OFF(recovered_at), 0, 1 },
	{ "closed_at", F_TIME, ACT_TIMESTAMP_EDIT, 0, 0, NULL, OFF(closed_at), 0, 1 },
};
#undef OFF

/* Times up to this far ahead of now are accepted (clock skew). */
#define FUTURE_SLACK 300

static const struct field_def *field_find(const char *name)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

static int unknown_field(const char *name, struct err *e)
{
	struct buf list = BUF_INIT;
	int rc;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		buf_addf(&list, "%s%s", i ? ", " : "", fields[i].name);
	rc = err_set(e, ERR_INVALID, "unknown incident field '%.64s' (one of: %s)", name, list.data);
	buf_release(&list);
	return rc;
}

static int lookup_owner(struct store *st, const char *username, int64_t *id, struct err *e)
{
	struct stmt *s;
	int rc;

	rc = store_prepare(st, "SELECT id, external, disabled FROM users WHERE username = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, username);
	rc = stmt_step(s, e);
	if (rc == 0)
		rc = err_set(e, ERR_INVALID, "owner: no user '%.64s'", username);
	else if (rc == 1) {
		rc = 0;
		if (stmt_int(s, 2))
			rc = err_set(e, ERR_INVALID, "owner: user '%.64s' is disabled", username);
		else if (stmt_int(s, 1))
			rc = err_set(e, ERR_INVALID, "owner: external account '%.64s' cannot own incidents",
				     username);
		else
			*id = stmt_int(s, 0);
	}
	stmt_done(s);
	return rc;
}

/* Apply one change to inc; validation errors leave the store untouched. */
static int field_apply(struct store *st, const struct actor *who, struct incident *inc,
		       const struct field_def *f, const char *value, struct err *e)
{
	char *base = (char *)inc;
	int empty = !value || !*value;
	int rc, idx;

	if (empty && f->required)
		return err_set(e, ERR_INVALID, "%s: may not be empty", f->name);
	switch (f->kind) {
	case F_TEXT: {
		char **slot = (char **)(base + f->off);
		char *copy;
		if (!value)
			value = "";
		rc = utf8_check_text(f->name, value, f->max, f->multi_line, e);
		if (rc)
			return rc;
		copy = strdup(value);
		if (!copy)
			return err_set(e, ERR_NOMEM, "out of memory");
		free(*slot);
		*slot = copy;
		return 0;
	}
	case F_VOCAB:
		if (empty) {
			*(int *)(base + f->off) = -1;
			return 0;
		}
		rc = vocab_parse(f->vocab, value, &idx, e);
		if (rc)
			return err_prefix(e, "%s", f->name);
		*(int *)(base + f->off) = idx;
		return 0;
	case F_IMPACT: {
		char tmp[256];
		char *save = NULL;
		unsigned bits = 0;
		if (empty) {
			inc->information_impact = 0;
			return 0;
		}
		if (strlen(value) >= sizeof(tmp))
			return err_set(e, ERR_TOOLONG, "information_impact: too long");
		snprintf(tmp, sizeof(tmp), "%s", value);
		for (char *tok = strtok_r(tmp, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			rc = vocab_parse(&vocab_information_impact, tok, &idx, e);
			if (rc)
				return err_prefix(e, "information_impact");
			bits |= 1u << idx;
		}
		if ((bits & (1u << II_NONE)) && bits != (1u << II_NONE))
			return err_set(e, ERR_INVALID,
				       "information_impact: 'none' cannot be combined with other impacts");
		inc->information_impact = bits;
		return 0;
	}
	case F_PRIORITY:
		if (empty || strcasecmp(value, "auto") == 0) {
			inc->priority_override = 0;
			return 0;
		}
		rc = vocab_parse(&vocab_priority, value, &idx, e);
		if (rc)
			return err_prefix(e, "priority");
		inc->priority_override = idx + 1;
		return 0;
	case F_OWNER:
		if (empty) {
			inc->owner_id = 0;
			inc->owner[0] = '\0';
			return 0;
		}
		rc = lookup_owner(st, value, &inc->owner_id, e);
		if (rc)
			return rc;
		snprintf(inc->owner, sizeof(inc->owner), "%s", value);
		return 0;
	case F_TIME: {
		int64_t t = 0;
		if (!empty) {
			rc = time_parse(value, who->tz, who->now, &t, e);
			if (rc)
				return err_prefix(e, "%s", f->name);
			if (t > who->now + FUTURE_SLACK)
				return err_set(e, ERR_INVALID, "%s: %.40s is in the future", f->name, value);
		}
		*(int64_t *)(base + f->off) = t;
		return 0;
	}
	}
	return err_set(e, ERR_INTERNAL, "%s: unhandled field kind", f->name);
}

static int check_consistency(const struct incident *inc, struct err *e)
{
	if (inc->occurred_at && inc->discovered_at && inc->occurred_at > inc->discovered_at)
		return err_set(e, ERR_INVALID, "discovered_at is before occurred_at");
	if (inc->priority_override && (!inc->priority_reason || !*inc->priority_reason))
		return err_set(e, ERR_INVALID, "priority: an override needs a reason");
	return 0;
}

static int check_reason(const char *reason, struct err *e)
{
	if (!reason || !*reason)
		return 0;
	return utf8_check_text("reason", reason, INCIDENT_REASON_MAX, 1, e);
}

/* Writing */

static int bind_incident(struct stmt *s, const struct incident *inc, int first)
{
	char impact[256];
	int i = first;

	impact_string(inc->information_impact, impact, sizeof(impact));
	stmt_bind_text(s, i++, inc->title);
	stmt_bind_text(s, i++, inc->summary);
	stmt_bind_text(s, i++, vocab_name(&vocab_incident_type, inc->type));
	stmt_bind_text(s, i++, incident_state_name(inc->state));
	stmt_bind_text(s, i++, vocab_name(&vocab_reject_reason, inc->reject_reason));
	stmt_bind_int_or_null(s, i++, inc->duplicate_of);
	stmt_bind_text(s, i++, vocab_name(&vocab_attack_vector, inc->attack_vector));
	stmt_bind_text(s, i++, vocab_name(&vocab_functional_impact, inc->functional_impact));
	stmt_bind_text_or_null(s, i++, impact);
	stmt_bind_text(s, i++, vocab_name(&vocab_recoverability, inc->recoverability));
	stmt_bind_text(s, i++, vocab_name(&vocab_priority, inc->priority - 1));
	stmt_bind_text(s, i++, vocab_name(&vocab_priority, inc->priority_derived - 1));
	stmt_bind_text(s, i++, vocab_name(&vocab_priority, inc->priority_override - 1));
	stmt_bind_text_or_null(s, i++, inc->priority_override ? inc->priority_reason : NULL);
	stmt_bind_text(s, i++, vocab_name(&vocab_tlp, inc->tlp));
	stmt_bind_text(s, i++, vocab_name(&vocab_pap, inc->pap));
	stmt_bind_int_or_null(s, i++, inc->owner_id);
	stmt_bind_text(s, i++, inc->reporter);
	stmt_bind_int_or_null(s, i++, inc->occurred_at);
	stmt_bind_int_or_null(s, i++, inc->discovered_at);
	stmt_bind_int_or_null(s, i++, inc->reported_at);
	stmt_bind_int_or_null(s, i++, inc->triaged_at);
	stmt_bind_int_or_null(s, i++, inc->contained_at);
	stmt_bind_int_or_null(s, i++, inc->recovered_at);
	stmt_bind_int_or_null(s, i++, inc->closed_at);
	stmt_bind_int(s, i++, inc->updated_at);
	return i;
}

static int save(struct store *st, const struct incident *inc, int64_t old_version, struct err *e)
{
	struct stmt *s;
	int rc, i;

	rc = store_prepare(st,
		"UPDATE incidents SET title = ?, summary = ?, type = ?, state = ?, "
		"reject_reason = ?, duplicate_of = ?, attack_vector = ?, functional_impact = ?, "
		"information_impact = ?, recoverability = ?, priority = ?, priority_derived = ?, "
		"priority_override = ?, priority_reason = ?, tlp = ?, pap = ?, owner_id = ?, "
		"reporter = ?, occurred_at = ?, discovered_at = ?, reported_at = ?, "
		"triaged_at = ?, contained_at = ?, recovered_at = ?, closed_at = ?, "
		"updated_at = ?, version = ? WHERE id = ? AND version = ?", &s, e);
	if (rc)
		return rc;
	i = bind_incident(s, inc, 1);
	stmt_bind_int(s, i++, inc->version);
	stmt_bind_int(s, i++, inc->id);
	stmt_bind_int(s, i++, old_version);
	rc = stmt_exec(s, e);
	return rc;
}

/* The audit row for a change from a to b (both full records). */
static int audit_change(struct store *st, const struct actor *who, const char *action,
			const struct incident *a, const struct incident *b, json_t *extra,
			struct err *e)
{
	json_t *ja = incident_to_json(a), *jb = incident_to_json(b);
	json_t *before, *after;
	int rc;

	json_diff(ja, jb, &before, &after);
	if (extra)
		json_object_update(after, extra);
	rc = audit_append(st, who, action, "incident", b->hid, before, after, e);
	json_decref(ja);
	json_decref(jb);
	json_decref(before);
	json_decref(after);
	return rc;
}

/*
 * The next number of year. The counter row stays locked by the transaction
 * that bumped it, so a bulk import's later creates in the same transaction
 * take the number from the memo the previous one left and only write it.
 */
static int next_number(struct store *st, int year, int64_t *out, struct err *e)
{
	const struct store_memo *m;
	struct stmt *s;
	char key[STORE_MEMO_KEY];
	int rc;

	snprintf(key, sizeof(key), "incident_counters:%d", year);
	m = store_memo_get(st, key);
	if (m) {
		rc = store_prepare(st, "UPDATE incident_counters SET last = ? WHERE year = ?", &s, e);
		if (rc)
			return rc;
		stmt_bind_int(s, 1, m->num + 1);
		stmt_bind_int(s, 2, year);
		*out = m->num + 1;
		rc = stmt_exec(s, e);
	} else {
		rc = store_prepare(st,
			"INSERT INTO incident_counters (year, last) VALUES (?, 1) "
			"ON CONFLICT (year) DO UPDATE SET last = incident_counters.last + 1 "
			"RETURNING last", &s, e);
		if (rc)
			return rc;
		stmt_bind_int(s, 1, year);
		rc = stmt_int_result(s, out, e);
	}
	if (rc)
		store_memo_forget(st, key);
	else
		store_memo_set(st, key, *out, NULL);
	return rc;
}

static int local_year(const struct actor *who, int64_t t)
{
	time_t local = (time_t)(t + (who->tz ? tz_offset(who->tz, t, NULL) : 0));
	struct tm tm;

	gmtime_r(&local, &tm);
	return tm.tm_year + 1900;
}

int incident_create(struct store *st, const struct actor *who,
		    const struct incident_field *fv, size_t n,
		    struct incident *out, struct err *e)
{
	struct incident inc;
	const char *reason = NULL;
	struct stmt *s = NULL;
	int64_t number = 0;
	int rc, have_title = 0, have_type = 0, year, added;

	incident_init(out);
	incident_init(&inc);
	rc = authz_check(who, ACT_INCIDENT_CREATE, e);
	if (rc)
		return rc;
	inc.title = strdup("");
	inc.summary = strdup("");
	inc.reporter = strdup("");
	if (!inc.title || !inc.summary || !inc.reporter) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	inc.discovered_at = inc.reported_at = who->now;
	for (size_t i = 0; i < n; i++) {
		const struct field_def *f;
		if (strcmp(fv[i].name, "priority_reason") == 0 || strcmp(fv[i].name, "reason") == 0) {
			reason = fv[i].value;
			continue;
		}
		f = field_find(fv[i].name);
		if (!f) {
			rc = unknown_field(fv[i].name, e);
			goto out;
		}
		if (f->act != ACT_INCIDENT_EDIT && f->act != ACT_PRIORITY_OVERRIDE) {
			rc = err_set(e, ERR_INVALID, "%s: set by the lifecycle, not at creation", f->name);
			goto out;
		}
		if (f->act == ACT_PRIORITY_OVERRIDE && (rc = authz_check(who, f->act, e)))
			goto out;
		rc = field_apply(st, who, &inc, f, fv[i].value, e);
		if (rc)
			goto out;
		if (strcmp(f->name, "title") == 0)
			have_title = 1;
		if (strcmp(f->name, "type") == 0)
			have_type = 1;
	}
	if (!have_title) {
		rc = err_set(e, ERR_INVALID, "title: required");
		goto out;
	}
	if ((rc = check_reason(reason, e)))
		goto out;
	if (reason && *reason && !inc.priority_override) {
		rc = err_set(e, ERR_INVALID, "reason: applies only to a priority override (--priority)");
		goto out;
	}
	if (reason && *reason && inc.priority_override && !(inc.priority_reason = strdup(reason))) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	recompute_priority(&inc);
	if ((rc = check_consistency(&inc, e)))
		goto out;
	inc.created_at = inc.updated_at = who->now;
	inc.version = 1;
	snprintf(inc.created_by, sizeof(inc.created_by), "%s", who->name);

	rc = store_begin(st, e);
	if (rc)
		goto out;
	year = local_year(who, who->now);
	rc = next_number(st, year, &number, e);
	if (rc)
		goto rollback;
	snprintf(inc.hid, sizeof(inc.hid), "IR-%04d-%04" PRId64, year, number);
	rc = store_prepare_insert(st,
		"INSERT INTO incidents (year, number, hid, title, summary, type, state, reject_reason, "
		"duplicate_of, attack_vector, functional_impact, information_impact, "
		"recoverability, priority, priority_derived, priority_override, priority_reason, "
		"tlp, pap, owner_id, reporter, occurred_at, discovered_at, reported_at, "
		"triaged_at, contained_at, recovered_at, closed_at, updated_at, created_at, "
		"created_by, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
		"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", &s, e);
	if (rc)
		goto rollback;
	{
		int i;
		stmt_bind_int(s, 1, year);
		stmt_bind_int(s, 2, number);
		stmt_bind_text(s, 3, inc.hid);
		i = bind_incident(s, &inc, 4);
		stmt_bind_int(s, i++, inc.created_at);
		stmt_bind_text(s, i++, inc.created_by);
	}
	rc = stmt_insert_id(s, &inc.id, e);
	if (rc)
		goto rollback;
	{
		json_t *after = incident_to_json(&inc);
		const char *key;
		json_t *v;
		void *tmp;

		/* The new record as it was given: unset fields add nothing. */
		json_object_del(after, "next_states");
		json_object_foreach_safe(after, tmp, key, v)
			if (json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0))
				json_object_del(after, key);
		rc = audit_append(st, who, "incident.create", "incident", inc.hid, NULL, after, e);
		json_decref(after);
	}
	/* An incident created with a type gets its playbook's tasks at once. */
	if (!rc && have_type)
		rc = playbook_apply_new(st, who, inc.id, inc.hid,
					vocab_name(&vocab_incident_type, inc.type), &added, e);
	if (rc)
		goto rollback;
	rc = store_commit(st, e);
	if (rc)
		goto out;
	*out = inc;
	return 0;
rollback:
	store_rollback(st);
out:
	incident_release(&inc);
	return rc;
}

/* A one-line description of a changed time for the timeline. */
static void describe_time(const struct actor *who, const char *field, int64_t old, int64_t now,
			  const char *reason, struct buf *b)
{
	char a[TIME_STR_MAX] = "unset", c[TIME_STR_MAX] = "unset";

	if (old)
		time_format_zone(old, who->tz, a);
	if (now)
		time_format_zone(now, who->tz, c);
	buf_addf(b, "%s corrected from %s to %s: %s", field, a, c, reason);
}

int incident_update(struct store *st, const struct actor *who, const char *hid,
		    const struct incident_field *fv, size_t n, const char *reason,
		    int64_t expect_version, struct incident *out, struct err *e)
{
	struct incident old, inc;
	char canon[INCIDENT_HID_MAX];
	struct buf notes = BUF_INIT;
	int64_t id;
	int rc, needs_reason = 0, decision = 0;

	incident_init(out);
	incident_init(&old);
	incident_init(&inc);
	if (n == 0)
		return err_set(e, ERR_INVALID, "nothing to change");
	if ((rc = check_reason(reason, e)))
		return rc;
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_READ, &id, canon, e);
	if (rc)
		return rc;
	/* Check every field and permission before taking the write lock. */
	for (size_t i = 0; i < n; i++) {
		const struct field_def *f = field_find(fv[i].name);
		if (!f)
			return unknown_field(fv[i].name, e);
		rc = authz_incident(st, who, f->act, id, canon, e);
		if (rc)
			return rc;
	}

	rc = store_begin(st, e);
	if (rc)
		return rc;
	rc = load_by_id(st, id, &old, e);
	if (rc)
		goto rollback;
	if (expect_version && expect_version != old.version) {
		rc = err_set(e, ERR_CONFLICT, "%s was changed by someone else (version %" PRId64
			     ", you had %" PRId64 "): reload and try again",
			     canon, old.version, expect_version);
		goto rollback;
	}
	rc = incident_copy(&inc, &old);
	if (rc) {
		err_set(e, rc, "out of memory");
		goto rollback;
	}
	for (size_t i = 0; i < n; i++) {
		const struct field_def *f = field_find(fv[i].name);
		int64_t before_t = f->kind == F_TIME ? *(int64_t *)((char *)&inc + f->off) : 0;

		if (incident_state_terminal(old.state) && f->act != ACT_TIMESTAMP_EDIT) {
			rc = err_set(e, ERR_CONFLICT, "%s is %s: reopen it before changing %s", canon,
				     incident_state_name(old.state), f->name);
			goto rollback;
		}
		rc = field_apply(st, who, &inc, f, fv[i].value, e);
		if (rc)
			goto rollback;
		if (f->kind == F_TIME && f->needs_reason &&
		    before_t != *(int64_t *)((char *)&inc + f->off)) {
			needs_reason = 1;
			describe_time(who, f->name, before_t, *(int64_t *)((char *)&inc + f->off),
				      reason ? reason : "", &notes);
			buf_addch(&notes, '\n');
		}
		if (f->kind == F_PRIORITY && inc.priority_override != old.priority_override) {
			needs_reason |= inc.priority_override != 0;
			decision = 1;
		}
	}
	if (needs_reason && (!reason || !*reason)) {
		rc = err_set(e, ERR_INVALID, "this change needs a reason (--reason)");
		goto rollback;
	}
	if (decision) {
		free(inc.priority_reason);
		inc.priority_reason = inc.priority_override && reason ? strdup(reason) : NULL;
		recompute_priority(&inc);
		char derived[16] = "unknown";
		if (inc.priority_derived)
			snprintf(derived, sizeof(derived), "P%d", inc.priority_derived);
		if (inc.priority_override)
			buf_addf(&notes, "priority set to P%d (derived: %s): %s\n", inc.priority_override,
				 derived, reason);
		else
			buf_addf(&notes, "priority override removed; priority as derived: %s\n", derived);
	}
	recompute_priority(&inc);
	if ((rc = check_consistency(&inc, e)))
		goto rollback;
	{
		json_t *a = incident_to_json(&old), *b = incident_to_json(&inc);
		int same = json_equal(a, b);
		json_decref(a);
		json_decref(b);
		if (same) {
			store_rollback(st);
			incident_release(&old);
			*out = inc;
			buf_release(&notes);
			return 0;
		}
	}
	inc.updated_at = who->now;
	inc.version = old.version + 1;
	rc = save(st, &inc, old.version, e);
	if (rc)
		goto rollback;
	if (notes.len) {
		buf_truncate(&notes, notes.len - 1);
		rc = timeline_append(st, who, id, TLK_DECISION, who->now, notes.data, NULL, e);
		if (rc)
			goto rollback;
	}
	{
		json_t *extra = reason && *reason ? json_pack("{s:s}", "reason", reason) : NULL;
		rc = audit_change(st, who, "incident.update", &old, &inc, extra, e);
		json_decref(extra);
	}
	/* A new type adds its playbook's tasks (those of the old type stay). */
	if (!rc && inc.type != old.type) {
		int added;
		rc = playbook_apply(st, who, id, canon, vocab_name(&vocab_incident_type, inc.type),
				    &added, e);
	}
	if (rc)
		goto rollback;
	rc = store_commit(st, e);
	if (rc)
		goto out;
	incident_release(&old);
	buf_release(&notes);
	*out = inc;
	return 0;
rollback:
	store_rollback(st);
out:
	incident_release(&old);
	incident_release(&inc);
	buf_release(&notes);
	return rc;
}

static int no_transition(const struct incident *inc, enum incident_state to, struct err *e)
{
	enum incident_state ns[ST__COUNT];
	struct buf list = BUF_INIT;
	int n = incident_next_states(inc, ns), rc;

	for (int i = 0; i < n; i++)
		buf_addf(&list, "%s%s", i ? ", " : "", incident_state_name(ns[i]));
	if (inc->state == to)
		rc = err_set(e, ERR_CONFLICT, "%s is already %s", inc->hid, incident_state_name(to));
	else
		rc = err_set(e, ERR_CONFLICT, "%s cannot move from %s to %s (allowed: %s)", inc->hid,
			     incident_state_name(inc->state), incident_state_name(to),
			     n ? list.data : "none");
	buf_release(&list);
	return rc;
}

static int lookup_duplicate(struct store *st, const struct actor *who, const char *hid,
			    const struct incident *inc, struct incident *dup, struct err *e)
{
	int rc = incident_get(st, who, hid, dup, e);

	/* The incident being moved exists: a bad reference is invalid input. */
	if (rc == ERR_NOTFOUND)
		return err_set(e, ERR_INVALID, "duplicate_of: incident %.40s not found", hid);
	if (rc)
		return err_prefix(e, "duplicate_of");
	if (dup->id == inc->id)
		return err_set(e, ERR_INVALID, "duplicate_of: %s cannot duplicate itself", inc->hid);
	return 0;
}

/*
 * The completeness gate of a move (items.h): refuse it while items required
 * before `to` are missing, unless it is forced by someone who may override
 * gates, with a reason; a forced move notes what was skipped in *note
 * (which becomes part of the timeline entry) and in the audit log.
 */
static int gate(struct store *st, const struct actor *who, const struct incident *old,
		enum incident_state to, const struct incident_move *m, const char *reason,
		struct buf *note, struct err *e)
{
	struct buf missing = BUF_INIT;
	json_t *skipped;
	int rc = items_missing(st, old, to, &missing, e);

	if (rc || !missing.len) {
		if (!rc && m && m->force)
			rc = err_set(e, ERR_INVALID, "nothing to force: %s has what %s needs", old->hid,
				     incident_state_name(to));
		goto out;
	}
	if (!m || !m->force) {
		rc = err_set(e, ERR_CONFLICT, "%s is missing items required before %s: %s (fill them "
			     "with irdesk incident item, or a commander may force the move with a "
			     "reason)", old->hid, incident_state_name(to), missing.data);
		goto out;
	}
	rc = authz_incident(st, who, ACT_GATE_OVERRIDE, old->id, old->hid, e);
	if (rc)
		goto out;
	if (!reason) {
		rc = err_set(e, ERR_INVALID, "forcing %s past missing items needs a reason (--reason)",
			     old->hid);
		goto out;
	}
	buf_addf(note, "forced with items missing: %s", missing.data);
	skipped = json_pack("{s:s,s:s,s:s}", "to", incident_state_name(to), "missing", missing.data,
			    "reason", reason);
	rc = audit_append(st, who, "incident.gate.force", "incident", old->hid, NULL, skipped, e);
	json_decref(skipped);
out:
	buf_release(&missing);
	return rc;
}

int incident_move(struct store *st, const struct actor *who, const char *hid,
		  enum incident_state to, const struct incident_move *m,
		  struct incident *out, struct err *e)
{
	const struct transition *t;
	struct incident old, inc, dup;
	char canon[INCIDENT_HID_MAX];
	struct buf note = BUF_INIT, forced = BUF_INIT;
	const char *reason = m && m->reason && *m->reason ? m->reason : NULL;
	int64_t id;
	int rc, rej = -1;

	incident_init(out);
	incident_init(&old);
	incident_init(&inc);
	incident_init(&dup);
	if ((rc = check_reason(reason, e)))
		return rc;
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_READ, &id, canon, e);
	if (rc)
		return rc;
	rc = store_begin(st, e);
	if (rc)
		return rc;
	rc = load_by_id(st, id, &old, e);
	if (rc)
		goto rollback;
	t = incident_transition(old.state, to);
	if (!t) {
		rc = no_transition(&old, to, e);
		goto rollback;
	}
	rc = authz_incident(st, who, t->act, id, canon, e);
	if (rc)
		goto rollback;
	if ((t->needs & NEED_REASON) && !reason) {
		rc = err_set(e, ERR_INVALID, "moving %s from %s to %s needs a reason (--reason)",
			     canon, incident_state_name(old.state), incident_state_name(to));
		goto rollback;
	}
	if (t->needs & NEED_REJECT_REASON) {
		if (!m || !m->reject_reason || !*m->reject_reason) {
			rc = err_set(e, ERR_INVALID, "rejecting %s needs a reason: false_positive, "
				     "not_our_constituency or duplicate (--reject-reason)", canon);
			goto rollback;
		}
		rc = vocab_parse(&vocab_reject_reason, m->reject_reason, &rej, e);
		if (rc)
			goto rollback;
		if (rej == REJ_DUPLICATE) {
			if (!m->duplicate_of || !*m->duplicate_of) {
				rc = err_set(e, ERR_INVALID, "a duplicate needs the incident it duplicates "
					     "(--duplicate-of)");
				goto rollback;
			}
			rc = lookup_duplicate(st, who, m->duplicate_of, &old, &dup, e);
			if (rc)
				goto rollback;
		}
	} else if (m && m->reject_reason && *m->reject_reason) {
		rc = err_set(e, ERR_INVALID, "a rejection reason applies only when rejecting");
		goto rollback;
	}
	if ((t->needs & NEED_OWNER) && !old.owner_id) {
		rc = err_set(e, ERR_INVALID, "%s needs an owner before %s (irdesk incident set %s "
			     "--owner USER)", canon, incident_state_name(to), canon);
		goto rollback;
	}
	if ((t->needs & NEED_PRIORITY) && !old.priority) {
		rc = err_set(e, ERR_INVALID, "%s needs a priority before %s: set functional_impact, "
			     "information_impact and recoverability, or override the priority", canon,
			     incident_state_name(to));
		goto rollback;
	}
	if (to == ST_CLOSED && (rc = lessons_close_check(st, id, canon, old.priority, e)))
		goto rollback;
	rc = gate(st, who, &old, to, m, reason, &forced, e);
	if (rc)
		goto rollback;
	rc = incident_copy(&inc, &old);
	if (rc) {
		err_set(e, rc, "out of memory");
		goto rollback;
	}
	inc.state = to;
	if (to == ST_REJECTED) {
		inc.reject_reason = rej;
		inc.duplicate_of = dup.id;
		snprintf(inc.duplicate_hid, sizeof(inc.duplicate_hid), "%s", dup.hid);
	} else if (old.state == ST_REJECTED) {
		inc.reject_reason = -1;
		inc.duplicate_of = 0;
		inc.duplicate_hid[0] = '\0';
	}
	switch (t->sets) {
	case STAMP_TRIAGED: inc.triaged_at = who->now; break;
	case STAMP_CONTAINED: inc.contained_at = who->now; break;
	case STAMP_RECOVERED: inc.recovered_at = who->now; break;
	case STAMP_CLOSED: inc.closed_at = who->now; break;
	case STAMP_CLEAR_CLOSED: inc.closed_at = 0; break;
	case STAMP_NONE: break;
	}
	if (old.state == ST_TRIAGE && to == ST_REJECTED && !inc.triaged_at)
		inc.triaged_at = who->now;
	inc.updated_at = who->now;
	inc.version = old.version + 1;
	rc = save(st, &inc, old.version, e);
	if (rc)
		goto rollback;
	buf_addf(&note, "%s → %s", incident_state_name(old.state), incident_state_name(to));
	if (rej >= 0)
		buf_addf(&note, " (%s%s%s)", vocab_name(&vocab_reject_reason, rej),
			 dup.id ? " of " : "", dup.id ? dup.hid : "");
	if (reason)
		buf_addf(&note, ": %s", reason);
	if (forced.len)
		buf_addf(&note, "\n%s", forced.data);
	rc = timeline_append(st, who, id, TLK_STATE_CHANGE, who->now, note.data, NULL, e);
	if (rc)
		goto rollback;
	{
		json_t *extra = reason ? json_pack("{s:s}", "reason", reason) : NULL;
		rc = audit_change(st, who, "incident.move", &old, &inc, extra, e);
		json_decref(extra);
	}
	if (rc)
		goto rollback;
	rc = store_commit(st, e);
	if (rc)
		goto out;
	incident_release(&old);
	incident_release(&dup);
	buf_release(&note);
	buf_release(&forced);
	*out = inc;
	return 0;
rollback:
	store_rollback(st);
out:
	incident_release(&old);
	incident_release(&inc);
	incident_release(&dup);
	buf_release(&note);
	buf_release(&forced);
	return rc;
}

int incident_touch(struct store *st, const struct actor *who, int64_t id, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "UPDATE incidents SET updated_at = ?, version = version + 1 "
				   "WHERE id = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, who->now);
	stmt_bind_int(s, 2, id);
	return stmt_exec(s, e);
}

/* Listing */

int incident_sort_parse(const char *s, enum incident_sort *out, struct err *e)
{
	static const struct { const char *name; enum incident_sort sort; } sorts[] = {
		{ "-created", SORT_CREATED_DESC }, { "created", SORT_CREATED_ASC },
		{ "-updated", SORT_UPDATED_DESC }, { "updated", SORT_UPDATED_DESC },
		{ "priority", SORT_PRIORITY }, { "state", SORT_STATE }, { "id", SORT_HID },
	};
	for (size_t i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++) {
		if (strcmp(s, sorts[i].name) == 0) {
			*out = sorts[i].sort;
			return 0;
		}
	}
	return err_set(e, ERR_INVALID, "unknown sort '%.40s' (one of: -created, created, "
		       "updated, priority, state, id)", s);
}

/* The parameters of a query built at run time, bound in order. */
struct binds {
	int n;
	struct { int is_text; int64_t i; char *s; } v[64];
};

static int bind_text(struct binds *b, const char *s)
{
	if (b->n >= 64)
		return ERR_TOOLONG;
	b->v[b->n].is_text = 1;
	b->v[b->n].s = strdup(s);
	if (!b->v[b->n].s)
		return ERR_NOMEM;
	b->n++;
	return 0;
}

static int bind_int(struct binds *b, int64_t i)
{
	if (b->n >= 64)
		return ERR_TOOLONG;
	b->v[b->n].is_text = 0;
	b->v[b->n].i = i;
	b->v[b->n].s = NULL;
	b->n++;
	return 0;
}

static void binds_release(struct binds *b)
{
	for (int i = 0; i < b->n; i++)
		free(b->v[i].s);
	b->n = 0;
}

#define TEXT_TERMS_MAX 8
#define TEXT_FILTER_MAX 200

static int add_text_filter(struct store *st, const char *text, int walk, struct buf *sql,
			   struct binds *b, struct err *e)
{
	int nbind = 0;
	char tmp[TEXT_FILTER_MAX * 4 + 1];
	struct buf bind = BUF_INIT;
	char *save = NULL;
	int rc = 0, terms = 0;

	rc = utf8_check_text("text", text, TEXT_FILTER_MAX, 0, e);
	if (rc)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s", text);
	/* An ideographic space (U+3000) separates words as a space does. */
	for (char *p = strstr(tmp, "\xe3\x80\x80"); p; p = strstr(p, "\xe3\x80\x80"))
		memcpy(p, "   ", 3);
	for (char *tok = strtok_r(tmp, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (++terms > TEXT_TERMS_MAX) {
			rc = err_set(e, ERR_INVALID, "text: at most %d words", TEXT_TERMS_MAX);
			break;
		}
		buf_adds(sql, " AND ");
		rc = store_text_match(st, sql, "incidents", "i", walk, tok, &bind, &nbind);
		for (int k = 0; !rc && k < nbind; k++)
			rc = bind_text(b, bind.data);
		if (rc) {
			err_set(e, rc, "text filter failed");
			break;
		}
	}
	buf_release(&bind);
	return rc;
}

int incident_list(struct store *st, const struct actor *who, const struct incident_filter *f,
		  struct incident_list *out, struct err *e)
{
	struct buf sql = BUF_INIT;
	struct binds b = { 0 };
	struct stmt *s = NULL;
	size_t cap = 0;
	int rc, limit = f->limit ? f->limit : 50;

	out->items = NULL;
	out->n = 0;
	rc = authz_check(who, ACT_INCIDENT_READ, e);
	if (rc)
		return rc;
	if (limit < 0 || limit > 1000)
		return err_set(e, ERR_INVALID, "limit: between 1 and 1000");
	if (f->offset < 0)
		return err_set(e, ERR_INVALID, "offset: may not be negative");

	buf_adds(&sql, "SELECT " INCIDENT_COLUMNS "WHERE 1 = 1");
	if (f->states) {
		int first = 1;
		buf_adds(&sql, " AND i.state IN (");
		for (int i = 0; i < ST__COUNT; i++) {
			if (!(f->states & (1u << i)))
				continue;
			buf_adds(&sql, first ? "?" : ", ?");
			first = 0;
			rc = rc ? rc : bind_text(&b, incident_state_name((enum incident_state)i));
		}
		buf_addch(&sql, ')');
	}
	if (f->open_only)
		buf_adds(&sql, " AND i.state NOT IN ('closed', 'rejected')");
	if (f->priorities) {
		int first = 1;
		buf_adds(&sql, " AND i.priority IN (");
		for (int p = 1; p <= 4; p++) {
			if (!(f->priorities & (1u << p)))
				continue;
			buf_adds(&sql, first ? "?" : ", ?");
			first = 0;
			rc = rc ? rc : bind_text(&b, vocab_name(&vocab_priority, p - 1));
		}
		buf_addch(&sql, ')');
	}
	if (f->type >= 0) {
		buf_adds(&sql, " AND i.type = ?");
		rc = rc ? rc : bind_text(&b, vocab_name(&vocab_incident_type, f->type));
	}
	if (f->owner && !*f->owner) {
		buf_adds(&sql, " AND i.owner_id IS NULL");
	} else if (f->owner) {
		buf_adds(&sql, " AND u.username = ?");
		rc = rc ? rc : bind_text(&b, f->owner);
	}
	if (who->external) {
		buf_adds(&sql, " AND i.id IN (SELECT incident_id FROM incident_members WHERE user_id = ?)");
		rc = rc ? rc : bind_int(&b, who->user_id);
	}
	if (rc) {
		rc = err_set(e, rc, "too many filters");
		goto out;
	}
	/* The created, updated and priority sorts walk an index and stop at the limit. */
	if (f->text && *f->text &&
	    (rc = add_text_filter(st, f->text, f->sort == SORT_CREATED_DESC ||
				  f->sort == SORT_CREATED_ASC || f->sort == SORT_UPDATED_DESC ||
				  f->sort == SORT_PRIORITY,
				  &sql, &b, e)))
		goto out;
	if (f->after_id && (f->sort == SORT_CREATED_DESC || f->sort == SORT_CREATED_ASC)) {
		buf_adds(&sql, f->sort == SORT_CREATED_DESC
				       ? " AND (i.created_at < ? OR (i.created_at = ? AND i.id < ?))"
				       : " AND (i.created_at > ? OR (i.created_at = ? AND i.id > ?))");
		bind_int(&b, f->after_created);
		bind_int(&b, f->after_created);
		bind_int(&b, f->after_id);
	}
	switch (f->sort) {
	case SORT_CREATED_DESC: buf_adds(&sql, " ORDER BY i.created_at DESC, i.id DESC"); break;
	case SORT_CREATED_ASC: buf_adds(&sql, " ORDER BY i.created_at, i.id"); break;
	case SORT_UPDATED_DESC: buf_adds(&sql, " ORDER BY i.updated_at DESC, i.id DESC"); break;
	case SORT_PRIORITY:
		/* Unprioritised last; the order of index incidents_priority_walk (0012). */
		buf_adds(&sql, " ORDER BY (i.priority IS NULL), i.priority, i.created_at DESC, i.id DESC");
		break;
	case SORT_STATE:
		buf_adds(&sql, " ORDER BY CASE i.state");
		for (int i = 0; i < ST__COUNT; i++)
			buf_addf(&sql, " WHEN '%s' THEN %d", incident_state_name((enum incident_state)i), i);
		buf_adds(&sql, " END, i.created_at DESC, i.id DESC");
		break;
	case SORT_HID: buf_adds(&sql, " ORDER BY i.year, i.number"); break;
	}
	buf_adds(&sql, " LIMIT ? OFFSET ?");
	bind_int(&b, limit);
	bind_int(&b, f->offset);
	if (buf_error(&sql)) {
		rc = err_set(e, buf_error(&sql), "out of memory");
		goto out;
	}
	rc = store_prepare(st, sql.data, &s, e);
	if (rc)
		goto out;
	for (int i = 0; i < b.n; i++) {
		if (b.v[i].is_text)
			stmt_bind_text(s, i + 1, b.v[i].s);
		else
			stmt_bind_int(s, i + 1, b.v[i].i);
	}
	while ((rc = stmt_step(s, e)) == 1) {
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct incident *p = realloc(out->items, ncap * sizeof(*p));
			if (!p) {
				rc = err_set(e, ERR_NOMEM, "out of memory");
				break;
			}
			out->items = p;
			cap = ncap;
		}
		if (incident_from_row(s, &out->items[out->n])) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
		out->n++;
	}
	stmt_done(s);
	if (rc < 0)
		incident_list_release(out);
	else
		rc = 0;
out:
	binds_release(&b);
	buf_release(&sql);
	return rc;
}

void incident_list_release(struct incident_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		incident_release(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/* Members */

static int user_id_of(struct store *st, const char *username, int64_t *id, int *external,
		      struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT id, external FROM users WHERE username = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_text(s, 1, username);
	rc = stmt_step(s, e);
	if (rc == 1) {
		*id = stmt_int(s, 0);
		if (external)
			*external = (int)stmt_int(s, 1);
		rc = 0;
	} else if (rc == 0) {
		rc = err_set(e, ERR_NOTFOUND, "user '%.64s' not found", username);
	}
	stmt_done(s);
	return rc;
}

int incident_member_set(struct store *st, const struct actor *who, const char *hid,
			const char *username, const char *role, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct stmt *s;
	enum role r;
	int64_t id, uid;
	int rc;
	json_t *after;

	rc = incident_resolve(st, who, hid, ACT_MEMBER_EDIT, &id, canon, e);
	if (rc)
		return rc;
	rc = role_parse(role, &r, e);
	if (rc)
		return rc;
	if (r == ROLE_ADMIN)
		return err_set(e, ERR_INVALID, "role: admin is an account role, not an incident role");
	rc = store_begin(st, e);
	if (rc)
		return rc;
	rc = user_id_of(st, username, &uid, NULL, e);
	if (rc == ERR_NOTFOUND)
		rc = err_set(e, ERR_INVALID, "member: no user '%.64s'", username);
	if (rc)
		goto rollback;
	rc = store_prepare(st, "INSERT INTO incident_members (incident_id, user_id, role, added_at) "
			       "VALUES (?, ?, ?, ?) ON CONFLICT (incident_id, user_id) "
			       "DO UPDATE SET role = excluded.role", &s, e);
	if (rc)
		goto rollback;
	stmt_bind_int(s, 1, id);
	stmt_bind_int(s, 2, uid);
	stmt_bind_text(s, 3, role_name(r));
	stmt_bind_int(s, 4, who->now);
	rc = stmt_exec(s, e);
	if (!rc)
		rc = incident_touch(st, who, id, e);
	if (rc)
		goto rollback;
	after = json_pack("{s:s,s:s}", "member", username, "role", role_name(r));
	rc = audit_append(st, who, "incident.member.set", "incident", canon, NULL, after, e);
	json_decref(after);
	if (rc)
		goto rollback;
	return store_commit(st, e);
rollback:
	store_rollback(st);
	return rc;
}

int incident_member_remove(struct store *st, const struct actor *who, const char *hid,
			   const char *username, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct stmt *s;
	int64_t id, uid;
	int rc;
	json_t *before;

	rc = incident_resolve(st, who, hid, ACT_MEMBER_EDIT, &id, canon, e);
	if (rc)
		return rc;
	rc = store_begin(st, e);
	if (rc)
		return rc;
	rc = user_id_of(st, username, &uid, NULL, e);
	if (rc)
		goto rollback;
	rc = store_prepare(st, "DELETE FROM incident_members WHERE incident_id = ? AND user_id = ? "
			       "RETURNING role", &s, e);
	if (rc)
		goto rollback;
	stmt_bind_int(s, 1, id);
	stmt_bind_int(s, 2, uid);
	rc = stmt_step(s, e);
	if (rc == 0) {
		stmt_done(s);
		rc = err_set(e, ERR_NOTFOUND, "%.64s is not a member of %s", username, canon);
		goto rollback;
	}
	if (rc < 0) {
		stmt_done(s);
		goto rollback;
	}
	before = json_pack("{s:s,s:s}", "member", username, "role", stmt_text(s, 0));
	stmt_done(s);
	rc = incident_touch(st, who, id, e);
	if (!rc)
		rc = audit_append(st, who, "incident.member.remove", "incident", canon, before, NULL, e);
	json_decref(before);
	if (rc)
		goto rollback;
	return store_commit(st, e);
rollback:
	store_rollback(st);
	return rc;
}

int incident_members(struct store *st, const struct actor *who, const char *hid,
		     json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	int64_t id;
	int rc;

	*out = NULL;
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_READ, &id, canon, e);
	if (rc)
		return rc;
	return incident_member_list(st, id, out, e);
}

int incident_member_list(struct store *st, int64_t id, json_t **out, struct err *e)
{
	struct stmt *s;
	int rc;

	*out = NULL;
	rc = store_prepare(st, "SELECT u.username, u.display_name, m.role, u.external, m.added_at "
			       "FROM incident_members m JOIN users u ON u.id = m.user_id "
			       "WHERE m.incident_id = ? ORDER BY u.username", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	*out = json_array();
	while ((rc = stmt_step(s, e)) == 1) {
		json_t *m = json_object();
		json_set_str(m, "username", stmt_text(s, 0));
		json_set_str(m, "display_name", stmt_text(s, 1));
		json_set_str(m, "role", stmt_text(s, 2));
		json_set_bool(m, "external", (int)stmt_int(s, 3));
		json_set_time(m, "added_at", stmt_int(s, 4));
		json_array_append_new(*out, m);
	}
	stmt_done(s);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}
