/*
 * req.c: request accessors (query, headers, cookies, JSON and form bodies)
 * and response builders.
 */
#include "web/req.h"
#include "util/json.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *req_param(const struct request *rq, int i)
{
	return i >= 0 && i < rq->nparams && rq->params[i] ? rq->params[i] : "";
}

const char *req_query(const struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(const struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *req_cookie(const struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, name);
}

int req_json(struct request *rq, json_t **out)
{
	const char *ct = req_header(rq, "Content-Type");

	*out = NULL;
	if (rq->body_too_large)
		return err_set(&rq->err, ERR_TOOLONG, "request body too large (at most %d bytes)",
			       REQ_BODY_MAX);
	if (!ct || strncasecmp(ct, "application/json", 16) != 0)
		return err_set(&rq->err, ERR_PARSE, "expected Content-Type: application/json");
	if (rq->body.len == 0)
		return err_set(&rq->err, ERR_PARSE, "expected a JSON object in the request body");
	return json_parse(rq->body.data, rq->body.len, 1, out, &rq->err);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %XX and '+' in s[0..n) into a new string; NULL on a NUL byte. */
static char *form_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			char c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			if (c == '\0') {
				free(out);
				return NULL;
			}
			*o++ = c;
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

static void parse_form(struct request *rq)
{
	const char *p = rq->body.data, *end = p + rq->body.len;
	const char *ct = req_header(rq, "Content-Type");

	rq->form_parsed = 1;
	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
		return;
	while (p < end && rq->nform < REQ_FORM_MAX) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *fend = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(fend - p));
		if (eq) {
			char *name = form_decode(p, (size_t)(eq - p));
			char *value = form_decode(eq + 1, (size_t)(fend - eq - 1));
			if (name && value) {
				rq->form[rq->nform].name = name;
				rq->form[rq->nform].value = value;
				rq->nform++;
			} else {
				free(name);
				free(value);
			}
		}
		p = fend + 1;
	}
}

const char *req_form(struct request *rq, const char *name)
{
	if (!rq->form_parsed)
		parse_form(rq);
	for (int i = 0; i < rq->nform; i++)
		if (strcmp(rq->form[i].name, name) == 0)
			return rq->form[i].value;
	return NULL;
}

int resp_json(struct response *rs, unsigned status, json_t *v)
{
	rs->status = status;
	rs->content_type = "application/json; charset=utf-8";
	buf_reset(&rs->body);
	json_dump_buf(v, 0, &rs->body);
	json_decref(v);
	return 0;
}

void resp_html(struct response *rs, const char *html, size_t len)
{
	if (!rs->status)
		rs->status = 200;
	rs->content_type = "text/html; charset=utf-8";
	buf_reset(&rs->body);
	buf_add(&rs->body, html, len);
}

void resp_file(struct response *rs, int fd, uint64_t size, const char *content_type)
{
	if (rs->has_file)
		close(rs->file_fd);
	rs->status = 200;
	rs->content_type = content_type;
	buf_reset(&rs->body);
	rs->has_file = 1;
	rs->file_fd = fd;
	rs->file_size = size;
}

void resp_header(struct response *rs, const char *name, const char *value)
{
	if (rs->nheaders >= RESP_HEADERS_MAX)
		return;
	rs->headers[rs->nheaders][0] = strdup(name);
	rs->headers[rs->nheaders][1] = strdup(value);
	rs->nheaders++;
}

int resp_redirect(struct response *rs, const char *location)
{
	/* Only paths on this site: never an open redirect. */
	if (location[0] != '/' || location[1] == '/' || location[1] == '\\')
		location = "/";
	rs->status = 303;
	rs->content_type = "text/plain; charset=utf-8";
	resp_header(rs, "Location", location);
	buf_reset(&rs->body);
	return 0;
}

void resp_cookie(struct response *rs, const struct request *rq, const char *name,
		 const char *value, int max_age)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s=%s; Path=/; HttpOnly; SameSite=Strict", name, value);
	if (rq->tls)
		buf_adds(&b, "; Secure");
	if (max_age >= 0)
		buf_addf(&b, "; Max-Age=%d", max_age);
	resp_header(rs, "Set-Cookie", b.data);
	buf_release(&b);
}

void resp_error_json(struct response *rs, const struct request *rq, int code)
{
	json_t *v = json_pack("{s:{s:s,s:s}}", "error", "code", err_name(code), "message",
			      rq->err.code ? err_msg(&rq->err) : err_str(code));
	resp_json(rs, (unsigned)err_http_status(code), v);
}

void req_release(struct request *rq)
{
	for (int i = 0; i < rq->nparams; i++)
		free(rq->params[i]);
	for (int i = 0; i < rq->nform; i++) {
		free(rq->form[i].name);
		free(rq->form[i].value);
	}
	buf_release(&rq->body);
}

void resp_release(struct response *rs)
{
	for (int i = 0; i < rs->nheaders; i++) {
		free(rs->headers[i][0]);
		free(rs->headers[i][1]);
	}
	rs->nheaders = 0;
	if (rs->has_file)
		close(rs->file_fd);
	rs->has_file = 0;
	buf_release(&rs->body);
}
