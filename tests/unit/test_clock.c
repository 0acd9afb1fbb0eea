/*
 * test_clock.c: unit tests for ir/clock (calendar days in Japan's zone
 * across month ends, a leap day and a DST change; which clocks run; how a
 * notification satisfies a clock, in time or late; the states), the
 * settings kept in the store (admin only, checked, audited), and the
 * scheduler's lease and reminders (one per threshold, even when run again or
 * by another holder) on a real store.
 */
#include "unit.h"

#include <jansson.h>
#include <stdatomic.h>
#include <unistd.h>

#include "ir/actor.h"
#include "ir/clock.h"
#include "ir/incident.h"
#include "ir/notify.h"
#include "ir/scheduler.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"

static struct tz *tokyo, *paris;
static struct err e;

static int64_t at(const char *s)
{
	int64_t t = 0;

	if (time_parse(s, NULL, 0, &t, &e) != 0)
		fail_msg("time_parse %s: %s", s, err_msg(&e));
	return t;
}

static void human(int64_t t, const struct tz *tz, char out[TIME_STR_MAX])
{
	time_format_human(t, tz, out);
}

static void add_days_case(const char *from, int days, const struct tz *tz, const char *want)
{
	char got[TIME_STR_MAX];
	int64_t out;

	assert_int_equal(clock_add_days(at(from), days, tz, &out, &e), 0);
	human(out, tz, got);
	if (strcmp(got, want) != 0)
		fail_msg("%s + %d days: got %s, want %s", from, days, got, want);
}

static void test_add_days(void **state)
{
	(void)state;
	/* The example: 5 calendar days in Japan's zone, across February's end. */
	add_days_case("2026-02-26 23:30 JST", 5, tokyo, "2026-03-03 23:30 JST");
	/* A leap year: 2028-02-29 exists. */
	add_days_case("2028-02-26 09:00 JST", 5, tokyo, "2028-03-02 09:00 JST");
	add_days_case("2028-02-28 23:59 JST", 1, tokyo, "2028-02-29 23:59 JST");
	/* Month and year ends. */
	add_days_case("2026-01-31 10:00 JST", 30, tokyo, "2026-03-02 10:00 JST");
	add_days_case("2026-12-30 00:00 JST", 5, tokyo, "2027-01-04 00:00 JST");
	add_days_case("2026-04-30 12:00 JST", 60, tokyo, "2026-06-29 12:00 JST");
	/* The wall clock is kept across a DST change (Paris, 29 March 2026). */
	add_days_case("2026-03-27 10:00 CET", 5, paris, "2026-04-01 10:00 CEST");
	/* A midnight UTC instant is 09:00 in Tokyo: days count in the zone, not UTC. */
	add_days_case("2026-02-26T15:00:00Z", 5, tokyo, "2026-03-04 00:00 JST");
}

static void compute(const struct breach *b, const int64_t sent[CLOCK__COUNT], int64_t now,
		    struct clock *out, int *n)
{
	struct clock_config cfg;

	clock_config_default(&cfg);
	assert_int_equal(clock_compute(&cfg, tokyo, b, at("2026-02-26 23:30 JST"), sent, now, out,
				       n, &e), 0);
}

static void test_which_clocks_run(void **state)
{
	int64_t none[CLOCK__COUNT] = { 0 }, now = at("2026-02-27 09:00 JST");
	struct breach b = { 0 };
	struct clock c[CLOCK__COUNT];
	char got[TIME_STR_MAX];
	int n;

	(void)state;
	compute(&b, none, now, c, &n);
	assert_int_equal(n, 0);
	b.personal_data = 1; /* personal data alone: no criterion, no APPI clock */
	compute(&b, none, now, c, &n);
	assert_int_equal(n, 0);
	assert_false(clock_breach_runs(&b));
	b.sensitive = 1;
	compute(&b, none, now, c, &n);
	assert_int_equal(n, 2);
	assert_int_equal(c[0].kind, CLOCK_APPI_PRELIMINARY);
	human(c[0].due_at, tokyo, got);
	assert_string_equal(got, "2026-03-03 23:30 JST");
	assert_int_equal(c[1].kind, CLOCK_APPI_FINAL);
	human(c[1].due_at, tokyo, got);
	assert_string_equal(got, "2026-03-28 23:30 JST"); /* 30 days */
	b.unauthorised_purpose = 1;
	compute(&b, none, now, c, &n);
	human(c[1].due_at, tokyo, got);
	assert_string_equal(got, "2026-04-27 23:30 JST"); /* 60 days */
	b.gdpr = 1;
	compute(&b, none, now, c, &n);
	assert_int_equal(n, 3);
	assert_int_equal(c[2].kind, CLOCK_GDPR);
	human(c[2].due_at, tokyo, got);
	assert_string_equal(got, "2026-03-01 23:30 JST"); /* 72 hours */
	/* GDPR alone, without the APPI criteria. */
	memset(&b, 0, sizeof(b));
	b.gdpr = 1;
	compute(&b, none, now, c, &n);
	assert_int_equal(n, 1);
	assert_int_equal(c[0].kind, CLOCK_GDPR);
}

