/*
 * page_observable.c: the observables of an incident on its page (a table
 * with sightings as links to the other incidents the user may see, forms
 * to add one value or paste text, remove, flag IOC), and the same section
 * on its own page (/incidents/{id}/observables), where refused input is
 * shown again with the reason. Changes go through ir/observable.h.
 */
#include "ir/incident.h"
#include "ir/observable.h"
#include "ir/vocab.h"
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

static void obs_path(struct buf *b, const char *hid, const char *suffix)
{
	buf_adds(b, "/incidents/");
	url_esc(b, hid);
	buf_adds(b, "/observables");
	if (suffix)
		buf_adds(b, suffix);
}

static void sightings(struct buf *b, json_t *o)
{
	size_t i;
	json_t *h;

	json_array_foreach(json_object_get(o, "sightings"), i, h) {
		struct buf href = BUF_INIT;
		buf_adds(&href, "/incidents/");
		url_esc(&href, json_string_value(h));
		html_printf(b, "%s<a class=\"sighting\" href=\"%s\">%s</a>", i ? " " : "", href.data,
			    json_string_value(h));
		buf_release(&href);
	}
}

/* The small forms of one row: flag or unflag IOC, remove. */
static void row_forms(struct request *rq, struct buf *b, const char *hid, json_t *o)
{
	struct buf act = BUF_INIT;
	int ioc = json_is_true(json_object_get(o, "ioc"));
	long long id = (long long)json_integer_value(json_object_get(o, "id"));

	obs_path(&act, hid, NULL);
	buf_addf(&act, "/%lld/ioc", id);
	html_printf(b, "<form class=\"inline\" method=\"post\" action=\"%s\">", act.data);
	page_csrf_field(rq, b);
	html_printf(b, "<input type=\"hidden\" name=\"ioc\" value=\"%d\"><button class=\"secondary "
		       "small\" type=\"submit\">%s</button></form> ", ioc ? 0 : 1,
		    page_t(rq, ioc ? "obs.unflag" : "obs.flag"));
	buf_reset(&act);
	obs_path(&act, hid, NULL);
	buf_addf(&act, "/%lld/remove", id);
	html_printf(b, "<form class=\"inline\" method=\"post\" action=\"%s\">", act.data);
	page_csrf_field(rq, b);
	html_printf(b, "<button class=\"secondary small\" type=\"submit\">%s</button></form>",
		    page_t(rq, "obs.remove"));
	buf_release(&act);
}

static void obs_table(struct request *rq, struct buf *b, const char *hid, json_t *list, int edit)
{
	size_t i;
	json_t *o;

	if (json_array_size(list) == 0) {
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "obs.none"));
		return;
	}
	html_printf(b, "<table class=\"observables\"><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
		       "<th>%s</th>", page_t(rq, "obs.type"), page_t(rq, "obs.value"),
		    page_t(rq, "obs.tlp"), page_t(rq, "obs.sightings"));
	buf_adds(b, edit ? "<th></th></tr></thead><tbody>" : "</tr></thead><tbody>");
	json_array_foreach(list, i, o) {
		enum observable_type t = OBS_OTHER;
		const char *disp = json_str(o, "display"), *val = json_str(o, "value");

		observable_type_parse(json_str(o, "type"), &t, NULL);
		html_printf(b, "<tr data-type=\"%s\" data-value=\"%s\"><td>%s</td><td><code class=\"wrap\">%s</code>",
			    json_str(o, "type"), val, observable_type_label(t, rq->lang), disp);
		if (strcmp(disp, val) != 0)
			html_printf(b, " <span class=\"muted small\">%s</span>", val);
		if (*json_str(o, "comment"))
			html_printf(b, "<div class=\"muted small\">%s</div>", json_str(o, "comment"));
		html_printf(b, "</td><td>%s", json_str(o, "tlp"));
		if (json_is_true(json_object_get(o, "ioc")))
			html_printf(b, " <strong class=\"ioc\">%s</strong>", page_t(rq, "obs.ioc"));
		buf_adds(b, "</td><td>");
		sightings(b, o);
		buf_adds(b, "</td>");
		if (edit) {
			buf_adds(b, "<td>");
			row_forms(rq, b, hid, o);
			buf_adds(b, "</td>");
		}
		buf_adds(b, "</tr>");
	}
	buf_adds(b, "</tbody></table>");
}

