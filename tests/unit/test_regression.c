/*
 * test_regression.c: SigmaHQ's regression expectations, one test per folder
 * of ../shared/data/events/sigmahq-regression/: the rule its info.yml names
 * must fire on the JSON events beside it, with every rule of the three
 * SigmaHQ rule folders loaded at once (as `irdesk scan` would). Without the
 * corpus (IRDESK_CORPUS unset) the whole file is one skipped test.
 */
#include "unit.h"

#include "detect/event.h"
#include "detect/scan.h"
#include "detect/sigma.h"
#include "util/err.h"

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

/* What the loader said about each rule id. */
struct rule_note {
	char *id;
	char *path;
	char *reason;   /* NULL when loaded */
};

static struct {
	struct sigma_ruleset *rs;
	struct sigma_scratch *scratch;
	struct rule_note *notes;
	size_t nnotes, capnotes;
	int sorted;
	struct err load_err;
	int load_rc;
} g;

/* One folder: where it is, the rule it expects, its event files. */
struct folder {
	char dir[1024];
	char name[512];         /* relative to the regression root */
	char id[64];
	char **files;
	size_t nfiles;
	char test_name[600];
};

static void on_report(void *ctx, const char *path, const char *id, const char *title,
		      int loaded, const char *reason)
{
	struct rule_note *n;

	(void)ctx;
	(void)title;
	if (!id || !*id)
		return;
	if (g.nnotes == g.capnotes) {
		g.capnotes = g.capnotes ? g.capnotes * 2 : 4096;
		g.notes = realloc(g.notes, g.capnotes * sizeof(*g.notes));
		if (!g.notes)
			abort();
	}
	n = &g.notes[g.nnotes++];
	n->id = strdup(id);
	n->path = strdup(path ? path : "?");
	n->reason = loaded ? NULL : strdup(reason ? reason : "no reason given");
}

static int cmp_note(const void *a, const void *b)
{
	return strcmp(((const struct rule_note *)a)->id, ((const struct rule_note *)b)->id);
}

static const struct rule_note *find_note(const char *id)
{
	struct rule_note key = { (char *)(uintptr_t)id, NULL, NULL };

	if (!g.sorted) {
		qsort(g.notes, g.nnotes, sizeof(*g.notes), cmp_note);
		g.sorted = 1;
	}
	return bsearch(&key, g.notes, g.nnotes, sizeof(*g.notes), cmp_note);
}

/* Load every rule once for all the folders. */
static int setup_rules(void **state)
{
	static const char *const dirs[] = { "rules", "rules-emerging-threats",
					     "rules-threat-hunting" };
	const char *corpus = unit_corpus_dir();
	struct timespec t0, t1;

	(void)state;
	err_clear(&g.load_err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	g.load_rc = sigma_ruleset_new(&g.rs, &g.load_err);
	for (size_t i = 0; !g.load_rc && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[1024];

		snprintf(path, sizeof(path), "%s/sigma/%s", corpus, dirs[i]);
		g.load_rc = sigma_load_path(g.rs, path, on_report, NULL, &g.load_err);
	}
	if (!g.load_rc)
		g.load_rc = sigma_ruleset_compile(g.rs, &g.load_err);
	if (!g.load_rc)
		g.load_rc = sigma_scratch_new(g.rs, &g.scratch, &g.load_err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# %zu rules loaded, %zu rejected in %.2f s (sanitizer build)\n",
	       g.rs ? sigma_ruleset_loaded(g.rs) : 0, g.rs ? sigma_ruleset_rejected(g.rs) : 0,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0; /* each test reports a failed load itself, with its message */
}

static int teardown_rules(void **state)
{
	(void)state;
	sigma_scratch_free(g.scratch);
	sigma_ruleset_free(g.rs);
	for (size_t i = 0; i < g.nnotes; i++) {
		free(g.notes[i].id);
		free(g.notes[i].path);
		free(g.notes[i].reason);
	}
	free(g.notes);
	return 0;
}

struct hits {
	const char *want;
	size_t hits;        /* matches of the wanted rule */
	size_t events;
	size_t others;      /* matches of other rules, for the message */
	char other_ids[256];
};

static void on_match(void *ctx, const struct sigma_rule *rule)
{
	struct hits *h = ctx;
	const char *id = sigma_rule_id(rule);

	if (id && strcmp(id, h->want) == 0) {
		h->hits++;
	} else {
		size_t n = strlen(h->other_ids);

		if (h->others++ < 3)
			snprintf(h->other_ids + n, sizeof(h->other_ids) - n, "%s%s", n ? ", " : "",
				 id ? id : "?");
	}
}

static int on_event(void *ctx, const struct event *ev, size_t index, size_t offset,
		    struct err *err)
{
	struct hits *h = ctx;

	(void)index;
	(void)offset;
	h->events++;
	if (sigma_match(g.rs, g.scratch, ev, on_match, h) != 0)
		return err_set(err, ERR_INTERNAL, "sigma_match failed");
	return 0;
}

static void test_folder(void **state)
{
	const struct folder *f = *state;
	const struct rule_note *note;
	struct hits h;
	struct event ev;
	struct err err;

	if (g.load_rc) {
		print_error("%s: rule %s: the rule set did not load: %s\n", f->name, f->id,
			    err_msg(&g.load_err));
		fail();
	}
	note = find_note(f->id);
	if (!note) {
		print_error("%s: rule %s: no rule with this id among ../shared/data/sigma\n",
			    f->name, f->id);
		fail();
	}
	if (note->reason) {
		print_error("%s: rule %s: rejected: %s (%s)\n", f->name, f->id, note->reason,
			    note->path);
		fail();
	}
	memset(&h, 0, sizeof(h));
	h.want = f->id;
	event_init(&ev);
	for (size_t i = 0; i < f->nfiles; i++) {
		err_clear(&err);
		if (scan_file(f->files[i], PROFILE_AUTO, &ev, on_event, &h, NULL, NULL, &err) != 0) {
			print_error("%s: rule %s: cannot read the events: %s\n", f->name, f->id,
				    err.msg);
			event_release(&ev);
			fail();
		}
	}
	event_release(&ev);
	if (h.hits == 0) {
		print_error("%s: rule %s: no match in %zu events (%s)%s%s\n", f->name, f->id,
			    h.events, note->path, h.others ? "; other rules fired: " : "",
			    h.other_ids);
		fail();
	}
}

/* The rule id in an info.yml: the first "id:" under rule_metadata. */
static int info_rule_id(const char *path, char *out, size_t size)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	int in_meta = 0;

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		char *p = line, *end;

		if (strncmp(line, "rule_metadata:", 14) == 0) {
			in_meta = 1;
			continue;
		}
		if (!in_meta)
			continue;
		while (*p == ' ' || *p == '-')
			p++;
		if (strncmp(p, "id:", 3) != 0)
			continue;
		p += 3;
		while (*p == ' ' || *p == '\'' || *p == '"')
			p++;
		end = p + strcspn(p, " '\"\r\n");
		*end = '\0';
		snprintf(out, size, "%s", p);
		fclose(fp);
		return *out ? 0 : -1;
	}
	fclose(fp);
	return -1;
}

