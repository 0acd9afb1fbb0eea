/*
 * cmd_ioc.c: `irdesk ioc load|list|sweep`: IOC watchlists from the command
 * line: store a list, show the stored lists, and match files of JSON events
 * against lists offline (one line per hit, like `irdesk scan`).
 */
#include "cli.h"
#include "cmds.h"
#include "detect/event.h"
#include "detect/ioc.h"
#include "detect/scan.h"
#include "detect/watchlist.h"
#include "util/json.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char usage_main[] =
	"usage: irdesk ioc load FILE [--name LIST] [--skip-bad]\n"
	"       irdesk ioc list\n"
	"       irdesk ioc sweep [--list NAME | --file FILE]... [--all-fields]\n"
	"                        [--profile auto|flat|evtx|winlogbeat] [--stats] EVENTFILE...\n"
	"\n"
	"A watchlist file holds one indicator per line (its type guessed: ip, cidr,\n"
	"domain, url, email, md5, sha1, sha256, filename; defanged hxxp and [.] are\n"
	"accepted; '#' starts a comment) or CSV rows TYPE,VALUE[,COMMENT].\n"
	"  load    store FILE as the list LIST (default: FILE's name without folder and\n"
	"          extension), replacing a list of that name; --skip-bad skips lines\n"
	"          that do not parse instead of refusing the file\n"
	"  list    the stored lists with their counts per type\n"
	"  sweep   match the events of each EVENTFILE (JSON lines, arrays or objects)\n"
	"          against the stored lists (all of them unless --list names some) or\n"
	"          watchlist files (--file, no database needed); one line per hit:\n"
	"          EVENTFILE:N: TYPE VALUE field FIELD list LIST; --json: one object per\n"
	"          hit; --all-fields also searches every other string field as text\n"
	"\noptions:\n" CLI_COMMON_HELP;

enum { O_NAME = OPT__FIRST_CMD, O_SKIPBAD, O_LIST, O_FILE, O_ALL, O_PROFILE, O_STATS };

struct opts {
	const char *name;
	int skip_bad, all_fields, stats;
	const char **lists, **files;
	int nlists, nfiles;
	enum event_profile profile;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct opts *o = ctx;

	switch (opt) {
	case O_NAME: o->name = arg; return 0;
	case O_SKIPBAD: o->skip_bad = 1; return 0;
	case O_LIST: o->lists[o->nlists++] = arg; return 0;
	case O_FILE: o->files[o->nfiles++] = arg; return 0;
	case O_ALL: o->all_fields = 1; return 0;
	case O_STATS: o->stats = 1; return 0;
	case O_PROFILE:
		if (event_profile_parse(arg, &o->profile))
			return cli_usage_error(usage_main, "--profile: expected auto, flat, evtx or "
					       "winlogbeat, got '%.80s'", arg);
		return 0;
	}
	return cli_usage_error(usage_main, "unknown option");
}

/* The default list name: the file's name without folder and extension. */
static void default_name(const char *path, char *out, size_t n)
{
	const char *b = strrchr(path, '/'), *dot;

	b = b ? b + 1 : path;
	snprintf(out, n, "%s", b);
	dot = strrchr(out, '.');
	if (dot && dot != out)
		*(char *)dot = '\0';
}

static int ioc_load(struct cli *c, struct opts *o, const char *file)
{
	char name[256];
	size_t count = 0, bad = 0;
	int rc;

	if (o->name)
		snprintf(name, sizeof(name), "%s", o->name);
	else
		default_name(file, name, sizeof(name));
	if ((rc = cli_open(c)))
		return rc;
	if (watchlist_import(c->st, &c->actor, name, file, o->skip_bad, &count, &bad, &c->err))
		return cli_fail(c);
	if (c->json) {
		json_t *j = json_pack("{s:s,s:I,s:I}", "name", name, "entries", (json_int_t)count,
				      "skipped", (json_int_t)bad);
		json_print(j);
		json_decref(j);
	} else {
		printf("list %s: %zu indicators", name, count);
		if (bad)
			printf(", %zu lines skipped", bad);
		putchar('\n');
	}
	return 0;
}

