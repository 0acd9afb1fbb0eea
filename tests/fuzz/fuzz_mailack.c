/*
 * fuzz_mailack.c: libFuzzer target for mailack_reporter(), which reads the
 * From header of a report from the mailbox (hostile bytes). A reporter it
 * finds must be a normalised e-mail address (normalising it again gives
 * it back). Build: clang -fsanitize=fuzzer,address,undefined -Isrc
 * $(pkg-config --cflags jansson gmime-3.0) tests/fuzz/fuzz_mailack.c with
 * the objects of src/ (it needs ir/mailack.c, ir/observable.c, mail/ and
 * util/).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir/mailack.h"
#include "ir/observable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[OBSERVABLE_VALUE_MAX], again[OBSERVABLE_VALUE_MAX];
	enum observable_type t = OBS_EMAIL;

	if (mailack_reporter((const char *)data, size, out, sizeof(out)) != 0)
		return 0;
	if (observable_normalize(out, &t, again, sizeof(again), NULL) != 0 || strcmp(out, again) != 0 ||
	    !strchr(out, '@'))
		abort();
	return 0;
}
