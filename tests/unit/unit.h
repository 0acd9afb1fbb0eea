/*
 * unit.h: what every cmocka unit test includes.
 *
 * Tests run under ASan/UBSan with CMOCKA_MESSAGE_OUTPUT=TAP (tests/run.sh
 * counts the "ok"/"not ok" lines). Helpers here make temporary folders that
 * are removed at exit.
 */
#ifndef IRDESK_TESTS_UNIT_H
#define IRDESK_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The whole file at path, NUL-terminated, its length in *len; NULL when it
 * cannot be read. The caller frees it. */
static inline char *unit_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		b = malloc((size_t)n + 1);
		if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
			free(b);
			b = NULL;
		}
		if (b) {
			b[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return b;
}

/* The folder tests/data/sub ($IRDESK_TESTDATA/sub when set); a static buffer. */
static inline const char *unit_data_dir(const char *sub)
{
	static char dir[512];
	const char *t = getenv("IRDESK_TESTDATA");

	snprintf(dir, sizeof(dir), "%s/%s", t && *t ? t : "tests/data", sub);
	return dir;
}

/* The file sub/name of the test data, which must be there. */
static inline char *unit_data_file(const char *sub, const char *name, size_t *len)
{
	char path[1024];
	char *d;

	snprintf(path, sizeof(path), "%s/%s", unit_data_dir(sub), name);
	d = unit_read_file(path, len);
	if (!d)
		fail_msg("cannot read %s", path);
	return d;
}

/* A fresh temporary folder under $TMPDIR (or /tmp), removed at exit. */
static inline const char *unit_tmpdir(void)
{
	static char dir[256];
	if (!dir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/irdesk-unit-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(dir))
			abort();
	}
	return dir;
}

static inline void unit_rmtmp(void)
{
	char cmd[300];
	const char *d = unit_tmpdir();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", d);
}

/*
 * The backend under test: IRDESK_TEST_DB=pg (tests/run.sh's PostgreSQL pass,
 * with IRDESK_PG_URL and IRDESK_PG_BIN from tests/pg.sh) or SQLite.
 */
static inline int unit_db_pg(void)
{
	const char *v = getenv("IRDESK_TEST_DB");
	return v && strcmp(v, "pg") == 0;
}

/* The PostgreSQL database name for a test's store called name. */
static inline void unit_pg_name(const char *name, char *out, size_t n)
{
	size_t i = (size_t)snprintf(out, n, "u%d_", (int)getpid());
	for (; *name && i + 1 < n; name++)
		out[i++] = (*name >= 'a' && *name <= 'z') || (*name >= '0' && *name <= '9')
				   ? *name : '_';
	out[i] = 0;
}

/* Drop database db if it is there, then create it (from template when set). */
static inline void unit_pg_recreate(const char *db, const char *template)
{
	char cmd[600];
	const char *bin = getenv("IRDESK_PG_BIN");
	snprintf(cmd, sizeof(cmd), "%s/dropdb --if-exists %s 2>/dev/null; %s/createdb %s%s %s",
		 bin ? bin : "/usr/bin", db, bin ? bin : "/usr/bin", template ? "-T " : "",
		 template ? template : "", db);
	if (system(cmd) != 0)
		fprintf(stderr, "failed: %s\n", cmd);
}

/*
 * The URL of a fresh, empty store called name, into out: a file in
 * unit_tmpdir() ("sqlite:DIR/name.db", removed first) or a new PostgreSQL
 * database (dropped first). store_open it with STORE_CREATE.
 */
static inline void unit_db_url(const char *name, char *out, size_t n)
{
	char db[128];

	if (!unit_db_pg()) {
		snprintf(out, n, "sqlite:%s/%.100s.db", unit_tmpdir(), name);
		unlink(out + 7);
		return;
	}
	unit_pg_name(name, db, sizeof(db));
	unit_pg_recreate(db, NULL);
	snprintf(out, n, "%s/%s", getenv("IRDESK_PG_URL"), db);
}

/* Copy the (closed) store from into a new store to; its URL into out. */
static inline void unit_db_copy(const char *from, const char *to, char *out, size_t n)
{
	char a[128], b[128], cmd[700];

	if (!unit_db_pg()) {
		snprintf(out, n, "sqlite:%s/%.100s.db", unit_tmpdir(), to);
		snprintf(cmd, sizeof(cmd), "cp '%s/%.100s.db' '%s/%.100s.db'", unit_tmpdir(), from,
			 unit_tmpdir(), to);
		if (system(cmd) != 0)
			fprintf(stderr, "failed: %s\n", cmd);
		return;
	}
	unit_pg_name(from, a, sizeof(a));
	unit_pg_name(to, b, sizeof(b));
	unit_pg_recreate(b, a);
	snprintf(out, n, "%s/%s", getenv("IRDESK_PG_URL"), b);
}

/* Path of the corpora shared with the project (../shared/data), or NULL. */
static inline const char *unit_corpus_dir(void)
{
	const char *d = getenv("IRDESK_CORPUS");
	return d && *d ? d : NULL;
}

#endif
