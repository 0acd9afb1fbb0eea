/*
 * page_items.c: on the incident page, the catalog's items (Appendix C table
 * 1, the type's table, NIST Appendix B) with what each next state still
 * needs, the IPA threat tags, and the reports (generate, list, view a kept
 * version); and the investigation command sheets.
 */
#include "ir/catalog.h"
#include "ir/incident.h"
#include "ir/items.h"
#include "ir/report.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "web/api.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_str(o, k);

	return s ? s : "";
}

/* The current value of an item as the form shows it. */
static void form_value(const json_t *it, struct buf *out)
{
	const json_t *v = json_object_get(it, "value");
	size_t i;
	json_t *x;

	buf_reset(out);
	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			buf_addf(out, "%s%s", i ? "\n" : "", json_string_value(x));
	} else if (!strcmp(str(it, "type"), "datetime")) {
		buf_adds(out, str(it, "display"));
	} else {
		buf_adds(out, json_is_string(v) ? json_string_value(v) : "");
	}
}

static void item_input(struct request *rq, struct buf *b, const json_t *it, struct buf *val)
{
	const char *type = str(it, "type"), *key = str(it, "key");
	size_t i;
	json_t *c;

	form_value(it, val);
	if (!strcmp(type, "choice") || !strcmp(type, "yesno")) {
		html_printf(b, "<select name=\"item.%s\" id=\"item-%s\"><option value=\"\">%s</option>",
			    key, key, page_t(rq, "items.unset"));
		if (!strcmp(type, "yesno")) {
			html_printf(b, "<option value=\"yes\"%s>%s</option><option value=\"no\"%s>%s</option>",
				    !strcmp(val->data, "yes") ? " selected" : "", page_t(rq, "items.yes"),
				    !strcmp(val->data, "no") ? " selected" : "", page_t(rq, "items.no"));
		} else {
			json_array_foreach(json_object_get(it, "choices"), i, c)
				html_printf(b, "<option value=\"%s\"%s>%s</option>", str(c, "key"),
					    !strcmp(val->data, str(c, "key")) ? " selected" : "",
					    str(c, "label"));
		}
		buf_adds(b, "</select>");
	} else if (!strcmp(type, "text") || !strcmp(type, "list")) {
		html_printf(b, "<textarea name=\"item.%s\" id=\"item-%s\" rows=\"2\">%s</textarea>", key,
			    key, val->data);
	} else {
		html_printf(b, "<input type=\"text\" name=\"item.%s\" id=\"item-%s\" value=\"%s\"", key,
			    key, val->data);
		buf_adds(b, !strcmp(type, "datetime") ? " placeholder=\"2026-11-26 09:30\">"
						      : " inputmode=\"decimal\">");
	}
}

static int needed_next(const json_t *missing, const char *key)
{
	const char *state;
	json_t *keys, *k;
	size_t i;

	json_object_foreach((json_t *)missing, state, keys)
		json_array_foreach(keys, i, k)
			if (!strcmp(json_string_value(k), key))
				return 1;
	return 0;
}

/* Whether any item of section is needed before a later state. */
static int section_needed(const json_t *items, const char *section)
{
	size_t i;
	json_t *it;

	json_array_foreach(json_object_get(items, "items"), i, it)
		if (!strcmp(str(it, "section"), section) &&
		    needed_next(json_object_get(items, "missing"), str(it, "key")))
			return 1;
	return 0;
}

/*
 * One section of items as a table inside <details>: open when open is set
 * or when it holds an item a later state needs.
 */
