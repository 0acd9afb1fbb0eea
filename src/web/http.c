/*
 * http.c: libmicrohttpd glue. Collects a request (headers, a size-capped
 * body), finds its route, authenticates it (bearer token or session cookie),
 * checks CSRF for cookie-authenticated changes, calls the handler, and sends
 * the response with the security headers. Writes one access-log line per
 * request (never bodies, query strings, cookies or tokens).
 */
#include "web/http.h"
#include "ir/auth.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/time.h"
#include "web/page.h"
#include "web/req.h"
#include "web/router.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 64
#define MAX_ZONES 32

struct http_server {
	struct MHD_Daemon *d;
	char db_url[512];
	pthread_mutex_t lock;
	struct store *conns[MAX_WORKERS]; /* opened lazily, one per worker thread */
	pthread_t owners[MAX_WORKERS];
	int nconns;
	int threads;                      /* the pool size: nconns never exceeds it */
	int db_others;
	struct tz *zones[MAX_ZONES];      /* loaded on demand, kept */
	int nzones;
	struct tz *default_tz;
	char *tls_cert, *tls_key;
	int port;
	struct intake *intake;            /* borrowed from the caller */
	struct syslog_server *syslog;     /* borrowed from the caller */
	long long stream_max;
	char *evidence_dir;
	struct mailsettings *mail;        /* borrowed from the caller */
	struct mailack *ack;              /* borrowed from the caller */
};

/* What we keep between libmicrohttpd's calls for one request. */
struct conn_state {
	struct request rq;
	struct timespec t0;
	const struct route *route; /* matched when the headers arrived, or NULL */
	int mismatch;              /* no route: 1 when the path exists with another method */
};

/* The calling worker's store connection, opened on first use. */
static struct store *worker_store(struct http_server *srv, struct err *e)
{
	pthread_t self = pthread_self();
	struct store *st = NULL;

	pthread_mutex_lock(&srv->lock);
	for (int i = 0; i < srv->nconns; i++)
		if (pthread_equal(srv->owners[i], self))
			st = srv->conns[i];
	pthread_mutex_unlock(&srv->lock);
	if (st)
		return st;
	if (store_open(srv->db_url, 0, &st, e))
		return NULL;
	pthread_mutex_lock(&srv->lock);
	if (srv->nconns < srv->threads) {
		srv->owners[srv->nconns] = self;
		srv->conns[srv->nconns++] = st;
	} else {
		store_close(st);
		st = NULL;
		err_set(e, ERR_BUSY, "too many worker threads");
	}
	pthread_mutex_unlock(&srv->lock);
	return st;
}

const struct tz *http_tz(struct http_server *srv, const char *name)
{
	struct tz *z = NULL;

	if (!name || !*name)
		return srv->default_tz;
	pthread_mutex_lock(&srv->lock);
	for (int i = 0; i < srv->nzones; i++)
		if (strcmp(tz_name(srv->zones[i]), name) == 0)
			z = srv->zones[i];
	if (!z && srv->nzones < MAX_ZONES && tz_load(name, &z, NULL) == 0)
		srv->zones[srv->nzones++] = z;
	pthread_mutex_unlock(&srv->lock);
	return z ? z : srv->default_tz;
}

int http_port(const struct http_server *srv) { return srv->port; }
int http_tls(const struct http_server *srv) { return srv->tls_cert != NULL; }
struct intake *http_intake(const struct http_server *srv) { return srv->intake; }
struct syslog_server *http_syslog(const struct http_server *srv) { return srv->syslog; }
long long http_stream_max(const struct http_server *srv) { return srv->stream_max; }
const char *http_evidence_dir(const struct http_server *srv) { return srv->evidence_dir; }
struct mailsettings *http_mail_settings(const struct http_server *srv) { return srv->mail; }
struct mailack *http_mailack(const struct http_server *srv) { return srv->ack; }

void http_db_pool(struct http_server *srv, struct http_db_pool *out)
{
	pthread_mutex_lock(&srv->lock);
	out->workers = srv->threads;
	out->open = srv->nconns;
	out->node = srv->threads + srv->db_others;
	pthread_mutex_unlock(&srv->lock);
}

static void add_security_headers(struct MHD_Response *r, int is_page, const char *csp)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy", csp ? csp :
				"default-src 'none'; script-src 'self'; style-src 'self'; "
				"img-src 'self' data:; connect-src 'self'; form-action 'self'; "
				"frame-ancestors 'none'; base-uri 'none'");
	if (is_page)
		MHD_add_response_header(r, "Cache-Control", "no-store");
}

