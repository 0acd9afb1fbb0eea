/*
 * catalog.c: loading and checking the incident catalog (catalog.h), and
 * checking values typed for its items.
 *
 * Every problem is reported with its file and line and loading goes on, so
 * `irdesk catalog check` names all of them at once. Unknown keys are
 * problems too: a misspelt "required_befor" must not silently drop a gate.
 */
#include "ir/catalog.h"
#include "ir/incident.h"
#include "ir/vocab.h"
#include "util/buf.h"
#include "util/embed.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/time.h"
#include "util/utf8.h"
#include "util/yaml.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEY_MAX 64

const char *ctext(const struct ctext *t, const char *lang)
{
	const char *s = lang && !strcmp(lang, "en") ? t->en : t->ja;

	if (!s || !*s)
		s = t->en && *t->en ? t->en : t->ja;
	return s ? s : "";
}

const char *item_type_name(enum item_type t)
{
	static const char *const names[] = {
#define X(N, n) #n,
		ITEM_TYPES(X)
#undef X
	};
	return (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : "";
}

/* Incident fields an item may stand for (catalog_item.builtin). */
static const char *const builtins[] = {
	"type", "occurred_at", "discovered_at", "owner", "reporter", "summary",
	"attack_vector", "functional_impact", "information_impact", "recoverability",
};

/* loading */

struct cfile {
	char *name;        /* relative to the catalog folder: "types/bec.yaml" */
	const char *data;
	size_t len;
	char *owned;       /* data read from a folder */
};

struct loader {
	struct catalog *c;
	struct buf *problems;
	int nproblems;
	const char *path;  /* the file being read, for messages */
};

__attribute__((format(printf, 3, 4)))
static void problem(struct loader *l, int line, const char *fmt, ...)
{
	va_list ap;

	l->nproblems++;
	if (!l->problems)
		return;
	if (line > 0)
		buf_addf(l->problems, "%s:%d: ", l->path, line);
	else
		buf_addf(l->problems, "%s: ", l->path);
	va_start(ap, fmt);
	buf_vaddf(l->problems, fmt, ap);
	va_end(ap);
	buf_addch(l->problems, '\n');
}

static int key_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > KEY_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* Report keys of map not in allowed (NULL-terminated). */
static void only_keys(struct loader *l, const struct ynode *map, const char *what,
		      const char *const *allowed)
{
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->kids[2 * i];
		size_t j;

		for (j = 0; allowed[j] && strcmp(allowed[j], k->s); j++)
			;
		if (!allowed[j])
			problem(l, k->line, "unknown key '%.64s' in %s", k->s, what);
	}
}

static int is_map(struct loader *l, const struct ynode *n, int line, const char *what)
{
	if (n && n->kind == Y_MAP)
		return 1;
	problem(l, n ? n->line : line, "%s must be a mapping", what);
	return 0;
}

/* A non-empty scalar under key, or NULL (a problem when required). */
static const char *scalar(struct loader *l, const struct ynode *map, const char *key, int required)
{
	const struct ynode *v = ynode_get(map, key);

	if (!v || ynode_is_null(v)) {
		if (required)
			problem(l, map->line, "missing '%s'", key);
		return NULL;
	}
	if (v->kind != Y_SCALAR || v->len == 0) {
		problem(l, v->line, "'%s' must be a non-empty text", key);
		return NULL;
	}
	if (!utf8_valid(v->s, v->len)) {
		problem(l, v->line, "'%s' is not valid UTF-8", key);
		return NULL;
	}
	return v->s;
}

/* A key under name that key_ok() accepts, or NULL. */
static const char *keyval(struct loader *l, const struct ynode *map, const char *name)
{
	const char *s = scalar(l, map, name, 1);

	if (s && !key_ok(s)) {
		problem(l, ynode_get(map, name)->line,
			"'%.64s' is not a valid %s (lower-case letters, digits and _)", s, name);
		return NULL;
	}
	return s;
}

/* {ja: ..., en: ...} under key into *t. */
static void bilingual(struct loader *l, const struct ynode *map, const char *key, int required,
		      struct ctext *t)
{
	static const char *const langs[] = { "ja", "en", NULL };
	const struct ynode *v = ynode_get(map, key);

