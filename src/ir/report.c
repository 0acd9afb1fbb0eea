/*
 * report.c: generating, keeping and reading incident reports (report.h).
 *
 * A report is written through a tiny document writer (headings, label and
 * value tables, tables, paragraphs) that emits either HTML or Markdown, so
 * the two formats always say the same thing. Values the record does not
 * hold yet read "(not yet known)": an APPI report states only what is known
 * at the time, and the next version adds the rest.
 */
#include "ir/report.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/catalog.h"
#include "ir/incident.h"
#include "ir/items.h"
#include "ir/task.h"
#include "ir/timeline.h"
#include "ir/vocab.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const kind_names[] = {
#define X(N, n, ja, en) #n,
	REPORT_KINDS(X)
#undef X
};
static const char *const kind_ja[] = {
#define X(N, n, ja, en) ja,
	REPORT_KINDS(X)
#undef X
};
static const char *const kind_en[] = {
#define X(N, n, ja, en) en,
	REPORT_KINDS(X)
#undef X
};

const char *report_kind_name(enum report_kind k)
{
	return (unsigned)k < REPORT__COUNT ? kind_names[k] : "";
}

const char *report_kind_label(enum report_kind k, const char *lang)
{
	if ((unsigned)k >= REPORT__COUNT)
		return "";
	return lang && !strcmp(lang, "en") ? kind_en[k] : kind_ja[k];
}

int report_kind_parse(const char *s, enum report_kind *out, struct err *e)
{
	for (int k = 0; k < REPORT__COUNT; k++)
		if (!strcasecmp(s, kind_names[k])) {
			*out = (enum report_kind)k;
			return 0;
		}
	if (!strcasecmp(s, "appi") || !strcasecmp(s, "sokuho") || !strcmp(s, "速報"))
		*out = REPORT_APPI_PRELIMINARY;
	else if (!strcasecmp(s, "kakuho") || !strcmp(s, "確報"))
		*out = REPORT_APPI_FINAL;
	else
		return err_set(e, ERR_INVALID, "unknown report '%.40s' (one of: incident, "
			       "appi_preliminary, appi_final, notice)", s);
	return 0;
}

int report_format_parse(const char *s, enum report_format *out, struct err *e)
{
	if (!strcasecmp(s, "html"))
		*out = REPORT_HTML;
	else if (!strcasecmp(s, "md") || !strcasecmp(s, "markdown"))
		*out = REPORT_MD;
	else
		return err_set(e, ERR_INVALID, "unknown format '%.20s' (html or md)", s);
	return 0;
}

/* the document writer */

static const char style[] =
	"body{font-family:\"Noto Sans CJK JP\",\"Hiragino Sans\",Meiryo,sans-serif;max-width:"
	"48em;margin:2em auto;color:#111;line-height:1.6}h1{font-size:1.5em;border-bottom:2px "
	"solid #333}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #999}"
	"table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #999;"
	"padding:.25em .5em;text-align:left;vertical-align:top}th{background:#eee;width:30%}"
	".meta{color:#444;font-size:.9em}.unknown{color:#777}td{white-space:pre-wrap}"
	"@media print{body{margin:0;max-width:none}h2{break-after:avoid}}";

struct doc {
	struct buf *b;
	int md;
	const char *lang;
	int cols;   /* columns of the open table */
};

#define L(d, ja, en) ((d)->lang && !strcmp((d)->lang, "en") ? (en) : (ja))

static void esc(struct doc *d, const char *s)
{
	for (; s && *s; s++) {
		if (!d->md) {
			switch (*s) {
			case '&': buf_adds(d->b, "&amp;"); continue;
			case '<': buf_adds(d->b, "&lt;"); continue;
			case '>': buf_adds(d->b, "&gt;"); continue;
			case '"': buf_adds(d->b, "&quot;"); continue;
			case '\'': buf_adds(d->b, "&#39;"); continue;
			}
		} else if (*s == '|' || *s == '\\' || *s == '*' || *s == '_' || *s == '<' ||
			   *s == '`' || *s == '[') {
			buf_addch(d->b, '\\');
		} else if (*s == '\n' && d->cols) {
			buf_adds(d->b, "<br>");
			continue;
		}
		buf_addch(d->b, *s);
	}
}