/* The user's language: their setting, else the browser's first of ja/en. */
static void choose_lang(struct request *rq)
{
	const char *al = req_header(rq, "Accept-Language");

	const char *chosen = req_cookie(rq, "irdesk_lang");

	if (rq->session.lang[0]) {
		snprintf(rq->lang, sizeof(rq->lang), "%s", rq->session.lang);
		return;
	}
	if (chosen && (strcmp(chosen, "ja") == 0 || strcmp(chosen, "en") == 0)) {
		snprintf(rq->lang, sizeof(rq->lang), "%s", chosen);
		return;
	}
	snprintf(rq->lang, sizeof(rq->lang), "en");
	for (const char *p = al; p && *p; p++) {
		while (*p == ' ' || *p == ',')
			p++;
		if (strncasecmp(p, "ja", 2) == 0 || strncasecmp(p, "en", 2) == 0) {
			rq->lang[0] = (char)(p[0] | 0x20);
			rq->lang[1] = (char)(p[1] | 0x20);
			rq->lang[2] = '\0';
			return;
		}
		p = strchr(p, ',');
		if (!p)
			break;
	}
}

/*
 * Who is asking. A bearer token that does not check out is an error (401)
 * even on public routes, so that a script with a revoked token notices.
 */
static int authenticate(struct http_server *srv, struct request *rq)
{
	const char *auth = req_header(rq, "Authorization");
	const char *cookie;
	int64_t now = time_now();
	int rc;

	if (auth) {
		if (strncasecmp(auth, "Bearer ", 7) != 0)
			return err_set(&rq->err, ERR_AUTH, "unsupported Authorization scheme (use Bearer)");
		rc = auth_token_actor(rq->st, auth + 7, now, srv->default_tz, &rq->actor, &rq->err);
		if (rc == ERR_BUSY)
			return rc; /* the database is down: 503, not a wrong token */
		if (rc)
			return err_set(&rq->err, ERR_AUTH, "invalid or revoked API token");
		rq->authenticated = 1;
		rq->via_token = 1;
		rq->tz = rq->actor.tz ? rq->actor.tz : srv->default_tz;
		return 0;
	}
	cookie = req_cookie(rq, HTTP_SESSION_COOKIE);
	rc = cookie ? auth_session(rq->st, cookie, now, &rq->session, &rq->err) : ERR_AUTH;
	if (rc == ERR_BUSY)
		return rc; /* the database is down: 503, not signed out */
	if (rc) {
		memset(&rq->session, 0, sizeof(rq->session));
		err_clear(&rq->err);
		return 0; /* anonymous */
	}
	rq->tz = http_tz(srv, rq->session.tz);
	if (actor_for_user(rq->st, rq->session.username, rq->tz, &rq->actor, NULL) != 0) {
		memset(&rq->session, 0, sizeof(rq->session));
		return 0;
	}
	rq->actor.now = now;
	rq->authenticated = 1;
	return 0;
}

