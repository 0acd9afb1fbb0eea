/*
 * api_catalog.c: the catalog (types, items, playbooks, threat lists,
 * command sheets), an incident's items and threat tags, and its reports
 * over the API.
 */
#include "ir/catalog.h"
#include "ir/items.h"
#include "ir/report.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "web/api.h"
#include "web/req.h"
#include "web/router.h"

#include <stdlib.h>
#include <string.h>

/* The language asked for (?lang=ja|en), else the caller's. */
static const char *lang_of(struct request *rq)
{
	const char *l = req_query(rq, "lang");

	return l && (!strcmp(l, "ja") || !strcmp(l, "en")) ? l : rq->lang;
}

static const struct catalog *need_catalog(struct request *rq)
{
	const struct catalog *c = catalog_active();

	if (!c)
		err_set(&rq->err, ERR_INTERNAL, "the incident catalog could not be loaded");
	return c;
}

static json_t *item_def(const struct catalog_item *it, const char *lang)
{
	json_t *o = json_object();

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
		json_t *a = json_array();
		for (size_t i = 0; i < it->nchoices; i++)
			json_array_append_new(a, json_pack("{s:s,s:s}", "key", it->choices[i].key,
							   "label", ctext(&it->choices[i].label, lang)));
		json_object_set_new(o, "choices", a);
	}
	return o;
}

static json_t *items_def(const struct catalog_item *items, size_t n, const char *lang)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, item_def(&items[i], lang));
	return a;
}

static json_t *steps_def(const struct catalog_step *steps, size_t n, const char *lang)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s,s:s,s:s}", "key", steps[i].key, "phase", steps[i].phase,
				      "title", ctext(&steps[i].title, lang));
		if (steps[i].sheet)
			json_set_str(o, "sheet", steps[i].sheet);
		json_array_append_new(a, o);
	}
	return a;
}

/* GET /api/v1/catalog */
int api_catalog_get(struct request *rq, struct response *rs)
{
	static const char *const q[] = { "lang", NULL };
	const struct catalog *c = need_catalog(rq);
	const char *lang = lang_of(rq);
	json_t *o, *types, *threats, *sheets;
	int rc = api_query_check(rq, q);

	if (rc)
		return rc;
	if (!c)
		return ERR_INTERNAL;
	types = json_array();
	for (size_t i = 0; i < c->ntypes; i++) {
		const struct catalog_type *t = &c->types[i];
		json_array_append_new(types, json_pack("{s:s,s:s,s:s,s:i,s:o,s:o}", "key", t->key,
			"label", ctext(&t->label, lang), "table", ctext(&t->table, lang),
			"retention_days", t->retention_days, "items", items_def(t->items, t->nitems, lang),
			"playbook", steps_def(t->steps, t->nsteps, lang)));
	}
	threats = json_array();
	for (size_t i = 0; i < c->nthreat_lists; i++) {
		const struct catalog_threat_list *tl = &c->threat_lists[i];
		json_t *list = json_array();
		for (size_t j = 0; j < tl->n; j++)
			json_array_append_new(list, json_pack("{s:s,s:i,s:s}", "key", tl->threats[j].key,
				"rank", tl->threats[j].rank, "label", ctext(&tl->threats[j].label, lang)));
		json_array_append_new(threats, json_pack("{s:i,s:s,s:o}", "year", tl->year, "source",
							 ctext(&tl->source, lang), "threats", list));
	}
	sheets = json_array();
	for (size_t i = 0; i < c->nsheets; i++)
		json_array_append_new(sheets, json_pack("{s:s,s:s}", "key", c->sheets[i].key,
							"title", c->sheets[i].title));
	o = json_pack("{s:o,s:o,s:o,s:o,s:o}", "common_items", items_def(c->common, c->ncommon, lang),
		      "common_playbook", steps_def(c->common_steps, c->ncommon_steps, lang),
		      "types", types, "threats", threats, "sheets", sheets);
	return resp_json(rs, 200, o);
}

