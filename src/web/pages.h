/*
 * pages.h: the HTML page handlers (web/page_*.c), listed in web/pages.c's
 * route table, and the small helpers they share (web/page_util.c): form
 * controls for the vocabularies, times in the user's zone, the message box
 * shown after a change or a refused one.
 */
#ifndef IRDESK_WEB_PAGES_H
#define IRDESK_WEB_PAGES_H

#include <jansson.h>
#include <stdint.h>

struct buf;
struct request;
struct response;
struct vocab;

/* page_dashboard.c */
int page_dashboard(struct request *rq, struct response *rs);

/* page_incident.c */
int page_incident_list(struct request *rq, struct response *rs);
int page_incident_new(struct request *rq, struct response *rs);
int page_incident_create(struct request *rq, struct response *rs);
int page_incident_show(struct request *rq, struct response *rs);
int page_incident_edit(struct request *rq, struct response *rs);
int page_incident_move(struct request *rq, struct response *rs);
int page_incident_member_add(struct request *rq, struct response *rs);
int page_incident_member_remove(struct request *rq, struct response *rs);
int page_incident_task_add(struct request *rq, struct response *rs);
int page_incident_task_done(struct request *rq, struct response *rs);
int page_incident_timeline_add(struct request *rq, struct response *rs);

/*
 * After a change to incident hid: back to it (POST-redirect-GET, with the
 * notice `done`) on success; the incident again with ir/'s message when the
 * user can fix the problem; rc otherwise.
 */
int page_incident_finish(struct request *rq, struct response *rs, int rc, const char *hid,
			 const char *done);
/* page_items.c */
/* The items, threat tags and reports cards of incident hid. */
void pg_incident_items(struct request *rq, struct buf *b, const char *hid, int may_edit,
		       int may_report);
int page_incident_items(struct request *rq, struct response *rs);
int page_incident_threats(struct request *rq, struct response *rs);
int page_incident_report(struct request *rq, struct response *rs);
int page_report_view(struct request *rq, struct response *rs);
int page_report_diff(struct request *rq, struct response *rs);
int page_sheet(struct request *rq, struct response *rs);
/* A task's title (its playbook step's, in the user's language) and its command sheet link. */
void pg_task_title(struct request *rq, struct buf *b, const json_t *task);
/* page_alert.c */
int page_alert_list(struct request *rq, struct response *rs);
int page_alert_show(struct request *rq, struct response *rs);
int page_alert_triage(struct request *rq, struct response *rs);
/* page_mail.c: the mail page of an alert, and the link to it (mail alerts only). */
int page_alert_mail(struct request *rq, struct response *rs);
void pg_mail_link(struct request *rq, struct buf *b, const json_t *alert);
int page_incident_killchain(struct request *rq, struct response *rs);
/* Alert suppressions (web/page_suppress.c). */
int page_suppressions(struct request *rq, struct response *rs);
int page_suppression_add(struct request *rq, struct response *rs);
int page_suppression_remove(struct request *rq, struct response *rs);
/*
 * The kill-chain bar of incident hid (seven phases, detected and manual
 * marks apart); may_mark adds the forms to mark or unmark a phase. Prints
 * nothing when the incident cannot be read.
 */
void pg_killchain_bar(struct request *rq, struct buf *b, const char *hid, int may_mark);
/* page_contact.c */
int page_contact_list(struct request *rq, struct response *rs);
int page_contact_add(struct request *rq, struct response *rs);
int page_contact_show(struct request *rq, struct response *rs);
int page_contact_edit(struct request *rq, struct response *rs);
int page_contact_remove(struct request *rq, struct response *rs);
int page_contact_import(struct request *rq, struct response *rs);
int page_contact_export(struct request *rq, struct response *rs);

/* page_notify.c */
int page_notify_add(struct request *rq, struct response *rs);
int page_breach_set(struct request *rq, struct response *rs);
/*
 * The incident page's clocks, breach flags and notifications of hid;
 * may_record adds the notification form, may_edit the breach form. Prints
 * nothing when the incident cannot be read.
 */
void pg_notify_sections(struct request *rq, struct buf *b, const char *hid, int may_record,
			int may_edit);
/* The dashboard's running clocks (overdue marked) and recent reminders. */
void pg_clock_dashboard(struct request *rq, struct buf *b);

/* page_admin.c */
int page_users(struct request *rq, struct response *rs);
int page_settings(struct request *rq, struct response *rs);
int page_settings_clocks(struct request *rq, struct response *rs);
int page_settings_clocks_save(struct request *rq, struct response *rs);
int page_user_add(struct request *rq, struct response *rs);
int page_user_disable(struct request *rq, struct response *rs);
int page_user_enable(struct request *rq, struct response *rs);
int page_user_totp(struct request *rq, struct response *rs);
int page_audit(struct request *rq, struct response *rs);
int page_audit_verify(struct request *rq, struct response *rs);

