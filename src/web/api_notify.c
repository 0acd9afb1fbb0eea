/*
 * api_notify.c: the REST API of the contact directory (JSON and CSV),
 * incident notifications, personal-data breach flags and the regulatory
 * clocks. It maps JSON to ir/contact.h, ir/notify.h and ir/clock.h, which
 * check permissions and audit every change.
 */
#include "ir/clock.h"
#include "ir/contact.h"
#include "ir/notify.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "web/api.h"
#include "web/req.h"

#include <stdlib.h>
#include <string.h>

/* A contact id from the path; anything but a positive number does not exist. */
static int contact_id(struct request *rq, int64_t *out)
{
	const char *s = req_param(rq, 0);
	char *end;
	long long v = strtoll(s, &end, 10);

	if (!*s || *end || v < 1)
		return err_set(&rq->err, ERR_NOTFOUND, "contact '%.40s' not found", s);
	*out = v;
	return 0;
}

static const char *const contact_keys[] = { "name", "organisation", "scope", "category",
					    "roles", "email", "phone", "channel", "on_call",
					    "notes", NULL };

/* Read a contact body into f (strings borrowed from body). */
static int contact_body(struct request *rq, json_t *body, struct contact_fields *f)
{
	int bad = 0, on_call = -1;

	memset(f, 0, sizeof(*f));
	f->name = api_str(rq, body, "name", &bad);
	f->organisation = api_str(rq, body, "organisation", &bad);
	f->scope = api_str(rq, body, "scope", &bad);
	f->category = api_str(rq, body, "category", &bad);
	f->roles = api_str(rq, body, "roles", &bad);
	f->email = api_str(rq, body, "email", &bad);
	f->phone = api_str(rq, body, "phone", &bad);
	f->channel = api_str(rq, body, "channel", &bad);
	f->notes = api_str(rq, body, "notes", &bad);
	api_bool(rq, body, "on_call", &on_call, &bad);
	if (on_call >= 0)
		f->on_call = on_call ? "yes" : "no";
	return bad ? ERR_INVALID : 0;
}

/* GET /api/v1/contacts ?category=CAT &on_call=1 */
int api_contact_list(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "category", "on_call", NULL };
	struct contact_filter f = { 0 };
	json_t *list = NULL;
	int rc = api_query_check(rq, allowed);

	f.category = req_query(rq, "category");
	if (!rc)
		rc = api_query_bool(rq, "on_call", 0, &f.on_call_only);
	if (!rc)
		rc = contact_list(rq->st, &rq->actor, &f, &list, &rq->err);
	if (rc == ERR_INVALID)
		rq->err.code = rc = ERR_USAGE; /* a bad filter is a bad request */
	return rc ? rc : api_items(rs, list);
}

/* POST /api/v1/contacts {name, scope, category, ...} */
int api_contact_create(struct request *rq, struct response *rs)
{
	struct contact_fields f;
	json_t *body, *c = NULL;
	int rc = api_body(rq, contact_keys, 0, &body);

	if (rc)
		return rc;
	rc = contact_body(rq, body, &f);
	if (!rc)
		rc = api_domain(rq, contact_add(rq->st, &rq->actor, &f, &c, &rq->err));
	json_decref(body);
	return rc ? rc : resp_json(rs, 201, c);
}

/* GET /api/v1/contacts/{cid} */
int api_contact_get(struct request *rq, struct response *rs)
{
	json_t *c = NULL;
	int64_t id;
	int rc = contact_id(rq, &id);

	if (!rc)
		rc = contact_get(rq->st, &rq->actor, id, &c, &rq->err);
	return rc ? rc : resp_json(rs, 200, c);
}

/* PATCH /api/v1/contacts/{cid} {fields to change} */
int api_contact_update(struct request *rq, struct response *rs)
{
	struct contact_fields f;
	json_t *body = NULL, *c = NULL;
	int64_t id;
	int rc = contact_id(rq, &id);

	if (!rc)
		rc = api_body(rq, contact_keys, 0, &body);
	if (!rc)
		rc = contact_body(rq, body, &f);
	if (!rc)
		rc = api_domain(rq, contact_update(rq->st, &rq->actor, id, &f, &c, &rq->err));
	json_decref(body);
	return rc ? rc : resp_json(rs, 200, c);
}