static void test_states_and_satisfaction(void **state)
{
	struct breach b = { .personal_data = 1, .over_1000 = 1 };
	int64_t sent[CLOCK__COUNT] = { 0 };
	struct clock c[CLOCK__COUNT];
	int n;

	(void)state;
	compute(&b, sent, at("2026-02-27 09:00 JST"), c, &n);
	assert_int_equal(c[0].state, CLOCK_RUNNING);
	compute(&b, sent, at("2026-03-03 00:00 JST"), c, &n);
	assert_int_equal(c[0].state, CLOCK_DUE_SOON); /* 23.5 hours left */
	compute(&b, sent, at("2026-03-03 23:30 JST"), c, &n);
	assert_int_equal(c[0].state, CLOCK_DUE_SOON); /* the due minute itself is in time */
	compute(&b, sent, at("2026-03-03 23:31 JST"), c, &n);
	assert_int_equal(c[0].state, CLOCK_OVERDUE);
	assert_int_equal(c[1].state, CLOCK_RUNNING);

	/* A 速報 sent in time satisfies it, one sent late too, but late. */
	sent[CLOCK_APPI_PRELIMINARY] = at("2026-03-02 10:00 JST");
	compute(&b, sent, at("2026-03-10 00:00 JST"), c, &n);
	assert_int_equal(c[0].state, CLOCK_SATISFIED);
	assert_int_equal(c[0].satisfied_at, sent[CLOCK_APPI_PRELIMINARY]);
	sent[CLOCK_APPI_PRELIMINARY] = at("2026-03-04 10:00 JST");
	compute(&b, sent, at("2026-03-10 00:00 JST"), c, &n);
	assert_int_equal(c[0].state, CLOCK_SATISFIED_LATE);

	/* A 確報 sent within the 速報's time satisfies both. */
	sent[CLOCK_APPI_PRELIMINARY] = 0;
	sent[CLOCK_APPI_FINAL] = at("2026-03-01 12:00 JST");
	compute(&b, sent, at("2026-03-10 00:00 JST"), c, &n);
	assert_int_equal(c[0].state, CLOCK_SATISFIED);
	assert_int_equal(c[1].state, CLOCK_SATISFIED);
	/* ... but one sent after the 速報 was due does not stand for it. */
	sent[CLOCK_APPI_FINAL] = at("2026-03-05 12:00 JST");
	compute(&b, sent, at("2026-03-10 00:00 JST"), c, &n);
	assert_int_equal(c[0].state, CLOCK_OVERDUE);
	assert_int_equal(c[1].state, CLOCK_SATISFIED);
	/* The GDPR clock is satisfied only by a gdpr notification. */
	b.gdpr = 1;
	compute(&b, sent, at("2026-03-10 00:00 JST"), c, &n);
	assert_int_equal(c[2].state, CLOCK_OVERDUE);
	assert_string_equal(clock_state_name(c[2].state), "overdue");
}

/* Store-backed tests: a fresh store per test with an incident. */
struct fx {
	struct store *st;
	struct actor admin, carol;
	char hid[INCIDENT_HID_MAX];
};

static int64_t count(struct store *st, const char *sql)
{
	struct stmt *s;
	int64_t n;

	assert_int_equal(store_prepare(st, sql, &s, NULL), 0);
	assert_int_equal(stmt_step(s, NULL), 1);
	n = stmt_int(s, 0);
	stmt_done(s);
	return n;
}

