/*
 * test_event.c: the event decoder and the reader of event files. The
 * decoding cases are data files, tests/data/event/NNNN-name.json (the input
 * bytes) beside NNNN-name.out ("in: PROFILE", then "out: PROFILE" and one
 * "NAME<TAB>TYPE<TAB>VALUE" line per field in order, or "error: CODE OFFSET");
 * each pair is one test. The rest are written out here.
 */
#include "unit.h"

#include "detect/event.h"
#include "detect/scan.h"
#include "util/buf.h"
#include "util/err.h"

#include <dirent.h>
#include <sys/stat.h>

/* Reading files */

/* Text in the .out format: control bytes and backslashes escaped. */
static void add_escaped(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			buf_adds(b, "\\\\");
		else if (c == '\n')
			buf_adds(b, "\\n");
		else if (c == '\r')
			buf_adds(b, "\\r");
		else if (c == '\t')
			buf_adds(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_addf(b, "\\x%02x", c);
		else
			buf_addch(b, (char)c);
	}
}

static const char *const type_names[] = { "string", "number", "bool", "null" };

/* What the decoder made of the input, in the .out format. */
static void render(const struct event *e, int rc, const struct err *err, struct buf *out)
{
	if (rc) {
		/* The code and the offset: the rest of the message is for people. */
		const char *off = strstr(err->msg, "offset ");

		if (off)
			buf_addf(out, "error: %s %lu\n", err_name(rc), strtoul(off + 7, NULL, 10));
		else
			buf_addf(out, "error: %s ?\n", err_name(rc));
		return;
	}
	buf_addf(out, "out: %s\n", event_profile_name(e->profile));
	for (size_t i = 0; i < e->n; i++) {
		const struct event_field *f = &e->fields[i];

		add_escaped(out, f->name, f->name_len);
		buf_addf(out, "\t%s\t", type_names[f->type]);
		add_escaped(out, f->value, f->value_len);
		buf_addch(out, '\n');
	}
}

struct dcase {
	char json[600];
	char out[600];
	char name[128];
};

static void check_invariants(const struct event *e)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct event_field *f = &e->fields[i];

		assert_int_equal(f->name[f->name_len], '\0');
		assert_int_equal(f->value[f->value_len], '\0');
		assert_int_equal(f->hash, event_name_hash(f->name, f->name_len));
	}
}

static void test_data_case(void **state)
{
	const struct dcase *c = *state;
	struct event e;
	struct err err;
	struct buf got = BUF_INIT;
	char *in, *want, *nl;
	size_t inlen, wantlen;
	enum event_profile prof;
	int rc;

	in = unit_read_file(c->json, &inlen);
	want = unit_read_file(c->out, &wantlen);
	assert_non_null(in);
	assert_non_null(want);
	assert_true(strncmp(want, "in: ", 4) == 0);
	nl = strchr(want, '\n');
	assert_non_null(nl);
	*nl = '\0';
	assert_int_equal(event_profile_parse(want + 4, &prof), 0);

	event_init(&e);
	err_clear(&err);
	rc = event_decode(&e, in, inlen, prof, &err);
	render(&e, rc, &err, &got);
	if (strcmp(got.data, nl + 1) != 0) {
		print_error("%s: input %s\n--- expected\n%s--- got\n%s%s%s\n", c->name, c->json,
			    nl + 1, got.data, rc ? "message: " : "", rc ? err.msg : "");
		fail();
	}
	if (!rc)
		check_invariants(&e);
	else
		assert_int_equal(e.n, 0);
	/* Decoding again into the same (now warm) event gives the same. */
	buf_reset(&got);
	rc = event_decode(&e, in, inlen, prof, &err);
	render(&e, rc, &err, &got);
	assert_string_equal(got.data, nl + 1);
	/* Checking only (the server's intake) accepts what decodes, and builds no field. */
	{
		size_t raw_len = e.raw_len;
		int crc = event_decode(&e, in, inlen, PROFILE_CHECK, &err);

		if (rc != ERR_TOOLONG && (crc == 0) != (rc == 0)) {
			print_error("%s: check gives %d, decode %d\n", c->name, crc, rc);
			fail();
		}
		assert_int_equal(e.n, 0);
		if (!rc && !crc)
			assert_int_equal(e.raw_len, raw_len);
	}
	event_release(&e);
	buf_release(&got);
	free(in);
	free(want);
}