/* GET /api/v1/catalog/sheets/{key} */
int api_sheet_get(struct request *rq, struct response *rs)
{
	const struct catalog *c = need_catalog(rq);
	const struct catalog_sheet *sh;

	if (!c)
		return ERR_INTERNAL;
	sh = catalog_sheet(c, req_param(rq, 0));
	if (!sh)
		return err_set(&rq->err, ERR_NOTFOUND, "no command sheet '%.64s'", req_param(rq, 0));
	return resp_json(rs, 200, json_pack("{s:s,s:s,s:s}", "key", sh->key, "title", sh->title,
					    "body", sh->body));
}

/* GET /api/v1/incidents/{id}/items */
int api_items_read(struct request *rq, struct response *rs)
{
	static const char *const q[] = { "lang", NULL };
	json_t *o;
	int rc = api_query_check(rq, q);

	if (!rc)
		rc = items_get(rq->st, &rq->actor, req_param(rq, 0), lang_of(rq), &o, &rq->err);
	return rc ? rc : resp_json(rs, 200, o);
}

/*
 * PATCH /api/v1/incidents/{id}/items: {"key": "value" | ["entry", ...] |
 * null, ...}; null or "" clears.
 */
int api_items_write(struct request *rq, struct response *rs)
{
	struct incident_field values[ITEMS_SET_MAX];
	struct buf lists = BUF_INIT;
	size_t n = 0, off[ITEMS_SET_MAX];
	const char *key;
	json_t *body, *v, *o;
	int rc = req_json(rq, &body);

	if (rc)
		return rc;
	if (json_object_size(body) > ITEMS_SET_MAX) {
		rc = err_set(&rq->err, ERR_TOOLONG, "too many items (at most %d)", ITEMS_SET_MAX);
		goto out;
	}
	/* Lists are joined by newlines into one buffer; offsets fixed up after. */
	json_object_foreach(body, key, v) {
		size_t i;
		json_t *x;
		values[n].name = key;
		values[n].value = "";
		off[n] = (size_t)-1;
		if (json_is_string(v)) {
			values[n].value = json_string_value(v);
		} else if (json_is_array(v)) {
			off[n] = lists.len;
			json_array_foreach(v, i, x) {
				if (!json_is_string(x)) {
					rc = err_set(&rq->err, ERR_INVALID, "%.64s: expected text entries",
						     key);
					goto out;
				}
				buf_addf(&lists, "%s%s", i ? "\n" : "", json_string_value(x));
			}
			buf_addch(&lists, '\0');
		} else if (!json_is_null(v)) {
			rc = err_set(&rq->err, ERR_INVALID, "%.64s: expected a string, a list of strings "
				     "or null", key);
			goto out;
		}
		n++;
	}
	for (size_t i = 0; i < n; i++)
		if (off[i] != (size_t)-1)
			values[i].value = lists.data + off[i];
	rc = api_domain(rq, items_set(rq->st, &rq->actor, req_param(rq, 0), values, n, &rq->err));
	if (!rc)
		rc = items_get(rq->st, &rq->actor, req_param(rq, 0), lang_of(rq), &o, &rq->err);
	if (!rc)
		rc = resp_json(rs, 200, o);
out:
	buf_release(&lists);
	json_decref(body);
	return rc;
}

/* POST /api/v1/incidents/{id}/threats {"threats": ["2026:ransomware", ...]} */
int api_threats_add(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "threats", NULL };
	const char *refs[50];
	size_t n = 0, i;
	json_t *body, *a, *x, *o;
	int rc = api_body(rq, allowed, 0, &body);

	if (rc)
		return rc;
	a = json_object_get(body, "threats");
	if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > 50) {
		rc = err_set(&rq->err, ERR_INVALID, "threats: expected a list of 1 to 50 YEAR:key");
		goto out;
	}
	json_array_foreach(a, i, x) {
		if (!json_is_string(x)) {
			rc = err_set(&rq->err, ERR_INVALID, "threats: expected YEAR:key strings");
			goto out;
		}
		refs[n++] = json_string_value(x);
	}
	rc = items_threats(rq->st, &rq->actor, req_param(rq, 0), refs, n, 0, &rq->err);
	if (!rc)
		rc = items_get(rq->st, &rq->actor, req_param(rq, 0), lang_of(rq), &o, &rq->err);
	if (!rc)
		rc = resp_json(rs, 200, json_pack("{s:O}", "threats", json_object_get(o, "threats")));
	if (!rc)
		json_decref(o);
