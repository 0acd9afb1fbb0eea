/*
 * sigma.h: Sigma rules (specification v2): loading YAML rule files,
 * compiling them into a rule set routed by log source, and matching decoded
 * events (detect/event.h) against it.
 *
 * A rule set is built once (load every file, then compile) and is read-only
 * afterwards, so any number of threads may match against it at once, each
 * with its own struct sigma_scratch.
 */
#ifndef IRDESK_DETECT_SIGMA_H
#define IRDESK_DETECT_SIGMA_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct event;
struct sigma_rule;
struct sigma_ruleset;
struct sigma_scratch;

/* Called once per rule found in a file: loaded, or rejected with a reason. */
typedef void (*sigma_report_fn)(void *ctx, const char *path, const char *id, const char *title,
				int loaded, const char *reason);

/* A new, empty rule set (caller frees with sigma_ruleset_free). */
int sigma_ruleset_new(struct sigma_ruleset **out, struct err *e);
void sigma_ruleset_free(struct sigma_ruleset *rs);

/*
 * Load the rules of one YAML file (several documents allowed: rules,
 * correlation rules, action: global/reset/repeat collections), or every
 * *.yml / *.yaml file below a folder. Each rule is reported through report
 * (may be NULL). A rule that cannot be evaluated is rejected with its
 * reason and the others still load; the return value is an error only when
 * the path cannot be read (ERR_IO / ERR_NOTFOUND).
 */
int sigma_load_path(struct sigma_ruleset *rs, const char *path, sigma_report_fn report,
		    void *ctx, struct err *e);
/* The same for YAML text already in memory; name is used in reports. */
int sigma_load_text(struct sigma_ruleset *rs, const char *name, const char *yaml, size_t len,
		    sigma_report_fn report, void *ctx, struct err *e);

/* After loading: route the rules by log source and build the prefilters. */
int sigma_ruleset_compile(struct sigma_ruleset *rs, struct err *e);

/*
 * Give the expand modifier's placeholder %name% (name without the percent
 * signs) its values; a rule naming a placeholder that has none is rejected.
 * Call before loading. The strings are copied.
 */
int sigma_ruleset_placeholder(struct sigma_ruleset *rs, const char *name,
			      const char *const *values, size_t n, struct err *e);

/*
 * Use the logsource routing table in the file at path instead of the one
 * built in (data/detect/logsource.txt). Call before sigma_ruleset_compile.
 */
int sigma_ruleset_logsource(struct sigma_ruleset *rs, const char *path, struct err *e);

/* Counts for --stats. */
size_t sigma_ruleset_loaded(const struct sigma_ruleset *rs);
size_t sigma_ruleset_rejected(const struct sigma_ruleset *rs);

/* Per-thread matching state. */
int sigma_scratch_new(const struct sigma_ruleset *rs, struct sigma_scratch **out, struct err *e);
void sigma_scratch_free(struct sigma_scratch *s);

typedef void (*sigma_match_fn)(void *ctx, const struct sigma_rule *rule);

/*
 * Match ev against every rule whose log source applies to it; on_match is
 * called once per matching rule, in load order. Correlation rules are not
 * evaluated here (they work on the stream of matches; see sigma_correlate_feed).
 */
int sigma_match(const struct sigma_ruleset *rs, struct sigma_scratch *s, const struct event *ev,
		sigma_match_fn on_match, void *ctx);

/*
 * Evaluate one detection rule's condition (and its filters) against ev,
 * ignoring its log source: 1 match, 0 no match, ERR_NOMEM. For tests and
 * tools that look at one rule.
 */
int sigma_rule_eval(const struct sigma_rule *r, struct sigma_scratch *s, const struct event *ev);

/* What a rule says about itself. Strings are owned by the rule set. */
const char *sigma_rule_id(const struct sigma_rule *r);
const char *sigma_rule_title(const struct sigma_rule *r);
const char *sigma_rule_level(const struct sigma_rule *r);   /* "informational" .. "critical" */
/* Its tags ("attack.t1059.001", "attack.execution"), NULL-terminated. */
const char *const *sigma_rule_tags(const struct sigma_rule *r);

/*
 * Correlation rules (event_count, value_count, temporal, temporal_ordered,
 * value_sum, value_avg) work on the stream of matches: the caller feeds
 * every match sigma_match reports, with the event's time, into a
 * struct sigma_corr_state it owns (one per stream of events; it is not
 * shared between threads). The state holds, per correlation and per
 * combination of group-by values (after aliases), the matches inside the
 * correlation's timespan; older ones expire as time moves on, and a
 * correlation keeps at most max_groups groups, the least recently used
 * making way (counted as evicted). Events are expected roughly in time
 * order. When a correlation's condition holds, it fires once and its
 * group's window starts again. value_percentile rules load but are not
 * evaluated.
 *
 * A condition with an upper bound (lt or lte, alone or with gt/gte) on an
 * event_count, value_count or value_sum is deferred: it can only be
 * decided when the window closes. Such a group's window opens at its first
 * match (a window without matches never exists, so "lt: 3" means one or
 * two) and closes timespan seconds later; every match in between counts,
 * and the one after it opens the next window. A closed window whose
 * condition holds fires with the window's end as its time. Windows close
 * as the stream's time moves past their end (sigma_correlate_feed,
 * sigma_correlate_advance) and all at once at its end
 * (sigma_correlate_flush). value_avg is compared on every match, whatever
 * its bounds.
 */
