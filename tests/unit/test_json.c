/*
 * test_json.c: parsing user JSON (errors with line and column, duplicate
 * keys, the size cap), the stable compact dump used for hashing, the pretty
 * dump, and the small setters and getters.
 */
#include "unit.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

static void test_parse_object(void **state)
{
	static const char doc[] = "{\"title\": \"不正アクセス\", \"n\": 3, \"tags\": [\"a\", \"b\"]}";
	json_t *v = NULL;
	struct err e;
	(void)state;
	err_clear(&e);
	assert_int_equal(json_parse(doc, strlen(doc), 1, &v, &e), 0);
	assert_non_null(v);
	assert_true(json_is_object(v));
	assert_string_equal(json_str(v, "title"), "不正アクセス");
	assert_int_equal(json_integer_value(json_object_get(v, "n")), 3);
	assert_int_equal(json_array_size(json_object_get(v, "tags")), 2);
	json_decref(v);
}

static void test_parse_uses_length_not_nul(void **state)
{
	/* Only s[0..n) is read: the rest of the string is not part of the document. */
	static const char doc[] = "{\"a\":1}garbage";
	json_t *v = NULL;
	(void)state;
	assert_int_equal(json_parse(doc, 7, 1, &v, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(v, "a")), 1);
	json_decref(v);
	assert_int_equal(json_parse(doc, strlen(doc), 1, &v, NULL), ERR_PARSE);
	assert_null(v);
}

static void test_malformed_has_line_and_column(void **state)
{
	static const char doc[] = "{\n  \"a\": 1,\n  \"b\": }\n";
	json_t *v = (json_t *)1;
	struct err e;
	(void)state;
	err_clear(&e);
	assert_int_equal(json_parse(doc, strlen(doc), 1, &v, &e), ERR_PARSE);
	assert_null(v);
	assert_int_equal(e.code, ERR_PARSE);
	/* The error is on line 3, after `"b": `. */
	assert_memory_equal(e.msg, "json:3:", 7);
	assert_true(atoi(e.msg + 7) >= 7);
	assert_true(atoi(e.msg + 7) <= 8);

	err_clear(&e);
	assert_int_equal(json_parse("", 0, 0, &v, &e), ERR_PARSE);
	assert_null(v);
	assert_memory_equal(e.msg, "json:", 5);

	err_clear(&e);
	assert_int_equal(json_parse("{\"a\":1", 6, 1, &v, &e), ERR_PARSE);
	assert_memory_equal(e.msg, "json:1:", 7);

	/* Trailing data after the document is an error too. */
	assert_int_equal(json_parse("{} {}", 5, 1, &v, NULL), ERR_PARSE);
	assert_null(v);
}

static void test_want_object(void **state)
{
	static const char *const others[] = { "[1,2]", "\"s\"", "42", "null", "true" };
	json_t *v = NULL;
	struct err e;
	(void)state;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		err_clear(&e);
		assert_int_equal(json_parse(others[i], strlen(others[i]), 1, &v, &e), ERR_PARSE);
		assert_null(v);
		assert_int_equal(e.code, ERR_PARSE);
	}
	/* A well-formed array is refused for what it is, not as malformed. */
	err_clear(&e);
	assert_int_equal(json_parse("[1,2]", 5, 1, &v, &e), ERR_PARSE);
	assert_non_null(strstr(e.msg, "expected an object"));
	/* Without want_object an array is fine. */
	assert_int_equal(json_parse("[1,2]", 5, 0, &v, NULL), 0);
	assert_true(json_is_array(v));
	json_decref(v);
}

/*
 * json.h: "when want_object, anything but an object (ERR_PARSE)", so
 * without want_object any JSON value is a document, as json_dump_buf
 * writes any value (JSON_ENCODE_ANY).
 */
