/*
 * bench_store.c: the store benchmark (issue 2). Creates N incidents with T
 * timeline entries each through the ir/ layer inside one transaction, then
 * times incident listing and text filters in-process and as whole commands,
 * each next to a plain-SQLite baseline or peer measured in the same run.
 */
#include "ir/actor.h"
#include "ir/incident.h"
#include "ir/timeline.h"
#include "ir/vocab.h"
#include "store/store.h"
#include "util/err.h"
#include "util/time.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

/* Targets from issue 2, "on this machine". */
#define TARGET_CREATE_PER_S 20000.0
#define TARGET_LIST_MS 20.0

/* The words the text filters look for; the generator plants the first two. */
#define TERM_SELECTIVE "kerberoast"
#define TERM_JA2 "侵害"
#define TERM_COMMON "server"

#define WARMUP_RUNS 3

struct opts {
	const char *db;      /* NULL: a fresh temporary file */
	const char *irdesk;  /* the binary timed in step e */
	long incidents;
	long timeline;
	int runs;
	int cmd_runs;
	int json;
	int keep;
};

/* Progress and notes: stdout in text mode, stderr when stdout is JSON. */
static FILE *msg_out;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(msg_out, fmt, ap);
	va_end(ap);
	fflush(msg_out);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "bench_store: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Statistics over one series of timings, in milliseconds. */

struct stats {
	double median, p90, min;
	int n;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static struct stats stats_of(double *v, int n)
{
	struct stats s = { 0, 0, 0, n };
	int k;

	if (n <= 0)
		return s;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	k = (int)ceil(0.9 * n) - 1;
	s.p90 = v[k < 0 ? 0 : k];
	s.min = v[0];
	return s;
}

/*
 * Test data. Every incident is generated from its own seed, so the irdesk
 * run and the baseline write exactly the same content in any order.
 */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned rnd(struct rng *r, unsigned n)
{
	return (unsigned)(rng_next(r) % n);
}

#define PICK(r, arr) ((arr)[rnd((r), sizeof(arr) / sizeof((arr)[0]))])

/* TERM_COMMON ("server") is in three of these nine, so in about a third of titles. */
static const char *const title_what[] = {
	"Suspicious login", "Phishing email reported", "Malware detected",
	"Ransomware note found", "Possible data exfiltration", "Unauthorized access",
	"DDoS traffic spike", "Web page defacement", "Lost laptop", "Credential stuffing",
	"不正ログイン", "標的型メール", "情報漏えいの疑い", "ランサムウェア感染",
	"フィッシングサイト", "ウェブ改ざん", "不審な通信", "USBメモリ紛失",
};
static const char *const title_where[] = {
	"on mail server", "on file server", "on web server", "on VPN gateway",
	"on 経理部 PC", "on 営業部 laptop", "on domain controller", "in cloud tenant",
	"on 本社 network",
};
static const char *const host_kind[] = { "srv", "pc", "vpn", "dc", "web", "nas" };

static const char *const summary_sentences[] = {
	"EDR raised an alert for an unsigned binary started from a temp folder.",
	"The user reported the message to the SOC mailbox.",
	"Outbound traffic to a rare domain was seen at night.",
	"Several failed logins were followed by one success from abroad.",
	"A backup job failed and files now carry an unknown extension.",
	"Firewall logs show repeated connections from one address range.",
	"社員からの報告により調査を開始した。",
	"EDRの検知を受けて端末をネットワークから隔離した。",
	"外部からの問い合わせで情報の公開が判明した。",
	"ログの保全を依頼し、影響範囲を確認中。",
	"取引先を装ったメールに添付ファイルが含まれていた。",
	"The vendor has been contacted for a forensic image.",
	"No customer data is known to be affected so far.",
	"管理者アカウントのパスワードを変更した。",
};

static const char *const reporters[] = {
	"soc@example.jp", "山田 太郎", "helpdesk", "JPCERT/CC", "cloud provider abuse desk",
};


struct gen_incident {
	char title[256];
	char summary[1024];
	int type;
	int classified;            /* the NIST factors below are set */
	int av, fi, rc;
	unsigned ii;               /* information impact bits */
	char ii_names[128];
	int tlp;
	const char *reporter;      /* "" when none */
	int64_t created;           /* also the actor's now */
	int64_t occurred;          /* 0: not given */
	char occurred_s[TIME_STR_MAX];
};

struct gen_entry {
	int kind;
	int64_t occurred;
	char occurred_s[TIME_STR_MAX];
	char text[160];
};

static void gen_incident(long i, int64_t start, const struct tz *tz, struct gen_incident *g)
{
	struct rng r = { (uint64_t)i * 0x2545f4914f6cdd1dULL + 17 };
	unsigned p = rnd(&r, 1000), sentences;
	size_t n = 0;

	memset(g, 0, sizeof(*g));
	/* One a minute, strictly increasing, as incidents arrive in real life. */
	g->created = start + (int64_t)i * 60 + rnd(&r, 30);
	g->type = (int)rnd(&r, (unsigned)vocab_incident_type.n);
	if (p < 5) /* 0.5%: the selective word */
		snprintf(g->title, sizeof(g->title), "Kerberoasting attempt against service accounts "
			 "%s %s-%03u", PICK(&r, title_where), PICK(&r, host_kind), rnd(&r, 1000));
	else if (p < 10) /* 0.5%: the two-character Japanese word */
		snprintf(g->title, sizeof(g->title), "サーバ侵害の痕跡 %s %s-%03u",
			 PICK(&r, title_where), PICK(&r, host_kind), rnd(&r, 1000));
	else
		snprintf(g->title, sizeof(g->title), "%s %s %s-%03u", PICK(&r, title_what),
			 PICK(&r, title_where), PICK(&r, host_kind), rnd(&r, 1000));
	sentences = 2 + rnd(&r, 3);
	for (unsigned k = 0; k < sentences && n < sizeof(g->summary); k++)
		n += (size_t)snprintf(g->summary + n, sizeof(g->summary) - n, "%s%s",
				      k ? " " : "", PICK(&r, summary_sentences));
	g->classified = rnd(&r, 10) < 6;
	g->av = g->fi = g->rc = -1;
	if (g->classified) {
		g->av = (int)rnd(&r, (unsigned)vocab_attack_vector.n);
		g->fi = (int)rnd(&r, (unsigned)vocab_functional_impact.n);
		g->rc = (int)rnd(&r, (unsigned)vocab_recoverability.n);
		if (rnd(&r, 4) == 0)
			g->ii = 1u << II_NONE;
		else
			g->ii = (rnd(&r, 7) + 1) << 1; /* a non-empty subset of the breaches */
		n = 0;
		for (int b = 0; b < vocab_information_impact.n; b++)
			if (g->ii & (1u << b))
				n += (size_t)snprintf(g->ii_names + n, sizeof(g->ii_names) - n, "%s%s",
						      n ? "," : "", vocab_name(&vocab_information_impact, b));
	}
	switch (rnd(&r, 10)) {
	case 0: g->tlp = TLP_RED; break;
	case 1: case 2: g->tlp = TLP_GREEN; break;
	case 3: g->tlp = TLP_CLEAR; break;
	default: g->tlp = TLP_AMBER; break;
	}
	g->reporter = rnd(&r, 3) ? PICK(&r, reporters) : "";
	if (rnd(&r, 2)) {
		g->occurred = g->created - 600 - rnd(&r, 72 * 3600);
		time_format_zone(g->occurred, tz, g->occurred_s);
	}
}

static void gen_entry(long i, long j, long per, const struct gen_incident *g,
		      const struct tz *tz, struct gen_entry *t)
{
	struct rng r = { ((uint64_t)i << 20 | (uint64_t)j) * 0x9e3779b97f4a7c15ULL + 3 };
	const char *host = PICK(&r, host_kind);
	unsigned what = rnd(&r, 10), num = rnd(&r, 1000);

	t->kind = (int)rnd(&r, TLK_STATE_CHANGE); /* observation .. evidence */
	/* Written down in order, shortly after it happened. */
	t->occurred = g->created - (int64_t)(per - j) * 300 - rnd(&r, 300);
	time_format_zone(t->occurred, tz, t->occurred_s);
#define TEXT(...) snprintf(t->text, sizeof(t->text), __VA_ARGS__)
	switch (what) {
	case 0: TEXT("Isolated host %s-%03u from the network", host, num); break;
	case 1: TEXT("Collected memory image of %s-%03u", host, num); break;
	case 2: TEXT("Blocked 198.51.100.%u at the perimeter firewall", num % 250); break;
	case 3: TEXT("Reset credentials for account user%04u", num); break;
	case 4: TEXT("Notified the business owner by phone (ticket %u)", num); break;
	case 5: TEXT("端末 %s-%03u のログを取得した", host, num); break;
	case 6: TEXT("関係部署へ状況を連絡した (第%u報)", num % 9 + 1); break;
	case 7: TEXT("Decided to keep the service online while monitoring (%u)", num); break;
	case 8: TEXT("Hash of sample %u submitted to the sandbox", num); break;
	default: TEXT("影響範囲の調査を継続 (%u 台確認済み)", num % 50); break;
	}
#undef TEXT
}

/* Results */

enum kind { K_RATE, K_TIME, K_SIZE };

struct row {
	const char *key;
	char figure[80];
	enum kind kind;
	double ird, base;          /* per second, milliseconds or bytes */
	double ird_p90, base_p90;  /* K_TIME only */
	int has_base;
	int has_ratio;
	int has_target;
	double target;
	char note[64];
};

#define ROWS_MAX 32
static struct row rows[ROWS_MAX];
static int nrows;

static struct row *row_add(const char *key, enum kind k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static struct row *row_add(const char *key, enum kind k, const char *fmt, ...)
{
	struct row *r;
	va_list ap;

	if (nrows == ROWS_MAX)
		die("too many result rows");
	r = &rows[nrows++];
	memset(r, 0, sizeof(*r));
	r->key = key;
	r->kind = k;
	va_start(ap, fmt);
	vsnprintf(r->figure, sizeof(r->figure), fmt, ap);
	va_end(ap);
	return r;
}

/* irdesk cost / baseline cost for the same work: 1.0 is parity, 2.0 twice the cost. */
static double row_ratio(const struct row *r)
{
	if (!r->has_base || !r->has_ratio || r->base <= 0 || r->ird <= 0)
		return NAN;
	return r->kind == K_RATE ? r->base / r->ird : r->ird / r->base;
}

static int row_met(const struct row *r)
{
	if (!r->has_target)
		return -1;
	return r->kind == K_RATE ? r->ird >= r->target : r->ird < r->target;
}

static void fmt_value(const struct row *r, double v, double p90, char *out, size_t n)
{
	switch (r->kind) {
	case K_RATE:
		snprintf(out, n, "%.0f/s", v);
		break;
	case K_TIME:
		if (p90 > 0)
			snprintf(out, n, "%.2f ms (p90 %.2f)", v, p90);
		else
			snprintf(out, n, "%.2f ms", v);
		break;
	case K_SIZE:
		snprintf(out, n, "%.1f MiB", v / 1048576.0);
		break;
	}
}

static void fmt_target(const struct row *r, char *out, size_t n)
{
	if (!r->has_target)
		snprintf(out, n, "-");
	else if (r->kind == K_RATE)
		snprintf(out, n, ">= %.0f/s", r->target);
	else if (r->kind == K_TIME)
		snprintf(out, n, "< %.0f ms", r->target);
	else
		snprintf(out, n, "< %.0f MiB", r->target / 1048576.0);
}

static void print_table(FILE *f)
{
	char a[48], b[48], t[24], q[16];

	fprintf(f, "\n%-48s %-24s %-24s %-9s %-12s %s\n", "figure", "irdesk", "baseline/peer",
		"ratio", "target", "met?");
	for (int i = 0; i < 48 + 24 + 24 + 9 + 12 + 5 + 5; i++)
		fputc('-', f);
	fputc('\n', f);
	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		double ratio = row_ratio(r);
		int met = row_met(r);

		fmt_value(r, r->ird, r->ird_p90, a, sizeof(a));
		if (r->has_base)
			fmt_value(r, r->base, r->base_p90, b, sizeof(b));
		else
			snprintf(b, sizeof(b), "-");
		if (isnan(ratio))
			snprintf(q, sizeof(q), "-");
		else
			snprintf(q, sizeof(q), "%.2fx", ratio);
		fmt_target(r, t, sizeof(t));
		fprintf(f, "%-48s %-24s %-24s %-9s %-12s %s%s%s\n", r->figure, a, b, q, t,
			met < 0 ? "-" : met ? "yes" : "NO", r->note[0] ? "  " : "", r->note);
	}
	fprintf(f, "ratio = irdesk cost / baseline cost for the same work (time, or bytes): "
		"1.00x is parity, higher is slower or bigger.\n");
}

/* Files */

static int64_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

static int64_t db_size(const char *path, int64_t *wal)
{
	char w[4096];

	snprintf(w, sizeof(w), "%s-wal", path);
	*wal = file_size(w);
	return file_size(path) + *wal;
}

static void remove_db(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char p[4096];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
		unlink(p);
	}
}

