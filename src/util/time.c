/*
 * time.c: civil-date arithmetic, TZif zone files, and the parser and
 * formatters for the date-times people type and read. Nothing here uses
 * libc's time-zone state (TZ, localtime, mktime), so it is thread-safe.
 */
#include "util/time.h"
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define DAY 86400
#define TZ_NAME_MAX 128        /* longest zone name, NUL included */
#define TZ_ABBR_MAX 16         /* longest abbreviation, NUL included */
#define TZ_FILE_MAX (1 << 20)  /* real TZif files are under 4 KiB */
#define TZ_TIMECNT_MAX 100000
#define TZ_TYPECNT_MAX 256
#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define INPUT_MAX 128          /* longest date-time time_parse() reads */
#define QUOTE_MAX 64           /* bytes of input quoted in messages */
/* Formatting clamps instants to this many seconds either side of the epoch. */
#define FORMAT_LIMIT (INT64_C(1) << 50)

/* One local time type of a TZif file. */
struct tz_type {
	int32_t off;
	int isdst;
	char abbr[TZ_ABBR_MAX];
};

/* One end of the DST period of a POSIX TZ rule. */
struct tz_rule {
	char kind;     /* 'M' (month.week.weekday), 'J' (1-365, no Feb 29) or 'N' (0-365) */
	int month, week, day;
	int32_t secs;  /* local time of day of the change; may be negative or past 24h */
};

/* The POSIX TZ string at the end of a TZif file, for instants after its table. */
struct tz_posix {
	int32_t std_off, dst_off;  /* east of UTC, unlike in the string itself */
	char std_abbr[TZ_ABBR_MAX], dst_abbr[TZ_ABBR_MAX];
	int has_dst;
	struct tz_rule start, end;
};

struct tz {
	char name[TZ_NAME_MAX];
	int is_utc;
	int64_t *trans;              /* transition instants, ascending */
	unsigned char *trans_type;   /* index into types for each transition */
	size_t ntrans;
	struct tz_type *types;
	size_t ntypes;
	int has_posix;
	struct tz_posix posix;
};

/* Civil dates (Howard Hinnant's days_from_civil and civil_from_days). */

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* 0 = Sunday for a count of days since the epoch (a Thursday). */
static int weekday(int64_t days)
{
	return (int)(((days % 7) + 11) % 7);
}

/* Broken-down local time, for the formatters. */
struct civil {
	int64_t year;
	int month, day, hour, min, sec;
};

static void civil_from_time(int64_t t, struct civil *c)
{
	int64_t days = floor_div(t, DAY), secs = t - days * DAY;

	civil_from_days(days, &c->year, &c->month, &c->day);
	c->hour = (int)(secs / 3600);
	c->min = (int)(secs / 60 % 60);
	c->sec = (int)(secs % 60);
}

static int64_t clamp_time(int64_t t)
{
	if (t < -FORMAT_LIMIT)
		return -FORMAT_LIMIT;
	if (t > FORMAT_LIMIT)
		return FORMAT_LIMIT;
	return t;
}

/* POSIX TZ strings ("CET-1CEST,M3.5.0,M10.5.0/3"). */

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* An abbreviation: three or more letters, or anything sensible in <>. */
static int posix_abbr(const char **pp, char out[TZ_ABBR_MAX])
{
	const char *p = *pp;
	size_t n = 0;

	if (*p == '<') {
		p++;
		while (*p && *p != '>') {
			if (!is_alpha(*p) && !is_digit(*p) && *p != '+' && *p != '-')
				return -1;
			if (n + 1 >= TZ_ABBR_MAX)
				return -1;
			out[n++] = *p++;
		}
		if (*p != '>' || n == 0)
			return -1;
		p++;
	} else {
		while (is_alpha(*p)) {
			if (n + 1 >= TZ_ABBR_MAX)
				return -1;
			out[n++] = *p++;
		}
		if (n < 3)
			return -1;
	}
	out[n] = '\0';
	*pp = p;
	return 0;
}