	t->ja = t->en = NULL;
	if (!v || ynode_is_null(v)) {
		if (required)
			problem(l, map->line, "missing '%s' ({ja: ..., en: ...})", key);
		return;
	}
	if (!is_map(l, v, map->line, key))
		return;
	only_keys(l, v, key, langs);
	t->ja = scalar(l, v, "ja", 1);
	t->en = scalar(l, v, "en", 1);
}

static int state_after_new(struct loader *l, const struct ynode *map, const char *key)
{
	const char *s = scalar(l, map, key, 0);
	enum incident_state st;

	if (!s)
		return -1;
	if (incident_state_parse(s, &st, NULL) || st == ST_NEW || st == ST_REJECTED) {
		problem(l, ynode_get(map, key)->line, "'%s: %.64s' is not one of triage, analysis, "
			"containment, eradication, recovery, post_incident, closed", key, s);
		return -1;
	}
	return (int)st;
}

static const struct ynode *seq_of(struct loader *l, const struct ynode *map, const char *key,
				  int required)
{
	const struct ynode *v = ynode_get(map, key);

	if (!v || ynode_is_null(v)) {
		if (required)
			problem(l, map->line, "missing '%s' (a list)", key);
		return NULL;
	}
	if (v->kind != Y_SEQ) {
		problem(l, v->line, "'%s' must be a list", key);
		return NULL;
	}
	return v;
}

static void parse_choices(struct loader *l, const struct ynode *item, struct catalog_item *it)
{
	static const char *const keys[] = { "key", "ja", "en", NULL };
	const struct ynode *seq = seq_of(l, item, "choices", it->type == IT_CHOICE);
	struct catalog_choice *ch;

	if (!seq)
		return;
	if (it->type != IT_CHOICE) {
		problem(l, seq->line, "'choices' only go with type choice");
		return;
	}
	if (seq->n == 0) {
		problem(l, seq->line, "'choices' is empty");
		return;
	}
	ch = arena_alloc(&l->c->arena, seq->n * sizeof(*ch));
	if (!ch)
		return;
	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *m = seq->kids[i];
		if (!is_map(l, m, seq->line, "a choice"))
			continue;
		only_keys(l, m, "a choice", keys);
		ch[i].key = keyval(l, m, "key");
		ch[i].label.ja = scalar(l, m, "ja", 1);
		ch[i].label.en = scalar(l, m, "en", 1);
		for (size_t j = 0; j < i; j++)
			if (ch[i].key && ch[j].key && !strcmp(ch[i].key, ch[j].key))
				problem(l, m->line, "choice '%s' appears twice", ch[i].key);
	}
	it->choices = ch;
	it->nchoices = seq->n;
}

static void parse_item(struct loader *l, const struct ynode *m, const char *section,
		       struct catalog_item *it)
{
	static const char *const common_keys[] = { "key", "section", "type", "label", "help", "choices",
						   "required_before", "builtin", NULL };
	static const char *const type_keys[] = { "key", "type", "label", "help", "choices",
						 "required_before", "builtin", NULL };
	const char *type, *b;
	int found = 0;

	only_keys(l, m, "an item", section ? type_keys : common_keys);
	it->key = keyval(l, m, "key");
	it->section = section;
	if (!section) {
		it->section = scalar(l, m, "section", 1);
		if (it->section && strcmp(it->section, "appendix_c1") && strcmp(it->section, "nist_b"))
			problem(l, ynode_get(m, "section")->line,
				"section '%.64s' is not appendix_c1 or nist_b", it->section);
	}
	type = scalar(l, m, "type", 1);
	it->type = IT_TEXT;
	if (type) {
#define X(N, n) if (!strcmp(type, #n)) { it->type = IT_##N; found = 1; }
		ITEM_TYPES(X)
#undef X
		if (!found)
			problem(l, ynode_get(m, "type")->line, "type '%.64s' is not one of text, number, "
				"datetime, choice, yesno, list", type);
	}
	bilingual(l, m, "label", 1, &it->label);
	bilingual(l, m, "help", 0, &it->help);
	parse_choices(l, m, it);
	it->required_before = state_after_new(l, m, "required_before");
	b = scalar(l, m, "builtin", 0);
	if (b) {
		size_t i;
		for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]) && strcmp(b, builtins[i]); i++)
			;
		if (i == sizeof(builtins) / sizeof(builtins[0]))
			problem(l, ynode_get(m, "builtin")->line, "builtin '%.64s' is not an incident field",
				b);
		else
			it->builtin = builtins[i];
	}
}

