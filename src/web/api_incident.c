/*
 * api_incident.c: the REST API for incidents and what hangs off them:
 * listing with filters and cursors, create, show, update, transitions,
 * members, timeline entries and tasks. It maps JSON to the calls of ir/
 * (which check permissions and write the audit log) and back.
 */
#include "ir/incident.h"
#include "ir/task.h"
#include "ir/timeline.h"
#include "ir/vocab.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "web/api.h"
#include "web/req.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The incident fields a body may carry, by the names incident_field takes
 * (and the CLI's options spell with dashes). information_impact may also be
 * an array of names, as incident_to_json writes it.
 */
#define INCIDENT_FIELD_NAMES                                                                \
	"title", "summary", "reporter", "type", "attack_vector", "functional_impact",       \
	"information_impact", "recoverability", "priority", "tlp", "pap", "owner",          \
	"occurred_at", "discovered_at", "reported_at", "triaged_at", "contained_at",        \
	"recovered_at", "closed_at"

static const char *const field_names[] = { INCIDENT_FIELD_NAMES, NULL };
#define NFIELDS (sizeof(field_names) / sizeof(field_names[0]) - 1)

struct field_set {
	struct incident_field f[NFIELDS];
	char *owned[NFIELDS]; /* joined information_impact arrays */
	size_t n, nowned;
};

static void field_set_release(struct field_set *fs)
{
	for (size_t i = 0; i < fs->nowned; i++)
		free(fs->owned[i]);
	fs->nowned = 0;
	fs->n = 0;
}

/* An array of strings joined by commas, or NULL when it holds anything else. */
static char *join_strings(json_t *arr)
{
	struct buf b = BUF_INIT;
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		if (!json_is_string(v)) {
			buf_release(&b);
			return NULL;
		}
		buf_addf(&b, "%s%s", i ? "," : "", json_string_value(v));
	}
	return buf_detach(&b, NULL); /* "" for an empty array: that clears the field */
}

/*
 * Collect the incident fields present in body: a string is the value, null
 * clears the field (""). Anything else is a 422 naming the field.
 */
static int fields_from_json(struct request *rq, json_t *body, struct field_set *fs)
{
	memset(fs, 0, sizeof(*fs));
	for (size_t i = 0; i < NFIELDS; i++) {
		const char *name = field_names[i];
		json_t *v = json_object_get(body, name);
		const char *value;

		if (!v)
			continue;
		if (json_is_null(v)) {
			value = "";
		} else if (json_is_string(v)) {
			value = json_string_value(v);
		} else if (json_is_array(v) && strcmp(name, "information_impact") == 0) {
			char *joined = join_strings(v);
			if (!joined) {
				field_set_release(fs);
				return err_set(&rq->err, ERR_INVALID,
					       "information_impact: expected a string or an array of strings");
			}
			fs->owned[fs->nowned++] = joined;
			value = joined;
		} else {
			field_set_release(fs);
			return err_set(&rq->err, ERR_INVALID, "%s: expected a string%s", name,
				       strcmp(name, "information_impact") == 0
					       ? " or an array of strings" : " or null");
		}
		fs->f[fs->n].name = name;
		fs->f[fs->n].value = value;
		fs->n++;
	}
	return 0;
}

/* The incident as JSON with an ETag of its version, status 200 or 201. */
static int send_incident(struct response *rs, unsigned status, const struct incident *inc,
			 json_t *members)
{
	char etag[32];
	json_t *j = incident_to_json(inc);

	if (members)
		json_object_set(j, "members", members);
	snprintf(etag, sizeof(etag), "\"%lld\"", (long long)inc->version);
	resp_header(rs, "ETag", etag);
	return resp_json(rs, status, j);
}

/* A query argument that does not parse is the request's fault: 400, named. */
static int query_error(struct request *rq, const char *name)
{
	err_prefix(&rq->err, "%s", name);
	rq->err.code = ERR_USAGE;
	return ERR_USAGE;
}

/* Listing */