/* [+-]h[h[h]][:mm[:ss]] with at most max_hours hours, as seconds. */
static int posix_hms(const char **pp, int max_hours, int32_t *out)
{
	const char *p = *pp;
	int sign = 1, h = 0, m = 0, s = 0, nd = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	while (is_digit(*p) && nd < 3) {
		h = h * 10 + (*p++ - '0');
		nd++;
	}
	if (nd == 0 || is_digit(*p) || h > max_hours)
		return -1;
	if (*p == ':') {
		p++;
		if (!is_digit(p[0]) || !is_digit(p[1]))
			return -1;
		m = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p == ':') {
			p++;
			if (!is_digit(p[0]) || !is_digit(p[1]))
				return -1;
			s = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
		if (m > 59 || s > 59)
			return -1;
	}
	*out = sign * (h * 3600 + m * 60 + s);
	*pp = p;
	return 0;
}

static int posix_num(const char **pp, int lo, int hi, int *out)
{
	const char *p = *pp;
	int v = 0, nd = 0;

	while (is_digit(*p) && nd < 4) {
		v = v * 10 + (*p++ - '0');
		nd++;
	}
	if (nd == 0 || v < lo || v > hi)
		return -1;
	*out = v;
	*pp = p;
	return 0;
}

static int posix_rule(const char **pp, struct tz_rule *r)
{
	const char *p = *pp;

	if (*p == 'M') {
		p++;
		r->kind = 'M';
		if (posix_num(&p, 1, 12, &r->month) || *p++ != '.' ||
		    posix_num(&p, 1, 5, &r->week) || *p++ != '.' ||
		    posix_num(&p, 0, 6, &r->day))
			return -1;
	} else if (*p == 'J') {
		p++;
		r->kind = 'J';
		if (posix_num(&p, 1, 365, &r->day))
			return -1;
	} else {
		r->kind = 'N';
		if (posix_num(&p, 0, 365, &r->day))
			return -1;
	}
	r->secs = 7200;
	if (*p == '/') {
		p++;
		/* RFC 8536 allows -167 to 167 hours here. */
		if (posix_hms(&p, 167, &r->secs))
			return -1;
	}
	*pp = p;
	return 0;
}

static int posix_parse(const char *s, struct tz_posix *tp)
{
	const char *p = s;
	int32_t off;

	memset(tp, 0, sizeof(*tp));
	if (posix_abbr(&p, tp->std_abbr) || posix_hms(&p, 24, &off))
		return -1;
	tp->std_off = -off;
	if (*p == '\0')
		return 0;
	if (posix_abbr(&p, tp->dst_abbr))
		return -1;
	tp->has_dst = 1;
	tp->dst_off = tp->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if (posix_hms(&p, 24, &off))
			return -1;
		tp->dst_off = -off;
	}
	if (*p == '\0') {
		/* No rule: tzcode's default, the US rules since 2007. */
		tp->start = (struct tz_rule){ 'M', 3, 2, 0, 7200 };
		tp->end = (struct tz_rule){ 'M', 11, 1, 0, 7200 };
		return 0;
	}
	if (*p++ != ',' || posix_rule(&p, &tp->start) || *p++ != ',' ||
	    posix_rule(&p, &tp->end) || *p != '\0')
		return -1;
	return 0;
}

/* The local instant (seconds since the epoch, as if UTC) at which r fires in year y. */
static int64_t rule_local(const struct tz_rule *r, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1), days;

	if (r->kind == 'J') {
		days = jan1 + r->day - 1;
		if (is_leap(y) && r->day >= 60)
			days++;
	} else if (r->kind == 'N') {
		days = jan1 + r->day;
	} else {
		int64_t first = days_from_civil(y, r->month, 1);
		int mday = 1 + (r->day - weekday(first) + 7) % 7 + (r->week - 1) * 7;

		while (mday > days_in_month(y, r->month))
			mday -= 7;
		days = first + mday - 1;
	}
	return days * DAY + r->secs;
}

static int posix_offset(const struct tz_posix *tp, int64_t t, const char **abbr)
{
	int64_t y, start, end;
	int m, d, dst;

	if (!tp->has_dst) {
		if (abbr)
			*abbr = tp->std_abbr;
		return tp->std_off;
	}
	civil_from_days(floor_div(t + tp->std_off, DAY), &y, &m, &d);
	/* The start is given in standard time, the end in daylight time. */
	start = rule_local(&tp->start, y) - tp->std_off;
	end = rule_local(&tp->end, y) - tp->dst_off;
	if (start < end)
		dst = t >= start && t < end;
	else
		dst = t < end || t >= start;   /* southern hemisphere */
	if (abbr)
		*abbr = dst ? tp->dst_abbr : tp->std_abbr;
	return dst ? tp->dst_off : tp->std_off;
}

