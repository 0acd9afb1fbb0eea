/*
 * test_audit.c: unit tests for ir/audit: rows appended in transactions form
 * an intact chain, and every way of tampering with the SQLite file through
 * a second connection (edits, deletions, swaps, cut-off ends with a lowered
 * head, recomputed hashes, forged rows) is caught at the right row.
 */
#include "unit.h"


#include "ir/actor.h"
#include "ir/audit.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#include <sodium.h>

#define ROWS 12
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* A fresh store of the backend under test: its URL into out ("path"). */
static void db_path(const char *name, char *out, size_t n)
{
	unit_db_url(name, out, n);
}

static struct store *open_store(const char *path)
{
	char url[600];
	struct store *st = NULL;
	struct err e;
	int rc;

	err_clear(&e);
	snprintf(url, sizeof(url), "%s", path);
	rc = store_open(url, STORE_CREATE, &st, &e);
	if (rc)
		print_error("store_open(%s): %s\n", url, err_msg(&e));
	assert_int_equal(rc, 0);
	return st;
}

static void actor_named(struct actor *a, const char *name, int64_t now)
{
	memset(a, 0, sizeof(*a));
	a->role = ROLE_ADMIN;
	a->now = now;
	snprintf(a->name, sizeof(a->name), "%s", name);
}

static void append_ok(struct store *st, const struct actor *a, const char *action,
		      const char *type, const char *id, json_t *before, json_t *after)
{
	struct err e;
	int rc;

	err_clear(&e);
	rc = audit_append(st, a, action, type, id, before, after, &e);
	if (rc)
		print_error("audit_append: %s\n", err_msg(&e));
	assert_int_equal(rc, 0);
	json_decref(before);
	json_decref(after);
}

/*
 * Append n rows of varied shape: creations (no before), moves (both sides),
 * user changes (no after), by three actors; rows 3 and 4 share a
 * transaction, the others have one each.
 */
static void fill(struct store *st, int from, int n)
{
	static const char *const names[] = { "alice", "bob", "system" };
	struct actor a;
	int i = from;

	while (i < from + n) {
		int batch = i == 3 && from + n > 4 ? 2 : 1;

		assert_int_equal(store_begin(st, NULL), 0);
		for (int k = 0; k < batch; k++, i++) {
			char id[32];

			actor_named(&a, names[i % 3], INT64_C(1795653000) + i);
			snprintf(id, sizeof(id), "IR-2026-%04d", i % 4);
			if (i % 3 == 1)
				append_ok(st, &a, "incident.create", "incident", id, NULL,
					  json_pack("{s:s, s:s}", "title", "漏えい", "state", "new"));
			else if (i % 3 == 2)
				append_ok(st, &a, "incident.move", "incident", id,
					  json_pack("{s:s}", "state", "new"),
					  json_pack("{s:s}", "state", "triage"));
			else
				append_ok(st, &a, "user.disable", "user", "carol",
					  json_pack("{s:b}", "disabled", 0), NULL);
		}
		assert_int_equal(store_commit(st, NULL), 0);
	}
}

/* A fresh database called name holding n rows; its path into path. */
static void make_log(const char *name, int n, char *path, size_t size)
{
	struct store *st;

	db_path(name, path, size);
	st = open_store(path);
	fill(st, 1, n);
	store_close(st);
}

/* Run SQL on the database through a second connection, as an attacker would. */
static void tamper(const char *path, const char *sql)
{
	struct store *st = NULL;
	struct err e;
	int rc;

	assert_int_equal(store_open(path, 0, &st, NULL), 0);
	rc = store_exec(st, sql, &e);
	if (rc)
		print_error("tamper: %s: %s\n", sql, err_msg(&e));
	store_close(st);
	assert_int_equal(rc, 0);
}

/* One text value through a second connection (caller frees). */
static char *peek(const char *path, const char *sql)
{
	struct store *st = NULL;
	struct stmt *s;
	char *out = NULL;

	assert_int_equal(store_open(path, 0, &st, NULL), 0);
	assert_int_equal(store_prepare(st, sql, &s, NULL), 0);
	if (stmt_step(s, NULL) == 1)
		out = stmt_strdup(s, 0);
	stmt_done(s);
	store_close(st);
	return out;
}

static int verify_file(const char *path, const struct audit_anchor *anchor,
		       struct audit_report *rep, struct err *e)
{
	struct store *st = open_store(path);
	struct actor a;
	int rc;

	actor_system(&a, NULL);
	err_clear(e);
	rc = audit_verify(st, &a, anchor, rep, e);
	store_close(st);
	return rc;
}

