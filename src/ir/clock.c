/*
 * clock.c: regulatory clock arithmetic (calendar days in a zone), the
 * states of each clock, the settings table, and the clocks of incidents.
 */
#include "ir/clock.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/incident.h"
#include "ir/role.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[CLOCK__COUNT] = { "appi_preliminary", "appi_final", "gdpr" };
static const char *const state_names[] = { "running", "due_soon", "overdue", "satisfied",
					   "satisfied_late" };

const char *clock_kind_name(enum clock_kind k)
{
	return (unsigned)k < CLOCK__COUNT ? kind_names[k] : "";
}

const char *clock_state_name(enum clock_state s)
{
	return (unsigned)s <= CLOCK_SATISFIED_LATE ? state_names[s] : "";
}

void clock_config_default(struct clock_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->preliminary_days = 5;
	cfg->final_days = 30;
	cfg->final_days_purpose = 60;
	cfg->gdpr_hours = 72;
	cfg->due_soon_hours = 24;
	cfg->reminder_hours[0] = 24;
	cfg->nreminders = 1;
	snprintf(cfg->zone, sizeof(cfg->zone), "Asia/Tokyo");
}

int clock_add_days(int64_t t, int days, const struct tz *tz, int64_t *out, struct err *e)
{
	int64_t local, guess;

	/* Add to the wall-clock time, then find the offset in force there
	 * (twice, so that a DST change between the two instants is followed). */
	local = t + tz_offset(tz, t, NULL) + (int64_t)days * 86400;
	guess = local - tz_offset(tz, local - tz_offset(tz, t, NULL), NULL);
	*out = local - tz_offset(tz, guess, NULL);
	if (*out < TIME_PARSE_MIN || *out > TIME_PARSE_MAX)
		return err_set(e, ERR_INVALID, "due time out of range");
	return 0;
}

int clock_breach_runs(const struct breach *b)
{
	return (b->personal_data && (b->sensitive || b->financial_risk ||
				     b->unauthorised_purpose || b->over_1000)) || b->gdpr;
}

static void clock_state(struct clock *c, int64_t now, int due_soon)
{
	if (c->satisfied_at)
		c->state = c->satisfied_at <= c->due_at ? CLOCK_SATISFIED : CLOCK_SATISFIED_LATE;
	else if (now > c->due_at)
		c->state = CLOCK_OVERDUE;
	else if (c->due_at - now <= (int64_t)due_soon * 3600)
		c->state = CLOCK_DUE_SOON;
	else
		c->state = CLOCK_RUNNING;
}

int clock_compute(const struct clock_config *cfg, const struct tz *tz, const struct breach *b,
		  int64_t discovered, const int64_t sent[CLOCK__COUNT], int64_t now,
		  struct clock *out, int *n, struct err *e)
{
	int rc;

	*n = 0;
	if (b->personal_data && (b->sensitive || b->financial_risk || b->unauthorised_purpose ||
				 b->over_1000)) {
		struct clock *p = &out[(*n)++], *f = &out[(*n)++];
		p->kind = CLOCK_APPI_PRELIMINARY;
		if ((rc = clock_add_days(discovered, cfg->preliminary_days, tz, &p->due_at, e)))
			return rc;
		p->satisfied_at = sent[CLOCK_APPI_PRELIMINARY];
		/* The final report sent in time also stands for the preliminary one. */
		if (sent[CLOCK_APPI_FINAL] && sent[CLOCK_APPI_FINAL] <= p->due_at &&
		    (!p->satisfied_at || sent[CLOCK_APPI_FINAL] < p->satisfied_at))
			p->satisfied_at = sent[CLOCK_APPI_FINAL];
		f->kind = CLOCK_APPI_FINAL;
		rc = clock_add_days(discovered, b->unauthorised_purpose ? cfg->final_days_purpose
								       : cfg->final_days,
				    tz, &f->due_at, e);
		if (rc)
			return rc;
		f->satisfied_at = sent[CLOCK_APPI_FINAL];
	}
	if (b->gdpr) {
		struct clock *g = &out[(*n)++];
		g->kind = CLOCK_GDPR;
		g->due_at = discovered + (int64_t)cfg->gdpr_hours * 3600;
		g->satisfied_at = sent[CLOCK_GDPR];
	}
	for (int i = 0; i < *n; i++)
		clock_state(&out[i], now, cfg->due_soon_hours);
	return 0;
}

