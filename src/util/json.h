/*
 * json.h: helpers over jansson for API bodies, CLI --json output and audit
 * records. Hot paths (event intake) do not use jansson; see detect/.
 */
#ifndef IRDESK_UTIL_JSON_H
#define IRDESK_UTIL_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct buf;

/* Largest JSON document accepted from a user, in bytes. */
#define JSON_MAX_INPUT (1024 * 1024)

/*
 * Parse s[0..n) into *out (the caller owns it and json_decref()s it).
 * Rejects documents over JSON_MAX_INPUT (ERR_TOOLONG), malformed JSON
 * (ERR_PARSE with line and column) and, when want_object, anything but an
 * object (ERR_PARSE).
 */
int json_parse(const char *s, size_t n, int want_object, json_t **out, struct err *e);

/*
 * Append v to b, compact with sorted keys (a stable form for hashing) when
 * pretty is 0, indented by two spaces otherwise. Returns 0 or ERR_NOMEM.
 */
int json_dump_buf(const json_t *v, int pretty, struct buf *b);

/* Print v to stdout followed by a newline (CLI --json). Consumes no reference. */
int json_print(const json_t *v);

/* Set key to a string, or to null when s is NULL. Steals nothing. */
void json_set_str(json_t *obj, const char *key, const char *s);
/* Set key to s, or to null when s is NULL or empty. */
void json_set_str_nonempty(json_t *obj, const char *key, const char *s);
/* Set key to an RFC 3339 UTC time, or to null when t is 0. */
void json_set_time(json_t *obj, const char *key, int64_t t);
void json_set_int(json_t *obj, const char *key, int64_t v);
void json_set_bool(json_t *obj, const char *key, int v);

/* The string at key, or NULL when it is missing or not a string. */
const char *json_str(const json_t *obj, const char *key);

#endif
