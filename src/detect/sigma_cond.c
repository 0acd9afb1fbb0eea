/*
 * sigma_cond.c: the condition grammar of Sigma rules, parsed by recursive
 * descent into a tree of and/or/not nodes over selections:
 *   expr := and ('or' and)* ; and := unary ('and' unary)* ;
 *   unary := 'not' unary | '(' expr ')' | quant | IDENT ;
 *   quant := (N | 'all') 'of' (PATTERN | 'them')
 * `them` leaves out identifiers starting with '_'. The deprecated
 * aggregations ("| count() > 5") and `near` are refused with a reason.
 */
#include "detect/sigma_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COND_MAX_DEPTH 100

struct cparse {
	struct arena *a;
	const char *s;
	size_t pos;
	const struct ssel *sels;
	size_t nsels;
	char *reason;
	size_t rsize;
	int depth;
	int failed;
	/* The current token. */
	enum { K_END, K_LP, K_RP, K_PIPE, K_WORD, K_BAD } kind;
	const char *tok;
	size_t tlen;
};

static void fail(struct cparse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct cparse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(p->reason, p->rsize, fmt, ap);
	va_end(ap);
}

static int word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '*' || c == '?' || c == '-' ||
	       c == '.' || (unsigned char)c >= 0x80;
}

static void next(struct cparse *p)
{
	const char *s = p->s;

	while (s[p->pos] && isspace((unsigned char)s[p->pos]))
		p->pos++;
	p->tok = s + p->pos;
	p->tlen = 1;
	switch (s[p->pos]) {
	case '\0':
		p->kind = K_END;
		p->tlen = 0;
		return;
	case '(':
		p->kind = K_LP;
		break;
	case ')':
		p->kind = K_RP;
		break;
	case '|':
		p->kind = K_PIPE;
		break;
	default:
		if (!word_char(s[p->pos])) {
			p->kind = K_BAD;
			break;
		}
		p->kind = K_WORD;
		p->tlen = 0;
		while (word_char(s[p->pos + p->tlen]))
			p->tlen++;
		p->pos += p->tlen;
		return;
	}
	p->pos++;
}

static int is_word(const struct cparse *p, const char *w)
{
	return p->kind == K_WORD && p->tlen == strlen(w) && !strncasecmp(p->tok, w, p->tlen);
}

static struct cnode *node_new(struct cparse *p, enum cnode_kind kind, size_t nkids)
{
	struct cnode *n = arena_alloc(p->a, sizeof(*n));

	if (!n || (nkids && !(n->kids = arena_alloc(p->a, nkids * sizeof(*n->kids))))) {
		fail(p, "out of memory");
		return NULL;
	}
	n->kind = kind;
	n->n = nkids;
	return n;
}

/* Glob match of an identifier pattern (only * and ?) against a name. */
static int pattern_match(const char *pat, size_t plen, const char *name)
{
	size_t pi = 0, ni = 0, star = (size_t)-1, mark = 0, nlen = strlen(name);

	while (ni < nlen) {
		if (pi < plen && (pat[pi] == '?' || pat[pi] == name[ni])) {
			pi++;
			ni++;
		} else if (pi < plen && pat[pi] == '*') {
			star = pi++;
			mark = ni;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			ni = ++mark;
		} else {
			return 0;
		}
	}
	while (pi < plen && pat[pi] == '*')
		pi++;
	return pi == plen;
}

static struct cnode *parse_or(struct cparse *p);

/* After a '|': the old aggregations (count, sum, min, max, avg) or near. */
static void pipe_fail(struct cparse *p)
{
	const char *t = p->tok + 1;

	while (isspace((unsigned char)*t))
		t++;
	if (!strncasecmp(t, "near", 4) && !word_char(t[4]))
		fail(p, "deprecated 'near' operator");
	else
		fail(p, "deprecated aggregation '%.60s'", p->tok);
}

static struct cnode *parse_quant(struct cparse *p, size_t need, int all)
{
	size_t cnt = 0, k = 0;
	struct cnode *n;
	int them;

	next(p); /* past N or all */
	if (!is_word(p, "of")) {
		fail(p, "condition: expected 'of' at offset %zu", (size_t)(p->tok - p->s));
		return NULL;
	}
	next(p);
	if (p->kind != K_WORD) {
		fail(p, "condition: expected a pattern or 'them' after 'of'");
		return NULL;
	}
	them = is_word(p, "them");
	for (size_t i = 0; i < p->nsels; i++)
		if (them ? p->sels[i].name[0] != '_' : pattern_match(p->tok, p->tlen, p->sels[i].name))
			cnt++;
	if (!cnt) {
		fail(p, "unknown identifier '%.*s'", (int)p->tlen, p->tok);
		return NULL;
	}
	n = node_new(p, C_NOF, cnt);
	if (!n)
		return NULL;
	for (size_t i = 0; i < p->nsels; i++) {
		if (!(them ? p->sels[i].name[0] != '_'
			   : pattern_match(p->tok, p->tlen, p->sels[i].name)))
			continue;
		n->kids[k] = node_new(p, C_SEL, 0);
		if (!n->kids[k])
			return NULL;
		n->kids[k++]->sel = (int)i;
	}
	n->need = all ? cnt : need;
	next(p);
	return n;
}

