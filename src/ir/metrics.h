/*
 * metrics.h: incident metrics (NIST SP 800-61r2 3.4.2) over the incidents
 * an actor may see: counts per type, priority, month and state; median and
 * 90th percentile of the response durations; recurrence. The same numbers
 * feed `irdesk metrics`, GET /api/v1/metrics and the metrics page.
 */
#ifndef IRDESK_IR_METRICS_H
#define IRDESK_IR_METRICS_H

#include <jansson.h>
#include <stdint.h>

struct actor;
struct err;
struct store;

/*
 * The durations, each in seconds and each left out when either end is
 * unknown (or the end is before the start):
 *   time_to_detect   occurred_at  -> discovered_at   (MTTD)
 *   time_to_triage   discovered_at -> triaged_at     (MTTA)
 *   time_to_contain  discovered_at -> contained_at   (MTTC)
 *   time_to_recover  discovered_at -> recovered_at   (MTTR)
 *   time_to_report   discovered_at -> the first notification of kind
 *                    management, external, appi_preliminary, appi_final or gdpr
 * X(NAME, api name, Japanese, English)
 */
#define METRIC_DURATIONS(X)                                                   \
	X(DETECT, time_to_detect, "検知までの時間 (MTTD)", "Time to detect (MTTD)")   \
	X(TRIAGE, time_to_triage, "トリアージまでの時間 (MTTA)", "Time to triage (MTTA)") \
	X(CONTAIN, time_to_contain, "封じ込めまでの時間 (MTTC)", "Time to contain (MTTC)") \
	X(RECOVER, time_to_recover, "復旧までの時間 (MTTR)", "Time to recover (MTTR)") \
	X(REPORT, time_to_report, "報告までの時間", "Time to report")

enum metric_duration {
#define X(N, n, ja, en) MD_##N,
	METRIC_DURATIONS(X)
#undef X
	MD__COUNT
};

const char *metric_duration_name(enum metric_duration d);
const char *metric_duration_label(enum metric_duration d, const char *lang);

/* The durations of one incident; -1 where unknown. */
struct incident_durations {
	int64_t d[MD__COUNT];
};

/*
 * The durations of incident incident_id (no permission check: for ir/
 * callers that have checked it). ERR_NOTFOUND when there is no such incident.
 */
int metrics_incident_durations(struct store *st, int64_t incident_id,
			       struct incident_durations *out, struct err *e);

/*
 * The median and 90th percentile of the sorted values v[0..n): the median
 * is the middle value, or the mean of the two middle values (rounded down);
 * the 90th percentile is by nearest rank, the value at rank ceil(0.9 n).
 * Both 0 when n is 0.
 */
void metrics_percentiles(const int64_t *v, size_t n, int64_t *median, int64_t *p90);

/*
 * Metrics over the incidents discovered from `from` (inclusive) to `to`
 * (exclusive; 0 for either: open-ended) that the actor may see
 * (ACT_INCIDENT_READ; an external account: its incidents only), as JSON:
 *   {from, to, total,
 *    by_type: {type: n}, by_priority: {"P1".."P4", "none": n},
 *    by_state: {state: n}, by_month: [{month: "YYYY-MM", total, types: {type: n}}],
 *    durations: {name: {count, median, p90}} (seconds),
 *    recurrence: {count, rate, items: [{incident, earlier, reason}]},
 *    overdue_clocks: null, by_threat: null}
 * Months are taken in the actor's zone. An incident recurs when it shares an
 * observable (type and value) with an incident discovered before it, or
 * when an incident of the same type discovered before it has the same title
 * pattern (the title in lower case with digits dropped and white space
 * folded); "earlier" names the first such incident, "reason" is
 * "observable" or "title". overdue_clocks and by_threat are filled in by
 * the regulatory-clock and threat modules when they are present.
 */
int metrics_compute(struct store *st, const struct actor *who, int64_t from, int64_t to,
		    json_t **out, struct err *e);

#endif
