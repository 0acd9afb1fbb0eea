/*
 * page_metrics.c: the metrics page (/metrics?from=&to=): SVG charts drawn
 * here (incidents per month and type, the durations' median and 90th
 * percentile) and the same numbers in tables, from ir/metrics.h.
 */
#include "ir/incident.h"
#include "ir/catalog.h"
#include "ir/metrics.h"
#include "ir/vocab.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/req.h"
#include "web/svg.h"

#include <stdlib.h>
#include <string.h>

/* The label of an incident type name, or the name itself. */
static const char *type_label(struct request *rq, const char *name)
{
	int i;

	if (vocab_parse(&vocab_incident_type, name, &i, NULL) == 0)
		return vocab_label(&vocab_incident_type, i, rq->lang);
	return name;
}

static void month_chart(struct request *rq, struct buf *b, json_t *months, json_t *types)
{
	size_t n = json_array_size(months), nt = json_object_size(types), s = 0, i;
	const char **labels = calloc(n ? n : 1, sizeof(*labels));
	struct svg_series *series = calloc(nt ? nt : 1, sizeof(*series));
	int64_t *values = calloc((n ? n : 1) * (nt ? nt : 1), sizeof(*values));
	const char *type;
	json_t *v, *m;

	if (!labels || !series || !values)
		goto out;
	json_array_foreach(months, i, m)
		labels[i] = json_str(m, "month");
	json_object_foreach(types, type, v) {
		series[s].name = type_label(rq, type);
		series[s].values = values + s * n;
		json_array_foreach(months, i, m)
			values[s * n + i] = json_integer_value(json_object_get(json_object_get(m, "types"),
										    type));
		s++;
	}
	svg_stacked_bars(b, "chart-months", page_t(rq, "metrics.by_month"), labels, n, series, nt);
out:
	free(labels);
	free(series);
	free(values);
}

static void duration_text(struct request *rq, json_t *v, char out[TIME_STR_MAX])
{
	if (json_is_integer(v))
		time_format_duration(json_integer_value(v), out);
	else
		snprintf(out, TIME_STR_MAX, "%s", page_t(rq, "metrics.no_data"));
}

static void duration_chart(struct request *rq, struct buf *b, json_t *d)
{
	struct svg_range rows[MD__COUNT];
	char med[MD__COUNT][TIME_STR_MAX], p90[MD__COUNT][TIME_STR_MAX];

	for (int i = 0; i < MD__COUNT; i++) {
		json_t *v = json_object_get(d, metric_duration_name((enum metric_duration)i));
		json_t *jm = json_object_get(v, "median"), *jp = json_object_get(v, "p90");

		duration_text(rq, jm, med[i]);
		duration_text(rq, jp, p90[i]);
		rows[i] = (struct svg_range){ metric_duration_label((enum metric_duration)i, rq->lang),
					      json_is_integer(jm) ? json_integer_value(jm) : -1,
					      json_is_integer(jp) ? json_integer_value(jp) : -1,
					      med[i], p90[i] };
	}
	svg_ranges(b, "chart-durations", page_t(rq, "metrics.durations"), rows, MD__COUNT,
		   page_t(rq, "metrics.median"), page_t(rq, "metrics.p90"));
}

enum key_kind { KEY_RAW, KEY_TYPE, KEY_STATE };

static const char *key_label(struct request *rq, enum key_kind kind, const char *k)
{
	enum incident_state s;

	if (kind == KEY_TYPE)
		return type_label(rq, k);
	if (kind == KEY_STATE && incident_state_parse(k, &s, NULL) == 0)
		return incident_state_label(s, rq->lang);
	return k;
}

/* A two-column table of counts; id for tests and scripts; keys shown as kind says. */
static void count_table(struct request *rq, struct buf *b, const char *id, const char *head_key,
			json_t *counts, enum key_kind kind)
{
	const char *k;
	json_t *v;

	html_printf(b, "<table class=\"metrics\" id=\"%s\"><thead><tr><th>%s</th><th class=\"num\">%s"
		       "</th></tr></thead><tbody>", id, page_t(rq, head_key),
		    page_t(rq, "metrics.incidents"));
	json_object_foreach(counts, k, v)
		html_printf(b, "<tr data-key=\"%s\"><td>%s</td><td class=\"num\">%lld</td></tr>", k,
			    key_label(rq, kind, k), (long long)json_integer_value(v));
	buf_adds(b, "</tbody></table>");
}