static void items_table(struct request *rq, struct buf *b, const json_t *items, const char *section,
			const char *title, int edit, int open)
{
	const json_t *missing = json_object_get(items, "missing");
	struct buf val = BUF_INIT;
	size_t i;
	json_t *it;

	html_printf(b, "<details class=\"items-section\" data-section=\"%s\"", section);
	if (open || section_needed(items, section))
		buf_adds(b, " open");
	html_printf(b, "><summary>%s</summary><table class=\"items\">", title);
	json_array_foreach(json_object_get(items, "items"), i, it) {
		const char *key = str(it, "key"), *help = str(it, "help");
		int need = needed_next(missing, key);
		if (strcmp(str(it, "section"), section))
			continue;
		html_printf(b, "<tr class=\"%s\" data-item=\"%s\"><th><label for=\"item-%s\">%s</label>",
			    need ? "needed" : "", key, key, str(it, "label"));
		if (*str(it, "required_before"))
			html_printf(b, " <span class=\"req\" title=\"%s\">%s</span>",
				    page_t(rq, "items.required_before"), str(it, "required_before"));
		buf_adds(b, "</th><td>");
		if (edit && !*str(it, "builtin"))
			item_input(rq, b, it, &val);
		else
			html_printf(b, "<span class=\"value\">%s</span>", str(it, "display"));
		if (*help)
			html_printf(b, "<div class=\"hint muted\">%s</div>", help);
		buf_adds(b, "</td></tr>");
	}
	buf_adds(b, "</table></details>");
	buf_release(&val);
}

/* What each later state still needs; a key is named once, at the first state that needs it. */
static void missing_list(struct request *rq, struct buf *b, const json_t *items)
{
	struct buf seen = BUF_INIT;
	const char *state;
	json_t *keys, *k;
	size_t i;

	if (!json_object_size(json_object_get(items, "missing")))
		return;
	html_printf(b, "<div class=\"missing\"><strong>%s</strong><ul>", page_t(rq, "items.missing"));
	buf_addch(&seen, ',');
	json_object_foreach(json_object_get(items, "missing"), state, keys) {
		enum incident_state s = ST_NEW;
		int n = 0;
		incident_state_parse(state, &s, NULL);
		json_array_foreach(keys, i, k) {
			char probe[80];
			snprintf(probe, sizeof(probe), ",%s,", json_string_value(k));
			if (strstr(seen.data, probe))
				continue;
			if (!n++)
				html_printf(b, "<li data-state=\"%s\">%s: ", state,
					    incident_state_label(s, rq->lang));
			else
				buf_adds(b, ", ");
			html_printf(b, "<code>%s</code>", json_string_value(k));
			buf_addf(&seen, "%s,", json_string_value(k));
		}
		if (n)
			buf_adds(b, "</li>");
	}
	buf_adds(b, "</ul></div>");
	buf_release(&seen);
}

static void threats_card(struct request *rq, struct buf *b, const char *hid, const json_t *items,
			 int edit)
{
	const struct catalog *c = catalog_active();
	size_t i;
	json_t *t;

	html_printf(b, "<section class=\"card threats\"><h2>%s</h2><ul>", page_t(rq, "threats.title"));
	json_array_foreach(json_object_get(items, "threats"), i, t) {
		html_printf(b, "<li>%s <span class=\"muted\">(%s)</span>", str(t, "label"), str(t, "ref"));
		if (edit) {
			html_printf(b, "<form method=\"post\" action=\"/incidents/%s/threats\" class=\"inline\">",
				    hid);
			page_csrf_field(rq, b);
			html_printf(b, "<input type=\"hidden\" name=\"remove\" value=\"%s\"><button "
				    "type=\"submit\" class=\"link\">%s</button></form>", str(t, "ref"),
				    page_t(rq, "threats.remove"));
		}
		buf_adds(b, "</li>");
	}
	buf_adds(b, "</ul>");
	if (edit && c) {
		html_printf(b, "<form method=\"post\" action=\"/incidents/%s/threats\">", hid);
		page_csrf_field(rq, b);
		html_printf(b, "<select name=\"add\" aria-label=\"%s\">", page_t(rq, "threats.title"));
		for (size_t l = 0; l < c->nthreat_lists; l++) {
			const struct catalog_threat_list *tl = &c->threat_lists[l];
			html_printf(b, "<optgroup label=\"%d\">", tl->year);
			for (size_t j = 0; j < tl->n; j++)
				html_printf(b, "<option value=\"%d:%s\">%d. %s</option>", tl->year,
					    tl->threats[j].key, tl->threats[j].rank,
					    ctext(&tl->threats[j].label, rq->lang));
			buf_adds(b, "</optgroup>");
		}
		html_printf(b, "</select> <button type=\"submit\">%s</button></form>",
			    page_t(rq, "threats.add"));
	}
	buf_adds(b, "</section>");
}

