/*
 * user.h: irdesk accounts. Passwords are hashed with argon2id (libsodium's
 * crypto_pwhash_str); a generated one-time password must be changed at the
 * first sign-in. External accounts (an outside forensics vendor) see only
 * the incidents they are members of.
 */
#ifndef IRDESK_IR_USER_H
#define IRDESK_IR_USER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/role.h"

struct actor;
struct err;
struct store;

#define USER_NAME_MAX 64     /* bytes; [a-z0-9._-], starts with a letter or digit */
#define USER_PASSWORD_MIN 12 /* characters */
#define USER_PASSWORD_MAX 256
#define USER_OTP_LEN 20      /* generated one-time passwords */

struct user {
	int64_t id;
	char username[USER_NAME_MAX + 1];
	char *display_name;
	char *email;
	enum role role;
	int external;
	int disabled;
	int must_change_password;
	int64_t created_at, updated_at;
};

/* Free u's strings (u itself is the caller's). */
void user_release(struct user *u);

struct user_new {
	const char *username;
	const char *display_name; /* NULL: "" */
	const char *email;        /* NULL: "" */
	enum role role;
	int external;
	const char *password;     /* NULL: generate a one-time password */
};

/*
 * Create an account (needs ACT_USER_ADMIN), audited as "user.create".
 * When nu->password is NULL a one-time password of USER_OTP_LEN characters
 * is generated into otp (which must hold USER_OTP_LEN + 1 bytes) and the
 * account must change it at first sign-in; otherwise otp is set to "".
 * Errors: ERR_INVALID (bad name, weak password, bad email), ERR_EXISTS.
 */
int user_add(struct store *st, const struct actor *who, const struct user_new *nu,
	     char *otp, struct user *out, struct err *e);

/* Look an account up by name. ERR_NOTFOUND when there is none. */
int user_get(struct store *st, const char *username, struct user *out, struct err *e);

/*
 * All accounts ordered by name, as a JSON array of user_to_json objects
 * (caller owns *out). Staff may list (to pick owners and members); an
 * external actor needs ACT_USER_ADMIN, which it never has (ERR_DENIED).
 */
int user_list(struct store *st, const struct actor *who, json_t **out, struct err *e);

/*
 * Set a new password (ACT_USER_ADMIN, or the account itself), audited as
 * "user.passwd". NULL password generates a one-time password into otp as
 * user_add does and sets must_change_password; a given password clears it.
 * Without ACT_USER_ADMIN an unknown name is ERR_DENIED, not ERR_NOTFOUND.
 */
int user_passwd(struct store *st, const struct actor *who, const char *username,
		const char *password, char *otp, struct err *e);

/*
 * Disable or re-enable an account (ACT_USER_ADMIN), audited as
 * "user.disable" / "user.enable". Setting the state it already has writes
 * nothing; disabling one's own account is ERR_CONFLICT.
 */
int user_set_disabled(struct store *st, const struct actor *who, const char *username,
		      int disabled, struct err *e);

/*
 * Check username and password. Returns 0 when they match an enabled
 * account, ERR_AUTH otherwise (the same error whether the name or the
 * password was wrong, and taking the same time).
 */
int user_check_password(struct store *st, const char *username, const char *password,
			struct user *out, struct err *e);

/* JSON for API and CLI output (never the password hash). */
json_t *user_to_json(const struct user *u);

/* What an account has set for itself (and TOTP as an admin required it). */
struct user_settings {
	char lang[8];      /* "ja", "en", or "" for the browser's */
	char tz[64];       /* a zone name, or "" for the server's */
	int totp_enabled;  /* a second factor is set up */
	int totp_required; /* an administrator requires one */
};

/* Read user_id's settings into *out. ERR_NOTFOUND when there is no such account. */
int user_settings_get(struct store *st, int64_t user_id, struct user_settings *out,
		      struct err *e);

/* The number of accounts (init uses it to know whether to create admin). */
int user_count(struct store *st, int64_t *n, struct err *e);

#endif
