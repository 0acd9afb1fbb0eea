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

/* Path of the corpora shared with the project (../shared/data), or NULL. */
static inline const char *unit_corpus_dir(void)
{
	const char *d = getenv("IRDESK_CORPUS");
	return d && *d ? d : NULL;
}

#endif
