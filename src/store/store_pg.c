/*
 * store_pg.c: the PostgreSQL backend (libpq). The portable SQL above store/
 * has '?' placeholders: they become $1..$n once, when a statement is first
 * prepared on a connection, and prepared statements are cached per
 * connection by SQL text as in store_sqlite.c. Parameters go as text and
 * results are read whole (PQexecPrepared), then stepped through row by row.
 */
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/utf8.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAX 128
#define PARAMS_MAX STORE_PARAMS_MAX
/* Taken around migrations so two nodes starting at once do not both migrate. */
#define MIGRATION_LOCK "72706573"

struct pg_stmt {
	const struct store_driver *drv; /* first, see store.c */
	struct pg_store *owner;
	char *sql;       /* the portable text, the cache key */
	char *pgsql;     /* the text with $1..$n */
	uint64_t hash;
	char name[24];   /* the server-side prepared statement */
	unsigned gen;    /* the connection generation it was prepared on */
	int simple;      /* transaction control: run with PQexec, never prepared */
	int nparams;
	char *vals[PARAMS_MAX];  /* owned copies, NULL for SQL NULL */
	int lens[PARAMS_MAX];
	PGresult *res;   /* after the first step */
	int row, nrows;
	int busy;        /* handed out and not yet given back */
	int cached;      /* lives in the cache; otherwise freed when done */
};

struct pg_store {
	struct store base; /* first */
	PGconn *conn;
	unsigned gen;      /* bumped at every reconnect: prepared names are gone */
	unsigned next_name;
	struct pg_stmt *cache[CACHE_MAX];
	int ncache;
	unsigned evict;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Our messages are one line: libpq's end with a newline and may have more. */
static void one_line(char *msg, size_t n, const char *from)
{
	size_t i;

	snprintf(msg, n, "%s", from ? from : "unknown error");
	for (i = 0; msg[i]; i++)
		if (msg[i] == '\n' || msg[i] == '\r')
			break;
	msg[i] = 0;
	while (i > 0 && msg[i - 1] == ' ')
		msg[--i] = 0;
}

static int unavailable(struct pg_store *p, struct err *e)
{
	char msg[256];

	one_line(msg, sizeof(msg), PQerrorMessage(p->conn));
	return err_set(e, ERR_BUSY, "the database is unavailable (postgresql: %s)", msg);
}

/* Map a failed result (or none: the connection is gone) to an ERR_* code. */
static int map_error(struct pg_store *p, const PGresult *res, struct err *e)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char msg[512];
	int code = ERR_STORE;

	if (!res || PQstatus(p->conn) == CONNECTION_BAD)
		return unavailable(p, e);
	if (state) {
		if (strcmp(state, "23505") == 0)
			code = ERR_EXISTS;  /* unique_violation */
		else if (strncmp(state, "23", 2) == 0)
			code = ERR_CONFLICT; /* other integrity constraints */
		else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
			 strcmp(state, "55P03") == 0 || strcmp(state, "53300") == 0)
			code = ERR_BUSY;    /* serialization, deadlock, lock or slots */
		else if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
			return unavailable(p, e);
		else if (strncmp(state, "53", 2) == 0 || strncmp(state, "58", 2) == 0)
			code = ERR_IO;
	}
	one_line(msg, sizeof(msg), PQresultErrorMessage(res));
	return err_set(e, code, "postgresql: %s", msg);
}

/*
 * Before a statement outside a transaction: a connection that was lost is
 * opened again (the server restarted). Inside a transaction it is not: the
 * transaction is gone, and the caller must roll back first.
 */
static int ensure_conn(struct pg_store *p, struct err *e)
{
	if (PQstatus(p->conn) == CONNECTION_OK)
		return 0;
	if (p->base.in_tx)
		return unavailable(p, e);
	PQreset(p->conn);
	if (PQstatus(p->conn) != CONNECTION_OK)
		return unavailable(p, e);
	p->gen++;
	log_info("store: reconnected to postgresql");
	return 0;
}

static int run_simple(struct pg_store *p, const char *sql, struct err *e)
{
	PGresult *res = PQexec(p->conn, sql);
	int rc = 0;

	if (!res || (PQresultStatus(res) != PGRES_COMMAND_OK &&
		     PQresultStatus(res) != PGRES_TUPLES_OK))
		rc = map_error(p, res, e);
	PQclear(res);
	return rc;
}

static int pg_exec(struct store *st, const char *sql, struct err *e)
{
	struct pg_store *p = (struct pg_store *)st;
	int rc = ensure_conn(p, e);

	return rc ? rc : run_simple(p, sql, e);
}

