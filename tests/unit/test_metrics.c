/*
 * test_metrics.c: incident metrics (ir/metrics.c) with exact values on a
 * fixture of incidents with known timestamps and notifications: counts per
 * type, priority, state and month (in Tokyo time), the median and 90th
 * percentile of each duration, recurrence by shared observable and by
 * title pattern, the period bounds, and what an external account sees.
 */
#include "unit_ir.h"

#include <jansson.h>

#include "ir/actor.h"
#include "ir/incident.h"
#include "ir/items.h"
#include "ir/metrics.h"
#include "ir/observable.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"

#define T0 INT64_C(1790812800) /* 2026-10-01T00:00:00Z = 09:00 JST */
#define DAY INT64_C(86400)
#define NOV5 (T0 + 35 * DAY)
#define NOV20 (T0 + 50 * DAY)
#define DEC1 (T0 + 61 * DAY)

static struct tz *tokyo;
static struct store *st;
static struct actor admin, vendor;
static char hids[6][INCIDENT_HID_MAX];


static void test_percentiles(void **state)
{
	static const int64_t one[] = { 7 }, two[] = { 10, 20 }, ten[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 },
			     eleven[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
	int64_t m, p;

	(void)state;
	metrics_percentiles(one, 0, &m, &p);
	assert_true(m == 0 && p == 0);
	metrics_percentiles(one, 1, &m, &p);
	assert_true(m == 7 && p == 7);
	metrics_percentiles(two, 2, &m, &p);
	assert_true(m == 15 && p == 20);
	metrics_percentiles(ten, 10, &m, &p);
	assert_true(m == 5 && p == 9); /* (5+6)/2 rounded down; rank ceil(9) = 9 */
	metrics_percentiles(eleven, 11, &m, &p);
	assert_true(m == 6 && p == 10); /* rank ceil(9.9) = 10 */
}

static void sql(const char *text, int64_t a, int64_t b)
{
	struct stmt *s;

	CHECK(store_prepare(st, text, &s, &e), 0);
	stmt_bind_int(s, 1, a);
	if (strchr(strchr(text, '?') + 1, '?'))
		stmt_bind_int(s, 2, b);
	CHECK(stmt_exec(s, &e), 0);
}

/* An incident with the given times (0: unset) as the fixture needs them. */
static void incident(int i, const char *title, const char *type, int64_t occurred, int64_t discovered,
		     int64_t triaged, int64_t contained, int64_t recovered)
{
	char occ[32], disc[32];
	struct incident_field fv[] = { { "title", title }, { "type", type },
				       { "discovered_at", disc }, { "occurred_at", occurred ? occ : NULL } };
	struct incident inc;

	snprintf(occ, sizeof(occ), "@%lld", (long long)occurred);
	snprintf(disc, sizeof(disc), "@%lld", (long long)discovered);
	admin.now = discovered;
	CHECK(incident_create(st, &admin, fv, occurred ? 4 : 3, &inc, &e), 0);
	snprintf(hids[i], INCIDENT_HID_MAX, "%s", inc.hid);
	if (triaged)
		sql("UPDATE incidents SET triaged_at = ? WHERE id = ?", triaged, inc.id);
	if (contained)
		sql("UPDATE incidents SET contained_at = ? WHERE id = ?", contained, inc.id);
	if (recovered)
		sql("UPDATE incidents SET recovered_at = ? WHERE id = ?", recovered, inc.id);
	incident_release(&inc);
}

static void notify(int i, const char *kind, int64_t at)
{
	struct buf q = BUF_INIT;

	buf_addf(&q, "INSERT INTO notifications (incident_id, recipient, channel, kind, sent_at, "
		     "created_by, created_at) SELECT id, 'someone', 'email', '%s', ?, 'test', ? "
		     "FROM incidents WHERE hid = '%s'", kind, hids[i]);
	sql(q.data, at, at);
	buf_release(&q);
}

static void observe(int i, const char *value)
{
	struct observable_new n = { .value = value };

	CHECK(observable_add(st, &admin, hids[i], &n, NULL, &e), 0);
}

static int group_setup(void **state)
{
	struct user_new nu = { .username = "vendor", .role = ROLE_FORENSIC_ENGINEER, .external = 1 };
	char otp[USER_OTP_LEN + 1], url[600];
	struct user u;

	(void)state;
	err_clear(&e);
	if (tz_load("Asia/Tokyo", &tokyo, &e))
		return -1;
	unit_db_url("metrics", url, sizeof(url));
	if (store_open(url, STORE_CREATE, &st, &e))
		return -1;
	actor_local(&admin, tokyo);
	admin.now = T0 - DAY;
	if (user_add(st, &admin, &nu, otp, &u, &e))
		return -1;
	user_release(&u);
	/* 0, 1: phishing in October, the same title pattern; 1 reported outside. */
	incident(0, "Phishing wave 1", "phishing", T0 - 3600, T0, T0 + 600, T0 + 7200, T0 + DAY);
	notify(0, "internal", T0 + 60);   /* not a report to management or outside */
	notify(0, "management", T0 + 1800);
	notify(0, "appi_preliminary", T0 + 9000);
	incident(1, "Phishing  wave 22", "phishing", T0 + 2 * DAY - 7200, T0 + 2 * DAY,
		 T0 + 2 * DAY + 1200, T0 + 2 * DAY + 3600, 0);
	notify(1, "external", T0 + 2 * DAY + 5400);
	/* 2, 3: November, sharing an observable; 3 has no occurred time. */
	incident(2, "Ransomware on file server", "ransomware", NOV5 - DAY, NOV5, NOV5 + 300,
		 NOV5 + 14400, NOV5 + 2 * DAY);
	incident(3, "Beaconing host", "malware", 0, NOV20, NOV20 + 1800, 0, 0);
	observe(2, "203.0.113.9");
	observe(3, "203[.]0[.]113[.]9");
	/* 4: outside the period (December); 5: before it (September), same pattern as 0. */
	incident(4, "Phishing wave 3", "phishing", DEC1 - 60, DEC1 + 3600, 0, 0, 0);
	incident(5, "Other thing", "other", 0, T0 - 10 * DAY, 0, 0, 0);
	sql("UPDATE incidents SET state = 'closed' WHERE id = ?", 1, 0);
	sql("UPDATE incidents SET priority = 'P1' WHERE id = ?", 3, 0);
	admin.now = DEC1 + DAY;
	CHECK(actor_for_user(st, "vendor", tokyo, &vendor, &e), 0);
	vendor.now = admin.now;
	CHECK(incident_member_set(st, &admin, hids[3], "vendor", "forensic_engineer", &e), 0);
	/* Threat tags: 2 and 3 in the period, 4 (December) outside it. */
	{
		const char *ransom[] = { "2026:ransomware" }, *bec[] = { "2018:bec" };
		CHECK(items_threats(st, &admin, hids[2], ransom, 1, 0, &e), 0);
		CHECK(items_threats(st, &admin, hids[3], ransom, 1, 0, &e), 0);
		CHECK(items_threats(st, &admin, hids[4], bec, 1, 0, &e), 0);
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	store_close(st);
	tz_free(tokyo);
	unit_rmtmp();
	return 0;
}

static int64_t num(json_t *m, const char *path1, const char *path2)
{
	json_t *v = json_object_get(json_object_get(m, path1), path2);

	if (!json_is_integer(v))
		fail_msg("%s.%s is not a number", path1, path2);
	return json_integer_value(v);
}

static void duration(json_t *m, const char *name, int64_t count, int64_t median, int64_t p90)
{
	json_t *d = json_object_get(json_object_get(m, "durations"), name);

	if (json_integer_value(json_object_get(d, "count")) != count ||
	    json_integer_value(json_object_get(d, "median")) != median ||
	    json_integer_value(json_object_get(d, "p90")) != p90)
		fail_msg("%s: got %s", name, json_dumps(d, JSON_COMPACT));
}

static void test_period_exact(void **state)
{
	json_t *m = NULL, *months, *rec;

	(void)state;
	CHECK(metrics_compute(st, &admin, T0, DEC1, &m, &e), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "total")), 4);
	assert_int_equal(num(m, "by_type", "phishing"), 2);
	assert_int_equal(num(m, "by_type", "ransomware"), 1);
	assert_int_equal(num(m, "by_type", "malware"), 1);
	assert_null(json_object_get(json_object_get(m, "by_type"), "other"));
	assert_int_equal(num(m, "by_priority", "P1"), 1);
	assert_int_equal(num(m, "by_priority", "none"), 3);
	assert_int_equal(num(m, "by_state", "closed"), 1);
	assert_int_equal(num(m, "by_state", "new"), 3);
	months = json_object_get(m, "by_month");
	assert_int_equal(json_array_size(months), 2);
	assert_string_equal(json_str(json_array_get(months, 0), "month"), "2026-10");
	assert_int_equal(num(json_array_get(months, 0), "types", "phishing"), 2);
	assert_string_equal(json_str(json_array_get(months, 1), "month"), "2026-11");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(months, 1), "total")), 2);
	duration(m, "time_to_detect", 3, 7200, 86400);
	duration(m, "time_to_triage", 4, 900, 1800);
	duration(m, "time_to_contain", 3, 7200, 14400);
	duration(m, "time_to_recover", 2, 129600, 2 * DAY);
	duration(m, "time_to_report", 2, 3600, 5400);
	rec = json_object_get(m, "recurrence");
	assert_int_equal(json_integer_value(json_object_get(rec, "count")), 2);
	assert_true(json_real_value(json_object_get(rec, "rate")) == 0.5);
	assert_string_equal(json_str(json_array_get(json_object_get(rec, "items"), 0), "incident"), hids[1]);
	assert_string_equal(json_str(json_array_get(json_object_get(rec, "items"), 0), "earlier"), hids[0]);
	assert_string_equal(json_str(json_array_get(json_object_get(rec, "items"), 0), "reason"), "title");
	assert_string_equal(json_str(json_array_get(json_object_get(rec, "items"), 1), "incident"), hids[3]);
	assert_string_equal(json_str(json_array_get(json_object_get(rec, "items"), 1), "earlier"), hids[2]);
	assert_string_equal(json_str(json_array_get(json_object_get(rec, "items"), 1), "reason"),
			    "observable");
	assert_int_equal(json_integer_value(json_object_get(m, "overdue_clocks")), 0);
	/* Threat tags count the incidents in the period only. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "by_threat"),
							  "2026:ransomware")), 2);
	assert_null(json_object_get(json_object_get(m, "by_threat"), "2018:bec"));
	json_decref(m);
}

static void test_everything_and_bounds(void **state)
{
	json_t *m = NULL, *rec;

	(void)state;
	CHECK(metrics_compute(st, &admin, 0, 0, &m, &e), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "total")), 6);
	/* December's "Phishing wave 3" recurs from October's first wave. */
	rec = json_object_get(m, "recurrence");
	assert_int_equal(json_integer_value(json_object_get(rec, "count")), 3);
	assert_string_equal(json_str(json_array_get(json_object_get(rec, "items"), 2), "earlier"), hids[0]);
	json_decref(m);
	CHECK(metrics_compute(st, &admin, DEC1, T0, &m, &e), ERR_INVALID);
	assert_null(m);
	/* The period ends before the first report of 1: still counted as reported. */
	CHECK(metrics_compute(st, &admin, T0 + DAY, T0 + 3 * DAY, &m, &e), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "total")), 1);
	duration(m, "time_to_report", 1, 5400, 5400);
	json_decref(m);
}

