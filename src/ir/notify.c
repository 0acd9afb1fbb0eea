/*
 * notify.c: notifications of an incident (recorded with a timeline entry
 * and an audit row) and its personal-data breach flags.
 */
#include "ir/notify.h"
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
#include "util/time.h"
#include "util/utf8.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FUTURE_SLACK 300 /* seconds a sent time may lie ahead of the clock */

const char *const notify_channels[] = { "email", "phone", "web_form", "letter", "meeting",
					"chat", "other", NULL };
const char *const notify_kinds[] = { "internal", "management", "external", "appi_preliminary",
				     "appi_final", "gdpr", "public_notice", "other", NULL };
const char *const breach_flag_names[] = { "personal_data", "sensitive", "financial_risk",
					  "unauthorised_purpose", "over_1000", "gdpr", NULL };

static int one_of(const char *field, const char *const *list, const char *s, struct err *e)
{
	struct buf names = BUF_INIT;
	int rc;

	if (!s || !*s)
		return err_set(e, ERR_INVALID, "%s: required", field);
	for (int i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return 0;
	for (int i = 0; list[i]; i++)
		buf_addf(&names, "%s%s", i ? ", " : "", list[i]);
	rc = err_set(e, ERR_INVALID, "%s: unknown '%.40s' (one of: %s)", field, s, names.data);
	buf_release(&names);
	return rc;
}

#define NOTIFY_COLUMNS                                                                     \
	"n.id, i.hid, n.contact_id, n.recipient, n.channel, n.kind, n.sent_at, n.subject, " \
	"n.content, n.created_by, n.created_at "                                           \
	"FROM notifications n JOIN incidents i ON i.id = n.incident_id "

static json_t *notify_from_row(struct stmt *s)
{
	json_t *o = json_object();

	json_set_int(o, "id", stmt_int(s, 0));
	json_set_str(o, "incident", stmt_text(s, 1));
	if (stmt_is_null(s, 2))
		json_object_set_new(o, "contact_id", json_null());
	else
		json_set_int(o, "contact_id", stmt_int(s, 2));
	json_set_str(o, "recipient", stmt_text(s, 3));
	json_set_str(o, "channel", stmt_text(s, 4));
	json_set_str(o, "kind", stmt_text(s, 5));
	json_set_time(o, "sent_at", stmt_int(s, 6));
	json_set_str(o, "subject", stmt_text(s, 7));
	json_set_str(o, "text", stmt_text(s, 8));
	json_set_str(o, "created_by", stmt_text(s, 9));
	json_set_time(o, "created_at", stmt_int(s, 10));
	return o;
}

static int check_new(const struct actor *who, const struct notify_new *n, int64_t *at,
		     struct err *e)
{
	int rc;

	if ((rc = one_of("channel", notify_channels, n->channel, e)) ||
	    (rc = one_of("kind", notify_kinds, n->kind, e)))
		return rc;
	if (!n->text || !*n->text)
		return err_set(e, ERR_INVALID, "text: required");
	if (!n->contact_id && (!n->recipient || !*n->recipient))
		return err_set(e, ERR_INVALID, "to: a recipient or a contact is required");
	if ((rc = utf8_check_text("to", n->recipient, NOTIFY_RECIPIENT_MAX, 0, e)) ||
	    (rc = utf8_check_text("subject", n->subject, NOTIFY_SUBJECT_MAX, 0, e)) ||
	    (rc = utf8_check_text("text", n->text, NOTIFY_TEXT_MAX, 1, e)))
		return rc;
	*at = who->now;
	if (n->at && *n->at) {
		if ((rc = time_parse(n->at, who->tz, who->now, at, e)))
			return err_prefix(e, "at");
		if (*at > who->now + FUTURE_SLACK)
			return err_set(e, ERR_INVALID, "at: %.40s is in the future", n->at);
	}
	if (n->contact_id && who->external)
		return err_set(e, ERR_INVALID, "contact: external accounts cannot use the directory");
	return 0;
}

/* The name a contact is recorded by: "name (organisation)". */
static int contact_label(struct store *st, int64_t id, struct buf *out, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT name, organisation FROM contacts WHERE id = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	rc = stmt_step(s, e);
	if (rc == 1) {
		buf_adds(out, stmt_text(s, 0));
		if (*stmt_text(s, 1))
			buf_addf(out, " (%s)", stmt_text(s, 1));
		rc = 0;
	} else if (rc == 0) {
		rc = err_set(e, ERR_INVALID, "contact: no contact %lld", (long long)id);
	}
	stmt_done(s);
	return rc;
}

static int notify_load(struct store *st, int64_t id, json_t **out, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT " NOTIFY_COLUMNS "WHERE n.id = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	rc = stmt_step(s, e);
	if (rc == 1)
		*out = notify_from_row(s);
	stmt_done(s);
	return rc == 1 ? 0 : rc == 0 ? err_set(e, ERR_INTERNAL, "notification vanished") : rc;
}

static int insert_notification(struct store *st, const struct actor *who, int64_t incident_id,
			       const struct notify_new *n, const char *recipient, int64_t at,
			       int64_t *id, struct err *e)
{
	struct buf line = BUF_INIT;
	struct stmt *s;
	int rc;

	rc = store_prepare(st, "INSERT INTO notifications (incident_id, contact_id, recipient, channel, "
			       "kind, sent_at, subject, content, created_by, created_at) "
			       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	stmt_bind_int_or_null(s, 2, n->contact_id);
	stmt_bind_text(s, 3, recipient);
	stmt_bind_text(s, 4, n->channel);
	stmt_bind_text(s, 5, n->kind);
	stmt_bind_int(s, 6, at);
	stmt_bind_text(s, 7, n->subject ? n->subject : "");
	stmt_bind_text(s, 8, n->text);
	stmt_bind_text(s, 9, who->name);
	stmt_bind_int(s, 10, who->now);
	if ((rc = stmt_int_result(s, id, e)))
		return rc;
	/* Timeline text is stored once for every reader: both languages, as reminders. */
	buf_addf(&line, "通知 / Notification (%s, %s) to %s", n->kind, n->channel, recipient);
	if (n->subject && *n->subject)
		buf_addf(&line, ": %s", n->subject);
	rc = timeline_append(st, who, incident_id, TLK_COMMUNICATION, at, line.data, NULL, e);
	buf_release(&line);
	return rc;
}

int notify_add(struct store *st, const struct actor *who, const char *hid,
	       const struct notify_new *n, json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct buf to = BUF_INIT;
	json_t *rec = NULL;
	int64_t incident_id, at, id;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = check_new(who, n, &at, e)))
		return rc;
	rc = incident_resolve(st, who, hid, ACT_NOTIFY_RECORD, &incident_id, canon, e);
	if (rc)
		return rc;
	/* A contact must exist; a recipient typed beside it wins. */
	if (n->contact_id && (rc = contact_label(st, n->contact_id, &to, e)))
		goto done;
	if (n->recipient && *n->recipient) {
		buf_reset(&to);
		buf_adds(&to, n->recipient);
	}
	if ((rc = store_begin(st, e)))
		goto done;
	rc = insert_notification(st, who, incident_id, n, to.data, at, &id, e);
	if (!rc)
		rc = incident_touch(st, who, incident_id, e);
	if (!rc)
		rc = notify_load(st, id, &rec, e);
	if (!rc)
		rc = audit_append(st, who, "notify.add", "incident", canon, NULL, rec, e);
	if (!rc)
		rc = store_commit(st, e);
	if (rc) {
		store_rollback(st);
		json_decref(rec);
		rec = NULL;
	}
done:
	buf_release(&to);
	if (out)
		*out = rec;
	else
		json_decref(rec);
	return rc;
}

