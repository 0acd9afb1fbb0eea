/*
 * bench_detect.c: the detection benchmark (issue 6, first bullet). Every
 * loadable SigmaHQ rule against the OTRF events as one NDJSON stream, on one
 * thread; in the same run, the same bytes through the event decoder alone
 * and through yajl's tokenizer alone (the baseline). Reports MB/s, events/s,
 * the ratio to yajl, rule load time and peak RSS.
 */
#include "detect/event.h"
#include "detect/scan.h"
#include "detect/sigma.h"
#include "util/err.h"

#include <dirent.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <yajl/yajl_parse.h>

/* Targets from issue 6, "on this machine". */
#define TARGET_RATIO_YAJL 0.30      /* decode+match throughput / yajl's */
#define TARGET_LOAD_S 2.0
#define TARGET_RSS_MB 300.0

static const char usage[] =
	"usage: bench_detect [--corpus DIR] [--runs N] [--match-runs N]\n"
	"\n"
	"  --corpus DIR     the shared data folder (default $IRDESK_CORPUS, else ../shared/data)\n"
	"  --runs N         timed runs of yajl and of the decoder (default 7; median reported)\n"
	"  --match-runs N   timed runs of decode+match (default 3)\n";

static const char bench_prog[] = "bench_detect";
#include "bench_util.h"

/* The baseline: yajl tokenizing the stream with no callbacks at all. */
static double run_yajl(const struct stream *s)
{
	static const yajl_callbacks none;
	yajl_handle h = yajl_alloc(&none, NULL, NULL);
	double t0 = now_s(), t;

	if (!h)
		die("yajl_alloc failed");
	yajl_config(h, yajl_allow_multiple_values, 1);
	if (yajl_parse(h, (const unsigned char *)s->data, s->len) != yajl_status_ok ||
	    yajl_complete_parse(h) != yajl_status_ok) {
		unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
		die("yajl rejects the stream: %s", (const char *)msg);
	}
	t = now_s() - t0;
	yajl_free(h);
	return t;
}

struct count {
	size_t events, fields, matches;
	const struct sigma_ruleset *rs;
	struct sigma_scratch *scratch;
};

static int count_event(void *ctx, const struct event *ev, size_t index, size_t offset,
		       struct err *err)
{
	struct count *c = ctx;

	(void)index;
	(void)offset;
	(void)err;
	c->events++;
	c->fields += ev->n;
	return 0;
}

static void on_match(void *ctx, const struct sigma_rule *rule)
{
	struct count *c = ctx;

	(void)rule;
	c->matches++;
}

static int match_event(void *ctx, const struct event *ev, size_t index, size_t offset,
		       struct err *err)
{
	struct count *c = ctx;

	(void)index;
	(void)offset;
	c->events++;
	if (sigma_match(c->rs, c->scratch, ev, on_match, c) != 0)
		return err_set(err, ERR_INTERNAL, "sigma_match failed");
	return 0;
}

/* The decoder alone, or decode+match when c->rs is set; seconds. */
static double run_decode(const struct stream *s, struct event *ev, struct count *c)
{
	struct err err;
	double t0 = now_s();

	err_clear(&err);
	if (scan_buffer("otrf", s->data, s->len, PROFILE_AUTO, ev, c->rs ? match_event : count_event,
			c, NULL, &err) != 0)
		die("%s", err.msg);
	return now_s() - t0;
}

/* Output */

static int missed;

static void row(const char *figure, const char *value, const char *base, const char *ratio,
		const char *target, int met)
{
	printf("%-44s %-26s %-26s %-9s %-14s %s\n", figure, value, base, ratio, target,
	       met < 0 ? "-" : met ? "yes" : "NO");
}

