/*
 * fuzz_sigma_yaml.c: libFuzzer target for the Sigma rule loader (YAML
 * documents, collections, modifiers, values, conditions). Build:
 * clang -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Isrc -Ibuild/gen tests/fuzz/fuzz_sigma_yaml.c
 *   src/detect/sigma[a-z_]*.c src/detect/logsource.c src/detect/event.c src/util/[a-z]*.c
 *   build/gen/embedded.c $(pkg-config --libs yaml-0.1 libpcre2-8 jansson)
 */
#include <stdint.h>
#include <stdlib.h>

#include "detect/sigma.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigma_ruleset *rs;
	struct err e;

	err_clear(&e);
	if (sigma_ruleset_new(&rs, &e))
		return 0;
	(void)sigma_load_text(rs, "fuzz.yml", (const char *)data, size, NULL, NULL, &e);
	(void)sigma_ruleset_compile(rs, &e);
	sigma_ruleset_free(rs);
	return 0;
}