struct walk {
	struct folder *folders;
	size_t n, cap;
	size_t skipped;
	char skipped_names[8][512];
	const char *root;
	int bad;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(struct walk *w, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char info[1200];
	struct stat sb;
	char **files = NULL;
	size_t nfiles = 0, cap = 0;

	if (!d) {
		w->bad = 1;
		return;
	}
	while ((de = readdir(d))) {
		char path[1200];
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			walk(w, path);
		} else if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0) {
			if (nfiles == cap) {
				cap = cap ? cap * 2 : 4;
				files = realloc(files, cap * sizeof(*files));
				if (!files)
					abort();
			}
			files[nfiles++] = strdup(path);
		}
	}
	closedir(d);
	snprintf(info, sizeof(info), "%s/info.yml", dir);
	if (stat(info, &sb) == 0) {
		const char *rel = dir + strlen(w->root) + (dir[strlen(w->root)] == '/');

		if (nfiles == 0) {
			/* Raw syslog lines and the like: nothing here is JSON. */
			if (w->skipped < 8)
				snprintf(w->skipped_names[w->skipped], sizeof(w->skipped_names[0]), "%s",
					 rel);
			w->skipped++;
		} else {
			struct folder *f;

			if (w->n == w->cap) {
				w->cap = w->cap ? w->cap * 2 : 256;
				w->folders = realloc(w->folders, w->cap * sizeof(*w->folders));
				if (!w->folders)
					abort();
			}
			f = &w->folders[w->n++];
			memset(f, 0, sizeof(*f));
			snprintf(f->dir, sizeof(f->dir), "%s", dir);
			snprintf(f->name, sizeof(f->name), "%s", rel);
			if (info_rule_id(info, f->id, sizeof(f->id)) != 0)
				snprintf(f->id, sizeof(f->id), "(no id in info.yml)");
			qsort(files, nfiles, sizeof(*files), cmp_str);
			f->files = files;
			f->nfiles = nfiles;
			snprintf(f->test_name, sizeof(f->test_name), "%s fires %s", f->name, f->id);
			return;
		}
	}
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
}

static int cmp_folder(const void *a, const void *b)
{
	return strcmp(((const struct folder *)a)->name, ((const struct folder *)b)->name);
}

int main(void)
{
	const char *corpus = unit_corpus_dir();
	char root[1024];
	struct walk w;
	struct CMUnitTest *tests;
	int rc;

	if (!corpus) {
		printf("1..1\nok 1 - sigmahq regression # SKIP corpus not found\n");
		return 0;
	}
	memset(&w, 0, sizeof(w));
	snprintf(root, sizeof(root), "%s/events/sigmahq-regression", corpus);
	w.root = root;
	walk(&w, root);
	if (w.bad || w.n == 0) {
		printf("1..1\nnot ok 1 - sigmahq regression: cannot read %s\n", root);
		return 1;
	}
	qsort(w.folders, w.n, sizeof(*w.folders), cmp_folder);
	tests = calloc(w.n, sizeof(*tests));
	if (!tests)
		abort();
	for (size_t i = 0; i < w.n; i++) {
		tests[i].name = w.folders[i].test_name;
		tests[i].test_func = test_folder;
		tests[i].initial_state = &w.folders[i];
	}
	rc = _cmocka_run_group_tests("sigmahq regression", tests, w.n, setup_rules,
				     teardown_rules);
	/* Folders without JSON events are counted as skipped, by name. */
	for (size_t i = 0; i < w.skipped; i++)
		printf("ok %zu - %s # SKIP no JSON events in this folder\n", w.n + i + 1,
		       i < 8 ? w.skipped_names[i] : "(more)");
	for (size_t i = 0; i < w.n; i++) {
		for (size_t k = 0; k < w.folders[i].nfiles; k++)
			free(w.folders[i].files[k]);
		free(w.folders[i].files);
	}
	free(w.folders);
	free(tests);
	return rc;
}
