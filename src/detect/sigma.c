/*
 * sigma.c: the rule set: loading files and folders (multi-document files,
 * action: global/reset/repeat collections), compiling (filters attached to
 * their rules, rules routed by log source into buckets keyed by event log
 * channel and event id, each bucket a plan with its literal prefilter), and
 * matching an event against the rules whose route applies to it and whose
 * literals it holds; and correlation rules over the stream of matches
 * (windows per correlation and group-by values, in a caller's state).
 */
#include "detect/sigma.h"

#include "detect/event.h"
#include "detect/sigma_int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/time.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define SIGMA_FILE_MAX (16u << 20)

/* route buckets: (channel, event id) -> rules with the alternative that applies */

struct route_bucket {
	const char *channel;   /* NULL: empty slot */
	long eid;              /* -1: any */
	struct rent *v;
	size_t n, cap;
	struct sigma_plan plan;  /* v, with the channel-wide bucket's rules for an event id */
};

static uint32_t bucket_hash(const char *ch, size_t len, long eid)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)ch[i]) * 16777619u;
	return (h ^ (uint32_t)eid) * 16777619u;
}

static struct route_bucket *bucket_find(const struct sigma_ruleset *rs, const char *ch, size_t len,
					long eid)
{
	size_t mask = rs->nbuckets - 1, i;

	if (!rs->nbuckets)
		return NULL;
	for (i = bucket_hash(ch, len, eid) & mask;; i = (i + 1) & mask) {
		struct route_bucket *b = &rs->buckets[i];
		if (!b->channel)
			return b;
		if (b->eid == eid && strlen(b->channel) == len && !memcmp(b->channel, ch, len))
			return b;
	}
}

static int bucket_add(struct sigma_ruleset *rs, const char *ch, long eid, struct sigma_rule *r,
		      const struct ls_alt *alt)
{
	struct route_bucket *b = bucket_find(rs, ch, strlen(ch), eid);

	if (!b->channel) {
		b->channel = ch;
		b->eid = eid;
	}
	if (b->n && b->v[b->n - 1].rule == r)
		return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct rent *v = realloc(b->v, cap * sizeof(*v));
		if (!v)
			return ERR_NOMEM;
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n].rule = r;
	b->v[b->n++].alt = alt;
	return 0;
}

/* rule set */

int sigma_ruleset_new(struct sigma_ruleset **out, struct err *e)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}

static void drop_compiled(struct sigma_ruleset *rs)
{
	for (size_t i = 0; i < rs->nbuckets; i++) {
		free(rs->buckets[i].v);
		sigma_plan_release(&rs->buckets[i].plan);
	}
	sigma_plan_release(&rs->plan_any);
	sigma_plan_release(&rs->plan_win);
	rs->max_plan = 0;
	free(rs->buckets);
	rs->buckets = NULL;
	rs->nbuckets = 0;
	free(rs->all_rules);
	free(rs->global);
	free(rs->global_win);
	rs->all_rules = rs->global = rs->global_win = NULL;
	rs->nall = rs->nglobal = rs->nglobal_win = 0;
	for (struct sigma_rule *r = rs->first; r; r = r->next) {
		free(r->filters);
		r->filters = NULL;
		r->nfilters = 0;
	}	sigma_corr_unresolve(rs);
}

void sigma_ruleset_free(struct sigma_ruleset *rs)
{
	if (!rs)
		return;
	drop_compiled(rs);
	for (size_t i = 0; i < rs->nregex; i++)
		pcre2_code_free(rs->regexes[i]);
	free(rs->regexes);
	logsource_free(rs->ls);
	arena_free(&rs->arena);
	free(rs);
}

int sigma_ruleset_placeholder(struct sigma_ruleset *rs, const char *name,
			      const char *const *values, size_t n, struct err *e)
{
	struct placeholder *p = arena_alloc(&rs->arena, sizeof(*p));

	if (!p || !(p->name = arena_strndup(&rs->arena, name, strlen(name))) ||
	    !(p->values = arena_alloc(&rs->arena, (n ? n : 1) * sizeof(char *))))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!(p->values[i] = arena_strndup(&rs->arena, values[i], strlen(values[i]))))
			return err_set(e, ERR_NOMEM, "out of memory");
	p->n = n;
	p->next = rs->placeholders;
	rs->placeholders = p;
	return 0;
}

int sigma_ruleset_logsource(struct sigma_ruleset *rs, const char *path, struct err *e)
{
	struct buf b = BUF_INIT;
	struct logsource *ls;
	int rc;

	b.max = SIGMA_FILE_MAX;
	rc = fs_read_file(path, &b, e);
	if (!rc)
		rc = logsource_parse(path, b.data, b.len, &ls, e);
	buf_release(&b);
	if (rc)
		return rc;
	logsource_free(rs->ls);
	rs->ls = ls;
	return 0;
}

size_t sigma_ruleset_loaded(const struct sigma_ruleset *rs)
{
	return rs->nloaded;
}

size_t sigma_ruleset_rejected(const struct sigma_ruleset *rs)
{
	return rs->nrejected;
}

/* loading */

struct load {
	struct sigma_ruleset *rs;
	struct arena tree;          /* the YAML trees of the file */
	const char *path;
	sigma_report_fn report;
	void *ctx;
	struct ynode *global, *prev;
	int docs;
	int rc;
};

/* A new map: a's pairs with b's laid over them (maps merged key by key). */
static struct ynode *merge(struct arena *a, const struct ynode *x, const struct ynode *y)
{
	struct ynode *m;

	if (!x || x->kind != Y_MAP || y->kind != Y_MAP)
		return (struct ynode *)y;
	m = arena_alloc(a, sizeof(*m));
	if (!m || !(m->kids = arena_alloc(a, 2 * (x->n + y->n + 1) * sizeof(*m->kids))))
		return NULL;
	m->kind = Y_MAP;
	m->line = x->line;
	memcpy(m->kids, x->kids, 2 * x->n * sizeof(*m->kids));
	m->n = x->n;
	for (size_t j = 0; j < y->n; j++) {
		const struct ynode *k = y->kids[2 * j], *v = y->kids[2 * j + 1];
		size_t i;

		for (i = 0; i < m->n; i++)
			if (k->kind == Y_SCALAR && m->kids[2 * i]->kind == Y_SCALAR &&
			    !strcmp(m->kids[2 * i]->s, k->s))
				break;
		if (i < m->n) {
			struct ynode *mv = merge(a, m->kids[2 * i + 1], v);
			if (!mv)
				return NULL;
			m->kids[2 * i + 1] = mv;
		} else {
			m->kids[2 * m->n] = (struct ynode *)k;
			m->kids[2 * m->n + 1] = (struct ynode *)v;
			m->n++;
		}
	}
	return m;
}

/* The document without its `action` key. */
static struct ynode *without_action(struct arena *a, const struct ynode *d)
{
	struct ynode *m = arena_alloc(a, sizeof(*m));

	if (!m || !(m->kids = arena_alloc(a, (2 * d->n + 1) * sizeof(*m->kids))))
		return NULL;
	m->kind = Y_MAP;
	m->line = d->line;
	for (size_t i = 0; i < d->n; i++) {
		if (d->kids[2 * i]->kind == Y_SCALAR && !strcmp(d->kids[2 * i]->s, "action"))
			continue;
		m->kids[2 * m->n] = d->kids[2 * i];
		m->kids[2 * m->n + 1] = d->kids[2 * i + 1];
		m->n++;
	}
	return m;
}

static void report_one(struct load *l, const char *id, const char *title, int loaded,
		       const char *reason)
{
	if (l->report)
		l->report(l->ctx, l->path, id, title, loaded, reason);
}

static const char *scalar_or_dash(const struct ynode *n)
{
	return n && n->kind == Y_SCALAR && n->len ? n->s : "-";
}