static int fx_setup(void **state)
{
	static int n;
	struct fx *f = calloc(1, sizeof(*f));
	struct incident_field fv[] = { { "title", "顧客情報の漏えい" },
				       { "discovered_at", "2026-02-26 23:30 JST" } };
	struct user_new nu = { .username = "carol", .role = ROLE_INCIDENT_HANDLER };
	char name[32], url[700], otp[USER_OTP_LEN + 1];
	struct incident inc;
	struct user u;

	assert_non_null(f);
	snprintf(name, sizeof(name), "c%d", ++n);
	unit_db_url(name, url, sizeof(url));
	if (store_open(url, STORE_CREATE, &f->st, &e) != 0)
		fail_msg("store_open: %s", err_msg(&e));
	actor_local(&f->admin, tokyo);
	f->admin.now = at("2026-02-27 09:00 JST");
	assert_int_equal(user_add(f->st, &f->admin, &nu, otp, &u, &e), 0);
	user_release(&u);
	assert_int_equal(actor_for_user(f->st, "carol", tokyo, &f->carol, &e), 0);
	f->carol.now = f->admin.now;
	if (incident_create(f->st, &f->admin, fv, 2, &inc, &e) != 0)
		fail_msg("incident_create: %s", err_msg(&e));
	snprintf(f->hid, sizeof(f->hid), "%s", inc.hid);
	incident_release(&inc);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	free(f);
	return 0;
}

static void test_settings(void **state)
{
	struct fx *f = *state;
	struct clock_config cfg;
	int64_t audit = count(f->st, "SELECT COUNT(*) FROM audit_log");

	assert_int_equal(clock_config_load(f->st, &cfg, &e), 0);
	assert_int_equal(cfg.preliminary_days, 5);
	assert_string_equal(cfg.zone, "Asia/Tokyo");
	/* Only an administrator changes them; bad values change nothing. */
	assert_int_equal(clock_config_set(f->st, &f->carol, "preliminary_days", "3", &e), ERR_DENIED);
	assert_int_equal(clock_config_set(f->st, &f->admin, "preliminary_days", "0", &e), ERR_INVALID);
	assert_int_equal(clock_config_set(f->st, &f->admin, "zone", "Nowhere/City", &e), ERR_INVALID);
	assert_int_equal(clock_config_set(f->st, &f->admin, "reminder_hours", "72,x", &e), ERR_INVALID);
	assert_int_equal(clock_config_set(f->st, &f->admin, "colour", "red", &e), ERR_INVALID);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM notify_settings"), 0);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log"), audit);
	assert_int_equal(clock_config_set(f->st, &f->admin, "preliminary_days", "3", &e), 0);
	assert_int_equal(clock_config_set(f->st, &f->admin, "reminder_hours", "72,24", &e), 0);
	assert_int_equal(clock_config_load(f->st, &cfg, &e), 0);
	assert_int_equal(cfg.preliminary_days, 3);
	assert_int_equal(cfg.nreminders, 2);
	assert_int_equal(cfg.reminder_hours[0], 72);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log WHERE action = 'notify.config'"), 2);
}

static const char *clock_field(json_t *clocks, int i, const char *key)
{
	return json_str(json_array_get(clocks, (size_t)i), key);
}

static void test_incident_clocks_and_notifications(void **state)
{
	struct fx *f = *state;
	struct breach_update u = BREACH_UPDATE_NONE;
	struct notify_new n = { .recipient = "個人情報保護委員会", .channel = "web_form",
				.kind = "appi_preliminary", .text = "速報を提出しました" };
	json_t *out = NULL, *clocks = NULL;
	int64_t overdue;

	u.personal_data = 1;
	u.over_1000 = 1;
	assert_int_equal(breach_set(f->st, &f->carol, f->hid, &u, &out, &e), 0);
	clocks = json_object_get(out, "clocks");
	assert_int_equal(json_array_size(clocks), 2);
	assert_string_equal(clock_field(clocks, 0, "due_at"), "2026-03-03T14:30:00Z");
	assert_string_equal(clock_field(clocks, 0, "state"), "running");
	json_decref(out);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM timeline WHERE kind = 'decision'"), 1);

	/* Four days later the 速報 is overdue; the count says so. */
	f->carol.now = at("2026-03-04 09:00 JST");
	assert_int_equal(clock_count_overdue(f->st, &f->carol, &overdue, &e), 0);
	assert_int_equal(overdue, 1);
	/* A late 速報 satisfies it, late; a bad kind is refused and writes nothing. */
	n.kind = "appi_prelim";
	assert_int_equal(notify_add(f->st, &f->carol, f->hid, &n, NULL, &e), ERR_INVALID);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM notifications"), 0);
	n.kind = "appi_preliminary";
	assert_int_equal(notify_add(f->st, &f->carol, f->hid, &n, &out, &e), 0);
	assert_string_equal(json_str(out, "recipient"), "個人情報保護委員会");
	json_decref(out);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM timeline WHERE kind = 'communication'"), 1);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log WHERE action = 'notify.add'"), 1);
	assert_int_equal(clock_incident(f->st, &f->carol, f->hid, &clocks, &e), 0);
	assert_string_equal(clock_field(clocks, 0, "state"), "satisfied_late");
	json_decref(clocks);
	assert_int_equal(clock_count_overdue(f->st, &f->carol, &overdue, &e), 0);
	assert_int_equal(overdue, 0);
}

