/*
 * pages.c: the route table of the HTML pages (dashboard, incidents, users,
 * audit log, account). The handlers are in web/page_*.c; act is the coarse
 * permission the server checks before a handler runs (ir/ checks each
 * change in full, with the role an external member holds in the incident).
 */
#include "web/pages.h"
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
