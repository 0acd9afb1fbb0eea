/*
 * page_account.c: the signed-in user's own account: password, language and
 * time zone, TOTP enrolment, and API tokens. Secrets handed out (a new
 * token, a TOTP secret) are shown once, in the response to the POST that
 * made them, and never again.
 */
#include "web/pages.h"
#include "ir/auth.h"
#include "ir/user.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "web/html.h"
#include "web/http.h"
#include "web/page.h"
#include "web/req.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one rendering of the account page shows beyond the usual. */
struct account_view {
	unsigned status;
	const char *msg;         /* a refusal, or NULL */
	const char *token;       /* a new API token, shown once */
	const char *token_name;
	const char *totp_secret; /* an enrolment in progress */
	const char *totp_uri;
	int totp_confirm;        /* show the confirm form (after begin, or a wrong code) */
};

static void section_password(struct request *rq, struct buf *b)
{
	html_printf(b, "<section class=\"card\" id=\"password\"><h2>%s</h2>"
		       "<form class=\"stack\" method=\"post\" action=\"/account/password\">",
		    page_t(rq, "account.password"));
	page_csrf_field(rq, b);
	html_printf(b, "<input type=\"text\" name=\"username\" value=\"%s\" autocomplete=\"username\" "
		       "hidden>", rq->actor.name);
	html_printf(b, "<label for=\"pw-current\">%s</label><input type=\"password\" id=\"pw-current\" "
		       "name=\"current\" autocomplete=\"current-password\" required>",
		    page_t(rq, "account.current"));
	html_printf(b, "<label for=\"pw-new\">%s</label><input type=\"password\" id=\"pw-new\" name=\"new\" "
		       "autocomplete=\"new-password\" minlength=\"12\" required>",
		    page_t(rq, "account.new"));
	html_printf(b, "<label for=\"pw-again\">%s</label><input type=\"password\" id=\"pw-again\" "
		       "name=\"again\" autocomplete=\"new-password\" minlength=\"12\" required>",
		    page_t(rq, "account.again"));
	html_printf(b, "<p class=\"hint muted\">%s</p><p><button type=\"submit\">%s</button></p></form>"
		       "</section>",
		    page_t(rq, "account.password_hint"), page_t(rq, "account.password_submit"));
}

static void section_prefs(struct request *rq, struct buf *b)
{
	const char *lang = rq->session.lang;
	static const char *const langs[][2] = { { "", "account.lang_browser" }, { "ja", "account.lang_ja" },
						{ "en", "account.lang_en" } };

	html_printf(b, "<section class=\"card\" id=\"prefs\"><h2>%s</h2>"
		       "<form class=\"stack\" method=\"post\" action=\"/account/prefs\">",
		    page_t(rq, "account.prefs"));
	page_csrf_field(rq, b);
	html_printf(b, "<label for=\"p-lang\">%s</label><select id=\"p-lang\" name=\"lang\">",
		    page_t(rq, "account.lang"));
	for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		html_printf(b, "<option value=\"%s\"%s>%s</option>", langs[i][0],
			    strcmp(lang, langs[i][0]) == 0 ? " selected" : "", page_t(rq, langs[i][1]));
	html_printf(b, "</select><label for=\"p-tz\">%s</label><input type=\"text\" id=\"p-tz\" name=\"tz\" "
		       "value=\"%s\" placeholder=\"Asia/Tokyo\" list=\"zones\">",
		    page_t(rq, "account.tz"), rq->session.tz);
	buf_adds(b, "<datalist id=\"zones\"><option value=\"Asia/Tokyo\"><option value=\"UTC\">"
		    "<option value=\"Europe/London\"><option value=\"Europe/Paris\">"
		    "<option value=\"America/New_York\"><option value=\"America/Los_Angeles\">"
		    "<option value=\"Asia/Singapore\"></datalist>");
	html_printf(b, "<p class=\"hint muted\">%s</p><p><button type=\"submit\">%s</button></p></form>"
		       "</section>",
		    page_t(rq, "account.tz_hint"), page_t(rq, "form.save"));
}

