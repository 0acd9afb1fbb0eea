/*
 * auth.h: how people and programs prove who they are: sign-in with password
 * (and a TOTP code when enrolled), throttled per account and per address;
 * sessions kept in the store (so several nodes can share them); API tokens;
 * TOTP enrolment. The web layer calls these; `irdesk token` too.
 *
 * Secrets handed out (session ids, CSRF tokens, API tokens) are never stored
 * as they are: sessions by SHA-256, tokens by a keyed BLAKE2b hash whose key
 * lives in the meta table. TOTP secrets are sealed with that server key.
 */
#ifndef IRDESK_IR_AUTH_H
#define IRDESK_IR_AUTH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/actor.h"

struct err;
struct store;
struct tz;

#define AUTH_SESSION_LEN 43       /* base64url of 32 random bytes */
#define AUTH_CSRF_LEN 43
#define AUTH_TOKEN_LEN 47         /* "ird_" + base64url of 32 random bytes */
#define AUTH_SESSION_IDLE (60 * 60)        /* seconds without use */
#define AUTH_SESSION_ABSOLUTE (12 * 3600)  /* seconds after sign-in */

/* Throttling: after AUTH_FREE_FAILURES failures a growing delay (1, 2, 4, ...
 * seconds, at most 60) is asked; after AUTH_LOCK_FAILURES the key is locked
 * for AUTH_LOCK_SECONDS, with an audit row. Success clears the account key. */
#define AUTH_FREE_FAILURES 3
#define AUTH_LOCK_FAILURES 10
#define AUTH_LOCK_SECONDS (15 * 60)

struct signin {
	const char *username;
	const char *password;
	const char *totp;        /* NULL or "" when not given */
	const char *addr;        /* client address, for throttling and the session */
	const char *user_agent;  /* may be NULL */
	int64_t now;
};

struct session_info {
	char id[AUTH_SESSION_LEN + 1];   /* the cookie value (only after sign-in) */
	char csrf[AUTH_CSRF_LEN + 1];
	int64_t user_id;
	char username[80];
	int64_t expires_at;
	int must_change_password;
	char lang[8];                    /* "" when unset */
	char tz[64];                     /* "" when unset */
	int totp_enrol_required;         /* TOTP is required but not yet set up */
};

/*
 * Check credentials and open a new session (a fresh random id each time:
 * rotation at sign-in). Errors: ERR_AUTH "invalid username or password"
 * (the same for every cause, audited as "auth.failure"), ERR_AUTH with
 * "totp code required" when the account has TOTP and none was given,
 * ERR_BUSY with "too many failed sign-ins: wait N seconds" when throttled
 * (retry_after receives N), ERR_DENIED "account locked until ..." when
 * locked (or "sign-ins from this address are locked until ..."; retry_after
 * then receives the seconds left). A success is audited as "auth.signin".
 *
 * in->now of 0 means the current time. retry_after may be NULL. Call it
 * outside any store transaction: a failure commits its counters and audit
 * rows in a transaction of its own, so that failing does not undo them.
 * Throttled and locked attempts are refused before the password is checked
 * and are not counted. A missing TOTP code is not counted as a failure; a
 * wrong or replayed one is. must_change_password and totp_enrol_required in
 * *out tell the web what the account must do before anything else.
 */
int auth_signin(struct store *st, const struct signin *in, struct session_info *out,
		int *retry_after, struct err *e);

/*
 * Check the password of a signed-in person again (before a password change,
 * say), throttled and counted exactly like a sign-in, so that a stolen
 * session or token cannot be used to guess the password. Returns 0 when it
 * matches, otherwise as auth_signin.
 */
int auth_reauth(struct store *st, const char *username, const char *password, const char *addr,
		int64_t now, int *retry_after, struct err *e);

/*
 * Look up the session whose cookie value is id. ERR_AUTH when it does not
 * exist, is idle longer than AUTH_SESSION_IDLE, past its absolute expiry, or
 * its account is disabled. Refreshes last_seen (at most once a minute, to
 * keep reads cheap). id may be out->id. now of 0 means the current time.
 * out->expires_at is the absolute expiry; out->csrf the session's token.
 */
int auth_session(struct store *st, const char *id, int64_t now, struct session_info *out,
		 struct err *e);