static void duration_table(struct request *rq, struct buf *b, json_t *d)
{
	html_printf(b, "<table class=\"metrics\" id=\"t-durations\"><thead><tr><th>%s</th>"
		       "<th class=\"num\">%s</th><th class=\"num\">%s</th><th class=\"num\">%s</th>"
		       "</tr></thead><tbody>", page_t(rq, "metrics.duration"),
		    page_t(rq, "metrics.count"), page_t(rq, "metrics.median"),
		    page_t(rq, "metrics.p90"));
	for (int i = 0; i < MD__COUNT; i++) {
		const char *name = metric_duration_name((enum metric_duration)i);
		json_t *v = json_object_get(d, name);
		char med[TIME_STR_MAX], p90[TIME_STR_MAX];

		duration_text(rq, json_object_get(v, "median"), med);
		duration_text(rq, json_object_get(v, "p90"), p90);
		html_printf(b, "<tr data-key=\"%s\"><td>%s</td><td class=\"num\">%lld</td>"
			       "<td class=\"num\" data-seconds=\"%lld\">%s</td>"
			       "<td class=\"num\" data-seconds=\"%lld\">%s</td></tr>",
			    name, metric_duration_label((enum metric_duration)i, rq->lang),
			    (long long)json_integer_value(json_object_get(v, "count")),
			    (long long)json_integer_value(json_object_get(v, "median")), med,
			    (long long)json_integer_value(json_object_get(v, "p90")), p90);
	}
	buf_adds(b, "</tbody></table>");
}

static void month_table(struct request *rq, struct buf *b, json_t *months)
{
	json_t *totals = json_object(), *m;
	size_t i;

	json_array_foreach(months, i, m)
		json_object_set(totals, json_str(m, "month"), json_object_get(m, "total"));
	count_table(rq, b, "t-month", "metrics.month", totals, KEY_RAW);
	json_decref(totals);
}

static void recurrence_section(struct request *rq, struct buf *b, json_t *r)
{
	size_t i;
	json_t *v;
	char key[64];

	html_printf(b, "<section class=\"card\"><h2>%s</h2><p id=\"recurrence-count\">%s: %lld</p>"
		       "<p class=\"muted small\">%s</p>",
		    page_t(rq, "metrics.recurrence"), page_t(rq, "metrics.recurrent"),
		    (long long)json_integer_value(json_object_get(r, "count")),
		    page_t(rq, "metrics.recurrence_help"));
	if (json_array_size(json_object_get(r, "items")))
		buf_adds(b, "<ul>");
	json_array_foreach(json_object_get(r, "items"), i, v) {
		struct buf h1 = BUF_INIT, h2 = BUF_INIT;
		buf_adds(&h1, "/incidents/");
		url_esc(&h1, json_str(v, "incident"));
		buf_adds(&h2, "/incidents/");
		url_esc(&h2, json_str(v, "earlier"));
		snprintf(key, sizeof(key), "metrics.reason.%s", json_str(v, "reason"));
		html_printf(b, "<li><a href=\"%s\">%s</a> ← <a href=\"%s\">%s</a> (%s)</li>", h1.data,
			    json_str(v, "incident"), h2.data, json_str(v, "earlier"), page_t(rq, key));
		buf_release(&h1);
		buf_release(&h2);
	}
	if (json_array_size(json_object_get(r, "items")))
		buf_adds(b, "</ul>");
	buf_adds(b, "</section>");
}

/* Overdue regulatory clocks (APPI 速報/確報, GDPR), linked to the dashboard's list. */
static void overdue_clocks_section(struct request *rq, struct buf *b, json_t *m)
{
	json_int_t n = json_integer_value(json_object_get(m, "overdue_clocks"));

	html_printf(b, "<section class=\"card\"><h2>%s</h2><p id=\"overdue-clocks\" class=\"%s\">%s: "
		    "%lld</p><p class=\"muted small\"><a href=\"/\">%s</a></p></section>",
		    page_t(rq, "metrics.overdue_clocks"), n ? "overdue" : "", page_t(rq, "metrics.overdue"),
		    (long long)n, page_t(rq, "metrics.clocks_link"));
}

