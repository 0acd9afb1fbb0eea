/*
 * test_store.c: the store interface on the backend under test (SQLite, or
 * PostgreSQL in tests/run.sh's second pass): opening, migrations and the
 * version guard, transactions and savepoints, the statement cache, error
 * mapping, text search, transaction memos and inserted ids.
 */
#include "unit.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"


static char path[512];

static void fresh_path(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
	unlink(path);
}

static char url_new[600];

/* A fresh store of the backend under test; its URL stays in url_new. */
static struct store *open_new(const char *name)
{
	struct store *st = NULL;
	struct err e;

	unit_db_url(name, url_new, sizeof(url_new));
	assert_int_equal(store_open(url_new, STORE_CREATE, &st, &e), 0);
	return st;
}

static int64_t count(struct store *st, const char *sql)
{
	struct stmt *s;
	int64_t n = -1;
	assert_int_equal(store_prepare(st, sql, &s, NULL), 0);
	if (stmt_step(s, NULL) == 1)
		n = stmt_int(s, 0);
	stmt_done(s);
	return n;
}

static void test_open_missing_needs_init(void **state)
{
	struct store *st = NULL;
	struct err e;
	char url[600];
	(void)state;
	if (unit_db_pg()) {
		/* A database without irdesk's tables is one init has not set up. */
		unit_db_url("missing", url, sizeof(url));
		assert_int_equal(store_open(url, 0, &st, &e), ERR_NOTFOUND);
		assert_null(st);
		assert_non_null(strstr(e.msg, "irdesk init"));
		return;
	}
	fresh_path("missing.db");
	snprintf(url, sizeof(url), "sqlite:%s", path);
	assert_int_equal(store_open(url, 0, &st, &e), ERR_NOTFOUND);
	assert_null(st);
	assert_non_null(strstr(e.msg, "irdesk init"));
	assert_int_equal(access(path, F_OK), -1); /* nothing created */
}

static void test_bad_urls(void **state)
{
	struct store *st = NULL;
	struct err e;
	(void)state;
	assert_int_equal(store_open("mysql:foo", 0, &st, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "unknown database scheme"));
	assert_int_equal(store_open("sqlite:", 0, &st, &e), ERR_INVALID);
	/* A server that does not answer: busy (HTTP 503), not a crash or a hang. */
	assert_int_equal(store_open("postgres://irdesk@127.0.0.1:1/x?connect_timeout=2", 0, &st, &e),
			 ERR_BUSY);
	assert_non_null(strstr(e.msg, "unavailable"));
	assert_null(st);
}

static void test_migrations_recorded_and_idempotent(void **state)
{
	struct store *st = open_new("mig.db");
	char url[600];
	int latest;
	(void)state;
	latest = store_schema_latest(st);
	assert_true(latest >= 1);
	assert_int_equal(st->schema_version, latest);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM schema_migrations"), latest);
	store_close(st);
	/* Reopening (a bare path is sqlite) applies nothing twice. */
	snprintf(url, sizeof(url), "%s", unit_db_pg() ? url_new : url_new + 7);
	assert_int_equal(store_open(url, 0, &st, NULL), 0);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM schema_migrations"), latest);
	store_close(st);
}

static void test_newer_schema_refused(void **state)
{
	struct store *st = open_new("newer.db");
	struct err e;
	char url[600];
	(void)state;
	/* A newer irdesk migrated this database further. */
	assert_int_equal(store_exec(st, "INSERT INTO schema_migrations VALUES (999, 'future', 0)",
				    NULL), 0);
	store_close(st);
	snprintf(url, sizeof(url), "%s", url_new);
	assert_int_equal(store_open(url, 0, &st, &e), ERR_VERSION);
	assert_non_null(strstr(e.msg, "newer"));
	assert_null(st);
}

static void test_not_a_database(void **state)
{
	struct store *st = NULL;
	struct err e;
	char url[600];
	FILE *f;
	(void)state;
	if (unit_db_pg())
		return; /* a file that is not a database is SQLite's concern */
	fresh_path("junk.db");
	f = fopen(path, "w");
	fputs("this is not a database, just some text that is long enough to matter\n", f);
	fclose(f);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	assert_true(store_open(url, 0, &st, &e) < 0);
	assert_null(st);
}