static void reports_card(struct request *rq, struct buf *b, const char *hid, int may_write)
{
	struct err e;
	json_t *list = NULL, *v;
	size_t i;

	err_clear(&e);
	html_printf(b, "<section class=\"card reports\" id=\"reports\"><h2>%s</h2>",
		    page_t(rq, "reports.title"));
	if (may_write) {
		html_printf(b, "<form method=\"post\" action=\"/incidents/%s/reports\">", hid);
		page_csrf_field(rq, b);
		html_printf(b, "<select name=\"kind\" aria-label=\"%s\">", page_t(rq, "reports.kind"));
		for (int k = 0; k < REPORT__COUNT; k++)
			html_printf(b, "<option value=\"%s\">%s</option>", report_kind_name(k),
				    report_kind_label(k, rq->lang));
		html_printf(b, "</select> <select name=\"lang\" aria-label=\"%s\"><option value=\"ja\"%s>"
			    "日本語</option><option value=\"en\"%s>English</option></select> <select "
			    "name=\"format\" aria-label=\"%s\"><option value=\"html\">HTML</option>"
			    "<option value=\"md\">Markdown</option></select> <button type=\"submit\">"
			    "%s</button></form>", page_t(rq, "reports.lang"),
			    !strcmp(rq->lang, "ja") ? " selected" : "", !strcmp(rq->lang, "en") ?
			    " selected" : "", page_t(rq, "reports.format"), page_t(rq, "reports.generate"));
	}
	if (report_list(rq->st, &rq->actor, hid, &list, &e) == 0 && json_array_size(list)) {
		html_printf(b, "<table class=\"report-list\"><tr><th>%s</th><th>%s</th><th>%s</th>"
			    "<th>SHA-256</th></tr>", page_t(rq, "reports.kind"),
			    page_t(rq, "reports.version"), page_t(rq, "reports.created"));
		json_array_foreach(list, i, v) {
			enum report_kind k = REPORT_INCIDENT;
			report_kind_parse(str(v, "kind"), &k, NULL);
			html_printf(b, "<tr><td><a href=\"/incidents/%s/reports/%s/%lld\">%s</a> "
				    "<span class=\"muted\">%s · %s</span></td><td>%lld</td><td>%s %s</td>"
				    "<td><code>%.16s</code></td></tr>", hid, str(v, "kind"),
				    (long long)json_integer_value(json_object_get(v, "version")),
				    report_kind_label(k, rq->lang), str(v, "lang"), str(v, "format"),
				    (long long)json_integer_value(json_object_get(v, "version")),
				    str(v, "created_at"), str(v, "created_by"), str(v, "sha256"));
			if (json_integer_value(json_object_get(v, "version")) > 1) {
				long long n = (long long)json_integer_value(json_object_get(v, "version"));
				html_printf(b, "<tr class=\"compare\"><td colspan=\"4\"><a href=\"/incidents/%s/"
					    "reports/%s/%lld/diff/%lld\">%s</a></td></tr>", hid, str(v, "kind"),
					    n - 1, n, page_t(rq, "reports.compare"));
			}
		}
		buf_adds(b, "</table>");
	} else {
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "reports.none"));
	}
	json_decref(list);
	buf_adds(b, "</section>");
}

