/*
 * audit.c: the tamper-evident audit log: appending rows to the hash chain
 * inside the caller's transaction, walking the chain to find the first row
 * that was changed, removed or reordered, and listing rows for people.
 */
#include "ir/audit.h"
#include "ir/actor.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"

#include <ctype.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define LIST_DEFAULT 100
#define LIST_MAX 10000
/* A log that keeps growing while we walk it is re-read at most this often. */
#define VERIFY_PASSES 100

/*
 * The serialisation a row's hash covers. It starts with a version tag, then
 * every field in a fixed order, each written as "<decimal byte length>:<bytes>\n";
 * a NULL before or after is written as "-\n", which no length-prefixed field
 * can be, so NULL differs from "" and no two different rows serialise alike:
 *
 *   "irdesk-audit-v1\n" prev_hash seq at actor action object_type object_id before after
 *
 * seq and at are decimal integers ("42", "1795653000").
 */
#define HASH_TAG "irdesk-audit-v1\n"

/*
 * SHA-256 through OpenSSL's EVP interface: it uses the CPU's SHA extensions
 * where there are some, several times faster than libsodium's portable code
 * on the kilobyte-sized rows every change writes. The serialisation's small
 * pieces (length prefixes, separators, short fields) are gathered in a
 * block and hashed together: a digest update costs far more than copying a
 * few bytes.
 */
struct hasher {
	EVP_MD_CTX *h;
	size_t n;
	char block[1024];
};

static void hash_flush(struct hasher *hs)
{
	if (hs->n)
		EVP_DigestUpdate(hs->h, hs->block, hs->n);
	hs->n = 0;
}

static void hash_bytes(struct hasher *hs, const char *p, size_t n)
{
	if (n > sizeof(hs->block) - hs->n) {
		hash_flush(hs);
		if (n > sizeof(hs->block)) {
			EVP_DigestUpdate(hs->h, p, n);
			return;
		}
	}
	memcpy(hs->block + hs->n, p, n);
	hs->n += n;
}

/* The decimal digits of v into the end of a 24-byte buffer; returns their start. */
static const char *decimal(uint64_t v, int negative, char buf[24])
{
	char *p = buf + 24;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	if (negative)
		*--p = '-';
	return p;
}

static void hash_field(struct hasher *hs, const char *s)
{
	char num[24];
	const char *d;
	size_t n;

	if (!s) {
		hash_bytes(hs, "-\n", 2);
		return;
	}
	n = strlen(s);
	d = decimal(n, 0, num);
	hash_bytes(hs, d, (size_t)(num + sizeof(num) - d));
	hash_bytes(hs, ":", 1);
	hash_bytes(hs, s, n);
	hash_bytes(hs, "\n", 1);
}

static void hash_int(struct hasher *hs, int64_t v)
{
	char num[24], text[25];
	const char *d = decimal(v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, num);
	size_t n = (size_t)(num + sizeof(num) - d);

	memcpy(text, d, n);
	text[n] = '\0';
	hash_field(hs, text);
}

/* The row hash without sodium_init(): callers have done it. */
static int row_hash(const char *prev_hash, int64_t seq, int64_t at, const char *actor,
		    const char *action, const char *object_type, const char *object_id,
		    const char *before, const char *after, char out[AUDIT_HASH_HEX])
{
	struct hasher hs = { .h = EVP_MD_CTX_new(), .n = 0 };
	unsigned char md[32];
	unsigned int mdlen = 0;
	int ok;

	ok = hs.h && EVP_DigestInit_ex(hs.h, EVP_sha256(), NULL) == 1;
	if (ok) {
		hash_bytes(&hs, HASH_TAG, strlen(HASH_TAG));
		hash_field(&hs, prev_hash);
		hash_int(&hs, seq);
		hash_int(&hs, at);
		hash_field(&hs, actor);
		hash_field(&hs, action);
		hash_field(&hs, object_type);
		hash_field(&hs, object_id);
		hash_field(&hs, before);
		hash_field(&hs, after);
		hash_flush(&hs);
		ok = EVP_DigestFinal_ex(hs.h, md, &mdlen) == 1 && mdlen == sizeof(md);
	}
	EVP_MD_CTX_free(hs.h);
	if (!ok)
		return ERR_INTERNAL;
	sodium_bin2hex(out, AUDIT_HASH_HEX, md, sizeof(md));
	return 0;
}

