/*
 * api_alert.c: the REST API of detection: event intake (POST
 * /api/v1/events into the server's queue), alerts and their triage,
 * suppressions, and the kill chain of an incident. It maps JSON to the
 * calls of ir/alert.h (which check permissions and write the audit log).
 */
#include "detect/intake.h"
#include "ir/alert.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "web/api.h"
#include "web/http.h"
#include "web/req.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A path segment that must be a positive id; anything else is "not found". */
static int path_id(struct request *rq, int i, const char *what, int64_t *out)
{
	const char *s = req_param(rq, i);
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v <= 0)
		return err_set(&rq->err, ERR_NOTFOUND, "%s %.40s not found", what, s);
	*out = v;
	return 0;
}

/*
 * POST /api/v1/events: one JSON object, a JSON array of objects, or JSON
 * lines. 202 {"accepted": N} once all are queued; 503 with Retry-After when
 * the queue has no room for all of them (none is queued then).
 */
int api_events_post(struct request *rq, struct response *rs)
{
	struct intake *in = http_intake(rq->srv);
	size_t accepted = 0;
	json_t *o;
	int rc;

	if (!in)
		return err_set(&rq->err, ERR_BUSY, "detection is not running in this server");
	if (rq->body.len == 0)
		return err_set(&rq->err, ERR_PARSE, "no events: send a JSON object, an array of "
			       "objects or JSON lines");
	rc = intake_submit(in, rq->body.data, rq->body.len, &accepted, &rq->err);
	if (rc == ERR_BUSY) {
		resp_header(rs, "Retry-After", "1");
		return rc;
	}
	if (rc)
		return rc;
	o = json_object();
	json_set_int(o, "accepted", (int64_t)accepted);
	return resp_json(rs, 202, o);
}

/* The detection worker's counters, for GET /api/v1/health. */
json_t *api_intake_health(struct intake *in)
{
	struct intake_stats st;
	size_t queued = 0;

	intake_get_stats(in, &st, &queued);
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "queued", (json_int_t)queued,
			 "events", (json_int_t)st.events, "matches", (json_int_t)st.matches,
			 "alerts", (json_int_t)st.created, "deduplicated",
			 (json_int_t)st.deduplicated, "suppressed", (json_int_t)st.suppressed,
			 "failed", (json_int_t)st.failed);
}

/* GET /api/v1/alerts?status=&level=&rule=&group_key=&incident=&limit=&cursor= */
int api_alert_list(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "status", "level", "rule", "incident", "limit",
					       "cursor", "group_key", NULL };
	struct alert_filter f;
	int64_t limit, next = 0, before = 0;
	json_t *items = NULL, *o;
	int rc;

	memset(&f, 0, sizeof(f));
	if ((rc = api_query_check(rq, allowed)) ||
	    (rc = api_query_int(rq, "limit", 1, API_LIMIT_MAX, API_LIMIT_DEFAULT, &limit)) ||
	    (rc = api_query_int(rq, "cursor", 1, INT64_MAX, 0, &before)))
		return rc;
	f.status = req_query(rq, "status");
	f.level = req_query(rq, "level");
	f.rule = req_query(rq, "rule");
	f.group_key = req_query(rq, "group_key");
	f.incident = req_query(rq, "incident");
	f.limit = (int)limit;
	f.before = before;
	rc = alert_list(rq->st, &rq->actor, &f, &items, &next, &rq->err);
	if (rc == ERR_INVALID || rc == ERR_TOOLONG) {
		rq->err.code = ERR_USAGE; /* a filter value is the query's fault: 400 */
		return ERR_USAGE;
	}
	if (rc)
		return rc;
	o = json_object();
	json_object_set_new(o, "items", items);
	if (next) {
		char c[32];
		snprintf(c, sizeof(c), "%lld", (long long)next);
		json_set_str(o, "next_cursor", c);
	} else {
		json_object_set_new(o, "next_cursor", json_null());
	}
	return resp_json(rs, 200, o);
}

/* GET /api/v1/alerts/{alert} */
int api_alert_get(struct request *rq, struct response *rs)
{
	json_t *a = NULL;
	int64_t id;
	int rc;

	if ((rc = path_id(rq, 0, "alert", &id)) ||
	    (rc = alert_get(rq->st, &rq->actor, id, &a, &rq->err)))
		return rc;
	return resp_json(rs, 200, a);
}

