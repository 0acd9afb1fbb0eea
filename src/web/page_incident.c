/*
 * page_incident.c: the incident pages: the filtered list, the create form,
 * and one incident (summary, classification and priority, the state
 * buttons the transition table allows, members, tasks, timeline) with the
 * forms that change it. Every change goes through ir/; a refusal from ir/
 * shows the page again with its message.
 */
#include "web/pages.h"
#include "ir/incident.h"
#include "ir/role.h"
#include "ir/task.h"
#include "ir/timeline.h"
#include "ir/user.h"
#include "ir/vocab.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "web/html.h"
#include "web/page.h"
#include "web/req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_PAGE 50

/* "/incidents/IR-2026-0001" (+ suffix) into b, the id percent-encoded. */
static void incident_path(struct buf *b, const char *hid, const char *suffix)
{
	buf_adds(b, "/incidents/");
	url_esc(b, hid);
	if (suffix)
		buf_adds(b, suffix);
}

static void incident_link(struct buf *b, const char *hid, const char *text)
{
	struct buf href = BUF_INIT;

	incident_path(&href, hid, NULL);
	html_printf(b, "<a href=\"%s\">%s</a>", href.data, text);
	buf_release(&href);
}

static void state_badge(struct request *rq, struct buf *b, enum incident_state s)
{
	html_printf(b, "<span class=\"state st-%s\">%s</span>", incident_state_name(s),
		    incident_state_label(s, rq->lang));
}

/* 1 when the form carried value for name (checkbox groups). */
static int form_has(struct request *rq, const char *name, const char *value)
{
	req_form(rq, name);
	for (int i = 0; i < rq->nform; i++)
		if (strcmp(rq->form[i].name, name) == 0 && strcmp(rq->form[i].value, value) == 0)
			return 1;
	return 0;
}

