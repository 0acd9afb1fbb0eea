/*
 * api_observable.c: the REST API of observables (an incident's list, add
 * one or a pasted text, change, remove, search by value) and of lessons
 * learned (read, write, add a follow-up action). It maps JSON to the calls
 * of ir/observable.h and ir/lessons.h, which check permissions and audit.
 */
#include "ir/lessons.h"
#include "ir/observable.h"
#include "ir/task.h"
#include "util/err.h"
#include "util/json.h"
#include "web/api.h"
#include "web/req.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* An observable id from the path; anything but a positive number does not exist. */
static int obs_id(struct request *rq, int64_t *out)
{
	const char *s = req_param(rq, 1);
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < 1 || s[0] == '+' || s[0] == '-')
		return err_set(&rq->err, ERR_NOTFOUND, "observable '%.40s' not found", s);
	*out = v;
	return 0;
}

/* GET /api/v1/incidents/{id}/observables */
int api_observable_list(struct request *rq, struct response *rs)
{
	json_t *items = NULL;
	int rc;

	if ((rc = api_query_check(rq, (const char *const[]){ NULL })) ||
	    (rc = observable_list(rq->st, &rq->actor, req_param(rq, 0), &items, &rq->err)))
		return rc;
	return api_items(rs, items);
}

/*
 * POST /api/v1/incidents/{id}/observables
 * {"type"?, "value", "tlp"?, "ioc"?, "comment"?} adds one (201, the observable);
 * {"text", "tlp"?, "ioc"?} adds what the text holds (201, {"added", "existing"}).
 */
int api_observable_add(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "type", "value", "text", "tlp", "ioc", "comment", NULL };
	struct observable_new n = { 0 };
	const char *text;
	json_t *body, *out = NULL;
	int bad = 0, rc;

	if ((rc = api_body(rq, allowed, 0, &body)))
		return rc;
	n.type = api_str(rq, body, "type", &bad);
	n.value = api_str(rq, body, "value", &bad);
	n.tlp = api_str(rq, body, "tlp", &bad);
	n.comment = api_str(rq, body, "comment", &bad);
	text = api_str(rq, body, "text", &bad);
	api_bool(rq, body, "ioc", &n.ioc, &bad);
	if (!bad && !!text == !!n.value) {
		err_set(&rq->err, ERR_INVALID, "give value (one observable) or text (to extract "
			"from), not %s", text ? "both" : "neither");
		bad = 1;
	}
	if (!bad && text && (n.type || n.comment)) {
		err_set(&rq->err, ERR_INVALID, "text: type and comment apply to one value only");
		bad = 1;
	}
	if (bad)
		rc = ERR_INVALID;
	else if (text)
		rc = observable_add_text(rq->st, &rq->actor, req_param(rq, 0), text, n.tlp, n.ioc,
					 &out, &rq->err);
	else
		rc = observable_add(rq->st, &rq->actor, req_param(rq, 0), &n, &out, &rq->err);
	json_decref(body);
	return rc ? api_domain(rq, rc) : resp_json(rs, 201, out);
}

/* PATCH /api/v1/incidents/{id}/observables/{obs} {"tlp"?, "ioc"?, "comment"?} */
int api_observable_update(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "tlp", "ioc", "comment", NULL };
	struct observable_patch p = { NULL, -1, NULL };
	json_t *body, *out = NULL;
	int64_t id;
	int bad = 0, rc;

	if ((rc = obs_id(rq, &id)) || (rc = api_body(rq, allowed, 0, &body)))
		return rc;
	p.tlp = api_str(rq, body, "tlp", &bad);
	p.comment = api_str(rq, body, "comment", &bad);
	api_bool(rq, body, "ioc", &p.ioc, &bad);
	rc = bad ? ERR_INVALID
		 : observable_update(rq->st, &rq->actor, req_param(rq, 0), id, &p, &out, &rq->err);
	json_decref(body);
	return rc ? api_domain(rq, rc) : resp_json(rs, 200, out);
}

/* DELETE /api/v1/incidents/{id}/observables/{obs} */
int api_observable_remove(struct request *rq, struct response *rs)
{
	int64_t id;
	int rc;

	if ((rc = obs_id(rq, &id)) ||
	    (rc = observable_remove(rq->st, &rq->actor, req_param(rq, 0), id, &rq->err)))
		return rc;
	return api_no_content(rs);
}

/* GET /api/v1/observables?value=V */
int api_observable_search(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "value", NULL };
	const char *value = req_query(rq, "value");
	json_t *items = NULL;
	int rc;

	if ((rc = api_query_check(rq, allowed)))
		return rc;
	if (!value || !*value)
		return err_set(&rq->err, ERR_USAGE, "value: required (?value=...)");
	rc = observable_search(rq->st, &rq->actor, value, &items, &rq->err);
	if (rc == ERR_INVALID) {
		rq->err.code = ERR_USAGE; /* the query's fault: 400 */
		return ERR_USAGE;
	}
	return rc ? rc : api_items(rs, items);
}

/* GET /api/v1/incidents/{id}/lessons */
int api_lessons_get(struct request *rq, struct response *rs)
{
	json_t *l = NULL;
	int rc = lessons_get(rq->st, &rq->actor, req_param(rq, 0), &l, &rq->err);

	return rc ? rc : resp_json(rs, 200, l);
}

/*
 * PATCH /api/v1/incidents/{id}/lessons {"what_happened"?, ..., "tools"?,
 * "damage_before_detection"?, "meeting_at"?}: strings; "" clears.
 */
int api_lessons_set(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = {
#define X(n, ja, en) #n,
		LESSONS_QUESTIONS(X)
#undef X
		"damage_before_detection", "meeting_at", NULL
	};
	struct lessons_field f[sizeof(allowed) / sizeof(allowed[0])];
	json_t *body, *out = NULL;
	size_t n = 0;
	int bad = 0, rc;

	if ((rc = api_body(rq, allowed, 0, &body)))
		return rc;
	for (size_t i = 0; allowed[i]; i++) {
		const char *v = api_str(rq, body, allowed[i], &bad);
		if (v)
			f[n++] = (struct lessons_field){ allowed[i], v };
	}
	rc = bad ? ERR_INVALID
		 : lessons_set(rq->st, &rq->actor, req_param(rq, 0), f, n, &out, &rq->err);
	json_decref(body);
	return rc ? api_domain(rq, rc) : resp_json(rs, 200, out);
}

/* POST /api/v1/incidents/{id}/lessons/actions {"title", "assignee"?, "due"?}: 201, the task */
int api_lessons_action(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "title", "assignee", "due", NULL };
	struct task_new t = { 0 };
	json_t *body, *task = NULL;
	int bad = 0, rc;

	if ((rc = api_body(rq, allowed, 0, &body)))
		return rc;
	t.title = api_str(rq, body, "title", &bad);
	t.assignee = api_str(rq, body, "assignee", &bad);
	t.due = api_str(rq, body, "due", &bad);
	api_required(rq, "title", t.title, &bad);
	rc = bad ? ERR_INVALID
		 : lessons_action_add(rq->st, &rq->actor, req_param(rq, 0), &t, &task, &rq->err);
	json_decref(body);
	return rc ? api_domain(rq, rc) : resp_json(rs, 201, task);
}
