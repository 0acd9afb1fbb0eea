/*
 * api_mail.c: the REST API of reported mail: POST /api/v1/mail takes a
 * raw message, answers its analysis and, for a bec, phishing or suspicious
 * verdict, the alert it became (ir/mailalert.h); GET
 * /api/v1/alerts/{alert}/mail lists the mails kept with an alert.
 */
#include "ir/mailalert.h"
#include "util/err.h"
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

/*
 * POST /api/v1/mail: 201 with the analysis and "alert" when an alert was
 * created, 200 otherwise (clean, or the alert already existed).
 */
int api_mail_post(struct request *rq, struct response *rs)
{
	json_t *out = NULL;
	const char *oc;
	int rc;

	if ((rc = raw_message_type(rq)))
		return rc;
	if (!http_mail_config(rq->srv))
		return err_set(&rq->err, ERR_BUSY, "mail analysis is not configured in this server");
	rc = mailalert_submit(rq->st, &rq->actor, http_mail_config(rq->srv), rq->body.data,
			      rq->body.len, "api", &out, &rq->err);
	if (rc)
		return rc;
	oc = json_string_value(json_object_get(out, "outcome"));
	return resp_json(rs, oc && strcmp(oc, "created") == 0 ? 201 : 200, out);
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
