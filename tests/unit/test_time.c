/*
 * test_time.c: unit tests for util/time: the data-driven parser cases in
 * tests/data/time/, zone files and their POSIX rules, and the formatters.
 */
#include "unit.h"

#include <time.h>

#include "util/err.h"
#include "util/time.h"

#define NOW INT64_C(1795653000)   /* 2026-11-26T00:30:00Z */

static int64_t parse_ok(const char *s, const struct tz *zone)
{
	struct err e;
	int64_t t = -1;
	int rc;

	err_clear(&e);
	rc = time_parse(s, zone, NOW, &t, &e);
	if (rc)
		print_error("time_parse(\"%s\"): %s\n", s, err_msg(&e));
	assert_int_equal(rc, 0);
	return t;
}

static int64_t utc_at(const char *s)
{
	return parse_ok(s, NULL);
}

static struct tz *load(const char *name)
{
	struct err e;
	struct tz *tz = NULL;
	int rc;

	err_clear(&e);
	rc = tz_load(name, &tz, &e);
	if (rc)
		print_error("tz_load(\"%s\"): %s\n", name, err_msg(&e));
	assert_int_equal(rc, 0);
	assert_non_null(tz);
	return tz;
}

/* Undo the \t, \\ and \xHH escapes of the data files, in place. */
static void unescape(char *s)
{
	char *w = s;

	while (*s) {
		if (s[0] == '\\' && s[1] == 't') {
			*w++ = '\t';
			s += 2;
		} else if (s[0] == '\\' && s[1] == '\\') {
			*w++ = '\\';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x' && s[2] && s[3]) {
			char hex[3] = { s[2], s[3], '\0' };

			*w++ = (char)strtol(hex, NULL, 16);
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

static void test_parse_cases(void **state)
{
	const char *dir = getenv("IRDESK_TESTDATA");
	char path[1024], line[4096];
	FILE *f;
	int lineno = 0, cases = 0, errors = 0, failures = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/time/0001-parse.txt", dir && *dir ? dir : "tests/data");
	f = fopen(path, "r");
	if (!f)
		print_error("cannot open %s\n", path);
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *input = line, *expected, *zone_name, *nl;
		struct tz *zone = NULL;
		struct err e;
		int64_t t = -1;
		int rc;

		lineno++;
		nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		expected = strchr(input, '\t');
		assert_non_null(expected);
		*expected++ = '\0';
		zone_name = strchr(expected, '\t');
		if (zone_name)
			*zone_name++ = '\0';
		if (zone_name && *zone_name)
			zone = load(zone_name);
		unescape(input);
		err_clear(&e);
		rc = time_parse(input, zone, NOW, &t, &e);
		cases++;
		if (!strcmp(expected, "ERROR")) {
			errors++;
			if (rc != ERR_PARSE || strncmp(e.msg, "invalid date-time '", 19) != 0) {
				print_error("%s:%d: '%s': want ERR_PARSE, got %d (%s)\n", path, lineno,
					    input, rc, err_msg(&e));
				failures++;
			}
		} else {
			char got[TIME_STR_MAX];

			time_format_utc(t, got);
			if (rc != 0 || strcmp(got, expected) != 0) {
				print_error("%s:%d: '%s': want %s, got %s (%s)\n", path, lineno, input,
					    expected, rc ? "an error" : got, rc ? err_msg(&e) : "ok");
				failures++;
			}
		}
		tz_free(zone);
	}
	fclose(f);
	assert_int_equal(failures, 0);
	/* The file really was read, with both kinds of case. */
	assert_true(cases > 150);
	assert_true(errors > 50 && errors < cases - 50);
}

static void test_parse_messages(void **state)
{
	struct err e;
	int64_t t = 42;
	char long_input[200];

	(void)state;
	err_clear(&e);
	assert_int_equal(time_parse("2026-13-01", NULL, NOW, &t, &e), ERR_PARSE);
	assert_string_equal(e.msg, "invalid date-time '2026-13-01': month 13 out of range");
	assert_int_equal(t, 42);   /* *out untouched on failure */

	assert_int_equal(time_parse("2026-11-31", NULL, NOW, &t, &e), ERR_PARSE);
	assert_string_equal(e.msg, "invalid date-time '2026-11-31': day 31 out of range for 2026-11");

	assert_int_equal(time_parse(" garbage ", NULL, NOW, &t, &e), ERR_PARSE);
	assert_string_equal(e.msg,
			    "invalid date-time 'garbage': expected YYYY-MM-DD[ HH:MM[:SS]][ ZONE]");

	assert_int_equal(time_parse("2026-11-26 09:30 Mars/Olympus", NULL, NOW, &t, &e), ERR_PARSE);
	assert_string_equal(e.msg, "invalid date-time '2026-11-26 09:30 Mars/Olympus': "
			    "unknown time zone 'Mars/Olympus'");

	assert_int_equal(time_parse("2026-11-26 09:30 ../etc/passwd", NULL, NOW, &t, &e), ERR_PARSE);
	assert_non_null(strstr(e.msg, "invalid time zone name '../etc/passwd'"));

	assert_int_equal(time_parse("2026-11-26 09:30 CST", NULL, NOW, &t, &e), ERR_PARSE);
	assert_non_null(strstr(e.msg, "ambiguous time zone 'CST'"));

	/* Control characters are not echoed into messages (and so into logs). */
	assert_int_equal(time_parse("2026\x1b[31m", NULL, NOW, &t, &e), ERR_PARSE);
	assert_null(strchr(e.msg, '\x1b'));
	assert_non_null(strstr(e.msg, "'2026?[31m'"));

	/* At most 64 bytes of the input are quoted. */
	memset(long_input, 'x', sizeof(long_input) - 1);
	long_input[sizeof(long_input) - 1] = '\0';
	assert_int_equal(time_parse(long_input, NULL, NOW, &t, &e), ERR_PARSE);
	assert_non_null(strstr(e.msg, "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"));
	assert_true(strlen(e.msg) < 140);

	/* The cut does not split a UTF-8 character: 21 three-byte characters are 63 bytes. */
	memset(long_input, 0, sizeof(long_input));
	for (int i = 0; i < 30; i++)
		memcpy(long_input + 3 * i, "\xe6\x97\xa5", 3);
	assert_int_equal(time_parse(long_input, NULL, NOW, &t, &e), ERR_PARSE);
	assert_non_null(strstr(e.msg, "\xe6\x97\xa5...'"));
	assert_null(strstr(e.msg, "\xe6\x97\xa5\xe6..."));

	/* A NULL err and a NULL input are fine. */
	assert_int_equal(time_parse("nope", NULL, NOW, &t, NULL), ERR_PARSE);
	assert_int_equal(time_parse(NULL, NULL, NOW, &t, NULL), ERR_PARSE);
}

static void test_tz_load_errors(void **state)
{
	static const char *const invalid[] = {
		"../etc/passwd", "/etc/passwd", "Asia/../../etc/passwd", "", "Asia/Tokyo;rm",
		"Asia/Tokyo ", "Europe/Paris\n", "Asia/Tōkyō", "a..b", ".hidden",
	};
	struct err e;
	struct tz *tz = (struct tz *)&e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		err_clear(&e);
		assert_int_equal(tz_load(invalid[i], &tz, &e), ERR_INVALID);
		assert_null(tz);
		assert_non_null(strstr(e.msg, "invalid time zone name"));
	}
	assert_int_equal(tz_load("Mars/Olympus", &tz, &e), ERR_NOTFOUND);
	assert_string_equal(e.msg, "unknown time zone 'Mars/Olympus'");
	assert_null(tz);
	assert_int_equal(tz_load("Asia", &tz, &e), ERR_NOTFOUND);   /* a directory */
	assert_int_equal(tz_load("Asia/Tokyo/x", &tz, &e), ERR_NOTFOUND);
	assert_int_equal(tz_load(NULL, &tz, NULL), ERR_INVALID);
	tz_free(NULL);
}

static void test_tz_offsets(void **state)
{
	struct tz *tokyo = load("Asia/Tokyo"), *paris = load("Europe/Paris");
	struct tz *utc = load("UTC"), *z = load("z"), *etc = load("Etc/UTC");
	const char *abbr = NULL;

	(void)state;
	assert_string_equal(tz_name(tokyo), "Asia/Tokyo");
	assert_string_equal(tz_name(utc), "UTC");
	assert_string_equal(tz_name(z), "UTC");
	assert_string_equal(tz_name(NULL), "UTC");

	assert_int_equal(tz_offset(tokyo, NOW, &abbr), 9 * 3600);
	assert_string_equal(abbr, "JST");
	/* Japan had DST from 1948 to 1951. */
	assert_int_equal(tz_offset(tokyo, -615513600 /* 1950-07-01T00:00Z */, &abbr), 10 * 3600);
	assert_string_equal(abbr, "JDT");

	assert_int_equal(tz_offset(paris, 1782900000 /* 2026-07-01 */, &abbr), 7200);
	assert_string_equal(abbr, "CEST");
	assert_int_equal(tz_offset(paris, NOW, &abbr), 3600);
	assert_string_equal(abbr, "CET");
	/* 2100 is past any table, so the footer rule decides. */
	assert_int_equal(tz_offset(paris, utc_at("2100-07-01T12:00:00Z"), &abbr), 7200);
	assert_string_equal(abbr, "CEST");
	assert_int_equal(tz_offset(paris, utc_at("2100-01-01T12:00:00Z"), &abbr), 3600);
	assert_string_equal(abbr, "CET");
	/* The 2100 switch to summer time: 2100-03-28T01:00:00Z. */
	assert_int_equal(tz_offset(paris, utc_at("2100-03-28T00:59:59Z"), NULL), 3600);
	assert_int_equal(tz_offset(paris, utc_at("2100-03-28T01:00:00Z"), NULL), 7200);
	/* And back on the last Sunday of October, 01:00Z. */
	assert_int_equal(tz_offset(paris, utc_at("2100-10-31T00:59:59Z"), NULL), 7200);
	assert_int_equal(tz_offset(paris, utc_at("2100-10-31T01:00:00Z"), NULL), 3600);

	assert_int_equal(tz_offset(utc, NOW, &abbr), 0);
	assert_string_equal(abbr, "UTC");
	assert_int_equal(tz_offset(NULL, NOW, &abbr), 0);
	assert_int_equal(tz_offset(etc, NOW, &abbr), 0);
	assert_string_equal(abbr, "UTC");
	/* Extreme instants do not overflow. */
	tz_offset(paris, INT64_MAX, NULL);
	tz_offset(paris, INT64_MIN, NULL);
	tz_free(tokyo);
	tz_free(paris);
	tz_free(utc);
	tz_free(z);
	tz_free(etc);
}

static void put32(FILE *f, uint32_t v)
{
	unsigned char b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };

	fwrite(b, 1, 4, f);
}

