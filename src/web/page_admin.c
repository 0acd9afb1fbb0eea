/*
 * page_admin.c: the administrator's pages: accounts (list, add with a
 * one-time password shown once, disable and enable, require TOTP) and the
 * audit log (latest rows, paged, and a verify button).
 */
#include "web/pages.h"
#include "ir/audit.h"
#include "ir/auth.h"
#include "ir/role.h"
#include "ir/user.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "web/html.h"
#include "web/page.h"
#include "web/req.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define AUDIT_PAGE 50

/* Users */

static void user_action(struct request *rq, struct buf *b, const char *user, const char *what,
			const char *field, const char *value, const char *label_key, const char *cls)
{
	struct buf action = BUF_INIT;

	buf_adds(&action, "/users/");
	url_esc(&action, user);
	buf_addf(&action, "/%s", what);
	html_printf(b, "<form class=\"inline\" method=\"post\" action=\"%s\">", action.data);
	page_csrf_field(rq, b);
	if (field)
		html_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"%s\">", field, value);
	html_printf(b, "<button class=\"%s small\" type=\"submit\">%s</button></form> ", cls,
		    page_t(rq, label_key));
	buf_release(&action);
}

/* The users page; otp_user/otp show a new account's one-time password once. */
static int render_users(struct request *rq, struct response *rs, unsigned status, const char *msg,
			const char *otp_user, const char *otp)
{
	json_t *users = NULL, *u;
	struct buf b = BUF_INIT;
	char when[64];
	size_t i;
	int rc;

	rc = user_list(rq->st, &rq->actor, &users, &rq->err);
	if (rc)
		return rc;
	page_begin(rq, &b, page_t(rq, "users.title"));
	html_printf(&b, "<h1>%s</h1>", page_t(rq, "users.title"));
	if (role_may(rq->actor.role, ACT_SETTINGS))
		html_printf(&b, "<p><a href=\"/settings/mail\" id=\"mail-settings-link\">%s</a></p>",
			    page_t(rq, "mailset.link"));
	if (msg)
		pg_error_box(rq, &b, "msg.not_saved", msg);
	pg_done_notice(rq, &b);
	if (otp)
		html_printf(&b, "<div class=\"notice secret\"><p>%s <strong>%s</strong></p>"
				"<p><code class=\"otp\">%s</code></p><p class=\"small\">%s</p></div>",
			    page_t(rq, "users.otp_for"), otp_user, otp, page_t(rq, "users.otp_once"));

	html_printf(&b, "<table class=\"list\"><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
			"<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
		    page_t(rq, "users.username"), page_t(rq, "users.display_name"), page_t(rq, "users.role"),
		    page_t(rq, "users.status"), page_t(rq, "users.created"), page_t(rq, "users.actions"));
	json_array_foreach(users, i, u) {
		const char *un = json_str(u, "username"), *rn = json_str(u, "role");
		int disabled = json_is_true(json_object_get(u, "disabled"));
		enum role r;
		if (!un)
			continue;
		html_printf(&b, "<tr class=\"%s\"><td><strong>%s</strong></td><td>%s",
			    disabled ? "disabled" : "", un, json_str(u, "display_name"));
		if (json_str(u, "email") && *json_str(u, "email"))
			html_printf(&b, " <span class=\"muted small\">%s</span>", json_str(u, "email"));
		html_printf(&b, "</td><td>%s</td><td>",
			    rn && role_parse(rn, &r, NULL) == 0 ? role_label(r, rq->lang) : rn);
		if (json_is_true(json_object_get(u, "external")))
			html_printf(&b, "<span class=\"tag\">%s</span> ", page_t(rq, "users.external"));
		if (disabled)
			html_printf(&b, "<span class=\"tag warn\">%s</span> ", page_t(rq, "users.disabled"));
		if (json_is_true(json_object_get(u, "must_change_password")))
			html_printf(&b, "<span class=\"tag\">%s</span> ", page_t(rq, "users.must_change"));
		html_printf(&b, "</td><td class=\"nowrap\">%s</td><td>",
			    page_time(rq, pg_json_time(u, "created_at"), when));
		if (strcmp(un, rq->actor.name) != 0) {
			if (disabled)
				user_action(rq, &b, un, "enable", NULL, NULL, "users.enable", "secondary");
			else
				user_action(rq, &b, un, "disable", NULL, NULL, "users.disable", "danger");
		}
		user_action(rq, &b, un, "totp", "required", "1", "users.require_totp", "secondary");
		user_action(rq, &b, un, "totp", "required", "0", "users.optional_totp", "secondary");
		buf_adds(&b, "</td></tr>");
	}
	buf_adds(&b, "</tbody></table>");

	html_printf(&b, "<section class=\"card\"><h2>%s</h2>"
			"<form class=\"stack\" method=\"post\" action=\"/users\">",
		    page_t(rq, "users.add"));
	page_csrf_field(rq, &b);
	buf_adds(&b, "<input type=\"hidden\" name=\"_form\" value=\"user\">");
	html_printf(&b, "<label for=\"u-name\">%s</label><input type=\"text\" id=\"u-name\" name=\"username\" "
			"value=\"%s\" required pattern=\"[a-z0-9][a-z0-9._\\-]*\" maxlength=\"64\">",
		    page_t(rq, "users.username"), pg_keep(rq, "user", "username", ""));
	html_printf(&b, "<label for=\"u-display\">%s</label><input type=\"text\" id=\"u-display\" "
			"name=\"display_name\" value=\"%s\">",
		    page_t(rq, "users.display_name"), pg_keep(rq, "user", "display_name", ""));
	html_printf(&b, "<label for=\"u-email\">%s</label><input type=\"text\" id=\"u-email\" name=\"email\" "
			"value=\"%s\">",
		    page_t(rq, "users.email"), pg_keep(rq, "user", "email", ""));
	html_printf(&b, "<label for=\"u-role\">%s</label><select id=\"u-role\" name=\"role\">",
		    page_t(rq, "users.role"));
	{
		const char *kept = pg_keep(rq, "user", "role", "incident_handler");
		for (int k = 0; k < ROLE__COUNT; k++)
			html_printf(&b, "<option value=\"%s\"%s>%s</option>", role_name((enum role)k),
				    strcmp(kept, role_name((enum role)k)) == 0 ? " selected" : "",
				    role_label((enum role)k, rq->lang));
	}
	html_printf(&b, "</select><label class=\"check\"><input type=\"checkbox\" name=\"external\" "
			"value=\"1\"%s> %s</label>",
		    *pg_keep(rq, "user", "external", "") ? " checked" : "", page_t(rq, "users.external_hint"));
	html_printf(&b, "<p class=\"hint muted\">%s</p><p><button type=\"submit\">%s</button></p></form>"
			"</section>",
		    page_t(rq, "users.otp_hint"), page_t(rq, "users.add_submit"));
	page_end(rq, &b);
	json_decref(users);
	rc = page_send(rs, &b);
	if (!rc)
		rs->status = status;
	return rc;
}