/* TZif files (RFC 8536). */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
	size_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

/* Read a header at b[0..n); returns the size of the data block after it, or 0. */
static size_t tzif_header(const unsigned char *b, size_t n, size_t tsize, struct tzif_counts *c)
{
	if (n < 44 || memcmp(b, "TZif", 4) != 0)
		return 0;
	c->isutcnt = be32(b + 20);
	c->isstdcnt = be32(b + 24);
	c->leapcnt = be32(b + 28);
	c->timecnt = be32(b + 32);
	c->typecnt = be32(b + 36);
	c->charcnt = be32(b + 40);
	if (c->timecnt > TZ_TIMECNT_MAX || c->typecnt == 0 || c->typecnt > TZ_TYPECNT_MAX ||
	    c->charcnt == 0 || c->charcnt > TZ_TYPECNT_MAX * TZ_ABBR_MAX ||
	    c->leapcnt > TZ_TIMECNT_MAX ||
	    (c->isutcnt != 0 && c->isutcnt != c->typecnt) ||
	    (c->isstdcnt != 0 && c->isstdcnt != c->typecnt))
		return 0;
	return c->timecnt * (tsize + 1) + c->typecnt * 6 + c->charcnt +
	       c->leapcnt * (tsize + 4) + c->isstdcnt + c->isutcnt;
}

/* Fill tz from the data block at p (after its header), with tsize-byte times. */
static int tzif_data(struct tz *tz, const unsigned char *p, size_t tsize, const struct tzif_counts *c)
{
	const unsigned char *idx = p + c->timecnt * tsize;
	const unsigned char *types = idx + c->timecnt;
	const char *chars = (const char *)(types + c->typecnt * 6);
	size_t i;

	tz->ntrans = c->timecnt;
	tz->ntypes = c->typecnt;
	tz->trans = calloc(c->timecnt ? c->timecnt : 1, sizeof(*tz->trans));
	tz->trans_type = calloc(c->timecnt ? c->timecnt : 1, 1);
	tz->types = calloc(c->typecnt, sizeof(*tz->types));
	if (!tz->trans || !tz->trans_type || !tz->types)
		return ERR_NOMEM;
	for (i = 0; i < c->timecnt; i++) {
		tz->trans[i] = tsize == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
		tz->trans_type[i] = idx[i];
		if (idx[i] >= c->typecnt || (i > 0 && tz->trans[i] <= tz->trans[i - 1]))
			return ERR_INVALID;
	}
	for (i = 0; i < c->typecnt; i++) {
		const unsigned char *t = types + i * 6;
		int32_t off = (int32_t)be32(t);
		size_t ai = t[5], len;

		/* RFC 8536 forbids -2^31; real offsets are well under a day. */
		if (off <= -DAY || off >= DAY || t[4] > 1 || ai >= c->charcnt)
			return ERR_INVALID;
		len = strnlen(chars + ai, c->charcnt - ai);
		if (ai + len >= c->charcnt)
			return ERR_INVALID;
		if (len >= TZ_ABBR_MAX)
			len = TZ_ABBR_MAX - 1;
		tz->types[i].off = off;
		tz->types[i].isdst = t[4];
		memcpy(tz->types[i].abbr, chars + ai, len);
		tz->types[i].abbr[len] = '\0';
	}
	return 0;
}

static int tzif_parse(struct tz *tz, const unsigned char *b, size_t n)
{
	struct tzif_counts c;
	size_t size = tzif_header(b, n, 4, &c), size2;
	const unsigned char *p, *nl;
	char footer[128];
	int rc;

	if (size == 0 || 44 + size > n)
		return ERR_INVALID;
	if (b[4] < '2') {
		/* Version 1: 32-bit times only, no footer. */
		return tzif_data(tz, b + 44, 4, &c);
	}
	p = b + 44 + size;
	size2 = tzif_header(p, n - 44 - size, 8, &c);
	if (size2 == 0 || size2 > n - 44 - size - 44)
		return ERR_INVALID;
	rc = tzif_data(tz, p + 44, 8, &c);
	if (rc)
		return rc;
	p += 44 + size2;
	if (p >= b + n || *p != '\n')
		return ERR_INVALID;
	p++;
	nl = memchr(p, '\n', (size_t)(b + n - p));
	if (!nl || (size_t)(nl - p) >= sizeof(footer))
		return ERR_INVALID;
	if (nl == p)
		return 0;   /* an empty footer: the last type holds forever */
	memcpy(footer, p, (size_t)(nl - p));
	footer[nl - p] = '\0';
	if (posix_parse(footer, &tz->posix))
		return ERR_INVALID;
	tz->has_posix = 1;
	return 0;
}