int notify_list(struct store *st, const struct actor *who, const char *hid, json_t **out,
		struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct stmt *s;
	int64_t id;
	int rc;

	*out = NULL;
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_READ, &id, canon, e);
	if (rc)
		return rc;
	rc = store_prepare(st, "SELECT " NOTIFY_COLUMNS "WHERE n.incident_id = ? "
			       "ORDER BY n.sent_at, n.id", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	*out = json_array();
	while ((rc = stmt_step(s, e)) == 1)
		json_array_append_new(*out, notify_from_row(s));
	stmt_done(s);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

int breach_parse_flag(const char *field, const char *s, int *out, struct err *e)
{
	if (s && (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0))
		return *out = 1, 0;
	if (s && (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0))
		return *out = 0, 0;
	return err_set(e, ERR_INVALID, "%s: expected yes or no, not '%.20s'", field, s ? s : "");
}

static int *flag_at(struct breach *b, int i) { return &((int *)b)[i]; }
static const int *update_at(const struct breach_update *u, int i) { return &((const int *)u)[i]; }

static int breach_load(struct store *st, int64_t incident_id, struct breach *b, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT personal_data, sensitive, financial_risk, "
				   "unauthorised_purpose, over_1000, gdpr FROM incident_breach "
				   "WHERE incident_id = ?", &s, e);

	memset(b, 0, sizeof(*b));
	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	rc = stmt_step(s, e);
	if (rc == 1)
		for (int i = 0; breach_flag_names[i]; i++)
			*flag_at(b, i) = stmt_int(s, i) != 0;
	stmt_done(s);
	return rc < 0 ? rc : 0;
}

