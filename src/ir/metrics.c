/*
 * metrics.c: incident metrics: one pass over the visible incidents (with
 * the first report from notifications), percentiles of the durations, and
 * recurrence by shared observables or title pattern. See metrics.h.
 */
#include "ir/metrics.h"
#include "ir/clock.h"
#include "ir/actor.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct duration_info {
	const char *name, *ja, *en;
};

static const struct duration_info durations[] = {
#define X(N, n, ja, en) { #n, ja, en },
	METRIC_DURATIONS(X)
#undef X
};

const char *metric_duration_name(enum metric_duration d)
{
	return (unsigned)d < MD__COUNT ? durations[d].name : "";
}

const char *metric_duration_label(enum metric_duration d, const char *lang)
{
	if ((unsigned)d >= MD__COUNT)
		return "";
	return lang && strcmp(lang, "ja") == 0 ? durations[d].ja : durations[d].en;
}

/* Columns 0..12 of an incident row; first_report is the first report to management or outside. */
#define ROW_SQL                                                                                \
	"SELECT i.id, i.hid, i.type, i.priority, i.state, i.occurred_at, i.discovered_at, "   \
	"i.triaged_at, i.contained_at, i.recovered_at, (SELECT MIN(n.sent_at) FROM "          \
	"notifications n WHERE n.incident_id = i.id AND n.kind IN ('management', 'external', " \
	"'appi_preliminary', 'appi_final', 'gdpr')), i.title FROM incidents i "

static int64_t span(struct stmt *s, int from_col, int to_col)
{
	int64_t a, b;

	if (stmt_is_null(s, from_col) || stmt_is_null(s, to_col))
		return -1;
	a = stmt_int(s, from_col);
	b = stmt_int(s, to_col);
	return b >= a ? b - a : -1;
}

static void durations_from_row(struct stmt *s, struct incident_durations *d)
{
	d->d[MD_DETECT] = span(s, 5, 6);
	d->d[MD_TRIAGE] = span(s, 6, 7);
	d->d[MD_CONTAIN] = span(s, 6, 8);
	d->d[MD_RECOVER] = span(s, 6, 9);
	d->d[MD_REPORT] = span(s, 6, 10);
}

int metrics_incident_durations(struct store *st, int64_t incident_id,
			       struct incident_durations *out, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, ROW_SQL "WHERE i.id = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	rc = stmt_step(s, e);
	if (rc == 1)
		durations_from_row(s, out);
	else if (rc == 0)
		rc = err_set(e, ERR_NOTFOUND, "incident %lld not found", (long long)incident_id);
	stmt_done(s);
	return rc < 0 ? rc : 0;
}

void metrics_percentiles(const int64_t *v, size_t n, int64_t *median, int64_t *p90)
{
	size_t rank;

	*median = *p90 = 0;
	if (n == 0)
		return;
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	rank = (9 * n + 9) / 10; /* ceil(0.9 n) */
	*p90 = v[rank - 1];
}

/* One incident as metrics see it. */
struct row {
	int64_t id, discovered;
	char hid[24], type[48], priority[8], state[24], month[32];
	char *pattern;
	struct incident_durations d;
	int in_range;
	size_t earlier;      /* index of the incident it recurs from, or SIZE_MAX */
	const char *reason;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static void rows_release(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].pattern);
	free(r->v);
}

/* The title in lower case without digits, white space folded: the recurrence pattern. */
static char *title_pattern(const char *t)
{
	struct buf b = BUF_INIT;
	int space = 0;

	for (; *t; t++) {
		char c = *t;
		if (c >= '0' && c <= '9')
			continue;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = b.len > 0;
			continue;
		}
		if (space)
			buf_addch(&b, ' ');
		space = 0;
		buf_addch(&b, c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);
	}
	return buf_detach(&b, NULL);
}