/* Written-out tests */

static void test_find(void **state)
{
	const char *j = "{\"a\":1,\"Image\":\"x\",\"b\":[\"p\",\"q\"],\"Image\":\"y\"}";
	struct event e;
	const struct event_field *f;
	size_t pos = 0;

	(void)state;
	event_init(&e);
	assert_int_equal(event_decode(&e, j, strlen(j), PROFILE_FLAT, NULL), 0);
	f = event_find(&e, "Image", 5, event_name_hash("Image", 5), &pos);
	assert_non_null(f);
	assert_string_equal(f->value, "x");
	f = event_find(&e, "Image", 5, event_name_hash("Image", 5), &pos);
	assert_non_null(f);
	assert_string_equal(f->value, "y");
	assert_null(event_find(&e, "Image", 5, event_name_hash("Image", 5), &pos));
	pos = 0;
	assert_null(event_find(&e, "image", 5, event_name_hash("image", 5), &pos));
	/* FNV-1a of "a": a known value, so other modules may hash alike. */
	assert_int_equal(event_name_hash("a", 1), 0xe40c292cu);
	assert_int_equal(event_name_hash("", 0), 2166136261u);
	event_release(&e);
	event_release(&e); /* released twice is harmless */
}

static void test_profile_names(void **state)
{
	enum event_profile p;

	(void)state;
	assert_int_equal(event_profile_parse("winlogbeat", &p), 0);
	assert_int_equal(p, PROFILE_WINLOGBEAT);
	assert_int_equal(event_profile_parse("evtx", &p), 0);
	assert_int_equal(p, PROFILE_EVTX);
	assert_int_equal(event_profile_parse("EVTX", &p), -1);
	assert_string_equal(event_profile_name(PROFILE_AUTO), "auto");
}

/* A big event then a small one: the arena is reused and pointers are fresh. */
static void test_reuse(void **state)
{
	static const char small[] = "{\"x\":\"y\"}";
	struct buf big = BUF_INIT;
	struct event e;
	const struct event_field *f;
	size_t pos = 0;

	(void)state;
	buf_adds(&big, "{");
	for (int i = 0; i < 3000; i++)
		buf_addf(&big, "%s\"k%d\":{\"sub\":\"%0200d\"}", i ? "," : "", i, i);
	buf_adds(&big, "}");
	assert_int_equal(buf_error(&big), 0);
	event_init(&e);
	assert_int_equal(event_decode(&e, big.data, big.len, PROFILE_AUTO, NULL), 0);
	assert_int_equal(e.n, 3000);
	assert_string_equal(e.fields[2999].name, "k2999.sub");
	assert_int_equal(e.fields[2999].value_len, 200);
	check_invariants(&e);
	assert_int_equal(event_decode(&e, small, strlen(small), PROFILE_AUTO, NULL), 0);
	assert_int_equal(e.n, 1);
	f = event_find(&e, "x", 1, event_name_hash("x", 1), &pos);
	assert_non_null(f);
	assert_string_equal(f->value, "y");
	assert_true(e.raw == small);
	assert_int_equal(e.raw_len, strlen(small));
	event_release(&e);
	buf_release(&big);
}