static int crypto_start(struct err *e)
{
	/* Idempotent and thread-safe; 1 means it already ran. */
	if (sodium_init() < 0)
		return err_set(e, ERR_INTERNAL, "audit: libsodium failed to start");
	return 0;
}

int audit_row_hash(const char *prev_hash, int64_t seq, int64_t at, const char *actor,
		   const char *action, const char *object_type, const char *object_id,
		   const char *before, const char *after, char out[AUDIT_HASH_HEX])
{
	int rc = crypto_start(NULL);

	if (rc)
		return rc;
	return row_hash(prev_hash, seq, at, actor, action, object_type, object_id, before, after, out);
}

/* Store v as compact JSON with sorted keys in b; NULL stays NULL. */
static int dump_json(const json_t *v, struct buf *b, const char **out, struct err *e)
{
	*out = NULL;
	if (!v)
		return 0;
	if (json_dump_buf(v, 0, b))
		return err_set(e, ERR_NOMEM, "out of memory");
	*out = b->data;
	return 0;
}

/*
 * The head of the chain this transaction last wrote, kept in a store memo:
 * the transaction holds the head row locked from its first append on.
 */
#define HEAD_MEMO "audit_head"

/*
 * The next sequence number and the hash it follows. The first append in a
 * transaction takes the number with an UPDATE, which locks the head row:
 * appenders queue there. Later appends in the same transaction take it from
 * the memo the previous one left.
 */
static int next_seq(struct store *st, int64_t *seq, char prev[AUDIT_HASH_HEX], struct err *e)
{
	const struct store_memo *m = store_memo_get(st, HEAD_MEMO);
	struct stmt *s;
	int rc;

	if (m && strlen(m->text) == AUDIT_HASH_HEX - 1) {
		*seq = m->num + 1;
		memcpy(prev, m->text, AUDIT_HASH_HEX);
		return 0;
	}
	rc = store_prepare(st, "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
			   &s, e);
	if (rc)
		return rc;
	rc = stmt_step(s, e);
	if (rc == 0)
		rc = err_set(e, ERR_STORE, "the head of the chain is missing");
	if (rc < 0) {
		stmt_done(s);
		return rc;
	}
	*seq = stmt_int(s, 0);
	snprintf(prev, AUDIT_HASH_HEX, "%s", stmt_text(s, 1));
	return stmt_exec(s, e); /* runs it to the end and hands it back */
}

int audit_append(struct store *st, const struct actor *who, const char *action,
		 const char *object_type, const char *object_id,
		 const json_t *before, const json_t *after, struct err *e)
{
	struct buf bbuf = BUF_INIT, abuf = BUF_INIT;
	const char *btext = NULL, *atext = NULL;
	char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX];
	struct stmt *s = NULL;
	int64_t seq, at;
	int rc;

	if (!st->in_tx)
		return err_set(e, ERR_INTERNAL, "audit: append outside a transaction");
	if (!who || !action || !*action || !object_type || !*object_type || !object_id)
		return err_set(e, ERR_INTERNAL, "audit: append without actor, action or object");
	rc = crypto_start(e);
	if (rc)
		return rc;
	rc = dump_json(before, &bbuf, &btext, e);
	if (!rc)
		rc = dump_json(after, &abuf, &atext, e);
	if (rc)
		goto out;
	at = who->now ? who->now : time_now();
	rc = next_seq(st, &seq, prev, e);
	if (rc)
		goto out;

	rc = row_hash(prev, seq, at, who->name, action, object_type, object_id, btext, atext, hash);
	if (rc) {
		err_set(e, rc, "sha-256 failed");
		goto out;
	}

	rc = store_prepare(st, "INSERT INTO audit_log (seq, at, actor, action, object_type, "
			       "object_id, before, after, prev_hash, hash) "
			       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &s, e);
	if (rc)
		goto out;
	stmt_bind_int(s, 1, seq);
	stmt_bind_int(s, 2, at);
	stmt_bind_text(s, 3, who->name);
	stmt_bind_text(s, 4, action);
	stmt_bind_text(s, 5, object_type);
	stmt_bind_text(s, 6, object_id);
	stmt_bind_text(s, 7, btext);
	stmt_bind_text(s, 8, atext);
	stmt_bind_text(s, 9, prev);
	stmt_bind_text(s, 10, hash);
	rc = stmt_exec(s, e);
	if (rc)
		goto out;

	rc = store_prepare(st, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", &s, e);
	if (rc)
		goto out;
	stmt_bind_int(s, 1, seq);
	stmt_bind_text(s, 2, hash);
	rc = stmt_exec(s, e);
	if (!rc)
		store_memo_set(st, HEAD_MEMO, seq, hash);
out:
	if (rc) {
		store_memo_forget(st, HEAD_MEMO);
		err_prefix(e, "audit");
	}
	buf_release(&bbuf);
	buf_release(&abuf);
	return rc;
}

