/*
 * scheduler.c: the lease, the clock-reminder job and the thread that runs
 * them every interval inside `irdesk serve`.
 */
#include "ir/scheduler.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/clock.h"
#include "ir/incident.h"
#include "ir/timeline.h"
#include "ir/vocab.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/time.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct scheduler {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	int wake;      /* scheduler_wake: run again without waiting out the interval */
	int interval;
	char *db_url;
	char holder[SCHEDULER_HOLDER_MAX];
	char name[SCHEDULER_NAME_MAX];
	int (*job)(void *ctx, struct store *st, int64_t now, struct err *e);
	void *ctx;
};

int scheduler_lease_take(struct store *st, const char *name, const char *holder, int64_t now,
			 int seconds, int *held, struct err *e)
{
	struct stmt *s;
	int rc;

	*held = 0;
	if ((rc = store_begin(st, e)))
		return rc;
	rc = store_prepare(st, "INSERT INTO scheduler_leases (name, holder, expires_at) "
			       "VALUES (?, '', 0) ON CONFLICT (name) DO NOTHING", &s, e);
	if (!rc) {
		stmt_bind_text(s, 1, name);
		rc = stmt_exec(s, e);
	}
	if (!rc)
		rc = store_prepare(st, "UPDATE scheduler_leases SET holder = ?, expires_at = ? "
				       "WHERE name = ? AND (expires_at < ? OR holder = ?) "
				       "RETURNING holder", &s, e);
	if (!rc) {
		stmt_bind_text(s, 1, holder);
		stmt_bind_int(s, 2, now + seconds);
		stmt_bind_text(s, 3, name);
		stmt_bind_int(s, 4, now);
		stmt_bind_text(s, 5, holder);
		rc = stmt_step(s, e);
		*held = rc == 1;
		stmt_done(s);
		rc = rc < 0 ? rc : 0;
	}
	if (!rc)
		rc = store_commit(st, e);
	if (rc) {
		store_rollback(st);
		*held = 0;
	}
	return rc;
}

int scheduler_lease_release(struct store *st, const char *name, const char *holder, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "UPDATE scheduler_leases SET expires_at = 0 "
				   "WHERE name = ? AND holder = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_text(s, 1, name);
	stmt_bind_text(s, 2, holder);
	return stmt_exec(s, e);
}

static const char *clock_label(const char *clock)
{
	if (strcmp(clock, "appi_preliminary") == 0)
		return "個人情報保護委員会への速報 / APPI preliminary report";
	if (strcmp(clock, "appi_final") == 0)
		return "個人情報保護委員会への確報 / APPI final report";
	return "GDPR 72時間 / GDPR 72-hour notification";
}

/* The threshold a clock with left seconds has reached ("24h", "overdue"), or NULL. */
static const char *threshold_of(const struct clock_config *cfg, int64_t left, char *buf, size_t n)
{
	int best = -1;

	if (left < 0)
		return "overdue";
	for (int i = 0; i < cfg->nreminders; i++)
		if (left <= (int64_t)cfg->reminder_hours[i] * 3600 &&
		    (best < 0 || cfg->reminder_hours[i] < best))
			best = cfg->reminder_hours[i];
	if (best < 0)
		return NULL;
	snprintf(buf, n, "%dh", best);
	return buf;
}