static void test_decode_at(void **state)
{
	const char *s = "  {\"a\":1}\n{\"b\":{\"c\":2}}x";
	struct event e;
	struct err err;
	size_t next;

	(void)state;
	event_init(&e);
	err_clear(&err);
	assert_int_equal(event_decode_at(&e, s, strlen(s), 0, PROFILE_AUTO, &next, &err), 0);
	assert_int_equal(next, 9);
	assert_int_equal(e.raw_len, 7);
	assert_true(e.raw == s + 2);
	assert_int_equal(event_decode_at(&e, s, strlen(s), next, PROFILE_AUTO, &next, &err), 0);
	assert_int_equal(next, 23);
	assert_string_equal(e.fields[0].name, "b.c");
	/* Offsets in messages count from the start of the whole buffer. */
	assert_int_equal(event_decode_at(&e, s, strlen(s), next, PROFILE_AUTO, &next, &err),
			 ERR_PARSE);
	assert_non_null(strstr(err.msg, "offset 23:"));
	event_release(&e);
	/* A small event at the head of a big buffer keeps a small arena. */
	{
		struct buf big = BUF_INIT;

		for (int i = 0; i < 100000; i++)
			buf_adds(&big, "{\"a\":\"bcd\"}\n");
		event_init(&e);
		assert_int_equal(event_decode_at(&e, big.data, big.len, 0, PROFILE_AUTO, &next,
						 &err), 0);
		assert_int_equal(next, 11);
		assert_true(e.arena_cap <= 4096);
		event_release(&e);
		buf_release(&big);
	}
}

static void test_limits(void **state)
{
	struct buf b = BUF_INIT;
	struct event e;
	struct err err;

	(void)state;
	event_init(&e);
	/* More fields than EVENT_MAX_FIELDS. */
	buf_adds(&b, "{\"a\":[");
	for (int i = 0; i < EVENT_MAX_FIELDS + 10; i++)
		buf_adds(&b, i ? ",1" : "1");
	buf_adds(&b, "]}");
	err_clear(&err);
	assert_int_equal(event_decode(&e, b.data, b.len, PROFILE_AUTO, &err), ERR_TOOLONG);
	assert_non_null(strstr(err.msg, "too many fields"));
	/* A flattened name longer than EVENT_MAX_NAME. */
	buf_reset(&b);
	for (int i = 0; i < 60; i++)
		buf_addf(&b, "{\"%0100d\":", i);
	buf_adds(&b, "1");
	for (int i = 0; i < 60; i++)
		buf_adds(&b, "}");
	err_clear(&err);
	assert_int_equal(event_decode(&e, b.data, b.len, PROFILE_AUTO, &err), ERR_TOOLONG);
	assert_non_null(strstr(err.msg, "name too long"));
	/* Deep but within the limit is fine. */
	buf_reset(&b);
	buf_adds(&b, "{\"a\":");
	for (int i = 0; i < EVENT_MAX_DEPTH - 2; i++)
		buf_adds(&b, "[");
	buf_adds(&b, "7");
	for (int i = 0; i < EVENT_MAX_DEPTH - 2; i++)
		buf_adds(&b, "]");
	buf_adds(&b, "}");
	assert_int_equal(event_decode(&e, b.data, b.len, PROFILE_AUTO, &err), 0);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.fields[0].value, "7");
	event_release(&e);
	buf_release(&b);
}

/*
 * The server's check counts the names the worker's decode joins (issue: an
 * event acknowledged and then failed): "pre" and a key of keylen bytes
 * make a name of exactly EVENT_MAX_NAME, accepted by both; a byte more is
 * refused by both, the check naming the limit.
 */
static void joined_name_case(const char *pre, size_t prelen, const char *post)
{
	for (size_t extra = 0; extra < 2; extra++) {
		size_t keylen = EVENT_MAX_NAME - prelen + extra;
		struct buf b = BUF_INIT;
		struct event e;
		struct err err;
		int want = extra ? ERR_TOOLONG : 0;

		buf_addf(&b, "%s\"", pre);
		for (size_t i = 0; i < keylen; i++)
			buf_addch(&b, 'k');
		buf_addf(&b, "\":\"v\"%s", post);
		event_init(&e);
		err_clear(&err);
		assert_int_equal(event_decode(&e, b.data, b.len, PROFILE_CHECK, &err), want);
		if (want)
			assert_non_null(strstr(err.msg, "field name too long: more than 4096 bytes"));
		assert_int_equal(event_decode(&e, b.data, b.len, PROFILE_FLAT, &err), want);
		if (!want) {
			assert_true(e.n >= 1);
			assert_int_equal(e.fields[e.n - 1].name_len, EVENT_MAX_NAME);
		}
		event_release(&e);
		buf_release(&b);
	}
}

