/*
 * incident.h: the incident record and its lifecycle (domain.md §1-§2):
 * states and the one transition table that says who may move an incident
 * where and what must be filled first; timestamps set by transitions; human
 * ids IR-YYYY-NNNN; NIST classification and the derived priority P1-P4 with
 * an override that needs a reason; TLP/PAP; owner and members.
 *
 * Every change is one store transaction that also appends an audit row and,
 * for decisions (state, priority, corrected timestamps), a timeline entry.
 * Invalid input is refused before anything is written.
 */
#ifndef IRDESK_IR_INCIDENT_H
#define IRDESK_IR_INCIDENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/role.h"

struct actor;
struct err;
struct store;

/*
 * X(NAME, api name, Japanese, English, NIST SP 800-61r2 phase,
 *   CSF 2.0 function (SP 800-61r3), JPCERT/CC handling step)
 */
#define INCIDENT_STATES(X)                                                                      \
	X(NEW, new, "新規", "New", "detection_analysis", "DE", "検知/連絡受付")                     \
	X(TRIAGE, triage, "トリアージ", "Triage", "detection_analysis", "DE", "トリアージ")          \
	X(ANALYSIS, analysis, "分析", "Analysis", "detection_analysis", "DE",                      \
	  "インシデントレスポンス")                                                                 \
	X(CONTAINMENT, containment, "封じ込め", "Containment", "containment_eradication_recovery", \
	  "RS", "インシデントレスポンス")                                                           \
	X(ERADICATION, eradication, "根絶", "Eradication", "containment_eradication_recovery",     \
	  "RS", "インシデントレスポンス")                                                           \
	X(RECOVERY, recovery, "復旧", "Recovery", "containment_eradication_recovery", "RC",        \
	  "インシデントレスポンス")                                                                 \
	X(POST_INCIDENT, post_incident, "事後対応", "Post-incident", "post_incident", "ID.IM",     \
	  "報告/情報公開")                                                                          \
	X(CLOSED, closed, "完了", "Closed", "post_incident", "ID.IM", "報告/情報公開")              \
	X(REJECTED, rejected, "却下", "Rejected", "detection_analysis", "DE", "トリアージ")

enum incident_state {
#define X(N, n, ja, en, nist, csf, jp) ST_##N,
	INCIDENT_STATES(X)
#undef X
	ST__COUNT
};

/* What a transition needs before it is allowed (struct transition.needs). */
enum {
	NEED_REASON = 1 << 0,        /* a free-text reason (going back, reopening) */
	NEED_REJECT_REASON = 1 << 1, /* false_positive, not_our_constituency or duplicate */
	NEED_OWNER = 1 << 2,         /* someone owns the incident */
	NEED_PRIORITY = 1 << 3,      /* a derived or overridden priority */
};

/* Which timestamp a transition sets (struct transition.sets). */
enum incident_stamp {
	STAMP_NONE, STAMP_TRIAGED, STAMP_CONTAINED, STAMP_RECOVERED, STAMP_CLOSED,
	STAMP_CLEAR_CLOSED /* reopening */
};

struct transition {
	enum incident_state from, to;
	enum action act;       /* who may: the permission it takes */
	unsigned needs;
	enum incident_stamp sets;
};

/* The transition table, in display order; n receives its length. */
const struct transition *incident_transitions(size_t *n);
/* The transition from -> to, or NULL when there is none. */
const struct transition *incident_transition(enum incident_state from, enum incident_state to);

const char *incident_state_name(enum incident_state s);
const char *incident_state_label(enum incident_state s, const char *lang);
const char *incident_state_nist(enum incident_state s);
const char *incident_state_csf(enum incident_state s);
const char *incident_state_jpcert(enum incident_state s);
int incident_state_parse(const char *s, enum incident_state *out, struct err *e);
/* 1 for closed and rejected. */
int incident_state_terminal(enum incident_state s);