int page_users(struct request *rq, struct response *rs)
{
	return render_users(rq, rs, 200, NULL, NULL, NULL);
}

int page_user_add(struct request *rq, struct response *rs)
{
	struct user_new nu;
	struct user u;
	char otp[USER_OTP_LEN + 1];
	char name[USER_NAME_MAX + 1];
	const char *role = req_form(rq, "role"), *ext = req_form(rq, "external");
	int rc;

	memset(&nu, 0, sizeof(nu));
	memset(&u, 0, sizeof(u));
	otp[0] = '\0';
	nu.username = req_form(rq, "username");
	nu.display_name = req_form(rq, "display_name");
	nu.email = req_form(rq, "email");
	nu.external = ext && *ext && strcmp(ext, "0") != 0;
	rc = role_parse(role ? role : "", &nu.role, &rq->err);
	if (!rc && (!nu.username || !*nu.username))
		rc = err_set(&rq->err, ERR_INVALID, "username is required");
	if (!rc)
		rc = user_add(rq->st, &rq->actor, &nu, otp, &u, &rq->err);
	if (rc) {
		if (!pg_user_error(rc))
			return rc;
		return render_users(rq, rs, pg_status(rc), err_msg(&rq->err), NULL, NULL);
	}
	snprintf(name, sizeof(name), "%s", u.username);
	user_release(&u);
	/* Shown once, in this response, rather than after a redirect. */
	rc = render_users(rq, rs, 200, NULL, name, otp);
	sodium_memzero(otp, sizeof(otp));
	return rc;
}