/* A TZif file of the given version with no transitions and one type of offset off. */
static void write_tzif(const char *name, char version, int32_t off, const char *footer)
{
	char path[512];
	FILE *f;
	int part;

	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
	f = fopen(path, "wb");
	assert_non_null(f);
	for (part = 0; part < (version ? 2 : 1); part++) {
		fwrite("TZif", 1, 4, f);
		fputc(version, f);
		for (int i = 0; i < 15; i++)
			fputc(0, f);
		put32(f, 0);   /* isutcnt */
		put32(f, 0);   /* isstdcnt */
		put32(f, 0);   /* leapcnt */
		put32(f, 0);   /* timecnt */
		put32(f, 1);   /* typecnt */
		put32(f, 4);   /* charcnt */
		put32(f, (uint32_t)off);
		fputc(0, f);
		fputc(0, f);
		fwrite("TST", 1, 4, f);
	}
	if (version)
		fprintf(f, "\n%s\n", footer);
	fclose(f);
}

static void copy_file(const char *from, const char *name, long keep, char version)
{
	char path[512], buf[8192];
	FILE *in = fopen(from, "rb"), *out;
	size_t n;

	assert_non_null(in);
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	assert_true(n > 44 && n < sizeof(buf));
	if (keep >= 0 && (size_t)keep < n)
		n = (size_t)keep;
	if (version >= 0 && n > 4)
		buf[4] = version;
	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
	out = fopen(path, "wb");
	assert_non_null(out);
	fwrite(buf, 1, n, out);
	fclose(out);
}

