/*
 * items.h: the catalog's items on an incident (Appendix C table 1, NIST
 * Appendix B, the type's own table), the completeness gates they make
 * (an item required before a state must be filled to move into that state
 * or a later one), the IPA threats an incident is tagged with, and the
 * playbook that gives an incident its type's tasks.
 *
 * Values are stored as catalog_item_value() normalises them; items that
 * stand for incident fields (catalog_item.builtin) are read from the
 * incident itself and cannot be set here.
 */
#ifndef IRDESK_IR_ITEMS_H
#define IRDESK_IR_ITEMS_H

#include <jansson.h>
#include <stdint.h>

#include "ir/incident.h"

struct actor;
struct buf;
struct catalog;
struct err;
struct store;

#define ITEMS_SET_MAX 200 /* values in one change */

/*
 * The items of incident hid for the actor (ACT_INCIDENT_READ) as JSON:
 * {"type", "items": [{key, section, type, label, help, choices, value,
 * display, required_before, builtin}], "threats": [{ref, label, year}],
 * "missing": {state: [keys]} for every later state that has missing items}.
 * lang picks the labels ("ja" or "en").
 */
int items_get(struct store *st, const struct actor *who, const char *hid, const char *lang,
	      json_t **out, struct err *e);

/*
 * Set item values (ACT_INCIDENT_EDIT) in one transaction, audited as one
 * change; "" clears a value. Every value is checked first: an unknown key,
 * a builtin item or a bad value changes nothing.
 */
int items_set(struct store *st, const struct actor *who, const char *hid,
	      const struct incident_field *values, size_t n, struct err *e);

/*
 * Keys of the items (common and type, builtins included) required before
 * `to` that inc has not filled, comma-separated into keys (empty when the
 * move is complete). Moves back, to rejected, and to new need nothing.
 */
int items_missing(struct store *st, const struct incident *inc, enum incident_state to,
		  struct buf *keys, struct err *e);

/*
 * Tag incident hid with IPA threats ("2026:ransomware", see catalog.h) or,
 * with remove, untag it (ACT_INCIDENT_EDIT), audited.
 */
int items_threats(struct store *st, const struct actor *who, const char *hid,
		  const char *const *refs, size_t n, int remove, struct err *e);

/*
 * Inside the caller's transaction: add the playbook tasks of type (the
 * catalog's common steps and the type's own) that incident id does not
 * have yet, and audit them as one change. *added receives how many.
 */
int playbook_apply(struct store *st, const struct actor *who, int64_t id, const char *hid,
		   const char *type, int *added, struct err *e);

/*
 * playbook_apply for an incident created in the caller's transaction, which
 * has no tasks yet: every step is added without looking for one already
 * there (the same rows and audit row, written more cheaply).
 */
int playbook_apply_new(struct store *st, const struct actor *who, int64_t id, const char *hid,
		       const char *type, int *added, struct err *e);

#endif
