/*
 * contact.c: the contact directory: validation shared by forms, the API and
 * CSV rows; add, change, remove, list; RFC 4180 CSV import and export.
 */
#include "ir/contact.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const contact_categories[] = {
	"jpcert", "police", "ppc", "isp", "vendor", "partner", "customer", "legal", "pr",
	"management", "it", "other", NULL,
};

/* The columns, in CSV order; max is in characters, multi allows newlines. */
static const struct column {
	const char *name;
	size_t max;
	int multi;
} columns[] = {
	{ "name", 200, 0 }, { "organisation", 200, 0 }, { "scope", 16, 0 },
	{ "category", 32, 0 }, { "roles", 500, 0 }, { "email", 254, 0 }, { "phone", 50, 0 },
	{ "channel", 200, 0 }, { "on_call", 8, 0 }, { "notes", 4000, 1 },
};
#define NCOLS 10

static const char **field_at(const struct contact_fields *f, int i)
{
	return (const char **)&((const char *const *)f)[i];
}

#define CONTACT_COLUMNS                                                                        \
	"id, name, organisation, scope, category, roles, email, phone, channel, on_call, notes, " \
	"created_at, updated_at FROM contacts "

static json_t *contact_from_row(struct stmt *s)
{
	json_t *o = json_object();

	json_set_int(o, "id", stmt_int(s, 0));
	for (int i = 0; i < NCOLS; i++) {
		if (strcmp(columns[i].name, "on_call") == 0)
			json_set_bool(o, "on_call", stmt_int(s, 1 + i) != 0);
		else
			json_set_str(o, columns[i].name, stmt_text(s, 1 + i));
	}
	json_set_time(o, "created_at", stmt_int(s, 11));
	json_set_time(o, "updated_at", stmt_int(s, 12));
	return o;
}

static int parse_flag(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "1", "y", NULL };
	static const char *const no[] = { "no", "false", "0", "n", "", NULL };

	for (int i = 0; yes[i]; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
	for (int i = 0; no[i]; i++)
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	return -1;
}

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* Check the meaning of one field (its text is already clean UTF-8). */
static int check_value(const char *name, const char *v, struct err *e)
{
	int flag;

	if (strcmp(name, "scope") == 0 && strcmp(v, "internal") != 0 && strcmp(v, "external") != 0)
		return err_set(e, ERR_INVALID, "scope: expected internal or external, not '%.40s'", v);
	if (strcmp(name, "category") == 0 && !in_list(contact_categories, v))
		return err_set(e, ERR_INVALID, "category: unknown '%.40s' (one of: jpcert, police, "
			       "ppc, isp, vendor, partner, customer, legal, pr, management, it, other)", v);
	if (strcmp(name, "email") == 0 && *v &&
	    (!strchr(v, '@') || strchr(v, ' ') || v[0] == '@' || v[strlen(v) - 1] == '@'))
		return err_set(e, ERR_INVALID, "email: '%.64s' is not a mail address", v);
	if (strcmp(name, "phone") == 0 && strspn(v, "0123456789+-() .#") != strlen(v))
		return err_set(e, ERR_INVALID, "phone: use digits, spaces and + - ( ) . # only");
	if (strcmp(name, "on_call") == 0 && parse_flag(v, &flag) != 0)
		return err_set(e, ERR_INVALID, "on_call: expected yes or no, not '%.20s'", v);
	return 0;
}

/* Check every field of f that is set; required fields must be set when adding. */
static int check_fields(const struct contact_fields *f, int adding, struct err *e)
{
	for (int i = 0; i < NCOLS; i++) {
		const char *v = *field_at(f, i);
		const char *n = columns[i].name;
		int rc;
		if (!v) {
			if (adding && (i == 0 || strcmp(n, "scope") == 0 || strcmp(n, "category") == 0))
				return err_set(e, ERR_INVALID, "%s: required", n);
			continue;
		}
		if (i == 0 && !*v)
			return err_set(e, ERR_INVALID, "name: required");
		if ((rc = utf8_check_text(n, v, columns[i].max, columns[i].multi, e)))
			return rc;
		if ((rc = check_value(n, v, e)))
			return rc;
	}
	return 0;
}

