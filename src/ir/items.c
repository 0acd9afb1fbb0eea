/*
 * items.c: catalog items on incidents, completeness gates, IPA threat tags
 * and playbook tasks (items.h).
 */
#include "ir/items.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/catalog.h"
#include "ir/vocab.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct catalog *cat(struct err *e)
{
	const struct catalog *c = catalog_active();

	if (!c)
		err_set(e, ERR_INTERNAL, "the incident catalog could not be loaded");
	return c;
}

/* The stored values of incident id as a JSON object key -> text. */
static int stored_values(struct store *st, int64_t id, json_t **out, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT key, value FROM incident_items WHERE incident_id = ?",
			       &s, e);

	*out = NULL;
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	*out = json_object();
	while ((rc = stmt_step(s, e)) == 1)
		json_set_str(*out, stmt_text(s, 0), stmt_text(s, 1));
	stmt_done(s);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

/* Whether the incident field a builtin item stands for is filled. */
static int builtin_filled(const struct incident *inc, const char *f)
{
	if (!strcmp(f, "type"))
		return 1;
	if (!strcmp(f, "occurred_at"))
		return inc->occurred_at != 0;
	if (!strcmp(f, "discovered_at"))
		return inc->discovered_at != 0;
	if (!strcmp(f, "owner"))
		return inc->owner_id != 0;
	if (!strcmp(f, "reporter"))
		return inc->reporter && *inc->reporter;
	if (!strcmp(f, "summary"))
		return inc->summary && *inc->summary;
	if (!strcmp(f, "attack_vector"))
		return inc->attack_vector >= 0;
	if (!strcmp(f, "functional_impact"))
		return inc->functional_impact >= 0;
	if (!strcmp(f, "information_impact"))
		return inc->information_impact != 0;
	if (!strcmp(f, "recoverability"))
		return inc->recoverability >= 0;
	return 0;
}

static void builtin_display(const struct incident *inc, const char *f, const char *lang,
			    const struct tz *tz, struct buf *out)
{
	char t[TIME_STR_MAX];

	buf_reset(out);
	if (!builtin_filled(inc, f))
		return;
	if (!strcmp(f, "type"))
		buf_adds(out, vocab_label(&vocab_incident_type, inc->type, lang));
	else if (!strcmp(f, "occurred_at") || !strcmp(f, "discovered_at")) {
		time_format_zone(!strcmp(f, "occurred_at") ? inc->occurred_at : inc->discovered_at,
				 tz, t);
		buf_adds(out, t);
	} else if (!strcmp(f, "owner"))
		buf_adds(out, inc->owner);
	else if (!strcmp(f, "reporter"))
		buf_adds(out, inc->reporter);
	else if (!strcmp(f, "summary"))
		buf_adds(out, inc->summary);
	else if (!strcmp(f, "attack_vector"))
		buf_adds(out, vocab_label(&vocab_attack_vector, inc->attack_vector, lang));
	else if (!strcmp(f, "functional_impact"))
		buf_adds(out, vocab_label(&vocab_functional_impact, inc->functional_impact, lang));
	else if (!strcmp(f, "recoverability"))
		buf_adds(out, vocab_label(&vocab_recoverability, inc->recoverability, lang));
	else if (!strcmp(f, "information_impact"))
		for (int i = 0; i < vocab_information_impact.n; i++)
			if (inc->information_impact & (1u << i))
				buf_addf(out, "%s%s", out->len ? ", " : "",
					 vocab_label(&vocab_information_impact, i, lang));
}

/* How a stored value reads for people. */
static void value_display(const struct catalog_item *it, const char *v, const char *lang,
			  const struct tz *tz, struct buf *out)
{
	char t[TIME_STR_MAX];

	buf_reset(out);
	switch (it->type) {
	case IT_DATETIME:
		time_format_zone(strtoll(v, NULL, 10), tz, t);
		buf_adds(out, t);
		break;
	case IT_CHOICE:
		buf_adds(out, catalog_choice_label(it, v, lang));
		break;
	case IT_YESNO:
		buf_adds(out, !strcmp(v, "yes") ? (strcmp(lang, "en") ? "はい" : "Yes")
						: (strcmp(lang, "en") ? "いいえ" : "No"));
		break;
	default:
		buf_adds(out, v);
	}
}

