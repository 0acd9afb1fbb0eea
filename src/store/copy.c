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
};
/* The newest schema whose tables are all listed above. */
#define COPY_SCHEMA_KNOWN 9

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

/* The INSERT for the columns of src's current row into insert. */
static int insert_sql(struct stmt *src, const char *table, struct buf *insert, struct err *e)
{
	int ncol = stmt_column_count(src);

	buf_addf(insert, "INSERT INTO %s (", table);
	for (int c = 0; c < ncol; c++)
		buf_addf(insert, "%s%s", c ? ", " : "", stmt_column_name(src, c));
	buf_adds(insert, ") VALUES (");
	for (int c = 0; c < ncol; c++)
		buf_adds(insert, c ? ", ?" : "?");
	buf_addch(insert, ')');
	return buf_error(insert) ? err_set(e, ERR_NOMEM, "out of memory") : 0;
}

static int copy_table(struct store *from, struct store *to, const struct copy_table *t,
		      int64_t *rows, struct err *e)
{
	struct buf sql = BUF_INIT, insert = BUF_INIT;
	struct deferred d = { 0 };
	struct stmt *src = NULL, *dst;
	int rc, ncol = 0, defcol = -1, idcol = -1;

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
		if (!insert.len) {
			ncol = stmt_column_count(src);
			for (int c = 0; c < ncol; c++) {
				if (t->deferred && strcmp(stmt_column_name(src, c), t->deferred) == 0)
					defcol = c;
				if (strcmp(stmt_column_name(src, c), "id") == 0)
					idcol = c;
			}
			if ((rc = insert_sql(src, t->name, &insert, e)))
				break;
		}
		rc = store_prepare(to, insert.data, &dst, e);
		if (rc)
			break;
		for (int c = 0; c < ncol; c++) {
			if (stmt_is_null(src, c))
				stmt_bind_null(dst, c + 1);
			else if (c == defcol) {
				stmt_bind_null(dst, c + 1);
				if (idcol < 0 || defer_add(&d, stmt_text(src, idcol), stmt_text(src, c)))
					rc = err_set(e, ERR_NOMEM, "out of memory");
			} else
				stmt_bind_text(dst, c + 1, stmt_text(src, c));
		}
		if (rc) {
			stmt_done(dst);
			break;
		}
		rc = stmt_exec(dst, e);
		if (rc)
			break;
		(*rows)++;
	}
	stmt_done(src);
	if (rc)
		goto out;
	for (size_t i = 0; i < d.n; i += 2) {
		buf_reset(&sql);
		buf_addf(&sql, "UPDATE %s SET %s = ? WHERE id = ?", t->name, t->deferred);
		rc = buf_error(&sql) ? err_set(e, ERR_NOMEM, "out of memory")
				     : store_prepare(to, sql.data, &dst, e);
		if (rc)
			goto out;
		stmt_bind_text(dst, 1, d.v[i + 1]);
		stmt_bind_text(dst, 2, d.v[i]);
		rc = stmt_exec(dst, e);
		if (rc)
			goto out;
	}
	if (t->identity && to->drv->ids_follow)
		rc = to->drv->ids_follow(to, t->name, e);
out:
	if (rc)
		err_prefix(e, "copy %s", t->name);
	defer_release(&d);
	buf_release(&sql);
	buf_release(&insert);
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
	if (rc)
		store_rollback(to);
	else
		rc = store_commit(to, e);
out:
	store_read_end(from);
	return rc;
}
