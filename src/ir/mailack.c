/*
 * mailack.c: acknowledgements to reporters over SMTP: who gets one (the
 * report's own From, never the analysed sender), the queue in mail_acks
 * (migration 0010), the bilingual note and the libcurl SMTP transaction.
 * See mailack.h.
 */
#include "ir/mailack.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/mailbox.h"
#include "ir/observable.h"
#include "ir/scheduler.h"
#include "mail/mail.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FROM_HEADER_MAX 4096  /* bytes of the report's From header looked at */

struct mailack {
	char *url, *from, *user;
	char password[MAILBOX_PASSWORD_MAX + 1];
	struct scheduler *sender;  /* mailack_start's job, or NULL */
};

/* ---- setting up ---- */

static int check_url(const char *url, struct err *e)
{
	const char *host;

	if (strncmp(url, "smtp://", 7) && strncmp(url, "smtps://", 8))
		return err_set(e, ERR_USAGE, "--smtp-url: expected smtp://HOST[:PORT] or smtps://...");
	host = strstr(url, "://") + 3;
	if (memchr(host, '@', strcspn(host, "/")))
		return err_set(e, ERR_USAGE, "--smtp-url: give the user with --smtp-user, not in the URL");
	for (const char *q = url; *q; q++)
		if ((unsigned char)*q <= 0x20 || *q == '"' || *q == '\\')
			return err_set(e, ERR_USAGE, "--smtp-url: unusual character in the URL");
	return 0;
}

void mailack_free(struct mailack *ma)
{
	if (!ma)
		return;
	scheduler_stop(ma->sender);
	sodium_memzero(ma->password, sizeof(ma->password));
	free(ma->url);
	free(ma->from);
	free(ma->user);
	free(ma);
}

int mailack_new(const struct mailack_config *cfg, struct mailack **out, struct err *e)
{
	enum observable_type t = OBS_EMAIL;
	char from[OBSERVABLE_VALUE_MAX];
	struct mailack *ma;
	int rc;

	*out = NULL;
	if ((rc = check_url(cfg->url, e)))
		return rc;
	if (!cfg->from || observable_normalize(cfg->from, &t, from, sizeof(from), NULL))
		return err_set(e, ERR_USAGE, "--smtp-from: expected the sender's e-mail address");
	if (!cfg->user != !cfg->password_file)
		return err_set(e, ERR_USAGE, "--smtp-user and --smtp-password-file go together");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_set(e, ERR_INTERNAL, "cannot start libcurl");
	if (!(ma = calloc(1, sizeof(*ma))))
		return err_set(e, ERR_NOMEM, "out of memory");
	ma->url = strdup(cfg->url);
	ma->from = strdup(from);
	ma->user = cfg->user ? strdup(cfg->user) : NULL;
	if (!ma->url || !ma->from || (cfg->user && !ma->user))
		rc = err_set(e, ERR_NOMEM, "out of memory");
	else if (cfg->password_file)
		rc = mailbox_read_secret("--smtp-password-file", cfg->password_file, ma->password, e);
	if (rc) {
		mailack_free(ma);
		return rc;
	}
	*out = ma;
	return 0;
}

/* ---- who is acknowledged ---- */

/* The raw value of the first From header of the top header block, unfolded. */
static void raw_from(const char *data, size_t n, struct buf *out)
{
	const char *p = data, *end = data + n;
	int in_from = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len == 0)
			break; /* the end of the headers */
		if (in_from && (p[0] == ' ' || p[0] == '\t'))
			buf_add(out, p, len);
		else if (in_from)
			break;
		else if (len >= 5 && strncasecmp(p, "From:", 5) == 0 && (in_from = 1))
			buf_add(out, p + 5, len - 5);
		p = nl ? nl + 1 : end;
	}
}

