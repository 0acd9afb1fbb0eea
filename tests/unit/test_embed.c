/*
 * test_embed.c: the data files compiled into the binary are the ones in
 * data/, byte for byte, and the table is well formed.
 */
#include "unit.h"
#include "util/buf.h"
#include "util/embed.h"
#include "util/err.h"
#include "util/fs.h"

/* The repository top: $IRDESK_TOP (tests/run.sh sets it) or ".". */
static const char *top(void)
{
	const char *t = getenv("IRDESK_TOP");
	return t && *t ? t : ".";
}

static void test_find_init_sql_matches_disk(void **state)
{
	const struct embed_file *f;
	struct buf disk = BUF_INIT;
	struct err e;
	char p[1024];
	(void)state;
	f = embed_find("sql/sqlite/0001_init.sql");
	assert_non_null(f);
	assert_string_equal(f->name, "sql/sqlite/0001_init.sql");
	snprintf(p, sizeof(p), "%s/data/sql/sqlite/0001_init.sql", top());
	err_clear(&e);
	if (fs_read_file(p, &disk, &e))
		fail_msg("%s", e.msg);
	assert_true(disk.len > 0);
	assert_int_equal(f->len, disk.len);
	assert_memory_equal(f->data, disk.data, disk.len);
	assert_int_equal(f->data[f->len], '\0');
	/* It is SQL that makes the tables. */
	assert_non_null(strstr(f->data, "CREATE TABLE"));
	buf_release(&disk);
}

static void test_every_entry_matches_disk(void **state)
{
	int n = 0;
	(void)state;
	for (const struct embed_file *f = embed_files; f->name; f++, n++) {
		struct buf disk = BUF_INIT;
		char p[1024];
		snprintf(p, sizeof(p), "%s/data/%s", top(), f->name);
		if (fs_read_file(p, &disk, NULL))
			fail_msg("embedded %s has no file %s", f->name, p);
		if (disk.len != f->len || memcmp(disk.data, f->data, f->len) != 0)
			fail_msg("embedded %s differs from %s", f->name, p);
		buf_release(&disk);
	}
	assert_true(n >= 1);
}

static void test_unknown_names(void **state)
{
	(void)state;
	assert_null(embed_find("sql/sqlite/9999_nope.sql"));
	assert_null(embed_find(""));
	assert_null(embed_find("data/sql/sqlite/0001_init.sql")); /* names are relative to data/ */
	assert_null(embed_find("sql/sqlite/0001_init.sql/"));
	assert_null(embed_find("SQL/SQLITE/0001_INIT.SQL"));
	assert_null(embed_find("sql/sqlite/0001_init"));
}

static void test_table_well_formed(void **state)
{
	const struct embed_file *f;
	int n = 0;
	(void)state;
	for (f = embed_files; f->name; f++, n++) {
		assert_true(f->name[0] != '\0');
		assert_true(f->name[0] != '/');
		assert_non_null(f->data);
		assert_int_equal(f->data[f->len], '\0');
		/* Every entry is found by its own name, and names are unique. */
		assert_ptr_equal(embed_find(f->name), f);
	}
	assert_true(n >= 1);
	/* The terminator. */
	assert_null(f->name);
	assert_null(f->data);
	assert_int_equal(f->len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_init_sql_matches_disk),
		cmocka_unit_test(test_every_entry_matches_disk),
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_table_well_formed),
	};
	return cmocka_run_group_tests_name("embed", tests, NULL, NULL);
}
