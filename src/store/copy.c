/*
 * copy.c: store_copy, behind `irdesk db copy`: every table of one store into
 * another, whatever their backends, with ids kept, so that an installation
 * moves from SQLite to PostgreSQL (or back) with its audit chain intact.
 */
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The tables in dependency order, with the migration that made them. A
 * column that points into its own table (an incident marked a duplicate of
 * a later one) is written after the whole table (deferred).
 */
static const struct copy_table {
	const char *name;
	int since;            /* schema version that created it */
	int identity;         /* has a generated "id" column */
	const char *deferred; /* a column referring to the same table, or NULL */
} tables[] = {
	{ "meta", 1, 0, NULL },
	{ "users", 1, 1, NULL },
	{ "incident_counters", 1, 0, NULL },
	{ "incidents", 1, 1, "duplicate_of" },
	{ "incident_members", 1, 0, NULL },
	{ "timeline", 1, 1, NULL },
	{ "tasks", 1, 1, NULL },
	{ "audit_log", 1, 0, NULL },
	{ "audit_head", 1, 0, NULL },
	{ "sessions", 2, 0, NULL },
	{ "api_tokens", 2, 1, NULL },
	{ "signin_failures", 2, 0, NULL },
	{ "alerts", 3, 1, NULL },
	{ "suppressions", 3, 1, NULL },
	{ "killchain_marks", 3, 0, NULL },
	{ "ioc_lists", 4, 1, NULL },
	{ "iocs", 4, 0, NULL },
	{ "incident_items", 5, 0, NULL },
	{ "incident_threats", 5, 0, NULL },
	{ "reports", 5, 1, NULL },
	{ "contacts", 6, 1, NULL },
	{ "notifications", 6, 1, NULL },
	{ "incident_breach", 6, 0, NULL },
	{ "notify_settings", 6, 0, NULL },
	{ "scheduler_leases", 6, 0, NULL },
	{ "clock_reminders", 6, 1, NULL },
	{ "evidence", 7, 1, NULL },
	{ "evidence_custody", 7, 1, NULL },
	{ "evidence_holds", 7, 0, NULL },
	{ "observables", 8, 1, NULL },
	{ "lessons", 8, 0, NULL },
	{ "lesson_actions", 8, 0, NULL },
	{ "mail_reports", 9, 1, NULL },
	{ "mail_settings", 10, 0, NULL },
	{ "alert_observables", 10, 1, NULL },
	{ "mail_acks", 10, 0, NULL },
	{ "corr_state", 13, 0, NULL },
};
/*
 * The newest schema whose tables are all listed above. 0011 (detection: a
 * column, alerts.group_key) and 0012 (an index) add no table; 0013 adds
 * corr_state.
 */
#define COPY_SCHEMA_KNOWN 13

static int count_rows(struct store *st, const char *sql, int64_t *n, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, sql, &s, e);

	return rc ? rc : stmt_int_result(s, n, e);
}

/* Only migrated, nothing written: no rows, and the audit head at zero. */
static int check_empty(struct store *to, struct err *e)
{
	char sql[128];
	int64_t n;
	int rc;

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		const struct copy_table *t = &tables[i];

		if (t->since > to->schema_version)
			continue;
		if (strcmp(t->name, "audit_head") == 0)
			snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM audit_head WHERE seq <> 0");
		else
			snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", t->name);
		rc = count_rows(to, sql, &n, e);
		if (rc)
			return rc;
		if (n)
			return err_set(e, ERR_CONFLICT, "target database is not empty (%s has rows): "
				       "copy only into a new database", t->name);
	}
	return 0;
}

struct deferred {
	char **v;  /* pairs: id, value */
	size_t n, cap;
};

static int defer_add(struct deferred *d, const char *id, const char *val)
{
	if (d->n + 2 > d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		char **v = realloc(d->v, cap * sizeof(*v));
		if (!v)
			return ERR_NOMEM;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n] = strdup(id);
	d->v[d->n + 1] = strdup(val);
	d->n += 2;
	return d->v[d->n - 2] && d->v[d->n - 1] ? 0 : ERR_NOMEM;
}

static void defer_release(struct deferred *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
}

