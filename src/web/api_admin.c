/*
 * api_admin.c: the REST API for accounts (users), the audit log, API
 * tokens and the caller's own account (settings, password, TOTP). The
 * rules (who may, what is valid, what is audited) live in ir/user.c,
 * ir/audit.c and ir/auth.c; this maps JSON to them and back.
 */
#include "ir/audit.h"
#include "ir/auth.h"
#include "ir/user.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "web/api.h"
#include "web/http.h"
#include "web/req.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The account called name as JSON with its TOTP state (caller owns *out). */
static int user_json(struct request *rq, const char *name, json_t **out)
{
	struct user u;
	struct user_settings s;
	int rc;

	*out = NULL;
	rc = user_get(rq->st, name, &u, &rq->err);
	if (rc)
		return rc;
	rc = user_settings_get(rq->st, u.id, &s, &rq->err);
	if (!rc) {
		*out = user_to_json(&u);
		json_set_bool(*out, "totp_enabled", s.totp_enabled);
		json_set_bool(*out, "totp_required", s.totp_required);
	}
	user_release(&u);
	return rc;
}

/*
 * End every session of the account called name after its password changed
 * or it was disabled (ir/ leaves that to the caller, after the change has
 * committed). Fails only when the store does.
 */
static int end_sessions(struct request *rq, const char *name)
{
	struct user u;
	int rc = user_get(rq->st, name, &u, &rq->err);

	if (!rc) {
		rc = auth_signout_all(rq->st, u.id, &rq->err);
		user_release(&u);
	}
	return rc;
}

/* Users */

/* GET /api/v1/users */
int api_user_list(struct request *rq, struct response *rs)
{
	json_t *users;
	int rc = user_list(rq->st, &rq->actor, &users, &rq->err);

	return rc ? rc : api_items(rs, users);
}

/* POST /api/v1/users {"username","role","display_name"?,"email"?,"external"?,"password"?} */
int api_user_create(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "username", "role", "display_name", "email",
					       "external", "password", NULL };
	char otp[USER_OTP_LEN + 1] = "";
	struct user_new nu;
	struct user u;
	const char *role;
	json_t *body, *o;
	int bad = 0, rc;

	rc = api_body(rq, allowed, 0, &body);
	if (rc)
		return rc;
	memset(&nu, 0, sizeof(nu));
	nu.username = api_str(rq, body, "username", &bad);
	role = api_str(rq, body, "role", &bad);
	nu.display_name = api_str(rq, body, "display_name", &bad);
	nu.email = api_str(rq, body, "email", &bad);
	api_bool(rq, body, "external", &nu.external, &bad);
	nu.password = api_str(rq, body, "password", &bad);
	api_required(rq, "username", nu.username, &bad);
	api_required(rq, "role", role, &bad);
	if (bad)
		rc = ERR_INVALID;
	else if (role_parse(role, &nu.role, &rq->err))
		rc = err_prefix(&rq->err, "role");
	else
		rc = api_domain(rq, user_add(rq->st, &rq->actor, &nu, otp, &u, &rq->err));
	if (!rc) {
		o = user_to_json(&u);
		if (otp[0])
			json_set_str(o, "one_time_password", otp);
		user_release(&u);
		rc = resp_json(rs, 201, o);
	}
	sodium_memzero(otp, sizeof(otp));
	json_decref(body);
	return rc;
}

static int set_disabled(struct request *rq, struct response *rs, int disabled)
{
	const char *name = req_param(rq, 0);
	json_t *o;
	int rc;

	rc = user_set_disabled(rq->st, &rq->actor, name, disabled, &rq->err);
	if (!rc && disabled)
		rc = end_sessions(rq, name);
	if (!rc)
		rc = user_json(rq, name, &o);
	return rc ? rc : resp_json(rs, 200, o);
}

/* POST /api/v1/users/{name}/disable */
int api_user_disable(struct request *rq, struct response *rs) { return set_disabled(rq, rs, 1); }
/* POST /api/v1/users/{name}/enable */
int api_user_enable(struct request *rq, struct response *rs) { return set_disabled(rq, rs, 0); }