/* DELETE /api/v1/contacts/{cid} */
int api_contact_remove(struct request *rq, struct response *rs)
{
	int64_t id;
	int rc = contact_id(rq, &id);

	if (!rc)
		rc = contact_remove(rq->st, &rq->actor, id, &rq->err);
	return rc ? rc : api_no_content(rs);
}

/* GET /api/v1/contacts/export: the directory as CSV. */
int api_contact_export(struct request *rq, struct response *rs)
{
	int rc = contact_export(rq->st, &rq->actor, &rs->body, &rq->err);

	if (rc)
		return rc;
	rs->status = 200;
	rs->content_type = "text/csv; charset=utf-8";
	resp_header(rs, "Content-Disposition", "attachment; filename=\"contacts.csv\"");
	return 0;
}

/* POST /api/v1/contacts/import (text/csv): all rows or none. */
int api_contact_import(struct request *rq, struct response *rs)
{
	const char *ct = req_header(rq, "Content-Type");
	int n = 0, rc;

	if (rq->body_too_large)
		return err_set(&rq->err, ERR_TOOLONG, "CSV too large");
	if (!ct || strncasecmp(ct, "text/csv", 8) != 0)
		return err_set(&rq->err, ERR_PARSE, "send the CSV as Content-Type: text/csv");
	rc = contact_import(rq->st, &rq->actor, rq->body.data, rq->body.len, &n, &rq->err);
	if (rc)
		return rc;
	return resp_json(rs, 200, json_pack("{s:i}", "imported", n));
}

/* GET /api/v1/incidents/{id}/notifications */
int api_notification_list(struct request *rq, struct response *rs)
{
	json_t *list = NULL;
	int rc = notify_list(rq->st, &rq->actor, req_param(rq, 0), &list, &rq->err);

	return rc ? rc : api_items(rs, list);
}

/* POST /api/v1/incidents/{id}/notifications {to|contact_id, channel, kind, text, at?, subject?} */
int api_notification_add(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "to", "contact_id", "channel", "kind", "at",
					       "subject", "text", NULL };
	struct notify_new n = { 0 };
	json_t *body, *rec = NULL;
	int bad = 0, rc = api_body(rq, allowed, 0, &body);

	if (rc)
		return rc;
	n.recipient = api_str(rq, body, "to", &bad);
	api_int(rq, body, "contact_id", 1, INT64_MAX, &n.contact_id, &bad);
	n.channel = api_str(rq, body, "channel", &bad);
	n.kind = api_str(rq, body, "kind", &bad);
	n.at = api_str(rq, body, "at", &bad);
	n.subject = api_str(rq, body, "subject", &bad);
	n.text = api_str(rq, body, "text", &bad);
	rc = bad ? ERR_INVALID
		 : api_domain(rq, notify_add(rq->st, &rq->actor, req_param(rq, 0), &n, &rec, &rq->err));
	json_decref(body);
	return rc ? rc : resp_json(rs, 201, rec);
}

/* GET /api/v1/incidents/{id}/breach */
int api_breach_get(struct request *rq, struct response *rs)
{
	json_t *b = NULL;
	int rc = breach_get(rq->st, &rq->actor, req_param(rq, 0), &b, &rq->err);

	return rc ? rc : resp_json(rs, 200, b);
}

/* PUT /api/v1/incidents/{id}/breach {personal_data?, sensitive?, ..., gdpr?} (booleans) */
int api_breach_set(struct request *rq, struct response *rs)
{
	struct breach_update u = BREACH_UPDATE_NONE;
	int *v = &u.personal_data, bad = 0;
	json_t *body, *b = NULL;
	int rc = api_body(rq, breach_flag_names, 0, &body);

	if (rc)
		return rc;
	for (int i = 0; breach_flag_names[i]; i++)
		api_bool(rq, body, breach_flag_names[i], &v[i], &bad);
	rc = bad ? ERR_INVALID : breach_set(rq->st, &rq->actor, req_param(rq, 0), &u, &b, &rq->err);
	json_decref(body);
	return rc ? rc : resp_json(rs, 200, b);
}