struct sigma_corr_state;

#define SIGMA_CORR_GROUPS_DEFAULT 10000

/* A new, empty state (caller frees with sigma_corr_state_free); max_groups 0: the default. */
int sigma_corr_state_new(size_t max_groups, struct sigma_corr_state **out, struct err *e);
void sigma_corr_state_free(struct sigma_corr_state *st);

/*
 * A correlation fired: corr is the correlation rule, group its group-by
 * values as "name=value, ..." (valid during the call), time the time of
 * the match that completed it, or the end of a deferred window that closed.
 */
typedef void (*sigma_fire_fn)(void *ctx, const struct sigma_rule *corr, const char *group,
			      int64_t time);

/*
 * Feed one match of rule matched (a detection rule, as sigma_match gave
 * it) on ev at event_time (seconds since the epoch, see sigma_event_time)
 * to every correlation that refers to it by id or name. on_fire is called
 * for each correlation that fires; a correlation that fires is fed in turn
 * to the correlations that refer to it (chains). Use one state with one
 * compiled rule set. Returns 0, ERR_NOMEM, or ERR_INVALID when rs is not
 * compiled.
 */
int sigma_correlate_feed(const struct sigma_ruleset *rs, struct sigma_corr_state *st,
			 const struct sigma_rule *matched, const struct event *ev, int64_t event_time,
			 sigma_fire_fn on_fire, void *ctx);

/*
 * Move the stream's time to now (the latest event's time, or a clock
 * while no event comes): deferred windows that ended before now close,
 * and those whose condition holds fire through on_fire (in the order
 * their groups were last used, oldest first), fed in turn to chains. Call
 * it for every event, matching or not, before sigma_match, so that a
 * window closes on the first event past its end. 0, ERR_NOMEM, or
 * ERR_INVALID when rs is not compiled.
 */
int sigma_correlate_advance(const struct sigma_ruleset *rs, struct sigma_corr_state *st,
			    int64_t now, sigma_fire_fn on_fire, void *ctx);
/* The end of the stream: close every deferred window, as sigma_correlate_advance. */
int sigma_correlate_flush(const struct sigma_ruleset *rs, struct sigma_corr_state *st,
			  sigma_fire_fn on_fire, void *ctx);
/* Whether rs (compiled) has a deferred correlation (the caller needs the time of every event). */
int sigma_ruleset_deferred(const struct sigma_ruleset *rs);

/* Groups held now, groups evicted and matches dropped (a group's cap) so far. */
void sigma_corr_stats(const struct sigma_corr_state *st, size_t *groups, uint64_t *evicted,
		      uint64_t *dropped);

/* Whether rs (compiled) has any correlation rule. */
int sigma_ruleset_correlations(const struct sigma_ruleset *rs);

/*
 * A state across restarts. sigma_corr_state_save puts the groups of every
 * correlation of rs in st (each correlation named by its id, else its name,
 * with a fingerprint of its definition: type, timespan, rules, group-by,
 * condition, field, aliases) into *out, a new JSON object the caller
 * decrefs. 0, ERR_NOMEM, or ERR_INVALID when rs is not compiled.
 *
 * sigma_corr_state_load empties st and fills it from in (a saved state,
 * borrowed): a correlation of rs gets its saved groups when one of the
 * same id has the same fingerprint; a correlation that changed, vanished
 * or is new starts empty. A table keeps at most st's max_groups groups (the
 * most recently used). *restored and *dropped (may be NULL) get how many
 * saved correlations were taken and left out. Deferred windows that ended
 * meanwhile close at the next sigma_correlate_advance. Fails with ERR_PARSE
 * (not a saved state), ERR_INVALID (a malformed part) or ERR_NOMEM, leaving
 * st empty.
 */
struct json_t;
int sigma_corr_state_save(const struct sigma_ruleset *rs, const struct sigma_corr_state *st,
			  struct json_t **out, struct err *e);
int sigma_corr_state_load(const struct sigma_ruleset *rs, struct sigma_corr_state *st,
			  const struct json_t *in, size_t *restored, size_t *dropped, struct err *e);

/*
 * Whether matches (or firings) of r should be shown on their own: not when
 * r is referred to by correlations only, none of which says generate: true
 * (the specification's default). 1 for every other rule.
 */
int sigma_rule_generates(const struct sigma_rule *r);

/*
 * The time of ev: the first of its fields UtcTime, TimeCreated_SystemTime,
 * @timestamp, timestamp, EventTime, TimeCreated (or only the field named
 * field, when not NULL) that holds a date-time time_parse reads (no zone:
 * UTC) or epoch seconds (milliseconds when past the year 5138); fallback
 * (the arrival time) when none does.
 */
int64_t sigma_event_time(const struct event *ev, const char *field, int64_t fallback);

#endif