static int load_doc(void *ctx, const struct ynode *doc)
{
	struct load *l = ctx;
	struct sigma_ruleset *rs = l->rs;
	const struct ynode *act = ynode_get(doc, "action");
	const char *action = act && act->kind == Y_SCALAR ? act->s : NULL;
	struct ynode *d;
	struct sigma_rule *r;
	char reason[300];
	int rc;

	l->docs++;
	if (doc->kind == Y_MAP && doc->n == 0)
		return 0;
	if (action && !strcmp(action, "global")) {
		l->global = without_action(&l->tree, doc);
		return l->global ? 0 : ERR_NOMEM;
	}
	if (action && !strcmp(action, "reset")) {
		l->global = NULL;
		return 0;
	}
	if (action && !strcmp(action, "repeat")) {
		d = without_action(&l->tree, doc);
		d = d && l->prev ? merge(&l->tree, l->prev, d) : d;
	} else if (action) {
		rs->nrejected++;
		snprintf(reason, sizeof(reason), "unknown action '%.40s'", action);
		report_one(l, scalar_or_dash(ynode_get(doc, "id")), NULL, 0, reason);
		return 0;
	} else {
		d = l->global ? merge(&l->tree, l->global, doc) : (struct ynode *)doc;
	}
	if (!d)
		return ERR_NOMEM;
	l->prev = d;
	rc = sigma_build_rule(rs, l->path, d, &r, reason, sizeof(reason));
	if (rc == ERR_NOMEM || !r || rs->arena.failed)
		return ERR_NOMEM;
	if (rc == 0) {
		r->index = rs->nrules++;
		if (rs->last)
			rs->last->next = r;
		else
			rs->first = r;
		rs->last = r;
		rs->nloaded++;
		rs->compiled = 0;
		report_one(l, r->id ? r->id : "-", r->title, 1, NULL);
	} else {
		rs->nrejected++;
		report_one(l, r->id ? r->id : "-", r->title, 0, reason);
	}
	return 0;
}

int sigma_load_text(struct sigma_ruleset *rs, const char *name, const char *yaml, size_t len,
		    sigma_report_fn report, void *ctx, struct err *e)
{
	struct load l;
	char ybuf[200];
	int rc;

	memset(&l, 0, sizeof(l));
	l.rs = rs;
	l.report = report;
	l.ctx = ctx;
	l.path = arena_strndup(&rs->arena, name, strlen(name));
	if (!l.path)
		return err_set(e, ERR_NOMEM, "out of memory");
	rc = yaml_parse_docs(&l.tree, yaml, len, load_doc, &l, ybuf, sizeof(ybuf));
	arena_free(&l.tree);
	if (rc == ERR_NOMEM)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (rc) {
		/* The documents before the error loaded; the file is one rejection more. */
		rs->nrejected++;
		report_one(&l, "-", NULL, 0, ybuf);
	} else if (l.docs == 0) {
		rs->nrejected++;
		report_one(&l, "-", NULL, 0, "no rule in file");
	}
	return 0;
}

static int has_yaml_ext(const char *name)
{
	size_t n = strlen(name);

	return (n > 4 && !strcmp(name + n - 4, ".yml")) || (n > 5 && !strcmp(name + n - 5, ".yaml"));
}

static int load_file(struct sigma_ruleset *rs, const char *path, sigma_report_fn report,
		     void *ctx, struct err *e)
{
	struct buf b = BUF_INIT;
	int rc;

	b.max = SIGMA_FILE_MAX;
	rc = fs_read_file(path, &b, e);
	if (!rc)
		rc = sigma_load_text(rs, path, b.data, b.len, report, ctx, e);
	buf_release(&b);
	return rc;
}

static int load_dir(struct sigma_ruleset *rs, const char *path, sigma_report_fn report,
		    void *ctx, int depth, struct err *e)
{
	struct dirent **list;
	int n, rc = 0;

	if (depth > 32)
		return 0;
	n = scandir(path, &list, NULL, alphasort);
	if (n < 0)
		return err_set(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "%s: %s", path,
			       strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		struct buf p = BUF_INIT;
		struct stat st;

		if (!rc && name[0] != '.') {
			buf_addf(&p, "%s/%s", path, name);
			if (buf_error(&p))
				rc = err_set(e, ERR_NOMEM, "out of memory");
			else if (stat(p.data, &st) == 0 && S_ISDIR(st.st_mode))
				rc = load_dir(rs, p.data, report, ctx, depth + 1, e);
			else if (has_yaml_ext(name) && S_ISREG(st.st_mode))
				rc = load_file(rs, p.data, report, ctx, e);
		}
		buf_release(&p);
		free(list[i]);
	}
	free(list);
	return rc;
}

int sigma_load_path(struct sigma_ruleset *rs, const char *path, sigma_report_fn report, void *ctx,
		    struct err *e)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return err_set(e, errno == ENOENT || errno == ENOTDIR ? ERR_NOTFOUND : ERR_IO,
			       "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return load_dir(rs, path, report, ctx, 0, e);
	return load_file(rs, path, report, ctx, e);
}

/* compiling */

static int names_rule(const struct sigma_rule *r, const char *ref)
{
	return (r->id && !strcmp(r->id, ref)) || (r->name && !strcmp(r->name, ref));
}

static int attach_filters(struct sigma_ruleset *rs)
{
	for (struct sigma_rule *f = rs->first; f; f = f->next) {
		if (f->kind != RK_FILTER)
			continue;
		for (struct sigma_rule *r = rs->first; r; r = r->next) {
			int applies = 0;
			struct sigma_rule **v;

			if (r->kind != RK_DETECT)
				continue;
			if (f->nfilter_rules) {
				for (size_t i = 0; i < f->nfilter_rules && !applies; i++)
					applies = names_rule(r, f->filter_rules[i]);
			} else {
				/* No list: every rule of the same log source. */
				applies = (!f->product || (r->product && !strcmp(f->product, r->product))) &&
					  (!f->category || (r->category && !strcmp(f->category, r->category))) &&
					  (!f->service || (r->service && !strcmp(f->service, r->service)));
			}
			if (!applies)
				continue;
			v = realloc(r->filters, (r->nfilters + 1) * sizeof(*v));
			if (!v)
				return ERR_NOMEM;
			v[r->nfilters++] = f;
			r->filters = v;
		}
	}
	return 0;
}

/* Entries ordered by load order; among one rule's, the order they were gathered in. */
struct gathered {
	struct rent r;
	size_t seq;
};