static int tz_name_ok(const char *name)
{
	const char *p;

	if (!*name || *name == '/' || strstr(name, "..") || strlen(name) >= TZ_NAME_MAX)
		return 0;
	for (p = name; *p; p++) {
		if (!is_alpha(*p) && !is_digit(*p) && !strchr("/_+-", *p))
			return 0;
	}
	return 1;
}

static int read_file(const char *path, unsigned char **data, size_t *len)
{
	FILE *f;
	struct stat st;
	unsigned char *b = NULL;
	size_t n;
	int rc = 0;

	*data = NULL;
	f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT || errno == ENOTDIR ? ERR_NOTFOUND : ERR_IO;
	if (fstat(fileno(f), &st) != 0) {
		rc = ERR_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = ERR_NOTFOUND;   /* "Asia" is a directory, not a zone */
		goto out;
	}
	b = malloc(TZ_FILE_MAX + 1);
	if (!b) {
		rc = ERR_NOMEM;
		goto out;
	}
	n = fread(b, 1, TZ_FILE_MAX + 1, f);
	if (ferror(f))
		rc = ERR_IO;
	else if (n > TZ_FILE_MAX)
		rc = ERR_INVALID;
	if (rc) {
		free(b);
		goto out;
	}
	*data = b;
	*len = n;
out:
	fclose(f);
	return rc;
}

static int is_utc_name(const char *name)
{
	return !strcasecmp(name, "UTC") || !strcasecmp(name, "Z");
}

int tz_load(const char *name, struct tz **out, struct err *e)
{
	const char *dir = getenv("TZDIR");
	char path[4096];
	unsigned char *data = NULL;
	size_t len = 0;
	struct tz *tz;
	int rc;

	*out = NULL;
	if (!name || !tz_name_ok(name))
		return err_set(e, ERR_INVALID, "invalid time zone name '%.64s'", name ? name : "");
	tz = calloc(1, sizeof(*tz));
	if (!tz)
		return err_set(e, ERR_NOMEM, "time zone '%s': out of memory", name);
	if (is_utc_name(name)) {
		memcpy(tz->name, "UTC", 4);
		tz->is_utc = 1;
		*out = tz;
		return 0;
	}
	memcpy(tz->name, name, strlen(name) + 1);
	if (!dir || !*dir)
		dir = TZ_DEFAULT_DIR;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		rc = err_set(e, ERR_INVALID, "time zone '%s': path too long", name);
		goto out;
	}
	rc = read_file(path, &data, &len);
	if (rc == ERR_NOTFOUND) {
		err_set(e, rc, "unknown time zone '%s'", name);
		goto out;
	}
	if (rc == ERR_INVALID) {
		err_set(e, rc, "time zone '%s': %s: file too large", name, path);
		goto out;
	}
	if (rc) {
		err_set(e, rc, "time zone '%s': %s: %s", name, path,
			rc == ERR_NOMEM ? "out of memory" : strerror(errno));
		goto out;
	}
	rc = tzif_parse(tz, data, len);
	if (rc) {
		err_set(e, rc, "time zone '%s': %s: %s", name, path,
			rc == ERR_NOMEM ? "out of memory" : "not a valid TZif file");
		goto out;
	}
	/* Etc/UTC and friends format as "Z", like the built-in zone. */
	tz->is_utc = tz->ntrans == 0 && tz->ntypes == 1 && tz->types[0].off == 0 &&
		     (!tz->has_posix || (!tz->posix.has_dst && tz->posix.std_off == 0));
out:
	free(data);
	if (rc)
		tz_free(tz);
	else
		*out = tz;
	return rc;
}

void tz_free(struct tz *tz)
{
	if (!tz)
		return;
	free(tz->trans);
	free(tz->trans_type);
	free(tz->types);
	free(tz);
}

const char *tz_name(const struct tz *tz)
{
	return tz ? tz->name : "UTC";
}

