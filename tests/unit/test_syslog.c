/*
 * test_syslog.c: the syslog parser and TCP framing. Parser cases are data
 * files, tests/data/syslog/NNNN-name.in (one message, the exact bytes)
 * beside NNNN-name.out ("error: CODE", or "json: " and the event's JSON
 * text, "profile: " and the decoded profile, then one "NAME<TAB>VALUE" line
 * per field); each pair is one test. Framing and limits are written out here.
 */
#include "unit.h"

#include "detect/event.h"
#include "detect/syslog.h"
#include "util/buf.h"
#include "util/err.h"

#include <dirent.h>

static void add_escaped(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			buf_adds(b, "\\\\");
		else if (c == '\n')
			buf_adds(b, "\\n");
		else if (c == '\t')
			buf_adds(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_addf(b, "\\x%02x", c);
		else
			buf_addch(b, (char)c);
	}
}

/* What the parser made of in[0..len), in the .out format. */
static void render(const char *in, size_t len, struct buf *out)
{
	struct event ev;
	struct buf json = BUF_INIT;
	struct err e;
	int rc;

	event_init(&ev);
	err_clear(&e);
	rc = syslog_event(&ev, &json, in, len, &e);
	if (rc) {
		buf_addf(out, "error: %s\n", err_name(rc));
	} else {
		buf_adds(out, "json: ");
		add_escaped(out, json.data, json.len);
		buf_addf(out, "\nprofile: %s\n", event_profile_name(ev.profile));
		for (size_t i = 0; i < ev.n; i++) {
			add_escaped(out, ev.fields[i].name, ev.fields[i].name_len);
			buf_addch(out, '\t');
			add_escaped(out, ev.fields[i].value, ev.fields[i].value_len);
			buf_addch(out, '\n');
		}
	}
	event_release(&ev);
	buf_release(&json);
}

struct scase {
	char in[600], out[600], name[128];
};

static void test_data_case(void **state)
{
	const struct scase *c = *state;
	struct buf got = BUF_INIT;
	size_t inlen = 0, wantlen = 0;
	char *in = unit_read_file(c->in, &inlen), *want;

	assert_non_null(in);
	render(in, inlen, &got);
	want = unit_read_file(c->out, &wantlen);
	if (!want && getenv("IRDESK_WRITE_OUT")) { /* writing a new case's expectation */
		FILE *f = fopen(c->out, "wb");
		assert_non_null(f);
		fwrite(got.data, 1, got.len, f);
		fclose(f);
		want = strdup(got.data);
	}
	assert_non_null(want);
	if (strcmp(got.data, want) != 0) {
		print_error("%s\n--- expected\n%s--- got\n%s", c->name, want, got.data);
		fail();
	}
	free(in);
	free(want);
	buf_release(&got);
}

/* A message as long as the limit parses; framing truncates or drops longer ones. */
static void test_limits(void **state)
{
	size_t n = SYSLOG_MSG_MAX + 100, used, off, len;
	char *big = malloc(n + 32);
	struct syslog_framer fr;
	struct buf json = BUF_INIT;
	struct err e;
	int hdr;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', n + 32);
	memcpy(big, "<13>1 - h app - - - ", 20);
	assert_int_equal(syslog_to_json(big, SYSLOG_MSG_MAX, &json, &e), 0);

	/* Newline framing: the first SYSLOG_MSG_MAX bytes, then the rest of the line is skipped. */
	memset(&fr, 0, sizeof(fr));
	big[n] = '\n';
	memcpy(big + n + 1, "<13>next\n", 9);
	assert_int_equal(syslog_frame(&fr, big, n + 10, 0, &used, &off, &len), SYSLOG_TRUNCATED);
	assert_int_equal(off, 0);
	assert_int_equal(len, SYSLOG_MSG_MAX);
	assert_int_equal(used, SYSLOG_MSG_MAX);
	assert_int_equal(syslog_frame(&fr, big + used, n + 10 - used, 0, &used, &off, &len),
			 SYSLOG_FRAME);
	assert_int_equal(len, 8);

	/* Octet counting over the limit: dropped, the bytes skipped even across reads. */
	memset(&fr, 0, sizeof(fr));
	hdr = snprintf(big, 32, "%u ", SYSLOG_MSG_MAX + 1);
	assert_int_equal(syslog_frame(&fr, big, 100, 0, &used, &off, &len), SYSLOG_DROPPED);
	assert_int_equal(used, (size_t)hdr);
	assert_int_equal(syslog_frame(&fr, big + used, 100 - used, 0, &used, &off, &len),
			 SYSLOG_MORE);
	assert_int_equal(fr.skip, SYSLOG_MSG_MAX + 1 - (100 - (size_t)hdr));
	memset(&fr, 0, sizeof(fr));
	assert_int_equal(syslog_frame(&fr, "12345678901 x", 13, 0, &used, &off, &len), SYSLOG_BAD);
	free(big);
	buf_release(&json);
}

