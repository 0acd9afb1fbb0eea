/*
 * cmd_scan.c: `irdesk scan`: load Sigma rules, read files of JSON events
 * and print one line per (event, rule) match, offline, for people checking
 * rules and for the tests.
 */
#include "cli.h"
#include "cmds.h"
#include "detect/event.h"
#include "detect/scan.h"
#include "detect/sigma.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char usage_scan[] =
	"usage: irdesk scan --rules PATH [--rules PATH...] [--profile auto|flat|evtx|winlogbeat]\n"
	"                   [--time-field NAME] [--json] [--stats] FILE...\n"
	"\n"
	"Match the events of each FILE against Sigma rules and print one line per\n"
	"(event, rule) match: FILE:N: LEVEL RULE-ID TITLE, where N is the 0-based\n"
	"index of the JSON object in its file. A FILE holds JSON lines, one JSON\n"
	"array of objects, or objects one after another (also pretty-printed);\n"
	"'-' reads standard input. Exits 0 when the scan ran, matches or not.\n"
	"Correlation rules fire over the stream of matches of all FILEs, in order,\n"
	"with each event's time from its timestamp field; a firing prints a line\n"
	"like a match, with the correlation's id, and the matches of rules only\n"
	"correlations refer to are not printed unless one says generate: true.\n"
	"A condition with lt/lte on a count is decided when the group's window\n"
	"closes: on the first event past its end, or at the end of the input\n"
	"(printed with the last event's index).\n"
	"\n"
	"options:\n"
	"  --rules PATH     a rule file, or a folder of *.yml rules (repeatable)\n"
	"  --profile NAME   how events name their fields: auto (per event, the default),\n"
	"                   flat, evtx (evtx_dump) or winlogbeat\n"
	"  --time-field NAME  the event field that holds its time (default: the first of\n"
	"                   UtcTime, TimeCreated_SystemTime, @timestamp, timestamp, ...)\n"
	"  --json           one JSON object per match: file, event, rule, title, level\n"
	"  --stats          print rules loaded and rejected, events, matches, MB/s and\n"
	"                   events/s to standard error\n"
	"  --help           show this help\n";

enum { OPT_RULES = OPT__FIRST_CMD, OPT_PROFILE, OPT_STATS, OPT_TIME_FIELD };

struct scan_opts {
	const char **rules;
	int nrules;
	enum event_profile profile;
	int stats;
	const char *time_field;
};

static int scan_opt(void *ctx, int opt, const char *arg)
{
	struct scan_opts *o = ctx;

	switch (opt) {
	case OPT_RULES:
		o->rules[o->nrules++] = arg;
		return 0;
	case OPT_PROFILE:
		if (event_profile_parse(arg, &o->profile))
			return cli_usage_error(usage_scan, "--profile: expected auto, flat, evtx or "
					       "winlogbeat, got '%.80s'", arg);
		return 0;
	case OPT_STATS:
		o->stats = 1;
		return 0;
	case OPT_TIME_FIELD:
		o->time_field = arg;
		return 0;
	}
	return cli_usage_error(usage_scan, "unknown option");
}

/* What the match callback needs. */
struct scan_run {
	const struct sigma_ruleset *rs;
	struct sigma_scratch *scratch;
	struct sigma_corr_state *corr;  /* NULL when no rule is a correlation */
	const char *time_field;
	const struct event *ev;
	int64_t time;
	int failed;                     /* feeding a correlation ran out of memory */
	const char *file;
	size_t index;
	size_t matches, firings;
	int json;
	FILE *out;
};

/* s as a JSON string (quotes included); s is UTF-8 from a rule or a path. */
static void put_json_string(FILE *out, const char *s)
{
	putc('"', out);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				putc(*p, out);
		}
	}
	putc('"', out);
}

static void print_match(struct scan_run *r, const struct sigma_rule *rule)
{
	const char *id = sigma_rule_id(rule), *title = sigma_rule_title(rule);
	const char *level = sigma_rule_level(rule);

	if (r->json) {
		fputs("{\"file\": ", r->out);
		put_json_string(r->out, r->file);
		fprintf(r->out, ", \"event\": %zu, \"rule\": ", r->index);
		put_json_string(r->out, id);
		fputs(", \"title\": ", r->out);
		put_json_string(r->out, title);
		fputs(", \"level\": ", r->out);
		put_json_string(r->out, level);
		fputs("}\n", r->out);
	} else {
		fprintf(r->out, "%s:%zu: %s %s %s\n", r->file, r->index, level ? level : "-",
			id ? id : "-", title ? title : "");
	}
}

static void on_fire(void *ctx, const struct sigma_rule *corr, const char *group, int64_t time)
{
	struct scan_run *r = ctx;

	(void)group;
	(void)time;
	r->firings++;
	if (sigma_rule_generates(corr))
		print_match(r, corr);
}