static void test_tz_footer_rules(void **state)
{
	struct tz *tz;
	const char *abbr;
	struct err e;

	(void)state;
	setenv("TZDIR", unit_tmpdir(), 1);

	write_tzif("Fixed", '2', 0, "<+0530>-5:30");
	tz = load("Fixed");
	assert_int_equal(tz_offset(tz, NOW, &abbr), 5 * 3600 + 1800);
	assert_string_equal(abbr, "+0530");
	tz_free(tz);

	/* The US rule; also with the rule left out, as tzcode defaults to it. */
	write_tzif("US", '3', 0, "EST5EDT,M3.2.0,M11.1.0");
	write_tzif("USDefault", '2', 0, "EST5EDT");
	for (int i = 0; i < 2; i++) {
		tz = load(i ? "USDefault" : "US");
		/* 2027-03-14 is the second Sunday of March: 02:00 EST = 07:00Z. */
		assert_int_equal(tz_offset(tz, utc_at("2027-03-14T06:59:59Z"), &abbr), -5 * 3600);
		assert_string_equal(abbr, "EST");
		assert_int_equal(tz_offset(tz, utc_at("2027-03-14T07:00:00Z"), &abbr), -4 * 3600);
		assert_string_equal(abbr, "EDT");
		/* 2027-11-07 is the first Sunday of November: 02:00 EDT = 06:00Z. */
		assert_int_equal(tz_offset(tz, utc_at("2027-11-07T05:59:59Z"), NULL), -4 * 3600);
		assert_int_equal(tz_offset(tz, utc_at("2027-11-07T06:00:00Z"), NULL), -5 * 3600);
		tz_free(tz);
	}

	/* Israel: Friday before the last Sunday of March, at 26:00 (RFC 8536 extension). */
	write_tzif("Israel", '3', 0, "IST-2IDT,M3.4.4/26,M10.5.0");
	tz = load("Israel");
	/* 2027: the fourth Thursday of March is the 25th; 26:00 IST = 2027-03-26T00:00Z. */
	assert_int_equal(tz_offset(tz, utc_at("2027-03-25T23:59:59Z"), NULL), 2 * 3600);
	assert_int_equal(tz_offset(tz, utc_at("2027-03-26T00:00:00Z"), NULL), 3 * 3600);
	tz_free(tz);

	/* Greenland: negative transition times. */
	write_tzif("Nuuk", '4', 0, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
	tz = load("Nuuk");
	/* 2027-03-28 is the last Sunday of March; its -1:00 is 23:00 (-02) the day
	 * before, 2027-03-28T01:00Z. */
	assert_int_equal(tz_offset(tz, utc_at("2027-03-28T00:59:59Z"), &abbr), -2 * 3600);
	assert_string_equal(abbr, "-02");
	assert_int_equal(tz_offset(tz, utc_at("2027-03-28T01:00:00Z"), &abbr), -3600);
	assert_string_equal(abbr, "-01");
	tz_free(tz);

	/* Julian days (J60 is always March 1) and a southern-hemisphere order. */
	write_tzif("Julian", '2', 0, "AAA3BBB,J300,J60");
	tz = load("Julian");
	assert_int_equal(tz_offset(tz, utc_at("2028-01-15T00:00:00Z"), NULL), -2 * 3600);
	assert_int_equal(tz_offset(tz, utc_at("2028-06-15T00:00:00Z"), NULL), -3 * 3600);
	/* J60 in a leap year is March 1, not February 29: 02:00 BBB = 04:00Z. */
	assert_int_equal(tz_offset(tz, utc_at("2028-03-01T03:59:59Z"), NULL), -2 * 3600);
	assert_int_equal(tz_offset(tz, utc_at("2028-03-01T04:00:00Z"), NULL), -3 * 3600);
	tz_free(tz);

	/* Daylight time all year (a start at day 0 and an end after the year). */
	write_tzif("AllDST", '3', 0, "XXX3YYY,0/0,J365/25");
	tz = load("AllDST");
	assert_int_equal(tz_offset(tz, utc_at("2027-01-01T12:00:00Z"), NULL), -2 * 3600);
	assert_int_equal(tz_offset(tz, utc_at("2027-07-01T12:00:00Z"), NULL), -2 * 3600);
	tz_free(tz);

	/* An empty footer: the last (here the only) type holds. */
	write_tzif("NoRule", '2', 4 * 3600, "");
	tz = load("NoRule");
	assert_int_equal(tz_offset(tz, NOW, &abbr), 4 * 3600);
	assert_string_equal(abbr, "TST");
	tz_free(tz);

	/* Version 1: no footer at all. */
	write_tzif("Version1", '\0', -3 * 3600, "");
	tz = load("Version1");
	assert_int_equal(tz_offset(tz, NOW, NULL), -3 * 3600);
	tz_free(tz);

	/* Broken rules and files are refused. */
	write_tzif("BadRule", '2', 0, "CET-1CEST,M13.5.0,M10.5.0/3");
	assert_int_equal(tz_load("BadRule", &tz, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "not a valid TZif file"));
	write_tzif("BadRule2", '2', 0, "C-1");
	assert_int_equal(tz_load("BadRule2", &tz, &e), ERR_INVALID);
	copy_file("/usr/share/zoneinfo/Asia/Tokyo", "Truncated", 60, -1);
	assert_int_equal(tz_load("Truncated", &tz, &e), ERR_INVALID);
	assert_null(tz);
	copy_file("/usr/share/zoneinfo/Asia/Tokyo", "NotTZif", -1, -1);
	{
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/NotTZif", unit_tmpdir());
		f = fopen(path, "r+b");
		assert_non_null(f);
		fputc('X', f);
		fclose(f);
	}
	assert_int_equal(tz_load("NotTZif", &tz, &e), ERR_INVALID);

	/* The version 1 part of a real file alone gives the same answers. */
	copy_file("/usr/share/zoneinfo/Asia/Tokyo", "TokyoV1", -1, '\0');
	tz = load("TokyoV1");
	assert_int_equal(tz_offset(tz, NOW, &abbr), 9 * 3600);
	assert_string_equal(abbr, "JST");
	assert_int_equal(tz_offset(tz, -615513600, &abbr), 10 * 3600);
	assert_string_equal(abbr, "JDT");
	tz_free(tz);
}

/* Also runs when an assertion above fails, so later tests see the real zones. */
static int unset_tzdir(void **state)
{
	(void)state;
	unsetenv("TZDIR");
	return 0;
}

static void test_format(void **state)
{
	struct tz *tokyo = load("Asia/Tokyo"), *paris = load("Europe/Paris");
	struct tz *ny = load("America/New_York"), *utc = load("UTC"), *dubai = load("Asia/Dubai");
	char s[TIME_STR_MAX];

	(void)state;
	time_format_utc(NOW, s);
	assert_string_equal(s, "2026-11-26T00:30:00Z");
	time_format_utc(0, s);
	assert_string_equal(s, "1970-01-01T00:00:00Z");
	time_format_utc(-1, s);
	assert_string_equal(s, "1969-12-31T23:59:59Z");
	time_format_utc(TIME_PARSE_MAX, s);
	assert_string_equal(s, "9999-12-31T23:59:59Z");
	time_format_utc(INT64_MAX, s);   /* clamped, but no overflow */
	time_format_utc(INT64_MIN, s);

	time_format_zone(NOW, tokyo, s);
	assert_string_equal(s, "2026-11-26T09:30:00+09:00");
	time_format_zone(NOW, paris, s);
	assert_string_equal(s, "2026-11-26T01:30:00+01:00");
	time_format_zone(1782900000, paris, s);
	assert_string_equal(s, "2026-07-01T12:00:00+02:00");
	time_format_zone(NOW, ny, s);
	assert_string_equal(s, "2026-11-25T19:30:00-05:00");
	time_format_zone(NOW, utc, s);
	assert_string_equal(s, "2026-11-26T00:30:00Z");
	time_format_zone(NOW, NULL, s);
	assert_string_equal(s, "2026-11-26T00:30:00Z");

	time_format_human(NOW, tokyo, s);
	assert_string_equal(s, "2026-11-26 09:30 JST");
	time_format_human(NOW + 5, tokyo, s);
	assert_string_equal(s, "2026-11-26 09:30:05 JST");
	time_format_human(NOW, NULL, s);
	assert_string_equal(s, "2026-11-26 00:30 UTC");
	time_format_human(1782900000, paris, s);
	assert_string_equal(s, "2026-07-01 12:00 CEST");
	time_format_human(NOW, dubai, s);
	assert_string_equal(s, "2026-11-26 04:30 +04");
	tz_free(tokyo);
	tz_free(paris);
	tz_free(ny);
	tz_free(utc);
	tz_free(dubai);
}

/* Whatever the formatters write, the parser reads back to the same instant. */
static void test_round_trip(void **state)
{
	static const char *const zones[] = {
		"UTC", "Asia/Tokyo", "Europe/Paris", "America/New_York", "Asia/Kolkata",
		"Asia/Dubai", "Australia/Sydney", "Europe/London",
	};
	static const int64_t times[] = {
		0, NOW, NOW + 7, 951782400 /* 2000-02-29 */, 1774744200 /* Paris gap day */,
		1792888200 /* Paris fall back, 00:30Z */, 1792891800 /* and 01:30Z */,
		4118126400 /* 2100-07-01T12:00Z */, TIME_PARSE_MAX - 86400 * 2,
	};
	char s[TIME_STR_MAX];
	int64_t t, back;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		struct tz *tz = load(zones[i]);

		for (j = 0; j < sizeof(times) / sizeof(times[0]); j++) {
			t = times[j];
			time_format_zone(t, tz, s);
			assert_int_equal(parse_ok(s, NULL), t);
			/* Without the offset, local time in the zone reads back to an instant
			 * showing the same wall time: t itself, or in a repeated hour the
			 * first occurrence. */
			s[19] = '\0';
			back = parse_ok(s, tz);
			if (back != t) {
				char again[TIME_STR_MAX];

				assert_true(back < t);
				time_format_zone(back, tz, again);
				assert_memory_equal(again, s, 19);
			}
			time_format_human(t, tz, s);
			assert_int_equal(parse_ok(s, NULL), t);   /* all these abbreviations are known */
		}
		tz_free(tz);
	}
}