static void doc_begin(struct doc *d, const char *title)
{
	if (d->md) {
		buf_adds(d->b, "# ");
		esc(d, title);
		buf_adds(d->b, "\n\n");
		return;
	}
	buf_addf(d->b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		 "<title>", d->lang);
	esc(d, title);
	buf_addf(d->b, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", style);
	esc(d, title);
	buf_adds(d->b, "</h1>\n");
}

static void doc_end(struct doc *d)
{
	if (!d->md)
		buf_adds(d->b, "</body>\n</html>\n");
}

static void heading(struct doc *d, const char *text)
{
	buf_adds(d->b, d->md ? "## " : "<h2>");
	esc(d, text);
	buf_adds(d->b, d->md ? "\n\n" : "</h2>\n");
}

static void para(struct doc *d, const char *text, const char *cls)
{
	if (!d->md)
		buf_addf(d->b, "<p%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	esc(d, text);
	buf_adds(d->b, d->md ? "\n\n" : "</p>\n");
}

static void table_begin(struct doc *d, int cols, const char *const *headers)
{
	d->cols = cols;
	buf_adds(d->b, d->md ? "|" : "<table>\n<tr>");
	for (int i = 0; i < cols; i++) {
		buf_adds(d->b, d->md ? " " : "<th>");
		esc(d, headers ? headers[i] : "");
		buf_adds(d->b, d->md ? " |" : "</th>");
	}
	buf_adds(d->b, d->md ? "\n|" : "</tr>\n");
	if (d->md) {
		for (int i = 0; i < cols; i++)
			buf_adds(d->b, "---|");
		buf_addch(d->b, '\n');
	}
}

static void row(struct doc *d, const char *const *cells)
{
	buf_adds(d->b, d->md ? "|" : "<tr>");
	for (int i = 0; i < d->cols; i++) {
		const char *v = cells[i] && *cells[i] ? cells[i] : NULL;
		if (d->md) {
			buf_addch(d->b, ' ');
			esc(d, v ? v : L(d, "(未確認)", "(not yet known)"));
			buf_adds(d->b, " |");
		} else {
			buf_adds(d->b, i == 0 && d->cols == 2 ? "<th>" : v ? "<td>"
									  : "<td class=\"unknown\">");
			esc(d, v ? v : L(d, "(未確認)", "(not yet known)"));
			buf_adds(d->b, i == 0 && d->cols == 2 ? "</th>" : "</td>");
		}
	}
	buf_adds(d->b, d->md ? "\n" : "</tr>\n");
}

static void table_end(struct doc *d)
{
	d->cols = 0;
	buf_adds(d->b, d->md ? "\n" : "</table>\n");
}

/* A label and value row of a two-column table. */
static void kv(struct doc *d, const char *label, const char *value)
{
	row(d, (const char *const[]){ label, value });
}

/* the record */

/* The string at key, "" when missing. */
static const char *js(const json_t *o, const char *key)
{
	const char *s = json_str(o, key);

	return s ? s : "";
}

struct record {
	struct incident inc;
	json_t *items;         /* items_get() */
	json_t *timeline, *tasks, *notifications;
	json_t *evidence, *observables;   /* rows as arrays of text cells */
	int breach[6];         /* personal_data, sensitive, financial, unauthorised, over_1000, gdpr */
	int has_breach;
	const struct tz *tz;
	const char *lang;
};

static const char *when(const struct record *r, int64_t t, char out[TIME_STR_MAX])
{
	if (!t)
		return "";
	time_format_zone(t, r->tz, out);
	return out;
}

/* The display value of item key ("" when unset or not an item of this incident). */
static const char *item(const struct record *r, const char *key)
{
	size_t i;
	json_t *it;

	json_array_foreach(json_object_get(r->items, "items"), i, it)
		if (!strcmp(js(it, "key"), key))
			return js(it, "display");
	return "";
}

static const char *first_of(const struct record *r, const char *a, const char *b)
{
	const char *v = item(r, a);

	return *v ? v : item(r, b);
}

static int load_notifications(struct store *st, struct record *r, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT sent_at, recipient, channel, kind, subject FROM "
				   "notifications WHERE incident_id = ? ORDER BY sent_at, id", &s, e);

	r->notifications = json_array();
	if (rc)
		return rc;
	stmt_bind_int(s, 1, r->inc.id);
	while ((rc = stmt_step(s, e)) == 1)
		json_array_append_new(r->notifications, json_pack("{s:I,s:s,s:s,s:s,s:s}",
			"sent_at", (json_int_t)stmt_int(s, 0), "recipient", stmt_text(s, 1),
			"channel", stmt_text(s, 2), "kind", stmt_text(s, 3), "subject", stmt_text(s, 4)));
	stmt_done(s);
	if (rc < 0)
		return rc;
	rc = store_prepare(st, "SELECT personal_data, sensitive, financial_risk, "
			       "unauthorised_purpose, over_1000, gdpr FROM incident_breach WHERE "
			       "incident_id = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, r->inc.id);
	rc = stmt_step(s, e);
	if (rc == 1) {
		r->has_breach = 1;
		for (int i = 0; i < 6; i++)
			r->breach[i] = (int)stmt_int(s, i);
	}
	stmt_done(s);
	return rc < 0 ? rc : 0;
}

/* The rows of sql (one incident id parameter) as arrays of text cells. */
static int rows_of(struct store *st, const char *sql, int64_t id, int ncols, json_t **out,
		   struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, sql, &s, e);

	*out = json_array();
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	while ((rc = stmt_step(s, e)) == 1) {
		json_t *row = json_array();
		for (int i = 0; i < ncols; i++)
			json_array_append_new(row, json_string(stmt_text(s, i) ? stmt_text(s, i) : ""));
		json_array_append_new(*out, row);
	}
	stmt_done(s);
	return rc < 0 ? rc : 0;
}

static int record_load(struct store *st, const struct actor *who, const char *hid,
		       const char *lang, struct record *r, struct err *e)
{
	struct task_filter tf = { 0 };
	int rc;

	memset(r, 0, sizeof(*r));
	r->tz = who->tz;
	r->lang = lang;
	rc = incident_get(st, who, hid, &r->inc, e);
	if (rc)
		return rc;
	tf.hid = r->inc.hid;
	tf.limit = 1000;
	rc = items_get(st, who, r->inc.hid, lang, &r->items, e);
	if (!rc)
		rc = timeline_list(st, who, r->inc.hid, &r->timeline, e);
	if (!rc)
		rc = task_list(st, who, &tf, &r->tasks, e);
	if (!rc)
		rc = load_notifications(st, r, e);
	/* Evidence as the locker keeps it (deleted files stay on the record). */
	if (!rc)
		rc = rows_of(st, "SELECT name, sha256, CAST(size AS TEXT), source_host, acquired_by, "
				 "CAST(acquired_at AS TEXT), CASE WHEN deleted_at IS NULL THEN '' ELSE 'deleted' "
				 "END FROM evidence WHERE incident_id = ? ORDER BY acquired_at, id", r->inc.id, 7,
			     &r->evidence, e);
	if (!rc)
		rc = rows_of(st, "SELECT type, value, tlp, CASE WHEN ioc = 1 THEN 'IOC' ELSE '' END, "
				 "comment FROM observables WHERE incident_id = ? ORDER BY type, value",
			     r->inc.id, 5, &r->observables, e);
	return rc;
}

static void record_release(struct record *r)
{
	incident_release(&r->inc);
	json_decref(r->items);
	json_decref(r->timeline);
	json_decref(r->tasks);
	json_decref(r->notifications);
	json_decref(r->evidence);
	json_decref(r->observables);
}

/* the reports */

static void meta_line(struct doc *d, const struct record *r, const struct actor *who,
		      int64_t version)
{
	char t[TIME_STR_MAX], line[512];

	time_format_zone(who->now, r->tz, t);
	snprintf(line, sizeof(line), "%s %s · %s %" PRId64 " · %s %s · %s %s", L(d, "インシデント",
		 "Incident"), r->inc.hid, L(d, "版", "version"), version, L(d, "作成", "generated"), t,
		 L(d, "作成者", "by"), who->name);
	para(d, line, "meta");
}

/* The items of one section (appendix_c1, nist_b, or the type's key). */
static void items_section(struct doc *d, const struct record *r, const char *section)
{
	size_t i;
	json_t *it;

	table_begin(d, 2, NULL);
	json_array_foreach(json_object_get(r->items, "items"), i, it)
		if (!strcmp(js(it, "section"), section))
			kv(d, js(it, "label"), js(it, "display"));
	table_end(d);
}

static void timeline_section(struct doc *d, const struct record *r)
{
	const char *hdr[] = { L(d, "日時", "When"), L(d, "種別", "Kind"), L(d, "記録者", "By"),
			      L(d, "内容", "What") };
	size_t i;
	json_t *v;

	heading(d, L(d, "時系列", "Timeline"));
	table_begin(d, 4, hdr);
	json_array_foreach(r->timeline, i, v) {
		int64_t t = 0;
		char w[TIME_STR_MAX];
		int k;
		time_parse(js(v, "occurred_at"), NULL, 0, &t, NULL);
		k = -1;
		vocab_parse(&vocab_timeline_kind, js(v, "kind"), &k, NULL);
		row(d, (const char *const[]){ when(r, t, w), vocab_label(&vocab_timeline_kind, k, d->lang),
					      js(v, "author"), js(v, "text") });
	}
	table_end(d);
}

static void actions_section(struct doc *d, const struct record *r)
{
	const struct catalog *c = catalog_active();
	const char *hdr[] = { L(d, "フェーズ", "Phase"), L(d, "対応", "Action"),
			      L(d, "状況", "Status"), L(d, "担当", "Assignee") };
	size_t i;
	json_t *v;

	heading(d, L(d, "対応内容(タスク)", "Actions (tasks)"));
	table_begin(d, 4, hdr);
	json_array_foreach(r->tasks, i, v) {
		const struct catalog_step *st = c && js(v, "step")[0] ?
			catalog_step(c, js(v, "step")) : NULL;
		enum incident_state ph = ST_NEW;
		incident_state_parse(js(v, "phase"), &ph, NULL);
		row(d, (const char *const[]){ incident_state_label(ph, d->lang),
			st ? ctext(&st->title, d->lang) : js(v, "title"),
			json_is_true(json_object_get(v, "done")) ? L(d, "完了", "done")
								 : L(d, "未完了", "open"),
			js(v, "assignee") });
	}
	table_end(d);
}

static void notifications_section(struct doc *d, const struct record *r)
{
	const char *hdr[] = { L(d, "日時", "When"), L(d, "連絡先", "To"), L(d, "手段", "Channel"),
			      L(d, "種別", "Kind"), L(d, "件名", "Subject") };
	size_t i;
	json_t *v;

	heading(d, L(d, "連絡・報告", "Notifications"));
	table_begin(d, 5, hdr);
	json_array_foreach(r->notifications, i, v) {
		char w[TIME_STR_MAX];
		row(d, (const char *const[]){ when(r, json_integer_value(json_object_get(v, "sent_at")),
						   w), js(v, "recipient"), js(v, "channel"),
					      js(v, "kind"), js(v, "subject") });
	}
	table_end(d);
}

static const char *cell(const json_t *row, size_t i)
{
	const char *s = json_string_value(json_array_get(row, i));

	return s ? s : "";
}

static void evidence_section(struct doc *d, const struct record *r)
{
	const char *hdr[] = { L(d, "ファイル", "File"), "SHA-256", L(d, "サイズ(バイト)", "Size (bytes)"),
			      L(d, "取得元", "Source"), L(d, "取得者・日時", "Acquired by, at") };
	size_t i;
	json_t *v;

	heading(d, L(d, "証拠一覧", "Evidence"));
	table_begin(d, 5, hdr);
	json_array_foreach(r->evidence, i, v) {
		char w[TIME_STR_MAX], by[200], name[600];
		snprintf(by, sizeof(by), "%s, %s", cell(v, 4), when(r, strtoll(cell(v, 5), NULL, 10), w));
		snprintf(name, sizeof(name), "%s%s", cell(v, 0), *cell(v, 6) ?
			 L(d, "(ファイル削除済み)", " (file deleted)") : "");
		row(d, (const char *const[]){ name, cell(v, 1), cell(v, 2), cell(v, 3), by });
	}
	table_end(d);
}

static void indicators_section(struct doc *d, const struct record *r)
{
	const char *hdr[] = { L(d, "種別", "Type"), L(d, "値", "Value"), "TLP", "IOC",
			      L(d, "備考", "Comment") };
	size_t i;
	json_t *v;

	heading(d, L(d, "観測された指標(オブザーバブル)", "Indicators (observables)"));
	table_begin(d, 5, hdr);
	json_array_foreach(r->observables, i, v)
		row(d, (const char *const[]){ cell(v, 0), cell(v, 1), cell(v, 2),
					      *cell(v, 3) ? cell(v, 3) : "-", *cell(v, 4) ? cell(v, 4) : "-" });
	table_end(d);
}

static void nist_fields(struct doc *d, const struct record *r)
{
	char t[6][TIME_STR_MAX], pri[32] = "", impact[256] = "";
	const struct incident *i = &r->inc;

	if (i->priority)
		snprintf(pri, sizeof(pri), "P%d%s", i->priority, i->priority_override ?
			 L(d, "(上書き)", " (override)") : "");
	for (int k = 0; k < vocab_information_impact.n; k++)
		if (i->information_impact & (1u << k))
			snprintf(impact + strlen(impact), sizeof(impact) - strlen(impact), "%s%s",
				 impact[0] ? ", " : "", vocab_label(&vocab_information_impact, k, d->lang));
	table_begin(d, 2, NULL);
	kv(d, L(d, "状態", "Status"), incident_state_label(i->state, d->lang));
	kv(d, L(d, "報告者", "Reported by"), i->reporter);
	kv(d, L(d, "対応責任者", "Handler"), i->owner);
	kv(d, L(d, "発生日時", "Started"), when(r, i->occurred_at, t[0]));
	kv(d, L(d, "発覚日時", "Discovered"), when(r, i->discovered_at, t[1]));
	kv(d, L(d, "報告受付日時", "Reported"), when(r, i->reported_at, t[2]));
	kv(d, L(d, "封じ込め日時", "Contained"), when(r, i->contained_at, t[3]));
	kv(d, L(d, "復旧日時", "Recovered"), when(r, i->recovered_at, t[4]));
	kv(d, L(d, "終結日時", "Resolved"), when(r, i->closed_at, t[5]));
	kv(d, L(d, "攻撃経路", "Attack vector"),
	   vocab_label(&vocab_attack_vector, i->attack_vector, d->lang));
	kv(d, L(d, "業務への影響度", "Functional impact"),
	   vocab_label(&vocab_functional_impact, i->functional_impact, d->lang));
	kv(d, L(d, "情報への影響", "Information impact"), impact);
	kv(d, L(d, "復旧性", "Recoverability"),
	   vocab_label(&vocab_recoverability, i->recoverability, d->lang));
	kv(d, L(d, "優先度", "Priority"), pri);
	kv(d, L(d, "TLP", "TLP"), vocab_name(&vocab_tlp, i->tlp));
	table_end(d);
}

static void incident_report(struct doc *d, const struct record *r)
{
	const char *table = js(r->items, "table");

	heading(d, L(d, "概要", "Summary"));
	para(d, r->inc.summary && *r->inc.summary ? r->inc.summary : L(d, "(未記入)", "(none yet)"),
	     NULL);
	heading(d, L(d, "基本項目(経済産業省ガイドライン付録C 表1)",
		     "Basic items (METI guideline, Appendix C table 1)"));
	items_section(d, r, "appendix_c1");
	heading(d, *table ? table : L(d, "種別ごとの項目", "Items of the type"));
	items_section(d, r, js(r->items, "type"));
	heading(d, L(d, "NIST SP 800-61 付録B の項目", "NIST SP 800-61 Appendix B fields"));
	nist_fields(d, r);
	items_section(d, r, "nist_b");
	indicators_section(d, r);
	timeline_section(d, r);
	actions_section(d, r);
	notifications_section(d, r);
	evidence_section(d, r);
}

static void appi_report(struct doc *d, const struct record *r, int final)
{
	char t[2][TIME_STR_MAX], summary[4096], criteria[512] = "";
	static const char *const crit_ja[] = { "要配慮個人情報を含む", "財産的被害が生じるおそれ",
					       "不正の目的によるおそれ", "本人の数が1,000人を超える" };
	static const char *const crit_en[] = { "special-care-required personal information",
					       "risk of financial damage", "possibly unauthorised purpose",
					       "more than 1,000 persons" };

	for (int i = 0; i < 4; i++)
		if (r->breach[i + 1])
			snprintf(criteria + strlen(criteria), sizeof(criteria) - strlen(criteria),
				 "%s%s", criteria[0] ? ", " : "", L(d, crit_ja[i], crit_en[i]));
	snprintf(summary, sizeof(summary), "%s\n%s: %s\n%s: %s", r->inc.summary && *r->inc.summary
		 ? r->inc.summary : r->inc.title, L(d, "発生日時", "Occurred"),
		 r->inc.occurred_at ? when(r, r->inc.occurred_at, t[0]) : L(d, "調査中", "under investigation"),
		 L(d, "発覚日時", "Discovered"), when(r, r->inc.discovered_at, t[1]));
	para(d, final ? L(d, "個人情報の保護に関する法律第26条第1項に基づく報告(確報)",
			  "Report under APPI article 26(1) (final report)")
		      : L(d, "個人情報の保護に関する法律第26条第1項に基づく報告(速報)",
			  "Report under APPI article 26(1) (preliminary report)"), NULL);
	heading(d, L(d, "報告者", "Reporting organisation"));
	table_begin(d, 2, NULL);
	kv(d, L(d, "事業者名", "Organisation"), item(r, "organisation"));
	kv(d, L(d, "責任者・担当者", "Responsible person"), item(r, "responsible"));
	kv(d, L(d, "連絡先", "Contact"), item(r, "contact"));
	kv(d, L(d, "報告対象となる事態", "Reportable because"), criteria);
	table_end(d);
	heading(d, L(d, "報告事項", "Reported items"));
	table_begin(d, 2, NULL);
	kv(d, L(d, "1 概要", "1 Summary"), summary);
	kv(d, L(d, "2 漏えい等が発生し、又は発生したおそれがある個人データの項目",
		"2 Personal data items leaked or possibly leaked"), item(r, "data_items"));
	kv(d, L(d, "3 漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数",
		"3 Number of persons concerned"), item(r, "persons_count"));
	kv(d, L(d, "4 原因", "4 Cause"), first_of(r, "leak_cause", "cause"));
	kv(d, L(d, "5 二次被害又はそのおそれの有無及びその内容",
		"5 Secondary damage or its risk, and what it is"), item(r, "secondary_damage"));
	kv(d, L(d, "6 本人への対応の実施状況", "6 Response to the persons"),
	   item(r, "response_to_persons"));
	kv(d, L(d, "7 公表の実施状況", "7 Publication"), first_of(r, "publication",
								    "public_disclosure"));
	kv(d, L(d, "8 再発防止のための措置", "8 Measures to prevent recurrence"),
	   item(r, "recurrence_prevention"));
	kv(d, L(d, "9 その他参考となる事項", "9 Other relevant matters"), item(r, "comments"));
	table_end(d);
	para(d, L(d, "本報告は作成時点で判明している事項に基づく。未確認の事項は判明次第、次の版で報告する。",
		  "This report states what is known at the time of writing; what is not yet known "
		  "will be reported in the next version."), "meta");
}

static void notice_report(struct doc *d, const struct record *r)
{
	char t[TIME_STR_MAX], line[1024];
	size_t i;
	json_t *v;

	para(d, L(d, "関係者各位", "To everyone concerned"), NULL);
	if (d->lang && !strcmp(d->lang, "en"))
		snprintf(line, sizeof(line), "On %s we found that \"%s\" had occurred. We sincerely "
			 "apologise for the concern and inconvenience this causes.",
			 when(r, r->inc.discovered_at, t), r->inc.title);
	else
		snprintf(line, sizeof(line), "このたび、当社において「%s」が発生したことが %s に判明しました。"
			 "関係者の皆様に多大なるご迷惑とご心配をおかけしますことを、深くお詫び申し上げます。",
			 r->inc.title, when(r, r->inc.discovered_at, t));
	para(d, line, NULL);
	heading(d, L(d, "1. 経緯と概要", "1. What happened"));
	para(d, r->inc.summary && *r->inc.summary ? r->inc.summary : L(d, "(調査中)",
									"(under investigation)"), NULL);
	heading(d, L(d, "2. 影響の範囲", "2. Who and what is affected"));
	table_begin(d, 2, NULL);
	kv(d, L(d, "対象となる情報", "Information concerned"), item(r, "data_items"));
	kv(d, L(d, "対象となる人数", "Number of persons"), item(r, "persons_count"));
	kv(d, L(d, "二次被害", "Secondary damage"), item(r, "secondary_damage"));
	table_end(d);
	heading(d, L(d, "3. これまでの対応", "3. What we have done"));
	json_array_foreach(r->tasks, i, v) {
		const struct catalog *c = catalog_active();
		const struct catalog_step *st = c && js(v, "step")[0] ?
			catalog_step(c, js(v, "step")) : NULL;
		if (json_is_true(json_object_get(v, "done")))
			para(d, st ? ctext(&st->title, d->lang) : js(v, "title"), NULL);
	}
	heading(d, L(d, "4. 再発防止策", "4. Preventing a recurrence"));
	para(d, *item(r, "recurrence_prevention") ? item(r, "recurrence_prevention")
						   : L(d, "(検討中)", "(under consideration)"), NULL);
	heading(d, L(d, "5. お問い合わせ窓口", "5. Contact"));
	para(d, *item(r, "contact") ? item(r, "contact") : L(d, "(未記入)", "(to be filled in)"), NULL);
	para(d, L(d, "※ 本文書は irdesk が記録から作成した草案です。公表前に法務・広報の確認を受けてください。",
		  "Draft generated by irdesk from the record: have legal and PR review it before "
		  "publication."), "meta");
}

static void render(struct doc *d, const struct record *r, const struct actor *who,
		   enum report_kind kind, int64_t version)
{
	char title[512];

	snprintf(title, sizeof(title), "%s: %s", report_kind_label(kind, d->lang), r->inc.title);
	doc_begin(d, title);
	meta_line(d, r, who, version);
	switch (kind) {
	case REPORT_INCIDENT: incident_report(d, r); break;
	case REPORT_APPI_PRELIMINARY: appi_report(d, r, 0); break;
	case REPORT_APPI_FINAL: appi_report(d, r, 1); break;
	case REPORT_NOTICE: notice_report(d, r); break;
	case REPORT__COUNT: break;
	}
	doc_end(d);
}

/* storage */

static void sha256_hex(const char *data, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static char csp[256];
static pthread_once_t csp_once = PTHREAD_ONCE_INIT;

static void csp_init(void)
{
	unsigned char md[32], b64[64];
	unsigned int len = 0;

	EVP_Digest(style, strlen(style), md, &len, EVP_sha256(), NULL);
	EVP_EncodeBlock(b64, md, 32);
	snprintf(csp, sizeof(csp), "default-src 'none'; style-src 'sha256-%s'; "
		 "frame-ancestors 'none'; base-uri 'none'; form-action 'none'", b64);
}

const char *report_html_csp(void)
{
	pthread_once(&csp_once, csp_init);
	return csp;
}

static json_t *version_json(struct stmt *s, int with_body)
{
	json_t *o = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s}", "incident", stmt_text(s, 0),
			      "kind", stmt_text(s, 1), "version", (json_int_t)stmt_int(s, 2),
			      "lang", stmt_text(s, 3), "format", stmt_text(s, 4),
			      "sha256", stmt_text(s, 5), "created_by", stmt_text(s, 7));

	json_set_time(o, "created_at", stmt_int(s, 6));
	if (with_body)
		json_set_str(o, "body", stmt_text(s, 8));
	return o;
}