/*
 * Cursors are opaque to clients: base64url of a small JSON object holding
 * the sort they belong to and either the last row's created_at and id
 * (keyset, for the created sorts: stable when incidents are added) or an
 * offset (the other sorts).
 */
#define CURSOR_MAX 256

static int keyset_sort(enum incident_sort s)
{
	return s == SORT_CREATED_DESC || s == SORT_CREATED_ASC;
}

static json_t *cursor_encode(enum incident_sort sort, const struct incident *last, int offset)
{
	struct buf b = BUF_INIT;
	char out[CURSOR_MAX * 2];
	json_t *c;

	if (keyset_sort(sort))
		c = json_pack("{s:i,s:I,s:I}", "s", (int)sort, "c", (json_int_t)last->created_at,
			      "i", (json_int_t)last->id);
	else
		c = json_pack("{s:i,s:i}", "s", (int)sort, "o", offset);
	json_dump_buf(c, 0, &b);
	json_decref(c);
	if (buf_error(&b) || b.len > CURSOR_MAX) {
		buf_release(&b);
		return json_null();
	}
	sodium_bin2base64(out, sizeof(out), (const unsigned char *)b.data, b.len,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	buf_release(&b);
	return json_string(out);
}

static int cursor_decode(struct request *rq, const char *s, struct incident_filter *f)
{
	unsigned char bin[CURSOR_MAX + 1];
	size_t n = 0;
	json_t *c = NULL, *v;
	json_int_t sort;
	int rc = ERR_USAGE;

	if (strlen(s) > CURSOR_MAX * 2 ||
	    sodium_base642bin(bin, CURSOR_MAX, s, strlen(s), NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		goto bad;
	c = json_loadb((const char *)bin, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(c) || !json_is_integer(v = json_object_get(c, "s")))
		goto bad;
	sort = json_integer_value(v);
	if (sort != (json_int_t)f->sort) {
		rc = err_set(&rq->err, ERR_USAGE, "cursor: made for another sort order "
			     "(keep the sort of the request that returned it)");
		goto out;
	}
	if (keyset_sort(f->sort)) {
		json_t *cr = json_object_get(c, "c"), *id = json_object_get(c, "i");
		if (json_object_size(c) != 3 || !json_is_integer(cr) || !json_is_integer(id) ||
		    json_integer_value(cr) < 0 || json_integer_value(id) <= 0)
			goto bad;
		f->after_created = json_integer_value(cr);
		f->after_id = json_integer_value(id);
	} else {
		json_t *off = json_object_get(c, "o");
		if (json_object_size(c) != 2 || !json_is_integer(off) || json_integer_value(off) < 0 ||
		    json_integer_value(off) > 100000000)
			goto bad;
		f->offset = (int)json_integer_value(off);
	}
	rc = 0;
	goto out;
bad:
	rc = err_set(&rq->err, ERR_USAGE, "cursor: malformed (pass next_cursor back as it was given)");
out:
	json_decref(c);
	return rc;
}

/* Parse a comma-separated list with one parser per item into a bit set. */
static int parse_states(struct request *rq, const char *s, unsigned *out)
{
	char tmp[512];
	char *save = NULL;
	enum incident_state st;

	if (strlen(s) >= sizeof(tmp))
		return err_set(&rq->err, ERR_USAGE, "state: too long");
	snprintf(tmp, sizeof(tmp), "%s", s);
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (incident_state_parse(t, &st, &rq->err))
			return query_error(rq, "state");
		*out |= 1u << st;
	}
	return 0;
}

static int parse_priorities(struct request *rq, const char *s, unsigned *out)
{
	char tmp[128];
	char *save = NULL;
	int p;

	if (strlen(s) >= sizeof(tmp))
		return err_set(&rq->err, ERR_USAGE, "priority: too long");
	snprintf(tmp, sizeof(tmp), "%s", s);
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (vocab_parse(&vocab_priority, t, &p, &rq->err))
			return query_error(rq, "priority");
		*out |= 1u << (p + 1);
	}
	return 0;
}

/* GET /api/v1/incidents */
int api_incident_list(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "state", "open", "priority", "type", "owner", "q",
					       "sort", "limit", "cursor", NULL };
	struct incident_filter f;
	struct incident_list l = { 0 };
	const char *s;
	json_t *o, *items;
	int64_t limit;
	int rc;

	memset(&f, 0, sizeof(f));
	f.type = -1;
	if ((rc = api_query_check(rq, allowed)))
		return rc;
	if ((s = req_query(rq, "state")) && (rc = parse_states(rq, s, &f.states)))
		return rc;
	if ((rc = api_query_bool(rq, "open", 0, &f.open_only)))
		return rc;
	if ((s = req_query(rq, "priority")) && (rc = parse_priorities(rq, s, &f.priorities)))
		return rc;
	if ((s = req_query(rq, "type")) && *s && vocab_parse(&vocab_incident_type, s, &f.type, &rq->err))
		return query_error(rq, "type");
	if ((s = req_query(rq, "owner")))
		f.owner = strcmp(s, "none") == 0 ? "" : s;
	f.text = req_query(rq, "q");
	if ((s = req_query(rq, "sort")) && incident_sort_parse(s, &f.sort, &rq->err))
		return query_error(rq, "sort");
	if ((rc = api_query_int(rq, "limit", 1, API_LIMIT_MAX, API_LIMIT_DEFAULT, &limit)))
		return rc;
	if ((s = req_query(rq, "cursor")) && *s && (rc = cursor_decode(rq, s, &f)))
		return rc;
	f.limit = (int)limit + 1; /* one more tells whether there is a next page */
	rc = incident_list(rq->st, &rq->actor, &f, &l, &rq->err);
	if (rc == ERR_INVALID || rc == ERR_TOOLONG) {
		/* only the text filter is checked there: a bad q is a bad query */
		rq->err.code = ERR_USAGE;
		return err_prefix(&rq->err, "q");
	}
	if (rc)
		return rc;
	items = json_array();
	for (size_t i = 0; i < l.n && i < (size_t)limit; i++)
		json_array_append_new(items, incident_to_json(&l.items[i]));
	o = json_object();
	json_object_set_new(o, "items", items);
	json_object_set_new(o, "next_cursor",
			    l.n > (size_t)limit
				    ? cursor_encode(f.sort, &l.items[limit - 1], f.offset + (int)limit)
				    : json_null());
	incident_list_release(&l);
	return resp_json(rs, 200, o);
}