static int is_change(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* A cookie-authenticated change must carry the session's CSRF token. */
static int check_csrf(struct request *rq)
{
	const char *t = req_header(rq, "X-CSRF-Token");

	if (!t)
		t = rq->stream_max ? req_query(rq, "csrf") : req_form(rq, "csrf");
	if (t && strlen(t) == strlen(rq->session.csrf) &&
	    sodium_memcmp(t, rq->session.csrf, strlen(t)) == 0)
		return 0;
	return err_set(&rq->err, ERR_DENIED, "missing or wrong CSRF token: reload the page and try again");
}

static void fail(struct request *rq, struct response *rs, int is_page, int code)
{
	if (is_page)
		page_error(rq, rs, code);
	else
		resp_error_json(rs, rq, code);
}

/*
 * Everything before a handler runs: the route (matched when the headers
 * arrived), the worker's store, sign-in, the body limit, CSRF and the
 * route's permission. Returns the route, or NULL when rs holds the answer.
 */
static const struct route *admit(struct http_server *srv, struct conn_state *cs,
				 struct response *rs, int *is_page)
{
	const struct route *route = cs->route;
	struct request *rq = &cs->rq;
	struct err e;
	int rc;

	*is_page = strncmp(rq->path, "/api/", 5) != 0;
	rq->tz = srv->default_tz;
	snprintf(rq->lang, sizeof(rq->lang), "en");
	if (!route) {
		choose_lang(rq);
		err_set(&rq->err, cs->mismatch ? ERR_USAGE : ERR_NOTFOUND,
			cs->mismatch ? "method %s not allowed here" : "no such %s",
			cs->mismatch ? rq->method : (*is_page ? "page" : "endpoint"));
		fail(rq, rs, *is_page, rq->err.code);
		if (cs->mismatch)
			rs->status = 405;
		return NULL;
	}
	*is_page = (route->flags & ROUTE_PAGE) != 0;
	err_clear(&e);
	rq->st = worker_store(srv, &e);
	if (!rq->st) {
		log_error("store: %s", err_msg(&e));
		err_set(&rq->err, ERR_BUSY, "the store is unavailable; try again shortly");
		fail(rq, rs, *is_page, ERR_BUSY);
		return NULL;
	}
	rc = authenticate(srv, rq);
	choose_lang(rq);
	if (rc) {
		fail(rq, rs, *is_page, rc);
		return NULL;
	}
	if (!(route->flags & ROUTE_PUBLIC) && !rq->authenticated) {
		if (*is_page) {
			struct buf loc = BUF_INIT;
			buf_adds(&loc, "/login");
			if (strcmp(rq->method, "GET") == 0 && strcmp(rq->path, "/") != 0)
				buf_addf(&loc, "?next=%s", rq->path);
			resp_redirect(rs, loc.data);
			buf_release(&loc);
		} else {
			err_set(&rq->err, ERR_AUTH, "sign in or send an API token");
			resp_error_json(rs, rq, ERR_AUTH);
			resp_header(rs, "WWW-Authenticate", "Bearer realm=\"irdesk\"");
		}
		return NULL;
	}
	if (rq->body_too_large) {
		if (rq->stream_max)
			err_set(&rq->err, ERR_TOOLONG, "upload too large (at most %lld bytes)",
				(long long)rq->stream_max);
		else
			err_set(&rq->err, ERR_TOOLONG, "request body too large (at most %d bytes)",
				REQ_BODY_MAX);
		fail(rq, rs, *is_page, ERR_TOOLONG);
		return NULL;
	}
	if (rq->authenticated && !rq->via_token && is_change(rq->method) &&
	    !(route->flags & ROUTE_NO_CSRF) && check_csrf(rq)) {
		fail(rq, rs, *is_page, ERR_DENIED);
		return NULL;
	}
	if (rq->authenticated && route->act != ACT_NONE &&
	    !(rq->actor.external && (route->flags & ROUTE_INCIDENT)) &&
	    authz_check(&rq->actor, route->act, &rq->err)) {
		fail(rq, rs, *is_page, ERR_DENIED);
		return NULL;
	}
	return route;
}

/* A handler's failure as the error response. */
static void handler_failed(struct request *rq, struct response *rs, int is_page, int rc)
{
	if (!rq->err.code)
		err_set(&rq->err, rc, "%s", err_str(rc));
	if (rc == ERR_INTERNAL || rc == ERR_STORE || rc == ERR_IO || rc == ERR_NOMEM)
		log_error("%s %s: %s", rq->method, rq->path, err_msg(&rq->err));
	fail(rq, rs, is_page, rc);
}

static void dispatch(struct http_server *srv, struct conn_state *cs, struct response *rs)
{
	struct request *rq = &cs->rq;
	const struct route *route;
	int is_page, rc;

	if (rq->stream) {
		/* The body of a streaming route is in: finish it, or report why not. */
		is_page = (cs->route->flags & ROUTE_PAGE) != 0;
		rc = rq->stream_rc ? rq->stream_rc : rq->stream->finish(rq, rs);
		if (rc)
			handler_failed(rq, rs, is_page, rc);
		return;
	}
	route = admit(srv, cs, rs, &is_page);
	if (!route)
		return;
	/* Reads see one snapshot and lock the store once (a write inside ends it). */
	if (!is_change(rq->method))
		store_read_begin(rq->st, NULL);
	rc = route->fn(rq, rs);
	store_read_end(rq->st);
	if (rc)
		handler_failed(rq, rs, is_page, rc);
}

static enum MHD_Result send_response(struct MHD_Connection *c, struct response *rs, int is_page)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (rs->has_file) {
		r = MHD_create_response_from_fd64(rs->file_size, rs->file_fd);
		if (r)
			rs->has_file = 0; /* libmicrohttpd closes it */
	} else {
		r = MHD_create_response_from_buffer(rs->body.len, rs->body.data,
						    MHD_RESPMEM_MUST_COPY);
	}
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type",
				rs->content_type ? rs->content_type : "text/plain; charset=utf-8");
	add_security_headers(r, is_page, rs->csp);
	for (int i = 0; i < rs->nheaders; i++)
		MHD_add_response_header(r, rs->headers[i][0], rs->headers[i][1]);
	ret = MHD_queue_response(c, rs->status ? rs->status : 200, r);
	MHD_destroy_response(r);
	return ret;
}

