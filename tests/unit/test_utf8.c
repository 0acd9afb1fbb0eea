/*
 * test_utf8.c: unit tests for util/utf8: known good and bad sequences, an
 * exhaustive comparison with a naive encoder, and the text-field check.
 */
#include "unit.h"

#include "util/err.h"
#include "util/utf8.h"

#define JA "\xe3\x82\xa4\xe3\x83\xb3\xe3\x82\xb7\xe3\x83\x87\xe3\x83\xb3\xe3\x83\x88"  /* インシデント */

static int valid(const char *s)
{
	return utf8_valid(s, strlen(s));
}

static void test_valid(void **state)
{
	static const char *const good[] = {
		"", "plain ASCII", JA, "\xe5\xaf\xbe\xe5\xbf\x9c",   /* 対応 */
		"caf\xc3\xa9", "\xc2\x80", "\xdf\xbf",              /* U+0080, U+07FF */
		"\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",     /* U+0800, U+D7FF, U+E000 */
		"\xef\xbf\xbf", "\xf0\x90\x80\x80",                 /* U+FFFF, U+10000 */
		"\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",             /* U+1F600, U+10FFFF */
	};
	static const char *const bad[] = {
		"\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",   /* overlong */
		"\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",                 /* overlong */
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xed\xa0\xbd\xed\xb8\x80", /* surrogates */
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf7\xbf\xbf\xbf", /* past U+10FFFF */
		"\xfe", "\xff", "\x80", "\xbf", "a\x80z",                 /* stray bytes */
		"\xe3\x82", "\xf0\x9f\x98", "\xc3", "abc\xe3",           /* truncated */
		"\xe3\x82\x41", "\xc3\x28", "\xf0\x9f\x41\x80",          /* bad continuation */
		"\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80",      /* 5- and 6-byte forms */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!valid(good[i]))
			print_error("good[%zu] rejected\n", i);
		assert_int_equal(valid(good[i]), 1);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (valid(bad[i]))
			print_error("bad[%zu] accepted\n", i);
		assert_int_equal(valid(bad[i]), 0);
	}
	/* The length is respected: a cut through a character is a truncation. */
	assert_int_equal(utf8_valid(JA, 17), 0);
	assert_int_equal(utf8_valid(JA, 15), 1);
	assert_int_equal(utf8_valid("\xe3\x82\xa4\xff", 3), 1);
	/* NUL is U+0000. */
	assert_int_equal(utf8_valid("a\0b", 3), 1);
	assert_int_equal(utf8_valid(NULL, 0), 1);
}

/* A naive encoder, independent of the module, as the oracle. */
static size_t encode(unsigned long cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Every scalar value's encoding is valid and one code point long; surrogates are not. */
static void test_every_code_point(void **state)
{
	unsigned char b[4];
	unsigned long cp;
	size_t n;

	(void)state;
	for (cp = 0; cp <= 0x10FFFF; cp++) {
		n = encode(cp, b);
		if (cp >= 0xD800 && cp <= 0xDFFF) {
			assert_int_equal(utf8_valid((char *)b, n), 0);
			continue;
		}
		if (!utf8_valid((char *)b, n))
			print_error("U+%04lX rejected\n", cp);
		assert_int_equal(utf8_valid((char *)b, n), 1);
		assert_int_equal(utf8_count((char *)b, n), 1);
		/* Any proper prefix of a multi-byte character is truncated. */
		if (n > 1)
			assert_int_equal(utf8_valid((char *)b, n - 1), 0);
	}
}

/*
 * Every 1-, 2- and 3-byte string is valid exactly when it is a sequence of
 * encodings of scalar values (checked by decoding greedily with the oracle).
 */
static int oracle_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char b[4];
		size_t len = s[i] < 0x80 ? 1 : s[i] >= 0xF0 ? 4 : s[i] >= 0xE0 ? 3 : 2;
		unsigned long cp;
		size_t k;

		if (i + len > n)
			return 0;
		cp = len == 1 ? s[i] : (unsigned long)(s[i] & (0x7F >> len));
		for (k = 1; k < len; k++)
			cp = cp << 6 | (s[i + k] & 0x3F);
		if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || encode(cp, b) != len ||
		    memcmp(b, s + i, len) != 0)
			return 0;
		i += len;
	}
	return 1;
}