static void stmt_clear_params(struct pg_stmt *s)
{
	for (int i = 0; i < s->nparams; i++) {
		free(s->vals[i]);
		s->vals[i] = NULL;
		s->lens[i] = 0;
	}
}

static void stmt_free(struct pg_stmt *s)
{
	if (!s)
		return;
	PQclear(s->res);
	stmt_clear_params(s);
	free(s->sql);
	free(s->pgsql);
	free(s);
}

/* Drop the server-side statement; failure only leaks a name on the server. */
static void stmt_deallocate(struct pg_stmt *s)
{
	char sql[48];

	if (s->simple || s->gen != s->owner->gen || PQstatus(s->owner->conn) != CONNECTION_OK)
		return;
	snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
	PQclear(PQexec(s->owner->conn, sql));
}

static void pg_close(struct store *st)
{
	struct pg_store *p = (struct pg_store *)st;

	for (int i = 0; i < p->ncache; i++)
		stmt_free(p->cache[i]);
	PQfinish(p->conn);
	free(p);
}

static void quiet_notices(void *arg, const char *message)
{
	(void)arg;
	log_debug("store: postgresql: %s", message);
}

static int pg_open(const char *target, int flags, struct store **out, struct err *e)
{
	struct pg_store *p;
	struct buf url = BUF_INIT;
	PGresult *res;
	int rc = 0;

	/* store.c hands over what follows "postgres:"; libpq wants the whole URL. */
	buf_adds(&url, "postgresql:");
	buf_adds(&url, target);
	if (buf_error(&url))
		return err_set(e, ERR_NOMEM, "out of memory");
	p = calloc(1, sizeof(*p));
	if (!p) {
		buf_release(&url);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	p->base.drv = &store_pg_driver;
	p->conn = PQconnectdb(url.data);
	buf_release(&url);
	if (!p->conn) {
		free(p);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	if (PQstatus(p->conn) != CONNECTION_OK) {
		rc = unavailable(p, e);
		goto fail;
	}
	PQsetNoticeProcessor(p->conn, quiet_notices, NULL);
	rc = run_simple(p, "SET client_min_messages = warning; SET TIME ZONE 'UTC'; "
			   "SET application_name = 'irdesk'", e);
	if (rc)
		goto fail;
	/* A database without our tables is one `irdesk init` has not set up. */
	if (!(flags & STORE_CREATE)) {
		res = PQexec(p->conn, "SELECT to_regclass('schema_migrations') IS NULL");
		if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
			rc = map_error(p, res, e);
		} else if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
			rc = err_set(e, ERR_NOTFOUND, "%s: database is not initialised "
				     "(run 'irdesk init' first)", PQdb(p->conn));
		}
		PQclear(res);
		if (rc)
			goto fail;
	}
	*out = &p->base;
	return 0;
fail:
	PQfinish(p->conn);
	free(p);
	return rc;
}

/*
 * '?' to $1..$n, skipping quoted strings, quoted identifiers and comments.
 * Returns the parameter count, or -1 when there are too many.
 */
static int translate(const char *sql, struct buf *out)
{
	int n = 0;

	for (const char *c = sql; *c; c++) {
		if (*c == '\'' || *c == '"') {
			const char *q = c++;
			buf_addch(out, *q);
			while (*c && *c != *q)
				buf_addch(out, *c++);
			if (!*c)
				break;
			buf_addch(out, *c);
		} else if (c[0] == '-' && c[1] == '-') {
			while (*c && *c != '\n')
				buf_addch(out, *c++);
			if (!*c)
				break;
			buf_addch(out, *c);
		} else if (*c == '?') {
			if (++n > PARAMS_MAX)
				return -1;
			buf_addf(out, "$%d", n);
		} else {
			buf_addch(out, *c);
		}
	}
	return n;
}

/* Transaction control runs unprepared: it has no parameters and no rows. */
static int is_simple(const char *sql)
{
	static const char *const words[] = { "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT",
					     "RELEASE", "END" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);
		if (strncmp(sql, words[i], n) == 0 && (sql[n] == 0 || sql[n] == ' ' || sql[n] == ';'))
			return 1;
	}
	return 0;
}

/* Prepare s on the server under a fresh name (again after a reconnect). */
static int server_prepare(struct pg_store *p, struct pg_stmt *s, struct err *e)
{
	PGresult *res;
	int rc = 0;

	s->gen = p->gen;
	if (s->simple)
		return 0;
	snprintf(s->name, sizeof(s->name), "irdesk_%u", p->next_name++);
	res = PQprepare(p->conn, s->name, s->pgsql, 0, NULL);
	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = map_error(p, res, e);
	PQclear(res);
	if (rc)
		s->gen = p->gen - 1; /* not prepared: try again next time */
	return rc;
}