int tz_offset(const struct tz *tz, int64_t t, const char **abbr)
{
	const struct tz_type *ty;
	size_t lo, hi;

	if (!tz || (tz->is_utc && !tz->types)) {
		if (abbr)
			*abbr = "UTC";
		return 0;
	}
	t = clamp_time(t);
	if (tz->has_posix && (tz->ntrans == 0 || t >= tz->trans[tz->ntrans - 1]))
		return posix_offset(&tz->posix, t, abbr);
	if (tz->ntrans == 0 || t < tz->trans[0]) {
		ty = &tz->types[0];   /* RFC 8536 3.2: type 0 before the first transition */
	} else {
		/* The last transition at or before t. */
		lo = 0;
		hi = tz->ntrans;
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;

			if (tz->trans[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		ty = &tz->types[tz->trans_type[lo]];
	}
	if (abbr)
		*abbr = ty->abbr;
	return ty->off;
}

/*
 * The instant at which the wall clock in tz shows local (seconds since the
 * epoch as if local were UTC). Offsets are under a day, so the answer lies
 * within a day of local; try the offsets in force around it and keep the
 * earliest that is consistent. In a gap none is, and the offset from before
 * the gap is used.
 */
static int64_t resolve_local(const struct tz *tz, int64_t local)
{
	int before = tz_offset(tz, local - DAY, NULL), after = tz_offset(tz, local + DAY, NULL);
	int cand[4];
	int64_t best = 0, t;
	int found = 0;
	size_t i;

	cand[0] = before;
	cand[1] = after;
	cand[2] = tz_offset(tz, local - before, NULL);
	cand[3] = tz_offset(tz, local - after, NULL);
	for (i = 0; i < 4; i++) {
		t = local - cand[i];
		if (tz_offset(tz, t, NULL) == cand[i] && (!found || t < best)) {
			best = t;
			found = 1;
		}
	}
	return found ? best : local - before;
}

/* The parser. */

struct zone_abbr {
	const char *name;
	int off;
};

/* Abbreviations with one meaning in practice; CST, CDT and AST have several. */
static const struct zone_abbr zone_abbrs[] = {
	{ "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
	{ "JST", 9 * 3600 }, { "KST", 9 * 3600 }, { "HKT", 8 * 3600 }, { "SGT", 8 * 3600 },
	{ "IST", 5 * 3600 + 1800 },
	{ "CET", 3600 }, { "CEST", 2 * 3600 }, { "EET", 2 * 3600 }, { "EEST", 3 * 3600 },
	{ "WET", 0 }, { "WEST", 3600 }, { "BST", 3600 },
	{ "EST", -5 * 3600 }, { "EDT", -4 * 3600 }, { "MST", -7 * 3600 }, { "MDT", -6 * 3600 },
	{ "PST", -8 * 3600 }, { "PDT", -7 * 3600 },
	{ "AEST", 10 * 3600 }, { "AEDT", 11 * 3600 }, { "NZST", 12 * 3600 }, { "NZDT", 13 * 3600 },
};

static const char *const ambiguous_abbrs[] = { "CST", "CDT", "AST", "ADT" };

#define PARSE_EXPECTED "expected YYYY-MM-DD[ HH:MM[:SS]][ ZONE]"

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Record "invalid date-time 'INPUT': DETAIL" with at most QUOTE_MAX bytes of
 * the input, cut at a character boundary, and control bytes shown as '?'.
 */
static int parse_fail(struct err *e, const char *in, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int parse_fail(struct err *e, const char *in, size_t n, const char *fmt, ...)
{
	char quote[QUOTE_MAX + 4], detail[256];
	size_t i, q = n;
	va_list ap;

	if (!e)
		return ERR_PARSE;
	if (q > QUOTE_MAX) {
		q = QUOTE_MAX;
		while (q > 0 && ((unsigned char)in[q] & 0xC0) == 0x80)
			q--;
	}
	for (i = 0; i < q; i++) {
		unsigned char c = (unsigned char)in[i];

		quote[i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
	}
	if (q < n) {
		memcpy(quote + q, "...", 3);
		q += 3;
	}
	quote[q] = '\0';
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return err_set(e, ERR_PARSE, "invalid date-time '%s': %s", quote, detail);
}

/* Exactly n digits. */
static int digits(const char **pp, int n, int *out)
{
	const char *p = *pp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	*pp = p + n;
	return 0;
}

/* One to twelve digits and nothing else, as used by "@EPOCH" and IRDESK_NOW. */
static int epoch_digits(const char *p, int64_t *out)
{
	int64_t v = 0;
	int n = 0;

	for (; is_digit(*p); p++, n++) {
		if (n == 12)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (n == 0 || *p)
		return -1;
	*out = v;
	return 0;
}

/* "+09:00", "+0900" or "+09" at *pp. */
static int parse_offset(const char **pp, int *out)
{
	const char *p = *pp;
	int sign, h, m = 0;

	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (digits(&p, 2, &h))
		return -1;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &m))
			return -1;
	} else if (is_digit(*p)) {
		if (digits(&p, 2, &m))
			return -1;
	}
	if (h > 23 || m > 59)
		return -1;
	*out = sign * (h * 3600 + m * 60);
	*pp = p;
	return 0;
}

/* "now" and relative forms: the text after "now", or all of "-3d". */
static int parse_relative(const char *in, size_t n, const char *p, int64_t now,
			  int64_t *out, struct err *e)
{
	static const char expected[] = "expected now[+-]N{s,m,h,d,w}, e.g. now-2h";
	int64_t total = 0;
	int sign;

	while (is_space(*p))
		p++;
	if (*p == '\0') {
		*out = now;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return parse_fail(e, in, n, "%s", expected);
	sign = *p++ == '-' ? -1 : 1;
	while (is_space(*p))
		p++;
	if (!is_digit(*p))
		return parse_fail(e, in, n, "%s", expected);
	while (*p) {
		int64_t v = 0, unit;
		int nd = 0;

		for (; is_digit(*p); p++, nd++) {
			if (nd == 9)
				return parse_fail(e, in, n, "relative time too large");
			v = v * 10 + (*p - '0');
		}
		switch (*p) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = DAY; break;
		case 'w': unit = 7 * DAY; break;
		default:
			return parse_fail(e, in, n, "%s", expected);
		}
		if (nd == 0)
			return parse_fail(e, in, n, "%s", expected);
		p++;
		total += v * unit;
		if (total > TIME_PARSE_MAX)
			return parse_fail(e, in, n, "relative time too large");
	}
	/* Both now and total are bounded, so this cannot overflow. */
	if (now < -TIME_PARSE_MAX || now > 2 * TIME_PARSE_MAX)
		return parse_fail(e, in, n, "out of range (years 1970 to 9999)");
	*out = now + sign * total;
	return 0;
}

/*
 * The zone token after a date-time: an offset, an abbreviation or a zone
 * name. Sets *off for fixed offsets, or loads *tz.
 */
static int parse_zone(const char *in, size_t n, const char *tok, int *off, struct tz **tz,
		      struct err *e)
{
	const char *p = tok;
	struct err le;
	size_t i;
	int rc;

	if (*p == '+' || *p == '-') {
		if (parse_offset(&p, off) || *p)
			return parse_fail(e, in, n, "invalid offset '%.16s': expected +HH:MM", tok);
		return 0;
	}
	for (i = 0; i < sizeof(zone_abbrs) / sizeof(zone_abbrs[0]); i++) {
		if (!strcasecmp(tok, zone_abbrs[i].name)) {
			*off = zone_abbrs[i].off;
			return 0;
		}
	}
	for (i = 0; i < sizeof(ambiguous_abbrs) / sizeof(ambiguous_abbrs[0]); i++) {
		if (!strcasecmp(tok, ambiguous_abbrs[i]))
			return parse_fail(e, in, n, "ambiguous time zone '%s': use an offset or a zone name",
					  tok);
	}
	if (!tz_name_ok(tok))
		return parse_fail(e, in, n, "invalid time zone name '%.64s'", tok);
	err_clear(&le);
	rc = tz_load(tok, tz, &le);
	if (rc == ERR_NOTFOUND || rc == ERR_INVALID)
		return parse_fail(e, in, n, "%s", le.msg);
	if (rc)
		return err_set(e, rc, "%s", le.msg);
	return 0;
}

/* The fields of a date-time as typed, before any zone is applied. */
struct datetime {
	int year, mon, day, hour, min, sec;
	int has_off, off;   /* an explicit offset east of UTC ("Z", "+09:00", "JST") */
	const char *zone;   /* the zone token after a space, or NULL */
};

/*
 * Scan "YYYY-MM-DD[(T|t| )HH:MM[:SS[.frac]][Z|+HH:MM]][ ZONE]" from p into
 * dt. Returns NULL, or what was expected for the error message.
 */
static const char *scan_datetime(const char *p, struct datetime *dt)
{
	memset(dt, 0, sizeof(*dt));
	if (digits(&p, 4, &dt->year) || *p++ != '-' || digits(&p, 2, &dt->mon) ||
	    *p++ != '-' || digits(&p, 2, &dt->day))
		return PARSE_EXPECTED;
	if (*p == 'T' || *p == 't' || (*p == ' ' && is_digit(p[strspn(p, " ")]))) {
		p += *p == ' ' ? strspn(p, " ") : 1;
		if (digits(&p, 2, &dt->hour) || *p++ != ':' || digits(&p, 2, &dt->min))
			return PARSE_EXPECTED;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &dt->sec))
				return PARSE_EXPECTED;
			if ((*p == '.' || *p == ',') && is_digit(p[1])) {
				p++;
				while (is_digit(*p))
					p++;   /* fractions are truncated */
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
			dt->has_off = 1;
		} else if (*p == '+' || *p == '-') {
			if (parse_offset(&p, &dt->off))
				return "invalid offset: expected +HH:MM";
			dt->has_off = 1;
		}
	}
	if (*p == ' ') {
		/* "2026-11-26 09:30 JST", or "2026-11-26 JST" for midnight there. */
		p += strspn(p, " ");
		if (dt->has_off)
			return "unexpected text after the offset";
		if (strpbrk(p, " \t\n\r"))
			return PARSE_EXPECTED;
		dt->zone = p;
		return NULL;
	}
	return *p ? PARSE_EXPECTED : NULL;
}

static int check_fields(const char *in, size_t n, const struct datetime *dt, struct err *e)
{
	/* 1969-12-31T19:00:00-05:00 is the epoch; the caller checks the instant. */
	if (dt->year < 1969)
		return parse_fail(e, in, n, "year %04d out of range (1970 to 9999)", dt->year);
	if (dt->mon < 1 || dt->mon > 12)
		return parse_fail(e, in, n, "month %02d out of range", dt->mon);
	if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->mon))
		return parse_fail(e, in, n, "day %02d out of range for %04d-%02d", dt->day, dt->year,
				  dt->mon);
	if (dt->hour > 23)
		return parse_fail(e, in, n, "hour %02d out of range", dt->hour);
	if (dt->min > 59)
		return parse_fail(e, in, n, "minute %02d out of range", dt->min);
	if (dt->sec > 60)
		return parse_fail(e, in, n, "second %02d out of range", dt->sec);
	return 0;
}

