/*
 * store.h: the store interface: a connection, transactions and prepared
 * statements over one of several backends chosen by URL (sqlite:PATH or
 * postgres://...), as OpenBSD smtpd's table.c picks table backends.
 *
 * Everything above store/ writes one portable SQL text per query ('?'
 * placeholders, standard SQL that SQLite >= 3.35 and PostgreSQL >= 13 both
 * run, INTEGER seconds for times, 0/1 for booleans). What cannot be written
 * portably (full-text search) is asked of the backend through a store_*
 * function here, so a new backend never needs a change above store/.
 */
#ifndef IRDESK_STORE_STORE_H
#define IRDESK_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

struct err;
struct buf;
struct store;
struct stmt;

/* Flags for store_open(). */
enum {
	STORE_CREATE = 1 << 0, /* create the database when it does not exist */
};

/*
 * The backend operations. A backend fills one of these (store_sqlite.c);
 * store.c dispatches to it. Statement handles are owned by the backend.
 */
/* The most '?' parameters one statement may have, on every backend. */
#define STORE_PARAMS_MAX 256

struct store_driver {
	const char *scheme; /* "sqlite" */
	/* Allocate the backend's connection (struct store first) into *out. */
	int (*open)(const char *target, int flags, struct store **out, struct err *e);
	void (*close)(struct store *st);
	int (*exec)(struct store *st, const char *sql, struct err *e);
	int (*prepare)(struct store *st, const char *sql, struct stmt **out, struct err *e);
	int (*bind_int)(struct stmt *s, int idx, int64_t v);
	int (*bind_text)(struct stmt *s, int idx, const char *v, size_t n);
	int (*bind_null)(struct stmt *s, int idx);
	int (*step)(struct stmt *s, struct err *e);
	int (*column_count)(struct stmt *s);
	/* The name of result column col, once the statement has stepped. */
	const char *(*column_name)(struct stmt *s, int col);
	int (*is_null)(struct stmt *s, int col);
	int64_t (*column_int)(struct stmt *s, int col);
	const char *(*column_text)(struct stmt *s, int col);
	void (*reset)(struct stmt *s);
	int (*begin)(struct store *st, struct err *e);
	int (*commit)(struct store *st, struct err *e);
	int (*rollback)(struct store *st);
	/* The id of the row the connection inserted last (see
	 * store_prepare_insert()); NULL when the backend reads it with
	 * RETURNING id instead. */
	int64_t (*last_insert_id)(struct stmt *s);
	/* See store_text_match(). */
	int (*text_match)(struct store *st, struct buf *sql, const char *entity, const char *alias, int walk,
			  const char *term, struct buf *bind, int *nbind);
	/* After rows were written with explicit ids (store_copy): make the next
	 * generated id of table's id column follow them. NULL when the backend
	 * does that by itself (SQLite's rowid). */
	int (*ids_follow)(struct store *st, const char *table, struct err *e);
	/* After a bulk write (store_copy), inside its transaction: refresh the
	 * planner's statistics so that the first queries are planned on them.
	 * NULL when the backend needs none. */
	int (*analyze)(struct store *st, struct err *e);
	/* The migrations folder name under data/sql/ ("sqlite"). */
	const char *migrations;
};

/*
 * A value a module remembers for the rest of the open write transaction
 * (see store_memo_get()): a key it names, a number and a short text.
 */
#define STORE_MEMO_MAX 4
#define STORE_MEMO_KEY 40
#define STORE_MEMO_TEXT 72
struct store_memo {
	char key[STORE_MEMO_KEY];  /* "" for a free slot */
	int64_t num;
	char text[STORE_MEMO_TEXT];
};

