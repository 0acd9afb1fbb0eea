/*
 * intake.c: the detector (rules -> alerts for one event) and the server's
 * bounded event queue with its one worker thread. See intake.h.
 */
#include "detect/intake.h"
#include "detect/corrstate.h"
#include "detect/ioc.h"
#include "detect/scan.h"
#include "detect/sigma.h"
#include "detect/watchlist.h"
#include "ir/actor.h"
#include "ir/alert.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"
#include "util/time.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The detector */

#define MATCHES_MAX 256 /* rules recorded per event; more are counted, not kept */
#define CORR_GROUP_MAX 200 /* bytes of a correlation's group shown in its alert title */
#define IOC_HITS_MAX 64 /* indicators recorded per event */
#define CORR_NOT_CLOSED INT64_MIN

struct ioc_found {
	enum ioc_type type;
	const char *value; /* in the set */
};

struct detector {
	struct sigma_ruleset *rs;
	struct sigma_scratch *scratch;
	struct sigma_corr_state *corr;   /* the stream's correlations; NULL without any */
	const struct sigma_rule *hits[MATCHES_MAX];
	size_t nhits, nmatches;
	const struct sigma_rule *fired[MATCHES_MAX];   /* correlations that fired on the event */
	char fired_group[MATCHES_MAX][CORR_GROUP_MAX]; /* their group-by values, "name=value, ..." */
	int64_t fired_end[MATCHES_MAX];  /* a deferred window's end, or CORR_NOT_CLOSED */
	size_t nfired;
	int closing;                     /* firings now come from windows that closed */
	int64_t clock, clock_wall;       /* the stream's latest event time, and the latest arrival */
	struct ioc_set *iocs;          /* IOC watchlists, NULL: none */
	struct ioc_scratch *ioc_scratch;
	struct ioc_found ioc_hits[IOC_HITS_MAX];
	size_t nioc;
};