#define VERSION_COLUMNS \
	"i.hid, r.kind, r.version, r.lang, r.format, r.sha256, r.created_at, r.created_by, r.body " \
	"FROM reports r JOIN incidents i ON i.id = r.incident_id "

int report_generate(struct store *st, const struct actor *who, const char *hid,
		    enum report_kind kind, const char *lang, enum report_format format,
		    json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX], sha[65];
	struct record r;
	struct buf body = BUF_INIT;
	struct doc d;
	struct stmt *s;
	json_t *after;
	int64_t id, version = 0;
	int rc;

	if (out)
		*out = NULL;
	if (strcmp(lang, "ja") && strcmp(lang, "en"))
		return err_set(e, ERR_INVALID, "lang: ja or en, not '%.8s'", lang);
	rc = incident_resolve(st, who, hid, ACT_REPORT_WRITE, &id, canon, e);
	if (rc)
		return rc;
	rc = store_begin(st, e);
	if (rc)
		return rc;
	rc = record_load(st, who, canon, lang, &r, e);
	if (!rc)
		rc = store_prepare(st, "SELECT COALESCE(MAX(version), 0) + 1 FROM reports WHERE "
				       "incident_id = ? AND kind = ?", &s, e);
	if (!rc) {
		stmt_bind_int(s, 1, id);
		stmt_bind_text(s, 2, report_kind_name(kind));
		rc = stmt_int_result(s, &version, e);
	}
	if (rc)
		goto rollback;
	buf_init(&body, REPORT_BODY_MAX);
	d = (struct doc){ &body, format == REPORT_MD, lang, 0 };
	render(&d, &r, who, kind, version);
	if (buf_error(&body)) {
		rc = err_set(e, ERR_TOOLONG, "the report is larger than %u bytes", REPORT_BODY_MAX);
		goto rollback;
	}
	sha256_hex(body.data, body.len, sha);
	rc = store_prepare(st, "INSERT INTO reports (incident_id, kind, version, lang, format, body, "
			       "sha256, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", &s, e);
	if (rc)
		goto rollback;
	stmt_bind_int(s, 1, id);
	stmt_bind_text(s, 2, report_kind_name(kind));
	stmt_bind_int(s, 3, version);
	stmt_bind_text(s, 4, lang);
	stmt_bind_text(s, 5, format == REPORT_MD ? "md" : "html");
	stmt_bind_text(s, 6, body.data);
	stmt_bind_text(s, 7, sha);
	stmt_bind_int(s, 8, who->now);
	stmt_bind_text(s, 9, who->name);
	rc = stmt_exec(s, e);
	if (rc)
		goto rollback;
	after = json_pack("{s:s,s:I,s:s,s:s,s:s}", "kind", report_kind_name(kind), "version",
			  (json_int_t)version, "lang", lang, "format", format == REPORT_MD ? "md" : "html",
			  "sha256", sha);
	rc = audit_append(st, who, "report.generate", "incident", canon, NULL, after, e);
	json_decref(after);
	if (!rc)
		rc = store_commit(st, e);
	if (rc)
		goto rollback;
	if (out)
		rc = report_get(st, who, canon, kind, version, out, e);
	record_release(&r);
	buf_release(&body);
	return rc;