/* The fields every backend's connection shares; backends embed it first. */
struct store {
	const struct store_driver *drv;
	int in_tx;            /* open transaction depth: 0 none, 1 top, >1 savepoints */
	int read_tx;          /* the open top transaction is a read transaction */
	/* The database's server key once ir/auth has read it (it never changes
	 * for a database): read on every API call otherwise. */
	unsigned char server_key[32];
	int server_key_cached;
	int schema_version;   /* after open: the applied migration count */
	char url[512];
	struct store_memo memo[STORE_MEMO_MAX]; /* see store_memo_get() */
};

/*
 * Open the store named by url ("sqlite:PATH", a bare path means sqlite) and
 * apply the embedded migrations it has not seen. Refuses a database whose
 * schema is newer than this binary knows (ERR_VERSION), and one that does not
 * exist unless flags has STORE_CREATE (ERR_NOTFOUND, with a hint to run
 * `irdesk init`). On success *out is owned by the caller (store_close()).
 */
int store_open(const char *url, int flags, struct store **out, struct err *e);
/* Close st (NULL is fine). Rolls back an open transaction. */
void store_close(struct store *st);

/* Run SQL without parameters or results (schema work, pragmas). */
int store_exec(struct store *st, const char *sql, struct err *e);

/*
 * Write transactions. store_begin takes the write lock at once (SQLite
 * BEGIN IMMEDIATE), so a transaction never fails half-way for lack of it.
 * Inside an open transaction, begin/commit/rollback act on a savepoint, so
 * an operation that is one transaction on its own (incident_create) can be
 * part of a larger one (bulk import): a failed inner unit rolls back only
 * itself. The outermost store_commit returns only once the data is durable.
 */
int store_begin(struct store *st, struct err *e);
int store_commit(struct store *st, struct err *e);
/* Roll back the open transaction, if any. */
void store_rollback(struct store *st);

/*
 * Values remembered for the rest of the open write transaction. A module
 * that has written a row which the transaction now holds locked (the head
 * of the audit chain, this year's incident counter) may keep what it wrote
 * here, so that its next change in the same transaction need not read the
 * row back (in SQLite a RETURNING clause costs as much as the write). The
 * outermost commit and every rollback, a savepoint's included, forget all
 * memos, so a memo never outlives the rows it describes; a memo set inside
 * a savepoint that is released stays, as the savepoint's rows do.
 *
 * store_memo_get returns the memo under key, or NULL when there is none (or
 * no write transaction is open). store_memo_set keeps num and text (NULL
 * for "") under key, replacing an older one; it returns ERR_INVALID, and
 * keeps nothing, outside a write transaction, when key or text does not
 * fit (STORE_MEMO_KEY, STORE_MEMO_TEXT including the NUL) or when every
 * slot is taken. A caller simply goes on reading the row then.
 * store_memo_forget drops the memo under key, if any.
 */
const struct store_memo *store_memo_get(struct store *st, const char *key);
int store_memo_set(struct store *st, const char *key, int64_t num, const char *text);
void store_memo_forget(struct store *st, const char *key);

/*
 * A read transaction: every query until store_read_end sees one snapshot,
 * and the store takes its locks once instead of once per statement. A write
 * (store_begin) inside it ends the read transaction first and then takes
 * the write lock as usual. No-op inside another transaction.
 */
int store_read_begin(struct store *st, struct err *e);
void store_read_end(struct store *st);

/*
 * Prepare sql, or take it from the connection's cache: sql must be a string
 * that outlives the connection (a literal) unless it is built at run time,
 * in which case the cache compares text. The statement is reset and its
 * parameters cleared; give it back with stmt_done().
 */
int store_prepare(struct store *st, const char *sql, struct stmt **out, struct err *e);

/* Parameters are numbered from 1 in the order of the '?' in the text. */
int stmt_bind_int(struct stmt *s, int idx, int64_t v);
/* Bind s (copied), or NULL when s is NULL. */
int stmt_bind_text(struct stmt *s, int idx, const char *v);
/* Bind an integer, or NULL when v is 0 (optional times and references). */
int stmt_bind_int_or_null(struct stmt *s, int idx, int64_t v);
/* Bind text, or NULL when v is NULL or empty. */
int stmt_bind_text_or_null(struct stmt *s, int idx, const char *v);
int stmt_bind_null(struct stmt *s, int idx);

