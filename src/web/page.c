/*
 * page.c: the page layout, error pages, sign-in and sign-out, and the
 * embedded static files (CSS, JavaScript).
 */
#include "web/page.h"
#include "ir/auth.h"
#include "ir/role.h"
#include "util/buf.h"
#include "util/embed.h"
#include "util/err.h"
#include "util/time.h"
#include "web/html.h"
#include "web/http.h"
#include "web/i18n.h"
#include "web/req.h"
#include "web/router.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PRE_COOKIE "irdesk_pre" /* double-submit CSRF token of the sign-in form */

const char *page_t(struct request *rq, const char *key)
{
	return i18n(rq->lang, key);
}

const char *page_time(struct request *rq, int64_t t, char out[64])
{
	if (!t) {
		out[0] = '\0';
		return out;
	}
	time_format_human(t, rq->tz, out);
	return out;
}

void page_csrf_field(struct request *rq, struct buf *b)
{
	html_printf(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", rq->session.csrf);
}

void page_begin(struct request *rq, struct buf *b, const char *title)
{
	html_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		       "<title>%s - irdesk</title>"
		       "<link rel=\"stylesheet\" href=\"/static/app.css\"></head><body>",
		    rq->lang, title);
	if (rq->authenticated) {
		buf_adds(b, "<header class=\"top\"><a class=\"brand\" href=\"/\">irdesk</a><nav>");
		html_printf(b, "<a href=\"/\">%s</a>", page_t(rq, "nav.dashboard"));
		html_printf(b, "<a href=\"/incidents\">%s</a>", page_t(rq, "nav.incidents"));
		if (role_may(rq->actor.role, ACT_ALERT_READ) && !rq->actor.external)
			html_printf(b, "<a href=\"/alerts\">%s</a>", page_t(rq, "nav.alerts"));
		html_printf(b, "<a href=\"/metrics\">%s</a>", page_t(rq, "nav.metrics"));
		if (role_may(rq->actor.role, ACT_AUDIT_READ) && !rq->actor.external)
			html_printf(b, "<a href=\"/audit\">%s</a>", page_t(rq, "nav.audit"));
		if (role_may(rq->actor.role, ACT_USER_ADMIN) && !rq->actor.external)
			html_printf(b, "<a href=\"/users\">%s</a>", page_t(rq, "nav.users"));
		if (role_may(rq->actor.role, ACT_SETTINGS) && !rq->actor.external)
			html_printf(b, "<a href=\"/settings\">%s</a>", page_t(rq, "nav.settings"));
		if (role_may(rq->actor.role, ACT_CONTACT_READ) && !rq->actor.external)
			html_printf(b, "<a href=\"/contacts\">%s</a>", page_t(rq, "nav.contacts"));
		html_printf(b, "<a href=\"/account\">%s</a></nav>", page_t(rq, "nav.account"));
		html_printf(b, "<span class=\"muted\">%s</span>", rq->actor.name);
		buf_adds(b, "<form method=\"post\" action=\"/logout\">");
		page_csrf_field(rq, b);
		html_printf(b, "<button class=\"secondary\" type=\"submit\">%s</button></form></header>",
			    page_t(rq, "nav.signout"));
	}
	buf_adds(b, "<main>");
}

void page_end(struct request *rq, struct buf *b)
{
	(void)rq;
	buf_adds(b, "</main><script src=\"/static/app.js\"></script></body></html>\n");
}

int page_send(struct response *rs, struct buf *b)
{
	if (buf_error(b)) {
		buf_release(b);
		return ERR_NOMEM;
	}
	resp_html(rs, b->data, b->len);
	buf_release(b);
	return 0;
}

