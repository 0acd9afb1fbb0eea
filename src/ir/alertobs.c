/*
 * alertobs.c: observables of alerts (alert_observables, migration 0010),
 * and their copy into an incident on promote or attach. See alertobs.h.
 */
#include "ir/alertobs.h"
#include "ir/actor.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#include <stdio.h>

static int count_of(struct store *st, int64_t alert_id, int64_t *n, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT COUNT(*) FROM alert_observables WHERE alert_id = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, alert_id);
	return stmt_int_result(s, n, e);
}

int alertobs_add(struct store *st, int64_t alert_id, enum observable_type type, const char *value,
		 int64_t now, int *added, struct err *e)
{
	char norm[OBSERVABLE_VALUE_MAX];
	struct stmt *s;
	int64_t n = 0, id = 0;
	int rc;

	if (added)
		*added = 0;
	if (observable_normalize(value, &type, norm, sizeof(norm), NULL) != 0)
		return 0;
	if ((rc = count_of(st, alert_id, &n, e)) || n >= ALERTOBS_MAX)
		return rc;
	rc = store_prepare(st, "INSERT INTO alert_observables (alert_id, type, value, created_at) "
			       "VALUES (?, ?, ?, ?) ON CONFLICT (alert_id, type, value) DO NOTHING "
			       "RETURNING id", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, alert_id);
	stmt_bind_text(s, 2, observable_type_name(type));
	stmt_bind_text(s, 3, norm);
	stmt_bind_int(s, 4, now);
	rc = stmt_int_result(s, &id, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
	}
	if (!rc && added)
		*added = id != 0;
	return rc;
}

int alertobs_list(struct store *st, int64_t alert_id, json_t **out, struct err *e)
{
	struct stmt *s;
	json_t *items;
	int rc = store_prepare(st, "SELECT type, value FROM alert_observables WHERE alert_id = ? "
			       "ORDER BY type, value", &s, e);

	*out = NULL;
	if (rc)
		return rc;
	stmt_bind_int(s, 1, alert_id);
	items = json_array();
	while ((rc = stmt_step(s, e)) == 1) {
		enum observable_type t = OBS__COUNT;
		struct buf disp = BUF_INIT;
		observable_type_parse(stmt_text(s, 0), &t, NULL);
		observable_display(t, stmt_text(s, 1), &disp);
		json_array_append_new(items, json_pack("{s:s,s:s,s:s}", "type", stmt_text(s, 0),
						       "value", stmt_text(s, 1), "display", disp.data));
		buf_release(&disp);
	}
	stmt_done(s);
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = items;
	return 0;
}

int alertobs_to_incident(struct store *st, const struct actor *who, int64_t alert_id,
			 const char *hid, struct err *e)
{
	json_t *items = NULL, *out = NULL;
	char source[48];
	int rc;

	if (!role_may(who->role, ACT_OBSERVABLE_EDIT))
		return 0;
	if ((rc = alertobs_list(st, alert_id, &items, e)))
		return rc;
	snprintf(source, sizeof(source), "alert #%lld", (long long)alert_id);
	if (json_array_size(items))
		rc = observable_add_items(st, who, hid, items, NULL, 0, source, &out, e);
	json_decref(items);
	json_decref(out);
	return rc;
}