int mailack_reporter(const char *data, size_t n, char *out, size_t outn)
{
	struct buf raw = BUF_INIT;
	enum observable_type t = OBS_EMAIL;
	const char *addr;
	char *lt, *gt, again[OBSERVABLE_VALUE_MAX];
	char *dec;
	int rc = -1;

	buf_init(&raw, FROM_HEADER_MAX);
	raw_from(data, n, &raw);
	dec = raw.len && !buf_error(&raw) ? mail_decode_header(raw.data) : NULL;
	if (!dec)
		goto out;
	lt = strchr(dec, '<');
	if (lt && strchr(lt + 1, '<'))
		goto out; /* several addresses */
	if (lt && (gt = strchr(lt, '>'))) {
		*gt = '\0';
		addr = lt + 1;
	} else {
		char *a = dec + strspn(dec, " \t");
		size_t len = strcspn(a, " \t,;");
		if (a[len + strspn(a + len, " \t")] != '\0')
			goto out; /* more than one token */
		a[len] = '\0';
		addr = a;
	}
	/* Normalised twice: detect/ioc.c maps a trailing ideographic full stop
	 * to a dot it then refuses ("x@gm。"), so only a fixed point is an address. */
	if (observable_normalize(addr, &t, out, outn, NULL) == 0 &&
	    observable_normalize(out, &t, again, sizeof(again), NULL) == 0 && strcmp(out, again) == 0)
		rc = 0;
out:
	free(dec);
	buf_release(&raw);
	return rc;
}

/* 1 when addr is one of the analysed mail's own addresses (the attacker's side). */
static int is_analysed_sender(const json_t *msg, const char *addr)
{
	static const char *const keys[] = { "from", "reply_to", "return_path" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = json_str(msg, keys[i]);
		if (v && *v && strcasecmp(v, addr) == 0)
			return 1;
	}
	return 0;
}

int mailack_queue(struct store *st, const struct mail_config *c, const char *data, size_t n,
		  const json_t *out, int *queued, struct err *e)
{
	const json_t *msg = json_object_get(out, "message");
	const char *oc = json_str(out, "outcome");
	char rcpt[OBSERVABLE_VALUE_MAX];
	struct stmt *s;
	int64_t id = 0;
	int rc;

	if (queued)
		*queued = 0;
	if (!oc || (strcmp(oc, "created") && strcmp(oc, "deduplicated")) ||
	    !json_is_integer(json_object_get(out, "report")) ||
	    !json_is_true(json_object_get(msg, "forwarded")) || mailack_reporter(data, n, rcpt, sizeof(rcpt)) ||
	    is_analysed_sender(msg, rcpt) || (c->own_domains.n && !mail_domain_in(rcpt, &c->own_domains)))
		return 0;
	rc = store_prepare(st, "INSERT INTO mail_acks (report_id, recipient, state, created_at) VALUES "
			       "(?, ?, 'pending', ?) ON CONFLICT (report_id) DO NOTHING RETURNING report_id",
			   &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, json_integer_value(json_object_get(out, "report")));
	stmt_bind_text(s, 2, rcpt);
	stmt_bind_int(s, 3, (int64_t)time(NULL));
	rc = stmt_int_result(s, &id, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
	}
	if (!rc && queued)
		*queued = id != 0;
	return rc;
}

/* ---- the note ---- */

static const struct {
	const char *verdict, *ja, *en;
} verdicts[] = {
	{ "bec", "ビジネスメール詐欺（BEC）の疑い", "suspected business e-mail compromise (bec)" },
	{ "phishing", "フィッシングの疑い", "suspected phishing (phishing)" },
	{ "suspicious", "不審なメール", "suspicious (suspicious)" },
};

static void verdict_words(const char *v, const char **ja, const char **en)
{
	*ja = *en = v;
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		if (strcmp(v, verdicts[i].verdict) == 0) {
			*ja = verdicts[i].ja;
			*en = verdicts[i].en;
		}
}

/* s base64-encoded in lines of 76 (CRLF), appended to out. */
static void add_base64(struct buf *out, const char *s, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(len);

	if (!b64) {
		out->error = ERR_NOMEM; /* the sticky error, checked once by the caller */
		return;
	}
	sodium_bin2base64(b64, len, (const unsigned char *)s, n, sodium_base64_VARIANT_ORIGINAL);
	for (size_t i = 0, total = strlen(b64); i < total; i += 76) {
		buf_add(out, b64 + i, total - i < 76 ? total - i : 76);
		buf_adds(out, "\r\n");
	}
	free(b64);
}

/* s as RFC 2047 encoded words of at most 36 bytes each (whole UTF-8 sequences), folded. */
static void add_encoded_words(struct buf *out, const char *s)
{
	char b64[sodium_base64_ENCODED_LEN(36, sodium_base64_VARIANT_ORIGINAL)];
	size_t n = strlen(s);

	while (n > 0) {
		size_t k = n > 36 ? 36 : n;
		while (k < n && k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
			k--;
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s, k,
				  sodium_base64_VARIANT_ORIGINAL);
		buf_addf(out, "=?UTF-8?B?%s?=%s", b64, k < n ? "\r\n " : "");
		s += k;
		n -= k;
	}
}

