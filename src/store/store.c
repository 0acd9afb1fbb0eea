/*
 * store.c: picks the backend from the URL scheme, applies the embedded
 * migrations, and dispatches the statement calls to the backend.
 */
#include "store/store.h"
#include "util/buf.h"
#include "util/embed.h"
#include "util/err.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The backends, by URL scheme (OpenBSD smtpd table.c style). */
static const struct store_driver *const drivers[] = {
	&store_sqlite_driver,
	&store_pg_driver,
};

/* A stmt's first member is always its driver's pointer (see backends). */
struct stmt {
	const struct store_driver *drv;
};

static int migration_version(const char *name)
{
	/* "sql/sqlite/0001_init.sql" -> 1 */
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	if (base[0] < '0' || base[0] > '9')
		return -1;
	return atoi(base);
}

/* Count the backend's embedded migrations and check they are numbered 1..N. */
static int migrations_latest(const struct store_driver *drv)
{
	char prefix[64];
	int n = 0;

	snprintf(prefix, sizeof(prefix), "sql/%s/", drv->migrations);
	for (const struct embed_file *f = embed_files; f->name; f++) {
		if (strncmp(f->name, prefix, strlen(prefix)) != 0)
			continue;
		if (migration_version(f->name) != n + 1)
			return -1;
		n++;
	}
	return n;
}

int store_schema_latest(const struct store *st)
{
	return migrations_latest(st->drv);
}

static int current_version(struct store *st, int *out, struct err *e)
{
	struct stmt *s;
	int64_t v = 0;
	int rc;

	rc = store_prepare(st, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &s, e);
	if (!rc)
		rc = stmt_int_result(s, &v, e);
	*out = (int)v;
	return rc;
}

static int migrate(struct store *st, struct err *e)
{
	char prefix[64];
	int latest = migrations_latest(st->drv), have = 0, rc;

	if (latest < 0)
		return err_set(e, ERR_INTERNAL, "embedded migrations for %s are not numbered 1..N",
			       st->drv->migrations);
	rc = store_exec(st, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
			    "applied_at BIGINT NOT NULL)", e);
	if (rc)
		return rc;
	rc = current_version(st, &have, e);
	if (rc)
		return rc;
	if (have > latest)
		return err_set(e, ERR_VERSION,
			       "database schema version %d is newer than this irdesk knows (%d): "
			       "upgrade irdesk", have, latest);
	if (have == latest) {
		st->schema_version = have;
		return 0;
	}

	/* Another process may migrate at the same time: decide under the lock. */
	rc = store_begin(st, e);
	if (rc)
		return rc;
	rc = current_version(st, &have, e);
	if (rc)
		goto out;
	snprintf(prefix, sizeof(prefix), "sql/%s/", st->drv->migrations);
	for (const struct embed_file *f = embed_files; f->name; f++) {
		struct stmt *s;
		int v;

		if (strncmp(f->name, prefix, strlen(prefix)) != 0)
			continue;
		v = migration_version(f->name);
		if (v <= have)
			continue;
		log_debug("store: applying migration %s", f->name);
		rc = store_exec(st, f->data, e);
		if (rc) {
			err_prefix(e, "migration %s", f->name);
			goto out;
		}
		rc = store_prepare(st, "INSERT INTO schema_migrations (version, name, applied_at) "
				       "VALUES (?, ?, ?)", &s, e);
		if (rc)
			goto out;
		stmt_bind_int(s, 1, v);
		stmt_bind_text(s, 2, f->name + strlen(prefix));
		stmt_bind_int(s, 3, time_now());
		rc = stmt_exec(s, e);
		if (rc)
			goto out;
		have = v;
	}
	rc = store_commit(st, e);
	if (!rc)
		st->schema_version = have;
	return rc;
out:
	store_rollback(st);
	return rc;
}

int store_open(const char *url, int flags, struct store **out, struct err *e)
{
	const struct store_driver *drv = NULL;
	const char *target = url;
	const char *colon = strchr(url, ':');
	struct store *st = NULL;
	int rc;

	*out = NULL;
	if (strlen(url) >= sizeof(st->url))
		return err_set(e, ERR_INVALID, "database url too long");
	if (colon) {
		size_t n = (size_t)(colon - url);
		for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
			if (strlen(drivers[i]->scheme) == n &&
			    strncmp(drivers[i]->scheme, url, n) == 0) {
				drv = drivers[i];
				target = colon + 1;
			}
		}
		/* libpq's other spelling of its URL scheme. */
		if (!drv && n == 10 && strncmp(url, "postgresql", 10) == 0) {
			drv = &store_pg_driver;
			target = colon + 1;
		}
	}
	if (!drv) {
		if (colon && !strchr(url, '/'))
			return err_set(e, ERR_INVALID, "%s: unknown database scheme (use sqlite:PATH or postgres://...)", url);
		drv = &store_sqlite_driver; /* a bare path */
	}
	if (!*target)
		return err_set(e, ERR_INVALID, "%s: missing database path", url);

	rc = drv->open(target, flags, &st, e);
	if (rc)
		return rc;
	st->drv = drv;
	snprintf(st->url, sizeof(st->url), "%s", url);
	rc = migrate(st, e);
	if (rc) {
		store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->in_tx) {
		st->drv->rollback(st);
		st->in_tx = 0;
		st->read_tx = 0;
	}
	explicit_bzero(st->server_key, sizeof(st->server_key));
	st->drv->close(st);
}

