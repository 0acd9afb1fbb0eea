/*
 * timeline.c: incident timeline entries.
 */
#include "ir/timeline.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/incident.h"
#include "ir/vocab.h"
#include "store/store.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "util/utf8.h"

#include <string.h>

/* Times up to this far ahead of now are accepted (clock skew). */
#define FUTURE_SLACK 300

int timeline_append(struct store *st, const struct actor *who, int64_t incident_id,
		    int kind, int64_t occurred_at, const char *text, int64_t *id,
		    struct err *e)
{
	struct stmt *s;
	int64_t ignore;
	int rc;

	rc = store_prepare(st, "INSERT INTO timeline (incident_id, occurred_at, created_at, author, "
			       "kind, text) VALUES (?, ?, ?, ?, ?, ?) RETURNING id", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	stmt_bind_int(s, 2, occurred_at);
	stmt_bind_int(s, 3, who->now);
	stmt_bind_text(s, 4, who->name);
	stmt_bind_text(s, 5, vocab_name(&vocab_timeline_kind, kind));
	stmt_bind_text(s, 6, text);
	return stmt_int_result(s, id ? id : &ignore, e);
}

static json_t *entry_json(int64_t id, const char *hid, int64_t occurred, int64_t created,
			  const char *author, const char *kind, const char *text)
{
	json_t *o = json_object();

	json_set_int(o, "id", id);
	json_set_str(o, "incident", hid);
	json_set_time(o, "occurred_at", occurred);
	json_set_time(o, "created_at", created);
	json_set_str(o, "author", author);
	json_set_str(o, "kind", kind);
	json_set_str(o, "text", text);
	return o;
}

int timeline_add(struct store *st, const struct actor *who, const char *hid,
		 const char *kind, const char *occurred, const char *text,
		 json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	int64_t incident_id, at = who->now, id = 0;
	int rc, k = TLK_OBSERVATION;
	json_t *entry;

	if (out)
		*out = NULL;
	if (!text || !*text)
		return err_set(e, ERR_INVALID, "text: required");
	rc = utf8_check_text("text", text, TIMELINE_TEXT_MAX, 1, e);
	if (rc)
		return rc;
	if (kind && *kind) {
		rc = vocab_parse(&vocab_timeline_kind, kind, &k, e);
		if (rc)
			return rc;
		if (k == TLK_STATE_CHANGE)
			return err_set(e, ERR_INVALID, "kind: state_change entries are written by "
				       "moving the incident");
	}
	if (occurred && *occurred) {
		rc = time_parse(occurred, who->tz, who->now, &at, e);
		if (rc)
			return err_prefix(e, "occurred_at");
		if (at > who->now + FUTURE_SLACK)
			return err_set(e, ERR_INVALID, "occurred_at: %.40s is in the future", occurred);
	}
	rc = incident_resolve(st, who, hid, ACT_TIMELINE_ADD, &incident_id, canon, e);
	if (rc)
		return rc;
	rc = store_begin(st, e);
	if (rc)
		return rc;
	rc = timeline_append(st, who, incident_id, k, at, text, &id, e);
	if (!rc)
		rc = incident_touch(st, who, incident_id, e);
	if (rc)
		goto rollback;
	entry = entry_json(id, canon, at, who->now, who->name, vocab_name(&vocab_timeline_kind, k), text);
	rc = audit_append(st, who, "timeline.add", "incident", canon, NULL, entry, e);
	if (rc) {
		json_decref(entry);
		goto rollback;
	}
	rc = store_commit(st, e);
	if (rc) {
		json_decref(entry);
		return rc;
	}
	if (out)
		*out = entry;
	else
		json_decref(entry);
	return 0;
rollback:
	store_rollback(st);
	return rc;
}

int timeline_list(struct store *st, const struct actor *who, const char *hid,
		  json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct stmt *s;
	int64_t id;
	int rc;

	*out = NULL;
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_READ, &id, canon, e);
	if (rc)
		return rc;
	rc = store_prepare(st, "SELECT id, occurred_at, created_at, author, kind, text FROM timeline "
			       "WHERE incident_id = ? ORDER BY occurred_at, id", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	*out = json_array();
	while ((rc = stmt_step(s, e)) == 1)
		json_array_append_new(*out, entry_json(stmt_int(s, 0), canon, stmt_int(s, 1),
						       stmt_int(s, 2), stmt_text(s, 3),
						       stmt_text(s, 4), stmt_text(s, 5)));
	stmt_done(s);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}
