/*
 * mailalert.c: reported mails as alerts: analyse, record the alert, keep
 * the raw message (base64 in mail_reports) and copy it into the evidence
 * locker when the alert reaches an incident. See mailalert.h.
 */
#include "ir/mailalert.h"
#include "ir/actor.h"
#include "ir/alert.h"
#include "ir/alertobs.h"
#include "ir/audit.h"
#include "ir/evidence.h"
#include "mail/mail.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *verdict_level(enum mail_verdict v)
{
	return v == VERDICT_SUSPICIOUS ? "medium" : "high";
}

/* Append s to b without letting b pass max bytes or cutting a UTF-8 sequence. */
static void add_bounded(struct buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (b->len >= max)
		return;
	if (n > max - b->len) {
		n = max - b->len;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	buf_add(b, s, n);
}

/* "bec: <detail>; <detail>; <detail>": the verdict and the three heaviest reasons. */
static void alert_title(const struct mail_result *r, struct buf *t)
{
	int used[3] = { -1, -1, -1 };

	buf_addf(t, "%s:", mail_verdict_name(r->verdict));
	for (int k = 0; k < 3; k++) {
		int best = -1;
		for (size_t i = 0; i < r->nreasons; i++) {
			if ((int)i == used[0] || (int)i == used[1] || r->reasons[i].weight <= 0)
				continue;
			if (best < 0 || r->reasons[i].weight > r->reasons[best].weight)
				best = (int)i;
		}
		if (best < 0)
			break;
		used[k] = best;
		add_bounded(t, k ? "; " : " ", MAILALERT_TITLE_MAX);
		add_bounded(t, r->reasons[best].detail, MAILALERT_TITLE_MAX);
	}
}

/* The alert's event: who sent it, what it says and why it was flagged. */
static json_t *alert_event(const json_t *analysis)
{
	const json_t *msg = json_object_get(analysis, "message");
	const json_t *iocs = json_object_get(analysis, "iocs");
	json_t *reasons = json_array(), *x;
	size_t i;

	json_array_foreach(json_object_get(analysis, "reasons"), i, x)
		json_array_append_new(reasons, json_pack("{s:O,s:O}", "code", json_object_get(x, "code"),
							 "detail", json_object_get(x, "detail")));
	return json_pack("{s:{s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:o,s:O,s:O,s:O}}", "mail",
			 "message_id", json_object_get(msg, "message_id"),
			 "from", json_object_get(msg, "from"),
			 "from_name", json_object_get(msg, "from_name"),
			 "reply_to", json_object_get(msg, "reply_to"),
			 "return_path", json_object_get(msg, "return_path"),
			 "subject", json_object_get(msg, "subject"),
			 "verdict", json_object_get(analysis, "verdict"),
			 "score", json_object_get(analysis, "score"),
			 "reasons", reasons,
			 "domains", json_object_get(iocs, "domains"),
			 "urls", json_object_get(iocs, "urls"),
			 "emails", json_object_get(iocs, "emails"));
}

/* The alert a message already kept belongs to: *alert_id, or 0. */
static int find_kept(struct store *st, const char *message_id, const char *sha, int64_t *alert_id,
		     struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT alert_id FROM mail_reports WHERE (message_id = ? AND "
			       "message_id <> '') OR sha256 = ? ORDER BY id LIMIT 1", &s, e);

	if (rc)
		return rc;
	stmt_bind_text(s, 1, message_id);
	stmt_bind_text(s, 2, sha);
	rc = stmt_int_result(s, alert_id, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		*alert_id = 0;
		rc = 0;
	}
	return rc;
}

struct kept {
	const char *data, *sha, *origin;
	size_t n;
	const struct mail_result *r;
	const json_t *analysis;
};

/* Keep the message with alert alert_id, audited; *rid gets its mail_reports id. */
static int keep_message(struct store *st, const struct actor *who, int64_t alert_id,
			const struct kept *k, int64_t *rid, struct err *e)
{
	size_t b64len = sodium_base64_ENCODED_LEN(k->n, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(b64len), oid[32];
	struct buf an = BUF_INIT;
	struct stmt *s;
	int rc;

	*rid = 0;
	if (!b64)
		return err_set(e, ERR_NOMEM, "out of memory");
	sodium_bin2base64(b64, b64len, (const unsigned char *)k->data, k->n,
			  sodium_base64_VARIANT_ORIGINAL);
	json_dump_buf(k->analysis, 0, &an);
	rc = store_prepare(st, "INSERT INTO mail_reports (alert_id, message_id, sha256, size, raw, "
			       "analysis, verdict, score, origin, created_by, created_at) VALUES "
			       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id", &s, e);
	if (rc)
		goto out;
	stmt_bind_int(s, 1, alert_id);
	stmt_bind_text(s, 2, k->r->msg.message_id ? k->r->msg.message_id : "");
	stmt_bind_text(s, 3, k->sha);
	stmt_bind_int(s, 4, (int64_t)k->n);
	stmt_bind_text(s, 5, b64);
	stmt_bind_text(s, 6, an.data);
	stmt_bind_text(s, 7, mail_verdict_name(k->r->verdict));
	stmt_bind_int(s, 8, k->r->score);
	stmt_bind_text(s, 9, k->origin);
	stmt_bind_text(s, 10, who->name);
	stmt_bind_int(s, 11, who->now);
	rc = stmt_int_result(s, rid, e);
	if (!rc) {
		json_t *after = json_pack("{s:I,s:s,s:s,s:s,s:i,s:s,s:I}", "report", (json_int_t)*rid,
					  "message_id", k->r->msg.message_id ? k->r->msg.message_id : "",
					  "sha256", k->sha, "verdict", mail_verdict_name(k->r->verdict),
					  "score", k->r->score, "origin", k->origin, "size",
					  (json_int_t)k->n);
		snprintf(oid, sizeof(oid), "%lld", (long long)alert_id);
		rc = audit_append(st, who, "mail.submit", "alert", oid, NULL, after, e);
		json_decref(after);
	}
out:
	free(b64);
	buf_release(&an);
	return rc;
}

/* The analysis's indicators as observables of the alert. */
static int keep_observables(struct store *st, int64_t alert_id, const struct mail_iocs *io,
			    int64_t now, struct err *e)
{
	const struct {
		const struct strv *v;
		enum observable_type t;
	} kinds[] = {
		{ &io->urls, OBS_URL }, { &io->domains, OBS_DOMAIN }, { &io->ips, OBS_IP },
		{ &io->emails, OBS_EMAIL }, { &io->hashes, OBS_SHA256 },
	};
	int rc = 0;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (size_t i = 0; i < kinds[k].v->n && !rc; i++)
			rc = alertobs_add(st, alert_id, kinds[k].t, kinds[k].v->v[i], now, NULL, e);
	return rc;
}

static const char *outcome_name(enum alert_outcome o)
{
	return o == ALERT_CREATED ? "created" : o == ALERT_DEDUPLICATED ? "deduplicated" : "suppressed";
}

/* Record the alert and keep the message, in one transaction. */
static int record(struct store *st, const struct actor *who, const struct kept *k, json_t *out,
		  struct err *e)
{
	static const char *const tags[] = { "attack.initial-access", "attack.t1566", NULL };
	struct buf title = BUF_INIT, ev = BUF_INIT, rule = BUF_INIT;
	const struct mail_msg *m = &k->r->msg;
	json_t *event = alert_event(k->analysis);
	enum alert_outcome got = ALERT_CREATED;
	struct actor sys;
	int64_t aid = 0, rid = 0;
	const char *outcome;
	int rc = store_begin(st, e);

	/* The alert is detection's record, made by the system; the person who
	 * reported the mail is named in the audit row of the kept message. */
	actor_system(&sys, who->tz);
	sys.now = who->now;
	if (rc)
		goto out;
	rc = find_kept(st, m->message_id ? m->message_id : "", k->sha, &aid, e);
	if (!rc && aid) {
		outcome = "duplicate";
	} else if (!rc) {
		struct alert_input in;
		alert_title(k->r, &title);
		buf_addf(&rule, "mail.%s", mail_verdict_name(k->r->verdict));
		json_dump_buf(event, 0, &ev);
		memset(&in, 0, sizeof(in));
		in.source = "mail";
		in.rule_id = rule.data;
		in.title = title.data;
		in.level = verdict_level(k->r->verdict);
		in.tags = tags;
		in.user = m->from_addr;
		in.host = mail_addr_domain(m->from_addr ? m->from_addr : "");
		in.ip = k->r->iocs.ips.n ? k->r->iocs.ips.v[0] : NULL;
		in.event = ev.data;
		in.event_len = ev.len;
		rc = alert_record(st, &sys, &in, 0, &aid, &got, e);
		outcome = outcome_name(got);
		if (!rc && got != ALERT_SUPPRESSED)
			rc = keep_message(st, who, aid, k, &rid, e);
		if (!rc && got != ALERT_SUPPRESSED)
			rc = keep_observables(st, aid, &k->r->iocs, who->now, e);
	}
	if (!rc)
		rc = store_commit(st, e);
	if (rc) {
		store_rollback(st);
		goto out;
	}
	json_object_set_new(out, "alert", aid ? json_integer(aid) : json_null());
	json_object_set_new(out, "outcome", json_string(outcome));
	json_object_set_new(out, "report", rid ? json_integer(rid) : json_null());
out:
	json_decref(event);
	buf_release(&title);
	buf_release(&ev);
	buf_release(&rule);
	return rc;
}

int mailalert_submit(struct store *st, const struct actor *who, const struct mail_config *c,
		     const char *data, size_t n, const char *origin, json_t **out, struct err *e)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	char sha[crypto_hash_sha256_BYTES * 2 + 1];
	struct mail_result r;
	json_t *j = NULL;
	int rc;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	rc = authz_check(who, ACT_ALERT_TRIAGE, e);
	if (rc)
		return rc;
	if (n > MAILALERT_MAX)
		return err_set(e, ERR_TOOLONG, "message too large (at most %d bytes)", MAILALERT_MAX);
	if (n == 0)
		return err_set(e, ERR_PARSE, "no message: send the raw RFC 5322 message");
	rc = mail_analyze(c, data, n, &r, e);
	if (rc)
		goto out;
	j = mail_result_json(&r, origin);
	if (r.verdict == VERDICT_CLEAN) {
		json_object_set_new(j, "alert", json_null());
		json_object_set_new(j, "outcome", json_null());
		json_object_set_new(j, "report", json_null());
	} else {
		struct kept k = { data, sha, origin, n, &r, j };
		crypto_hash_sha256(hash, (const unsigned char *)data, n);
		sodium_bin2hex(sha, sizeof(sha), hash, sizeof(hash));
		rc = record(st, who, &k, j, e);
	}
out:
	mail_result_release(&r);
	if (rc)
		json_decref(j);
	else
		*out = j;
	return rc;
}

static json_t *report_from_row(struct stmt *s)
{
	json_t *o = json_object(), *an = NULL;
	struct err ignore;

	json_set_int(o, "id", stmt_int(s, 0));
	json_set_str(o, "message_id", stmt_text(s, 1));
	json_set_str(o, "sha256", stmt_text(s, 2));
	json_set_int(o, "size", stmt_int(s, 3));
	json_set_str(o, "verdict", stmt_text(s, 4));
	json_set_int(o, "score", stmt_int(s, 5));
	json_set_str(o, "origin", stmt_text(s, 6));
	json_set_str(o, "created_by", stmt_text(s, 7));
	json_set_time(o, "created_at", stmt_int(s, 8));
	if (stmt_is_null(s, 9))
		json_object_set_new(o, "evidence", json_null());
	else
		json_set_int(o, "evidence", stmt_int(s, 9));
	err_clear(&ignore);
	if (json_parse(stmt_text(s, 10), strlen(stmt_text(s, 10)), 1, &an, &ignore))
		an = json_object();
	json_object_set_new(o, "analysis", an);
	return o;
}

int mailalert_reports(struct store *st, const struct actor *who, int64_t alert_id, json_t **out,
		      struct err *e)
{
	json_t *alert = NULL, *items;
	struct stmt *s;
	int rc;

	*out = NULL;
	rc = alert_get(st, who, alert_id, &alert, e);
	json_decref(alert);
	if (rc)
		return rc;
	rc = store_prepare(st, "SELECT id, message_id, sha256, size, verdict, score, origin, "
			       "created_by, created_at, evidence_id, analysis FROM mail_reports "
			       "WHERE alert_id = ? ORDER BY id", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, alert_id);
	items = json_array();
	while ((rc = stmt_step(s, e)) == 1)
		json_array_append_new(items, report_from_row(s));
	stmt_done(s);
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = items;
	return 0;
}

/* Copy one kept message (id rid, base64 b64) into the locker of incident hid. */
static int copy_one(struct store *st, const struct actor *who, const char *dir, int64_t rid,
		    const char *b64, int64_t at, const char *verdict, int64_t alert_id,
		    const char *hid, struct err *e)
{
	size_t b64len = strlen(b64), n = 0;
	unsigned char *raw = malloc(b64len / 4 * 3 + 3);
	char name[64], when[TIME_STR_MAX];
	struct buf desc = BUF_INIT;
	struct evidence_upload *u = NULL;
	struct evidence_new en;
	json_t *item = NULL;
	struct stmt *s;
	int rc;

	if (!raw)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (sodium_base642bin(raw, b64len / 4 * 3 + 3, b64, b64len, NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL)) {
		rc = err_set(e, ERR_INTERNAL, "mail report %lld: stored message unreadable", (long long)rid);
		goto out;
	}
	snprintf(name, sizeof(name), "reported-mail-%lld.eml", (long long)rid);
	time_format_utc(at, when);
	buf_addf(&desc, "Reported mail kept with alert #%lld (verdict %s).", (long long)alert_id, verdict);
	memset(&en, 0, sizeof(en));
	en.name = name;
	en.media_type = "message/rfc822";
	en.source = "irdesk mail intake";
	en.acquired_at = when;
	en.description = desc.data;
	if ((rc = evidence_upload_new(dir, 0, &u, e)) || (rc = evidence_upload_write(u, raw, n, e)) ||
	    (rc = evidence_add(st, who, hid, &en, u, &item, e)))
		goto out;
	rc = store_prepare(st, "UPDATE mail_reports SET evidence_id = ? WHERE id = ?", &s, e);
	if (rc)
		goto out;
	stmt_bind_int(s, 1, json_integer_value(json_object_get(item, "id")));
	stmt_bind_int(s, 2, rid);
	rc = stmt_exec(s, e);
out:
	evidence_upload_free(u);
	json_decref(item);
	buf_release(&desc);
	free(raw);
	return rc;
}

int mailalert_to_evidence(struct store *st, const struct actor *who, int64_t alert_id,
			  const char *hid, struct err *e)
{
	struct buf dir = BUF_INIT;
	struct stmt *s;
	json_t *rows = json_array(), *r;
	size_t i;
	int rc;

	if (!role_may(who->role, ACT_EVIDENCE_WRITE))
		goto done;
	rc = store_prepare(st, "SELECT id, raw, created_at, verdict FROM mail_reports WHERE "
			       "alert_id = ? AND evidence_id IS NULL ORDER BY id", &s, e);
	if (rc)
		goto fail;
	stmt_bind_int(s, 1, alert_id);
	while ((rc = stmt_step(s, e)) == 1)
		json_array_append_new(rows, json_pack("{s:I,s:s,s:I,s:s}", "id", (json_int_t)stmt_int(s, 0),
						      "raw", stmt_text(s, 1), "at",
						      (json_int_t)stmt_int(s, 2), "verdict",
						      stmt_text(s, 3)));
	stmt_done(s);
	if (rc)
		goto fail;
	if (json_array_size(rows) == 0)
		goto done;
	rc = evidence_dir_resolve(st, NULL, &dir, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		goto done;
	}
	if (rc)
		goto fail;
	json_array_foreach(rows, i, r) {
		rc = copy_one(st, who, dir.data, json_integer_value(json_object_get(r, "id")),
			      json_str(r, "raw"), json_integer_value(json_object_get(r, "at")),
			      json_str(r, "verdict"), alert_id, hid, e);
		if (rc)
			goto fail;
	}
done:
	rc = 0;
fail:
	json_decref(rows);
	buf_release(&dir);
	return rc;
}