int store_exec(struct store *st, const char *sql, struct err *e)
{
	return st->drv->exec(st, sql, e);
}

/* Savepoint statements are short and frequent: keep them prepared. */
static int run_cached(struct store *st, const char *sql, struct err *e)
{
	struct stmt *s;
	int rc = st->drv->prepare(st, sql, &s, e);

	if (rc)
		return rc;
	while ((rc = s->drv->step(s, e)) == 1)
		;
	s->drv->reset(s);
	return rc;
}

/* Every memo goes when the transaction that wrote it ends or rolls back. */
static void memo_clear(struct store *st)
{
	memset(st->memo, 0, sizeof(st->memo));
}

static struct store_memo *memo_find(struct store *st, const char *key)
{
	for (int i = 0; i < STORE_MEMO_MAX; i++)
		if (st->memo[i].key[0] && strcmp(st->memo[i].key, key) == 0)
			return &st->memo[i];
	return NULL;
}

const struct store_memo *store_memo_get(struct store *st, const char *key)
{
	if (!st->in_tx || st->read_tx)
		return NULL;
	return memo_find(st, key);
}

int store_memo_set(struct store *st, const char *key, int64_t num, const char *text)
{
	struct store_memo *m;

	if (!text)
		text = "";
	if (!st->in_tx || st->read_tx || !*key || strlen(key) >= STORE_MEMO_KEY ||
	    strlen(text) >= STORE_MEMO_TEXT)
		return ERR_INVALID;
	m = memo_find(st, key);
	for (int i = 0; !m && i < STORE_MEMO_MAX; i++)
		if (!st->memo[i].key[0])
			m = &st->memo[i];
	if (!m)
		return ERR_INVALID;
	snprintf(m->key, sizeof(m->key), "%s", key);
	m->num = num;
	snprintf(m->text, sizeof(m->text), "%s", text);
	return 0;
}

void store_memo_forget(struct store *st, const char *key)
{
	struct store_memo *m = memo_find(st, key);

	if (m)
		memset(m, 0, sizeof(*m));
}

int store_read_begin(struct store *st, struct err *e)
{
	int rc;

	if (st->in_tx)
		return 0;
	rc = run_cached(st, "BEGIN", e);
	if (!rc) {
		st->in_tx = 1;
		st->read_tx = 1;
	}
	return rc;
}

void store_read_end(struct store *st)
{
	if (!st->read_tx || st->in_tx != 1)
		return;
	if (run_cached(st, "COMMIT", NULL))
		st->drv->rollback(st);
	st->in_tx = 0;
	st->read_tx = 0;
}

int store_begin(struct store *st, struct err *e)
{
	char sql[32];
	int rc;

	/* A write inside a read transaction: end the read, then lock for writing. */
	if (st->read_tx && st->in_tx == 1)
		store_read_end(st);
	if (st->in_tx) {
		/* Nested: a savepoint, so the inner unit can fail on its own. */
		snprintf(sql, sizeof(sql), "SAVEPOINT sp%d", st->in_tx);
		rc = run_cached(st, sql, e);
	} else {
		memo_clear(st);
		rc = st->drv->begin(st, e);
	}
	if (!rc)
		st->in_tx++;
	return rc;
}

int store_commit(struct store *st, struct err *e)
{
	char sql[32];
	int rc;

	if (!st->in_tx)
		return err_set(e, ERR_INTERNAL, "store: no transaction to commit");
	if (st->in_tx > 1) {
		snprintf(sql, sizeof(sql), "RELEASE SAVEPOINT sp%d", st->in_tx - 1);
		rc = run_cached(st, sql, e);
		if (rc)
			store_rollback(st);
		else
			st->in_tx--;
		return rc;
	}
	rc = st->drv->commit(st, e);
	if (rc)
		st->drv->rollback(st);
	memo_clear(st);
	st->in_tx = 0;
	st->read_tx = 0;
	return rc;
}

