/*
 * test_mail.c: the mail analyser, data-driven: every .eml file under tests/data/mail
 * carries its expectation in an X-Test-Expect header (verdict=, codes=
 * that must be present, nocodes= that must not, subject=, url=, domain=,
 * forwarded=, inline= (forward levels read inline), from= (the analysed
 * sender's address, empty for none)) and is analysed with tests/data/mail/config.json. Files
 * without the header are bad input: a verdict or a clear error, no crash.
 */
#include "unit.h"

#include "mail/mail.h"
#include "util/err.h"

#include <dirent.h>

static struct mail_config *cfg;

static int has_code(const struct mail_result *r, const char *code, size_t len)
{
	for (size_t i = 0; i < r->nreasons; i++)
		if (strlen(r->reasons[i].code) == len && !strncmp(r->reasons[i].code, code, len))
			return 1;
	return 0;
}

/* Check every item of a comma-separated list against the result. */
static void check_codes(const char *file, const struct mail_result *r, const char *list, int want)
{
	while (*list && *list != ' ' && *list != '\n') {
		size_t k = strcspn(list, ", \n");
		if (has_code(r, list, k) != want) {
			print_error("%s: reason %.*s %s\n", file, (int)k, list, want ? "missing" : "present");
			for (size_t i = 0; i < r->nreasons; i++)
				print_error("  have %s: %s\n", r->reasons[i].code, r->reasons[i].detail);
			fail();
		}
		list += k;
		if (*list == ',')
			list++;
	}
}

static void value(const char *expect, const char *key, char *out, size_t n)
{
	const char *p = strstr(expect, key);
	out[0] = '\0';
	if (!p)
		return;
	p += strlen(key);
	size_t k = strcspn(p, " \n");
	snprintf(out, n, "%.*s", (int)k, p);
}

static void run_case(const char *dir, const char *name)
{
	char path[1024], want[256], line[2048];
	size_t n;
	struct mail_result r;
	struct err e;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *data = unit_read_file(path, &n);
	assert_non_null(data);
	const char *ex = strncmp(data, "X-Test-Expect: ", 15) ? NULL : data + 15;
	snprintf(line, sizeof(line), "%.*s", ex ? (int)strcspn(ex, "\n") : 0, ex ? ex : "");
	err_clear(&e);
	int rc = mail_analyze(cfg, data, n, &r, &e);
	if (!ex || strstr(line, "verdict=any")) {
		/* Bad input: a verdict or a clear one-line error. */
		if (rc)
			assert_true(e.msg[0] && !strchr(e.msg, '\n'));
		mail_result_release(&r);
		free(data);
		return;
	}
	if (rc)
		print_error("%s: %s\n", name, e.msg);
	assert_int_equal(rc, 0);
	value(line, "verdict=", want, sizeof(want));
	if (strcmp(want, mail_verdict_name(r.verdict))) {
		print_error("%s: verdict %s (score %d), expected %s\n", name, mail_verdict_name(r.verdict), r.score, want);
		for (size_t i = 0; i < r.nreasons; i++)
			print_error("  %s %d: %s\n", r.reasons[i].code, r.reasons[i].weight, r.reasons[i].detail);
		fail();
	}
	const char *c = strstr(line, " codes=");
	if (c)
		check_codes(name, &r, c + 7, 1);
	c = strstr(line, "nocodes=");
	if (c)
		check_codes(name, &r, c + 8, 0);
	value(line, "subject=", want, sizeof(want));
	if (want[0])
		assert_string_equal(r.msg.subject, want);
	value(line, "url=", want, sizeof(want));
	if (want[0])
		assert_true(strv_has(&r.iocs.urls, want));
	value(line, "domain=", want, sizeof(want));
	if (want[0])
		assert_true(strv_has(&r.iocs.domains, want));
	value(line, "forwarded=", want, sizeof(want));
	if (want[0])
		assert_int_equal(r.msg.forwarded, atoi(want));
	value(line, "inline=", want, sizeof(want));
	if (want[0])
		assert_int_equal(r.msg.inline_forward, atoi(want));
	value(line, " from=", want, sizeof(want));
	if (strstr(line, " from="))
		assert_string_equal(r.msg.from_addr, want);
	mail_result_release(&r);
	free(data);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_data_files(void **state)
{
	const char *top = getenv("IRDESK_TESTDATA");
	char dir[512], *names[256];
	size_t nn = 0;
	DIR *d;
	struct dirent *de;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/mail", top && *top ? top : "tests/data");
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) && nn < 256)
		if (strstr(de->d_name, ".eml"))
			names[nn++] = strdup(de->d_name);
	closedir(d);
	assert_true(nn >= 15);
	qsort(names, nn, sizeof(*names), cmp);
	for (size_t i = 0; i < nn; i++) {
		run_case(dir, names[i]);
		free(names[i]);
	}
}