static void test_any_value_without_want_object(void **state)
{
	static const char *const scalars[] = { "\"s\"", "42", "null", "true" };
	json_t *v = NULL;
	struct err e;
	(void)state;
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		err_clear(&e);
		if (json_parse(scalars[i], strlen(scalars[i]), 0, &v, &e) != 0)
			fail_msg("json_parse(%s, want_object 0): %s", scalars[i], e.msg);
		assert_non_null(v);
		json_decref(v);
		v = NULL;
	}
}

static void test_duplicate_keys_rejected(void **state)
{
	static const char doc[] = "{\"role\": \"viewer\", \"role\": \"admin\"}";
	static const char nested[] = "{\"a\": {\"x\": 1, \"x\": 2}}";
	json_t *v = NULL;
	struct err e;
	(void)state;
	err_clear(&e);
	assert_int_equal(json_parse(doc, strlen(doc), 1, &v, &e), ERR_PARSE);
	assert_null(v);
	assert_memory_equal(e.msg, "json:1:", 7);
	assert_int_equal(json_parse(nested, strlen(nested), 1, &v, NULL), ERR_PARSE);
	assert_null(v);
}

static void test_nul_in_string_rejected(void **state)
{
	static const char doc[] = "{\"a\": \"x\\u0000y\"}";
	json_t *v = NULL;
	(void)state;
	assert_int_equal(json_parse(doc, strlen(doc), 1, &v, NULL), ERR_PARSE);
	assert_null(v);
}

static void test_invalid_utf8_rejected(void **state)
{
	static const char doc[] = "{\"a\": \"\xff\xfe\"}";
	json_t *v = NULL;
	(void)state;
	assert_int_equal(json_parse(doc, strlen(doc), 1, &v, NULL), ERR_PARSE);
	assert_null(v);
}

/* An object {"s": "xxx..."} of exactly n bytes. */
static char *doc_of_size(size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memcpy(s, "{\"s\":\"", 6);
	memset(s + 6, 'x', n - 8);
	memcpy(s + n - 2, "\"}", 2);
	s[n] = '\0';
	return s;
}

static void test_size_cap(void **state)
{
	char *s;
	json_t *v = NULL;
	struct err e;
	(void)state;
	/* Exactly the limit is accepted. */
	s = doc_of_size(JSON_MAX_INPUT);
	assert_int_equal(json_parse(s, JSON_MAX_INPUT, 1, &v, NULL), 0);
	assert_int_equal(strlen(json_str(v, "s")), JSON_MAX_INPUT - 8);
	json_decref(v);
	v = NULL;
	free(s);
	/* One byte more is refused, before parsing. */
	s = doc_of_size(JSON_MAX_INPUT + 1);
	err_clear(&e);
	assert_int_equal(json_parse(s, JSON_MAX_INPUT + 1, 1, &v, &e), ERR_TOOLONG);
	assert_null(v);
	assert_int_equal(e.code, ERR_TOOLONG);
	free(s);
}

static void test_compact_dump_is_stable(void **state)
{
	json_t *a = json_object(), *b = json_object();
	struct buf ba = BUF_INIT, bb = BUF_INIT;
	(void)state;
	json_set_str(a, "title", "ランサムウェア");
	json_set_int(a, "id", 42);
	json_set_bool(a, "open", 1);
	json_object_set_new(a, "inner", json_pack("{s:i,s:i}", "z", 1, "a", 2));
	json_set_str(a, "owner", NULL);

	json_set_str(b, "owner", NULL);
	json_object_set_new(b, "inner", json_pack("{s:i,s:i}", "a", 2, "z", 1));
	json_set_bool(b, "open", 1);
	json_set_int(b, "id", 42);
	json_set_str(b, "title", "ランサムウェア");

	assert_int_equal(json_dump_buf(a, 0, &ba), 0);
	assert_int_equal(json_dump_buf(b, 0, &bb), 0);
	assert_string_equal(ba.data, bb.data);
	/* Sorted keys, no white space, UTF-8 as is. */
	assert_string_equal(ba.data, "{\"id\":42,\"inner\":{\"a\":2,\"z\":1},\"open\":true,"
				     "\"owner\":null,\"title\":\"ランサムウェア\"}");
	json_decref(a);
	json_decref(b);
	buf_release(&ba);
	buf_release(&bb);
}

