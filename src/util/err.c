/*
 * err.c: the error table and struct err helpers.
 */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct err_info {
	const char *name;
	const char *msg;
	int exit_code;
	int http;
};

static const struct err_info err_table[] = {
#define X(N, n, msg, ex, http) { #n, msg, ex, http },
	ERR_LIST(X)
#undef X
};

static const struct err_info *info(int code)
{
	int i = -code;
	if (i < 0 || i >= ERR__COUNT)
		i = -ERR_INTERNAL;
	return &err_table[i];
}

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	char pre[ERR_MSG_MAX], old[ERR_MSG_MAX];
	va_list ap;

	if (!e)
		return ERR_INTERNAL;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Truncation is acceptable: messages are for people. */
	if (snprintf(e->msg, sizeof(e->msg), "%.200s: %.300s", pre,
		     old[0] ? old : err_str(e->code)) < 0)
		e->msg[0] = '\0';
	return e->code;
}

const char *err_name(int code) { return info(code)->name; }
const char *err_str(int code) { return info(code)->msg; }
int err_exit_code(int code) { return info(code)->exit_code; }
int err_http_status(int code) { return info(code)->http; }

const char *err_msg(const struct err *e)
{
	if (!e)
		return "unknown error";
	return e->msg[0] ? e->msg : err_str(e->code);
}