static void test_transactions_and_savepoints(void **state)
{
	struct store *st = open_new("tx.db");
	struct stmt *s;
	(void)state;
	assert_int_equal(store_begin(st, NULL), 0);
	assert_int_equal(store_exec(st, "INSERT INTO meta VALUES ('a', '1')", NULL), 0);
	/* An inner unit that fails rolls back alone. */
	assert_int_equal(store_begin(st, NULL), 0);
	assert_int_equal(store_exec(st, "INSERT INTO meta VALUES ('b', '2')", NULL), 0);
	store_rollback(st);
	assert_int_equal(st->in_tx, 1);
	/* An inner unit that succeeds is kept. */
	assert_int_equal(store_begin(st, NULL), 0);
	assert_int_equal(store_exec(st, "INSERT INTO meta VALUES ('c', '3')", NULL), 0);
	assert_int_equal(store_commit(st, NULL), 0);
	assert_int_equal(store_commit(st, NULL), 0);
	assert_int_equal(st->in_tx, 0);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM meta WHERE key IN ('a','b','c')"), 2);

	/* Rolling back the outer transaction drops everything in it. */
	assert_int_equal(store_begin(st, NULL), 0);
	assert_int_equal(store_exec(st, "INSERT INTO meta VALUES ('d', '4')", NULL), 0);
	store_rollback(st);
	assert_int_equal(count(st, "SELECT COUNT(*) FROM meta WHERE key = 'd'"), 0);
	assert_int_equal(store_commit(st, NULL), ERR_INTERNAL);

	/* A unique violation maps to ERR_EXISTS. */
	assert_int_equal(store_prepare(st, "INSERT INTO meta (key, value) VALUES (?, ?)", &s, NULL), 0);
	stmt_bind_text(s, 1, "a");
	stmt_bind_text(s, 2, "again");
	assert_int_equal(stmt_exec(s, NULL), ERR_EXISTS);
	store_close(st);
}

