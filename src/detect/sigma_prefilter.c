/*
 * sigma_prefilter.c: the literal prefilter (issue 6, "compiling for speed").
 * From each rule's condition, a set of literals one of which must occur in
 * an event's field values for the rule to be able to match; per plan, a
 * Hyperscan database of the literals of named fields, scanned over the
 * folded values of those fields only, and one of keywords' literals,
 * scanned over every value (few rules have keywords; scanning every value
 * for all literals cost twice as much, as half an event's bytes are
 * usually a Message no rule names). Only the rules whose literal occurred,
 * and those with no literal, are evaluated in full.
 *
 * The sets are conservative: a rule is never skipped when it could match.
 * `and` needs one child's set (the most selective is taken), `or` needs every
 * child to have one (their union), `not`, `neq`, regular expressions,
 * numbers and the like give none, and a rule with none is always evaluated.
 * Literals are compared folded, as the matcher compares them: the event text
 * is folded once, and so is every literal (a `cased` one too: if it occurs
 * in a value, its folding occurs in the value's folding), so the prefilter
 * keeps a superset of what the full evaluation accepts.
 */
#include "detect/sigma_int.h"

#include "detect/event.h"
#include "util/err.h"

#include <hs.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct pf_lit {
	const char *s;      /* folded; in the rule set's arena */
	size_t len;
	const char *field;  /* the field it must occur in; NULL: any (keywords) */
	size_t flen;
	uint32_t fhash;
};

/* A set of literals, one of which must occur; none: no such set. */
struct pf_req {
	struct pf_lit *v;
	size_t n, cap;
	int none;
};

struct sigma_prefilter {
	struct pf_req *reqs;    /* by rule index */
	size_t nreqs;
};

static void req_release(struct pf_req *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

static int req_add(struct pf_req *r, struct pf_lit l)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;
		struct pf_lit *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return ERR_NOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = l;
	return 0;
}

/* dst |= src: both are needed alternatives of an `or`. */
static int req_union(struct pf_req *dst, const struct pf_req *src)
{
	if (src->none)
		dst->none = 1;
	if (dst->none) {
		req_release(dst);
		return 0;
	}
	for (size_t i = 0; i < src->n; i++)
		if (req_add(dst, src->v[i]))
			return ERR_NOMEM;
	return 0;
}

/* How little a literal narrows: short ones occur almost everywhere. */
static double lit_cost(size_t len)
{
	return len >= 8 ? 1 : len >= 5 ? 2 : len >= 3 ? 8 : len == 2 ? 32 : 128;
}

static double req_cost(const struct pf_req *r)
{
	double c = 0;

	if (r->none)
		return INFINITY;
	for (size_t i = 0; i < r->n; i++)
		c += lit_cost(r->v[i].len);
	return c;
}

/* Make dst the cheaper of dst and src, taking src's storage (src is emptied). */
static void req_take_cheaper(struct pf_req *dst, int *have, struct pf_req *src)
{
	if (!*have || req_cost(src) < req_cost(dst)) {
		req_release(dst);
		*dst = *src;
		*have = 1;
	} else {
		req_release(src);
	}
	memset(src, 0, sizeof(*src));
}

/* The literal one value needs (its longest literal token): 0, 1 when none, or ERR_NOMEM. */
static int value_lit(struct arena *a, const struct sval *v, struct pf_lit *out)
{
	const char *s = NULL;
	size_t n = 0;

	switch (v->op) {
	case V_EQ:
	case V_CONTAINS:
	case V_STARTS:
	case V_ENDS:
		s = v->pat;
		n = v->plen;
		break;
	case V_GLOB:
		for (size_t i = 0; i < v->ntoks; i++)
			if (v->toks[i].kind == T_LIT && v->toks[i].len > n) {
				s = v->toks[i].s;
				n = v->toks[i].len;
			}
		break;
	default:
		return 1;
	}
	if (!n)
		return 1;
	if (v->cased) {
		char *f = arena_alloc(a, n + 1);
		if (!f)
			return ERR_NOMEM;
		sigma_fold_into(s, n, f);
		s = f;
	}
	out->s = s;
	out->len = n;
	out->field = NULL;
	return 0;
}

