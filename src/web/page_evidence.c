/*
 * page_evidence.c: evidence in the web UI: the evidence section of the
 * incident page (items with their hashes, the upload form, which streams
 * through web/api_evidence.c) and the item page with its chain of custody
 * and the custody, verification, hold and deletion forms.
 */
#include "ir/evidence.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/time.h"
#include "web/api.h"
#include "web/html.h"
#include "web/http.h"
#include "web/page.h"
#include "web/pages.h"
#include "web/req.h"

#include <stdio.h>
#include <string.h>

/* "/incidents/HID/evidence[/ID]" into b. */
static void item_path(struct buf *b, const char *hid, long long id)
{
	buf_adds(b, "/incidents/");
	url_esc(b, hid);
	buf_adds(b, "/evidence");
	if (id)
		buf_addf(b, "/%lld", id);
}

static const char *when(struct request *rq, json_t *o, const char *key, char out[64])
{
	return page_time(rq, pg_json_time(o, key), out);
}

static const char *state_key(json_t *v)
{
	if (json_is_true(json_object_get(v, "deleted")))
		return "evidence.deleted";
	return json_str(v, "checked_out_to") ? "evidence.state_out" : "evidence.in_locker";
}

/* A labelled text input of the upload form; attrs is trusted markup ("required", ...). */
static void upload_field(struct request *rq, struct buf *b, const char *name, const char *label,
			 const char *attrs, const char *placeholder)
{
	html_printf(b, "<label for=\"ev-%s\">%s</label><input id=\"ev-%s\" name=\"%s\" ", name,
		    page_t(rq, label), name, name);
	buf_adds(b, attrs);
	if (placeholder)
		html_printf(b, " placeholder=\"%s\"", page_t(rq, placeholder));
	buf_adds(b, ">");
}

static void render_upload(struct request *rq, struct buf *b, const char *hid)
{
	struct buf action = BUF_INIT;

	item_path(&action, hid, 0);
	/* The body streams to disk before any form field is read: the CSRF token rides in the URL. */
	buf_adds(&action, "?csrf=");
	url_esc(&action, rq->session.csrf);
	html_printf(b, "<details><summary>%s</summary><form method=\"post\" action=\"%s\" "
		       "enctype=\"multipart/form-data\">", page_t(rq, "evidence.upload"), action.data);
	html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "evidence.upload_hint"));
	upload_field(rq, b, "source", "evidence.source", "required maxlength=\"255\"", NULL);
	upload_field(rq, b, "acquired_at", "evidence.acquired_at", "required", "time.placeholder");
	upload_field(rq, b, "acquired_by", "evidence.acquired_by", "maxlength=\"200\"", NULL);
	html_printf(b, "<label for=\"ev-desc\">%s</label><textarea id=\"ev-desc\" name=\"description\" "
		       "rows=\"2\"></textarea>", page_t(rq, "evidence.description"));
	upload_field(rq, b, "retain_until", "evidence.retain_until", "", "evidence.retain_default");
	html_printf(b, "<label for=\"ev-file\">%s</label><input id=\"ev-file\" type=\"file\" "
		       "name=\"file\" required><button type=\"submit\">%s</button></form></details>",
		    page_t(rq, "evidence.file"), page_t(rq, "evidence.upload_submit"));
	buf_release(&action);
}

