/*
 * test_sigma.c: unit tests for detect/sigma: the data-driven cases under
 * tests/data/sigma/NNNN-<case>.txt (a rule, events and what each must give,
 * or the reason the rule must be rejected), the SigmaHQ corpus (at least
 * 99% loaded, every deprecated aggregation rejected) and log-source routing.
 *
 * A case file has sections started by "--- NAME" lines:
 *   --- rule         YAML (one or more documents)
 *   --- placeholder  "NAME VALUE..." lines for the expand modifier
 *   --- events       "match {json}" or "nomatch {json}" lines: the event
 *                    must (not) make any loaded rule fire through sigma_match
 *   --- reject       a text the rejection reason of some rule must contain
 *   --- loaded       the number of rules that must load
 *   --- stream       "TIME FIRED {json}" lines, fed in order to sigma_match
 *                    and every match to sigma_correlate_feed: TIME is the
 *                    event's time in seconds, or '-' for sigma_event_time;
 *                    FIRED the ids of the correlations that must fire on
 *                    it, comma-separated, in order, or '-' for none (the
 *                    stream's time moves to TIME first, closing deferred
 *                    windows that ended before it: those fire first);
 *                    "end FIRED": the end of the stream (every deferred
 *                    window closes)
 *   --- corr         "max_groups N" (before the stream), and checks after
 *                    it: "evicted N", "silent ID" / "loud ID" (whether a
 *                    rule's matches surface, sigma_rule_generates)
 * Events are built by hand from flat JSON (arrays give one field per
 * element, numbers keep their text), independently of the event decoder.
 */
#include "unit.h"

#include "detect/event.h"
#include "detect/sigma.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include <dirent.h>
#include <jansson.h>

/* An event built from a flat JSON object; the strings live in a side arena. */
struct tev {
	struct event ev;
	char *store[256];
	size_t nstore;
};

static const char *keep(struct tev *t, const char *s, size_t n)
{
	char *p = malloc(n + 1);

	assert_non_null(p);
	memcpy(p, s, n);
	p[n] = '\0';
	assert_true(t->nstore < 256);
	t->store[t->nstore++] = p;
	return p;
}

static void add_field(struct tev *t, const char *name, const json_t *v)
{
	struct event_field *f;
	char num[64];

	if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
			add_field(t, name, x);
		return;
	}
	if (t->ev.n == t->ev.cap) {
		t->ev.cap = t->ev.cap ? t->ev.cap * 2 : 8;
		t->ev.fields = realloc(t->ev.fields, t->ev.cap * sizeof(*t->ev.fields));
		assert_non_null(t->ev.fields);
	}
	f = &t->ev.fields[t->ev.n++];
	memset(f, 0, sizeof(*f));
	f->name = keep(t, name, strlen(name));
	f->name_len = strlen(name);
	f->hash = event_name_hash(name, f->name_len);
	if (json_is_string(v)) {
		f->type = EV_STRING;
		f->value = keep(t, json_string_value(v), json_string_length(v));
		f->value_len = json_string_length(v);
	} else if (json_is_integer(v) || json_is_real(v)) {
		if (json_is_integer(v))
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			snprintf(num, sizeof(num), "%g", json_real_value(v));
		f->type = EV_NUMBER;
		f->value = keep(t, num, strlen(num));
		f->value_len = strlen(num);
	} else if (json_is_boolean(v)) {
		f->type = EV_BOOL;
		f->value = json_is_true(v) ? "true" : "false";
		f->value_len = strlen(f->value);
	} else {
		f->type = EV_NULL;
		f->value = "";
	}
}

static void tev_build(struct tev *t, const char *json)
{
	json_error_t je;
	json_t *o = json_loads(json, 0, &je);
	const char *k;
	json_t *v;

	if (!o)
		print_error("bad event json '%s': %s\n", json, je.text);
	assert_non_null(o);
	memset(t, 0, sizeof(*t));
	t->ev.profile = PROFILE_FLAT;
	json_object_foreach(o, k, v)
		add_field(t, k, v);
	json_decref(o);
}

