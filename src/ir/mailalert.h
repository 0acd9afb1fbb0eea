/*
 * mailalert.h: reported mails as alerts (issue 7, item 6). A reported
 * message is analysed (mail/mail.h); a bec, phishing or suspicious verdict
 * becomes an alert (source "mail") with the message kept beside it in the
 * store, and the message is copied into the evidence locker when the alert
 * is promoted to or attached to an incident.
 */
#ifndef IRDESK_IR_MAILALERT_H
#define IRDESK_IR_MAILALERT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct actor;
struct err;
struct mail_config;
struct store;

#define MAILALERT_MAX (25 * 1024 * 1024) /* bytes of one reported message (real mail with attachments) */
#define MAILALERT_TITLE_MAX 200      /* bytes of an alert title made from the reasons */

/*
 * Analyse the raw message data[0..n) with configuration c and, when the
 * verdict is not clean, record an alert and keep the message with it,
 * audited, in one transaction. Reporting mail is triage work: it takes
 * ACT_ALERT_TRIAGE (the alert itself is recorded by the system actor, as
 * detection records its alerts). A message already kept
 * (same Message-ID, or same bytes when it has none) is not kept again: the
 * answer names its alert with "outcome": "duplicate". origin says where it
 * came from ("api", "cli", "imap"). *out (caller decrefs) gets the
 * analysis (mail_result_json) plus "alert" (the id or null), "outcome"
 * ("created", "deduplicated", "duplicate", "suppressed" or null) and
 * "report" (the id of the kept message, or null when nothing was kept). Errors:
 * ERR_DENIED, ERR_TOOLONG over MAILALERT_MAX, ERR_PARSE for bytes that are
 * no message; nothing is stored then.
 */
int mailalert_submit(struct store *st, const struct actor *who, const struct mail_config *c,
		     const char *data, size_t n, const char *origin, json_t **out, struct err *e);

/*
 * The reported mails kept with alert id (ACT_ALERT_READ), oldest first, as
 * a JSON array of {id, message_id, sha256, size, verdict, score, origin,
 * created_by, created_at, evidence, analysis} into *out. ERR_NOTFOUND when
 * the alert does not exist; an alert from elsewhere gives an empty array.
 */
int mailalert_reports(struct store *st, const struct actor *who, int64_t alert_id, json_t **out,
		      struct err *e);

/*
 * Copy the mails kept with alert alert_id into the evidence locker of
 * incident hid (evidence_add: custody, timeline, audit), inside the
 * caller's transaction. alert_triage calls it on promote and attach. When
 * no evidence folder is configured or the actor may not add evidence, the
 * mails stay with the alert only and 0 is returned.
 */
int mailalert_to_evidence(struct store *st, const struct actor *who, int64_t alert_id,
			  const char *hid, struct err *e);

#endif