/* The settings: one row per key, validated by its kind. */
enum { SET_INT, SET_HOURS_LIST, SET_ZONE };
static const struct setting {
	const char *key;
	int kind;
	int lo, hi;
	size_t off; /* of the int field for SET_INT */
} settings[] = {
	{ "preliminary_days", SET_INT, 1, 365, offsetof(struct clock_config, preliminary_days) },
	{ "final_days", SET_INT, 1, 365, offsetof(struct clock_config, final_days) },
	{ "final_days_purpose", SET_INT, 1, 365, offsetof(struct clock_config, final_days_purpose) },
	{ "gdpr_hours", SET_INT, 1, 8760, offsetof(struct clock_config, gdpr_hours) },
	{ "due_soon_hours", SET_INT, 0, 8760, offsetof(struct clock_config, due_soon_hours) },
	{ "reminder_hours", SET_HOURS_LIST, 1, 8760, 0 },
	{ "zone", SET_ZONE, 0, 0, 0 },
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static const struct setting *setting_find(const char *key, struct err *e)
{
	for (size_t i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].key, key) == 0)
			return &settings[i];
	err_set(e, ERR_INVALID, "unknown setting '%.64s' (one of: preliminary_days, final_days, "
		"final_days_purpose, gdpr_hours, due_soon_hours, reminder_hours, zone)", key);
	return NULL;
}

static int parse_int(const char *key, const char *v, int lo, int hi, int *out, struct err *e)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (!*v || *end || n < lo || n > hi)
		return err_set(e, ERR_INVALID, "%s: expected a number from %d to %d, not '%.40s'", key,
			       lo, hi, v);
	*out = (int)n;
	return 0;
}

/* Apply value to cfg after checking it. */
static int setting_apply(const struct setting *s, const char *value, struct clock_config *cfg,
			 struct err *e)
{
	if (s->kind == SET_INT)
		return parse_int(s->key, value, s->lo, s->hi, (int *)((char *)cfg + s->off), e);
	if (s->kind == SET_ZONE) {
		struct tz *tz = NULL;
		int rc = tz_load(value, &tz, e);
		tz_free(tz);
		if (rc && e) {
			/* A zone that does not exist is a bad value, not a missing object. */
			err_prefix(e, "zone");
			e->code = ERR_INVALID;
		}
		if (rc)
			return ERR_INVALID;
		snprintf(cfg->zone, sizeof(cfg->zone), "%s", value);
		return 0;
	}
	{
		char tmp[128], *p, *save = NULL;
		int n = 0, rc;
		if (strlen(value) >= sizeof(tmp) || !*value)
			return err_set(e, ERR_INVALID, "reminder_hours: expected hours such as 72,24");
		snprintf(tmp, sizeof(tmp), "%s", value);
		for (p = strtok_r(tmp, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
			if (n == CLOCK_REMINDERS_MAX)
				return err_set(e, ERR_INVALID, "reminder_hours: at most %d thresholds",
					       CLOCK_REMINDERS_MAX);
			rc = parse_int("reminder_hours", p, s->lo, s->hi, &cfg->reminder_hours[n], e);
			if (rc)
				return rc;
			n++;
		}
		cfg->nreminders = n;
		return 0;
	}
}

int clock_config_load(struct store *st, struct clock_config *cfg, struct err *e)
{
	struct stmt *s;
	int rc;

	clock_config_default(cfg);
	rc = store_prepare(st, "SELECT key, value FROM notify_settings", &s, e);
	if (rc)
		return rc;
	while ((rc = stmt_step(s, e)) == 1) {
		const struct setting *set = setting_find(stmt_text(s, 0), NULL);
		/* A value the binary cannot read keeps the default. */
		if (set)
			setting_apply(set, stmt_text(s, 1), cfg, NULL);
	}
	stmt_done(s);
	return rc < 0 ? rc : 0;
}

static json_t *config_to_json(const struct clock_config *cfg)
{
	json_t *o = json_object(), *r = json_array();

	json_set_int(o, "preliminary_days", cfg->preliminary_days);
	json_set_int(o, "final_days", cfg->final_days);
	json_set_int(o, "final_days_purpose", cfg->final_days_purpose);
	json_set_int(o, "gdpr_hours", cfg->gdpr_hours);
	json_set_int(o, "due_soon_hours", cfg->due_soon_hours);
	for (int i = 0; i < cfg->nreminders; i++)
		json_array_append_new(r, json_integer(cfg->reminder_hours[i]));
	json_object_set_new(o, "reminder_hours", r);
	json_set_str(o, "zone", cfg->zone);
	return o;
}

static int admin_only(const struct actor *who, struct err *e)
{
	if (!role_may(who->role, ACT_SETTINGS) || who->external)
		return err_set(e, ERR_DENIED, "only an administrator may change notification settings");
	return 0;
}

int clock_config_json(struct store *st, const struct actor *who, json_t **out, struct err *e)
{
	struct clock_config cfg;
	int rc = authz_check(who, ACT_INCIDENT_READ, e);

	*out = NULL;
	if (!rc)
		rc = clock_config_load(st, &cfg, e);
	if (!rc)
		*out = config_to_json(&cfg);
	return rc;
}

static int setting_write(struct store *st, const struct actor *who, const char *key,
			 const char *value, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "INSERT INTO notify_settings (key, value, updated_at) "
				   "VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
				   "value = excluded.value, updated_at = excluded.updated_at", &s, e);