static void tev_free(struct tev *t)
{
	for (size_t i = 0; i < t->nstore; i++)
		free(t->store[i]);
	free(t->ev.fields);
}

/* What the loader reported. */
struct reports {
	char reasons[4096];
	int loaded, rejected;
};

static void on_report(void *ctx, const char *path, const char *id, const char *title, int loaded,
		      const char *reason)
{
	struct reports *r = ctx;
	size_t n = strlen(r->reasons);

	(void)path;
	(void)id;
	(void)title;
	if (loaded) {
		r->loaded++;
		return;
	}
	r->rejected++;
	snprintf(r->reasons + n, sizeof(r->reasons) - n, "%s\n", reason);
}

static void count_match(void *ctx, const struct sigma_rule *rule)
{
	(void)rule;
	(*(int *)ctx)++;
}

/* A stream case: the correlation state and what fired on one event. */
struct stream {
	const struct sigma_ruleset *rs;
	struct sigma_corr_state *st;
	const struct event *ev;
	int64_t t;
	char fired[512];
	char seen[1024];     /* " id=generates" of every rule that matched or fired */
};

static void note_seen(struct stream *sm, const struct sigma_rule *r)
{
	size_t n = strlen(sm->seen);

	snprintf(sm->seen + n, sizeof(sm->seen) - n, " %s=%d", sigma_rule_id(r),
		 sigma_rule_generates(r));
}

static void on_fire(void *ctx, const struct sigma_rule *corr, const char *group, int64_t t)
{
	struct stream *sm = ctx;
	size_t n = strlen(sm->fired);

	(void)group;
	(void)t;
	snprintf(sm->fired + n, sizeof(sm->fired) - n, "%s%s", n ? "," : "", sigma_rule_id(corr));
	note_seen(sm, corr);
}

static void stream_match(void *ctx, const struct sigma_rule *rule)
{
	struct stream *sm = ctx;

	note_seen(sm, rule);
	assert_int_equal(sigma_correlate_feed(sm->rs, sm->st, rule, sm->ev, sm->t, on_fire, sm), 0);
}

/*
 * Save *st, dump it as text, parse it again and load it into a new state
 * that replaces *st (a server's restart between two events): every saved
 * correlation must be restored.
 */
static void reload_state(const struct sigma_ruleset *rs, struct sigma_corr_state **st,
			 size_t max_groups)
{
	struct sigma_corr_state *fresh;
	json_t *saved, *parsed;
	size_t restored = 99, dropped = 99;
	struct err e;
	char *text;

	err_clear(&e);
	assert_int_equal(sigma_corr_state_save(rs, *st, &saved, &e), 0);
	assert_non_null(text = json_dumps(saved, JSON_COMPACT));
	assert_non_null(parsed = json_loads(text, 0, NULL));
	assert_int_equal(sigma_corr_state_new(max_groups, &fresh, &e), 0);
	assert_int_equal(sigma_corr_state_load(rs, fresh, parsed, &restored, &dropped, &e), 0);
	assert_int_equal(restored, json_array_size(json_object_get(saved, "correlations")));
	assert_int_equal(dropped, 0);
	sigma_corr_state_free(*st);
	*st = fresh;
	json_decref(parsed);
	json_decref(saved);
	free(text);
}

/*
 * Run one case file; returns the number of checks made. With reload, the
 * correlation state goes through reload_state before every line of the
 * stream, and the same correlations must fire (groups evicted are not
 * counted across it).
 */