/* Step: 1 when a row is ready, 0 when done, a negative ERR_* on failure. */
int stmt_step(struct stmt *s, struct err *e);
int stmt_is_null(struct stmt *s, int col);
/* Column accessors; NULL reads as 0 or "" (never a NULL pointer). */
int64_t stmt_int(struct stmt *s, int col);
const char *stmt_text(struct stmt *s, int col);
/* The column text copied with strdup, or NULL when the column is NULL. */
char *stmt_strdup(struct stmt *s, int col);
/* Reset s and hand it back to the cache. NULL is fine. */
void stmt_done(struct stmt *s);

/*
 * Step s once and read column 0 of its row as an integer into *out (a count,
 * or the id from INSERT ... RETURNING id). ERR_NOTFOUND when there is no row.
 * Hands s back as stmt_done() does.
 */
int stmt_int_result(struct stmt *s, int64_t *out, struct err *e);

/*
 * Prepare sql, an INSERT of one row (no conflict clause, no RETURNING) into
 * a table whose key is an integer column named id, for stmt_insert_id().
 * Each backend learns the new id its cheapest way: SQLite from the
 * connection's last inserted rowid (a RETURNING clause costs it an
 * in-memory table on every run), PostgreSQL from a RETURNING id that it
 * appends to sql. Otherwise as store_prepare().
 */
int store_prepare_insert(struct store *st, const char *sql, struct stmt **out, struct err *e);

/* Run s (from store_prepare_insert()) and read the new row's id into *id;
 * hands s back as stmt_done() does. */
int stmt_insert_id(struct stmt *s, int64_t *id, struct err *e);

/* Run a statement that returns no rows (or whose rows are ignored), then
 * hand it back as stmt_done() does: s must not be used afterwards. */
int stmt_exec(struct stmt *s, struct err *e);

/*
 * Full-text search, the one thing SQL does not say portably. Append to sql a
 * condition that holds for the rows of entity (only "incidents" for now: its
 * hid, title and summary) whose text contains term, case-insensitively, as a
 * substring. alias is the query's name for the entity's table ("i"). walk is
 * a plan hint: 1 when the query walks rows in an indexed order and stops at
 * its LIMIT (so testing each row is cheapest), 0 when it must collect every
 * match (so looking matches up in the text index is). The condition has
 * *nbind '?' parameters, all to be bound to the value left in bind.
 * Returns 0 or ERR_INVALID for an entity the backend does not index.
 */
int store_text_match(struct store *st, struct buf *sql, const char *entity, const char *alias,
		     int walk, const char *term, struct buf *bind, int *nbind);

/* The number of result columns of s and the name of column col (after a step). */
int stmt_column_count(struct stmt *s);
const char *stmt_column_name(struct stmt *s, int col);

/*
 * Copy every table of from into to (irdesk db copy): both stores must be on
 * the same schema version, and to must be empty (only migrated: ERR_CONFLICT
 * otherwise). Tables go in dependency order in one transaction on to, read
 * from one snapshot of from, with their ids, so the audit chain, sessions,
 * tokens, counters and evidence references arrive unchanged; generated ids
 * continue after the copied ones. progress(ctx, table, rows) is called after
 * each table (NULL is fine). Nothing is written to to on failure.
 */
int store_copy(struct store *from, struct store *to,
	       void (*progress)(void *ctx, const char *table, int64_t rows), void *ctx,
	       struct err *e);

/* Write url into out with a password in it replaced by "***" (for messages). */
void store_url_redact(const char *url, char *out, size_t size);

/* The backends, for store.c's table. */
extern const struct store_driver store_sqlite_driver;
extern const struct store_driver store_pg_driver;

/* The newest schema version this binary knows for st's backend. */
int store_schema_latest(const struct store *st);

#endif
