/*
 * bench_ioc.c: the IOC sweep benchmark (issue 6, "IOC sweep"): 1,000,000
 * generated indicators of every type (a few taken from the events, so that
 * there are hits) into a temporary watchlist file; the time to load and
 * compile it; the sweep over the OTRF events as one stream (decode + match
 * on one thread); and in the same run `grep -F -f` with the same literal
 * list over the same concatenated file, the baseline.
 */
#include "detect/event.h"
#include "detect/ioc.h"
#include "detect/scan.h"
#include "util/err.h"

#include <dirent.h>
#include <getopt.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Targets from issue 6. */
#define TARGET_LOAD_S 3.0
#define TARGET_RATIO_GREP 1.0 /* sweep throughput / grep -F -f's */

static const char usage[] =
	"usage: bench_ioc [--corpus DIR] [--count N] [--runs N] [--keep DIR]\n"
	"\n"
	"  --corpus DIR   the shared data folder (default $IRDESK_CORPUS, else ../shared/data)\n"
	"  --count N      indicators to generate (default 1000000)\n"
	"  --runs N       timed sweeps and grep runs (default 3; median reported)\n"
	"  --keep DIR     write the watchlist, literal list and stream there and keep them\n";

static const char bench_prog[] = "bench_ioc";
#include "bench_util.h"

/* Generating indicators */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void rnd_word(char *out, int min, int max)
{
	int n = min + (int)(rnd() % (uint64_t)(max - min + 1));

	for (int i = 0; i < n; i++)
		out[i] = (char)('a' + rnd() % 26);
	out[n] = '\0';
}

static void rnd_hex(char *out, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = "0123456789abcdef"[rnd() % 16];
	out[n] = '\0';
}

/* Values harvested from the events: planted into the list so that the sweep hits. */
struct harvest {
	char (*vals)[256];
	size_t n, max;
};

static int harvest_event(void *ctx, const struct event *ev, size_t index, size_t offset,
			 struct err *err)
{
	static const char *const names[] = { "DestinationIp", "QueryName", "Image", NULL };
	struct harvest *h = ctx;

	(void)offset;
	(void)err;
	if (index % 997 != 0 || h->n >= h->max)
		return 0;
	for (int i = 0; names[i] && h->n < h->max; i++) {
		size_t pos = 0, len = strlen(names[i]);
		const struct event_field *f = event_find(ev, names[i], len, event_name_hash(names[i], len), &pos);

		if (f && f->type == EV_STRING && f->value_len > 3 && f->value_len < 200) {
			const char *v = f->value;
			size_t vl = f->value_len;

			if (i == 2) { /* Image: the basename */
				for (size_t k = 0; k < f->value_len; k++)
					if (f->value[k] == '\\' || f->value[k] == '/') {
						v = f->value + k + 1;
						vl = f->value_len - k - 1;
					}
			}
			enum ioc_type ty = IOC__COUNT;
			char norm[IOC_VALUE_MAX];

			if (vl > 3 && ioc_normalize(v, vl, &ty, norm, sizeof(norm), NULL) == 0)
				snprintf(h->vals[h->n++], sizeof(h->vals[0]), "%.*s", (int)vl, v);
		}
	}
	return 0;
}

/*
 * Write count indicators: the watchlist (TYPE,VALUE rows) and the literal
 * list for grep (the values alone).
 */
static void generate(const char *wl, const char *lit, size_t count, const struct harvest *h)
{
	FILE *a = fopen(wl, "w"), *b = fopen(lit, "w");
	char v[512], w1[64], w2[64];

	if (!a || !b)
		die("cannot write %s or %s", wl, lit);
	fputs("type,value,comment\n", a);
	for (size_t i = 0; i < count; i++) {
		const char *type;
		unsigned k = (unsigned)(rnd() % 100);

		if (i < h->n) {
			fprintf(a, "%s\n", h->vals[i]); /* type guessed */
			fprintf(b, "%s\n", h->vals[i]);
			continue;
		}
		if (k < 20) {
			type = "ip";
			snprintf(v, sizeof(v), "%u.%u.%u.%u", (unsigned)(rnd() % 223 + 1), (unsigned)(rnd() % 256),
				 (unsigned)(rnd() % 256), (unsigned)(rnd() % 256));
		} else if (k < 23) {
			type = "ip";
			snprintf(v, sizeof(v), "2001:db8:%x:%x::%x", (unsigned)(rnd() % 65536),
				 (unsigned)(rnd() % 65536), (unsigned)(rnd() % 65536));
		} else if (k < 26) {
			type = "cidr";
			snprintf(v, sizeof(v), "%u.%u.%u.0/24", (unsigned)(rnd() % 223 + 1), (unsigned)(rnd() % 256),
				 (unsigned)(rnd() % 256));
		} else if (k < 50) {
			type = "domain";
			rnd_word(w1, 4, 12);
			rnd_word(w2, 3, 10);
			snprintf(v, sizeof(v), "%s.%s.%s", w1, w2, (rnd() & 1) ? "com" : "net");
		} else if (k < 60) {
			type = "url";
			rnd_word(w1, 5, 12);
			rnd_word(w2, 4, 16);
			snprintf(v, sizeof(v), "http://%s.example.org/%s.php", w1, w2);
		} else if (k < 65) {
			type = "email";
			rnd_word(w1, 4, 10);
			rnd_word(w2, 4, 10);
			snprintf(v, sizeof(v), "%s@%s.com", w1, w2);
		} else if (k < 75) {
			type = "md5";
			rnd_hex(v, 32);
		} else if (k < 80) {
			type = "sha1";
			rnd_hex(v, 40);
		} else if (k < 90) {
			type = "sha256";
			rnd_hex(v, 64);
		} else {
			type = "filename";
			rnd_word(w1, 5, 14);
			snprintf(v, sizeof(v), "%s.exe", w1);
		}
		fprintf(a, "%s,%s\n", type, v);
		fprintf(b, "%s\n", v);
	}
	if (fclose(a) != 0 || fclose(b) != 0)
		die("cannot write the lists");
}