void page_evidence_section(struct request *rq, struct buf *b, const char *hid)
{
	json_t *items, *v;
	struct err e;
	size_t i;

	err_clear(&e);
	/* Accounts that may not see evidence see no section at all. */
	if (evidence_list(rq->st, &rq->actor, hid, 1, &items, &e) != 0)
		return;
	html_printf(b, "<section class=\"card\" id=\"evidence\"><h2>%s</h2>", page_t(rq, "evidence.title"));
	if (json_array_size(items) == 0)
		html_printf(b, "<p class=\"muted\">%s</p>", page_t(rq, "evidence.none"));
	else
		html_printf(b, "<table><thead><tr><th>#</th><th>%s</th><th>%s</th><th>SHA-256</th>"
			       "<th>%s</th><th>%s</th></tr></thead><tbody>",
			    page_t(rq, "evidence.name"), page_t(rq, "evidence.size"),
			    page_t(rq, "evidence.acquired"), page_t(rq, "evidence.state"));
	json_array_foreach(items, i, v) {
		struct buf href = BUF_INIT;
		char at[64];
		long long id = (long long)json_integer_value(json_object_get(v, "id"));
		item_path(&href, hid, id);
		html_printf(b, "<tr><td>%lld</td><td><a href=\"%s\">%s</a></td><td>%lld</td>"
			       "<td><code>%s</code></td><td>%s</td><td>%s%s</td></tr>",
			    id, href.data, json_str(v, "name"),
			    (long long)json_integer_value(json_object_get(v, "size")),
			    json_str(v, "sha256"), when(rq, v, "acquired_at", at),
			    page_t(rq, state_key(v)),
			    json_is_true(json_object_get(v, "legal_hold")) ||
					    json_is_true(json_object_get(v, "incident_hold"))
				    ? page_t(rq, "evidence.held_mark") : "");
		buf_release(&href);
	}
	if (json_array_size(items))
		buf_adds(b, "</tbody></table>");
	render_upload(rq, b, hid);
	buf_adds(b, "</section>");
	json_decref(items);
}

static void kv(struct buf *b, const char *label, const char *value)
{
	html_printf(b, "<dt>%s</dt><dd>%s</dd>", label, value ? value : "");
}

static void render_facts(struct request *rq, struct buf *b, json_t *v)
{
	char at[64], ret[64], ver[64], size[32];
	struct buf hold = BUF_INIT;
	const char *verified = json_str(v, "verified");

	snprintf(size, sizeof(size), "%lld", (long long)json_integer_value(json_object_get(v, "size")));
	buf_adds(&hold, json_is_true(json_object_get(v, "legal_hold")) ? page_t(rq, "evidence.hold_item") : "");
	if (json_is_true(json_object_get(v, "incident_hold")))
		buf_addf(&hold, "%s%s", hold.len ? ", " : "", page_t(rq, "evidence.hold_incident"));
	buf_adds(b, "<dl class=\"kv\">");
	html_printf(b, "<dt>SHA-256</dt><dd><code>%s</code></dd>", json_str(v, "sha256"));
	kv(b, page_t(rq, "evidence.size"), size);
	kv(b, page_t(rq, "evidence.media_type"), json_str(v, "media_type"));
	kv(b, page_t(rq, "evidence.source"), json_str(v, "source_host"));
	kv(b, page_t(rq, "evidence.acquired_at"), when(rq, v, "acquired_at", at));
	kv(b, page_t(rq, "evidence.acquired_by"), json_str(v, "acquired_by"));
	html_printf(b, "<dt>%s</dt><dd>%s%s</dd>", page_t(rq, "evidence.retain_until"),
		    when(rq, v, "retain_until", ret),
		    json_is_true(json_object_get(v, "due")) ? page_t(rq, "evidence.due") : "");
	kv(b, page_t(rq, "evidence.legal_hold"), hold.len ? hold.data : page_t(rq, "evidence.no"));
	kv(b, page_t(rq, "evidence.state"), page_t(rq, state_key(v)));
	if (json_str(v, "checked_out_to"))
		kv(b, page_t(rq, "evidence.checked_out"), json_str(v, "checked_out_to"));
	html_printf(b, "<dt>%s</dt><dd>%s %s</dd>", page_t(rq, "evidence.verified"),
		    verified ? page_t(rq, strcmp(verified, "match") == 0 ? "evidence.act.verified"
									  : "evidence.act.mismatch")
			     : page_t(rq, "evidence.verified_never"),
		    when(rq, v, "verified_at", ver));
	if (json_is_true(json_object_get(v, "deleted")))
		html_printf(b, "<dt>%s</dt><dd>%s · %s</dd>", page_t(rq, "evidence.deleted"),
			    json_str(v, "deleted_by"), json_str(v, "delete_reason"));
	kv(b, page_t(rq, "evidence.description"), json_str(v, "description"));
	buf_adds(b, "</dl>");
	buf_release(&hold);
}

