/*
 * watchlist.c: IOC watchlists in the store: import, list, load into a set.
 * See watchlist.h.
 */
#include "detect/watchlist.h"
#include "detect/ioc.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/time.h"

#include <string.h>

#define LIST_NAME_MAX 200

struct import_ctx {
	struct store *st;
	int64_t list_id;
	size_t stored;
};

static int import_entry(void *ctx, enum ioc_type type, const char *value, const char *comment,
			struct err *e)
{
	struct import_ctx *ic = ctx;
	struct stmt *s;
	int rc = store_prepare(ic->st, "INSERT INTO iocs (list_id, type, value, comment) "
				       "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, ic->list_id);
	stmt_bind_text(s, 2, ioc_type_name(type));
	stmt_bind_text(s, 3, value);
	stmt_bind_text(s, 4, comment);
	return stmt_exec(s, e);
}

static int check_name(const char *name, struct err *e)
{
	size_t n = strlen(name);

	if (n == 0 || n > LIST_NAME_MAX)
		return err_set(e, ERR_INVALID, "list name: expected 1 to %d characters", LIST_NAME_MAX);
	if (strcmp(name, "observables") == 0) /* kept by ir/observable.c */
		return err_set(e, ERR_INVALID, "list name: 'observables' is the list of incident "
			       "observables flagged IOC; choose another name");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20)
			return err_set(e, ERR_INVALID, "list name: control characters are not allowed");
	return 0;
}

int watchlist_import(struct store *st, const struct actor *who, const char *name,
		     const char *path, int skip_bad, size_t *count, size_t *bad, struct err *e)
{
	struct import_ctx ic = { st, 0, 0 };
	struct buf b;
	struct stmt *s;
	json_t *after = NULL;
	int64_t n = 0;
	int rc, tx = 0;

	buf_init(&b, 0);
	*count = 0;
	if (bad)
		*bad = 0;
	if ((rc = authz_check(who, ACT_ALERT_SUPPRESS, e)) || (rc = check_name(name, e)))
		goto out;
	if ((rc = fs_read_file(path, &b, e)))
		goto out;
	if ((rc = store_begin(st, e)))
		goto out;
	tx = 1;
	rc = store_prepare(st, "SELECT id FROM ioc_lists WHERE name = ?", &s, e);
	if (rc)
		goto out;
	stmt_bind_text(s, 1, name);
	rc = stmt_int_result(s, &ic.list_id, e);
	if (rc == 0) {
		if ((rc = store_prepare(st, "DELETE FROM iocs WHERE list_id = ?", &s, e)))
			goto out;
		stmt_bind_int(s, 1, ic.list_id);
		if ((rc = stmt_exec(s, e)))
			goto out;
	} else if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = store_prepare(st, "INSERT INTO ioc_lists (name, source, created_by, created_at, "
				       "updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id", &s, e);
		if (rc)
			goto out;
		stmt_bind_text(s, 1, name);
		stmt_bind_text(s, 2, path);
		stmt_bind_text(s, 3, who->name);
		stmt_bind_int(s, 4, who->now);
		stmt_bind_int(s, 5, who->now);
		if ((rc = stmt_int_result(s, &ic.list_id, e)))
			goto out;
	} else {
		goto out;
	}
	if ((rc = ioc_parse(path, b.data, b.len, skip_bad, import_entry, &ic, bad, e)))
		goto out;
	rc = store_prepare(st, "SELECT count(*) FROM iocs WHERE list_id = ?", &s, e);
	if (rc)
		goto out;
	stmt_bind_int(s, 1, ic.list_id);
	if ((rc = stmt_int_result(s, &n, e)))
		goto out;
	rc = store_prepare(st, "UPDATE ioc_lists SET entries = ?, source = ?, updated_at = ? "
			       "WHERE id = ?", &s, e);
	if (rc)
		goto out;
	stmt_bind_int(s, 1, n);
	stmt_bind_text(s, 2, path);
	stmt_bind_int(s, 3, who->now);
	stmt_bind_int(s, 4, ic.list_id);
	if ((rc = stmt_exec(s, e)))
		goto out;
	after = json_pack("{s:s,s:s,s:I}", "name", name, "source", path, "entries", (json_int_t)n);
	if (!after) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = audit_append(st, who, "ioc.load", "ioc_list", name, NULL, after, e)))
		goto out;
	rc = store_commit(st, e);
	tx = 0;
	if (!rc)
		*count = (size_t)n;
out:
	if (tx)
		store_rollback(st);
	json_decref(after);
	buf_release(&b);
	return rc;
}