/* POST /api/v1/users/{name}/password {"password"?}: none generates a one-time password. */
int api_user_password(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "password", NULL };
	char otp[USER_OTP_LEN + 1] = "";
	const char *name = req_param(rq, 0), *password;
	json_t *body, *o = NULL;
	int bad = 0, rc;

	rc = api_body(rq, allowed, 1, &body);
	if (rc)
		return rc;
	password = api_str(rq, body, "password", &bad);
	if (!bad && password && !*password)
		api_required(rq, "password", password, &bad);
	rc = bad ? ERR_INVALID
		 : api_domain(rq, user_passwd(rq->st, &rq->actor, name, password, otp, &rq->err));
	if (!rc)
		rc = end_sessions(rq, name);
	if (!rc)
		rc = user_json(rq, name, &o);
	if (!rc) {
		if (otp[0])
			json_set_str(o, "one_time_password", otp);
		rc = resp_json(rs, 200, o);
	}
	sodium_memzero(otp, sizeof(otp));
	json_decref(body);
	return rc;
}

/* PATCH /api/v1/users/{name}/totp {"required": bool} */
int api_user_totp(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "required", NULL };
	const char *name = req_param(rq, 0);
	json_t *body, *o = NULL;
	int bad = 0, required = -1, rc;

	rc = api_body(rq, allowed, 0, &body);
	if (rc)
		return rc;
	api_bool(rq, body, "required", &required, &bad);
	json_decref(body);
	if (!bad && required < 0)
		rc = err_set(&rq->err, ERR_INVALID, "required: required (true or false)");
	else if (bad)
		rc = ERR_INVALID;
	else
		rc = auth_totp_require(rq->st, &rq->actor, name, required, &rq->err);
	if (!rc)
		rc = user_json(rq, name, &o);
	return rc ? rc : resp_json(rs, 200, o);
}

/* Audit log */

/* GET /api/v1/audit ?object=TYPE[:ID] &actor=NAME &limit=N &since_seq=SEQ */
int api_audit_list(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "object", "actor", "limit", "since_seq", NULL };
	struct audit_filter f;
	char type[64];
	const char *object = req_query(rq, "object");
	json_t *rows;
	int64_t limit, since;
	int rc;

	memset(&f, 0, sizeof(f));
	if ((rc = api_query_check(rq, allowed)) ||
	    (rc = api_query_int(rq, "limit", 1, 1000, 100, &limit)) ||
	    (rc = api_query_int(rq, "since_seq", 0, INT64_MAX, -1, &since)))
		return rc;
	if (object && *object) {
		const char *colon = strchr(object, ':');
		size_t n = colon ? (size_t)(colon - object) : strlen(object);
		if (n == 0 || n >= sizeof(type) || (colon && !colon[1]))
			return err_set(&rq->err, ERR_USAGE, "object: expected TYPE or TYPE:ID, "
				       "e.g. incident:IR-2026-0001");
		memcpy(type, object, n);
		type[n] = '\0';
		f.object_type = type;
		f.object_id = colon ? colon + 1 : NULL;
	}
	f.actor = req_query(rq, "actor");
	if (f.actor && !*f.actor)
		f.actor = NULL;
	f.limit = (int)limit;
	/* Tailing from a sequence number reads forward; otherwise the newest come first. */
	f.after_seq = since < 0 ? 0 : since;
	f.newest_first = since < 0;
	rc = audit_list(rq->st, &rq->actor, &f, &rows, &rq->err);
	return rc ? rc : api_items(rs, rows);
}