static int deny_external(const struct actor *who, enum action act, struct err *e)
{
	if (who->external)
		return err_set(e, ERR_DENIED, "external accounts have no access to contacts");
	return authz_check(who, act, e);
}

static int contact_load(struct store *st, int64_t id, json_t **out, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT " CONTACT_COLUMNS "WHERE id = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	rc = stmt_step(s, e);
	if (rc == 1) {
		*out = contact_from_row(s);
		rc = 0;
	} else if (rc == 0) {
		rc = err_set(e, ERR_NOTFOUND, "contact %lld not found", (long long)id);
	}
	stmt_done(s);
	return rc;
}

static void bind_value(struct stmt *s, int idx, const struct column *c, const char *v)
{
	int flag = 0;

	if (strcmp(c->name, "on_call") == 0) {
		parse_flag(v ? v : "", &flag);
		stmt_bind_int(s, idx, flag);
	} else {
		stmt_bind_text(s, idx, v ? v : "");
	}
}

/* Insert and audit one checked contact inside the caller's transaction. */
static int insert_contact(struct store *st, const struct actor *who,
			  const struct contact_fields *f, json_t **out, struct err *e)
{
	char idtext[32];
	struct stmt *s;
	int64_t id;
	int rc;

	rc = store_prepare(st, "INSERT INTO contacts (name, organisation, scope, category, roles, "
			       "email, phone, channel, on_call, notes, created_at, updated_at) "
			       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", &s, e);
	if (rc)
		return rc;
	for (int i = 0; i < NCOLS; i++)
		bind_value(s, i + 1, &columns[i], *field_at(f, i));
	stmt_bind_int(s, 11, who->now);
	stmt_bind_int(s, 12, who->now);
	if ((rc = stmt_int_result(s, &id, e)))
		return rc;
	if ((rc = contact_load(st, id, out, e)))
		return rc;
	snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
	return audit_append(st, who, "contact.add", "contact", idtext, NULL, *out, e);
}

int contact_add(struct store *st, const struct actor *who, const struct contact_fields *f,
		json_t **out, struct err *e)
{
	json_t *c = NULL;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = deny_external(who, ACT_CONTACT_EDIT, e)) || (rc = check_fields(f, 1, e)))
		return rc;
	if ((rc = store_begin(st, e)))
		return rc;
	rc = insert_contact(st, who, f, &c, e);
	if (!rc)
		rc = store_commit(st, e);
	if (rc) {
		store_rollback(st);
		json_decref(c);
		return rc;
	}
	if (out)
		*out = c;
	else
		json_decref(c);
	return 0;
}

int contact_update(struct store *st, const struct actor *who, int64_t id,
		   const struct contact_fields *f, json_t **out, struct err *e)
{
	struct buf sql = BUF_INIT;
	json_t *before = NULL, *after = NULL;
	char idtext[32];
	struct stmt *s;
	int rc, k = 0;

	if (out)
		*out = NULL;
	if ((rc = deny_external(who, ACT_CONTACT_EDIT, e)) || (rc = check_fields(f, 0, e)))
		return rc;
	for (int i = 0; i < NCOLS && !k; i++)
		k = *field_at(f, i) != NULL;
	if (!k) { /* nothing to change: nothing written, nothing audited */
		if ((rc = contact_load(st, id, &before, e)) == 0 && out)
			*out = before;
		else
			json_decref(before);
		return rc;
	}
	k = 1;
	if ((rc = store_begin(st, e)))
		return rc;
	if ((rc = contact_load(st, id, &before, e)))
		goto out;
	buf_adds(&sql, "UPDATE contacts SET updated_at = ?");
	for (int i = 0; i < NCOLS; i++)
		if (*field_at(f, i))
			buf_addf(&sql, ", %s = ?", columns[i].name);
	buf_adds(&sql, " WHERE id = ?");
	rc = store_prepare(st, sql.data, &s, e);
	if (rc)
		goto out;
	stmt_bind_int(s, k++, who->now);
	for (int i = 0; i < NCOLS; i++)
		if (*field_at(f, i))
			bind_value(s, k++, &columns[i], *field_at(f, i));
	stmt_bind_int(s, k, id);
	rc = stmt_exec(s, e);
	if (!rc)
		rc = contact_load(st, id, &after, e);
	snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
	if (!rc)
		rc = audit_append(st, who, "contact.edit", "contact", idtext, before, after, e);
	if (!rc)
		rc = store_commit(st, e);
out:
	buf_release(&sql);
	json_decref(before);
	if (rc) {
		store_rollback(st);
		json_decref(after);
		return rc;
	}
	if (out)
		*out = after;
	else
		json_decref(after);
	return 0;
}