static int cmp_gathered(const void *a, const void *b)
{
	const struct gathered *x = a, *y = b;

	if (x->r.rule->index != y->r.rule->index)
		return x->r.rule->index < y->r.rule->index ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * A plan from up to two buckets or a list of unrouted rules: the entries
 * an event of that bucket is matched against, in load order (for one rule,
 * the channel-wide bucket's alternative before the event id's, the order
 * in which they were always tried), then its prefilter.
 */
static int plan_make(struct sigma_plan *p, const struct route_bucket *any,
		     const struct route_bucket *one, struct sigma_rule *const *gl, size_t ngl,
		     const struct sigma_prefilter *pf, size_t *max, struct err *e)
{
	size_t n = (any ? any->n : 0) + (one ? one->n : 0) + ngl, k = 0;
	struct gathered *g = calloc(n + 1, sizeof(*g));

	p->ent = calloc(n + 1, sizeof(*p->ent));
	if (!g || !p->ent) {
		free(g);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; any && i < any->n; i++, k++)
		g[k] = (struct gathered){ any->v[i], k };
	for (size_t i = 0; one && i < one->n; i++, k++)
		g[k] = (struct gathered){ one->v[i], k };
	for (size_t i = 0; i < ngl; i++, k++)
		g[k] = (struct gathered){ { gl[i], NULL }, k };
	qsort(g, n, sizeof(*g), cmp_gathered);
	for (size_t i = 0; i < n; i++)
		p->ent[i] = g[i].r;
	p->nent = n;
	free(g);
	if (n > *max)
		*max = n;
	return sigma_plan_compile(p, pf, e);
}

static int build_plans(struct sigma_ruleset *rs, struct err *e)
{
	struct sigma_prefilter *pf;
	int rc;

	if (sigma_prefilter_new(rs, &pf))
		return err_set(e, ERR_NOMEM, "out of memory");
	rc = plan_make(&rs->plan_any, NULL, NULL, rs->global, rs->nglobal, pf, &rs->max_plan, e);
	if (!rc)
		rc = plan_make(&rs->plan_win, NULL, NULL, rs->global_win, rs->nglobal_win, pf,
			       &rs->max_plan, e);
	for (size_t i = 0; i < rs->nbuckets && !rc; i++) {
		struct route_bucket *b = &rs->buckets[i], *any = b, *one = NULL;

		if (!b->channel)
			continue;
		if (b->eid >= 0) {
			one = b;
			any = bucket_find(rs, b->channel, strlen(b->channel), -1);
			if (!any->channel)
				any = NULL;
		}
		rc = plan_make(&b->plan, any, one, NULL, 0, pf, &rs->max_plan, e);
	}
	sigma_prefilter_free(pf);
	return rc;
}

int sigma_ruleset_compile(struct sigma_ruleset *rs, struct err *e)
{
	size_t nent = 0;
	int rc;

	drop_compiled(rs);
	if (!rs->ls && (rc = logsource_builtin(&rs->ls, e)) != 0)
		return rc;
	if ((rc = attach_filters(rs)) != 0)
		goto oom;
	rs->all_rules = calloc(rs->nrules + 1, sizeof(*rs->all_rules));
	rs->global = calloc(rs->nrules + 1, sizeof(*rs->global));
	rs->global_win = calloc(rs->nrules + 1, sizeof(*rs->global_win));
	if (!rs->all_rules || !rs->global || !rs->global_win)
		goto oom;
	for (struct sigma_rule *r = rs->first; r; r = r->next) {
		if (r->kind != RK_DETECT)
			continue;
		rs->all_rules[rs->nall++] = r;
		r->route = logsource_route(rs->ls, r->product, r->category, r->service);
		if (!r->route) {
			rs->global[rs->nglobal++] = r;
			if (!r->product || !strcmp(r->product, "windows"))
				rs->global_win[rs->nglobal_win++] = r;
		} else
			for (size_t a = 0; a < r->route->nalts; a++)
				nent += r->route->alts[a].nch *
					(r->route->alts[a].neid ? r->route->alts[a].neid : 1);
	}
	for (rs->nbuckets = 16; rs->nbuckets < 2 * nent + 16; rs->nbuckets *= 2)
		;
	rs->buckets = calloc(rs->nbuckets, sizeof(*rs->buckets));
	if (!rs->buckets)
		goto oom;
	for (size_t i = 0; i < rs->nall; i++) {
		struct sigma_rule *r = rs->all_rules[i];

		if (!r->route)
			continue;
		for (size_t a = 0; a < r->route->nalts; a++) {
			const struct ls_alt *alt = &r->route->alts[a];
			for (size_t c = 0; c < alt->nch; c++) {
				if (!alt->neid && bucket_add(rs, alt->channels[c], -1, r, alt))
					goto oom;
				for (size_t k = 0; k < alt->neid; k++)
					if (bucket_add(rs, alt->channels[c], alt->eids[k], r, alt))
						goto oom;
			}
		}
	}
	if (sigma_corr_resolve(rs))
		goto oom;
	if ((rc = build_plans(rs, e)) != 0) {
		drop_compiled(rs);
		return rc;
	}
	rs->compile_gen++;
	rs->compiled = 1;
	return 0;
oom:
	drop_compiled(rs);
	return err_set(e, ERR_NOMEM, "out of memory");
}

/* matching */

int sigma_scratch_new(const struct sigma_ruleset *rs, struct sigma_scratch **out, struct err *e)
{
	struct sigma_scratch *s = calloc(1, sizeof(*s));

	(void)rs;
	if (!s || !(s->md = pcre2_match_data_create(1, NULL))) {
		free(s);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	*out = s;
	return 0;
}

void sigma_scratch_free(struct sigma_scratch *s)
{
	if (!s)
		return;
	pcre2_match_data_free(s->md);
	sigma_plan_scratch_free(s->hs);
	free(s->text);
	free(s->foff);
	free(s->fnext);
	free(s->ftab);
	for (int k = 0; k < 2; k++) {
		free(s->entmark[k]);
		free(s->cand[k]);
		free(s->order[k]);
	}
	free(s->scan);
	free(s);
}

/* Size s for rs's plans (once per compile of rs). */
static int scratch_for(struct sigma_scratch *s, const struct sigma_ruleset *rs)
{
	size_t n = rs->max_plan + 1;

	if (s->rs == rs && s->rs_gen == rs->compile_gen)
		return 0;
	if (n > s->ent_cap) {
		s->ent_cap = 0;
		for (int k = 0; k < 2; k++) {
			free(s->entmark[k]);
			free(s->cand[k]);
			free(s->order[k]);
			s->entmark[k] = calloc(n, sizeof(*s->entmark[k]));
			s->cand[k] = calloc(n, sizeof(*s->cand[k]));
			s->order[k] = calloc(n, sizeof(*s->order[k]));
			if (!s->entmark[k] || !s->cand[k] || !s->order[k])
				return ERR_NOMEM;
		}
		s->ent_cap = n;
	} else {
		for (int k = 0; k < 2; k++)
			memset(s->entmark[k], 0, s->ent_cap * sizeof(*s->entmark[k]));
	}
	if (sigma_plan_scratch(&rs->plan_any, &s->hs) || sigma_plan_scratch(&rs->plan_win, &s->hs))
		return ERR_NOMEM;
	for (size_t i = 0; i < rs->nbuckets; i++)
		if (rs->buckets[i].channel && sigma_plan_scratch(&rs->buckets[i].plan, &s->hs))
			return ERR_NOMEM;
	s->rs = rs;
	s->rs_gen = rs->compile_gen;
	return 0;
}

static int alt_conds_hold(struct sigma_scratch *s, const struct ls_alt *alt)
{
	for (size_t i = 0; i < alt->nconds; i++) {
		const struct ls_cond *c = &alt->conds[i];
		const struct event_field *f;
		size_t k;

		s->alt = NULL;
		f = sigma_field(s, c->field, c->flen, c->hash);
		s->alt = alt;
		if (!f)
			return 0;
		for (k = 0; k < c->n; k++)
			if (strlen(c->values[k]) == f->value_len &&
			    !strncasecmp(c->values[k], f->value, f->value_len))
				break;
		if (k == c->n)
			return 0;
	}
	return 1;
}

static int rule_matches(struct sigma_scratch *s, const struct sigma_rule *r,
			const struct ls_alt *alt)
{
	s->alt = alt;
	if (alt && !alt_conds_hold(s, alt))
		return 0;
	if (!sigma_eval_detect(s, &r->det))
		return 0;
	for (size_t i = 0; i < r->nfilters; i++)
		if (sigma_eval_detect(s, &r->filters[i]->det))
			return 0;
	return 1;
}

int sigma_rule_eval(const struct sigma_rule *r, struct sigma_scratch *s, const struct event *ev)
{
	if (sigma_scratch_prepare(s, ev))
		return ERR_NOMEM;
	return r->kind == RK_DETECT && rule_matches(s, r, NULL);
}

/*
 * The plans for the event in s: its route bucket's by its Channel and
 * EventID (NULL when none), and the unrouted rules'. An event with a
 * Channel comes from a Windows event log: of the unrouted rules, only those
 * for Windows (or no product) apply to it.
 */
static const struct sigma_plan *plans_of(const struct sigma_ruleset *rs, struct sigma_scratch *s,
					 const struct sigma_plan **global)
{
	static const char channel[] = "Channel", eventid[] = "EventID";
	const struct event_field *f;
	const struct route_bucket *b;
	char ch[256];
	size_t chlen;
	long eid = -2;

	f = sigma_field(s, channel, 7, event_name_hash(channel, 7));
	if (!f || f->value_len >= sizeof(ch)) {
		*global = &rs->plan_any;
		return NULL;
	}
	*global = &rs->plan_win;
	chlen = f->value_len;
	for (size_t i = 0; i < chlen; i++) {
		char c = f->value[i];
		ch[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	f = sigma_field(s, eventid, 7, event_name_hash(eventid, 7));
	if (f && f->value_len && f->value_len < 12) {
		char tmp[12], *end;
		memcpy(tmp, f->value, f->value_len);
		tmp[f->value_len] = '\0';
		eid = strtol(tmp, &end, 10);
		if (*end)
			eid = -2;
	}
	if (eid >= 0 && (b = bucket_find(rs, ch, chlen, eid)) && b->channel)
		return &b->plan;
	if ((b = bucket_find(rs, ch, chlen, -1)) && b->channel)
		return &b->plan;
	return NULL;
}

int sigma_match(const struct sigma_ruleset *rs, struct sigma_scratch *s, const struct event *ev,
		sigma_match_fn on_match, void *ctx)
{
	const struct sigma_plan *p, *g;
	const uint32_t *po = NULL, *go = NULL;
	size_t pn = 0, gn = 0, i = 0, j = 0, last = (size_t)-1;
	int rc;

	if (!rs->compiled)
		return ERR_INVALID;
	if (scratch_for(s, rs) || sigma_scratch_prepare(s, ev))
		return ERR_NOMEM;
	p = plans_of(rs, s, &g);
	if ((p && (rc = sigma_plan_candidates(p, s, 0, &po, &pn)) != 0) ||
	    (rc = sigma_plan_candidates(g, s, 1, &go, &gn)) != 0)
		return rc;
	/* Both in load order; a rule is routed or not, so never in both. */
	while (i < pn || j < gn) {
		const struct rent *en;

		if (j == gn || (i < pn && p->ent[po[i]].rule->index < g->ent[go[j]].rule->index))
			en = &p->ent[po[i++]];
		else
			en = &g->ent[go[j++]];
		if (en->rule->index == last)
			continue;
		if (rule_matches(s, en->rule, en->alt)) {
			last = en->rule->index;
			on_match(ctx, en->rule);
		}
	}
	return 0;
}

const char *sigma_rule_id(const struct sigma_rule *r)
{
	return r->id ? r->id : "";
}

const char *sigma_rule_title(const struct sigma_rule *r)
{
	return r->title ? r->title : "";
}

const char *sigma_rule_level(const struct sigma_rule *r)
{
	return r->level ? r->level : "medium";
}

const char *const *sigma_rule_tags(const struct sigma_rule *r)
{
	return r->tags;
}

/* correlations */

#define CORR_DEPTH_MAX 8          /* correlations of correlations, at most this deep */
#define CORR_ENTRIES_MAX 65536    /* matches (or values) one group keeps */
#define CORR_NONE INT64_MIN

int sigma_corr_resolve(struct sigma_ruleset *rs)
{
	size_t ord = 0;

	for (struct sigma_rule *c = rs->first; c; c = c->next) {
		struct scorr *k = c->corr;

		if (c->kind != RK_CORRELATION || !k)
			continue;
		k->ordinal = ord++;
		rs->ndeferred += k->deferred;
		k->refs = calloc(k->nrules + 1, sizeof(*k->refs));
		if (!k->refs)
			return ERR_NOMEM;
		for (size_t i = 0; i < k->nrules; i++) {
			struct sigma_rule *r = rs->first;
			struct corr_ref *v;

			while (r && (r == c || r->kind == RK_FILTER || !names_rule(r, k->rules[i])))
				r = r->next;
			if (!(k->refs[i] = r))
				continue;
			v = realloc(r->corr_refs, (r->ncorr_refs + 1) * sizeof(*v));
			if (!v)
				return ERR_NOMEM;
			v[r->ncorr_refs++] = (struct corr_ref){ c, i };
			r->corr_refs = v;
		}
	}
	rs->ncorr = ord;
	rs->corr_rules = calloc(ord + 1, sizeof(*rs->corr_rules));
	if (!rs->corr_rules)
		return ERR_NOMEM;
	for (struct sigma_rule *c = rs->first; c; c = c->next)
		if (c->kind == RK_CORRELATION && c->corr)
			rs->corr_rules[c->corr->ordinal] = c;
	/* Only the outermost correlation surfaces, unless one says generate. */
	for (struct sigma_rule *r = rs->first; r; r = r->next) {
		r->silent = r->ncorr_refs > 0;
		for (size_t i = 0; i < r->ncorr_refs; i++)
			if (r->corr_refs[i].corr->corr->generate)
				r->silent = 0;
	}
	return 0;
}

void sigma_corr_unresolve(struct sigma_ruleset *rs)
{
	for (struct sigma_rule *r = rs->first; r; r = r->next) {
		free(r->corr_refs);
		r->corr_refs = NULL;
		r->ncorr_refs = 0;
		r->silent = 0;
		if (r->corr) {
			free(r->corr->refs);
			r->corr->refs = NULL;
		}
	}
	rs->ncorr = 0;
	rs->ndeferred = 0;
	free(rs->corr_rules);
	rs->corr_rules = NULL;
}

int sigma_rule_generates(const struct sigma_rule *r)
{
	return !r->silent;
}

/* One match a group keeps: its time, and for value_* its value. */
struct centry {
	int64_t t;
	double num;
	char *val;
};

/* The state of one correlation for one combination of group-by values. */
struct cgroup {
	struct cgroup *next;             /* hash chain */
	struct cgroup *newer, *older;    /* the table's order of last use */
	uint64_t hash;
	char *key;                       /* the values, each ended by '\x1f' */
	int64_t last;                    /* the latest match's time */
	int64_t open;                    /* deferred: when its window opened (the first match) */
	struct centry *e;                /* event_count, value_*: matches in the window */
	size_t n, cap;
	int64_t *at;                     /* temporal: per position, the latest match's time;
					    temporal_ordered: the latest start of a chain */
	uint64_t *serial;                /* temporal_ordered: the feed that reached the position */
};

/* One correlation's groups. */
struct ctab {
	struct cgroup **b;
	size_t nb, n;
	struct cgroup *newest, *oldest;
	int64_t next_close;              /* deferred: no window of tb ends before this */
};

struct sigma_corr_state {
	struct ctab *tabs;
	size_t ntabs;
	size_t max_groups;
	uint64_t evicted, dropped, serial;
	struct buf key, text, closing;
};

int sigma_corr_state_new(size_t max_groups, struct sigma_corr_state **out, struct err *e)
{
	struct sigma_corr_state *st = calloc(1, sizeof(*st));

	*out = NULL;
	if (!st)
		return err_set(e, ERR_NOMEM, "out of memory");
	st->max_groups = max_groups ? max_groups : SIGMA_CORR_GROUPS_DEFAULT;
	buf_init(&st->key, 0);
	buf_init(&st->text, 0);
	buf_init(&st->closing, 0);
	*out = st;
	return 0;
}

static void group_reset(struct cgroup *g, size_t npos)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->e[i].val);
	g->n = 0;
	for (size_t i = 0; g->at && i < npos; i++) {
		g->at[i] = CORR_NONE;
		g->serial[i] = 0;
	}
}

static void group_free(struct cgroup *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->e[i].val);
	free(g->e);
	free(g->at);
	free(g->serial);
	free(g->key);
	free(g);
}

/* Take g out of tb (its chain and its order); the caller frees it. */
static void group_unlink(struct ctab *tb, struct cgroup *g)
{
	struct cgroup **pp = &tb->b[g->hash & (tb->nb - 1)];

	while (*pp != g)
		pp = &(*pp)->next;
	*pp = g->next;
	if (g->newer)
		g->newer->older = g->older;
	else
		tb->newest = g->older;
	if (g->older)
		g->older->newer = g->newer;
	else
		tb->oldest = g->newer;
	tb->n--;
}

static void group_remove(struct ctab *tb, struct cgroup *g)
{
	group_unlink(tb, g);
	group_free(g);
}

void sigma_corr_state_free(struct sigma_corr_state *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->ntabs; i++) {
		while (st->tabs[i].oldest)
			group_remove(&st->tabs[i], st->tabs[i].oldest);
		free(st->tabs[i].b);
	}
	free(st->tabs);
	buf_release(&st->key);
	buf_release(&st->text);
	buf_release(&st->closing);
	free(st);
}