int watchlist_list(struct store *st, const struct actor *who, json_t **out, struct err *e)
{
	struct stmt *s;
	json_t *arr = json_array(), *byname = json_object();
	int rc;

	*out = NULL;
	if (!arr || !byname) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = authz_check(who, ACT_ALERT_READ, e)))
		goto out;
	rc = store_prepare(st, "SELECT name, source, entries, created_by, created_at, updated_at "
			       "FROM ioc_lists ORDER BY name", &s, e);
	if (rc)
		goto out;
	while ((rc = stmt_step(s, e)) == 1) {
		char c[TIME_STR_MAX], u[TIME_STR_MAX];
		json_t *o, *types = json_object();

		time_format_utc(stmt_int(s, 4), c);
		time_format_utc(stmt_int(s, 5), u);
		o = json_pack("{s:s,s:s,s:I,s:o,s:s,s:s,s:s}", "name", stmt_text(s, 0), "source",
			      stmt_text(s, 1), "entries", (json_int_t)stmt_int(s, 2), "types", types,
			      "created_by", stmt_text(s, 3), "created_at", c, "updated_at", u);
		if (!o) {
			stmt_done(s);
			rc = err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
		json_object_set(byname, stmt_text(s, 0), types);
		json_array_append_new(arr, o);
	}
	stmt_done(s);
	if (rc < 0)
		goto out;
	rc = store_prepare(st, "SELECT l.name, i.type, count(*) FROM iocs i JOIN ioc_lists l "
			       "ON l.id = i.list_id GROUP BY l.name, i.type ORDER BY l.name, i.type",
			       &s, e);
	if (rc)
		goto out;
	while ((rc = stmt_step(s, e)) == 1) {
		json_t *types = json_object_get(byname, stmt_text(s, 0));
		if (types)
			json_object_set_new(types, stmt_text(s, 1), json_integer(stmt_int(s, 2)));
	}
	stmt_done(s);
	if (rc < 0)
		goto out;
	rc = 0;
	*out = arr;
	arr = NULL;
out:
	json_decref(arr);
	json_decref(byname);
	return rc;
}

int watchlist_load(struct store *st, const struct actor *who, const char *name,
		   struct ioc_set *set, size_t *count, struct err *e)
{
	struct stmt *s;
	size_t n = 0;
	int rc;

	if (count)
		*count = 0;
	if ((rc = authz_check(who, ACT_ALERT_READ, e)))
		return rc;
	if (name) {
		int64_t id;

		if ((rc = store_prepare(st, "SELECT id FROM ioc_lists WHERE name = ?", &s, e)))
			return rc;
		stmt_bind_text(s, 1, name);
		rc = stmt_int_result(s, &id, e);
		if (rc == ERR_NOTFOUND)
			return err_set(e, ERR_NOTFOUND, "%s: no such watchlist (see irdesk ioc list)",
				       name);
		if (rc)
			return rc;
		rc = store_prepare(st, "SELECT l.name, i.type, i.value FROM iocs i JOIN ioc_lists l "
				       "ON l.id = i.list_id WHERE l.name = ?", &s, e);
		if (rc)
			return rc;
		stmt_bind_text(s, 1, name);
	} else {
		rc = store_prepare(st, "SELECT l.name, i.type, i.value FROM iocs i JOIN ioc_lists l "
				       "ON l.id = i.list_id", &s, e);
		if (rc)
			return rc;
	}
	while ((rc = stmt_step(s, e)) == 1) {
		const char *tn = stmt_text(s, 1);
		enum ioc_type t;

		if (ioc_type_parse(tn, strlen(tn), &t) != 0)
			continue;
		if ((rc = ioc_set_add(set, t, stmt_text(s, 2), stmt_text(s, 0), NULL, e)) != 0) {
			if (rc != ERR_INVALID)
				break;
			err_clear(e);
			rc = 1;
			continue;
		}
		n++;
	}
	stmt_done(s);
	if (count)
		*count = n;
	return rc < 0 ? rc : 0;
}

int watchlist_stamp(struct store *st, char out[WATCHLIST_STAMP_MAX], struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT (SELECT COUNT(*) FROM ioc_lists), "
				   "(SELECT COALESCE(MAX(updated_at), 0) FROM ioc_lists), "
				   "(SELECT COALESCE(SUM(entries), 0) FROM ioc_lists), "
				   "(SELECT COUNT(*) FROM observables WHERE ioc = 1), "
				   "(SELECT COALESCE(MAX(updated_at), 0) FROM observables)", &s, e);

	if (rc)
		return rc;
	rc = stmt_step(s, e);
	if (rc == 1)
		snprintf(out, WATCHLIST_STAMP_MAX, "%lld/%lld/%lld/%lld/%lld", (long long)stmt_int(s, 0),
			 (long long)stmt_int(s, 1), (long long)stmt_int(s, 2), (long long)stmt_int(s, 3),
			 (long long)stmt_int(s, 4));
	stmt_done(s);
	return rc < 0 ? rc : 0;
}
