/*
 * test_cli.c: what the CLI shows people: tables padded by display width
 * (Japanese counts two columns), cut with an ellipsis, one line per row;
 * times in table cells; error lines and exit codes; the common options.
 */
#include "unit.h"
#include "cli.h"
#include "util/time.h"

#include <fcntl.h>

static char captured[8192];

/* Run fn with file descriptor fd (1 or 2) sent to a file; return what it wrote. */
static int saved = -1;
static char cap_path[512];

static void capture_begin(int fd)
{
	int f;
	snprintf(cap_path, sizeof(cap_path), "%s/fd%d.txt", unit_tmpdir(), fd);
	fflush(stdout);
	fflush(stderr);
	f = open(cap_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(f >= 0);
	saved = dup(fd);
	assert_true(saved >= 0);
	assert_int_equal(dup2(f, fd), fd);
	close(f);
}

static const char *capture_end(int fd)
{
	FILE *f;
	size_t n;
	fflush(stdout);
	fflush(stderr);
	assert_int_equal(dup2(saved, fd), fd);
	close(saved);
	saved = -1;
	f = fopen(cap_path, "rb");
	assert_non_null(f);
	n = fread(captured, 1, sizeof(captured) - 1, f);
	fclose(f);
	captured[n] = '\0';
	return captured;
}

/* Print t into a memory buffer and return it (caller frees). */
static char *printed(struct table *t)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	assert_non_null(f);
	table_print(t, f);
	assert_int_equal(fclose(f), 0);
	return s;
}

/* Print t into a real file (what the CLI does with stdout) and return its bytes. */
static const char *printed_to_file(struct table *t)
{
	FILE *f = tmpfile();
	size_t n;
	assert_non_null(f);
	table_print(t, f);
	rewind(f);
	n = fread(captured, 1, sizeof(captured) - 1, f);
	captured[n] = '\0';
	fclose(f);
	return captured;
}

static void assert_no_trailing_space(const char *s)
{
	for (const char *p = strchr(s, '\n'); p; p = strchr(p + 1, '\n'))
		if (p > s && p[-1] == ' ')
			fail_msg("trailing space before a newline in:\n%s", s);
}

static void test_table_ascii(void **state)
{
	static const char *const h[] = { "ID", "STATE", "TITLE" };
	static const char *const r1[] = { "IR-2026-0001", "new", "Phishing mail" };
	static const char *const r2[] = { "IR-2026-0002", "containment", "DoS" };
	struct table *t = table_new(3, h);
	(void)state;
	table_add(t, r1);
	table_add(t, r2);
	assert_string_equal(printed_to_file(t),
			    "ID            STATE        TITLE\n"
			    "IR-2026-0001  new          Phishing mail\n"
			    "IR-2026-0002  containment  DoS\n");
	table_free(t);
}

static void test_table_japanese_aligns(void **state)
{
	static const char *const h[] = { "ID", "TITLE", "STATE" };
	static const char *const r1[] = { "IR-2026-0001", "情報漏えい", "new" };
	static const char *const r2[] = { "IR-2026-0002", "Web defacement", "triage" };
	static const char *const r3[] = { "IR-2026-0003", "ｶﾀｶﾅ", "分析" };
	struct table *t = table_new(3, h);
	(void)state;
	table_add(t, r1);
	table_add(t, r2);
	table_add(t, r3);
	/* 情報漏えい is 10 columns, Web defacement 14, half-width ｶﾀｶﾅ 4. */
	assert_string_equal(printed_to_file(t),
			    "ID            TITLE           STATE\n"
			    "IR-2026-0001  情報漏えい      new\n"
			    "IR-2026-0002  Web defacement  triage\n"
			    "IR-2026-0003  ｶﾀｶﾅ            分析\n");
	table_free(t);
}

static void test_table_japanese_sets_width(void **state)
{
	static const char *const h[] = { "担当", "役割" };
	static const char *const r1[] = { "alice", "コマンダー" };
	static const char *const r2[] = { "全角ＡＢ", "x" };
	struct table *t = table_new(2, h);
	char *s;
	(void)state;
	table_add(t, r1);
	table_add(t, r2);
	/* The first column is 8 columns wide (全角ＡＢ), the header 4. */
	s = printed(t);
	assert_string_equal(s, "担当      役割\n"
			       "alice     コマンダー\n"
			       "全角ＡＢ  x\n");
	free(s);
	table_free(t);
}

