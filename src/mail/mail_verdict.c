/*
 * mail_verdict.c: from reasons to a verdict. The score is the sum of the
 * weights (language capped, since a mailbox full of invoices talks about
 * payments), at most 100. Reasons are grouped (identity, routing,
 * authentication, language, links, attachments, context, content) and a
 * verdict needs two groups (or one, and faint signs in two more) or one
 * strong reason, so one weak signal alone never makes one. bec or
 * phishing: whichever kind of reason weighs more.
 */
#include "mail/mail.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LANGUAGE_CAP 40

void mail_reason_add(struct mail_result *r, const char *code, enum mail_group g, int weight, int strong,
		     int bec, const char *fmt, ...)
{
	struct mail_reason *nr = realloc(r->reasons, (r->nreasons + 1) * sizeof(*nr));
	struct buf d;
	va_list ap;

	if (!nr)
		return;
	r->reasons = nr;
	buf_init(&d, 1024);
	va_start(ap, fmt);
	buf_vaddf(&d, fmt, ap);
	va_end(ap);
	nr[r->nreasons].code = code;
	nr[r->nreasons].weight = weight;
	nr[r->nreasons].group = g;
	nr[r->nreasons].strong = strong;
	nr[r->nreasons].bec = bec;
	nr[r->nreasons].detail = buf_detach(&d, NULL);
	if (!nr[r->nreasons].detail)
		nr[r->nreasons].detail = strdup("");
	r->nreasons++;
}

const char *mail_verdict_name(enum mail_verdict v)
{
	switch (v) {
	case VERDICT_SUSPICIOUS: return "suspicious";
	case VERDICT_PHISHING: return "phishing";
	case VERDICT_BEC: return "bec";
	default: return "clean";
	}
}

static void decide(struct mail_result *r, const struct mail_config *c)
{
	int group_w[GROUP__COUNT] = { 0 }, groups = 0, faint = 0, strong = 0, bec = 0, other = 0, score = 0;

	for (size_t i = 0; i < r->nreasons; i++) {
		const struct mail_reason *x = &r->reasons[i];
		group_w[x->group] += x->weight;
		strong |= x->strong;
		if (x->bec)
			bec += x->weight;
		else
			other += x->weight;
	}
	if (group_w[GROUP_LANGUAGE] > LANGUAGE_CAP)
		group_w[GROUP_LANGUAGE] = LANGUAGE_CAP;
	for (int g = 0; g < GROUP__COUNT; g++) {
		score += group_w[g];
		/* A group counts when it says more than one faint thing. */
		if (group_w[g] >= 10)
			groups++;
		if (group_w[g] >= 5)
			faint++;
	}
	/* One clear group and faint signs in two more also agree. */
	if (groups == 1 && faint >= 3)
		groups = 2;
	r->score = score > 100 ? 100 : score;
	r->verdict = VERDICT_CLEAN;
	if (groups < 2 && !strong)
		return;
	if (r->score >= c->threshold_malicious && (groups >= 2 || r->score >= 80))
		r->verdict = bec > other ? VERDICT_BEC : VERDICT_PHISHING;
	else if (r->score >= c->threshold_suspicious)
		r->verdict = VERDICT_SUSPICIOUS;
}

int mail_analyze(const struct mail_config *c, const char *data, size_t n, struct mail_result *r,
		 struct err *e)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = mail_parse(data, n, c->unwrap, &c->own_domains, &r->msg, e);
	if (rc)
		return rc;
	mail_auth_read(&r->msg, c, &r->auth);
	mail_iocs_extract(&r->msg, &r->iocs);
	mail_signals_run(r, c);
	decide(r, c);
	return 0;
}

void mail_result_release(struct mail_result *r)
{
	mail_msg_release(&r->msg);
	mail_iocs_release(&r->iocs);
	mail_auth_release(&r->auth);
	for (size_t i = 0; i < r->nreasons; i++)
		free(r->reasons[i].detail);
	free(r->reasons);
	free(r->folded);
	memset(r, 0, sizeof(*r));
}