static void parse_items(struct loader *l, const struct ynode *doc, const char *section,
			const struct catalog_item **out, size_t *n)
{
	const struct ynode *seq = seq_of(l, doc, "items", 1);
	struct catalog_item *items;

	*out = NULL;
	*n = 0;
	if (!seq || seq->n == 0)
		return;
	items = arena_alloc(&l->c->arena, seq->n * sizeof(*items));
	if (!items)
		return;
	for (size_t i = 0; i < seq->n; i++) {
		if (is_map(l, seq->kids[i], seq->line, "an item"))
			parse_item(l, seq->kids[i], section, &items[i]);
		else
			items[i].required_before = -1;
		for (size_t j = 0; j < i; j++)
			if (items[i].key && items[j].key && !strcmp(items[i].key, items[j].key))
				problem(l, seq->kids[i]->line, "item '%s' appears twice", items[i].key);
	}
	*out = items;
	*n = seq->n;
}

static void parse_steps(struct loader *l, const struct ynode *doc, const struct catalog_step **out,
			size_t *n)
{
	static const char *const keys[] = { "key", "phase", "title", "sheet", NULL };
	const struct ynode *seq = seq_of(l, doc, "playbook", 1);
	struct catalog_step *steps;

	*out = NULL;
	*n = 0;
	if (!seq || seq->n == 0)
		return;
	steps = arena_alloc(&l->c->arena, seq->n * sizeof(*steps));
	if (!steps)
		return;
	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *m = seq->kids[i];
		int st;
		if (!is_map(l, m, seq->line, "a playbook step"))
			continue;
		only_keys(l, m, "a playbook step", keys);
		steps[i].key = keyval(l, m, "key");
		st = state_after_new(l, m, "phase");
		if (st == ST_CLOSED) {
			problem(l, ynode_get(m, "phase")->line, "a step's phase cannot be closed");
			st = -1;
		}
		steps[i].phase = st >= 0 ? incident_state_name(st) : NULL;
		if (!ynode_get(m, "phase"))
			problem(l, m->line, "missing 'phase'");
		bilingual(l, m, "title", 1, &steps[i].title);
		steps[i].sheet = scalar(l, m, "sheet", 0);
	}
	*out = steps;
	*n = seq->n;
}

/* One YAML document per file: the tree of the only one. */
struct onedoc {
	const struct ynode *doc;
	int n;
};

static int take_doc(void *ctx, const struct ynode *doc)
{
	struct onedoc *d = ctx;

	if (d->n++ == 0)
		d->doc = doc;
	return 0;
}

static const struct ynode *read_doc(struct loader *l, const struct cfile *f)
{
	struct onedoc d = { NULL, 0 };
	char ybuf[256];
	int rc;

	l->path = f->name;
	if (f->len > CATALOG_FILE_MAX) {
		problem(l, 1, "file too large (at most %u bytes)", CATALOG_FILE_MAX);
		return NULL;
	}
	rc = yaml_parse_docs(&l->c->arena, f->data, f->len, take_doc, &d, ybuf, sizeof(ybuf));
	if (rc == 1) {
		const char *at = strstr(ybuf, " at line ");
		problem(l, at ? atoi(at + 9) : 1, "%s", ybuf);
		return NULL;
	}
	if (rc || !d.doc) {
		problem(l, 1, rc ? "out of memory" : "empty file");
		return NULL;
	}
	if (d.n > 1)
		problem(l, 1, "only one YAML document per file");
	return is_map(l, d.doc, 1, "the file") ? d.doc : NULL;
}

static void load_common(struct loader *l, const struct cfile *f)
{
	static const char *const keys[] = { "items", "playbook", NULL };
	const struct ynode *doc = read_doc(l, f);

	if (!doc)
		return;
	only_keys(l, doc, "common.yaml", keys);
	parse_items(l, doc, NULL, &l->c->common, &l->c->ncommon);
	parse_steps(l, doc, &l->c->common_steps, &l->c->ncommon_steps);
}