static void section_totp(struct request *rq, struct buf *b, const struct account_view *v)
{
	html_printf(b, "<section class=\"card\" id=\"totp\"><h2>%s</h2>", page_t(rq, "account.totp"));
	if (rq->session.totp_enrol_required)
		html_printf(b, "<p class=\"error\">%s</p>", page_t(rq, "account.totp_required"));
	if (v->totp_secret) {
		html_printf(b, "<div class=\"notice secret\"><p>%s</p><p>%s <code id=\"totp-secret\">%s</code></p>"
			       "<p class=\"small\">%s <code class=\"wrap\" id=\"totp-uri\">%s</code></p></div>",
			    page_t(rq, "account.totp_scan"), page_t(rq, "account.totp_secret"), v->totp_secret,
			    page_t(rq, "account.totp_uri"), v->totp_uri);
	}
	if (v->totp_confirm) {
		buf_adds(b, "<form class=\"stack\" method=\"post\" action=\"/account/totp/confirm\">");
		page_csrf_field(rq, b);
		html_printf(b, "<label for=\"totp-code\">%s</label><input type=\"text\" id=\"totp-code\" "
			       "name=\"code\" inputmode=\"numeric\" pattern=\"[0-9]{6}\" autocomplete=\"one-time-code\" "
			       "required><p><button type=\"submit\">%s</button></p></form>",
			    page_t(rq, "account.totp_code"), page_t(rq, "account.totp_confirm"));
	} else {
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "account.totp_about"));
	}
	buf_adds(b, "<div class=\"row\"><form class=\"inline\" method=\"post\" action=\"/account/totp\">");
	page_csrf_field(rq, b);
	html_printf(b, "<button class=\"secondary\" type=\"submit\">%s</button></form>",
		    page_t(rq, "account.totp_begin"));
	buf_adds(b, "<form class=\"inline\" method=\"post\" action=\"/account/totp/disable\">");
	page_csrf_field(rq, b);
	html_printf(b, "<button class=\"danger\" type=\"submit\" data-confirm=\"%s\">%s</button></form></div>"
		       "</section>",
		    page_t(rq, "account.totp_disable_confirm"), page_t(rq, "account.totp_disable"));
}

static void section_tokens(struct request *rq, struct buf *b, const struct account_view *v)
{
	json_t *tokens = NULL, *t;
	size_t i;
	char when[64];
	struct err e;

	err_clear(&e);
	html_printf(b, "<section class=\"card\" id=\"tokens\"><h2>%s</h2>", page_t(rq, "account.tokens"));
	if (v->token)
		html_printf(b, "<div class=\"notice secret\"><p>%s <strong>%s</strong></p>"
			       "<p><code class=\"wrap\" id=\"new-token\">%s</code></p><p class=\"small\">%s</p></div>",
			    page_t(rq, "account.token_new"), v->token_name, v->token,
			    page_t(rq, "account.token_once"));
	if (auth_token_list(rq->st, &rq->actor, rq->actor.name, &tokens, &e) != 0) {
		pg_error_box(rq, b, "dash.unavailable", err_msg(&e));
	} else if (json_array_size(tokens) == 0) {
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "account.no_tokens"));
	} else {
		html_printf(b, "<table class=\"list\"><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
			       "<th></th></tr></thead><tbody>",
			    page_t(rq, "account.token_name"), page_t(rq, "account.token_prefix"),
			    page_t(rq, "account.token_created"), page_t(rq, "account.token_used"));
		json_array_foreach(tokens, i, t) {
			long long id = (long long)json_integer_value(json_object_get(t, "id"));
			int revoked = json_is_true(json_object_get(t, "revoked"));
			html_printf(b, "<tr class=\"%s\"><td>%s</td><td><code>%s…</code></td><td class=\"nowrap\">%s</td>",
				    revoked ? "disabled" : "", json_str(t, "name"), json_str(t, "prefix"),
				    page_time(rq, pg_json_time(t, "created_at"), when));
			html_printf(b, "<td class=\"nowrap\">%s</td><td>",
				    page_time(rq, pg_json_time(t, "last_used"), when));
			if (revoked) {
				html_printf(b, "<span class=\"tag\">%s</span>", page_t(rq, "account.token_revoked"));
			} else {
				html_printf(b, "<form class=\"inline\" method=\"post\" action=\"/account/tokens/%lld/revoke\">",
					    id);
				page_csrf_field(rq, b);
				html_printf(b, "<button class=\"danger small\" type=\"submit\" data-confirm=\"%s\">%s</button>"
					       "</form>",
					    page_t(rq, "account.token_revoke_confirm"), page_t(rq, "account.token_revoke"));
			}
			buf_adds(b, "</td></tr>");
		}
		buf_adds(b, "</tbody></table>");
	}
	json_decref(tokens);
	buf_adds(b, "<form class=\"row\" method=\"post\" action=\"/account/tokens\">");
	page_csrf_field(rq, b);
	html_printf(b, "<label class=\"small\" for=\"tok-name\">%s</label><input type=\"text\" id=\"tok-name\" "
		       "name=\"name\" maxlength=\"100\" required placeholder=\"%s\">"
		       "<button type=\"submit\">%s</button></form></section>",
		    page_t(rq, "account.token_name"), page_t(rq, "account.token_name_hint"),
		    page_t(rq, "account.token_create"));
}