static void expect_intact(const char *path, const struct audit_anchor *anchor, int64_t rows)
{
	struct audit_report rep;
	struct err e;
	int rc = verify_file(path, anchor, &rep, &e);

	if (rc)
		print_error("verify: %s\n", err_msg(&e));
	assert_int_equal(rc, 0);
	assert_int_equal(rep.rows, rows);
	assert_int_equal(rep.head_seq, rows);
	assert_int_equal(rep.bad_seq, 0);
}

/* Verification fails with ERR_TAMPERED at row bad, and says what. */
static void expect_broken(const char *path, const struct audit_anchor *anchor, int64_t bad,
			  const char *problem_has)
{
	struct audit_report rep;
	struct err e;
	char prefix[64];
	int rc = verify_file(path, anchor, &rep, &e);

	if (rc != ERR_TAMPERED || rep.bad_seq != bad || !strstr(rep.problem, problem_has))
		print_error("want row %lld (%s), got rc %d bad_seq %lld: %s\n", (long long)bad,
			    problem_has, rc, (long long)rep.bad_seq, err_msg(&e));
	assert_int_equal(rc, ERR_TAMPERED);
	assert_int_equal(rep.bad_seq, bad);
	assert_non_null(strstr(rep.problem, problem_has));
	assert_int_equal(e.code, ERR_TAMPERED);
	snprintf(prefix, sizeof(prefix), "audit log broken at row %lld: ", (long long)bad);
	assert_int_equal(strncmp(e.msg, prefix, strlen(prefix)), 0);
	assert_null(strchr(e.msg, '\n'));
}

/* The anchor of the file's current head. */
static void take_anchor(const char *path, struct audit_anchor *an)
{
	struct store *st = open_store(path);

	assert_int_equal(audit_head(st, &an->seq, an->hash, NULL), 0);
	store_close(st);
}

/* Recompute row seq's hash as an attacker who knows the algorithm would. */
static void rehash_row(const char *path, int seq)
{
	char sql[512], hash[AUDIT_HASH_HEX];
	struct store *st = NULL;
	struct stmt *s;

	assert_int_equal(store_open(path, 0, &st, NULL), 0);
	assert_int_equal(store_prepare(st, "SELECT prev_hash, at, actor, action, object_type, "
				       "object_id, before, after FROM audit_log WHERE seq = ?", &s,
				       NULL), 0);
	stmt_bind_int(s, 1, seq);
	assert_int_equal(stmt_step(s, NULL), 1);
	assert_int_equal(audit_row_hash(stmt_text(s, 0), seq, stmt_int(s, 1), stmt_text(s, 2),
					stmt_text(s, 3), stmt_text(s, 4), stmt_text(s, 5),
					stmt_is_null(s, 6) ? NULL : stmt_text(s, 6),
					stmt_is_null(s, 7) ? NULL : stmt_text(s, 7), hash), 0);
	stmt_done(s);
	store_close(st);
	snprintf(sql, sizeof(sql), "UPDATE audit_log SET hash = '%s' WHERE seq = %d", hash, seq);
	tamper(path, sql);
}

/* Intact logs */

static void test_empty_log(void **state)
{
	char path[512], hash[AUDIT_HASH_HEX];
	struct audit_anchor zero = { 0, ZERO_HASH };
	struct store *st;
	int64_t seq = -1;

	(void)state;
	make_log("empty", 0, path, sizeof(path));
	st = open_store(path);
	assert_int_equal(audit_head(st, &seq, hash, NULL), 0);
	assert_int_equal(seq, 0);
	assert_string_equal(hash, ZERO_HASH);
	store_close(st);
	expect_intact(path, NULL, 0);
	expect_intact(path, &zero, 0);
}

static void test_intact_chain(void **state)
{
	char path[512], *h5;
	struct audit_anchor an;
	struct audit_report rep;
	struct err e;

	(void)state;
	make_log("intact", ROWS, path, sizeof(path));
	take_anchor(path, &an);
	assert_int_equal(an.seq, ROWS);
	assert_int_equal(verify_file(path, NULL, &rep, &e), 0);
	assert_int_equal(rep.rows, ROWS);
	assert_string_equal(rep.head_hash, an.hash);
	expect_intact(path, &an, ROWS);

	/* An older anchor still holds; one with another hash does not. */
	h5 = peek(path, "SELECT hash FROM audit_log WHERE seq = 5");
	assert_non_null(h5);
	an.seq = 5;
	snprintf(an.hash, sizeof(an.hash), "%s", h5);
	free(h5);
	expect_intact(path, &an, ROWS);
	an.hash[0] = an.hash[0] == 'a' ? 'b' : 'a';
	expect_broken(path, &an, 5, "anchor 5:");
	/* An anchor beyond the end: the log was cut. */
	take_anchor(path, &an);
	an.seq = ROWS + 3;
	expect_broken(path, &an, ROWS + 1, "not found: the log was cut or rewritten");

	/* More appends on a second opening continue the same chain. */
	{
		struct store *st = open_store(path);
		fill(st, ROWS + 1, 3);
		store_close(st);
	}
	expect_intact(path, NULL, ROWS + 3);
}

