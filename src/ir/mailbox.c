/*
 * mailbox.c: polling the report mailbox over IMAP. libcurl connects, does
 * TLS and logs in (CURLOPT_CONNECT_ONLY); the few IMAP commands after that
 * are written here, because curl's own FETCH is not BODY.PEEK and would
 * mark a message \Seen before its alert is durable. When the server has
 * IDLE (RFC 2177), a poll stays connected until the next one is due and
 * handles each new message as the server announces it (EXISTS), so a
 * report becomes an alert within seconds whatever the interval. See
 * mailbox.h.
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
#include "util/json.h"
#include "util/log.h"
#include "util/time.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAP_TIMEOUT_MS 30000
#define IDLE_SLICE_MS 250    /* how often an IDLE wait looks at the clock and at stop */
#define IMAP_REPLY_MAX (MAILALERT_MAX + 64 * 1024)

struct mailbox {
	struct scheduler *job;       /* the polling thread, under the lease "imap" */
	char *url, *user, *folder;
	char password[MAILBOX_PASSWORD_MAX + 1];
	struct mailsettings *mail;
	struct mailack *ack;         /* NULL: no acknowledgements */
	int interval;                /* seconds between polls: how long one may IDLE */
	int stopping;                /* set by mailbox_stop (atomic): end an IDLE at once */
};

/* One IMAP session on a connected, logged-in curl handle. */
struct imap {
	CURL *c;
	int tag;
	struct buf in;  /* bytes received and not yet consumed */
};

/* 0 when the socket is ready within ms, 1 when not, -1 on error. */
static int socket_ready(struct imap *im, int for_recv, int ms)
{
	curl_socket_t fd;
	struct pollfd p;
	int n;

	if (curl_easy_getinfo(im->c, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK || fd == CURL_SOCKET_BAD)
		return -1;
	p.fd = fd;
	p.events = for_recv ? POLLIN : POLLOUT;
	n = poll(&p, 1, ms);
	return n > 0 ? 0 : n == 0 ? 1 : -1;
}

static int wait_socket(struct imap *im, int for_recv)
{
	return socket_ready(im, for_recv, IMAP_TIMEOUT_MS) ? -1 : 0;
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
 * Read the reply to the command tagged tag ("A7 ") up to its tagged status
 * line, literals included, into out (raw); with until_plus, a continuation
 * request ("+ idling") ends it too. Returns 0 on OK (or the continuation),
 * ERR_IO otherwise.
 */
static int imap_reply(struct imap *im, const char *tag, int until_plus, struct buf *out, struct err *e)
{
	size_t pos = 0;
	int rc = 0;

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
		if (until_plus && im->in.data[pos] == '+') {
			pos += len;
			break;
		}
		if (strncmp(im->in.data + pos, tag, strlen(tag)) == 0) {
			if (strncmp(im->in.data + pos + strlen(tag), "OK", 2) != 0)
				rc = err_set(e, ERR_IO, "imap: %.*s", (int)(len > 200 ? 200 : len - 2),
					     im->in.data + pos);
			pos += len;
			break;
		}
		pos += len;
	}
	/* Keep what follows the reply (nothing, normally; what IDLE announces). */
	memmove(im->in.data, im->in.data + pos, im->in.len - pos);
	im->in.len -= pos;
	im->in.data[im->in.len] = '\0';
	return rc;
}

/* Send "TAG cmd"; the new tag in tag. */
static int imap_tagged(struct imap *im, const char *cmd, char tag[16], struct err *e)
{
	struct buf line = BUF_INIT;
	int rc;

	snprintf(tag, 16, "A%d ", ++im->tag);
	buf_addf(&line, "%s%s\r\n", tag, cmd);
	rc = imap_send(im, line.data, line.len, e);
	buf_release(&line);
	return rc;
}

/* Send cmd and read its reply into out (imap_reply). */
static int imap_cmd(struct imap *im, const char *cmd, struct buf *out, struct err *e)
{
	char tag[16];
	int rc = imap_tagged(im, cmd, tag, e);

	return rc ? rc : imap_reply(im, tag, 0, out, e);
}

/* 1 when s[0..n) holds an untagged "* N EXISTS" line: the mailbox grew. */
static int announces_mail(const char *s, size_t n)
{
	for (const char *p = s, *end = s + n; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 2 && p[0] == '*' && memmem(p, len, " EXISTS", 7))
			return 1;
		p += len + 1;
	}
	return 0;
}

static int stopping(const struct mailbox *mb)
{
	return __atomic_load_n(&mb->stopping, __ATOMIC_ACQUIRE);
}