void sigma_corr_stats(const struct sigma_corr_state *st, size_t *groups, uint64_t *evicted,
		      uint64_t *dropped)
{
	size_t n = 0;

	for (size_t i = 0; i < st->ntabs; i++)
		n += st->tabs[i].n;
	if (groups)
		*groups = n;
	if (evicted)
		*evicted = st->evicted;
	if (dropped)
		*dropped = st->dropped;
}

static uint64_t key_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* Make g the most recently used group of tb. */
static void group_touch(struct ctab *tb, struct cgroup *g)
{
	if (tb->newest == g)
		return;
	if (g->newer)
		g->newer->older = g->older;
	if (g->older)
		g->older->newer = g->newer;
	else if (tb->oldest == g)
		tb->oldest = g->newer;
	g->older = tb->newest;
	g->newer = NULL;
	if (tb->newest)
		tb->newest->newer = g;
	tb->newest = g;
	if (!tb->oldest)
		tb->oldest = g;
}

static int ctab_grow(struct ctab *tb)
{
	size_t nb = tb->nb ? tb->nb * 2 : 16;
	struct cgroup **b = calloc(nb, sizeof(*b));

	if (!b)
		return ERR_NOMEM;
	for (size_t i = 0; i < tb->nb; i++)
		for (struct cgroup *g = tb->b[i], *nx; g; g = nx) {
			nx = g->next;
			g->next = b[g->hash & (nb - 1)];
			b[g->hash & (nb - 1)] = g;
		}
	free(tb->b);
	tb->b = b;
	tb->nb = nb;
	return 0;
}