/* POST /api/v1/incidents */
int api_incident_create(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { INCIDENT_FIELD_NAMES, "reason", NULL };
	struct incident_field all[NFIELDS + 1];
	struct field_set fs;
	struct incident inc;
	struct buf loc = BUF_INIT;
	json_t *body;
	const char *reason;
	int bad = 0, rc;

	rc = api_body(rq, allowed, 0, &body);
	if (rc)
		return rc;
	reason = api_str(rq, body, "reason", &bad);
	if (bad) {
		rc = ERR_INVALID;
		goto out;
	}
	rc = fields_from_json(rq, body, &fs);
	if (rc)
		goto out;
	if (!json_is_string(json_object_get(body, "title"))) {
		rc = err_set(&rq->err, ERR_INVALID, "title: required");
		field_set_release(&fs);
		goto out;
	}
	memcpy(all, fs.f, fs.n * sizeof(fs.f[0]));
	if (reason) {
		all[fs.n].name = "reason";
		all[fs.n].value = reason;
	}
	rc = api_domain(rq, incident_create(rq->st, &rq->actor, all, fs.n + (reason != NULL), &inc,
					     &rq->err));
	field_set_release(&fs);
	if (rc)
		goto out;
	buf_addf(&loc, "/api/v1/incidents/%s", inc.hid);
	resp_header(rs, "Location", loc.data);
	buf_release(&loc);
	rc = send_incident(rs, 201, &inc, NULL);
	incident_release(&inc);
out:
	json_decref(body);
	return rc;
}