static void load_type(struct loader *l, const struct cfile *f, struct catalog_type *types)
{
	static const char *const keys[] = { "type", "label", "table", "retention_days", "items",
					    "playbook", NULL };
	const struct ynode *doc = read_doc(l, f), *rd;
	struct catalog_type t;
	const char *key, *base;
	int idx;
	char *end;
	long days;

	if (!doc)
		return;
	only_keys(l, doc, "a type file", keys);
	key = keyval(l, doc, "type");
	if (!key)
		return;
	base = strrchr(f->name, '/');
	base = base ? base + 1 : f->name;
	if (strncmp(base, key, strlen(key)) || strcmp(base + strlen(key), ".yaml"))
		problem(l, ynode_get(doc, "type")->line, "type '%s' must be in a file named %s.yaml",
			key, key);
	if (vocab_parse(&vocab_incident_type, key, &idx, NULL)) {
		problem(l, ynode_get(doc, "type")->line, "'%.64s' is not an incident type", key);
		return;
	}
	if (types[idx].key) {
		problem(l, ynode_get(doc, "type")->line, "type '%s' is defined twice", key);
		return;
	}
	memset(&t, 0, sizeof(t));
	t.key = vocab_name(&vocab_incident_type, idx);
	bilingual(l, doc, "label", 1, &t.label);
	bilingual(l, doc, "table", 1, &t.table);
	rd = ynode_get(doc, "retention_days");
	days = 0;
	if (rd && rd->kind == Y_SCALAR) {
		errno = 0;
		days = strtol(rd->s, &end, 10);
		if (errno || *end || end == rd->s)
			days = 0;
	}
	if (days < 1 || days > 36500)
		problem(l, rd ? rd->line : doc->line, "'retention_days' must be a number of days from 1 "
			"to 36500");
	t.retention_days = (int)days;
	parse_items(l, doc, t.key, &t.items, &t.nitems);
	parse_steps(l, doc, &t.steps, &t.nsteps);
	types[idx] = t;
}

static void load_threats(struct loader *l, const struct cfile *f, struct catalog_threat_list *tl)
{
	static const char *const keys[] = { "year", "source", "threats", NULL };
	static const char *const tkeys[] = { "key", "ja", "en", NULL };
	const struct ynode *doc = read_doc(l, f), *seq, *y;
	struct catalog_threat *th;

	memset(tl, 0, sizeof(*tl));
	if (!doc)
		return;
	only_keys(l, doc, "a threat list", keys);
	y = ynode_get(doc, "year");
	if (y && y->kind == Y_SCALAR)
		tl->year = atoi(y->s);
	if (tl->year < 2000 || tl->year > 2100) {
		problem(l, y ? y->line : doc->line, "'year' must be a year from 2000 to 2100");
		tl->year = 0;
	}
	bilingual(l, doc, "source", 1, &tl->source);
	seq = seq_of(l, doc, "threats", 1);
	if (!seq || !seq->n || !(th = arena_alloc(&l->c->arena, seq->n * sizeof(*th))))
		return;
	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *m = seq->kids[i];
		th[i].rank = (int)i + 1;
		if (!is_map(l, m, seq->line, "a threat"))
			continue;
		only_keys(l, m, "a threat", tkeys);
		th[i].key = keyval(l, m, "key");
		th[i].label.ja = scalar(l, m, "ja", 1);
		th[i].label.en = scalar(l, m, "en", 1);
		for (size_t j = 0; j < i; j++)
			if (th[i].key && th[j].key && !strcmp(th[i].key, th[j].key))
				problem(l, m->line, "threat '%s' appears twice", th[i].key);
	}
	tl->threats = th;
	tl->n = seq->n;
}