static int run_case(const char *path, int reload)
{
	struct buf text = BUF_INIT, rule = BUF_INIT;
	struct sigma_ruleset *rs = NULL;
	struct sigma_scratch *s = NULL;
	struct reports rep;
	struct err e;
	char section[32] = "";
	char *line, *save = NULL;
	int checks = 0, want_loaded = -1;
	const char *want_reject[16];
	int nreject = 0;
	struct { char *json; int want; int line; } evs[64];
	int nev = 0, lineno = 0;
	struct { char *line; int lineno; } sev[64];
	int nsev = 0;
	const char *corr_checks[16];
	int ncorr = 0;
	size_t max_groups = 0;

	memset(&rep, 0, sizeof(rep));
	err_clear(&e);
	assert_int_equal(fs_read_file(path, &text, &e), 0);
	assert_int_equal(sigma_ruleset_new(&rs, &e), 0);
	for (line = strtok_r(text.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (!strncmp(line, "--- ", 4)) {
			snprintf(section, sizeof(section), "%s", line + 4);
			continue;
		}
		if (!strcmp(section, "rule")) {
			buf_adds(&rule, line);
			buf_addch(&rule, '\n');
		} else if (!strcmp(section, "placeholder")) {
			const char *vals[16];
			size_t n = 0;
			char *tok, *sv = NULL, *name = strtok_r(line, " ", &sv);
			while ((tok = strtok_r(NULL, " ", &sv)) && n < 16)
				vals[n++] = tok;
			assert_int_equal(sigma_ruleset_placeholder(rs, name, vals, n, &e), 0);
		} else if (!strcmp(section, "events") && line[0] != '#') {
			int m = !strncmp(line, "match ", 6);
			assert_true(m || !strncmp(line, "nomatch ", 8));
			assert_true(nev < 64);
			evs[nev].json = line + (m ? 6 : 8);
			evs[nev].line = lineno;
			evs[nev++].want = m;
		} else if (!strcmp(section, "reject") && line[0] && nreject < 16) {
			want_reject[nreject++] = line;
		} else if (!strcmp(section, "stream") && line[0] != '#') {
			assert_true(nsev < 64);
			sev[nsev].line = line;
			sev[nsev++].lineno = lineno;
		} else if (!strcmp(section, "corr") && line[0] && line[0] != '#') {
			if (!strncmp(line, "max_groups ", 11))
				max_groups = (size_t)atol(line + 11);
			else if (ncorr < 16)
				corr_checks[ncorr++] = line;
		} else if (!strcmp(section, "loaded")) {
			want_loaded = atoi(line);
		}
	}
	if (sigma_load_text(rs, path, rule.data, rule.len, on_report, &rep, &e)) {
		print_error("%s: %s\n", path, err_msg(&e));
		fail();
	}
	for (int i = 0; i < nreject; i++, checks++)
		if (!strstr(rep.reasons, want_reject[i])) {
			print_error("%s: no rejection containing '%s' (got: %s)\n", path, want_reject[i],
				    rep.reasons);
			fail();
		}
	if (!nreject && rep.rejected) {
		print_error("%s: unexpected rejection: %s\n", path, rep.reasons);
		fail();
	}
	if (want_loaded >= 0) {
		assert_int_equal(rep.loaded, want_loaded);
		checks++;
	}
	assert_int_equal(sigma_ruleset_compile(rs, &e), 0);
	assert_int_equal(sigma_scratch_new(rs, &s, &e), 0);
	for (int i = 0; i < nev; i++, checks++) {
		struct tev t;
		int hits = 0;

		tev_build(&t, evs[i].json);
		assert_int_equal(sigma_match(rs, s, &t.ev, count_match, &hits), 0);
		if ((hits > 0) != evs[i].want) {
			print_error("%s:%d: expected %s for %s\n", path, evs[i].line,
				    evs[i].want ? "a match" : "no match", evs[i].json);
			fail();
		}
		tev_free(&t);
	}
	if (nsev || ncorr) {
		struct stream sm;
		uint64_t evicted;

		memset(&sm, 0, sizeof(sm));
		sm.rs = rs;
		assert_int_equal(sigma_corr_state_new(max_groups, &sm.st, &e), 0);
		for (int i = 0; i < nsev; i++, checks++) {
			char *sv = NULL, *tm = strtok_r(sev[i].line, " ", &sv);
			char *want = strtok_r(NULL, " ", &sv), *json = sv;
			struct tev t;

			assert_non_null(want);
			sm.fired[0] = '\0';
			if (reload)
				reload_state(rs, &sm.st, max_groups);
			if (!strcmp(tm, "end")) {
				assert_int_equal(sigma_correlate_flush(rs, sm.st, on_fire, &sm), 0);
				memset(&t, 0, sizeof(t));
			} else {
				assert_non_null(json);
				tev_build(&t, json);
				sm.ev = &t.ev;
				sm.t = strcmp(tm, "-") ? atoll(tm) : sigma_event_time(&t.ev, NULL, 0);
				assert_int_equal(sigma_correlate_advance(rs, sm.st, sm.t, on_fire, &sm), 0);
				assert_int_equal(sigma_match(rs, s, &t.ev, stream_match, &sm), 0);
			}
			if (strcmp(sm.fired, strcmp(want, "-") ? want : "")) {
				print_error("%s:%d: expected %s to fire, got '%s'\n", path, sev[i].lineno,
					    want, sm.fired);
				fail();
			}
			tev_free(&t);
		}
		sigma_corr_stats(sm.st, NULL, &evicted, NULL);
		for (int i = 0; i < ncorr; i++, checks++) {
			char what[16], id[128], pat[160];
			unsigned long long n;

			if (sscanf(corr_checks[i], "evicted %llu", &n) == 1) {
				if (evicted != n && !reload) {
					print_error("%s: %llu groups evicted, expected %llu\n", path,
						    (unsigned long long)evicted, n);
					fail();
				}
				continue;
			}
			assert_int_equal(sscanf(corr_checks[i], "%15s %127s", what, id), 2);
			snprintf(pat, sizeof(pat), " %s=%d", id, !strcmp(what, "loud"));
			if (!strstr(sm.seen, pat)) {
				print_error("%s: rule %s should be %s (seen:%s)\n", path, id, what, sm.seen);
				fail();
			}
		}
		sigma_corr_state_free(sm.st);
	}
	sigma_scratch_free(s);
	sigma_ruleset_free(rs);
	buf_release(&text);
	buf_release(&rule);
	return checks;
}

static int is_case(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 4 && !strcmp(d->d_name + n - 4, ".txt");
}

static void test_cases(void **state)
{
	const char *dir = getenv("IRDESK_TESTDATA");
	char path[1024];
	struct dirent **list;
	int n, checks = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/sigma", dir && *dir ? dir : "tests/data");
	n = scandir(path, &list, is_case, alphasort);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		char file[1300];
		snprintf(file, sizeof(file), "%s/%s", path, list[i]->d_name);
		checks += run_case(file, 0);
		checks += run_case(file, 1);
		free(list[i]);
	}
	free(list);
	print_message("# %d cases, %d checks\n", n, checks);
	assert_true(checks > n);
}