/* GET /api/v1/incidents/{id}/clocks */
int api_incident_clocks(struct request *rq, struct response *rs)
{
	json_t *list = NULL;
	int rc = clock_incident(rq->st, &rq->actor, req_param(rq, 0), &list, &rq->err);

	return rc ? rc : api_items(rs, list);
}

/* GET /api/v1/clocks ?overdue=1 &open=1 */
int api_clock_list(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "overdue", "open", NULL };
	json_t *list = NULL;
	int overdue = 0, open = 0;
	int rc = api_query_check(rq, allowed);

	if (!rc)
		rc = api_query_bool(rq, "overdue", 0, &overdue);
	if (!rc)
		rc = api_query_bool(rq, "open", 0, &open);
	if (!rc)
		rc = clock_list(rq->st, &rq->actor, overdue, open, &list, &rq->err);
	return rc ? rc : api_items(rs, list);
}

/* GET /api/v1/settings/clocks */
int api_clock_settings_get(struct request *rq, struct response *rs)
{
	json_t *cfg = NULL;
	int rc = clock_config_json(rq->st, &rq->actor, &cfg, &rq->err);

	return rc ? rc : resp_json(rs, 200, cfg);
}

static const char *const clock_setting_keys[] = { "preliminary_days", "final_days",
						  "final_days_purpose", "gdpr_hours",
						  "due_soon_hours", "reminder_hours", "zone", NULL };

/* One value of the body as the text clock_config_set reads: integers,
 * strings, and reminder_hours as an array of integers ("72,24"). */
static int clock_setting_text(struct request *rq, const char *key, json_t *v, struct buf *out)
{
	json_t *h;
	size_t i;

	if (json_is_integer(v)) {
		buf_addf(out, "%lld", (long long)json_integer_value(v));
		return 0;
	}
	if (json_is_string(v)) {
		buf_adds(out, json_string_value(v));
		return 0;
	}
	if (json_is_array(v) && strcmp(key, "reminder_hours") == 0 && json_array_size(v) <= 16) {
		json_array_foreach(v, i, h) {
			if (!json_is_integer(h))
				break;
			buf_addf(out, "%s%lld", i ? "," : "", (long long)json_integer_value(h));
		}
		if (i == json_array_size(v))
			return 0;
	}
	return err_set(&rq->err, ERR_INVALID, "%s: expected %s", key,
		       strcmp(key, "zone") == 0	       ? "a zone name such as Asia/Tokyo"
		       : strcmp(key, "reminder_hours") == 0 ? "an array of hours such as [72, 24]"
						       : "a whole number");
}

/* PUT /api/v1/settings/clocks {preliminary_days?, ..., reminder_hours?, zone?}: all or nothing */
int api_clock_settings_set(struct request *rq, struct response *rs)
{
	struct buf text[7];
	const char *keys[7], *values[7];
	const char *k;
	json_t *body, *v, *cfg = NULL;
	size_t n = 0;
	int rc = api_body(rq, clock_setting_keys, 0, &body);

	if (rc)
		return rc;
	json_object_foreach(body, k, v) {
		if (json_is_null(v))
			continue;
		buf_init(&text[n], 256);
		rc = clock_setting_text(rq, k, v, &text[n]);
		if (!rc && buf_error(&text[n]))
			rc = err_set(&rq->err, ERR_INVALID, "%s: too long", k);
		keys[n] = k;
		values[n] = text[n].data;
		n++;
		if (rc)
			break;
	}
	if (!rc)
		rc = clock_config_set_many(rq->st, &rq->actor, keys, values, n, &rq->err);
	if (!rc)
		rc = clock_config_json(rq->st, &rq->actor, &cfg, &rq->err);
	for (size_t i = 0; i < n; i++)
		buf_release(&text[i]);
	json_decref(body);
	return rc ? rc : resp_json(rs, 200, cfg);
}