static json_t *breach_json(const struct breach *b)
{
	json_t *o = json_object();

	for (int i = 0; breach_flag_names[i]; i++)
		json_set_bool(o, breach_flag_names[i], *flag_at((struct breach *)b, i));
	return o;
}

/* The flags and the incident's clocks as the API shows them. */
static int breach_out(struct store *st, const struct actor *who, const char *hid,
		      const struct breach *b, json_t **out, struct err *e)
{
	json_t *clocks = NULL;
	int rc = clock_incident(st, who, hid, &clocks, e);

	if (rc)
		return rc;
	*out = breach_json(b);
	json_set_str(*out, "incident", hid);
	json_object_set_new(*out, "clocks", clocks);
	return 0;
}

int breach_get(struct store *st, const struct actor *who, const char *hid, json_t **out,
	       struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct breach b;
	int64_t id;
	int rc;

	*out = NULL;
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_READ, &id, canon, e);
	if (!rc)
		rc = breach_load(st, id, &b, e);
	return rc ? rc : breach_out(st, who, canon, &b, out, e);
}

static int breach_write(struct store *st, const struct actor *who, int64_t incident_id,
			const struct breach *b, const char *change, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "INSERT INTO incident_breach (incident_id, personal_data, sensitive, "
				   "financial_risk, unauthorised_purpose, over_1000, gdpr, updated_at) "
				   "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id) DO UPDATE "
				   "SET personal_data = excluded.personal_data, "
				   "sensitive = excluded.sensitive, financial_risk = excluded.financial_risk, "
				   "unauthorised_purpose = excluded.unauthorised_purpose, "
				   "over_1000 = excluded.over_1000, gdpr = excluded.gdpr, "
				   "updated_at = excluded.updated_at", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	for (int i = 0; breach_flag_names[i]; i++)
		stmt_bind_int(s, 2 + i, *flag_at((struct breach *)b, i));
	stmt_bind_int(s, 8, who->now);
	rc = stmt_exec(s, e);
	if (!rc)
		rc = timeline_append(st, who, incident_id, TLK_DECISION, who->now, change, NULL, e);
	if (!rc)
		rc = incident_touch(st, who, incident_id, e);
	return rc;
}

int breach_set(struct store *st, const struct actor *who, const char *hid,
	       const struct breach_update *u, json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct breach before, after;
	struct buf change = BUF_INIT;
	json_t *jb = NULL, *ja = NULL;
	int64_t id;
	int rc, n = 0;

	*out = NULL;
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_EDIT, &id, canon, e);
	if (rc)
		return rc;
	if ((rc = store_begin(st, e)))
		return rc;
	if ((rc = breach_load(st, id, &before, e)))
		goto out;
	after = before;
	buf_adds(&change, "Personal-data breach flags:");
	for (int i = 0; breach_flag_names[i]; i++) {
		int v = *update_at(u, i);
		if (v < 0 || v == *flag_at(&before, i))
			continue;
		*flag_at(&after, i) = v;
		buf_addf(&change, "%s %s %s", n++ ? "," : "", breach_flag_names[i], v ? "yes" : "no");
	}
	if (n) {
		jb = breach_json(&before);
		ja = breach_json(&after);
		rc = breach_write(st, who, id, &after, change.data, e);
		if (!rc)
			rc = audit_append(st, who, "incident.breach", "incident", canon, jb, ja, e);
	}
	if (!rc)
		rc = store_commit(st, e);
out:
	if (rc)
		store_rollback(st);
	buf_release(&change);
	json_decref(jb);
	json_decref(ja);
	return rc ? rc : breach_out(st, who, canon, &after, out, e);
}