static void load_sheet(struct loader *l, const struct cfile *f, struct catalog_sheet *sh)
{
	const char *base = strrchr(f->name, '/'), *nl;
	size_t klen;

	l->path = f->name;
	memset(sh, 0, sizeof(*sh));
	base = base ? base + 1 : f->name;
	klen = strlen(base) - 3; /* ".md" */
	sh->key = arena_strndup(&l->c->arena, base, klen);
	if (!sh->key || !key_ok(sh->key)) {
		problem(l, 1, "a sheet's file name must be KEY.md with a valid key");
		sh->key = NULL;
		return;
	}
	if (!utf8_valid(f->data, f->len) || f->len > CATALOG_FILE_MAX) {
		problem(l, 1, "not valid UTF-8 text or too large");
		return;
	}
	if (strncmp(f->data, "# ", 2)) {
		problem(l, 1, "a sheet starts with a title line '# ...'");
		return;
	}
	nl = strchr(f->data, '\n');
	sh->title = arena_strndup(&l->c->arena, f->data + 2, nl ? (size_t)(nl - f->data - 2)
							       : f->len - 2);
	sh->body = arena_strndup(&l->c->arena, f->data, f->len);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

/* Cross-file rules: every type present, keys unique, sheets exist. */
static void check_whole(struct loader *l, const struct catalog_type *types)
{
	struct catalog *c = l->c;

	l->path = "types";
	for (int i = 0; i < vocab_incident_type.n; i++)
		if (!types[i].key)
			problem(l, 0, "no file for type %s (types/%s.yaml)",
				vocab_incident_type.items[i].name, vocab_incident_type.items[i].name);
	for (int i = 0; i < vocab_incident_type.n; i++) {
		const struct catalog_type *t = &types[i];
		l->path = t->key ? t->key : "types";
		for (size_t j = 0; j < t->nitems; j++)
			for (size_t k = 0; k < c->ncommon; k++)
				if (t->items[j].key && c->common[k].key &&
				    !strcmp(t->items[j].key, c->common[k].key))
					problem(l, 0, "types/%s.yaml: item '%s' is already a common item",
						t->key, t->items[j].key);
	}
}

static void check_steps(struct loader *l, const struct catalog_step *steps, size_t n,
			const char *file)
{
	l->path = file;
	for (size_t i = 0; i < n; i++) {
		const struct catalog_step *s = &steps[i];
		const struct catalog_step *other;
		if (s->sheet && !catalog_sheet(l->c, s->sheet))
			problem(l, 0, "step '%s' names sheet '%.64s', which is not in sheets/",
				s->key ? s->key : "?", s->sheet);
		if (s->key && (other = catalog_step(l->c, s->key)) != s)
			problem(l, 0, "step key '%s' is used more than once", s->key);
	}
}

/* The catalog's files, embedded or from dir, sorted by name. */
static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct cfile *)a)->name, ((const struct cfile *)b)->name);
}

static int list_dir(const char *dir, const char *sub, struct cfile **files, size_t *n,
		    size_t *cap, struct err *e)
{
	char path[4096];
	struct dirent *d;
	DIR *dh;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	dh = opendir(path);
	if (!dh)
		return errno == ENOENT ? 0 : err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
	while (!rc && (d = readdir(dh))) {
		struct buf b = BUF_INIT;
		struct cfile *f;
		if (d->d_name[0] == '.' || !(ends_with(d->d_name, ".yaml") || ends_with(d->d_name, ".md")))
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 32;
			f = realloc(*files, nc * sizeof(*f));
			if (!f) {
				rc = ERR_NOMEM;
				break;
			}
			*files = f;
			*cap = nc;
		}
		snprintf(path, sizeof(path), "%s/%s%s%s", dir, sub, *sub ? "/" : "", d->d_name);
		buf_init(&b, CATALOG_FILE_MAX + 1);
		rc = fs_read_file(path, &b, e);
		if (rc == ERR_TOOLONG)
			rc = err_set(e, ERR_TOOLONG, "%s: file too large", path);
		if (rc) {
			buf_release(&b);
			break;
		}
		f = &(*files)[(*n)++];
		f->len = b.len;
		f->owned = buf_detach(&b, NULL);
		f->data = f->owned;
		if (asprintf(&f->name, "%s%s%s", sub, *sub ? "/" : "", d->d_name) < 0) {
			f->name = NULL;
			rc = ERR_NOMEM;
		}
	}
	closedir(dh);
	return rc;
}