int audit_head(struct store *st, int64_t *seq, char hash[AUDIT_HASH_HEX], struct err *e)
{
	struct stmt *s;
	int rc;

	rc = store_prepare(st, "SELECT seq, hash FROM audit_head WHERE id = 1", &s, e);
	if (rc)
		return rc;
	rc = stmt_step(s, e);
	if (rc == 1) {
		*seq = stmt_int(s, 0);
		snprintf(hash, AUDIT_HASH_HEX, "%s", stmt_text(s, 1));
		rc = 0;
	} else if (rc == 0) {
		rc = err_set(e, ERR_STORE, "audit: the head of the chain is missing");
	}
	stmt_done(s);
	return rc;
}

int audit_anchor_parse(const char *s, struct audit_anchor *out, struct err *e)
{
	const char *colon, *p, *end;
	int64_t seq = 0;
	size_t n;

	memset(out, 0, sizeof(*out));
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	colon = memchr(s, ':', (size_t)(end - s));
	if (!colon || colon == s)
		goto bad;
	for (p = s; p < colon; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		if (seq > (INT64_MAX - (*p - '0')) / 10)
			goto bad;
		seq = seq * 10 + (*p - '0');
	}
	n = (size_t)(end - colon - 1);
	if (n != AUDIT_HASH_HEX - 1)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)colon[1 + i];
		if (!isxdigit(c))
			goto bad;
		out->hash[i] = (char)tolower(c);
	}
	out->hash[n] = '\0';
	out->seq = seq;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return err_set(e, ERR_PARSE, "anchor '%.80s': expected SEQ:HASH with 64 hex digits "
		       "(as printed by 'irdesk audit anchor')", s);
}

