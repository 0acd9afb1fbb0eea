/*
 * json.c: jansson helpers with irdesk's error handling and limits.
 */
#include "util/json.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/time.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int json_parse(const char *s, size_t n, int want_object, json_t **out, struct err *e)
{
	json_error_t je;
	json_t *v;

	*out = NULL;
	if (n > JSON_MAX_INPUT)
		return err_set(e, ERR_TOOLONG, "json document too large (%zu bytes, at most %d)",
			       n, JSON_MAX_INPUT);
	v = json_loadb(s, n, JSON_REJECT_DUPLICATES | (want_object ? 0 : JSON_DECODE_ANY), &je);
	if (!v)
		return err_set(e, ERR_PARSE, "json:%d:%d: %s", je.line, je.column, je.text);
	if (want_object && !json_is_object(v)) {
		json_decref(v);
		return err_set(e, ERR_PARSE, "json: expected an object");
	}
	*out = v;
	return 0;
}

static int dump_cb(const char *data, size_t size, void *arg)
{
	struct buf *b = arg;
	buf_add(b, data, size);
	return buf_error(b) ? -1 : 0;
}

/*
 * The compact form with sorted keys is written here rather than by jansson:
 * every change's audit row is one, and jansson hands each token to a
 * callback and decodes strings a code point at a time, which made it the
 * largest single cost of creating an incident. The bytes are exactly
 * jansson's (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY), so stored
 * rows do not depend on which wrote them; tests compare the two. What
 * this writer leaves to jansson (CANON_JANSSON): reals, strings that are
 * not UTF-8 (jansson refuses them) and nesting deeper than CANON_DEPTH.
 */
#define CANON_JANSSON 1
#define CANON_DEPTH 64
#define CANON_KEYS 64   /* keys sorted on the stack; more are allocated */

struct canon_key {
	const char *key;
	size_t len;
	json_t *value;
};

/* jansson's order: bytes, then the shorter key first. */
static int canon_key_cmp(const void *a, const void *b)
{
	const struct canon_key *x = a, *y = b;
	int r = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);

	if (r)
		return r;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int canon_string(const char *s, size_t n, struct buf *b)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0;
	int ascii = 1;

	for (size_t i = 0; i < n; i++)
		ascii &= p[i] < 0x80;
	if (!ascii && !utf8_valid(s, n))
		return CANON_JANSSON;
	buf_addch(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		buf_add(b, esc, elen);
	}
	buf_add(b, s + run, n - run);
	buf_addch(b, '"');
	return 0;
}

static int canon_value(const json_t *v, struct buf *b, int depth);

static int canon_object(const json_t *v, struct buf *b, int depth)
{
	struct canon_key stack[CANON_KEYS], *keys = stack;
	size_t n = json_object_size(v), i = 0;
	int rc = 0;

	if (n > CANON_KEYS && !(keys = malloc(n * sizeof(*keys))))
		return ERR_NOMEM;
	for (void *it = json_object_iter((json_t *)v); it && i < n;
	     it = json_object_iter_next((json_t *)v, it), i++) {
		keys[i].key = json_object_iter_key(it);
		keys[i].len = json_object_iter_key_len(it);
		keys[i].value = json_object_iter_value(it);
	}
	qsort(keys, i, sizeof(*keys), canon_key_cmp);
	buf_addch(b, '{');
	for (size_t k = 0; !rc && k < i; k++) {
		if (k)
			buf_addch(b, ',');
		rc = canon_string(keys[k].key, keys[k].len, b);
		buf_addch(b, ':');
		if (!rc)
			rc = canon_value(keys[k].value, b, depth + 1);
	}
	buf_addch(b, '}');
	if (keys != stack)
		free(keys);
	return rc;
}

static int canon_value(const json_t *v, struct buf *b, int depth)
{
	char num[32];
	int rc = 0;

	if (depth > CANON_DEPTH)
		return CANON_JANSSON;
	switch (json_typeof(v)) {
	case JSON_NULL:
		buf_adds(b, "null");
		return 0;
	case JSON_TRUE:
		buf_adds(b, "true");
		return 0;
	case JSON_FALSE:
		buf_adds(b, "false");
		return 0;
	case JSON_INTEGER:
		buf_add(b, num, (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
						 json_integer_value(v)));
		return 0;
	case JSON_STRING:
		return canon_string(json_string_value(v), json_string_length(v), b);
	case JSON_ARRAY:
		buf_addch(b, '[');
		for (size_t i = 0; !rc && i < json_array_size(v); i++) {
			if (i)
				buf_addch(b, ',');
			rc = canon_value(json_array_get(v, i), b, depth + 1);
		}
		buf_addch(b, ']');
		return rc;
	case JSON_OBJECT:
		return canon_object(v, b, depth);
	default:
		return CANON_JANSSON;
	}
}

int json_dump_buf(const json_t *v, int pretty, struct buf *b)
{
	size_t flags = JSON_SORT_KEYS | JSON_ENCODE_ANY, start = b->len;

	if (!pretty) {
		int rc = v ? canon_value(v, b, 0) : CANON_JANSSON;
		if (rc != CANON_JANSSON)
			return rc ? rc : buf_error(b);
		if (buf_error(b))
			return buf_error(b);
		buf_truncate(b, start);
	}
	flags |= pretty ? JSON_INDENT(2) : JSON_COMPACT;
	if (json_dump_callback(v, dump_cb, b, flags) < 0)
		return buf_error(b) ? buf_error(b) : ERR_NOMEM;
	return 0;
}

int json_print(const json_t *v)
{
	struct buf b = BUF_INIT;
	int rc = json_dump_buf(v, 1, &b);

	if (!rc) {
		buf_addch(&b, '\n');
		if (fwrite(b.data, 1, b.len, stdout) != b.len)
			rc = ERR_IO;
	}
	buf_release(&b);
	return rc;
}

void json_set_str(json_t *obj, const char *key, const char *s)
{
	json_object_set_new(obj, key, s ? json_string(s) : json_null());
}

void json_set_str_nonempty(json_t *obj, const char *key, const char *s)
{
	json_object_set_new(obj, key, s && *s ? json_string(s) : json_null());
}

void json_set_time(json_t *obj, const char *key, int64_t t)
{
	char tmp[TIME_STR_MAX];

	if (!t) {
		json_object_set_new(obj, key, json_null());
		return;
	}
	time_format_utc(t, tmp);
	json_object_set_new(obj, key, json_string(tmp));
}

void json_set_int(json_t *obj, const char *key, int64_t v)
{
	json_object_set_new(obj, key, json_integer((json_int_t)v));
}

void json_set_bool(json_t *obj, const char *key, int v)
{
	json_object_set_new(obj, key, json_boolean(v));
}

const char *json_str(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}