static int user_done(struct request *rq, struct response *rs, int rc, const char *done)
{
	if (rc) {
		if (!pg_user_error(rc))
			return rc;
		return render_users(rq, rs, pg_status(rc), err_msg(&rq->err), NULL, NULL);
	}
	return pg_redirect_done(rs, "/users", done);
}

int page_user_disable(struct request *rq, struct response *rs)
{
	struct user u;
	int rc = user_set_disabled(rq->st, &rq->actor, req_param(rq, 0), 1, &rq->err);

	/* A disabled account's sessions end now, not at their expiry. */
	if (!rc && user_get(rq->st, req_param(rq, 0), &u, NULL) == 0) {
		auth_signout_all(rq->st, u.id, NULL);
		user_release(&u);
	}
	return user_done(rq, rs, rc, "user_disabled");
}

int page_user_enable(struct request *rq, struct response *rs)
{
	return user_done(rq, rs, user_set_disabled(rq->st, &rq->actor, req_param(rq, 0), 0, &rq->err),
			 "user_enabled");
}

int page_user_totp(struct request *rq, struct response *rs)
{
	const char *req = req_form(rq, "required");
	int on = !req || strcmp(req, "0") != 0;

	return user_done(rq, rs, auth_totp_require(rq->st, &rq->actor, req_param(rq, 0), on, &rq->err),
			 on ? "totp_required" : "totp_optional");
}

/* Audit log */

static void audit_json_cell(struct buf *b, const json_t *v)
{
	struct buf tmp = BUF_INIT;

	if (v && !json_is_null(v)) {
		json_dump_buf(v, 0, &tmp);
		buf_adds(b, "<code class=\"json\">");
		pg_esc_cut(b, tmp.data, 300);
		buf_adds(b, "</code>");
	}
	buf_release(&tmp);
}