static void access_log(struct request *rq, unsigned status, const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("http %s %s %.200s %u %.1fms %s", rq->addr, rq->method, rq->path, status,
		 (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6,
		 rq->authenticated ? rq->actor.name : "-");
}

static void client_addr(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(out, n, "-");
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, out,
			  (socklen_t)n);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out,
			  (socklen_t)n);
}

/* Queue rs, log the request, free rs. */
static enum MHD_Result respond(struct conn_state *cs, struct MHD_Connection *c,
			       struct response *rs)
{
	enum MHD_Result ret = send_response(c, rs, strncmp(cs->rq.path, "/api/", 5) != 0);

	access_log(&cs->rq, rs->status ? rs->status : 200, &cs->t0);
	resp_release(rs);
	return ret;
}

/*
 * The headers of a streaming route are in: admit the request and let the
 * handler set up its stream. Returns 1 when rs holds an answer to send now
 * (the body is then never read), 0 when the body is to be streamed.
 */
static int stream_begin(struct http_server *srv, struct conn_state *cs, struct response *rs)
{
	int is_page, rc;

	if (!admit(srv, cs, rs, &is_page))
		return 1;
	rc = cs->route->fn(&cs->rq, rs);
	if (rc)
		handler_failed(&cs->rq, rs, is_page, rc);
	return rc || !cs->rq.stream;
}

/* A piece of a streamed body; after the first error the rest is discarded. */
static void stream_data(struct request *rq, const char *p, size_t n)
{
	if (rq->stream_rc)
		return;
	if ((int64_t)n > rq->stream_max - rq->stream_len) {
		rq->stream_rc = err_set(&rq->err, ERR_TOOLONG, "upload too large (at most %lld bytes)",
					(long long)rq->stream_max);
		return;
	}
	rq->stream_len += (int64_t)n;
	rq->stream_rc = rq->stream->data(rq, p, n);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **req_cls)
{
	struct http_server *srv = cls;
	struct conn_state *cs = *req_cls;
	struct response rs;

	(void)version;
	memset(&rs, 0, sizeof(rs));
	buf_init(&rs.body, 0);
	if (!cs) {
		const char *len;
		long long limit = REQ_BODY_MAX;
		cs = calloc(1, sizeof(*cs));
		if (!cs)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &cs->t0);
		cs->rq.conn = c;
		cs->rq.srv = srv;
		cs->rq.method = method;
		cs->rq.path = url;
		cs->rq.tls = srv->tls_cert != NULL;
		buf_init(&cs->rq.body, REQ_BODY_MAX);
		client_addr(c, cs->rq.addr, sizeof(cs->rq.addr));
		*req_cls = cs;
		cs->route = router_match(method, url, &cs->rq, &cs->mismatch);
		if (cs->route && (cs->route->flags & ROUTE_STREAM))
			limit = cs->rq.stream_max = srv->stream_max;
		len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (len && strtoull(len, NULL, 10) > (unsigned long long)limit)
			cs->rq.body_too_large = 1;
		if (cs->rq.stream_max && stream_begin(srv, cs, &rs))
			return respond(cs, c, &rs);
		resp_release(&rs);
		return MHD_YES;
	}
	if (*upload_size) {
		if (cs->rq.stream) {
			stream_data(&cs->rq, upload_data, *upload_size);
		} else if (!cs->rq.body_too_large) {
			buf_add(&cs->rq.body, upload_data, *upload_size);
			if (buf_error(&cs->rq.body)) {
				cs->rq.body_too_large = 1;
				buf_release(&cs->rq.body);
			}
		}
		*upload_size = 0;
		resp_release(&rs);
		return MHD_YES;
	}
	dispatch(srv, cs, &rs);
	return respond(cs, c, &rs);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct conn_state *cs = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!cs)
		return;
	if (cs->rq.stream && cs->rq.stream->release)
		cs->rq.stream->release(&cs->rq);
	req_release(&cs->rq);
	free(cs);
	*req_cls = NULL;
}