/*
 * IDLE until the server announces a message (*more = 1), until deadline
 * (seconds, time_now) or until the mailbox stops; then DONE and its reply.
 */
static int imap_idle(struct mailbox *mb, struct imap *im, int64_t deadline, int *more, struct err *e)
{
	struct buf reply = BUF_INIT;
	char tag[16];
	int rc;

	*more = 0;
	buf_init(&reply, IMAP_REPLY_MAX);
	if ((rc = imap_tagged(im, "IDLE", tag, e)) || (rc = imap_reply(im, tag, 1, &reply, e)))
		goto out;
	*more = announces_mail(reply.data, reply.len);
	while (!*more && !rc && !stopping(mb) && time_now() < deadline) {
		int ready = socket_ready(im, 1, IDLE_SLICE_MS);
		if (ready < 0)
			rc = err_set(e, ERR_IO, "imap: lost the connection while idle");
		else if (ready == 0 && !(rc = imap_more(im, e)))
			*more = announces_mail(im->in.data, im->in.len);
	}
	if (!rc) {
		buf_reset(&reply);
		if (!(rc = imap_send(im, "DONE\r\n", 6, e)))
			rc = imap_reply(im, tag, 0, &reply, e);
	}
out:
	buf_release(&reply);
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
		/* New alerts only: not a report folded into an alert (deduplicated) or kept before. */
		if (out && json_is_integer(json_object_get(out, "alert")) &&
		    json_str(out, "outcome") && !strcmp(json_str(out, "outcome"), "created"))
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

/* Send the acknowledgements that are due (after the intake, whatever it did). */
static void send_acks(struct mailbox *mb, struct store *st)
{
	struct err ack;

	err_clear(&ack);
	if (mb->ack && mailack_send_pending(mb->ack, st, time_now(), &ack))
		log_warn("smtp: acknowledgements: %s", err_msg(&ack));
}

/* Handle each unseen message (at most MAILBOX_BATCH a round). */
static int handle_unseen(struct mailbox *mb, struct imap *im, struct store *st, int *handled, int *alerts,
			 struct err *e)
{
	struct buf reply = BUF_INIT;
	unsigned long uids[MAILBOX_BATCH];
	size_t n;
	int rc = imap_cmd(im, "UID SEARCH UNSEEN", &reply, e);

	n = rc ? 0 : search_uids(reply.data, uids);
	buf_release(&reply);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = handle_one(mb, im, st, uids[i], alerts, e);
		*handled += !rc;
	}
	return rc;
}

/*
 * One poll: connect, select, handle each unseen message; with IDLE, wait
 * for the next until deadline and handle it at once; log out.
 */
static int poll_once(struct mailbox *mb, struct store *st, int64_t deadline, int *handled, int *alerts,
		     struct err *e)
{
	struct imap im = { curl_easy_init(), 0, BUF_INIT };
	struct buf reply = BUF_INIT, cmd = BUF_INIT;
	CURLcode cc;
	int rc, idle, more = 1;

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
	if ((rc = imap_cmd(&im, "CAPABILITY", &reply, e)))
		goto out;
	idle = strstr(reply.data, " IDLE") != NULL;
	while (more && !rc) {
		int h = 0, a = 0;
		rc = handle_unseen(mb, &im, st, &h, &a, e);
		if (h) {
			log_info("imap: %d message%s handled, %d new alert%s", h, h == 1 ? "" : "s", a,
				 a == 1 ? "" : "s");
			send_acks(mb, st);
		}
		*handled += h;
		*alerts += a;
		more = 0;
		if (!rc && idle && !stopping(mb) && time_now() < deadline)
			rc = imap_idle(mb, &im, deadline, &more, e);
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

/*
 * One poll, run by the scheduler's thread while this node holds the lease;
 * with IDLE it lasts until the next is due (a second early, so the lease,
 * renewed at each run, never lapses).
 */
static int poll_tick(void *ctx, struct store *st, int64_t now, struct err *e)
{
	struct mailbox *mb = ctx;
	int handled = 0, alerts = 0, rc = poll_once(mb, st, now + mb->interval - 1, &handled, &alerts, e);

	/* Acknowledgements go out after the intake, even when the IMAP server failed. */
	send_acks(mb, st);
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
	mb->interval = cfg->interval;
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
	__atomic_store_n(&mb->stopping, 1, __ATOMIC_RELEASE);
	scheduler_stop(mb->job);
	mailbox_free(mb);
}
