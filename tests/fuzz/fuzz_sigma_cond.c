/*
 * fuzz_sigma_cond.c: libFuzzer target for the Sigma condition parser: the
 * input is a condition over the selections sel_a, sel_b, _hidden and
 * filter_x, parsed into a tree. Build like fuzz_sigma_yaml.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/sigma_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ssel sels[] = {
		{ "sel_a", NULL, 0 }, { "sel_b", NULL, 0 }, { "_hidden", NULL, 0 },
		{ "filter_x", NULL, 0 },
	};
	struct arena a = { NULL, 0 };
	struct cnode *root;
	char reason[300];
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)sigma_cond_parse(&a, s, sels, sizeof(sels) / sizeof(sels[0]), &root, reason,
			       sizeof(reason));
	arena_free(&a);
	free(s);
	return 0;
}
