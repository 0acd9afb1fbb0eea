/*
 * test_log.c: what lands on standard error: level filtering, the level
 * names, an RFC 3339 UTC timestamp and the level on each line, and control
 * characters from input that must not forge or split lines.
 */
#include "unit.h"
#include "util/err.h"
#include "util/log.h"
#include "util/time.h"

#include <fcntl.h>
#include <time.h>

static int saved_fd = -1;
static char capture_path[512];
static char captured[16384];

/* Redirect fd 2 to a fresh file until capture_end(). */
static void capture_begin(void)
{
	int fd;
	snprintf(capture_path, sizeof(capture_path), "%s/stderr.txt", unit_tmpdir());
	fflush(stderr);
	fd = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved_fd = dup(STDERR_FILENO);
	assert_true(saved_fd >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

/* Restore fd 2 and return what was written to it. */
static const char *capture_end(void)
{
	FILE *f;
	size_t n;
	fflush(stderr);
	assert_int_equal(dup2(saved_fd, STDERR_FILENO), STDERR_FILENO);
	close(saved_fd);
	saved_fd = -1;
	f = fopen(capture_path, "rb");
	assert_non_null(f);
	n = fread(captured, 1, sizeof(captured) - 1, f);
	fclose(f);
	captured[n] = '\0';
	return captured;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_INFO);
	return 0;
}

static void test_default_is_info(void **state)
{
	(void)state;
	/* Runs first: nothing has set the level yet in this process. */
	assert_int_equal(log_get_level(), LOG_INFO);
}

static void test_level_filtering(void **state)
{
	const char *out;
	(void)state;
	log_set_level(LOG_INFO);
	capture_begin();
	log_debug("debug-line %d", 1);
	log_info("info-line %d", 2);
	log_warn("warn-line %d", 3);
	log_error("error-line %d", 4);
	out = capture_end();
	assert_null(strstr(out, "debug-line"));
	assert_non_null(strstr(out, "info-line 2"));
	assert_non_null(strstr(out, "warn-line 3"));
	assert_non_null(strstr(out, "error-line 4"));
	assert_int_equal(count_lines(out), 3);

	log_set_level(LOG_ERROR);
	assert_int_equal(log_get_level(), LOG_ERROR);
	capture_begin();
	log_info("info-line");
	log_warn("warn-line");
	log_error("only this");
	out = capture_end();
	assert_int_equal(count_lines(out), 1);
	assert_non_null(strstr(out, "only this"));

	log_set_level(LOG_DEBUG);
	capture_begin();
	log_debug("debug shown");
	out = capture_end();
	assert_non_null(strstr(out, "debug shown"));
}

static void test_parse_level(void **state)
{
	static const struct {
		const char *s;
		enum log_level l;
	} ok[] = {
		{ "error", LOG_ERROR }, { "warn", LOG_WARN }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};
	static const char *const bad[] = { "", "verbose", "trace", "info ", "3" };
	enum log_level l;
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		l = (enum log_level)-1;
		assert_int_equal(log_parse_level(ok[i].s, &l), 0);
		assert_int_equal(l, ok[i].l);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l = LOG_WARN;
		assert_int_equal(log_parse_level(bad[i], &l), ERR_INVALID);
		assert_int_equal(l, LOG_WARN); /* untouched */
	}
}

/* "2026-11-26T00:30:00.123Z warn  message": timestamp, level, message. */
static void check_line(const char *line, const char *level, const char *msg)
{
	int64_t t, now = (int64_t)time(NULL);
	char ts[64];
	const char *sp = strchr(line, ' ');
	size_t tl;

	assert_non_null(sp);
	tl = (size_t)(sp - line);
	assert_true(tl < sizeof(ts));
	memcpy(ts, line, tl);
	ts[tl] = '\0';
	/* RFC 3339, UTC: date 'T' time, ends in 'Z'. */
	assert_int_equal(ts[4], '-');
	assert_int_equal(ts[7], '-');
	assert_int_equal(ts[10], 'T');
	assert_int_equal(ts[13], ':');
	assert_int_equal(ts[16], ':');
	assert_int_equal(ts[tl - 1], 'Z');
	assert_int_equal(time_parse(ts, NULL, now, &t, NULL), 0);
	/* The real clock, in UTC (not local time). */
	assert_true(t >= now - 5 && t <= now + 5);
	/* Then the level, then the message. */
	sp++;
	assert_memory_equal(sp, level, strlen(level));
	sp += strlen(level);
	assert_int_equal(*sp, ' ');
	while (*sp == ' ')
		sp++;
	assert_memory_equal(sp, msg, strlen(msg));
	assert_int_equal(sp[strlen(msg)], '\n');
}

static void test_line_format(void **state)
{
	const char *out, *second;
	(void)state;
	log_set_level(LOG_DEBUG);
	capture_begin();
	log_warn("store %s is busy", "var/irdesk.db");
	log_debug("debug %d", 7);
	out = capture_end();
	assert_int_equal(count_lines(out), 2);
	check_line(out, "warn", "store var/irdesk.db is busy");
	second = strchr(out, '\n') + 1;
	check_line(second, "debug", "debug 7");
}

static void test_control_characters_do_not_split_lines(void **state)
{
	const char *out;
	(void)state;
	log_set_level(LOG_INFO);
	capture_begin();
	/* A user name that tries to forge a second log line and recolour the terminal. */
	log_info("login failed for '%s'",
		 "bob\n2026-01-01T00:00:00.000Z error admin logged in\r\x1b[31mred\x1b[0m");
	out = capture_end();
	assert_int_equal(count_lines(out), 1);
	assert_null(strchr(out, '\r'));
	assert_null(strchr(out, '\x1b'));
	assert_non_null(strstr(out, "bob 2026-01-01T00:00:00.000Z error admin logged in"));
	assert_int_equal(out[strlen(out) - 1], '\n');
	/* Tabs are kept. */
	capture_begin();
	log_info("a\tb");
	out = capture_end();
	assert_non_null(strstr(out, "a\tb\n"));
}

static void test_long_message_is_one_line(void **state)
{
	char *big = malloc(5001);
	const char *out;
	size_t len;
	(void)state;
	assert_non_null(big);
	memset(big, 'x', 5000);
	big[5000] = '\0';
	big[4000] = '\n';
	log_set_level(LOG_INFO);
	capture_begin();
	log_info("%s", big);
	out = capture_end();
	free(big);
	len = strlen(out);
	assert_int_equal(count_lines(out), 1);
	assert_int_equal(out[len - 1], '\n');
	assert_true(len > 1000);
	assert_true(len <= 2048);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_info),
		cmocka_unit_test_setup(test_level_filtering, setup),
		cmocka_unit_test(test_parse_level),
		cmocka_unit_test_setup(test_line_format, setup),
		cmocka_unit_test_setup(test_control_characters_do_not_split_lines, setup),
		cmocka_unit_test_setup(test_long_message_is_one_line, setup),
	};
	int rc = cmocka_run_group_tests_name("log", tests, NULL, NULL);
	unit_rmtmp();
	return rc;
}