int detector_new(const char *const *rules, int n, struct detector **out, struct err *e)
{
	struct detector *d = calloc(1, sizeof(*d));
	int rc;

	*out = NULL;
	if (!d)
		return err_set(e, ERR_NOMEM, "out of memory");
	rc = sigma_ruleset_new(&d->rs, e);
	for (int i = 0; !rc && i < n; i++)
		rc = sigma_load_path(d->rs, rules[i], NULL, NULL, e);
	if (!rc)
		rc = sigma_ruleset_compile(d->rs, e);
	if (!rc)
		rc = sigma_scratch_new(d->rs, &d->scratch, e);
	if (!rc && sigma_ruleset_correlations(d->rs))
		rc = sigma_corr_state_new(0, &d->corr, e);
	if (rc) {
		detector_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void detector_free(struct detector *d)
{
	if (!d)
		return;
	sigma_corr_state_free(d->corr);
	sigma_scratch_free(d->scratch);
	sigma_ruleset_free(d->rs);
	ioc_scratch_free(d->ioc_scratch);
	ioc_set_free(d->iocs);
	free(d);
}

int detector_set_watchlist(struct detector *d, struct ioc_set *set, struct err *e)
{
	int rc = 0;

	ioc_scratch_free(d->ioc_scratch);
	ioc_set_free(d->iocs);
	d->ioc_scratch = NULL;
	d->iocs = set;
	if (set && !(rc = ioc_set_compile(set, e)))
		rc = ioc_scratch_new(&d->ioc_scratch, e);
	if (rc) {
		ioc_set_free(d->iocs);
		d->iocs = NULL;
	}
	return rc;
}

static int on_ioc_hit(void *ctx, const struct ioc_hit *h)
{
	struct detector *d = ctx;

	d->nmatches++;
	if (d->nioc < IOC_HITS_MAX) {
		d->ioc_hits[d->nioc].type = h->type;
		d->ioc_hits[d->nioc].value = h->value;
		d->nioc++;
	}
	return 0;
}

size_t detector_loaded(const struct detector *d) { return sigma_ruleset_loaded(d->rs); }
int detector_deferred(const struct detector *d) { return d->corr && sigma_ruleset_deferred(d->rs); }
size_t detector_rejected(const struct detector *d) { return sigma_ruleset_rejected(d->rs); }

static void on_match(void *ctx, const struct sigma_rule *rule)
{
	struct detector *d = ctx;

	d->nmatches++;
	if (d->nhits < MATCHES_MAX)
		d->hits[d->nhits++] = rule;
}

/*
 * The entities of an event: the first field present of each list, in the
 * Sigma names of Windows logs first, then common flat shapes (ECS, syslog
 * JSON). A field may hold its value with a domain ("CORP\alice"): kept so.
 */
static const char *const host_fields[] = { "Computer", "Hostname", "ComputerName", "host.name",
					   "hostname", "host", NULL };
static const char *const user_fields[] = { "User", "TargetUserName", "SubjectUserName",
					   "UserName", "AccountName", "user.name", "user",
					   "username", NULL };
static const char *const ip_fields[] = { "IpAddress", "SourceIp", "SourceAddress", "ClientIP",
					 "src_ip", "source.ip", "DestinationIp", "ip", NULL };
static const char *const process_fields[] = { "Image", "NewProcessName", "ProcessName",
					      "Application", "process.executable", "process",
					      NULL };

/* s[0..len) into out[n], cut at a UTF-8 boundary to fit. */
static void copy_cut(char *out, size_t n, const char *s, size_t len)
{
	size_t k = len < n - 1 ? len : n - 1;

	while (k < len && k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	memcpy(out, s, k);
	out[k] = '\0';
}

/* The value of the first non-empty field of names into out (cut to fit). */
static void entity(const struct event *ev, const char *const *names, char *out, size_t n)
{
	out[0] = '\0';
	for (; *names; names++) {
		size_t pos = 0, len = strlen(*names);
		const struct event_field *f = event_find(ev, *names, len,
							 event_name_hash(*names, len), &pos);
		if (f && f->value_len && f->type != EV_NULL) {
			copy_cut(out, n, f->value, f->value_len);
			return;
		}
	}
}

static void on_fire(void *ctx, const struct sigma_rule *corr, const char *group, int64_t time)
{
	struct detector *d = ctx;

	if (d->nfired < MATCHES_MAX) {
		copy_cut(d->fired_group[d->nfired], sizeof(d->fired_group[0]), group ? group : "",
			 group ? strlen(group) : 0);
		d->fired_end[d->nfired] = d->closing ? time : CORR_NOT_CLOSED;
		d->fired[d->nfired++] = corr;
	}
}

/* Record one alert and count what became of it. */
static int record(struct store *st, const struct actor *who, const struct alert_input *in,
		  int64_t window, struct intake_stats *stats, struct err *e)
{
	enum alert_outcome outcome = ALERT_CREATED;
	int rc = alert_record(st, who, in, window, NULL, &outcome, e);

	if (rc)
		return rc;
	if (outcome == ALERT_CREATED)
		stats->created++;
	else if (outcome == ALERT_DEDUPLICATED)
		stats->deduplicated++;
	else
		stats->suppressed++;
	return 0;
}

/* The rule's part of an alert: its id, title, level and tags. */
static void rule_input(struct alert_input *in, const struct sigma_rule *r)
{
	in->rule_id = sigma_rule_id(r);
	in->title = sigma_rule_title(r);
	in->level = sigma_rule_level(r);
	in->tags = sigma_rule_tags(r);
}

/*
 * A closed window has no event of its own: its alert keeps what it was,
 * {"correlation", "group", "window_end"}, as its event (the caller frees
 * the text; NULL when out of memory).
 */
static char *closed_window_event(const struct sigma_rule *r, const char *group, int64_t end)
{
	char when[TIME_STR_MAX];
	json_t *j;
	char *s;

	time_format_utc(end, when);
	j = json_pack("{s:s,s:s,s:s}", "correlation", sigma_rule_id(r) ? sigma_rule_id(r) : "",
		      "group", group, "window_end", when);
	s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return s;
}

/*
 * The alerts of the correlations in d->fired: titled with their group,
 * with the event's entities, or for a closed window none and its summary.
 */
static int record_fired(struct detector *d, struct store *st, const struct actor *who,
			const struct alert_input *base, int64_t window,
			struct intake_stats *stats, struct err *e)
{
	char title[1024];
	int rc = 0;

	for (size_t i = 0; i < d->nfired && !rc; i++) {
		const struct sigma_rule *r = d->fired[i];
		struct alert_input in = *base;
		char *summary = NULL;

		if (!sigma_rule_generates(r))
			continue;
		rule_input(&in, r);
		/* A correlation's alert names its group ("TargetUserName=bob"). */
		if (d->fired_group[i][0]) {
			snprintf(title, sizeof(title), "%s (%s)", in.title ? in.title : in.rule_id,
				 d->fired_group[i]);
			in.title = title;
		}
		in.group_key = d->fired_group[i];
		if (d->fired_end[i] != CORR_NOT_CLOSED) {
			summary = closed_window_event(r, d->fired_group[i], d->fired_end[i]);
			if (!summary)
				return err_set(e, ERR_NOMEM, "out of memory");
			in.host = in.user = in.ip = in.process = "";
			in.event = summary;
			in.event_len = strlen(summary);
		}
		rc = record(st, who, &in, window, stats, e);
		free(summary);
	}
	return rc;
}

/* Move the stream's time to now, closing deferred windows: their alerts. */
static int detector_advance(struct detector *d, struct store *st, const struct actor *who,
			    int64_t now, int flush, int64_t window, struct intake_stats *stats,
			    struct err *e)
{
	struct alert_input base;
	int rc;

	if (!d->corr || !sigma_ruleset_deferred(d->rs))
		return 0;
	d->nfired = 0;
	d->closing = 1;
	rc = flush ? sigma_correlate_flush(d->rs, d->corr, on_fire, d)
		   : sigma_correlate_advance(d->rs, d->corr, now, on_fire, d);
	d->closing = 0;
	if (rc)
		return err_set(e, ERR_NOMEM, "out of memory");
	memset(&base, 0, sizeof(base));
	base.source = "sigma";
	return record_fired(d, st, who, &base, window, stats, e);
}

int detector_tick(struct detector *d, struct store *st, const struct actor *who, int64_t window,
		  struct intake_stats *stats, struct err *e)
{
	if (d->clock_wall == 0)
		return 0;
	return detector_advance(d, st, who, d->clock + (who->now - d->clock_wall), 0, window,
				stats, e);
}

int detector_flush(struct detector *d, struct store *st, const struct actor *who, int64_t window,
		   struct intake_stats *stats, struct err *e)
{
	return detector_advance(d, st, who, 0, 1, window, stats, e);
}

/* The stream's time at ev (its own, else its arrival), closing the windows before it. */
static int detector_time(struct detector *d, struct store *st, const struct actor *who,
			 const struct event *ev, int64_t window, int64_t *t,
			 struct intake_stats *stats, struct err *e)
{
	*t = sigma_event_time(ev, NULL, who->now);
	if (d->clock_wall == 0 || *t > d->clock)
		d->clock = *t;
	d->clock_wall = who->now;   /* the clock runs on from the latest arrival */
	return detector_advance(d, st, who, *t, 0, window, stats, e);
}

int detector_state_save(const struct detector *d, json_t **out, size_t *groups, struct err *e)
{
	json_t *sigma = NULL;
	int rc;

	*out = NULL;
	*groups = 0;
	if (!d->corr)
		return 0;
	if ((rc = sigma_corr_state_save(d->rs, d->corr, &sigma, e)) != 0)
		return rc;
	sigma_corr_stats(d->corr, groups, NULL, NULL);
	*out = json_pack("{s:I,s:I,s:o}", "clock", (json_int_t)d->clock, "clock_wall",
			 (json_int_t)d->clock_wall, "sigma", sigma);
	return *out ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}

int detector_state_load(struct detector *d, const json_t *in, struct detector_restored *r,
			struct err *e)
{
	const json_t *clock = json_object_get(in, "clock"), *wall = json_object_get(in, "clock_wall");
	int rc;

	memset(r, 0, sizeof(*r));
	if (!d->corr) {   /* no correlation now: every saved one is gone */
		r->dropped = json_array_size(json_object_get(json_object_get(in, "sigma"),
							     "correlations"));
		return 0;
	}
	if (!json_is_integer(clock) || !json_is_integer(wall) || json_integer_value(wall) < 0)
		return err_set(e, ERR_PARSE, "correlation state: no stream clock");
	rc = sigma_corr_state_load(d->rs, d->corr, json_object_get(in, "sigma"), &r->restored,
				   &r->dropped, e);
	if (rc)
		return rc;
	sigma_corr_stats(d->corr, &r->groups, NULL, NULL);
	d->clock = json_integer_value(clock);
	d->clock_wall = json_integer_value(wall);
	return 0;
}

/* The alerts of the IOC hits in d: repeats fold per indicator and host (no user). */
static int record_iocs(struct detector *d, struct store *st, const struct actor *who,
		       const struct alert_input *base, int64_t window,
		       struct intake_stats *stats, struct err *e)
{
	int rc = 0;

	for (size_t i = 0; i < d->nioc && !rc; i++) {
		struct alert_input in = *base;
		char rule[IOC_VALUE_MAX + 32], title[IOC_VALUE_MAX + 32];

		snprintf(rule, sizeof(rule), "ioc:%s:%s", ioc_type_name(d->ioc_hits[i].type),
			 d->ioc_hits[i].value);
		snprintf(title, sizeof(title), "IOC hit: %s %s", ioc_type_name(d->ioc_hits[i].type),
			 d->ioc_hits[i].value);
		in.source = "ioc";
		in.rule_id = rule;
		in.title = title;
		in.level = "high";
		in.user = "";
		rc = record(st, who, &in, window, stats, e);
	}
	return rc;
}

int detector_event(struct detector *d, struct store *st, const struct actor *who,
		   const struct event *ev, int64_t window, struct intake_stats *stats,
		   struct err *e)
{
	char host[256], user[256], ip[64], proc[1024];
	struct alert_input base;
	int64_t t = 0;
	int rc = 0;

	if (d->corr && sigma_ruleset_deferred(d->rs) &&
	    (rc = detector_time(d, st, who, ev, window, &t, stats, e)) != 0)
		return rc;
	d->nhits = d->nmatches = d->nfired = d->nioc = 0;
	if (sigma_match(d->rs, d->scratch, ev, on_match, d) != 0)
		return err_set(e, ERR_INTERNAL, "matching failed");
	if (d->iocs)
		ioc_match(d->iocs, d->ioc_scratch, ev, 0, on_ioc_hit, d);
	stats->events++;
	stats->matches += d->nmatches;
	if (!d->nhits && !d->nioc)
		return 0;
	if (d->corr && d->nhits) {
		/* The event's own time orders the stream; its arrival when it has none. */
		if (!sigma_ruleset_deferred(d->rs))
			t = sigma_event_time(ev, NULL, who->now);
		for (size_t i = 0; i < d->nhits; i++)
			if (sigma_correlate_feed(d->rs, d->corr, d->hits[i], ev, t, on_fire, d))
				return err_set(e, ERR_NOMEM, "out of memory");
	}
	entity(ev, host_fields, host, sizeof(host));
	entity(ev, user_fields, user, sizeof(user));
	entity(ev, ip_fields, ip, sizeof(ip));
	entity(ev, process_fields, proc, sizeof(proc));
	memset(&base, 0, sizeof(base));
	base.source = "sigma";
	base.host = host;
	base.user = user;
	base.ip = ip;
	base.process = proc;
	base.event = ev->raw;
	base.event_len = ev->raw_len;
	/* Base matches, then the correlations they completed (source 'sigma' too). */
	for (size_t i = 0; i < d->nhits && !rc; i++) {
		const struct sigma_rule *r = d->hits[i];
		struct alert_input in = base;

		if (!sigma_rule_generates(r))
			continue;
		rule_input(&in, r);
		rc = record(st, who, &in, window, stats, e);
	}
	if (!rc)
		rc = record_fired(d, st, who, &base, window, stats, e);
	/* An IOC hit is an alert of its own "rule", the indicator. */
	if (!rc)
		rc = record_iocs(d, st, who, &base, window, stats, e);
	return rc;
}

/* The queue */

/*
 * The text of queued events: a request's body copied once for all its
 * events (or one syslog message), freed when the worker is done with the
 * last of them. Only the worker (and intake_free) drops references.
 */
struct chunk {
	size_t refs;
	char text[];
};

struct item {
	const char *text;   /* inside chunk */
	size_t len;
	struct chunk *chunk;
};

static void item_done(struct item *it)
{
	if (--it->chunk->refs == 0)
		free(it->chunk);
}

struct intake {
	pthread_mutex_t lock;
	pthread_cond_t more;        /* signalled when events arrive or stop is set */
	pthread_cond_t room;        /* signalled when the worker finished a batch */
	struct item *ring;
	size_t max, head, count;    /* ring of max; count queued */
	size_t inflight;            /* taken by the worker, not yet recorded */
	int stopping;
	pthread_t worker;
	int started;

	struct intake_stats stats;  /* under lock */
	struct detector *det;
	struct store *st;
	struct tz *tz;
	struct actor actor;
	int64_t window;
	enum event_profile profile;
	unsigned delay_ms;
	int ticking;                /* the rules have deferred correlations */
	char watch_stamp[WATCHLIST_STAMP_MAX]; /* of the watchlists loaded (worker's) */
	struct timespec watch_at;   /* when the stamp was last compared (monotonic) */
	char node[CORRSTATE_NODE_MAX + 1]; /* correlation state kept under it; "": not kept */
	size_t corr_state_max;
};

#define BATCH_MAX 256
#define TICK_MS 1000 /* how often windows close by the clock while no event comes */
#define WATCH_CHECK_S 10 /* how often the worker asks whether the watchlists changed */

static void pause_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Add st to the shared counters (under the lock). */
static void stats_add(struct intake_stats *to, const struct intake_stats *st)
{
	to->events += st->events;
	to->matches += st->matches;
	to->created += st->created;
	to->deduplicated += st->deduplicated;
	to->suppressed += st->suppressed;
	to->failed += st->failed;
}

/* Decode and match a batch of events in one transaction. */
static void work_batch(struct intake *in, struct item *batch, size_t n, struct event *ev)
{
	struct intake_stats st;
	struct err e;
	int tx;

	memset(&st, 0, sizeof(st));
	err_clear(&e);
	in->actor.now = time_now();
	tx = store_begin(in->st, &e) == 0;
	if (!tx)
		log_error("intake: %s", err_msg(&e));
	for (size_t i = 0; i < n; i++) {
		if (in->delay_ms)
			pause_ms(in->delay_ms);
		err_clear(&e);
		if (event_decode(ev, batch[i].text, batch[i].len, in->profile, &e) != 0 ||
		    detector_event(in->det, in->st, &in->actor, ev, in->window, &st, &e) != 0) {
			st.failed++;
			log_warn("intake: event dropped: %s", err_msg(&e));
		}
		item_done(&batch[i]);
	}
	if (tx) {
		err_clear(&e);
		if (store_commit(in->st, &e) != 0) {
			log_error("intake: %zu events lost: %s", n, err_msg(&e));
			store_rollback(in->st);
			st.failed += n;
		}
	}
	pthread_mutex_lock(&in->lock);
	stats_add(&in->stats, &st);
	in->inflight -= n;
	pthread_cond_broadcast(&in->room);
	pthread_mutex_unlock(&in->lock);
}

/* No event for a while: deferred correlation windows close by the clock. */
static void work_tick(struct intake *in)
{
	struct intake_stats st;
	struct err e;

	memset(&st, 0, sizeof(st));
	err_clear(&e);
	in->actor.now = time_now();
	if (detector_tick(in->det, in->st, &in->actor, in->window, &st, &e) != 0)
		log_warn("intake: closing correlation windows: %s", err_msg(&e));
	pthread_mutex_lock(&in->lock);
	stats_add(&in->stats, &st);
	pthread_mutex_unlock(&in->lock);
}

/*
 * Reload the watchlists when their stamp in the store changed (an IOC list
 * loaded, an observable flagged or unflagged), at most every WATCH_CHECK_S.
 * The worker owns the detector and its store, so it swaps them itself.
 */
static void watch_check(struct intake *in)
{
	char stamp[WATCHLIST_STAMP_MAX];
	struct timespec now;
	struct err e;
	size_t n = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - in->watch_at.tv_sec < WATCH_CHECK_S)
		return;
	in->watch_at = now;
	err_clear(&e);
	if (watchlist_stamp(in->st, stamp, &e) != 0) {
		log_warn("detection: checking the watchlists: %s", err_msg(&e));
		return;
	}
	if (strcmp(stamp, in->watch_stamp) == 0)
		return;
	in->actor.now = time_now();
	if (detector_load_watchlists(in->det, in->st, &in->actor, &n, &e) != 0) {
		log_warn("detection: reloading the watchlists: %s (the previous ones stay)", err_msg(&e));
		return;
	}
	snprintf(in->watch_stamp, sizeof(in->watch_stamp), "%s", stamp);
	log_info("detection: the watchlists changed: %zu indicators", n);
}

/*
 * Wait (holding the lock) for events or stop, waking every TICK_MS: deferred
 * correlation windows close by the clock while no event comes, and changed
 * watchlists are reloaded.
 */
static void wait_more(struct intake *in)
{
	while (in->count == 0 && !in->stopping) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += TICK_MS / 1000;
		if (pthread_cond_timedwait(&in->more, &in->lock, &ts) == ETIMEDOUT &&
		    in->count == 0 && !in->stopping) {
			pthread_mutex_unlock(&in->lock);
			if (in->ticking)
				work_tick(in);
			watch_check(in);
			pthread_mutex_lock(&in->lock);
		}
	}
}

static void *worker_main(void *arg)
{
	struct intake *in = arg;
	struct item batch[BATCH_MAX];
	struct event ev;

	event_init(&ev);
	for (;;) {
		size_t n = 0;

		pthread_mutex_lock(&in->lock);
		wait_more(in);
		if (in->count == 0 && in->stopping) {
			pthread_mutex_unlock(&in->lock);
			break;
		}
		while (in->count > 0 && n < BATCH_MAX) {
			batch[n++] = in->ring[in->head];
			in->head = (in->head + 1) % in->max;
			in->count--;
		}
		in->inflight += n;
		pthread_mutex_unlock(&in->lock);
		work_batch(in, batch, n, &ev);
		watch_check(in); /* a busy stream sees changed watchlists too */
	}
	event_release(&ev);
	return NULL;
}

static void intake_free(struct intake *in)
{
	for (size_t i = 0; i < in->count; i++)
		item_done(&in->ring[(in->head + i) % in->max]);
	free(in->ring);
	detector_free(in->det);
	store_close(in->st);
	tz_free(in->tz);
	pthread_cond_destroy(&in->more);
	pthread_cond_destroy(&in->room);
	pthread_mutex_destroy(&in->lock);
	free(in);
}

int detector_load_watchlists(struct detector *d, struct store *st, const struct actor *who,
			     size_t *count, struct err *e)
{
	struct ioc_set *set = NULL;
	size_t n = 0;
	int rc = ioc_set_new(&set, e);

	if (count)
		*count = 0;
	if (!rc)
		rc = watchlist_load(st, who, NULL, set, &n, e);
	if (rc || n == 0) {
		ioc_set_free(set);
		/* None left (all unflagged or removed): none is matched. */
		return rc ? rc : detector_set_watchlist(d, NULL, e);
	}
	if (count)
		*count = ioc_set_count(set);
	return detector_set_watchlist(d, set, e);
}

/* Every stored watchlist into the server's detector (none is fine), with
 * the stamp they were loaded at. */
static int load_watchlists(struct intake *in, struct err *e)
{
	size_t n = 0;
	int rc = watchlist_stamp(in->st, in->watch_stamp, e);

	if (!rc)
		rc = detector_load_watchlists(in->det, in->st, &in->actor, &n, e);
	if (!rc && n)
		log_info("detection: %zu indicators from the watchlists", n);
	clock_gettime(CLOCK_MONOTONIC, &in->watch_at);
	return rc;
}

int intake_start(const struct intake_config *cfg, struct intake **out, struct err *e)
{
	struct intake *in = calloc(1, sizeof(*in));
	int rc;

	*out = NULL;
	if (!in)
		return err_set(e, ERR_NOMEM, "out of memory");
	pthread_mutex_init(&in->lock, NULL);
	pthread_cond_init(&in->more, NULL);
	pthread_cond_init(&in->room, NULL);
	in->max = cfg->queue_max ? cfg->queue_max : INTAKE_QUEUE_DEFAULT;
	in->window = cfg->window;
	in->profile = cfg->profile;
	in->delay_ms = cfg->delay_ms;
	in->corr_state_max = cfg->corr_state_max;
	in->ring = calloc(in->max, sizeof(*in->ring));
	if (!in->ring) {
		intake_free(in);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	rc = tz_load(cfg->tz ? cfg->tz : "Asia/Tokyo", &in->tz, e);
	if (!rc)
		rc = detector_new(cfg->rules, cfg->nrules, &in->det, e);
	if (!rc)
		rc = store_open(cfg->db_url, 0, &in->st, e);
	if (!rc) {
		actor_system(&in->actor, in->tz);
		rc = load_watchlists(in, e);
	}
	if (!rc && cfg->node && !(rc = corrstate_node_check(cfg->node, e))) {
		snprintf(in->node, sizeof(in->node), "%s", cfg->node);
		corrstate_restore(in->st, in->node, in->det, in->corr_state_max);
	}
	in->ticking = !rc && detector_deferred(in->det);
	if (!rc && pthread_create(&in->worker, NULL, worker_main, in) != 0)
		rc = err_set(e, ERR_INTERNAL, "cannot start the detection worker");
	if (rc) {
		intake_free(in);
		return rc;
	}
	in->started = 1;
	log_info("detection: %zu rules loaded, %zu rejected; queue of %zu events",
		 detector_loaded(in->det), detector_rejected(in->det), in->max);
	*out = in;
	return 0;
}

/* Collects the spans of the objects of a body (offsets into it). */
struct spans {
	struct item *items;
	size_t n, cap;
	const char *base;
};

static int on_span(void *ctx, const struct event *ev, size_t index, size_t offset,
		   struct err *err)
{
	struct spans *sp = ctx;

	(void)index;
	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 16;
		struct item *grown = realloc(sp->items, cap * sizeof(*grown));
		if (!grown)
			return err_set(err, ERR_NOMEM, "out of memory");
		sp->items = grown;
		sp->cap = cap;
	}
	sp->items[sp->n].text = (const char *)(uintptr_t)offset; /* made a pointer once copied */
	sp->items[sp->n].len = ev->raw_len;
	sp->n++;
	return 0;
}

/* A chunk holding text[0..len) for refs items (its text NUL-terminated), or NULL. */
static struct chunk *chunk_new(const char *text, size_t len, size_t refs)
{
	struct chunk *c = malloc(sizeof(*c) + len + 1);

	if (!c)
		return NULL;
	c->refs = refs;
	memcpy(c->text, text, len);
	c->text[len] = '\0';
	return c;
}

/* Put n items at the ring's tail, all or none: 0 or ERR_BUSY (under no lock). */
static int enqueue(struct intake *in, const struct item *items, size_t n, struct err *e)
{
	int rc = 0;

	pthread_mutex_lock(&in->lock);
	if (in->stopping) {
		rc = err_set(e, ERR_BUSY, "the server is stopping");
	} else if (in->count + in->inflight + n > in->max) {
		rc = err_set(e, ERR_BUSY, "the event queue is full (%zu of %zu): retry later",
			     in->count + in->inflight, in->max);
	} else {
		for (size_t i = 0; i < n; i++)
			in->ring[(in->head + in->count + i) % in->max] = items[i];
		/* The worker waits only on an empty queue: wake it then. */
		if (in->count == 0)
			pthread_cond_signal(&in->more);
		in->count += n;
	}
	pthread_mutex_unlock(&in->lock);
	return rc;
}

int intake_submit(struct intake *in, const char *body, size_t len, size_t *accepted,
		  struct err *e)
{
	struct spans sp = { NULL, 0, 0, body };
	struct chunk *c = NULL;
	struct event ev;
	size_t n = 0;
	int rc;

	*accepted = 0;
	event_init(&ev);
	/* Checked only (no fields built): the worker decodes each event. */
	rc = scan_buffer("body", body, len, PROFILE_CHECK, &ev, on_span, &sp, &n, e);
	event_release(&ev);
	if (!rc && sp.n > in->max)
		rc = err_set(e, ERR_TOOLONG, "%zu events in one request, more than the queue holds "
			     "(%zu): send fewer at a time", sp.n, in->max);
	/* One copy of the body for all its events, freed with the last of them. */
	if (!rc && sp.n && !(c = chunk_new(body, len, sp.n)))
		rc = err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; !rc && i < sp.n; i++) {
		sp.items[i].text = c->text + (uintptr_t)sp.items[i].text;
		sp.items[i].chunk = c;
	}
	if (!rc && sp.n && !(rc = enqueue(in, sp.items, sp.n, e)))
		*accepted = sp.n;
	if (rc)
		free(c);
	free(sp.items);
	return rc;
}