static void test_table_max_width_cuts(void **state)
{
	static const char *const h[] = { "ID", "TITLE", "OWNER" };
	static const char *const r1[] = { "1", "Web defacement", "alice" };
	static const char *const r2[] = { "2", "情報漏えい", "bob" };
	static const char *const r3[] = { "3", "12345678", "carol" };
	static const char *const r4[] = { "4", "short", "dave" };
	struct table *t = table_new(3, h);
	const char *out;
	(void)state;
	table_add(t, r1);
	table_add(t, r2);
	table_add(t, r3);
	table_add(t, r4);
	table_max_width(t, 1, 8);
	out = printed_to_file(t);
	/*
	 * At most 8 columns: 7 of text and "…"; a wide character that would
	 * cross the limit is left out (7 columns, padded to 8); a cell of
	 * exactly 8 columns is not cut.
	 */
	assert_string_equal(out,
			    "ID  TITLE     OWNER\n"
			    "1   Web def…  alice\n"
			    "2   情報漏…   bob\n"
			    "3   12345678  carol\n"
			    "4   short     dave\n");
	assert_no_trailing_space(out);
	table_free(t);
}

static void test_table_max_width_last_column(void **state)
{
	static const char *const h[] = { "ID", "SUMMARY" };
	static const char *const r1[] = { "1", "a very long summary of what happened" };
	struct table *t = table_new(2, h);
	char *s;
	(void)state;
	table_add(t, r1);
	table_max_width(t, 1, 10);
	table_max_width(t, 5, 3); /* no such column: ignored */
	table_max_width(t, -1, 3);
	s = printed(t);
	assert_string_equal(s, "ID  SUMMARY\n"
			       "1   a very lo…\n");
	free(s);
	table_free(t);
}

static void test_table_cells_are_one_line(void **state)
{
	static const char *const h[] = { "ID", "TITLE", "X" };
	static const char *const r1[] = { "1", "first\nsecond\r\nthird\tend", "y" };
	static const char *const r2[] = { "2", NULL, "z" };
	struct table *t = table_new(3, h);
	const char *out;
	(void)state;
	table_add(t, r1);
	table_add(t, r2);
	out = printed_to_file(t);
	/* "first second  third end" is 23 columns; a NULL cell is empty. */
	assert_string_equal(out,
			    "ID  TITLE                    X\n"
			    "1   first second  third end  y\n"
			    "2                            z\n");
	table_free(t);
}

static void test_table_many_rows(void **state)
{
	static const char *const h[] = { "N", "SQUARE" };
	struct table *t = table_new(2, h);
	char *s;
	int lines = 0;
	(void)state;
	for (int i = 0; i < 100; i++) {
		char a[16], b[16];
		const char *row[2] = { a, b };
		snprintf(a, sizeof(a), "%d", i);
		snprintf(b, sizeof(b), "%d", i * i);
		table_add(t, row);
	}
	s = printed(t);
	for (const char *p = s; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 101);
	assert_non_null(strstr(s, "\n5   25\n"));
	assert_non_null(strstr(s, "\n99  9801\n"));
	free(s);
	table_free(t);
	/* NULL tables are ignored. */
	table_add(NULL, h);
	table_print(NULL, stdout);
	table_free(NULL);
}

/*
 * Combining marks take no column of their own: "デ" typed on macOS (NFD,
 * テ + U+3099) and "é" as e + U+0301 are as wide as their composed forms.
 */
static void test_table_combining_marks(void **state)
{
	static const char *const h[] = { "FILE", "SIZE" };
	static const char *const r1[] = { "\xe3\x83\x86\xe3\x82\x99\xe3\x83\xbc\xe3\x82\xbf", "1" };
	static const char *const r2[] = { "caf\x65\xcc\x81", "2" };
	static const char *const r3[] = { "データ", "3" };
	struct table *t = table_new(2, h);
	char *s;
	(void)state;
	table_add(t, r1);
	table_add(t, r2);
	table_add(t, r3);
	s = printed(t);
	/* Free first, so that a failure reports only the difference. */
	snprintf(captured, sizeof(captured), "%s", s);
	free(s);
	table_free(t);
	assert_string_equal(captured, "FILE    SIZE\n"
			       "\xe3\x83\x86\xe3\x82\x99\xe3\x83\xbc\xe3\x82\xbf  1\n"
			       "caf\x65\xcc\x81    2\n"
			       "データ  3\n");
}

static void test_cli_time(void **state)
{
	struct cli c;
	char out[64];
	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(tz_load("Asia/Tokyo", &c.tz, NULL), 0);
	strcpy(out, "junk");
	assert_ptr_equal(cli_time(&c, 0, out), out);
	assert_string_equal(out, "");
	assert_string_equal(cli_time(&c, INT64_C(1764117000), out), "2025-11-26 09:30 JST");
	tz_free(c.tz);
	c.tz = NULL;
	assert_string_equal(cli_time(&c, INT64_C(1764117005), out), "2025-11-26 00:30:05 UTC");
}