rollback:
	store_rollback(st);
	record_release(&r);
	buf_release(&body);
	return rc;
}

int report_list(struct store *st, const struct actor *who, const char *hid, json_t **out,
		struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct stmt *s;
	int64_t id;
	int rc;

	*out = NULL;
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_READ, &id, canon, e);
	if (!rc)
		rc = store_prepare(st, "SELECT " VERSION_COLUMNS "WHERE r.incident_id = ? "
				       "ORDER BY r.created_at DESC, r.id DESC", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	*out = json_array();
	while ((rc = stmt_step(s, e)) == 1)
		json_array_append_new(*out, version_json(s, 0));
	stmt_done(s);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

int report_get(struct store *st, const struct actor *who, const char *hid,
	       enum report_kind kind, int64_t version, json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct stmt *s;
	int64_t id;
	int rc;

	*out = NULL;
	rc = incident_resolve(st, who, hid, ACT_INCIDENT_READ, &id, canon, e);
	if (!rc)
		rc = store_prepare(st, "SELECT " VERSION_COLUMNS "WHERE r.incident_id = ? AND "
				       "r.kind = ? AND r.version = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	stmt_bind_text(s, 2, report_kind_name(kind));
	stmt_bind_int(s, 3, version);
	rc = stmt_step(s, e);
	if (rc == 1) {
		*out = version_json(s, 1);
		rc = 0;
	} else if (rc == 0) {
		rc = err_set(e, ERR_NOTFOUND, "%s has no %s report version %" PRId64, canon,
			     report_kind_name(kind), version);
	}
	stmt_done(s);
	return rc;
}

/* comparing versions */

struct lines {
	const char **at;
	size_t *len;
	size_t n;
};

static int split_lines(const char *s, struct lines *l)
{
	size_t cap = 1;

	for (const char *p = s; *p; p++)
		cap += *p == '\n';
	l->n = 0;
	l->at = malloc(cap * sizeof(*l->at));
	l->len = malloc(cap * sizeof(*l->len));
	if (!l->at || !l->len)
		return ERR_NOMEM;
	while (*s) {
		size_t n = strcspn(s, "\n");
		l->at[l->n] = s;
		l->len[l->n++] = n;
		s += n + (s[n] == '\n');
	}
	return 0;
}

static int same_line(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && !memcmp(a->at[i], b->at[j], a->len[i]);
}

static void diff_line(struct buf *out, char mark, const struct lines *l, size_t i)
{
	buf_addch(out, mark);
	buf_addch(out, ' ');
	buf_add(out, l->at[i], l->len[i]);
	buf_addch(out, '\n');
}

/*
 * A line diff by longest common subsequence over the lines between the
 * common prefix and suffix (REPORT_DIFF_LINES bounds the table). Lines are written as "  same",
 * "- only in a", "+ only in b".
 */
static int diff_lines(const struct lines *a, const struct lines *b, struct buf *out)
{
	size_t pre = 0, suf = 0, na, nb, w, i, j;
	uint32_t *t;

	/* Versions share most lines: compare only what lies between the common ends. */
	while (pre < a->n && pre < b->n && same_line(a, pre, b, pre))
		pre++;
	while (suf < a->n - pre && suf < b->n - pre && same_line(a, a->n - 1 - suf, b, b->n - 1 - suf))
		suf++;
	na = a->n - pre - suf;
	nb = b->n - pre - suf;
	w = nb + 1;
	t = calloc((na + 1) * w, sizeof(*t));
	if (!t)
		return ERR_NOMEM;
	for (size_t x = na; x-- > 0;)
		for (size_t y = nb; y-- > 0;)
			t[x * w + y] = same_line(a, pre + x, b, pre + y) ? t[(x + 1) * w + y + 1] + 1
				: t[(x + 1) * w + y] > t[x * w + y + 1] ? t[(x + 1) * w + y] : t[x * w + y + 1];
	for (i = 0; i < pre; i++)
		diff_line(out, ' ', a, i);
	i = j = 0;
	while (i < na || j < nb) {
		if (i < na && j < nb && same_line(a, pre + i, b, pre + j)) {
			diff_line(out, ' ', a, pre + i++);
			j++;
		} else if (j < nb && (i == na || t[i * w + j + 1] >= t[(i + 1) * w + j])) {
			diff_line(out, '+', b, pre + j++);
		} else {
			diff_line(out, '-', a, pre + i++);
		}
	}
	for (i = a->n - suf; i < a->n; i++)
		diff_line(out, ' ', a, i);
	free(t);
	return 0;
}

int report_diff(struct store *st, const struct actor *who, const char *hid, enum report_kind kind,
		int64_t v1, int64_t v2, struct buf *out, struct err *e)
{
	json_t *a = NULL, *b = NULL;
	struct lines la = { 0 }, lb = { 0 };
	int rc;

	rc = report_get(st, who, hid, kind, v1, &a, e);
	if (!rc)
		rc = report_get(st, who, hid, kind, v2, &b, e);
	if (!rc && (split_lines(js(a, "body"), &la) || split_lines(js(b, "body"), &lb)))
		rc = err_set(e, ERR_NOMEM, "out of memory");
	if (!rc && (la.n > REPORT_DIFF_LINES || lb.n > REPORT_DIFF_LINES))
		rc = err_set(e, ERR_TOOLONG, "reports of more than %d lines are not compared",
			     REPORT_DIFF_LINES);
	if (!rc && diff_lines(&la, &lb, out))
		rc = err_set(e, ERR_NOMEM, "out of memory");
	free(la.at);
	free(la.len);
	free(lb.at);
	free(lb.len);
	json_decref(a);
	json_decref(b);
	return rc;
}