/* Record the first broken row in rep and e; returns ERR_TAMPERED. */
static int tampered(struct audit_report *rep, struct err *e, int64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int tampered(struct audit_report *rep, struct err *e, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	rep->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(rep->problem, sizeof(rep->problem), fmt, ap);
	va_end(ap);
	return err_set(e, ERR_TAMPERED, "audit log broken at row %" PRId64 ": %s", seq, rep->problem);
}

static int anchor_missing(struct audit_report *rep, struct err *e, int64_t seq,
			  const struct audit_anchor *anchor)
{
	return tampered(rep, e, seq, "anchor %" PRId64 ":%.8s… not found: the log was cut or rewritten",
			anchor->seq, anchor->hash);
}

/*
 * Check the rows after rep->head_seq in order, extending rep as they pass.
 * Only the previous row's hash is kept, so memory stays constant however
 * long the log is.
 */
static int walk(struct store *st, const struct audit_anchor *anchor, struct audit_report *rep,
		struct err *e)
{
	char hash[AUDIT_HASH_HEX];
	struct stmt *s;
	int rc;

	rc = store_prepare(st, "SELECT seq, at, actor, action, object_type, object_id, before, "
			       "after, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq",
			   &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, rep->head_seq);
	while ((rc = stmt_step(s, e)) == 1) {
		int64_t seq = stmt_int(s, 0), want = rep->head_seq + 1;
		const char *before = stmt_is_null(s, 6) ? NULL : stmt_text(s, 6);
		const char *after = stmt_is_null(s, 7) ? NULL : stmt_text(s, 7);
		const char *stored = stmt_text(s, 9);

		if (seq != want) {
			rc = tampered(rep, e, want, "row %" PRId64 " is missing: the log jumps from %"
				      PRId64 " to %" PRId64, want, rep->head_seq, seq);
			break;
		}
		if (strcmp(stmt_text(s, 8), rep->head_hash) != 0) {
			if (seq == 1)
				rc = tampered(rep, e, seq, "row 1 does not start the chain: "
					      "rows were removed, reordered or replaced");
			else
				rc = tampered(rep, e, seq, "row %" PRId64 " does not follow row %" PRId64
					      ": rows were removed, reordered or replaced",
					      seq, rep->head_seq);
			break;
		}
		if (row_hash(rep->head_hash, seq, stmt_int(s, 1), stmt_text(s, 2), stmt_text(s, 3),
			     stmt_text(s, 4), stmt_text(s, 5), before, after, hash)) {
			rc = err_set(e, ERR_INTERNAL, "sha-256 failed");
			break;
		}
		if (strcmp(hash, stored) != 0) {
			rc = tampered(rep, e, seq, "row %" PRId64 " was changed: its contents do not "
				      "match its hash", seq);
			break;
		}
		if (anchor && anchor->seq == seq && strcmp(anchor->hash, hash) != 0) {
			rc = anchor_missing(rep, e, seq, anchor);
			break;
		}
		rep->rows++;
		rep->head_seq = seq;
		memcpy(rep->head_hash, hash, sizeof(hash));
	}
	stmt_done(s);
	return rc;
}

/* The rows end where the head of the chain says they end, with its hash. */
static int check_head(int64_t hseq, const char *hhash, struct audit_report *rep, struct err *e)
{
	if (strcmp(hhash, rep->head_hash) == 0)
		return 0;
	if (hseq == 0)
		return tampered(rep, e, 1, "the log is empty but its head records hash %.8s…", hhash);
	return tampered(rep, e, hseq, "row %" PRId64 " is not the row the head of the chain "
			"records (%.8s…): it was rewritten", hseq, hhash);
}

int audit_verify(struct store *st, const struct actor *who, const struct audit_anchor *anchor,
		 struct audit_report *rep, struct err *e)
{
	char hhash[AUDIT_HASH_HEX];
	int64_t hseq;
	int rc;

	memset(rep, 0, sizeof(*rep));
	memcpy(rep->head_hash, GENESIS_HASH, sizeof(rep->head_hash));
	rc = authz_check(who, ACT_AUDIT_READ, e);
	if (!rc)
		rc = crypto_start(e);
	if (rc)
		return rc;
	if (anchor && anchor->seq == 0 && strcmp(anchor->hash, GENESIS_HASH) != 0)
		return anchor_missing(rep, e, 1, anchor);

	/*
	 * The head is read before the rows: rows never disappear, so the walk
	 * must reach at least the head. Rows past it may be appends that
	 * committed meanwhile, so the head is read again and the walk goes on;
	 * an append commits its row and the new head together.
	 */
	rc = audit_head(st, &hseq, hhash, e);
	for (int pass = 0; !rc; pass++) {
		if (pass == VERIFY_PASSES)
			return err_set(e, ERR_BUSY, "audit log keeps growing: verify again later");
		rc = walk(st, anchor, rep, e);
		if (rc)
			return rc;
		if (rep->head_seq < hseq) {
			if (rep->head_seq + 1 == hseq)
				return tampered(rep, e, rep->head_seq + 1, "row %" PRId64 " was cut off "
						"the end: the log ends at %" PRId64 " but its head is at %"
						PRId64, hseq, rep->head_seq, hseq);
			return tampered(rep, e, rep->head_seq + 1, "rows %" PRId64 " to %" PRId64
					" were cut off the end: the log ends at %" PRId64,
					rep->head_seq + 1, hseq, rep->head_seq);
		}
		if (rep->head_seq == hseq) {
			rc = check_head(hseq, hhash, rep, e);
			break;
		}
		rc = audit_head(st, &hseq, hhash, e);
		if (!rc && hseq < rep->head_seq)
			return tampered(rep, e, hseq + 1, "row %" PRId64 " lies beyond the head of "
					"the chain (%" PRId64 "): rows were added outside irdesk or "
					"the head was moved back", hseq + 1, hseq);
		if (!rc && hseq == rep->head_seq) {
			rc = check_head(hseq, hhash, rep, e);
			break;
		}
	}
	if (rc)
		return rc;
	if (anchor && anchor->seq > rep->head_seq)
		return anchor_missing(rep, e, rep->head_seq + 1, anchor);
	return 0;
}

/* The stored JSON text as a value; text that does not parse stays a string. */
static json_t *stored_json(struct stmt *s, int col)
{
	const char *t;
	json_t *v;

	if (stmt_is_null(s, col))
		return json_null();
	t = stmt_text(s, col);
	v = json_loads(t, JSON_DECODE_ANY, NULL);
	if (!v)
		v = json_string(t);
	return v ? v : json_null();
}

int audit_list(struct store *st, const struct actor *who, const struct audit_filter *f,
	       json_t **out, struct err *e)
{
	static const struct audit_filter none;
	struct buf sql = BUF_INIT;
	struct stmt *s = NULL;
	json_t *arr = NULL;
	int limit, idx = 1, rc;

	*out = NULL;
	if (!f)
		f = &none;
	rc = authz_check(who, ACT_AUDIT_READ, e);
	if (rc)
		return rc;
	if (f->limit < 0 || f->after_seq < 0)
		return err_set(e, ERR_INVALID, "audit: limit and sequence numbers cannot be negative");
	limit = f->limit == 0 ? LIST_DEFAULT : f->limit > LIST_MAX ? LIST_MAX : f->limit;

	buf_adds(&sql, "SELECT seq, at, actor, action, object_type, object_id, before, after, hash "
		       "FROM audit_log WHERE seq > ?");
	if (f->object_type)
		buf_adds(&sql, " AND object_type = ?");
	if (f->object_id)
		buf_adds(&sql, " AND object_id = ?");
	if (f->actor)
		buf_adds(&sql, " AND actor = ?");
	buf_adds(&sql, f->newest_first ? " ORDER BY seq DESC LIMIT ?" : " ORDER BY seq LIMIT ?");
	if (buf_error(&sql)) {
		rc = err_set(e, ERR_NOMEM, "audit: out of memory");
		goto out;
	}
	rc = store_prepare(st, sql.data, &s, e);
	if (rc)
		goto out;
	stmt_bind_int(s, idx++, f->after_seq);
	if (f->object_type)
		stmt_bind_text(s, idx++, f->object_type);
	if (f->object_id)
		stmt_bind_text(s, idx++, f->object_id);
	if (f->actor)
		stmt_bind_text(s, idx++, f->actor);
	stmt_bind_int(s, idx, limit);

	arr = json_array();
	if (!arr) {
		rc = err_set(e, ERR_NOMEM, "audit: out of memory");
		goto out;
	}
	while ((rc = stmt_step(s, e)) == 1) {
		json_t *row = json_object();

		if (!row || json_array_append_new(arr, row)) {
			rc = err_set(e, ERR_NOMEM, "audit: out of memory");
			break;
		}
		json_set_int(row, "seq", stmt_int(s, 0));
		json_set_time(row, "at", stmt_int(s, 1));
		json_set_str(row, "actor", stmt_text(s, 2));
		json_set_str(row, "action", stmt_text(s, 3));
		json_set_str(row, "object_type", stmt_text(s, 4));
		json_set_str(row, "object_id", stmt_text(s, 5));
		json_object_set_new(row, "before", stored_json(s, 6));
		json_object_set_new(row, "after", stored_json(s, 7));
		json_set_str(row, "hash", stmt_text(s, 8));
	}
out:
	stmt_done(s);
	buf_release(&sql);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}