/* Raw SQLite helpers, for the baselines. */

static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_busy_timeout(db, 10000);
	/* The same settings as store_sqlite.c, so only the layer above differs. */
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
			 "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
			 "PRAGMA cache_size=-32768;", NULL, NULL, &msg) != SQLITE_OK)
		die("%s: %s", path, msg);
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("sqlite: %s: %s", sql, msg);
}

static sqlite3_stmt *raw_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
		die("sqlite: %s: %s", sql, sqlite3_errmsg(db));
	return s;
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = raw_prepare(db, sql);
	int64_t v = 0;

	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
	if (v && *v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/* Step a query to its end, reading every column as a caller would. */
static int raw_rows(sqlite3_stmt *s, char first_hid[INCIDENT_HID_MAX], int hid_col)
{
	int n = 0, cols = sqlite3_column_count(s), rc;
	size_t sink = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int c = 0; c < cols; c++) {
			const unsigned char *t = sqlite3_column_text(s, c);
			sink += t ? (size_t)sqlite3_column_bytes(s, c) : 0;
		}
		if (n == 0 && first_hid)
			snprintf(first_hid, INCIDENT_HID_MAX, "%s", sqlite3_column_text(s, hid_col));
		n++;
	}
	if (rc != SQLITE_DONE)
		die("sqlite: %s", sqlite3_errmsg(sqlite3_db_handle(s)));
	sqlite3_reset(s);
	(void)sink;
	return n;
}

/* a. irdesk bulk creation */

struct create_result {
	double total_s, create_s, timeline_s, commit_s;
	double untyped_rate; /* incident_create/s without a type (a2) */
	int64_t incidents, timeline, audit;
	int64_t size, wal;
};