/*
 * Correlation state across a restart: a correlation that changed or
 * vanished starts empty, max_groups keeps the most recently used groups,
 * and a hostile saved state fails cleanly, leaving an empty state that
 * works.
 */
static const char corr_rules[] =
	"title: logon\nid: 11111111-0000-0000-0000-0000000000aa\nname: logon\n"
	"detection:\n    sel:\n        EventID: 4624\n    condition: sel\n---\n"
	"title: many\nid: c-many\ncorrelation:\n    type: event_count\n    rules:\n        - logon\n"
	"    group-by:\n        - TargetUserName\n    timespan: %s\n    condition:\n        gte: 3\n"
	"%s";
static const char corr_few[] =
	"---\ntitle: few\nid: c-few\ncorrelation:\n    type: event_count\n    rules:\n"
	"        - logon\n    group-by:\n        - TargetUserName\n    timespan: 1m\n"
	"    condition:\n        lt: 3\n";

static struct sigma_ruleset *corr_ruleset(const char *timespan, const char *more)
{
	struct sigma_ruleset *rs;
	struct reports rep;
	struct err e;
	char yaml[2048];

	memset(&rep, 0, sizeof(rep));
	snprintf(yaml, sizeof(yaml), corr_rules, timespan, more);
	assert_int_equal(sigma_ruleset_new(&rs, &e), 0);
	assert_int_equal(sigma_load_text(rs, "state.yml", yaml, strlen(yaml), on_report, &rep, &e), 0);
	assert_int_equal(rep.rejected, 0);
	assert_int_equal(sigma_ruleset_compile(rs, &e), 0);
	return rs;
}