/* An RFC 5322 date in UTC, whatever the locale. */
static void rfc5322_date(int64_t now, char out[64])
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
					      "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)now;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 64, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void build_note(const struct mailack *ma, const char *rcpt, int64_t report, int64_t alert,
		       const char *verdict, int64_t now, struct buf *msg)
{
	struct buf subject = BUF_INIT, body = BUF_INIT;
	const char *ja, *en, *dom = strchr(ma->from, '@');
	char date[64];

	verdict_words(verdict, &ja, &en);
	rfc5322_date(now, date);
	buf_addf(&subject, "irdesk: 報告を受け付けました / report received (alert #%lld)", (long long)alert);
	buf_addf(&body, "ご報告ありがとうございます。CSIRT で受け付けました。\r\n\r\n"
		 "  アラート番号: #%lld\r\n  判定: %s\r\n\r\n"
		 "報告されたメールのリンクや添付ファイルは開かず、返信や送金・口座変更などの依頼にも\r\n"
		 "応じないでください。必要なときは、電話など別の手段で相手に確認してください。\r\n\r\n"
		 "--\r\nThank you for your report. The CSIRT has received it.\r\n\r\n"
		 "  Alert: #%lld\r\n  Verdict: %s\r\n\r\n"
		 "Do not open links or attachments in the reported mail, and do not reply to it or act on\r\n"
		 "its requests (payments, bank account changes). If needed, check with the sender by\r\n"
		 "another channel, such as a phone call.\r\n\r\n"
		 "This is an automatic message from irdesk; please do not reply.\r\n",
		 (long long)alert, ja, (long long)alert, en);
	buf_addf(msg, "From: <%s>\r\nTo: <%s>\r\nSubject: ", ma->from, rcpt);
	add_encoded_words(msg, subject.data);
	buf_addf(msg, "\r\nDate: %s\r\nMessage-ID: <irdesk-ack-%lld-%lld@%s>\r\n"
		 "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
		 "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		 date, (long long)report, (long long)now, dom ? dom + 1 : "irdesk.invalid");
	add_base64(msg, body.data, body.len);
	buf_release(&subject);
	buf_release(&body);
}

/* ---- sending ---- */

struct reader {
	const struct buf *msg;
	size_t pos;
};

static size_t read_msg(char *ptr, size_t size, size_t nmemb, void *userp)
{
	struct reader *r = userp;
	size_t n = r->msg->len - r->pos;

	if (n > size * nmemb)
		n = size * nmemb;
	memcpy(ptr, r->msg->data + r->pos, n);
	r->pos += n;
	return n;
}

static CURLcode smtp_send(const struct mailack *ma, const char *rcpt, const struct buf *msg,
			  char errbuf[CURL_ERROR_SIZE])
{
	struct reader r = { msg, 0 };
	struct curl_slist *to = NULL;
	struct buf mfrom = BUF_INIT, rto = BUF_INIT;
	CURL *c = curl_easy_init();
	CURLcode cc;

	errbuf[0] = '\0';
	if (!c)
		return CURLE_OUT_OF_MEMORY;
	buf_addf(&mfrom, "<%s>", ma->from);
	buf_addf(&rto, "<%s>", rcpt);
	to = curl_slist_append(NULL, rto.data);
	curl_easy_setopt(c, CURLOPT_URL, ma->url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, mfrom.data);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_msg);
	curl_easy_setopt(c, CURLOPT_READDATA, &r);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (ma->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, ma->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, ma->password);
	}
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK && !errbuf[0])
		snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(cc));
	curl_slist_free_all(to);
	curl_easy_cleanup(c);
	buf_release(&mfrom);
	buf_release(&rto);
	return cc;
}

/* Claim one pending acknowledgement: 1 when this call moved it to "sending". */
static int claim(struct store *st, int64_t report, struct err *e)
{
	struct stmt *s;
	int64_t id = 0;
	int rc = store_prepare(st, "UPDATE mail_acks SET state = 'sending', attempts = attempts + 1 "
			       "WHERE report_id = ? AND state = 'pending' RETURNING report_id", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, report);
	rc = stmt_int_result(s, &id, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		return 0;
	}
	return rc ? rc : id != 0;
}