static void tlp_select(struct request *rq, struct buf *b, const char *id)
{
	html_printf(b, "<label for=\"%s\">%s</label>", id, page_t(rq, "obs.tlp"));
	pg_select_vocab_name(rq, b, "tlp", id, &vocab_tlp, pg_keep(rq, "obs", "tlp", ""),
			     "obs.tlp_incident");
}

static void add_forms(struct request *rq, struct buf *b, const char *hid, int open)
{
	struct buf act = BUF_INIT;
	const char *type = pg_keep(rq, "obs", "type", "");

	obs_path(&act, hid, NULL);
	html_printf(b, "<details%s><summary>%s</summary><form class=\"stack\" method=\"post\" "
		       "action=\"%s\">", open ? " open" : "", page_t(rq, "obs.add"), act.data);
	page_csrf_field(rq, b);
	html_printf(b, "<input type=\"hidden\" name=\"_form\" value=\"obs\"><label for=\"o-type\">%s"
		       "</label><select id=\"o-type\" name=\"type\"><option value=\"\">%s</option>",
		    page_t(rq, "obs.type"), page_t(rq, "obs.guess"));
	for (int t = 0; t < OBS__COUNT; t++)
		html_printf(b, "<option value=\"%s\"%s>%s</option>",
			    observable_type_name((enum observable_type)t),
			    strcmp(type, observable_type_name((enum observable_type)t)) == 0 ? " selected" : "",
			    observable_type_label((enum observable_type)t, rq->lang));
	html_printf(b, "</select><label for=\"o-value\">%s</label><input type=\"text\" id=\"o-value\" "
		       "name=\"value\" maxlength=\"2047\" required value=\"%s\">",
		    page_t(rq, "obs.value"), pg_keep(rq, "obs", "value", ""));
	tlp_select(rq, b, "o-tlp");
	html_printf(b, "<label><input type=\"checkbox\" name=\"ioc\" value=\"1\"> %s</label>"
		       "<p><button type=\"submit\">%s</button></p></form>",
		    page_t(rq, "obs.ioc_flag"), page_t(rq, "obs.add_submit"));
	buf_reset(&act);
	obs_path(&act, hid, "/extract");
	html_printf(b, "<form class=\"stack\" method=\"post\" action=\"%s\">", act.data);
	page_csrf_field(rq, b);
	html_printf(b, "<input type=\"hidden\" name=\"_form\" value=\"obs\"><label for=\"o-text\">%s"
		       "</label><textarea id=\"o-text\" name=\"text\" rows=\"5\" maxlength=\"262144\">"
		       "%s</textarea>", page_t(rq, "obs.paste"), pg_keep(rq, "obs", "text", ""));
	tlp_select(rq, b, "o-tlp2");
	html_printf(b, "<label><input type=\"checkbox\" name=\"ioc\" value=\"1\"> %s</label>"
		       "<p><button type=\"submit\">%s</button></p></form></details>",
		    page_t(rq, "obs.ioc_flag"), page_t(rq, "obs.extract_submit"));
	buf_release(&act);
}

void pg_observables_section(struct request *rq, struct buf *b, const char *hid, int may_edit)
{
	json_t *list = NULL;
	struct err e;

	err_clear(&e);
	if (observable_list(rq->st, &rq->actor, hid, &list, &e) != 0)
		return;
	html_printf(b, "<section class=\"card\" id=\"observables\"><h2>%s</h2>",
		    page_t(rq, "obs.title"));
	obs_table(rq, b, hid, list, may_edit);
	if (may_edit)
		add_forms(rq, b, hid, rq->method && strcmp(rq->method, "POST") == 0);
	buf_adds(b, "</section>");
	json_decref(list);
}

