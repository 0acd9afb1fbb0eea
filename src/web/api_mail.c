/*
 * api_mail.c: the REST API of reported mail: POST /api/v1/mail takes a
 * raw message (streamed into a bounded buffer, up to MAILALERT_MAX), answers its analysis and, for a bec, phishing or suspicious
 * verdict, the alert it became (ir/mailalert.h), and queues the
 * reporter's acknowledgement when SMTP is configured (ir/mailack.h); GET
 * /api/v1/alerts/{alert}/mail lists the mails kept with an alert; GET and
 * PUT /api/v1/settings/mail read and change the analyser's settings.
 */
#include "ir/mailack.h"
#include "ir/mailalert.h"
#include "ir/mailsettings.h"
#include "util/err.h"
#include "util/log.h"
#include "web/api.h"
#include "web/http.h"
#include "web/req.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Raw messages only: a JSON or form body is a mistake, not a mail. */
static int raw_message_type(struct request *rq)
{
	const char *ct = req_header(rq, "Content-Type");
	size_t n = ct ? strcspn(ct, "; \t") : 0;

	if (ct && ((n == 14 && strncasecmp(ct, "message/rfc822", n) == 0) ||
		   (n == 24 && strncasecmp(ct, "application/octet-stream", n) == 0)))
		return 0;
	return err_set(&rq->err, ERR_PARSE, "Content-Type: send the raw message as message/rfc822 or "
		       "application/octet-stream");
}

/* The message as it arrives: a buffer capped at MAILALERT_MAX. */
static int mail_data(struct request *rq, const char *p, size_t n)
{
	struct buf *b = rq->stream_ctx;

	buf_add(b, p, n);
	return buf_error(b) ? err_set(&rq->err, ERR_TOOLONG, "message too large (at most %d bytes)",
				      MAILALERT_MAX) : 0;
}

/*
 * With SMTP configured, queue the reporter's acknowledgement of a stored
 * report (mailack_queue's rules) and wake the sender: the request never
 * waits for SMTP. The report stands when queuing fails: that is logged.
 */
static void queue_ack(struct request *rq, const struct mail_config *c, const struct buf *b,
		      const json_t *out)
{
	struct mailack *ack = http_mailack(rq->srv);
	struct err e;
	int queued = 0;

	if (!ack)
		return;
	err_clear(&e);
	if (mailack_queue(rq->st, c, b->data, b->len, out, &queued, &e))
		log_warn("api: report %lld: acknowledgement not queued: %s",
			 (long long)json_integer_value(json_object_get(out, "report")), err_msg(&e));
	else if (queued)
		mailack_wake(ack);
}

/* The whole message is in: analyse it with the settings in force, answer. */
static int mail_finish(struct request *rq, struct response *rs)
{
	struct mailsettings *ms = http_mail_settings(rq->srv);
	struct mailcfg_hold *hold = NULL;
	struct buf *b = rq->stream_ctx;
	json_t *out = NULL;
	const char *oc;
	int rc;

	if ((rc = mailsettings_acquire(ms, rq->st, &hold, &rq->err)))
		return rc;
	rc = mailalert_submit(rq->st, &rq->actor, mailcfg_of(hold), b->data, b->len, "api", &out,
			      &rq->err);
	if (!rc)
		queue_ack(rq, mailcfg_of(hold), b, out);
	mailsettings_release(ms, hold);
	if (rc)
		return rc;
	oc = json_string_value(json_object_get(out, "outcome"));
	return resp_json(rs, oc && strcmp(oc, "created") == 0 ? 201 : 200, out);
}

static void mail_release(struct request *rq)
{
	struct buf *b = rq->stream_ctx;

	if (b)
		buf_release(b);
	free(b);
	rq->stream_ctx = NULL;
}

static const struct req_stream mail_stream = { mail_data, mail_finish, mail_release };

/*
 * POST /api/v1/mail (ROUTE_STREAM): up to MAILALERT_MAX bytes, refused with
 * 413 from the Content-Length before the body is read, or as soon as a
 * body without one passes the limit. 201 with the analysis and "alert"
 * when an alert was created, 200 otherwise (clean, or the alert already
 * existed).
 */
int api_mail_post(struct request *rq, struct response *rs)
{
	const char *len = req_header(rq, "Content-Length");
	struct buf *b;
	int rc;

	(void)rs;
	if ((rc = raw_message_type(rq)))
		return rc;
	if (!http_mail_settings(rq->srv))
		return err_set(&rq->err, ERR_BUSY, "mail analysis is not configured in this server");
	if (len && strtoull(len, NULL, 10) > MAILALERT_MAX)
		return err_set(&rq->err, ERR_TOOLONG, "message too large (at most %d bytes)", MAILALERT_MAX);
	if (!(b = malloc(sizeof(*b))))
		return err_set(&rq->err, ERR_NOMEM, "out of memory");
	buf_init(b, MAILALERT_MAX);
	rq->stream_max = MAILALERT_MAX;
	rq->stream_ctx = b;
	rq->stream = &mail_stream;
	return 0;
}

/* GET /api/v1/alerts/{alert}/mail */
int api_alert_mail(struct request *rq, struct response *rs)
{
	const char *s = req_param(rq, 0);
	json_t *items = NULL;
	char *end;
	long long id;
	int rc;

	errno = 0;
	id = strtoll(s, &end, 10);
	if (!*s || *end || errno || id <= 0)
		return err_set(&rq->err, ERR_NOTFOUND, "alert %.40s not found", s);
	rc = mailalert_reports(rq->st, &rq->actor, id, &items, &rq->err);
	if (rc)
		return rc;
	return api_items(rs, items);
}

/* GET /api/v1/settings/mail: the analyser's settings in force and where they come from. */
int api_mail_settings_get(struct request *rq, struct response *rs)
{
	json_t *out = NULL;
	int rc = mailsettings_show(http_mail_settings(rq->srv), rq->st, &rq->actor, &out, &rq->err);

	return rc ? rc : resp_json(rs, 200, out);
}

/* PUT /api/v1/settings/mail: the whole settings (the --mail-config file's JSON). */
int api_mail_settings_put(struct request *rq, struct response *rs)
{
	json_t *out = NULL;
	int rc = mailsettings_save(rq->st, &rq->actor, rq->body.data, rq->body.len, &out, &rq->err);

	return rc ? rc : resp_json(rs, 200, out);
}