static void month_of(int64_t t, const struct tz *tz, char out[32])
{
	time_t local = (time_t)(t + (tz ? tz_offset(tz, t, NULL) : 0));
	struct tm tm;

	gmtime_r(&local, &tm);
	snprintf(out, 32, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
}

static int load_rows(struct store *st, const struct actor *who, int64_t from, int64_t to,
		     struct rows *r, struct err *e)
{
	struct buf sql = BUF_INIT;
	struct stmt *s;
	int rc;

	buf_adds(&sql, ROW_SQL "WHERE 1 = 1");
	if (to)
		buf_adds(&sql, " AND i.discovered_at < ?");
	if (who->external)
		buf_adds(&sql, " AND i.id IN (SELECT incident_id FROM incident_members WHERE user_id = ?)");
	buf_adds(&sql, " ORDER BY i.discovered_at, i.id");
	rc = store_prepare(st, sql.data, &s, e);
	buf_release(&sql);
	if (rc)
		return rc;
	if (to)
		stmt_bind_int(s, 1, to);
	if (who->external)
		stmt_bind_int(s, to ? 2 : 1, who->user_id);
	while ((rc = stmt_step(s, e)) == 1) {
		struct row *w;

		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 64;
			struct row *v = realloc(r->v, cap * sizeof(*v));
			if (!v) {
				rc = err_set(e, ERR_NOMEM, "out of memory");
				break;
			}
			r->v = v;
			r->cap = cap;
		}
		w = &r->v[r->n++];
		memset(w, 0, sizeof(*w));
		w->id = stmt_int(s, 0);
		w->discovered = stmt_int(s, 6);
		snprintf(w->hid, sizeof(w->hid), "%s", stmt_text(s, 1));
		snprintf(w->type, sizeof(w->type), "%s", stmt_text(s, 2));
		snprintf(w->priority, sizeof(w->priority), "%s",
			 stmt_is_null(s, 3) ? "none" : stmt_text(s, 3));
		snprintf(w->state, sizeof(w->state), "%s", stmt_text(s, 4));
		month_of(w->discovered, who->tz, w->month);
		w->pattern = title_pattern(stmt_text(s, 11));
		durations_from_row(s, &w->d);
		w->in_range = !from || w->discovered >= from;
		w->earlier = SIZE_MAX;
	}
	stmt_done(s);
	return rc < 0 ? rc : 0;
}

static void count(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	json_object_set_new(obj, key, json_integer(v ? json_integer_value(v) + 1 : 1));
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static json_t *duration_stats(const struct rows *r)
{
	json_t *o = json_object();
	int64_t *v = malloc((r->n ? r->n : 1) * sizeof(*v));

	for (int d = 0; d < MD__COUNT && v; d++) {
		size_t n = 0;
		int64_t med, p90;

		for (size_t i = 0; i < r->n; i++)
			if (r->v[i].in_range && r->v[i].d.d[d] >= 0)
				v[n++] = r->v[i].d.d[d];
		qsort(v, n, sizeof(*v), cmp_i64);
		metrics_percentiles(v, n, &med, &p90);
		json_object_set_new(o, durations[d].name,
				    n ? json_pack("{s:I,s:I,s:I}", "count", (json_int_t)n, "median",
						  (json_int_t)med, "p90", (json_int_t)p90)
				      : json_pack("{s:i,s:n,s:n}", "count", 0, "median", "p90"));
	}
	free(v);
	return o;
}

static json_t *by_month(const struct rows *r)
{
	json_t *arr = json_array(), *cur = NULL;

	/* Rows are in discovery order, so months come in order. */
	for (size_t i = 0; i < r->n; i++) {
		const struct row *w = &r->v[i];
		if (!w->in_range)
			continue;
		if (!cur || strcmp(json_str(cur, "month"), w->month) != 0) {
			cur = json_pack("{s:s,s:i,s:o}", "month", w->month, "total", 0, "types",
					json_object());
			json_array_append_new(arr, cur);
		}
		count(cur, "total");
		count(json_object_get(cur, "types"), w->type);
	}
	return arr;
}

struct id_index {
	int64_t id;
	size_t at;
};

static int cmp_id(const void *a, const void *b)
{
	int64_t x = ((const struct id_index *)a)->id, y = ((const struct id_index *)b)->id;

	return x < y ? -1 : x > y;
}

static size_t row_index(const struct id_index *ix, size_t n, int64_t id)
{
	struct id_index key = { id, 0 };
	const struct id_index *f = bsearch(&key, ix, n, sizeof(*ix), cmp_id);

	return f ? f->at : SIZE_MAX;
}

/* Mark incidents sharing an observable with an earlier visible one. */
static int recur_by_observable(struct store *st, struct rows *r, struct err *e)
{
	struct id_index *ix = malloc((r->n ? r->n : 1) * sizeof(*ix));
	struct stmt *s;
	int rc;

	if (!ix)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < r->n; i++)
		ix[i] = (struct id_index){ r->v[i].id, i };
	qsort(ix, r->n, sizeof(*ix), cmp_id);
	rc = store_prepare(st, "SELECT DISTINCT a.incident_id, b.incident_id FROM observables a "
			       "JOIN observables b ON b.type = a.type AND b.value = a.value "
			       "AND b.incident_id <> a.incident_id", &s, e);
	if (rc) {
		free(ix);
		return rc;
	}
	while ((rc = stmt_step(s, e)) == 1) {
		size_t x = row_index(ix, r->n, stmt_int(s, 0)), y = row_index(ix, r->n, stmt_int(s, 1));
		if (x == SIZE_MAX || y == SIZE_MAX || y > x)
			continue;
		if (r->v[x].earlier == SIZE_MAX || y < r->v[x].earlier) {
			r->v[x].earlier = y;
			r->v[x].reason = "observable";
		}
	}
	stmt_done(s);
	free(ix);
	return rc < 0 ? rc : 0;
}