void pg_incident_items(struct request *rq, struct buf *b, const char *hid, int may_edit,
		       int may_report)
{
	struct err e;
	json_t *items = NULL;
	const char *table;

	err_clear(&e);
	if (items_get(rq->st, &rq->actor, hid, rq->lang, &items, &e) != 0)
		return;
	table = str(items, "table");
	html_printf(b, "<section class=\"card items\" id=\"items\"><h2>%s</h2>",
		    page_t(rq, "items.title"));
	missing_list(rq, b, items);
	if (may_edit) {
		html_printf(b, "<form method=\"post\" action=\"/incidents/%s/items\">", hid);
		page_csrf_field(rq, b);
	}
	items_table(rq, b, items, "appendix_c1", page_t(rq, "items.appendix_c1"), may_edit, 1);
	items_table(rq, b, items, str(items, "type"), *table ? table : page_t(rq, "items.type"),
		    may_edit, 1);
	items_table(rq, b, items, "nist_b", page_t(rq, "items.nist_b"), may_edit, 0);
	if (may_edit)
		html_printf(b, "<button type=\"submit\">%s</button></form>", page_t(rq, "items.save"));
	buf_adds(b, "</section>");
	threats_card(rq, b, hid, items, may_edit);
	reports_card(rq, b, hid, may_report);
	json_decref(items);
}

void pg_task_title(struct request *rq, struct buf *b, const json_t *task)
{
	const struct catalog *c = catalog_active();
	const char *step = json_str(task, "step"), *sheet = json_str(task, "sheet");
	const struct catalog_step *st = c && step ? catalog_step(c, step) : NULL;

	html_printf(b, "<span class=\"task-title\">%s</span>",
		    st ? ctext(&st->title, rq->lang) : str(task, "title"));
	if (sheet)
		html_printf(b, " <a class=\"sheet small\" href=\"/catalog/sheets/%s\">%s</a>", sheet,
			    page_t(rq, "tasks.sheet"));
}

/* POST /incidents/{id}/items: every item.KEY field of the form. */
int page_incident_items(struct request *rq, struct response *rs)
{
	struct incident_field values[ITEMS_SET_MAX];
	const char *hid = req_param(rq, 0);
	struct err e;
	json_t *items = NULL, *it;
	size_t n = 0, i;
	int rc;

	err_clear(&e);
	rc = items_get(rq->st, &rq->actor, hid, rq->lang, &items, &rq->err);
	if (rc)
		return rc;
	json_array_foreach(json_object_get(items, "items"), i, it) {
		char name[80];
		const char *v;
		if (*str(it, "builtin") || n == ITEMS_SET_MAX)
			continue;
		snprintf(name, sizeof(name), "item.%s", str(it, "key"));
		v = req_form(rq, name);
		if (v) {
			values[n].name = str(it, "key");
			values[n++].value = v;
		}
	}
	rc = n ? items_set(rq->st, &rq->actor, hid, values, n, &rq->err) : 0;
	rc = page_incident_finish(rq, rs, rc, hid, "saved");
	json_decref(items);
	return rc;
}

/* POST /incidents/{id}/threats: add=REF or remove=REF. */
int page_incident_threats(struct request *rq, struct response *rs)
{
	const char *hid = req_param(rq, 0), *add = req_form(rq, "add"), *rem = req_form(rq, "remove");
	const char *ref = add && *add ? add : rem;
	int rc;

	if (!ref || !*ref)
		rc = err_set(&rq->err, ERR_INVALID, "choose a threat");
	else
		rc = items_threats(rq->st, &rq->actor, hid, &ref, 1, !(add && *add), &rq->err);
	return page_incident_finish(rq, rs, rc, hid, "saved");
}