/* The values of a repeated form field, joined by commas. */
static void form_join(struct request *rq, const char *name, struct buf *out)
{
	int n = 0;

	req_form(rq, name);
	for (int i = 0; i < rq->nform; i++)
		if (strcmp(rq->form[i].name, name) == 0 && rq->form[i].value[0])
			buf_addf(out, "%s%s", n++ ? "," : "", rq->form[i].value);
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* Incident list */

static void list_query(struct buf *q, struct request *rq, const char *skip)
{
	static const char *const keys[] = { "state", "priority", "type", "owner", "q", "sort" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = req_query(rq, keys[i]);
		if (!v || !*v || (skip && strcmp(skip, keys[i]) == 0))
			continue;
		buf_addf(q, "%s%s=", q->len ? "&" : "", keys[i]);
		url_esc(q, v);
	}
}

static void sort_header(struct request *rq, struct buf *b, const char *key, const char *label_key,
			const char *cur)
{
	struct buf q = BUF_INIT;
	const char *next = key;
	char desc[24];

	snprintf(desc, sizeof(desc), "-%s", key);
	/* Clicking the column sorted ascending by created sorts descending. */
	if (strcmp(key, "created") == 0 && strcmp(cur, "created") == 0)
		next = desc;
	list_query(&q, rq, "sort");
	buf_addf(&q, "%ssort=%s", q.len ? "&" : "", next);
	html_printf(b, "<th><a href=\"/incidents?%s\">%s</a>%s</th>", q.data, page_t(rq, label_key),
		    strcmp(cur, key) == 0 || strcmp(cur, desc) == 0 ? " ▾" : "");
	buf_release(&q);
}

int page_incident_list(struct request *rq, struct response *rs)
{
	struct incident_filter f;
	struct incident_list l = { NULL, 0 };
	struct buf b = BUF_INIT, bad = BUF_INIT;
	const char *state = req_query(rq, "state"), *pri = req_query(rq, "priority");
	const char *type = req_query(rq, "type"), *owner = req_query(rq, "owner");
	const char *text = req_query(rq, "q"), *sort = req_query(rq, "sort");
	long long page = pg_query_int(rq, "page", 1, 100000);
	struct err e;
	int rc, i;

	memset(&f, 0, sizeof(f));
	f.type = -1;
	f.sort = SORT_CREATED_DESC;
	err_clear(&e);
	if (!state)
		state = "open";
	if (strcmp(state, "open") == 0) {
		f.open_only = 1;
	} else if (*state && strcmp(state, "all") != 0) {
		enum incident_state s;
		if (incident_state_parse(state, &s, &e) == 0)
			f.states = 1u << s;
		else
			buf_addf(&bad, "%s ", err_msg(&e));
	}
	if (pri && *pri) {
		if (vocab_parse(&vocab_priority, pri, &i, &e) == 0)
			f.priorities = 1u << (i + 1);
		else
			buf_addf(&bad, "%s ", err_msg(&e));
	}
	if (type && *type && vocab_parse(&vocab_incident_type, type, &f.type, &e) != 0) {
		f.type = -1;
		buf_addf(&bad, "%s ", err_msg(&e));
	}
	if (owner && *owner)
		f.owner = strcmp(owner, "-") == 0 ? "" : owner;
	if (text && *text)
		f.text = text;
	if (!sort || !*sort)
		sort = "-created";
	if (incident_sort_parse(sort, &f.sort, &e) != 0) {
		buf_addf(&bad, "%s ", err_msg(&e));
		sort = "-created";
		f.sort = SORT_CREATED_DESC;
	}
	if (page < 1)
		page = 1;
	f.limit = LIST_PAGE + 1;
	f.offset = (int)((page - 1) * LIST_PAGE);
	rc = incident_list(rq->st, &rq->actor, &f, &l, &rq->err);
	if (rc) {
		buf_release(&bad);
		return rc;
	}

	page_begin(rq, &b, page_t(rq, "incidents.title"));
	html_printf(&b, "<div class=\"titlebar\"><h1>%s</h1>", page_t(rq, "incidents.title"));
	if (role_may(rq->actor.role, ACT_INCIDENT_CREATE) && !rq->actor.external)
		html_printf(&b, "<a class=\"button\" href=\"/incidents/new\">%s</a>",
			    page_t(rq, "incidents.new"));
	buf_adds(&b, "</div>");
	if (bad.len)
		pg_error_box(rq, &b, "incidents.bad_filter", bad.data);

	/* Filters: a GET form, so the URL is the view. */
	buf_adds(&b, "<form class=\"filters\" method=\"get\" action=\"/incidents\">");
	html_printf(&b, "<label>%s<select name=\"state\">", page_t(rq, "incidents.state"));
	html_printf(&b, "<option value=\"open\"%s>%s</option>",
		    strcmp(state, "open") == 0 ? " selected" : "", page_t(rq, "incidents.open"));
	html_printf(&b, "<option value=\"all\"%s>%s</option>",
		    strcmp(state, "all") == 0 ? " selected" : "", page_t(rq, "incidents.all"));
	for (int s = 0; s < ST__COUNT; s++)
		html_printf(&b, "<option value=\"%s\"%s>%s</option>",
			    incident_state_name((enum incident_state)s),
			    strcmp(state, incident_state_name((enum incident_state)s)) == 0 ? " selected" : "",
			    incident_state_label((enum incident_state)s, rq->lang));
	buf_adds(&b, "</select></label>");
	html_printf(&b, "<label>%s", page_t(rq, "incidents.priority"));
	pg_select_vocab_name(rq, &b, "priority", "f-priority", &vocab_priority, pri, "incidents.any");
	html_printf(&b, "</label><label>%s", page_t(rq, "incidents.type"));
	pg_select_vocab_name(rq, &b, "type", "f-type", &vocab_incident_type, type, "incidents.any");
	html_printf(&b, "</label><label>%s<input type=\"text\" name=\"owner\" value=\"%s\" "
			"placeholder=\"%s\" size=\"10\"></label>",
		    page_t(rq, "incidents.owner"), owner ? owner : "", page_t(rq, "incidents.owner_hint"));
	html_printf(&b, "<label>%s<input type=\"search\" name=\"q\" value=\"%s\" size=\"18\"></label>",
		    page_t(rq, "incidents.search"), text ? text : "");
	html_printf(&b, "<input type=\"hidden\" name=\"sort\" value=\"%s\">", sort);
	html_printf(&b, "<button type=\"submit\">%s</button></form>", page_t(rq, "incidents.filter"));

	if (l.n == 0) {
		html_printf(&b, "<p class=\"muted\">%s</p>", page_t(rq, "incidents.none"));
	} else {
		buf_adds(&b, "<table class=\"list\"><thead><tr>");
		sort_header(rq, &b, "id", "incidents.id", sort);
		html_printf(&b, "<th>%s</th>", page_t(rq, "incidents.incident_title"));
		sort_header(rq, &b, "state", "incidents.state", sort);
		sort_header(rq, &b, "priority", "incidents.priority", sort);
		html_printf(&b, "<th>%s</th><th>%s</th>", page_t(rq, "incidents.type"),
			    page_t(rq, "incidents.owner"));
		sort_header(rq, &b, "created", "incidents.created", sort);
		sort_header(rq, &b, "updated", "incidents.updated", sort);
		buf_adds(&b, "</tr></thead><tbody>");
		for (size_t k = 0; k < l.n && k < LIST_PAGE; k++) {
			const struct incident *inc = &l.items[k];
			char t1[64], t2[64];
			buf_adds(&b, "<tr><td class=\"nowrap\">");
			incident_link(&b, inc->hid, inc->hid);
			buf_adds(&b, "</td><td>");
			incident_link(&b, inc->hid, inc->title);
			buf_adds(&b, "</td><td>");
			state_badge(rq, &b, inc->state);
			buf_adds(&b, "</td><td>");
			pg_priority(rq, &b, inc->priority);
			html_printf(&b, "</td><td>%s</td><td>%s</td><td class=\"nowrap\">%s</td>"
					"<td class=\"nowrap\">%s</td></tr>",
				    vocab_label(&vocab_incident_type, inc->type, rq->lang),
				    inc->owner[0] ? inc->owner : "–", page_time(rq, inc->created_at, t1),
				    page_time(rq, inc->updated_at, t2));
		}
		buf_adds(&b, "</tbody></table>");
		if (page > 1 || l.n > LIST_PAGE) {
			struct buf q = BUF_INIT;
			list_query(&q, rq, NULL);
			buf_adds(&b, "<p class=\"pager\">");
			if (page > 1)
				html_printf(&b, "<a href=\"/incidents?%s%spage=%lld\">← %s</a> ", q.data,
					    q.len ? "&" : "", page - 1, page_t(rq, "pager.prev"));
			html_printf(&b, "<span class=\"muted\">%s %lld</span>", page_t(rq, "pager.page"), page);
			if (l.n > LIST_PAGE)
				html_printf(&b, " <a href=\"/incidents?%s%spage=%lld\">%s →</a>", q.data,
					    q.len ? "&" : "", page + 1, page_t(rq, "pager.next"));
			buf_adds(&b, "</p>");
			buf_release(&q);
		}
	}
	page_end(rq, &b);
	incident_list_release(&l);
	buf_release(&bad);
	return page_send(rs, &b);
}

/* Create */

static const char *const time_fields[] = { "occurred_at", "discovered_at", "reported_at" };

static void new_form(struct request *rq, struct response *rs, unsigned status, const char *msg)
{
	struct buf b = BUF_INIT;
	const char *type = pg_keep(rq, "new", "type", NULL);

	page_begin(rq, &b, page_t(rq, "new.title"));
	html_printf(&b, "<h1>%s</h1>", page_t(rq, "new.title"));
	if (msg)
		pg_error_box(rq, &b, "msg.not_saved", msg);
	buf_adds(&b, "<form class=\"stack card\" method=\"post\" action=\"/incidents\">");
	page_csrf_field(rq, &b);
	buf_adds(&b, "<input type=\"hidden\" name=\"_form\" value=\"new\">");
	html_printf(&b, "<label for=\"title\">%s</label><input type=\"text\" id=\"title\" name=\"title\" "
			"value=\"%s\" maxlength=\"200\" required autofocus>",
		    page_t(rq, "incident.title"), pg_keep(rq, "new", "title", ""));
	html_printf(&b, "<label for=\"type\">%s</label>", page_t(rq, "incident.type"));
	pg_select_vocab_name(rq, &b, "type", "type", &vocab_incident_type, type ? type : "other", NULL);
	html_printf(&b, "<label for=\"summary\">%s</label><textarea id=\"summary\" name=\"summary\" "
			"rows=\"6\">%s</textarea>",
		    page_t(rq, "incident.summary"), pg_keep(rq, "new", "summary", ""));
	html_printf(&b, "<label for=\"reporter\">%s</label><input type=\"text\" id=\"reporter\" "
			"name=\"reporter\" value=\"%s\" maxlength=\"500\">",
		    page_t(rq, "incident.reporter"), pg_keep(rq, "new", "reporter", ""));
	for (size_t i = 0; i < sizeof(time_fields) / sizeof(time_fields[0]); i++) {
		char key[48];
		snprintf(key, sizeof(key), "incident.%s", time_fields[i]);
		html_printf(&b, "<label for=\"%s\">%s</label><input type=\"text\" id=\"%s\" name=\"%s\" "
				"value=\"%s\" placeholder=\"%s\">",
			    time_fields[i], page_t(rq, key), time_fields[i], time_fields[i],
			    pg_keep(rq, "new", time_fields[i], ""), page_t(rq, "time.placeholder"));
	}
	html_printf(&b, "<p class=\"hint muted\">%s</p>", page_t(rq, "time.hint"));
	html_printf(&b, "<p><button type=\"submit\">%s</button> <a href=\"/incidents\">%s</a></p></form>",
		    page_t(rq, "new.submit"), page_t(rq, "form.cancel"));
	page_end(rq, &b);
	page_send(rs, &b);
	rs->status = status;
}

int page_incident_new(struct request *rq, struct response *rs)
{
	new_form(rq, rs, 200, NULL);
	return 0;
}

int page_incident_create(struct request *rq, struct response *rs)
{
	static const char *const names[] = { "title", "type", "summary", "reporter", "occurred_at",
					     "discovered_at", "reported_at" };
	struct incident_field fields[7];
	struct incident inc;
	struct buf loc = BUF_INIT;
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = req_form(rq, names[i]);
		if (v && *v) {
			fields[n].name = names[i];
			fields[n++].value = v;
		}
	}
	rc = incident_create(rq->st, &rq->actor, fields, n, &inc, &rq->err);
	if (rc) {
		if (!pg_user_error(rc))
			return rc;
		new_form(rq, rs, pg_status(rc), err_msg(&rq->err));
		return 0;
	}
	incident_path(&loc, inc.hid, NULL);
	rc = pg_redirect_done(rs, loc.data, "created");
	buf_release(&loc);
	incident_release(&inc);
	return rc;
}

