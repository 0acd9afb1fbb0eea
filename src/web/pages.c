/*
 * pages.c: the route table of the HTML pages (dashboard, incidents, users,
 * audit log, account). The handlers are in web/page_*.c; act is the coarse
 * permission the server checks before a handler runs (ir/ checks each
 * change in full, with the role an external member holds in the incident).
 */
#include "web/pages.h"
#include "web/api.h"
#include "web/router.h"

#include <stddef.h>

#define PG ROUTE_PAGE
#define PGI (ROUTE_PAGE | ROUTE_INCIDENT)

const struct route page_routes[] = {
	{ "GET", "/", page_dashboard, PG, ACT_NONE, "dashboard" },

	{ "GET", "/incidents", page_incident_list, PG, ACT_INCIDENT_READ, "incident list with filters" },
	{ "GET", "/incidents/new", page_incident_new, PG, ACT_INCIDENT_CREATE, "new incident form" },
	{ "POST", "/incidents", page_incident_create, PG, ACT_INCIDENT_CREATE, "create an incident" },
	{ "GET", "/incidents/{id}", page_incident_show, PGI, ACT_INCIDENT_READ, "one incident" },
	{ "POST", "/incidents/{id}", page_incident_edit, PGI, ACT_INCIDENT_EDIT,
	  "edit an incident's fields and priority" },
	{ "POST", "/incidents/{id}/move", page_incident_move, PGI, ACT_INCIDENT_TRIAGE,
	  "move an incident to another state" },
	{ "POST", "/incidents/{id}/members", page_incident_member_add, PGI, ACT_MEMBER_EDIT,
	  "add or change a member" },
	{ "POST", "/incidents/{id}/members/{user}/remove", page_incident_member_remove, PGI,
	  ACT_MEMBER_EDIT, "remove a member" },
	{ "POST", "/incidents/{id}/tasks", page_incident_task_add, PGI, ACT_TASK_EDIT, "add a task" },
	{ "POST", "/incidents/{id}/tasks/{task}/done", page_incident_task_done, PGI, ACT_TASK_EDIT,
	  "mark a task done or open" },
	{ "POST", "/incidents/{id}/timeline", page_incident_timeline_add, PGI, ACT_TIMELINE_ADD,
	  "add a timeline entry" },

	{ "POST", "/incidents/{id}/items", page_incident_items, PGI, ACT_INCIDENT_EDIT,
	  "save an incident's catalog items" },
	{ "POST", "/incidents/{id}/threats", page_incident_threats, PGI, ACT_INCIDENT_EDIT,
	  "tag or untag an IPA threat" },
	{ "POST", "/incidents/{id}/reports", page_incident_report, PGI, ACT_REPORT_WRITE,
	  "generate and keep a report" },
	{ "GET", "/incidents/{id}/reports/{kind}/{version}", page_report_view, PGI, ACT_INCIDENT_READ,
	  "a kept report version, as generated" },
	{ "GET", "/incidents/{id}/reports/{kind}/{version}/diff/{other}", page_report_diff, PGI,
	  ACT_INCIDENT_READ, "two kept report versions compared" },
	{ "GET", "/catalog/sheets/{sheet}", page_sheet, PG, ACT_INCIDENT_READ,
	  "an investigation command sheet" },
	{ "POST", "/incidents/{id}/killchain", page_incident_killchain, PGI, ACT_INCIDENT_EDIT,
	  "mark or unmark a kill-chain phase" },
	{ "GET", "/alerts", page_alert_list, PG, ACT_ALERT_READ, "alert queue with filters" },
	{ "GET", "/alerts/{alert}", page_alert_show, PG, ACT_ALERT_READ, "one alert and its event" },
	{ "POST", "/alerts/{alert}/triage", page_alert_triage, PG, ACT_ALERT_TRIAGE, "triage an alert" },
	{ "GET", "/users", page_users, PG, ACT_USER_ADMIN, "accounts" },
	{ "POST", "/users", page_user_add, PG, ACT_USER_ADMIN, "add an account" },
	{ "POST", "/users/{name}/disable", page_user_disable, PG, ACT_USER_ADMIN, "disable an account" },
	{ "POST", "/users/{name}/enable", page_user_enable, PG, ACT_USER_ADMIN, "enable an account" },
	{ "POST", "/users/{name}/totp", page_user_totp, PG, ACT_USER_ADMIN, "require TOTP or not" },

	{ "GET", "/audit", page_audit, PG, ACT_AUDIT_READ, "audit log" },
	{ "POST", "/audit/verify", page_audit_verify, PG, ACT_AUDIT_READ, "verify the audit chain" },

	{ "GET", "/account", page_account, PG, ACT_NONE, "my account" },
	{ "POST", "/account/password", page_account_password, PG, ACT_NONE, "change my password" },
	{ "POST", "/account/prefs", page_account_prefs, PG, ACT_NONE, "my language and time zone" },
	{ "POST", "/account/totp", page_account_totp_begin, PG, ACT_NONE, "start TOTP enrolment" },
	{ "POST", "/account/totp/confirm", page_account_totp_confirm, PG, ACT_NONE, "confirm TOTP" },
	{ "POST", "/account/totp/disable", page_account_totp_disable, PG, ACT_NONE, "turn TOTP off" },
	{ "POST", "/account/tokens", page_account_token_create, PG, ACT_NONE, "create an API token" },
	{ "POST", "/account/tokens/{id}/revoke", page_account_token_revoke, PG, ACT_NONE,
	  "revoke an API token" },

	/* Evidence: ir/ checks each form's own permission (write, or delete for release and delete). */
	{ "POST", "/incidents/{id}/evidence", web_evidence_upload_page, PGI | ROUTE_STREAM,
	  ACT_EVIDENCE_WRITE, "upload evidence (streamed)" },
	{ "GET", "/incidents/{id}/evidence/{item}", page_evidence_show, PGI, ACT_EVIDENCE_READ,
	  "one evidence item and its chain of custody" },
	{ "GET", "/incidents/{id}/evidence/{item}/download", web_evidence_download, PGI,
	  ACT_EVIDENCE_READ, "download an evidence file" },
	{ "POST", "/incidents/{id}/evidence/{item}", page_evidence_action, PGI, ACT_EVIDENCE_READ,
	  "verify, hand over, check out or in, hold, release or delete an evidence item" },
	{ "GET", "/contacts", page_contact_list, PG, ACT_CONTACT_READ, "contact directory" },
	{ "POST", "/contacts", page_contact_add, PG, ACT_CONTACT_EDIT, "add a contact" },
	{ "GET", "/contacts/export.csv", page_contact_export, PG, ACT_CONTACT_READ,
	  "the contact directory as CSV" },
	{ "POST", "/contacts/import", page_contact_import, PG, ACT_CONTACT_EDIT,
	  "import contacts from pasted CSV" },
	{ "GET", "/contacts/{cid}", page_contact_show, PG, ACT_CONTACT_EDIT, "contact edit form" },
	{ "POST", "/contacts/{cid}", page_contact_edit, PG, ACT_CONTACT_EDIT, "change a contact" },
	{ "POST", "/contacts/{cid}/remove", page_contact_remove, PG, ACT_CONTACT_EDIT,
	  "remove a contact" },
	{ "POST", "/incidents/{id}/notifications", page_notify_add, PGI, ACT_NOTIFY_RECORD,
	  "record a notification" },
	{ "POST", "/incidents/{id}/breach", page_breach_set, PGI, ACT_INCIDENT_EDIT,
	  "set personal-data breach flags" },
	{ "GET", "/incidents/{id}/observables", page_observables, PGI, ACT_INCIDENT_READ,
	  "an incident's observables" },
	{ "POST", "/incidents/{id}/observables", page_observable_add, PGI, ACT_OBSERVABLE_EDIT,
	  "add an observable" },
	{ "POST", "/incidents/{id}/observables/extract", page_observable_extract, PGI,
	  ACT_OBSERVABLE_EDIT, "add the observables found in pasted text" },
	{ "POST", "/incidents/{id}/observables/{obs}/ioc", page_observable_ioc, PGI,
	  ACT_OBSERVABLE_EDIT, "flag or unflag an observable as IOC" },
	{ "POST", "/incidents/{id}/observables/{obs}/remove", page_observable_remove, PGI,
	  ACT_OBSERVABLE_EDIT, "remove an observable" },
	{ "GET", "/incidents/{id}/lessons", page_lessons, PGI, ACT_INCIDENT_READ, "lessons learned" },
	{ "POST", "/incidents/{id}/lessons", page_lessons_save, PGI, ACT_LESSONS_EDIT,
	  "save lessons learned" },
	{ "POST", "/incidents/{id}/lessons/actions", page_lessons_action, PGI, ACT_LESSONS_EDIT,
	  "add a follow-up action" },
	{ "GET", "/metrics", page_metrics, PG, ACT_INCIDENT_READ, "incident metrics and charts" },
	{ NULL, NULL, NULL, 0, ACT_NONE, NULL },
};
