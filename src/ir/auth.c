/*
 * auth.c: sign-in with password and TOTP, throttled per account and per
 * address; sessions and API tokens kept in the store by hash; TOTP
 * enrolment; per-account preferences. Secrets come from libsodium; only
 * TOTP's HMAC-SHA1 comes from libcrypto, because libsodium has no SHA-1.
 */
#include "ir/auth.h"
#include "ir/audit.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "util/utf8.h"

#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_LEN 32              /* the server key, random ids and tokens */
#define HEX_LEN (2 * KEY_LEN + 1)
#define TOKEN_TAG "ird_"
#define TOKEN_PREFIX_LEN 12     /* "ird_" and 8 characters: 48 of 256 bits shown */
#define TOKEN_NAME_MAX 100      /* characters */
#define TOUCH_EVERY 60          /* seconds between last_seen / last_used writes */
#define DELAY_MAX 60            /* seconds: the longest throttling delay */
#define ADDR_MAX 64             /* bytes of a client address we keep */
#define UA_MAX 256              /* bytes of a user agent we keep */
#define TOTP_STEP 30
#define TOTP_SECRET_LEN 20      /* bytes: 160 bits, as RFC 4226 recommends */
#define SEALED_MAX 256          /* bytes of any sealed value we open */

#define INVALID_CREDENTIALS "invalid username or password"
#define INVALID_SESSION "session expired or unknown: sign in again"
#define INVALID_TOKEN "invalid or revoked api token"

/*
 * The key that turns a session id into the key sealing its CSRF token. A
 * copy of the database holds neither, and the server key alone opens
 * nothing: the cookie value is needed.
 */
static const char csrf_key_label[] = "irdesk-session-csrf-v1";

/* Helpers */

static int crypto_ready(struct err *e)
{
	if (sodium_init() < 0)
		return err_set(e, ERR_INTERNAL, "cannot initialise libsodium");
	return 0;
}

static int64_t actor_now(const struct actor *who)
{
	return who && who->now ? who->now : time_now();
}

/* 1 when s is printable ASCII of at most max bytes, safe to quote and to key on. */
static int printable(const char *s, size_t max)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e || n >= max)
			return 0;
	return 1;
}

/* s for an error message: itself when printable, else "?". */
static const char *quoted(const char *s)
{
	return printable(s, USER_NAME_MAX) ? s : "?";
}

/* store_commit, or roll back when rc (or the commit) failed. */
static int finish(struct store *st, int rc, struct err *e)
{
	if (!rc)
		rc = store_commit(st, e);
	if (rc)
		store_rollback(st);
	return rc;
}

