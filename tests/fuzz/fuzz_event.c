/*
 * fuzz_event.c: libFuzzer target for the event decoder and the reader of
 * event files (detect/event.c, detect/scan.c). Build: clang
 * -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz_event.c
 * src/detect/event.c src/detect/scan.c src/util/err.c src/util/utf8.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/event.h"
#include "detect/scan.h"
#include "util/err.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What every decoded event promises its readers. */
static void check(const struct event *e)
{
	if (e->profile == PROFILE_AUTO)
		abort();
	for (size_t i = 0; i < e->n; i++) {
		const struct event_field *f = &e->fields[i];

		if (f->name[f->name_len] != '\0' || f->value[f->value_len] != '\0')
			abort();
		if (f->hash != event_name_hash(f->name, f->name_len))
			abort();
		if (f->name_len > EVENT_MAX_NAME)
			abort();
		/* Strings are valid UTF-8 once unescaped (\u0000 is U+0000). */
		if (!utf8_valid(f->name, f->name_len) || !utf8_valid(f->value, f->value_len))
			abort();
	}
}

static int on_event(void *ctx, const struct event *ev, size_t index, size_t offset,
		    struct err *err)
{
	size_t *count = ctx;

	(void)err;
	if (index != *count || ev->raw == NULL || ev->raw[0] != '{' || offset == SIZE_MAX)
		abort();
	check(ev);
	(*count)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event e; /* warm, as in a real reader: reuse must be safe */
	const char *s = (const char *)data;
	struct err err;
	size_t count = 0, n = 0;

	for (int p = PROFILE_AUTO; p <= PROFILE_WINLOGBEAT; p++) {
		size_t before;
		int rc;

		err_clear(&err);
		rc = event_decode(&e, s, size, (enum event_profile)p, &err);
		if (rc == 0) {
			check(&e);
			before = e.n;
			/* The same input decodes the same way twice. */
			if (event_decode(&e, s, size, (enum event_profile)p, &err) != 0 || e.n != before)
				abort();
		} else if (rc != ERR_PARSE && rc != ERR_TOOLONG && rc != ERR_NOMEM) {
			abort();
		} else if (!strstr(err.msg, "offset ") || e.n != 0) {
			abort();
		}
	}
	err_clear(&err);
	if (scan_buffer("fuzz", s, size, PROFILE_AUTO, &e, on_event, &count, &n, &err) == 0 &&
	    n != count)
		abort();
	return 0;
}
