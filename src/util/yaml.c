/*
 * yaml.c: reads YAML text with libyaml into a small tree per document
 * (scalars, sequences, mappings, with line numbers), handing each finished
 * document to a callback. Anchors and aliases are used by neither Sigma rules
 * nor the catalog, and are refused.
 */
#include "util/yaml.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define YAML_MAX_DEPTH 64

int ynode_is_null(const struct ynode *n)
{
	if (!n)
		return 1;
	if (n->kind != Y_SCALAR || !n->plain)
		return 0;
	return n->len == 0 || !strcmp(n->s, "~") || !strcasecmp(n->s, "null");
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != Y_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->kids[2 * i];
		if (k->kind == Y_SCALAR && !strcmp(k->s, key))
			return map->kids[2 * i + 1];
	}
	return NULL;
}

/* An open container while its children are read. */
struct frame {
	struct ynode *node;
	struct ynode **kids;
	size_t n, cap;
};

static int frame_add(struct frame *f, struct ynode *kid)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct ynode **k = realloc(f->kids, cap * sizeof(*k));
		if (!k)
			return -1;
		f->kids = k;
		f->cap = cap;
	}
	f->kids[f->n++] = kid;
	return 0;
}

int yaml_parse_docs(struct arena *a, const char *text, size_t len, ydoc_fn fn, void *ctx,
		    char *errbuf, size_t errsize)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct frame stack[YAML_MAX_DEPTH];
	int depth = 0, rc = 0, done = 0;
	struct ynode *root = NULL;

	errbuf[0] = '\0';
	if (!yaml_parser_initialize(&p)) {
		snprintf(errbuf, errsize, "yaml: out of memory");
		return ERR_NOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		struct ynode *node = NULL;

		if (!yaml_parser_parse(&p, &ev)) {
			snprintf(errbuf, errsize, "yaml: %s at line %lu", p.problem ? p.problem : "error",
				 (unsigned long)p.problem_mark.line + 1);
			rc = 1;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			root = NULL;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (root && (rc = fn(ctx, root)) != 0)
				done = 1;
			root = NULL;
			break;
		case YAML_ALIAS_EVENT:
			snprintf(errbuf, errsize, "yaml: aliases are not supported (line %lu)",
				 (unsigned long)ev.start_mark.line + 1);
			rc = 1;
			done = 1;
			break;
		case YAML_SCALAR_EVENT:
			node = arena_alloc(a, sizeof(*node));
			if (!node)
				break;
			node->kind = Y_SCALAR;
			node->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			node->line = (int)ev.start_mark.line + 1;
			node->s = arena_strndup(a, (const char *)ev.data.scalar.value,
						ev.data.scalar.length);
			node->len = ev.data.scalar.length;
			if (!node->s)
				node = NULL;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= YAML_MAX_DEPTH) {
				snprintf(errbuf, errsize, "yaml: nested too deeply (line %lu)",
					 (unsigned long)ev.start_mark.line + 1);
				rc = 1;
				done = 1;
				break;
			}
			node = arena_alloc(a, sizeof(*node));
			if (!node)
				break;
			node->kind = ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
			node->line = (int)ev.start_mark.line + 1;
			memset(&stack[depth], 0, sizeof(stack[depth]));
			stack[depth++].node = node;
			node = NULL; /* added to its parent when it ends */
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			struct frame *f = &stack[--depth];

			node = f->node;
			node->n = node->kind == Y_MAP ? f->n / 2 : f->n;
			if (f->n) {
				node->kids = arena_alloc(a, f->n * sizeof(*node->kids));
				if (node->kids)
					memcpy(node->kids, f->kids, f->n * sizeof(*node->kids));
				else
					node = NULL;
			}
			free(f->kids);
			break;
		}
		default:
			break;
		}
		if (!done && a->failed) {
			snprintf(errbuf, errsize, "yaml: out of memory");
			rc = ERR_NOMEM;
			done = 1;
		}
		if (node && !done) {
			if (depth == 0)
				root = node;
			else if (frame_add(&stack[depth - 1], node)) {
				snprintf(errbuf, errsize, "yaml: out of memory");
				rc = ERR_NOMEM;
				done = 1;
			}
		}
		yaml_event_delete(&ev);
	}
	while (depth > 0)
		free(stack[--depth].kids);
	yaml_parser_delete(&p);
	return rc;
}