int intake_offer(struct intake *in, const char *text, size_t len, struct err *e)
{
	struct item it;
	int rc;

	it.chunk = chunk_new(text, len, 1);
	if (!it.chunk)
		return err_set(e, ERR_NOMEM, "out of memory");
	it.text = it.chunk->text;
	it.len = len;
	rc = enqueue(in, &it, 1, e);
	if (rc)
		free(it.chunk);
	return rc;
}

size_t intake_room(struct intake *in, unsigned wait_ms)
{
	size_t room;

	pthread_mutex_lock(&in->lock);
	if (wait_ms && in->count + in->inflight >= in->max && !in->stopping) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)(wait_ms / 1000);
		ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&in->room, &in->lock, &ts);
	}
	room = in->stopping || in->count + in->inflight >= in->max ? 0
		: in->max - in->count - in->inflight;
	pthread_mutex_unlock(&in->lock);
	return room;
}

void intake_get_stats(struct intake *in, struct intake_stats *out, size_t *queued)
{
	pthread_mutex_lock(&in->lock);
	*out = in->stats;
	if (queued)
		*queued = in->count + in->inflight;
	pthread_mutex_unlock(&in->lock);
}

void intake_stop(struct intake *in)
{
	if (!in)
		return;
	pthread_mutex_lock(&in->lock);
	in->stopping = 1;
	if (in->count + in->inflight)
		log_info("detection: finishing %zu queued events", in->count + in->inflight);
	pthread_cond_broadcast(&in->more);
	pthread_mutex_unlock(&in->lock);
	if (in->started)
		pthread_join(in->worker, NULL);
	/* The queue is drained: what the correlations hold now is kept for the next start. */
	if (in->started && in->node[0])
		corrstate_keep(in->st, in->node, in->det, in->corr_state_max, time_now());
	log_info("detection: %llu events, %llu matches, %llu new alerts, %llu deduplicated, "
		 "%llu suppressed, %llu failed", (unsigned long long)in->stats.events,
		 (unsigned long long)in->stats.matches, (unsigned long long)in->stats.created,
		 (unsigned long long)in->stats.deduplicated, (unsigned long long)in->stats.suppressed,
		 (unsigned long long)in->stats.failed);
	intake_free(in);
}