static void render_custody(struct request *rq, struct buf *b, json_t *custody)
{
	size_t i;
	json_t *c;

	html_printf(b, "<section class=\"card\"><h2>%s</h2><table><thead><tr><th>%s</th><th>%s</th>"
		       "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
		    page_t(rq, "evidence.custody"), page_t(rq, "evidence.at"), page_t(rq, "evidence.by"),
		    page_t(rq, "evidence.action"), page_t(rq, "evidence.from"), page_t(rq, "evidence.to"),
		    page_t(rq, "evidence.purpose"), page_t(rq, "evidence.detail"));
	json_array_foreach(custody, i, c) {
		char at[64], key[48];
		snprintf(key, sizeof(key), "evidence.act.%s", json_str(c, "action"));
		html_printf(b, "<tr class=\"custody-%s\"><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
			       "<td>%s</td><td>%s</td><td><code>%s</code></td></tr>",
			    json_str(c, "action"), when(rq, c, "at", at), json_str(c, "actor"),
			    page_t(rq, key), json_str(c, "from") ? json_str(c, "from") : "",
			    json_str(c, "to") ? json_str(c, "to") : "",
			    json_str(c, "purpose") ? json_str(c, "purpose") : "",
			    json_str(c, "detail") ? json_str(c, "detail") : "");
	}
	buf_adds(b, "</tbody></table></section>");
}

/* One action form: op, its text fields (NULL-terminated name/label-key pairs) and button. */
static void op_form(struct request *rq, struct buf *b, const char *action, const char *op,
		    const char *const *fields, const char *button)
{
	html_printf(b, "<form method=\"post\" action=\"%s\" class=\"evidence-%s\">", action, op);
	page_csrf_field(rq, b);
	html_printf(b, "<input type=\"hidden\" name=\"op\" value=\"%s\">", op);
	for (int i = 0; fields && fields[i]; i += 2)
		html_printf(b, "<label for=\"%s-%s\">%s</label><input id=\"%s-%s\" name=\"%s\" required>",
			    op, fields[i], page_t(rq, fields[i + 1]), op, fields[i], fields[i]);
	html_printf(b, "<button type=\"submit\" class=\"%s\">%s</button></form>",
		    strcmp(op, "delete") == 0 ? "danger" : "secondary", page_t(rq, button));
}

static void render_actions(struct request *rq, struct buf *b, json_t *v, const char *action)
{
	static const char *const handover[] = { "from", "evidence.from", "to", "evidence.to",
						 "purpose", "evidence.purpose", NULL };
	static const char *const checkout[] = { "purpose", "evidence.purpose", NULL };
	static const char *const reason[] = { "reason", "evidence.reason", NULL };
	static const char *const retain[] = { "retain_until", "evidence.retain_until", "reason",
					      "evidence.reason", NULL };
	int held = json_is_true(json_object_get(v, "legal_hold"));

	html_printf(b, "<section class=\"card\"><h2>%s</h2>", page_t(rq, "evidence.actions"));
	op_form(rq, b, action, "verify", NULL, "evidence.do_verify");
	op_form(rq, b, action, "handover", handover, "evidence.do_handover");
	if (json_str(v, "checked_out_to"))
		op_form(rq, b, action, "checkin", NULL, "evidence.do_checkin");
	else
		op_form(rq, b, action, "checkout", checkout, "evidence.do_checkout");
	op_form(rq, b, action, held ? "release" : "hold", reason,
		held ? "evidence.do_release" : "evidence.do_hold");
	op_form(rq, b, action, "retain", retain, "evidence.do_retain");
	op_form(rq, b, action, "delete", reason, "evidence.do_delete");
	buf_adds(b, "</section>");
}