static int req_item(struct arena *a, const struct sitem *it, struct pf_req *r)
{
	struct pf_lit l, best = { NULL, 0, NULL, 0, 0 };
	int rc;

	if (it->neq) {
		r->none = 1;
		return 0;
	}
	if (it->all) {
		/* Every value must match: any one literal will do, the longest. */
		for (size_t i = 0; i < it->nvals; i++) {
			rc = value_lit(a, &it->vals[i], &l);
			if (rc == ERR_NOMEM)
				return rc;
			if (!rc && l.len > best.len)
				best = l;
		}
		if (!best.len) {
			r->none = 1;
			return 0;
		}
		best.field = it->field;
		best.flen = it->flen;
		best.fhash = it->hash;
		return req_add(r, best);
	}
	for (size_t i = 0; i < it->nvals; i++) {
		rc = value_lit(a, &it->vals[i], &l);
		if (rc == ERR_NOMEM)
			return rc;
		if (rc) {
			r->none = 1;
			req_release(r);
			return 0;
		}
		l.field = it->field;
		l.flen = it->flen;
		l.fhash = it->hash;
		if (req_add(r, l))
			return ERR_NOMEM;
	}
	return 0;
}

static int req_sel(struct arena *a, const struct ssel *sel, struct pf_req *r)
{
	for (size_t g = 0; g < sel->ngroups && !r->none; g++) {
		const struct sgroup *gr = &sel->groups[g];
		struct pf_req best = { 0 };
		int have = 0;

		for (size_t i = 0; i < gr->nitems; i++) {
			struct pf_req t = { 0 };
			if (req_item(a, &gr->items[i], &t)) {
				req_release(&t);
				req_release(&best);
				return ERR_NOMEM;
			}
			req_take_cheaper(&best, &have, &t);
		}
		if (!have)
			best.none = 1;
		if (req_union(r, &best)) {
			req_release(&best);
			return ERR_NOMEM;
		}
		req_release(&best);
	}
	return 0;
}

static int req_cond(struct arena *a, const struct sdetect *d, const struct cnode *c,
		    struct pf_req *r)
{
	int all = c->kind == C_AND || (c->kind == C_NOF && c->need >= c->n && c->n);

	switch (c->kind) {
	case C_SEL:
		return req_sel(a, &d->sels[c->sel], r);
	case C_NOT:
		r->none = 1;
		return 0;
	case C_AND:
	case C_OR:
	case C_NOF:
		if (c->kind == C_NOF && c->need == 0) {
			r->none = 1;
			return 0;
		}
		if (all) {
			struct pf_req best = { 0 };
			int have = 0;

			for (size_t i = 0; i < c->n; i++) {
				struct pf_req t = { 0 };
				if (req_cond(a, d, c->kids[i], &t)) {
					req_release(&t);
					req_release(&best);
					return ERR_NOMEM;
				}
				req_take_cheaper(&best, &have, &t);
			}
			*r = best;
			if (!have)
				r->none = 1;
			return 0;
		}
		/* `or`, or N of M with N < M: at least one child holds. */
		for (size_t i = 0; i < c->n && !r->none; i++) {
			struct pf_req t = { 0 };
			int rc = req_cond(a, d, c->kids[i], &t);
			if (!rc)
				rc = req_union(r, &t);
			req_release(&t);
			if (rc)
				return rc;
		}
		return 0;
	}
	r->none = 1;
	return 0;
}

int sigma_prefilter_new(struct sigma_ruleset *rs, struct sigma_prefilter **out)
{
	struct sigma_prefilter *pf = calloc(1, sizeof(*pf));

	*out = NULL;
	if (!pf || !(pf->reqs = calloc(rs->nrules + 1, sizeof(*pf->reqs)))) {
		free(pf);
		return ERR_NOMEM;
	}
	pf->nreqs = rs->nrules;
	for (struct sigma_rule *r = rs->first; r; r = r->next) {
		struct pf_req *q = &pf->reqs[r->index];

		if (r->kind != RK_DETECT || !r->det.cond) {
			q->none = 1;
			continue;
		}
		if (req_cond(&rs->arena, &r->det, r->det.cond, q) || rs->arena.failed) {
			sigma_prefilter_free(pf);
			return ERR_NOMEM;
		}
		if (!q->none && q->n == 0)
			q->none = 1;   /* cannot happen, but an empty set would never hold */

	}
	*out = pf;
	return 0;
}

void sigma_prefilter_free(struct sigma_prefilter *pf)
{
	if (!pf)
		return;
	for (size_t i = 0; i < pf->nreqs; i++)
		req_release(&pf->reqs[i]);
	free(pf->reqs);
	free(pf);
}

/* Interning a plan's literals: an open-addressing table over their bytes. */
struct lit_slot {
	const char *s;
	size_t len;
	uint32_t id;
};

static uint32_t lit_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

struct pair {
	uint32_t lit, ent;
};

