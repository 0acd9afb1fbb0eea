/*
 * user.c: irdesk accounts: checking what people type for names, passwords
 * and addresses, argon2id hashing, one-time passwords, and the audited
 * changes (create, set password, disable, enable), one transaction each.
 */
#include "ir/user.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "store/store.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "util/utf8.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DISPLAY_NAME_MAX 200 /* characters */
#define EMAIL_MAX 254        /* bytes (RFC 5321 path limit) */

/*
 * Characters of generated passwords: letters and digits without the ones
 * people confuse when they copy a password from a screen (0 O o 1 l I).
 */
static const char otp_alphabet[] = "23456789"
				   "abcdefghijkmnpqrstuvwxyz"
				   "ABCDEFGHJKLMNPQRSTUVWXYZ";

/*
 * An argon2id hash of a random password nobody knows, with the same costs
 * as real hashes. Checking a password against it when the account does not
 * exist or is disabled makes those answers take as long as a wrong password.
 * Sized to crypto_pwhash_STRBYTES because that is what the verifier reads.
 */
static const char dummy_hash[crypto_pwhash_STRBYTES] =
	"$argon2id$v=19$m=65536,t=2,p=1$+jPW+yUoqJivhciY9467vA$"
	"Yhoy5WwQwZdqUOBdluWzoUGTbTBVU/QgMCR3zOMYtH4";

#define USER_COLUMNS                                                           \
	"id, username, display_name, email, role, external, disabled, "         \
	"must_change_password, created_at, updated_at"

void user_release(struct user *u)
{
	if (!u)
		return;
	free(u->display_name);
	free(u->email);
	u->display_name = NULL;
	u->email = NULL;
}

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

/* Validation. Messages never quote a password. */

/* 1 when s is short printable ASCII, safe to quote in a message. */
static int quotable(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e || n > USER_NAME_MAX)
			return 0;
	return 1;
}

static int check_username(const char *name, struct err *e)
{
	size_t n;
	const char *allowed = "lower-case letters, digits, '.', '_' and '-'";

	if (!name || !*name)
		return err_set(e, ERR_INVALID, "username: must not be empty");
	n = strlen(name);
	if (n > USER_NAME_MAX)
		return err_set(e, ERR_INVALID, "username: too long (%zu bytes, at most %d)", n,
			       USER_NAME_MAX);
	if (!quotable(name))
		return err_set(e, ERR_INVALID, "username: only %s are allowed", allowed);
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (ch >= 'A' && ch <= 'Z')
			return err_set(e, ERR_INVALID,
				       "username '%s': use lower case (only %s are allowed)", name,
				       allowed);
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
		      ch == '_' || ch == '-'))
			return err_set(e, ERR_INVALID, "username '%s': only %s are allowed", name,
				       allowed);
	}
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
		return err_set(e, ERR_INVALID, "username '%s': must start with a letter or digit",
			       name);
	return 0;
}

static int check_password(const char *pw, struct err *e)
{
	size_t n, chars;

	if (!pw)
		return err_set(e, ERR_INVALID, "password: missing");
	n = strlen(pw);
	if (!utf8_valid(pw, n))
		return err_set(e, ERR_INVALID, "password: not valid UTF-8");
	chars = utf8_count(pw, n);
	if (chars < USER_PASSWORD_MIN)
		return err_set(e, ERR_INVALID, "password: too short (%zu characters, at least %d)",
			       chars, USER_PASSWORD_MIN);
	if (chars > USER_PASSWORD_MAX)
		return err_set(e, ERR_INVALID, "password: too long (%zu characters, at most %d)",
			       chars, USER_PASSWORD_MAX);
	return 0;
}

static int check_email(const char *s, struct err *e)
{
	const char *at;
	size_t n;
	int rc;

	if (!s || !*s)
		return 0;
	rc = utf8_check_text("email", s, 0, 0, e);
	if (rc)
		return rc;
	n = strlen(s);
	if (n > EMAIL_MAX)
		return err_set(e, ERR_INVALID, "email: too long (%zu bytes, at most %d)", n,
			       EMAIL_MAX);
	for (size_t i = 0; i < n; i++)
		if (s[i] == ' ')
			return err_set(e, ERR_INVALID, "email: spaces are not allowed");
	at = strchr(s, '@');
	if (!at || strchr(at + 1, '@'))
		return err_set(e, ERR_INVALID, "email '%.254s': needs exactly one '@'", s);
	if (at == s || !at[1])
		return err_set(e, ERR_INVALID, "email '%.254s': needs a name before and a domain after '@'",
			       s);
	return 0;
}