/*
 * A JSON payload whose joined field name passes EVENT_MAX_NAME is no
 * object of fields but the text of "msg", so the worker's decode never
 * fails on it; at the limit its fields are the payload's.
 */
static void test_json_payload_long_name(void **state)
{
	(void)state;
	for (size_t extra = 0; extra < 2; extra++) {
		struct buf in = BUF_INIT, json = BUF_INIT;
		struct event ev;
		struct err e;
		size_t pos = 0;
		const struct event_field *f;

		buf_adds(&in, "<13>1 - h app - - - {\"a\":{\"");
		for (size_t i = 0; i < EVENT_MAX_NAME - 2 + extra; i++)
			buf_addch(&in, 'k');
		buf_adds(&in, "\":\"v\"}}");
		event_init(&ev);
		err_clear(&e);
		assert_int_equal(syslog_event(&ev, &json, in.data, in.len, &e), 0);
		f = event_find(&ev, "msg", 3, event_name_hash("msg", 3), &pos);
		if (extra) {
			assert_non_null(f);
			assert_non_null(strstr(f->value, "{\"a\":{\"kkk"));
		} else {
			assert_null(f);
			assert_int_equal(ev.fields[0].name_len, EVENT_MAX_NAME);
		}
		event_release(&ev);
		buf_release(&json);
		buf_release(&in);
	}
}

/* Both framings in one stream, chosen per frame; partial frames wait for more. */
static void test_framing(void **state)
{
	static const char s[] = "5 <13>a<13>b\r\n\n11 <13>1 - - -\n<13>c";
	struct syslog_framer fr;
	size_t pos = 0, used, off, len;

	(void)state;
	memset(&fr, 0, sizeof(fr));
	assert_int_equal(syslog_frame(&fr, s, sizeof(s) - 1, 0, &used, &off, &len), SYSLOG_FRAME);
	assert_int_equal(len, 5);
	assert_memory_equal(s + off, "<13>a", 5);
	pos += used;
	assert_int_equal(syslog_frame(&fr, s + pos, sizeof(s) - 1 - pos, 0, &used, &off, &len),
			 SYSLOG_FRAME);
	assert_int_equal(len, 5);
	assert_memory_equal(s + pos + off, "<13>b", 5);
	pos += used;
	assert_int_equal(syslog_frame(&fr, s + pos, sizeof(s) - 1 - pos, 0, &used, &off, &len),
			 SYSLOG_FRAME);
	assert_int_equal(len, 11);
	assert_memory_equal(s + pos + off, "<13>1 - - -", 11);
	pos += used;
	/* "\n<13>c": no newline yet, so more is needed; at the end of the stream it is a message. */
	assert_int_equal(syslog_frame(&fr, s + pos, sizeof(s) - 1 - pos, 0, &used, &off, &len),
			 SYSLOG_MORE);
	pos += used;
	assert_int_equal(syslog_frame(&fr, s + pos, sizeof(s) - 1 - pos, 1, &used, &off, &len),
			 SYSLOG_FRAME);
	assert_memory_equal(s + pos + off, "<13>c", 5);
	pos += used;
	assert_int_equal(pos, sizeof(s) - 1);
	/* An octet-counted frame split across reads. */
	memset(&fr, 0, sizeof(fr));
	assert_int_equal(syslog_frame(&fr, "10 <13>", 7, 0, &used, &off, &len), SYSLOG_MORE);
	assert_int_equal(used, 0);
	assert_int_equal(syslog_frame(&fr, "1", 1, 0, &used, &off, &len), SYSLOG_MORE);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_json_payload_long_name),
		cmocka_unit_test(test_framing),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), n = 0, cap = 0;
	struct CMUnitTest *tests;
	struct scase *cases;
	char **names = NULL;
	DIR *d = opendir(unit_data_dir("syslog"));
	struct dirent *de;
	int rc;

	if (!d) {
		fprintf(stderr, "test_syslog: cannot open %s\n", unit_data_dir("syslog"));
		return 1;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len < 4 || strcmp(de->d_name + len - 3, ".in") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				abort();
		}
		names[n++] = strndup(de->d_name, len - 3);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	tests = calloc(n + nfixed, sizeof(*tests));
	cases = calloc(n + 1, sizeof(*cases));
	if (!tests || !cases)
		abort();
	for (size_t i = 0; i < n; i++) {
		snprintf(cases[i].in, sizeof(cases[i].in), "%s/%s.in", unit_data_dir("syslog"), names[i]);
		snprintf(cases[i].out, sizeof(cases[i].out), "%s/%s.out", unit_data_dir("syslog"), names[i]);
		snprintf(cases[i].name, sizeof(cases[i].name), "parse %s", names[i]);
		tests[i].name = cases[i].name;
		tests[i].test_func = test_data_case;
		tests[i].initial_state = &cases[i];
	}
	memcpy(tests + n, fixed, sizeof(fixed));
	rc = _cmocka_run_group_tests("syslog", tests, n + nfixed, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	free(cases);
	return rc;
}