static void test_append_needs_transaction(void **state)
{
	char path[512], hash[AUDIT_HASH_HEX];
	struct store *st;
	struct actor a;
	struct err e;
	int64_t seq = -1;

	(void)state;
	db_path("notx", path, sizeof(path));
	st = open_store(path);
	actor_named(&a, "alice", 1795653000);
	err_clear(&e);
	assert_int_equal(audit_append(st, &a, "incident.create", "incident", "IR-2026-0001",
				      NULL, NULL, &e), ERR_INTERNAL);
	assert_non_null(strstr(e.msg, "transaction"));

	/* A rolled-back append leaves no trace either. */
	assert_int_equal(store_begin(st, NULL), 0);
	assert_int_equal(audit_append(st, &a, "incident.create", "incident", "IR-2026-0001",
				      NULL, NULL, NULL), 0);
	store_rollback(st);
	assert_int_equal(audit_head(st, &seq, hash, NULL), 0);
	assert_int_equal(seq, 0);
	assert_string_equal(hash, ZERO_HASH);
	store_close(st);
	expect_intact(path, NULL, 0);
}

static void test_stored_form(void **state)
{
	char path[512], *t;
	struct store *st;
	struct actor a;

	(void)state;
	db_path("form", path, sizeof(path));
	st = open_store(path);
	actor_named(&a, "alice", 1795653000);
	assert_int_equal(store_begin(st, NULL), 0);
	append_ok(st, &a, "incident.edit", "incident", "IR-2026-0001", NULL,
		  json_pack("{s:i, s:s}", "b", 1, "a", "x"));
	append_ok(st, &a, "incident.edit", "incident", "IR-2026-0001",
		  json_pack("{s:s}", "a", ""), json_pack("{}"));
	assert_int_equal(store_commit(st, NULL), 0);
	store_close(st);

	t = peek(path, "SELECT after FROM audit_log WHERE seq = 1");
	assert_string_equal(t, "{\"a\":\"x\",\"b\":1}");
	free(t);
	assert_null(peek(path, "SELECT before FROM audit_log WHERE seq = 1"));
	t = peek(path, "SELECT at || ' ' || actor || ' ' || prev_hash FROM audit_log WHERE seq = 1");
	assert_string_equal(t, "1795653000 alice " ZERO_HASH);
	free(t);
	t = peek(path, "SELECT CASE WHEN (SELECT hash FROM audit_log WHERE seq = 1) = prev_hash "
		       "THEN 1 ELSE 0 END FROM audit_log WHERE seq = 2");
	assert_string_equal(t, "1");
	free(t);
	t = peek(path, "SELECT CASE WHEN (SELECT hash FROM audit_log WHERE seq = 2) = hash "
		       "THEN 1 ELSE 0 END FROM audit_head");
	assert_string_equal(t, "1");
	free(t);
	expect_intact(path, NULL, 2);
}