/*
 * The group of key in tb, made when new: groups whose latest match is older
 * than cutoff go first, and when tb is still full the least recently used
 * one is evicted (and counted). NULL when out of memory.
 */
static struct cgroup *group_get(struct sigma_corr_state *st, struct ctab *tb, const char *key,
				size_t klen, int64_t cutoff, size_t npos, int temporal)
{
	uint64_t h = key_hash(key, klen);
	struct cgroup *g;

	while (tb->oldest && tb->oldest->last < cutoff)
		group_remove(tb, tb->oldest);
	for (g = tb->nb ? tb->b[h & (tb->nb - 1)] : NULL; g; g = g->next)
		if (g->hash == h && !strcmp(g->key, key))
			return g;
	while (tb->n >= st->max_groups && tb->oldest) {
		group_remove(tb, tb->oldest);
		st->evicted++;
	}
	if (tb->n >= tb->nb && ctab_grow(tb))
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->hash = h;
	g->last = CORR_NONE;
	g->open = CORR_NONE;
	g->key = malloc(klen + 1);
	if (g->key)
		memcpy(g->key, key, klen + 1);
	if (temporal) {
		g->at = malloc(npos * sizeof(*g->at));
		g->serial = calloc(npos, sizeof(*g->serial));
	}
	if (!g->key || (temporal && (!g->at || !g->serial))) {
		group_free(g);
		return NULL;
	}
	group_reset(g, temporal ? npos : 0);
	g->next = tb->b[h & (tb->nb - 1)];
	tb->b[h & (tb->nb - 1)] = g;
	tb->n++;
	group_touch(tb, g);
	return g;
}

/*
 * The field that name (a group-by entry or the condition's field) means in
 * events of rule r: the alias's field for r when name is an alias, else
 * name itself.
 */
static const char *corr_field(const struct scorr *k, const char *name, const struct sigma_rule *r)
{
	for (size_t i = 0; i < k->naliases; i++) {
		const struct salias *a = &k->aliases[i];

		if (strcmp(a->name, name))
			continue;
		for (size_t j = 0; j < a->n; j++)
			if (names_rule(r, a->rules[j]))
				return a->fields[j];
		return name;
	}
	return name;
}

static const struct event_field *field_of(const struct event *ev, const char *name)
{
	size_t pos = 0, len = strlen(name);

	return event_find(ev, name, len, event_name_hash(name, len), &pos);
}

static int num_holds(enum numop op, double v, double x)
{
	switch (op) {
	case N_EQ: return v == x;
	case N_LT: return v < x;
	case N_LTE: return v <= x;
	case N_GT: return v > x;
	case N_GTE: return v >= x;
	}
	return 0;
}

static int corr_holds(const struct scorr *k, double v)
{
	return num_holds(k->cop, v, k->cval) && (!k->has2 || num_holds(k->cop2, v, k->cval2));
}

/* The count, distinct values, sum or average of g's matches, or (temporal)
 * how many of the referenced rules it saw since its window opened. */
static double group_value(const struct scorr *k, const struct cgroup *g)
{
	double sum = 0;

	if (k->type == CT_TEMPORAL) {
		for (size_t i = 0; i < k->nrules; i++)
			sum += g->at[i] != CORR_NONE;
		return sum;
	}
	if (k->type == CT_EVENT_COUNT || k->type == CT_VALUE_COUNT)
		return (double)g->n;
	for (size_t i = 0; i < g->n; i++)
		sum += g->e[i].num;
	return k->type == CT_VALUE_SUM || g->n == 0 ? sum : sum / (double)g->n;
}

/* Drop g's matches older than cutoff (value_count keeps one entry per value). */
static void entries_expire(struct cgroup *g, int64_t cutoff)
{
	size_t k = 0;

	for (size_t i = 0; i < g->n; i++) {
		if (g->e[i].t < cutoff)
			free(g->e[i].val);
		else
			g->e[k++] = g->e[i];
	}
	g->n = k;
}

/* Room for one more entry (the oldest makes way at CORR_ENTRIES_MAX): 0 or ERR_NOMEM. */
static int entries_room(struct sigma_corr_state *st, struct cgroup *g)
{
	if (g->n == CORR_ENTRIES_MAX) {
		free(g->e[0].val);
		memmove(g->e, g->e + 1, (g->n - 1) * sizeof(*g->e));
		g->n--;
		st->dropped++;
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		struct centry *v = realloc(g->e, cap * sizeof(*v));

		if (!v)
			return ERR_NOMEM;
		g->e = v;
		g->cap = cap;
	}
	return 0;
}

/*
 * Add the match of position pos at time t to g and give the correlation's
 * value (count, distinct values, rules seen, sum, average) in *v: 1 when
 * there is one to compare, 0 when the match adds nothing (no such field),
 * ERR_NOMEM.
 */
static int group_add(struct sigma_corr_state *st, const struct scorr *k, struct cgroup *g,
		     size_t pos, const struct sigma_rule *matched, const struct event *ev,
		     int64_t t, double *v)
{
	/* A deferred window keeps every match until it closes. */
	int64_t cutoff = k->deferred ? CORR_NONE : t - k->timespan;
	const struct event_field *f = NULL;

	if (k->type == CT_TEMPORAL || k->type == CT_TEMPORAL_ORDERED) {
		size_t seen = 0;

		if (k->type == CT_TEMPORAL) {
			g->at[pos] = t;
			for (size_t i = 0; i < k->nrules; i++)
				seen += g->at[i] != CORR_NONE && g->at[i] >= cutoff;
		} else {
			/* Position pos continues the chain that reached pos - 1 in an earlier feed. */
			if (pos == 0) {
				g->at[0] = t;
				g->serial[0] = st->serial;
			} else if (g->at[pos - 1] != CORR_NONE && g->at[pos - 1] >= cutoff &&
				   g->serial[pos - 1] < st->serial) {
				if (g->at[pos] == CORR_NONE || g->at[pos] < g->at[pos - 1])
					g->at[pos] = g->at[pos - 1];
				g->serial[pos] = st->serial;
			}
			for (size_t i = 0; i < k->nrules; i++)
				if (g->at[i] != CORR_NONE && g->at[i] >= cutoff)
					seen = i + 1;
		}
		*v = (double)seen;
		return 1;
	}
	entries_expire(g, cutoff);
	if (k->type != CT_EVENT_COUNT) {
		f = field_of(ev, corr_field(k, k->field, matched));
		if (!f || f->type == EV_NULL)
			return 0;
	}
	if (k->type == CT_VALUE_COUNT) {
		for (size_t i = 0; i < g->n; i++)
			if (strlen(g->e[i].val) == f->value_len &&
			    !memcmp(g->e[i].val, f->value, f->value_len)) {
				g->e[i].t = t;
				*v = (double)g->n;
				return 1;
			}
	}
	if (entries_room(st, g))
		return ERR_NOMEM;
	memset(&g->e[g->n], 0, sizeof(g->e[0]));
	g->e[g->n].t = t;
	if (k->type == CT_VALUE_COUNT) {
		if (!(g->e[g->n].val = malloc(f->value_len + 1)))
			return ERR_NOMEM;
		memcpy(g->e[g->n].val, f->value, f->value_len);
		g->e[g->n].val[f->value_len] = '\0';
	} else if (k->type != CT_EVENT_COUNT) {
		char num[64], *end;

		if (f->value_len == 0 || f->value_len >= sizeof(num))
			return 0;
		memcpy(num, f->value, f->value_len);
		num[f->value_len] = '\0';
		g->e[g->n].num = strtod(num, &end);
		if (*end || !isfinite(g->e[g->n].num))
			return 0;
	}
	g->n++;
	*v = group_value(k, g);
	return 1;
}