/* One incident */

struct view {
	struct incident inc;
	json_t *members, *tasks, *timeline, *users;
	enum role role;       /* the role the actor acts with here */
	const char *msg;      /* a refusal to show, or NULL */
	const char *form;     /* which form it came from (to keep its input) */
};

static int may(const struct view *v, const struct request *rq, enum action a)
{
	if (rq->actor.external) {
		switch (a) {
		case ACT_INCIDENT_REOPEN: case ACT_INCIDENT_CLOSE: case ACT_MEMBER_EDIT:
		case ACT_PRIORITY_OVERRIDE: case ACT_TIMESTAMP_EDIT:
			return 0;
		default:
			break;
		}
	}
	return role_may(v->role, a);
}

static void user_choice(struct request *rq, struct buf *b, const struct view *v, const char *name,
			const char *id, const char *selected, const char *empty_key)
{
	size_t i;
	json_t *u;

	if (!v->users) {
		html_printf(b, "<input type=\"text\" name=\"%s\" id=\"%s\" value=\"%s\">", name, id,
			    selected);
		return;
	}
	html_printf(b, "<select name=\"%s\" id=\"%s\">", name, id);
	if (empty_key)
		html_printf(b, "<option value=\"\">%s</option>", page_t(rq, empty_key));
	json_array_foreach(v->users, i, u) {
		const char *un = json_str(u, "username"), *dn = json_str(u, "display_name");
		if (!un || (json_is_true(json_object_get(u, "disabled")) && strcmp(un, selected) != 0))
			continue;
		html_printf(b, "<option value=\"%s\"%s>%s", un, strcmp(un, selected) == 0 ? " selected" : "",
			    un);
		if (dn && *dn)
			html_printf(b, " (%s)", dn);
		buf_adds(b, "</option>");
	}
	buf_adds(b, "</select>");
}

static void render_header(struct request *rq, struct buf *b, const struct view *v)
{
	const struct incident *inc = &v->inc;
	char key[64];

	html_printf(b, "<p class=\"crumbs\"><a href=\"/incidents\">%s</a> › %s</p>",
		    page_t(rq, "incidents.title"), inc->hid);
	html_printf(b, "<h1><span class=\"hid\">%s</span> <span class=\"incident-title\">%s</span></h1>",
		    inc->hid, inc->title);
	buf_adds(b, "<div class=\"facts\">");
	html_printf(b, "<span>%s ", page_t(rq, "incident.state"));
	state_badge(rq, b, inc->state);
	buf_adds(b, "</span>");
	snprintf(key, sizeof(key), "nist.%s", incident_state_nist(inc->state));
	html_printf(b, "<span>%s <strong class=\"nist\">%s</strong></span>", page_t(rq, "incident.nist"),
		    page_t(rq, key));
	snprintf(key, sizeof(key), "csf.%s", incident_state_csf(inc->state));
	html_printf(b, "<span>%s <strong class=\"csf\">%s</strong></span>", page_t(rq, "incident.csf"),
		    page_t(rq, key));
	html_printf(b, "<span>%s ", page_t(rq, "incident.priority"));
	pg_priority(rq, b, inc->priority);
	buf_adds(b, "</span>");
	html_printf(b, "<span>%s <strong>%s</strong></span>", page_t(rq, "incident.owner"),
		    inc->owner[0] ? inc->owner : page_t(rq, "incident.no_owner"));
	html_printf(b, "<span class=\"tlp\">%s</span>", vocab_label(&vocab_tlp, inc->tlp, rq->lang));
	buf_adds(b, "</div>");
}

static void render_moves(struct request *rq, struct buf *b, const struct view *v)
{
	enum incident_state next[ST__COUNT];
	int n = incident_next_states(&v->inc, next), shown = 0;
	struct buf action = BUF_INIT;

	incident_path(&action, v->inc.hid, "/move");
	html_printf(b, "<section class=\"card moves\"><h2>%s</h2>", page_t(rq, "incident.next"));
	for (int i = 0; i < n; i++) {
		const struct transition *t = incident_transition(v->inc.state, next[i]);
		if (!t || !may(v, rq, t->act))
			continue;
		shown++;
		html_printf(b, "<form class=\"move\" method=\"post\" action=\"%s\">", action.data);
		page_csrf_field(rq, b);
		html_printf(b, "<input type=\"hidden\" name=\"to\" value=\"%s\">",
			    incident_state_name(next[i]));
		if (t->needs & NEED_REASON)
			html_printf(b, "<input type=\"text\" name=\"reason\" required placeholder=\"%s\" "
					"aria-label=\"%s\">",
				    page_t(rq, "move.reason"), page_t(rq, "move.reason"));
		if (t->needs & NEED_REJECT_REASON) {
			html_printf(b, "<label class=\"small\">%s ", page_t(rq, "move.reject_reason"));
			pg_select_vocab(rq, b, "reject_reason", NULL, &vocab_reject_reason, 0, NULL);
			html_printf(b, "</label><input type=\"text\" name=\"duplicate_of\" size=\"14\" "
					"placeholder=\"%s\" aria-label=\"%s\">",
				    page_t(rq, "move.duplicate_of"), page_t(rq, "move.duplicate_of"));
		}
		if (may(v, rq, ACT_GATE_OVERRIDE) && next[i] != ST_REJECTED && next[i] > v->inc.state) {
			html_printf(b, "<label class=\"small force\"><input type=\"checkbox\" name=\"force\" "
					"value=\"1\"> %s</label>", page_t(rq, "move.force"));
			if (!(t->needs & NEED_REASON))
				html_printf(b, "<input type=\"text\" name=\"reason\" placeholder=\"%s\" "
						"aria-label=\"%s\">", page_t(rq, "move.reason"),
					    page_t(rq, "move.reason"));
		}
		html_printf(b, "<button type=\"submit\"%s>→ %s</button></form>",
			    next[i] == ST_REJECTED ? " class=\"danger\"" : "",
			    incident_state_label(next[i], rq->lang));
	}
	if (!shown)
		html_printf(b, "<p class=\"muted\">%s</p>",
			    page_t(rq, n ? "incident.no_moves_role" : "incident.no_moves"));
	else
		html_printf(b, "<p class=\"hint muted\">%s</p>", page_t(rq, "incident.gates"));
	buf_adds(b, "</section>");
	buf_release(&action);
}

static void render_times(struct request *rq, struct buf *b, const struct incident *inc)
{
	const struct { const char *key; int64_t t; } rows[] = {
		{ "incident.occurred_at", inc->occurred_at }, { "incident.discovered_at", inc->discovered_at },
		{ "incident.reported_at", inc->reported_at }, { "incident.triaged_at", inc->triaged_at },
		{ "incident.contained_at", inc->contained_at }, { "incident.recovered_at", inc->recovered_at },
		{ "incident.closed_at", inc->closed_at }, { "incident.created_at", inc->created_at },
		{ "incident.updated_at", inc->updated_at },
	};
	char t[64];

	html_printf(b, "<section class=\"card\"><h2>%s</h2><dl class=\"kv\">", page_t(rq, "incident.times"));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		html_printf(b, "<dt>%s</dt><dd>%s</dd>", page_t(rq, rows[i].key),
			    rows[i].t ? page_time(rq, rows[i].t, t) : "–");
	html_printf(b, "<dt>%s</dt><dd>%s</dd>", page_t(rq, "incident.created_by"), inc->created_by);
	buf_adds(b, "</dl></section>");
}

