/*
 * alertobs.h: observables of alerts (issue 7, item 2): the indicators a
 * detection found (today: the URLs, domains, IPs, addresses and attachment
 * hashes of a reported mail), normalised as incident observables are
 * (ir/observable.h), shown with the alert, and copied into the incident's
 * observables when the alert is promoted or attached, where sightings and
 * the IOC flag work.
 */
#ifndef IRDESK_IR_ALERTOBS_H
#define IRDESK_IR_ALERTOBS_H

#include <jansson.h>
#include <stdint.h>

#include "ir/observable.h"

struct actor;
struct err;
struct store;

#define ALERTOBS_MAX 1000  /* observables kept with one alert */

/*
 * Add value (normalised as type here) to alert alert_id unless it has it,
 * inside the caller's transaction. A value that is not a valid one of its
 * type, or past ALERTOBS_MAX, is skipped (*added 0): indicators come from
 * hostile input and one bad one must not lose the alert. *added (may be
 * NULL) is 1 when a row was added.
 */
int alertobs_add(struct store *st, int64_t alert_id, enum observable_type type, const char *value,
		 int64_t now, int *added, struct err *e);

/*
 * The observables of alert alert_id as a JSON array of {type, value,
 * display} into *out, by type then value. The caller has checked that the
 * actor may read the alert.
 */
int alertobs_list(struct store *st, int64_t alert_id, json_t **out, struct err *e);

/*
 * Copy the observables of alert alert_id into incident hid
 * (observable_add_items: the ones it lacks, the incident's TLP, not IOC,
 * one timeline entry and audit row), inside the caller's transaction.
 * alert_triage calls it on promote and attach; an actor that may not edit
 * observables, or an alert without any, changes nothing and returns 0.
 */
int alertobs_to_incident(struct store *st, const struct actor *who, int64_t alert_id,
			 const char *hid, struct err *e);

#endif