/* "name=value, ..." of a group, from its key. */
static void group_text(struct buf *out, const struct scorr *k, const char *key)
{
	buf_reset(out);
	for (size_t i = 0; i < k->ngroup; i++) {
		const char *end = strchr(key, '\x1f');

		if (!end)
			break;
		buf_addf(out, "%s%s=%.*s", i ? ", " : "", k->group_by[i], (int)(end - key), key);
		key = end + 1;
	}
}

/* When a deferred window opened at open closes: timespan later (saturating). */
static int64_t window_end(const struct scorr *k, int64_t open)
{
	return open > INT64_MAX - k->timespan ? INT64_MAX : open + k->timespan;
}

static int feed(const struct sigma_ruleset *rs, struct sigma_corr_state *st,
		const struct sigma_rule *matched, const struct event *ev, int64_t t,
		sigma_fire_fn on_fire, void *ctx, int depth);

/*
 * Decide the closed window of g (taken out of its table) of correlation c:
 * when its condition holds, fire at the window's end and feed the firing
 * to the correlations that refer to c, as an event made of the group-by
 * values. Frees g. 0 or ERR_NOMEM.
 */
static int group_close(const struct sigma_ruleset *rs, struct sigma_corr_state *st,
		       const struct sigma_rule *c, struct cgroup *g, sigma_fire_fn on_fire,
		       void *ctx)
{
	const struct scorr *k = c->corr;
	int64_t end = window_end(k, g->open);
	struct event ev;
	const char *p;
	int rc = 0;

	/* A value_count window whose matches all lacked the field holds nothing. */
	if ((k->type != CT_TEMPORAL && g->n == 0) || !corr_holds(k, group_value(k, g)))
		goto out;
	group_text(&st->closing, k, g->key);
	if (buf_error(&st->closing)) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (on_fire)
		on_fire(ctx, c, st->closing.data, end);
	if (!c->ncorr_refs)
		goto out;
	memset(&ev, 0, sizeof(ev));
	ev.fields = calloc(k->ngroup + 1, sizeof(*ev.fields));
	if (!ev.fields) {
		rc = ERR_NOMEM;
		goto out;
	}
	p = g->key;
	for (size_t j = 0; j < k->ngroup; j++) {
		const char *sep = strchr(p, '\x1f');
		struct event_field *f = &ev.fields[ev.n++];

		f->name = k->group_by[j];
		f->name_len = strlen(f->name);
		f->hash = event_name_hash(f->name, f->name_len);
		f->value = p;
		f->value_len = sep ? (size_t)(sep - p) : strlen(p);
		p = sep ? sep + 1 : p + f->value_len;
	}
	rc = feed(rs, st, c, &ev, end, on_fire, ctx, 1);
	free(ev.fields);
out:
	group_free(g);
	return rc;
}

/*
 * One pass of corr_advance over the tables; *closed counts the windows
 * closed. Expired groups leave their tables before any fires, so that the
 * firings' chains may change the tables freely.
 */
static int advance_pass(const struct sigma_ruleset *rs, struct sigma_corr_state *st, int64_t now,
			sigma_fire_fn on_fire, void *ctx, size_t *nclosed)
{
	int all = now == INT64_MAX, rc = 0;

	for (size_t i = 0; i < st->ntabs && i < rs->ncorr; i++) {
		const struct sigma_rule *c = rs->corr_rules[i];
		struct ctab *tb = &st->tabs[i];
		struct cgroup *closed = NULL, *g, *older;

		if (!c || !c->corr->deferred || tb->n == 0 || (!all && tb->next_close >= now))
			continue;
		tb->next_close = INT64_MAX;
		for (g = tb->newest; g; g = older) {
			int64_t end = window_end(c->corr, g->open);

			older = g->older;
			if (end < now || all) {
				group_unlink(tb, g);
				g->next = closed;
				closed = g;
				(*nclosed)++;
			} else if (end < tb->next_close) {
				tb->next_close = end;
			}
		}
		/* Oldest first: the list was built from the newest. */
		for (g = closed; g; g = older) {
			older = g->next;
			if (!rc)
				rc = group_close(rs, st, c, g, on_fire, ctx);
			else
				group_free(g);
		}
	}
	return rc;
}

/*
 * Close the windows of deferred correlations that ended before now (all
 * of them for INT64_MAX). A chain's firing may open a window in a table
 * already passed (one that ends before now too): passes repeat until one
 * closes nothing, at most as deep as chains go.
 */
static int corr_advance(const struct sigma_ruleset *rs, struct sigma_corr_state *st, int64_t now,
			sigma_fire_fn on_fire, void *ctx)
{
	for (int pass = 0; pass < CORR_DEPTH_MAX; pass++) {
		size_t nclosed = 0;
		int rc = advance_pass(rs, st, now, on_fire, ctx, &nclosed);

		if (rc || nclosed == 0)
			return rc;
	}
	return 0;
}

static int feed(const struct sigma_ruleset *rs, struct sigma_corr_state *st,
		const struct sigma_rule *matched, const struct event *ev, int64_t t,
		sigma_fire_fn on_fire, void *ctx, int depth)
{
	if (depth >= CORR_DEPTH_MAX)
		return 0;
	for (size_t i = 0; i < matched->ncorr_refs; i++) {
		const struct sigma_rule *c = matched->corr_refs[i].corr;
		const struct scorr *k = c->corr;
		int temporal = k->type == CT_TEMPORAL || k->type == CT_TEMPORAL_ORDERED;
		struct ctab *tb = &st->tabs[k->ordinal];
		struct cgroup *g;
		double v = 0;
		int rc;

		if (k->type == CT_VALUE_PERCENTILE)
			continue;   /* not evaluated */
		buf_reset(&st->key);
		for (size_t j = 0; j < k->ngroup; j++) {
			const struct event_field *f = field_of(ev, corr_field(k, k->group_by[j], matched));

			if (f)
				buf_add(&st->key, f->value, f->value_len);
			buf_addch(&st->key, '\x1f');
		}
		if (buf_error(&st->key))
			return ERR_NOMEM;
		g = group_get(st, tb, st->key.data, st->key.len,
			      k->deferred ? CORR_NONE : t - k->timespan, k->nrules, temporal);
		if (!g)
			return ERR_NOMEM;
		group_touch(tb, g);
		if (g->last == CORR_NONE || t > g->last)
			g->last = t;
		if (k->deferred && g->open == CORR_NONE) {
			g->open = t;
			if (window_end(k, t) < tb->next_close)
				tb->next_close = window_end(k, t);
		}
		rc = group_add(st, k, g, matched->corr_refs[i].pos, matched, ev, t, &v);
		if (rc < 0)
			return rc;
		if (rc == 0 || k->deferred || !corr_holds(k, v))
			continue;
		/* Fired: the window starts again, so that one burst gives one firing. */
		group_text(&st->text, k, g->key);
		group_reset(g, temporal ? k->nrules : 0);
		if (buf_error(&st->text))
			return ERR_NOMEM;
		if (on_fire)
			on_fire(ctx, c, st->text.data, t);
		if ((rc = feed(rs, st, c, ev, t, on_fire, ctx, depth + 1)) != 0)
			return rc;
	}
	return 0;
}

/* A table per correlation of rs in st: 0 or ERR_NOMEM. */
static int tabs_ensure(const struct sigma_ruleset *rs, struct sigma_corr_state *st)
{
	struct ctab *v;

	if (st->ntabs >= rs->ncorr)
		return 0;
	v = realloc(st->tabs, rs->ncorr * sizeof(*v));
	if (!v)
		return ERR_NOMEM;
	memset(v + st->ntabs, 0, (rs->ncorr - st->ntabs) * sizeof(*v));
	for (size_t i = st->ntabs; i < rs->ncorr; i++)
		v[i].next_close = INT64_MAX;
	st->tabs = v;
	st->ntabs = rs->ncorr;
	return 0;
}

int sigma_correlate_feed(const struct sigma_ruleset *rs, struct sigma_corr_state *st,
			 const struct sigma_rule *matched, const struct event *ev, int64_t event_time,
			 sigma_fire_fn on_fire, void *ctx)
{
	int rc;

	if (!rs->compiled)
		return ERR_INVALID;
	if (!matched->ncorr_refs)
		return 0;
	if ((rc = tabs_ensure(rs, st)) != 0)
		return rc;
	if (rs->ndeferred && (rc = corr_advance(rs, st, event_time, on_fire, ctx)) != 0)
		return rc;
	st->serial++;
	return feed(rs, st, matched, ev, event_time, on_fire, ctx, 0);
}

