/*
 * alert.c: recording detections as alerts (suppression, deduplication,
 * the kill-chain phase of the tags), listing and triaging them, the
 * suppressions, and the kill-chain marks of incidents. See alert.h.
 */
#include "ir/alert.h"
#include "ir/actor.h"
#include "ir/alertobs.h"
#include "ir/audit.h"
#include "ir/incident.h"
#include "ir/mailalert.h"
#include "ir/timeline.h"
#include "ir/vocab.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Kill-chain phases */

struct phase_info {
	const char *name, *ja, *en;
};

static const struct phase_info phases[] = {
#define X(N, n, ja, en) { #n, ja, en },
	KILLCHAIN_PHASES(X)
#undef X
};

const char *killchain_phase_name(int p)
{
	return p >= 0 && p < KC__COUNT ? phases[p].name : "";
}

const char *killchain_phase_label(int p, const char *lang)
{
	if (p < 0 || p >= KC__COUNT)
		return "";
	return lang && strcmp(lang, "ja") == 0 ? phases[p].ja : phases[p].en;
}

int killchain_phase_parse(const char *s, int *out, struct err *e)
{
	struct buf list = BUF_INIT;
	int rc;

	for (int i = 0; s && i < KC__COUNT; i++) {
		if (strcasecmp(s, phases[i].name) == 0) {
			*out = i;
			return 0;
		}
	}
	for (int i = 0; i < KC__COUNT; i++)
		buf_addf(&list, "%s%s", i ? ", " : "", phases[i].name);
	rc = err_set(e, ERR_INVALID, "unknown kill-chain phase '%.64s' (one of: %s)", s ? s : "",
		     list.data);
	buf_release(&list);
	return rc;
}

/*
 * ATT&CK tactics (domain.md §5), in the v2 spelling; the v1 spelling has
 * '_' for '-' and is compared as if it were v2.
 */
static const struct {
	const char *tactic;
	int phase;
} tactics[] = {
	{ "reconnaissance", KC_RECON },
	{ "resource-development", KC_RECON },
	{ "initial-access", KC_DELIVERY },
	{ "execution", KC_EXPLOIT },
	{ "persistence", KC_INSTALL },
	{ "privilege-escalation", KC_INSTALL },
	{ "defense-evasion", KC_INSTALL },
	{ "command-and-control", KC_C2 },
	{ "credential-access", KC_LATERAL },
	{ "discovery", KC_LATERAL },
	{ "lateral-movement", KC_LATERAL },
	{ "collection", KC_OBJECTIVES },
	{ "exfiltration", KC_OBJECTIVES },
	{ "impact", KC_OBJECTIVES },
};

int killchain_tag_phase(const char *tag)
{
	char t[64];
	size_t n;

	if (!tag || strncasecmp(tag, "attack.", 7) != 0)
		return -1;
	tag += 7;
	n = strlen(tag);
	if (n == 0 || n >= sizeof(t))
		return -1;
	for (size_t i = 0; i <= n; i++)
		t[i] = tag[i] == '_' ? '-' : tag[i];
	for (size_t i = 0; i < sizeof(tactics) / sizeof(tactics[0]); i++)
		if (strcasecmp(t, tactics[i].tactic) == 0)
			return tactics[i].phase;
	return -1;
}

int killchain_tags_phase(const char *const *tags)
{
	int best = -1;

	for (; tags && *tags; tags++) {
		int p = killchain_tag_phase(*tags);
		if (p > best)
			best = p;
	}
	return best;
}

/* Small helpers */

static const char *const status_names[] = { "new", "false_positive", "benign", "promoted",
					    "attached", NULL };
static const char *const level_names[] = { "informational", "low", "medium", "high", "critical",
					   NULL };
static const char *const entity_names[] = { "host", "user", "ip", "process", NULL };

static int in_names(const char *const *names, const char *s)
{
	for (int i = 0; s && names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return 1;
	return 0;
}

/* s in ASCII lower case into b (entity values compare case-insensitively). */
static void add_lower(struct buf *b, const char *s)
{
	for (; s && *s; s++)
		buf_addch(b, (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s));
}

static char *lower_dup(const char *s)
{
	struct buf b = BUF_INIT;

	add_lower(&b, s);
	return buf_detach(&b, NULL);
}

/* Cut s to at most max bytes at a UTF-8 boundary into b. */
static void add_cut(struct buf *b, const char *s, size_t len, size_t max)
{
	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	buf_add(b, s, len);
}

/* Recording */

/* The id of an unexpired suppression that covers the match, or 0. */
static int find_suppression(struct store *st, const struct alert_input *in, const char *low[4],
			    int64_t now, int64_t *id, struct err *e)
{
	struct stmt *s;
	int rc;

	*id = 0;
	rc = store_prepare(st, "SELECT id FROM suppressions WHERE rule_id = ? AND "
			       "(expires_at IS NULL OR expires_at > ?) AND (entity IS NULL OR "
			       "(entity = 'host' AND value = ?) OR (entity = 'user' AND value = ?) OR "
			       "(entity = 'ip' AND value = ?) OR (entity = 'process' AND value = ?)) "
			       "ORDER BY id LIMIT 1", &s, e);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, in->rule_id);
	stmt_bind_int(s, 2, now);
	for (int i = 0; i < 4; i++)
		stmt_bind_text(s, 3 + i, low[i]);
	rc = stmt_int_result(s, id, e);
	if (rc == ERR_NOTFOUND) {
		*id = 0;
		err_clear(e);
		return 0;
	}
	return rc;
}