	if (rc)
		return rc;
	stmt_bind_text(s, 1, key);
	stmt_bind_text(s, 2, value);
	stmt_bind_int(s, 3, who->now);
	return stmt_exec(s, e);
}

int clock_config_set_many(struct store *st, const struct actor *who, const char *const *keys,
			  const char *const *values, size_t n, struct err *e)
{
	struct clock_config before, after;
	json_t *jb = NULL, *ja = NULL;
	int rc;

	if ((rc = admin_only(who, e)))
		return rc;
	if ((rc = clock_config_load(st, &before, e)))
		return rc;
	after = before;
	/* Every value is checked before anything is written. */
	for (size_t i = 0; !rc && i < n; i++) {
		const struct setting *set = setting_find(keys[i], e);
		rc = set ? setting_apply(set, values[i], &after, e) : ERR_INVALID;
	}
	if (rc || (rc = store_begin(st, e)))
		return rc;
	for (size_t i = 0; !rc && i < n; i++)
		rc = setting_write(st, who, keys[i], values[i], e);
	jb = config_to_json(&before);
	ja = config_to_json(&after);
	if (!rc)
		rc = audit_append(st, who, "notify.config", "settings", "notify", jb, ja, e);
	if (!rc)
		rc = store_commit(st, e);
	if (rc)
		store_rollback(st);
	json_decref(jb);
	json_decref(ja);
	return rc;
}

int clock_config_set(struct store *st, const struct actor *who, const char *key,
		     const char *value, struct err *e)
{
	return clock_config_set_many(st, who, &key, &value, 1, e);
}

/* Columns of a breach row with its incident and the earliest notifications. */
#define CLOCK_SELECT                                                                          \
	"SELECT i.id, i.hid, i.title, COALESCE(i.discovered_at, i.created_at), "              \
	"b.personal_data, b.sensitive, b.financial_risk, b.unauthorised_purpose, "            \
	"b.over_1000, b.gdpr, "                                                               \
	"(SELECT MIN(n.sent_at) FROM notifications n WHERE n.incident_id = i.id "             \
	" AND n.kind = 'appi_preliminary'), "                                                 \
	"(SELECT MIN(n.sent_at) FROM notifications n WHERE n.incident_id = i.id "             \
	" AND n.kind = 'appi_final'), "                                                       \
	"(SELECT MIN(n.sent_at) FROM notifications n WHERE n.incident_id = i.id "             \
	" AND n.kind = 'gdpr') "                                                              \
	"FROM incident_breach b JOIN incidents i ON i.id = b.incident_id "

struct clock_ctx {
	struct clock_config cfg;
	struct tz *tz;
	int64_t now;
};

static int ctx_open(struct store *st, int64_t now, struct clock_ctx *c, struct err *e)
{
	int rc;

	c->tz = NULL;
	c->now = now;
	rc = clock_config_load(st, &c->cfg, e);
	if (!rc && tz_load(c->cfg.zone, &c->tz, NULL) != 0)
		rc = tz_load("UTC", &c->tz, e);
	return rc;
}

