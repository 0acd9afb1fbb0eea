/*
 * mailack.h: the acknowledgement sent over SMTP (libcurl) to the employee
 * who forwarded a suspicious mail to the report mailbox (issue 7, item 6):
 * a short Japanese and English note naming the alert and the verdict. The
 * mailbox poller queues one per report that became (or joined) an alert
 * and sends the queue after each poll; a failed send is retried at the
 * next poll, a send is never repeated once begun (at most once).
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

#endif