/* The current value of an editable field as its input shows it. */
static void field_value(struct request *rq, const struct incident *inc, const char *name,
			struct buf *out)
{
	char t[64];

	if (strcmp(name, "title") == 0) buf_adds(out, inc->title ? inc->title : "");
	else if (strcmp(name, "summary") == 0) buf_adds(out, inc->summary ? inc->summary : "");
	else if (strcmp(name, "reporter") == 0) buf_adds(out, inc->reporter ? inc->reporter : "");
	else if (strcmp(name, "owner") == 0) buf_adds(out, inc->owner);
	else if (strcmp(name, "type") == 0) buf_adds(out, vocab_name(&vocab_incident_type, inc->type));
	else if (strcmp(name, "attack_vector") == 0)
		buf_adds(out, inc->attack_vector >= 0 ? vocab_name(&vocab_attack_vector, inc->attack_vector) : "");
	else if (strcmp(name, "functional_impact") == 0)
		buf_adds(out, inc->functional_impact >= 0
			      ? vocab_name(&vocab_functional_impact, inc->functional_impact) : "");
	else if (strcmp(name, "recoverability") == 0)
		buf_adds(out, inc->recoverability >= 0
			      ? vocab_name(&vocab_recoverability, inc->recoverability) : "");
	else if (strcmp(name, "information_impact") == 0) {
		int n = 0;
		for (int i = 0; i < vocab_information_impact.n; i++)
			if (inc->information_impact & (1u << i))
				buf_addf(out, "%s%s", n++ ? "," : "", vocab_name(&vocab_information_impact, i));
	} else if (strcmp(name, "priority") == 0) {
		if (inc->priority_override)
			buf_addf(out, "P%d", inc->priority_override);
		else
			buf_adds(out, "auto");
	} else if (strcmp(name, "tlp") == 0) buf_adds(out, vocab_name(&vocab_tlp, inc->tlp));
	else if (strcmp(name, "pap") == 0) buf_adds(out, vocab_name(&vocab_pap, inc->pap));
	else if (strcmp(name, "occurred_at") == 0) buf_adds(out, pg_input_time(rq, inc->occurred_at, t));
	else if (strcmp(name, "discovered_at") == 0) buf_adds(out, pg_input_time(rq, inc->discovered_at, t));
	else if (strcmp(name, "reported_at") == 0) buf_adds(out, pg_input_time(rq, inc->reported_at, t));
	else if (strcmp(name, "triaged_at") == 0) buf_adds(out, pg_input_time(rq, inc->triaged_at, t));
	else if (strcmp(name, "contained_at") == 0) buf_adds(out, pg_input_time(rq, inc->contained_at, t));
	else if (strcmp(name, "recovered_at") == 0) buf_adds(out, pg_input_time(rq, inc->recovered_at, t));
	else if (strcmp(name, "closed_at") == 0) buf_adds(out, pg_input_time(rq, inc->closed_at, t));
}

static const char *const edit_fields[] = {
	"title", "summary", "type", "attack_vector", "functional_impact", "information_impact",
	"recoverability", "priority", "tlp", "pap", "owner", "reporter", "occurred_at",
	"discovered_at", "reported_at", "triaged_at", "contained_at", "recovered_at", "closed_at",
};
#define N_EDIT (sizeof(edit_fields) / sizeof(edit_fields[0]))
#define FIRST_LIFECYCLE_STAMP 15 /* triaged_at: needs ACT_TIMESTAMP_EDIT */

/* What the edit form shows for name: the submitted value after a refusal. */
static void edit_value(struct request *rq, const struct view *v, const char *name, struct buf *out)
{
	const char *kept;

	field_value(rq, &v->inc, name, out);
	kept = pg_keep(rq, "edit", name, NULL);
	if (kept) {
		buf_reset(out);
		buf_adds(out, kept);
	}
}

static void edit_vocab(struct request *rq, struct buf *b, const struct view *v, const char *name,
		       const struct vocab *voc, const char *label_key, const char *empty_key)
{
	struct buf cur = BUF_INIT;

	edit_value(rq, v, name, &cur);
	html_printf(b, "<label for=\"e-%s\">%s</label>", name, page_t(rq, label_key));
	{
		char id[48];
		snprintf(id, sizeof(id), "e-%s", name);
		pg_select_vocab_name(rq, b, name, id, voc, cur.data, empty_key);
	}
	buf_release(&cur);
}

static void edit_text(struct request *rq, struct buf *b, const struct view *v, const char *name,
		      const char *label_key, const char *placeholder_key)
{
	struct buf cur = BUF_INIT;

	edit_value(rq, v, name, &cur);
	html_printf(b, "<label for=\"e-%s\">%s</label><input type=\"text\" id=\"e-%s\" name=\"%s\" "
			"value=\"%s\" placeholder=\"%s\">",
		    name, page_t(rq, label_key), name, name, cur.data,
		    placeholder_key ? page_t(rq, placeholder_key) : "");
	buf_release(&cur);
}

