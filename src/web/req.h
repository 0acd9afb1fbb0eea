/*
 * req.h: one HTTP request and its response as handlers see them: the path
 * parameters the router captured, the query, a size-capped body (JSON or a
 * form), cookies, who is asking (struct actor, from a session cookie or a
 * bearer token), their language and zone; and a response to fill.
 *
 * A handler returns 0 when it filled the response, or a negative ERR_* with
 * rq->err set: the server then answers an API request with
 * {"error":{"code":...,"message":...}} and the code's HTTP status, and a page
 * request with an error page. Handlers never write to the connection.
 */
#ifndef IRDESK_WEB_REQ_H
#define IRDESK_WEB_REQ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/actor.h"
#include "ir/auth.h"
#include "util/buf.h"
#include "util/err.h"

struct MHD_Connection;
struct request;
struct response;
struct http_server;
struct store;
struct tz;

#define REQ_BODY_MAX (1024 * 1024)  /* bytes; larger bodies get 413 */
#define REQ_PARAMS_MAX 4
#define REQ_FORM_MAX 64             /* fields in a form body */
#define RESP_HEADERS_MAX 8

/*
 * A streaming route's body consumer (ROUTE_STREAM). The route's handler runs
 * as soon as the headers have arrived (sign-in, CSRF and the route's
 * permission already checked; the CSRF token of a cookie-authenticated
 * stream comes in the X-CSRF-Token header or the csrf query argument, since
 * the body is not read yet): it checks what it can, sets rq->stream and
 * rq->stream_ctx, and returns 0, or refuses with an ERR_* (answered at once,
 * the body is never read). The body then goes to data() as it arrives, at
 * most rq->stream_max bytes in all; finish() fills the response once the
 * body is complete. release() runs exactly once when the request ends,
 * however it ends (finished, refused, the client gone, a timeout), and
 * frees stream_ctx and whatever it holds.
 */
struct req_stream {
	int (*data)(struct request *rq, const char *p, size_t n);
	int (*finish)(struct request *rq, struct response *rs);
	void (*release)(struct request *rq);
};

struct form_field {
	char *name;
	char *value;
};

struct request {
	struct MHD_Connection *conn;
	struct http_server *srv;
	const char *method;
	const char *path;
	char *params[REQ_PARAMS_MAX];   /* path segments captured by {name}, decoded */
	int nparams;
	struct buf body;                /* capped at REQ_BODY_MAX */
	int body_too_large;
	char addr[64];                  /* client address */
	int tls;                        /* the connection is TLS */

	struct store *st;               /* this worker's connection */
	int authenticated;
	int via_token;                  /* bearer token: no cookies, no CSRF */
	struct actor actor;             /* valid when authenticated */
	struct session_info session;    /* valid when signed in with a cookie */
	char lang[8];                   /* "ja" or "en" */
	const struct tz *tz;            /* the user's zone (owned by the server) */

	const struct req_stream *stream; /* set by a ROUTE_STREAM handler, else NULL */
	void *stream_ctx;               /* the stream's own state */
	int64_t stream_max;             /* bytes a streamed body may have */
	int64_t stream_len;             /* bytes streamed so far */
	int stream_rc;                  /* the first error of data(), 0 while all is well */

	struct form_field form[REQ_FORM_MAX];  /* parsed on first req_form() call */
	int nform;
	int form_parsed;
	struct err err;
};

struct response {
	unsigned status;                /* 200 unless set */
	const char *content_type;       /* a string literal */
	struct buf body;
	char *headers[RESP_HEADERS_MAX][2];  /* extra headers, owned */
	int nheaders;
	const char *csp;                /* a Content-Security-Policy of its own (static), or NULL */
	int has_file;                   /* send file_fd (owned) as the body instead */
	int file_fd;
	uint64_t file_size;
};

/* The captured path parameter i (0-based), or "" when there is none. */
const char *req_param(const struct request *rq, int i);
/* A query-string argument, or NULL. */
const char *req_query(const struct request *rq, const char *name);
/* A request header, or NULL. */
const char *req_header(const struct request *rq, const char *name);
/* A cookie, or NULL. */
const char *req_cookie(const struct request *rq, const char *name);

/* Parse the body as a JSON object into *out (caller decrefs). ERR_PARSE,
 * ERR_TOOLONG as json_parse(); also requires a JSON content type. */
int req_json(struct request *rq, json_t **out);
/* A field of an application/x-www-form-urlencoded body, or NULL. */
const char *req_form(struct request *rq, const char *name);

/* Set the response to JSON v (stolen) with status. Returns 0. */
int resp_json(struct response *rs, unsigned status, json_t *v);
/* Set an HTML body (copied) with status 200. */
void resp_html(struct response *rs, const char *html, size_t len);
/* A 303 redirect to location (a path on this site). */
int resp_redirect(struct response *rs, const char *location);
/* Send size bytes of the open file fd (taken over) as the body, with status 200. */
void resp_file(struct response *rs, int fd, uint64_t size, const char *content_type);
/* Add a header (both copied). */
void resp_header(struct response *rs, const char *name, const char *value);
/* Set-Cookie: name=value; Path=/; HttpOnly; SameSite=Strict[; Secure][; Max-Age=N].
 * max_age < 0 omits Max-Age (a session cookie); 0 deletes the cookie. */
void resp_cookie(struct response *rs, const struct request *rq, const char *name,
		 const char *value, int max_age);

/* Fill rs with the JSON error body for code and rq->err's message. */
void resp_error_json(struct response *rs, const struct request *rq, int code);

void req_release(struct request *rq);
void resp_release(struct response *rs);

#endif