static int record_tx(struct store *st, const struct alert_input *in, int64_t seen,
		     int64_t window, int64_t *id, enum alert_outcome *outcome, struct err *e)
{
	const char *low[4] = { NULL, NULL, NULL, NULL };
	char *owned[4] = { NULL, NULL, NULL, NULL };
	const char *ents[4] = { in->host, in->user, in->ip, in->process };
	struct buf key = BUF_INIT, tags = BUF_INIT, ev = BUF_INIT;
	const char *level = in_names(level_names, in->level) ? in->level : "medium";
	struct stmt *s;
	int64_t sid = 0, aid = 0;
	int rc, phase;

	for (int i = 0; i < 4; i++) {
		owned[i] = lower_dup(ents[i]);
		if (!owned[i]) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		low[i] = owned[i];
	}
	rc = find_suppression(st, in, low, seen, &sid, e);
	if (rc)
		goto out;
	if (sid) {
		rc = store_prepare(st, "UPDATE suppressions SET hits = hits + 1, last_hit = ? "
				       "WHERE id = ?", &s, e);
		if (rc)
			goto out;
		stmt_bind_int(s, 1, seen);
		stmt_bind_int(s, 2, sid);
		rc = stmt_exec(s, e);
		*outcome = ALERT_SUPPRESSED;
		goto out;
	}

	/* The group key: rule, host and user; a correlation's own group-by values. */
	if (in->group_key && *in->group_key)
		buf_addf(&key, "%s\ngroup\n%s", in->rule_id, in->group_key);
	else
		buf_addf(&key, "%s\n%s\n%s", in->rule_id, low[0], low[1]);
	if (buf_error(&key)) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = store_prepare(st, "SELECT id FROM alerts WHERE dedup_key = ? AND status = 'new' AND "
			       "first_seen > ? ORDER BY id DESC LIMIT 1", &s, e);
	if (rc)
		goto out;
	stmt_bind_text(s, 1, key.data);
	stmt_bind_int(s, 2, seen - window);
	rc = stmt_int_result(s, &aid, e);
	if (rc == 0) {
		rc = store_prepare(st, "UPDATE alerts SET occurrences = occurrences + 1, "
				       "last_seen = CASE WHEN last_seen < ? THEN ? ELSE last_seen END, "
				       "first_seen = CASE WHEN first_seen > ? THEN ? ELSE first_seen END "
				       "WHERE id = ?", &s, e);
		if (rc)
			goto out;
		stmt_bind_int(s, 1, seen);
		stmt_bind_int(s, 2, seen);
		stmt_bind_int(s, 3, seen);
		stmt_bind_int(s, 4, seen);
		stmt_bind_int(s, 5, aid);
		rc = stmt_exec(s, e);
		*id = aid;
		*outcome = ALERT_DEDUPLICATED;
		goto out;
	}
	if (rc != ERR_NOTFOUND)
		goto out;
	err_clear(e);

	for (const char *const *t = in->tags; t && *t; t++)
		buf_addf(&tags, "%s%s", tags.len ? " " : "", *t);
	if (in->event)
		add_cut(&ev, in->event, in->event_len, ALERT_EVENT_MAX);
	phase = killchain_tags_phase(in->tags);
	rc = store_prepare(st, "INSERT INTO alerts (source, rule_id, title, level, tags, phase, host, "
			       "username, ip, process, dedup_key, occurrences, first_seen, last_seen, "
			       "status, event, event_truncated, group_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
			       "?, ?, ?, 1, ?, ?, 'new', ?, ?, ?) RETURNING id", &s, e);
	if (rc)
		goto out;
	stmt_bind_text(s, 1, in->source ? in->source : "sigma");
	stmt_bind_text(s, 2, in->rule_id);
	stmt_bind_text(s, 3, in->title && *in->title ? in->title : in->rule_id);
	stmt_bind_text(s, 4, level);
	stmt_bind_text(s, 5, tags.data);
	if (phase >= 0)
		stmt_bind_text(s, 6, killchain_phase_name(phase));
	else
		stmt_bind_null(s, 6);
	for (int i = 0; i < 4; i++)
		stmt_bind_text(s, 7 + i, ents[i] ? ents[i] : "");
	stmt_bind_text(s, 11, key.data);
	stmt_bind_int(s, 12, seen);
	stmt_bind_int(s, 13, seen);
	stmt_bind_text(s, 14, ev.data);
	stmt_bind_int(s, 15, in->event && in->event_len > ALERT_EVENT_MAX);
	stmt_bind_text(s, 16, in->group_key ? in->group_key : "");
	rc = stmt_int_result(s, id, e);
	*outcome = ALERT_CREATED;
out:
	for (int i = 0; i < 4; i++)
		free(owned[i]);
	buf_release(&key);
	buf_release(&tags);
	buf_release(&ev);
	return rc;
}