/* Write one reminder unless it is there already; *written is 1 when written. */
static int remind(struct store *st, const struct actor *sys, const struct tz *tz, json_t *c,
		  const char *threshold, int *written, struct err *e)
{
	char canon[INCIDENT_HID_MAX], due[TIME_STR_MAX], left[TIME_STR_MAX];
	int64_t incident_id, due_at = 0;
	struct buf text = BUF_INIT;
	struct stmt *s;
	json_t *after;
	int rc;

	*written = 0;
	rc = incident_resolve(st, sys, json_str(c, "incident"), ACT_INCIDENT_READ, &incident_id,
			      canon, e);
	if (rc)
		return rc;
	time_parse(json_str(c, "due_at"), NULL, 0, &due_at, NULL);
	if ((rc = store_begin(st, e)))
		return rc;
	rc = store_prepare(st, "INSERT INTO clock_reminders (incident_id, clock, threshold, due_at, "
			       "created_at) VALUES (?, ?, ?, ?, ?) "
			       "ON CONFLICT (incident_id, clock, threshold) DO NOTHING RETURNING id", &s, e);
	if (rc)
		goto out;
	stmt_bind_int(s, 1, incident_id);
	stmt_bind_text(s, 2, json_str(c, "clock"));
	stmt_bind_text(s, 3, threshold);
	stmt_bind_int(s, 4, due_at);
	stmt_bind_int(s, 5, sys->now);
	rc = stmt_step(s, e);
	stmt_done(s);
	if (rc <= 0)
		goto out; /* another run wrote it first */
	*written = 1;
	time_format_human(due_at, tz, due);
	time_format_duration(due_at - sys->now, left);
	buf_addf(&text, "リマインダー / Reminder: %s, 期限 / due %s (%s)", clock_label(json_str(c, "clock")),
		 due, strcmp(threshold, "overdue") == 0 ? "期限超過 / overdue" : left);
	rc = timeline_append(st, sys, incident_id, TLK_OBSERVATION, sys->now, text.data, NULL, e);
	after = json_pack("{s:s,s:s,s:s}", "clock", json_str(c, "clock"), "threshold", threshold,
			  "due_at", json_str(c, "due_at"));
	if (!rc)
		rc = audit_append(st, sys, "clock.remind", "incident", canon, NULL, after, e);
	json_decref(after);
out:
	if (!rc)
		rc = store_commit(st, e);
	if (rc) {
		store_rollback(st);
		*written = 0;
	}
	buf_release(&text);
	return rc;
}

static int reminders_job(struct store *st, int64_t now, int *written, struct err *e)
{
	struct clock_config cfg;
	struct actor sys;
	struct tz *tz = NULL;
	json_t *clocks = NULL, *c;
	size_t i;
	int rc;

	*written = 0;
	if ((rc = clock_config_load(st, &cfg, e)))
		return rc;
	if (tz_load(cfg.zone, &tz, NULL) != 0 && (rc = tz_load("UTC", &tz, e)))
		return rc;
	actor_system(&sys, tz);
	sys.now = now;
	rc = clock_list(st, &sys, 0, 1, &clocks, e);
	json_array_foreach(clocks, i, c) {
		char buf[32];
		const char *th = threshold_of(&cfg, json_integer_value(json_object_get(c, "left_seconds")),
					      buf, sizeof(buf));
		int one = 0;
		if (!th)
			continue;
		if ((rc = remind(st, &sys, tz, c, th, &one, e)))
			break;
		*written += one;
	}
	json_decref(clocks);
	tz_free(tz);
	return rc;
}

int scheduler_run_once(struct store *st, const char *holder, int64_t now, int lease_seconds,
		       int *held, int *written, struct err *e)
{
	int rc = scheduler_lease_take(st, "scheduler", holder, now, lease_seconds, held, e);

	*written = 0;
	if (rc || !*held)
		return rc;
	return reminders_job(st, now, written, e);
}

int reminder_list(struct store *st, const struct actor *who, int limit, json_t **out,
		  struct err *e)
{
	struct stmt *s;
	int rc;

