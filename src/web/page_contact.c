/*
 * page_contact.c: the contact directory page (/contacts): the list with who
 * is on call, the add, edit and remove forms, CSV import (pasted) and
 * export. ir/contact.h checks permissions (external accounts have none) and
 * audits every change.
 */
#include "ir/contact.h"
#include "ir/role.h"
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

static const char *const text_fields[] = { "name", "organisation", "roles", "email", "phone",
					   "channel", NULL };

static int may_edit(const struct request *rq)
{
	return role_may(rq->actor.role, ACT_CONTACT_EDIT) && !rq->actor.external;
}

static const char *val(const json_t *c, const char *key)
{
	return c && json_str(c, key) ? json_str(c, key) : "";
}

static void contact_form(struct request *rq, struct buf *b, const char *action, const json_t *c,
			 const char *submit_key)
{
	char key[64];

	html_printf(b, "<form class=\"stack\" method=\"post\" action=\"%s\">", action);
	page_csrf_field(rq, b);
	buf_adds(b, "<input type=\"hidden\" name=\"_form\" value=\"contact\">");
	for (int i = 0; text_fields[i]; i++) {
		snprintf(key, sizeof(key), "contacts.%s", text_fields[i]);
		html_printf(b, "<label>%s <input type=\"text\" name=\"%s\" value=\"%s\"%s></label>",
			    page_t(rq, key), text_fields[i], val(c, text_fields[i]),
			    i == 0 ? " required" : "");
	}
	html_printf(b, "<label>%s <select name=\"scope\">", page_t(rq, "contacts.scope"));
	for (int i = 0; i < 2; i++) {
		const char *s = i ? "external" : "internal";
		snprintf(key, sizeof(key), "contacts.scope.%s", s);
		html_printf(b, "<option value=\"%s\"%s>%s</option>", s,
			    strcmp(val(c, "scope"), s) == 0 ? " selected" : "", page_t(rq, key));
	}
	html_printf(b, "</select></label><label>%s <select name=\"category\">",
		    page_t(rq, "contacts.category"));
	for (int i = 0; contact_categories[i]; i++) {
		snprintf(key, sizeof(key), "contacts.cat.%s", contact_categories[i]);
		html_printf(b, "<option value=\"%s\"%s>%s</option>", contact_categories[i],
			    strcmp(val(c, "category"), contact_categories[i]) == 0 ? " selected" : "",
			    page_t(rq, key));
	}
	html_printf(b, "</select></label><label><input type=\"checkbox\" name=\"on_call\" value=\"yes\"%s>"
		       " %s</label><label>%s <textarea name=\"notes\" rows=\"3\">%s</textarea></label>"
		       "<button type=\"submit\">%s</button></form>",
		    c && json_is_true(json_object_get(c, "on_call")) ? " checked" : "",
		    page_t(rq, "contacts.on_call"), page_t(rq, "contacts.notes"), val(c, "notes"),
		    page_t(rq, submit_key));
}

static void contact_row(struct request *rq, struct buf *b, json_t *c)
{
	long long id = (long long)json_integer_value(json_object_get(c, "id"));
	char key[64];

	snprintf(key, sizeof(key), "contacts.cat.%s", val(c, "category"));
	html_printf(b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>",
		    json_is_true(json_object_get(c, "on_call")) ? page_t(rq, "contacts.on_call_mark") : "",
		    val(c, "name"), val(c, "organisation"), page_t(rq, key), val(c, "email"),
		    val(c, "phone"));
	buf_adds(b, "<td>");
	if (may_edit(rq)) {
		html_printf(b, "<a href=\"/contacts/%lld\">%s</a> ", id, page_t(rq, "contacts.edit"));
		html_printf(b, "<form class=\"inline\" method=\"post\" action=\"/contacts/%lld/remove\">",
			    id);
		page_csrf_field(rq, b);
		html_printf(b, "<button class=\"danger small\" type=\"submit\" data-confirm=\"%s\">%s"
			       "</button></form>", page_t(rq, "contacts.remove_confirm"),
			    page_t(rq, "contacts.remove"));
	}
	buf_adds(b, "</td></tr>");
}

static int render_list(struct request *rq, struct response *rs, unsigned status, const char *msg)
{
	char saved[ERR_MSG_MAX];
	struct buf b = BUF_INIT;
	json_t *list = NULL, *c;
	size_t i;
	int rc;

	if (msg) {
		snprintf(saved, sizeof(saved), "%s", msg);
		msg = saved;
	}
	rc = contact_list(rq->st, &rq->actor, NULL, &list, &rq->err);
	if (rc)
		return rc;
	page_begin(rq, &b, page_t(rq, "nav.contacts"));
	html_printf(&b, "<div class=\"titlebar\"><h1>%s</h1><a class=\"button secondary\" "
		       "href=\"/contacts/export.csv\">%s</a></div>",
		    page_t(rq, "nav.contacts"), page_t(rq, "contacts.export"));
	if (msg)
		pg_error_box(rq, &b, "msg.not_saved", msg);
	pg_done_notice(rq, &b);
	html_printf(&b, "<section class=\"card\"><table class=\"contacts\"><thead><tr><th>%s</th>"
		       "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th></th></tr></thead><tbody>",
		    page_t(rq, "contacts.on_call"), page_t(rq, "contacts.name"),
		    page_t(rq, "contacts.organisation"), page_t(rq, "contacts.category"),
		    page_t(rq, "contacts.email"), page_t(rq, "contacts.phone"));
	json_array_foreach(list, i, c)
		contact_row(rq, &b, c);
	buf_adds(&b, "</tbody></table>");
	if (!json_array_size(list))
		html_printf(&b, "<p class=\"muted\">%s</p>", page_t(rq, "contacts.none"));
	buf_adds(&b, "</section>");
	if (may_edit(rq)) {
		html_printf(&b, "<section class=\"card\"><h2>%s</h2>", page_t(rq, "contacts.add"));
		contact_form(rq, &b, "/contacts", NULL, "contacts.add");
		html_printf(&b, "</section><section class=\"card\"><h2>%s</h2><p class=\"muted\">%s</p>"
			       "<form class=\"stack\" method=\"post\" action=\"/contacts/import\">",
			    page_t(rq, "contacts.import"), page_t(rq, "contacts.import_help"));
		page_csrf_field(rq, &b);
		html_printf(&b, "<textarea name=\"csv\" rows=\"6\" required></textarea>"
			       "<button type=\"submit\">%s</button></form></section>",
			    page_t(rq, "contacts.import"));
	}
	page_end(rq, &b);
	json_decref(list);
	rs->status = status;
	return page_send(rs, &b);
}