/* Sweeping */

struct sweep {
	const struct ioc_set *set;
	struct ioc_scratch *sc;
	size_t events, hits;
	int all_fields;
};

static int sweep_event(void *ctx, const struct event *ev, size_t index, size_t offset,
		       struct err *err)
{
	struct sweep *w = ctx;
	int n;

	(void)index;
	(void)offset;
	(void)err;
	w->events++;
	n = ioc_match(w->set, w->sc, ev, w->all_fields, NULL, NULL);
	if (n > 0)
		w->hits += (size_t)n;
	return 0;
}

static double run_sweep(const struct stream *s, struct event *ev, struct sweep *w)
{
	struct err e;
	double t0 = now_s();

	err_clear(&e);
	w->events = w->hits = 0;
	if (scan_buffer("otrf", s->data, s->len, PROFILE_AUTO, ev, sweep_event, w, NULL, &e) != 0)
		die("%s", e.msg);
	return now_s() - t0;
}

/* `grep -F -c -f LIST FILE` > /dev/null: its wall time, or -1 when grep cannot run. */
static double run_grep(const char *lit, const char *file)
{
	char *argv[] = { (char *)"grep", (char *)"-F", (char *)"-c", (char *)"-f", (char *)lit,
			 (char *)file, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;
	double t0 = now_s(), t;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1 /* O_WRONLY */, 0);
	if (posix_spawnp(&pid, "grep", &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) > 1)
		return -1;
	t = now_s() - t0;
	return t;
}