/* End the session (sign-out). Unknown ids are fine. */
int auth_signout(struct store *st, const char *id, struct err *e);

/*
 * End every session of user_id (after a password change or disabling).
 * user_passwd and user_set_disabled do not call it: the caller that changes
 * a password or disables an account does, after that change has committed
 * (auth_session refuses a disabled account's sessions in any case).
 */
int auth_signout_all(struct store *st, int64_t user_id, struct err *e);

/*
 * Create an API token for username named name (ACT_USER_ADMIN, or the
 * account itself). The token is written to token (AUTH_TOKEN_LEN + 1 bytes)
 * and shown only this once; *info (if not NULL) receives its JSON
 * (id, user, name, prefix, created_at, last_used, revoked_at, revoked;
 * never the token or its hash), which the caller owns. Audited as
 * "token.create". Errors: ERR_INVALID for an empty or bad name (no control
 * characters), ERR_TOOLONG over 100 characters, ERR_CONFLICT for a disabled
 * account, ERR_NOTFOUND for an unknown one (ERR_DENIED without
 * ACT_USER_ADMIN, so names cannot be probed).
 */
int auth_token_create(struct store *st, const struct actor *who, const char *username,
		      const char *name, char *token, json_t **info, struct err *e);

/* The account a bearer token stands for, as an actor. ERR_AUTH if unknown,
 * revoked or the account is disabled. Records last_used (at most once a minute). */
int auth_token_actor(struct store *st, const char *token, int64_t now, const struct tz *tz,
		     struct actor *out, struct err *e);

/* Tokens of username (self or ACT_USER_ADMIN) as a JSON array of objects
 * as auth_token_create's info, oldest first, revoked ones included. */
int auth_token_list(struct store *st, const struct actor *who, const char *username,
		    json_t **out, struct err *e);

/* Revoke token id (its owner or ACT_USER_ADMIN). Audited as "token.revoke".
 * ERR_NOTFOUND for an unknown id; a revoked token is left as it is (0). */
int auth_token_revoke(struct store *st, const struct actor *who, int64_t id, struct err *e);

/*
 * TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits, one step of skew).
 * Enrolment: auth_totp_begin makes a new secret for the actor's own account
 * and returns it in base32 and as an otpauth:// URI (not yet enabled);
 * auth_totp_confirm enables it when code is right for that secret.
 * auth_totp_disable turns it off (self, or ACT_USER_ADMIN).
 * auth_totp_require makes enrolment mandatory for username (ACT_USER_ADMIN).
 *
 * A new secret waits beside a working one until confirmed, so beginning
 * again never switches TOTP off. The confirming code is spent: it cannot be
 * used to sign in. Each is audited ("user.totp_begin", "user.totp_enable",
 * "user.totp_disable", "user.totp_require" / "user.totp_unrequire") when
 * something changes. Errors: ERR_DENIED for an actor without an account
 * (begin, confirm) or without the right; ERR_CONFLICT when confirming with
 * no enrolment begun; ERR_INVALID for a wrong code.
 */
int auth_totp_begin(struct store *st, const struct actor *who, char secret_b32[64],
		    char uri[512], struct err *e);
int auth_totp_confirm(struct store *st, const struct actor *who, const char *code,
		      struct err *e);
int auth_totp_disable(struct store *st, const struct actor *who, const char *username,
		      struct err *e);
int auth_totp_require(struct store *st, const struct actor *who, const char *username,
		      int required, struct err *e);

/*
 * The RFC 6238 code for key at time t (exposed for tests): six digits and a
 * NUL into out. Returns 0, or ERR_INVALID for a negative t or an empty or
 * over-long key, ERR_INTERNAL when HMAC fails.
 */
int auth_totp_code(const unsigned char *key, size_t keylen, int64_t t, char out[7]);

/*
 * Set the actor's own account's language ("ja", "en", or "" for the
 * browser's) and zone (a name tz_load accepts, or "" for the server's).
 * NULL leaves that setting as it is. Audited as "user.prefs" when something
 * changes. Errors: ERR_INVALID for another language, tz_load's error for a
 * zone it cannot load, ERR_DENIED for an actor without an account.
 */
int auth_set_prefs(struct store *st, const struct actor *who, const char *lang,
		   const char *tz, struct err *e);

#endif