static void fail_err(const char *what, const struct err *e)
{
	die("%s: %s", what, e->msg);
}

static void run_irdesk_create(struct store *st, struct actor *who, const struct opts *o, int typed,
			      int64_t start, struct create_result *res)
{
	struct incident_field fv[12];
	struct gen_incident g;
	struct gen_entry t;
	struct err e = { 0 };
	int64_t t0, t1, tc = 0, tt = 0;
	long step = o->incidents / 10 ? o->incidents / 10 : 1;

	t0 = now_ns();
	if (store_begin(st, &e))
		fail_err("store_begin", &e);
	for (long i = 0; i < o->incidents; i++) {
		struct incident inc;
		size_t n = 0;
		int64_t a, b;

		gen_incident(i, start, who->tz, &g);
		who->now = g.created;
		fv[n++] = (struct incident_field){ "title", g.title };
		fv[n++] = (struct incident_field){ "summary", g.summary };
		if (typed) /* a type brings its playbook's tasks (catalog) */
			fv[n++] = (struct incident_field){ "type",
							   vocab_name(&vocab_incident_type, g.type) };
		if (g.classified) {
			fv[n++] = (struct incident_field){ "attack_vector",
							   vocab_name(&vocab_attack_vector, g.av) };
			fv[n++] = (struct incident_field){ "functional_impact",
							   vocab_name(&vocab_functional_impact, g.fi) };
			fv[n++] = (struct incident_field){ "information_impact", g.ii_names };
			fv[n++] = (struct incident_field){ "recoverability",
							   vocab_name(&vocab_recoverability, g.rc) };
		}
		fv[n++] = (struct incident_field){ "tlp", vocab_name(&vocab_tlp, g.tlp) };
		if (*g.reporter)
			fv[n++] = (struct incident_field){ "reporter", g.reporter };
		if (g.occurred)
			fv[n++] = (struct incident_field){ "occurred_at", g.occurred_s };
		a = now_ns();
		if (incident_create(st, who, fv, n, &inc, &e))
			fail_err("incident_create", &e);
		b = now_ns();
		tc += b - a;
		for (long j = 0; j < o->timeline; j++) {
			gen_entry(i, j, o->timeline, &g, who->tz, &t);
			a = now_ns();
			if (timeline_add(st, who, inc.hid, vocab_name(&vocab_timeline_kind, t.kind),
					 t.occurred_s, t.text, NULL, &e))
				fail_err("timeline_add", &e);
			tt += now_ns() - a;
		}
		incident_release(&inc);
		if ((i + 1) % step == 0 && !o->json)
			note("  irdesk: %ld/%ld incidents, %.1f s\n", i + 1, o->incidents,
			     (double)(now_ns() - t0) / 1e9);
	}
	t1 = now_ns();
	if (store_commit(st, &e))
		fail_err("store_commit", &e);
	res->commit_s = (double)(now_ns() - t1) / 1e9;
	res->total_s = (double)(now_ns() - t0) / 1e9;
	res->create_s = (double)tc / 1e9;
	res->timeline_s = (double)tt / 1e9;
}

/* b. the same rows through raw prepared statements */

struct base_result {
	double total_s, incident_s, timeline_s, commit_s;
	int64_t size, wal, size_ckpt;
};