int page_contact_list(struct request *rq, struct response *rs)
{
	return render_list(rq, rs, 200, NULL);
}

/* The form's fields; a checkbox that is not ticked is not sent. */
static void form_fields(struct request *rq, struct contact_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->name = req_form(rq, "name");
	f->organisation = req_form(rq, "organisation");
	f->scope = req_form(rq, "scope");
	f->category = req_form(rq, "category");
	f->roles = req_form(rq, "roles");
	f->email = req_form(rq, "email");
	f->phone = req_form(rq, "phone");
	f->channel = req_form(rq, "channel");
	f->notes = req_form(rq, "notes");
	f->on_call = req_form(rq, "on_call") ? "yes" : "no";
}

/* After a change: back to the list, or the list again with the message. */
static int finish(struct request *rq, struct response *rs, int rc, const char *done)
{
	if (!rc)
		return pg_redirect_done(rs, "/contacts", done);
	if (!pg_user_error(rc) || rc == ERR_DENIED)
		return rc;
	return render_list(rq, rs, pg_status(rc), err_msg(&rq->err));
}

int page_contact_add(struct request *rq, struct response *rs)
{
	struct contact_fields f;

	form_fields(rq, &f);
	return finish(rq, rs, contact_add(rq->st, &rq->actor, &f, NULL, &rq->err), "contact_added");
}

static int path_id(struct request *rq, int64_t *id)
{
	const char *s = req_param(rq, 0);
	char *end;

	*id = strtoll(s, &end, 10);
	if (!*s || *end || *id < 1)
		return err_set(&rq->err, ERR_NOTFOUND, "contact '%.40s' not found", s);
	return 0;
}

static int render_edit(struct request *rq, struct response *rs, unsigned status, const char *msg)
{
	char saved[ERR_MSG_MAX], action[64];
	struct buf b = BUF_INIT;
	json_t *c = NULL;
	int64_t id;
	int rc;

	if (msg) {
		snprintf(saved, sizeof(saved), "%s", msg);
		msg = saved;
	}
	if ((rc = path_id(rq, &id)) || (rc = contact_get(rq->st, &rq->actor, id, &c, &rq->err)))
		return rc;
	page_begin(rq, &b, val(c, "name"));
	html_printf(&b, "<div class=\"titlebar\"><h1>%s</h1><a href=\"/contacts\">%s</a></div>",
		    val(c, "name"), page_t(rq, "nav.contacts"));
	if (msg)
		pg_error_box(rq, &b, "msg.not_saved", msg);
	snprintf(action, sizeof(action), "/contacts/%lld", (long long)id);
	buf_adds(&b, "<section class=\"card\">");
	contact_form(rq, &b, action, c, "contacts.save");
	buf_adds(&b, "</section>");
	page_end(rq, &b);
	json_decref(c);
	rs->status = status;
	return page_send(rs, &b);
}

int page_contact_show(struct request *rq, struct response *rs)
{
	return render_edit(rq, rs, 200, NULL);
}

int page_contact_edit(struct request *rq, struct response *rs)
{
	struct contact_fields f;
	int64_t id;
	int rc = path_id(rq, &id);

	if (rc)
		return rc;
	form_fields(rq, &f);
	rc = contact_update(rq->st, &rq->actor, id, &f, NULL, &rq->err);
	if (rc && pg_user_error(rc) && rc != ERR_DENIED)
		return render_edit(rq, rs, pg_status(rc), err_msg(&rq->err));
	return finish(rq, rs, rc, "contact_saved");
}

int page_contact_remove(struct request *rq, struct response *rs)
{
	int64_t id;
	int rc = path_id(rq, &id);

	if (!rc)
		rc = contact_remove(rq->st, &rq->actor, id, &rq->err);
	return finish(rq, rs, rc, "contact_removed");
}

int page_contact_import(struct request *rq, struct response *rs)
{
	const char *csv = req_form(rq, "csv");
	int n = 0;

	return finish(rq, rs, contact_import(rq->st, &rq->actor, csv ? csv : "", csv ? strlen(csv) : 0,
					     &n, &rq->err), "contacts_imported");
}

/* The same CSV as GET /api/v1/contacts/export, from the page's link. */
int page_contact_export(struct request *rq, struct response *rs)
{
	return api_contact_export(rq, rs);
}