/* The serialisation is pinned: a change to it breaks every existing log. */
static void test_row_hash(void **state)
{
	char a[AUDIT_HASH_HEX], b[AUDIT_HASH_HEX];

	(void)state;
	/* sha256("irdesk-audit-v1\n" "64:000…\n" "1:1\n" "10:1795653000\n" "5:alice\n"
	 * "15:incident.create\n" "8:incident\n" "12:IR-2026-0001\n" "-\n" "22:{…}\n") */
	assert_int_equal(audit_row_hash(ZERO_HASH, 1, 1795653000, "alice", "incident.create",
					"incident", "IR-2026-0001", NULL,
					"{\"title\":\"漏えい\"}", a), 0);
	assert_string_equal(a, "df30d7c30eba0e3dc1a9485da04577b1560f701217cbf17d85322605de7cb2e1");

	/* NULL and "" differ, in before and in after. */
	audit_row_hash(ZERO_HASH, 1, 1, "x", "y", "z", "w", NULL, "{}", a);
	audit_row_hash(ZERO_HASH, 1, 1, "x", "y", "z", "w", "", "{}", b);
	assert_string_not_equal(a, b);
	audit_row_hash(ZERO_HASH, 1, 1, "x", "y", "z", "w", "{}", NULL, a);
	audit_row_hash(ZERO_HASH, 1, 1, "x", "y", "z", "w", "{}", "", b);
	assert_string_not_equal(a, b);
	/* Moving bytes across a field boundary changes the hash. */
	audit_row_hash(ZERO_HASH, 1, 1, "ab", "c", "z", "w", NULL, NULL, a);
	audit_row_hash(ZERO_HASH, 1, 1, "a", "bc", "z", "w", NULL, NULL, b);
	assert_string_not_equal(a, b);
	audit_row_hash(ZERO_HASH, 1, 1, "a", "b", "z", "w", NULL, "x", a);
	audit_row_hash(ZERO_HASH, 1, 1, "a", "b", "z", "w", "x", NULL, b);
	assert_string_not_equal(a, b);
	/* seq, at and the previous hash are covered. */
	audit_row_hash(ZERO_HASH, 12, 3, "a", "b", "z", "w", NULL, NULL, a);
	audit_row_hash(ZERO_HASH, 1, 23, "a", "b", "z", "w", NULL, NULL, b);
	assert_string_not_equal(a, b);
	memcpy(b, a, sizeof(a));
	audit_row_hash(a, 12, 3, "a", "b", "z", "w", NULL, NULL, a);
	assert_string_not_equal(a, b);
	/* Same input, same hash; lowercase hex. */
	audit_row_hash(ZERO_HASH, 2, 3, "a", "b", "c", "d", "{}", "[]", a);
	audit_row_hash(ZERO_HASH, 2, 3, "a", "b", "c", "d", "{}", "[]", b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 64);
	assert_int_equal(strspn(a, "0123456789abcdef"), 64);
}

/* Tampering */

/* The hash of a row whose fields are long or negative: the serialisation, hashed here. */
static void expect_hash(int64_t seq, int64_t at, const char *after)
{
	struct buf b = BUF_INIT;
	unsigned char md[crypto_hash_sha256_BYTES];
	char want[AUDIT_HASH_HEX], got[AUDIT_HASH_HEX];

	buf_addf(&b, "irdesk-audit-v1\n64:%s\n%zu:%lld\n%zu:%lld\n5:alice\n4:edit\n8:incident\n"
		 "3:IR1\n-\n%zu:%s\n", ZERO_HASH, (size_t)snprintf(NULL, 0, "%lld", (long long)seq),
		 (long long)seq, (size_t)snprintf(NULL, 0, "%lld", (long long)at), (long long)at,
		 strlen(after), after);
	assert_int_equal(buf_error(&b), 0);
	crypto_hash_sha256(md, (const unsigned char *)b.data, b.len);
	sodium_bin2hex(want, sizeof(want), md, sizeof(md));
	assert_int_equal(audit_row_hash(ZERO_HASH, seq, at, "alice", "edit", "incident", "IR1", NULL,
					after, got), 0);
	assert_string_equal(got, want);
	buf_release(&b);
}

static void test_row_hash_long_fields(void **state)
{
	static const size_t sizes[] = { 0, 900, 1023, 1024, 1025, 2047, 5000 };
	char *after = malloc(5001);

	(void)state;
	assert_non_null(after);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t k = 0; k < sizes[i]; k++)
			after[k] = (char)('a' + k % 26);
		after[sizes[i]] = '\0';
		expect_hash((int64_t)i + 1, 1795653000, after);
	}
	expect_hash(INT64_MAX, -1, "{}");
	expect_hash(1, INT64_MIN, "{}");
	free(after);
}

/*
 * One transaction appending around inner units, one of which rolls back:
 * the rows that stay form one chain without a gap where the undone row was.
 */
