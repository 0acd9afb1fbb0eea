/*
 * alert.h: alerts, the output of detection (issue 6, item 6). A match of a
 * rule on an event becomes an alert with the rule's level and ATT&CK tags,
 * the kill-chain phase those tags reach, the entities involved and the
 * matched event. Matches of one rule on one group key (host and user)
 * within a window fold into one alert (a count, first and last seen);
 * suppressions drop known-good matches until they expire. People triage
 * alerts: false positive (with a reason), benign, promote to a new
 * incident, or attach to an incident; every triage is audited.
 *
 * Also the kill chain of an incident: the phases its alerts reached
 * ("detected") and the phases people marked by hand ("manual"), kept apart.
 */
#ifndef IRDESK_IR_ALERT_H
#define IRDESK_IR_ALERT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct actor;
struct err;
struct store;

/*
 * The seed's seven kill-chain phases (domain.md §5), in order:
 * X(NAME, api name, Japanese, English). Lockheed's phase 7 is split into
 * lateral movement (侵入拡大) and objectives (目的達成); weaponization
 * (resource-development) happens on the attacker's side and is shown with
 * reconnaissance, the other preparation phase the seed names.
 */
#define KILLCHAIN_PHASES(X)                                                  \
	X(RECON, recon, "偵察", "Reconnaissance")                            \
	X(DELIVERY, delivery, "配送", "Delivery")                            \
	X(EXPLOIT, exploitation, "攻撃", "Exploitation")                     \
	X(INSTALL, installation, "インストール", "Installation")             \
	X(C2, command_and_control, "遠隔操作", "Command and control")        \
	X(LATERAL, lateral_movement, "侵入拡大", "Lateral movement")         \
	X(OBJECTIVES, objectives, "目的達成", "Actions on objectives")

enum killchain_phase {
#define X(N, n, ja, en) KC_##N,
	KILLCHAIN_PHASES(X)
#undef X
	KC__COUNT
};

/* The API name of phase p ("delivery"), or "" out of range. */
const char *killchain_phase_name(int p);
/* Its label in lang ("ja" or "en"). */
const char *killchain_phase_label(int p, const char *lang);
/* Parse an API name: 0 and *out, or ERR_INVALID naming the phases. */
int killchain_phase_parse(const char *s, int *out, struct err *e);
/*
 * The phase an ATT&CK tactic tag belongs to: "attack.initial-access" (v2)
 * or "attack.initial_access" (v1), case-insensitive; -1 for anything else
 * (technique tags like attack.t1059.001, other namespaces).
 */
int killchain_tag_phase(const char *tag);
/* The furthest phase any of tags (NULL-terminated, may be NULL) reaches, or -1. */
int killchain_tags_phase(const char *const *tags);

/* Triage statuses (the API names) and actions. */
#define ALERT_STATUSES "new, false_positive, benign, promoted, attached"
#define ALERT_LEVELS "informational, low, medium, high, critical"
#define ALERT_WINDOW_DEFAULT 600       /* seconds: the deduplication window */
#define ALERT_EVENT_MAX (16 * 1024)    /* bytes of the matched event kept */
#define ALERT_REASON_MAX 2000          /* characters */

/* What detection found. Strings are borrowed; NULL entities are "". */
struct alert_input {
	const char *source;            /* "sigma", "ioc" or "api" (NULL: sigma) */
	const char *rule_id;           /* required */
	const char *title;             /* NULL: the rule id */
	const char *level;             /* NULL or unknown: medium */
	const char *const *tags;       /* NULL-terminated, or NULL */
	const char *host, *user, *ip, *process;
	const char *event;             /* the matched event's JSON text, or NULL */
	size_t event_len;
	int64_t seen_at;               /* when it was seen (0: the actor's now) */
	const char *group_key;         /* a correlation's group-by values ("User=bob, ..."):
					  its repeats fold per rule and group key, not host
					  and user; NULL or "" for other alerts */
};

/* What alert_record did with a match. */
enum alert_outcome { ALERT_CREATED, ALERT_DEDUPLICATED, ALERT_SUPPRESSED };

