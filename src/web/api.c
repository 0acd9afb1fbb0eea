/*
 * api.c: the REST API's route table, the helpers its handlers share
 * (typed body fields, query arguments, list envelopes), and its core
 * endpoints: health and sessions (sign-in from a program). Resource
 * handlers live in web/api_incident.c and web/api_admin.c.
 */
#include "web/api.h"
#include "detect/syslog.h"
#include "ir/auth.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/time.h"
#include "web/http.h"
#include "web/req.h"
#include "web/router.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first problem found is the one reported. */
static void flag(struct request *rq, int *bad, const char *key, const char *what)
{
	if (!*bad)
		err_set(&rq->err, ERR_INVALID, "%s: %s", key, what);
	*bad = 1;
}

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static void add_list(struct buf *b, const char *const *list)
{
	if (!list[0])
		buf_adds(b, "none");
	for (int i = 0; list[i]; i++)
		buf_addf(b, "%s%s", i ? ", " : "", list[i]);
}

int api_body(struct request *rq, const char *const *allowed, int optional, json_t **out)
{
	struct buf unknown = BUF_INIT, msg = BUF_INIT;
	const char *key;
	json_t *v;
	int n = 0, rc;

	*out = NULL;
	if (optional && rq->body.len == 0 && !rq->body_too_large) {
		*out = json_object();
		return *out ? 0 : err_set(&rq->err, ERR_NOMEM, "out of memory");
	}
	rc = req_json(rq, out);
	if (rc)
		return rc;
	json_object_foreach(*out, key, v) {
		if (in_list(allowed, key))
			continue;
		buf_addf(&unknown, "%s'%.64s'", n ? ", " : "", key);
		n++;
	}
	if (!n)
		return 0;
	buf_addf(&msg, "unknown field%s %s (allowed: ", n > 1 ? "s" : "", unknown.data);
	add_list(&msg, allowed);
	buf_addch(&msg, ')');
	rc = err_set(&rq->err, ERR_INVALID, "%s", msg.data);
	buf_release(&unknown);
	buf_release(&msg);
	json_decref(*out);
	*out = NULL;
	return rc;
}

const char *api_str(struct request *rq, json_t *obj, const char *key, int *bad)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		flag(rq, bad, key, "expected a string");
		return NULL;
	}
	return json_string_value(v);
}

void api_bool(struct request *rq, json_t *obj, const char *key, int *out, int *bad)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return;
	if (!json_is_boolean(v)) {
		flag(rq, bad, key, "expected true or false");
		return;
	}
	*out = json_is_true(v);
}

void api_int(struct request *rq, json_t *obj, const char *key, int64_t lo, int64_t hi,
	     int64_t *out, int *bad)
{
	json_t *v = json_object_get(obj, key);
	json_int_t i;

	if (!v || json_is_null(v))
		return;
	if (!json_is_integer(v)) {
		flag(rq, bad, key, "expected an integer");
		return;
	}
	i = json_integer_value(v);
	if (i < lo || i > hi) {
		if (!*bad)
			err_set(&rq->err, ERR_INVALID, "%s: expected %lld to %lld, not %lld", key,
				(long long)lo, (long long)hi, (long long)i);
		*bad = 1;
		return;
	}
	*out = i;
}

void api_required(struct request *rq, const char *key, const char *value, int *bad)
{
	if (!value || !*value)
		flag(rq, bad, key, "required");
}

struct query_check {
	const char *const *allowed;
	struct buf unknown;
	int n;
};

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct query_check *qc = cls;

	(void)kind;
	(void)value;
	if (!in_list(qc->allowed, key)) {
		buf_addf(&qc->unknown, "%s'%.64s'", qc->n ? ", " : "", key);
		qc->n++;
	}
	return MHD_YES;
}

int api_query_check(struct request *rq, const char *const *allowed)
{
	struct query_check qc = { allowed, BUF_INIT, 0 };
	struct buf msg = BUF_INIT;
	int rc = 0;

	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, query_arg, &qc);
	if (qc.n) {
		buf_addf(&msg, "unknown query parameter%s %s (allowed: ", qc.n > 1 ? "s" : "",
			 qc.unknown.data);
		add_list(&msg, allowed);
		buf_addch(&msg, ')');
		rc = err_set(&rq->err, ERR_USAGE, "%s", msg.data);
	}
	buf_release(&qc.unknown);
	buf_release(&msg);
	return rc;
}

