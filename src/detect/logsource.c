/*
 * logsource.c: reads the logsource routing table (data/detect/logsource.txt)
 * and looks up the route of a rule's logsource.
 */
#include "detect/logsource.h"

#include "detect/event.h"
#include "detect/sigma_int.h"
#include "util/embed.h"
#include "util/err.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define LS_MAX_TOKENS 64

struct logsource {
	struct arena arena;
	struct ls_route *routes;
};

void logsource_free(struct logsource *ls)
{
	if (!ls)
		return;
	arena_free(&ls->arena);
	free(ls);
}

/* Split one line into blank-separated tokens; "..." keeps blanks, quotes are dropped. */
static int tokenize(struct arena *a, const char *s, size_t n, char **tok, int max)
{
	int nt = 0;
	size_t i = 0;

	while (i < n) {
		char *t;
		size_t k = 0;
		int q = 0;

		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i >= n || s[i] == '#')
			break;
		if (nt >= max)
			return -1;
		t = arena_alloc(a, n - i + 1);
		if (!t)
			return -1;
		while (i < n && (q || (s[i] != ' ' && s[i] != '\t' && s[i] != '\r'))) {
			if (s[i] == '"')
				q = !q;
			else
				t[k++] = s[i];
			i++;
		}
		if (q)
			return -1;
		tok[nt++] = t;
	}
	return nt;
}

/* Split "a,b,c" in place into a NULL-free array of n strings. */
static const char **split_list(struct arena *a, char *s, size_t *n)
{
	size_t cnt = 1, k = 0;
	const char **v;

	for (char *p = s; *p; p++)
		cnt += *p == ',';
	v = arena_alloc(a, cnt * sizeof(*v));
	if (!v)
		return NULL;
	v[k++] = s;
	for (char *p = s; *p; p++)
		if (*p == ',') {
			*p = '\0';
			v[k++] = p + 1;
		}
	*n = cnt;
	return v;
}

static struct ls_route *find_route(struct logsource *ls, const char *kind, const char *product,
				   const char *name)
{
	for (struct ls_route *r = ls->routes; r; r = r->next)
		if (!strcmp(r->kind, kind) && !strcmp(r->product, product) && !strcmp(r->name, name))
			return r;
	return NULL;
}

static int parse_line(struct logsource *ls, char **tok, int nt, const char *name, int line,
		      struct err *e)
{
	struct arena *a = &ls->arena;
	struct ls_route *r;
	struct ls_alt alt, *alts;
	int i, renaming = 0;