static void run_baseline_create(sqlite3 *db, const struct opts *o, const struct actor *who,
				int64_t start, struct base_result *res)
{
	sqlite3_stmt *si, *stl;
	struct gen_incident g;
	struct gen_entry t;
	int64_t t0, t1, ti = 0, tt = 0;
	int year_now = 0, counter = 0, numbered;

	/* year and number (the parts of the human id) where the schema has them. */
	numbered = raw_int(db, "SELECT count(*) FROM pragma_table_info('incidents') "
			   "WHERE name IN ('year', 'number')") == 2;
	si = raw_prepare(db, numbered ?
		"INSERT INTO incidents (hid, title, summary, type, state, attack_vector, "
		"functional_impact, information_impact, recoverability, priority, priority_derived, "
		"tlp, pap, reporter, occurred_at, discovered_at, reported_at, created_at, updated_at, "
		"created_by, year, number) VALUES (?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, "
		"'PAP:AMBER', ?, ?, ?, ?, ?, ?, ?, ?, ?)" :
		"INSERT INTO incidents (hid, title, summary, type, state, attack_vector, "
		"functional_impact, information_impact, recoverability, priority, priority_derived, "
		"tlp, pap, reporter, occurred_at, discovered_at, reported_at, created_at, updated_at, "
		"created_by) VALUES (?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, 'PAP:AMBER', ?, ?, ?, ?, "
		"?, ?, ?)");
	stl = raw_prepare(db, "INSERT INTO timeline (incident_id, occurred_at, created_at, author, "
			      "kind, text) VALUES (?, ?, ?, ?, ?, ?)");
	t0 = now_ns();
	raw_exec(db, "BEGIN IMMEDIATE");
	for (long i = 0; i < o->incidents; i++) {
		char hid[40], pri[4] = "";
		int64_t a, id, local;
		struct tm tm;
		time_t tl;
		int p;

		gen_incident(i, start, who->tz, &g);
		a = now_ns();
		/* The human id, numbered per year in the actor's zone as irdesk does. */
		local = g.created + tz_offset(who->tz, g.created, NULL);
		tl = (time_t)local;
		gmtime_r(&tl, &tm);
		if (tm.tm_year + 1900 != year_now) {
			year_now = tm.tm_year + 1900;
			counter = 0;
		}
		snprintf(hid, sizeof(hid), "IR-%04d-%04d", year_now, ++counter);
		p = g.classified ? incident_priority_derive(g.fi, g.ii, g.rc) : 0;
		if (p)
			snprintf(pri, sizeof(pri), "P%d", p);
		sqlite3_bind_text(si, 1, hid, -1, SQLITE_STATIC);
		sqlite3_bind_text(si, 2, g.title, -1, SQLITE_STATIC);
		sqlite3_bind_text(si, 3, g.summary, -1, SQLITE_STATIC);
		sqlite3_bind_text(si, 4, vocab_name(&vocab_incident_type, g.type), -1, SQLITE_STATIC);
		bind_text_or_null(si, 5, vocab_name(&vocab_attack_vector, g.av));
		bind_text_or_null(si, 6, vocab_name(&vocab_functional_impact, g.fi));
		bind_text_or_null(si, 7, g.ii_names);
		bind_text_or_null(si, 8, vocab_name(&vocab_recoverability, g.rc));
		bind_text_or_null(si, 9, pri);
		bind_text_or_null(si, 10, pri);
		sqlite3_bind_text(si, 11, vocab_name(&vocab_tlp, g.tlp), -1, SQLITE_STATIC);
		sqlite3_bind_text(si, 12, g.reporter, -1, SQLITE_STATIC);
		if (g.occurred)
			sqlite3_bind_int64(si, 13, g.occurred);
		else
			sqlite3_bind_null(si, 13);
		sqlite3_bind_int64(si, 14, g.created);
		sqlite3_bind_int64(si, 15, g.created);
		sqlite3_bind_int64(si, 16, g.created);
		sqlite3_bind_int64(si, 17, g.created);
		sqlite3_bind_text(si, 18, who->name, -1, SQLITE_STATIC);
		if (numbered) {
			sqlite3_bind_int(si, 19, year_now);
			sqlite3_bind_int(si, 20, counter);
		}
		if (sqlite3_step(si) != SQLITE_DONE)
			die("baseline insert: %s", sqlite3_errmsg(db));
		sqlite3_reset(si);
		id = sqlite3_last_insert_rowid(db);
		ti += now_ns() - a;
		for (long j = 0; j < o->timeline; j++) {
			gen_entry(i, j, o->timeline, &g, who->tz, &t);
			a = now_ns();
			sqlite3_bind_int64(stl, 1, id);
			sqlite3_bind_int64(stl, 2, t.occurred);
			sqlite3_bind_int64(stl, 3, g.created);
			sqlite3_bind_text(stl, 4, who->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(stl, 5, vocab_name(&vocab_timeline_kind, t.kind), -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(stl, 6, t.text, -1, SQLITE_STATIC);
			if (sqlite3_step(stl) != SQLITE_DONE)
				die("baseline timeline insert: %s", sqlite3_errmsg(db));
			sqlite3_reset(stl);
			tt += now_ns() - a;
		}
	}
	t1 = now_ns();
	raw_exec(db, "COMMIT");
	res->commit_s = (double)(now_ns() - t1) / 1e9;
	res->total_s = (double)(now_ns() - t0) / 1e9;
	res->incident_s = (double)ti / 1e9;
	res->timeline_s = (double)tt / 1e9;
	sqlite3_finalize(si);
	sqlite3_finalize(stl);
}

/* c, d. in-process queries */

#define LIST_COLUMNS "SELECT id, hid, title, summary, type, state, reject_reason, duplicate_of, " \
	"attack_vector, functional_impact, information_impact, recoverability, priority, "          \
	"priority_override, priority_reason, tlp, pap, owner_id, reporter, occurred_at, "           \
	"discovered_at, reported_at, triaged_at, contained_at, recovered_at, closed_at, "           \
	"created_at, updated_at, created_by, version FROM incidents "

static const char *const sql_list = LIST_COLUMNS "ORDER BY created_at DESC, id DESC LIMIT 50";
static const char *const sql_like = LIST_COLUMNS
	"WHERE title LIKE ?1 OR summary LIKE ?1 ORDER BY created_at DESC, id DESC LIMIT 50";
/*
 * irdesk's own plans for a text filter (store_sqlite.c), without the layer
 * above. Keep the ESCAPE: SQLite 3.40 hands a LIKE without one to the FTS5
 * trigram index, which then finds nothing for a two-character non-ASCII
 * pattern ('%侵害%' matches no row), while LIKE ... ESCAPE scans the text.
 */
static const char *const sql_fts = LIST_COLUMNS
	"WHERE id IN (SELECT rowid FROM incident_text WHERE incident_text MATCH ?1) "
	"ORDER BY created_at DESC, id DESC LIMIT 50";
static const char *const sql_fts_like = LIST_COLUMNS
	"WHERE id IN (SELECT rowid FROM incident_text WHERE body LIKE ?1 ESCAPE '\\') "
	"ORDER BY created_at DESC, id DESC LIMIT 50";

struct query_result {
	struct stats ird, base, plan;
	int ird_rows, base_rows;
	int agree;             /* the first hid of both results is the same */
	int64_t matches;       /* rows that contain the term */
};

/* Characters, not bytes: store_sqlite.c picks FTS from three characters on. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static double time_irdesk_list(struct store *st, const struct actor *who, const char *text,
			       int *n, char first[INCIDENT_HID_MAX])
{
	struct incident_filter f;
	struct incident_list l;
	struct err e = { 0 };
	int64_t a;

	memset(&f, 0, sizeof(f));
	f.type = -1;
	f.text = text;
	f.limit = 50;
	f.sort = SORT_CREATED_DESC;
	a = now_ns();
	if (incident_list(st, who, &f, &l, &e))
		fail_err("incident_list", &e);
	*n = (int)l.n;
	if (first)
		snprintf(first, INCIDENT_HID_MAX, "%s", l.n ? l.items[0].hid : "");
	incident_list_release(&l);
	return (double)(now_ns() - a) / 1e6;
}

static double time_raw(sqlite3_stmt *s, const char *bind, int *n, char first[INCIDENT_HID_MAX])
{
	int64_t a = now_ns();

	if (bind)
		sqlite3_bind_text(s, 1, bind, -1, SQLITE_STATIC);
	*n = raw_rows(s, first, 1);
	return (double)(now_ns() - a) / 1e6;
}

static void measure_query(struct store *st, const struct actor *who, sqlite3 *db,
			  const char *text, const struct opts *o, struct query_result *q)
{
	double *v = calloc((size_t)o->runs, sizeof(double));
	char a[INCIDENT_HID_MAX] = "", b[INCIDENT_HID_MAX] = "", like[256], fts[256];
	sqlite3_stmt *sb, *sp = NULL;
	int n;

	if (!v)
		die("out of memory");
	memset(q, 0, sizeof(*q));
	snprintf(like, sizeof(like), "%%%s%%", text ? text : "");
	snprintf(fts, sizeof(fts), "\"%s\"", text ? text : "");
	sb = raw_prepare(db, text ? sql_like : sql_list);
	if (text)
		sp = raw_prepare(db, utf8_chars(text) >= 3 ? sql_fts : sql_fts_like);
	for (int i = 0; i < WARMUP_RUNS; i++) {
		time_irdesk_list(st, who, text, &q->ird_rows, a);
		time_raw(sb, text ? like : NULL, &q->base_rows, b);
	}
	q->agree = strcmp(a, b) == 0 && q->ird_rows == q->base_rows;
	for (int i = 0; i < o->runs; i++)
		v[i] = time_irdesk_list(st, who, text, &n, NULL);
	q->ird = stats_of(v, o->runs);
	for (int i = 0; i < o->runs; i++)
		v[i] = time_raw(sb, text ? like : NULL, &n, NULL);
	q->base = stats_of(v, o->runs);
	if (sp) {
		const char *bind = utf8_chars(text) >= 3 ? fts : like;
		for (int i = 0; i < WARMUP_RUNS; i++)
			time_raw(sp, bind, &n, NULL);
		for (int i = 0; i < o->runs; i++)
			v[i] = time_raw(sp, bind, &n, NULL);
		q->plan = stats_of(v, o->runs);
		sqlite3_finalize(sp);
	}
	if (text) {
		sqlite3_stmt *c = raw_prepare(db, "SELECT count(*) FROM incidents "
					      "WHERE title LIKE ?1 OR summary LIKE ?1");
		sqlite3_bind_text(c, 1, like, -1, SQLITE_STATIC);
		if (sqlite3_step(c) == SQLITE_ROW)
			q->matches = sqlite3_column_int64(c, 0);
		sqlite3_finalize(c);
	}
	sqlite3_finalize(sb);
	free(v);
}

/* e. whole commands */

struct cmd_result {
	struct stats st;
	long max_rss_kb;
	int lines;
};

/*
 * Commands are started by a small helper process forked at the very start,
 * before the benchmark grows: a child forked from a big process would count
 * its parent's pages in its peak RSS (Linux keeps the high-water mark across
 * exec) and pay for copying its page tables in its time.
 */

#define SPAWN_ARGS_MAX 16
#define SPAWN_BYTES_MAX 4096

struct spawn_req {
	int count_lines;
	int argc;
	size_t len;               /* bytes of args, NUL-separated */
};

struct spawn_reply {
	double ms;
	long max_rss_kb;
	int status;
	int lines;
};

static int spawn_to = -1, spawn_from = -1;
static pid_t spawner;

static int read_full(int fd, void *p, size_t n)
{
	char *c = p;

	while (n) {
		ssize_t k = read(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static int write_full(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t k = write(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One command in the helper: run it, wait, measure. */
static void spawn_one(const struct spawn_req *q, char *args, struct spawn_reply *r)
{
	char *argv[SPAWN_ARGS_MAX + 1], path[] = "/tmp/bench_store_out_XXXXXX";
	int null = open("/dev/null", O_WRONLY), out = null, c;
	struct rusage ru;
	int64_t a;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < q->argc; i++) {
		argv[i] = args;
		args += strlen(args) + 1;
	}
	argv[q->argc] = NULL;
	if (q->count_lines) {
		out = mkstemp(path);
		if (out < 0)
			out = null;
		else
			unlink(path);
	}
	a = now_ns();
	pid = fork();
	if (pid == 0) {
		dup2(out, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &r->status, 0, &ru) < 0) {
		r->status = -1;
	} else {
		r->ms = (double)(now_ns() - a) / 1e6;
		r->max_rss_kb = ru.ru_maxrss;
	}
	if (out != null) {
		FILE *f;
		lseek(out, 0, SEEK_SET);
		f = fdopen(out, "r");
		while (f && (c = fgetc(f)) != EOF)
			r->lines += c == '\n';
		if (f)
			fclose(f);
	}
	close(null);
}

static void spawner_start(void)
{
	int to[2], from[2];

	if (pipe(to) || pipe(from))
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	spawner = fork();
	if (spawner < 0)
		die("fork: %s", strerror(errno));
	if (spawner == 0) {
		struct spawn_req q;
		struct spawn_reply r;
		char args[SPAWN_BYTES_MAX];

		close(to[1]);
		close(from[0]);
		while (read_full(to[0], &q, sizeof(q)) == 0) {
			if (q.len > sizeof(args) || q.argc > SPAWN_ARGS_MAX ||
			    read_full(to[0], args, q.len))
				_exit(1);
			spawn_one(&q, args, &r);
			if (write_full(from[1], &r, sizeof(r)))
				_exit(1);
		}
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	spawn_to = to[1];
	spawn_from = from[0];
}

static void spawner_stop(void)
{
	if (spawn_to < 0)
		return;
	close(spawn_to);
	close(spawn_from);
	waitpid(spawner, NULL, 0);
	spawn_to = spawn_from = -1;
}

/* Run argv (stdout to /dev/null, or counted); its exit status must be 0. */
static double run_cmd(const char *const *argv, int *lines, long *rss_kb)
{
	struct spawn_req q = { lines != NULL, 0, 0 };
	struct spawn_reply r;
	char args[SPAWN_BYTES_MAX];

	for (; argv[q.argc]; q.argc++) {
		size_t n = strlen(argv[q.argc]) + 1;
		if (q.argc == SPAWN_ARGS_MAX || q.len + n > sizeof(args))
			die("command too long");
		memcpy(args + q.len, argv[q.argc], n);
		q.len += n;
	}
	if (write_full(spawn_to, &q, sizeof(q)) || write_full(spawn_to, args, q.len) ||
	    read_full(spawn_from, &r, sizeof(r)))
		die("the command helper is gone");
	if (r.status == -1 || !WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0)
		die("%s %s ... failed with status %d", argv[0], argv[1], r.status);
	if (lines)
		*lines = r.lines;
	if (rss_kb && r.max_rss_kb > *rss_kb)
		*rss_kb = r.max_rss_kb;
	return r.ms;
}

static void measure_cmd(const char *const *argv, int runs, struct cmd_result *r)
{
	double *v = calloc((size_t)runs, sizeof(double));

	if (!v)
		die("out of memory");
	memset(r, 0, sizeof(*r));
	run_cmd(argv, &r->lines, NULL);
	for (int i = 0; i < 2; i++)
		run_cmd(argv, NULL, NULL);
	for (int i = 0; i < runs; i++)
		v[i] = run_cmd(argv, NULL, &r->max_rss_kb);
	r->st = stats_of(v, runs);
	free(v);
}

/* Options */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_store [--db PATH] [--incidents N] [--timeline N] [--runs N]\n"
		"                   [--cmd-runs N] [--irdesk PATH] [--keep] [--json]\n"
		"  --db PATH       irdesk database to create (must not exist; the baseline goes\n"
		"                  to PATH.baseline); default: a fresh temporary file, removed after\n"
		"  --incidents N   incidents to create (default 100000)\n"
		"  --timeline N    timeline entries per incident (default 10)\n"
		"  --runs N        timed runs per in-process query (default 50)\n"
		"  --cmd-runs N    timed runs per whole command (default 20)\n"
		"  --irdesk PATH   the binary for whole-command timings (default ./irdesk)\n"
		"  --keep          keep the temporary databases\n"
		"  --json          print a machine-readable summary on stdout (notes go to stderr)\n"
		"Exit status: 0 all targets met, 3 a target missed, 1 the benchmark failed.\n");
}

static long parse_long(const char *s, const char *opt, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die("%s: expected an integer from %ld to %ld, got '%s'", opt, min, max, s);
	return v;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_DB = 1, O_INC, O_TL, O_RUNS, O_CMDRUNS, O_IRDESK, O_KEEP, O_JSON, O_HELP };
	static const struct option lo[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "incidents", required_argument, NULL, O_INC },
		{ "timeline", required_argument, NULL, O_TL },
		{ "runs", required_argument, NULL, O_RUNS },
		{ "cmd-runs", required_argument, NULL, O_CMDRUNS },
		{ "irdesk", required_argument, NULL, O_IRDESK },
		{ "keep", no_argument, NULL, O_KEEP },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->db = NULL;
	o->irdesk = "./irdesk";
	o->incidents = 100000;
	o->timeline = 10;
	o->runs = 50;
	o->cmd_runs = 20;
	o->json = o->keep = 0;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_DB: o->db = optarg; break;
		case O_INC: o->incidents = parse_long(optarg, "--incidents", 1, 9999999); break;
		case O_TL: o->timeline = parse_long(optarg, "--timeline", 0, 1000); break;
		case O_RUNS: o->runs = (int)parse_long(optarg, "--runs", 1, 100000); break;
		case O_CMDRUNS: o->cmd_runs = (int)parse_long(optarg, "--cmd-runs", 1, 10000); break;
		case O_IRDESK: o->irdesk = optarg; break;
		case O_KEEP: o->keep = 1; break;
		case O_JSON: o->json = 1; break;
		case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
}

/* JSON summary */

static json_t *stats_json(struct stats s)
{
	return json_pack("{s:f,s:f,s:f,s:i}", "median_ms", s.median, "p90_ms", s.p90, "min_ms",
			 s.min, "runs", s.n);
}

static void print_json(const struct opts *o, json_t *extra, int missed)
{
	json_t *root = json_object(), *figs = json_array();

	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		double ratio = row_ratio(r);
		int met = row_met(r);
		json_t *j = json_pack("{s:s,s:s,s:s,s:f}", "key", r->key, "figure", r->figure, "unit",
				      r->kind == K_RATE ? "per_s" : r->kind == K_TIME ? "ms" : "bytes",
				      "irdesk", r->ird);
		if (r->kind == K_TIME && r->ird_p90 > 0)
			json_object_set_new(j, "irdesk_p90", json_real(r->ird_p90));
		if (r->has_base) {
			json_object_set_new(j, "baseline", json_real(r->base));
			if (r->kind == K_TIME && r->base_p90 > 0)
				json_object_set_new(j, "baseline_p90", json_real(r->base_p90));
		}
		if (!isnan(ratio))
			json_object_set_new(j, "ratio", json_real(ratio));
		if (met >= 0) {
			json_object_set_new(j, "target", json_pack("{s:s,s:f}", "op",
				r->kind == K_RATE ? ">=" : "<", "value", r->target));
			json_object_set_new(j, "met", json_boolean(met));
		}
		if (r->note[0])
			json_object_set_new(j, "note", json_string(r->note));
		json_array_append_new(figs, j);
	}
	json_object_set_new(root, "benchmark", json_string("store"));
	json_object_set_new(root, "params", json_pack("{s:I,s:I,s:i,s:i,s:s,s:s}",
		"incidents", (json_int_t)o->incidents, "timeline_per_incident",
		(json_int_t)o->timeline, "runs", o->runs, "cmd_runs", o->cmd_runs,
		"sqlite", sqlite3_libversion(), "irdesk", o->irdesk));
	json_object_set_new(root, "figures", figs);
	json_object_set(root, "details", extra);
	json_object_set_new(root, "targets_missed", json_integer(missed));
	json_dumpf(root, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(root);
}

int main(int argc, char **argv)
{
	struct opts o;
	char dbpath[3200], basepath[3300], url[3400];
	struct store *st = NULL;
	struct tz *tz = NULL;
	struct actor who;
	struct err e = { 0 };
	struct create_result cr = { 0 };
	struct base_result br = { 0 };
	struct query_result ql, qt[3];
	struct cmd_result cl, cb, ct[3], cpeer[3];
	const char *terms[3] = { TERM_SELECTIVE, TERM_JA2, TERM_COMMON };
	const char *term_desc[3] = { "selective word, FTS", "2-char Japanese, LIKE",
				     "common word, FTS" };
	const char *term_key[3] = { "filter_selective", "filter_ja2", "filter_common" };
	int have_cmd, missed = 0, tmp = 0;
	int64_t start, gen_ns, size_after, wal_after, base_wal = 0;
	json_t *extra = json_object();
	struct rusage ru;
	sqlite3 *db;
	struct row *r;

	parse_opts(argc, argv, &o);
	msg_out = o.json ? stderr : stdout;
	spawner_start();
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (o.db) {
		snprintf(dbpath, sizeof(dbpath), "%s", o.db);
	} else {
		const char *td = getenv("TMPDIR");
		char tpl[3072];
		snprintf(tpl, sizeof(tpl), "%s/irdesk-bench-XXXXXX", td && *td ? td : "/tmp");
		if (!mkdtemp(tpl))
			die("mkdtemp %s: %s", tpl, strerror(errno));
		snprintf(dbpath, sizeof(dbpath), "%s/irdesk.db", tpl);
		tmp = 1;
	}
	snprintf(basepath, sizeof(basepath), "%s.baseline", dbpath);
	if (file_size(dbpath) || access(dbpath, F_OK) == 0)
		die("%s exists: the benchmark needs a fresh database", dbpath);
	if (access(basepath, F_OK) == 0)
		die("%s exists: the benchmark needs a fresh database", basepath);
	snprintf(url, sizeof(url), "sqlite:%s", dbpath);

	if (tz_load("Asia/Tokyo", &tz, &e))
		fail_err("tz_load Asia/Tokyo", &e);
	actor_local(&who, tz);
	/* Incidents arrive one a minute and the newest was created just now. */
	start = who.now - (int64_t)o.incidents * 60;

	note("store benchmark: %ld incidents x %ld timeline entries, SQLite %s, %ld CPUs\n",
	     o.incidents, o.timeline, sqlite3_libversion(), sysconf(_SC_NPROCESSORS_ONLN));
	note("database: %s (baseline: %s)\n", dbpath, basepath);

	/* The generator alone, so its share of the creation figures is known. */
	{
		struct gen_incident g;
		struct gen_entry t;
		size_t sink = 0;
		int64_t a = now_ns();
		for (long i = 0; i < o.incidents; i++) {
			gen_incident(i, start, tz, &g);
			sink += strlen(g.title);
			for (long j = 0; j < o.timeline; j++) {
				gen_entry(i, j, o.timeline, &g, tz, &t);
				sink += strlen(t.text);
			}
		}
		gen_ns = now_ns() - a;
		note("\n[data] generating the test data alone takes %.2f s (included in both a and b)\n",
		     (double)gen_ns / 1e9);
		(void)sink;
	}

	/* a. irdesk */
	note("\n[a] irdesk: incident_create + %ld x timeline_add per incident, one transaction\n",
	     o.timeline);
	if (store_open(url, STORE_CREATE, &st, &e))
		fail_err("store_open", &e);
	run_irdesk_create(st, &who, &o, 1, start, &cr);
	db = raw_open(dbpath);
	cr.incidents = raw_int(db, "SELECT count(*) FROM incidents");
	cr.timeline = raw_int(db, "SELECT count(*) FROM timeline");
	cr.audit = raw_int(db, "SELECT count(*) FROM audit_log");
	cr.size = db_size(dbpath, &cr.wal);
	note("    %" PRId64 " incidents, %" PRId64 " timeline rows, %" PRId64 " audit rows in %.2f s"
	     " (incident_create %.2f s, timeline_add %.2f s, commit %.2f s)\n",
	     cr.incidents, cr.timeline, cr.audit, cr.total_s, cr.create_s, cr.timeline_s,
	     cr.commit_s);
	note("    %.0f incidents/s end to end, %.0f incident_create/s, %.0f timeline_add/s, "
	     "%.0f rows/s (incidents + timeline + audit)\n",
	     (double)o.incidents / cr.total_s, (double)o.incidents / cr.create_s,
	     cr.timeline_s > 0 ? (double)(o.incidents * o.timeline) / cr.timeline_s : 0.0,
	     (double)(cr.incidents + cr.timeline + cr.audit) / cr.total_s);

	/* a2. the same creation without a type: no playbook tasks (catalog) */
	{
		struct opts uo = o;
		struct create_result ur = { 0 };
		char upath[3400], uurl[3500];
		struct store *us;

		uo.timeline = 0;
		uo.incidents = o.incidents < 20000 ? o.incidents : 20000;
		uo.json = 1; /* no progress lines */
		snprintf(upath, sizeof(upath), "%s.untyped", dbpath);
		snprintf(uurl, sizeof(uurl), "sqlite:%s", upath);
		remove_db(upath);
		if (store_open(uurl, STORE_CREATE, &us, &e))
			fail_err("store_open", &e);
		run_irdesk_create(us, &who, &uo, 0, start, &ur);
		store_close(us);
		remove_db(upath);
		cr.untyped_rate = (double)uo.incidents / ur.create_s;
		note("\n[a2] irdesk: incident_create without a type (no playbook tasks), %ld incidents: "
		     "%.0f incident_create/s; with a type %.0f/s (%.2f x)\n", uo.incidents,
		     cr.untyped_rate, (double)o.incidents / cr.create_s,
		     ((double)o.incidents / cr.create_s) / cr.untyped_rate);
	}

	/* b. baseline */
	note("\n[b] baseline: the same incident and timeline rows, raw prepared statements\n");
	{
		struct store *bs;
		sqlite3 *bdb;
		char burl[3400];
		snprintf(burl, sizeof(burl), "sqlite:%s", basepath);
		if (store_open(burl, STORE_CREATE, &bs, &e)) /* same schema and FTS triggers */
			fail_err("store_open baseline", &e);
		store_close(bs);
		bdb = raw_open(basepath);
		run_baseline_create(bdb, &o, &who, start, &br);
		br.size = db_size(basepath, &br.wal);
		if (sqlite3_wal_checkpoint_v2(bdb, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL))
			note("    (checkpoint: %s)\n", sqlite3_errmsg(bdb));
		br.size_ckpt = db_size(basepath, &base_wal);
		note("    %.2f s (incident inserts %.2f s, timeline inserts %.2f s, commit %.2f s): "
		     "%.0f incidents/s, %.0f rows/s\n", br.total_s, br.incident_s, br.timeline_s,
		     br.commit_s, (double)o.incidents / br.total_s,
		     (double)(o.incidents * (1 + o.timeline)) / br.total_s);
		sqlite3_close(bdb);
	}

	/* Steady state for reading: fold the bulk transaction's WAL into the database. */
	if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) != SQLITE_OK)
		note("    (checkpoint: %s)\n", sqlite3_errmsg(db));
	size_after = db_size(dbpath, &wal_after);

	/* c. list */
	note("\n[c] incident list --limit 50 (default sort), in-process, %d runs after %d warm-up\n",
	     o.runs, WARMUP_RUNS);
	measure_query(st, &who, db, NULL, &o, &ql);
	note("    irdesk median %.3f ms p90 %.3f; SQL median %.3f ms p90 %.3f; %d rows, first row "
	     "%s\n", ql.ird.median, ql.ird.p90, ql.base.median, ql.base.p90, ql.ird_rows,
	     ql.agree ? "agrees" : "DIFFERS");

	/* d. text filters */
	note("\n[d] text filters, in-process (baseline: title LIKE OR summary LIKE, newest first)\n");
	for (int i = 0; i < 3; i++) {
		measure_query(st, &who, db, terms[i], &o, &qt[i]);
		note("    '%s' (%s): %" PRId64 " matching incidents (%.2f%%); irdesk median %.3f ms "
		     "p90 %.3f; LIKE median %.3f ms p90 %.3f; irdesk's plan as raw SQL median %.3f ms;"
		     " %d rows, first row %s\n", terms[i], term_desc[i], qt[i].matches,
		     100.0 * (double)qt[i].matches / (double)o.incidents, qt[i].ird.median,
		     qt[i].ird.p90, qt[i].base.median, qt[i].base.p90, qt[i].plan.median,
		     qt[i].ird_rows, qt[i].agree ? "agrees" : "DIFFERS");
	}

	/* e. whole commands */
	have_cmd = access(o.irdesk, X_OK) == 0;
	if (have_cmd) {
		char sql_peer[512];
		const char *list_argv[] = { o.irdesk, "--db", url, "incident", "list", "--limit", "50",
					    NULL };
		const char *peer_list[] = { "sqlite3", dbpath,
			"SELECT hid, title, state, priority, created_at FROM incidents "
			"ORDER BY created_at DESC, id DESC LIMIT 50", NULL };
		note("\n[e] whole commands, %d runs after 2 warm-up, stdout to /dev/null "
		     "(peer: the sqlite3 shell)\n", o.cmd_runs);
		measure_cmd(list_argv, o.cmd_runs, &cl);
		measure_cmd(peer_list, o.cmd_runs, &cb);
		note("    irdesk incident list --limit 50: median %.2f ms p90 %.2f (%d lines); "
		     "sqlite3: median %.2f ms p90 %.2f (%d lines)\n", cl.st.median, cl.st.p90,
		     cl.lines, cb.st.median, cb.st.p90, cb.lines);
		for (int i = 0; i < 3; i++) {
			const char *targv[] = { o.irdesk, "--db", url, "incident", "list", "--limit",
						"50", "--text", terms[i], NULL };
			const char *pargv[] = { "sqlite3", dbpath, sql_peer, NULL };
			struct cmd_result pr;

			snprintf(sql_peer, sizeof(sql_peer), "SELECT hid, title, state, priority, "
				 "created_at FROM incidents WHERE title LIKE '%%%s%%' OR summary LIKE "
				 "'%%%s%%' ORDER BY created_at DESC, id DESC LIMIT 50", terms[i], terms[i]);
			measure_cmd(targv, o.cmd_runs, &ct[i]);
			measure_cmd(pargv, o.cmd_runs, &pr);
			note("    irdesk incident list --text '%s': median %.2f ms p90 %.2f (%d lines); "
			     "sqlite3 LIKE: median %.2f ms p90 %.2f (%d lines)\n", terms[i],
			     ct[i].st.median, ct[i].st.p90, ct[i].lines, pr.st.median, pr.st.p90,
			     pr.lines);
			json_object_set_new(extra, term_key[i], json_pack("{s:s,s:o,s:o}", "term",
				terms[i], "cmd_irdesk", stats_json(ct[i].st), "cmd_sqlite3",
				stats_json(pr.st)));
			cpeer[i] = pr;
		}
	} else {
		note("\n[e] skipped: %s is not an executable (build it with make irdesk)\n", o.irdesk);
	}

	/* f. sizes and memory */
	getrusage(RUSAGE_SELF, &ru);
	note("\n[f] database after the bulk transaction: %.1f MiB (db %.1f + wal %.1f), "
	     "%.0f bytes/incident; after a checkpoint: %.1f MiB, %.0f bytes/incident\n"
	     "    baseline: %.1f MiB after the bulk transaction (wal %.1f), %.1f MiB after a "
	     "checkpoint\n",
	     (double)cr.size / 1048576.0, (double)(cr.size - cr.wal) / 1048576.0,
	     (double)cr.wal / 1048576.0, (double)cr.size / (double)o.incidents,
	     (double)size_after / 1048576.0, (double)size_after / (double)o.incidents,
	     (double)br.size / 1048576.0, (double)br.wal / 1048576.0,
	     (double)br.size_ckpt / 1048576.0);
	{
		int64_t pages = raw_int(db, "PRAGMA page_count"), psize = raw_int(db, "PRAGMA page_size");
		sqlite3_stmt *s = NULL;
		/* Where the bytes go, when the dbstat table is compiled in. */
		if (sqlite3_prepare_v2(db, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name "
				       "ORDER BY 2 DESC LIMIT 8", -1, &s, NULL) == SQLITE_OK) {
			json_t *by = json_object();
			note("    largest tables and indexes:");
			while (sqlite3_step(s) == SQLITE_ROW) {
				note(" %s %.1f MiB;", (const char *)sqlite3_column_text(s, 0),
				     (double)sqlite3_column_int64(s, 1) / 1048576.0);
				json_object_set_new(by, (const char *)sqlite3_column_text(s, 0),
						    json_integer(sqlite3_column_int64(s, 1)));
			}
			note("\n");
			json_object_set_new(extra, "bytes_by_object", by);
		}
		sqlite3_finalize(s);
		json_object_set_new(extra, "pages", json_pack("{s:I,s:I}", "count", (json_int_t)pages,
							      "size", (json_int_t)psize));
	}
	note("    peak RSS: bench process %.1f MiB", (double)ru.ru_maxrss / 1024.0);
	if (have_cmd)
		note(", irdesk command %.1f MiB", (double)cl.max_rss_kb / 1024.0);
	note("\n");

	/* The table */
	r = row_add("create_incidents", K_RATE, "bulk create: incident_create only, inc/s");
	r->ird = (double)o.incidents / cr.create_s;
	r->base = (double)o.incidents / br.incident_s;
	r->has_base = r->has_ratio = r->has_target = 1;
	r->target = TARGET_CREATE_PER_S;
	r = row_add("create_untyped", K_RATE, "bulk create: no type (no playbook), inc/s");
	r->ird = cr.untyped_rate;
	r = row_add("create_with_timeline", K_RATE, "bulk create: + %ld timeline each, inc/s",
		    o.timeline);
	r->ird = (double)o.incidents / cr.total_s;
	r->base = (double)o.incidents / br.total_s;
	r->has_base = r->has_ratio = r->has_target = 1;
	r->target = TARGET_CREATE_PER_S;
	snprintf(r->note, sizeof(r->note), "incl. commit");
	r = row_add("create_rows", K_RATE, "bulk create: rows/s");
	r->ird = (double)(cr.incidents + cr.timeline + cr.audit) / cr.total_s;
	r->base = (double)(o.incidents * (1 + o.timeline)) / br.total_s;
	r->has_base = 1;
	snprintf(r->note, sizeof(r->note), "irdesk rows incl. %" PRId64 " audit", cr.audit);
	r = row_add("list", K_TIME, "list --limit 50, in-process");
	r->ird = ql.ird.median;
	r->ird_p90 = ql.ird.p90;
	r->base = ql.base.median;
	r->base_p90 = ql.base.p90;
	r->has_base = r->has_ratio = r->has_target = 1;
	r->target = TARGET_LIST_MS;
	for (int i = 0; i < 3; i++) {
		r = row_add(term_key[i], K_TIME, "text filter (%s), in-process", term_desc[i]);
		r->ird = qt[i].ird.median;
		r->ird_p90 = qt[i].ird.p90;
		r->base = qt[i].base.median;
		r->base_p90 = qt[i].base.p90;
		r->has_base = r->has_ratio = r->has_target = 1;
		r->target = TARGET_LIST_MS;
		snprintf(r->note, sizeof(r->note), "%.2f%% match%s", 100.0 * (double)qt[i].matches /
			 (double)o.incidents, qt[i].agree ? "" : ", RESULTS DIFFER");
	}
	if (have_cmd) {
		r = row_add("cmd_list", K_TIME, "command: irdesk incident list --limit 50");
		r->ird = cl.st.median;
		r->ird_p90 = cl.st.p90;
		r->base = cb.st.median;
		r->base_p90 = cb.st.p90;
		r->has_base = r->has_ratio = r->has_target = 1;
		r->target = TARGET_LIST_MS;
		snprintf(r->note, sizeof(r->note), "peer: sqlite3 shell");
		for (int i = 0; i < 3; i++) {
			static const char *const ck[3] = { "cmd_filter_selective", "cmd_filter_ja2",
							   "cmd_filter_common" };
			r = row_add(ck[i], K_TIME, "command: ... --text (%s)", term_desc[i]);
			r->ird = ct[i].st.median;
			r->ird_p90 = ct[i].st.p90;
			r->base = cpeer[i].st.median;
			r->base_p90 = cpeer[i].st.p90;
			r->has_base = r->has_ratio = r->has_target = 1;
			r->target = TARGET_LIST_MS;
			snprintf(r->note, sizeof(r->note), "peer: sqlite3 shell, LIKE");
		}
	}
	r = row_add("db_size", K_SIZE, "database size after bulk (db + wal)");
	r->ird = (double)cr.size;
	snprintf(r->note, sizeof(r->note), "%.0f B/incident, wal %.0f MiB",
		 (double)cr.size / (double)o.incidents, (double)cr.wal / 1048576.0);
	r = row_add("db_size_checkpointed", K_SIZE, "database size, checkpointed");
	r->ird = (double)size_after;
	r->base = (double)br.size_ckpt;
	r->has_base = r->has_ratio = 1;
	snprintf(r->note, sizeof(r->note), "%.0f B/incident (baseline %.0f)",
		 (double)size_after / (double)o.incidents, (double)br.size_ckpt /
		 (double)o.incidents);
	r = row_add("peak_rss", K_SIZE, "peak RSS, bench process");
	r->ird = (double)ru.ru_maxrss * 1024.0;
	if (have_cmd) {
		r = row_add("peak_rss_cmd", K_SIZE, "peak RSS, irdesk incident list command");
		r->ird = (double)cl.max_rss_kb * 1024.0;
	}

	/* The irdesk plan run directly, to split query cost from layer cost. */
	json_object_set_new(extra, "list", json_pack("{s:o,s:o,s:i,s:b}", "irdesk",
		stats_json(ql.ird), "sql", stats_json(ql.base), "rows", ql.ird_rows, "agree",
		ql.agree));
	for (int i = 0; i < 3; i++) {
		json_t *x = json_object_get(extra, term_key[i]);
		if (!x) {
			x = json_object();
			json_object_set_new(extra, term_key[i], x);
		}
		json_object_set_new(x, "term", json_string(terms[i]));
		json_object_set_new(x, "matches", json_integer(qt[i].matches));
		json_object_set_new(x, "irdesk", stats_json(qt[i].ird));
		json_object_set_new(x, "like", stats_json(qt[i].base));
		json_object_set_new(x, "agree", json_boolean(qt[i].agree));
	}
	json_object_set_new(extra, "create", json_pack("{s:f,s:f,s:f,s:f,s:I,s:I,s:I,s:f}",
		"total_s", cr.total_s, "incident_create_s", cr.create_s, "timeline_add_s",
		cr.timeline_s, "commit_s", cr.commit_s, "incidents", (json_int_t)cr.incidents,
		"timeline", (json_int_t)cr.timeline, "audit", (json_int_t)cr.audit,
		"generator_s", (double)gen_ns / 1e9));
	json_object_set_new(extra, "baseline_create", json_pack("{s:f,s:f,s:f,s:f}", "total_s",
		br.total_s, "incident_s", br.incident_s, "timeline_s", br.timeline_s, "commit_s",
		br.commit_s));
	json_object_set_new(extra, "size", json_pack("{s:I,s:I,s:I,s:I,s:I}", "after_bulk",
		(json_int_t)cr.size, "after_bulk_wal", (json_int_t)cr.wal, "checkpointed",
		(json_int_t)size_after, "baseline_after_bulk", (json_int_t)br.size,
		"baseline_checkpointed", (json_int_t)br.size_ckpt));

	if (!o.json)
		print_table(stdout);
	for (int i = 0; i < nrows; i++) {
		char v[48], t[24];
		if (row_met(&rows[i]) != 0)
			continue;
		missed++;
		fmt_value(&rows[i], rows[i].ird, 0, v, sizeof(v));
		fmt_target(&rows[i], t, sizeof(t));
		fprintf(msg_out, "TARGET MISSED: %s: %s, target %s\n", rows[i].figure, v, t);
	}
	if (!missed)
		note("all targets met\n");
	if (o.json)
		print_json(&o, extra, missed);
	json_decref(extra);

	spawner_stop();
	sqlite3_close(db);
	store_close(st);
	tz_free(tz);
	if (tmp && !o.keep) {
		char d[4096];
		snprintf(d, sizeof(d), "%s", dbpath);
		remove_db(dbpath);
		remove_db(basepath);
		*strrchr(d, '/') = '\0';
		rmdir(d);
	} else {
		note("kept: %s and %s\n", dbpath, basepath);
	}
	return missed ? 3 : 0;
}