int sigma_correlate_advance(const struct sigma_ruleset *rs, struct sigma_corr_state *st,
			    int64_t now, sigma_fire_fn on_fire, void *ctx)
{
	int rc;

	if (!rs->compiled)
		return ERR_INVALID;
	if (!rs->ndeferred)
		return 0;
	if ((rc = tabs_ensure(rs, st)) != 0)
		return rc;
	return corr_advance(rs, st, now, on_fire, ctx);
}

int sigma_correlate_flush(const struct sigma_ruleset *rs, struct sigma_corr_state *st,
			  sigma_fire_fn on_fire, void *ctx)
{
	return sigma_correlate_advance(rs, st, INT64_MAX, on_fire, ctx);
}

int sigma_ruleset_deferred(const struct sigma_ruleset *rs)
{
	return rs->ndeferred > 0;
}

int sigma_ruleset_correlations(const struct sigma_ruleset *rs)
{
	return rs->ncorr > 0;
}

/* Seconds from a number (epoch seconds, or milliseconds when that large). */
static int epoch_of(const char *s, int64_t *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(d) || d < 0)
		return -1;
	if (d > 1e11)
		d /= 1000;
	if (d > (double)TIME_PARSE_MAX)
		return -1;
	*out = (int64_t)d;
	return 0;
}

int64_t sigma_event_time(const struct event *ev, const char *field, int64_t fallback)
{
	static const char *const fields[] = { "UtcTime", "TimeCreated_SystemTime", "@timestamp",
					      "timestamp", "EventTime", "TimeCreated", NULL };
	const char *one[2] = { field, NULL };

	for (const char *const *n = field ? one : fields; *n; n++) {
		const struct event_field *f = field_of(ev, *n);
		char text[80];
		int64_t t;

		if (!f || f->type == EV_NULL || f->type == EV_BOOL || !f->value_len ||
		    f->value_len >= sizeof(text))
			continue;
		memcpy(text, f->value, f->value_len);
		text[f->value_len] = '\0';
		if (strspn(text, "0123456789.") == f->value_len) {
			if (epoch_of(text, &t) == 0)
				return t;
			continue;
		}
		/* "now" and relative forms are what a person types, not an event's time. */
		if (text[0] < '0' || text[0] > '9')
			continue;
		if (time_parse(text, NULL, fallback, &t, NULL) == 0)
			return t;
	}
	return fallback;
}

/*
 * Saving and loading a correlation state (a server's restart): per
 * correlation, its id, a fingerprint of its definition and its groups,
 * least recently used first. Times are integers, CORR_NONE is null.
 */

#define CORR_STATE_FORMAT 1
#define CORR_KEY_MAX (1u << 20)   /* bytes of a group's key, as loaded */

/*
 * The fingerprint of correlation k: a hash of what decides its state (type,
 * timespan, rules, group-by, condition, field, aliases), as 16 hex digits
 * into fp[17]. 0 or ERR_NOMEM.
 */
static int corr_fingerprint(const struct scorr *k, char fp[17])
{
	struct buf b;
	int rc = 0;

	buf_init(&b, 0);
	buf_addf(&b, "%d\x1e%lld\x1e%d %.17g\x1e%d %d %.17g\x1e%s\x1e", (int)k->type, k->timespan,
		 (int)k->cop, k->cval, k->has2, (int)k->cop2, k->has2 ? k->cval2 : 0.0,
		 k->field ? k->field : "");
	for (size_t i = 0; i < k->nrules; i++)
		buf_addf(&b, "r%s\x1f", k->rules[i]);
	for (size_t i = 0; i < k->ngroup; i++)
		buf_addf(&b, "g%s\x1f", k->group_by[i]);
	for (size_t i = 0; i < k->naliases; i++)
		for (size_t j = 0; j < k->aliases[i].n; j++)
			buf_addf(&b, "a%s\x1f%s\x1f%s\x1f", k->aliases[i].name, k->aliases[i].rules[j],
				 k->aliases[i].fields[j]);
	if (buf_error(&b))
		rc = ERR_NOMEM;
	else
		snprintf(fp, 17, "%016llx", (unsigned long long)key_hash(b.data, b.len));
	buf_release(&b);
	return rc;
}

/* How a correlation is known across restarts: its id, else its name. */
static const char *corr_ident(const struct sigma_rule *c)
{
	return c->id ? c->id : c->name;
}

static json_t *time_json(int64_t t)
{
	return t == CORR_NONE ? json_null() : json_integer(t);
}

/* One entry of correlation k: [t], [t, "value"] or [t, number]. */
static json_t *entry_json(const struct scorr *k, const struct centry *en)
{
	if (k->type == CT_VALUE_COUNT)
		return json_pack("[Is]", (json_int_t)en->t, en->val);
	if (k->type == CT_EVENT_COUNT)
		return json_pack("[I]", (json_int_t)en->t);
	return json_pack("[If]", (json_int_t)en->t, en->num);
}