	if (nt < 4 || (strcmp(tok[0], "category") && strcmp(tok[0], "service")))
		return err_set(e, ERR_PARSE, "%s:%d: expected KIND PRODUCT NAME FIELD=VALUE...", name,
			       line);
	memset(&alt, 0, sizeof(alt));
	alt.conds = arena_alloc(a, (size_t)nt * sizeof(*alt.conds));
	alt.renames = arena_alloc(a, (size_t)nt * sizeof(*alt.renames));
	if (!alt.conds || !alt.renames)
		return ERR_NOMEM;
	for (i = 3; i < nt; i++) {
		char *eq = strchr(tok[i], '=');

		if (!strcmp(tok[i], "rename")) {
			renaming = 1;
			continue;
		}
		if (!eq || eq == tok[i] || !eq[1])
			return err_set(e, ERR_PARSE, "%s:%d: expected FIELD=VALUE, got '%s'", name, line,
				       tok[i]);
		*eq = '\0';
		if (renaming) {
			struct ls_rename *rn = &alt.renames[alt.nrenames++];

			rn->from = tok[i];
			rn->from_len = strlen(tok[i]);
			rn->from_hash = event_name_hash(rn->from, rn->from_len);
			rn->to = eq + 1;
			rn->to_len = strlen(eq + 1);
			rn->to_hash = event_name_hash(rn->to, rn->to_len);
		} else if (!strcmp(tok[i], "Channel")) {
			alt.channels = split_list(a, eq + 1, &alt.nch);
			if (!alt.channels)
				return ERR_NOMEM;
			for (size_t k = 0; k < alt.nch; k++)
				for (char *p = (char *)alt.channels[k]; *p; p++)
					*p = (char)tolower((unsigned char)*p);
		} else if (!strcmp(tok[i], "EventID")) {
			size_t n;
			const char **v = split_list(a, eq + 1, &n);

			if (!v || !(alt.eids = arena_alloc(a, n * sizeof(long))))
				return ERR_NOMEM;
			for (size_t k = 0; k < n; k++) {
				char *end;
				alt.eids[k] = strtol(v[k], &end, 10);
				if (*end || end == v[k])
					return err_set(e, ERR_PARSE, "%s:%d: bad event id '%s'", name, line,
						       v[k]);
			}
			alt.neid = n;
		} else {
			struct ls_cond *c = &alt.conds[alt.nconds++];

			c->field = tok[i];
			c->flen = strlen(tok[i]);
			c->hash = event_name_hash(c->field, c->flen);
			c->values = split_list(a, eq + 1, &c->n);
			if (!c->values)
				return ERR_NOMEM;
		}
	}
	if (!alt.nch)
		return err_set(e, ERR_PARSE, "%s:%d: a route needs a Channel", name, line);
	r = find_route(ls, tok[0], tok[1], tok[2]);
	if (!r) {
		r = arena_alloc(a, sizeof(*r));
		if (!r)
			return ERR_NOMEM;
		r->kind = tok[0];
		r->product = tok[1];
		r->name = tok[2];
		r->next = ls->routes;
		ls->routes = r;
	}
	alts = arena_alloc(a, (r->nalts + 1) * sizeof(*alts));
	if (!alts)
		return ERR_NOMEM;
	if (r->nalts)
		memcpy(alts, r->alts, r->nalts * sizeof(*alts));
	alts[r->nalts++] = alt;
	r->alts = alts;
	return 0;
}

int logsource_parse(const char *name, const char *text, size_t len, struct logsource **out,
		    struct err *e)
{
	struct logsource *ls = calloc(1, sizeof(*ls));
	size_t pos = 0;
	int line = 0, rc = 0;

	*out = NULL;
	if (!ls)
		return err_set(e, ERR_NOMEM, "out of memory");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *tok[LS_MAX_TOKENS];
		int nt;

		line++;
		nt = tokenize(&ls->arena, text + pos, n, tok, LS_MAX_TOKENS);
		if (nt < 0) {
			rc = ls->arena.failed ? err_set(e, ERR_NOMEM, "out of memory")
					      : err_set(e, ERR_PARSE, "%s:%d: unbalanced quote or too many "
							"columns", name, line);
			break;
		}
		if (nt > 0 && (rc = parse_line(ls, tok, nt, name, line, e)) != 0) {
			if (rc == ERR_NOMEM)
				err_set(e, ERR_NOMEM, "out of memory");
			break;
		}
		pos += n + 1;
	}
	if (rc) {
		logsource_free(ls);
		return rc;
	}
	*out = ls;
	return 0;
}

int logsource_builtin(struct logsource **out, struct err *e)
{
	const struct embed_file *f = embed_find("detect/logsource.txt");

	if (!f)
		return err_set(e, ERR_NOTFOUND, "detect/logsource.txt: not embedded");
	return logsource_parse("detect/logsource.txt", f->data, f->len, out, e);
}

static const struct ls_route *lookup(const struct logsource *ls, const char *kind,
				     const char *product, const char *name)
{
	const struct ls_route *any = NULL;

	for (const struct ls_route *r = ls->routes; r; r = r->next) {
		if (strcmp(r->kind, kind) || strcmp(r->name, name))
			continue;
		if (product && !strcmp(r->product, product))
			return r;
		if (!strcmp(r->product, "*"))
			any = r;
	}
	return any;
}

const struct ls_route *logsource_route(const struct logsource *ls, const char *product,
				       const char *category, const char *service)
{
	const struct ls_route *r = NULL;

	if (!ls)
		return NULL;
	if (category)
		r = lookup(ls, "category", product, category);
	if (!r && service)
		r = lookup(ls, "service", product, service);
	return r;
}