/* Incidents per IPA threat tag, labelled from the catalog. */
static void by_threat_section(struct request *rq, struct buf *b, json_t *m)
{
	const struct catalog *c = catalog_active();
	json_t *t = json_object_get(m, "by_threat"), *v;
	const char *ref;

	html_printf(b, "<section class=\"card\"><h2>%s</h2>", page_t(rq, "metrics.by_threat"));
	if (!json_object_size(t)) {
		html_printf(b, "<p class=\"muted\">%s</p></section>", page_t(rq, "metrics.no_threats"));
		return;
	}
	html_printf(b, "<table id=\"by-threat\"><tr><th>%s</th><th>%s</th></tr>",
		    page_t(rq, "metrics.threat"), page_t(rq, "metrics.threat_count"));
	json_object_foreach(t, ref, v) {
		const struct catalog_threat *th = c ? catalog_threat(c, ref, NULL) : NULL;
		html_printf(b, "<tr><td>%s <span class=\"muted\">(%s)</span></td><td>%lld</td></tr>",
			    th ? ctext(&th->label, rq->lang) : ref, ref,
			    (long long)json_integer_value(v));
	}
	buf_adds(b, "</table></section>");
}

static void filter_form(struct request *rq, struct buf *b, const char *from, const char *to)
{
	html_printf(b, "<form method=\"get\" action=\"/metrics\" class=\"filters\">"
		       "<label>%s <input type=\"text\" name=\"from\" value=\"%s\" placeholder=\"2026-01-01\">"
		       "</label> <label>%s <input type=\"text\" name=\"to\" value=\"%s\" "
		       "placeholder=\"2027-01-01\"></label> <button type=\"submit\" class=\"secondary\">%s"
		       "</button></form>",
		    page_t(rq, "metrics.from"), from ? from : "", page_t(rq, "metrics.to"),
		    to ? to : "", page_t(rq, "metrics.apply"));
}

static int period(struct request *rq, const char *name, int64_t *out)
{
	const char *s = req_query(rq, name);

	*out = 0;
	if (!s || !*s)
		return 0;
	if (time_parse(s, rq->actor.tz, rq->actor.now, out, &rq->err))
		return err_prefix(&rq->err, "%s", name);
	return 0;
}

int page_metrics(struct request *rq, struct response *rs)
{
	const char *from_s = req_query(rq, "from"), *to_s = req_query(rq, "to");
	int64_t from = 0, to = 0;
	struct buf b = BUF_INIT;
	json_t *m = NULL;
	const char *msg = NULL;
	char saved[ERR_MSG_MAX];
	int rc;

	if ((rc = period(rq, "from", &from)) || (rc = period(rq, "to", &to)) ||
	    (rc = metrics_compute(rq->st, &rq->actor, from, to, &m, &rq->err))) {
		if (rc != ERR_INVALID && rc != ERR_PARSE)
			return rc;
		snprintf(saved, sizeof(saved), "%s", err_msg(&rq->err));
		msg = saved;
		from = to = 0;
		if ((rc = metrics_compute(rq->st, &rq->actor, 0, 0, &m, &rq->err)))
			return rc;
	}
	page_begin(rq, &b, page_t(rq, "nav.metrics"));
	html_printf(&b, "<div class=\"titlebar\"><h1>%s</h1></div>", page_t(rq, "nav.metrics"));
	if (msg)
		pg_error_box(rq, &b, "metrics.bad_period", msg);
	filter_form(rq, &b, from_s, to_s);
	html_printf(&b, "<p id=\"metrics-total\">%s: <strong>%lld</strong></p>",
		    page_t(rq, "metrics.total"), (long long)json_integer_value(json_object_get(m, "total")));
	html_printf(&b, "<section class=\"card\"><h2>%s</h2>", page_t(rq, "metrics.by_month"));
	month_chart(rq, &b, json_object_get(m, "by_month"), json_object_get(m, "by_type"));
	month_table(rq, &b, json_object_get(m, "by_month"));
	buf_adds(&b, "</section>");
	html_printf(&b, "<section class=\"card\"><h2>%s</h2>", page_t(rq, "metrics.durations"));
	duration_chart(rq, &b, json_object_get(m, "durations"));
	duration_table(rq, &b, json_object_get(m, "durations"));
	html_printf(&b, "<p class=\"muted small\">%s</p></section>", page_t(rq, "metrics.durations_help"));
	buf_adds(&b, "<section class=\"card\"><div class=\"cols\">");
	count_table(rq, &b, "t-type", "metrics.type", json_object_get(m, "by_type"), KEY_TYPE);
	count_table(rq, &b, "t-priority", "metrics.priority", json_object_get(m, "by_priority"),
		    KEY_RAW);
	count_table(rq, &b, "t-state", "metrics.state", json_object_get(m, "by_state"), KEY_STATE);
	buf_adds(&b, "</div></section>");
	recurrence_section(rq, &b, json_object_get(m, "recurrence"));
	overdue_clocks_section(rq, &b, m);
	by_threat_section(rq, &b, m);
	page_end(rq, &b);
	json_decref(m);
	return page_send(rs, &b);
}
