/*
 * store_sqlite.c: the embedded SQLite backend. WAL mode, synchronous=FULL
 * (a commit is on disk when it returns), a busy timeout instead of failing
 * at once under another writer, and a per-connection cache of prepared
 * statements keyed by their SQL text.
 */
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/utf8.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CACHE_MAX 128
#define BUSY_TIMEOUT_MS 10000

struct sqlite_stmt {
	const struct store_driver *drv; /* first, see store.c */
	struct sqlite_store *owner;
	sqlite3_stmt *h;
	char *sql;
	uint64_t hash;
	int busy;    /* handed out and not yet given back */
	int cached;  /* lives in the cache; otherwise finalised when done */
};

struct sqlite_store {
	struct store base; /* first */
	sqlite3 *db;
	struct sqlite_stmt *cache[CACHE_MAX];
	int ncache;
	unsigned evict; /* round-robin victim */
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int map_error(sqlite3 *db, int rc, struct err *e)
{
	int code;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = ERR_BUSY;
		break;
	case SQLITE_CONSTRAINT:
		code = (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			       ? ERR_EXISTS : ERR_CONFLICT;
		break;
	case SQLITE_NOMEM:
		code = ERR_NOMEM;
		break;
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
		code = ERR_IO;
		break;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		code = ERR_STORE;
		break;
	default:
		code = ERR_STORE;
	}
	return err_set(e, code, "sqlite: %s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static int sq_exec(struct store *st, const char *sql, struct err *e)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		int code = map_error(s->db, rc, e);
		if (msg)
			err_set(e, code, "sqlite: %s", msg);
		sqlite3_free(msg);
		return code;
	}
	return 0;
}

static void sq_close(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	for (int i = 0; i < s->ncache; i++) {
		sqlite3_finalize(s->cache[i]->h);
		free(s->cache[i]->sql);
		free(s->cache[i]);
	}
	sqlite3_close_v2(s->db);
	free(s);
}

/* Process-wide SQLite settings, before the first connection. */
static void sqlite_setup(void)
{
	/* Allocation statistics cost a global mutex on every malloc. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sq_open(const char *target, int flags, struct store **out, struct err *e)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct sqlite_store *s;
	struct stat sb;
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	int rc;

	if (stat(target, &sb) < 0) {
		if (errno != ENOENT)
			return err_set(e, ERR_IO, "%s: %s", target, strerror(errno));
		if (!(flags & STORE_CREATE))
			return err_set(e, ERR_NOTFOUND,
				       "%s: database does not exist (run 'irdesk init' first)", target);
		oflags |= SQLITE_OPEN_CREATE;
	} else if (!S_ISREG(sb.st_mode)) {
		return err_set(e, ERR_IO, "%s: not a regular file", target);
	}

	pthread_once(&once, sqlite_setup);
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(e, ERR_NOMEM, "out of memory");
	rc = sqlite3_open_v2(target, &s->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		rc = map_error(s->db, rc, e);
		err_prefix(e, "%s", target);
		sqlite3_close_v2(s->db);
		free(s);
		return rc;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(s->db, 1);
	s->base.drv = &store_sqlite_driver;
	rc = sq_exec(&s->base,
		     "PRAGMA journal_mode=WAL;"
		     "PRAGMA synchronous=FULL;"
		     "PRAGMA foreign_keys=ON;"
		     "PRAGMA temp_store=MEMORY;"
		     "PRAGMA cache_size=-32768;"
		     "PRAGMA journal_size_limit=67108864;", e);
	if (rc) {
		err_prefix(e, "%s", target);
		sq_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

static int sq_prepare(struct store *st, const char *sql, struct stmt **out, struct err *e)
{
	struct sqlite_store *s = (struct sqlite_store *)st;
	struct sqlite_stmt *ps = NULL;
	uint64_t h = fnv1a(sql);
	int rc;

	for (int i = 0; i < s->ncache; i++) {
		struct sqlite_stmt *c = s->cache[i];
		if (c->hash == h && !c->busy && strcmp(c->sql, sql) == 0) {
			c->busy = 1;
			*out = (struct stmt *)c;
			return 0;
		}
	}
	ps = calloc(1, sizeof(*ps));
	if (!ps || !(ps->sql = strdup(sql))) {
		free(ps);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &ps->h, NULL);
	if (rc != SQLITE_OK) {
		rc = map_error(s->db, rc, e);
		free(ps->sql);
		free(ps);
		return rc;
	}
	ps->drv = &store_sqlite_driver;
	ps->owner = s;
	ps->hash = h;
	ps->busy = 1;
	if (s->ncache < CACHE_MAX) {
		ps->cached = 1;
		s->cache[s->ncache++] = ps;
	} else {
		/* Replace an idle entry; if every entry is in use, stay uncached. */
		for (int tries = 0; tries < CACHE_MAX; tries++) {
			unsigned v = s->evict++ % CACHE_MAX;
			struct sqlite_stmt *old = s->cache[v];
			if (old->busy)
				continue;
			sqlite3_finalize(old->h);
			free(old->sql);
			free(old);
			ps->cached = 1;
			s->cache[v] = ps;
			break;
		}
	}
	*out = (struct stmt *)ps;
	return 0;
}

