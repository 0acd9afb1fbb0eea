/*
 * mailack.h: the acknowledgement sent over SMTP (libcurl) to the employee
 * who forwarded a suspicious mail to the report mailbox (issue 7, item 6):
 * a short Japanese and English note naming the alert and the verdict. The
 * mailbox poller and POST /api/v1/mail queue one per report that became
 * (or joined) an alert; the server's sender job sends the queue at once
 * (mailack_wake) and every MAILACK_RETRY_S, the poller after each poll
 * too. A failed send is retried, a send is never repeated once begun (at
 * most once: a row is claimed before its SMTP transaction).
 */
#ifndef IRDESK_IR_MAILACK_H
#define IRDESK_IR_MAILACK_H

#include <jansson.h>
#include <stddef.h>

struct err;
struct mail_config;
struct mailack;
struct store;

#define MAILACK_ATTEMPTS 10  /* sends tried before an acknowledgement is given up */
#define MAILACK_BATCH 20     /* acknowledgements sent per poll at most */
#define MAILACK_RETRY_S 60   /* the sender job's interval: retries of failed sends */

struct mailack_config {
	const char *url;           /* smtp://host[:port] or smtps://...; no user in it */
	const char *from;          /* the sender address of acknowledgements */
	const char *user;          /* NULL: no authentication */
	const char *password_file; /* with user: read once, never logged */
};

/*
 * Check cfg and read the password; *out is the caller's (mailack_free).
 * ERR_USAGE for a bad URL, sender or option pair, ERR_IO for an unreadable
 * password file.
 */
int mailack_new(const struct mailack_config *cfg, struct mailack **out, struct err *e);
void mailack_free(struct mailack *ma);

/*
 * The address in the From header of the message data[0..n) itself (its
 * first header block only; folded and RFC 2047 encoded forms read),
 * normalised as an e-mail observable, into out[0..outn). Returns 0, or -1
 * when there is no From, more than one address, or no valid address.
 */
int mailack_reporter(const char *data, size_t n, char *out, size_t outn);

/*
 * Queue the acknowledgement of the report data[0..n) whose submission gave
 * out (mailalert_submit's answer), analysed with c. Only a report that was
 * kept ("outcome" created or deduplicated: never a clean mail, never the
 * same report twice) of a forwarded original is acknowledged, to the
 * report's own From, and never when that address is the analysed mail's
 * From, Reply-To or Return-Path, or (when own_domains are configured) outside
 * them. *queued (may be NULL) is 1 when a row was added. Errors: the store's.
 */
int mailack_queue(struct store *st, const struct mail_config *c, const char *data, size_t n,
		  const json_t *out, int *queued, struct err *e);

/*
 * Send up to MAILACK_BATCH pending acknowledgements. Each is marked
 * "sending" (committed) before the SMTP transaction and "sent" after it, or
 * back to "pending" with the error (given up as "failed" after
 * MAILACK_ATTEMPTS); a server that cannot be reached ends the round. Sending
 * failures are logged, not returned; errors are the store's.
 */
int mailack_send_pending(struct mailack *ma, struct store *st, int64_t now, struct err *e);

/*
 * Start the sender job of `irdesk serve` (ir/scheduler.h, lease "smtp",
 * its own connection to db_url): mailack_send_pending every
 * MAILACK_RETRY_S, and at once after mailack_wake. mailack_free stops it.
 * Fails when the thread cannot start.
 */
int mailack_start(struct mailack *ma, const char *db_url, struct err *e);
/*
 * Have the sender job send the queue now (after mailack_queue added a
 * row), without waiting for it: never blocks on SMTP. A no-op without
 * mailack_start.
 */
void mailack_wake(struct mailack *ma);

#endif