static int render_audit(struct request *rq, struct response *rs, const struct audit_report *rep,
			int verify_rc)
{
	struct audit_filter f;
	json_t *rows = NULL, *r;
	struct buf b = BUF_INIT;
	long long since = pg_query_int(rq, "since", -1, INT64_MAX);
	long long limit = pg_query_int(rq, "limit", AUDIT_PAGE, 1000);
	long long lo = 0, hi = 0;
	int64_t head = 0;
	char when[64], head_hash[AUDIT_HASH_HEX];
	size_t i, n;
	int rc;

	if (limit < 1)
		limit = AUDIT_PAGE;
	memset(&f, 0, sizeof(f));
	f.limit = (int)limit;
	if (since >= 0) {
		f.after_seq = since;
	} else {
		f.newest_first = 1;
	}
	rc = audit_list(rq->st, &rq->actor, &f, &rows, &rq->err);
	if (rc)
		return rc;
	if (audit_head(rq->st, &head, head_hash, NULL) != 0)
		head = 0;
	page_begin(rq, &b, page_t(rq, "audit.title"));
	html_printf(&b, "<div class=\"titlebar\"><h1>%s</h1>"
			"<form method=\"post\" action=\"/audit/verify\">",
		    page_t(rq, "audit.title"));
	page_csrf_field(rq, &b);
	html_printf(&b, "<button type=\"submit\">%s</button></form></div>", page_t(rq, "audit.verify"));
	if (rep) {
		if (verify_rc == 0)
			html_printf(&b, "<p class=\"notice ok\" role=\"status\" id=\"verify-result\">%s "
					"(%lld %s, %s %lld, <code>%s</code>)</p>",
				    page_t(rq, "audit.intact"), (long long)rep->rows, page_t(rq, "audit.rows"),
				    page_t(rq, "audit.head"), (long long)rep->head_seq, rep->head_hash);
		else if (verify_rc == ERR_TAMPERED)
			html_printf(&b, "<p class=\"error\" role=\"alert\" id=\"verify-result\"><strong>%s</strong> "
					"%s %lld: %s</p>",
				    page_t(rq, "audit.broken"), page_t(rq, "audit.row"),
				    (long long)rep->bad_seq, rep->problem);
		else
			pg_error_box(rq, &b, "audit.verify_failed", err_msg(&rq->err));
	}

	n = json_array_size(rows);
	if (n == 0) {
		html_printf(&b, "<p class=\"muted\">%s</p>", page_t(rq, "audit.none"));
	} else {
		html_printf(&b, "<table class=\"list audit\"><thead><tr><th>#</th><th>%s</th><th>%s</th>"
				"<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
			    page_t(rq, "audit.at"), page_t(rq, "audit.actor"), page_t(rq, "audit.action"),
			    page_t(rq, "audit.object"), page_t(rq, "audit.before"), page_t(rq, "audit.after"));
		/* Newest first on screen, whichever way the rows were read. */
		for (size_t k = 0; k < n; k++) {
			long long seq;
			i = since >= 0 ? n - 1 - k : k;
			r = json_array_get(rows, i);
			seq = (long long)json_integer_value(json_object_get(r, "seq"));
			if (!lo || seq < lo)
				lo = seq;
			if (seq > hi)
				hi = seq;
			html_printf(&b, "<tr><td class=\"num\">%lld</td><td class=\"nowrap\">%s</td><td>%s</td>"
					"<td><code>%s</code></td><td>%s %s</td><td>",
				    seq, page_time(rq, pg_json_time(r, "at"), when), json_str(r, "actor"),
				    json_str(r, "action"), json_str(r, "object_type"), json_str(r, "object_id"));
			audit_json_cell(&b, json_object_get(r, "before"));
			buf_adds(&b, "</td><td>");
			audit_json_cell(&b, json_object_get(r, "after"));
			buf_adds(&b, "</td></tr>");
		}
		buf_adds(&b, "</tbody></table><p class=\"pager\">");
		if (lo > 1)
			html_printf(&b, "<a href=\"/audit?since=%lld&amp;limit=%lld\">← %s</a> ",
				    lo - 1 - limit > 0 ? lo - 1 - limit : 0LL, limit, page_t(rq, "audit.older"));
		if (hi < head)
			html_printf(&b, "<a href=\"/audit?since=%lld&amp;limit=%lld\">%s →</a> ", hi, limit,
				    page_t(rq, "audit.newer"));
		if (since >= 0)
			html_printf(&b, "<a href=\"/audit\">%s</a>", page_t(rq, "audit.latest"));
		buf_adds(&b, "</p>");
	}
	page_end(rq, &b);
	json_decref(rows);
	return page_send(rs, &b);
}

int page_audit(struct request *rq, struct response *rs)
{
	return render_audit(rq, rs, NULL, 0);
}

int page_audit_verify(struct request *rq, struct response *rs)
{
	struct audit_report rep;
	int vrc;

	memset(&rep, 0, sizeof(rep));
	vrc = audit_verify(rq->st, &rq->actor, NULL, &rep, &rq->err);
	if (vrc == ERR_DENIED)
		return vrc;
	/* Verifying changes nothing, so the result is shown in this response. */
	return render_audit(rq, rs, &rep, vrc);
}