static void test_chain_across_savepoints(void **state)
{
	char path[600];
	struct store *st;
	struct actor a;
	struct stmt *s;

	(void)state;
	db_path("savepoints.db", path, sizeof(path));
	st = open_store(path);
	actor_named(&a, "alice", INT64_C(1795653000));
	assert_int_equal(store_begin(st, NULL), 0);
	append_ok(st, &a, "incident.create", "incident", "IR-2026-0001", NULL, json_pack("{s:i}", "n", 1));
	assert_int_equal(store_begin(st, NULL), 0);
	append_ok(st, &a, "incident.create", "incident", "IR-2026-0002", NULL, json_pack("{s:i}", "n", 2));
	store_rollback(st);
	append_ok(st, &a, "incident.create", "incident", "IR-2026-0003", NULL, json_pack("{s:i}", "n", 3));
	assert_int_equal(store_begin(st, NULL), 0);
	append_ok(st, &a, "incident.create", "incident", "IR-2026-0004", NULL, json_pack("{s:i}", "n", 4));
	assert_int_equal(store_commit(st, NULL), 0);
	append_ok(st, &a, "incident.create", "incident", "IR-2026-0005", NULL, json_pack("{s:i}", "n", 5));
	assert_int_equal(store_commit(st, NULL), 0);
	/* A rolled back transaction leaves the head where it was. */
	assert_int_equal(store_begin(st, NULL), 0);
	append_ok(st, &a, "incident.create", "incident", "IR-2026-0006", NULL, NULL);
	store_rollback(st);
	assert_int_equal(store_begin(st, NULL), 0);
	append_ok(st, &a, "incident.create", "incident", "IR-2026-0007", NULL, NULL);
	assert_int_equal(store_commit(st, NULL), 0);
	assert_int_equal(store_prepare(st, "SELECT seq FROM audit_log WHERE object_id = 'IR-2026-0003'",
				       &s, NULL), 0);
	assert_int_equal(stmt_step(s, NULL), 1);
	assert_int_equal(stmt_int(s, 0), 2);
	stmt_done(s);
	store_close(st);
	expect_intact(path, NULL, 5);
}

static void test_edit_after(void **state)
{
	char path[512];

	(void)state;
	make_log("edit-after", ROWS, path, sizeof(path));
	tamper(path, "UPDATE audit_log SET after = '{\"state\":\"closed\"}' WHERE seq = 5");
	expect_broken(path, NULL, 5, "row 5 was changed");
}

static void test_edit_actor(void **state)
{
	char path[512];

	(void)state;
	make_log("edit-actor", ROWS, path, sizeof(path));
	tamper(path, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 7");
	expect_broken(path, NULL, 7, "row 7 was changed");
}

static void test_edit_other_fields(void **state)
{
	static const char *const edits[] = {
		"UPDATE audit_log SET at = at + 1 WHERE seq = 2",
		"UPDATE audit_log SET action = 'incident.edit' WHERE seq = 2",
		"UPDATE audit_log SET object_type = 'user' WHERE seq = 2",
		"UPDATE audit_log SET object_id = 'IR-2026-0009' WHERE seq = 2",
		"UPDATE audit_log SET before = NULL WHERE seq = 2",
		/* Row 1 has no before: "" is not the same as none. */
		"UPDATE audit_log SET before = '' WHERE seq = 1",
		/* Row 3 has no after. */
		"UPDATE audit_log SET after = '' WHERE seq = 3",
	};
	char path[512], name[32];

	(void)state;
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		int row = strstr(edits[i], "seq = 1") ? 1 : strstr(edits[i], "seq = 3") ? 3 : 2;
		char want[32];

		snprintf(name, sizeof(name), "edit-%zu", i);
		make_log(name, ROWS, path, sizeof(path));
		tamper(path, edits[i]);
		snprintf(want, sizeof(want), "row %d was changed", row);
		expect_broken(path, NULL, row, want);
	}
}

static void test_delete_middle(void **state)
{
	char path[512];

	(void)state;
	make_log("del-middle", ROWS, path, sizeof(path));
	tamper(path, "DELETE FROM audit_log WHERE seq = 6");
	expect_broken(path, NULL, 6, "row 6 is missing: the log jumps from 5 to 7");

	make_log("del-first", ROWS, path, sizeof(path));
	tamper(path, "DELETE FROM audit_log WHERE seq = 1");
	expect_broken(path, NULL, 1, "row 1 is missing");

	/* Renumbering the rows after a deletion does not hide it either. */
	make_log("del-renumber", ROWS, path, sizeof(path));
	tamper(path, "DELETE FROM audit_log WHERE seq = 6;"
		     "UPDATE audit_log SET seq = seq - 1 WHERE seq > 6;"
		     "UPDATE audit_head SET seq = seq - 1");
	expect_broken(path, NULL, 6, "row 6 does not follow row 5");
}

/* Swap the contents of rows a and b, each keeping its seq. */
static void swap_rows(const char *path, int a, int b)
{
	char sql[1024];

	snprintf(sql, sizeof(sql),
		 "CREATE TEMP TABLE t AS SELECT * FROM audit_log WHERE seq IN (%d, %d);"
		 "UPDATE audit_log SET (at, actor, action, object_type, object_id, before, after, "
		 "prev_hash, hash) = (SELECT at, actor, action, object_type, object_id, before, "
		 "after, prev_hash, hash FROM t WHERE t.seq = %d - audit_log.seq) "
		 "WHERE seq IN (%d, %d)", a, b, a + b, a, b);
	tamper(path, sql);
}