static int pg_prepare(struct store *st, const char *sql, struct stmt **out, struct err *e)
{
	struct pg_store *p = (struct pg_store *)st;
	struct pg_stmt *ps = NULL;
	struct buf text = BUF_INIT;
	uint64_t h = fnv1a(sql);
	int rc = ensure_conn(p, e);

	if (rc)
		return rc;
	for (int i = 0; i < p->ncache; i++) {
		struct pg_stmt *c = p->cache[i];
		if (c->hash == h && !c->busy && strcmp(c->sql, sql) == 0) {
			if (c->gen != p->gen && (rc = server_prepare(p, c, e)))
				return rc;
			c->busy = 1;
			c->row = -1;
			*out = (struct stmt *)c;
			return 0;
		}
	}
	ps = calloc(1, sizeof(*ps));
	if (!ps || !(ps->sql = strdup(sql))) {
		free(ps);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	ps->nparams = translate(sql, &text);
	if (ps->nparams < 0 || buf_error(&text)) {
		buf_release(&text);
		stmt_free(ps);
		return err_set(e, ps->nparams < 0 ? ERR_INVALID : ERR_NOMEM,
			       "postgresql: statement has too many parameters or no memory");
	}
	ps->pgsql = buf_detach(&text, NULL);
	ps->drv = &store_pg_driver;
	ps->owner = p;
	ps->hash = h;
	ps->simple = is_simple(sql);
	/* store_read_begin's BEGIN: every query until its end sees one snapshot. */
	if (strcmp(sql, "BEGIN") == 0) {
		free(ps->pgsql);
		ps->pgsql = strdup("BEGIN ISOLATION LEVEL REPEATABLE READ");
		if (!ps->pgsql) {
			stmt_free(ps);
			return err_set(e, ERR_NOMEM, "out of memory");
		}
	}
	rc = server_prepare(p, ps, e);
	if (rc) {
		stmt_free(ps);
		return rc;
	}
	ps->busy = 1;
	ps->row = -1;
	if (p->ncache < CACHE_MAX) {
		ps->cached = 1;
		p->cache[p->ncache++] = ps;
	} else {
		/* Replace an idle entry; if every entry is in use, stay uncached. */
		for (int tries = 0; tries < CACHE_MAX; tries++) {
			unsigned v = p->evict++ % CACHE_MAX;
			struct pg_stmt *old = p->cache[v];
			if (old->busy)
				continue;
			stmt_deallocate(old);
			stmt_free(old);
			ps->cached = 1;
			p->cache[v] = ps;
			break;
		}
	}
	*out = (struct stmt *)ps;
	return 0;
}

static int set_param(struct pg_stmt *s, int idx, const char *v, size_t n)
{
	char *copy = NULL;

	if (idx < 1 || idx > s->nparams)
		return ERR_INVALID;
	if (v) {
		copy = malloc(n + 1);
		if (!copy)
			return ERR_NOMEM;
		memcpy(copy, v, n);
		copy[n] = 0;
	}
	free(s->vals[idx - 1]);
	s->vals[idx - 1] = copy;
	s->lens[idx - 1] = (int)n;
	return 0;
}

static int pg_bind_int(struct stmt *st, int idx, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);

	return set_param((struct pg_stmt *)st, idx, num, (size_t)n);
}

static int pg_bind_text(struct stmt *st, int idx, const char *v, size_t n)
{
	return set_param((struct pg_stmt *)st, idx, v, n);
}

static int pg_bind_null(struct stmt *st, int idx)
{
	return set_param((struct pg_stmt *)st, idx, NULL, 0);
}