static int ioc_list(struct cli *c)
{
	static const char *const head[] = { "NAME", "ENTRIES", "TYPES", "SOURCE", "UPDATED" };
	json_t *out = NULL, *l;
	size_t i;
	int rc;

	if ((rc = cli_open(c)))
		return rc;
	if (watchlist_list(c->st, &c->actor, &out, &c->err))
		return cli_fail(c);
	if (c->json) {
		json_print(out);
	} else {
		struct table *t = table_new(5, head);

		json_array_foreach(out, i, l) {
			char entries[24], types[256] = "", when[64];
			const char *cells[5], *k;
			json_t *v;
			int64_t at = 0;
			size_t o = 0;

			snprintf(entries, sizeof(entries), "%lld",
				 (long long)json_integer_value(json_object_get(l, "entries")));
			json_object_foreach(json_object_get(l, "types"), k, v)
				o += (size_t)snprintf(types + o, o < sizeof(types) ? sizeof(types) - o : 0,
						      "%s%s %lld", o ? ", " : "", k,
						      (long long)json_integer_value(v));
			time_parse(json_str(l, "updated_at"), c->tz, 0, &at, NULL);
			cells[0] = json_str(l, "name");
			cells[1] = entries;
			cells[2] = types;
			cells[3] = json_str(l, "source");
			cells[4] = cli_time(c, at, when);
			table_add(t, cells);
		}
		table_max_width(t, 2, 60);
		table_max_width(t, 3, 40);
		table_print(t, stdout);
		table_free(t);
	}
	json_decref(out);
	return 0;
}

/* s as a JSON string, quotes included. */
static void put_json_string(FILE *out, const char *s, size_t n)
{
	putc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			putc(ch, out);
	}
	putc('"', out);
}

struct sweep_run {
	const struct ioc_set *set;
	struct ioc_scratch *sc;
	const char *file;
	size_t index, hits;
	int json, all_fields;
	FILE *out;
};

static int on_hit(void *ctx, const struct ioc_hit *h)
{
	struct sweep_run *r = ctx;

	r->hits++;
	if (r->json) {
		fputs("{\"file\": ", r->out);
		put_json_string(r->out, r->file, strlen(r->file));
		fprintf(r->out, ", \"event\": %zu, \"type\": \"%s\", \"value\": ", r->index,
			ioc_type_name(h->type));
		put_json_string(r->out, h->value, strlen(h->value));
		fputs(", \"list\": ", r->out);
		put_json_string(r->out, h->list, strlen(h->list));
		fputs(", \"field\": ", r->out);
		put_json_string(r->out, h->field, strlen(h->field));
		fputs("}\n", r->out);
	} else {
		fprintf(r->out, "%s:%zu: %s %s field %s list %s\n", r->file, r->index,
			ioc_type_name(h->type), h->value, h->field, h->list);
	}
	return 0;
}

static int on_event(void *ctx, const struct event *ev, size_t index, size_t offset,
		    struct err *err)
{
	struct sweep_run *r = ctx;