static int render_item(struct request *rq, struct response *rs, unsigned status, const char *msg)
{
	struct buf b = BUF_INIT, title = BUF_INIT, action = BUF_INIT, back = BUF_INIT;
	json_t *v = NULL;
	int64_t id;
	int rc = web_evidence_item(rq, &id);

	if (!rc)
		rc = evidence_get(rq->st, &rq->actor, id, &v, &rq->err);
	if (rc)
		return rc;
	buf_addf(&title, "%s #%lld %s", page_t(rq, "evidence.item"), (long long)id, json_str(v, "name"));
	item_path(&action, json_str(v, "incident"), (long long)id);
	buf_adds(&back, "/incidents/");
	url_esc(&back, json_str(v, "incident"));
	page_begin(rq, &b, title.data);
	html_printf(&b, "<p><a href=\"%s#evidence\">%s %s</a></p><h1>%s</h1>", back.data,
		    page_t(rq, "evidence.back"), json_str(v, "incident"), title.data);
	if (msg)
		pg_error_box(rq, &b, "msg.not_saved", msg);
	pg_done_notice(rq, &b);
	buf_adds(&b, "<div class=\"cols\"><div class=\"col-main\"><section class=\"card\">");
	render_facts(rq, &b, v);
	if (!json_is_true(json_object_get(v, "deleted")))
		html_printf(&b, "<p><a class=\"button\" href=\"%s/download\">%s</a></p>", action.data,
			    page_t(rq, "evidence.download"));
	buf_adds(&b, "</section>");
	render_custody(rq, &b, json_object_get(v, "custody"));
	buf_adds(&b, "</div><div class=\"col-side\">");
	if (!json_is_true(json_object_get(v, "deleted")))
		render_actions(rq, &b, v, action.data);
	buf_adds(&b, "</div></div>");
	page_end(rq, &b);
	json_decref(v);
	buf_release(&title);
	buf_release(&action);
	buf_release(&back);
	rc = page_send(rs, &b);
	if (!rc && status)
		rs->status = status;
	return rc;
}

int page_evidence_show(struct request *rq, struct response *rs)
{
	return render_item(rq, rs, 0, NULL);
}

/* The item's file in the evidence folder is needed by verify and delete. */
static int run_op(struct request *rq, const char *op, int64_t id, const char **done)
{
	struct custody_note note = { req_form(rq, "from"), req_form(rq, "to"), req_form(rq, "purpose") };
	const char *reason = req_form(rq, "reason");
	struct buf dir = BUF_INIT, target = BUF_INIT;
	json_t *out = NULL;
	int rc;

	*done = "evidence_saved";
	buf_addf(&target, "%lld", (long long)id);
	if (strcmp(op, "handover") == 0 || strcmp(op, "checkout") == 0 || strcmp(op, "checkin") == 0)
		rc = evidence_custody_step(rq->st, &rq->actor, id, op, &note, &out, &rq->err);
	else if (strcmp(op, "hold") == 0 || strcmp(op, "release") == 0)
		rc = evidence_hold(rq->st, &rq->actor, target.data, op[0] == 'h', reason, &out, &rq->err);
	else if (strcmp(op, "retain") == 0)
		rc = evidence_retain(rq->st, &rq->actor, id, req_form(rq, "retain_until"), reason, &out,
				     &rq->err);
	else if (strcmp(op, "verify") != 0 && strcmp(op, "delete") != 0)
		rc = err_set(&rq->err, ERR_INVALID, "op: one of verify, handover, checkout, checkin, "
						    "hold, release, retain, delete");
	else if (!(rc = evidence_dir_resolve(rq->st, http_evidence_dir(rq->srv), &dir, &rq->err)))
		rc = op[0] == 'v' ? evidence_verify(rq->st, &rq->actor, dir.data, target.data, &out,
						    &rq->err)
				  : evidence_delete(rq->st, &rq->actor, dir.data, id, reason, &out,
						    &rq->err);
	if (op[0] == 'v')
		*done = "evidence_verified";
	else if (op[0] == 'd')
		*done = "evidence_deleted";
	json_decref(out);
	buf_release(&dir);
	buf_release(&target);
	return rc;
}

int page_evidence_action(struct request *rq, struct response *rs)
{
	struct buf loc = BUF_INIT;
	const char *op = req_form(rq, "op"), *done;
	int64_t id;
	int rc = web_evidence_item(rq, &id);

	if (rc)
		return rc;
	rc = run_op(rq, op ? op : "", id, &done);
	if (rc) {
		if (!pg_user_error(rc) && rc != ERR_TAMPERED)
			return rc;
		return render_item(rq, rs, pg_status(rc), err_msg(&rq->err));
	}
	item_path(&loc, req_param(rq, 0), (long long)id);
	rc = pg_redirect_done(rs, loc.data, done);
	buf_release(&loc);
	return rc;
}
