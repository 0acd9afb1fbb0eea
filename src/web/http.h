/*
 * http.h: the HTTP server (libmicrohttpd with a thread pool). For now it
 * answers a health page and /api/v1/health; the router, API and pages grow
 * here (docs/ARCHITECTURE.md).
 */
#ifndef IRDESK_WEB_HTTP_H
#define IRDESK_WEB_HTTP_H

struct err;
struct http_server;

struct http_config {
	const char *listen;  /* "127.0.0.1:8080"; port 0 picks a free one */
	const char *db_url;  /* each worker opens its own store connection */
	int threads;         /* 0: one per core, at least 2 */
};

/* Start serving in background threads. *out is the caller's (http_stop). */
int http_start(const struct http_config *cfg, struct http_server **out, struct err *e);
/* The port actually bound. */
int http_port(const struct http_server *srv);
/* Stop accepting, let in-flight requests finish, free everything. */
void http_stop(struct http_server *srv);

#endif