static int pg_step(struct stmt *st, struct err *e)
{
	struct pg_stmt *s = (struct pg_stmt *)st;
	struct pg_store *p = s->owner;
	ExecStatusType status;

	if (s->row >= 0)
		return ++s->row < s->nrows ? 1 : 0;
	if (s->gen != p->gen)
		return unavailable(p, e); /* prepared before a reconnect mid-use */
	if (s->simple)
		s->res = PQexec(p->conn, s->pgsql);
	else
		s->res = PQexecPrepared(p->conn, s->name, s->nparams,
					(const char *const *)s->vals, NULL, NULL, 0);
	status = s->res ? PQresultStatus(s->res) : PGRES_FATAL_ERROR;
	/*
	 * Outside a transaction, a statement that failed because the server
	 * restarted since this connection's last use is run once more on a new
	 * connection, so that the first request a worker serves after an outage
	 * is not refused. Only reads and idempotent touches (a session's
	 * last_seen) run outside transactions: every change is inside one, where
	 * nothing is retried.
	 */
	if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && !p->base.in_tx &&
	    PQstatus(p->conn) != CONNECTION_OK && ensure_conn(p, NULL) == 0 &&
	    server_prepare(p, s, NULL) == 0) {
		PQclear(s->res);
		if (s->simple)
			s->res = PQexec(p->conn, s->pgsql);
		else
			s->res = PQexecPrepared(p->conn, s->name, s->nparams,
						(const char *const *)s->vals, NULL, NULL, 0);
		status = s->res ? PQresultStatus(s->res) : PGRES_FATAL_ERROR;
	}
	if (status == PGRES_TUPLES_OK) {
		s->nrows = PQntuples(s->res);
		s->row = 0;
		return s->nrows > 0 ? 1 : 0;
	}
	if (status == PGRES_COMMAND_OK) {
		s->nrows = 0;
		s->row = 0;
		return 0;
	}
	{
		int rc = map_error(p, s->res, e);
		PQclear(s->res);
		s->res = NULL;
		return rc;
	}
}

static int pg_column_count(struct stmt *st)
{
	struct pg_stmt *s = (struct pg_stmt *)st;
	return s->res ? PQnfields(s->res) : 0;
}

static const char *pg_column_name(struct stmt *st, int col)
{
	struct pg_stmt *s = (struct pg_stmt *)st;
	return s->res && col >= 0 && col < PQnfields(s->res) ? PQfname(s->res, col) : NULL;
}

static int have_cell(struct pg_stmt *s, int col)
{
	return s->res && s->row >= 0 && s->row < s->nrows && col >= 0 && col < PQnfields(s->res);
}

static int pg_is_null(struct stmt *st, int col)
{
	struct pg_stmt *s = (struct pg_stmt *)st;
	return !have_cell(s, col) || PQgetisnull(s->res, s->row, col);
}

static int64_t pg_column_int(struct stmt *st, int col)
{
	struct pg_stmt *s = (struct pg_stmt *)st;
	const char *v;

	if (pg_is_null(st, col))
		return 0;
	v = PQgetvalue(s->res, s->row, col);
	if (v[0] == 't' && !v[1])
		return 1; /* a boolean expression */
	return strtoll(v, NULL, 10);
}

static const char *pg_column_text(struct stmt *st, int col)
{
	struct pg_stmt *s = (struct pg_stmt *)st;

	if (pg_is_null(st, col))
		return NULL;
	return PQgetvalue(s->res, s->row, col);
}

static void pg_reset(struct stmt *st)
{
	struct pg_stmt *s = (struct pg_stmt *)st;

	if (!s->busy)
		return;
	if (!s->cached) {
		stmt_deallocate(s);
		stmt_free(s);
		return;
	}
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->nrows = 0;
	stmt_clear_params(s);
	s->busy = 0;
}

static int pg_begin(struct store *st, struct err *e)
{
	struct pg_store *p = (struct pg_store *)st;
	const char *sql;
	int rc = ensure_conn(p, e);

	if (rc)
		return rc;
	/* Before the schema exists, migrations are decided under one lock. */
	sql = st->schema_version ? "BEGIN"
				 : "BEGIN; SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")";
	rc = run_simple(p, sql, e);
	/*
	 * A server that restarted since this connection's last use shows only
	 * now. Nothing has begun, so one more try on a new connection is safe,
	 * and the write is not refused just because this worker was idle.
	 */
	if (rc == ERR_BUSY && PQstatus(p->conn) != CONNECTION_OK && ensure_conn(p, e) == 0)
		rc = run_simple(p, sql, e);
	return rc;
}

static int pg_commit(struct store *st, struct err *e)
{
	return run_simple((struct pg_store *)st, "COMMIT", e);
}

static int pg_rollback(struct store *st)
{
	struct pg_store *p = (struct pg_store *)st;

	if (PQstatus(p->conn) != CONNECTION_OK ||
	    PQtransactionStatus(p->conn) == PQTRANS_IDLE)
		return 0;
	return run_simple(p, "ROLLBACK", NULL);
}

/* Move table's id identity past the largest id in it. */
static int pg_ids_follow(struct store *st, const char *table, struct err *e)
{
	struct pg_store *p = (struct pg_store *)st;
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence('%s', 'id'), "
		 "COALESCE(MAX(id), 0) + 1, false) FROM %s", table, table);
	return run_simple(p, sql, e);
}

