/*
 * json.c: jansson helpers with irdesk's error handling and limits.
 */
#include "util/json.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/time.h"

#include <stdio.h>

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

int json_dump_buf(const json_t *v, int pretty, struct buf *b)
{
	size_t flags = JSON_SORT_KEYS | JSON_ENCODE_ANY;

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