static void test_cli_error_line_and_exit_code(void **state)
{
	static const struct {
		int code, exit;
	} cases[] = {
		{ ERR_INTERNAL, 1 }, { ERR_USAGE, 2 }, { ERR_NOTFOUND, 3 }, { ERR_INVALID, 4 },
		{ ERR_CONFLICT, 4 }, { ERR_STORE, 5 }, { ERR_IO, 5 }, { ERR_DENIED, 6 },
	};
	const char *out;
	int rc;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		capture_begin(2);
		rc = cli_error(cases[i].code, "incident %s not found", "IR-2026-0042");
		out = capture_end(2);
		assert_int_equal(rc, cases[i].exit);
		assert_string_equal(out, "irdesk: incident IR-2026-0042 not found\n");
	}
}

static void test_cli_fail_and_usage_error(void **state)
{
	struct cli c;
	const char *out;
	int rc;
	(void)state;
	memset(&c, 0, sizeof(c));
	err_set(&c.err, ERR_DENIED, "alice (viewer) may not edit incidents");
	capture_begin(2);
	rc = cli_fail(&c);
	out = capture_end(2);
	assert_int_equal(rc, 6);
	assert_string_equal(out, "irdesk: alice (viewer) may not edit incidents\n");

	/* No code recorded is an internal error, with the default message. */
	err_clear(&c.err);
	capture_begin(2);
	rc = cli_fail(&c);
	out = capture_end(2);
	assert_int_equal(rc, 1);
	assert_int_equal(strncmp(out, "irdesk: ", 8), 0);
	assert_int_equal(out[strlen(out) - 1], '\n');

	capture_begin(2);
	rc = cli_usage_error("usage: irdesk x\n", "missing %s", "TITLE");
	out = capture_end(2);
	assert_int_equal(rc, 2);
	assert_string_equal(out, "irdesk: missing TITLE (see --help)\n");
	capture_begin(2);
	rc = cli_usage_error(NULL, "missing %s", "TITLE");
	out = capture_end(2);
	assert_int_equal(rc, 2);
	assert_string_equal(out, "irdesk: missing TITLE\n");
}

static int on_opt_limit(void *ctx, int opt, const char *arg)
{
	if (opt == OPT__FIRST_CMD) {
		*(int *)ctx = atoi(arg);
		return 0;
	}
	return 2;
}

static void test_cli_parse(void **state)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "limit", required_argument, NULL, OPT__FIRST_CMD },
		{ 0, 0, 0, 0 },
	};
	char a0[] = "list", a1[] = "--db", a2[] = "sqlite:/tmp/x.db", a3[] = "--json",
	     a4[] = "--limit", a5[] = "7", a6[] = "--tz", a7[] = "UTC", a8[] = "open",
	     a9[] = "--as", a10[] = "alice";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, NULL };
	char b0[] = "list", b1[] = "--bogus";
	char *bad[] = { b0, b1, NULL };
	char h0[] = "list", h1[] = "--help";
	char *help[] = { h0, h1, NULL };
	struct cli c;
	const char *out;
	int limit = 0, rc;
	(void)state;
	memset(&c, 0, sizeof(c));
	rc = cli_parse(&c, 11, argv, opts, "usage: irdesk list\n", on_opt_limit, &limit);
	assert_int_equal(rc, -1);
	assert_string_equal(c.db_url, "sqlite:/tmp/x.db");
	assert_int_equal(c.json, 1);
	assert_string_equal(c.tz_name, "UTC");
	assert_string_equal(c.as_user, "alice");
	assert_int_equal(limit, 7);
	assert_true(optind < 11);
	assert_string_equal(argv[optind], "open");
	assert_int_equal(optind, 10); /* the operand, after the options (GNU permutes) */

	memset(&c, 0, sizeof(c));
	capture_begin(2);
	rc = cli_parse(&c, 2, bad, opts, "usage: irdesk list\n", on_opt_limit, &limit);
	out = capture_end(2);
	assert_int_equal(rc, 2);
	assert_non_null(strstr(out, "--bogus"));
	assert_int_equal(strncmp(out, "irdesk: ", 8), 0);
	assert_non_null(strstr(out, "(see --help)\n"));

	capture_begin(1);
	rc = cli_parse(&c, 2, help, opts, "usage: irdesk list\n", on_opt_limit, &limit);
	out = capture_end(1);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "usage: irdesk list\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_ascii),
		cmocka_unit_test(test_table_japanese_aligns),
		cmocka_unit_test(test_table_japanese_sets_width),
		cmocka_unit_test(test_table_max_width_cuts),
		cmocka_unit_test(test_table_max_width_last_column),
		cmocka_unit_test(test_table_cells_are_one_line),
		cmocka_unit_test(test_table_many_rows),
		cmocka_unit_test(test_table_combining_marks),
		cmocka_unit_test(test_cli_time),
		cmocka_unit_test(test_cli_error_line_and_exit_code),
		cmocka_unit_test(test_cli_fail_and_usage_error),
		cmocka_unit_test(test_cli_parse),
	};
	int rc = cmocka_run_group_tests_name("cli", tests, NULL, NULL);
	unit_rmtmp();
	return rc;
}
