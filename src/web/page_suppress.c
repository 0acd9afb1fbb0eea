/*
 * page_suppress.c: alert suppressions in the web UI (/suppressions): the
 * list with what each one dropped, a form to add one (prefilled from an
 * alert's "suppress" link: ?rule=&entity=&value=) and a button to remove
 * one. The calls are those of /api/v1/suppressions (ir/alert.h checks
 * the permission and writes the audit log).
 */
#include "ir/alert.h"
#include "ir/role.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "web/html.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const entities[] = { "host", "user", "ip", "process", NULL };

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* A form value, or the query's when the form has none (the prefill). */
static const char *value_of(struct request *rq, const char *name)
{
	const char *v = req_form(rq, name);

	return v ? v : req_query(rq, name);
}

static void add_form(struct request *rq, struct buf *b)
{
	const char *entity = value_of(rq, "entity");
	char key[64];

	html_printf(b, "<section class=\"card\"><h2>%s</h2>"
		       "<form method=\"post\" action=\"/suppressions\" class=\"stack\">",
		    page_t(rq, "suppress.add"));
	page_csrf_field(rq, b);
	html_printf(b, "<label>%s <input type=\"text\" name=\"rule\" required maxlength=\"200\" "
		       "value=\"%s\"></label>",
		    page_t(rq, "alerts.rule"), value_of(rq, "rule") ? value_of(rq, "rule") : "");
	html_printf(b, "<label>%s <select name=\"entity\"><option value=\"\">%s</option>",
		    page_t(rq, "suppress.entity"), page_t(rq, "suppress.any_entity"));
	for (int i = 0; entities[i]; i++) {
		snprintf(key, sizeof(key), "alerts.entity.%s", entities[i]);
		html_printf(b, "<option value=\"%s\"%s>%s</option>", entities[i],
			    entity && strcmp(entity, entities[i]) == 0 ? " selected" : "",
			    page_t(rq, key));
	}
	html_printf(b, "</select></label><label>%s <input type=\"text\" name=\"value\" "
		       "maxlength=\"500\" value=\"%s\"></label>",
		    page_t(rq, "suppress.value"), value_of(rq, "value") ? value_of(rq, "value") : "");
	html_printf(b, "<label>%s <input type=\"text\" name=\"expires\" maxlength=\"64\" "
		       "placeholder=\"now+7d\" value=\"%s\"></label>",
		    page_t(rq, "suppress.expires"),
		    value_of(rq, "expires") ? value_of(rq, "expires") : "");
	html_printf(b, "<label>%s <input type=\"text\" name=\"reason\" required maxlength=\"1000\" "
		       "value=\"%s\"></label><button type=\"submit\">%s</button></form>"
		       "<p class=\"hint muted\">%s</p></section>",
		    page_t(rq, "alerts.reason"), value_of(rq, "reason") ? value_of(rq, "reason") : "",
		    page_t(rq, "suppress.add_button"), page_t(rq, "suppress.hint"));
}

static void row(struct request *rq, struct buf *b, json_t *s, int may_edit)
{
	char key[64], exp[64], created[64];
	const char *entity = json_str(s, "entity");
	long long id = (long long)json_integer_value(json_object_get(s, "id"));

	if (entity)
		snprintf(key, sizeof(key), "alerts.entity.%s", entity);
	html_printf(b, "<tr><td>%lld</td><td><code>%s</code></td><td>%s</td><td>%s</td>"
		       "<td class=\"nowrap\">%s</td><td class=\"num\">%lld</td><td>%s"
		       "<div class=\"small muted\">%s %s</div></td><td>",
		    id, json_str(s, "rule"), entity ? page_t(rq, key) : "–",
		    json_str(s, "value") ? json_str(s, "value") : "–",
		    json_str(s, "expires_at") ? page_time(rq, pg_json_time(s, "expires_at"), exp)
					      : page_t(rq, "suppress.never"),
		    (long long)json_integer_value(json_object_get(s, "hits")), json_str(s, "reason"),
		    json_str(s, "created_by"), page_time(rq, pg_json_time(s, "created_at"), created));
	if (may_edit) {
		html_printf(b, "<form method=\"post\" action=\"/suppressions/%lld/remove\" "
			       "class=\"inline\">", id);
		page_csrf_field(rq, b);
		html_printf(b, "<button type=\"submit\" class=\"secondary small\">%s</button></form>",
			    page_t(rq, "suppress.remove"));
	}
	buf_adds(b, "</td></tr>");
}