/*
 * One table on its way: rows are kept (copied) until COPY_BATCH of them (at
 * most STORE_PARAMS_MAX values) go in one multi-row INSERT, a round trip per
 * batch instead of per row.
 */
#define COPY_BATCH 100

struct copy_state {
	const struct copy_table *t;
	struct store *to;
	struct buf head;      /* "INSERT INTO t (a, b) VALUES " */
	struct buf full_sql;  /* the INSERT of a full batch */
	char **vals;          /* per_batch × ncol values, NULL for SQL NULL */
	int ncol, per_batch, in_batch;
	int defcol, idcol;
	struct deferred d;
};

/* The INSERT of nrows rows into sql. */
static int insert_sql(const struct copy_state *cs, int nrows, struct buf *sql, struct err *e)
{
	buf_reset(sql);
	buf_add(sql, cs->head.data, cs->head.len);
	for (int r = 0; r < nrows; r++) {
		buf_adds(sql, r ? ", (" : "(");
		for (int c = 0; c < cs->ncol; c++)
			buf_adds(sql, c ? ", ?" : "?");
		buf_addch(sql, ')');
	}
	return buf_error(sql) ? err_set(e, ERR_NOMEM, "out of memory") : 0;
}

/* The first row tells the columns: find the special ones, size the batch. */
static int copy_start(struct copy_state *cs, struct stmt *src, struct err *e)
{
	cs->ncol = stmt_column_count(src);
	cs->per_batch = STORE_PARAMS_MAX / cs->ncol;
	if (cs->per_batch > COPY_BATCH)
		cs->per_batch = COPY_BATCH;
	for (int c = 0; c < cs->ncol; c++) {
		if (cs->t->deferred && strcmp(stmt_column_name(src, c), cs->t->deferred) == 0)
			cs->defcol = c;
		if (strcmp(stmt_column_name(src, c), "id") == 0)
			cs->idcol = c;
	}
	buf_addf(&cs->head, "INSERT INTO %s (", cs->t->name);
	for (int c = 0; c < cs->ncol; c++)
		buf_addf(&cs->head, "%s%s", c ? ", " : "", stmt_column_name(src, c));
	buf_adds(&cs->head, ") VALUES ");
	cs->vals = calloc((size_t)(cs->per_batch * cs->ncol), sizeof(*cs->vals));
	if (!cs->vals)
		return err_set(e, ERR_NOMEM, "out of memory");
	return insert_sql(cs, cs->per_batch, &cs->full_sql, e);
}

static void batch_clear(struct copy_state *cs)
{
	for (int i = 0; i < cs->in_batch * cs->ncol; i++) {
		free(cs->vals[i]);
		cs->vals[i] = NULL;
	}
	cs->in_batch = 0;
}

/* Send the rows kept so far in one INSERT. */
static int batch_send(struct copy_state *cs, struct err *e)
{
	struct buf part = BUF_INIT;
	struct stmt *dst;
	const char *sql = cs->full_sql.data;
	int rc = 0;

	if (!cs->in_batch)
		return 0;
	if (cs->in_batch < cs->per_batch) {
		rc = insert_sql(cs, cs->in_batch, &part, e);
		sql = part.data;
	}
	if (!rc)
		rc = store_prepare(cs->to, sql, &dst, e);
	for (int i = 0; !rc && i < cs->in_batch * cs->ncol; i++)
		if (cs->vals[i] ? stmt_bind_text(dst, i + 1, cs->vals[i]) : stmt_bind_null(dst, i + 1)) {
			stmt_done(dst);
			rc = err_set(e, ERR_NOMEM, "out of memory");
		}
	if (!rc)
		rc = stmt_exec(dst, e);
	batch_clear(cs);
	buf_release(&part);
	return rc;
}

/* Keep src's current row; a full batch is sent. */
static int copy_row(struct copy_state *cs, struct stmt *src, struct err *e)
{
	char **row = cs->vals + cs->in_batch++ * cs->ncol;

	for (int c = 0; c < cs->ncol; c++) {
		if (stmt_is_null(src, c))
			continue;
		if (c == cs->defcol) {
			if (cs->idcol < 0 || defer_add(&cs->d, stmt_text(src, cs->idcol), stmt_text(src, c)))
				return err_set(e, ERR_NOMEM, "out of memory");
		} else if (!(row[c] = strdup(stmt_text(src, c)))) {
			return err_set(e, ERR_NOMEM, "out of memory");
		}
	}
	return cs->in_batch < cs->per_batch ? 0 : batch_send(cs, e);
}