/* The observables page; msg (may be NULL) is a refusal to show with status. */
static int render(struct request *rq, struct response *rs, unsigned status, const char *msg)
{
	struct incident inc;
	struct buf b = BUF_INIT, back = BUF_INIT;
	char saved[ERR_MSG_MAX], title[96];
	int rc;

	if (msg) {
		snprintf(saved, sizeof(saved), "%s", msg);
		msg = saved;
	}
	if ((rc = incident_get(rq->st, &rq->actor, req_param(rq, 0), &inc, &rq->err)))
		return rc;
	snprintf(title, sizeof(title), "%s %s", inc.hid, page_t(rq, "obs.title"));
	page_begin(rq, &b, title);
	buf_adds(&back, "/incidents/");
	url_esc(&back, inc.hid);
	html_printf(&b, "<div class=\"titlebar\"><h1><a href=\"%s\">%s</a> · %s</h1></div>", back.data,
		    inc.hid, page_t(rq, "obs.title"));
	if (msg)
		pg_error_box(rq, &b, "msg.not_saved", msg);
	pg_done_notice(rq, &b);
	pg_observables_section(rq, &b, inc.hid,
			       role_may(rq->actor.role, ACT_OBSERVABLE_EDIT) && !rq->actor.external);
	page_end(rq, &b);
	buf_release(&back);
	incident_release(&inc);
	rc = page_send(rs, &b);
	if (!rc && status)
		rs->status = status;
	return rc;
}

int page_observables(struct request *rq, struct response *rs)
{
	return render(rq, rs, 200, NULL);
}

int pg_after_change(struct request *rq, struct response *rs, int rc, const char *suffix,
		    const char *done, pg_render_fn render_again)
{
	struct buf loc = BUF_INIT;

	if (rc) {
		if (!pg_user_error(rc))
			return rc;
		return render_again(rq, rs, pg_status(rc), err_msg(&rq->err));
	}
	buf_adds(&loc, "/incidents/");
	url_esc(&loc, req_param(rq, 0));
	buf_adds(&loc, suffix);
	rc = pg_redirect_done(rs, loc.data, done);
	buf_release(&loc);
	return rc;
}

/* After a change: back to the incident, or the observables page with ir/'s reason. */
static int finish(struct request *rq, struct response *rs, int rc, const char *done)
{
	return pg_after_change(rq, rs, rc, "", done, render);
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

int page_observable_add(struct request *rq, struct response *rs)
{
	struct observable_new n = { 0 };
	json_t *out = NULL;
	int rc;

	n.type = nonempty(req_form(rq, "type"));
	n.value = req_form(rq, "value");
	n.tlp = nonempty(req_form(rq, "tlp"));
	n.ioc = nonempty(req_form(rq, "ioc")) != NULL;
	rc = observable_add(rq->st, &rq->actor, req_param(rq, 0), &n, &out, &rq->err);
	json_decref(out);
	return finish(rq, rs, rc, "obs_added");
}

int page_observable_extract(struct request *rq, struct response *rs)
{
	const char *text = req_form(rq, "text");
	json_t *out = NULL;
	int rc;

	rc = observable_add_text(rq->st, &rq->actor, req_param(rq, 0), text ? text : "",
				 nonempty(req_form(rq, "tlp")), nonempty(req_form(rq, "ioc")) != NULL,
				 &out, &rq->err);
	json_decref(out);
	return finish(rq, rs, rc, "obs_extracted");
}

static int obs_param(struct request *rq, int64_t *id)
{
	char *end;
	long long v = strtoll(req_param(rq, 1), &end, 10);

	if (*end || v <= 0)
		return err_set(&rq->err, ERR_NOTFOUND, "no such observable");
	*id = v;
	return 0;
}

int page_observable_ioc(struct request *rq, struct response *rs)
{
	struct observable_patch p = { NULL, -1, NULL };
	const char *ioc = req_form(rq, "ioc");
	json_t *out = NULL;
	int64_t id;
	int rc;

	if ((rc = obs_param(rq, &id)))
		return rc;
	p.ioc = ioc && strcmp(ioc, "1") == 0;
	rc = observable_update(rq->st, &rq->actor, req_param(rq, 0), id, &p, &out, &rq->err);
	json_decref(out);
	return rc == ERR_NOTFOUND ? rc : finish(rq, rs, rc, "obs_saved");
}

int page_observable_remove(struct request *rq, struct response *rs)
{
	int64_t id;
	int rc;

	if ((rc = obs_param(rq, &id)))
		return rc;
	rc = observable_remove(rq->st, &rq->actor, req_param(rq, 0), id, &rq->err);
	return rc == ERR_NOTFOUND ? rc : finish(rq, rs, rc, "obs_removed");
}