static void test_statement_cache_nesting(void **state)
{
	struct store *st = open_new("cache.db");
	static const char q[] = "SELECT value FROM meta WHERE key = ?";
	struct stmt *a, *b;
	(void)state;
	assert_int_equal(store_exec(st, "INSERT INTO meta VALUES ('x', 'one'), ('y', 'two')", NULL), 0);
	/* The same SQL prepared while in use must give an independent statement. */
	assert_int_equal(store_prepare(st, q, &a, NULL), 0);
	stmt_bind_text(a, 1, "x");
	assert_int_equal(stmt_step(a, NULL), 1);
	assert_int_equal(store_prepare(st, q, &b, NULL), 0);
	assert_ptr_not_equal(a, b);
	stmt_bind_text(b, 1, "y");
	assert_int_equal(stmt_step(b, NULL), 1);
	assert_string_equal(stmt_text(a, 0), "one");
	assert_string_equal(stmt_text(b, 0), "two");
	stmt_done(b);
	stmt_done(a);
	/* Given back, it is reused with its parameters cleared. */
	assert_int_equal(store_prepare(st, q, &b, NULL), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(stmt_step(b, NULL), 0); /* key = NULL matches nothing */
	stmt_done(b);
	/* Many distinct statements overflow the cache without leaking. */
	for (int i = 0; i < 300; i++) {
		char sql[64];
		struct stmt *s;
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		assert_int_equal(store_prepare(st, sql, &s, NULL), 0);
		assert_int_equal(stmt_step(s, NULL), 1);
		assert_int_equal(stmt_int(s, 0), i);
		stmt_done(s);
	}
	store_close(st);
}

static void test_null_columns(void **state)
{
	struct store *st = open_new("null.db");
	struct stmt *s;
	(void)state;
	assert_int_equal(store_prepare(st, "SELECT NULL, 5", &s, NULL), 0);
	assert_int_equal(stmt_step(s, NULL), 1);
	assert_true(stmt_is_null(s, 0));
	assert_string_equal(stmt_text(s, 0), "");
	assert_null(stmt_strdup(s, 0));
	assert_int_equal(stmt_int(s, 1), 5);
	stmt_done(s);
	store_close(st);
}

static void test_text_match_escapes(void **state)
{
	struct store *st = open_new("fts.db");
	struct buf sql = BUF_INIT, bind = BUF_INIT;
	int n = 0;
	(void)state;
	if (unit_db_pg()) {
		/* One ILIKE over the indexed expression, wildcards escaped. */
		assert_int_equal(store_text_match(st, &sql, "incidents", "i", 1, "%_\\", &bind, &n), 0);
		assert_string_equal(bind.data, "%\\%\\_\\\\%");
		assert_int_equal(n, 1);
		assert_non_null(strstr(sql.data, "ILIKE ?"));
		assert_int_equal(store_text_match(st, &sql, "alerts", "a", 0, "x", &bind, &n),
				 ERR_INVALID);
		goto out;
	}
	/* Three characters or more: a quoted phrase for the trigram index. */
	assert_int_equal(store_text_match(st, &sql, "incidents", "i", 0, "a\"bc", &bind, &n), 0);
	assert_string_equal(bind.data, "\"a\"\"bc\"");
	assert_int_equal(n, 1);
	assert_non_null(strstr(sql.data, "i.id IN"));
	assert_null(strstr(sql.data, "+i.id"));
	buf_reset(&sql);
	assert_int_equal(store_text_match(st, &sql, "incidents", "i", 1, "abc", &bind, &n), 0);
	assert_non_null(strstr(sql.data, "+i.id IN"));
	/* Shorter: LIKE with its wildcards escaped, bound once per column. */
	buf_reset(&sql);
	assert_int_equal(store_text_match(st, &sql, "incidents", "i", 1, "%_", &bind, &n), 0);
	assert_string_equal(bind.data, "%\\%\\_%");
	assert_int_equal(n, 3);
	assert_int_equal(store_text_match(st, &sql, "alerts", "a", 0, "x", &bind, &n), ERR_INVALID);
out:
	buf_release(&sql);
	buf_release(&bind);
	store_close(st);
}

/* Rows found by store_text_match(term), walk or not; -1 on error. */
static int text_hits(struct store *st, const char *term, int walk)
{
	struct buf sql = BUF_INIT, bind = BUF_INIT;
	struct stmt *s;
	int n = 0, hits = 0;

	buf_adds(&sql, "SELECT COUNT(*) FROM incidents i WHERE ");
	if (store_text_match(st, &sql, "incidents", "i", walk, term, &bind, &n) ||
	    store_prepare(st, sql.data, &s, NULL)) {
		hits = -1;
		goto out;
	}
	for (int i = 1; i <= n; i++)
		stmt_bind_text(s, i, bind.data);
	if (stmt_step(s, NULL) == 1)
		hits = (int)stmt_int(s, 0);
	stmt_done(s);
out:
	buf_release(&sql);
	buf_release(&bind);
	return hits;
}

/* The same answers on every backend: substrings, any case, Japanese, wildcards. */
static void test_text_match_finds(void **state)
{
	static const char *const titles[] = {
		"Phishing wave at HQ", "100% of disks encrypted", "a_b marker", "社内ネットワークへの不正侵入",
		"VPN 認証情報の漏えい", "back\\slash",
	};
	struct store *st = open_new("textfind");
	struct stmt *s;
	(void)state;
	assert_int_equal(store_begin(st, NULL), 0);
	for (int i = 0; i < (int)(sizeof(titles) / sizeof(titles[0])); i++) {
		char hid[32];
		snprintf(hid, sizeof(hid), "IR-2026-%04d", i + 1);
		assert_int_equal(store_prepare(st, "INSERT INTO incidents (year, number, hid, title, "
					       "summary, tlp, pap, created_at, updated_at, created_by) "
					       "VALUES (2026, ?, ?, ?, '', 'amber', 'amber', 1, 1, 't')",
					       &s, NULL), 0);
		stmt_bind_int(s, 1, i + 1);
		stmt_bind_text(s, 2, hid);
		stmt_bind_text(s, 3, titles[i]);
		assert_int_equal(stmt_exec(s, NULL), 0);
	}
	assert_int_equal(store_commit(st, NULL), 0);
	for (int walk = 0; walk <= 1; walk++) {
		assert_int_equal(text_hits(st, "phish", walk), 1);
		assert_int_equal(text_hits(st, "PHISHING", walk), 1);
		assert_int_equal(text_hits(st, "100%", walk), 1);
		assert_int_equal(text_hits(st, "%", walk), 1);
		assert_int_equal(text_hits(st, "_", walk), 1);
		assert_int_equal(text_hits(st, "a_b", walk), 1);
		assert_int_equal(text_hits(st, "不正侵入", walk), 1);
		assert_int_equal(text_hits(st, "漏え", walk), 1);
		assert_int_equal(text_hits(st, "情報", walk), 1);
		assert_int_equal(text_hits(st, "ir-2026-000", walk), 6);
		assert_int_equal(text_hits(st, "nothing like it", walk), 0);
	}
	store_close(st);
}

/* Memos live as long as the write transaction whose rows they describe. */
static void test_memos(void **state)
{
	struct store *st = open_new("memo.db");
	char big[STORE_MEMO_TEXT + 1];
	(void)state;
	/* Outside a write transaction nothing is kept. */
	assert_int_equal(store_memo_set(st, "k", 1, "one"), ERR_INVALID);
	assert_null(store_memo_get(st, "k"));
	assert_int_equal(store_read_begin(st, NULL), 0);
	assert_int_equal(store_memo_set(st, "k", 1, "one"), ERR_INVALID);
	store_read_end(st);

	assert_int_equal(store_begin(st, NULL), 0);
	assert_int_equal(store_memo_set(st, "k", 1, "one"), 0);
	assert_int_equal(store_memo_set(st, "n", 7, NULL), 0);
	assert_int_equal(store_memo_get(st, "k")->num, 1);
	assert_string_equal(store_memo_get(st, "k")->text, "one");
	assert_string_equal(store_memo_get(st, "n")->text, "");
	assert_null(store_memo_get(st, "other"));
	/* Replacing keeps one slot per key; too long or too many is refused. */
	assert_int_equal(store_memo_set(st, "k", 2, "two"), 0);
	assert_int_equal(store_memo_get(st, "k")->num, 2);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(store_memo_set(st, "big", 1, big), ERR_INVALID);
	assert_null(store_memo_get(st, "big"));
	assert_int_equal(store_memo_set(st, "c", 3, NULL), 0);
	assert_int_equal(store_memo_set(st, "d", 4, NULL), 0);
	assert_int_equal(store_memo_set(st, "e", 5, NULL), ERR_INVALID);
	store_memo_forget(st, "d");
	assert_null(store_memo_get(st, "d"));
	assert_int_equal(store_memo_set(st, "e", 5, NULL), 0);

	/* A released savepoint keeps what was set in it ... */
	assert_int_equal(store_begin(st, NULL), 0);
	assert_int_equal(store_memo_set(st, "k", 3, "three"), 0);
	assert_int_equal(store_commit(st, NULL), 0);
	assert_int_equal(store_memo_get(st, "k")->num, 3);
	/* ... a rolled back one forgets every memo: its rows are gone. */
	assert_int_equal(store_begin(st, NULL), 0);
	store_rollback(st);
	assert_int_equal(st->in_tx, 1);
	assert_null(store_memo_get(st, "k"));
	assert_null(store_memo_get(st, "n"));
	/* The outermost commit forgets them too. */
	assert_int_equal(store_memo_set(st, "k", 4, NULL), 0);
	assert_int_equal(store_commit(st, NULL), 0);
	assert_null(store_memo_get(st, "k"));
	assert_int_equal(store_begin(st, NULL), 0);
	assert_null(store_memo_get(st, "k"));
	store_rollback(st);
	store_close(st);
}

/* The id of an inserted row, the backend's own way, with a trigger writing elsewhere. */
static void test_insert_id(void **state)
{
	struct store *st = open_new("ids.db");
	struct stmt *s;
	int64_t id = 0;
	(void)state;
	if (unit_db_pg())
		assert_int_equal(store_exec(st, "CREATE TABLE ids (id BIGINT GENERATED BY DEFAULT AS "
					    "IDENTITY PRIMARY KEY, v TEXT NOT NULL)", NULL), 0);
	else
		assert_int_equal(store_exec(st, "CREATE TABLE ids (id INTEGER PRIMARY KEY, v TEXT NOT NULL);"
					    "CREATE TABLE ids_log (id INTEGER PRIMARY KEY, v TEXT);"
					    "INSERT INTO ids_log (id, v) VALUES (500, 'start');"
					    "CREATE TRIGGER ids_ins AFTER INSERT ON ids BEGIN "
					    "INSERT INTO ids_log (v) VALUES (new.v); END", NULL), 0);
	assert_int_equal(store_exec(st, "INSERT INTO ids (id, v) VALUES (41, 'before')", NULL), 0);
	assert_int_equal(store_begin(st, NULL), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_prepare_insert(st, "INSERT INTO ids (v) VALUES (?)", &s, NULL), 0);
		stmt_bind_text(s, 1, i == 2 ? "third" : "other");
		assert_int_equal(stmt_insert_id(s, &id, NULL), 0);
	}
	assert_int_equal(store_commit(st, NULL), 0);
	assert_int_equal(id, count(st, "SELECT id FROM ids WHERE v = 'third'"));
	/* A failed insert reports its error and no id. */
	id = -1;
	assert_int_equal(store_prepare_insert(st, "INSERT INTO ids (id, v) VALUES (41, ?)", &s, NULL), 0);
	stmt_bind_text(s, 1, "again");
	assert_int_equal(stmt_insert_id(s, &id, NULL), ERR_EXISTS);
	assert_int_equal(id, -1);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_missing_needs_init),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_migrations_recorded_and_idempotent),
		cmocka_unit_test(test_newer_schema_refused),
		cmocka_unit_test(test_not_a_database),
		cmocka_unit_test(test_transactions_and_savepoints),
		cmocka_unit_test(test_statement_cache_nesting),
		cmocka_unit_test(test_null_columns),
		cmocka_unit_test(test_text_match_escapes),
		cmocka_unit_test(test_text_match_finds),
		cmocka_unit_test(test_memos),
		cmocka_unit_test(test_insert_id),
	};
	int rc = cmocka_run_group_tests_name("store", tests, NULL, NULL);
	unit_rmtmp();
	return rc;
}