/* Columns referring to the same table, written once every row is there. */
static int copy_deferred(struct copy_state *cs, struct err *e)
{
	struct buf sql = BUF_INIT;
	struct stmt *dst;
	int rc = 0;

	buf_addf(&sql, "UPDATE %s SET %s = ? WHERE id = ?", cs->t->name,
		 cs->t->deferred ? cs->t->deferred : "id");
	if (buf_error(&sql))
		rc = err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; !rc && i < cs->d.n; i += 2) {
		rc = store_prepare(cs->to, sql.data, &dst, e);
		if (rc)
			break;
		stmt_bind_text(dst, 1, cs->d.v[i + 1]);
		stmt_bind_text(dst, 2, cs->d.v[i]);
		rc = stmt_exec(dst, e);
	}
	buf_release(&sql);
	return rc;
}

static int copy_table(struct store *from, struct store *to, const struct copy_table *t,
		      int64_t *rows, struct err *e)
{
	struct copy_state cs = { .t = t, .to = to, .head = BUF_INIT, .full_sql = BUF_INIT, .defcol = -1, .idcol = -1 };
	struct buf sql = BUF_INIT;
	struct stmt *src = NULL;
	int rc;

	*rows = 0;
	if (strcmp(t->name, "audit_head") == 0 &&
	    (rc = store_exec(to, "DELETE FROM audit_head", e)))
		return rc;
	buf_addf(&sql, "SELECT * FROM %s ORDER BY 1", t->name);
	if (buf_error(&sql)) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = store_prepare(from, sql.data, &src, e);
	if (rc)
		goto out;
	while ((rc = stmt_step(src, e)) == 1) {
		if (!*rows && (rc = copy_start(&cs, src, e)))
			break;
		if ((rc = copy_row(&cs, src, e)))
			break;
		(*rows)++;
	}
	stmt_done(src);
	if (!rc)
		rc = batch_send(&cs, e);
	if (!rc)
		rc = copy_deferred(&cs, e);
	if (!rc && t->identity && to->drv->ids_follow)
		rc = to->drv->ids_follow(to, t->name, e);
out:
	if (rc)
		err_prefix(e, "copy %s", t->name);
	batch_clear(&cs);
	free(cs.vals);
	defer_release(&cs.d);
	buf_release(&sql);
	buf_release(&cs.head);
	buf_release(&cs.full_sql);
	return rc;
}

int store_copy(struct store *from, struct store *to,
	       void (*progress)(void *ctx, const char *table, int64_t rows), void *ctx,
	       struct err *e)
{
	int rc;

	if (strcmp(from->url, to->url) == 0)
		return err_set(e, ERR_INVALID, "source and target are the same database");
	if (from->schema_version != to->schema_version)
		return err_set(e, ERR_VERSION, "schema versions differ (source %d, target %d)",
			       from->schema_version, to->schema_version);
	if (from->schema_version > COPY_SCHEMA_KNOWN)
		return err_set(e, ERR_VERSION, "schema version %d has tables db copy does not "
			       "know yet: upgrade irdesk", from->schema_version);
	rc = store_read_begin(from, e);
	if (rc)
		return rc;
	rc = store_begin(to, e);
	if (rc)
		goto out;
	rc = check_empty(to, e);
	for (size_t i = 0; !rc && i < sizeof(tables) / sizeof(tables[0]); i++) {
		int64_t rows;

		if (tables[i].since > from->schema_version)
			continue;
		rc = copy_table(from, to, &tables[i], &rows, e);
		if (!rc && progress)
			progress(ctx, tables[i].name, rows);
	}
	if (!rc && to->drv->analyze)
		rc = to->drv->analyze(to, e);
	if (rc)
		store_rollback(to);
	else
		rc = store_commit(to, e);
out:
	store_read_end(from);
	return rc;
}