/* A logon of user at time t through the stream sm: what fired. */
static const char *logon(struct stream *sm, struct sigma_scratch *s, const char *user, int64_t t)
{
	char json[256];
	struct tev ev;

	snprintf(json, sizeof(json), "{\"EventID\": 4624, \"TargetUserName\": \"%s\"}", user);
	tev_build(&ev, json);
	sm->ev = &ev.ev;
	sm->t = t;
	sm->fired[0] = '\0';
	assert_int_equal(sigma_correlate_advance(sm->rs, sm->st, t, on_fire, sm), 0);
	assert_int_equal(sigma_match(sm->rs, s, &ev.ev, stream_match, sm), 0);
	tev_free(&ev);
	return sm->fired;
}

static size_t state_groups(const struct sigma_corr_state *st)
{
	size_t n;

	sigma_corr_stats(st, &n, NULL, NULL);
	return n;
}

/* A stream over rs whose state is loaded from saved (must succeed). */
static void stream_load(struct stream *sm, const struct sigma_ruleset *rs, size_t max_groups,
			const json_t *saved, size_t want_restored, size_t want_dropped)
{
	size_t restored, dropped;
	struct err e;

	memset(sm, 0, sizeof(*sm));
	sm->rs = rs;
	assert_int_equal(sigma_corr_state_new(max_groups, &sm->st, &e), 0);
	assert_int_equal(sigma_corr_state_load(rs, sm->st, saved, &restored, &dropped, &e), 0);
	assert_int_equal(restored, want_restored);
	assert_int_equal(dropped, want_dropped);
}

static void test_corr_state_changes(void **state)
{
	struct sigma_ruleset *rs = corr_ruleset("5m", corr_few), *changed = corr_ruleset("10m", "");
	struct sigma_scratch *s;
	struct stream sm;
	json_t *saved;
	struct err e;

	(void)state;
	assert_int_equal(sigma_scratch_new(rs, &s, &e), 0);
	memset(&sm, 0, sizeof(sm));
	sm.rs = rs;
	assert_int_equal(sigma_corr_state_new(0, &sm.st, &e), 0);
	assert_string_equal(logon(&sm, s, "bob", 100), "");
	assert_string_equal(logon(&sm, s, "bob", 110), "");
	assert_string_equal(logon(&sm, s, "eve", 120), "");
	assert_int_equal(sigma_corr_state_save(rs, sm.st, &saved, &e), 0);
	sigma_corr_state_free(sm.st);

	/* The same rules: bob's third logon completes the count. */
	stream_load(&sm, rs, 0, saved, 2, 0);
	assert_int_equal(state_groups(sm.st), 4);
	assert_string_equal(logon(&sm, s, "bob", 130), "c-many");
	/* The lt window of eve (opened at 120) closes past 180: it fires then. */
	assert_string_equal(logon(&sm, s, "zed", 181), "c-few");
	sigma_corr_state_free(sm.st);

	/* One group per correlation: eve's, the most recently used, stays. */
	stream_load(&sm, rs, 1, saved, 2, 0);
	assert_int_equal(state_groups(sm.st), 2);
	assert_string_equal(logon(&sm, s, "eve", 130), "");
	assert_string_equal(logon(&sm, s, "eve", 131), "c-many");
	sigma_corr_state_free(sm.st);

	/* c-many's timespan changed and c-few is gone: both start empty. */
	sigma_scratch_free(s);
	assert_int_equal(sigma_scratch_new(changed, &s, &e), 0);
	stream_load(&sm, changed, 0, saved, 0, 2);
	assert_int_equal(state_groups(sm.st), 0);
	assert_string_equal(logon(&sm, s, "bob", 130), "");
	sigma_corr_state_free(sm.st);

	json_decref(saved);
	sigma_scratch_free(s);
	sigma_ruleset_free(changed);
	sigma_ruleset_free(rs);
}

/*
 * A copy of saved with the value at path (a.b.0.c: object keys, array
 * indexes; an index one past the end appends) set to v (stolen).
 */