static int item_filled(const struct catalog_item *it, const struct incident *inc,
		       const json_t *values)
{
	const char *v;

	if (it->builtin)
		return builtin_filled(inc, it->builtin);
	v = json_string_value(json_object_get(values, it->key));
	return v && *v;
}

/* Items of the incident's type, common ones first. */
struct item_iter {
	const struct catalog *c;
	const struct catalog_type *t;
	size_t i;
};

static const struct catalog_item *item_next(struct item_iter *it)
{
	size_t i = it->i++;

	if (i < it->c->ncommon)
		return &it->c->common[i];
	i -= it->c->ncommon;
	return it->t && i < it->t->nitems ? &it->t->items[i] : NULL;
}

static void item_iter_init(struct item_iter *it, const struct catalog *c, const struct incident *inc)
{
	it->c = c;
	it->t = catalog_type(c, vocab_name(&vocab_incident_type, inc->type));
	it->i = 0;
}

/* A move that gates apply to: forward into triage .. closed. */
static int gated(enum incident_state from, enum incident_state to)
{
	return to != ST_REJECTED && to != ST_NEW && from != ST_REJECTED && to > from;
}

static void missing_keys(const struct catalog *c, const struct incident *inc, const json_t *values,
			 enum incident_state to, struct buf *keys)
{
	struct item_iter iter;
	const struct catalog_item *it;

	buf_reset(keys);
	if (!gated(inc->state, to))
		return;
	item_iter_init(&iter, c, inc);
	while ((it = item_next(&iter)))
		if (it->required_before >= 0 && it->required_before <= (int)to &&
		    !item_filled(it, inc, values))
			buf_addf(keys, "%s%s", keys->len ? "," : "", it->key);
}

int items_missing(struct store *st, const struct incident *inc, enum incident_state to,
		  struct buf *keys, struct err *e)
{
	const struct catalog *c = cat(e);
	json_t *values;
	int rc;

	buf_reset(keys);
	if (!c)
		return ERR_INTERNAL;
	if (!gated(inc->state, to))
		return 0;
	rc = stored_values(st, inc->id, &values, e);
	if (rc)
		return rc;
	missing_keys(c, inc, values, to, keys);
	json_decref(values);
	return 0;
}

static json_t *text_array(const char *list)
{
	json_t *a = json_array();

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, "\n,");
		json_array_append_new(a, json_stringn(p, n));
		p += n + (p[n] != '\0');
	}
	return a;
}

static json_t *item_json(const struct catalog_item *it, const struct incident *inc,
			 const json_t *values, const char *lang, const struct tz *tz,
			 struct buf *tmp)
{
	json_t *o = json_object(), *ch;
	const char *v = it->builtin ? NULL : json_string_value(json_object_get(values, it->key));

	json_set_str(o, "key", it->key);
	json_set_str(o, "section", it->section);
	json_set_str(o, "type", item_type_name(it->type));
	json_set_str(o, "label", ctext(&it->label, lang));
	if (it->help.ja)
		json_set_str(o, "help", ctext(&it->help, lang));
	if (it->required_before >= 0)
		json_set_str(o, "required_before", incident_state_name(it->required_before));
	if (it->builtin)
		json_set_str(o, "builtin", it->builtin);
	if (it->nchoices) {
		ch = json_array();
		for (size_t i = 0; i < it->nchoices; i++) {
			json_t *c = json_object();
			json_set_str(c, "key", it->choices[i].key);
			json_set_str(c, "label", ctext(&it->choices[i].label, lang));
			json_array_append_new(ch, c);
		}
		json_object_set_new(o, "choices", ch);
	}
	if (it->builtin) {
		builtin_display(inc, it->builtin, lang, tz, tmp);
		json_set_str(o, "display", tmp->data);
	} else if (v && *v) {
		if (it->type == IT_LIST)
			json_object_set_new(o, "value", text_array(v));
		else if (it->type == IT_DATETIME)
			json_set_time(o, "value", strtoll(v, NULL, 10));
		else
			json_set_str(o, "value", v);
		value_display(it, v, lang, tz, tmp);
		json_set_str(o, "display", tmp->data);
	}
	json_set_bool(o, "filled", item_filled(it, inc, values));
	return o;
}