static void test_swap_rows(void **state)
{
	char path[512];

	(void)state;
	make_log("swap-far", ROWS, path, sizeof(path));
	swap_rows(path, 3, 9);
	expect_broken(path, NULL, 3, "row 3 does not follow row 2");

	make_log("swap-near", ROWS, path, sizeof(path));
	swap_rows(path, 8, 9);
	expect_broken(path, NULL, 8, "row 8 does not follow row 7");

	make_log("swap-first", ROWS, path, sizeof(path));
	swap_rows(path, 1, 2);
	expect_broken(path, NULL, 1, "row 1 does not start the chain");

	/* Swapping the last two rows is caught as well. */
	make_log("swap-last", ROWS, path, sizeof(path));
	swap_rows(path, ROWS - 1, ROWS);
	expect_broken(path, NULL, ROWS - 1, "does not follow");
}

static void test_cut_off_end(void **state)
{
	char path[512], *h9;
	struct audit_anchor before_cut, at9;

	(void)state;
	/* Rows cut with the head left alone. */
	make_log("cut", ROWS, path, sizeof(path));
	tamper(path, "DELETE FROM audit_log WHERE seq > 9");
	expect_broken(path, NULL, 10, "rows 10 to 12 were cut off the end");

	make_log("cut-one", ROWS, path, sizeof(path));
	tamper(path, "DELETE FROM audit_log WHERE seq = 12");
	expect_broken(path, NULL, 12, "row 12 was cut off the end");

	make_log("cut-all", ROWS, path, sizeof(path));
	tamper(path, "DELETE FROM audit_log");
	expect_broken(path, NULL, 1, "cut off the end");

	/* Rows cut and the head lowered to match: only an anchor tells. */
	make_log("cut-head", ROWS, path, sizeof(path));
	take_anchor(path, &before_cut);
	h9 = peek(path, "SELECT hash FROM audit_log WHERE seq = 9");
	assert_non_null(h9);
	at9.seq = 9;
	snprintf(at9.hash, sizeof(at9.hash), "%s", h9);
	free(h9);
	tamper(path, "DELETE FROM audit_log WHERE seq > 9;"
		     "UPDATE audit_head SET seq = 9, "
		     "hash = (SELECT hash FROM audit_log WHERE seq = 9)");
	expect_intact(path, NULL, 9);
	expect_intact(path, &at9, 9);
	expect_broken(path, &before_cut, 10, "anchor 12:");
	expect_broken(path, &before_cut, 10, "not found: the log was cut or rewritten");
}