#define INCIDENT_HID_MAX 24
#define INCIDENT_TITLE_MAX 200     /* characters */
#define INCIDENT_SUMMARY_MAX 20000 /* characters */
#define INCIDENT_REASON_MAX 2000   /* characters */
#define INCIDENT_REPORTER_MAX 500  /* characters */

struct incident {
	int64_t id;                  /* internal row id */
	char hid[INCIDENT_HID_MAX];  /* IR-2026-0042 */
	char *title;
	char *summary;
	int type;                    /* vocab_incident_type index */
	enum incident_state state;
	int reject_reason;           /* vocab_reject_reason index, -1 unset */
	int64_t duplicate_of;
	char duplicate_hid[INCIDENT_HID_MAX];
	int attack_vector;           /* vocab index, -1 unset */
	int functional_impact;       /* vocab index, -1 unset */
	unsigned information_impact; /* bit set of vocab indices, 0 unset */
	int recoverability;          /* vocab index, -1 unset */
	int priority;                /* effective: 1..4, 0 unknown */
	int priority_derived;        /* 1..4, 0 when the classification is incomplete */
	int priority_override;       /* 1..4, 0 none */
	char *priority_reason;
	int tlp, pap;                /* vocab indices */
	int64_t owner_id;
	char owner[80];              /* owner's username, "" when none */
	char *reporter;
	int64_t occurred_at, discovered_at, reported_at;
	int64_t triaged_at, contained_at, recovered_at, closed_at;
	int64_t created_at, updated_at;
	char created_by[80];
	int64_t version;             /* incremented by every change */
};

/* Free the strings of inc (NULL is fine); inc itself is the caller's. */
void incident_release(struct incident *inc);

/*
 * Derive P1-P4 from the NIST factors (domain.md §2): P1 when functional
 * impact is high, or personal or proprietary data was breached and
 * recoverability is extended or not_recoverable; P4 when every factor is
 * none/regular; P2 for medium functional impact, a data breach or extended
 * recovery; P3 otherwise. 0 while any of the three is unset.
 */
int incident_priority_derive(int functional, unsigned information, int recoverability);

/*
 * Field changes, by API name: title, summary, type, attack_vector,
 * functional_impact, information_impact (comma-separated), recoverability,
 * priority (P1-P4 override, "auto" or "" to remove it), tlp, pap, owner
 * (username or ""), reporter, occurred_at, discovered_at, reported_at,
 * triaged_at, contained_at, recovered_at, closed_at (user input as
 * time_parse() takes it, "" to clear). value NULL or "" clears the field
 * where that is allowed.
 */
struct incident_field {
	const char *name;
	const char *value;
};

/*
 * Create an incident (ACT_INCIDENT_CREATE). title is required; unset times
 * default to the actor's now for discovered_at and reported_at; tlp defaults
 * to TLP:AMBER and pap to PAP:AMBER; type to other. The human id is
 * IR-<year in the actor's zone>-<next number of that year>, four digits at
 * least. Fills *out (caller releases it).
 */
int incident_create(struct store *st, const struct actor *who,
		    const struct incident_field *fields, size_t n,
		    struct incident *out, struct err *e);

/*
 * Load by human id (case-insensitive) after checking ACT_INCIDENT_READ.
 * ERR_NOTFOUND when it does not exist or the actor may not see it.
 */
int incident_get(struct store *st, const struct actor *who, const char *hid,
		 struct incident *out, struct err *e);

/*
 * Apply field changes in one transaction. Overriding priority needs
 * ACT_PRIORITY_OVERRIDE and a reason; changing a timestamp that a transition
 * set (triaged, contained, recovered, closed) needs ACT_TIMESTAMP_EDIT and a
 * reason; everything else ACT_INCIDENT_EDIT. reason may be NULL otherwise.
 * When expect_version is not 0 and differs from the stored version the
 * update is refused with ERR_CONFLICT (someone else changed it first).
 * A change that changes nothing writes nothing.
 */
