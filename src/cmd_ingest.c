/*
 * cmd_ingest.c: `irdesk ingest`: the server's detection pipeline offline:
 * read files of JSON events, match them against Sigma rules and record the
 * alerts in the store (deduplicated and suppressed as the server does).
 */
#include "cli.h"
#include "cmds.h"
#include "detect/intake.h"
#include "detect/scan.h"
#include "ir/alert.h"
#include "store/store.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage_ingest[] =
	"usage: irdesk ingest [--rules PATH...] [--profile auto|flat|evtx|winlogbeat]\n"
	"                     [--dedup-window SECS] [--json] FILE...\n"
	"\n"
	"Match the events of each FILE (JSON lines, a JSON array, or objects one after\n"
	"another; '-' is standard input) against Sigma rules and record alerts in the\n"
	"store, as `irdesk serve` does with POST /api/v1/events. Shows progress on a\n"
	"terminal; prints a summary at the end.\n"
	"\n"
	"options:\n"
	"  --rules PATH        a rule file, or a folder of *.yml rules (repeatable)\n"
	"  --profile NAME      how events name their fields (default auto)\n"
	"  --dedup-window SECS fold matches of one rule on one host and user (default 600)\n"
	CLI_COMMON_HELP;

enum { O_RULES = OPT__FIRST_CMD, O_PROFILE, O_WINDOW };

#define BATCH 500 /* events per transaction */

struct ingest_opts {
	const char **rules;
	int nrules;
	enum event_profile profile;
	long window;
};

static int ingest_opt(void *ctx, int opt, const char *arg)
{
	struct ingest_opts *o = ctx;
	char *end;

	switch (opt) {
	case O_RULES:
		o->rules[o->nrules++] = arg;
		return 0;
	case O_PROFILE:
		if (event_profile_parse(arg, &o->profile))
			return cli_usage_error(usage_ingest, "--profile: expected auto, flat, evtx or "
					       "winlogbeat, got '%.80s'", arg);
		return 0;
	case O_WINDOW:
		o->window = strtol(arg, &end, 10);
		if (!*arg || *end || o->window < 1 || o->window > 30 * 86400)
			return cli_usage_error(usage_ingest, "--dedup-window: expected 1 to 2592000 "
					       "seconds");
		return 0;
	}
	return cli_usage_error(usage_ingest, "unknown option");
}

struct ingest_run {
	struct cli *c;
	struct detector *det;
	struct intake_stats stats;
	const char *file;
	int64_t window;
	size_t in_tx;
	int progress;
};

static void show_progress(struct ingest_run *r, int done)
{
	fprintf(stderr, "\r%s: %llu events, %llu alerts, %llu deduplicated, %llu suppressed%s",
		r->file, (unsigned long long)r->stats.events, (unsigned long long)r->stats.created,
		(unsigned long long)r->stats.deduplicated, (unsigned long long)r->stats.suppressed,
		done ? "\n" : "");
}

static int on_event(void *ctx, const struct event *ev, size_t index, size_t offset,
		    struct err *err)
{
	struct ingest_run *r = ctx;
	int rc;

	(void)offset;
	if (r->in_tx == 0 && (rc = store_begin(r->c->st, err)))
		return rc;
	rc = detector_event(r->det, r->c->st, &r->c->actor, ev, r->window, &r->stats, err);
	if (rc)
		return err_prefix(err, "%s: event %zu", r->file, index);
	if (++r->in_tx == BATCH) {
		r->in_tx = 0;
		if ((rc = store_commit(r->c->st, err)))
			return rc;
		if (r->progress)
			show_progress(r, 0);
	}
	return 0;
}

int cmd_ingest(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "rules", required_argument, NULL, O_RULES },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "dedup-window", required_argument, NULL, O_WINDOW },
		{ NULL, 0, NULL, 0 },
	};
	struct ingest_opts o;
	struct ingest_run run;
	const char **files = NULL;
	struct timespec t0, t1;
	int rc, nfiles = 0;

	memset(&o, 0, sizeof(o));
	memset(&run, 0, sizeof(run));
	o.profile = PROFILE_AUTO;
	o.rules = calloc((size_t)argc + 1, sizeof(*o.rules));
	files = calloc((size_t)argc + 1, sizeof(*files));
	if (!o.rules || !files) {
		rc = cli_error(ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = cli_parse_operands(c, argc, argv, opts, usage_ingest, ingest_opt, &o, files, argc,
				&nfiles);
	if (rc >= 0)
		goto out;
	if (nfiles == 0) {
		rc = cli_usage_error(usage_ingest, "ingest: no event files given");
		goto out;
	}
	for (int i = 0; i < nfiles; i++) {
		struct stat sb;
		if (strcmp(files[i], "-") != 0 && stat(files[i], &sb) != 0) {
			rc = cli_error(ERR_NOTFOUND, "%s: no such file", files[i]);
			goto out;
		}
	}
	if ((rc = cli_open(c)))
		goto out;
	err_clear(&c->err);
	if (detector_new(o.rules, o.nrules, &run.det, &c->err) ||
	    detector_load_watchlists(run.det, c->st, &c->actor, NULL, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run.c = c;
	run.window = o.window;
	run.progress = isatty(2);
	for (int i = 0; i < nfiles; i++) {
		struct event ev;

		run.file = files[i];
		event_init(&ev);
		rc = scan_file(files[i], o.profile, &ev, on_event, &run, NULL, NULL, &c->err);
		event_release(&ev);
		/* What was recorded before a bad event stays recorded. */
		if (run.in_tx) {
			run.in_tx = 0;
			if (rc)
				store_commit(c->st, NULL);
			else
				rc = store_commit(c->st, &c->err);
		}
		if (run.progress)
			show_progress(&run, 1);
		if (rc) {
			rc = cli_fail(c);
			goto out;
		}
	}
	/* The end of the input closes the correlation windows still open. */
	if (detector_flush(run.det, c->st, &c->actor, run.window, &run.stats, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (c->json) {
		/* seconds: matching and recording, after the rules and watchlists are loaded */
		json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "rules",
				      (json_int_t)detector_loaded(run.det), "events",
				      (json_int_t)run.stats.events, "matches",
				      (json_int_t)run.stats.matches, "alerts",
				      (json_int_t)run.stats.created, "deduplicated",
				      (json_int_t)run.stats.deduplicated, "suppressed",
				      (json_int_t)run.stats.suppressed, "seconds",
				      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		json_print(j);
		json_decref(j);
	} else {
		printf("%zu rules, %llu events, %llu matches: %llu new alerts, %llu deduplicated, "
		       "%llu suppressed\n", detector_loaded(run.det),
		       (unsigned long long)run.stats.events, (unsigned long long)run.stats.matches,
		       (unsigned long long)run.stats.created,
		       (unsigned long long)run.stats.deduplicated,
		       (unsigned long long)run.stats.suppressed);
	}
	rc = 0;
out:
	detector_free(run.det);
	free(o.rules);
	free(files);
	return rc;
}
