/*
 * mailbox.h: the report mailbox of `irdesk serve`: a thread that polls an
 * IMAP mailbox (libcurl) every interval seconds and, when the server has
 * IDLE, waits connected in between for new messages; it submits each unseen message as
 * a reported mail (ir/mailalert.h) and marks it \Seen only once its alert
 * (if any) is durable. One node at a time polls (the scheduler's lease
 * "imap"); a message seen twice (a crash before \Seen) is kept once. With
 * SMTP configured, each poll also queues and sends the acknowledgements
 * to the reporters (ir/mailack.h).
 */
#ifndef IRDESK_IR_MAILBOX_H
#define IRDESK_IR_MAILBOX_H

struct err;
struct mailack;
struct mailbox;
struct mailsettings;

#define MAILBOX_PASSWORD_MAX 1024  /* bytes of the password file */
#define MAILBOX_BATCH 50           /* messages handled per poll */

struct mailbox_config {
	const char *db_url;          /* the thread opens its own connection */
	const char *url;             /* imap://host[:port]/MAILBOX or imaps://...; no user in it */
	const char *user;
	const char *password_file;   /* read once at start; the password is never logged */
	int interval;                /* seconds between polls (1 .. 86400); with IDLE, between logins */
	struct mailsettings *mail;   /* the analyser's settings (borrowed: must outlive the mailbox) */
	struct mailack *ack;         /* acknowledgements to reporters (borrowed), or NULL: none */
};

/*
 * Check cfg, read the password and start the polling thread; *out is the
 * caller's (mailbox_stop). ERR_USAGE / ERR_INVALID for a bad URL or
 * interval, ERR_IO for an unreadable password file. An IMAP server that is
 * down is only logged and retried at the next poll.
 */
int mailbox_start(const struct mailbox_config *cfg, struct mailbox **out, struct err *e);
/*
 * Read the secret in the file at path into out without its final newline
 * (option names the command-line option in messages). ERR_IO when it cannot
 * be read, ERR_INVALID when empty or longer than MAILBOX_PASSWORD_MAX - 1.
 */
int mailbox_read_secret(const char *option, const char *path, char out[MAILBOX_PASSWORD_MAX + 1],
			struct err *e);
/* Stop the thread (a poll in progress finishes) and free mb; NULL is fine. */
void mailbox_stop(struct mailbox *mb);

#endif