	(void)offset;
	r->index = index;
	ioc_match(r->set, r->sc, ev, r->all_fields, on_hit, r);
	if (ferror(r->out))
		return err_set(err, ERR_IO, "cannot write output");
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ioc_sweep(struct cli *c, struct opts *o, const char **evfiles, int nev)
{
	struct ioc_set *set = NULL;
	struct sweep_run run;
	struct event ev;
	size_t events = 0, bytes = 0;
	double t0, t1, secs;
	int rc = 0;

	memset(&run, 0, sizeof(run));
	event_init(&ev);
	for (int i = 0; i < nev; i++) {
		struct stat sb;

		if (strcmp(evfiles[i], "-") != 0 && stat(evfiles[i], &sb) != 0) {
			rc = cli_error(ERR_NOTFOUND, "%s: no such file", evfiles[i]);
			goto out;
		}
	}
	t0 = now_s();
	err_clear(&c->err);
	if (ioc_set_new(&set, &c->err) || ioc_scratch_new(&run.sc, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}
	for (int i = 0; i < o->nfiles; i++) {
		char name[256];

		default_name(o->files[i], name, sizeof(name));
		if (ioc_set_load_file(set, o->files[i], name, 0, NULL, NULL, &c->err)) {
			rc = cli_fail(c);
			goto out;
		}
	}
	if (o->nlists || !o->nfiles) {
		if ((rc = cli_open(c)))
			goto out;
		for (int i = 0; i < o->nlists; i++)
			if (watchlist_load(c->st, &c->actor, o->lists[i], set, NULL, &c->err)) {
				rc = cli_fail(c);
				goto out;
			}
		if (!o->nlists && watchlist_load(c->st, &c->actor, NULL, set, NULL, &c->err)) {
			rc = cli_fail(c);
			goto out;
		}
	}
	if (ioc_set_compile(set, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}
	t1 = now_s();
	run.set = set;
	run.json = c->json;
	run.all_fields = o->all_fields;
	run.out = stdout;
	for (int i = 0; i < nev; i++) {
		size_t n = 0, nb = 0;

		run.file = evfiles[i];
		rc = scan_file(evfiles[i], o->profile, &ev, on_event, &run, &n, &nb, &c->err);
		events += n;
		bytes += nb;
		if (rc) {
			fflush(stdout);
			rc = cli_fail(c);
			goto out;
		}
	}
	secs = now_s() - t1;
	if (secs <= 0)
		secs = 1e-9;
	if (o->stats)
		fprintf(stderr, "indicators: %zu (loaded in %.2f s); events: %zu; hits: %zu; "
			"%.1f MB/s, %.0f events/s\n", ioc_set_count(set), t1 - t0, events, run.hits,
			(double)bytes / 1e6 / secs, (double)events / secs);
	rc = 0;
out:
	ioc_scratch_free(run.sc);
	ioc_set_free(set);
	event_release(&ev);
	return rc;
}

int cmd_ioc(int argc, char **argv, struct cli *c)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "name", required_argument, NULL, O_NAME },
		{ "skip-bad", no_argument, NULL, O_SKIPBAD },
		{ "list", required_argument, NULL, O_LIST },
		{ "file", required_argument, NULL, O_FILE },
		{ "all-fields", no_argument, NULL, O_ALL },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "stats", no_argument, NULL, O_STATS },
		{ 0, 0, 0, 0 },
	};
	struct opts o;
	const char **ops = NULL;
	const char *sub;
	int rc, nops = 0;

	if (argc < 2)
		return cli_usage_error(usage_main, "missing ioc command (load, list, sweep)");
	if (cli_is_help(argv[1])) {
		fputs(usage_main, stdout);
		return 0;
	}
	sub = argv[1];
	argc--;
	argv++;
	memset(&o, 0, sizeof(o));
	o.profile = PROFILE_AUTO;
	o.lists = calloc((size_t)argc + 1, sizeof(*o.lists));
	o.files = calloc((size_t)argc + 1, sizeof(*o.files));
	ops = calloc((size_t)argc + 1, sizeof(*ops));
	if (!o.lists || !o.files || !ops) {
		rc = cli_error(ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = cli_parse_operands(c, argc, argv, longopts, usage_main, on_opt, &o, ops, argc, &nops);
	if (rc >= 0)
		goto out;
	if (strcmp(sub, "load") == 0) {
		rc = nops != 1 ? cli_usage_error(usage_main, "ioc load: expected one FILE")
			       : ioc_load(c, &o, ops[0]);
	} else if (strcmp(sub, "list") == 0) {
		rc = nops ? cli_usage_error(usage_main, "ioc list: unexpected argument '%s'", ops[0])
			  : ioc_list(c);
	} else if (strcmp(sub, "sweep") == 0) {
		rc = nops == 0 ? cli_usage_error(usage_main, "ioc sweep: no event files given")
			       : ioc_sweep(c, &o, ops, nops);
	} else {
		rc = cli_usage_error(usage_main, "unknown ioc command '%s' (load, list, sweep)", sub);
	}
out:
	free(o.lists);
	free(o.files);
	free(ops);
	return rc;
}