static int check_new(const struct user_new *nu, struct err *e)
{
	int rc;

	rc = check_username(nu->username, e);
	if (!rc)
		rc = utf8_check_text("display name", nu->display_name, DISPLAY_NAME_MAX, 0, e);
	if (!rc)
		rc = check_email(nu->email, e);
	if (!rc && (unsigned)nu->role >= ROLE__COUNT)
		rc = err_set(e, ERR_INVALID, "role: out of range");
	if (!rc && nu->password)
		rc = check_password(nu->password, e);
	return rc;
}

/* Passwords */

static void make_otp(char *otp)
{
	for (int i = 0; i < USER_OTP_LEN; i++)
		otp[i] = otp_alphabet[randombytes_uniform((uint32_t)(sizeof(otp_alphabet) - 1))];
	otp[USER_OTP_LEN] = '\0';
}

/*
 * Hash password, or when it is NULL generate a one-time password into otp
 * and hash that. *must_change tells which happened.
 */
static int hash_new_password(const char *password, char *otp, char hash[crypto_pwhash_STRBYTES],
			     int *must_change, struct err *e)
{
	const char *pw = password;
	int rc = crypto_ready(e);

	if (rc)
		return rc;
	if (!pw) {
		if (!otp)
			return err_set(e, ERR_INTERNAL, "no room for the one-time password");
		make_otp(otp);
		pw = otp;
	} else if (otp) {
		otp[0] = '\0';
	}
	*must_change = password == NULL;
	if (crypto_pwhash_str(hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		if (otp)
			sodium_memzero(otp, USER_OTP_LEN + 1);
		return err_set(e, ERR_NOMEM, "out of memory hashing the password");
	}
	return 0;
}

/* Reading */

static int user_from_row(struct stmt *s, struct user *u, struct err *e)
{
	memset(u, 0, sizeof(*u));
	u->id = stmt_int(s, 0);
	snprintf(u->username, sizeof(u->username), "%s", stmt_text(s, 1));
	if (role_parse(stmt_text(s, 4), &u->role, NULL))
		return err_set(e, ERR_STORE, "user '%s' has an unknown role", u->username);
	u->display_name = strdup(stmt_text(s, 2));
	u->email = strdup(stmt_text(s, 3));
	if (!u->display_name || !u->email) {
		user_release(u);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	u->external = stmt_int(s, 5) != 0;
	u->disabled = stmt_int(s, 6) != 0;
	u->must_change_password = stmt_int(s, 7) != 0;
	u->created_at = stmt_int(s, 8);
	u->updated_at = stmt_int(s, 9);
	return 0;
}

int user_get(struct store *st, const char *username, struct user *out, struct err *e)
{
	struct stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_prepare(st, "SELECT " USER_COLUMNS " FROM users WHERE username = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, username);
	rc = stmt_step(s, e);
	if (rc == 1)
		rc = user_from_row(s, out, e);
	else if (rc == 0)
		rc = err_set(e, ERR_NOTFOUND, "user '%.64s' not found",
			     quotable(username) ? username : "?");
	stmt_done(s);
	return rc;
}

int user_settings_get(struct store *st, int64_t user_id, struct user_settings *out,
		      struct err *e)
{
	struct stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_prepare(st, "SELECT lang, tz, totp_enabled, totp_required FROM users "
			       "WHERE id = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, user_id);
	rc = stmt_step(s, e);
	if (rc == 1) {
		snprintf(out->lang, sizeof(out->lang), "%s", stmt_text(s, 0));
		snprintf(out->tz, sizeof(out->tz), "%s", stmt_text(s, 1));
		out->totp_enabled = stmt_int(s, 2) != 0;
		out->totp_required = stmt_int(s, 3) != 0;
		rc = 0;
	} else if (rc == 0) {
		rc = err_set(e, ERR_NOTFOUND, "user %lld not found", (long long)user_id);
	}
	stmt_done(s);
	return rc;
}

int user_count(struct store *st, int64_t *n, struct err *e)
{
	struct stmt *s;
	int rc;

	*n = 0;
	rc = store_prepare(st, "SELECT COUNT(*) FROM users", &s, e);
	if (rc)
		return rc;
	return stmt_int_result(s, n, e);
}

json_t *user_to_json(const struct user *u)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_set_int(o, "id", u->id);
	json_set_str(o, "username", u->username);
	json_set_str(o, "display_name", u->display_name ? u->display_name : "");
	json_set_str(o, "email", u->email ? u->email : "");
	json_set_str(o, "role", role_name(u->role));
	json_set_bool(o, "external", u->external);
	json_set_bool(o, "disabled", u->disabled);
	json_set_bool(o, "must_change_password", u->must_change_password);
	json_set_time(o, "created_at", u->created_at);
	json_set_time(o, "updated_at", u->updated_at);
	return o;
}

int user_list(struct store *st, const struct actor *who, json_t **out, struct err *e)
{
	struct stmt *s = NULL;
	json_t *arr = NULL;
	int rc;

	*out = NULL;
	/* Staff see each other (to pick owners and members); outsiders do not. */
	if (who->external) {
		rc = authz_check(who, ACT_USER_ADMIN, e);
		if (rc)
			return rc;
	}
	arr = json_array();
	if (!arr)
		return err_set(e, ERR_NOMEM, "out of memory");
	rc = store_prepare(st, "SELECT " USER_COLUMNS " FROM users ORDER BY username", &s, e);
	if (rc)
		goto out;
	while ((rc = stmt_step(s, e)) == 1) {
		struct user u;
		json_t *o;

		rc = user_from_row(s, &u, e);
		if (rc)
			goto out;
		o = user_to_json(&u);
		user_release(&u);
		if (!o || json_array_append_new(arr, o)) {
			rc = err_set(e, ERR_NOMEM, "out of memory");
			goto out;
		}
	}
out:
	stmt_done(s);
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

/* Changes */

/* Run the audit append with before/after objects built from users. */
static int audit_user(struct store *st, const struct actor *who, const char *action,
		      const struct user *before, const struct user *after, struct err *e)
{
	json_t *b = before ? user_to_json(before) : NULL;
	json_t *a = after ? user_to_json(after) : NULL;
	int rc;

	if ((before && !b) || (after && !a))
		rc = err_set(e, ERR_NOMEM, "out of memory");
	else
		rc = audit_append(st, who, action, "user", (after ? after : before)->username, b, a,
				  e);
	json_decref(b);
	json_decref(a);
	return rc;
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

/* 0 when no account is called username, ERR_EXISTS when one is. */
static int check_free(struct store *st, const char *username, struct err *e)
{
	struct stmt *s;
	int rc;

	rc = store_prepare(st, "SELECT id FROM users WHERE username = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, username);
	rc = stmt_step(s, e);
	stmt_done(s);
	if (rc == 1)
		return err_set(e, ERR_EXISTS, "user '%s' already exists", username);
	return rc;
}

/*
 * Insert u (with the given hash) and its audit row in one transaction, and
 * set u->id. Returns 0, or an error with nothing written.
 */
static int insert_user(struct store *st, const struct actor *who, struct user *u,
		       const char *hash, struct err *e)
{
	struct stmt *s;
	int rc = store_begin(st, e);

	if (rc)
		return rc;
	rc = check_free(st, u->username, e); /* again, now that the write lock is held */
	if (!rc)
		rc = store_prepare(st, "INSERT INTO users (username, display_name, email, role, "
				       "external, disabled, password_hash, must_change_password, "
				       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
				   &s, e);
	if (!rc) {
		stmt_bind_text(s, 1, u->username);
		stmt_bind_text(s, 2, u->display_name);
		stmt_bind_text(s, 3, u->email);
		stmt_bind_text(s, 4, role_name(u->role));
		stmt_bind_int(s, 5, u->external);
		stmt_bind_text(s, 6, hash);
		stmt_bind_int(s, 7, u->must_change_password);
		stmt_bind_int(s, 8, u->created_at);
		stmt_bind_int(s, 9, u->updated_at);
		rc = stmt_exec(s, e);
	}
	if (!rc)
		rc = store_prepare(st, "SELECT id FROM users WHERE username = ?", &s, e);
	if (!rc) {
		stmt_bind_text(s, 1, u->username);
		rc = stmt_step(s, e);
		if (rc == 1) {
			u->id = stmt_int(s, 0);
			rc = 0;
		} else if (rc == 0) {
			rc = err_set(e, ERR_STORE, "user '%s' vanished after insert", u->username);
		}
		stmt_done(s);
	}
	if (!rc)
		rc = audit_user(st, who, "user.create", NULL, u, e);
	return finish(st, rc, e);
}

int user_add(struct store *st, const struct actor *who, const struct user_new *nu,
	     char *otp, struct user *out, struct err *e)
{
	char hash[crypto_pwhash_STRBYTES];
	struct user u;
	int64_t now = actor_now(who);
	int rc, must_change = 0;

	memset(&u, 0, sizeof(u));
	if (out)
		memset(out, 0, sizeof(*out));
	if (otp)
		otp[0] = '\0';
	rc = authz_check(who, ACT_USER_ADMIN, e);
	if (!rc)
		rc = check_new(nu, e);
	if (rc)
		return rc;
	/* Before the slow hash, so that a taken name is reported at once. */
	rc = check_free(st, nu->username, e);
	if (rc)
		return rc;
	rc = hash_new_password(nu->password, otp, hash, &must_change, e);
	if (rc)
		return rc;

	snprintf(u.username, sizeof(u.username), "%s", nu->username);
	u.display_name = strdup(nu->display_name ? nu->display_name : "");
	u.email = strdup(nu->email ? nu->email : "");
	if (!u.display_name || !u.email) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto out;
	}
	u.role = nu->role;
	u.external = nu->external != 0;
	u.must_change_password = must_change;
	u.created_at = u.updated_at = now;

	rc = insert_user(st, who, &u, hash, e);
out:
	sodium_memzero(hash, sizeof(hash));
	if (rc) {
		if (otp)
			sodium_memzero(otp, USER_OTP_LEN + 1);
		user_release(&u);
		return rc;
	}
	if (out)
		*out = u;
	else
		user_release(&u);
	return 0;
}

int user_passwd(struct store *st, const struct actor *who, const char *username,
		const char *password, char *otp, struct err *e)
{
	char hash[crypto_pwhash_STRBYTES];
	struct user before, after;
	struct stmt *s;
	int rc, found, must_change = 0;

	memset(&after, 0, sizeof(after));
	if (otp)
		otp[0] = '\0';
	rc = user_get(st, username, &before, e);
	if (rc && rc != ERR_NOTFOUND)
		return rc;
	found = rc == 0;
	/*
	 * Anyone may change their own password; anyone else's needs user_admin,
	 * and without it an unknown name is refused the same way as a known one.
	 */
	if (!found || who->user_id == 0 || who->user_id != before.id) {
		int denied = authz_check(who, ACT_USER_ADMIN, e);
		if (denied) {
			user_release(&before);
			return denied;
		}
	}
	if (!found)
		return err_set(e, ERR_NOTFOUND, "user '%.64s' not found",
			       quotable(username) ? username : "?");
	if (password) {
		rc = check_password(password, e);
		if (rc)
			goto out;
	}
	rc = hash_new_password(password, otp, hash, &must_change, e);
	if (rc)
		goto out;

	after = before;
	after.display_name = NULL;
	after.email = NULL;
	after.must_change_password = must_change;
	after.updated_at = actor_now(who);
	rc = store_begin(st, e);
	if (rc)
		goto out;
	rc = store_prepare(st, "UPDATE users SET password_hash = ?, must_change_password = ?, "
			       "updated_at = ? WHERE id = ?", &s, e);
	if (!rc) {
		stmt_bind_text(s, 1, hash);
		stmt_bind_int(s, 2, must_change);
		stmt_bind_int(s, 3, after.updated_at);
		stmt_bind_int(s, 4, before.id);
		rc = stmt_exec(s, e);
	}
	if (!rc) {
		/* Share the strings: after only lives until the audit row is written. */
		after.display_name = before.display_name;
		after.email = before.email;
		rc = audit_user(st, who, "user.passwd", &before, &after, e);
	}
	rc = finish(st, rc, e);
out:
	sodium_memzero(hash, sizeof(hash));
	if (rc && otp)
		sodium_memzero(otp, USER_OTP_LEN + 1);
	user_release(&before);
	return rc;
}

int user_set_disabled(struct store *st, const struct actor *who, const char *username,
		      int disabled, struct err *e)
{
	struct user before, after;
	struct stmt *s;
	int rc;

	disabled = disabled != 0;
	rc = authz_check(who, ACT_USER_ADMIN, e);
	if (rc)
		return rc;
	rc = user_get(st, username, &before, e);
	if (rc)
		return rc;
	if (before.disabled == disabled)
		goto out; /* nothing changes, so nothing is written */
	if (disabled && who->user_id && who->user_id == before.id) {
		rc = err_set(e, ERR_CONFLICT, "user '%s': you cannot disable your own account",
			     before.username);
		goto out;
	}
	after = before;
	after.disabled = disabled;
	after.updated_at = actor_now(who);
	rc = store_begin(st, e);
	if (rc)
		goto out;
	rc = store_prepare(st, "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?", &s, e);
	if (!rc) {
		stmt_bind_int(s, 1, disabled);
		stmt_bind_int(s, 2, after.updated_at);
		stmt_bind_int(s, 3, before.id);
		rc = stmt_exec(s, e);
	}
	if (!rc)
		rc = audit_user(st, who, disabled ? "user.disable" : "user.enable", &before, &after,
				e);
	rc = finish(st, rc, e);
out:
	user_release(&before);
	return rc;
}

int user_check_password(struct store *st, const char *username, const char *password,
			struct user *out, struct err *e)
{
	struct stmt *s = NULL;
	struct user u;
	char *hash = NULL;
	size_t pwlen = password ? strlen(password) : 0;
	int rc, ok = 0, usable = 0;

	memset(&u, 0, sizeof(u));
	if (out)
		memset(out, 0, sizeof(*out));
	rc = crypto_ready(e);
	if (rc)
		return rc;
	/* A password longer than any we accept is still checked (for time), never matched. */
	if (pwlen > (size_t)USER_PASSWORD_MAX * 4)
		pwlen = (size_t)USER_PASSWORD_MAX * 4 + 1;
	if (username && *username && strlen(username) <= USER_NAME_MAX) {
		rc = store_prepare(st, "SELECT " USER_COLUMNS ", password_hash FROM users "
				       "WHERE username = ?", &s, e);
		if (rc)
			return rc;
		stmt_bind_text(s, 1, username);
		rc = stmt_step(s, e);
		if (rc == 1) {
			rc = user_from_row(s, &u, e);
			if (!rc && !stmt_is_null(s, 10)) {
				hash = stmt_strdup(s, 10);
				if (!hash)
					rc = err_set(e, ERR_NOMEM, "out of memory");
			}
		}
		stmt_done(s);
		if (rc < 0) {
			user_release(&u);
			free(hash);
			return rc;
		}
		usable = hash && !u.disabled && strlen(hash) < crypto_pwhash_STRBYTES;
	}
	if (usable && password && pwlen <= (size_t)USER_PASSWORD_MAX * 4) {
		char h[crypto_pwhash_STRBYTES];

		memset(h, 0, sizeof(h));
		memcpy(h, hash, strlen(hash));
		ok = crypto_pwhash_str_verify(h, password, pwlen) == 0;
	} else {
		/* Spend the same time as a real check, then fail. */
		if (crypto_pwhash_str_verify(dummy_hash, password ? password : "", pwlen) == 0)
			ok = 0; /* nobody knows the dummy's password; never a match anyway */
	}
	if (hash) {
		sodium_memzero(hash, strlen(hash));
		free(hash);
	}
	if (!ok) {
		user_release(&u);
		return err_set(e, ERR_AUTH, "invalid username or password");
	}
	if (out)
		*out = u;
	else
		user_release(&u);
	return 0;
}