int contact_remove(struct store *st, const struct actor *who, int64_t id, struct err *e)
{
	json_t *before = NULL;
	char idtext[32];
	struct stmt *s;
	int rc;

	if ((rc = deny_external(who, ACT_CONTACT_EDIT, e)))
		return rc;
	if ((rc = store_begin(st, e)))
		return rc;
	if ((rc = contact_load(st, id, &before, e)))
		goto out;
	/* Notifications keep the recipient's name as it was told. */
	rc = store_prepare(st, "UPDATE notifications SET contact_id = NULL WHERE contact_id = ?", &s, e);
	if (!rc) {
		stmt_bind_int(s, 1, id);
		rc = stmt_exec(s, e);
	}
	if (!rc)
		rc = store_prepare(st, "DELETE FROM contacts WHERE id = ?", &s, e);
	if (!rc) {
		stmt_bind_int(s, 1, id);
		rc = stmt_exec(s, e);
	}
	snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
	if (!rc)
		rc = audit_append(st, who, "contact.remove", "contact", idtext, before, NULL, e);
	if (!rc)
		rc = store_commit(st, e);
out:
	if (rc)
		store_rollback(st);
	json_decref(before);
	return rc;
}

int contact_get(struct store *st, const struct actor *who, int64_t id, json_t **out,
		struct err *e)
{
	int rc = deny_external(who, ACT_CONTACT_READ, e);

	*out = NULL;
	return rc ? rc : contact_load(st, id, out, e);
}

int contact_list(struct store *st, const struct actor *who, const struct contact_filter *f,
		 json_t **out, struct err *e)
{
	struct stmt *s;
	int rc;

	*out = NULL;
	if ((rc = deny_external(who, ACT_CONTACT_READ, e)))
		return rc;
	if (f && f->category && !in_list(contact_categories, f->category))
		return check_value("category", f->category, e);
	rc = store_prepare(st, "SELECT " CONTACT_COLUMNS "WHERE (? = '' OR category = ?) "
			       "AND (? = 0 OR on_call = 1) ORDER BY on_call DESC, name, id", &s, e);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, f && f->category ? f->category : "");
	stmt_bind_text(s, 2, f && f->category ? f->category : "");
	stmt_bind_int(s, 3, f ? f->on_call_only : 0);
	*out = json_array();
	while ((rc = stmt_step(s, e)) == 1)
		json_array_append_new(*out, contact_from_row(s));
	stmt_done(s);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

/* One CSV field, quoted when it holds a comma, quote, CR or LF. */
static void csv_field(struct buf *b, const char *v)
{
	if (!v[strcspn(v, ",\"\r\n")]) {
		buf_adds(b, v);
		return;
	}
	buf_addch(b, '"');
	for (; *v; v++) {
		if (*v == '"')
			buf_addch(b, '"');
		buf_addch(b, *v);
	}
	buf_addch(b, '"');
}