int alert_record(struct store *st, const struct actor *who, const struct alert_input *in,
		 int64_t window, int64_t *id, enum alert_outcome *outcome, struct err *e)
{
	enum alert_outcome got = ALERT_CREATED;
	int64_t aid = 0;
	int rc;

	if (id)
		*id = 0;
	rc = authz_check(who, ACT_EVENT_WRITE, e);
	if (rc)
		return rc;
	if (!in->rule_id || !*in->rule_id)
		return err_set(e, ERR_INVALID, "rule: required");
	if (window <= 0)
		window = ALERT_WINDOW_DEFAULT;
	rc = store_begin(st, e);
	if (rc)
		return rc;
	rc = record_tx(st, in, in->seen_at ? in->seen_at : who->now, window, &aid, &got, e);
	if (!rc)
		rc = store_commit(st, e);
	if (rc) {
		store_rollback(st);
		return rc;
	}
	if (id)
		*id = aid;
	if (outcome)
		*outcome = got;
	return 0;
}

/* Reading */

#define ALERT_COLUMNS                                                                      \
	"a.id, a.source, a.rule_id, a.title, a.level, a.tags, a.phase, a.host, a.username, "  \
	"a.ip, a.process, a.occurrences, a.first_seen, a.last_seen, a.status, a.reason, "     \
	"i.hid, a.triaged_by, a.triaged_at, a.event_truncated, a.event, a.incident_id, "      \
	"a.group_key "                                                                        \
	"FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id "

static json_t *alert_from_row(struct stmt *s, int with_event)
{
	json_t *o = json_object(), *tags = json_array(), *ent = json_object();
	char *t = stmt_strdup(s, 5), *save = NULL;

	json_set_int(o, "id", stmt_int(s, 0));
	json_set_str(o, "source", stmt_text(s, 1));
	json_set_str(o, "rule", stmt_text(s, 2));
	json_set_str(o, "title", stmt_text(s, 3));
	json_set_str(o, "level", stmt_text(s, 4));
	for (char *p = t ? strtok_r(t, " ", &save) : NULL; p; p = strtok_r(NULL, " ", &save))
		json_array_append_new(tags, json_string(p));
	free(t);
	json_object_set_new(o, "tags", tags);
	json_set_str_nonempty(o, "phase", stmt_text(s, 6));
	json_set_str(ent, "host", stmt_text(s, 7));
	json_set_str(ent, "user", stmt_text(s, 8));
	json_set_str(ent, "ip", stmt_text(s, 9));
	json_set_str(ent, "process", stmt_text(s, 10));
	json_object_set_new(o, "entities", ent);
	json_set_int(o, "count", stmt_int(s, 11));
	json_set_time(o, "first_seen", stmt_int(s, 12));
	json_set_time(o, "last_seen", stmt_int(s, 13));
	json_set_str(o, "status", stmt_text(s, 14));
	json_set_str_nonempty(o, "reason", stmt_text(s, 15));
	json_set_str_nonempty(o, "incident", stmt_text(s, 16));
	json_set_str_nonempty(o, "triaged_by", stmt_text(s, 17));
	json_set_time(o, "triaged_at", stmt_int(s, 18));
	json_set_str_nonempty(o, "group_key", stmt_text(s, 22));
	if (with_event) {
		const char *ev = stmt_text(s, 20);
		json_t *v = NULL;

		if (!stmt_int(s, 19))
			v = json_loads(ev, JSON_DECODE_ANY, NULL);
		json_object_set_new(o, "event", v ? v : json_string(ev));
		json_set_bool(o, "event_truncated", (int)stmt_int(s, 19));
	}
	return o;
}