/* Append the clocks of the row s is on to arr. */
static int row_clocks(struct clock_ctx *c, struct stmt *s, int with_incident, int overdue_only,
		      int open_only, json_t *arr, struct err *e)
{
	struct breach b = { (int)stmt_int(s, 4), (int)stmt_int(s, 5), (int)stmt_int(s, 6),
			    (int)stmt_int(s, 7), (int)stmt_int(s, 8), (int)stmt_int(s, 9) };
	int64_t sent[CLOCK__COUNT] = { stmt_int(s, 10), stmt_int(s, 11), stmt_int(s, 12) };
	struct clock cl[CLOCK__COUNT];
	int n, rc;

	rc = clock_compute(&c->cfg, c->tz, &b, stmt_int(s, 3), sent, c->now, cl, &n, e);
	if (rc)
		return rc;
	for (int i = 0; i < n; i++) {
		json_t *o;
		if (overdue_only && cl[i].state != CLOCK_OVERDUE)
			continue;
		if (open_only && cl[i].satisfied_at)
			continue;
		o = json_object();
		if (with_incident) {
			json_set_str(o, "incident", stmt_text(s, 1));
			json_set_str(o, "title", stmt_text(s, 2));
		}
		json_set_str(o, "clock", clock_kind_name(cl[i].kind));
		json_set_time(o, "started_at", stmt_int(s, 3));
		json_set_time(o, "due_at", cl[i].due_at);
		json_set_int(o, "left_seconds", cl[i].due_at - c->now);
		json_set_str(o, "state", clock_state_name(cl[i].state));
		json_set_time(o, "satisfied_at", cl[i].satisfied_at);
		json_array_append_new(arr, o);
	}
	return 0;
}

int clock_incident(struct store *st, const struct actor *who, const char *hid, json_t **out,
		   struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct clock_ctx c;
	struct stmt *s;
	int64_t id;
	int rc;

	*out = NULL;
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_READ, &id, canon, e);
	if (rc)
		return rc;
	if ((rc = ctx_open(st, who->now, &c, e)))
		return rc;
	rc = store_prepare(st, CLOCK_SELECT "WHERE b.incident_id = ?", &s, e);
	if (rc)
		goto out;
	stmt_bind_int(s, 1, id);
	*out = json_array();
	rc = stmt_step(s, e);
	if (rc == 1)
		rc = row_clocks(&c, s, 0, 0, 0, *out, e);
	stmt_done(s);
out:
	tz_free(c.tz);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

static int by_urgency(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t lx = json_integer_value(json_object_get(x, "left_seconds"));
	json_int_t ly = json_integer_value(json_object_get(y, "left_seconds"));

	return lx < ly ? -1 : lx > ly;
}

static void sort_array(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v;

	if (n < 2 || !(v = malloc(n * sizeof(*v))))
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), by_urgency);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

int clock_list(struct store *st, const struct actor *who, int overdue_only, int open_only,
	       json_t **out, struct err *e)
{
	struct clock_ctx c;
	struct stmt *s;
	int rc;

	*out = NULL;
	if ((rc = authz_check(who, ACT_INCIDENT_READ, e)))
		return rc;
	if ((rc = ctx_open(st, who->now, &c, e)))
		return rc;
	rc = store_prepare(st, who->external
			       ? CLOCK_SELECT "WHERE (b.personal_data = 1 OR b.gdpr = 1) AND i.id IN "
					      "(SELECT incident_id FROM incident_members WHERE user_id = ?) "
					      "ORDER BY i.id"
			       : CLOCK_SELECT "WHERE (b.personal_data = 1 OR b.gdpr = 1) ORDER BY i.id",
			   &s, e);
	if (rc)
		goto out;
	if (who->external)
		stmt_bind_int(s, 1, who->user_id);
	*out = json_array();
	while ((rc = stmt_step(s, e)) == 1)
		if ((rc = row_clocks(&c, s, 1, overdue_only, open_only, *out, e)))
			break;
	stmt_done(s);
	sort_array(*out);
out:
	tz_free(c.tz);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

int clock_count_overdue(struct store *st, const struct actor *who, int64_t *n, struct err *e)
{
	json_t *arr;
	int rc = clock_list(st, who, 1, 0, &arr, e);

	*n = rc ? 0 : (int64_t)json_array_size(arr);
	json_decref(arr);
	return rc;
}