static void render_edit(struct request *rq, struct buf *b, const struct view *v)
{
	const struct incident *inc = &v->inc;
	struct buf action = BUF_INIT, cur = BUF_INIT;
	int keep = strcmp(rq->method, "POST") == 0 && v->form && strcmp(v->form, "edit") == 0;

	incident_path(&action, inc->hid, NULL);
	html_printf(b, "<section class=\"card\"><h2>%s</h2>", page_t(rq, "incident.classification"));
	html_printf(b, "<form class=\"stack\" method=\"post\" action=\"%s\">", action.data);
	page_csrf_field(rq, b);
	html_printf(b, "<input type=\"hidden\" name=\"_form\" value=\"edit\">"
		       "<input type=\"hidden\" name=\"version\" value=\"%lld\">",
		    (long long)inc->version);
	edit_text(rq, b, v, "title", "incident.title", NULL);
	edit_value(rq, v, "summary", &cur);
	html_printf(b, "<label for=\"e-summary\">%s</label><textarea id=\"e-summary\" name=\"summary\" "
			"rows=\"5\">%s</textarea>", page_t(rq, "incident.summary"), cur.data);
	edit_vocab(rq, b, v, "type", &vocab_incident_type, "incident.type", NULL);
	edit_vocab(rq, b, v, "attack_vector", &vocab_attack_vector, "incident.attack_vector",
		   "form.unset");
	edit_vocab(rq, b, v, "functional_impact", &vocab_functional_impact,
		   "incident.functional_impact", "form.unset");
	html_printf(b, "<fieldset><legend>%s</legend>", page_t(rq, "incident.information_impact"));
	for (int i = 0; i < vocab_information_impact.n; i++) {
		const char *nm = vocab_name(&vocab_information_impact, i);
		int on = keep ? form_has(rq, "information_impact", nm)
			      : (inc->information_impact & (1u << i)) != 0;
		html_printf(b, "<label class=\"check\"><input type=\"checkbox\" name=\"information_impact\" "
				"value=\"%s\"%s> %s</label>",
			    nm, on ? " checked" : "",
			    vocab_label(&vocab_information_impact, i, rq->lang));
	}
	buf_adds(b, "</fieldset>");
	edit_vocab(rq, b, v, "recoverability", &vocab_recoverability, "incident.recoverability",
		   "form.unset");

	/* Priority: derived, or overridden with a reason. */
	buf_reset(&cur);
	edit_value(rq, v, "priority", &cur);
	html_printf(b, "<label for=\"e-priority\">%s</label>", page_t(rq, "incident.priority"));
	html_printf(b, "<p class=\"muted small\">%s ", page_t(rq, "incident.priority_derived"));
	pg_priority(rq, b, inc->priority_derived);
	if (inc->priority_override && inc->priority_reason)
		html_printf(b, " · %s: %s", page_t(rq, "incident.priority_reason"), inc->priority_reason);
	buf_adds(b, "</p>");
	if (may(v, rq, ACT_PRIORITY_OVERRIDE)) {
		html_printf(b, "<select name=\"priority\" id=\"e-priority\"><option value=\"auto\"%s>%s</option>",
			    strcmp(cur.data, "auto") == 0 ? " selected" : "",
			    page_t(rq, "incident.priority_auto"));
		for (int p = 1; p <= 4; p++) {
			char pv[16];
			snprintf(pv, sizeof(pv), "P%d", p);
			html_printf(b, "<option value=\"%s\"%s>%s</option>", pv,
				    strcmp(cur.data, pv) == 0 ? " selected" : "",
				    vocab_label(&vocab_priority, p - 1, rq->lang));
		}
		buf_adds(b, "</select>");
	}
	edit_vocab(rq, b, v, "tlp", &vocab_tlp, "incident.tlp", NULL);
	edit_vocab(rq, b, v, "pap", &vocab_pap, "incident.pap", NULL);
	buf_reset(&cur);
	edit_value(rq, v, "owner", &cur);
	html_printf(b, "<label for=\"e-owner\">%s</label>", page_t(rq, "incident.owner"));
	user_choice(rq, b, v, "owner", "e-owner", cur.data, "incident.no_owner");
	edit_text(rq, b, v, "reporter", "incident.reporter", NULL);
	edit_text(rq, b, v, "occurred_at", "incident.occurred_at", "time.placeholder");
	edit_text(rq, b, v, "discovered_at", "incident.discovered_at", "time.placeholder");
	edit_text(rq, b, v, "reported_at", "incident.reported_at", "time.placeholder");
	if (may(v, rq, ACT_TIMESTAMP_EDIT)) {
		html_printf(b, "<details><summary>%s</summary>", page_t(rq, "incident.correct_times"));
		edit_text(rq, b, v, "triaged_at", "incident.triaged_at", NULL);
		edit_text(rq, b, v, "contained_at", "incident.contained_at", NULL);
		edit_text(rq, b, v, "recovered_at", "incident.recovered_at", NULL);
		edit_text(rq, b, v, "closed_at", "incident.closed_at", NULL);
		buf_adds(b, "</details>");
	}
	if (may(v, rq, ACT_PRIORITY_OVERRIDE) || may(v, rq, ACT_TIMESTAMP_EDIT))
		html_printf(b, "<label for=\"e-reason\">%s</label><input type=\"text\" id=\"e-reason\" "
				"name=\"reason\" value=\"%s\" placeholder=\"%s\">",
			    page_t(rq, "incident.change_reason"), pg_keep(rq, "edit", "reason", ""),
			    page_t(rq, "incident.change_reason_hint"));
	html_printf(b, "<p class=\"hint muted\">%s</p>", page_t(rq, "time.hint"));
	html_printf(b, "<p><button type=\"submit\">%s</button></p></form></section>",
		    page_t(rq, "form.save"));
	buf_release(&cur);
	buf_release(&action);
}

static void render_classification_ro(struct request *rq, struct buf *b, const struct view *v)
{
	const struct incident *inc = &v->inc;

	html_printf(b, "<section class=\"card\"><h2>%s</h2><dl class=\"kv\">",
		    page_t(rq, "incident.classification"));
	html_printf(b, "<dt>%s</dt><dd>%s</dd>", page_t(rq, "incident.type"),
		    vocab_label(&vocab_incident_type, inc->type, rq->lang));
	html_printf(b, "<dt>%s</dt><dd>%s</dd>", page_t(rq, "incident.attack_vector"),
		    vocab_label(&vocab_attack_vector, inc->attack_vector, rq->lang));
	html_printf(b, "<dt>%s</dt><dd>%s</dd>", page_t(rq, "incident.functional_impact"),
		    vocab_label(&vocab_functional_impact, inc->functional_impact, rq->lang));
	html_printf(b, "<dt>%s</dt><dd>", page_t(rq, "incident.information_impact"));
	for (int i = 0, n = 0; i < vocab_information_impact.n; i++)
		if (inc->information_impact & (1u << i))
			html_printf(b, "%s%s", n++ ? ", " : "",
				    vocab_label(&vocab_information_impact, i, rq->lang));
	html_printf(b, "</dd><dt>%s</dt><dd>%s</dd>", page_t(rq, "incident.recoverability"),
		    vocab_label(&vocab_recoverability, inc->recoverability, rq->lang));
	html_printf(b, "<dt>%s</dt><dd>%s / %s</dd>", page_t(rq, "incident.tlp"),
		    vocab_label(&vocab_tlp, inc->tlp, rq->lang), vocab_label(&vocab_pap, inc->pap, rq->lang));
	html_printf(b, "<dt>%s</dt><dd>%s</dd>", page_t(rq, "incident.reporter"),
		    inc->reporter ? inc->reporter : "");
	buf_adds(b, "</dl></section>");
}

static void render_members(struct request *rq, struct buf *b, const struct view *v)
{
	size_t i;
	json_t *m;
	int edit = may(v, rq, ACT_MEMBER_EDIT);

	html_printf(b, "<section class=\"card\"><h2>%s</h2>", page_t(rq, "members.title"));
	if (!v->members || json_array_size(v->members) == 0)
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "members.none"));
	else
		buf_adds(b, "<ul class=\"members\">");
	json_array_foreach(v->members, i, m) {
		const char *un = json_str(m, "username"), *dn = json_str(m, "display_name");
		const char *rn = json_str(m, "role");
		enum role r;
		html_printf(b, "<li><strong>%s</strong>", un);
		if (dn && *dn)
			html_printf(b, " (%s)", dn);
		html_printf(b, " · %s", rn && role_parse(rn, &r, NULL) == 0 ? role_label(r, rq->lang) : rn);
		if (json_is_true(json_object_get(m, "external")))
			html_printf(b, " <span class=\"tag\">%s</span>", page_t(rq, "users.external"));
		if (edit) {
			struct buf action = BUF_INIT;
			incident_path(&action, v->inc.hid, "/members/");
			url_esc(&action, un);
			buf_adds(&action, "/remove");
			html_printf(b, " <form class=\"inline\" method=\"post\" action=\"%s\">", action.data);
			page_csrf_field(rq, b);
			html_printf(b, "<button class=\"link\" type=\"submit\" data-confirm=\"%s\">%s</button></form>",
				    page_t(rq, "members.remove_confirm"), page_t(rq, "members.remove"));
			buf_release(&action);
		}
		buf_adds(b, "</li>");
	}
	if (v->members && json_array_size(v->members))
		buf_adds(b, "</ul>");
	if (edit) {
		struct buf action = BUF_INIT;
		const char *role_kept = pg_keep(rq, "member", "role", "incident_handler");
		incident_path(&action, v->inc.hid, "/members");
		html_printf(b, "<form class=\"stack\" method=\"post\" action=\"%s\">", action.data);
		page_csrf_field(rq, b);
		buf_adds(b, "<input type=\"hidden\" name=\"_form\" value=\"member\">");
		html_printf(b, "<label for=\"m-user\">%s</label>", page_t(rq, "members.user"));
		user_choice(rq, b, v, "username", "m-user", pg_keep(rq, "member", "username", ""), NULL);
		html_printf(b, "<label for=\"m-role\">%s</label><select name=\"role\" id=\"m-role\">",
			    page_t(rq, "members.role"));
		for (int r = 0; r < ROLE__COUNT; r++)
			html_printf(b, "<option value=\"%s\"%s>%s</option>", role_name((enum role)r),
				    strcmp(role_kept, role_name((enum role)r)) == 0 ? " selected" : "",
				    role_label((enum role)r, rq->lang));
		html_printf(b, "</select><p><button type=\"submit\">%s</button></p></form>", page_t(rq, "members.add"));
		buf_release(&action);
	}
	buf_adds(b, "</section>");
}