/* libmicrohttpd's own messages: detail for debugging; failures are reported by us. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	log_debug("libmicrohttpd: %s", line);
}

static int parse_listen(const char *listen, struct sockaddr_in *sa, struct err *e)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	char *end;
	long port;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return err_set(e, ERR_INVALID, "--listen %.64s: expected ADDRESS:PORT", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 0 || port > 65535)
		return err_set(e, ERR_INVALID, "--listen %.64s: bad port", listen);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sa->sin_addr) != 1)
		return err_set(e, ERR_INVALID, "--listen %.64s: bad IPv4 address", listen);
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

static int read_pem(const char *path, char **out, struct err *e)
{
	struct buf b;
	int rc;

	buf_init(&b, 1024 * 1024);
	rc = fs_read_file(path, &b, e);
	if (rc) {
		buf_release(&b);
		return rc;
	}
	*out = buf_detach(&b, NULL);
	return *out ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}

static void server_free(struct http_server *srv)
{
	for (int i = 0; i < srv->nconns; i++)
		store_close(srv->conns[i]);
	for (int i = 0; i < srv->nzones; i++)
		tz_free(srv->zones[i]);
	tz_free(srv->default_tz);
	if (srv->tls_key)
		sodium_memzero(srv->tls_key, strlen(srv->tls_key));
	free(srv->tls_key);
	free(srv->tls_cert);
	free(srv->evidence_dir);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}

int http_start(const struct http_config *cfg, struct http_server **out, struct err *e)
{
	struct http_server *srv;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cfg->threads > 0 ? (unsigned)cfg->threads : (unsigned)(cores < 2 ? 2 : cores);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 MHD_USE_ITC;
	int rc;

	*out = NULL;
	if (sodium_init() < 0)
		return err_set(e, ERR_INTERNAL, "libsodium failed to start");
	if (threads > MAX_WORKERS)
		threads = MAX_WORKERS;
	if (!cfg->tls_cert != !cfg->tls_key)
		return err_set(e, ERR_USAGE, "--tls-cert and --tls-key go together");
	rc = parse_listen(cfg->listen, &sa, e);
	if (rc)
		return rc;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return err_set(e, ERR_NOMEM, "out of memory");
	pthread_mutex_init(&srv->lock, NULL);
	snprintf(srv->db_url, sizeof(srv->db_url), "%s", cfg->db_url);
	srv->threads = (int)threads;
	srv->db_others = cfg->db_others;
	srv->intake = cfg->intake;
	srv->mail = cfg->mail;
	srv->ack = cfg->ack;
	srv->syslog = cfg->syslog;
	srv->stream_max = cfg->stream_max > 0 ? cfg->stream_max : HTTP_STREAM_MAX;
	if (cfg->evidence_dir && !(srv->evidence_dir = strdup(cfg->evidence_dir))) {
		server_free(srv);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	rc = tz_load(cfg->tz ? cfg->tz : "Asia/Tokyo", &srv->default_tz, e);
	if (!rc && cfg->tls_cert) {
		rc = read_pem(cfg->tls_cert, &srv->tls_cert, e);
		if (!rc)
			rc = read_pem(cfg->tls_key, &srv->tls_key, e);
		flags |= MHD_USE_TLS;
	}
	if (rc) {
		server_free(srv);
		return rc;
	}
	if (srv->tls_cert)
		srv->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv,
					  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
					  MHD_OPTION_THREAD_POOL_SIZE, threads,
					  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
					  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
					  MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
					  MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
					  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
					  MHD_OPTION_HTTPS_MEM_CERT, srv->tls_cert,
					  MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key,
					  MHD_OPTION_END);
	else
		srv->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv,
					  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
					  MHD_OPTION_THREAD_POOL_SIZE, threads,
					  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
					  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
					  MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
					  MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
					  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
					  MHD_OPTION_END);
	if (!srv->d) {
		int tls = srv->tls_cert != NULL;
		server_free(srv);
		return err_set(e, ERR_IO, tls ? "cannot listen on %.64s (address in use, or a bad "
					       "TLS certificate or key?)"
					     : "cannot listen on %.64s (address in use?)", cfg->listen);
	}
	info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : ntohs(sa.sin_port);
	*out = srv;
	return 0;
}

void http_stop(struct http_server *srv)
{
	MHD_socket s;

	if (!srv)
		return;
	/* Refuse new connections at once, then let the workers finish. */
	s = MHD_quiesce_daemon(srv->d);
	if (s != MHD_INVALID_SOCKET)
		close(s);
	MHD_stop_daemon(srv->d);
	server_free(srv);
}
