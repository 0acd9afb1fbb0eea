/*
 * api.h: what the REST API handlers (web/api*.c) share: reading typed
 * fields from a JSON body and arguments from the query string with clear
 * 4xx errors, list envelopes, and the handlers the route table in api.c
 * points at.
 *
 * Every helper that refuses input records the reason in rq->err (the first
 * problem found wins) and returns or flags the ERR_* code; the handler
 * passes it up and web/http.c turns it into {"error":{"code","message"}}.
 */
#ifndef IRDESK_WEB_API_H
#define IRDESK_WEB_API_H

#include "ir/report.h"
#include <jansson.h>
#include <stdint.h>

struct request;
struct response;

/* Largest page of a list the API hands out. */
#define API_LIMIT_MAX 200
#define API_LIMIT_DEFAULT 50

/*
 * Parse the body as a JSON object into *out (the caller decrefs it) and
 * check that every key is one of allowed (a NULL-terminated list). Errors:
 * ERR_PARSE (400) for a missing or malformed body or a wrong content type,
 * ERR_TOOLONG (413), ERR_INVALID (422) "unknown field(s) 'a', 'b' (allowed:
 * ...)". When optional is 1 an empty body reads as {}.
 */
int api_body(struct request *rq, const char *const *allowed, int optional, json_t **out);

/*
 * The string at key in obj, or NULL when absent or null. A value of
 * another type is an error (ERR_INVALID "KEY: expected a string") reported
 * through rq->err; *bad is set to 1 then.
 */
const char *api_str(struct request *rq, json_t *obj, const char *key, int *bad);
/* As api_str, for booleans: *out is left as it is when key is absent or null. */
void api_bool(struct request *rq, json_t *obj, const char *key, int *out, int *bad);
/* As api_str, for integers from lo to hi: *out is left alone when absent or null. */
void api_int(struct request *rq, json_t *obj, const char *key, int64_t lo, int64_t hi,
	     int64_t *out, int *bad);
/* Flag "KEY: required" (ERR_INVALID) when value is NULL or empty. */
void api_required(struct request *rq, const char *key, const char *value, int *bad);

/*
 * Check that every query argument is one of allowed (NULL-terminated):
 * ERR_USAGE (400) naming the unknown ones, so that a mistyped filter does
 * not silently return everything.
 */
int api_query_check(struct request *rq, const char *const *allowed);
/* Query argument name as an integer from lo to hi (dflt when absent); ERR_USAGE if bad. */
int api_query_int(struct request *rq, const char *name, int64_t lo, int64_t hi, int64_t dflt,
		  int64_t *out);
/* Query argument name as a flag: 1/true/yes, 0/false/no, or dflt when absent; ERR_USAGE if bad. */
int api_query_bool(struct request *rq, const char *name, int dflt, int *out);

/*
 * The code to answer for rc, the result of an ir/ call that was given
 * values from a well-formed body: a value that does not parse (a date-time)
 * or is too long is a 422 about that field, not a malformed (400) or
 * oversized (413) request. Other codes pass unchanged.
 */
int api_domain(struct request *rq, int rc);

/* Respond 200 with {"items": items} (items stolen). */
int api_items(struct response *rs, json_t *items);
/* Respond 204 with no body. */
int api_no_content(struct response *rs);

/* The catalog, an incident's items and threat tags (web/api_catalog.c). */
int api_catalog_get(struct request *rq, struct response *rs);
int api_sheet_get(struct request *rq, struct response *rs);
int api_items_read(struct request *rq, struct response *rs);
int api_items_write(struct request *rq, struct response *rs);
int api_threats_add(struct request *rq, struct response *rs);
int api_threats_remove(struct request *rq, struct response *rs);
int api_report_generate(struct request *rq, struct response *rs);
int api_report_list(struct request *rq, struct response *rs);
int api_report_get(struct request *rq, struct response *rs);
int api_report_diff(struct request *rq, struct response *rs);
/* The kind and version of a route's params 1 and 2 (ERR_NOTFOUND when they are not). */
int api_report_ref(struct request *rq, enum report_kind *kind, int64_t *version);

/* Incidents, members, timeline and tasks (web/api_incident.c). */
int api_incident_list(struct request *rq, struct response *rs);
int api_incident_create(struct request *rq, struct response *rs);
int api_incident_get(struct request *rq, struct response *rs);
int api_incident_update(struct request *rq, struct response *rs);
int api_incident_move(struct request *rq, struct response *rs);
int api_member_list(struct request *rq, struct response *rs);
int api_member_set(struct request *rq, struct response *rs);
int api_member_remove(struct request *rq, struct response *rs);
int api_timeline_list(struct request *rq, struct response *rs);
int api_timeline_add(struct request *rq, struct response *rs);
int api_incident_task_list(struct request *rq, struct response *rs);
int api_incident_task_add(struct request *rq, struct response *rs);
int api_incident_task_done(struct request *rq, struct response *rs);
int api_incident_task_reopen(struct request *rq, struct response *rs);
int api_task_list(struct request *rq, struct response *rs);
int api_task_done(struct request *rq, struct response *rs);
int api_task_reopen(struct request *rq, struct response *rs);