int api_query_int(struct request *rq, const char *name, int64_t lo, int64_t hi, int64_t dflt,
		  int64_t *out)
{
	const char *s = req_query(rq, name);
	char *end;
	long long v;

	*out = dflt;
	if (!s)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return err_set(&rq->err, ERR_USAGE, "%s: expected a number from %lld to %lld, not '%.40s'",
			       name, (long long)lo, (long long)hi, s);
	*out = v;
	return 0;
}

int api_query_bool(struct request *rq, const char *name, int dflt, int *out)
{
	const char *s = req_query(rq, name);

	*out = dflt;
	if (!s)
		return 0;
	if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || !*s)
		*out = 1;
	else if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
		*out = 0;
	else
		return err_set(&rq->err, ERR_USAGE, "%s: expected 1 or 0, not '%.40s'", name, s);
	return 0;
}

int api_domain(struct request *rq, int rc)
{
	if (rc != ERR_PARSE && rc != ERR_TOOLONG)
		return rc;
	rq->err.code = ERR_INVALID;
	return ERR_INVALID;
}

int api_items(struct response *rs, json_t *items)
{
	json_t *o = json_object();

	json_object_set_new(o, "items", items ? items : json_array());
	return resp_json(rs, 200, o);
}

int api_no_content(struct response *rs)
{
	rs->status = 204;
	rs->content_type = NULL;
	buf_reset(&rs->body);
	return 0;
}

/* GET /api/v1/health: the process answers and the store can be read. */
static int get_health(struct request *rq, struct response *rs)
{
	struct stmt *s;
	char now[TIME_STR_MAX];
	int64_t version = 0;
	json_t *body;
	int ok;

	ok = store_prepare(rq->st, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &s,
			   NULL) == 0 &&
	     stmt_int_result(s, &version, NULL) == 0;
	time_format_utc(time_now(), now);
	body = json_pack("{s:s,s:s,s:s,s:I,s:s}", "status", ok ? "ok" : "degraded",
			 "version", IRDESK_VERSION, "store", ok ? "ok" : "unavailable",
			 "schema_version", (json_int_t)version, "time", now);
	if (body) {
		struct http_db_pool pool;

		http_db_pool(rq->srv, &pool);
		json_object_set_new(body, "db_connections",
				    json_pack("{s:i,s:i,s:i}", "pool", pool.workers, "open", pool.open,
					      "node_max", pool.node));
	}
	if (body && http_syslog(rq->srv)) {
		struct syslog_stats ss;

		syslog_get_stats(http_syslog(rq->srv), &ss);
		json_object_set_new(body, "syslog",
			json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
				  "udp_received", (json_int_t)ss.udp_received,
				  "udp_dropped", (json_int_t)ss.udp_dropped,
				  "tcp_received", (json_int_t)ss.tcp_received,
				  "tcp_connections", (json_int_t)ss.tcp_connections,
				  "malformed", (json_int_t)ss.malformed,
				  "truncated", (json_int_t)ss.truncated,
				  "oversize", (json_int_t)ss.oversize));
	}
	if (body && http_intake(rq->srv))
		json_object_set_new(body, "detection", api_intake_health(http_intake(rq->srv)));
	return resp_json(rs, ok ? 200 : 503, body);
}

static json_t *session_json(const struct request *rq, const struct session_info *s)
{
	json_t *o = json_object();

	json_set_str(o, "username", s->username);
	json_set_str(o, "role", role_name(rq->actor.role));
	json_set_bool(o, "external", rq->actor.external);
	json_set_str(o, "csrf_token", s->csrf);
	json_set_time(o, "expires_at", s->expires_at);
	json_set_bool(o, "must_change_password", s->must_change_password);
	return o;
}