static int collect(const char *dir, struct cfile **files, size_t *n, struct err *e)
{
	size_t cap = 0;
	int rc = 0;

	*files = NULL;
	*n = 0;
	if (dir) {
		static const char *const subs[] = { "", "types", "threats", "sheets" };
		if (!fs_exists(dir))
			return err_set(e, ERR_NOTFOUND, "catalog folder %s not found", dir);
		for (size_t i = 0; !rc && i < 4; i++)
			rc = list_dir(dir, subs[i], files, n, &cap, e);
	} else {
		for (const struct embed_file *ef = embed_files; ef->name; ef++) {
			struct cfile *f;
			if (strncmp(ef->name, "catalog/", 8))
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 32;
				if (!(f = realloc(*files, cap * sizeof(*f))))
					return ERR_NOMEM;
				*files = f;
			}
			f = &(*files)[(*n)++];
			memset(f, 0, sizeof(*f));
			f->name = strdup(ef->name + 8);
			f->data = ef->data;
			f->len = ef->len;
			if (!f->name)
				rc = ERR_NOMEM;
		}
	}
	if (!rc)
		qsort(*files, *n, sizeof(**files), cmp_file);
	return rc;
}

static void files_free(struct cfile *files, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(files[i].name);
		free(files[i].owned);
	}
	free(files);
}

static int cmp_year_desc(const void *a, const void *b)
{
	return ((const struct catalog_threat_list *)b)->year -
	       ((const struct catalog_threat_list *)a)->year;
}

static void load_files(struct loader *l, struct cfile *files, size_t n)
{
	struct catalog *c = l->c;
	struct catalog_type *types = arena_alloc(&c->arena, vocab_incident_type.n * sizeof(*types));
	struct catalog_threat_list *tls = arena_alloc(&c->arena, (n + 1) * sizeof(*tls));
	struct catalog_sheet *sheets = arena_alloc(&c->arena, (n + 1) * sizeof(*sheets));
	int have_common = 0;

	if (!types || !tls || !sheets)
		return;
	for (size_t i = 0; i < n; i++) {
		const char *name = files[i].name;
		l->path = name;
		if (!strcmp(name, "common.yaml")) {
			load_common(l, &files[i]);
			have_common = 1;
		} else if (!strncmp(name, "types/", 6) && ends_with(name, ".yaml")) {
			load_type(l, &files[i], types);
		} else if (!strncmp(name, "threats/", 8) && ends_with(name, ".yaml")) {
			load_threats(l, &files[i], &tls[c->nthreat_lists]);
			for (size_t j = 0; j < c->nthreat_lists; j++)
				if (tls[j].year && tls[j].year == tls[c->nthreat_lists].year)
					problem(l, 1, "year %d has two threat lists", tls[j].year);
			c->nthreat_lists++;
		} else if (!strncmp(name, "sheets/", 7) && ends_with(name, ".md")) {
			load_sheet(l, &files[i], &sheets[c->nsheets++]);
		} else if (strcmp(name, "README.md")) {
			problem(l, 1, "file not part of a catalog (common.yaml, types/, threats/, sheets/)");
		}
	}
	if (!have_common) {
		l->path = "common.yaml";
		problem(l, 0, "missing");
	}
	qsort(tls, c->nthreat_lists, sizeof(*tls), cmp_year_desc);
	c->types = types;
	c->ntypes = vocab_incident_type.n;
	c->threat_lists = tls;
	c->sheets = sheets;
	check_whole(l, types);
	check_steps(l, c->common_steps, c->ncommon_steps, "common.yaml");
	for (size_t i = 0; i < c->ntypes; i++) {
		if (!types[i].key)
			continue;
		check_steps(l, types[i].steps, types[i].nsteps, types[i].key);
		if (c->ncommon_steps + types[i].nsteps > CATALOG_MAX_STEPS)
			problem(l, 0, "%zu common and %zu own steps: a playbook has at most %d",
				c->ncommon_steps, types[i].nsteps, CATALOG_MAX_STEPS);
	}
}