static void test_recomputed_hashes(void **state)
{
	char path[512];
	struct audit_anchor an;

	(void)state;
	/* A hash that merely looks right. */
	make_log("fake-hash", ROWS, path, sizeof(path));
	tamper(path, "UPDATE audit_log SET hash = "
		     "'5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592' "
		     "WHERE seq = 6");
	expect_broken(path, NULL, 6, "row 6 was changed");

	/* An edit with the row's hash recomputed: the next row no longer follows. */
	make_log("rehash-mid", ROWS, path, sizeof(path));
	tamper(path, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 6");
	rehash_row(path, 6);
	expect_broken(path, NULL, 7, "row 7 does not follow row 6");

	/* The same on the last row: the head no longer matches. */
	make_log("rehash-last", ROWS, path, sizeof(path));
	take_anchor(path, &an);
	tamper(path, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 12");
	rehash_row(path, 12);
	expect_broken(path, NULL, 12, "head of the chain");

	/* ... and with the head fixed too: only the anchor tells. */
	tamper(path, "UPDATE audit_head SET hash = (SELECT hash FROM audit_log WHERE seq = 12)");
	expect_intact(path, NULL, ROWS);
	expect_broken(path, &an, 12, "anchor 12:");

	/* The head's hash alone changed. */
	make_log("head-hash", ROWS, path, sizeof(path));
	tamper(path, "UPDATE audit_head SET hash = "
		     "'5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592'");
	expect_broken(path, NULL, 12, "row 12 is not the row the head of the chain records");
}

static void test_forged_rows(void **state)
{
	char path[512];

	(void)state;
	/* A well-formed row inserted past the head, behind irdesk's back. */
	make_log("forge", ROWS, path, sizeof(path));
	tamper(path, "INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, "
		     "before, after, prev_hash, hash) SELECT 13, at, actor, action, object_type, "
		     "object_id, before, after, hash, hash FROM audit_log WHERE seq = 12");
	rehash_row(path, 13);
	expect_broken(path, NULL, 13, "beyond the head of the chain");

	/* A row inserted in a gap between existing ones cannot exist (seq is
	 * the key), but one with a bigger number can. */
	make_log("forge-gap", ROWS, path, sizeof(path));
	tamper(path, "INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, "
		     "before, after, prev_hash, hash) SELECT 20, at, actor, action, object_type, "
		     "object_id, before, after, prev_hash, hash FROM audit_log WHERE seq = 12");
	expect_broken(path, NULL, 13, "row 13 is missing: the log jumps from 12 to 20");
}

static void test_long_log(void **state)
{
	char path[512];
	struct store *st;

	(void)state;
	db_path("long", path, sizeof(path));
	st = open_store(path);
	for (int i = 0; i < 20; i++) {
		struct actor a;

		actor_named(&a, "bulk", 1795653000 + i);
		assert_int_equal(store_begin(st, NULL), 0);
		for (int k = 0; k < 150; k++)
			append_ok(st, &a, "event.ingest", "event", "e", NULL,
				  json_pack("{s:i}", "n", i * 150 + k));
		assert_int_equal(store_commit(st, NULL), 0);
	}
	store_close(st);
	expect_intact(path, NULL, 3000);
	tamper(path, "UPDATE audit_log SET after = '{\"n\":0}' WHERE seq = 2718");
	expect_broken(path, NULL, 2718, "row 2718 was changed");
}

/* Anchors */

static void test_anchor_parse(void **state)
{
	static const char *const bad[] = {
		"", ":", "12", "12:", ":" ZERO_HASH, "-1:" ZERO_HASH, "+1:" ZERO_HASH,
		"1 :" ZERO_HASH, "x:" ZERO_HASH, "1:" ZERO_HASH "0", "1:" ZERO_HASH ":",
		"1:000000000000000000000000000000000000000000000000000000000000000",
		"1:000000000000000000000000000000000000000000000000000000000000000g",
		"99999999999999999999:" ZERO_HASH, "1:" ZERO_HASH " x",
	};
	struct audit_anchor an;
	struct err e;

	(void)state;
	assert_int_equal(audit_anchor_parse("42:5D41402ABC4B2A76B9719D911017C5925D41402abc4b2a76b9719d911017c592",
					    &an, NULL), 0);
	assert_int_equal(an.seq, 42);
	assert_string_equal(an.hash, "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592");
	assert_int_equal(audit_anchor_parse("0:" ZERO_HASH, &an, NULL), 0);
	assert_int_equal(an.seq, 0);
	/* As pasted from a terminal, with a newline. */
	assert_int_equal(audit_anchor_parse(" 7:" ZERO_HASH "\n", &an, NULL), 0);
	assert_int_equal(an.seq, 7);
	assert_int_equal(audit_anchor_parse("9223372036854775807:" ZERO_HASH, &an, NULL), 0);
	assert_int_equal(an.seq, INT64_MAX);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		if (audit_anchor_parse(bad[i], &an, &e) != ERR_PARSE)
			print_error("accepted bad anchor '%s'\n", bad[i]);
		assert_int_equal(e.code, ERR_PARSE);
		assert_non_null(strstr(e.msg, "anchor"));
	}
}

/* Listing */

static json_t *list(struct store *st, const struct audit_filter *f)
{
	struct actor a;
	struct err e;
	json_t *rows = NULL;
	int rc;

	actor_system(&a, NULL);
	err_clear(&e);
	rc = audit_list(st, &a, f, &rows, &e);
	if (rc)
		print_error("audit_list: %s\n", err_msg(&e));
	assert_int_equal(rc, 0);
	assert_true(json_is_array(rows));
	return rows;
}

static int64_t seq_at(const json_t *rows, size_t i)
{
	return json_integer_value(json_object_get(json_array_get(rows, i), "seq"));
}

static void test_list_filters(void **state)
{
	char path[512];
	struct audit_filter f;
	struct store *st;
	json_t *rows, *r;
	size_t i;

	(void)state;
	make_log("list", ROWS, path, sizeof(path));
	st = open_store(path);

	memset(&f, 0, sizeof(f));
	rows = list(st, &f);
	assert_int_equal(json_array_size(rows), ROWS);
	assert_int_equal(seq_at(rows, 0), 1);
	r = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(r, "action")), "incident.create");
	assert_string_equal(json_string_value(json_object_get(r, "actor")), "bob");
	assert_string_equal(json_string_value(json_object_get(r, "object_type")), "incident");
	assert_string_equal(json_string_value(json_object_get(r, "object_id")), "IR-2026-0001");
	assert_string_equal(json_string_value(json_object_get(r, "at")), "2026-11-26T00:30:01Z");
	assert_true(json_is_null(json_object_get(r, "before")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "after"), "title")),
			    "漏えい");
	assert_int_equal(strlen(json_string_value(json_object_get(r, "hash"))), 64);
	json_decref(rows);

	/* Newest first, limited. */
	f.newest_first = 1;
	f.limit = 3;
	rows = list(st, &f);
	assert_int_equal(json_array_size(rows), 3);
	assert_int_equal(seq_at(rows, 0), 12);
	assert_int_equal(seq_at(rows, 2), 10);
	json_decref(rows);

	/* After a sequence number. */
	memset(&f, 0, sizeof(f));
	f.after_seq = 10;
	rows = list(st, &f);
	assert_int_equal(json_array_size(rows), 2);
	assert_int_equal(seq_at(rows, 0), 11);
	json_decref(rows);

	/* One object: rows 1, 5, 9 touch IR-2026-0001 (i % 4 == 1), and of
	 * those 9 is a user change (i % 3 == 0). */
	memset(&f, 0, sizeof(f));
	f.object_type = "incident";
	f.object_id = "IR-2026-0001";
	rows = list(st, &f);
	assert_int_equal(json_array_size(rows), 2);
	assert_int_equal(seq_at(rows, 0), 1);
	assert_int_equal(seq_at(rows, 1), 5);
	json_decref(rows);

	/* A type alone. */
	memset(&f, 0, sizeof(f));
	f.object_type = "user";
	rows = list(st, &f);
	assert_int_equal(json_array_size(rows), 4); /* 3, 6, 9, 12 */
	json_array_foreach(rows, i, r) {
		assert_string_equal(json_string_value(json_object_get(r, "object_type")), "user");
		assert_true(json_is_null(json_object_get(r, "after")));
	}
	json_decref(rows);

	/* An actor, combined with a type. */
	memset(&f, 0, sizeof(f));
	f.actor = "alice"; /* i % 3 == 1... names[i % 3]: 3, 6, 9, 12 */
	rows = list(st, &f);
	assert_int_equal(json_array_size(rows), 4);
	json_array_foreach(rows, i, r)
		assert_string_equal(json_string_value(json_object_get(r, "actor")), "alice");
	json_decref(rows);
	f.object_type = "incident";
	rows = list(st, &f);
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);

	/* NULL filter: everything, oldest first; negative limit refused. */
	rows = list(st, NULL);
	assert_int_equal(json_array_size(rows), ROWS);
	json_decref(rows);
	memset(&f, 0, sizeof(f));
	f.limit = -1;
	{
		struct actor a;
		json_t *none = NULL;

		actor_system(&a, NULL);
		assert_int_equal(audit_list(st, &a, &f, &none, NULL), ERR_INVALID);
		assert_null(none);
	}
	store_close(st);
}