static json_t *altered(const json_t *saved, const char *path, json_t *v)
{
	json_t *copy = json_deep_copy(saved), *at = copy;
	char buf[256], *save = NULL, *part, *next;

	snprintf(buf, sizeof(buf), "%s", path);
	part = strtok_r(buf, ".", &save);
	while ((next = strtok_r(NULL, ".", &save)) != NULL) {
		at = json_is_array(at) ? json_array_get(at, (size_t)atoi(part)) : json_object_get(at, part);
		assert_non_null(at);
		part = next;
	}
	if (json_is_array(at) && (size_t)atoi(part) == json_array_size(at))
		assert_int_equal(json_array_append_new(at, v), 0);
	else if (json_is_array(at))
		assert_int_equal(json_array_set_new(at, (size_t)atoi(part), v), 0);
	else
		assert_int_equal(json_object_set_new(at, part, v), 0);
	return copy;
}

static void test_corr_state_hostile(void **state)
{
	struct sigma_ruleset *rs = corr_ruleset("5m", corr_few);
	struct sigma_scratch *s;
	struct stream sm;
	json_t *saved, *big, *dup;
	struct err e;
	char tag[64];

	(void)state;
	assert_int_equal(sigma_scratch_new(rs, &s, &e), 0);
	memset(&sm, 0, sizeof(sm));
	sm.rs = rs;
	assert_int_equal(sigma_corr_state_new(0, &sm.st, &e), 0);
	logon(&sm, s, "bob", 100);
	logon(&sm, s, "bob", 110);
	assert_int_equal(sigma_corr_state_save(rs, sm.st, &saved, &e), 0);
	/* c-many is saved first (load order), its group of bob with two entries. */
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(json_object_get(saved, "correlations"), 0), "id")), "c-many");
	big = json_array();
	for (int i = 0; i < 65537; i++)
		json_array_append_new(big, json_pack("[i]", i));
	dup = json_deep_copy(json_object_get(saved, "correlations"));
	json_array_extend(dup, json_object_get(saved, "correlations"));
	{
		json_t *bad[] = {
			json_array(),
			altered(saved, "format", json_integer(2)),
			altered(saved, "serial", json_integer(-1)),
			altered(saved, "correlations", json_string("x")),
			altered(saved, "correlations.0", json_integer(5)),
			altered(saved, "correlations.0.groups", json_object()),
			altered(saved, "correlations.0.groups.0", json_string("bob")),
			altered(saved, "correlations.0.groups.0.key", json_string("bob")),
			altered(saved, "correlations.0.groups.0.key", json_stringn("b\0b\x1f", 4)),
			altered(saved, "correlations.0.groups.0.key", json_integer(1)),
			altered(saved, "correlations.0.groups.0.last", json_string("soon")),
			altered(saved, "correlations.0.groups.0.open", json_integer(5)),
			altered(saved, "correlations.0.groups.0.entries", json_string("x")),
			altered(saved, "correlations.0.groups.0.entries.0", json_pack("[s]", "x")),
			altered(saved, "correlations.0.groups.0.entries.0", json_pack("[ii]", 1, 2)),
			altered(saved, "correlations.0.groups.0.entries", json_deep_copy(big)),
			altered(saved, "correlations.1.groups.0.open", json_null()),
			altered(saved, "correlations", json_deep_copy(dup)),
			altered(saved, "correlations.0.groups.1",
				json_deep_copy(json_array_get(json_object_get(json_array_get(
					json_object_get(saved, "correlations"), 0), "groups"), 0))),
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct sigma_corr_state *st = sm.st;
			int rc;

			snprintf(tag, sizeof(tag), "hostile state %zu", i);
			assert_int_equal(state_groups(st), 2);  /* a live state is emptied by a failure */
			rc = sigma_corr_state_load(rs, st, bad[i], NULL, NULL, &e);
			if (rc != ERR_PARSE && rc != ERR_INVALID)
				print_error("%s: load gave %d\n", tag, rc);
			assert_true(rc == ERR_PARSE || rc == ERR_INVALID);
			assert_int_equal(state_groups(st), 0);
			json_decref(bad[i]);
			assert_int_equal(sigma_corr_state_load(rs, st, saved, NULL, NULL, &e), 0);
		}
	}
	/* After all that, the state still counts: bob's third logon fires. */
	assert_string_equal(logon(&sm, s, "bob", 120), "c-many");
	json_decref(big);
	json_decref(dup);
	json_decref(saved);
	sigma_corr_state_free(sm.st);
	sigma_scratch_free(s);
	sigma_ruleset_free(rs);
}

