/*
 * scheduler.h: the background jobs of `irdesk serve`, run by one node at a
 * time: a node runs them only while it holds the lease row in the database
 * (UPDATE ... WHERE expired OR holder = me), so several nodes on one
 * PostgreSQL run each job once. The scheduler's own job: clock reminders, written to
 * the incident's timeline (unique per incident, clock and threshold, so even
 * a race cannot write two) and shown on the dashboard.
 */
#ifndef IRDESK_IR_SCHEDULER_H
#define IRDESK_IR_SCHEDULER_H

#include <jansson.h>
#include <stdint.h>

struct actor;
struct err;
struct scheduler;
struct store;

#define SCHEDULER_HOLDER_MAX 128

struct scheduler_config {
	const char *db_url;  /* the thread opens its own connection */
	int interval;        /* seconds between runs (1 .. 86400) */
};

/*
 * Start the scheduler thread; *out is the caller's (scheduler_stop). Fails
 * when the thread cannot start; a store that is unavailable later is
 * retried at the next run.
 */
int scheduler_start(const struct scheduler_config *cfg, struct scheduler **out, struct err *e);
/* Stop the thread (waits for a run in progress) and free s; NULL is fine. */
void scheduler_stop(struct scheduler *s);

/*
 * One run: take or renew the lease as holder for lease_seconds from now,
 * and when it is held, write the reminders that are due. *held is 1 when
 * this holder had the lease, *written the number of reminders written.
 */
int scheduler_run_once(struct store *st, const char *holder, int64_t now, int lease_seconds,
		       int *held, int *written, struct err *e);

#define SCHEDULER_NAME_MAX 32

/*
 * Another background job (the report mailbox): every interval seconds,
 * while this node holds the lease called name, run(ctx, st, now, e) with
 * the job's own store connection; a failure is logged and retried at the
 * next run. Runs start interval seconds apart (a run that took longer is
 * followed at once), so a run may wait for work itself for up to interval
 * seconds. Stop it with scheduler_stop. ctx is borrowed.
 */
struct scheduler_job {
	const char *name;
	const char *db_url;
	int interval;
	int (*run)(void *ctx, struct store *st, int64_t now, struct err *e);
	void *ctx;
};
int scheduler_job_start(const struct scheduler_job *j, struct scheduler **out, struct err *e);
/*
 * Run s's job again as soon as its run in progress (if any) ends, instead
 * of at the end of the interval; never waits for the run. NULL is fine.
 */
void scheduler_wake(struct scheduler *s);

/*
 * The lease called name (a job: "scheduler", "imap"): take or renew it as
 * holder for seconds from now; *held is 1 when holder has it afterwards.
 * Release hands it back at once (when holder has it).
 */
int scheduler_lease_take(struct store *st, const char *name, const char *holder, int64_t now,
			 int seconds, int *held, struct err *e);
int scheduler_lease_release(struct store *st, const char *name, const char *holder, struct err *e);

/*
 * The newest reminders of the incidents the actor may see, as a JSON array
 * of {incident, title, clock, threshold, due_at, created_at}.
 */
int reminder_list(struct store *st, const struct actor *who, int limit, json_t **out,
		  struct err *e);

#endif