int contact_export(struct store *st, const struct actor *who, struct buf *out, struct err *e)
{
	json_t *list, *c;
	size_t k;
	int rc = contact_list(st, who, NULL, &list, e);

	if (rc)
		return rc;
	for (int i = 0; i < NCOLS; i++)
		buf_addf(out, "%s%s", i ? "," : "", columns[i].name);
	buf_adds(out, "\r\n");
	json_array_foreach(list, k, c) {
		for (int i = 0; i < NCOLS; i++) {
			if (i)
				buf_addch(out, ',');
			if (strcmp(columns[i].name, "on_call") == 0)
				buf_adds(out, json_is_true(json_object_get(c, "on_call")) ? "yes" : "no");
			else
				csv_field(out, json_str(c, columns[i].name));
		}
		buf_adds(out, "\r\n");
	}
	json_decref(list);
	return 0;
}

/* A CSV reader over a byte range: one record at a time, fields as strings. */
struct csv {
	const char *p, *end;
	int line;          /* the line the next record starts on */
	char *f[NCOLS + 1];
	int nf;
	struct buf cur;
};

static void csv_clear(struct csv *r)
{
	for (int i = 0; i < r->nf; i++)
		free(r->f[i]);
	r->nf = 0;
}

static int csv_push(struct csv *r, struct err *e, int line)
{
	if (r->nf == NCOLS + 1) {
		buf_reset(&r->cur);
		return err_set(e, ERR_INVALID, "line %d: more than %d fields", line, NCOLS);
	}
	r->f[r->nf++] = buf_detach(&r->cur, NULL);
	return 0;
}

/*
 * Read the next record into r->f. Returns 1 with a record, 0 at the end, or
 * ERR_PARSE naming the line (an unclosed quote, text after a closing quote).
 */
static int csv_next(struct csv *r, struct err *e)
{
	int start = r->line, quoted = 0, rc;

	csv_clear(r);
	if (r->p >= r->end)
		return 0;
	buf_reset(&r->cur);
	for (;;) {
		if (r->p >= r->end) {
			if (quoted)
				return err_set(e, ERR_PARSE, "line %d: a quoted field is not closed", start);
			return (rc = csv_push(r, e, start)) ? rc : 1;
		}
		char ch = *r->p++;
		if (quoted) {
			if (ch == '"' && r->p < r->end && *r->p == '"') {
				buf_addch(&r->cur, '"');
				r->p++;
			} else if (ch == '"') {
				quoted = 0;
				if (r->p < r->end && !strchr(",\r\n", *r->p))
					return err_set(e, ERR_PARSE, "line %d: text after a closing quote",
						       r->line);
			} else {
				if (ch == '\n')
					r->line++;
				buf_addch(&r->cur, ch);
			}
			continue;
		}
		if (ch == '"' && r->cur.len == 0) {
			quoted = 1;
		} else if (ch == ',') {
			if ((rc = csv_push(r, e, start)))
				return rc;
		} else if (ch == '\r' || ch == '\n') {
			if (ch == '\r' && r->p < r->end && *r->p == '\n')
				r->p++;
			r->line++;
			return (rc = csv_push(r, e, start)) ? rc : 1;
		} else {
			buf_addch(&r->cur, ch);
		}
	}
}

/* Map the header's columns to ours: map[i] is our column of field i. */
static int csv_header(struct csv *r, int map[NCOLS], int *nmap, struct err *e)
{
	int seen[NCOLS] = { 0 }, rc = csv_next(r, e);

	if (rc < 0)
		return rc;
	if (rc == 0)
		return err_set(e, ERR_INVALID, "line 1: a header row naming the columns is required");
	*nmap = r->nf;
	for (int i = 0; i < r->nf; i++) {
		int k = -1;
		for (int j = 0; j < NCOLS; j++)
			if (strcmp(r->f[i], columns[j].name) == 0)
				k = j;
		if (k < 0 || seen[k])
			return err_set(e, ERR_INVALID, "line 1: %s column '%.40s' (columns: name, "
				       "organisation, scope, category, roles, email, phone, channel, "
				       "on_call, notes)", k < 0 ? "unknown" : "repeated", r->f[i]);
		seen[k] = 1;
		map[i] = k;
	}
	if (!seen[0] || !seen[2] || !seen[3])
		return err_set(e, ERR_INVALID, "line 1: the columns name, scope and category are required");
	return 0;
}