/* Every rule of the corpus: how many load, and the unsupported ones. */
struct corpus {
	int loaded, rejected, agg_rejected, agg_loaded;
};

/* Does a condition line of the file use an aggregation or near? */
static int uses_aggregation(const char *path)
{
	struct buf b = BUF_INIT;
	int found = 0;

	if (fs_read_file(path, &b, NULL) == 0)
		for (char *l = strstr(b.data, "condition:"); l && !found;
		     l = strstr(l + 1, "condition:")) {
			char *end = strchr(l, '\n');
			size_t n = end ? (size_t)(end - l) : strlen(l);
			char line[512];

			snprintf(line, sizeof(line), "%.*s", (int)(n < 511 ? n : 511), l);
			if (strchr(line, '#'))
				*strchr(line, '#') = '\0';
			found = strstr(line, "| count") || strstr(line, "|count") || strstr(line, "| sum") ||
				strstr(line, " near ") || strstr(line, "count(");
		}
	buf_release(&b);
	return found;
}

static void on_corpus(void *ctx, const char *path, const char *id, const char *title, int loaded,
		      const char *reason)
{
	struct corpus *c = ctx;

	(void)id;
	(void)title;
	if (loaded && strstr(path, "/unsupported/") && uses_aggregation(path)) {
		print_error("%s: loaded despite a deprecated aggregation\n", path);
		c->agg_loaded++;
	}
	if (loaded)
		c->loaded++;
	else
		c->rejected++;
	if (reason && (strstr(reason, "deprecated aggregation") || strstr(reason, "'near'")))
		c->agg_rejected++;
}

static void test_corpus(void **state)
{
	static const char *const folders[] = { "rules", "rules-emerging-threats",
					       "rules-threat-hunting" };
	const char *corpus = unit_corpus_dir();
	struct sigma_ruleset *rs;
	struct corpus c;
	struct err e;
	char path[1024];

	(void)state;
	if (!corpus) {
		skip();
		return;
	}
	memset(&c, 0, sizeof(c));
	assert_int_equal(sigma_ruleset_new(&rs, &e), 0);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/sigma/%s", corpus, folders[i]);
		assert_int_equal(sigma_load_path(rs, path, on_corpus, &c, &e), 0);
	}
	print_message("# corpus: %d loaded, %d rejected\n", c.loaded, c.rejected);
	assert_true(c.loaded > 3000);
	assert_true((double)c.loaded >= 0.99 * (c.loaded + c.rejected));
	assert_int_equal(sigma_ruleset_compile(rs, &e), 0);
	sigma_ruleset_free(rs);
}

static void test_unsupported(void **state)
{
	const char *corpus = unit_corpus_dir();
	struct sigma_ruleset *rs;
	struct corpus c;
	struct err e;
	char path[1024];

	(void)state;
	if (!corpus) {
		skip();
		return;
	}
	memset(&c, 0, sizeof(c));
	assert_int_equal(sigma_ruleset_new(&rs, &e), 0);
	snprintf(path, sizeof(path), "%s/sigma/unsupported", corpus);
	assert_int_equal(sigma_load_path(rs, path, on_corpus, &c, &e), 0);
	print_message("# unsupported: %d rejected for aggregations or near, %d loaded\n",
		      c.agg_rejected, c.loaded);
	assert_int_equal(c.agg_loaded, 0);
	assert_true(c.agg_rejected >= 40);
	sigma_ruleset_free(rs);
}

static void test_path_errors(void **state)
{
	struct sigma_ruleset *rs;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(sigma_ruleset_new(&rs, &e), 0);
	assert_int_equal(sigma_load_path(rs, "/nonexistent/rules", NULL, NULL, &e), ERR_NOTFOUND);
	assert_non_null(strstr(e.msg, "/nonexistent/rules"));
	sigma_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_path_errors),
		cmocka_unit_test(test_corr_state_changes),
		cmocka_unit_test(test_corr_state_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
