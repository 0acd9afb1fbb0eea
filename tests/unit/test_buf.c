/*
 * test_buf.c: growable strings, the size cap and the sticky error.
 */
#include "unit.h"
#include "util/buf.h"
#include "util/err.h"

static void test_empty_is_a_string(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	assert_int_equal(b.len, 0);
	buf_release(&b);
	assert_string_equal(b.data, "");
}

static void test_append_and_format(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	buf_adds(&b, "IR-");
	buf_addf(&b, "%04d-%04d", 2026, 42);
	buf_addch(&b, '!');
	assert_string_equal(b.data, "IR-2026-0042!");
	assert_int_equal(b.len, 13);
	/* Growth across many appends keeps the NUL and the content. */
	for (int i = 0; i < 1000; i++)
		buf_addf(&b, "%d,", i);
	assert_int_equal(buf_error(&b), 0);
	assert_true(b.len > 3000);
	assert_int_equal(b.data[b.len], '\0');
	assert_memory_equal(b.data + b.len - 4, "999,", 4);
	buf_truncate(&b, 3);
	assert_string_equal(b.data, "IR-");
	buf_release(&b);
}

static void test_cap_is_sticky(void **state)
{
	struct buf b;
	(void)state;
	buf_init(&b, 8);
	buf_adds(&b, "12345");
	buf_adds(&b, "6789"); /* over the cap */
	assert_int_equal(buf_error(&b), ERR_TOOLONG);
	assert_string_equal(b.data, "12345");
	buf_adds(&b, "a"); /* ignored after the error */
	assert_string_equal(b.data, "12345");
	buf_addf(&b, "%s", "b");
	assert_string_equal(b.data, "12345");
	assert_null(buf_detach(&b, NULL));
	buf_release(&b);
}

static void test_formatted_overflow_keeps_terminator(void **state)
{
	struct buf b;
	(void)state;
	buf_init(&b, 70);
	buf_adds(&b, "x"); /* allocates 64 bytes */
	buf_addf(&b, "%080d", 7);
	assert_int_equal(buf_error(&b), ERR_TOOLONG);
	assert_int_equal(b.len, 1);
	assert_string_equal(b.data, "x");
	buf_release(&b);
}

static void test_detach(void **state)
{
	struct buf b = BUF_INIT;
	size_t len;
	char *s;
	(void)state;
	s = buf_detach(&b, &len); /* empty detaches as "" */
	assert_string_equal(s, "");
	free(s);
	buf_adds(&b, "evidence");
	s = buf_detach(&b, &len);
	assert_string_equal(s, "evidence");
	assert_int_equal(len, 8);
	assert_string_equal(b.data, "");
	free(s);
}

static void test_reset_clears_error(void **state)
{
	struct buf b;
	(void)state;
	buf_init(&b, 2);
	buf_adds(&b, "abc");
	assert_int_equal(buf_error(&b), ERR_TOOLONG);
	buf_reset(&b);
	assert_int_equal(buf_error(&b), 0);
	buf_adds(&b, "ab");
	assert_string_equal(b.data, "ab");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_is_a_string),
		cmocka_unit_test(test_append_and_format),
		cmocka_unit_test(test_cap_is_sticky),
		cmocka_unit_test(test_formatted_overflow_keeps_terminator),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_reset_clears_error),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