static void test_scheduler_reminds_once(void **state)
{
	struct fx *f = *state;
	struct breach_update u = BREACH_UPDATE_NONE;
	json_t *out = NULL, *list = NULL;
	int held = 0, written = 0;
	int64_t now = at("2026-03-03 06:00 JST"); /* 17.5 hours before the 速報 is due */

	u.personal_data = 1;
	u.sensitive = 1;
	assert_int_equal(breach_set(f->st, &f->admin, f->hid, &u, &out, &e), 0);
	json_decref(out);
	/* Nothing yet while more than 24 hours are left. */
	assert_int_equal(scheduler_run_once(f->st, "node-a", at("2026-03-01 00:00 JST"), 30, &held,
					    &written, &e), 0);
	assert_true(held);
	assert_int_equal(written, 0);
	assert_int_equal(scheduler_run_once(f->st, "node-a", now, 30, &held, &written, &e), 0);
	assert_int_equal(written, 1);
	/* Again, and as another holder while the lease runs: nothing more. */
	assert_int_equal(scheduler_run_once(f->st, "node-a", now + 5, 30, &held, &written, &e), 0);
	assert_int_equal(written, 0);
	assert_int_equal(scheduler_run_once(f->st, "node-b", now + 6, 30, &held, &written, &e), 0);
	assert_false(held);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM clock_reminders"), 1);
	/* Once the lease has run out another node takes over; overdue is a new threshold. */
	assert_int_equal(scheduler_run_once(f->st, "node-b", at("2026-03-04 00:00 JST"), 30, &held,
					    &written, &e), 0);
	assert_true(held);
	assert_int_equal(written, 1);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM clock_reminders WHERE threshold = 'overdue'"), 1);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM timeline WHERE author = 'system' "
				      "AND text LIKE '%Reminder%'"), 2);
	f->admin.now = at("2026-03-04 00:00 JST");
	assert_int_equal(reminder_list(f->st, &f->admin, 10, &list, &e), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_str(json_array_get(list, 0), "threshold"), "overdue");
	json_decref(list);
}

/* A job that counts its runs. */
static int count_run(void *ctx, struct store *st, int64_t now, struct err *err)
{
	(void)st;
	(void)now;
	(void)err;
	atomic_fetch_add((atomic_int *)ctx, 1);
	return 0;
}

/* Wait up to 10 s for the job's count to reach n. */
static int runs_reach(atomic_int *runs, int n)
{
	for (int i = 0; i < 1000 && atomic_load(runs) < n; i++)
		usleep(10000);
	return atomic_load(runs) >= n;
}

/* A woken job runs at once instead of at the end of its interval (a day here). */
static void test_scheduler_wake(void **state)
{
	atomic_int runs = 0;
	struct scheduler_job j = { "waketest", NULL, 86400, count_run, &runs };
	struct scheduler *sc = NULL;
	struct store *st = NULL;
	char url[700];

	(void)state;
	unit_db_url("wake", url, sizeof(url));
	if (store_open(url, STORE_CREATE, &st, &e) != 0)
		fail_msg("store_open: %s", err_msg(&e));
	j.db_url = url;
	assert_int_equal(scheduler_job_start(&j, &sc, &e), 0);
	assert_true(runs_reach(&runs, 1)); /* the first run, at start */
	usleep(200000);
	assert_int_equal(atomic_load(&runs), 1);
	scheduler_wake(sc);
	assert_true(runs_reach(&runs, 2));
	scheduler_wake(sc);
	assert_true(runs_reach(&runs, 3));
	scheduler_stop(sc);
	scheduler_wake(NULL);
	store_close(st);
}

static int group_setup(void **state)
{
	(void)state;
	err_clear(&e);
	if (tz_load("Asia/Tokyo", &tokyo, &e) || tz_load("Europe/Paris", &paris, &e))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tz_free(tokyo);
	tz_free(paris);
	unit_rmtmp();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_days),
		cmocka_unit_test(test_which_clocks_run),
		cmocka_unit_test(test_states_and_satisfaction),
		cmocka_unit_test_setup_teardown(test_settings, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_incident_clocks_and_notifications, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_scheduler_reminds_once, fx_setup, fx_teardown),
		cmocka_unit_test(test_scheduler_wake),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