/* POST /incidents/{id}/reports: generate and keep, then back to the incident. */
int page_incident_report(struct request *rq, struct response *rs)
{
	const char *hid = req_param(rq, 0), *k = req_form(rq, "kind"), *l = req_form(rq, "lang");
	const char *f = req_form(rq, "format");
	enum report_kind kind;
	enum report_format fmt = REPORT_HTML;
	json_t *out = NULL;
	int rc;

	rc = report_kind_parse(k ? k : "", &kind, &rq->err);
	if (!rc && f && *f)
		rc = report_format_parse(f, &fmt, &rq->err);
	if (!rc)
		rc = report_generate(rq->st, &rq->actor, hid, kind, l && *l ? l : rq->lang, fmt, &out,
				     &rq->err);
	json_decref(out);
	return page_incident_finish(rq, rs, rc, hid, "report_generated");
}

/* GET /incidents/{id}/reports/{kind}/{version}: the kept report itself. */
int page_report_view(struct request *rq, struct response *rs)
{
	enum report_kind kind;
	int64_t version;
	json_t *v = NULL;
	int rc = api_report_ref(rq, &kind, &version);

	if (!rc)
		rc = report_get(rq->st, &rq->actor, req_param(rq, 0), kind, version, &v, &rq->err);
	if (rc)
		return rc;
	buf_reset(&rs->body);
	buf_adds(&rs->body, str(v, "body"));
	if (!strcmp(str(v, "format"), "html")) {
		rs->content_type = "text/html; charset=utf-8";
		rs->csp = report_html_csp();
	} else {
		rs->content_type = "text/markdown; charset=utf-8";
	}
	json_decref(v);
	return 0;
}

/* GET /incidents/{id}/reports/{kind}/{version}/diff/{other}: two versions compared. */
int page_report_diff(struct request *rq, struct response *rs)
{
	struct buf out = BUF_INIT, b = BUF_INIT, title = BUF_INIT;
	enum report_kind kind;
	int64_t v1, v2;
	char *end;
	int rc = api_report_ref(rq, &kind, &v1);

	v2 = strtoll(req_param(rq, 3), &end, 10);
	if (!rc && (*end || v2 < 1))
		rc = err_set(&rq->err, ERR_NOTFOUND, "no report version '%.20s'", req_param(rq, 3));
	if (!rc)
		rc = report_diff(rq->st, &rq->actor, req_param(rq, 0), kind, v1, v2, &out, &rq->err);
	if (rc) {
		buf_release(&out);
		return rc;
	}
	buf_addf(&title, "%s %s %lld → %lld", req_param(rq, 0), report_kind_label(kind, rq->lang),
		 (long long)v1, (long long)v2);
	page_begin(rq, &b, title.data);
	html_printf(&b, "<p class=\"crumbs\"><a href=\"/incidents/%s#reports\">%s</a></p><h1>%s</h1>"
		    "<pre class=\"diff\">", req_param(rq, 0), req_param(rq, 0), title.data);
	for (char *line = out.data, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		html_printf(&b, "<span class=\"%s\">%s</span>\n", line[0] == '+' ? "add" : line[0] == '-'
			    ? "del" : "same", line);
	}
	buf_adds(&b, "</pre>");
	page_end(rq, &b);
	buf_release(&out);
	buf_release(&title);
	return page_send(rs, &b);
}

/* GET /catalog/sheets/{sheet}: a command sheet, as text on a page. */
int page_sheet(struct request *rq, struct response *rs)
{
	const struct catalog *c = catalog_active();
	const struct catalog_sheet *sh = c ? catalog_sheet(c, req_param(rq, 0)) : NULL;
	struct buf b = BUF_INIT;

	if (!sh)
		return err_set(&rq->err, ERR_NOTFOUND, "no command sheet '%.64s'", req_param(rq, 0));
	page_begin(rq, &b, sh->title);
	html_printf(&b, "<h1>%s</h1><pre class=\"sheet\">%s</pre>", sh->title, sh->body);
	page_end(rq, &b);
	return page_send(rs, &b);
}
