/*
 * test_fs.c: making folders (nested, existing, blocked by a file), reading
 * a file whole under a size cap, and existence checks.
 */
#include "unit.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include <sys/stat.h>

static char path[1024];

static const char *tmp_path(const char *rel)
{
	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), rel);
	return path;
}

static int is_dir(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void write_file(const char *p, const char *data, size_t n)
{
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void test_mkdirs_nested(void **state)
{
	struct err e;
	char top[1024];
	(void)state;
	err_clear(&e);
	snprintf(top, sizeof(top), "%s", tmp_path("a"));
	assert_int_equal(fs_mkdirs(tmp_path("a/b/c/d"), 0700, &e), 0);
	assert_true(is_dir(tmp_path("a/b/c/d")));
	assert_true(is_dir(tmp_path("a/b")));
	/* Again: existing folders are fine. */
	assert_int_equal(fs_mkdirs(tmp_path("a/b/c/d"), 0700, &e), 0);
	assert_int_equal(fs_mkdirs(top, 0700, &e), 0);
	/* A trailing slash is fine too. */
	assert_int_equal(fs_mkdirs(tmp_path("a/b/e/"), 0700, &e), 0);
	assert_true(is_dir(tmp_path("a/b/e")));
}

static void test_mkdirs_mode(void **state)
{
	struct stat sb;
	mode_t old = umask(022);
	(void)state;
	assert_int_equal(fs_mkdirs(tmp_path("private/keys"), 0700, NULL), 0);
	umask(old);
	assert_int_equal(stat(tmp_path("private/keys"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(tmp_path("private"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
}

static void test_mkdirs_through_a_file(void **state)
{
	struct err e;
	(void)state;
	write_file(tmp_path("plain"), "x", 1);
	err_clear(&e);
	assert_int_equal(fs_mkdirs(tmp_path("plain/sub/dir"), 0700, &e), ERR_IO);
	assert_int_equal(e.code, ERR_IO);
	/* The message names the path that failed. */
	assert_non_null(strstr(e.msg, "plain"));
	assert_false(fs_exists(tmp_path("plain/sub")));
}

static void test_mkdirs_on_a_file(void **state)
{
	struct err e;
	(void)state;
	/* "Existing is fine" is about folders: a file of that name is not a folder. */
	write_file(tmp_path("notadir"), "x", 1);
	err_clear(&e);
	assert_true(fs_mkdirs(tmp_path("notadir"), 0700, &e) < 0);
	assert_int_equal(e.code, ERR_IO);
}

static void test_mkdirs_invalid(void **state)
{
	struct err e;
	char *longp = malloc(5000);
	(void)state;
	err_clear(&e);
	assert_int_equal(fs_mkdirs("", 0700, &e), ERR_INVALID);
	assert_non_null(longp);
	memset(longp, 'a', 4999);
	longp[4999] = '\0';
	assert_int_equal(fs_mkdirs(longp, 0700, &e), ERR_INVALID);
	free(longp);
}

static void test_read_file(void **state)
{
	static const char data[] = "line one\nインシデント\n\0binary\xff";
	struct buf b = BUF_INIT;
	struct err e;
	(void)state;
	write_file(tmp_path("r.txt"), data, sizeof(data) - 1);
	err_clear(&e);
	assert_int_equal(fs_read_file(tmp_path("r.txt"), &b, &e), 0);
	assert_int_equal(b.len, sizeof(data) - 1);
	assert_memory_equal(b.data, data, sizeof(data) - 1);
	assert_int_equal(b.data[b.len], '\0');
	/* It appends. */
	assert_int_equal(fs_read_file(tmp_path("r.txt"), &b, &e), 0);
	assert_int_equal(b.len, 2 * (sizeof(data) - 1));
	assert_memory_equal(b.data + sizeof(data) - 1, data, sizeof(data) - 1);
	buf_release(&b);
}

static void test_read_empty_and_large(void **state)
{
	struct buf b = BUF_INIT;
	size_t n = 200000; /* more than one read() chunk */
	char *big = malloc(n);
	(void)state;
	write_file(tmp_path("empty"), "", 0);
	assert_int_equal(fs_read_file(tmp_path("empty"), &b, NULL), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");

	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	write_file(tmp_path("big"), big, n);
	assert_int_equal(fs_read_file(tmp_path("big"), &b, NULL), 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, big, n);
	free(big);
	buf_release(&b);
}

static void test_read_missing(void **state)
{
	struct buf b = BUF_INIT;
	struct err e;
	(void)state;
	err_clear(&e);
	assert_int_equal(fs_read_file(tmp_path("no/such/file"), &b, &e), ERR_NOTFOUND);
	assert_int_equal(e.code, ERR_NOTFOUND);
	assert_non_null(strstr(e.msg, "no/such/file"));
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void test_read_a_folder(void **state)
{
	struct buf b = BUF_INIT;
	struct err e;
	(void)state;
	assert_int_equal(fs_mkdirs(tmp_path("dir"), 0700, NULL), 0);
	err_clear(&e);
	assert_int_equal(fs_read_file(tmp_path("dir"), &b, &e), ERR_IO);
	buf_release(&b);
}

static void test_read_size_cap(void **state)
{
	struct buf b;
	struct err e;
	(void)state;
	write_file(tmp_path("ten"), "0123456789", 10);
	/* A cap that fits reads the file. */
	buf_init(&b, 11);
	assert_int_equal(fs_read_file(tmp_path("ten"), &b, NULL), 0);
	assert_string_equal(b.data, "0123456789");
	buf_release(&b);
	/* One that does not is ERR_TOOLONG. */
	buf_init(&b, 5);
	err_clear(&e);
	assert_int_equal(fs_read_file(tmp_path("ten"), &b, &e), ERR_TOOLONG);
	assert_int_equal(e.code, ERR_TOOLONG);
	assert_non_null(strstr(e.msg, "too large"));
	buf_release(&b);
}

static void test_exists(void **state)
{
	char target[1024];
	(void)state;
	write_file(tmp_path("there"), "", 0);
	assert_true(fs_exists(tmp_path("there")));
	assert_true(fs_exists(unit_tmpdir()));
	assert_false(fs_exists(tmp_path("not-there")));
	assert_false(fs_exists(tmp_path("there/below")));
	/* A dangling symlink points at nothing. */
	snprintf(target, sizeof(target), "%s", tmp_path("nowhere"));
	assert_int_equal(symlink(target, tmp_path("dangling")), 0);
	assert_false(fs_exists(tmp_path("dangling")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mkdirs_nested),
		cmocka_unit_test(test_mkdirs_mode),
		cmocka_unit_test(test_mkdirs_through_a_file),
		cmocka_unit_test(test_mkdirs_on_a_file),
		cmocka_unit_test(test_mkdirs_invalid),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_empty_and_large),
		cmocka_unit_test(test_read_missing),
		cmocka_unit_test(test_read_a_folder),
		cmocka_unit_test(test_read_size_cap),
		cmocka_unit_test(test_exists),
	};
	int rc = cmocka_run_group_tests_name("fs", tests, NULL, NULL);
	unit_rmtmp();
	return rc;
}