/* A term in at least this many of the newest 1000 incidents (the sample of
 * text_common) is common: a walk down the date index meets a page's matches
 * within a few thousand rows, sooner than the index collects them all. */
#define TEXT_COMMON 20

/*
 * 1 when pattern (an ILIKE pattern) matches at least TEXT_COMMON of the
 * newest 1000 incidents: a walk of the date index, a few milliseconds. On
 * any failure 0: the index form is right for every term, only slower for
 * common ones, and the query itself will report a lost connection.
 */
static int text_common(struct pg_store *p, const char *pattern)
{
	static const char sql[] =
		"SELECT count(*) FROM (SELECT hid, title, summary FROM incidents "
		"ORDER BY created_at DESC, id DESC LIMIT 1000) s "
		"WHERE (s.hid || ' ' || s.title || ' ' || s.summary) ILIKE $1 ESCAPE '\\'";
	PGresult *res;
	int common = 0;

	if (PQstatus(p->conn) != CONNECTION_OK)
		return 0;
	res = PQexecParams(p->conn, sql, 1, NULL, &pattern, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		common = atoi(PQgetvalue(res, 0, 0)) >= TEXT_COMMON;
	PQclear(res);
	return common;
}

/* ANALYZE may run in a transaction; it reads the rows the transaction wrote. */
static int pg_analyze(struct store *st, struct err *e)
{
	return run_simple((struct pg_store *)st, "ANALYZE", e);
}

/*
 * Substring search with ILIKE over the same expression the migration
 * indexes with a pg_trgm GIN index (data/sql/pg/0001_init.sql): the planner
 * uses the index for terms of three or more characters (Japanese too, as
 * trigrams need no word boundaries) and rechecks every candidate, so short
 * terms are still right, only slower.
 *
 * When the query walks the date index and stops at its LIMIT (walk), the
 * best plan depends on how common the term is, which the planner can only
 * guess (and not at all before the first ANALYZE, e.g. right after `irdesk
 * db copy`), so text_common() samples the newest incidents and the
 * condition is written to leave the planner one choice:
 *   - a common term, or one shorter than a trigram (which no index finds),
 *     inside CASE, which the planner rates as true for half the rows and
 *     the index does not cover: it walks incidents_created and tests each
 *     row until the page is full;
 *   - a rare term as "id = ANY (ARRAY(...))": the index finds every match
 *     once, and they are fetched by id and sorted;
 *   - without walk the plain condition, for the planner.
 * The rows are the same either way; only the plan differs.
 */
static int pg_text_match(struct store *st, struct buf *sql, const char *entity, const char *alias,
			 int walk, const char *term, struct buf *bind, int *nbind)
{
	static const char expr[] = "(%s.hid || ' ' || %s.title || ' ' || %s.summary) ILIKE ? ESCAPE '\\'";
	int short_term;

	if (strcmp(entity, "incidents") != 0)
		return ERR_INVALID;
	buf_reset(bind);
	buf_addch(bind, '%');
	for (const char *p = term; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			buf_addch(bind, '\\');
		buf_addch(bind, *p);
	}
	buf_addch(bind, '%');
	if (buf_error(bind))
		return buf_error(bind);
	/* A term shorter than a trigram has no index to look it up in: walk. */
	short_term = utf8_count(term, strlen(term)) < 3;
	if (walk && (short_term || text_common((struct pg_store *)st, bind->data))) {
		buf_adds(sql, "CASE WHEN ");
		buf_addf(sql, expr, alias, alias, alias);
		buf_adds(sql, " THEN true ELSE false END");
	} else if (walk) {
		buf_addf(sql, "%s.id = ANY (ARRAY(SELECT t.id FROM incidents t WHERE ", alias);
		buf_addf(sql, expr, "t", "t", "t");
		buf_adds(sql, "))");
	} else {
		buf_addf(sql, expr, alias, alias, alias);
	}
	*nbind = 1;
	return buf_error(sql);
}

const struct store_driver store_pg_driver = {
	.scheme = "postgres",
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.bind_int = pg_bind_int,
	.bind_text = pg_bind_text,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.column_count = pg_column_count,
	.column_name = pg_column_name,
	.ids_follow = pg_ids_follow,
	.analyze = pg_analyze,
	.is_null = pg_is_null,
	.column_int = pg_column_int,
	.column_text = pg_column_text,
	.reset = pg_reset,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.text_match = pg_text_match,
	.migrations = "pg",
};