/* base64url without padding of n random bytes into out (AUTH_SESSION_LEN + 1 for 32). */
static void random_b64url(char *out, size_t size)
{
	unsigned char raw[KEY_LEN];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, size, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

/* The lowercase hex SHA-256 of a session's cookie value: its key in the store. */
static void session_hash(const char *id, char out[HEX_LEN])
{
	unsigned char md[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(md, (const unsigned char *)id, strlen(id));
	sodium_bin2hex(out, HEX_LEN, md, sizeof(md));
}

/* The lowercase hex keyed BLAKE2b-256 of an API token: its key in the store. */
static void token_hash(const unsigned char key[KEY_LEN], const char *token, char out[HEX_LEN])
{
	unsigned char md[KEY_LEN];

	crypto_generichash(md, sizeof(md), (const unsigned char *)token, strlen(token), key,
			   KEY_LEN);
	sodium_bin2hex(out, HEX_LEN, md, sizeof(md));
}

/* The server key */

/* Read meta 'server_key' into key; *found says whether there was one. */
static int read_server_key(struct store *st, unsigned char key[KEY_LEN], int *found,
			   struct err *e)
{
	struct stmt *s;
	int rc;

	*found = 0;
	rc = store_prepare(st, "SELECT value FROM meta WHERE key = 'server_key'", &s, e);
	if (rc)
		return rc;
	rc = stmt_step(s, e);
	if (rc == 1) {
		const char *hex = stmt_text(s, 0);
		size_t n = 0;

		rc = 0;
		if (strlen(hex) != 2 * KEY_LEN ||
		    sodium_hex2bin(key, KEY_LEN, hex, 2 * KEY_LEN, NULL, &n, NULL) != 0 ||
		    n != KEY_LEN)
			rc = err_set(e, ERR_STORE, "meta 'server_key' is not %d bytes in hex",
				     KEY_LEN);
		else
			*found = 1;
	}
	stmt_done(s);
	return rc;
}

/*
 * The server key, made on first use. Two processes making it at once both
 * insert-if-absent and read back in one transaction, so they agree on the
 * first one written.
 */
static int server_key(struct store *st, unsigned char key[KEY_LEN], struct err *e)
{
	unsigned char fresh[KEY_LEN];
	char hex[HEX_LEN];
	struct stmt *s;
	int rc, found;

	if (st->server_key_cached) {
		memcpy(key, st->server_key, KEY_LEN);
		return 0;
	}
	rc = read_server_key(st, key, &found, e);
	if (!rc && found) {
		memcpy(st->server_key, key, KEY_LEN);
		st->server_key_cached = 1;
	}
	if (rc || found)
		return rc;
	randombytes_buf(fresh, sizeof(fresh));
	sodium_bin2hex(hex, sizeof(hex), fresh, sizeof(fresh));
	sodium_memzero(fresh, sizeof(fresh));
	rc = store_begin(st, e);
	if (rc)
		goto out;
	rc = store_prepare(st, "INSERT INTO meta (key, value) VALUES ('server_key', ?) "
			       "ON CONFLICT (key) DO NOTHING", &s, e);
	if (!rc) {
		stmt_bind_text(s, 1, hex);
		rc = stmt_exec(s, e);
	}
	if (!rc)
		rc = read_server_key(st, key, &found, e);
	if (!rc && !found)
		rc = err_set(e, ERR_STORE, "meta 'server_key' missing after insert");
	rc = finish(st, rc, e);
out:
	sodium_memzero(hex, sizeof(hex));
	if (rc)
		sodium_memzero(key, KEY_LEN);
	return rc;
}

/* Sealing: base64 of a random nonce followed by crypto_secretbox of the value */

/* A new string (the caller frees it) holding plain[0..n) sealed under key. */
static char *seal(const unsigned char key[KEY_LEN], const unsigned char *plain, size_t n)
{
	size_t clen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
	size_t blen = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
	unsigned char *c = malloc(clen);
	char *b = malloc(blen);

	if (!c || !b) {
		free(c);
		free(b);
		return NULL;
	}
	randombytes_buf(c, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(c + crypto_secretbox_NONCEBYTES, plain, n, c, key);
	sodium_bin2base64(b, blen, c, clen, sodium_base64_VARIANT_ORIGINAL);
	free(c);
	return b;
}

/* Open what seal() made into plain (room for cap bytes); *n gets its length. -1 if bad. */
static int unseal(const unsigned char key[KEY_LEN], const char *sealed, unsigned char *plain,
		  size_t cap, size_t *n)
{
	unsigned char c[SEALED_MAX];
	size_t clen = 0;
	const size_t over = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;

	*n = 0;
	if (!sealed || sodium_base642bin(c, sizeof(c), sealed, strlen(sealed), NULL, &clen, NULL,
					 sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	if (clen < over || clen - over > cap)
		return -1;
	if (crypto_secretbox_open_easy(plain, c + crypto_secretbox_NONCEBYTES,
				       clen - crypto_secretbox_NONCEBYTES, c, key) != 0)
		return -1;
	*n = clen - over;
	return 0;
}

/* The key sealing a session's CSRF token, derived from its cookie value. */
static void csrf_key(const char *id, unsigned char key[KEY_LEN])
{
	crypto_generichash(key, KEY_LEN, (const unsigned char *)id, strlen(id),
			   (const unsigned char *)csrf_key_label, sizeof(csrf_key_label) - 1);
}

/* TOTP */

/* RFC 4648 base32 without padding of bin[0..n) into out (room for 8n/5 + 2). */
static void base32(const unsigned char *bin, size_t n, char *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t acc = 0;
	int bits = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | bin[i];
		bits += 8;
		while (bits >= 5) {
			out[k++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[k++] = alphabet[(acc << (5 - bits)) & 31];
	out[k] = '\0';
}

/* The code for counter step (RFC 4226 with SHA-1, 6 digits). */
static int hotp(const unsigned char *key, size_t keylen, uint64_t step, char out[7])
{
	unsigned char msg[8], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, off;
	uint32_t bin;

	out[0] = '\0';
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(step & 0xff);
		step >>= 8;
	}
	if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), md, &mdlen) || mdlen < 20)
		return ERR_INTERNAL;
	off = md[mdlen - 1] & 0x0f;
	bin = ((uint32_t)(md[off] & 0x7f) << 24) | ((uint32_t)md[off + 1] << 16) |
	      ((uint32_t)md[off + 2] << 8) | (uint32_t)md[off + 3];
	snprintf(out, 7, "%06" PRIu32, bin % 1000000u);
	sodium_memzero(md, sizeof(md));
	return 0;
}

int auth_totp_code(const unsigned char *key, size_t keylen, int64_t t, char out[7])
{
	out[0] = '\0';
	if (t < 0 || !key || keylen == 0 || keylen > INT_MAX)
		return ERR_INVALID;
	return hotp(key, keylen, (uint64_t)(t / TOTP_STEP), out);
}

/*
 * The time step, within one of now's, whose code is code (six digits, spaces
 * ignored) and which comes after last_step; 0 when there is none (wrong,
 * malformed, or replayed).
 */
static int64_t totp_match(const unsigned char *key, size_t keylen, const char *code,
			  int64_t now, int64_t last_step)
{
	char given[7], want[7];
	int64_t found = 0, step = now / TOTP_STEP;
	size_t n = 0;

	if (!code || now < TOTP_STEP)
		return 0;
	for (; *code; code++) {
		if (*code == ' ')
			continue;
		if (*code < '0' || *code > '9' || n >= 6)
			return 0;
		given[n++] = *code;
	}
	if (n != 6)
		return 0;
	given[6] = '\0';
	/* Every candidate is computed and compared, so timing says nothing of which matched. */
	for (int64_t s = step - 1; s <= step + 1; s++) {
		int same;

		if (hotp(key, keylen, (uint64_t)s, want))
			return 0;
		same = sodium_memcmp(given, want, 6) == 0;
		if (same && s > last_step && !found)
			found = s;
	}
	sodium_memzero(want, sizeof(want));
	return found;
}

/* Accounts: the columns of users this module reads */

struct account {
	int64_t id;
	char username[USER_NAME_MAX + 1];
	int disabled;
	int must_change_password;
	int totp_enabled;
	int totp_required;
	int64_t totp_last_step;
	char *totp_secret;   /* sealed, or NULL */
	char *totp_pending;  /* sealed, or NULL */
	char lang[8];
	char tz[64];
};

static void account_release(struct account *a)
{
	free(a->totp_secret);
	free(a->totp_pending);
	a->totp_secret = a->totp_pending = NULL;
}

#define ACCOUNT_SELECT                                                                   \
	"SELECT id, username, disabled, must_change_password, totp_enabled, totp_required, " \
	"totp_last_step, totp_secret, totp_pending, lang, tz FROM users "

/* Load the account by id (when username is NULL) or name. ERR_NOTFOUND if none. */
static int account_load(struct store *st, int64_t id, const char *username, struct account *a,
			struct err *e)
{
	struct stmt *s;
	int rc;

	memset(a, 0, sizeof(*a));
	rc = store_prepare(st, username ? ACCOUNT_SELECT "WHERE username = ?"
					: ACCOUNT_SELECT "WHERE id = ?", &s, e);
	if (rc)
		return rc;
	if (username)
		stmt_bind_text(s, 1, username);
	else
		stmt_bind_int(s, 1, id);
	rc = stmt_step(s, e);
	if (rc == 1) {
		rc = 0;
		a->id = stmt_int(s, 0);
		snprintf(a->username, sizeof(a->username), "%s", stmt_text(s, 1));
		a->disabled = stmt_int(s, 2) != 0;
		a->must_change_password = stmt_int(s, 3) != 0;
		a->totp_enabled = stmt_int(s, 4) != 0;
		a->totp_required = stmt_int(s, 5) != 0;
		a->totp_last_step = stmt_int(s, 6);
		a->totp_secret = stmt_strdup(s, 7);
		a->totp_pending = stmt_strdup(s, 8);
		snprintf(a->lang, sizeof(a->lang), "%s", stmt_text(s, 9));
		snprintf(a->tz, sizeof(a->tz), "%s", stmt_text(s, 10));
		if ((!stmt_is_null(s, 7) && !a->totp_secret) ||
		    (!stmt_is_null(s, 8) && !a->totp_pending)) {
			account_release(a);
			rc = err_set(e, ERR_NOMEM, "out of memory");
		}
	} else if (rc == 0) {
		if (username)
			rc = err_set(e, ERR_NOTFOUND, "user '%.64s' not found", quoted(username));
		else
			rc = err_set(e, ERR_NOTFOUND, "user %" PRId64 " not found", id);
	}
	stmt_done(s);
	return rc;
}

/*
 * Load username's account for who, who must be that account or have
 * ACT_USER_ADMIN. Without ACT_USER_ADMIN an unknown name is ERR_DENIED, as
 * a known one is (user_passwd does the same), so names cannot be probed.
 */
static int account_for(struct store *st, const struct actor *who, const char *username,
		       struct account *a, struct err *e)
{
	int rc = account_load(st, 0, username ? username : "", a, e);
	int found = rc == 0;

	if (rc && rc != ERR_NOTFOUND)
		return rc;
	if (!found || who->user_id == 0 || who->user_id != a->id) {
		int denied = authz_check(who, ACT_USER_ADMIN, e);
		if (denied) {
			account_release(a);
			return denied;
		}
	}
	if (!found)
		return err_set(e, ERR_NOTFOUND, "user '%.64s' not found", quoted(username));
	return 0;
}

/* Audit a change of one account's auth settings: before and after are stolen. */
static int audit_account(struct store *st, const struct actor *who, const char *action,
			 const char *username, json_t *before, json_t *after, struct err *e)
{
	int rc;

	if (!before || !after)
		rc = err_set(e, ERR_NOMEM, "out of memory");
	else
		rc = audit_append(st, who, action, "user", username, before, after, e);
	json_decref(before);
	json_decref(after);
	return rc;
}

static json_t *totp_json(const struct account *a)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_set_bool(o, "totp_enabled", a->totp_enabled);
	json_set_bool(o, "totp_pending", a->totp_pending != NULL);
	json_set_bool(o, "totp_required", a->totp_required);
	return o;
}

/* Throttling */

struct throttle_key {
	char key[8 + ADDR_MAX + 1];  /* "user:NAME" or "addr:IP"; "" when not tracked */
	int is_user;
	int64_t locked_until;        /* > now when locked */
	int64_t wait;                /* seconds of delay still asked */
};

/* Read how key stands at now. */
static int throttle_read(struct store *st, struct throttle_key *k, int64_t now, struct err *e)
{
	struct stmt *s;
	int rc;

	k->locked_until = 0;
	k->wait = 0;
	if (!k->key[0])
		return 0;
	rc = store_prepare(st, "SELECT failures, last_failure, locked_until FROM signin_failures "
			       "WHERE key = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, k->key);
	rc = stmt_step(s, e);
	if (rc == 1) {
		int64_t failures = stmt_int(s, 0), last = stmt_int(s, 1), until = stmt_int(s, 2);

		rc = 0;
		if (until > now) {
			k->locked_until = until;
		} else if (now - last < AUTH_LOCK_SECONDS && failures >= AUTH_FREE_FAILURES) {
			int64_t extra = failures - AUTH_FREE_FAILURES;
			int64_t delay = extra >= 6 ? DELAY_MAX : (int64_t)1 << extra;

			if (delay > DELAY_MAX)
				delay = DELAY_MAX;
			if (last + delay > now)
				k->wait = last + delay - now;
		}
	}
	stmt_done(s);
	return rc;
}

/* Refuse the attempt when either key is locked or asks for a delay. */
static int throttle_check(struct store *st, struct throttle_key *uk, struct throttle_key *ak,
			  int64_t now, int *retry_after, struct err *e)
{
	char when[TIME_STR_MAX];
	int64_t wait;
	int rc;

	rc = throttle_read(st, uk, now, e);
	if (!rc)
		rc = throttle_read(st, ak, now, e);
	if (rc)
		return rc;
	if (uk->locked_until || ak->locked_until) {
		struct throttle_key *k = uk->locked_until ? uk : ak;

		if (retry_after)
			*retry_after = (int)(k->locked_until - now);
		time_format_utc(k->locked_until, when);
		if (k == uk)
			return err_set(e, ERR_DENIED, "account locked until %s", when);
		return err_set(e, ERR_DENIED, "sign-ins from this address are locked until %s",
			       when);
	}
	wait = uk->wait > ak->wait ? uk->wait : ak->wait;
	if (wait) {
		if (retry_after)
			*retry_after = (int)wait;
		return err_set(e, ERR_BUSY, "too many failed sign-ins: wait %" PRId64 " seconds",
			       wait);
	}
	return 0;
}

/*
 * Count one failure against key at now (a key idle for AUTH_LOCK_SECONDS
 * starts again from zero) and lock it when it reaches AUTH_LOCK_FAILURES,
 * with one "auth.lock" audit row. Inside the caller's transaction.
 */
static int throttle_count(struct store *st, const struct throttle_key *k, const char *object_id,
			  const struct actor *who, int64_t now, struct err *e)
{
	struct stmt *s;
	int64_t failures = 0;
	int rc, locked;

	if (!k->key[0])
		return 0;
	rc = store_prepare(st, "INSERT INTO signin_failures (key, failures, last_failure, "
			       "locked_until) VALUES (?, 1, ?, 0) ON CONFLICT (key) DO UPDATE SET "
			       "failures = CASE WHEN signin_failures.last_failure <= ? THEN 1 "
			       "ELSE signin_failures.failures + 1 END, "
			       "last_failure = excluded.last_failure RETURNING failures", &s, e);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, k->key);
	stmt_bind_int(s, 2, now);
	stmt_bind_int(s, 3, now - AUTH_LOCK_SECONDS);
	rc = stmt_int_result(s, &failures, e);
	if (rc || failures < AUTH_LOCK_FAILURES)
		return rc;
	/* Only the failure that locks the key writes the audit row. */
	rc = store_prepare(st, "UPDATE signin_failures SET locked_until = ? WHERE key = ? AND "
			       "locked_until <= ? RETURNING failures", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, now + AUTH_LOCK_SECONDS);
	stmt_bind_text(s, 2, k->key);
	stmt_bind_int(s, 3, now);
	rc = stmt_step(s, e);
	locked = rc == 1;
	if (rc >= 0)
		rc = stmt_exec(s, e);
	else
		stmt_done(s);
	if (!rc && locked) {
		json_t *after = json_object();

		if (!after)
			return err_set(e, ERR_NOMEM, "out of memory");
		json_set_int(after, "failures", failures);
		json_set_time(after, "locked_until", now + AUTH_LOCK_SECONDS);
		rc = audit_append(st, who, "auth.lock", k->is_user ? "user" : "address", object_id,
				  NULL, after, e);
		json_decref(after);
	}
	return rc;
}

/* Sign-in */

struct attempt {
	const char *name;      /* as typed */
	const char *addr;      /* printable, or "unknown" */
	int64_t now;
	struct throttle_key uk, ak;
};

/*
 * Record a failed sign-in (counters, locks, audit) in its own transaction,
 * then return ERR_AUTH with the one message every cause shares. reason is
 * for the audit log only. The typed name is written to the log only when
 * it is an account: people type passwords into the name field.
 */
static int signin_failed(struct store *st, const struct attempt *at, const char *reason,
			 struct err *e)
{
	struct actor who;
	struct account acc;
	json_t *after = NULL;
	int rc, known;

	memset(&who, 0, sizeof(who));
	who.now = at->now;
	who.role = ROLE_VIEWER; /* not used: audit rows record only the name */
	rc = account_load(st, 0, at->name, &acc, e);
	if (rc && rc != ERR_NOTFOUND)
		return rc;
	known = rc == 0;
	if (known) {
		who.user_id = acc.id;
		snprintf(who.name, sizeof(who.name), "%s", acc.username);
		if (acc.disabled && strcmp(reason, "password") == 0)
			reason = "account_disabled";
		account_release(&acc);
	} else {
		snprintf(who.name, sizeof(who.name), "address:%s", at->addr);
	}
	after = json_object();
	if (!after)
		return err_set(e, ERR_NOMEM, "out of memory");
	json_set_str(after, "addr", at->addr);
	json_set_str(after, "reason", reason);

	rc = store_begin(st, e);
	if (rc)
		goto out;
	rc = throttle_count(st, &at->uk, known ? at->name : "(unknown)", &who, at->now, e);
	if (!rc)
		rc = throttle_count(st, &at->ak, at->addr, &who, at->now, e);
	if (!rc)
		rc = audit_append(st, &who, "auth.failure", known ? "user" : "address",
				  known ? at->name : at->addr, NULL, after, e);
	/* Keys idle for longer than a lock are forgotten. */
	if (!rc) {
		struct stmt *s;

		rc = store_prepare(st, "DELETE FROM signin_failures WHERE last_failure <= ? AND "
				       "locked_until <= ?", &s, e);
		if (!rc) {
			stmt_bind_int(s, 1, at->now - AUTH_LOCK_SECONDS);
			stmt_bind_int(s, 2, at->now);
			rc = stmt_exec(s, e);
		}
	}
	rc = finish(st, rc, e);
out:
	json_decref(after);
	if (rc)
		return rc;
	return err_set(e, ERR_AUTH, INVALID_CREDENTIALS);
}

/* The user agent as stored: valid UTF-8 of at most UA_MAX bytes, else "". */
static void clean_agent(const char *ua, char out[UA_MAX + 1])
{
	size_t n = ua ? strlen(ua) : 0;

	if (n > UA_MAX)
		n = UA_MAX;
	/* Cutting may split a character: drop its lead bytes. */
	for (int i = 0; i < 4 && n && !utf8_valid(ua, n); i++)
		n--;
	if (!n || !utf8_valid(ua, n))
		n = 0;
	if (n)
		memcpy(out, ua, n);
	out[n] = '\0';
}

/* Fill the session fields every lookup returns from acc. */
static void session_fill(struct session_info *out, const struct account *acc)
{
	out->user_id = acc->id;
	snprintf(out->username, sizeof(out->username), "%s", acc->username);
	out->must_change_password = acc->must_change_password;
	snprintf(out->lang, sizeof(out->lang), "%s", acc->lang);
	snprintf(out->tz, sizeof(out->tz), "%s", acc->tz);
	out->totp_enrol_required = acc->totp_required && !acc->totp_enabled;
}

/*
 * Open a session for acc (inside the caller's transaction): store the hash
 * of a fresh random id and its sealed CSRF token, forget acc's dead
 * sessions, and fill out.
 */
static int session_open(struct store *st, const struct account *acc, const struct attempt *at,
			const char *user_agent, struct session_info *out, struct err *e)
{
	unsigned char key[KEY_LEN];
	char hash[HEX_LEN], ua[UA_MAX + 1];
	char *sealed = NULL;
	struct stmt *s;
	int rc;

	random_b64url(out->id, sizeof(out->id));
	random_b64url(out->csrf, sizeof(out->csrf));
	session_hash(out->id, hash);
	csrf_key(out->id, key);
	sealed = seal(key, (const unsigned char *)out->csrf, strlen(out->csrf));
	sodium_memzero(key, sizeof(key));
	if (!sealed)
		return err_set(e, ERR_NOMEM, "out of memory");
	clean_agent(user_agent, ua);
	rc = store_prepare(st, "INSERT INTO sessions (id_hash, user_id, csrf, created_at, "
			       "last_seen, expires_at, addr, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			   &s, e);
	if (!rc) {
		stmt_bind_text(s, 1, hash);
		stmt_bind_int(s, 2, acc->id);
		stmt_bind_text(s, 3, sealed);
		stmt_bind_int(s, 4, at->now);
		stmt_bind_int(s, 5, at->now);
		stmt_bind_int(s, 6, at->now + AUTH_SESSION_ABSOLUTE);
		stmt_bind_text(s, 7, at->addr);
		stmt_bind_text(s, 8, ua);
		rc = stmt_exec(s, e);
	}
	free(sealed);
	if (!rc)
		rc = store_prepare(st, "DELETE FROM sessions WHERE user_id = ? AND "
				       "(expires_at <= ? OR last_seen < ?)", &s, e);
	if (!rc) {
		stmt_bind_int(s, 1, acc->id);
		stmt_bind_int(s, 2, at->now);
		stmt_bind_int(s, 3, at->now - AUTH_SESSION_IDLE);
		rc = stmt_exec(s, e);
	}
	if (!rc) {
		session_fill(out, acc);
		out->expires_at = at->now + AUTH_SESSION_ABSOLUTE;
	}
	return rc;
}

/* Check acc's TOTP code: the matching step, 0 when wrong, or a negative ERR_*. */
static int64_t signin_totp(struct store *st, const struct account *acc, const char *code,
			   int64_t now, struct err *e)
{
	unsigned char skey[KEY_LEN], secret[TOTP_SECRET_LEN * 2];
	size_t n = 0;
	int64_t step = 0;
	int rc;

	rc = server_key(st, skey, e);
	if (rc)
		return rc;
	if (unseal(skey, acc->totp_secret, secret, sizeof(secret), &n) != 0)
		rc = err_set(e, ERR_STORE, "user '%s': the totp secret cannot be opened with the "
			     "server key", acc->username);
	else
		step = totp_match(secret, n, code, now, acc->totp_last_step);
	sodium_memzero(skey, sizeof(skey));
	sodium_memzero(secret, sizeof(secret));
	return rc ? rc : step;
}

/* Fill the throttling keys of an attempt by name from addr at now. */
static void attempt_init(struct attempt *at, const char *name, const char *addr, int64_t now)
{
	memset(at, 0, sizeof(*at));
	at->name = name ? name : "";
	at->addr = addr && *addr && printable(addr, ADDR_MAX) ? addr : "unknown";
	at->now = now ? now : time_now();
	/* A name that cannot be an account needs no key of its own: the address still counts. */
	if (*at->name && printable(at->name, USER_NAME_MAX))
		snprintf(at->uk.key, sizeof(at->uk.key), "user:%s", at->name);
	at->uk.is_user = 1;
	snprintf(at->ak.key, sizeof(at->ak.key), "addr:%s", at->addr);
}

int auth_reauth(struct store *st, const char *username, const char *password, const char *addr,
		int64_t now, int *retry_after, struct err *e)
{
	struct attempt at;
	struct user u;
	int rc;

	if (retry_after)
		*retry_after = 0;
	rc = crypto_ready(e);
	if (rc)
		return rc;
	attempt_init(&at, username, addr, now);
	rc = throttle_check(st, &at.uk, &at.ak, at.now, retry_after, e);
	if (rc)
		return rc;
	rc = user_check_password(st, at.name, password ? password : "", &u, e);
	if (rc == ERR_AUTH)
		return signin_failed(st, &at, "reauth", e);
	if (!rc)
		user_release(&u);
	return rc;
}

int auth_signin(struct store *st, const struct signin *in, struct session_info *out,
		int *retry_after, struct err *e)
{
	struct attempt at;
	struct account acc;
	struct user u;
	struct actor who;
	struct stmt *s;
	int64_t step = 0;
	json_t *after;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&at, 0, sizeof(at));
	memset(&acc, 0, sizeof(acc));
	if (retry_after)
		*retry_after = 0;
	rc = crypto_ready(e);
	if (rc)
		return rc;
	attempt_init(&at, in->username, in->addr, in->now);

	rc = throttle_check(st, &at.uk, &at.ak, at.now, retry_after, e);
	if (rc)
		return rc;
	rc = user_check_password(st, at.name, in->password, &u, e);
	if (rc == ERR_AUTH)
		return signin_failed(st, &at, "password", e);
	if (rc)
		return rc;
	rc = account_load(st, u.id, NULL, &acc, e);
	user_release(&u);
	if (rc)
		return rc;
	if (acc.totp_enabled) {
		if (!in->totp || !*in->totp) {
			rc = err_set(e, ERR_AUTH, "totp code required");
			goto out;
		}
		step = signin_totp(st, &acc, in->totp, at.now, e);
		if (step < 0) {
			rc = (int)step;
			goto out;
		}
		if (step == 0) {
			rc = signin_failed(st, &at, "totp_code", e);
			goto out;
		}
	}

	memset(&who, 0, sizeof(who));
	who.user_id = acc.id;
	who.now = at.now;
	who.role = ROLE_VIEWER; /* not used: audit rows record only the name */
	snprintf(who.name, sizeof(who.name), "%s", acc.username);
	rc = store_begin(st, e);
	if (rc)
		goto out;
	if (step) {
		/* Taking the step under the write lock makes a code good for one sign-in only. */
		int64_t id = 0;

		rc = store_prepare(st, "UPDATE users SET totp_last_step = ? WHERE id = ? AND "
				       "totp_last_step < ? RETURNING id", &s, e);
		if (!rc) {
			stmt_bind_int(s, 1, step);
			stmt_bind_int(s, 2, acc.id);
			stmt_bind_int(s, 3, step);
			rc = stmt_int_result(s, &id, e);
		}
		if (rc == ERR_NOTFOUND) {
			store_rollback(st);
			rc = signin_failed(st, &at, "totp_code", e);
			goto out;
		}
	}
	if (!rc)
		rc = session_open(st, &acc, &at, in->user_agent, out, e);
	if (!rc && at.uk.key[0]) {
		rc = store_prepare(st, "DELETE FROM signin_failures WHERE key = ?", &s, e);
		if (!rc) {
			stmt_bind_text(s, 1, at.uk.key);
			rc = stmt_exec(s, e);
		}
	}
	if (!rc) {
		after = json_object();
		if (!after) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
		} else {
			json_set_str(after, "addr", at.addr);
			json_set_bool(after, "totp", step != 0);
			rc = audit_append(st, &who, "auth.signin", "user", acc.username, NULL, after,
					  e);
			json_decref(after);
		}
	}
	rc = finish(st, rc, e);
out:
	account_release(&acc);
	if (rc)
		sodium_memzero(out, sizeof(*out));
	return rc;
}

/* Sessions */

/* Delete the session stored under hash (outside or inside a transaction). */
static int session_delete(struct store *st, const char *hash, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "DELETE FROM sessions WHERE id_hash = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_text(s, 1, hash);
	return stmt_exec(s, e);
}

int auth_session(struct store *st, const char *id, int64_t now, struct session_info *out,
		 struct err *e)
{
	unsigned char key[KEY_LEN];
	char hash[HEX_LEN], *sealed = NULL, cookie[AUTH_SESSION_LEN + 1];
	struct account acc;
	struct stmt *s;
	int64_t last_seen = 0, expires_at = 0;
	size_t n = 0;
	int rc, found = 0;

	/* id may be out->id (a refresh of the caller's own session_info). */
	if (id && strlen(id) == AUTH_SESSION_LEN)
		memcpy(cookie, id, sizeof(cookie));
	else
		cookie[0] = '\0';
	id = cookie;
	memset(out, 0, sizeof(*out));
	memset(&acc, 0, sizeof(acc));
	rc = crypto_ready(e);
	if (rc)
		return rc;
	if (!cookie[0])
		return err_set(e, ERR_AUTH, INVALID_SESSION);
	if (!now)
		now = time_now();
	session_hash(id, hash);
	rc = store_prepare(st, "SELECT user_id, csrf, last_seen, expires_at FROM sessions "
			       "WHERE id_hash = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, hash);
	rc = stmt_step(s, e);
	if (rc == 1) {
		found = 1;
		acc.id = stmt_int(s, 0);
		sealed = stmt_strdup(s, 1);
		last_seen = stmt_int(s, 2);
		expires_at = stmt_int(s, 3);
		rc = sealed ? 0 : err_set(e, ERR_NOMEM, "out of memory");
	}
	stmt_done(s);
	if (rc || !found)
		goto out;
	if (now - last_seen > AUTH_SESSION_IDLE || now >= expires_at) {
		rc = session_delete(st, hash, e);
		found = 0;
		goto out;
	}
	rc = account_load(st, acc.id, NULL, &acc, e);
	if (rc == ERR_NOTFOUND || (!rc && acc.disabled)) {
		rc = 0;
		found = 0;
		goto out;
	}
	if (rc)
		goto out;
	csrf_key(id, key);
	if (unseal(key, sealed, (unsigned char *)out->csrf, AUTH_CSRF_LEN, &n) != 0 ||
	    n != AUTH_CSRF_LEN) {
		found = 0; /* not sealed with this id: not its session */
		sodium_memzero(key, sizeof(key));
		goto out;
	}
	sodium_memzero(key, sizeof(key));
	out->csrf[AUTH_CSRF_LEN] = '\0';
	snprintf(out->id, sizeof(out->id), "%s", id);
	session_fill(out, &acc);
	out->expires_at = expires_at;
	if (now - last_seen >= TOUCH_EVERY) {
		rc = store_prepare(st, "UPDATE sessions SET last_seen = ? WHERE id_hash = ?", &s, e);
		if (!rc) {
			stmt_bind_int(s, 1, now);
			stmt_bind_text(s, 2, hash);
			rc = stmt_exec(s, e);
		}
	}
out:
	free(sealed);
	account_release(&acc);
	sodium_memzero(cookie, sizeof(cookie));
	if (!rc && !found)
		rc = err_set(e, ERR_AUTH, INVALID_SESSION);
	if (rc)
		sodium_memzero(out, sizeof(*out));
	return rc;
}

int auth_signout(struct store *st, const char *id, struct err *e)
{
	char hash[HEX_LEN];
	int rc = crypto_ready(e);

	if (rc || !id || !*id)
		return rc;
	session_hash(id, hash);
	return session_delete(st, hash, e);
}

int auth_signout_all(struct store *st, int64_t user_id, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "DELETE FROM sessions WHERE user_id = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, user_id);
	return stmt_exec(s, e);
}

/* API tokens */

static json_t *token_json(int64_t id, const char *username, const char *name, const char *prefix,
			  int64_t created_at, int64_t last_used, int64_t revoked_at)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_set_int(o, "id", id);
	json_set_str(o, "user", username);
	json_set_str(o, "name", name);
	json_set_str(o, "prefix", prefix);
	json_set_time(o, "created_at", created_at);
	json_set_time(o, "last_used", last_used);
	json_set_time(o, "revoked_at", revoked_at);
	json_set_bool(o, "revoked", revoked_at != 0);
	return o;
}

static int check_token_name(const char *name, struct err *e)
{
	if (!name || !*name)
		return err_set(e, ERR_INVALID, "token name: must not be empty");
	return utf8_check_text("token name", name, TOKEN_NAME_MAX, 0, e);
}

int auth_token_create(struct store *st, const struct actor *who, const char *username,
		      const char *name, char *token, json_t **info, struct err *e)
{
	unsigned char key[KEY_LEN];
	char hash[HEX_LEN], prefix[TOKEN_PREFIX_LEN + 1], idstr[24];
	struct account acc;
	struct stmt *s;
	json_t *o = NULL;
	int64_t id = 0, now = actor_now(who);
	int rc;

	token[0] = '\0';
	if (info)
		*info = NULL;
	rc = crypto_ready(e);
	if (!rc)
		rc = account_for(st, who, username, &acc, e);
	if (rc)
		return rc;
	rc = check_token_name(name, e);
	if (!rc && acc.disabled)
		rc = err_set(e, ERR_CONFLICT, "user '%s' is disabled: its tokens would not work",
			     acc.username);
	if (!rc)
		rc = server_key(st, key, e);
	if (rc)
		goto out;
	memcpy(token, TOKEN_TAG, sizeof(TOKEN_TAG));
	random_b64url(token + strlen(TOKEN_TAG), AUTH_TOKEN_LEN + 1 - strlen(TOKEN_TAG));
	token_hash(key, token, hash);
	sodium_memzero(key, sizeof(key));
	snprintf(prefix, sizeof(prefix), "%.*s", TOKEN_PREFIX_LEN, token);

	rc = store_begin(st, e);
	if (rc)
		goto out;
	rc = store_prepare(st, "INSERT INTO api_tokens (user_id, name, prefix, hash, created_at) "
			       "VALUES (?, ?, ?, ?, ?) RETURNING id", &s, e);
	if (!rc) {
		stmt_bind_int(s, 1, acc.id);
		stmt_bind_text(s, 2, name);
		stmt_bind_text(s, 3, prefix);
		stmt_bind_text(s, 4, hash);
		stmt_bind_int(s, 5, now);
		rc = stmt_int_result(s, &id, e);
	}
	if (!rc) {
		o = token_json(id, acc.username, name, prefix, now, 0, 0);
		if (!o)
			rc = err_set(e, ERR_NOMEM, "out of memory");
	}
	if (!rc) {
		snprintf(idstr, sizeof(idstr), "%" PRId64, id);
		rc = audit_append(st, who, "token.create", "token", idstr, NULL, o, e);
	}
	rc = finish(st, rc, e);
out:
	account_release(&acc);
	if (rc) {
		sodium_memzero(token, AUTH_TOKEN_LEN + 1);
		json_decref(o);
		return rc;
	}
	if (info)
		*info = o;
	else
		json_decref(o);
	return 0;
}

int auth_token_actor(struct store *st, const char *token, int64_t now, const struct tz *tz,
		     struct actor *out, struct err *e)
{
	unsigned char key[KEY_LEN];
	char hash[HEX_LEN];
	struct stmt *s;
	int64_t id = 0, last_used = 0;
	enum role role;
	int rc, ok = 0;

	memset(out, 0, sizeof(*out));
	rc = crypto_ready(e);
	if (rc)
		return rc;
	if (!token || strlen(token) != AUTH_TOKEN_LEN ||
	    strncmp(token, TOKEN_TAG, strlen(TOKEN_TAG)) != 0)
		return err_set(e, ERR_AUTH, INVALID_TOKEN);
	if (!now)
		now = time_now();
	rc = server_key(st, key, e);
	if (rc)
		return rc;
	token_hash(key, token, hash);
	sodium_memzero(key, sizeof(key));
	rc = store_prepare(st, "SELECT t.id, t.last_used, u.id, u.username, u.role, u.external "
			       "FROM api_tokens t JOIN users u ON u.id = t.user_id "
			       "WHERE t.hash = ? AND t.revoked_at IS NULL AND u.disabled = 0",
			   &s, e);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, hash);
	rc = stmt_step(s, e);
	if (rc == 1) {
		rc = 0;
		id = stmt_int(s, 0);
		last_used = stmt_int(s, 1);
		if (role_parse(stmt_text(s, 4), &role, NULL)) {
			rc = err_set(e, ERR_STORE, "user '%s' has an unknown role", stmt_text(s, 3));
		} else {
			ok = 1;
			out->user_id = stmt_int(s, 2);
			snprintf(out->name, sizeof(out->name), "%s", stmt_text(s, 3));
			out->role = role;
			out->external = stmt_int(s, 5) != 0;
			out->now = now;
			out->tz = tz;
		}
	}
	stmt_done(s);
	if (!rc && !ok)
		rc = err_set(e, ERR_AUTH, INVALID_TOKEN);
	if (!rc && now - last_used >= TOUCH_EVERY) {
		rc = store_prepare(st, "UPDATE api_tokens SET last_used = ? WHERE id = ?", &s, e);
		if (!rc) {
			stmt_bind_int(s, 1, now);
			stmt_bind_int(s, 2, id);
			rc = stmt_exec(s, e);
		}
	}
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

int auth_token_list(struct store *st, const struct actor *who, const char *username,
		    json_t **out, struct err *e)
{
	struct account acc;
	struct stmt *s = NULL;
	json_t *arr = NULL;
	int rc;

	*out = NULL;
	rc = account_for(st, who, username, &acc, e);
	if (rc)
		return rc;
	arr = json_array();
	if (!arr) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = store_prepare(st, "SELECT id, name, prefix, created_at, last_used, revoked_at "
			       "FROM api_tokens WHERE user_id = ? ORDER BY id", &s, e);
	if (rc)
		goto out;
	stmt_bind_int(s, 1, acc.id);
	while ((rc = stmt_step(s, e)) == 1) {
		json_t *o = token_json(stmt_int(s, 0), acc.username, stmt_text(s, 1),
				       stmt_text(s, 2), stmt_int(s, 3), stmt_int(s, 4),
				       stmt_int(s, 5));
		if (!o || json_array_append_new(arr, o)) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
	}
	stmt_done(s);
out:
	account_release(&acc);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

int auth_token_revoke(struct store *st, const struct actor *who, int64_t id, struct err *e)
{
	char owner[USER_NAME_MAX + 1] = "", name[TOKEN_NAME_MAX * 4 + 1] = "";
	char prefix[TOKEN_PREFIX_LEN + 1] = "", idstr[24];
	struct stmt *s;
	json_t *before = NULL, *after = NULL;
	int64_t owner_id = 0, created = 0, last_used = 0, revoked = 0, now = actor_now(who);
	int rc, found = 0;

	rc = store_prepare(st, "SELECT t.user_id, u.username, t.name, t.prefix, t.created_at, "
			       "t.last_used, t.revoked_at FROM api_tokens t "
			       "JOIN users u ON u.id = t.user_id WHERE t.id = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	rc = stmt_step(s, e);
	if (rc == 1) {
		rc = 0;
		found = 1;
		owner_id = stmt_int(s, 0);
		snprintf(owner, sizeof(owner), "%s", stmt_text(s, 1));
		snprintf(name, sizeof(name), "%s", stmt_text(s, 2));
		snprintf(prefix, sizeof(prefix), "%s", stmt_text(s, 3));
		created = stmt_int(s, 4);
		last_used = stmt_int(s, 5);
		revoked = stmt_int(s, 6);
	}
	stmt_done(s);
	if (rc)
		return rc;
	if (!found || who->user_id == 0 || who->user_id != owner_id) {
		rc = authz_check(who, ACT_USER_ADMIN, e);
		if (rc)
			return rc;
	}
	if (!found)
		return err_set(e, ERR_NOTFOUND, "token %" PRId64 " not found", id);
	if (revoked)
		return 0; /* already revoked: nothing changes, so nothing is written */
	before = token_json(id, owner, name, prefix, created, last_used, 0);
	after = token_json(id, owner, name, prefix, created, last_used, now);
	if (!before || !after) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = store_begin(st, e);
	if (rc)
		goto out;
	rc = store_prepare(st, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND "
			       "revoked_at IS NULL", &s, e);
	if (!rc) {
		stmt_bind_int(s, 1, now);
		stmt_bind_int(s, 2, id);
		rc = stmt_exec(s, e);
	}
	if (!rc) {
		snprintf(idstr, sizeof(idstr), "%" PRId64, id);
		rc = audit_append(st, who, "token.revoke", "token", idstr, before, after, e);
	}
	rc = finish(st, rc, e);
out:
	json_decref(before);
	json_decref(after);
	return rc;
}

/* TOTP enrolment */

/* who's own account, for what only its holder may do. */
static int own_account(struct store *st, const struct actor *who, const char *what,
		       struct account *a, struct err *e)
{
	memset(a, 0, sizeof(*a));
	if (!who->user_id)
		return err_set(e, ERR_DENIED, "%s: %s has no account of its own", what, who->name);
	return account_load(st, who->user_id, NULL, a, e);
}

/* Write a users update of acc with its audit row in one transaction. */
static int account_update(struct store *st, const struct actor *who, const char *sql,
			  const int64_t *ints, int nints, const char *const *texts, int ntexts,
			  const char *action, const struct account *acc, json_t *before,
			  json_t *after, struct err *e)
{
	struct stmt *s;
	int rc = store_begin(st, e);
	int k = 1;

	if (rc) {
		json_decref(before);
		json_decref(after);
		return rc;
	}
	rc = store_prepare(st, sql, &s, e);
	if (!rc) {
		/* Texts first, then integers, then the account id: the order in every sql. */
		for (int i = 0; i < ntexts; i++)
			stmt_bind_text_or_null(s, k++, texts[i]);
		for (int i = 0; i < nints; i++)
			stmt_bind_int(s, k++, ints[i]);
		stmt_bind_int(s, k, acc->id);
		rc = stmt_exec(s, e);
	}
	if (!rc)
		rc = audit_account(st, who, action, acc->username, before, after, e);
	else {
		json_decref(before);
		json_decref(after);
	}
	return finish(st, rc, e);
}

int auth_totp_begin(struct store *st, const struct actor *who, char secret_b32[64],
		    char uri[512], struct err *e)
{
	unsigned char skey[KEY_LEN], secret[TOTP_SECRET_LEN];
	struct account acc;
	char *sealed = NULL;
	json_t *before, *after;
	int rc;

	secret_b32[0] = '\0';
	uri[0] = '\0';
	rc = crypto_ready(e);
	if (!rc)
		rc = own_account(st, who, "totp", &acc, e);
	if (rc)
		return rc;
	rc = server_key(st, skey, e);
	if (rc)
		goto out;
	randombytes_buf(secret, sizeof(secret));
	sealed = seal(skey, secret, sizeof(secret));
	sodium_memzero(skey, sizeof(skey));
	base32(secret, sizeof(secret), secret_b32);
	sodium_memzero(secret, sizeof(secret));
	if (!sealed) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* Usernames are [a-z0-9._-]: nothing in them needs escaping in a URI. */
	snprintf(uri, 512, "otpauth://totp/irdesk:%s?secret=%s&issuer=irdesk", acc.username,
		 secret_b32);
	before = totp_json(&acc);
	free(acc.totp_pending);
	acc.totp_pending = sealed;
	sealed = NULL;
	after = totp_json(&acc);
	{
		const char *texts[] = { acc.totp_pending };
		int64_t ints[] = { actor_now(who) };

		rc = account_update(st, who, "UPDATE users SET totp_pending = ?, updated_at = ? "
					     "WHERE id = ?", ints, 1, texts, 1, "user.totp_begin",
				    &acc, before, after, e);
	}
out:
	free(sealed);
	account_release(&acc);
	if (rc) {
		sodium_memzero(secret_b32, 64);
		sodium_memzero(uri, 512);
	}
	return rc;
}

int auth_totp_confirm(struct store *st, const struct actor *who, const char *code,
		      struct err *e)
{
	unsigned char skey[KEY_LEN], secret[TOTP_SECRET_LEN * 2];
	struct account acc;
	json_t *before, *after;
	int64_t step = 0;
	size_t n = 0;
	int rc;

	rc = crypto_ready(e);
	if (!rc)
		rc = own_account(st, who, "totp", &acc, e);
	if (rc)
		return rc;
	if (!acc.totp_pending) {
		rc = err_set(e, ERR_CONFLICT, "totp: no enrolment in progress (start one first)");
		goto out;
	}
	rc = server_key(st, skey, e);
	if (rc)
		goto out;
	if (unseal(skey, acc.totp_pending, secret, sizeof(secret), &n) != 0)
		rc = err_set(e, ERR_STORE, "user '%s': the pending totp secret cannot be opened "
			     "with the server key", acc.username);
	else
		step = totp_match(secret, n, code, actor_now(who), acc.totp_last_step);
	sodium_memzero(skey, sizeof(skey));
	sodium_memzero(secret, sizeof(secret));
	if (rc)
		goto out;
	if (!step) {
		rc = err_set(e, ERR_INVALID, "totp code: does not match (six digits from the "
			     "authenticator app; check its clock)");
		goto out;
	}
	before = totp_json(&acc);
	acc.totp_enabled = 1;
	free(acc.totp_pending);
	acc.totp_pending = NULL;
	after = totp_json(&acc);
	{
		int64_t ints[] = { step, actor_now(who) };

		/* The confirming code is spent: it cannot sign in afterwards. */
		rc = account_update(st, who, "UPDATE users SET totp_secret = totp_pending, "
					     "totp_pending = NULL, totp_enabled = 1, "
					     "totp_last_step = ?, updated_at = ? WHERE id = ?",
				    ints, 2, NULL, 0, "user.totp_enable", &acc, before, after, e);
	}
out:
	account_release(&acc);
	return rc;
}

int auth_totp_disable(struct store *st, const struct actor *who, const char *username,
		      struct err *e)
{
	struct account acc;
	json_t *before, *after;
	int64_t ints[1];
	int rc = account_for(st, who, username, &acc, e);

	if (rc)
		return rc;
	if (acc.totp_enabled || acc.totp_pending) {
		before = totp_json(&acc);
		acc.totp_enabled = 0;
		free(acc.totp_pending);
		acc.totp_pending = NULL;
		after = totp_json(&acc);
		ints[0] = actor_now(who);
		rc = account_update(st, who, "UPDATE users SET totp_secret = NULL, "
					     "totp_pending = NULL, totp_enabled = 0, updated_at = ? "
					     "WHERE id = ?", ints, 1, NULL, 0, "user.totp_disable",
				    &acc, before, after, e);
	}
	account_release(&acc);
	return rc;
}

int auth_totp_require(struct store *st, const struct actor *who, const char *username,
		      int required, struct err *e)
{
	struct account acc;
	json_t *before, *after;
	int64_t ints[2];
	int rc = authz_check(who, ACT_USER_ADMIN, e);

	if (!rc)
		rc = account_load(st, 0, username ? username : "", &acc, e);
	if (rc)
		return rc;
	required = required != 0;
	if (acc.totp_required != required) {
		before = totp_json(&acc);
		acc.totp_required = required;
		after = totp_json(&acc);
		ints[0] = required;
		ints[1] = actor_now(who);
		rc = account_update(st, who, "UPDATE users SET totp_required = ?, updated_at = ? "
					     "WHERE id = ?", ints, 2, NULL, 0,
				    required ? "user.totp_require" : "user.totp_unrequire", &acc,
				    before, after, e);
	}
	account_release(&acc);
	return rc;
}

/* Preferences */

static json_t *prefs_json(const char *lang, const char *tz)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_set_str_nonempty(o, "lang", lang);
	json_set_str_nonempty(o, "tz", tz);
	return o;
}

int auth_set_prefs(struct store *st, const struct actor *who, const char *lang,
		   const char *tz, struct err *e)
{
	struct account acc;
	struct tz *loaded = NULL;
	char new_lang[8], new_tz[64];
	int rc;

	if (lang && *lang && strcmp(lang, "ja") != 0 && strcmp(lang, "en") != 0)
		return err_set(e, ERR_INVALID, "language '%.16s': use ja, en, or nothing for the "
			       "browser's", printable(lang, 16) ? lang : "?");
	if (tz && *tz) {
		if (strlen(tz) >= sizeof(new_tz))
			return err_set(e, ERR_INVALID, "time zone: too long (at most %zu bytes)",
				       sizeof(new_tz) - 1);
		rc = tz_load(tz, &loaded, e);
		tz_free(loaded);
		if (rc)
			return rc;
	}
	rc = own_account(st, who, "preferences", &acc, e);
	if (rc)
		return rc;
	snprintf(new_lang, sizeof(new_lang), "%s", lang ? lang : acc.lang);
	snprintf(new_tz, sizeof(new_tz), "%s", tz ? tz : acc.tz);
	if (strcmp(new_lang, acc.lang) != 0 || strcmp(new_tz, acc.tz) != 0) {
		const char *texts[] = { new_lang, new_tz };
		int64_t ints[] = { actor_now(who) };

		rc = account_update(st, who, "UPDATE users SET lang = ?, tz = ?, updated_at = ? "
					     "WHERE id = ?", ints, 1, texts, 2, "user.prefs", &acc,
				    prefs_json(acc.lang, acc.tz), prefs_json(new_lang, new_tz), e);
	}
	account_release(&acc);
	return rc;
}