static int sq_bind_int(struct stmt *st, int idx, int64_t v)
{
	struct sqlite_stmt *s = (struct sqlite_stmt *)st;
	return sqlite3_bind_int64(s->h, idx, v) == SQLITE_OK ? 0 : ERR_STORE;
}

static int sq_bind_text(struct stmt *st, int idx, const char *v, size_t n)
{
	struct sqlite_stmt *s = (struct sqlite_stmt *)st;
	return sqlite3_bind_text64(s->h, idx, v, n, SQLITE_TRANSIENT, SQLITE_UTF8) == SQLITE_OK
		       ? 0 : ERR_STORE;
}

static int sq_bind_null(struct stmt *st, int idx)
{
	struct sqlite_stmt *s = (struct sqlite_stmt *)st;
	return sqlite3_bind_null(s->h, idx) == SQLITE_OK ? 0 : ERR_STORE;
}

static int sq_step(struct stmt *st, struct err *e)
{
	struct sqlite_stmt *s = (struct sqlite_stmt *)st;
	int rc = sqlite3_step(s->h);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return map_error(s->owner->db, rc, e);
}

static int sq_column_count(struct stmt *st)
{
	return sqlite3_column_count(((struct sqlite_stmt *)st)->h);
}

static const char *sq_column_name(struct stmt *st, int col)
{
	return sqlite3_column_name(((struct sqlite_stmt *)st)->h, col);
}

static int sq_is_null(struct stmt *st, int col)
{
	return sqlite3_column_type(((struct sqlite_stmt *)st)->h, col) == SQLITE_NULL;
}

static int64_t sq_column_int(struct stmt *st, int col)
{
	return sqlite3_column_int64(((struct sqlite_stmt *)st)->h, col);
}

static const char *sq_column_text(struct stmt *st, int col)
{
	return (const char *)sqlite3_column_text(((struct sqlite_stmt *)st)->h, col);
}

static void sq_reset(struct stmt *st)
{
	struct sqlite_stmt *s = (struct sqlite_stmt *)st;

	if (!s->busy)
		return;
	if (!s->cached) {
		sqlite3_finalize(s->h);
		free(s->sql);
		free(s);
		return;
	}
	sqlite3_reset(s->h);
	sqlite3_clear_bindings(s->h);
	s->busy = 0;
}

static int64_t sq_last_insert_id(struct stmt *st)
{
	return sqlite3_last_insert_rowid(((struct sqlite_stmt *)st)->owner->db);
}

static int sq_begin(struct store *st, struct err *e)
{
	return sq_exec(st, "BEGIN IMMEDIATE", e);
}