static void on_match(void *ctx, const struct sigma_rule *rule)
{
	struct scan_run *r = ctx;

	r->matches++;
	if (sigma_rule_generates(rule))
		print_match(r, rule);
	if (r->corr && sigma_correlate_feed(r->rs, r->corr, rule, r->ev, r->time, on_fire, r))
		r->failed = 1;
}

static int on_event(void *ctx, const struct event *ev, size_t index, size_t offset,
		    struct err *err)
{
	struct scan_run *r = ctx;

	(void)offset;
	r->index = index;
	r->ev = ev;
	if (r->corr) {
		r->time = sigma_event_time(ev, r->time_field, time_now());
		/* Deferred windows that ended before this event close first. */
		if (sigma_correlate_advance(r->rs, r->corr, r->time, on_fire, r))
			r->failed = 1;
	}
	if (sigma_match(r->rs, r->scratch, ev, on_match, r) != 0 || r->failed)
		return err_set(err, ERR_INTERNAL, "%s: event %zu: matching failed", r->file, index);
	/* A reader that went away (scan | head) ends the scan. */
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

int cmd_scan(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "rules", required_argument, NULL, OPT_RULES },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "time-field", required_argument, NULL, OPT_TIME_FIELD },
		{ NULL, 0, NULL, 0 },
	};
	struct scan_opts o;
	struct scan_run run;
	struct sigma_ruleset *rs = NULL;
	struct event ev;
	const char **files = NULL;
	size_t events = 0, bytes = 0;
	double t0, secs;
	int rc, nfiles = 0;

	memset(&o, 0, sizeof(o));
	memset(&run, 0, sizeof(run));
	event_init(&ev);
	o.profile = PROFILE_AUTO;
	o.rules = calloc((size_t)argc + 1, sizeof(*o.rules));
	files = calloc((size_t)argc + 1, sizeof(*files));
	if (!o.rules || !files) {
		rc = cli_error(ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = cli_parse_operands(c, argc, argv, opts, usage_scan, scan_opt, &o, files, argc,
				&nfiles);
	if (rc >= 0)
		goto out;
	if (o.nrules == 0) {
		rc = cli_usage_error(usage_scan, "scan: --rules PATH is required");
		goto out;
	}
	if (nfiles == 0) {
		rc = cli_usage_error(usage_scan, "scan: no event files given");
		goto out;
	}
	/* Missing files fail before the rules take their time to load. */
	for (int i = 0; i < nfiles; i++) {
		struct stat sb;

		if (strcmp(files[i], "-") != 0 && stat(files[i], &sb) != 0) {
			rc = cli_error(ERR_NOTFOUND, "%s: no such file", files[i]);
			goto out;
		}
	}

	err_clear(&c->err);
	if (sigma_ruleset_new(&rs, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}
	for (int i = 0; i < o.nrules; i++) {
		if (sigma_load_path(rs, o.rules[i], NULL, NULL, &c->err)) {
			rc = cli_fail(c);
			goto out;
		}
	}
	if (sigma_ruleset_compile(rs, &c->err) ||
	    sigma_scratch_new(rs, &run.scratch, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}

	if (sigma_ruleset_correlations(rs) && sigma_corr_state_new(0, &run.corr, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}
	run.rs = rs;
	run.time_field = o.time_field;
	run.json = c->json;
	run.out = stdout;
	t0 = now_s();
	for (int i = 0; i < nfiles; i++) {
		size_t n = 0, nb = 0;

		run.file = files[i];
		rc = scan_file(files[i], o.profile, &ev, on_event, &run, &n, &nb, &c->err);
		events += n;
		bytes += nb;
		if (rc) {
			fflush(stdout);
			rc = cli_fail(c);
			goto out;
		}
	}
	/* The end of the stream closes the open windows (reported at the last event). */
	if (run.corr && sigma_correlate_flush(rs, run.corr, on_fire, &run)) {
		rc = cli_error(ERR_NOMEM, "out of memory");
		goto out;
	}
	secs = now_s() - t0;
	if (o.stats) {
		if (secs <= 0)
			secs = 1e-9;
		fprintf(stderr, "rules: %zu loaded, %zu rejected; events: %zu; matches: %zu; "
			"%.1f MB/s, %.0f events/s\n", sigma_ruleset_loaded(rs),
			sigma_ruleset_rejected(rs), events, run.matches, (double)bytes / 1e6 / secs,
			(double)events / secs);
		if (run.corr) {
			uint64_t evicted;

			sigma_corr_stats(run.corr, NULL, &evicted, NULL);
			fprintf(stderr, "correlations: %zu fired, %llu groups evicted\n", run.firings,
				(unsigned long long)evicted);
		}
	}
	rc = 0;
out:
	sigma_corr_state_free(run.corr);
	sigma_scratch_free(run.scratch);
	sigma_ruleset_free(rs);
	event_release(&ev);
	free(o.rules);
	free(files);
	return rc;
}