static int render_account(struct request *rq, struct response *rs, const struct account_view *v)
{
	struct buf b = BUF_INIT;
	int rc;

	page_begin(rq, &b, page_t(rq, "account.title"));
	html_printf(&b, "<h1>%s <span class=\"muted\">%s</span></h1>", page_t(rq, "account.title"),
		    rq->actor.name);
	if (rq->session.must_change_password)
		html_printf(&b, "<p class=\"error\" role=\"alert\" id=\"must-change\">%s</p>",
			    page_t(rq, "account.must_change"));
	if (v->msg)
		pg_error_box(rq, &b, "msg.not_saved", v->msg);
	pg_done_notice(rq, &b);
	buf_adds(&b, "<div class=\"grid2\">");
	section_password(rq, &b);
	section_prefs(rq, &b);
	section_totp(rq, &b, v);
	section_tokens(rq, &b, v);
	buf_adds(&b, "</div>");
	page_end(rq, &b);
	rc = page_send(rs, &b);
	if (!rc && v->status)
		rs->status = v->status;
	return rc;
}

int page_account(struct request *rq, struct response *rs)
{
	struct account_view v;

	memset(&v, 0, sizeof(v));
	return render_account(rq, rs, &v);
}

/* Show the account page again with ir/'s refusal, or fail with the error page. */
static int refused(struct request *rq, struct response *rs, int rc)
{
	struct account_view v;
	char msg[ERR_MSG_MAX];

	if (!pg_user_error(rc))
		return rc;
	snprintf(msg, sizeof(msg), "%s", err_msg(&rq->err));
	memset(&v, 0, sizeof(v));
	v.status = pg_status(rc);
	v.msg = msg;
	return render_account(rq, rs, &v);
}

int page_account_password(struct request *rq, struct response *rs)
{
	const char *cur = req_form(rq, "current"), *pw = req_form(rq, "new"), *again = req_form(rq, "again");
	int rc;

	if (!cur || !pw || !again || !*pw)
		return refused(rq, rs, err_set(&rq->err, ERR_INVALID, "%s", page_t(rq, "account.pw_missing")));
	if (strcmp(pw, again) != 0)
		return refused(rq, rs, err_set(&rq->err, ERR_INVALID, "%s", page_t(rq, "account.pw_mismatch")));
	rc = auth_reauth(rq->st, rq->actor.name, cur, rq->addr, time_now(), NULL, &rq->err);
	if (rc == ERR_BUSY || rc == ERR_DENIED)
		return refused(rq, rs, err_set(&rq->err, rc, "%s", page_t(rq, "login.throttled")));
	if (rc)
		return refused(rq, rs, err_set(&rq->err, ERR_INVALID, "%s", page_t(rq, "account.pw_wrong")));
	rc = user_passwd(rq->st, &rq->actor, rq->actor.name, pw, NULL, &rq->err);
	if (rc)
		return refused(rq, rs, rc);
	/* A new password ends every session, this one too: sign in again. */
	auth_signout_all(rq->st, rq->actor.user_id, NULL);
	resp_cookie(rs, rq, HTTP_SESSION_COOKIE, "", 0);
	return resp_redirect(rs, "/login?done=password");
}