static void plan_field(struct sigma_plan *p, uint32_t hash)
{
	p->fieldbits[(hash >> 6) & 63] |= (uint64_t)1 << (hash & 63);
}

/*
 * One database of the plan's literals of one kind: those of named fields
 * (scanned over those fields' values only), or the keywords' (scanned over
 * every value; few rules have them).
 */
static int plan_db(struct sigma_plan *p, struct plan_db *d, const struct sigma_prefilter *pf,
		   int keywords, struct err *e)
{
	struct lit_slot *tab = NULL;
	struct pair *pairs = NULL;
	const char **exprs = NULL;
	size_t *lens = NULL;
	unsigned *flags = NULL, *ids = NULL;
	size_t npairs = 0, nrefs = 0, mask, nlit = 0;
	hs_compile_error_t *cerr = NULL;
	hs_database_t *db = NULL;
	int rc = ERR_NOMEM;

	for (size_t i = 0; i < p->nent; i++) {
		const struct pf_req *q = &pf->reqs[p->ent[i].rule->index];
		if (!q->none)
			nrefs += q->n;
	}
	for (mask = 16; mask < 2 * nrefs + 16; mask *= 2)
		;
	tab = calloc(mask, sizeof(*tab));
	mask--;
	pairs = calloc(nrefs + 1, sizeof(*pairs));
	exprs = calloc(nrefs + 1, sizeof(*exprs));
	lens = calloc(nrefs + 1, sizeof(*lens));
	if (!tab || !pairs || !exprs || !lens)
		goto out;
	for (size_t i = 0; i < p->nent; i++) {
		const struct pf_req *q = &pf->reqs[p->ent[i].rule->index];
		const struct ls_alt *alt = p->ent[i].alt;

		for (size_t k = 0; !q->none && k < q->n; k++) {
			const struct pf_lit *l = &q->v[k];
			size_t h = lit_hash(l->s, l->len) & mask;

			if (!l->field != !!keywords)
				continue;
			/* The fields to scan: the literal's, and what the route renames it to. */
			if (l->field)
				plan_field(p, l->fhash);
			for (size_t z = 0; l->field && alt && z < alt->nrenames; z++)
				if (alt->renames[z].from_hash == l->fhash &&
				    alt->renames[z].from_len == l->flen &&
				    !memcmp(alt->renames[z].from, l->field, l->flen))
					plan_field(p, alt->renames[z].to_hash);
			while (tab[h].s && !(tab[h].len == l->len && !memcmp(tab[h].s, l->s, l->len)))
				h = (h + 1) & mask;
			if (!tab[h].s) {
				tab[h].s = l->s;
				tab[h].len = l->len;
				tab[h].id = (uint32_t)nlit;
				exprs[nlit] = l->s;
				lens[nlit] = l->len;
				nlit++;
			}
			pairs[npairs].lit = tab[h].id;
			pairs[npairs++].ent = (uint32_t)i;
		}
	}
	/* Literal -> entries, as offsets into one array (counting sort by literal). */
	d->lit_off = calloc(nlit + 2, sizeof(*d->lit_off));
	d->lit_ent = calloc(npairs + 1, sizeof(*d->lit_ent));
	if (!d->lit_off || !d->lit_ent)
		goto out;
	for (size_t i = 0; i < npairs; i++)
		d->lit_off[pairs[i].lit + 2]++;
	for (size_t i = 2; i < nlit + 2; i++)
		d->lit_off[i] += d->lit_off[i - 1];
	for (size_t i = 0; i < npairs; i++)
		d->lit_ent[d->lit_off[pairs[i].lit + 1]++] = pairs[i].ent;
	d->nlit = nlit;
	rc = 0;
	if (!nlit)
		goto out;
	flags = calloc(nlit, sizeof(*flags));
	ids = calloc(nlit, sizeof(*ids));
	if (!flags || !ids) {
		rc = ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < nlit; i++) {
		flags[i] = HS_FLAG_SINGLEMATCH;
		ids[i] = (unsigned)i;
	}
	if (hs_compile_lit_multi(exprs, flags, ids, lens, (unsigned)nlit, HS_MODE_BLOCK, NULL, &db,
				 &cerr) != HS_SUCCESS) {
		rc = err_set(e, ERR_INTERNAL, "prefilter: hyperscan: %s",
			     cerr && cerr->message ? cerr->message : "compile failed");
		hs_free_compile_error(cerr);
		goto out;
	}
	d->db = db;
out:
	if (rc == ERR_NOMEM)
		err_set(e, ERR_NOMEM, "out of memory");
	free(tab);
	free(pairs);
	free(exprs);
	free(lens);
	free(flags);
	free(ids);
	return rc;
}

