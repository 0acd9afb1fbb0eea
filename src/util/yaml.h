/*
 * yaml.h: YAML text read with libyaml into a small tree per document
 * (scalars, sequences, mappings, each with its line number), allocated in
 * an arena. Anchors and aliases are refused. Used by the Sigma loader and
 * the catalog.
 */
#ifndef IRDESK_UTIL_YAML_H
#define IRDESK_UTIL_YAML_H

#include <stddef.h>

#include "util/arena.h"

enum ynode_kind { Y_SCALAR, Y_SEQ, Y_MAP };
struct ynode {
	enum ynode_kind kind;
	int plain;          /* scalar written without quotes */
	int line;           /* 1-based */
	const char *s;      /* scalar text, NUL-terminated */
	size_t len;
	struct ynode **kids;   /* SEQ: n items; MAP: n pairs, kids[2i] key, kids[2i+1] value */
	size_t n;
};

/* 1 for a missing node, an empty plain scalar, "~" or "null". */
int ynode_is_null(const struct ynode *n);
/* The value of key in a mapping, or NULL. */
const struct ynode *ynode_get(const struct ynode *map, const char *key);

/*
 * The tree of every document of text, handed to fn one by one. Returns 0,
 * 1 on a YAML error (message with its line in errbuf), ERR_NOMEM, or what
 * fn returned when that was not 0.
 */
typedef int (*ydoc_fn)(void *ctx, const struct ynode *doc);
int yaml_parse_docs(struct arena *a, const char *text, size_t len, ydoc_fn fn, void *ctx,
		    char *errbuf, size_t errsize);

#endif