	*out = NULL;
	if ((rc = authz_check(who, ACT_INCIDENT_READ, e)))
		return rc;
	rc = store_prepare(st, who->external
			       ? "SELECT i.hid, i.title, r.clock, r.threshold, r.due_at, r.created_at "
				 "FROM clock_reminders r JOIN incidents i ON i.id = r.incident_id "
				 "WHERE r.incident_id IN (SELECT incident_id FROM incident_members "
				 "WHERE user_id = ?) ORDER BY r.created_at DESC, r.id DESC LIMIT ?"
			       : "SELECT i.hid, i.title, r.clock, r.threshold, r.due_at, r.created_at "
				 "FROM clock_reminders r JOIN incidents i ON i.id = r.incident_id "
				 "WHERE ? = ? ORDER BY r.created_at DESC, r.id DESC LIMIT ?", &s, e);
	if (rc)
		return rc;
	if (who->external) {
		stmt_bind_int(s, 1, who->user_id);
		stmt_bind_int(s, 2, limit);
	} else {
		stmt_bind_int(s, 1, 0);
		stmt_bind_int(s, 2, 0);
		stmt_bind_int(s, 3, limit);
	}
	*out = json_array();
	while ((rc = stmt_step(s, e)) == 1) {
		json_t *o = json_object();
		json_set_str(o, "incident", stmt_text(s, 0));
		json_set_str(o, "title", stmt_text(s, 1));
		json_set_str(o, "clock", stmt_text(s, 2));
		json_set_str(o, "threshold", stmt_text(s, 3));
		json_set_time(o, "due_at", stmt_int(s, 4));
		json_set_time(o, "created_at", stmt_int(s, 5));
		json_array_append_new(*out, o);
	}
	stmt_done(s);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

static void *run(void *arg)
{
	struct scheduler *sc = arg;
	struct store *st = NULL;
	struct err e;
	int lease = sc->interval * 3 < 10 ? 10 : sc->interval * 3;

	pthread_mutex_lock(&sc->mu);
	while (!sc->stop) {
		int held = 0;
		int64_t now = time_now();
		struct timespec until;

		/* The next run starts interval seconds after this one started: a run
		 * that waits for work itself (IMAP IDLE) is followed at once. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += sc->interval;
		pthread_mutex_unlock(&sc->mu);
		err_clear(&e);
		if (!st && store_open(sc->db_url, 0, &st, &e) != 0)
			log_warn("%s: %s", sc->name, err_msg(&e));
		else if (scheduler_lease_take(st, sc->name, sc->holder, now, lease, &held, &e) ||
			 (held && sc->job(sc->ctx, st, now, &e)))
			log_warn("%s: %s", sc->name, err_msg(&e));
		pthread_mutex_lock(&sc->mu);
		while (!sc->stop && !sc->wake &&
		       pthread_cond_timedwait(&sc->cv, &sc->mu, &until) != ETIMEDOUT)
			;
		sc->wake = 0;
	}
	pthread_mutex_unlock(&sc->mu);
	/* Hand the lease back so that another node takes over at once. */
	if (st && scheduler_lease_release(st, sc->name, sc->holder, &e))
		log_warn("%s: %s", sc->name, err_msg(&e));
	store_close(st);
	return NULL;
}

int scheduler_job_start(const struct scheduler_job *j, struct scheduler **out, struct err *e)
{
	struct scheduler *sc;
	char host[64] = "";

	*out = NULL;
	if (j->interval < 1 || j->interval > 86400)
		return err_set(e, ERR_INVALID, "%s interval: expected 1 to 86400 seconds", j->name);
	if (!(sc = calloc(1, sizeof(*sc))) || !(sc->db_url = strdup(j->db_url))) {
		free(sc);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(sc->holder, sizeof(sc->holder), "%s:%ld:%lld", host, (long)getpid(),
		 (long long)time_now());
	snprintf(sc->name, sizeof(sc->name), "%s", j->name);
	sc->interval = j->interval;
	sc->job = j->run;
	sc->ctx = j->ctx;
	pthread_mutex_init(&sc->mu, NULL);
	pthread_cond_init(&sc->cv, NULL);
	if (pthread_create(&sc->thread, NULL, run, sc) != 0) {
		pthread_mutex_destroy(&sc->mu);
		pthread_cond_destroy(&sc->cv);
		free(sc->db_url);
		free(sc);
		return err_set(e, ERR_INTERNAL, "cannot start the %s thread", j->name);
	}
	*out = sc;
	return 0;
}

/* The clock-reminder job, under the lease "scheduler". */
static int reminders_tick(void *ctx, struct store *st, int64_t now, struct err *e)
{
	int written = 0, rc = reminders_job(st, now, &written, e);

	(void)ctx;
	if (!rc && written)
		log_info("scheduler: %d clock reminder%s written", written, written == 1 ? "" : "s");
	return rc;
}

int scheduler_start(const struct scheduler_config *cfg, struct scheduler **out, struct err *e)
{
	struct scheduler_job j = { "scheduler", cfg->db_url, cfg->interval, reminders_tick, NULL };

	return scheduler_job_start(&j, out, e);
}

void scheduler_wake(struct scheduler *sc)
{
	if (!sc)
		return;
	pthread_mutex_lock(&sc->mu);
	sc->wake = 1;
	pthread_cond_signal(&sc->cv);
	pthread_mutex_unlock(&sc->mu);
}

void scheduler_stop(struct scheduler *sc)
{
	if (!sc)
		return;
	pthread_mutex_lock(&sc->mu);
	sc->stop = 1;
	pthread_cond_signal(&sc->cv);
	pthread_mutex_unlock(&sc->mu);
	pthread_join(sc->thread, NULL);
	pthread_mutex_destroy(&sc->mu);
	pthread_cond_destroy(&sc->cv);
	free(sc->db_url);
	free(sc);
}