static void test_exhaustive_short(void **state)
{
	unsigned char s[3];
	unsigned long v;

	(void)state;
	for (v = 0; v < 0x1000000; v++) {
		s[0] = (unsigned char)(v >> 16);
		s[1] = (unsigned char)(v >> 8);
		s[2] = (unsigned char)v;
		if (v < 0x10000 && utf8_valid((char *)s + 1, 2) != oracle_valid(s + 1, 2))
			fail_msg("%02x %02x", s[1], s[2]);
		if (v < 0x100 && utf8_valid((char *)s + 2, 1) != oracle_valid(s + 2, 1))
			fail_msg("%02x", s[2]);
		/* Three-byte strings: all of them whose first byte is not ASCII. */
		if (s[0] >= 0x80 && utf8_valid((char *)s, 3) != oracle_valid(s, 3))
			fail_msg("%02x %02x %02x", s[0], s[1], s[2]);
	}
}

static void test_count(void **state)
{
	(void)state;
	assert_int_equal(utf8_count("", 0), 0);
	assert_int_equal(utf8_count("abc", 3), 3);
	assert_int_equal(utf8_count(JA, strlen(JA)), 6);
	assert_int_equal(strlen(JA), 18);
	assert_int_equal(utf8_count("a\xc3\xa9\xf0\x9f\x98\x80", 7), 3);
	assert_int_equal(utf8_count("a\0b", 3), 3);
}

static void test_check_text(void **state)
{
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(utf8_check_text("title", JA, 6, 0, &e), 0);
	assert_int_equal(utf8_check_text("title", "Phishing " JA, 0, 0, &e), 0);
	assert_int_equal(utf8_check_text("title", "", 10, 0, &e), 0);
	assert_int_equal(utf8_check_text("title", NULL, 10, 0, &e), 0);
	assert_int_equal(utf8_check_text("title", "no\xc2\xa0" "break", 10, 0, &e), 0); /* U+00A0 */

	assert_int_equal(utf8_check_text("title", JA, 5, 0, &e), ERR_TOOLONG);
	assert_string_equal(e.msg, "title: too long (6 characters, at most 5)");

	assert_int_equal(utf8_check_text("title", "caf\xc3", 10, 0, &e), ERR_INVALID);
	assert_string_equal(e.msg, "title: not valid UTF-8");
	assert_int_equal(utf8_check_text("title", "\xc0\x80", 10, 0, &e), ERR_INVALID);
	assert_string_equal(e.msg, "title: not valid UTF-8");
	/* Bad encoding is reported first, even in a text that is also too long. */
	assert_int_equal(utf8_check_text("title", "abcdef\xed\xa0\x80", 3, 0, &e), ERR_INVALID);
	assert_string_equal(e.msg, "title: not valid UTF-8");

	assert_int_equal(utf8_check_text("title", "red \x1b[31m", 0, 0, &e), ERR_INVALID);
	assert_string_equal(e.msg, "title: control characters are not allowed");
	assert_int_equal(utf8_check_text("title", "del\x7f", 0, 0, &e), ERR_INVALID);
	assert_int_equal(utf8_check_text("title", "nel\xc2\x85", 0, 0, &e), ERR_INVALID); /* C1 */
	assert_int_equal(utf8_check_text("title", "\xc2\x9f", 0, 0, &e), ERR_INVALID);
	assert_int_equal(utf8_check_text("title", "\x01", 0, 0, &e), ERR_INVALID);
	/* Control characters are reported before length. */
	assert_int_equal(utf8_check_text("title", "abcdef\x01", 3, 0, &e), ERR_INVALID);
	assert_string_equal(e.msg, "title: control characters are not allowed");

	/* Line breaks and tabs: only in multi-line fields. */
	assert_int_equal(utf8_check_text("title", "a\nb", 0, 0, &e), ERR_INVALID);
	assert_int_equal(utf8_check_text("title", "a\tb", 0, 0, &e), ERR_INVALID);
	assert_int_equal(utf8_check_text("title", "a\r\nb", 0, 0, &e), ERR_INVALID);
	assert_int_equal(utf8_check_text("notes", "a\nb\tc\r\n" JA, 0, 1, &e), 0);
	assert_int_equal(utf8_check_text("notes", "a\nb\x1b", 0, 1, &e), ERR_INVALID);
	assert_string_equal(e.msg, "notes: control characters are not allowed");
	assert_int_equal(utf8_check_text("notes", "a\x0b" "b", 0, 1, &e), ERR_INVALID);  /* VT */
	/* Newlines count as characters toward the limit. */
	assert_int_equal(utf8_check_text("notes", "ab\n", 3, 1, &e), 0);
	assert_int_equal(utf8_check_text("notes", "ab\nc", 3, 1, &e), ERR_TOOLONG);
	assert_string_equal(e.msg, "notes: too long (4 characters, at most 3)");

	/* A NULL err is fine. */
	assert_int_equal(utf8_check_text("title", "\xff", 0, 0, NULL), ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_every_code_point),
		cmocka_unit_test(test_exhaustive_short),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_check_text),
	};

	return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