/* Record the outcome of one send (audited when sent), in one transaction. */
static int settle(struct store *st, int64_t report, int64_t alert, const char *rcpt, int64_t now,
		  const char *error, struct err *e)
{
	struct actor sys;
	struct stmt *s;
	char oid[32];
	int rc = store_begin(st, e);

	if (rc)
		return rc;
	rc = store_prepare(st, error ? "UPDATE mail_acks SET state = CASE WHEN attempts >= ? THEN "
				       "'failed' ELSE 'pending' END, last_error = ? WHERE report_id = ?"
				     : "UPDATE mail_acks SET state = 'sent', sent_at = ?, last_error = ? "
				       "WHERE report_id = ?", &s, e);
	if (!rc) {
		stmt_bind_int(s, 1, error ? MAILACK_ATTEMPTS : now);
		stmt_bind_text(s, 2, error ? error : "");
		stmt_bind_int(s, 3, report);
		rc = stmt_exec(s, e);
	}
	if (!rc && !error) {
		json_t *after = json_pack("{s:I,s:s}", "report", (json_int_t)report, "recipient", rcpt);
		actor_system(&sys, NULL);
		sys.now = now;
		snprintf(oid, sizeof(oid), "%lld", (long long)alert);
		rc = audit_append(st, &sys, "mail.ack", "alert", oid, NULL, after, e);
		json_decref(after);
	}
	if (!rc)
		rc = store_commit(st, e);
	if (rc)
		store_rollback(st);
	return rc;
}

static int pending(struct store *st, json_t **rows, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT a.report_id, a.recipient, r.alert_id, r.verdict FROM "
			       "mail_acks a JOIN mail_reports r ON r.id = a.report_id WHERE a.state = "
			       "'pending' ORDER BY a.report_id LIMIT ?", &s, e);

	*rows = json_array();
	if (rc)
		return rc;
	stmt_bind_int(s, 1, MAILACK_BATCH);
	while ((rc = stmt_step(s, e)) == 1)
		json_array_append_new(*rows, json_pack("{s:I,s:s,s:I,s:s}", "report",
						       (json_int_t)stmt_int(s, 0), "to", stmt_text(s, 1),
						       "alert", (json_int_t)stmt_int(s, 2), "verdict",
						       stmt_text(s, 3)));
	stmt_done(s);
	return rc;
}

/* A failure that every other send of this round would meet too. */
static int server_unreachable(CURLcode cc)
{
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
	       cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_LOGIN_DENIED;
}

int mailack_send_pending(struct mailack *ma, struct store *st, int64_t now, struct err *e)
{
	json_t *rows = NULL, *r;
	size_t i;
	int rc = pending(st, &rows, e);

	json_array_foreach(rows, i, r) {
		int64_t report = json_integer_value(json_object_get(r, "report"));
		int64_t alert = json_integer_value(json_object_get(r, "alert"));
		const char *to = json_str(r, "to");
		char errbuf[CURL_ERROR_SIZE];
		struct buf msg = BUF_INIT;
		CURLcode cc;
		int got;
		if (rc)
			break;
		if ((got = claim(st, report, e)) <= 0) {
			rc = got;
			continue;
		}
		build_note(ma, to, report, alert, json_str(r, "verdict"), now, &msg);
		cc = buf_error(&msg) ? CURLE_OUT_OF_MEMORY : smtp_send(ma, to, &msg, errbuf);
		buf_release(&msg);
		if (cc == CURLE_OK)
			log_info("smtp: acknowledgement of report %lld (alert #%lld) sent to %s",
				 (long long)report, (long long)alert, to);
		else
			log_warn("smtp: acknowledgement of report %lld to %s: %s (retried later)",
				 (long long)report, to, errbuf);
		rc = settle(st, report, alert, to, now, cc == CURLE_OK ? NULL : errbuf, e);
		if (!rc && server_unreachable(cc))
			break;
	}
	json_decref(rows);
	return rc;
}

/* One round of the sender job, under the lease "smtp". */
static int sender_tick(void *ctx, struct store *st, int64_t now, struct err *e)
{
	return mailack_send_pending(ctx, st, now, e);
}

int mailack_start(struct mailack *ma, const char *db_url, struct err *e)
{
	struct scheduler_job j = { "smtp", db_url, MAILACK_RETRY_S, sender_tick, ma };

	return scheduler_job_start(&j, &ma->sender, e);
}

void mailack_wake(struct mailack *ma)
{
	scheduler_wake(ma->sender);
}