int alert_list(struct store *st, const struct actor *who, const struct alert_filter *f,
	       json_t **out, int64_t *next, struct err *e)
{
	struct buf sql = BUF_INIT;
	struct stmt *s;
	json_t *arr;
	int64_t inc = 0, last = 0;
	char canon[INCIDENT_HID_MAX];
	int rc, n = 0, limit = f->limit > 0 ? (f->limit > 1000 ? 1000 : f->limit) : 50;
	int idx = 1;

	*out = NULL;
	if (next)
		*next = 0;
	rc = authz_check(who, ACT_ALERT_READ, e);
	if (rc)
		return rc;
	if (f->status && !in_names(status_names, f->status))
		return err_set(e, ERR_INVALID, "status: unknown '%.40s' (one of: " ALERT_STATUSES ")",
			       f->status);
	if (f->level && !in_names(level_names, f->level))
		return err_set(e, ERR_INVALID, "level: unknown '%.40s' (one of: " ALERT_LEVELS ")",
			       f->level);
	if (f->group_key && (rc = utf8_check_text("group_key", f->group_key, 1000, 0, e)))
		return rc;
	if (f->incident &&
	    (rc = incident_resolve(st, who, f->incident, ACT_INCIDENT_READ, &inc, canon, e)))
		return rc;
	buf_adds(&sql, "SELECT " ALERT_COLUMNS "WHERE 1 = 1");
	if (f->status)
		buf_adds(&sql, " AND a.status = ?");
	if (f->level)
		buf_adds(&sql, " AND a.level = ?");
	if (f->rule)
		buf_adds(&sql, " AND a.rule_id = ?");
	if (f->group_key)
		buf_adds(&sql, " AND a.group_key = ?");
	if (f->incident)
		buf_adds(&sql, " AND a.incident_id = ?");
	if (f->before > 0)
		buf_adds(&sql, " AND a.id < ?");
	buf_addf(&sql, " ORDER BY a.id DESC LIMIT %d", limit + 1);
	if (buf_error(&sql)) {
		buf_release(&sql);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	rc = store_prepare(st, sql.data, &s, e);
	buf_release(&sql);
	if (rc)
		return rc;
	if (f->status)
		stmt_bind_text(s, idx++, f->status);
	if (f->level)
		stmt_bind_text(s, idx++, f->level);
	if (f->rule)
		stmt_bind_text(s, idx++, f->rule);
	if (f->group_key)
		stmt_bind_text(s, idx++, f->group_key);
	if (f->incident)
		stmt_bind_int(s, idx++, inc);
	if (f->before > 0)
		stmt_bind_int(s, idx++, f->before);
	arr = json_array();
	while ((rc = stmt_step(s, e)) == 1) {
		if (n == limit) {
			if (next)
				*next = last;
			break;
		}
		last = stmt_int(s, 0);
		json_array_append_new(arr, alert_from_row(s, 0));
		n++;
	}
	stmt_done(s);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

int alert_count(struct store *st, const struct actor *who, const char *status, int64_t *n,
		struct err *e)
{
	struct stmt *s;
	int rc;

	*n = 0;
	rc = authz_check(who, ACT_ALERT_READ, e);
	if (rc)
		return rc;
	if (status) {
		rc = store_prepare(st, "SELECT COUNT(*) FROM alerts WHERE status = ?", &s, e);
		if (rc)
			return rc;
		stmt_bind_text(s, 1, status);
	} else {
		rc = store_prepare(st, "SELECT COUNT(*) FROM alerts", &s, e);
		if (rc)
			return rc;
	}
	return stmt_int_result(s, n, e);
}

/* Load one alert (no permission check) with its event and incident id. */
static int alert_load(struct store *st, int64_t id, json_t **out, int64_t *incident_id,
		      int64_t *first_seen, struct err *e)
{
	struct stmt *s;
	int rc;

	*out = NULL;
	rc = store_prepare(st, "SELECT " ALERT_COLUMNS "WHERE a.id = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	rc = stmt_step(s, e);
	if (rc == 1) {
		*out = alert_from_row(s, 1);
		if (incident_id)
			*incident_id = stmt_int(s, 21);
		if (first_seen)
			*first_seen = stmt_int(s, 12);
		rc = 0;
	} else if (rc == 0) {
		rc = err_set(e, ERR_NOTFOUND, "alert %lld not found", (long long)id);
	}
	stmt_done(s);
	return rc;
}

int alert_get(struct store *st, const struct actor *who, int64_t id, json_t **out,
	      struct err *e)
{
	int rc = authz_check(who, ACT_ALERT_READ, e);
	json_t *obs = NULL;

	*out = NULL;
	if (rc)
		return rc;
	if ((rc = alert_load(st, id, out, NULL, NULL, e)) || (rc = alertobs_list(st, id, &obs, e))) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	json_object_set_new(*out, "observables", obs);
	return 0;
}

/* Triage */

/*
 * A first guess at the incident type from the rule's title and tags; the
 * handler corrects it during triage. Words in order of specificity.
 */
static const char *guess_type(const json_t *a)
{
	static const struct {
		const char *word, *type;
	} words[] = {
		{ "ransom", "ransomware" }, { "phish", "phishing" }, { "denial of service", "dos" },
		{ "ddos", "dos" }, { "webshell", "web_defacement" }, { "web shell", "web_defacement" },
		{ "exfiltrat", "info_leak" }, { "malware", "malware" }, { "trojan", "malware" },
		{ "backdoor", "malware" }, { "mimikatz", "unauthorized_access" },
		{ "brute", "unauthorized_access" }, { "logon", "unauthorized_access" },
		{ "attack.exfiltration", "info_leak" }, { "attack.impact", "malware" },
		{ "attack.credential", "unauthorized_access" },
		{ "attack.lateral", "unauthorized_access" },
		{ "attack.initial", "unauthorized_access" },
	};
	struct buf hay = BUF_INIT;
	const char *type = "other";
	size_t i;
	json_t *t;

	add_lower(&hay, json_str(a, "title"));
	json_array_foreach(json_object_get(a, "tags"), i, t) {
		buf_addch(&hay, ' ');
		add_lower(&hay, json_string_value(t));
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strstr(hay.data, words[i].word)) {
			type = words[i].type;
			break;
		}
	}
	buf_release(&hay);
	return type;
}

/* The timeline text for an alert: what fired, on what, and the event. */
static void timeline_text(struct buf *b, const json_t *a)
{
	json_t *ent = json_object_get(a, "entities");
	const char *names[] = { "host", "user", "ip", "process" };
	json_t *ev = json_object_get(a, "event");
	struct buf evb = BUF_INIT;

	buf_addf(b, "Alert #%lld: %s (rule %s, level %s, %lld match%s)",
		 (long long)json_integer_value(json_object_get(a, "id")), json_str(a, "title"),
		 json_str(a, "rule"), json_str(a, "level"),
		 (long long)json_integer_value(json_object_get(a, "count")),
		 json_integer_value(json_object_get(a, "count")) == 1 ? "" : "es");
	for (int i = 0; i < 4; i++) {
		const char *v = json_str(ent, names[i]);
		if (v && *v)
			buf_addf(b, "\n%s: %s", names[i], v);
	}
	if (json_is_string(ev))
		buf_adds(&evb, json_string_value(ev));
	else if (ev)
		json_dump_buf(ev, 0, &evb);
	if (evb.len) {
		buf_adds(b, "\nEvent: ");
		add_cut(b, evb.data, evb.len, TIMELINE_TEXT_MAX - 1000);
	}
	buf_release(&evb);
}

/* Add the alert's phase as a detected mark of incident_id. */
static int mark_detected(struct store *st, const struct actor *who, int64_t incident_id,
			 const json_t *a, struct err *e)
{
	const char *phase = json_str(a, "phase");
	struct stmt *s;
	int rc;

	if (!phase || !*phase)
		return 0;
	rc = store_prepare(st, "INSERT INTO killchain_marks (incident_id, phase, source, marked_by, "
			       "marked_at, note) VALUES (?, ?, 'detected', ?, ?, ?) "
			       "ON CONFLICT (incident_id, phase, source) DO NOTHING", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	stmt_bind_text(s, 2, phase);
	stmt_bind_text(s, 3, who->name);
	stmt_bind_int(s, 4, who->now);
	stmt_bind_text(s, 5, json_str(a, "rule"));
	return stmt_exec(s, e);
}

/* Promote: a new incident from the alert, inside the caller's transaction. */
static int promote(struct store *st, const struct actor *who, const json_t *a,
		   int64_t *incident_id, char hid[INCIDENT_HID_MAX], struct err *e)
{
	struct incident inc;
	struct incident_field f[4];
	struct buf title = BUF_INIT, summary = BUF_INIT, occurred = BUF_INIT;
	const char *t = json_str(a, "title");
	int rc;

	/* Titles are limited in characters; 150 bytes is always within. */
	add_cut(&title, t, strlen(t), 150);
	buf_addf(&summary, "Promoted from alert #%lld (rule %s, level %s).",
		 (long long)json_integer_value(json_object_get(a, "id")), json_str(a, "rule"),
		 json_str(a, "level"));
	buf_addf(&occurred, "%s", json_str(a, "first_seen"));
	f[0].name = "title";
	f[0].value = title.data;
	f[1].name = "type";
	f[1].value = guess_type(a);
	f[2].name = "summary";
	f[2].value = summary.data;
	f[3].name = "occurred_at";
	f[3].value = occurred.data;
	rc = incident_create(st, who, f, 4, &inc, e);
	if (!rc) {
		*incident_id = inc.id;
		snprintf(hid, INCIDENT_HID_MAX, "%s", inc.hid);
		incident_release(&inc);
	}
	buf_release(&title);
	buf_release(&summary);
	buf_release(&occurred);
	return rc;
}

int alert_triage(struct store *st, const struct actor *who, int64_t id,
		 const struct alert_triage *t, json_t **out, struct err *e)
{
	static const char *const actions[] = { "false_positive", "benign", "promote", "attach",
					       NULL };
	json_t *before = NULL, *after = NULL;
	const char *status, *act = t->action;
	char hid[INCIDENT_HID_MAX] = "";
	int64_t incident_id = 0, first_seen = 0;
	struct buf text = BUF_INIT;
	struct stmt *s;
	int rc;

	if (out)
		*out = NULL;
	rc = authz_check(who, ACT_ALERT_TRIAGE, e);
	if (rc)
		return rc;
	if (!act || !in_names(actions, act))
		return err_set(e, ERR_INVALID, "action: expected false_positive, benign, promote or "
			       "attach%s%.40s%s", act ? ", not '" : "", act ? act : "", act ? "'" : "");
	if (strcmp(act, "false_positive") == 0 && (!t->reason || !*t->reason))
		return err_set(e, ERR_INVALID, "reason: required for a false positive");
	if (strcmp(act, "attach") == 0 && (!t->incident || !*t->incident))
		return err_set(e, ERR_INVALID, "incident: required to attach");
	if (strcmp(act, "attach") != 0 && t->incident && *t->incident)
		return err_set(e, ERR_INVALID, "incident: only for attach");
	rc = utf8_check_text("reason", t->reason, ALERT_REASON_MAX, 1, e);
	if (rc)
		return rc;

	rc = store_begin(st, e);
	if (rc)
		return rc;
	rc = alert_load(st, id, &before, NULL, &first_seen, e);
	if (rc)
		goto fail;
	status = json_str(before, "status");
	if (strcmp(status, "promoted") == 0 || strcmp(status, "attached") == 0) {
		rc = err_set(e, ERR_CONFLICT, "alert %lld is already %s to %s", (long long)id,
			     status, json_str(before, "incident") ? json_str(before, "incident") : "?");
		goto fail;
	}
	if (strcmp(act, "promote") == 0) {
		rc = promote(st, who, before, &incident_id, hid, e);
		status = "promoted";
	} else if (strcmp(act, "attach") == 0) {
		rc = incident_resolve(st, who, t->incident, ACT_TIMELINE_ADD, &incident_id, hid, e);
		if (!rc)
			rc = incident_touch(st, who, incident_id, e);
		status = "attached";
	} else {
		status = act;
	}
	if (rc)
		goto fail;
	if (incident_id) {
		timeline_text(&text, before);
		rc = buf_error(&text) ? err_set(e, ERR_NOMEM, "out of memory") : 0;
		if (!rc)
			rc = timeline_append(st, who, incident_id, TLK_EVIDENCE,
					     first_seen, text.data, NULL, e);
		if (!rc)
			rc = mark_detected(st, who, incident_id, before, e);
		if (!rc)
			rc = mailalert_to_evidence(st, who, id, hid, e);
		if (!rc)
			rc = alertobs_to_incident(st, who, id, hid, e);
		if (rc)
			goto fail;
	}
	rc = store_prepare(st, "UPDATE alerts SET status = ?, reason = ?, incident_id = ?, "
			       "triaged_by = ?, triaged_at = ? WHERE id = ?", &s, e);
	if (rc)
		goto fail;
	stmt_bind_text(s, 1, status);
	stmt_bind_text(s, 2, t->reason ? t->reason : "");
	stmt_bind_int_or_null(s, 3, incident_id);
	stmt_bind_text(s, 4, who->name);
	stmt_bind_int(s, 5, who->now);
	stmt_bind_int(s, 6, id);
	rc = stmt_exec(s, e);
	if (!rc)
		rc = alert_load(st, id, &after, NULL, NULL, e);
	if (rc)
		goto fail;
	{
		char oid[32];
		json_t *b = json_pack("{s:s,s:O}", "status", json_str(before, "status"), "reason",
				      json_object_get(before, "reason"));
		json_t *a = json_pack("{s:s,s:O,s:O,s:s}", "status", status, "reason",
				      json_object_get(after, "reason"), "incident",
				      json_object_get(after, "incident"), "action", act);
		snprintf(oid, sizeof(oid), "%lld", (long long)id);
		rc = audit_append(st, who, "alert.triage", "alert", oid, b, a, e);
		json_decref(b);
		json_decref(a);
	}
	if (!rc)
		rc = store_commit(st, e);
	if (rc)
		goto fail;
	json_decref(before);
	buf_release(&text);
	if (out)
		*out = after;
	else
		json_decref(after);
	return 0;
fail:
	store_rollback(st);
	json_decref(before);
	json_decref(after);
	buf_release(&text);
	return rc;
}

/* Suppressions */

static json_t *suppression_from_row(struct stmt *s)
{
	json_t *o = json_object();

	json_set_int(o, "id", stmt_int(s, 0));
	json_set_str(o, "rule", stmt_text(s, 1));
	json_set_str_nonempty(o, "entity", stmt_text(s, 2));
	json_set_str_nonempty(o, "value", stmt_text(s, 3));
	json_set_time(o, "expires_at", stmt_int(s, 4));
	json_set_str(o, "reason", stmt_text(s, 5));
	json_set_str(o, "created_by", stmt_text(s, 6));
	json_set_time(o, "created_at", stmt_int(s, 7));
	json_set_int(o, "hits", stmt_int(s, 8));
	json_set_time(o, "last_hit", stmt_int(s, 9));
	return o;
}

#define SUPPRESSION_COLUMNS                                                              \
	"id, rule_id, entity, value, expires_at, reason, created_by, created_at, hits, "  \
	"last_hit FROM suppressions "

static int suppression_load(struct store *st, int64_t id, json_t **out, struct err *e)
{
	struct stmt *s;
	int rc;

	*out = NULL;
	rc = store_prepare(st, "SELECT " SUPPRESSION_COLUMNS "WHERE id = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	rc = stmt_step(s, e);
	if (rc == 1) {
		*out = suppression_from_row(s);
		rc = 0;
	} else if (rc == 0) {
		rc = err_set(e, ERR_NOTFOUND, "suppression %lld not found", (long long)id);
	}
	stmt_done(s);
	return rc;
}

int suppression_add(struct store *st, const struct actor *who, const struct suppression_new *n,
		    json_t **out, struct err *e)
{
	int has_entity = n->entity && *n->entity, has_value = n->value && *n->value;
	json_t *row = NULL;
	char *value = NULL, oid[32];
	int64_t expires = 0, id = 0;
	struct stmt *s;
	int rc;

	if (out)
		*out = NULL;
	rc = authz_check(who, ACT_ALERT_SUPPRESS, e);
	if (rc)
		return rc;
	if (!n->rule || !*n->rule)
		return err_set(e, ERR_INVALID, "rule: required");
	if (!n->reason || !*n->reason)
		return err_set(e, ERR_INVALID, "reason: required");
	if (has_entity && !in_names(entity_names, n->entity))
		return err_set(e, ERR_INVALID, "entity: expected host, user, ip or process, not '%.40s'",
			       n->entity);
	if (has_entity != has_value)
		return err_set(e, ERR_INVALID, has_entity ? "value: required with entity"
						      : "entity: required with value");
	if ((rc = utf8_check_text("rule", n->rule, 200, 0, e)) ||
	    (rc = utf8_check_text("value", n->value, 1000, 0, e)) ||
	    (rc = utf8_check_text("reason", n->reason, ALERT_REASON_MAX, 1, e)))
		return rc;
	if (n->expires && *n->expires) {
		rc = time_parse(n->expires, who->tz, who->now, &expires, e);
		if (rc)
			return err_prefix(e, "expires");
		if (expires <= who->now)
			return err_set(e, ERR_INVALID, "expires: must be in the future");
	}
	value = has_value ? lower_dup(n->value) : NULL;
	rc = store_begin(st, e);
	if (rc)
		goto out;
	rc = store_prepare(st, "INSERT INTO suppressions (rule_id, entity, value, expires_at, reason, "
			       "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id", &s, e);
	if (rc)
		goto fail;
	stmt_bind_text(s, 1, n->rule);
	stmt_bind_text_or_null(s, 2, has_entity ? n->entity : NULL);
	stmt_bind_text_or_null(s, 3, value);
	stmt_bind_int_or_null(s, 4, expires);
	stmt_bind_text(s, 5, n->reason);
	stmt_bind_text(s, 6, who->name);
	stmt_bind_int(s, 7, who->now);
	rc = stmt_int_result(s, &id, e);
	if (!rc)
		rc = suppression_load(st, id, &row, e);
	snprintf(oid, sizeof(oid), "%lld", (long long)id);
	if (!rc)
		rc = audit_append(st, who, "suppression.add", "suppression", oid, NULL, row, e);
	if (!rc)
		rc = store_commit(st, e);
	if (rc)
		goto fail;
	if (out)
		*out = row;
	else
		json_decref(row);
	goto out;
fail:
	store_rollback(st);
	json_decref(row);
out:
	free(value);
	return rc;
}

int suppression_list(struct store *st, const struct actor *who, int all, json_t **out,
		     struct err *e)
{
	struct stmt *s;
	json_t *arr;
	int rc;

	*out = NULL;
	rc = authz_check(who, ACT_ALERT_READ, e);
	if (rc)
		return rc;
	rc = store_prepare(st, all ? "SELECT " SUPPRESSION_COLUMNS "ORDER BY id"
				   : "SELECT " SUPPRESSION_COLUMNS
				     "WHERE expires_at IS NULL OR expires_at > ? ORDER BY id", &s, e);
	if (rc)
		return rc;
	if (!all)
		stmt_bind_int(s, 1, who->now);
	arr = json_array();
	while ((rc = stmt_step(s, e)) == 1)
		json_array_append_new(arr, suppression_from_row(s));
	stmt_done(s);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

int suppression_remove(struct store *st, const struct actor *who, int64_t id, struct err *e)
{
	json_t *row = NULL;
	struct stmt *s;
	char oid[32];
	int rc;

	rc = authz_check(who, ACT_ALERT_SUPPRESS, e);
	if (rc)
		return rc;
	rc = store_begin(st, e);
	if (rc)
		return rc;
	rc = suppression_load(st, id, &row, e);
	if (!rc)
		rc = store_prepare(st, "DELETE FROM suppressions WHERE id = ?", &s, e);
	if (!rc) {
		stmt_bind_int(s, 1, id);
		rc = stmt_exec(s, e);
	}
	snprintf(oid, sizeof(oid), "%lld", (long long)id);
	if (!rc)
		rc = audit_append(st, who, "suppression.remove", "suppression", oid, row, NULL, e);
	if (!rc)
		rc = store_commit(st, e);
	if (rc)
		store_rollback(st);
	json_decref(row);
	return rc;
}

/* Kill chain of an incident */

int killchain_get(struct store *st, const struct actor *who, const char *hid, json_t **out,
		  struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	json_t *arr, *items[KC__COUNT];
	struct stmt *s;
	int64_t id;
	int rc;

	*out = NULL;
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_READ, &id, canon, e);
	if (rc)
		return rc;
	arr = json_array();
	for (int p = 0; p < KC__COUNT; p++) {
		items[p] = json_object();
		json_set_str(items[p], "phase", killchain_phase_name(p));
		json_set_str(items[p], "label_ja", killchain_phase_label(p, "ja"));
		json_set_str(items[p], "label_en", killchain_phase_label(p, "en"));
		json_set_bool(items[p], "detected", 0);
		json_set_bool(items[p], "manual", 0);
		json_array_append_new(arr, items[p]);
	}
	rc = store_prepare(st, "SELECT phase, source, marked_by, marked_at, note FROM killchain_marks "
			       "WHERE incident_id = ?", &s, e);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	stmt_bind_int(s, 1, id);
	while ((rc = stmt_step(s, e)) == 1) {
		int p;
		json_t *o;

		if (killchain_phase_parse(stmt_text(s, 0), &p, NULL) != 0)
			continue;
		o = items[p];
		if (strcmp(stmt_text(s, 1), "detected") == 0) {
			json_set_bool(o, "detected", 1);
			json_set_time(o, "detected_at", stmt_int(s, 3));
		} else {
			json_set_bool(o, "manual", 1);
			json_set_str(o, "marked_by", stmt_text(s, 2));
			json_set_time(o, "marked_at", stmt_int(s, 3));
			json_set_str_nonempty(o, "note", stmt_text(s, 4));
		}
	}
	stmt_done(s);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

/* A mark by hand is a fact of the incident: on its timeline, with both labels. */
static int killchain_timeline(struct store *st, const struct actor *who, int64_t id, int p,
			      int marked, const char *note, struct err *e)
{
	struct buf text = BUF_INIT;
	int rc;

	buf_addf(&text, "Kill chain: %s (%s) %s by hand", killchain_phase_label(p, "en"),
		 killchain_phase_label(p, "ja"), marked ? "marked" : "unmarked");
	if (note && *note)
		buf_addf(&text, ": %s", note);
	rc = buf_error(&text) ? err_set(e, ERR_NOMEM, "out of memory")
			      : timeline_append(st, who, id, TLK_OBSERVATION, who->now, text.data,
						NULL, e);
	buf_release(&text);
	return rc;
}

int killchain_mark(struct store *st, const struct actor *who, const char *hid, const char *phase,
		   int marked, const char *note, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct stmt *s;
	json_t *after;
	int64_t id;
	int rc, p;

	rc = killchain_phase_parse(phase, &p, e);
	if (rc)
		return err_prefix(e, "phase");
	rc = utf8_check_text("note", note, ALERT_REASON_MAX, 1, e);
	if (rc)
		return rc;
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_EDIT, &id, canon, e);
	if (rc)
		return rc;
	rc = store_begin(st, e);
	if (rc)
		return rc;
	if (marked)
		rc = store_prepare(st, "INSERT INTO killchain_marks (incident_id, phase, source, "
				       "marked_by, marked_at, note) VALUES (?, ?, 'manual', ?, ?, ?) "
				       "ON CONFLICT (incident_id, phase, source) DO UPDATE SET "
				       "marked_by = excluded.marked_by, marked_at = excluded.marked_at, "
				       "note = excluded.note", &s, e);
	else
		rc = store_prepare(st, "DELETE FROM killchain_marks WHERE incident_id = ? AND phase = ? "
				       "AND source = 'manual'", &s, e);
	if (rc)
		goto fail;
	stmt_bind_int(s, 1, id);
	stmt_bind_text(s, 2, killchain_phase_name(p));
	if (marked) {
		stmt_bind_text(s, 3, who->name);
		stmt_bind_int(s, 4, who->now);
		stmt_bind_text(s, 5, note ? note : "");
	}
	rc = stmt_exec(s, e);
	if (!rc)
		rc = incident_touch(st, who, id, e);
	if (!rc)
		rc = killchain_timeline(st, who, id, p, marked, note, e);
	if (!rc) {
		after = json_pack("{s:s,s:b,s:s}", "phase", killchain_phase_name(p), "marked", marked,
				  "note", note ? note : "");
		rc = audit_append(st, who, marked ? "incident.killchain.mark" : "incident.killchain.unmark",
				  "incident", canon, NULL, after, e);
		json_decref(after);
	}
	if (!rc)
		rc = store_commit(st, e);
	if (rc)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return rc;
}