static int threats_json(struct store *st, const struct catalog *c, int64_t id, const char *lang,
			json_t **out, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT threat FROM incident_threats WHERE incident_id = ? "
				   "ORDER BY threat DESC", &s, e);

	*out = json_array();
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	while ((rc = stmt_step(s, e)) == 1) {
		const struct catalog_threat_list *tl = NULL;
		const struct catalog_threat *th = catalog_threat(c, stmt_text(s, 0), &tl);
		json_t *o = json_object();
		json_set_str(o, "ref", stmt_text(s, 0));
		json_set_str(o, "label", th ? ctext(&th->label, lang) : stmt_text(s, 0));
		if (tl) {
			json_set_int(o, "year", tl->year);
			json_set_int(o, "rank", th->rank);
		}
		json_array_append_new(*out, o);
	}
	stmt_done(s);
	return rc < 0 ? rc : 0;
}

int items_get(struct store *st, const struct actor *who, const char *hid, const char *lang,
	      json_t **out, struct err *e)
{
	const struct catalog *c = cat(e);
	struct incident inc;
	struct item_iter iter;
	const struct catalog_item *it;
	struct buf tmp = BUF_INIT;
	json_t *values = NULL, *items, *missing, *threats = NULL, *o;
	int rc;

	*out = NULL;
	if (!c)
		return ERR_INTERNAL;
	rc = incident_get(st, who, hid, &inc, e);
	if (rc)
		return rc;
	rc = stored_values(st, inc.id, &values, e);
	if (!rc)
		rc = threats_json(st, c, inc.id, lang, &threats, e);
	if (rc)
		goto out;
	o = json_object();
	json_set_str(o, "incident", inc.hid);
	json_set_str(o, "type", vocab_name(&vocab_incident_type, inc.type));
	items = json_array();
	item_iter_init(&iter, c, &inc);
	if (iter.t)
		json_set_str(o, "table", ctext(&iter.t->table, lang));
	while ((it = item_next(&iter)))
		json_array_append_new(items, item_json(it, &inc, values, lang, who->tz, &tmp));
	json_object_set_new(o, "items", items);
	json_object_set_new(o, "threats", threats);
	threats = NULL;
	missing = json_object();
	for (int s = inc.state + 1; s <= ST_CLOSED; s++) {
		missing_keys(c, &inc, values, s, &tmp);
		if (tmp.len)
			json_object_set_new(missing, incident_state_name(s), text_array(tmp.data));
	}
	json_object_set_new(o, "missing", missing);
	*out = o;
out:
	json_decref(threats);
	json_decref(values);
	buf_release(&tmp);
	incident_release(&inc);
	return rc;
}

/* items_set */

static int check_values(const struct catalog *c, const struct actor *who,
			const struct incident *inc, const struct incident_field *values, size_t n,
			struct buf *norm, struct err *e)
{
	const struct catalog_type *t = catalog_type(c, vocab_name(&vocab_incident_type, inc->type));
	struct buf one = BUF_INIT;
	int rc = 0;

	if (n == 0)
		return err_set(e, ERR_INVALID, "no item values given");
	if (n > ITEMS_SET_MAX)
		return err_set(e, ERR_TOOLONG, "too many item values (at most %d)", ITEMS_SET_MAX);
	for (size_t i = 0; !rc && i < n; i++) {
		const struct catalog_item *it = catalog_item(c, t, values[i].name);
		if (!it)
			rc = err_set(e, ERR_INVALID, "%.64s: no such item for a %s incident",
				     values[i].name, vocab_name(&vocab_incident_type, inc->type));
		else if (it->builtin)
			rc = err_set(e, ERR_INVALID, "%s: set it as the incident's %s field", it->key,
				     it->builtin);
		else
			rc = catalog_item_value(it, values[i].value ? values[i].value : "", who->tz,
						who->now, &one, e);
		for (size_t j = 0; !rc && j < i; j++)
			if (!strcmp(values[i].name, values[j].name))
				rc = err_set(e, ERR_INVALID, "%s: given twice", values[i].name);
		/* Normalised values, NUL-separated, in the order given. */
		if (!rc)
			buf_add(norm, one.data, one.len + 1);
	}
	buf_release(&one);
	return rc ? rc : buf_error(norm) ? err_set(e, ERR_NOMEM, "out of memory") : 0;
}