int sigma_plan_compile(struct sigma_plan *p, const struct sigma_prefilter *pf, struct err *e)
{
	int rc;

	p->always = calloc(p->nent + 1, sizeof(*p->always));
	if (!p->always)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < p->nent; i++)
		if (pf->reqs[p->ent[i].rule->index].none)
			p->always[p->nalways++] = (uint32_t)i;
	if ((rc = plan_db(p, &p->fields, pf, 0, e)) != 0)
		return rc;
	return plan_db(p, &p->keywords, pf, 1, e);
}

static void plan_db_release(struct plan_db *d)
{
	hs_free_database(d->db);
	free(d->lit_off);
	free(d->lit_ent);
}

void sigma_plan_release(struct sigma_plan *p)
{
	plan_db_release(&p->fields);
	plan_db_release(&p->keywords);
	free(p->ent);
	free(p->always);
	memset(p, 0, sizeof(*p));
}

int sigma_plan_scratch(const struct sigma_plan *p, void **hs)
{
	hs_scratch_t *x = *hs;

	if ((p->fields.db && hs_alloc_scratch(p->fields.db, &x) != HS_SUCCESS) ||
	    (p->keywords.db && hs_alloc_scratch(p->keywords.db, &x) != HS_SUCCESS)) {
		*hs = x;
		return ERR_NOMEM;
	}
	*hs = x;
	return 0;
}

void sigma_plan_scratch_free(void *hs)
{
	hs_free_scratch(hs);
}

struct scan_ctx {
	const struct plan_db *d;
	struct sigma_scratch *s;
	uint32_t *mark, *cand;
	size_t ncand;
};

static int on_literal(unsigned int id, unsigned long long from, unsigned long long to,
		      unsigned int fl, void *ctx)
{
	struct scan_ctx *c = ctx;
	const struct plan_db *d = c->d;
	uint32_t gen = c->s->gen;

	(void)from;
	(void)to;
	(void)fl;
	for (uint32_t k = d->lit_off[id]; k < d->lit_off[id + 1]; k++) {
		uint32_t ent = d->lit_ent[k];
		if (c->mark[ent] != gen) {
			c->mark[ent] = gen;
			c->cand[c->ncand++] = ent;
		}
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int sigma_plan_candidates(const struct sigma_plan *p, struct sigma_scratch *s, int slot,
			  const uint32_t **out, size_t *n)
{
	struct scan_ctx c = { &p->fields, s, s->entmark[slot], s->cand[slot], 0 };
	uint32_t *order = s->order[slot];
	size_t i = 0, j = 0, k = 0;

	if (p->fields.db) {
		const struct event *ev = s->ev;
		char *o = s->scan;

		/* The folded values of the fields the plan's literals are in. */
		for (size_t f = 0; f < ev->n; f++) {
			uint32_t h = ev->fields[f].hash;
			size_t vl = ev->fields[f].value_len;

			if (!vl || !(p->fieldbits[(h >> 6) & 63] >> (h & 63) & 1))
				continue;
			memcpy(o, s->text + s->foff[f], vl + 1);
			o += vl + 1;
		}
		if (o > s->scan && hs_scan(p->fields.db, s->scan, (unsigned)(o - s->scan), 0, s->hs,
					   on_literal, &c) != HS_SUCCESS)
			return ERR_INTERNAL;
	}
	if (p->keywords.db && s->text_len) {
		c.d = &p->keywords;
		if (hs_scan(p->keywords.db, s->text, (unsigned)s->text_len, 0, s->hs, on_literal,
			    &c) != HS_SUCCESS)
			return ERR_INTERNAL;
	}
	if (!c.ncand) {
		*out = p->always;
		*n = p->nalways;
		return 0;
	}
	if (c.ncand < 16) {
		for (size_t a = 1; a < c.ncand; a++) {
			uint32_t v = c.cand[a];
			size_t b = a;
			for (; b > 0 && c.cand[b - 1] > v; b--)
				c.cand[b] = c.cand[b - 1];
			c.cand[b] = v;
		}
	} else {
		qsort(c.cand, c.ncand, sizeof(*c.cand), cmp_u32);
	}
	while (i < c.ncand || j < p->nalways) {
		if (j == p->nalways || (i < c.ncand && c.cand[i] < p->always[j]))
			order[k++] = c.cand[i++];
		else
			order[k++] = p->always[j++];
	}
	*out = order;
	*n = k;
	return 0;
}
