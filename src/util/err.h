/*
 * err.h: error codes and the error detail a caller passes down.
 *
 * Every fallible function returns 0 or a negative ERR_* code and, when the
 * caller passed a struct err, leaves a one-line message in it. The codes and
 * their default messages come from one X-macro list so that the CLI exit code
 * and the HTTP status of each code are decided in one place too.
 */
#ifndef IRDESK_UTIL_ERR_H
#define IRDESK_UTIL_ERR_H

#include <stddef.h>

/*
 * X(NAME, name, default message, CLI exit code, HTTP status)
 * Exit codes: 1 internal, 2 usage, 3 not found, 4 invalid or conflict,
 * 5 I/O or store, 6 permission denied.
 */
#define ERR_LIST(X)                                                        \
	X(OK, ok, "success",                      0, 200)                   \
	X(NOMEM, nomem, "out of memory",                1, 500)                   \
	X(INTERNAL, internal, "internal error",               1, 500)                   \
	X(USAGE, usage, "invalid usage",                2, 400)                   \
	X(NOTFOUND, notfound, "not found",                    3, 404)                   \
	X(INVALID, invalid, "invalid value",                4, 422)                   \
	X(PARSE, parse, "malformed input",              4, 400)                   \
	X(TOOLONG, toolong, "input too long",               4, 413)                   \
	X(CONFLICT, conflict, "conflict",                     4, 409)                   \
	X(EXISTS, exists, "already exists",               4, 409)                   \
	X(IO, io, "input/output error",           5, 500)                   \
	X(STORE, store, "store error",                  5, 500)                   \
	X(BUSY, busy, "store busy",                   5, 503)                   \
	X(VERSION, version, "incompatible store version",   5, 500)                   \
	X(TAMPERED, tampered, "audit chain broken",           4, 409)                   \
	X(AUTH, auth, "authentication required",      6, 401)                   \
	X(DENIED, denied, "permission denied",            6, 403)

enum err_code {
#define X(N, n, msg, ex, http) ERR_##N##_POS,
	ERR_LIST(X)
#undef X
	ERR__COUNT
};

/* The public values are negative so that "return -1 style" code composes. */
#define X(N, n, msg, ex, http) enum { ERR_##N = -(int)ERR_##N##_POS };
ERR_LIST(X)
#undef X

#define ERR_MSG_MAX 512

/*
 * The detail of the last failure. code is 0 until err_set() is called.
 * Callers that do not care pass NULL wherever a struct err * is taken.
 */
struct err {
	int code;
	char msg[ERR_MSG_MAX];
};

/* Clear e (no-op on NULL). */
void err_clear(struct err *e);

/*
 * Record code and a printf-style message in e (if e is not NULL) and return
 * code, so that `return err_set(e, ERR_PARSE, "...")` reads naturally.
 * A message that does not fit is truncated.
 */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message already in e with "prefix: ". Returns e->code. */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The short name of a code ("notfound"), for JSON error bodies. */
const char *err_name(int code);
/* The default message of a code. */
const char *err_str(int code);
/* The CLI exit status for a code (0 for ERR_OK). */
int err_exit_code(int code);
/* The HTTP status for a code. */
int err_http_status(int code);
/* e's message, or the default message of its code when it has none. */
const char *err_msg(const struct err *e);

#endif