/* POST /api/v1/alerts/{alert}/triage {"action","reason","incident"} */
int api_alert_triage(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "action", "reason", "incident", NULL };
	struct alert_triage t;
	json_t *body = NULL, *a = NULL;
	int64_t id;
	int bad = 0, rc;

	if ((rc = path_id(rq, 0, "alert", &id)) || (rc = api_body(rq, allowed, 0, &body)))
		return rc;
	memset(&t, 0, sizeof(t));
	t.action = api_str(rq, body, "action", &bad);
	t.reason = api_str(rq, body, "reason", &bad);
	t.incident = api_str(rq, body, "incident", &bad);
	api_required(rq, "action", t.action, &bad);
	rc = bad ? ERR_INVALID : api_domain(rq, alert_triage(rq->st, &rq->actor, id, &t, &a, &rq->err));
	json_decref(body);
	if (rc)
		return rc;
	return resp_json(rs, 200, a);
}

/* GET /api/v1/suppressions?all=1 */
int api_suppression_list(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "all", NULL };
	json_t *items = NULL;
	int all = 0, rc;

	if ((rc = api_query_check(rq, allowed)) || (rc = api_query_bool(rq, "all", 0, &all)) ||
	    (rc = suppression_list(rq->st, &rq->actor, all, &items, &rq->err)))
		return rc;
	return api_items(rs, items);
}

/* POST /api/v1/suppressions {"rule","entity","value","expires","reason"} */
int api_suppression_add(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "rule", "entity", "value", "expires", "reason", NULL };
	struct suppression_new n;
	json_t *body = NULL, *row = NULL;
	int bad = 0, rc;

	if ((rc = api_body(rq, allowed, 0, &body)))
		return rc;
	memset(&n, 0, sizeof(n));
	n.rule = api_str(rq, body, "rule", &bad);
	n.entity = api_str(rq, body, "entity", &bad);
	n.value = api_str(rq, body, "value", &bad);
	n.expires = api_str(rq, body, "expires", &bad);
	n.reason = api_str(rq, body, "reason", &bad);
	rc = bad ? ERR_INVALID : api_domain(rq, suppression_add(rq->st, &rq->actor, &n, &row, &rq->err));
	json_decref(body);
	if (rc)
		return rc;
	return resp_json(rs, 201, row);
}

/* DELETE /api/v1/suppressions/{sid} */
int api_suppression_remove(struct request *rq, struct response *rs)
{
	int64_t id;
	int rc;

	if ((rc = path_id(rq, 0, "suppression", &id)) ||
	    (rc = suppression_remove(rq->st, &rq->actor, id, &rq->err)))
		return rc;
	return api_no_content(rs);
}

/* GET /api/v1/incidents/{id}/killchain */
int api_killchain_get(struct request *rq, struct response *rs)
{
	json_t *items = NULL;
	int rc = killchain_get(rq->st, &rq->actor, req_param(rq, 0), &items, &rq->err);

	if (rc)
		return rc;
	return api_items(rs, items);
}

/* POST /api/v1/incidents/{id}/killchain {"phase","marked"?,"note"?}: a manual mark. */
int api_killchain_mark(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "phase", "marked", "note", NULL };
	json_t *body = NULL, *items = NULL;
	const char *phase, *note;
	int bad = 0, marked = 1, rc;

	if ((rc = api_body(rq, allowed, 0, &body)))
		return rc;
	phase = api_str(rq, body, "phase", &bad);
	note = api_str(rq, body, "note", &bad);
	api_bool(rq, body, "marked", &marked, &bad);
	api_required(rq, "phase", phase, &bad);
	rc = bad ? ERR_INVALID
		 : api_domain(rq, killchain_mark(rq->st, &rq->actor, req_param(rq, 0), phase, marked,
						 note, &rq->err));
	json_decref(body);
	if (!rc)
		rc = killchain_get(rq->st, &rq->actor, req_param(rq, 0), &items, &rq->err);
	if (rc)
		return rc;
	return api_items(rs, items);
}
