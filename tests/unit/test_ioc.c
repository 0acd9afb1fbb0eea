/*
 * test_ioc.c: IOC watchlists (detect/ioc.c): normalising each indicator type
 * (data-driven: tests/data/ioc/0001-normalize.tsv), plain text and CSV
 * files, CIDR edges for v4 and v6, subdomains, Sysmon's Hashes field and
 * indicators inside command lines.
 */
#include "unit.h"

#include "detect/event.h"
#include "detect/ioc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

static const char *data_path(const char *name, char *out, size_t n)
{
	const char *t = getenv("IRDESK_TESTDATA");

	snprintf(out, n, "%s/ioc/%s", t && *t ? t : "tests/data", name);
	return out;
}

static void test_normalize_cases(void **state)
{
	char path[512];
	struct buf b;
	struct err e;
	char *line, *save = NULL;
	int cases = 0;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(fs_read_file(data_path("0001-normalize.tsv", path, sizeof(path)), &b, &e), 0);
	for (line = strtok_r(b.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[4], *p = line, out[IOC_VALUE_MAX];
		enum ioc_type t = IOC__COUNT;
		int i, rc;

		if (*line == '#')
			continue;
		for (i = 0; i < 4; i++) {
			f[i] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
			else if (i < 3)
				fail_msg("malformed case: %s", line);
		}
		if (strcmp(f[1], "auto") != 0)
			assert_int_equal(ioc_type_parse(f[1], strlen(f[1]), &t), 0);
		err_clear(&e);
		rc = ioc_normalize(f[0], strlen(f[0]), &t, out, sizeof(out), &e);
		if (strcmp(f[2], "!") == 0) {
			if (rc == 0)
				fail_msg("'%s' should be refused, got %s %s", f[0], ioc_type_name(t), out);
			assert_int_equal(rc, ERR_INVALID);
		} else {
			if (rc != 0)
				fail_msg("'%s': %s", f[0], e.msg);
			if (strcmp(ioc_type_name(t), f[2]) != 0 || strcmp(out, f[3]) != 0)
				fail_msg("'%s': got %s '%s', want %s '%s'", f[0], ioc_type_name(t), out,
					 f[2], f[3]);
		}
		cases++;
	}
	assert_true(cases >= 30);
	buf_release(&b);
}

/* A set from lines of text, compiled. */
static struct ioc_set *set_of(const char *text)
{
	char path[512];
	struct ioc_set *s;
	struct err e;
	FILE *f;

	snprintf(path, sizeof(path), "%s/list.txt", unit_tmpdir());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(ioc_set_new(&s, &e), 0);
	if (ioc_set_load_file(s, path, "t", 0, NULL, NULL, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(ioc_set_compile(s, &e), 0);
	return s;
}

struct hits {
	char text[4096];
	int n;
};

static int on_hit(void *ctx, const struct ioc_hit *h)
{
	struct hits *hs = ctx;
	size_t l = strlen(hs->text);

	snprintf(hs->text + l, sizeof(hs->text) - l, "%s%s:%s@%s", l ? " " : "",
		 ioc_type_name(h->type), h->value, h->field);
	hs->n++;
	return 0;
}

/* The hits of one JSON event, as "type:value@field ...". */
static const char *match(const struct ioc_set *s, const char *json, int all, struct hits *hs)
{
	struct ioc_scratch *sc;
	struct event ev;
	struct err e;
	int n;

	memset(hs, 0, sizeof(*hs));
	event_init(&ev);
	assert_int_equal(ioc_scratch_new(&sc, &e), 0);
	if (event_decode(&ev, json, strlen(json), PROFILE_FLAT, &e) != 0)
		fail_msg("%s", e.msg);
	n = ioc_match(s, sc, &ev, all, on_hit, hs);
	assert_int_equal(n, hs->n);
	ioc_scratch_free(sc);
	event_release(&ev);
	return hs->text;
}

static void test_file_formats(void **state)
{
	char path[512];
	struct ioc_set *s;
	struct err e;
	size_t n = 0, bad = 0;

	(void)state;
	assert_int_equal(ioc_set_new(&s, &e), 0);
	if (ioc_set_load_file(s, data_path("0002-mixed.txt", path, sizeof(path)), "mixed", 0, &n,
			      &bad, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(n, 9);
	assert_int_equal(bad, 0);
	assert_int_equal(ioc_set_count_type(s, IOC_IP), 1);
	assert_int_equal(ioc_set_count_type(s, IOC_CIDR), 2);
	assert_int_equal(ioc_set_count_type(s, IOC_DOMAIN), 1);
	assert_int_equal(ioc_set_count_type(s, IOC_URL), 1);
	assert_int_equal(ioc_set_count_type(s, IOC_EMAIL), 1);
	assert_int_equal(ioc_set_count_type(s, IOC_SHA256), 1);
	assert_int_equal(ioc_set_count_type(s, IOC_MD5), 1);
	assert_int_equal(ioc_set_count_type(s, IOC_FILENAME), 1);
	ioc_set_free(s);
}

struct seen {
	char comments[512];
};

static int keep_comment(void *ctx, enum ioc_type type, const char *value, const char *comment,
			struct err *e)
{
	struct seen *sn = ctx;
	size_t l = strlen(sn->comments);

	(void)type;
	(void)value;
	(void)e;
	snprintf(sn->comments + l, sizeof(sn->comments) - l, "[%s]", comment);
	return 0;
}

static void test_parse_errors_and_comments(void **state)
{
	static const char bad[] = "10.1.2.3\nnot an indicator\nevil.com\n";
	static const char csv[] = "type,value,comment\ndomain,\"a.com\",\"x, \"\"y\"\"\"\nip,10.0.0.1\n"
				  "1.2.3.4 # inline\n";
	struct seen sn;
	struct err e;
	size_t nbad = 0;

	(void)state;
	memset(&sn, 0, sizeof(sn));
	err_clear(&e);
	assert_int_equal(ioc_parse("bad.txt", bad, strlen(bad), 0, keep_comment, &sn, NULL, &e),
			 ERR_INVALID);
	assert_non_null(strstr(e.msg, "bad.txt:2:"));
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(ioc_parse("bad.txt", bad, strlen(bad), 1, keep_comment, &sn, &nbad, &e), 0);
	assert_int_equal(nbad, 1);
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(ioc_parse("c.csv", csv, strlen(csv), 0, keep_comment, &sn, NULL, &e), 0);
	assert_string_equal(sn.comments, "[x, \"y\"][][inline]");
}

static void test_cidr_edges(void **state)
{
	struct ioc_set *s = set_of("10.0.0.0/8\n10.1.0.0/16\n192.168.1.128/25\n0.0.0.0/32\n"
				   "2001:db8::/32\n2001:db8:1::/48\nfe80::/10\n::1\n");
	struct hits h;

	(void)state;
	assert_string_equal(match(s, "{\"DestinationIp\":\"10.255.255.255\"}", 0, &h),
			    "cidr:10.0.0.0/8@DestinationIp");
	/* Nested ranges both report. */
	assert_string_equal(match(s, "{\"DestinationIp\":\"10.1.0.0\"}", 0, &h),
			    "cidr:10.1.0.0/16@DestinationIp cidr:10.0.0.0/8@DestinationIp");
	assert_string_equal(match(s, "{\"DestinationIp\":\"11.0.0.0\"}", 0, &h), "");
	assert_string_equal(match(s, "{\"DestinationIp\":\"9.255.255.255\"}", 0, &h), "");
	assert_string_equal(match(s, "{\"SourceIp\":\"192.168.1.127\"}", 0, &h), "");
	assert_string_equal(match(s, "{\"SourceIp\":\"192.168.1.128\"}", 0, &h),
			    "cidr:192.168.1.128/25@SourceIp");
	assert_string_equal(match(s, "{\"SourceIp\":\"192.168.1.255\"}", 0, &h),
			    "cidr:192.168.1.128/25@SourceIp");
	assert_string_equal(match(s, "{\"SourceIp\":\"0.0.0.0\"}", 0, &h), "ip:0.0.0.0@SourceIp");
	/* A v4-mapped v6 address is its v4 address. */
	assert_string_equal(match(s, "{\"SourceIp\":\"::ffff:10.9.9.9\"}", 0, &h),
			    "cidr:10.0.0.0/8@SourceIp");
	assert_string_equal(match(s, "{\"SourceIp\":\"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\"}", 0, &h),
			    "cidr:2001:db8::/32@SourceIp");
	assert_string_equal(match(s, "{\"SourceIp\":\"2001:db8:1:2::3\"}", 0, &h),
			    "cidr:2001:db8:1::/48@SourceIp cidr:2001:db8::/32@SourceIp");
	assert_string_equal(match(s, "{\"SourceIp\":\"2001:db9::\"}", 0, &h), "");
	assert_string_equal(match(s, "{\"SourceIp\":\"2001:db7:ffff::\"}", 0, &h), "");
	assert_string_equal(match(s, "{\"SourceIp\":\"febf:ffff::1\"}", 0, &h), "cidr:fe80::/10@SourceIp");
	assert_string_equal(match(s, "{\"SourceIp\":\"fec0::1\"}", 0, &h), "");
	assert_string_equal(match(s, "{\"SourceIp\":\"0:0::1\"}", 0, &h), "ip:::1@SourceIp");
	ioc_set_free(s);
}

static void test_subdomains_and_urls(void **state)
{
	struct ioc_set *s = set_of("evil.example.com\nhttp://bad.example.org/p?x=1\n"
				   "attacker@phish.example\nphish2.example\n");
	struct hits h;

	(void)state;
	assert_string_equal(match(s, "{\"QueryName\":\"EVIL.example.com.\"}", 0, &h),
			    "domain:evil.example.com@QueryName");
	assert_string_equal(match(s, "{\"QueryName\":\"a.b.evil.example.com\"}", 0, &h),
			    "domain:evil.example.com@QueryName");
	assert_string_equal(match(s, "{\"QueryName\":\"notevil.example.com\"}", 0, &h), "");
	assert_string_equal(match(s, "{\"QueryName\":\"example.com\"}", 0, &h), "");
	assert_string_equal(match(s, "{\"url\":\"HTTP://BAD.example.org:80/p?x=1#top\"}", 0, &h),
			    "url:http://bad.example.org/p?x=1@url");
	assert_string_equal(match(s, "{\"url\":\"https://x.evil.example.com/\"}", 0, &h),
			    "domain:evil.example.com@url");
	assert_string_equal(match(s, "{\"Sender\":\"Attacker@PHISH.example\"}", 0, &h),
			    "email:attacker@phish.example@Sender");
	assert_string_equal(match(s, "{\"Sender\":\"bob@mail.phish2.example\"}", 0, &h),
			    "domain:phish2.example@Sender");
	/* Free text: command lines always, other fields with all_fields. */
	assert_string_equal(match(s, "{\"CommandLine\":\"curl -o x \\\"http://bad.example.org/p?x=1\\\" "
				     "&& nslookup sub.evil.example.com\"}", 0, &h),
			    "url:http://bad.example.org/p?x=1@CommandLine "
			    "domain:evil.example.com@CommandLine");
	assert_string_equal(match(s, "{\"Note\":\"beacon to evil.example.com:443\"}", 0, &h), "");
	assert_string_equal(match(s, "{\"Note\":\"beacon to evil.example.com:443\"}", 1, &h),
			    "domain:evil.example.com@Note");
	/* Each indicator once per event. */
	assert_string_equal(match(s, "{\"QueryName\":\"evil.example.com\",\"DestinationHostname\":"
				     "\"evil.example.com\"}", 0, &h), "domain:evil.example.com@QueryName");
	ioc_set_free(s);
}

static void test_hashes_and_files(void **state)
{
	struct ioc_set *s = set_of("md5,D41D8CD98F00B204E9800998ECF8427E\n"
				   "sha256,E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n"
				   "sha1,0000000000000000000000000000000000000001\n"
				   "filename,mimikatz.exe\n");
	struct hits h;

	(void)state;
	assert_string_equal(match(s, "{\"Hashes\":\"SHA1=DA39A3EE5E6B4B0D3255BFEF95601890AFD80709,"
				     "MD5=D41D8CD98F00B204E9800998ECF8427E,SHA256=E3B0C44298FC1C149AFBF4C8"
				     "996FB92427AE41E4649B934CA495991B7852B855,IMPHASH=0000000000000000000"
				     "0000000000000\"}", 0, &h),
			    "md5:d41d8cd98f00b204e9800998ecf8427e@Hashes "
			    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855@Hashes");
	/* An IMPHASH equal to a listed md5 is not that file. */
	assert_string_equal(match(s, "{\"Hashes\":\"IMPHASH=D41D8CD98F00B204E9800998ECF8427E\"}", 0, &h), "");
	assert_string_equal(match(s, "{\"sha1\":\"0000000000000000000000000000000000000001\"}", 0, &h),
			    "sha1:0000000000000000000000000000000000000001@sha1");
	assert_string_equal(match(s, "{\"Image\":\"C:\\\\Temp\\\\MimiKatz.exe\"}", 0, &h),
			    "filename:mimikatz.exe@Image");
	assert_string_equal(match(s, "{\"TargetFilename\":\"/tmp/mimikatz.exe\"}", 0, &h),
			    "filename:mimikatz.exe@TargetFilename");
	assert_string_equal(match(s, "{\"Image\":\"C:\\\\Temp\\\\mimikatz.exe.bak\"}", 0, &h), "");
	assert_string_equal(match(s, "{\"CommandLine\":\"run C:\\\\x\\\\mimikatz.exe now\"}", 0, &h),
			    "filename:mimikatz.exe@CommandLine");
	ioc_set_free(s);
}

static void test_many(void **state)
{
	struct ioc_set *s;
	struct err e;
	char v[64];
	struct hits h;

	(void)state;
	assert_int_equal(ioc_set_new(&s, &e), 0);
	for (int i = 0; i < 100000; i++) {
		snprintf(v, sizeof(v), "host%d.example.net", i);
		assert_int_equal(ioc_set_add(s, IOC_DOMAIN, v, "big", NULL, &e), 0);
		snprintf(v, sizeof(v), "10.%d.%d.0/24", i / 256 % 256, i % 256);
		assert_int_equal(ioc_set_add(s, IOC_CIDR, v, "big", NULL, &e), 0);
	}
	assert_int_equal(ioc_set_count(s), 100000 + 65536);
	assert_int_equal(ioc_set_compile(s, &e), 0);
	assert_string_equal(match(s, "{\"QueryName\":\"www.host99999.example.net\"}", 0, &h),
			    "domain:host99999.example.net@QueryName");
	assert_string_equal(match(s, "{\"SourceIp\":\"10.3.7.200\"}", 0, &h), "cidr:10.3.7.0/24@SourceIp");
	ioc_set_free(s);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize_cases),
		cmocka_unit_test(test_file_formats),
		cmocka_unit_test(test_parse_errors_and_comments),
		cmocka_unit_test(test_cidr_edges),
		cmocka_unit_test(test_subdomains_and_urls),
		cmocka_unit_test(test_hashes_and_files),
		cmocka_unit_test(test_many),
	};
	int rc = cmocka_run_group_tests_name("ioc", tests, NULL, NULL);

	unit_rmtmp();
	return rc;
}
