/*
 * timeline.h: what happened during an incident and what the team did, in
 * order. Each entry keeps when it happened (occurred_at) apart from when it
 * was written down (created_at), who wrote it and its kind (observation,
 * action, decision, communication, evidence, state change).
 */
#ifndef IRDESK_IR_TIMELINE_H
#define IRDESK_IR_TIMELINE_H

#include <jansson.h>
#include <stdint.h>

struct actor;
struct err;
struct store;

#define TIMELINE_TEXT_MAX 20000 /* characters */

/*
 * Add an entry to incident hid (ACT_TIMELINE_ADD), audited. kind is a
 * timeline kind name (NULL: observation); state_change is reserved for the
 * lifecycle. occurred is user input for time_parse() (NULL or "": now).
 * On success *out (if not NULL) receives the entry as JSON (caller owns).
 */
int timeline_add(struct store *st, const struct actor *who, const char *hid,
		 const char *kind, const char *occurred, const char *text,
		 json_t **out, struct err *e);

/*
 * Insert an entry without checks or audit, inside the caller's transaction
 * (used by the lifecycle, whose own audit row covers it). kind is a
 * vocab_timeline_kind index.
 */
int timeline_append(struct store *st, const struct actor *who, int64_t incident_id,
		    int kind, int64_t occurred_at, const char *text, int64_t *id,
		    struct err *e);

/* The entries of incident hid, oldest first by occurred_at, as a JSON array. */
int timeline_list(struct store *st, const struct actor *who, const char *hid,
		  json_t **out, struct err *e);

#endif
