/*
 * audit.h: the tamper-evident audit log. Every change made through any
 * interface appends one row (who, when, what, before and after) inside the
 * same transaction as the change; each row's hash covers the previous row's
 * hash, so editing, removing or reordering rows breaks the chain. Cutting
 * rows off the end is caught by comparing with an anchor kept elsewhere.
 */
#ifndef IRDESK_IR_AUDIT_H
#define IRDESK_IR_AUDIT_H

#include <jansson.h>
#include <stdint.h>

struct actor;
struct err;
struct store;

#define AUDIT_HASH_HEX 65 /* 64 hex digits and a NUL */

/*
 * Append a row. Must be called inside a store transaction (ERR_INTERNAL
 * otherwise). action is a dotted verb ("incident.create", "incident.move"),
 * object_type and object_id name what changed ("incident", "IR-2026-0001").
 * before and after are borrowed and may be NULL; they are stored as compact
 * JSON with sorted keys.
 */
int audit_append(struct store *st, const struct actor *who, const char *action,
		 const char *object_type, const char *object_id,
		 const json_t *before, const json_t *after, struct err *e);

/*
 * The hash of one row (see audit.c for the exact serialisation) into out:
 * 64 lowercase hex digits. before and after are the stored JSON texts, NULL
 * for none. Returns 0, or ERR_INTERNAL when libsodium cannot start.
 */
int audit_row_hash(const char *prev_hash, int64_t seq, int64_t at, const char *actor,
		   const char *action, const char *object_type, const char *object_id,
		   const char *before, const char *after, char out[AUDIT_HASH_HEX]);

/* The newest row: its sequence number (0 when the log is empty) and hash. */
int audit_head(struct store *st, int64_t *seq, char hash[AUDIT_HASH_HEX], struct err *e);

struct audit_anchor {
	int64_t seq;
	char hash[AUDIT_HASH_HEX];
};

/* Parse "SEQ:HASH" as printed by `irdesk audit anchor`. ERR_PARSE if bad. */
int audit_anchor_parse(const char *s, struct audit_anchor *out, struct err *e);

struct audit_report {
	int64_t rows;         /* rows checked */
	int64_t head_seq;     /* last sequence number seen */
	char head_hash[AUDIT_HASH_HEX];
	int64_t bad_seq;      /* first row found changed, removed or reordered; 0 if intact */
	char problem[256];    /* what is wrong with it, for people */
};

/*
 * Walk the whole chain. Returns 0 when it is intact (and, with an anchor,
 * still contains that row with that hash), ERR_TAMPERED with rep->bad_seq
 * and rep->problem naming the first broken row otherwise, or another ERR_*
 * when the store cannot be read. The caller needs ACT_AUDIT_READ.
 */
int audit_verify(struct store *st, const struct actor *who, const struct audit_anchor *anchor,
		 struct audit_report *rep, struct err *e);

struct audit_filter {
	const char *object_type; /* NULL: any */
	const char *object_id;   /* NULL: any */
	const char *actor;       /* NULL: any */
	int64_t after_seq;       /* rows with seq > after_seq */
	int limit;               /* 0: 100; at most 10000 */
	int newest_first;
};

/*
 * Rows matching f as a JSON array of objects (seq, at, actor, action,
 * object_type, object_id, before, after, hash) into *out (caller owns).
 */
int audit_list(struct store *st, const struct actor *who, const struct audit_filter *f,
	       json_t **out, struct err *e);

#endif