static int write_value(struct store *st, const struct actor *who, int64_t id, const char *key,
		       const char *value, struct err *e)
{
	struct stmt *s;
	int rc;

	if (!*value) {
		rc = store_prepare(st, "DELETE FROM incident_items WHERE incident_id = ? AND key = ?",
				   &s, e);
		if (rc)
			return rc;
		stmt_bind_int(s, 1, id);
		stmt_bind_text(s, 2, key);
		return stmt_exec(s, e);
	}
	rc = store_prepare(st, "INSERT INTO incident_items (incident_id, key, value, updated_at, "
			       "updated_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (incident_id, key) DO "
			       "UPDATE SET value = excluded.value, updated_at = excluded.updated_at, "
			       "updated_by = excluded.updated_by", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	stmt_bind_text(s, 2, key);
	stmt_bind_text(s, 3, value);
	stmt_bind_int(s, 4, who->now);
	stmt_bind_text(s, 5, who->name);
	return stmt_exec(s, e);
}

int items_set(struct store *st, const struct actor *who, const char *hid,
	      const struct incident_field *values, size_t n, struct err *e)
{
	const struct catalog *c = cat(e);
	char canon[INCIDENT_HID_MAX];
	struct incident inc;
	struct buf norm = BUF_INIT;
	json_t *old = NULL, *before = json_object(), *after = json_object();
	const char *v;
	int64_t id;
	int rc;

	if (!c)
		return ERR_INTERNAL;
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_EDIT, &id, canon, e);
	if (!rc)
		rc = incident_get(st, who, canon, &inc, e);
	if (rc)
		goto out_nofree;
	rc = check_values(c, who, &inc, values, n, &norm, e);
	if (!rc)
		rc = store_begin(st, e);
	if (rc)
		goto out;
	rc = stored_values(st, id, &old, e);
	v = norm.data;
	for (size_t i = 0; !rc && i < n; v += strlen(v) + 1, i++) {
		const char *was = json_string_value(json_object_get(old, values[i].name));
		if (!strcmp(was ? was : "", v))
			continue;
		json_set_str(before, values[i].name, was ? was : "");
		json_set_str(after, values[i].name, v);
		rc = write_value(st, who, id, values[i].name, v, e);
	}
	if (!rc && json_object_size(after)) {
		rc = incident_touch(st, who, id, e);
		if (!rc)
			rc = audit_append(st, who, "incident.items", "incident", canon, before, after, e);
	}
	rc = rc ? rc : store_commit(st, e);
	if (rc)
		store_rollback(st);
out:
	incident_release(&inc);
out_nofree:
	json_decref(old);
	json_decref(before);
	json_decref(after);
	buf_release(&norm);
	return rc;
}

/* threats */

/* Run s (a statement ending in RETURNING 1) and count whether it wrote a row. */
static int exec_counting(struct stmt *s, int *changed, struct err *e)
{
	int rc = stmt_step(s, e);

	stmt_done(s);
	if (rc < 0)
		return rc;
	*changed += rc == 1;
	return 0;
}

static int threat_write(struct store *st, const struct actor *who, int64_t id, const char *ref,
			int remove, int *changed, struct err *e)
{
	struct stmt *s;
	int rc;

	if (remove)
		rc = store_prepare(st, "DELETE FROM incident_threats WHERE incident_id = ? AND "
				       "threat = ? RETURNING 1", &s, e);
	else
		rc = store_prepare(st, "INSERT INTO incident_threats (incident_id, threat, added_at, "
				       "added_by) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	stmt_bind_text(s, 2, ref);
	if (!remove) {
		stmt_bind_int(s, 3, who->now);
		stmt_bind_text(s, 4, who->name);
	}
	return exec_counting(s, changed, e);
}

int items_threats(struct store *st, const struct actor *who, const char *hid,
		  const char *const *refs, size_t n, int remove, struct err *e)
{
	const struct catalog *c = cat(e);
	char canon[INCIDENT_HID_MAX];
	json_t *list;
	int64_t id;
	int rc, changed = 0;

	if (!c)
		return ERR_INTERNAL;
	if (n == 0 || n > 50)
		return err_set(e, ERR_INVALID, "give 1 to 50 threats as YEAR:key");
	for (size_t i = 0; i < n; i++)
		if (!catalog_threat(c, refs[i], NULL))
			return err_set(e, ERR_INVALID, "threat '%.64s' is not in the catalog (YEAR:key, "
				       "see irdesk catalog threats)", refs[i]);
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_EDIT, &id, canon, e);
	if (!rc)
		rc = store_begin(st, e);
	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < n; i++)
		rc = threat_write(st, who, id, refs[i], remove, &changed, e);
	if (!rc && changed) {
		list = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, json_string(refs[i]));
		rc = incident_touch(st, who, id, e);
		if (!rc)
			rc = audit_append(st, who, remove ? "incident.threats.remove" :
					  "incident.threats.add", "incident", canon, NULL, list, e);
		json_decref(list);
	}
	rc = rc ? rc : store_commit(st, e);
	if (rc)
		store_rollback(st);
	return rc;
}