void page_error(struct request *rq, struct response *rs, int code)
{
	struct buf b = BUF_INIT;
	char key[32];

	snprintf(key, sizeof(key), "error.%s", err_name(code));
	page_begin(rq, &b, page_t(rq, key));
	html_printf(&b, "<h1>%s</h1><p class=\"error\">%s</p><p><a href=\"/\">%s</a></p>",
		    page_t(rq, key), rq->err.code ? err_msg(&rq->err) : err_str(code),
		    page_t(rq, "nav.dashboard"));
	page_end(rq, &b);
	page_send(rs, &b);
	rs->status = (unsigned)err_http_status(code);
}

/* Sign-in */

static void login_form(struct request *rq, struct response *rs, const char *message,
		       const char *username, const char *next, const char *notice)
{
	unsigned char raw[24];
	char pre[64];
	struct buf b = BUF_INIT;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(pre, sizeof(pre), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	page_begin(rq, &b, page_t(rq, "login.title"));
	html_printf(&b, "<div class=\"login card\"><h1>%s</h1>", page_t(rq, "login.title"));
	if (message)
		html_printf(&b, "<p class=\"error\" role=\"alert\">%s</p>", message);
	if (notice)
		html_printf(&b, "<p class=\"notice\" role=\"status\">%s</p>", notice);
	buf_adds(&b, "<form class=\"stack\" method=\"post\" action=\"/login\">");
	html_printf(&b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", pre);
	html_printf(&b, "<input type=\"hidden\" name=\"next\" value=\"%s\">", next ? next : "/");
	html_printf(&b, "<label for=\"username\">%s</label>"
			"<input type=\"text\" id=\"username\" name=\"username\" value=\"%s\" "
			"autocomplete=\"username\" required autofocus>",
		    page_t(rq, "login.username"), username ? username : "");
	html_printf(&b, "<label for=\"password\">%s</label>"
			"<input type=\"password\" id=\"password\" name=\"password\" "
			"autocomplete=\"current-password\" required>",
		    page_t(rq, "login.password"));
	html_printf(&b, "<label for=\"totp\">%s</label>"
			"<input type=\"text\" id=\"totp\" name=\"totp\" inputmode=\"numeric\" "
			"autocomplete=\"one-time-code\" pattern=\"[0-9]{6}\">",
		    page_t(rq, "login.totp"));
	html_printf(&b, "<p><button type=\"submit\">%s</button></p></form>", page_t(rq, "login.submit"));
	buf_adds(&b, "<p class=\"muted\"><a href=\"/lang?to=ja\">日本語</a> · "
		     "<a href=\"/lang?to=en\">English</a></p></div>");
	page_end(rq, &b);
	page_send(rs, &b);
	resp_cookie(rs, rq, PRE_COOKIE, pre, 3600);
}

static int get_login(struct request *rq, struct response *rs)
{
	const char *done = req_query(rq, "done");

	if (rq->authenticated)
		return resp_redirect(rs, "/");
	login_form(rq, rs, NULL, NULL, req_query(rq, "next"),
		   done && strcmp(done, "password") == 0 ? page_t(rq, "login.password_changed") : NULL);
	return 0;
}

static int post_login(struct request *rq, struct response *rs)
{
	struct signin in;
	struct session_info s;
	const char *pre = req_cookie(rq, PRE_COOKIE), *form_pre = req_form(rq, "csrf");
	const char *next = req_form(rq, "next");
	int retry = 0, rc;

	if (!pre || !form_pre || strlen(pre) != strlen(form_pre) ||
	    sodium_memcmp(pre, form_pre, strlen(pre)) != 0) {
		rs->status = 403;
		login_form(rq, rs, page_t(rq, "login.expired"), req_form(rq, "username"), next, NULL);
		return 0;
	}
	memset(&in, 0, sizeof(in));
	in.username = req_form(rq, "username");
	in.password = req_form(rq, "password");
	in.totp = req_form(rq, "totp");
	in.addr = rq->addr;
	in.user_agent = req_header(rq, "User-Agent");
	in.now = time_now();
	if (!in.username || !in.password) {
		rs->status = 400;
		login_form(rq, rs, page_t(rq, "login.failed"), in.username, next, NULL);
		return 0;
	}
	rc = auth_signin(rq->st, &in, &s, &retry, &rq->err);
	if (rc) {
		const char *msg = page_t(rq, "login.failed");
		if (rc == ERR_BUSY)
			msg = page_t(rq, "login.throttled");
		else if (rc == ERR_DENIED)
			msg = page_t(rq, "login.locked");
		else if (strstr(err_msg(&rq->err), "totp"))
			msg = page_t(rq, "login.totp_required");
		rs->status = (unsigned)err_http_status(rc);
		login_form(rq, rs, msg, in.username, next, NULL);
		if (retry > 0) {
			char tmp[16];
			snprintf(tmp, sizeof(tmp), "%d", retry);
			resp_header(rs, "Retry-After", tmp);
		}
		return 0;
	}
	resp_cookie(rs, rq, HTTP_SESSION_COOKIE, s.id, AUTH_SESSION_ABSOLUTE);
	resp_cookie(rs, rq, PRE_COOKIE, "", 0);
	if (s.must_change_password)
		return resp_redirect(rs, "/account?must_change=1");
	return resp_redirect(rs, next && *next ? next : "/");
}

static int post_logout(struct request *rq, struct response *rs)
{
	const char *cookie = req_cookie(rq, HTTP_SESSION_COOKIE);

	if (cookie)
		auth_signout(rq->st, cookie, NULL);
	resp_cookie(rs, rq, HTTP_SESSION_COOKIE, "", 0);
	return resp_redirect(rs, "/login");
}

/* Language switch for people who are not signed in (the account page
 * stores the choice for those who are). */
static int get_lang(struct request *rq, struct response *rs)
{
	const char *to = req_query(rq, "to");

	if (!to || (strcmp(to, "ja") != 0 && strcmp(to, "en") != 0))
		return err_set(&rq->err, ERR_INVALID, "language: ja or en");
	resp_cookie(rs, rq, "irdesk_lang", to, 365 * 24 * 3600);
	return resp_redirect(rs, rq->authenticated ? "/" : "/login");
}

/* Static files */

static int get_static(struct request *rq, struct response *rs)
{
	char name[96];
	const struct embed_file *f;
	const char *file = req_param(rq, 0);
	size_t n = strlen(file);

	if (strchr(file, '/') || file[0] == '.' || n > 64)
		return err_set(&rq->err, ERR_NOTFOUND, "no such file");
	snprintf(name, sizeof(name), "web/%s", file);
	f = embed_find(name);
	if (!f)
		return err_set(&rq->err, ERR_NOTFOUND, "no such file");
	rs->status = 200;
	rs->content_type = n > 4 && strcmp(file + n - 4, ".css") == 0 ? "text/css; charset=utf-8"
			 : n > 3 && strcmp(file + n - 3, ".js") == 0 ? "text/javascript; charset=utf-8"
			 : "application/octet-stream";
	buf_add(&rs->body, f->data, f->len);
	resp_header(rs, "Cache-Control", "public, max-age=3600");
	return 0;
}

const struct route page_core_routes[] = {
	{ "GET", "/login", get_login, ROUTE_PUBLIC | ROUTE_PAGE, ACT_NONE, "sign-in form" },
	{ "POST", "/login", post_login, ROUTE_PUBLIC | ROUTE_PAGE | ROUTE_NO_CSRF, ACT_NONE, "sign in" },
	{ "POST", "/logout", post_logout, ROUTE_PAGE, ACT_NONE, "sign out" },
	{ "GET", "/lang", get_lang, ROUTE_PUBLIC | ROUTE_PAGE, ACT_NONE, "choose the language" },
	{ "GET", "/static/{file}", get_static, ROUTE_PUBLIC | ROUTE_PAGE, ACT_NONE, "CSS and JavaScript" },
	{ NULL, NULL, NULL, 0, ACT_NONE, NULL },
};