static int render(struct request *rq, struct response *rs, unsigned status, const char *msg)
{
	struct buf b = BUF_INIT;
	char saved[ERR_MSG_MAX];
	const char *all = req_query(rq, "all");
	int may_edit = role_may(rq->actor.role, ACT_ALERT_SUPPRESS) && !rq->actor.external;
	json_t *items = NULL, *s;
	size_t i;
	int rc;

	if (msg) {
		snprintf(saved, sizeof(saved), "%s", msg);
		msg = saved;
	}
	rc = suppression_list(rq->st, &rq->actor, all && strcmp(all, "1") == 0, &items, &rq->err);
	if (rc)
		return rc;
	page_begin(rq, &b, page_t(rq, "suppress.title"));
	html_printf(&b, "<p class=\"crumbs\"><a href=\"/alerts\">%s</a></p>"
		       "<div class=\"titlebar\"><h1>%s</h1></div>",
		    page_t(rq, "nav.alerts"), page_t(rq, "suppress.title"));
	if (msg)
		pg_error_box(rq, &b, "msg.not_saved", msg);
	pg_done_notice(rq, &b);
	if (json_array_size(items) == 0) {
		html_printf(&b, "<p class=\"muted\">%s</p>", page_t(rq, "suppress.none"));
	} else {
		html_printf(&b, "<table class=\"suppressions\"><thead><tr><th>#</th><th>%s</th>"
			       "<th>%s</th><th>%s</th><th>%s</th><th class=\"num\">%s</th><th>%s</th>"
			       "<th></th></tr></thead><tbody>",
			    page_t(rq, "alerts.rule"), page_t(rq, "suppress.entity"),
			    page_t(rq, "suppress.value"), page_t(rq, "suppress.expires"),
			    page_t(rq, "suppress.hits"), page_t(rq, "alerts.reason"));
		json_array_foreach(items, i, s)
			row(rq, &b, s, may_edit);
		buf_adds(&b, "</tbody></table>");
	}
	html_printf(&b, "<p><a href=\"/suppressions%s\">%s</a></p>",
		    all && strcmp(all, "1") == 0 ? "" : "?all=1",
		    page_t(rq, all && strcmp(all, "1") == 0 ? "suppress.current" : "suppress.all"));
	json_decref(items);
	if (may_edit)
		add_form(rq, &b);
	page_end(rq, &b);
	rc = page_send(rs, &b);
	if (!rc && status)
		rs->status = status;
	return rc;
}

int page_suppressions(struct request *rq, struct response *rs)
{
	return render(rq, rs, 0, NULL);
}

int page_suppression_add(struct request *rq, struct response *rs)
{
	struct suppression_new n;
	int rc;

	memset(&n, 0, sizeof(n));
	n.rule = nonempty(req_form(rq, "rule"));
	n.entity = nonempty(req_form(rq, "entity"));
	n.value = nonempty(req_form(rq, "value"));
	n.expires = nonempty(req_form(rq, "expires"));
	n.reason = nonempty(req_form(rq, "reason"));
	rc = suppression_add(rq->st, &rq->actor, &n, NULL, &rq->err);
	if (rc)
		return pg_user_error(rc) ? render(rq, rs, pg_status(rc), err_msg(&rq->err)) : rc;
	return pg_redirect_done(rs, "/suppressions", "suppression_added");
}

int page_suppression_remove(struct request *rq, struct response *rs)
{
	const char *s = req_param(rq, 0);
	char *end;
	long long id = strtoll(s, &end, 10);
	int rc;

	if (!*s || *end || id <= 0)
		return err_set(&rq->err, ERR_NOTFOUND, "suppression %.40s not found", s);
	rc = suppression_remove(rq->st, &rq->actor, id, &rq->err);
	if (rc)
		return rc;
	return pg_redirect_done(rs, "/suppressions", "suppression_removed");
}