/* playbooks */

/*
 * The steps' tasks in one statement (one statement journal and one pass
 * through the store instead of one per step: a typed incident has ~20);
 * steps already on the incident (a retype back) are skipped by the unique
 * (incident_id, step) index. An incident created in this transaction (new)
 * has no tasks yet: its statement has neither the conflict clause nor the
 * RETURNING that counts the rows written, which in SQLite costs a third of
 * the insert. The statement text depends only on n and fresh, so the store's
 * statement cache holds one per playbook length.
 */
static int steps_insert(struct store *st, const struct actor *who, int64_t id,
			const struct catalog_step *const *steps, size_t n, int fresh, int *added,
			struct err *e)
{
	struct buf sql = BUF_INIT;
	struct stmt *s;
	int rc;

	buf_adds(&sql, "INSERT INTO tasks (incident_id, title, phase, created_at, created_by, step, "
		       "sheet) VALUES ");
	for (size_t i = 0; i < n; i++)
		buf_adds(&sql, i ? ", (?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?, ?)");
	if (!fresh)
		buf_adds(&sql, " ON CONFLICT DO NOTHING RETURNING 1");
	rc = store_prepare(st, sql.data, &s, e);
	buf_release(&sql);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		int k = (int)i * 7;
		stmt_bind_int(s, k + 1, id);
		stmt_bind_text(s, k + 2, steps[i]->title.ja);
		stmt_bind_text(s, k + 3, steps[i]->phase);
		stmt_bind_int(s, k + 4, who->now);
		stmt_bind_text(s, k + 5, who->name);
		stmt_bind_text(s, k + 6, steps[i]->key);
		if (steps[i]->sheet)
			stmt_bind_text(s, k + 7, steps[i]->sheet);
		else
			stmt_bind_null(s, k + 7);
	}
	if (fresh) {
		rc = stmt_exec(s, e);
		*added = rc ? 0 : (int)n;
		return rc;
	}
	while ((rc = stmt_step(s, e)) == 1)
		(*added)++;
	stmt_done(s);
	return rc < 0 ? rc : 0;
}

static int apply(struct store *st, const struct actor *who, int64_t id, const char *hid,
		 const char *type, int fresh, int *added, struct err *e)
{
	const struct catalog *c = cat(e);
	const struct catalog_step *steps[CATALOG_MAX_STEPS];
	const struct catalog_type *t;
	size_t n = 0;
	json_t *after;
	int rc;

	*added = 0;
	if (!c)
		return ERR_INTERNAL;
	t = catalog_type(c, type);
	for (size_t i = 0; i < c->ncommon_steps && n < CATALOG_MAX_STEPS; i++)
		steps[n++] = &c->common_steps[i];
	for (size_t i = 0; t && i < t->nsteps && n < CATALOG_MAX_STEPS; i++)
		steps[n++] = &t->steps[i];
	rc = n ? steps_insert(st, who, id, steps, n, fresh, added, e) : 0;
	if (rc || !*added)
		return rc;
	after = json_object();
	json_set_str(after, "type", type);
	json_set_int(after, "tasks_added", *added);
	rc = audit_append(st, who, "playbook.apply", "incident", hid, NULL, after, e);
	json_decref(after);
	return rc;
}

int playbook_apply(struct store *st, const struct actor *who, int64_t id, const char *hid,
		   const char *type, int *added, struct err *e)
{
	return apply(st, who, id, hid, type, 0, added, e);
}

int playbook_apply_new(struct store *st, const struct actor *who, int64_t id, const char *hid,
		       const char *type, int *added, struct err *e)
{
	return apply(st, who, id, hid, type, 1, added, e);
}