static struct cnode *parse_unary(struct cparse *p)
{
	struct cnode *n;

	if (p->failed)
		return NULL;
	if (++p->depth > COND_MAX_DEPTH) {
		fail(p, "condition: nested too deeply");
		return NULL;
	}
	if (p->kind == K_LP) {
		next(p);
		n = parse_or(p);
		if (n && p->kind != K_RP)
			fail(p, "condition: missing ')'");
		next(p);
	} else if (is_word(p, "not")) {
		struct cnode *kid;

		next(p);
		kid = parse_unary(p);
		n = kid ? node_new(p, C_NOT, 1) : NULL;
		if (n)
			n->kids[0] = kid;
	} else if (is_word(p, "all")) {
		n = parse_quant(p, 0, 1);
	} else if (p->kind == K_WORD && isdigit((unsigned char)p->tok[0])) {
		char num[24];
		char *end;
		unsigned long v;

		snprintf(num, sizeof(num), "%.*s", (int)(p->tlen < 23 ? p->tlen : 23), p->tok);
		v = strtoul(num, &end, 10);
		if (*end || v == 0 || p->tlen > 9) {
			fail(p, "condition: bad count '%.*s'", (int)p->tlen, p->tok);
			return NULL;
		}
		n = parse_quant(p, v, 0);
	} else if (p->kind == K_WORD) {
		size_t i;

		if (is_word(p, "near")) {
			fail(p, "deprecated 'near' operator");
			return NULL;
		}
		if (is_word(p, "and") || is_word(p, "or") || is_word(p, "of") || is_word(p, "them")) {
			fail(p, "condition: unexpected '%.*s'", (int)p->tlen, p->tok);
			return NULL;
		}
		for (i = 0; i < p->nsels; i++)
			if (strlen(p->sels[i].name) == p->tlen &&
			    !strncmp(p->sels[i].name, p->tok, p->tlen))
				break;
		if (i == p->nsels && p->s[p->pos] == '(' &&
		    (is_word(p, "count") || is_word(p, "sum") || is_word(p, "min") ||
		     is_word(p, "max") || is_word(p, "avg"))) {
			fail(p, "deprecated aggregation '%.60s'", p->tok);
			return NULL;
		}
		if (i == p->nsels) {
			fail(p, "unknown identifier '%.*s'", (int)p->tlen, p->tok);
			return NULL;
		}
		n = node_new(p, C_SEL, 0);
		if (n)
			n->sel = (int)i;
		next(p);
	} else if (p->kind == K_PIPE) {
		pipe_fail(p);
		return NULL;
	} else if (p->kind == K_END) {
		fail(p, "condition: unexpected end");
		return NULL;
	} else {
		fail(p, "condition: unexpected '%.*s'", (int)p->tlen, p->tok);
		return NULL;
	}
	p->depth--;
	return p->failed ? NULL : n;
}

/* A chain of `op`-joined operands, flattened into one node. */
static struct cnode *parse_chain(struct cparse *p, const char *op, enum cnode_kind kind,
				 struct cnode *(*operand)(struct cparse *))
{
	struct cnode *first = operand(p), *n, *kid, **kids;
	size_t cnt = 1, cap = 4;

	if (!first || !is_word(p, op))
		return first;
	kids = malloc(cap * sizeof(*kids));
	if (!kids) {
		fail(p, "out of memory");
		return NULL;
	}
	kids[0] = first;
	while (is_word(p, op)) {
		next(p);
		kid = operand(p);
		if (!kid) {
			free(kids);
			return NULL;
		}
		if (cnt == cap) {
			struct cnode **k = realloc(kids, 2 * cap * sizeof(*k));
			if (!k) {
				free(kids);
				fail(p, "out of memory");
				return NULL;
			}
			kids = k;
			cap *= 2;
		}
		kids[cnt++] = kid;
	}
	n = node_new(p, kind, cnt);
	if (n)
		memcpy(n->kids, kids, cnt * sizeof(*kids));
	free(kids);
	return n;
}

static struct cnode *parse_and(struct cparse *p)
{
	return parse_chain(p, "and", C_AND, parse_unary);
}

static struct cnode *parse_or(struct cparse *p)
{
	return parse_chain(p, "or", C_OR, parse_and);
}

int sigma_cond_parse(struct arena *a, const char *text, const struct ssel *sels, size_t nsels,
		     struct cnode **out, char *reason, size_t rsize)
{
	struct cparse p;
	struct cnode *n;

	memset(&p, 0, sizeof(p));
	p.a = a;
	p.s = text;
	p.sels = sels;
	p.nsels = nsels;
	p.reason = reason;
	p.rsize = rsize;
	*out = NULL;
	next(&p);
	n = parse_or(&p);
	if (!p.failed && p.kind == K_PIPE)
		pipe_fail(&p);
	else if (!p.failed && p.kind != K_END)
		fail(&p, "condition: unexpected '%.*s' at offset %zu", (int)(p.tlen ? p.tlen : 1),
		     p.tok, (size_t)(p.tok - p.s));
	if (p.failed || !n)
		return -1;
	*out = n;
	return 0;
}
