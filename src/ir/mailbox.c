/*
 * mailbox.c: polling the report mailbox over IMAP. libcurl connects, does
 * TLS and logs in (CURLOPT_CONNECT_ONLY); the few IMAP commands after that
 * are written here, because curl's own FETCH is not BODY.PEEK and would
 * mark a message \Seen before its alert is durable. See mailbox.h.
 */
#include "ir/mailbox.h"
#include "ir/actor.h"
#include "ir/mailack.h"
#include "ir/mailalert.h"
#include "ir/mailsettings.h"
#include "ir/scheduler.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAP_TIMEOUT_MS 30000
#define IMAP_REPLY_MAX (MAILALERT_MAX + 64 * 1024)

struct mailbox {
	struct scheduler *job;       /* the polling thread, under the lease "imap" */
	char *url, *user, *folder;
	char password[MAILBOX_PASSWORD_MAX + 1];
	struct mailsettings *mail;
	struct mailack *ack;         /* NULL: no acknowledgements */
};

/* One IMAP session on a connected, logged-in curl handle. */
struct imap {
	CURL *c;
	int tag;
	struct buf in;  /* bytes received and not yet consumed */
};

static int wait_socket(struct imap *im, int for_recv)
{
	curl_socket_t fd;
	struct pollfd p;

	if (curl_easy_getinfo(im->c, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD)
		return -1;
	p.fd = fd;
	p.events = for_recv ? POLLIN : POLLOUT;
	return poll(&p, 1, IMAP_TIMEOUT_MS) > 0 ? 0 : -1;
}

static int imap_send(struct imap *im, const char *s, size_t n, struct err *e)
{
	while (n > 0) {
		size_t sent = 0;
		CURLcode cc = curl_easy_send(im->c, s, n, &sent);
		if (cc == CURLE_AGAIN) {
			if (wait_socket(im, 0))
				return err_set(e, ERR_IO, "imap: timed out sending");
			continue;
		}
		if (cc != CURLE_OK)
			return err_set(e, ERR_IO, "imap: %s", curl_easy_strerror(cc));
		s += sent;
		n -= sent;
	}
	return 0;
}

/* Receive more bytes into im->in. */
static int imap_more(struct imap *im, struct err *e)
{
	char chunk[16384];

	for (;;) {
		size_t got = 0;
		CURLcode cc = curl_easy_recv(im->c, chunk, sizeof(chunk), &got);
		if (cc == CURLE_AGAIN) {
			if (wait_socket(im, 1))
				return err_set(e, ERR_IO, "imap: timed out waiting for the server");
			continue;
		}
		if (cc != CURLE_OK)
			return err_set(e, ERR_IO, "imap: %s", curl_easy_strerror(cc));
		if (got == 0)
			return err_set(e, ERR_IO, "imap: the server closed the connection");
		buf_add(&im->in, chunk, got);
		return buf_error(&im->in) ? err_set(e, ERR_TOOLONG, "imap: reply too large") : 0;
	}
}

/*
 * Send "TAG cmd" and read the reply up to the tagged status line, literals
 * included, into out (raw). Returns 0 on OK, ERR_IO otherwise.
 */
static int imap_cmd(struct imap *im, const char *cmd, struct buf *out, struct err *e)
{
	char tag[16];
	struct buf line = BUF_INIT;
	size_t pos = 0;
	int rc;

	snprintf(tag, sizeof(tag), "A%d ", ++im->tag);
	buf_addf(&line, "%s%s\r\n", tag, cmd);
	rc = imap_send(im, line.data, line.len, e);
	buf_release(&line);
	for (; !rc;) {
		char *nl = memchr(im->in.data + pos, '\n', im->in.len - pos);
		size_t len, lit;
		if (!nl) {
			rc = imap_more(im, e);
			continue;
		}
		len = (size_t)(nl - (im->in.data + pos)) + 1;
		/* A line ending in {N} is followed by N bytes of literal. */
		if (len >= 4 && nl[-1] == '\r' && nl[-2] == '}') {
			const char *open = memrchr(im->in.data + pos, '{', len);
			lit = open ? strtoull(open + 1, NULL, 10) : 0;
			if (lit > IMAP_REPLY_MAX)
				return err_set(e, ERR_TOOLONG, "imap: literal of %zu bytes", lit);
			while (!rc && im->in.len - pos < len + lit)
				rc = imap_more(im, e);
			if (rc)
				break;
			len += lit;
			buf_add(out, im->in.data + pos, len);
			pos += len;
			continue;
		}
		buf_add(out, im->in.data + pos, len);
		if (strncmp(im->in.data + pos, tag, strlen(tag)) == 0) {
			if (strncmp(im->in.data + pos + strlen(tag), "OK", 2) != 0)
				rc = err_set(e, ERR_IO, "imap: %.*s", (int)(len > 200 ? 200 : len - 2),
					     im->in.data + pos);
			pos += len;
			break;
		}
		pos += len;
	}
	/* Keep what follows the reply (nothing, normally). */
	memmove(im->in.data, im->in.data + pos, im->in.len - pos);
	im->in.len -= pos;
	im->in.data[im->in.len] = '\0';
	return rc;
}

/* The UIDs of "* SEARCH 1 2 3" in reply, at most MAILBOX_BATCH. */
static size_t search_uids(const char *reply, unsigned long *uids)
{
	const char *p = strstr(reply, "* SEARCH");
	size_t n = 0;

	if (!p)
		return 0;
	p += 8;
	while (n < MAILBOX_BATCH && *p == ' ') {
		char *end;
		unsigned long v = strtoul(p + 1, &end, 10);
		if (end == p + 1)
			break;
		uids[n++] = v;
		p = end;
	}
	return n;
}

/* The literal of the FETCH reply: *data, *n point into reply. */
static int fetched_body(const struct buf *reply, const char **data, size_t *n)
{
	const char *p = strstr(reply->data, "BODY[] {"), *nl;

	if (!p || !(nl = strstr(p, "}\r\n")))
		return -1;
	*n = strtoull(p + 8, NULL, 10);
	*data = nl + 3;
	return (size_t)(reply->data + reply->len - *data) >= *n ? 0 : -1;
}

/* Fetch message uid, submit it, and mark it \Seen once that is done. */
static int handle_one(struct mailbox *mb, struct imap *im, struct store *st, unsigned long uid,
		      int *alerts, struct err *e)
{
	struct buf reply = BUF_INIT, cmd = BUF_INIT;
	struct actor who;
	const char *data;
	json_t *out = NULL;
	size_t n;
	int rc;

	buf_init(&reply, IMAP_REPLY_MAX);
	buf_addf(&cmd, "UID FETCH %lu (BODY.PEEK[])", uid);
	rc = imap_cmd(im, cmd.data, &reply, e);
	if (rc)
		goto out;
	if (fetched_body(&reply, &data, &n) == 0) {
		struct mailcfg_hold *hold = NULL;
		struct err sub;
		actor_system(&who, NULL);
		snprintf(who.name, sizeof(who.name), "imap");
		err_clear(&sub);
		rc = mailsettings_acquire(mb->mail, st, &hold, &sub);
		if (!rc)
			rc = mailalert_submit(st, &who, mailcfg_of(hold), data, n, "imap", &out, &sub);
		if (!rc && mb->ack && mailack_queue(st, mailcfg_of(hold), data, n, out, NULL, &sub))
			log_warn("imap: message uid %lu: acknowledgement not queued: %s", uid, err_msg(&sub));
		mailsettings_release(mb->mail, hold);
		if (rc == ERR_PARSE || rc == ERR_TOOLONG)
			log_warn("imap: message uid %lu: %s: marked seen, not analysed", uid, err_msg(&sub));
		else if (rc) {
			/* The store failed: leave it unseen for the next poll. */
			rc = err_set(e, rc, "message uid %lu: %s", uid, err_msg(&sub));
			goto out;
		}
		if (out && json_is_integer(json_object_get(out, "alert")) &&
		    strcmp(json_string_value(json_object_get(out, "outcome")), "duplicate") != 0)
			(*alerts)++;
	} else {
		log_warn("imap: message uid %lu: no body in the reply: marked seen", uid);
	}
	buf_release(&cmd);
	buf_addf(&cmd, "UID STORE %lu +FLAGS.SILENT (\\Seen)", uid);
	buf_reset(&reply);
	rc = imap_cmd(im, cmd.data, &reply, e);
out:
	json_decref(out);
	buf_release(&reply);
	buf_release(&cmd);
	return rc;
}

/* One poll: connect, select, handle each unseen message, log out. */
static int poll_once(struct mailbox *mb, struct store *st, int *handled, int *alerts,
		     struct err *e)
{
	struct imap im = { curl_easy_init(), 0, BUF_INIT };
	struct buf reply = BUF_INIT, cmd = BUF_INIT;
	unsigned long uids[MAILBOX_BATCH];
	CURLcode cc;
	size_t n;
	int rc;

	if (!im.c)
		return err_set(e, ERR_NOMEM, "imap: cannot start curl");
	buf_init(&im.in, IMAP_REPLY_MAX);
	curl_easy_setopt(im.c, CURLOPT_URL, mb->url);
	curl_easy_setopt(im.c, CURLOPT_USERNAME, mb->user);
	curl_easy_setopt(im.c, CURLOPT_PASSWORD, mb->password);
	curl_easy_setopt(im.c, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(im.c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(im.c, CURLOPT_NOSIGNAL, 1L);
	cc = curl_easy_perform(im.c);
	if (cc != CURLE_OK) {
		rc = err_set(e, ERR_IO, "imap: %s: %s", mb->url, curl_easy_strerror(cc));
		goto out;
	}
	buf_addf(&cmd, "SELECT \"%s\"", mb->folder);
	if ((rc = imap_cmd(&im, cmd.data, &reply, e)))
		goto out;
	buf_reset(&reply);
	if ((rc = imap_cmd(&im, "UID SEARCH UNSEEN", &reply, e)))
		goto out;
	n = search_uids(reply.data, uids);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = handle_one(mb, &im, st, uids[i], alerts, e);
		*handled += !rc;
	}
	if (!rc) {
		buf_reset(&reply);
		imap_cmd(&im, "LOGOUT", &reply, e);
		err_clear(e);
	}
out:
	curl_easy_cleanup(im.c);
	buf_release(&im.in);
	buf_release(&reply);
	buf_release(&cmd);
	return rc;
}

/* One poll, run by the scheduler's thread while this node holds the lease. */
static int poll_tick(void *ctx, struct store *st, int64_t now, struct err *e)
{
	struct mailbox *mb = ctx;
	int handled = 0, alerts = 0, rc = poll_once(mb, st, &handled, &alerts, e);
	struct err ack;

	if (handled)
		log_info("imap: %d message%s handled, %d new alert%s", handled, handled == 1 ? "" : "s",
			 alerts, alerts == 1 ? "" : "s");
	/* Acknowledgements go out after the intake, even when the IMAP server failed. */
	err_clear(&ack);
	if (mb->ack && mailack_send_pending(mb->ack, st, now, &ack))
		log_warn("smtp: acknowledgements: %s", err_msg(&ack));
	return rc;
}

int mailbox_read_secret(const char *option, const char *path, char out[MAILBOX_PASSWORD_MAX + 1],
			struct err *e)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return err_set(e, ERR_IO, "%s: %s: %s", option, path, strerror(errno));
	n = fread(out, 1, MAILBOX_PASSWORD_MAX, f);
	fclose(f);
	if (n >= MAILBOX_PASSWORD_MAX)
		return err_set(e, ERR_INVALID, "%s: longer than %d bytes", option, MAILBOX_PASSWORD_MAX - 1);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	out[n] = '\0';
	return n ? 0 : err_set(e, ERR_INVALID, "%s: %s is empty", option, path);
}

/* The mailbox named by the URL's path ("INBOX" when none); no quotes or controls. */
static int parse_url(struct mailbox *mb, const char *url, struct err *e)
{
	const char *host, *slash, *p;

	if (strncmp(url, "imap://", 7) && strncmp(url, "imaps://", 8))
		return err_set(e, ERR_USAGE, "--imap-url: expected imap://HOST[:PORT]/MAILBOX or imaps://...");
	host = strstr(url, "://") + 3;
	slash = strchr(host, '/');
	if (memchr(host, '@', slash ? (size_t)(slash - host) : strlen(host)))
		return err_set(e, ERR_USAGE, "--imap-url: give the user with --imap-user, not in the URL");
	p = slash && slash[1] ? slash + 1 : "INBOX";
	for (const char *q = p; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == '"' || *q == '\\' || *q == ';' || *q == '?')
			return err_set(e, ERR_USAGE, "--imap-url: unusual character in the mailbox name");
	mb->folder = strdup(p);
	mb->url = strndup(url, slash ? (size_t)(slash - url) : strlen(url));
	return mb->folder && mb->url ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}

static void mailbox_free(struct mailbox *mb)
{
	sodium_memzero(mb->password, sizeof(mb->password));
	free(mb->url);
	free(mb->user);
	free(mb->folder);
	free(mb);
}

int mailbox_start(const struct mailbox_config *cfg, struct mailbox **out, struct err *e)
{
	struct scheduler_job j = { "imap", cfg->db_url, cfg->interval, poll_tick, NULL };
	struct mailbox *mb;
	int rc;

	*out = NULL;
	/* Not thread-safe: once here, before the thread's first curl_easy_init. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_set(e, ERR_INTERNAL, "cannot start libcurl");
	if (cfg->interval < 1 || cfg->interval > 86400)
		return err_set(e, ERR_USAGE, "--imap-interval: expected 1 to 86400 seconds");
	if (!cfg->user || !*cfg->user || !cfg->password_file)
		return err_set(e, ERR_USAGE, "--imap-url needs --imap-user and --imap-password-file");
	if (!(mb = calloc(1, sizeof(*mb))))
		return err_set(e, ERR_NOMEM, "out of memory");
	if ((rc = parse_url(mb, cfg->url, e)) || (rc = mailbox_read_secret("--imap-password-file", cfg->password_file, mb->password, e)))
		goto fail;
	if (!(mb->user = strdup(cfg->user))) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	mb->mail = cfg->mail;
	mb->ack = cfg->ack;
	j.ctx = mb;
	if ((rc = scheduler_job_start(&j, &mb->job, e)))
		goto fail;
	*out = mb;
	return 0;
fail:
	mailbox_free(mb);
	return rc;
}

void mailbox_stop(struct mailbox *mb)
{
	if (!mb)
		return;
	scheduler_stop(mb->job);
	mailbox_free(mb);
}