/* POST /api/v1/audit/verify {"anchor"?: "SEQ:HASH"}: the report is the answer, 200 even when broken. */
int api_audit_verify(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "anchor", NULL };
	struct audit_anchor anchor;
	struct audit_report rep;
	const char *a;
	json_t *body, *o, *head;
	int bad = 0, rc;

	rc = api_body(rq, allowed, 1, &body);
	if (rc)
		return rc;
	a = api_str(rq, body, "anchor", &bad);
	if (bad)
		rc = ERR_INVALID;
	else if (a)
		rc = audit_anchor_parse(a, &anchor, &rq->err);
	json_decref(body);
	if (rc)
		return rc;
	rc = audit_verify(rq->st, &rq->actor, a ? &anchor : NULL, &rep, &rq->err);
	if (rc && rc != ERR_TAMPERED)
		return rc;
	o = json_object();
	json_set_bool(o, "intact", rc == 0);
	json_set_int(o, "rows", rep.rows);
	head = json_object();
	json_set_int(head, "seq", rep.head_seq);
	json_set_str(head, "hash", rep.head_hash);
	json_object_set_new(o, "head", head);
	if (rc) {
		json_set_int(o, "bad_seq", rep.bad_seq);
		json_set_str(o, "problem", rep.problem);
	} else {
		json_object_set_new(o, "bad_seq", json_null());
		json_object_set_new(o, "problem", json_null());
	}
	err_clear(&rq->err);
	return resp_json(rs, 200, o);
}

/* API tokens */

/* GET /api/v1/tokens ?user=NAME (another account's: admin only) */
int api_token_list(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "user", NULL };
	const char *user = req_query(rq, "user");
	json_t *tokens;
	int rc;

	if ((rc = api_query_check(rq, allowed)))
		return rc;
	rc = auth_token_list(rq->st, &rq->actor, user && *user ? user : rq->actor.name, &tokens,
			     &rq->err);
	return rc ? rc : api_items(rs, tokens);
}

/* POST /api/v1/tokens {"name"}: the token is in the answer, and only there. */
int api_token_create(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "name", NULL };
	char token[AUTH_TOKEN_LEN + 1] = "";
	const char *name;
	json_t *body, *info = NULL;
	int bad = 0, rc;

	rc = api_body(rq, allowed, 0, &body);
	if (rc)
		return rc;
	name = api_str(rq, body, "name", &bad);
	api_required(rq, "name", name, &bad);
	rc = bad ? ERR_INVALID
		 : api_domain(rq, auth_token_create(rq->st, &rq->actor, rq->actor.name, name, token,
						    &info, &rq->err));
	json_decref(body);
	if (!rc) {
		if (!info)
			info = json_object();
		json_set_str(info, "token", token);
		rc = resp_json(rs, 201, info);
	}
	sodium_memzero(token, sizeof(token));
	return rc;
}

/* DELETE /api/v1/tokens/{tid} */
int api_token_revoke(struct request *rq, struct response *rs)
{
	const char *s = req_param(rq, 0);
	char *end;
	long long id;
	int rc;

	errno = 0;
	id = strtoll(s, &end, 10);
	if (!*s || *end || errno || id < 1 || s[0] == '+' || s[0] == '-')
		return err_set(&rq->err, ERR_NOTFOUND, "token '%.40s' not found", s);
	rc = auth_token_revoke(rq->st, &rq->actor, id, &rq->err);
	return rc ? rc : api_no_content(rs);
}

/* My account */

static int account_json(struct request *rq, json_t **out)
{
	struct user_settings s;
	int rc = user_json(rq, rq->actor.name, out);

	if (!rc)
		rc = user_settings_get(rq->st, rq->actor.user_id, &s, &rq->err);
	if (rc) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	json_set_str_nonempty(*out, "lang", s.lang);
	json_set_str_nonempty(*out, "tz", s.tz);
	json_set_str(*out, "auth", rq->via_token ? "token" : "session");
	return 0;
}

/* GET /api/v1/account */
int api_account_get(struct request *rq, struct response *rs)
{
	json_t *o;
	int rc = account_json(rq, &o);

	return rc ? rc : resp_json(rs, 200, o);
}