int page_account_prefs(struct request *rq, struct response *rs)
{
	const char *lang = req_form(rq, "lang"), *tz = req_form(rq, "tz");
	int rc;

	rc = auth_set_prefs(rq->st, &rq->actor, lang ? lang : "", tz ? tz : "", &rq->err);
	if (rc)
		return refused(rq, rs, rc);
	/* The language is now the account's; the sign-in page's cookie would
	 * otherwise win again once the account says "browser". */
	resp_cookie(rs, rq, "irdesk_lang", "", 0);
	return pg_redirect_done(rs, "/account", "prefs_saved");
}

int page_account_totp_begin(struct request *rq, struct response *rs)
{
	char secret[64], uri[512];
	struct account_view v;
	int rc;

	rc = auth_totp_begin(rq->st, &rq->actor, secret, uri, &rq->err);
	if (rc)
		return refused(rq, rs, rc);
	memset(&v, 0, sizeof(v));
	v.totp_secret = secret;
	v.totp_uri = uri;
	v.totp_confirm = 1;
	rc = render_account(rq, rs, &v);
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(uri, sizeof(uri));
	return rc;
}

int page_account_totp_confirm(struct request *rq, struct response *rs)
{
	const char *code = req_form(rq, "code");
	struct account_view v;
	char msg[ERR_MSG_MAX];
	int rc;

	rc = auth_totp_confirm(rq->st, &rq->actor, code ? code : "", &rq->err);
	if (!rc)
		return pg_redirect_done(rs, "/account", "totp_enabled");
	if (!pg_user_error(rc))
		return rc;
	snprintf(msg, sizeof(msg), "%s", err_msg(&rq->err));
	memset(&v, 0, sizeof(v));
	v.status = pg_status(rc);
	v.msg = msg;
	v.totp_confirm = 1; /* try another code for the same secret */
	return render_account(rq, rs, &v);
}

int page_account_totp_disable(struct request *rq, struct response *rs)
{
	int rc = auth_totp_disable(rq->st, &rq->actor, rq->actor.name, &rq->err);

	if (rc)
		return refused(rq, rs, rc);
	return pg_redirect_done(rs, "/account", "totp_disabled");
}

int page_account_token_create(struct request *rq, struct response *rs)
{
	const char *name = req_form(rq, "name");
	char token[AUTH_TOKEN_LEN + 1], tname[128];
	struct account_view v;
	json_t *info = NULL;
	int rc;

	rc = auth_token_create(rq->st, &rq->actor, rq->actor.name, name ? name : "", token, &info,
			       &rq->err);
	json_decref(info);
	if (rc)
		return refused(rq, rs, rc);
	snprintf(tname, sizeof(tname), "%s", name ? name : "");
	memset(&v, 0, sizeof(v));
	v.token = token;
	v.token_name = tname;
	rc = render_account(rq, rs, &v);
	sodium_memzero(token, sizeof(token));
	return rc;
}

int page_account_token_revoke(struct request *rq, struct response *rs)
{
	char *end;
	long long id = strtoll(req_param(rq, 0), &end, 10);
	int rc;

	if (*end || id <= 0)
		return err_set(&rq->err, ERR_NOTFOUND, "no such token");
	rc = auth_token_revoke(rq->st, &rq->actor, id, &rq->err);
	if (rc == ERR_NOTFOUND)
		return rc;
	if (rc)
		return refused(rq, rs, rc);
	return pg_redirect_done(rs, "/account", "token_revoked");
}