static void test_read_needs_permission(void **state)
{
	char path[512];
	struct audit_report rep;
	struct store *st;
	struct actor a;
	struct err e;
	json_t *rows = NULL;

	(void)state;
	make_log("authz", 2, path, sizeof(path));
	st = open_store(path);
	actor_named(&a, "victor", 1795653000);
	a.role = ROLE_VIEWER;
	err_clear(&e);
	assert_int_equal(audit_verify(st, &a, NULL, &rep, &e), ERR_DENIED);
	assert_int_equal(audit_list(st, &a, NULL, &rows, &e), ERR_DENIED);
	assert_null(rows);
	a.role = ROLE_COMMANDER;
	a.external = 1;
	assert_int_equal(audit_verify(st, &a, NULL, &rep, &e), ERR_DENIED);
	a.external = 0;
	assert_int_equal(audit_verify(st, &a, NULL, &rep, &e), 0);
	store_close(st);
}

static int teardown_all(void **state)
{
	(void)state;
	unit_rmtmp();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_log),
		cmocka_unit_test(test_intact_chain),
		cmocka_unit_test(test_append_needs_transaction),
		cmocka_unit_test(test_stored_form),
		cmocka_unit_test(test_row_hash),
		cmocka_unit_test(test_row_hash_long_fields),
		cmocka_unit_test(test_chain_across_savepoints),
		cmocka_unit_test(test_edit_after),
		cmocka_unit_test(test_edit_actor),
		cmocka_unit_test(test_edit_other_fields),
		cmocka_unit_test(test_delete_middle),
		cmocka_unit_test(test_swap_rows),
		cmocka_unit_test(test_cut_off_end),
		cmocka_unit_test(test_recomputed_hashes),
		cmocka_unit_test(test_forged_rows),
		cmocka_unit_test(test_long_log),
		cmocka_unit_test(test_anchor_parse),
		cmocka_unit_test(test_list_filters),
		cmocka_unit_test(test_read_needs_permission),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_all);
}