/* GET /api/v1/incidents/{id} */
int api_incident_get(struct request *rq, struct response *rs)
{
	struct incident inc;
	json_t *members = NULL;
	int rc;

	rc = incident_get(rq->st, &rq->actor, req_param(rq, 0), &inc, &rq->err);
	if (!rc)
		rc = incident_member_list(rq->st, inc.id, &members, &rq->err);
	if (!rc)
		rc = send_incident(rs, 200, &inc, members);
	json_decref(members);
	incident_release(&inc);
	return rc;
}

/* The version an If-Match header asks for: "3", W/"3" or 3; 0 for none or "*". */
static int if_match(struct request *rq, int64_t *out)
{
	const char *h = req_header(rq, "If-Match");
	char *end;
	long long v;

	*out = 0;
	if (!h || strcmp(h, "*") == 0)
		return 0;
	if (strncmp(h, "W/", 2) == 0)
		h += 2;
	if (*h == '"')
		h++;
	errno = 0;
	v = strtoll(h, &end, 10);
	if (end == h || errno || v < 1 || (*end && strcmp(end, "\"") != 0))
		return err_set(&rq->err, ERR_USAGE, "If-Match: expected the incident's version "
			       "as its ETag gives it, e.g. \"3\"");
	*out = v;
	return 0;
}

/* PATCH /api/v1/incidents/{id} */
int api_incident_update(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { INCIDENT_FIELD_NAMES, "reason", "version", NULL };
	struct field_set fs;
	struct incident inc;
	json_t *body;
	const char *reason;
	int64_t version = 0, header = 0;
	int bad = 0, rc;

	rc = if_match(rq, &header);
	if (rc)
		return rc;
	rc = api_body(rq, allowed, 0, &body);
	if (rc)
		return rc;
	reason = api_str(rq, body, "reason", &bad);
	api_int(rq, body, "version", 1, INT64_MAX, &version, &bad);
	if (bad) {
		rc = ERR_INVALID;
		goto out;
	}
	if (version && header && version != header) {
		rc = err_set(&rq->err, ERR_INVALID, "version: %lld disagrees with If-Match %lld",
			     (long long)version, (long long)header);
		goto out;
	}
	rc = fields_from_json(rq, body, &fs);
	if (rc)
		goto out;
	if (!fs.n) {
		rc = err_set(&rq->err, ERR_INVALID, "nothing to change: give at least one field");
		field_set_release(&fs);
		goto out;
	}
	rc = api_domain(rq, incident_update(rq->st, &rq->actor, req_param(rq, 0), fs.f, fs.n, reason,
					    version ? version : header, &inc, &rq->err));
	field_set_release(&fs);
	if (rc)
		goto out;
	rc = send_incident(rs, 200, &inc, NULL);
	incident_release(&inc);
out:
	json_decref(body);
	return rc;
}

/* POST /api/v1/incidents/{id}/transitions */
int api_incident_move(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "to", "reason", "reject_reason", "duplicate_of", "force",
					       NULL };
	struct incident_move m = { 0 };
	enum incident_state to;
	struct incident inc;
	const char *state;
	json_t *body;
	int bad = 0, rc;

	rc = api_body(rq, allowed, 0, &body);
	if (rc)
		return rc;
	state = api_str(rq, body, "to", &bad);
	m.reason = api_str(rq, body, "reason", &bad);
	m.reject_reason = api_str(rq, body, "reject_reason", &bad);
	m.duplicate_of = api_str(rq, body, "duplicate_of", &bad);
	api_bool(rq, body, "force", &m.force, &bad);
	api_required(rq, "to", state, &bad);
	if (bad)
		rc = ERR_INVALID;
	else if (incident_state_parse(state, &to, &rq->err))
		rc = err_prefix(&rq->err, "to");
	else
		rc = api_domain(rq, incident_move(rq->st, &rq->actor, req_param(rq, 0), to, &m, &inc,
						  &rq->err));
	if (!rc) {
		rc = send_incident(rs, 200, &inc, NULL);
		incident_release(&inc);
	}
	json_decref(body);
	return rc;
}

/* Members */

