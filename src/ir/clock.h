/*
 * clock.h: the regulatory clocks of a personal-data breach (domain.md §4):
 * the APPI 速報 (preliminary, 5 days by default) and 確報 (final, 30 days, 60
 * when the breach was for an unauthorised purpose) once personal data is
 * flagged and any of the four criteria holds, and the GDPR 72 hours. Days
 * are calendar days added in the organisation's zone. The settings live in
 * the database (notify_settings) so that every node agrees.
 */
#ifndef IRDESK_IR_CLOCK_H
#define IRDESK_IR_CLOCK_H

#include <jansson.h>
#include <stdint.h>

struct actor;
struct err;
struct store;
struct tz;

enum clock_kind { CLOCK_APPI_PRELIMINARY, CLOCK_APPI_FINAL, CLOCK_GDPR, CLOCK__COUNT };

enum clock_state {
	CLOCK_RUNNING,
	CLOCK_DUE_SOON,
	CLOCK_OVERDUE,
	CLOCK_SATISFIED,      /* a notification of its kind went out in time */
	CLOCK_SATISFIED_LATE, /* it went out after the due time */
};

#define CLOCK_REMINDERS_MAX 8
#define CLOCK_ZONE_MAX 64

struct clock_config {
	int preliminary_days;        /* APPI 速報: days after discovery (5) */
	int final_days;              /* APPI 確報 (30) */
	int final_days_purpose;      /* APPI 確報 when for an unauthorised purpose (60) */
	int gdpr_hours;              /* GDPR (72) */
	int due_soon_hours;          /* a running clock with this little left is "due soon" (24) */
	int reminder_hours[CLOCK_REMINDERS_MAX]; /* remind when this little is left (24) */
	int nreminders;
	char zone[CLOCK_ZONE_MAX];   /* the organisation's zone for calendar days (Asia/Tokyo) */
};

/* The breach flags of an incident (1 yes, 0 no). */
struct breach {
	int personal_data, sensitive, financial_risk, unauthorised_purpose, over_1000, gdpr;
};

struct clock {
	enum clock_kind kind;
	int64_t due_at;
	int64_t satisfied_at;  /* the notification that satisfied it, or 0 */
	enum clock_state state;
};

/* The API name of a kind ("appi_preliminary") or state ("due_soon"). */
const char *clock_kind_name(enum clock_kind k);
const char *clock_state_name(enum clock_state s);

/* The defaults: 5, 30, 60, 72, 24, reminders at 24 h, Asia/Tokyo. */
void clock_config_default(struct clock_config *cfg);

/*
 * t plus days calendar days in zone tz (NULL: UTC): the same wall-clock
 * time that many days later (2026-02-26 23:30 JST + 5 = 2026-03-03 23:30
 * JST). Returns 0, or ERR_INVALID when the result is out of range.
 */
int clock_add_days(int64_t t, int days, const struct tz *tz, int64_t *out, struct err *e);

/*
 * The clocks that run for breach b of an incident discovered at discovered,
 * into out (at most CLOCK__COUNT), their number in *n. sent[k] is the
 * earliest notification of each notification kind that can satisfy a
 * clock, 0 for none: sent[CLOCK_APPI_PRELIMINARY] (appi_preliminary),
 * sent[CLOCK_APPI_FINAL] (appi_final, which also satisfies the 速報 when it
 * went out in time), sent[CLOCK_GDPR] (gdpr). States are as of now.
 */
int clock_compute(const struct clock_config *cfg, const struct tz *tz, const struct breach *b,
		  int64_t discovered, const int64_t sent[CLOCK__COUNT], int64_t now,
		  struct clock *out, int *n, struct err *e);

/* 1 when the breach flags start any clock. */
int clock_breach_runs(const struct breach *b);

/* Read the settings of st (defaults for keys without a row). */
int clock_config_load(struct store *st, struct clock_config *cfg, struct err *e);
/*
 * Set one setting (admin only), audited. key is preliminary_days,
 * final_days, final_days_purpose, gdpr_hours, due_soon_hours, reminder_hours
 * (hours, comma-separated) or zone; value is checked first.
 */
int clock_config_set(struct store *st, const struct actor *who, const char *key,
		     const char *value, struct err *e);
/* Set n settings together: all are checked first; one bad value changes
 * nothing. One audit row. */
int clock_config_set_many(struct store *st, const struct actor *who, const char *const *keys,
			  const char *const *values, size_t n, struct err *e);
/* The settings as a JSON object (admin only). */
int clock_config_json(struct store *st, const struct actor *who, json_t **out, struct err *e);

/*
 * The clocks of incident hid (ACT_INCIDENT_READ) as a JSON array of objects:
 * clock, due_at, left_seconds, state, satisfied_at.
 */
int clock_incident(struct store *st, const struct actor *who, const char *hid, json_t **out,
		   struct err *e);

/*
 * Every clock of the incidents the actor may see, most urgent first, each
 * with its incident and title; overdue_only keeps the overdue ones,
 * open_only drops satisfied clocks.
 */
int clock_list(struct store *st, const struct actor *who, int overdue_only, int open_only,
	       json_t **out, struct err *e);

/* The number of overdue clocks over the incidents the actor may see (metrics). */
int clock_count_overdue(struct store *st, const struct actor *who, int64_t *n, struct err *e);

#endif
