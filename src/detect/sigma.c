/*
 * sigma.c: the rule set: loading files and folders (multi-document files,
 * action: global/reset/repeat collections), compiling (filters attached to
 * their rules, rules routed by log source into buckets keyed by event log
 * channel and event id), and matching an event against the rules whose
 * route applies to it.
 */
#include "detect/sigma.h"

#include "detect/event.h"
#include "detect/sigma_int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <errno.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define SIGMA_FILE_MAX (16u << 20)

/* arena */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->size - c->used < n) {
		size_t size = n > 60000 ? n : 60000;
		c = malloc(sizeof(*c) + size);
		if (!c) {
			a->failed = 1;
			return NULL;
		}
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void arena_free(struct arena *a)
{
	while (a->head) {
		struct arena_chunk *c = a->head;
		a->head = c->next;
		free(c);
	}
	a->failed = 0;
}

/* route buckets: (channel, event id) -> rules with the alternative that applies */

struct rent {
	struct sigma_rule *rule;
	const struct ls_alt *alt;
};
struct route_bucket {
	const char *channel;   /* NULL: empty slot */
	long eid;              /* -1: any */
	struct rent *v;
	size_t n, cap;
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
	for (size_t i = 0; i < rs->nbuckets; i++)
		free(rs->buckets[i].v);
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
	}
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
	free(s->fold_gen);
	free(s->fold_off);
	free(s->fold_len);
	free(s->fold_buf);
	free(s);
}

static int scratch_prepare(struct sigma_scratch *s, const struct event *ev)
{
	s->ev = ev;
	s->fold_used = 0;
	s->alt = NULL;
	if (++s->gen == 0) {
		memset(s->fold_gen, 0, s->nfold * sizeof(*s->fold_gen));
		s->gen = 1;
	}
	if (ev->n > s->nfold) {
		size_t n = ev->n * 2;
		uint32_t *g = realloc(s->fold_gen, n * sizeof(*g));
		size_t *o;

		if (!g)
			return ERR_NOMEM;
		s->fold_gen = g;
		o = realloc(s->fold_off, n * sizeof(*o));
		if (!o)
			return ERR_NOMEM;
		s->fold_off = o;
		memset(s->fold_gen + s->nfold, 0, (n - s->nfold) * sizeof(*g));
		s->nfold = n;
	}
	return 0;
}

static int alt_conds_hold(struct sigma_scratch *s, const struct ls_alt *alt)
{
	for (size_t i = 0; i < alt->nconds; i++) {
		const struct ls_cond *c = &alt->conds[i];
		size_t pos = 0, k;
		const struct event_field *f = event_find(s->ev, c->field, c->flen, c->hash, &pos);

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
	if (scratch_prepare(s, ev))
		return ERR_NOMEM;
	return r->kind == RK_DETECT && rule_matches(s, r, NULL);
}

int sigma_match(const struct sigma_ruleset *rs, struct sigma_scratch *s, const struct event *ev,
		sigma_match_fn on_match, void *ctx)
{
	static uint32_t h_channel, h_eid;
	const struct route_bucket *lists[2] = { NULL, NULL };
	size_t pos[3] = { 0, 0, 0 }, last = (size_t)-1;
	const struct event_field *f;
	size_t p = 0;
	char ch[256];
	size_t chlen = 0, ngl;
	long eid = -2;
	struct sigma_rule *const *gl;

	if (!rs->compiled)
		return ERR_INVALID;
	if (scratch_prepare(s, ev))
		return ERR_NOMEM;
	if (!h_channel) {
		h_channel = event_name_hash("Channel", 7);
		h_eid = event_name_hash("EventID", 7);
	}
	f = event_find(ev, "Channel", 7, h_channel, &p);
	if (f && f->value_len < sizeof(ch)) {
		for (size_t i = 0; i < f->value_len; i++) {
			char c = f->value[i];
			ch[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		chlen = f->value_len;
		p = 0;
		f = event_find(ev, "EventID", 7, h_eid, &p);
		if (f && f->value_len && f->value_len < 12) {
			char tmp[12], *end;
			memcpy(tmp, f->value, f->value_len);
			tmp[f->value_len] = '\0';
			eid = strtol(tmp, &end, 10);
			if (*end)
				eid = -2;
		}
		const struct route_bucket *b = bucket_find(rs, ch, chlen, -1);
		if (b && b->channel)
			lists[0] = b;
		if (eid >= 0) {
			b = bucket_find(rs, ch, chlen, eid);
			if (b && b->channel)
				lists[1] = b;
		}
	}
	/*
	 * An event with a Channel comes from a Windows event log: of the
	 * unrouted rules, only those for Windows (or no product) apply to it.
	 * Then merge the routed lists and that list in load order.
	 */
	gl = chlen ? rs->global_win : rs->global;
	ngl = chlen ? rs->nglobal_win : rs->nglobal;
	for (;;) {
		const struct sigma_rule *best = NULL;
		const struct ls_alt *alt = NULL;
		int which = -1;

		for (int k = 0; k < 2; k++)
			if (lists[k] && pos[k] < lists[k]->n &&
			    (!best || lists[k]->v[pos[k]].rule->index < best->index)) {
				best = lists[k]->v[pos[k]].rule;
				alt = lists[k]->v[pos[k]].alt;
				which = k;
			}
		if (pos[2] < ngl && (!best || gl[pos[2]]->index < best->index)) {
			best = gl[pos[2]];
			alt = NULL;
			which = 2;
		}
		if (!best)
			break;
		pos[which]++;
		if (best->index == last)
			continue;
		if (rule_matches(s, best, alt)) {
			last = best->index;
			on_match(ctx, best);
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