/* The fields of the current record as contact_fields (borrowed from r). */
static int csv_row(struct csv *r, const int *map, int nmap, struct contact_fields *f, int line,
		   struct err *e)
{
	memset(f, 0, sizeof(*f));
	if (r->nf != nmap)
		return err_set(e, ERR_INVALID, "line %d: %d fields, the header has %d", line, r->nf,
			       nmap);
	for (int i = 0; i < nmap; i++)
		*field_at(f, map[i]) = r->f[i];
	return check_fields(f, 1, e);
}

/* Append "line N: message" to the list of problems (kept to one line). */
static void add_problem(struct buf *all, int *nbad, const struct err *one)
{
	if (*nbad < 20)
		buf_addf(all, "%s%s", *nbad ? "; " : "", one->msg);
	else if (*nbad == 20)
		buf_adds(all, "; ...");
	(*nbad)++;
}

/* Walk the rows after the header; write them when write is 1. */
static int import_pass(struct store *st, const struct actor *who, const char *csv, size_t n,
		       int write, int *count, struct buf *problems, struct err *e)
{
	struct csv r = { csv, csv + n, 1, { 0 }, 0, BUF_INIT };
	int map[NCOLS], nmap = 0, rc, nbad = 0;
	struct err one;

	*count = 0;
	rc = csv_header(&r, map, &nmap, e);
	while (!rc) {
		struct contact_fields f;
		int line = r.line;
		err_clear(&one);
		rc = csv_next(&r, &one);
		if (rc <= 0) {
			if (rc < 0)
				add_problem(problems, &nbad, &one);
			rc = rc < 0 ? ERR_INVALID : 0;
			break;
		}
		rc = 0;
		if (r.nf == 1 && !*r.f[0])
			continue; /* an empty line */
		if (++*count > CONTACT_IMPORT_ROWS) {
			rc = err_set(e, ERR_INVALID, "more than %d rows", CONTACT_IMPORT_ROWS);
			break;
		}
		if (csv_row(&r, map, nmap, &f, line, &one) != 0) {
			if (!strstr(one.msg, "line "))
				err_prefix(&one, "line %d", line);
			add_problem(problems, &nbad, &one);
			continue;
		}
		if (write) {
			json_t *c = NULL;
			rc = insert_contact(st, who, &f, &c, e);
			json_decref(c);
		}
	}
	csv_clear(&r);
	buf_release(&r.cur);
	if (!rc && nbad)
		rc = err_set(e, ERR_INVALID, "%s", problems->data);
	else if (rc == ERR_INVALID && nbad && problems->len)
		err_set(e, ERR_INVALID, "%s", problems->data);
	return rc;
}

int contact_import(struct store *st, const struct actor *who, const char *csv, size_t n,
		   int *count, struct err *e)
{
	struct buf problems = BUF_INIT;
	int rc;

	*count = 0;
	if ((rc = deny_external(who, ACT_CONTACT_EDIT, e)))
		return rc;
	if (n > CONTACT_IMPORT_MAX)
		return err_set(e, ERR_TOOLONG, "CSV too large (at most %d bytes)", CONTACT_IMPORT_MAX);
	if (n >= 3 && memcmp(csv, "\xef\xbb\xbf", 3) == 0) {
		csv += 3; /* a byte-order mark, as spreadsheets write */
		n -= 3;
	}
	if (memchr(csv, 0, n))
		return err_set(e, ERR_INVALID, "CSV: NUL bytes are not allowed");
	rc = import_pass(st, who, csv, n, 0, count, &problems, e);
	buf_release(&problems);
	if (rc)
		return rc;
	if ((rc = store_begin(st, e)))
		return rc;
	rc = import_pass(st, who, csv, n, 1, count, &problems, e);
	buf_release(&problems);
	if (!rc)
		rc = store_commit(st, e);
	if (rc)
		store_rollback(st);
	return rc;
}