static int parse_datetime(const char *in, size_t n, const char *p, const struct tz *zone,
			  int64_t *out, struct err *e)
{
	struct datetime dt;
	struct tz *named = NULL;
	const char *expected = scan_datetime(p, &dt);
	int64_t local;
	int rc;

	if (expected)
		return parse_fail(e, in, n, "%s", expected);
	rc = check_fields(in, n, &dt, e);
	if (rc)
		return rc;
	if (dt.zone) {
		rc = parse_zone(in, n, dt.zone, &dt.off, &named, e);
		if (rc)
			return rc;
		dt.has_off = !named;
	}
	if (dt.sec == 60)
		dt.sec = 59;   /* a leap second: the nearest instant we can represent */
	local = days_from_civil(dt.year, dt.mon, dt.day) * DAY + dt.hour * 3600 + dt.min * 60 +
		dt.sec;
	if (dt.has_off)
		*out = local - dt.off;
	else
		*out = resolve_local(named ? named : zone, local);
	tz_free(named);
	return 0;
}

int time_parse(const char *s, const struct tz *zone, int64_t now, int64_t *out, struct err *e)
{
	char buf[INPUT_MAX + 1];
	size_t n;
	int64_t t = 0;
	int rc;

	if (!s)
		s = "";
	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		n--;
	if (n > INPUT_MAX)
		return parse_fail(e, s, n, "too long (at most %d bytes)", INPUT_MAX);
	/* A trimmed, NUL-terminated copy, so that the scanners may look ahead. */
	memcpy(buf, s, n);
	buf[n] = '\0';

	if (!strncasecmp(buf, "now", 3))
		rc = parse_relative(s, n, buf + 3, now, &t, e);
	else if (buf[0] == '+' || buf[0] == '-')
		rc = parse_relative(s, n, buf, now, &t, e);
	else if (buf[0] == '@')
		rc = epoch_digits(buf + 1, &t) ? parse_fail(e, s, n, "expected @SECONDS since 1970") : 0;
	else
		rc = parse_datetime(s, n, buf, zone, &t, e);
	if (rc)
		return rc;
	if (t < TIME_PARSE_MIN || t > TIME_PARSE_MAX)
		return parse_fail(e, s, n, "out of range (years 1970 to 9999)");
	*out = t;
	return 0;
}