int catalog_load(const char *dir, struct catalog **out, struct buf *problems, struct err *e)
{
	struct loader l = { 0 };
	struct cfile *files = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	l.c = calloc(1, sizeof(*l.c));
	if (!l.c)
		return err_set(e, ERR_NOMEM, "out of memory");
	l.problems = problems;
	rc = collect(dir, &files, &n, e);
	if (rc == ERR_NOMEM)
		err_set(e, rc, "out of memory");
	if (!rc) {
		load_files(&l, files, n);
		if (l.c->arena.failed)
			rc = err_set(e, ERR_NOMEM, "out of memory");
		else if (l.nproblems)
			rc = err_set(e, ERR_PARSE, "%d problem%s in the catalog%s%s", l.nproblems,
				     l.nproblems == 1 ? "" : "s", dir ? " in " : "", dir ? dir : "");
	}
	files_free(files, n);
	if (rc) {
		catalog_free(l.c);
		return rc;
	}
	*out = l.c;
	return 0;
}

void catalog_free(struct catalog *c)
{
	if (!c)
		return;
	arena_free(&c->arena);
	free(c);
}

/* the active catalog */

static struct catalog *active, *embedded;
static pthread_once_t embedded_once = PTHREAD_ONCE_INIT;

static void load_embedded(void)
{
	struct err e;

	err_clear(&e);
	if (catalog_load(NULL, &embedded, NULL, &e))
		embedded = NULL;
}

const struct catalog *catalog_active(void)
{
	if (active)
		return active;
	pthread_once(&embedded_once, load_embedded);
	return embedded;
}

void catalog_set_active(struct catalog *c)
{
	active = c;
}

/* lookups */

const struct catalog_type *catalog_type(const struct catalog *c, const char *key)
{
	for (size_t i = 0; c && key && i < c->ntypes; i++)
		if (c->types[i].key && !strcmp(c->types[i].key, key))
			return &c->types[i];
	return NULL;
}

static const struct catalog_item *find_item(const struct catalog_item *items, size_t n,
					    const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].key && !strcmp(items[i].key, key))
			return &items[i];
	return NULL;
}

const struct catalog_item *catalog_item(const struct catalog *c, const struct catalog_type *t,
					const char *key)
{
	const struct catalog_item *it = find_item(c->common, c->ncommon, key);

	return it ? it : t ? find_item(t->items, t->nitems, key) : NULL;
}

static const struct catalog_step *find_step(const struct catalog_step *s, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].key && !strcmp(s[i].key, key))
			return &s[i];
	return NULL;
}

const struct catalog_step *catalog_step(const struct catalog *c, const char *key)
{
	const struct catalog_step *s = find_step(c->common_steps, c->ncommon_steps, key);

	for (size_t i = 0; !s && i < c->ntypes; i++)
		s = find_step(c->types[i].steps, c->types[i].nsteps, key);
	return s;
}

const struct catalog_sheet *catalog_sheet(const struct catalog *c, const char *key)
{
	for (size_t i = 0; i < c->nsheets; i++)
		if (c->sheets[i].key && !strcmp(c->sheets[i].key, key))
			return &c->sheets[i];
	return NULL;
}

const struct catalog_threat *catalog_threat(const struct catalog *c, const char *ref,
					    const struct catalog_threat_list **list)
{
	const char *colon = ref ? strchr(ref, ':') : NULL;
	int year;

	if (!colon)
		return NULL;
	year = atoi(ref);
	for (size_t i = 0; i < c->nthreat_lists; i++) {
		const struct catalog_threat_list *tl = &c->threat_lists[i];
		if (tl->year != year)
			continue;
		for (size_t j = 0; j < tl->n; j++)
			if (tl->threats[j].key && !strcmp(tl->threats[j].key, colon + 1)) {
				if (list)
					*list = tl;
				return &tl->threats[j];
			}
	}
	return NULL;
}

const char *catalog_choice_label(const struct catalog_item *it, const char *key, const char *lang)
{
	for (size_t i = 0; i < it->nchoices; i++)
		if (it->choices[i].key && !strcmp(it->choices[i].key, key))
			return ctext(&it->choices[i].label, lang);
	return key;
}

/* values */

static int value_number(const struct catalog_item *it, const char *in, struct buf *out,
			struct err *e)
{
	const char *p = in;
	int digits = 0, dot = 0;