static void test_external_sees_its_own(void **state)
{
	json_t *m = NULL;

	(void)state;
	CHECK(metrics_compute(st, &vendor, 0, 0, &m, &e), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "total")), 1);
	assert_int_equal(num(m, "by_type", "malware"), 1);
	/* Incident 2 is not the vendor's: no recurrence naming it. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "recurrence"), "count")), 0);
	json_decref(m);
}

static void test_incident_durations(void **state)
{
	struct incident_durations d;
	struct incident inc;

	(void)state;
	CHECK(incident_get(st, &admin, hids[0], &inc, &e), 0);
	CHECK(metrics_incident_durations(st, inc.id, &d, &e), 0);
	assert_int_equal(d.d[MD_DETECT], 3600);
	assert_int_equal(d.d[MD_TRIAGE], 600);
	assert_int_equal(d.d[MD_CONTAIN], 7200);
	assert_int_equal(d.d[MD_RECOVER], DAY);
	assert_int_equal(d.d[MD_REPORT], 1800);
	incident_release(&inc);
	CHECK(incident_get(st, &admin, hids[3], &inc, &e), 0);
	CHECK(metrics_incident_durations(st, inc.id, &d, &e), 0);
	assert_int_equal(d.d[MD_DETECT], -1);
	assert_int_equal(d.d[MD_CONTAIN], -1);
	incident_release(&inc);
	CHECK(metrics_incident_durations(st, 999999, &d, &e), ERR_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest pure[] = { cmocka_unit_test(test_percentiles) };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_period_exact),
		cmocka_unit_test(test_everything_and_bounds),
		cmocka_unit_test(test_external_sees_its_own),
		cmocka_unit_test(test_incident_durations),
	};
	int rc = cmocka_run_group_tests_name("percentiles", pure, NULL, NULL);

	return rc | cmocka_run_group_tests_name("metrics", tests, group_setup, group_teardown);
}