int64_t time_now(void)
{
	const char *fixed = getenv("IRDESK_NOW");
	struct timespec ts;
	int64_t real, t;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		ts.tv_sec = time(NULL);
	real = ts.tv_sec;
	if (fixed && *fixed) {
		if (!epoch_digits(fixed, &t) || !time_parse(fixed, NULL, real, &t, NULL))
			return t;
	}
	return real;
}

/* Formatting. */

/* Two decimal digits of v (0..99) at p; returns the end. */
static char *two(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* Write "YYYY-MM-DD?HH:MM[:SS]" for a local instant; returns its length. */
static size_t format_local(int64_t local, char *out, size_t size, char date_sep, int seconds)
{
	struct civil c;
	int n;

	civil_from_time(local, &c);
	/* Every time the store writes is formatted here: skip printf when it can. */
	if (c.year >= 0 && c.year <= 9999 && size > 19) {
		char *p = out;
		p = two(p, (int)(c.year / 100));
		p = two(p, (int)(c.year % 100));
		*p++ = '-';
		p = two(p, c.month);
		*p++ = '-';
		p = two(p, c.day);
		*p++ = date_sep;
		p = two(p, c.hour);
		*p++ = ':';
		p = two(p, c.min);
		if (seconds) {
			*p++ = ':';
			p = two(p, c.sec);
		}
		*p = '\0';
		return (size_t)(p - out);
	}
	if (seconds)
		n = snprintf(out, size, "%04lld-%02d-%02d%c%02d:%02d:%02d", (long long)c.year,
			     c.month, c.day, date_sep, c.hour, c.min, c.sec);
	else
		n = snprintf(out, size, "%04lld-%02d-%02d%c%02d:%02d", (long long)c.year, c.month,
			     c.day, date_sep, c.hour, c.min);
	/* Clamped instants have at most 9 year digits, so n < size. */
	return n < 0 ? 0 : (size_t)n;
}

void time_format_utc(int64_t t, char out[TIME_STR_MAX])
{
	size_t len = format_local(clamp_time(t), out, TIME_STR_MAX, 'T', 1);

	if (len + 1 < TIME_STR_MAX) {
		out[len] = 'Z';
		out[len + 1] = '\0';
	}
}

void time_format_zone(int64_t t, const struct tz *tz, char out[TIME_STR_MAX])
{
	int off, a;
	size_t len;

	t = clamp_time(t);
	off = tz_offset(tz, t, NULL);
	if (!tz || tz->is_utc || off % 60 != 0) {
		time_format_utc(t, out);
		return;
	}
	len = format_local(t + off, out, TIME_STR_MAX, 'T', 1);
	a = off < 0 ? -off : off;
	snprintf(out + len, TIME_STR_MAX - len, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600,
		 a / 60 % 60);
}

void time_format_human(int64_t t, const struct tz *tz, char out[TIME_STR_MAX])
{
	const char *abbr = "UTC";
	int64_t local;
	size_t len;

	t = clamp_time(t);
	local = t + tz_offset(tz, t, &abbr);
	len = format_local(local, out, TIME_STR_MAX, ' ', local - floor_div(local, 60) * 60 != 0);
	snprintf(out + len, TIME_STR_MAX - len, " %s", abbr);
}

void time_format_duration(int64_t seconds, char out[TIME_STR_MAX])
{
	uint64_t a = seconds < 0 ? -(uint64_t)seconds : (uint64_t)seconds;
	const char *sign = seconds < 0 ? "-" : "";

	if (a >= DAY)
		snprintf(out, TIME_STR_MAX, "%s%llud %lluh", sign, (unsigned long long)(a / DAY),
			 (unsigned long long)(a % DAY / 3600));
	else if (a >= 3600)
		snprintf(out, TIME_STR_MAX, "%s%lluh %02llum", sign, (unsigned long long)(a / 3600),
			 (unsigned long long)(a % 3600 / 60));
	else if (a >= 60)
		snprintf(out, TIME_STR_MAX, "%s%llum", sign, (unsigned long long)(a / 60));
	else
		snprintf(out, TIME_STR_MAX, "%s%llus", sign, (unsigned long long)a);
}