/*
 * Record one match (ACT_EVENT_WRITE), in one transaction (a savepoint
 * inside the caller's): dropped when an unexpired suppression covers it
 * (the suppression's hit count goes up); folded into the newest alert that
 * is still new with the same rule and group key whose first_seen lies
 * within window seconds before seen_at (window <= 0: ALERT_WINDOW_DEFAULT);
 * a new alert otherwise. *id (may be NULL) gets the alert's id (0 when
 * suppressed), *outcome (may be NULL) what happened.
 */
int alert_record(struct store *st, const struct actor *who, const struct alert_input *in,
		 int64_t window, int64_t *id, enum alert_outcome *outcome, struct err *e);

struct alert_filter {
	const char *status;    /* one of ALERT_STATUSES, or NULL: any */
	const char *level;     /* one of ALERT_LEVELS, or NULL */
	const char *rule;      /* a rule id, or NULL */
	const char *group_key; /* a correlation's group key, exactly, or NULL */
	const char *incident;  /* an incident id (IR-...), or NULL */
	int64_t before;        /* only alerts with an id below this (0: from the newest) */
	int limit;             /* 0: 50; at most 1000 */
};

/*
 * Alerts matching f, newest first (ACT_ALERT_READ), as a JSON array of
 * alert objects without the event into *out (caller owns). *next (may be
 * NULL) gets the cursor for the next page (the value for f->before), 0
 * when this was the last page.
 */
int alert_list(struct store *st, const struct actor *who, const struct alert_filter *f,
	       json_t **out, int64_t *next, struct err *e);
/* The number of alerts with status (NULL: any) into *n (ACT_ALERT_READ). */
int alert_count(struct store *st, const struct actor *who, const char *status, int64_t *n,
		struct err *e);
/*
 * One alert with its matched event ("event": the object, or the text when
 * it was cut; "event_truncated") into *out (ACT_ALERT_READ). ERR_NOTFOUND.
 */
int alert_get(struct store *st, const struct actor *who, int64_t id, json_t **out,
	      struct err *e);

struct alert_triage {
	const char *action;    /* false_positive, benign, promote or attach */
	const char *reason;    /* required for false_positive */
	const char *incident;  /* for attach: the incident id */
};

/*
 * Triage alert id (ACT_ALERT_TRIAGE; promote also takes incident_create,
 * attach timeline_add on that incident). A new, false positive or benign
 * alert may be triaged (again); a promoted or attached one is settled
 * (ERR_CONFLICT). promote creates an incident titled after the alert (type
 * guessed from the rule, else other; occurred at first_seen) and attach
 * uses an existing one: either way the alert's event goes into the
 * incident's timeline and its kill-chain phase becomes a detected mark.
 * One transaction with an audit row. *out (may be NULL) gets the alert.
 */
int alert_triage(struct store *st, const struct actor *who, int64_t id,
		 const struct alert_triage *t, json_t **out, struct err *e);

/* Suppressions */

struct suppression_new {
	const char *rule;      /* required: the rule id */
	const char *entity;    /* NULL, or host, user, ip or process */
	const char *value;     /* with entity: the value it must equal (case-insensitive) */
	const char *expires;   /* NULL or "": never; else time_parse() input ("now+7d") */
	const char *reason;    /* required */
};

/* Add a suppression (ACT_ALERT_SUPPRESS), audited. *out gets it (may be NULL). */
int suppression_add(struct store *st, const struct actor *who, const struct suppression_new *s,
		    json_t **out, struct err *e);
/* Suppressions (ACT_ALERT_READ); expired ones too when all is 1. */
int suppression_list(struct store *st, const struct actor *who, int all, json_t **out,
		     struct err *e);
/* Remove suppression id (ACT_ALERT_SUPPRESS), audited. ERR_NOTFOUND. */
int suppression_remove(struct store *st, const struct actor *who, int64_t id, struct err *e);

/* The kill chain of an incident */

/*
 * The seven phases of incident hid (ACT_INCIDENT_READ) as a JSON array in
 * order: {phase, label_ja, label_en, detected, detected_at, manual,
 * marked_by, marked_at, note}.
 */
int killchain_get(struct store *st, const struct actor *who, const char *hid, json_t **out,
		  struct err *e);
/*
 * Mark (marked 1) or unmark (0) phase by hand on incident hid
 * (ACT_INCIDENT_EDIT), with an optional note; audited. Detected marks come
 * only from alerts and are not changed here.
 */
int killchain_mark(struct store *st, const struct actor *who, const char *hid, const char *phase,
		   int marked, const char *note, struct err *e);

#endif