static void render_tasks(struct request *rq, struct buf *b, const struct view *v)
{
	size_t i;
	json_t *t;
	int edit = may(v, rq, ACT_TASK_EDIT);
	char when[64];

	html_printf(b, "<section class=\"card\" id=\"tasks\"><h2>%s</h2>", page_t(rq, "tasks.title"));
	if (!v->tasks || json_array_size(v->tasks) == 0)
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "tasks.none"));
	else
		buf_adds(b, "<ul class=\"tasks\">");
	json_array_foreach(v->tasks, i, t) {
		int done = json_is_true(json_object_get(t, "done"));
		const char *ph = json_str(t, "phase"), *as = json_str(t, "assignee");
		enum incident_state s;
		long long id = (long long)json_integer_value(json_object_get(t, "id"));
		html_printf(b, "<li class=\"%s\">", done ? "done" : "open");
		if (edit) {
			struct buf action = BUF_INIT;
			incident_path(&action, v->inc.hid, "/tasks/");
			buf_addf(&action, "%lld/done", id);
			html_printf(b, "<form class=\"inline\" method=\"post\" action=\"%s\">", action.data);
			page_csrf_field(rq, b);
			html_printf(b, "<input type=\"hidden\" name=\"done\" value=\"%d\">"
					"<button class=\"secondary small\" type=\"submit\">%s</button></form> ",
				    done ? 0 : 1, page_t(rq, done ? "tasks.reopen" : "tasks.done"));
			buf_release(&action);
		}
		pg_task_title(rq, b, t);
		html_printf(b, " <span class=\"muted small\">%s",
			    ph && incident_state_parse(ph, &s, NULL) == 0 ? incident_state_label(s, rq->lang) : "");
		if (as)
			html_printf(b, " · %s", as);
		if (pg_json_time(t, "due_at"))
			html_printf(b, " · %s %s", page_t(rq, "tasks.due"),
				    page_time(rq, pg_json_time(t, "due_at"), when));
		if (done)
			html_printf(b, " · %s %s", page_t(rq, "tasks.done_at"),
				    page_time(rq, pg_json_time(t, "done_at"), when));
		buf_adds(b, "</span></li>");
	}
	if (v->tasks && json_array_size(v->tasks))
		buf_adds(b, "</ul>");
	if (edit) {
		struct buf action = BUF_INIT;
		/* Tasks belong to triage .. post_incident: offer the current state
		 * when it is one of those, else the nearest. */
		enum incident_state st = v->inc.state;
		int cur_ok = st >= ST_TRIAGE && st <= ST_POST_INCIDENT;
		const char *phase = pg_keep(rq, "task", "phase",
					    cur_ok ? "" : incident_state_name(st == ST_NEW ? ST_TRIAGE
											   : ST_POST_INCIDENT));
		incident_path(&action, v->inc.hid, "/tasks");
		html_printf(b, "<details%s><summary>%s</summary>",
			    v->form && strcmp(v->form, "task") == 0 ? " open" : "", page_t(rq, "tasks.add"));
		html_printf(b, "<form class=\"stack\" method=\"post\" action=\"%s\">", action.data);
		page_csrf_field(rq, b);
		buf_adds(b, "<input type=\"hidden\" name=\"_form\" value=\"task\">");
		html_printf(b, "<label for=\"t-title\">%s</label><input type=\"text\" id=\"t-title\" "
				"name=\"title\" value=\"%s\" maxlength=\"300\" required>",
			    page_t(rq, "tasks.task_title"), pg_keep(rq, "task", "title", ""));
		html_printf(b, "<label for=\"t-phase\">%s</label><select id=\"t-phase\" name=\"phase\">",
			    page_t(rq, "tasks.phase"));
		if (cur_ok)
			html_printf(b, "<option value=\"\">%s (%s)</option>", page_t(rq, "tasks.phase_current"),
				    incident_state_label(st, rq->lang));
		for (int s2 = ST_TRIAGE; s2 <= ST_POST_INCIDENT; s2++)
			html_printf(b, "<option value=\"%s\"%s>%s</option>",
				    incident_state_name((enum incident_state)s2),
				    strcmp(phase, incident_state_name((enum incident_state)s2)) == 0 ? " selected" : "",
				    incident_state_label((enum incident_state)s2, rq->lang));
		html_printf(b, "</select><label for=\"t-assignee\">%s</label>", page_t(rq, "tasks.assignee"));
		user_choice(rq, b, v, "assignee", "t-assignee", pg_keep(rq, "task", "assignee", ""),
			    "tasks.nobody");
		html_printf(b, "<label for=\"t-due\">%s</label><input type=\"text\" id=\"t-due\" name=\"due\" "
				"value=\"%s\" placeholder=\"%s\">",
			    page_t(rq, "tasks.due"), pg_keep(rq, "task", "due", ""), page_t(rq, "time.placeholder"));
		html_printf(b, "<p><button type=\"submit\">%s</button></p></form></details>",
			    page_t(rq, "tasks.add_submit"));
		buf_release(&action);
	}
	buf_adds(b, "</section>");
}