static void test_check_joined_names(void **state)
{
	struct buf pre = BUF_INIT, post = BUF_INIT;

	(void)state;
	joined_name_case("{", 0, "}");
	joined_name_case("{\"a\":{\"b\":{", 4, "}}}");                 /* a.b.KEY */
	joined_name_case("{\"x\":1,\"a\":[1,{", 2, "}]}");              /* arrays keep the name */
	joined_name_case("{\"\":{", 0, "}}");                         /* an empty prefix adds no '.' */
	joined_name_case("{\"Event\":{\"System\":{", 13, "}}}");       /* flat as well as evtx */
	/* 39 keys of 100 bytes: 39 * 101 bytes of prefix. */
	buf_adds(&pre, "{");
	for (int i = 0; i < 39; i++) {
		buf_addf(&pre, "\"%0100d\":{", i);
		buf_adds(&post, "}");
	}
	buf_adds(&post, "}");
	joined_name_case(pre.data, 39 * 101, post.data);
	buf_release(&pre);
	buf_release(&post);
}

/* Long strings grow the arena while they are written: every byte arrives. */
static void test_long_strings(void **state)
{
	struct buf in = BUF_INIT, want = BUF_INIT;
	struct event e;
	struct err err;

	(void)state;
	buf_adds(&in, "{\"k\":\"");
	for (int i = 0; i < 20000; i++) {
		/* Plain runs of varying length, escapes, raw and escaped UTF-8. */
		buf_addf(&in, "%.*s\\n\u00e9\\u3042\\ud83d\\ude00\\\"", i % 37,
			 "abcdefghijklmnopqrstuvwxyz0123456789");
		buf_addf(&want, "%.*s\n\u00e9\u3042\U0001f600\"", i % 37,
			 "abcdefghijklmnopqrstuvwxyz0123456789");
	}
	buf_adds(&in, "\"}");
	assert_int_equal(buf_error(&in), 0);
	event_init(&e);
	err_clear(&err);
	assert_int_equal(event_decode(&e, in.data, in.len, PROFILE_AUTO, &err), 0);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.fields[0].value_len, want.len);
	assert_memory_equal(e.fields[0].value, want.data, want.len);
	check_invariants(&e);
	/* The arena stays near the size of the event, not of what follows it. */
	assert_true(e.arena_cap < 4 * in.len);
	event_release(&e);
	buf_release(&in);
	buf_release(&want);
}

/* The reader */

struct seen {
	struct buf log;
	size_t count;
	int stop_at;
};

static int collect(void *ctx, const struct event *ev, size_t index, size_t offset,
		   struct err *err)
{
	struct seen *s = ctx;

	buf_addf(&s->log, "%zu@%zu:", index, offset);
	for (size_t i = 0; i < ev->n; i++)
		buf_addf(&s->log, "%s%s=%s", i ? "," : "", ev->fields[i].name, ev->fields[i].value);
	buf_addch(&s->log, ';');
	s->count++;
	if (s->stop_at >= 0 && (size_t)s->stop_at == index)
		return err_set(err, ERR_CONFLICT, "stopped");
	return 0;
}

static int scan_str(const char *text, struct seen *s, struct err *err)
{
	struct event e;
	size_t n = 99;
	int rc;

	event_init(&e);
	buf_reset(&s->log);
	s->count = 0;
	rc = scan_buffer("mem", text, strlen(text), PROFILE_AUTO, &e, collect, s, &n, err);
	assert_int_equal(n, s->count);
	event_release(&e);
	return rc;
}