/* The civil-date arithmetic agrees with the C library's UTC conversion. */
static void test_against_gmtime(void **state)
{
	char mine[TIME_STR_MAX], theirs[TIME_STR_MAX];
	int64_t t;
	struct tm tm;

	(void)state;
	for (t = 0; t <= TIME_PARSE_MAX; t += 86400 * 3 + 3607) {
		time_t tt = (time_t)t;

		assert_non_null(gmtime_r(&tt, &tm));
		strftime(theirs, sizeof(theirs), "%Y-%m-%dT%H:%M:%SZ", &tm);
		time_format_utc(t, mine);
		assert_string_equal(mine, theirs);
		assert_int_equal(parse_ok(mine, NULL), t);
	}
}

static void test_duration(void **state)
{
	static const struct {
		int64_t secs;
		const char *want;
	} cases[] = {
		{ 0, "0s" }, { 30, "30s" }, { 59, "59s" }, { 60, "1m" }, { 45 * 60 + 30, "45m" },
		{ 3599, "59m" }, { 3600, "1h 00m" }, { 2 * 3600 + 5 * 60, "2h 05m" },
		{ 23 * 3600 + 59 * 60 + 59, "23h 59m" }, { 86400, "1d 0h" },
		{ 3 * 86400 + 4 * 3600 + 59, "3d 4h" }, { 400 * 86400, "400d 0h" },
		{ -30, "-30s" }, { -(2 * 3600 + 5 * 60), "-2h 05m" }, { -(3 * 86400 + 4 * 3600), "-3d 4h" },
		{ INT64_MIN, "-106751991167300d 15h" }, { INT64_MAX, "106751991167300d 15h" },
	};
	char s[TIME_STR_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_format_duration(cases[i].secs, s);
		assert_string_equal(s, cases[i].want);
	}
}