static void test_registrable(void **state)
{
	(void)state;
	char *r = mail_registrable("www.supplier-abc.co.jp");
	assert_string_equal(r, "supplier-abc.co.jp");
	free(r);
	r = mail_registrable("mail.example.com");
	assert_string_equal(r, "example.com");
	free(r);
}

static void test_lookalike(void **state)
{
	struct strv t = { 0 };
	const char *how;

	(void)state;
	strv_add(&t, "supplier-abc.co.jp");
	assert_non_null(mail_lookalike("supp1ier-abc.co.jp", &t, &how));
	assert_non_null(mail_lookalike("supplier-abc.com", &t, &how));
	assert_string_equal(how, "suffix");
	assert_non_null(mail_lookalike("xn--supplier-bc-6ij.co.jp", &t, &how));
	assert_null(mail_lookalike("mail.supplier-abc.co.jp", &t, &how));
	assert_null(mail_lookalike("example.org", &t, &how));
	strv_release(&t);
}

static void test_decode_header(void **state)
{
	(void)state;
	/* ① (NEC row 13) in ISO-2022-JP, which glibc's iconv refuses. */
	char *s = mail_decode_header("=?ISO-2022-JP?B?GyRCLSEbKEI=?= test");
	assert_string_equal(s, "\xe2\x91\xa0 test");
	free(s);
	s = mail_decode_header("=?UTF-8?Q?caf=C3=A9?= =?UTF-8?B?44OG44K544OI?=");
	assert_string_equal(s, "café" "テスト");
	free(s);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(mail_name_like("山田太郎", "山田 太郎"));
	assert_true(mail_name_like("Yamada Taro", "Taro Yamada"));
	assert_true(mail_name_like("ＴＡＲＯ　ＹＡＭＡＤＡ", "Taro Yamada"));
	assert_false(mail_name_like("Hanako Sato", "Taro Yamada"));
}

/* A 1 MiB header line (made here rather than kept as a 1 MB file): a
 * verdict or a clear one-line error, never a crash or a hang. */
static void test_long_header(void **state)
{
	const char head[] = "From: a@b.example\nSubject: ";
	const char tail[] = "\n\nbody\n";
	size_t n = sizeof(head) - 1 + 1048576 + sizeof(tail) - 1;
	char *msg = malloc(n + 1);
	struct mail_result r;
	struct err e;
	int rc;

	(void)state;
	assert_non_null(msg);
	memcpy(msg, head, sizeof(head) - 1);
	memset(msg + sizeof(head) - 1, 'A', 1048576);
	memcpy(msg + sizeof(head) - 1 + 1048576, tail, sizeof(tail));
	err_clear(&e);
	rc = mail_analyze(cfg, msg, n, &r, &e);
	if (rc)
		assert_true(e.msg[0] && !strchr(e.msg, '\n'));
	mail_result_release(&r);
	free(msg);
}

static void test_config_errors(void **state)
{
	struct mail_config *c = NULL;
	struct err e;

	(void)state;
	assert_int_equal(mail_config_parse(&c, "{\"own_domains\": 3}", 18, &e), ERR_INVALID);
	assert_null(c);
	assert_int_equal(mail_config_parse(&c, "{", 1, &e), ERR_PARSE);
	assert_int_equal(mail_config_load(&c, "/nonexistent/x.json", &e), ERR_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_files),
		cmocka_unit_test(test_registrable),
		cmocka_unit_test(test_lookalike),
		cmocka_unit_test(test_decode_header),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_long_header),
	};
	const char *top = getenv("IRDESK_TESTDATA");
	char path[512];
	struct err e;
	int rc;

	snprintf(path, sizeof(path), "%s/mail/config.json", top && *top ? top : "tests/data");
	if (mail_config_load(&cfg, path, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	mail_config_free(cfg);
	return rc;
}