static void test_scan_formats(void **state)
{
	struct seen s = { BUF_INIT, 0, -1 };
	struct err err;

	(void)state;
	err_clear(&err);
	/* JSON lines with blank lines and CRLF: blank lines do not count. */
	assert_int_equal(scan_str("{\"a\":1}\r\n\r\n\n{\"a\":2}\n   \n{\"a\":3}", &s, &err), 0);
	assert_string_equal(s.log.data, "0@0:a=1;1@12:a=2;2@24:a=3;");
	/* One array: each element counts one. */
	assert_int_equal(scan_str(" [ {\"a\":1} ,\n{\"a\":2},{}]\n", &s, &err), 0);
	assert_string_equal(s.log.data, "0@3:a=1;1@13:a=2;2@21:;");
	/* Pretty-printed objects one after another, with a byte order mark. */
	assert_int_equal(scan_str("\xef\xbb\xbf{\n  \"a\": {\n    \"b\": 1\n  }\n}\n{\n  \"a\": 2\n}{\"c\":3}",
				  &s, &err), 0);
	assert_string_equal(s.log.data, "0@3:a.b=1;1@31:a=2;2@43:c=3;");
	/* Nothing at all, and an empty array. */
	assert_int_equal(scan_str("", &s, &err), 0);
	assert_int_equal(s.count, 0);
	assert_int_equal(scan_str(" \n[ ]\n", &s, &err), 0);
	assert_int_equal(s.count, 0);
	buf_release(&s.log);
}

static void test_scan_errors(void **state)
{
	struct seen s = { BUF_INIT, 0, -1 };
	struct err err;

	(void)state;
	err_clear(&err);
	/* The events before the bad one are handed over; the offset is the file's. */
	assert_int_equal(scan_str("{\"a\":1}\n{\"a\":\"x}", &s, &err), ERR_PARSE);
	assert_int_equal(s.count, 1);
	assert_string_equal(err.msg, "mem: offset 13: unterminated string");
	assert_int_equal(scan_str("{\"a\":1}\nnull\n", &s, &err), ERR_PARSE);
	assert_string_equal(err.msg, "mem: offset 8: unexpected 'n', expected a JSON object");
	assert_int_equal(scan_str("[{\"a\":1},2]", &s, &err), ERR_PARSE);
	assert_non_null(strstr(err.msg, "offset 9:"));
	assert_int_equal(scan_str("[{\"a\":1}", &s, &err), ERR_PARSE);
	assert_non_null(strstr(err.msg, "offset 8: unexpected end of input"));
	assert_int_equal(scan_str("[{\"a\":1}] {}", &s, &err), ERR_PARSE);
	assert_int_equal(scan_str("{\"a\":1},{\"a\":2}", &s, &err), ERR_PARSE);
	assert_non_null(strstr(err.msg, "offset 7:"));
	/* The callback stops the scan with its own code. */
	s.stop_at = 1;
	assert_int_equal(scan_str("{}{}{}", &s, &err), ERR_CONFLICT);
	assert_int_equal(s.count, 2);
	buf_release(&s.log);
}

static void test_scan_file(void **state)
{
	char path[512];
	struct seen s = { BUF_INIT, 0, -1 };
	struct event e;
	struct err err;
	size_t n, nb;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/events.json", unit_tmpdir());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[\n {\"EventID\": 1},\n {\"EventID\": 2}\n]\n", f);
	fclose(f);
	event_init(&e);
	err_clear(&err);
	assert_int_equal(scan_file(path, PROFILE_AUTO, &e, collect, &s, &n, &nb, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(nb, 37);
	assert_string_equal(s.log.data, "0@3:EventID=1;1@20:EventID=2;");
	snprintf(path, sizeof(path), "%s/missing.json", unit_tmpdir());
	assert_int_equal(scan_file(path, PROFILE_AUTO, &e, collect, &s, &n, &nb, &err),
			 ERR_NOTFOUND);
	assert_non_null(strstr(err.msg, "missing.json: no such file"));
	/* An empty file holds no events. */
	snprintf(path, sizeof(path), "%s/empty.json", unit_tmpdir());
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(scan_file(path, PROFILE_AUTO, &e, collect, &s, &n, &nb, &err), 0);
	assert_int_equal(n, 0);
	event_release(&e);
	buf_release(&s.log);
}

/* The real corpora, when present: every event decodes, with the expected profile. */

struct corpus_count {
	size_t events, evtx, flat, wlb, with_eventid;
};

static int count_event(void *ctx, const struct event *ev, size_t index, size_t offset,
		       struct err *err)
{
	struct corpus_count *c = ctx;
	size_t pos = 0;

	(void)index;
	(void)offset;
	(void)err;
	c->events++;
	c->evtx += ev->profile == PROFILE_EVTX;
	c->flat += ev->profile == PROFILE_FLAT;
	c->wlb += ev->profile == PROFILE_WINLOGBEAT;
	c->with_eventid += event_find(ev, "EventID", 7, event_name_hash("EventID", 7), &pos) != NULL;
	return 0;
}

static void scan_tree(const char *dir, struct event *e, struct corpus_count *c, int *files)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[1024];
		struct stat sb;
		size_t n = strlen(de->d_name);
		struct err err;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			scan_tree(path, e, c, files);
		} else if (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0) {
			err_clear(&err);
			if (scan_file(path, PROFILE_AUTO, e, count_event, c, NULL, NULL, &err) != 0) {
				print_error("%s\n", err.msg);
				fail();
			}
			(*files)++;
		}
	}
	closedir(d);
}