/* Run one cached statement to completion. */
static int sq_run(struct store *st, const char *sql, struct err *e)
{
	struct stmt *s;
	int rc = sq_prepare(st, sql, &s, e);

	if (rc)
		return rc;
	while ((rc = sq_step(s, e)) == 1)
		;
	sq_reset(s);
	return rc;
}

/*
 * Fold the incidents noted in incident_text_pending into the text index:
 * one FTS5 write per transaction instead of one per statement.
 */
static int fold_text_index(struct store *st, struct err *e)
{
	int rc = sq_run(st, "DELETE FROM incident_text WHERE rowid IN "
			    "(SELECT id FROM incident_text_pending)", e);
	if (!rc)
		rc = sq_run(st, "INSERT INTO incident_text (rowid, body) "
				"SELECT i.id, i.hid || ' ' || i.title || ' ' || i.summary "
				"FROM incident_text_pending p JOIN incidents i ON i.id = p.id", e);
	if (!rc)
		rc = sq_run(st, "DELETE FROM incident_text_pending", e);
	return rc;
}

static int sq_commit(struct store *st, struct err *e)
{
	/* Before the schema exists (the first migration) there is nothing to fold. */
	int rc = st->schema_version ? fold_text_index(st, e) : 0;

	return rc ? rc : sq_exec(st, "COMMIT", e);
}

static int sq_rollback(struct store *st)
{
	struct sqlite_store *s = (struct sqlite_store *)st;

	if (sqlite3_get_autocommit(s->db))
		return 0;
	return sq_exec(st, "ROLLBACK", NULL);
}

/*
 * The incident_text FTS5 table (trigram tokenizer) finds substrings of three
 * or more characters through its index, which also serves Japanese text that
 * has no spaces between words. Shorter terms have no trigram: they are tested
 * on the incident row with LIKE (ESCAPE matters: without it SQLite 3.40 lets
 * the trigram index answer a short LIKE, wrongly, with no rows).
 *
 * When the query walks an index in its ORDER BY and stops at LIMIT, "+id"
 * keeps SQLite from driving the query from the text index (which would
 * fetch and sort every match): it tests each walked row against the set of
 * matches instead, which is far cheaper for common words.
 */
static int sq_text_match(struct store *st, struct buf *sql, const char *entity, const char *alias,
			 int walk, const char *term, struct buf *bind, int *nbind)
{
	(void)st;
	if (strcmp(entity, "incidents") != 0)
		return ERR_INVALID;
	buf_reset(bind);
	if (utf8_count(term, strlen(term)) >= 3) {
		buf_addch(bind, '"');
		for (const char *p = term; *p; p++) {
			if (*p == '"')
				buf_addch(bind, '"');
			buf_addch(bind, *p);
		}
		buf_addch(bind, '"');
		buf_addf(sql, "%s%s.id IN (SELECT rowid FROM incident_text WHERE incident_text MATCH ?)",
			 walk ? "+" : "", alias);
		*nbind = 1;
	} else {
		buf_addch(bind, '%');
		for (const char *p = term; *p; p++) {
			if (*p == '%' || *p == '_' || *p == '\\')
				buf_addch(bind, '\\');
			buf_addch(bind, *p);
		}
		buf_addch(bind, '%');
		buf_addf(sql, "(%s.title LIKE ? ESCAPE '\\' OR %s.summary LIKE ? ESCAPE '\\' OR "
			      "%s.hid LIKE ? ESCAPE '\\')", alias, alias, alias);
		*nbind = 3;
	}
	return buf_error(sql) ? buf_error(sql) : buf_error(bind);
}

const struct store_driver store_sqlite_driver = {
	.scheme = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.bind_int = sq_bind_int,
	.bind_text = sq_bind_text,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.column_count = sq_column_count,
	.column_name = sq_column_name,
	.ids_follow = NULL,
	.is_null = sq_is_null,
	.column_int = sq_column_int,
	.column_text = sq_column_text,
	.reset = sq_reset,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.text_match = sq_text_match,
	.last_insert_id = sq_last_insert_id,
	.migrations = "sqlite",
};
