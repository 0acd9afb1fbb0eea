/*
 * http.c: libmicrohttpd glue: listen address parsing, a per-request
 * access log line, a store connection per worker thread, JSON errors.
 */
#include "web/http.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/time.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 64

struct http_server {
	struct MHD_Daemon *d;
	char db_url[512];
	pthread_mutex_t lock;
	struct store *conns[MAX_WORKERS]; /* opened lazily, one per worker thread */
	pthread_t owners[MAX_WORKERS];
	int nconns;
	int port;
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
	if (srv->nconns < MAX_WORKERS) {
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

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
			       const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; style-src 'self'; img-src 'self'; "
				"frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_json(struct MHD_Connection *c, unsigned status, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	enum MHD_Result ret;

	json_decref(v);
	if (!s)
		return MHD_NO;
	ret = respond(c, status, "application/json; charset=utf-8", s, strlen(s));
	free(s);
	return ret;
}

static enum MHD_Result respond_error(struct MHD_Connection *c, int code, const char *msg)
{
	return respond_json(c, (unsigned)err_http_status(code),
			    json_pack("{s:{s:s,s:s}}", "error", "code", err_name(code), "message", msg));
}

/* Health: the process answers and the store can be read. */
static int health(struct http_server *srv, json_t **out)
{
	struct err e;
	struct store *st;
	struct stmt *s;
	char now[TIME_STR_MAX];
	int rc, ok = 0, version = 0;

	err_clear(&e);
	st = worker_store(srv, &e);
	if (st && store_prepare(st, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
				&s, &e) == 0) {
		rc = stmt_step(s, &e);
		if (rc == 1) {
			version = (int)stmt_int(s, 0);
			ok = 1;
		}
		stmt_done(s);
	}
	time_format_utc(time_now(), now);
	*out = json_pack("{s:s,s:s,s:s,s:i,s:s}", "status", ok ? "ok" : "degraded",
			 "version", IRDESK_VERSION, "store", ok ? "ok" : err_msg(&e),
			 "schema_version", version, "time", now);
	return ok;
}

static const char health_page[] =
	"<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
	"<title>irdesk</title></head><body><h1>irdesk</h1>"
	"<p>irdesk %s is running. / irdesk %s は稼働中です。</p>"
	"<p>Store: %s</p>"
	"<p><a href=\"/api/v1/health\">/api/v1/health</a></p></body></html>\n";

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **req_cls)
{
	struct http_server *srv = cls;
	static int first_call_marker;
	struct timespec t0, t1;
	unsigned status;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {
		/* First call: headers only. Bodies are refused until the API lands. */
		*req_cls = &first_call_marker;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = 405;
		ret = respond_json(c, status, json_pack("{s:{s:s,s:s}}", "error", "code",
							"method_not_allowed", "message",
							"only GET is served so far"));
	} else if (strcmp(url, "/api/v1/health") == 0) {
		json_t *body;
		status = health(srv, &body) ? 200 : 503;
		ret = respond_json(c, status, body);
	} else if (strcmp(url, "/") == 0) {
		json_t *body;
		struct buf page = BUF_INIT;
		int ok = health(srv, &body);
		buf_addf(&page, health_page, IRDESK_VERSION, IRDESK_VERSION, ok ? "ok" : "unavailable");
		json_decref(body);
		status = ok ? 200 : 503;
		ret = respond(c, status, "text/html; charset=utf-8", page.data, page.len);
		buf_release(&page);
	} else {
		status = 404;
		ret = respond_error(c, ERR_NOTFOUND, "no such page");
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		/* The access log: never bodies, query strings or headers. */
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		char addr[INET6_ADDRSTRLEN] = "-";
		if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr,
				  addr, sizeof(addr));
		log_info("http %s %s %.200s %u %.1fms -", addr, method, url, status,
			 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	}
	return ret;
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

int http_start(const struct http_config *cfg, struct http_server **out, struct err *e)
{
	struct http_server *srv;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cfg->threads > 0 ? (unsigned)cfg->threads : (unsigned)(cores < 2 ? 2 : cores);
	int rc;

	*out = NULL;
	if (threads > MAX_WORKERS)
		threads = MAX_WORKERS;
	rc = parse_listen(cfg->listen, &sa, e);
	if (rc)
		return rc;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return err_set(e, ERR_NOMEM, "out of memory");
	snprintf(srv->db_url, sizeof(srv->db_url), "%s", cfg->db_url);
	pthread_mutex_init(&srv->lock, NULL);
	srv->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
				  MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, srv,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				  MHD_OPTION_THREAD_POOL_SIZE, threads,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				  MHD_OPTION_END);
	if (!srv->d) {
		pthread_mutex_destroy(&srv->lock);
		free(srv);
		return err_set(e, ERR_IO, "cannot listen on %.64s (address in use?)", cfg->listen);
	}
	info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : ntohs(sa.sin_port);
	*out = srv;
	return 0;
}

int http_port(const struct http_server *srv)
{
	return srv->port;
}

void http_stop(struct http_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->d);
	for (int i = 0; i < srv->nconns; i++)
		store_close(srv->conns[i]);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