/*
 * Incidents in range per IPA threat tag ("2026:ransomware" -> n), counted
 * over the incidents the actor may see (the rows).
 */
static int by_threat(struct store *st, const struct rows *r, json_t **out, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT incident_id, threat FROM incident_threats ORDER BY "
				   "incident_id", &s, e);

	*out = json_object();
	if (rc)
		return rc;
	while ((rc = stmt_step(s, e)) == 1) {
		int64_t id = stmt_int(s, 0);
		for (size_t i = 0; i < r->n; i++)
			if (r->v[i].id == id && r->v[i].in_range) {
				count(*out, stmt_text(s, 1));
				break;
			}
	}
	stmt_done(s);
	return rc < 0 ? rc : 0;
}

/* Mark incidents whose type and title pattern an earlier incident had. */
static void recur_by_title(struct rows *r)
{
	json_t *seen = json_object();
	struct buf key = BUF_INIT;

	for (size_t i = 0; i < r->n; i++) {
		json_t *first;

		buf_reset(&key);
		buf_addf(&key, "%s\x1f%s", r->v[i].type, r->v[i].pattern);
		first = json_object_get(seen, key.data);
		if (!first) {
			json_object_set_new(seen, key.data, json_integer((json_int_t)i));
		} else if (r->v[i].earlier == SIZE_MAX) {
			r->v[i].earlier = (size_t)json_integer_value(first);
			r->v[i].reason = "title";
		}
	}
	buf_release(&key);
	json_decref(seen);
}

static json_t *recurrence(const struct rows *r, size_t total)
{
	json_t *items = json_array();
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct row *w = &r->v[i];
		if (!w->in_range || w->earlier == SIZE_MAX)
			continue;
		n++;
		json_array_append_new(items, json_pack("{s:s,s:s,s:s}", "incident", w->hid, "earlier",
						       r->v[w->earlier].hid, "reason", w->reason));
	}
	return json_pack("{s:I,s:f,s:o}", "count", (json_int_t)n, "rate",
			 total ? (double)n / (double)total : 0.0, "items", items);
}

static void set_bound(json_t *o, const char *key, int64_t t)
{
	if (t)
		json_set_time(o, key, t);
	else
		json_object_set_new(o, key, json_null());
}

int metrics_compute(struct store *st, const struct actor *who, int64_t from, int64_t to,
		    json_t **out, struct err *e)
{
	json_t *threats = NULL;
	int64_t overdue = 0;
	struct rows r = { 0 };
	json_t *o, *type, *prio, *state;
	size_t total = 0;
	int rc;

	*out = NULL;
	if ((rc = authz_check(who, ACT_INCIDENT_READ, e)))
		return rc;
	if (from && to && from >= to)
		return err_set(e, ERR_INVALID, "from: must be before to");
	if ((rc = load_rows(st, who, from, to, &r, e)) || (rc = recur_by_observable(st, &r, e))) {
		rows_release(&r);
		return rc;
	}
	recur_by_title(&r);
	type = json_object();
	prio = json_object();
	state = json_object();
	for (size_t i = 0; i < r.n; i++) {
		if (!r.v[i].in_range)
			continue;
		total++;
		count(type, r.v[i].type);
		count(prio, r.v[i].priority);
		count(state, r.v[i].state);
	}
	o = json_object();
	set_bound(o, "from", from);
	set_bound(o, "to", to);
	json_set_int(o, "total", (int64_t)total);
	json_object_set_new(o, "by_type", type);
	json_object_set_new(o, "by_priority", prio);
	json_object_set_new(o, "by_state", state);
	json_object_set_new(o, "by_month", by_month(&r));
	json_object_set_new(o, "durations", duration_stats(&r));
	json_object_set_new(o, "recurrence", recurrence(&r, total));
	rc = clock_count_overdue(st, who, &overdue, e);
	if (!rc)
		rc = by_threat(st, &r, &threats, e);
	rows_release(&r);
	if (rc) {
		json_decref(o);
		return rc;
	}
	json_set_int(o, "overdue_clocks", overdue);
	json_object_set_new(o, "by_threat", threats);
	*out = o;
	return 0;
}