static void row(const char *figure, const char *value, const char *base, const char *ratio,
		const char *target, int met)
{
	printf("%-40s %-26s %-26s %-9s %-14s %s\n", figure, value, base, ratio, target,
	       met < 0 ? "" : met ? "yes" : "NO");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "corpus", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "runs", required_argument, NULL, 'r' },
		{ "keep", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *corpus = getenv("IRDESK_CORPUS"), *keep = NULL;
	char path[1024], dir[1024], wl[1100], lit[1100], streamf[1100], v[64], b[64], q[32], t[32];
	size_t count = 1000000, loaded = 0;
	int runs = 3, opt, missed = 0;
	struct stream s = { NULL, 0, 0, 0 };
	struct harvest h;
	struct ioc_set *set = NULL;
	struct sweep w;
	struct event ev;
	struct err e;
	struct stat sb;
	struct rusage ru;
	double load_s, sweep_s, all_s, grep_s, grep0_s, *ts, t0;
	char missed_lines[1024] = "";
	FILE *f;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': corpus = optarg; break;
		case 'n': count = (size_t)strtoul(optarg, NULL, 10); break;
		case 'r': runs = atoi(optarg); break;
		case 'k': keep = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (runs < 1 || count < 1)
		die("--runs and --count must be positive");
	if (!corpus || !*corpus)
		corpus = "../shared/data";
	snprintf(path, sizeof(path), "%s/events/otrf", corpus);
	if (stat(path, &sb) != 0) {
		printf("bench_ioc: skipped: %s not found (set IRDESK_CORPUS or --corpus)\n", path);
		return 0;
	}
	collect(&s, path);
	if (keep) {
		snprintf(dir, sizeof(dir), "%s", keep);
		mkdir(dir, 0700);
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/bench_ioc.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir))
			die("cannot make a temporary folder");
	}
	snprintf(wl, sizeof(wl), "%s/watchlist.csv", dir);
	snprintf(lit, sizeof(lit), "%s/literals.txt", dir);
	snprintf(streamf, sizeof(streamf), "%s/otrf.ndjson", dir);
	if (!(f = fopen(streamf, "wb")) || fwrite(s.data, 1, s.len, f) != s.len || fclose(f) != 0)
		die("%s: cannot write", streamf);

	event_init(&ev);
	err_clear(&e);
	h.max = 200;
	h.n = 0;
	h.vals = calloc(h.max, sizeof(*h.vals));
	if (!h.vals || scan_buffer("otrf", s.data, s.len, PROFILE_AUTO, &ev, harvest_event, &h, NULL, &e))
		die("harvest: %s", e.msg);
	generate(wl, lit, count, &h);

	printf("IOC sweep benchmark (issue 6): one thread, %d runs, medians\n", runs);
	printf("stream: %s: %d files, %.1f MB\n", path, s.files, (double)s.len / 1e6);

	t0 = now_s();
	if (ioc_set_new(&set, &e) || ioc_set_load_file(set, wl, "bench", 0, &loaded, NULL, &e) ||
	    ioc_set_compile(set, &e))
		die("load: %s", e.msg);
	load_s = now_s() - t0;
	printf("indicators: %zu generated, %zu distinct loaded (%zu planted from the events)\n",
	       count, loaded, h.n);

	memset(&w, 0, sizeof(w));
	w.set = set;
	if (ioc_scratch_new(&w.sc, &e))
		die("%s", e.msg);
	ts = calloc((size_t)runs, sizeof(*ts));
	if (!ts)
		die("out of memory");
	run_sweep(&s, &ev, &w); /* warm-up */
	for (int i = 0; i < runs; i++)
		ts[i] = run_sweep(&s, &ev, &w);
	sweep_s = median(ts, runs);
	printf("sweep: %zu events, %zu hits\n", w.events, w.hits);
	w.all_fields = 1;
	for (int i = 0; i < runs; i++)
		ts[i] = run_sweep(&s, &ev, &w);
	all_s = median(ts, runs);
	printf("sweep --all-fields: %zu hits\n", w.hits);
	for (int i = 0; i < runs; i++) {
		ts[i] = run_grep(lit, streamf);
		if (ts[i] < 0)
			die("grep -F -f could not run");
	}
	grep_s = median(ts, runs);
	/* grep's own pattern compile, to tell its search time apart. */
	grep0_s = run_grep(lit, "/dev/null");
	getrusage(RUSAGE_SELF, &ru);

	printf("\n%-40s %-26s %-26s %-9s %-14s %s\n", "figure", "irdesk", "baseline (grep -F -f)",
	       "ratio", "target", "met?");
	for (int i = 0; i < 40 + 26 + 26 + 9 + 14 + 5 + 5; i++)
		putchar('-');
	putchar('\n');
	snprintf(b, sizeof(b), "%.1f MB/s (%.2f s)", (double)s.len / 1e6 / grep_s, grep_s);
	row("grep -F -c -f (load + search, baseline)", "-", b, "-", "-", -1);
	if (grep0_s >= 0) {
		snprintf(b, sizeof(b), "%.2f s", grep0_s);
		row("  grep on an empty file (its pattern compile)", "-", b, "-", "-", -1);
		snprintf(b, sizeof(b), "%.1f MB/s (%.2f s)", (double)s.len / 1e6 / grep_s, grep_s);
	}
	snprintf(v, sizeof(v), "%.1f MB/s (%.2f s)", (double)s.len / 1e6 / sweep_s, sweep_s);
	snprintf(q, sizeof(q), "%.2fx", grep_s / sweep_s);
	snprintf(t, sizeof(t), ">= %.1f x grep", TARGET_RATIO_GREP);
	row("sweep (decode + match, profile fields)", v, b, q, t, grep_s / sweep_s >= TARGET_RATIO_GREP);
	if (grep_s / sweep_s < TARGET_RATIO_GREP) {
		missed++;
		snprintf(missed_lines + strlen(missed_lines), sizeof(missed_lines) - strlen(missed_lines),
			 "TARGET MISSED: IOC sweep throughput: %.2f x grep -F -f (%.1f MB/s), target >= %.1f x\n",
			 grep_s / sweep_s, (double)s.len / 1e6 / sweep_s, TARGET_RATIO_GREP);
	}
	snprintf(v, sizeof(v), "%.1f MB/s (%.2f s)", (double)s.len / 1e6 / all_s, all_s);
	snprintf(q, sizeof(q), "%.2fx", grep_s / all_s);
	row("sweep --all-fields (every string field)", v, b, q, "-", -1);
	snprintf(v, sizeof(v), "%.2f s", load_s);
	snprintf(t, sizeof(t), "< %.0f s", TARGET_LOAD_S);
	row("watchlist load (parse + normalise + index)", v, "-", "-", t, load_s < TARGET_LOAD_S);
	if (load_s >= TARGET_LOAD_S) {
		missed++;
		snprintf(missed_lines + strlen(missed_lines), sizeof(missed_lines) - strlen(missed_lines),
			 "TARGET MISSED: watchlist load: %.2f s, target < %.0f s\n", load_s, TARGET_LOAD_S);
	}
	snprintf(v, sizeof(v), "%.1f MiB", (double)ru.ru_maxrss / 1024.0);
	row("peak RSS (stream in memory included)", v, "-", "-", "-", -1);
	printf("ratio = grep time / irdesk time for the same bytes: above 1.00x irdesk is faster.\n");
	if (missed)
		fputs(missed_lines, stdout);
	else
		printf("all targets met\n");

	if (!keep) {
		unlink(wl);
		unlink(lit);
		unlink(streamf);
		rmdir(dir);
	}
	free(ts);
	free(h.vals);
	ioc_scratch_free(w.sc);
	ioc_set_free(set);
	event_release(&ev);
	free(s.data);
	return missed ? 3 : 0;
}