/* Group g of correlation k as an object, NULL when out of memory. */
static json_t *group_json(const struct scorr *k, const struct cgroup *g)
{
	json_t *o = json_pack("{s:s,s:o,s:o}", "key", g->key, "last", time_json(g->last), "open",
			      time_json(g->open));
	json_t *v;
	int bad = !o;

	if (!bad && g->at) {
		json_t *at = json_array(), *serial = json_array();

		bad = json_object_set_new(o, "at", at) | json_object_set_new(o, "serial", serial);
		for (size_t i = 0; !bad && i < k->nrules; i++)
			bad = json_array_append_new(at, time_json(g->at[i])) |
			      json_array_append_new(serial, json_integer((json_int_t)g->serial[i]));
	} else if (!bad) {
		bad = json_object_set_new(o, "entries", v = json_array());
		for (size_t i = 0; !bad && i < g->n; i++)
			bad = json_array_append_new(v, entry_json(k, &g->e[i]));
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The groups of table tb of correlation c, oldest first, NULL when out of memory. */
static json_t *table_json(const struct sigma_rule *c, const struct ctab *tb)
{
	char fp[17];
	json_t *o, *groups;
	int bad;

	if (corr_fingerprint(c->corr, fp))
		return NULL;
	o = json_pack("{s:s,s:s,s:[]}", "id", corr_ident(c), "fingerprint", fp, "groups");
	if (!o)
		return NULL;
	groups = json_object_get(o, "groups");
	bad = 0;
	for (const struct cgroup *g = tb->oldest; g && !bad; g = g->newer)
		bad = json_array_append_new(groups, group_json(c->corr, g));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int sigma_corr_state_save(const struct sigma_ruleset *rs, const struct sigma_corr_state *st,
			  struct json_t **out, struct err *e)
{
	json_t *o, *list;
	int bad;

	*out = NULL;
	if (!rs->compiled)
		return err_set(e, ERR_INVALID, "correlation state: the rule set is not compiled");
	o = json_pack("{s:i,s:I,s:[]}", "format", CORR_STATE_FORMAT, "serial",
		      (json_int_t)st->serial, "correlations");
	if (!o)
		return err_set(e, ERR_NOMEM, "out of memory");
	list = json_object_get(o, "correlations");
	bad = 0;
	for (size_t i = 0; i < st->ntabs && i < rs->ncorr && !bad; i++) {
		const struct sigma_rule *c = rs->corr_rules[i];

		if (c && st->tabs[i].n && corr_ident(c))
			bad = json_array_append_new(list, table_json(c, &st->tabs[i]));
	}
	if (bad) {
		json_decref(o);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	*out = o;
	return 0;
}

/* Empty st: every group of every table goes. */
static void state_clear(struct sigma_corr_state *st)
{
	for (size_t i = 0; i < st->ntabs; i++) {
		while (st->tabs[i].oldest)
			group_remove(&st->tabs[i], st->tabs[i].oldest);
		st->tabs[i].next_close = INT64_MAX;
	}
	st->serial = 0;
}

/* A time: an integer, or null for none (when null_ok). 0 or -1. */
static int time_of(const json_t *v, int null_ok, int64_t *out)
{
	if (null_ok && (!v || json_is_null(v))) {
		*out = CORR_NONE;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) == CORR_NONE)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

/* A string without NUL bytes, at most max bytes, or NULL. */
static const char *string_of(const json_t *v, size_t max)
{
	const char *s = json_string_value(v);

	if (!s || strlen(s) != json_string_length(v) || json_string_length(v) > max)
		return NULL;
	return s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Whether the values of a value_count group are distinct, as group_add
 * keeps them: 0, ERR_INVALID or ERR_NOMEM.
 */
static int values_distinct(const struct cgroup *g)
{
	char **v;
	int rc = 0;

	if (g->n < 2)
		return 0;
	if (!(v = malloc(g->n * sizeof(*v))))
		return ERR_NOMEM;
	for (size_t i = 0; i < g->n; i++)
		v[i] = g->e[i].val;
	qsort(v, g->n, sizeof(*v), cmp_str);
	for (size_t i = 1; i < g->n && !rc; i++)
		rc = strcmp(v[i - 1], v[i]) ? 0 : ERR_INVALID;
	free(v);
	return rc;
}

/*
 * The entries of a saved group into g (of correlation k): 0, ERR_INVALID
 * (malformed) or ERR_NOMEM.
 */
static int entries_load(const struct scorr *k, struct cgroup *g, const json_t *list)
{
	size_t n = json_array_size(list);

	if (!json_is_array(list) || n > CORR_ENTRIES_MAX)
		return ERR_INVALID;
	if (n && !(g->e = calloc(n, sizeof(*g->e))))
		return ERR_NOMEM;
	g->cap = n;
	for (size_t i = 0; i < n; i++) {
		const json_t *en = json_array_get(list, i), *x = json_array_get(en, 1);
		struct centry *c = &g->e[g->n];
		const char *s;

		if (!json_is_array(en) || json_array_size(en) != (k->type == CT_EVENT_COUNT ? 1u : 2u) ||
		    time_of(json_array_get(en, 0), 0, &c->t))
			return ERR_INVALID;
		if (k->type == CT_VALUE_COUNT) {
			if (!(s = string_of(x, CORR_KEY_MAX)))
				return ERR_INVALID;
			if (!(c->val = strdup(s)))
				return ERR_NOMEM;
		} else if (k->type != CT_EVENT_COUNT) {
			if (!json_is_number(x) || !isfinite(c->num = json_number_value(x)))
				return ERR_INVALID;
		}
		g->n++;
	}
	return k->type == CT_VALUE_COUNT ? values_distinct(g) : 0;
}

/* The per-position times and serials of a saved temporal group: 0 or ERR_INVALID. */
static int positions_load(const struct scorr *k, struct cgroup *g, const json_t *at,
			  const json_t *serial, uint64_t max_serial)
{
	if (json_array_size(at) != k->nrules || json_array_size(serial) != k->nrules)
		return ERR_INVALID;
	for (size_t i = 0; i < k->nrules; i++) {
		const json_t *s = json_array_get(serial, i);

		if (time_of(json_array_get(at, i), 1, &g->at[i]) || !json_is_integer(s) ||
		    json_integer_value(s) < 0 || (uint64_t)json_integer_value(s) > max_serial)
			return ERR_INVALID;
		g->serial[i] = (uint64_t)json_integer_value(s);
	}
	return 0;
}

/*
 * Add the saved group o to table tb of correlation k as its most recently
 * used: 0, ERR_INVALID (malformed, or a key twice) or ERR_NOMEM.
 */
static int group_load(struct sigma_corr_state *st, const struct scorr *k, struct ctab *tb,
		      const json_t *o, uint64_t max_serial)
{
	int temporal = k->type == CT_TEMPORAL || k->type == CT_TEMPORAL_ORDERED;
	const char *key = string_of(json_object_get(o, "key"), CORR_KEY_MAX);
	size_t seps = 0, klen, before;
	struct cgroup *g;
	int64_t last, open;
	int rc;

	if (!json_is_object(o) || !key || time_of(json_object_get(o, "last"), 1, &last) ||
	    time_of(json_object_get(o, "open"), 1, &open) ||
	    (k->deferred != (open != CORR_NONE)))
		return ERR_INVALID;
	klen = strlen(key);
	for (const char *p = key; (p = strchr(p, '\x1f')) != NULL; p++)
		seps++;
	if (seps < k->ngroup || (k->ngroup && key[klen - 1] != '\x1f') || (!k->ngroup && klen))
		return ERR_INVALID;
	/* The caller left room: group_get only makes the group, or finds a key seen twice. */
	before = tb->n;
	if (!(g = group_get(st, tb, key, klen, CORR_NONE, k->nrules, temporal)))
		return ERR_NOMEM;
	if (tb->n == before)
		return ERR_INVALID;
	g->last = last;
	g->open = open;
	rc = temporal ? positions_load(k, g, json_object_get(o, "at"), json_object_get(o, "serial"),
				       max_serial)
		      : entries_load(k, g, json_object_get(o, "entries"));
	if (k->deferred && rc == 0 && window_end(k, open) < tb->next_close)
		tb->next_close = window_end(k, open);
	return rc;
}

/*
 * The saved correlation o into st, when a correlation of rs has its id and
 * fingerprint (*found 1; 0 when none: it starts empty). At most
 * max_groups groups, the most recently used. 0, ERR_INVALID or ERR_NOMEM.
 */
static int table_load(const struct sigma_ruleset *rs, struct sigma_corr_state *st,
		      const json_t *o, uint64_t max_serial, int *found)
{
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *fp = json_string_value(json_object_get(o, "fingerprint"));
	const json_t *groups = json_object_get(o, "groups");
	size_t n = json_array_size(groups), skip;
	char want[17];

	*found = 0;
	if (!json_is_object(o) || !id || !fp || !json_is_array(groups))
		return ERR_INVALID;
	for (size_t i = 0; i < rs->ncorr; i++) {
		const struct sigma_rule *c = rs->corr_rules[i];
		int rc;

		if (!c || !corr_ident(c) || strcmp(corr_ident(c), id))
			continue;
		if (corr_fingerprint(c->corr, want))
			return ERR_NOMEM;
		if (strcmp(want, fp) || c->corr->type == CT_VALUE_PERCENTILE)
			continue;
		if (st->tabs[i].n)
			return ERR_INVALID;   /* the same correlation twice */
		*found = 1;
		skip = n > st->max_groups ? n - st->max_groups : 0;
		for (size_t j = skip; j < n; j++)
			if ((rc = group_load(st, c->corr, &st->tabs[i], json_array_get(groups, j),
					     max_serial)) != 0)
				return rc;
		return 0;
	}
	return 0;
}

int sigma_corr_state_load(const struct sigma_ruleset *rs, struct sigma_corr_state *st,
			  const struct json_t *in, size_t *restored, size_t *dropped, struct err *e)
{
	const json_t *list = json_object_get(in, "correlations");
	const json_t *serial = json_object_get(in, "serial");
	size_t nres = 0, ndrop = 0, i;
	int rc = 0;

	if (restored)
		*restored = 0;
	if (dropped)
		*dropped = 0;
	if (!rs->compiled)
		return err_set(e, ERR_INVALID, "correlation state: the rule set is not compiled");
	if ((rc = tabs_ensure(rs, st)) != 0)
		return err_set(e, rc, "out of memory");
	state_clear(st);
	if (!json_is_object(in) || json_integer_value(json_object_get(in, "format")) !=
	    CORR_STATE_FORMAT || !json_is_array(list) || !json_is_integer(serial) ||
	    json_integer_value(serial) < 0)
		return err_set(e, ERR_PARSE, "correlation state: not a saved state of format %d",
			       CORR_STATE_FORMAT);
	for (i = 0; i < json_array_size(list) && !rc; i++) {
		int found = 0;

		rc = table_load(rs, st, json_array_get(list, i),
				(uint64_t)json_integer_value(serial), &found);
		nres += found;
		ndrop += !found;
	}
	if (rc) {
		state_clear(st);
		return rc == ERR_NOMEM ? err_set(e, rc, "out of memory")
				       : err_set(e, ERR_INVALID, "correlation state: correlation %zu "
						 "of the saved state is malformed", i - 1);
	}
	st->serial = (uint64_t)json_integer_value(serial);
	if (restored)
		*restored = nres;
	if (dropped)
		*dropped = ndrop;
	return 0;
}