int incident_update(struct store *st, const struct actor *who, const char *hid,
		    const struct incident_field *fields, size_t n, const char *reason,
		    int64_t expect_version, struct incident *out, struct err *e);

struct incident_move {
	const char *reason;        /* free text; needed going back and reopening */
	const char *reject_reason; /* for rejected: false_positive, ... */
	const char *duplicate_of;  /* for rejected as duplicate: the other hid */
	int force;                 /* move past missing required items (ACT_GATE_OVERRIDE, reason) */
};

/*
 * Move to state `to` through the transition table. ERR_CONFLICT when there
 * is no such transition (the message names the allowed next states),
 * ERR_DENIED when the actor's role may not, ERR_INVALID when something the
 * transition needs is missing (the message says what). Items the catalog
 * requires before `to` (items.h) that are not filled refuse the move with
 * ERR_CONFLICT naming them, unless m->force, which needs ACT_GATE_OVERRIDE
 * and a reason and is noted on the timeline and in the audit log.
 */
int incident_move(struct store *st, const struct actor *who, const char *hid,
		  enum incident_state to, const struct incident_move *m,
		  struct incident *out, struct err *e);

/*
 * The states inc may move to next (whatever the actor's role), in table
 * order, into out (room for ST__COUNT). Returns how many.
 */
int incident_next_states(const struct incident *inc, enum incident_state *out);

enum incident_sort {
	SORT_CREATED_DESC, SORT_CREATED_ASC, SORT_UPDATED_DESC, SORT_PRIORITY,
	SORT_STATE, SORT_HID
};

struct incident_filter {
	unsigned states;     /* bit set of (1 << state); 0: any */
	int open_only;       /* not closed or rejected */
	unsigned priorities; /* bit set of (1 << 1..4); 0: any */
	int type;            /* vocab index, -1: any */
	const char *owner;   /* username, "" for unowned; NULL: any */
	const char *text;    /* every word must appear in id, title or summary */
	enum incident_sort sort;
	int limit;           /* 0: 50; at most 1000 */
	int offset;
	/*
	 * Keyset pagination for the created sorts: only rows after the row
	 * with this created_at and id in the sort order (0, 0: from the start).
	 * Stable under inserts, unlike offsets.
	 */
	int64_t after_created, after_id;
};

/* Parse a sort key: created, -created, updated, priority, state, id. */
int incident_sort_parse(const char *s, enum incident_sort *out, struct err *e);

struct incident_list {
	struct incident *items;
	size_t n;
};

/* The incidents matching f that the actor may see. Caller releases. */
int incident_list(struct store *st, const struct actor *who, const struct incident_filter *f,
		  struct incident_list *out, struct err *e);
void incident_list_release(struct incident_list *l);

/* The incident as the API and `--json` show it (caller owns the object). */
json_t *incident_to_json(const struct incident *inc);

/* Members */

/*
 * Add or change a member (ACT_MEMBER_EDIT): username takes `role` in this
 * incident. External accounts see only incidents they are members of.
 */
int incident_member_set(struct store *st, const struct actor *who, const char *hid,
			const char *username, const char *role, struct err *e);
int incident_member_remove(struct store *st, const struct actor *who, const char *hid,
			   const char *username, struct err *e);
/* Members as a JSON array of {username, display_name, role, external, added_at}. */
int incident_members(struct store *st, const struct actor *who, const char *hid,
		     json_t **out, struct err *e);

/* Members of the incident with internal id id, without checking who asks:
 * for callers that have just loaded it with incident_get. */
int incident_member_list(struct store *st, int64_t id, json_t **out, struct err *e);

/* For ir/ modules: the internal id of a visible incident after checking act. */
int incident_resolve(struct store *st, const struct actor *who, const char *hid,
		     enum action act, int64_t *id, char canon_hid[INCIDENT_HID_MAX],
		     struct err *e);

/* For ir/ modules: mark incident id changed (updated_at, version) inside a tx. */
int incident_touch(struct store *st, const struct actor *who, int64_t id, struct err *e);

#endif