	if (*p == '-' || *p == '+')
		p++;
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '.' && !dot)
			dot = 1;
		else if (*p != ',')
			break;
	}
	if (*p || !digits || strlen(in) > 40)
		return err_set(e, ERR_INVALID, "%s: '%.40s' is not a number", it->key, in);
	for (p = in; *p; p++)
		if (*p != ',' && *p != '+')
			buf_addch(out, *p);
	return 0;
}

static int value_choice(const struct catalog_item *it, const char *in, struct buf *out,
			struct err *e)
{
	struct buf keys = BUF_INIT;
	int rc;

	for (size_t i = 0; i < it->nchoices; i++) {
		const struct catalog_choice *c = &it->choices[i];
		if (!strcasecmp(in, c->key) || !strcmp(in, c->label.ja) || !strcasecmp(in, c->label.en)) {
			buf_adds(out, c->key);
			return 0;
		}
	}
	for (size_t i = 0; i < it->nchoices; i++)
		buf_addf(&keys, "%s%s", i ? ", " : "", it->choices[i].key);
	rc = err_set(e, ERR_INVALID, "%s: '%.64s' is not one of %s", it->key, in, keys.data);
	buf_release(&keys);
	return rc;
}

static int value_yesno(const struct catalog_item *it, const char *in, struct buf *out,
		       struct err *e)
{
	static const char *const yes[] = { "yes", "y", "true", "1", "はい", "有", "あり" };
	static const char *const no[] = { "no", "n", "false", "0", "いいえ", "無", "なし" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(in, yes[i])) {
			buf_adds(out, "yes");
			return 0;
		}
		if (!strcasecmp(in, no[i])) {
			buf_adds(out, "no");
			return 0;
		}
	}
	return err_set(e, ERR_INVALID, "%s: '%.40s' is not yes or no", it->key, in);
}

static int value_list(const struct catalog_item *it, const char *in, struct buf *out,
		      struct err *e)
{
	size_t count = 0;

	for (const char *p = in; *p;) {
		size_t n = strcspn(p, "\n"), m = n;
		const char *s = p;
		char what[96];
		int rc;
		while (m && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++, m--;
		while (m && (s[m - 1] == ' ' || s[m - 1] == '\t' || s[m - 1] == '\r'))
			m--;
		p += n + (p[n] == '\n');
		if (!m)
			continue;
		if (++count > ITEM_LIST_MAX)
			return err_set(e, ERR_TOOLONG, "%s: too many entries (at most %d)", it->key,
				       ITEM_LIST_MAX);
		if (utf8_count(s, m) > ITEM_ENTRY_MAX) {
			snprintf(what, sizeof(what), "%s: entry %zu", it->key, count);
			return err_set(e, ERR_TOOLONG, "%s: too long (at most %d characters)", what,
				       ITEM_ENTRY_MAX);
		}
		if (out->len)
			buf_addch(out, '\n');
		buf_add(out, s, m);
		rc = utf8_check_text(it->key, out->data, 0, 1, e);
		if (rc)
			return rc;
	}
	return 0;
}

int catalog_item_value(const struct catalog_item *it, const char *in, const struct tz *tz,
		       int64_t now, struct buf *out, struct err *e)
{
	int64_t t;
	int rc;

	buf_reset(out);
	rc = utf8_check_text(it->key, in, it->type == IT_TEXT ? ITEM_TEXT_MAX : 0,
			     it->type == IT_TEXT || it->type == IT_LIST, e);
	if (rc)
		return rc;
	while (*in == ' ' || *in == '\t')
		in++;
	if (!*in)
		return 0;
	switch (it->type) {
	case IT_TEXT:
		buf_adds(out, in);
		return 0;
	case IT_NUMBER:
		return value_number(it, in, out, e);
	case IT_DATETIME:
		rc = time_parse(in, tz, now, &t, e);
		if (rc)
			return err_prefix(e, "%s", it->key);
		buf_addf(out, "%" PRId64, t);
		return 0;
	case IT_CHOICE:
		return value_choice(it, in, out, e);
	case IT_YESNO:
		return value_yesno(it, in, out, e);
	case IT_LIST:
		return value_list(it, in, out, e);
	}
	return err_set(e, ERR_INTERNAL, "unknown item type");
}
