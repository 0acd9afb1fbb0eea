/*
 * fuzz_time.c: libFuzzer target for time_parse(), the parser of date-times
 * that users type. Build: clang -fsanitize=fuzzer,address,undefined -Isrc
 * tests/fuzz/fuzz_time.c src/util/time.c src/util/err.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tz *paris;
	char *s = malloc(size + 1);
	char buf[TIME_STR_MAX];
	struct err e;
	int64_t t, back;

	if (!s)
		return 0;
	if (!paris && tz_load("Europe/Paris", &paris, NULL) != 0)
		paris = NULL;
	memcpy(s, data, size);
	s[size] = '\0';
	err_clear(&e);
	/* 2026-11-26T00:30:00Z as "now"; the user's zone has DST. */
	if (time_parse(s, paris, INT64_C(1795653000), &t, &e) == 0) {
		if (t < TIME_PARSE_MIN || t > TIME_PARSE_MAX)
			abort();
		/*
		 * What parses formats, and the formatted form parses back the same;
		 * except within a day of 9999-12-31, where local time in Paris is
		 * already year 10000, which has no YYYY form.
		 */
		time_format_zone(t, paris, buf);
		if (t < TIME_PARSE_MAX - 86400 &&
		    (time_parse(buf, NULL, 0, &back, NULL) != 0 || back != t))
			abort();
		time_format_human(t, paris, buf);
	} else if (e.code != ERR_PARSE || !e.msg[0]) {
		abort();
	}
	free(s);
	return 0;
}