static void rate(char *out, size_t n, double bytes, double events, double secs)
{
	snprintf(out, n, "%.1f MB/s, %.0f ev/s", bytes / 1e6 / secs, events / secs);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "corpus", required_argument, NULL, 'c' },
		{ "runs", required_argument, NULL, 'r' },
		{ "match-runs", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const rule_dirs[] = { "rules", "rules-emerging-threats",
						 "rules-threat-hunting" };
	const char *corpus = getenv("IRDESK_CORPUS");
	char path[2048], v[64], b[64], q[32], t[32], missed_lines[1024] = "";
	int runs = 7, mruns = 3, opt;
	struct stream s = { 0 };
	struct sigma_ruleset *rs = NULL;
	struct count c;
	struct event ev;
	struct err err;
	struct rusage ru;
	double *ty, *td, *tm, yajl_s, dec_s, match_s, load_s, t0, rss_mb, ratio;
	size_t events;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': corpus = optarg; break;
		case 'r': runs = atoi(optarg); break;
		case 'm': mruns = atoi(optarg); break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (runs < 1 || mruns < 1)
		die("--runs and --match-runs take a number of at least 1");
	if (!corpus || !*corpus)
		corpus = "../shared/data";
	snprintf(path, sizeof(path), "%s/events/otrf", corpus);
	{
		struct stat sb;

		if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			printf("bench_detect: skipped: %s not found (set IRDESK_CORPUS or --corpus)\n",
			       path);
			return 0;
		}
	}

	printf("detection benchmark (issue 6): one thread, %d runs (decode+match %d), medians\n",
	       runs, mruns);
	collect(&s, path);
	event_init(&ev);
	memset(&c, 0, sizeof(c));
	run_decode(&s, &ev, &c); /* warm-up; also counts the events */
	events = c.events;
	printf("stream: %s: %d files, %.1f MB, %zu events, %.1f fields per event\n", path, s.files,
	       (double)s.len / 1e6, events, (double)c.fields / (double)events);

	ty = calloc((size_t)runs, sizeof(double));
	td = calloc((size_t)runs, sizeof(double));
	tm = calloc((size_t)mruns, sizeof(double));
	if (!ty || !td || !tm)
		die("out of memory");
	run_yajl(&s);
	for (int i = 0; i < runs; i++) {
		/* Interleaved, so drift in the machine's speed hits both alike. */
		ty[i] = run_yajl(&s);
		memset(&c, 0, sizeof(c));
		td[i] = run_decode(&s, &ev, &c);
	}
	yajl_s = median(ty, runs);
	dec_s = median(td, runs);

	/* Rules: load and compile, timed. */
	err_clear(&err);
	t0 = now_s();
	if (sigma_ruleset_new(&rs, &err))
		die("%s", err.msg);
	for (size_t i = 0; i < sizeof(rule_dirs) / sizeof(rule_dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/sigma/%s", corpus, rule_dirs[i]);
		if (sigma_load_path(rs, path, NULL, NULL, &err))
			die("%s", err.msg);
	}
	if (sigma_ruleset_compile(rs, &err))
		die("%s", err.msg);
	load_s = now_s() - t0;
	memset(&c, 0, sizeof(c));
	c.rs = rs;
	if (sigma_scratch_new(rs, &c.scratch, &err))
		die("%s", err.msg);
	run_decode(&s, &ev, &c); /* warm-up */
	for (int i = 0; i < mruns; i++) {
		c.matches = c.events = 0;
		tm[i] = run_decode(&s, &ev, &c);
	}
	match_s = median(tm, mruns);
	getrusage(RUSAGE_SELF, &ru);
	rss_mb = (double)ru.ru_maxrss / 1024.0;

	printf("rules: %zu loaded, %zu rejected; %zu matches over the stream\n",
	       sigma_ruleset_loaded(rs), sigma_ruleset_rejected(rs), c.matches);
	printf("\n%-44s %-26s %-26s %-9s %-14s %s\n", "figure", "irdesk", "baseline (yajl)",
	       "ratio", "target", "met?");
	for (int i = 0; i < 44 + 26 + 26 + 9 + 14 + 5 + 5; i++)
		putchar('-');
	putchar('\n');
	rate(b, sizeof(b), (double)s.len, (double)events, yajl_s);
	row("yajl tokenize only (baseline)", "-", b, "-", "-", -1);
	rate(v, sizeof(v), (double)s.len, (double)events, dec_s);
	snprintf(q, sizeof(q), "%.2fx", dec_s / yajl_s);
	row("decoder alone (parse + map fields)", v, b, q, "-", -1);
	rate(v, sizeof(v), (double)s.len, (double)events, match_s);
	snprintf(q, sizeof(q), "%.2fx", match_s / yajl_s);
	ratio = yajl_s / match_s;
	snprintf(t, sizeof(t), ">= %.2f x yajl", TARGET_RATIO_YAJL);
	{
		char fig[64];

		snprintf(fig, sizeof(fig), "decode + match, %zu rules", sigma_ruleset_loaded(rs));
		row(fig, v, b, q, t, ratio >= TARGET_RATIO_YAJL);
	}
	if (ratio < TARGET_RATIO_YAJL) {
		missed++;
		snprintf(missed_lines + strlen(missed_lines), sizeof(missed_lines) - strlen(missed_lines),
			 "TARGET MISSED: decode + match throughput: %.2f x yajl (%.1f MB/s), target >= %.2f x\n",
			 ratio, (double)s.len / 1e6 / match_s, TARGET_RATIO_YAJL);
	}
	snprintf(v, sizeof(v), "%.2f x yajl", yajl_s / dec_s);
	row("  decoder throughput / yajl's", v, "-", "-", "-", -1);
	snprintf(v, sizeof(v), "%.2f x yajl", ratio);
	row("  decode+match throughput / yajl's", v, "-", "-", t, ratio >= TARGET_RATIO_YAJL);
	snprintf(v, sizeof(v), "%.2f s", load_s);
	snprintf(t, sizeof(t), "< %.0f s", TARGET_LOAD_S);
	row("rule load + compile", v, "-", "-", t, load_s < TARGET_LOAD_S);
	if (load_s >= TARGET_LOAD_S) {
		missed++;
		snprintf(missed_lines + strlen(missed_lines), sizeof(missed_lines) - strlen(missed_lines),
			 "TARGET MISSED: rule load + compile: %.2f s, target < %.0f s\n", load_s,
			 TARGET_LOAD_S);
	}
	snprintf(v, sizeof(v), "%.1f MiB", rss_mb);
	snprintf(t, sizeof(t), "< %.0f MiB", TARGET_RSS_MB);
	row("peak RSS (stream in memory included)", v, "-", "-", t, rss_mb < TARGET_RSS_MB);
	if (rss_mb >= TARGET_RSS_MB) {
		missed++;
		snprintf(missed_lines + strlen(missed_lines), sizeof(missed_lines) - strlen(missed_lines),
			 "TARGET MISSED: peak RSS: %.1f MiB, target < %.0f MiB\n", rss_mb,
			 TARGET_RSS_MB);
	}
	printf("ratio = irdesk time / yajl time for the same bytes: 1.00x is parity, higher is slower.\n");
	if (missed)
		fputs(missed_lines, stdout);
	else
		printf("all targets met\n");

	sigma_scratch_free(c.scratch);
	sigma_ruleset_free(rs);
	event_release(&ev);
	free(ty);
	free(td);
	free(tm);
	free(s.data);
	return missed ? 3 : 0;
}