/* Detection: events, alerts, suppressions, kill chain (web/api_alert.c). */
int api_events_post(struct request *rq, struct response *rs);
int api_alert_list(struct request *rq, struct response *rs);
int api_alert_get(struct request *rq, struct response *rs);
int api_alert_triage(struct request *rq, struct response *rs);
int api_suppression_list(struct request *rq, struct response *rs);
int api_suppression_add(struct request *rq, struct response *rs);
int api_suppression_remove(struct request *rq, struct response *rs);
int api_killchain_get(struct request *rq, struct response *rs);
int api_killchain_mark(struct request *rq, struct response *rs);
struct intake;
json_t *api_intake_health(struct intake *in); /* the "detection" object of health */

/* Users, audit log, tokens and one's own account (web/api_admin.c). */
int api_user_list(struct request *rq, struct response *rs);
int api_user_create(struct request *rq, struct response *rs);
int api_user_disable(struct request *rq, struct response *rs);
int api_user_enable(struct request *rq, struct response *rs);
int api_user_password(struct request *rq, struct response *rs);
int api_user_totp(struct request *rq, struct response *rs);
int api_audit_list(struct request *rq, struct response *rs);
int api_audit_verify(struct request *rq, struct response *rs);
int api_token_list(struct request *rq, struct response *rs);
int api_token_create(struct request *rq, struct response *rs);
int api_token_revoke(struct request *rq, struct response *rs);
int api_account_get(struct request *rq, struct response *rs);
int api_account_update(struct request *rq, struct response *rs);
int api_account_password(struct request *rq, struct response *rs);
int api_account_totp_begin(struct request *rq, struct response *rs);
int api_account_totp_confirm(struct request *rq, struct response *rs);
int api_account_totp_disable(struct request *rq, struct response *rs);

/* The evidence locker (web/api_evidence.c). The upload handlers are
 * ROUTE_STREAM: they set up a stream that writes the body to the evidence
 * folder; web_evidence_upload_page answers with a redirect to the item page;
 * web_evidence_download serves pages and the API alike. */
int api_evidence_list(struct request *rq, struct response *rs);
int api_evidence_due(struct request *rq, struct response *rs);
int api_evidence_get(struct request *rq, struct response *rs);
int api_evidence_put(struct request *rq, struct response *rs);
int api_evidence_post(struct request *rq, struct response *rs);
int web_evidence_upload_page(struct request *rq, struct response *rs);
int web_evidence_download(struct request *rq, struct response *rs);
int api_evidence_custody(struct request *rq, struct response *rs);
int api_evidence_hold(struct request *rq, struct response *rs);
int api_evidence_release(struct request *rq, struct response *rs);
int api_evidence_delete(struct request *rq, struct response *rs);
int api_evidence_retain(struct request *rq, struct response *rs);
int api_evidence_verify(struct request *rq, struct response *rs);
/* The item a route names (its last parameter), which under /incidents/{id}/
 * must belong to that incident: ERR_NOTFOUND otherwise. */
int web_evidence_item(struct request *rq, int64_t *id);
/* Contacts, notifications, breach flags and clocks (web/api_notify.c). */
int api_contact_list(struct request *rq, struct response *rs);
int api_contact_create(struct request *rq, struct response *rs);
int api_contact_get(struct request *rq, struct response *rs);
int api_contact_update(struct request *rq, struct response *rs);
int api_contact_remove(struct request *rq, struct response *rs);
int api_contact_export(struct request *rq, struct response *rs);
int api_contact_import(struct request *rq, struct response *rs);
int api_notification_list(struct request *rq, struct response *rs);
int api_notification_add(struct request *rq, struct response *rs);
int api_breach_get(struct request *rq, struct response *rs);
int api_breach_set(struct request *rq, struct response *rs);
int api_incident_clocks(struct request *rq, struct response *rs);
int api_clock_list(struct request *rq, struct response *rs);
int api_clock_settings_get(struct request *rq, struct response *rs);
int api_clock_settings_set(struct request *rq, struct response *rs);
/* Observables and lessons learned (web/api_observable.c), metrics (web/api_metrics.c). */
int api_observable_list(struct request *rq, struct response *rs);
int api_observable_add(struct request *rq, struct response *rs);
int api_observable_update(struct request *rq, struct response *rs);
int api_observable_remove(struct request *rq, struct response *rs);
int api_observable_search(struct request *rq, struct response *rs);
int api_lessons_get(struct request *rq, struct response *rs);
int api_lessons_set(struct request *rq, struct response *rs);
int api_lessons_action(struct request *rq, struct response *rs);
int api_metrics_get(struct request *rq, struct response *rs);
/* Reported mail (web/api_mail.c). */
int api_mail_post(struct request *rq, struct response *rs);
int api_alert_mail(struct request *rq, struct response *rs);
int api_mail_settings_get(struct request *rq, struct response *rs);
int api_mail_settings_put(struct request *rq, struct response *rs);

#endif
