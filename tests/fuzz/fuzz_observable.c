/*
 * fuzz_observable.c: libFuzzer target for observable_normalize() (every type,
 * and guessing) and observable_extract(), the parsers of what users paste.
 * A normalised value must normalise to itself again (normalising is
 * idempotent, so the same thing is stored once). Build: clang
 * -fsanitize=fuzzer,address,undefined -Isrc $(pkg-config --cflags jansson)
 * tests/fuzz/fuzz_observable.c with the objects of src/ (it needs
 * detect/ioc.c, mail/mail_ioc.c and util/).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir/observable.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[OBSERVABLE_VALUE_MAX], again[OBSERVABLE_VALUE_MAX];
	json_t *items = NULL;
	struct err e;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (int t = 0; t <= OBS__COUNT; t++) {
		enum observable_type ty = (enum observable_type)t, ty2;
		err_clear(&e);
		if (observable_normalize(s, &ty, out, sizeof(out), &e) != 0) {
			if (!e.msg[0])
				abort();
			continue;
		}
		ty2 = ty;
		if (observable_normalize(out, &ty2, again, sizeof(again), NULL) != 0 || ty2 != ty ||
		    strcmp(out, again) != 0)
			abort();
	}
	if (observable_extract(s, size, &items, NULL) == 0)
		json_decref(items);
	free(s);
	return 0;
}
