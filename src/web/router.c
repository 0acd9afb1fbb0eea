/*
 * router.c: matching a method and path against the route tables.
 */
#include "web/router.h"
#include "web/req.h"

#include <stdlib.h>
#include <string.h>

/* Match one pattern; on success the captures are stored in rq. */
static int match(const char *pattern, const char *path, struct request *rq)
{
	const char *p = pattern, *s = path;
	char *caps[REQ_PARAMS_MAX];
	int ncaps = 0;

	while (*p && *s) {
		if (*p == '{') {
			const char *pe = strchr(p, '}');
			size_t n = strcspn(s, "/");
			if (!pe || n == 0 || ncaps >= REQ_PARAMS_MAX)
				goto fail;
			caps[ncaps] = strndup(s, n);
			if (!caps[ncaps])
				goto fail;
			ncaps++;
			p = pe + 1;
			s += n;
			continue;
		}
		if (*p != *s)
			goto fail;
		p++;
		s++;
	}
	/* A trailing slash on the request is the same resource. */
	if (*p || (*s && !(s[0] == '/' && s[1] == '\0')))
		goto fail;
	if (rq) {
		for (int i = 0; i < ncaps; i++)
			rq->params[i] = caps[i];
		rq->nparams = ncaps;
	} else {
		for (int i = 0; i < ncaps; i++)
			free(caps[i]);
	}
	return 1;
fail:
	for (int i = 0; i < ncaps; i++)
		free(caps[i]);
	return 0;
}

const struct route *router_match(const char *method, const char *path, struct request *rq,
				 int *method_mismatch)
{
	const struct route *tables[] = { api_routes, page_core_routes, page_routes };
	int head = strcmp(method, "HEAD") == 0;

	*method_mismatch = 0;
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (const struct route *r = tables[t]; r->pattern; r++) {
			if (strcmp(r->method, method) != 0 && !(head && strcmp(r->method, "GET") == 0))
				continue;
			if (match(r->pattern, path, rq))
				return r;
		}
	}
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct route *r = tables[t]; r->pattern; r++)
			if (match(r->pattern, path, NULL))
				*method_mismatch = 1;
	return NULL;
}