/* A small deterministic generator for the comparison with jansson below. */
static uint64_t rnd_state = 88172645463325252ULL;

static unsigned rnd(unsigned n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (unsigned)(rnd_state % n);
}

/* Text from pieces that need escaping, that are multi-byte, or neither. */
static void rnd_text(char *out, size_t *len)
{
	static const char *const pieces[] = {
		"a", "b", "ab", "Z", "0", " ", "/", "\"", "\\", "\b", "\f", "\n", "\r", "\t",
		"\x01", "\x1f", "\x7f", "é", "ラ", "漏えい", "😀", "{", "}", ":", ",", "u00e9",
	};
	size_t n = 0, k = rnd(6);

	for (size_t i = 0; i < k; i++) {
		const char *p = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];
		memcpy(out + n, p, strlen(p));
		n += strlen(p);
	}
	if (rnd(10) == 0)
		out[n++] = '\0'; /* json_stringn keeps it */
	out[n] = '\0';
	*len = n;
}

static json_t *rnd_value(int depth)
{
	static const json_int_t ints[] = { 0, 1, -1, 42, INT64_MAX, INT64_MIN, 1795653000 };
	char text[128];
	size_t len;
	json_t *v;

	switch (depth > 3 ? rnd(4) : rnd(6)) {
	case 0:
		return rnd(2) ? json_true() : rnd(2) ? json_false() : json_null();
	case 1:
		return json_integer(ints[rnd(sizeof(ints) / sizeof(ints[0]))]);
	case 2:
	case 3:
		rnd_text(text, &len);
		return json_stringn(text, len);
	case 4:
		v = json_array();
		for (unsigned i = rnd(5); i > 0; i--)
			json_array_append_new(v, rnd_value(depth + 1));
		return v;
	default:
		v = json_object();
		for (unsigned i = rnd(8); i > 0; i--) {
			rnd_text(text, &len);
			json_object_setn_new(v, text, len, rnd_value(depth + 1));
		}
		return v;
	}
}

/* json_dump_buf's own compact writer writes exactly what jansson does. */
static void expect_as_jansson(const json_t *v)
{
	struct buf b = BUF_INIT;
	char *want = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	assert_non_null(want);
	assert_int_equal(json_dump_buf(v, 0, &b), 0);
	if (strcmp(b.data, want) != 0)
		print_error("jansson: %s\nirdesk:  %s\n", want, b.data);
	assert_string_equal(b.data, want);
	free(want);
	buf_release(&b);
}

static void test_compact_dump_as_jansson(void **state)
{
	json_t *v, *deep;
	struct buf b = BUF_INIT;
	(void)state;
	for (int i = 0; i < 3000; i++) {
		v = rnd_value(0);
		expect_as_jansson(v);
		json_decref(v);
	}
	/* Keys where one is the start of another, and many keys. */
	v = json_pack("{s:i,s:i,s:i,s:i}", "ab", 1, "a", 2, "", 3, "b", 4);
	expect_as_jansson(v);
	for (int i = 0; i < 200; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", (i * 37) % 200);
		json_object_set_new(v, key, json_integer(i));
	}
	expect_as_jansson(v);
	json_decref(v);
	/* Reals and deep nesting are left to jansson: the same bytes still. */
	v = json_pack("{s:f,s:[f]}", "x", 0.1, "y", -2.5e300);
	expect_as_jansson(v);
	json_decref(v);
	deep = json_integer(7);
	for (int i = 0; i < 200; i++) {
		json_t *a = json_array();
		json_array_append_new(a, deep);
		deep = a;
	}
	expect_as_jansson(deep);
	json_decref(deep);
	/* A string that is not UTF-8 is refused, as jansson refuses it. */
	v = json_stringn_nocheck("\xff\xfe", 2);
	assert_null(json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY));
	assert_int_not_equal(json_dump_buf(v, 0, &b), 0);
	json_decref(v);
	buf_release(&b);
}

