/*
 * http.h: the HTTP server (libmicrohttpd with a thread pool): TLS, body
 * limits, timeouts, sign-in by session cookie or bearer token, CSRF checks,
 * security headers, the access log, and dispatch through web/router.h to the
 * API (web/api_*.c) and pages (web/page_*.c).
 */
#ifndef IRDESK_WEB_HTTP_H
#define IRDESK_WEB_HTTP_H

struct err;
struct http_server;
struct intake;
struct mailack;
struct mailsettings;
struct syslog_server;
struct tz;

struct http_config {
	const char *listen;    /* "127.0.0.1:8080"; port 0 picks a free one */
	const char *db_url;    /* each worker opens its own store connection */
	const char *tz;        /* default display zone for users without one */
	const char *tls_cert;  /* PEM files; both or neither */
	const char *tls_key;
	int threads;           /* 0: one per core, at least 2; also the store connection pool */
	struct intake *intake; /* the detection queue for POST /api/v1/events (borrowed), or NULL */
	struct syslog_server *syslog; /* the syslog listeners, for health (borrowed), or NULL */
	long long stream_max;  /* bytes a streamed upload (ROUTE_STREAM) may have; 0: HTTP_STREAM_MAX */
	const char *evidence_dir; /* the evidence folder (--evidence-dir), or NULL: the store's */
	int db_others;         /* store connections the process holds besides the workers' */
	struct mailsettings *mail; /* reported-mail settings (borrowed, ir/mailsettings.h), or NULL */
	struct mailack *ack;   /* acknowledgements to reporters (borrowed, ir/mailack.h), or NULL */
};

/* How many store connections a node may hold, and how many it holds now. */
struct http_db_pool {
	int workers; /* the pool: one connection per worker thread, opened on first use */
	int open;    /* worker connections opened so far */
	int node;    /* the bound for the whole process: workers + db_others */
};

#define HTTP_STREAM_MAX (16LL << 30) /* 16 GiB */

#define HTTP_SESSION_COOKIE "irdesk_session"

/* Start serving in background threads. *out is the caller's (http_stop). */
int http_start(const struct http_config *cfg, struct http_server **out, struct err *e);
/* The port actually bound. */
int http_port(const struct http_server *srv);
/* 1 when serving TLS. */
int http_tls(const struct http_server *srv);
/*
 * The zone called name, loaded once and kept for the server's life; the
 * default zone when name is NULL, empty or cannot be loaded.
 */
const struct tz *http_tz(struct http_server *srv, const char *name);
/* The detection queue the server was started with, or NULL. */
struct intake *http_intake(const struct http_server *srv);
struct syslog_server *http_syslog(const struct http_server *srv);
/* The upload limit of streaming routes, in bytes. */
long long http_stream_max(const struct http_server *srv);
/* The evidence folder the server was started with, or NULL. */
const char *http_evidence_dir(const struct http_server *srv);
/* The store connection pool's size and use (for health and the start log). */
void http_db_pool(struct http_server *srv, struct http_db_pool *out);
/* The reported-mail settings given to http_start (NULL: none given). */
struct mailsettings *http_mail_settings(const struct http_server *srv);
/* The acknowledgements to reporters given to http_start (NULL: none). */
struct mailack *http_mailack(const struct http_server *srv);
/* Stop accepting, let in-flight requests finish, free everything. */
void http_stop(struct http_server *srv);

#endif