/* PATCH /api/v1/account {"lang"?, "tz"?}: null or "" goes back to the default. */
int api_account_update(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "lang", "tz", NULL };
	const char *lang, *tz;
	json_t *body, *o = NULL;
	int bad = 0, rc;

	rc = api_body(rq, allowed, 0, &body);
	if (rc)
		return rc;
	lang = api_str(rq, body, "lang", &bad);
	tz = api_str(rq, body, "tz", &bad);
	/* Present but null clears the setting; absent leaves it. */
	if (!lang && json_object_get(body, "lang"))
		lang = "";
	if (!tz && json_object_get(body, "tz"))
		tz = "";
	if (bad)
		rc = ERR_INVALID;
	else if (!lang && !tz)
		rc = err_set(&rq->err, ERR_INVALID, "nothing to change: give lang or tz");
	else
		rc = api_domain(rq, auth_set_prefs(rq->st, &rq->actor, lang, tz, &rq->err));
	if (rc == ERR_NOTFOUND) {
		/* An unknown zone is a bad value, not a missing resource. */
		rq->err.code = ERR_INVALID;
		rc = err_prefix(&rq->err, "tz");
	}
	json_decref(body);
	if (!rc)
		rc = account_json(rq, &o);
	return rc ? rc : resp_json(rs, 200, o);
}

/* POST /api/v1/account/password {"current","new"}: every session of the account ends. */
int api_account_password(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "current", "new", NULL };
	const char *current, *npw;
	json_t *body;
	int bad = 0, rc;

	rc = api_body(rq, allowed, 0, &body);
	if (rc)
		return rc;
	current = api_str(rq, body, "current", &bad);
	npw = api_str(rq, body, "new", &bad);
	api_required(rq, "current", current, &bad);
	api_required(rq, "new", npw, &bad);
	if (bad) {
		rc = ERR_INVALID;
		goto out;
	}
	{
		int retry = 0;
		rc = auth_reauth(rq->st, rq->actor.name, current, rq->addr, time_now(), &retry,
				 &rq->err);
		if (rc == ERR_AUTH) {
			rc = err_set(&rq->err, ERR_INVALID, "current: wrong password");
			goto out;
		}
		if (rc) {
			if (retry > 0) {
				char tmp[16];
				snprintf(tmp, sizeof(tmp), "%d", retry);
				resp_header(rs, "Retry-After", tmp);
			}
			goto out;
		}
	}
	rc = api_domain(rq, user_passwd(rq->st, &rq->actor, rq->actor.name, npw, NULL, &rq->err));
	if (rc) {
		/* "password: too short" names the field as the caller sent it */
		if (strncmp(rq->err.msg, "password", 8) == 0)
			err_prefix(&rq->err, "new");
		goto out;
	}
	rc = auth_signout_all(rq->st, rq->actor.user_id, &rq->err);
	if (rc)
		goto out;
	if (!rq->via_token)
		resp_cookie(rs, rq, HTTP_SESSION_COOKIE, "", 0);
	rc = api_no_content(rs);
out:
	json_decref(body);
	return rc;
}

/* POST /api/v1/account/totp: a new secret to enrol (not active until confirmed). */
int api_account_totp_begin(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { NULL };
	char secret[64], uri[512];
	json_t *body, *o;
	int rc;

	rc = api_body(rq, allowed, 1, &body);
	json_decref(body);
	if (rc)
		return rc;
	rc = auth_totp_begin(rq->st, &rq->actor, secret, uri, &rq->err);
	if (rc)
		return rc;
	o = json_pack("{s:s,s:s}", "secret", secret, "otpauth_uri", uri);
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(uri, sizeof(uri));
	return resp_json(rs, 200, o);
}

/* POST /api/v1/account/totp/confirm {"code"} */
int api_account_totp_confirm(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "code", NULL };
	const char *code;
	json_t *body, *o = NULL;
	int bad = 0, rc;

	rc = api_body(rq, allowed, 0, &body);
	if (rc)
		return rc;
	code = api_str(rq, body, "code", &bad);
	api_required(rq, "code", code, &bad);
	rc = bad ? ERR_INVALID : api_domain(rq, auth_totp_confirm(rq->st, &rq->actor, code, &rq->err));
	json_decref(body);
	if (!rc)
		rc = account_json(rq, &o);
	return rc ? rc : resp_json(rs, 200, o);
}

/* DELETE /api/v1/account/totp */
int api_account_totp_disable(struct request *rq, struct response *rs)
{
	int rc = auth_totp_disable(rq->st, &rq->actor, rq->actor.name, &rq->err);

	return rc ? rc : api_no_content(rs);
}