static void test_corpus(void **state)
{
	const char *corpus = unit_corpus_dir();
	char dir[512];
	struct corpus_count reg = { 0 }, otrf = { 0 };
	struct event e;
	int files = 0;

	(void)state;
	assert_non_null(corpus); /* main() leaves this test out without the corpus */
	event_init(&e);
	snprintf(dir, sizeof(dir), "%s/events/sigmahq-regression", corpus);
	scan_tree(dir, &e, &reg, &files);
	assert_true(files >= 200);
	assert_int_equal(reg.evtx, reg.events);
	assert_int_equal(reg.with_eventid, reg.events);
	snprintf(dir, sizeof(dir), "%s/events/otrf", corpus);
	files = 0;
	scan_tree(dir, &e, &otrf, &files);
	assert_true(otrf.events > 18000);
	assert_true(otrf.wlb > 0);
	assert_int_equal(otrf.evtx, 0);
	assert_int_equal(otrf.flat + otrf.wlb, otrf.events);
	event_release(&e);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_profile_names),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_decode_at),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_check_joined_names),
		cmocka_unit_test(test_long_strings),
		cmocka_unit_test(test_scan_formats),
		cmocka_unit_test(test_scan_errors),
		cmocka_unit_test(test_scan_file),
		cmocka_unit_test(test_corpus), /* last: left out without the corpus */
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), n = 0, cap = 0;
	int have_corpus = unit_corpus_dir() != NULL;
	struct CMUnitTest *tests;
	struct dcase *cases;
	char **names = NULL;
	DIR *d = opendir(unit_data_dir("event"));
	struct dirent *de;
	int rc;

	if (!d) {
		fprintf(stderr, "test_event: cannot open %s\n", unit_data_dir("event"));
		return 1;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				abort();
		}
		names[n++] = strndup(de->d_name, len - 5);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	tests = calloc(n + nfixed, sizeof(*tests));
	cases = calloc(n + 1, sizeof(*cases));
	if (!tests || !cases)
		abort();
	for (size_t i = 0; i < n; i++) {
		snprintf(cases[i].json, sizeof(cases[i].json), "%s/%s.json", unit_data_dir("event"), names[i]);
		snprintf(cases[i].out, sizeof(cases[i].out), "%s/%s.out", unit_data_dir("event"), names[i]);
		snprintf(cases[i].name, sizeof(cases[i].name), "decode %s", names[i]);
		tests[i].name = cases[i].name;
		tests[i].test_func = test_data_case;
		tests[i].initial_state = &cases[i];
	}
	memcpy(tests + n, fixed, sizeof(fixed));
	if (!have_corpus)
		nfixed--;
	rc = _cmocka_run_group_tests("event", tests, n + nfixed, NULL, NULL);
	/* cmocka 1.1 reports skip() as "not ok"; TAP's own skip line instead. */
	if (!have_corpus)
		printf("ok %zu - test_corpus # SKIP corpus not found\n", n + nfixed + 1);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	free(cases);
	unit_rmtmp();
	return rc;
}