void store_rollback(struct store *st)
{
	char sql[96];

	if (!st || !st->in_tx)
		return;
	memo_clear(st);
	if (st->in_tx > 1) {
		snprintf(sql, sizeof(sql), "ROLLBACK TO SAVEPOINT sp%d; RELEASE SAVEPOINT sp%d",
			 st->in_tx - 1, st->in_tx - 1);
		if (st->drv->exec(st, sql, NULL) == 0) {
			st->in_tx--;
			return;
		}
		/* The savepoint is gone: the whole transaction must go. */
	}
	st->drv->rollback(st);
	st->in_tx = 0;
	st->read_tx = 0;
}

int store_prepare(struct store *st, const char *sql, struct stmt **out, struct err *e)
{
	return st->drv->prepare(st, sql, out, e);
}

int store_prepare_insert(struct store *st, const char *sql, struct stmt **out, struct err *e)
{
	struct buf text = BUF_INIT;
	int rc;

	if (st->drv->last_insert_id)
		return st->drv->prepare(st, sql, out, e);
	buf_adds(&text, sql);
	buf_adds(&text, " RETURNING id");
	rc = buf_error(&text) ? err_set(e, ERR_NOMEM, "out of memory")
			      : st->drv->prepare(st, text.data, out, e);
	buf_release(&text);
	return rc;
}

int stmt_bind_int(struct stmt *s, int idx, int64_t v)
{
	return s->drv->bind_int(s, idx, v);
}

int stmt_bind_text(struct stmt *s, int idx, const char *v)
{
	if (!v)
		return s->drv->bind_null(s, idx);
	return s->drv->bind_text(s, idx, v, strlen(v));
}

int stmt_bind_int_or_null(struct stmt *s, int idx, int64_t v)
{
	return v ? s->drv->bind_int(s, idx, v) : s->drv->bind_null(s, idx);
}

int stmt_bind_text_or_null(struct stmt *s, int idx, const char *v)
{
	return v && *v ? stmt_bind_text(s, idx, v) : s->drv->bind_null(s, idx);
}

int stmt_bind_null(struct stmt *s, int idx)
{
	return s->drv->bind_null(s, idx);
}

int stmt_step(struct stmt *s, struct err *e)
{
	return s->drv->step(s, e);
}

int stmt_is_null(struct stmt *s, int col)
{
	return s->drv->is_null(s, col);
}

int64_t stmt_int(struct stmt *s, int col)
{
	return s->drv->column_int(s, col);
}

const char *stmt_text(struct stmt *s, int col)
{
	const char *t = s->drv->column_text(s, col);
	return t ? t : "";
}

char *stmt_strdup(struct stmt *s, int col)
{
	const char *t;

	if (s->drv->is_null(s, col))
		return NULL;
	t = s->drv->column_text(s, col);
	return strdup(t ? t : "");
}

void stmt_done(struct stmt *s)
{
	if (s)
		s->drv->reset(s);
}

int stmt_int_result(struct stmt *s, int64_t *out, struct err *e)
{
	int rc = s->drv->step(s, e);

	if (rc == 1) {
		*out = s->drv->column_int(s, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = err_set(e, ERR_NOTFOUND, "no row");
	}
	stmt_done(s);
	return rc;
}

int stmt_insert_id(struct stmt *s, int64_t *id, struct err *e)
{
	int rc;

	if (!s->drv->last_insert_id)
		return stmt_int_result(s, id, e);
	while ((rc = s->drv->step(s, e)) == 1)
		;
	if (rc == 0)
		*id = s->drv->last_insert_id(s);
	stmt_done(s);
	return rc;
}

int stmt_exec(struct stmt *s, struct err *e)
{
	int rc;

	while ((rc = s->drv->step(s, e)) == 1)
		;
	stmt_done(s);
	return rc;
}

int stmt_column_count(struct stmt *s)
{
	return s->drv->column_count(s);
}

const char *stmt_column_name(struct stmt *s, int col)
{
	const char *n = s->drv->column_name(s, col);
	return n ? n : "";
}

void store_url_redact(const char *url, char *out, size_t size)
{
	/* scheme://user:password@host...: only the password goes. */
	const char *auth = strstr(url, "://");
	const char *at, *colon;

	snprintf(out, size, "%s", url);
	if (!auth)
		return;
	auth += 3;
	at = strchr(auth, '@');
	colon = strchr(auth, ':');
	if (!at || !colon || colon > at || strchr(auth, '/') < at)
		return;
	snprintf(out, size, "%.*s***%s", (int)(colon + 1 - url), url, at);
}

int store_text_match(struct store *st, struct buf *sql, const char *entity, const char *alias,
		     int walk, const char *term, struct buf *bind, int *nbind)
{
	return st->drv->text_match(st, sql, entity, alias, walk, term, bind, nbind);
}