/* page_account.c */
int page_account(struct request *rq, struct response *rs);
int page_account_password(struct request *rq, struct response *rs);
int page_account_prefs(struct request *rq, struct response *rs);
int page_account_totp_begin(struct request *rq, struct response *rs);
int page_account_totp_confirm(struct request *rq, struct response *rs);
int page_account_totp_disable(struct request *rq, struct response *rs);
int page_account_token_create(struct request *rq, struct response *rs);
int page_account_token_revoke(struct request *rq, struct response *rs);

/* Observables (web/page_observable.c), lessons learned (web/page_lessons.c), metrics. */
/* Renders a page again with a refusal (msg) and status. */
typedef int (*pg_render_fn)(struct request *rq, struct response *rs, unsigned status,
			    const char *msg);
/*
 * After a change to the incident in the path: rc 0 redirects to
 * /incidents/{id}SUFFIX?done=DONE; a refusal the user can fix is shown by
 * render_again; other codes pass up.
 */
int pg_after_change(struct request *rq, struct response *rs, int rc, const char *suffix,
		    const char *done, pg_render_fn render_again);
void pg_observables_section(struct request *rq, struct buf *b, const char *hid, int may_edit);
int page_observables(struct request *rq, struct response *rs);
int page_observable_add(struct request *rq, struct response *rs);
int page_observable_extract(struct request *rq, struct response *rs);
int page_observable_ioc(struct request *rq, struct response *rs);
int page_observable_remove(struct request *rq, struct response *rs);
void pg_lessons_card(struct request *rq, struct buf *b, const char *hid);
int page_lessons(struct request *rq, struct response *rs);
int page_lessons_save(struct request *rq, struct response *rs);
int page_lessons_action(struct request *rq, struct response *rs);
int page_metrics(struct request *rq, struct response *rs);
/* page_mail_settings.c: the reported-mail analysis settings (admin). */
int page_mail_settings(struct request *rq, struct response *rs);
int page_mail_settings_save(struct request *rq, struct response *rs);

/* page_util.c */

/*
 * 1 when an error from ir/ is the user's to fix (invalid input, a conflict,
 * a refusal) and the page should be shown again with the message; 0 for
 * "not found" and internal failures, which become the error page.
 */
int pg_user_error(int code);
/* The status of a page shown again after a refusal: a form value that does
 * not parse is a validation error there (422), not a malformed request. */
unsigned pg_status(int code);
/* The error box: a translated lead-in (key) and ir/'s message (escaped). */
void pg_error_box(struct request *rq, struct buf *b, const char *lead_key, const char *msg);
/* The notice after a redirect: ?done=KEY shows the text of "done.KEY". */
void pg_done_notice(struct request *rq, struct buf *b);
/* Redirect to path (already safe) with ?done=key (303). Returns 0. */
int pg_redirect_done(struct response *rs, const char *path, const char *key);
/*
 * A <select name=name> over vocabulary v with index selected chosen (-1:
 * none); empty_key, when not NULL, adds a first option with value "" and
 * that translated label.
 */
void pg_select_vocab(struct request *rq, struct buf *b, const char *name, const char *id,
		     const struct vocab *v, int selected, const char *empty_key);
/* The same for the value by name (e.g. a submitted form value). */
void pg_select_vocab_name(struct request *rq, struct buf *b, const char *name, const char *id,
			  const struct vocab *v, const char *selected, const char *empty_key);
/* The instant of an RFC 3339 string field of o, or 0. */
int64_t pg_json_time(const json_t *o, const char *key);
/* t as "YYYY-MM-DD HH:MM" in the user's zone, for text inputs ("" for 0). */
const char *pg_input_time(struct request *rq, int64_t t, char out[64]);
/* The priority badge ("P1".."P4", or a dash for unknown). */
void pg_priority(struct request *rq, struct buf *b, int priority);
/* The submitted value of form field name when this POST carried form
 * `form` (hidden field "_form"), else fallback. */
const char *pg_keep(struct request *rq, const char *form, const char *name, const char *fallback);
/* A positive integer query argument, or def when missing or bad. */
long long pg_query_int(struct request *rq, const char *name, long long def, long long max);
/* Append s, cut to at most max bytes at a UTF-8 boundary with "…" when cut. */
void pg_esc_cut(struct buf *b, const char *s, size_t max);

/* page_evidence.c: the evidence section of the incident page (nothing when
 * the account may not see evidence), the item page and its forms. */
void page_evidence_section(struct request *rq, struct buf *b, const char *hid);
int page_evidence_show(struct request *rq, struct response *rs);
int page_evidence_action(struct request *rq, struct response *rs);

#endif
