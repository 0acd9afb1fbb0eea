/*
 * arena.h: a bump allocator. Allocations are zeroed and live until
 * arena_free(); a failed allocation sets a sticky flag so callers may
 * allocate freely and check once.
 */
#ifndef IRDESK_UTIL_ARENA_H
#define IRDESK_UTIL_ARENA_H

#include <stddef.h>

struct arena_chunk;
struct arena {
	struct arena_chunk *head;
	int failed;   /* sticky: an allocation failed */
};

void *arena_alloc(struct arena *a, size_t n);   /* zeroed; NULL on failure */
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_free(struct arena *a);

#endif