/*
 * POST /api/v1/session {"username","password","totp"?}: sign in from a
 * program. The session id comes back as the cookie; the CSRF token that
 * cookie-authenticated changes must send as X-CSRF-Token is in the body.
 */
static int post_session(struct request *rq, struct response *rs)
{
	struct signin in;
	struct session_info s;
	json_t *body;
	static const char *const allowed[] = { "username", "password", "totp", NULL };
	int bad = 0, retry = 0, rc;

	rc = api_body(rq, allowed, 0, &body);
	if (rc)
		return rc;
	memset(&in, 0, sizeof(in));
	in.username = api_str(rq, body, "username", &bad);
	in.password = api_str(rq, body, "password", &bad);
	in.totp = api_str(rq, body, "totp", &bad);
	in.addr = rq->addr;
	in.user_agent = req_header(rq, "User-Agent");
	in.now = time_now();
	if (!bad && (!in.username || !in.password))
		rc = err_set(&rq->err, ERR_INVALID, "username and password are required");
	else if (bad)
		rc = ERR_INVALID;
	else
		rc = auth_signin(rq->st, &in, &s, &retry, &rq->err);
	json_decref(body);
	if (rc) {
		if (retry > 0) {
			char tmp[16];
			snprintf(tmp, sizeof(tmp), "%d", retry);
			resp_header(rs, "Retry-After", tmp);
		}
		return rc;
	}
	if (actor_for_user(rq->st, s.username, rq->tz, &rq->actor, &rq->err))
		return rq->err.code;
	rq->authenticated = 1;
	resp_cookie(rs, rq, HTTP_SESSION_COOKIE, s.id, AUTH_SESSION_ABSOLUTE);
	return resp_json(rs, 201, session_json(rq, &s));
}

/* GET /api/v1/session: who am I. */
static int get_session(struct request *rq, struct response *rs)
{
	json_t *o;

	if (rq->via_token) {
		o = json_object();
		json_set_str(o, "username", rq->actor.name);
		json_set_str(o, "role", role_name(rq->actor.role));
		json_set_bool(o, "external", rq->actor.external);
		json_set_str(o, "auth", "token");
		return resp_json(rs, 200, o);
	}
	o = session_json(rq, &rq->session);
	json_set_str(o, "auth", "session");
	return resp_json(rs, 200, o);
}

/* DELETE /api/v1/session: sign out. */
static int delete_session(struct request *rq, struct response *rs)
{
	const char *cookie = req_cookie(rq, HTTP_SESSION_COOKIE);

	if (rq->via_token)
		return err_set(&rq->err, ERR_INVALID, "a token has no session: revoke the token instead");
	if (cookie && auth_signout(rq->st, cookie, &rq->err))
		return rq->err.code;
	resp_cookie(rs, rq, HTTP_SESSION_COOKIE, "", 0);
	rs->status = 204;
	return 0;
}

/*
 * The API. Routes about one incident carry ROUTE_INCIDENT: an external
 * user's permission there is the role it holds in that incident, checked by
 * ir/ (404 when it is not a member). Transitions need only incident_read
 * here because ir/incident_move checks the permission of the transition
 * itself; PATCH needs incident_edit (every role that may override a
 * priority or correct a timestamp may also edit), and ir/ checks those.
 */