static void render_timeline(struct request *rq, struct buf *b, const struct view *v)
{
	size_t i;
	json_t *t;
	char when[64];

	html_printf(b, "<section class=\"card\" id=\"timeline\"><h2>%s</h2>",
		    page_t(rq, "timeline.title"));
	if (!v->timeline || json_array_size(v->timeline) == 0)
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "timeline.none"));
	else
		buf_adds(b, "<ol class=\"timeline\">");
	json_array_foreach(v->timeline, i, t) {
		const char *kind = json_str(t, "kind");
		int k = 0;
		if (!kind || vocab_parse(&vocab_timeline_kind, kind, &k, NULL) != 0)
			k = -1;
		html_printf(b, "<li class=\"tl-%s\"><div class=\"tl-head\"><time>%s</time> "
				"<span class=\"kind\">%s</span> <span class=\"muted\">%s</span></div>"
				"<div class=\"tl-text\">%s</div></li>",
			    kind ? kind : "", page_time(rq, pg_json_time(t, "occurred_at"), when),
			    k >= 0 ? vocab_label(&vocab_timeline_kind, k, rq->lang) : kind,
			    json_str(t, "author"), json_str(t, "text"));
	}
	if (v->timeline && json_array_size(v->timeline))
		buf_adds(b, "</ol>");
	if (may(v, rq, ACT_TIMELINE_ADD)) {
		struct buf action = BUF_INIT;
		const char *kind = pg_keep(rq, "timeline", "kind", "observation");
		incident_path(&action, v->inc.hid, "/timeline");
		html_printf(b, "<h3>%s</h3><form class=\"stack\" method=\"post\" action=\"%s\">",
			    page_t(rq, "timeline.add"), action.data);
		page_csrf_field(rq, b);
		buf_adds(b, "<input type=\"hidden\" name=\"_form\" value=\"timeline\">");
		html_printf(b, "<div class=\"row\"><label class=\"small\" for=\"tl-kind\">%s</label>"
				"<select id=\"tl-kind\" name=\"kind\">", page_t(rq, "timeline.kind"));
		for (int k = 0; k < vocab_timeline_kind.n; k++) {
			if (k == TLK_STATE_CHANGE)
				continue;
			html_printf(b, "<option value=\"%s\"%s>%s</option>", vocab_name(&vocab_timeline_kind, k),
				    strcmp(kind, vocab_name(&vocab_timeline_kind, k)) == 0 ? " selected" : "",
				    vocab_label(&vocab_timeline_kind, k, rq->lang));
		}
		html_printf(b, "</select><label class=\"small\" for=\"tl-when\">%s</label>"
				"<input type=\"text\" id=\"tl-when\" name=\"occurred_at\" value=\"%s\" "
				"placeholder=\"%s\" size=\"18\"></div>",
			    page_t(rq, "timeline.occurred_at"), pg_keep(rq, "timeline", "occurred_at", ""),
			    page_t(rq, "timeline.now"));
		html_printf(b, "<label for=\"tl-text\">%s</label><textarea id=\"tl-text\" name=\"text\" "
				"rows=\"3\" required>%s</textarea>",
			    page_t(rq, "timeline.text"), pg_keep(rq, "timeline", "text", ""));
		html_printf(b, "<p><button type=\"submit\">%s</button></p></form>", page_t(rq, "timeline.submit"));
		buf_release(&action);
	}
	buf_adds(b, "</section>");
}

/* The page is long: a bar of links to its cards, in the order they come, with
 * the open-task count, so that a handler reaches clocks or tasks in one click. */
static void render_section_nav(struct request *rq, struct buf *b, const struct view *v)
{
	static const struct {
		const char *id, *key;
	} sec[] = {
		{ "summary", "incident.summary" },   { "clocks", "clock.title" },
		{ "notifications", "notify.title" }, { "tasks", "tasks.title" },
		{ "items", "items.title" },          { "reports", "reports.title" },
		{ "timeline", "timeline.title" },    { "evidence", "evidence.title" },
		{ "observables", "obs.title" },      { "lessons", "lessons.title" },
	};
	size_t open = 0, i;
	json_t *t;

	json_array_foreach(v->tasks, i, t)
		open += !json_is_true(json_object_get(t, "done"));
	html_printf(b, "<nav class=\"sections\" aria-label=\"%s\">", page_t(rq, "incident.sections"));
	for (i = 0; i < sizeof(sec) / sizeof(sec[0]); i++) {
		html_printf(b, "<a href=\"#%s\">%s", sec[i].id, page_t(rq, sec[i].key));
		if (strcmp(sec[i].id, "tasks") == 0 && open)
			html_printf(b, " <span class=\"count\">%d</span>", (int)open);
		buf_adds(b, "</a>");
	}
	buf_adds(b, "</nav>");
}

static void view_release(struct view *v)
{
	incident_release(&v->inc);
	json_decref(v->members);
	json_decref(v->tasks);
	json_decref(v->timeline);
	json_decref(v->users);
}

/*
 * Render the incident in the path. msg, when not NULL, is a refusal from
 * ir/ shown at the top with status. Returns a code only when the incident
 * cannot be shown (not found: the error page).
 */
static int render_incident(struct request *rq, struct response *rs, unsigned status, const char *msg)
{
	struct view v;
	struct task_filter tf;
	struct buf b = BUF_INIT;
	struct err e;
	char saved[ERR_MSG_MAX];
	const char *hid = req_param(rq, 0);
	int rc;

	memset(&v, 0, sizeof(v));
	/* msg may point into rq->err, which the loads below reuse. */
	if (msg) {
		snprintf(saved, sizeof(saved), "%s", msg);
		msg = saved;
	}
	v.msg = msg;
	v.form = strcmp(rq->method, "POST") == 0 ? req_form(rq, "_form") : NULL;
	rc = incident_get(rq->st, &rq->actor, hid, &v.inc, &rq->err);
	if (rc) {
		incident_release(&v.inc);
		return rc;
	}
	v.role = rq->actor.role;
	err_clear(&e);
	if (incident_members(rq->st, &rq->actor, v.inc.hid, &v.members, &e) != 0)
		v.members = NULL;
	if (rq->actor.external) {
		size_t i;
		json_t *m;
		v.role = ROLE_VIEWER;
		json_array_foreach(v.members, i, m) {
			const char *un = json_str(m, "username"), *rn = json_str(m, "role");
			if (un && rn && strcmp(un, rq->actor.name) == 0)
				role_parse(rn, &v.role, NULL);
		}
	}
	memset(&tf, 0, sizeof(tf));
	tf.hid = v.inc.hid;
	if (task_list(rq->st, &rq->actor, &tf, &v.tasks, &e) != 0)
		v.tasks = NULL;
	rc = timeline_list(rq->st, &rq->actor, v.inc.hid, &v.timeline, &rq->err);
	if (rc) {
		view_release(&v);
		return rc;
	}
	if (user_list(rq->st, &rq->actor, &v.users, &e) != 0)
		v.users = NULL;

	page_begin(rq, &b, v.inc.hid);
	render_header(rq, &b, &v);
	if (msg)
		pg_error_box(rq, &b, "msg.not_saved", msg);
	pg_done_notice(rq, &b);
	render_moves(rq, &b, &v);
	render_section_nav(rq, &b, &v);
	buf_adds(&b, "<div class=\"cols\"><div class=\"col-main\">");
	html_printf(&b, "<section class=\"card\" id=\"summary\"><h2>%s</h2><div class=\"summary\">%s</div>"
		    "</section>",
		    page_t(rq, "incident.summary"),
		    v.inc.summary && *v.inc.summary ? v.inc.summary : "");
	if (v.inc.state == ST_REJECTED && v.inc.reject_reason >= 0) {
		html_printf(&b, "<p class=\"notice\">%s: %s", page_t(rq, "move.reject_reason"),
			    vocab_label(&vocab_reject_reason, v.inc.reject_reason, rq->lang));
		if (v.inc.duplicate_hid[0]) {
			buf_adds(&b, " · ");
			incident_link(&b, v.inc.duplicate_hid, v.inc.duplicate_hid);
		}
		buf_adds(&b, "</p>");
	}
	pg_killchain_bar(rq, &b, v.inc.hid, may(&v, rq, ACT_INCIDENT_EDIT));
	/* What has a deadline or is to be done comes first, then the record. */
	pg_notify_sections(rq, &b, v.inc.hid, may(&v, rq, ACT_NOTIFY_RECORD),
			   may(&v, rq, ACT_INCIDENT_EDIT));
	render_tasks(rq, &b, &v);
	pg_incident_items(rq, &b, v.inc.hid, may(&v, rq, ACT_INCIDENT_EDIT),
			  may(&v, rq, ACT_REPORT_WRITE));
	render_timeline(rq, &b, &v);
	page_evidence_section(rq, &b, v.inc.hid);
	pg_observables_section(rq, &b, v.inc.hid, may(&v, rq, ACT_OBSERVABLE_EDIT));
	pg_lessons_card(rq, &b, v.inc.hid);
	buf_adds(&b, "</div><div class=\"col-side\">");
	if (may(&v, rq, ACT_INCIDENT_EDIT))
		render_edit(rq, &b, &v);
	else
		render_classification_ro(rq, &b, &v);
	render_members(rq, &b, &v);
	render_times(rq, &b, &v.inc);
	buf_adds(&b, "</div></div>");
	page_end(rq, &b);
	view_release(&v);
	rc = page_send(rs, &b);
	if (!rc && status)
		rs->status = status;
	return rc;
}