/* GET /api/v1/incidents/{id}/members */
int api_member_list(struct request *rq, struct response *rs)
{
	json_t *members;
	int rc = incident_members(rq->st, &rq->actor, req_param(rq, 0), &members, &rq->err);

	return rc ? rc : api_items(rs, members);
}

/* POST /api/v1/incidents/{id}/members {"username","role"} */
int api_member_set(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "username", "role", NULL };
	struct incident inc;
	const char *username, *role;
	json_t *body, *members = NULL;
	int bad = 0, rc;

	rc = api_body(rq, allowed, 0, &body);
	if (rc)
		return rc;
	username = api_str(rq, body, "username", &bad);
	role = api_str(rq, body, "role", &bad);
	api_required(rq, "username", username, &bad);
	api_required(rq, "role", role, &bad);
	if (bad) {
		rc = ERR_INVALID;
		goto out;
	}
	/* The incident first, so that a 404 below can only be about the user. */
	rc = incident_get(rq->st, &rq->actor, req_param(rq, 0), &inc, &rq->err);
	if (rc)
		goto out;
	rc = api_domain(rq, incident_member_set(rq->st, &rq->actor, inc.hid, username, role,
						&rq->err));
	if (rc == ERR_NOTFOUND)
		rc = err_set(&rq->err, ERR_INVALID, "username: no user '%.64s'", username);
	if (!rc)
		rc = incident_members(rq->st, &rq->actor, inc.hid, &members, &rq->err);
	incident_release(&inc);
	if (!rc)
		rc = api_items(rs, members);
out:
	json_decref(body);
	return rc;
}

/* DELETE /api/v1/incidents/{id}/members/{username} */
int api_member_remove(struct request *rq, struct response *rs)
{
	int rc = incident_member_remove(rq->st, &rq->actor, req_param(rq, 0), req_param(rq, 1),
					&rq->err);

	return rc ? rc : api_no_content(rs);
}

/* Timeline */

/* GET /api/v1/incidents/{id}/timeline */
int api_timeline_list(struct request *rq, struct response *rs)
{
	json_t *entries;
	int rc = timeline_list(rq->st, &rq->actor, req_param(rq, 0), &entries, &rq->err);

	return rc ? rc : api_items(rs, entries);
}

/* POST /api/v1/incidents/{id}/timeline {"text","kind"?,"occurred_at"?} */
int api_timeline_add(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "kind", "text", "occurred_at", NULL };
	const char *kind, *text, *at;
	json_t *body, *entry = NULL;
	int bad = 0, rc;

	rc = api_body(rq, allowed, 0, &body);
	if (rc)
		return rc;
	kind = api_str(rq, body, "kind", &bad);
	text = api_str(rq, body, "text", &bad);
	at = api_str(rq, body, "occurred_at", &bad);
	api_required(rq, "text", text, &bad);
	rc = bad ? ERR_INVALID
		 : api_domain(rq, timeline_add(rq->st, &rq->actor, req_param(rq, 0), kind, at, text,
					       &entry, &rq->err));
	json_decref(body);
	return rc ? rc : resp_json(rs, 201, entry);
}

/* Tasks */

/* A task id from the path; anything but a positive number is a task that does not exist. */
static int task_id(struct request *rq, int param, int64_t *out)
{
	const char *s = req_param(rq, param);
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < 1 || s[0] == '+' || s[0] == '-')
		return err_set(&rq->err, ERR_NOTFOUND, "task '%.40s' not found", s);
	*out = v;
	return 0;
}

static int task_list_query(struct request *rq, struct response *rs, const char *hid)
{
	static const char *const all[] = { "assignee", "open", "incident", "limit", NULL };
	static const char *const one[] = { "assignee", "open", "limit", NULL };
	struct task_filter f = { 0 };
	json_t *tasks;
	int64_t limit;
	int rc;

	if ((rc = api_query_check(rq, hid ? one : all)) ||
	    (rc = api_query_bool(rq, "open", 0, &f.open_only)) ||
	    (rc = api_query_int(rq, "limit", 1, 1000, 200, &limit)))
		return rc;
	f.limit = (int)limit;
	f.hid = hid ? hid : req_query(rq, "incident");
	f.assignee = req_query(rq, "assignee");
	if (f.assignee && strcmp(f.assignee, "me") == 0)
		f.assignee = rq->actor.name;
	rc = task_list(rq->st, &rq->actor, &f, &tasks, &rq->err);
	return rc ? rc : api_items(rs, tasks);
}

