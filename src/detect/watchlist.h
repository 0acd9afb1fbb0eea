/*
 * watchlist.h: IOC watchlists kept in the store (tables ioc_lists and iocs,
 * data/sql/.../0004_ioc.sql): importing a file as a named list, listing the
 * lists, and loading them into a matching set (detect/ioc.h) for `irdesk
 * ioc sweep --list` and the server's intake worker.
 *
 * Observables flagged IOC are the list "observables", which ir/observable.c
 * rebuilds whenever an IOC flag changes.
 */
#ifndef IRDESK_DETECT_WATCHLIST_H
#define IRDESK_DETECT_WATCHLIST_H

#include <jansson.h>
#include <stddef.h>

struct actor;
struct err;
struct ioc_set;
struct store;

/*
 * Parse the watchlist file at path (detect/ioc.h, ioc_parse: plain text or
 * CSV) and store it as the list called name (ACT_ALERT_SUPPRESS: tuning
 * detection), replacing a list of that name, in one transaction with an
 * audit row ("ioc.load"). A line that does not parse fails the whole load
 * (ERR_INVALID with file:line) unless skip_bad, when it is counted in *bad.
 * *count gets the number of distinct indicators stored.
 */
int watchlist_import(struct store *st, const struct actor *who, const char *name,
		     const char *path, int skip_bad, size_t *count, size_t *bad, struct err *e);

/*
 * The lists (ACT_ALERT_READ) as a JSON array of {name, source, entries,
 * types: {type: count}, created_by, created_at, updated_at} into *out
 * (caller owns), by name.
 */
int watchlist_list(struct store *st, const struct actor *who, json_t **out, struct err *e);

/*
 * Add the indicators of the list called name (NULL: every list) to set
 * (ACT_ALERT_READ); the caller compiles the set afterwards. ERR_NOTFOUND
 * when a named list does not exist. *count (may be NULL) gets how many rows
 * were read.
 */
int watchlist_load(struct store *st, const struct actor *who, const char *name,
		   struct ioc_set *set, size_t *count, struct err *e);

/*
 * A stamp of everything the watchlists are made of (the stored lists and
 * the observables flagged IOC) into out: it differs after any change that
 * matters to watchlist_load, so a server can reload when it changes.
 */
#define WATCHLIST_STAMP_MAX 160
int watchlist_stamp(struct store *st, char out[WATCHLIST_STAMP_MAX], struct err *e);

#endif
