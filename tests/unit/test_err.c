/*
 * test_err.c: error codes, messages, exit codes and HTTP statuses.
 */
#include "unit.h"
#include "util/err.h"

static void test_set_and_prefix(void **state)
{
	struct err e;
	(void)state;
	err_clear(&e);
	assert_int_equal(e.code, 0);
	assert_int_equal(err_set(&e, ERR_PARSE, "%s:%d: unknown modifier '%s'", "r.yml", 7, "foo"),
			 ERR_PARSE);
	assert_string_equal(err_msg(&e), "r.yml:7: unknown modifier 'foo'");
	err_prefix(&e, "rule %d", 3);
	assert_string_equal(err_msg(&e), "rule 3: r.yml:7: unknown modifier 'foo'");
	assert_int_equal(e.code, ERR_PARSE);
	/* NULL is allowed wherever a struct err * is taken. */
	assert_int_equal(err_set(NULL, ERR_IO, "x"), ERR_IO);
}

static void test_default_message(void **state)
{
	struct err e;
	(void)state;
	err_clear(&e);
	e.code = ERR_NOTFOUND;
	assert_string_equal(err_msg(&e), "not found");
	assert_string_equal(err_name(ERR_NOTFOUND), "notfound");
	assert_string_equal(err_name(12345), "internal");
}

static void test_exit_and_http(void **state)
{
	(void)state;
	assert_int_equal(err_exit_code(ERR_OK), 0);
	assert_int_equal(err_exit_code(ERR_USAGE), 2);
	assert_int_equal(err_exit_code(ERR_NOTFOUND), 3);
	assert_int_equal(err_exit_code(ERR_INVALID), 4);
	assert_int_equal(err_exit_code(ERR_CONFLICT), 4);
	assert_int_equal(err_exit_code(ERR_IO), 5);
	assert_int_equal(err_exit_code(ERR_DENIED), 6);
	assert_int_equal(err_http_status(ERR_PARSE), 400);
	assert_int_equal(err_http_status(ERR_AUTH), 401);
	assert_int_equal(err_http_status(ERR_DENIED), 403);
	assert_int_equal(err_http_status(ERR_NOTFOUND), 404);
	assert_int_equal(err_http_status(ERR_CONFLICT), 409);
	assert_int_equal(err_http_status(ERR_TOOLONG), 413);
	assert_int_equal(err_http_status(ERR_INVALID), 422);
	assert_int_equal(err_http_status(ERR_BUSY), 503);
}

static void test_long_message_truncates(void **state)
{
	struct err e;
	char big[2000];
	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&e, ERR_INVALID, "%s", big);
	assert_int_equal(strlen(e.msg), ERR_MSG_MAX - 1);
	err_prefix(&e, "field");
	assert_true(strlen(e.msg) < ERR_MSG_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_and_prefix),
		cmocka_unit_test(test_default_message),
		cmocka_unit_test(test_exit_and_http),
		cmocka_unit_test(test_long_message_truncates),
	};
	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