/* GET /api/v1/incidents/{id}/tasks */
int api_incident_task_list(struct request *rq, struct response *rs)
{
	return task_list_query(rq, rs, req_param(rq, 0));
}

/* GET /api/v1/tasks ?assignee=USER|me &open=1 &incident=ID &limit=N */
int api_task_list(struct request *rq, struct response *rs)
{
	return task_list_query(rq, rs, NULL);
}

/* POST /api/v1/incidents/{id}/tasks {"title","phase"?,"assignee"?,"due"?} */
int api_incident_task_add(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "title", "phase", "assignee", "due", "due_at", NULL };
	struct task_new t = { 0 };
	const char *due_at;
	json_t *body, *task = NULL;
	int bad = 0, rc;

	rc = api_body(rq, allowed, 0, &body);
	if (rc)
		return rc;
	t.title = api_str(rq, body, "title", &bad);
	t.phase = api_str(rq, body, "phase", &bad);
	t.assignee = api_str(rq, body, "assignee", &bad);
	t.due = api_str(rq, body, "due", &bad);
	due_at = api_str(rq, body, "due_at", &bad);
	api_required(rq, "title", t.title, &bad);
	if (!bad && t.due && due_at) {
		err_set(&rq->err, ERR_INVALID, "due: give due or due_at, not both");
		bad = 1;
	}
	if (!t.due)
		t.due = due_at;
	rc = bad ? ERR_INVALID
		 : api_domain(rq, task_add(rq->st, &rq->actor, req_param(rq, 0), &t, &task, &rq->err));
	json_decref(body);
	return rc ? rc : resp_json(rs, 201, task);
}

static int set_done(struct request *rq, struct response *rs, int param, int done)
{
	json_t *task = NULL;
	int64_t id;
	int rc = task_id(rq, param, &id);

	if (!rc)
		rc = task_set_done(rq->st, &rq->actor, id, done, &task, &rq->err);
	return rc ? rc : resp_json(rs, 200, task);
}

/* The task in the path must belong to the incident in the path. */
static int task_in_incident(struct request *rq, int64_t id)
{
	struct task_filter f = { 0 };
	json_t *tasks, *t;
	size_t i;
	int rc, found = 0;

	f.hid = req_param(rq, 0);
	f.limit = 10000;
	rc = task_list(rq->st, &rq->actor, &f, &tasks, &rq->err);
	if (rc)
		return rc;
	json_array_foreach(tasks, i, t)
		if (json_integer_value(json_object_get(t, "id")) == id)
			found = 1;
	json_decref(tasks);
	return found ? 0 : err_set(&rq->err, ERR_NOTFOUND, "task %lld not found in %.40s",
				   (long long)id, req_param(rq, 0));
}

static int incident_set_done(struct request *rq, struct response *rs, int done)
{
	int64_t id;
	int rc = task_id(rq, 1, &id);

	if (!rc)
		rc = task_in_incident(rq, id);
	return rc ? rc : set_done(rq, rs, 1, done);
}

/* POST /api/v1/tasks/{task}/done */
int api_task_done(struct request *rq, struct response *rs) { return set_done(rq, rs, 0, 1); }
/* POST /api/v1/tasks/{task}/reopen */
int api_task_reopen(struct request *rq, struct response *rs) { return set_done(rq, rs, 0, 0); }
/* POST /api/v1/incidents/{id}/tasks/{task}/done */
int api_incident_task_done(struct request *rq, struct response *rs)
{
	return incident_set_done(rq, rs, 1);
}
/* POST /api/v1/incidents/{id}/tasks/{task}/reopen */
int api_incident_task_reopen(struct request *rq, struct response *rs)
{
	return incident_set_done(rq, rs, 0);
}