out:
	json_decref(body);
	return rc;
}

/* DELETE /api/v1/incidents/{id}/threats/{ref} */
int api_threats_remove(struct request *rq, struct response *rs)
{
	const char *ref = req_param(rq, 1);
	int rc = items_threats(rq->st, &rq->actor, req_param(rq, 0), &ref, 1, 1, &rq->err);

	return rc ? rc : api_no_content(rs);
}

/* reports */

/* POST /api/v1/incidents/{id}/reports {"kind", "lang", "format"}: generate and keep. */
int api_report_generate(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "kind", "lang", "format", NULL };
	enum report_kind kind;
	enum report_format fmt = REPORT_HTML;
	const char *k, *lang, *format;
	json_t *body, *out;
	int bad = 0, rc = api_body(rq, allowed, 0, &body);

	if (rc)
		return rc;
	k = api_str(rq, body, "kind", &bad);
	lang = api_str(rq, body, "lang", &bad);
	format = api_str(rq, body, "format", &bad);
	api_required(rq, "kind", k, &bad);
	if (bad)
		rc = ERR_INVALID;
	else if (report_kind_parse(k, &kind, &rq->err))
		rc = err_prefix(&rq->err, "kind");
	else if (format && report_format_parse(format, &fmt, &rq->err))
		rc = err_prefix(&rq->err, "format");
	else
		rc = report_generate(rq->st, &rq->actor, req_param(rq, 0), kind,
				     lang ? lang : rq->lang, fmt, &out, &rq->err);
	if (!rc)
		rc = resp_json(rs, 201, out);
	json_decref(body);
	return rc;
}

/* GET /api/v1/incidents/{id}/reports: the kept versions, newest first. */
int api_report_list(struct request *rq, struct response *rs)
{
	json_t *list;
	int rc = report_list(rq->st, &rq->actor, req_param(rq, 0), &list, &rq->err);

	return rc ? rc : api_items(rs, list);
}

/* The kind and version of a report route (params 1 and 2). */
int api_report_ref(struct request *rq, enum report_kind *kind, int64_t *version)
{
	const char *v = req_param(rq, 2);
	char *end;

	if (report_kind_parse(req_param(rq, 1), kind, &rq->err))
		return ERR_NOTFOUND;
	*version = strtoll(v, &end, 10);
	if (*end || *version < 1)
		return err_set(&rq->err, ERR_NOTFOUND, "no report version '%.20s'", v);
	return 0;
}

/* GET /api/v1/incidents/{id}/reports/{kind}/{version}: one version with its body. */
int api_report_get(struct request *rq, struct response *rs)
{
	enum report_kind kind;
	int64_t version;
	json_t *o;
	int rc = api_report_ref(rq, &kind, &version);

	if (!rc)
		rc = report_get(rq->st, &rq->actor, req_param(rq, 0), kind, version, &o, &rq->err);
	return rc ? rc : resp_json(rs, 200, o);
}

/* GET /api/v1/incidents/{id}/reports/{kind}/{version}/diff/{other}: {"diff": "..."} */
int api_report_diff(struct request *rq, struct response *rs)
{
	struct buf out = BUF_INIT;
	enum report_kind kind;
	int64_t v1, v2;
	char *end;
	int rc = api_report_ref(rq, &kind, &v1);

	v2 = strtoll(req_param(rq, 3), &end, 10);
	if (!rc && (*end || v2 < 1))
		rc = err_set(&rq->err, ERR_NOTFOUND, "no report version '%.20s'", req_param(rq, 3));
	if (!rc)
		rc = report_diff(rq->st, &rq->actor, req_param(rq, 0), kind, v1, v2, &out, &rq->err);
	if (!rc)
		rc = resp_json(rs, 200, json_pack("{s:s,s:s,s:I,s:I,s:s}", "incident", req_param(rq, 0),
						  "kind", report_kind_name(kind), "from", (json_int_t)v1,
						  "to", (json_int_t)v2, "diff", out.data));
	buf_release(&out);
	return rc;
}