static void test_dump_appends(void **state)
{
	json_t *v = json_pack("[i,s]", 1, "x");
	struct buf b = BUF_INIT;
	(void)state;
	buf_adds(&b, "prefix:");
	assert_int_equal(json_dump_buf(v, 0, &b), 0);
	assert_string_equal(b.data, "prefix:[1,\"x\"]");
	json_decref(v);
	buf_release(&b);
}

static void test_pretty_dump(void **state)
{
	json_t *v = json_pack("{s:[i,i],s:s}", "b", 1, 2, "a", "x");
	struct buf b = BUF_INIT;
	(void)state;
	assert_int_equal(json_dump_buf(v, 1, &b), 0);
	assert_string_equal(b.data, "{\n  \"a\": \"x\",\n  \"b\": [\n    1,\n    2\n  ]\n}");
	json_decref(v);
	buf_release(&b);
}

static void test_dump_respects_buf_cap(void **state)
{
	json_t *v = json_object();
	struct buf b;
	(void)state;
	buf_init(&b, 16);
	json_set_str(v, "summary", "a summary that is longer than sixteen bytes");
	assert_int_equal(json_dump_buf(v, 0, &b), ERR_TOOLONG);
	json_decref(v);
	buf_release(&b);
}

static void test_set_time(void **state)
{
	json_t *o = json_object();
	(void)state;
	json_set_time(o, "closed_at", 0);
	assert_true(json_is_null(json_object_get(o, "closed_at")));
	assert_null(json_str(o, "closed_at"));
	json_set_time(o, "discovered_at", INT64_C(1764117000)); /* 2025-11-26T00:30:00Z */
	assert_string_equal(json_str(o, "discovered_at"), "2025-11-26T00:30:00Z");
	json_set_time(o, "epoch_plus_one", 1);
	assert_string_equal(json_str(o, "epoch_plus_one"), "1970-01-01T00:00:01Z");
	/* Setting again replaces. */
	json_set_time(o, "discovered_at", 0);
	assert_true(json_is_null(json_object_get(o, "discovered_at")));
	json_decref(o);
}

static void test_set_str_nonempty(void **state)
{
	json_t *o = json_object();
	(void)state;
	json_set_str_nonempty(o, "a", "value");
	json_set_str_nonempty(o, "b", "");
	json_set_str_nonempty(o, "c", NULL);
	json_set_str(o, "d", "");
	assert_string_equal(json_str(o, "a"), "value");
	assert_true(json_is_null(json_object_get(o, "b")));
	assert_true(json_is_null(json_object_get(o, "c")));
	/* json_set_str keeps the empty string. */
	assert_string_equal(json_str(o, "d"), "");
	json_decref(o);
}

static void test_json_str(void **state)
{
	json_t *o = json_pack("{s:s,s:i,s:n,s:[]}", "s", "text", "i", 5, "n", "a");
	(void)state;
	assert_string_equal(json_str(o, "s"), "text");
	assert_null(json_str(o, "i"));
	assert_null(json_str(o, "n"));
	assert_null(json_str(o, "a"));
	assert_null(json_str(o, "missing"));
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_object),
		cmocka_unit_test(test_parse_uses_length_not_nul),
		cmocka_unit_test(test_malformed_has_line_and_column),
		cmocka_unit_test(test_want_object),
		cmocka_unit_test(test_any_value_without_want_object),
		cmocka_unit_test(test_duplicate_keys_rejected),
		cmocka_unit_test(test_nul_in_string_rejected),
		cmocka_unit_test(test_invalid_utf8_rejected),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_compact_dump_is_stable),
		cmocka_unit_test(test_compact_dump_as_jansson),
		cmocka_unit_test(test_dump_appends),
		cmocka_unit_test(test_pretty_dump),
		cmocka_unit_test(test_dump_respects_buf_cap),
		cmocka_unit_test(test_set_time),
		cmocka_unit_test(test_set_str_nonempty),
		cmocka_unit_test(test_json_str),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
