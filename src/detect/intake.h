/*
 * intake.h: events into alerts (issue 6, item 5). A detector holds the
 * loaded Sigma rules and turns one decoded event into alerts (ir/alert.h):
 * each matching rule gives an alert input with the event's entities (host,
 * user, ip, process). `irdesk ingest` runs it directly over files; `irdesk
 * serve` puts a bounded queue and one worker thread in front of it, so that
 * POST /api/v1/events answers as soon as the events are queued and refuses
 * (all of a request, never part) when the queue is full.
 */
#ifndef IRDESK_DETECT_INTAKE_H
#define IRDESK_DETECT_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "detect/event.h"

struct actor;
struct err;
struct store;
struct tz;

struct intake_stats {
	uint64_t events;      /* decoded and matched */
	uint64_t matches;     /* (event, rule) matches */
	uint64_t created;     /* new alerts */
	uint64_t deduplicated;
	uint64_t suppressed;
	uint64_t failed;      /* events that could not be decoded or recorded */
};

/* Rules and per-thread matching state. One thread uses a detector at a time. */
struct detector;

/*
 * Load the rule files or folders rules[0..n) (none is fine: every event is
 * then accepted and nothing matches) and compile them. *out is the
 * caller's (detector_free). Fails like sigma_load_path.
 */
int detector_new(const char *const *rules, int n, struct detector **out, struct err *e);
void detector_free(struct detector *d);
/*
 * Match IOC watchlists too (detect/ioc.h): set (taken over, compiled here;
 * NULL: none) is checked on every event after the rules, and each
 * indicator found becomes an alert of source "ioc", level high, rule
 * "ioc:TYPE:VALUE", title "IOC hit: TYPE VALUE", folded per indicator and
 * host. Fails like ioc_set_compile (the set is freed then).
 */
struct ioc_set;
int detector_set_watchlist(struct detector *d, struct ioc_set *set, struct err *e);
/*
 * Every IOC watchlist stored in st (read as who) into d through
 * detector_set_watchlist; none stored is fine. *count (may be NULL): the
 * indicators loaded.
 */
int detector_load_watchlists(struct detector *d, struct store *st, const struct actor *who,
			     size_t *count, struct err *e);

/* Rules loaded and rejected. */
size_t detector_loaded(const struct detector *d);
size_t detector_rejected(const struct detector *d);

/*
 * Match ev and record an alert for each matching rule through
 * alert_record (as who, with the deduplication window), adding to *stats.
 * The caller may hold a transaction open around many events.
 */
int detector_event(struct detector *d, struct store *st, const struct actor *who,
		   const struct event *ev, int64_t window, struct intake_stats *stats,
		   struct err *e);

/*
 * Correlations decided when their window closes (sigma.h, deferred): the
 * stream's time is the latest event's (its own time, else its arrival).
 * detector_tick moves it on by the time passed since that event arrived
 * (who->now), so that windows close and fire without further events;
 * detector_flush closes every open window (the end of a stream, as in
 * `irdesk ingest`). Each firing is an alert like detector_event's, with no
 * entities and {"correlation", "group", "window_end"} as its event.
 */
/* Whether d has such correlations (then a server calls detector_tick while idle). */
int detector_deferred(const struct detector *d);
int detector_tick(struct detector *d, struct store *st, const struct actor *who, int64_t window,
		  struct intake_stats *stats, struct err *e);
int detector_flush(struct detector *d, struct store *st, const struct actor *who, int64_t window,
		   struct intake_stats *stats, struct err *e);

/*
 * The correlation state across a restart (detect/corrstate.h keeps it in
 * the store). detector_state_save gives d's correlation groups and its
 * stream clock as a new JSON object {"clock", "clock_wall", "sigma"} in
 * *out (the caller decrefs it; NULL when d has no correlation) and their
 * number in *groups: 0 or ERR_NOMEM. detector_state_load puts such an
 * object back into d (see sigma_corr_state_load: a correlation that
 * changed or is gone starts empty): *r says what it restored. It fails
 * like sigma_corr_state_load, ERR_PARSE for a missing clock, with d's
 * correlations left empty. The clock continues from the saved one, so the
 * first detector_tick closes the windows that ended in between.
 */
struct json_t;
struct detector_restored {
	size_t groups;        /* groups restored */
	size_t restored;      /* correlations restored */
	size_t dropped;       /* saved correlations that changed or are gone */
};
int detector_state_save(const struct detector *d, struct json_t **out, size_t *groups,
			struct err *e);
int detector_state_load(struct detector *d, const struct json_t *in,
			struct detector_restored *r, struct err *e);

/* The queue and its worker, for the server. */
struct intake;

struct intake_config {
	const char *db_url;            /* the worker opens its own connection */
	const char *const *rules;      /* rule files or folders */
	int nrules;
	size_t queue_max;              /* events queued or in work at most (0: 10000) */
	int64_t window;                /* deduplication window in seconds (0: default) */
	enum event_profile profile;
	const char *tz;                /* zone of the system actor */
	unsigned delay_ms;             /* tests only: pause per event, to fill the queue */
	const char *node;              /* keeps the correlation state under this name across
					  restarts (corrstate.h); NULL: not kept */
	size_t corr_state_max;         /* bytes of saved state at most (0: CORRSTATE_MAX) */
};

#define INTAKE_QUEUE_DEFAULT 10000

/*
 * Load the rules, open the store, load every stored IOC watchlist
 * (detect/watchlist.h), take the correlation state the node saved at its
 * last stop (when cfg->node is set) and start the worker. *out is the
 * caller's.
 */
int intake_start(const struct intake_config *cfg, struct intake **out, struct err *e);

/*
 * Queue the events of body (one JSON object, a JSON array of objects, or
 * objects one per line): each is checked to be a well-formed object first,
 * and then all are queued or none. *accepted gets how many. ERR_PARSE
 * (nothing queued) for malformed input, ERR_BUSY when the queue has no
 * room for all of them now (retry later), ERR_TOOLONG when there are more
 * than the queue ever holds.
 */
int intake_submit(struct intake *in, const char *body, size_t len, size_t *accepted,
		  struct err *e);

/*
 * Queue one event, the JSON object text[0..len) (copied; checked by the
 * worker). ERR_BUSY when the queue is full or stopping: nothing queued.
 */
int intake_offer(struct intake *in, const char *text, size_t len, struct err *e);
/* Room in the queue now; with wait_ms, wait up to that long for some first. */
size_t intake_room(struct intake *in, unsigned wait_ms);

/* A snapshot of the counters, and the queue's length. */
void intake_get_stats(struct intake *in, struct intake_stats *out, size_t *queued);

/*
 * Stop: refuse new events, let the worker finish every queued one, join it,
 * save the correlation state under the node's name (when cfg->node was
 * set; a failure is logged, never fatal) and free everything. NULL is fine.
 */
void intake_stop(struct intake *in);

#endif