int page_incident_show(struct request *rq, struct response *rs)
{
	return render_incident(rq, rs, 200, NULL);
}

/*
 * After a change: redirect to the incident (POST-redirect-GET) on success;
 * show it again with ir/'s message when the user can fix the problem.
 */
static int finish(struct request *rq, struct response *rs, int rc, const char *hid, const char *done)
{
	struct buf loc = BUF_INIT;

	if (rc) {
		if (!pg_user_error(rc))
			return rc;
		return render_incident(rq, rs, pg_status(rc), err_msg(&rq->err));
	}
	incident_path(&loc, hid, NULL);
	rc = pg_redirect_done(rs, loc.data, done);
	buf_release(&loc);
	return rc;
}

int page_incident_finish(struct request *rq, struct response *rs, int rc, const char *hid,
			 const char *done)
{
	return finish(rq, rs, rc, hid, done);
}

int page_incident_edit(struct request *rq, struct response *rs)
{
	struct incident cur, out;
	struct incident_field fields[N_EDIT];
	struct buf vals[N_EDIT];
	const char *ver = req_form(rq, "version");
	int64_t version = ver ? strtoll(ver, NULL, 10) : 0;
	size_t n = 0;
	int rc;

	rc = incident_get(rq->st, &rq->actor, req_param(rq, 0), &cur, &rq->err);
	if (rc) {
		incident_release(&cur);
		return rc;
	}
	/* Send only what the form changed, so that fields the actor may not
	 * change (priority, lifecycle stamps) are not touched by saving others. */
	for (size_t i = 0; i < N_EDIT; i++) {
		struct buf now = BUF_INIT;
		buf_init(&vals[i], 0);
		if (strcmp(edit_fields[i], "information_impact") == 0) {
			if (!req_form(rq, "_form"))
				continue;
			form_join(rq, "information_impact", &vals[i]);
		} else {
			const char *s = req_form(rq, edit_fields[i]);
			if (!s)
				continue;
			buf_adds(&vals[i], s);
		}
		field_value(rq, &cur, edit_fields[i], &now);
		if (strcmp(now.data, vals[i].data) != 0) {
			fields[n].name = edit_fields[i];
			fields[n++].value = vals[i].data;
		}
		buf_release(&now);
	}
	if (n == 0) {
		rc = 0;
	} else {
		rc = incident_update(rq->st, &rq->actor, cur.hid, fields, n,
				     nonempty(req_form(rq, "reason")), version, &out, &rq->err);
		incident_release(&out);
	}
	for (size_t i = 0; i < N_EDIT; i++)
		buf_release(&vals[i]);
	rc = finish(rq, rs, rc, cur.hid, n ? "saved" : "unchanged");
	incident_release(&cur);
	return rc;
}

int page_incident_move(struct request *rq, struct response *rs)
{
	struct incident_move m;
	struct incident out;
	enum incident_state to;
	const char *hid = req_param(rq, 0), *tos = req_form(rq, "to");
	char canon[INCIDENT_HID_MAX];
	int rc;

	memset(&m, 0, sizeof(m));
	snprintf(canon, sizeof(canon), "%s", hid);
	rc = incident_state_parse(tos ? tos : "", &to, &rq->err);
	if (!rc) {
		m.reason = nonempty(req_form(rq, "reason"));
		m.reject_reason = nonempty(req_form(rq, "reject_reason"));
		m.duplicate_of = nonempty(req_form(rq, "duplicate_of"));
		m.force = req_form(rq, "force") != NULL;
		rc = incident_move(rq->st, &rq->actor, hid, to, &m, &out, &rq->err);
		if (!rc)
			snprintf(canon, sizeof(canon), "%s", out.hid);
		incident_release(&out);
	}
	return finish(rq, rs, rc, canon, "moved");
}

int page_incident_member_add(struct request *rq, struct response *rs)
{
	const char *user = req_form(rq, "username"), *role = req_form(rq, "role");
	int rc;

	if (!user || !*user)
		rc = err_set(&rq->err, ERR_INVALID, "%s", page_t(rq, "members.need_user"));
	else
		rc = incident_member_set(rq->st, &rq->actor, req_param(rq, 0), user,
					 role && *role ? role : "incident_handler", &rq->err);
	return finish(rq, rs, rc, req_param(rq, 0), "member_added");
}

int page_incident_member_remove(struct request *rq, struct response *rs)
{
	int rc = incident_member_remove(rq->st, &rq->actor, req_param(rq, 0), req_param(rq, 1),
					&rq->err);

	return finish(rq, rs, rc, req_param(rq, 0), "member_removed");
}

int page_incident_task_add(struct request *rq, struct response *rs)
{
	struct task_new t;
	json_t *out = NULL;
	int rc;

	memset(&t, 0, sizeof(t));
	t.title = req_form(rq, "title");
	t.phase = nonempty(req_form(rq, "phase"));
	t.assignee = nonempty(req_form(rq, "assignee"));
	t.due = nonempty(req_form(rq, "due"));
	if (!t.title)
		t.title = "";
	rc = task_add(rq->st, &rq->actor, req_param(rq, 0), &t, &out, &rq->err);
	json_decref(out);
	return finish(rq, rs, rc, req_param(rq, 0), "task_added");
}

int page_incident_task_done(struct request *rq, struct response *rs)
{
	const char *ids = req_param(rq, 1), *done = req_form(rq, "done");
	char *end;
	long long id = strtoll(ids, &end, 10);
	json_t *out = NULL;
	int rc;

	if (*end || id <= 0)
		return err_set(&rq->err, ERR_NOTFOUND, "no such task");
	rc = task_set_done(rq->st, &rq->actor, id, !done || strcmp(done, "0") != 0, &out, &rq->err);
	json_decref(out);
	if (rc == ERR_NOTFOUND)
		return rc;
	return finish(rq, rs, rc, req_param(rq, 0), "task_saved");
}

int page_incident_timeline_add(struct request *rq, struct response *rs)
{
	const char *text = req_form(rq, "text");
	json_t *out = NULL;
	int rc;

	rc = timeline_add(rq->st, &rq->actor, req_param(rq, 0), nonempty(req_form(rq, "kind")),
			  nonempty(req_form(rq, "occurred_at")), text ? text : "", &out, &rq->err);
	json_decref(out);
	return finish(rq, rs, rc, req_param(rq, 0), "timeline_added");
}