#define R_INC ROUTE_INCIDENT
const struct route api_routes[] = {
	{ "GET", "/api/v1/health", get_health, ROUTE_PUBLIC, ACT_NONE, "health of the server and store" },
	{ "POST", "/api/v1/session", post_session, ROUTE_PUBLIC | ROUTE_NO_CSRF, ACT_NONE, "sign in" },
	{ "GET", "/api/v1/session", get_session, 0, ACT_NONE, "who am I" },
	{ "DELETE", "/api/v1/session", delete_session, 0, ACT_NONE, "sign out" },

	{ "GET", "/api/v1/incidents", api_incident_list, 0, ACT_INCIDENT_READ, "list incidents" },
	{ "POST", "/api/v1/incidents", api_incident_create, 0, ACT_INCIDENT_CREATE, "create an incident" },
	{ "GET", "/api/v1/incidents/{id}", api_incident_get, R_INC, ACT_INCIDENT_READ, "show an incident" },
	{ "PATCH", "/api/v1/incidents/{id}", api_incident_update, R_INC, ACT_INCIDENT_EDIT,
	  "change an incident's fields" },
	{ "POST", "/api/v1/incidents/{id}/transitions", api_incident_move, R_INC, ACT_INCIDENT_READ,
	  "move an incident to another state" },
	{ "GET", "/api/v1/incidents/{id}/members", api_member_list, R_INC, ACT_INCIDENT_READ,
	  "list an incident's members" },
	{ "POST", "/api/v1/incidents/{id}/members", api_member_set, R_INC, ACT_MEMBER_EDIT,
	  "add a member or change its role" },
	{ "DELETE", "/api/v1/incidents/{id}/members/{username}", api_member_remove, R_INC,
	  ACT_MEMBER_EDIT, "remove a member" },
	{ "GET", "/api/v1/incidents/{id}/timeline", api_timeline_list, R_INC, ACT_INCIDENT_READ,
	  "read an incident's timeline" },
	{ "POST", "/api/v1/incidents/{id}/timeline", api_timeline_add, R_INC, ACT_TIMELINE_ADD,
	  "add a timeline entry" },
	{ "GET", "/api/v1/incidents/{id}/tasks", api_incident_task_list, R_INC, ACT_INCIDENT_READ,
	  "list an incident's tasks" },
	{ "POST", "/api/v1/incidents/{id}/tasks", api_incident_task_add, R_INC, ACT_TASK_EDIT,
	  "add a task" },
	{ "POST", "/api/v1/incidents/{id}/tasks/{task}/done", api_incident_task_done, R_INC,
	  ACT_TASK_EDIT, "mark a task of this incident done" },
	{ "POST", "/api/v1/incidents/{id}/tasks/{task}/reopen", api_incident_task_reopen, R_INC,
	  ACT_TASK_EDIT, "reopen a task of this incident" },
	{ "GET", "/api/v1/incidents/{id}/killchain", api_killchain_get, R_INC, ACT_INCIDENT_READ,
	  "the kill-chain phases an incident reached (detected and manual)" },
	{ "POST", "/api/v1/incidents/{id}/killchain", api_killchain_mark, R_INC, ACT_INCIDENT_EDIT,
	  "mark or unmark a kill-chain phase by hand" },
	{ "GET", "/api/v1/incidents/{id}/items", api_items_read, R_INC, ACT_INCIDENT_READ,
	  "an incident's catalog items and what is missing for each next state" },
	{ "PATCH", "/api/v1/incidents/{id}/items", api_items_write, R_INC, ACT_INCIDENT_EDIT,
	  "set an incident's catalog items" },
	{ "POST", "/api/v1/incidents/{id}/threats", api_threats_add, R_INC, ACT_INCIDENT_EDIT,
	  "tag an incident with IPA threats" },
	{ "DELETE", "/api/v1/incidents/{id}/threats/{threat}", api_threats_remove, R_INC,
	  ACT_INCIDENT_EDIT, "remove an IPA threat tag" },
	{ "GET", "/api/v1/incidents/{id}/reports", api_report_list, R_INC, ACT_INCIDENT_READ,
	  "list the kept report versions" },
	{ "POST", "/api/v1/incidents/{id}/reports", api_report_generate, R_INC, ACT_REPORT_WRITE,
	  "generate a report (incident, appi_preliminary, appi_final, notice) and keep it" },
	{ "GET", "/api/v1/incidents/{id}/reports/{kind}/{version}", api_report_get, R_INC,
	  ACT_INCIDENT_READ, "one kept report version with its body" },
	{ "GET", "/api/v1/incidents/{id}/reports/{kind}/{version}/diff/{other}", api_report_diff, R_INC,
	  ACT_INCIDENT_READ, "what changed between two kept versions, line by line" },
	{ "GET", "/api/v1/catalog", api_catalog_get, 0, ACT_INCIDENT_READ,
	  "the catalog: types, items, playbooks, threat lists, command sheets" },
	{ "GET", "/api/v1/catalog/sheets/{sheet}", api_sheet_get, 0, ACT_INCIDENT_READ,
	  "an investigation command sheet (Markdown)" },
	{ "GET", "/api/v1/tasks", api_task_list, 0, ACT_INCIDENT_READ, "list tasks (mine: assignee=me)" },
	{ "POST", "/api/v1/tasks/{task}/done", api_task_done, 0, ACT_TASK_EDIT, "mark a task done" },
	{ "POST", "/api/v1/tasks/{task}/reopen", api_task_reopen, 0, ACT_TASK_EDIT, "reopen a task" },

	{ "POST", "/api/v1/events", api_events_post, 0, ACT_EVENT_WRITE,
	  "send events to detection (JSON, array or JSON lines)" },
	{ "GET", "/api/v1/alerts", api_alert_list, 0, ACT_ALERT_READ, "list alerts" },
	{ "GET", "/api/v1/alerts/{alert}", api_alert_get, 0, ACT_ALERT_READ,
	  "show an alert with its matched event" },
	{ "POST", "/api/v1/alerts/{alert}/triage", api_alert_triage, 0, ACT_ALERT_TRIAGE,
	  "triage an alert: false positive, benign, promote or attach" },
	{ "GET", "/api/v1/suppressions", api_suppression_list, 0, ACT_ALERT_READ,
	  "list alert suppressions" },
	{ "POST", "/api/v1/suppressions", api_suppression_add, 0, ACT_ALERT_SUPPRESS,
	  "add an alert suppression" },
	{ "DELETE", "/api/v1/suppressions/{sid}", api_suppression_remove, 0, ACT_ALERT_SUPPRESS,
	  "remove an alert suppression" },

	{ "GET", "/api/v1/users", api_user_list, 0, ACT_INCIDENT_READ, "list accounts" },
	{ "POST", "/api/v1/users", api_user_create, 0, ACT_USER_ADMIN, "create an account" },
	{ "POST", "/api/v1/users/{name}/disable", api_user_disable, 0, ACT_USER_ADMIN,
	  "disable an account" },
	{ "POST", "/api/v1/users/{name}/enable", api_user_enable, 0, ACT_USER_ADMIN,
	  "enable an account" },
	{ "POST", "/api/v1/users/{name}/password", api_user_password, 0, ACT_NONE,
	  "set a password (admin, or the account itself)" },
	{ "PATCH", "/api/v1/users/{name}/totp", api_user_totp, 0, ACT_USER_ADMIN,
	  "require or stop requiring TOTP" },
	{ "GET", "/api/v1/audit", api_audit_list, 0, ACT_AUDIT_READ, "read the audit log" },
	{ "POST", "/api/v1/audit/verify", api_audit_verify, 0, ACT_AUDIT_READ, "verify the audit chain" },
	{ "GET", "/api/v1/tokens", api_token_list, 0, ACT_NONE, "list my API tokens" },
	{ "POST", "/api/v1/tokens", api_token_create, 0, ACT_NONE, "create an API token" },
	{ "DELETE", "/api/v1/tokens/{tid}", api_token_revoke, 0, ACT_NONE, "revoke an API token" },
	{ "GET", "/api/v1/account", api_account_get, 0, ACT_NONE, "my account and settings" },
	{ "PATCH", "/api/v1/account", api_account_update, 0, ACT_NONE, "change my language or zone" },
	{ "POST", "/api/v1/account/password", api_account_password, 0, ACT_NONE,
	  "change my password" },
	{ "POST", "/api/v1/account/totp", api_account_totp_begin, 0, ACT_NONE, "start TOTP enrolment" },
	{ "POST", "/api/v1/account/totp/confirm", api_account_totp_confirm, 0, ACT_NONE,
	  "confirm TOTP enrolment with a code" },
	{ "DELETE", "/api/v1/account/totp", api_account_totp_disable, 0, ACT_NONE, "turn TOTP off" },

	{ "GET", "/api/v1/incidents/{id}/evidence", api_evidence_list, R_INC, ACT_EVIDENCE_READ,
	  "list an incident's evidence" },
	{ "PUT", "/api/v1/incidents/{id}/evidence", api_evidence_put, R_INC | ROUTE_STREAM,
	  ACT_EVIDENCE_WRITE, "upload evidence: the file as the body, its description in the query" },
	{ "POST", "/api/v1/incidents/{id}/evidence", api_evidence_post, R_INC | ROUTE_STREAM,
	  ACT_EVIDENCE_WRITE, "upload evidence as multipart/form-data" },
	{ "POST", "/api/v1/incidents/{id}/evidence/verify", api_evidence_verify, R_INC,
	  ACT_EVIDENCE_READ, "re-hash an incident's evidence files" },
	{ "POST", "/api/v1/incidents/{id}/evidence/hold", api_evidence_hold, R_INC, ACT_EVIDENCE_WRITE,
	  "put an incident's evidence on legal hold" },
	{ "POST", "/api/v1/incidents/{id}/evidence/release", api_evidence_release, R_INC,
	  ACT_EVIDENCE_DELETE, "release an incident's legal hold" },
	{ "GET", "/api/v1/incidents/{id}/evidence/{item}", api_evidence_get, R_INC, ACT_EVIDENCE_READ,
	  "show an evidence item of this incident with its custody log" },
	{ "GET", "/api/v1/incidents/{id}/evidence/{item}/download", web_evidence_download, R_INC,
	  ACT_EVIDENCE_READ, "download an evidence file of this incident (recorded in custody)" },
	{ "POST", "/api/v1/incidents/{id}/evidence/{item}/custody", api_evidence_custody, R_INC,
	  ACT_EVIDENCE_WRITE, "record a handover, checkout or checkin of an item of this incident" },
	{ "GET", "/api/v1/evidence", api_evidence_list, 0, ACT_EVIDENCE_READ,
	  "list the evidence of every incident I may see" },
	{ "GET", "/api/v1/evidence/due", api_evidence_due, 0, ACT_EVIDENCE_READ,
	  "evidence past its retention date" },
	{ "GET", "/api/v1/evidence/{item}", api_evidence_get, 0, ACT_EVIDENCE_READ,
	  "show an evidence item with its custody log" },
	{ "GET", "/api/v1/evidence/{item}/download", web_evidence_download, 0, ACT_EVIDENCE_READ,
	  "download an evidence file (recorded in custody)" },
	{ "POST", "/api/v1/evidence/{item}/custody", api_evidence_custody, 0, ACT_EVIDENCE_WRITE,
	  "record a handover, checkout or checkin" },
	{ "POST", "/api/v1/evidence/{item}/verify", api_evidence_verify, 0, ACT_EVIDENCE_READ,
	  "re-hash an evidence file" },
	{ "POST", "/api/v1/evidence/{item}/hold", api_evidence_hold, 0, ACT_EVIDENCE_WRITE,
	  "put an evidence item on legal hold" },
	{ "POST", "/api/v1/evidence/{item}/release", api_evidence_release, 0, ACT_EVIDENCE_DELETE,
	  "release an evidence item's legal hold" },
	{ "POST", "/api/v1/evidence/{item}/retention", api_evidence_retain, 0, ACT_EVIDENCE_WRITE,
	  "keep an evidence item until another date (earlier needs evidence_delete)" },
	{ "DELETE", "/api/v1/evidence/{item}", api_evidence_delete, 0, ACT_EVIDENCE_DELETE,
	  "delete an evidence file (the record stays)" },
	{ "GET", "/api/v1/contacts", api_contact_list, 0, ACT_CONTACT_READ, "list contacts" },
	{ "POST", "/api/v1/contacts", api_contact_create, 0, ACT_CONTACT_EDIT, "add a contact" },
	{ "GET", "/api/v1/contacts/export", api_contact_export, 0, ACT_CONTACT_READ,
	  "the contact directory as CSV" },
	{ "POST", "/api/v1/contacts/import", api_contact_import, 0, ACT_CONTACT_EDIT,
	  "import contacts from CSV (all rows or none)" },
	{ "GET", "/api/v1/contacts/{cid}", api_contact_get, 0, ACT_CONTACT_READ, "show a contact" },
	{ "PATCH", "/api/v1/contacts/{cid}", api_contact_update, 0, ACT_CONTACT_EDIT,
	  "change a contact" },
	{ "DELETE", "/api/v1/contacts/{cid}", api_contact_remove, 0, ACT_CONTACT_EDIT,
	  "remove a contact" },
	{ "GET", "/api/v1/incidents/{id}/notifications", api_notification_list, R_INC,
	  ACT_INCIDENT_READ, "list an incident's notifications" },
	{ "POST", "/api/v1/incidents/{id}/notifications", api_notification_add, R_INC,
	  ACT_NOTIFY_RECORD, "record a notification" },
	{ "GET", "/api/v1/incidents/{id}/breach", api_breach_get, R_INC, ACT_INCIDENT_READ,
	  "personal-data breach flags and clocks" },
	{ "PUT", "/api/v1/incidents/{id}/breach", api_breach_set, R_INC, ACT_INCIDENT_EDIT,
	  "set personal-data breach flags" },
	{ "GET", "/api/v1/incidents/{id}/clocks", api_incident_clocks, R_INC, ACT_INCIDENT_READ,
	  "an incident's regulatory clocks" },
	{ "GET", "/api/v1/clocks", api_clock_list, 0, ACT_INCIDENT_READ,
	  "every regulatory clock, most urgent first" },
	{ "GET", "/api/v1/settings/clocks", api_clock_settings_get, 0, ACT_SETTINGS,
	  "the regulatory clock settings (admin)" },
	{ "PUT", "/api/v1/settings/clocks", api_clock_settings_set, 0, ACT_SETTINGS,
	  "change clock settings, all or none (admin)" },
	{ "GET", "/api/v1/incidents/{id}/observables", api_observable_list, R_INC, ACT_INCIDENT_READ,
	  "list an incident's observables with their sightings" },
	{ "POST", "/api/v1/incidents/{id}/observables", api_observable_add, R_INC, ACT_OBSERVABLE_EDIT,
	  "add an observable, or those found in a pasted text" },
	{ "PATCH", "/api/v1/incidents/{id}/observables/{obs}", api_observable_update, R_INC,
	  ACT_OBSERVABLE_EDIT, "change an observable's TLP, IOC flag or comment" },
	{ "DELETE", "/api/v1/incidents/{id}/observables/{obs}", api_observable_remove, R_INC,
	  ACT_OBSERVABLE_EDIT, "remove an observable" },
	{ "GET", "/api/v1/observables", api_observable_search, 0, ACT_INCIDENT_READ,
	  "find an observable value on every visible incident" },
	{ "GET", "/api/v1/incidents/{id}/lessons", api_lessons_get, R_INC, ACT_INCIDENT_READ,
	  "read an incident's lessons learned and facts" },
	{ "PATCH", "/api/v1/incidents/{id}/lessons", api_lessons_set, R_INC, ACT_LESSONS_EDIT,
	  "write lessons learned" },
	{ "POST", "/api/v1/incidents/{id}/lessons/actions", api_lessons_action, R_INC,
	  ACT_LESSONS_EDIT, "add a follow-up action (a task)" },
	{ "GET", "/api/v1/metrics", api_metrics_get, 0, ACT_INCIDENT_READ,
	  "incident metrics: counts, durations, recurrence" },
	{ "POST", "/api/v1/mail", api_mail_post, ROUTE_STREAM, ACT_ALERT_TRIAGE,
	  "analyse a reported mail (raw message); bec, phishing, suspicious become alerts" },
	{ "GET", "/api/v1/alerts/{alert}/mail", api_alert_mail, 0, ACT_ALERT_READ,
	  "the reported mails kept with an alert, with their analysis" },
	{ "GET", "/api/v1/settings/mail", api_mail_settings_get, 0, ACT_SETTINGS,
	  "the reported-mail analysis settings in force" },
	{ "PUT", "/api/v1/settings/mail", api_mail_settings_put, 0, ACT_SETTINGS,
	  "replace the reported-mail analysis settings (JSON, as --mail-config)" },
	{ NULL, NULL, NULL, 0, ACT_NONE, NULL },
};