static void test_now(void **state)
{
	int64_t real = (int64_t)time(NULL);

	(void)state;
	setenv("IRDESK_NOW", "2026-11-26T09:30:00+09:00", 1);
	assert_int_equal(time_now(), NOW);
	setenv("IRDESK_NOW", "1795653000", 1);
	assert_int_equal(time_now(), NOW);
	setenv("IRDESK_NOW", "@1795653000", 1);
	assert_int_equal(time_now(), NOW);
	setenv("IRDESK_NOW", "now-1d", 1);
	assert_true(llabs(time_now() - (real - 86400)) < 10);
	setenv("IRDESK_NOW", "not a time", 1);
	assert_true(llabs(time_now() - real) < 10);
	unsetenv("IRDESK_NOW");
	assert_true(llabs(time_now() - real) < 10);
	/* The relative forms count from the caller's now. */
	assert_int_equal(parse_ok("now-1h", NULL), NOW - 3600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cases),
		cmocka_unit_test(test_parse_messages),
		cmocka_unit_test(test_tz_load_errors),
		cmocka_unit_test(test_tz_offsets),
		cmocka_unit_test_teardown(test_tz_footer_rules, unset_tzdir),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_against_gmtime),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_now),
	};
	int rc;

	unsetenv("IRDESK_NOW");
	unsetenv("TZDIR");
	rc = cmocka_run_group_tests_name("time", tests, NULL, NULL);
	unit_rmtmp();
	return rc;
}
