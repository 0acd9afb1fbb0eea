/*
 * ioc.c: IOC watchlists: normalising and parsing indicators, the set (a hash
 * set over "type + normalised text" and sorted address ranges) and matching
 * it against decoded events. See ioc.h.
 *
 * Free text (command lines, and every string field with all_fields) is cut
 * into tokens that are looked up like field values: hash lookups per token
 * scale to millions of indicators with no compile step, where a Hyperscan
 * literal database of a million domains would take longer to build than the
 * whole load target allows.
 */
#include "detect/ioc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Types */

static const char *const type_names[] = {
#define X(N, n) #n,
	IOC_TYPES(X)
#undef X
};

const char *ioc_type_name(int t)
{
	return t >= 0 && t < IOC__COUNT ? type_names[t] : "";
}

static int eq_nocase(const char *a, size_t n, const char *b)
{
	size_t m = strlen(b);

	return n == m && strncasecmp(a, b, n) == 0;
}

int ioc_type_parse(const char *s, size_t len, enum ioc_type *out)
{
	static const struct { const char *name; enum ioc_type t; } alias[] = {
		{ "ipv4", IOC_IP }, { "ipv6", IOC_IP }, { "ip-dst", IOC_IP }, { "ip-src", IOC_IP },
		{ "hostname", IOC_DOMAIN }, { "fqdn", IOC_DOMAIN }, { "uri", IOC_URL },
		{ "file", IOC_FILENAME }, { "file_name", IOC_FILENAME },
		{ "email-src", IOC_EMAIL }, { "email-dst", IOC_EMAIL },
	};

	for (int t = 0; t < IOC__COUNT; t++)
		if (eq_nocase(s, len, type_names[t])) {
			*out = (enum ioc_type)t;
			return 0;
		}
	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (eq_nocase(s, len, alias[i].name)) {
			*out = alias[i].t;
			return 0;
		}
	return -1;
}

/* Normalising */

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * One pass of refanging s[0..len) into out (at most n-1 bytes,
 * NUL-terminated), whitespace trimmed; *changed is 1 when anything was
 * replaced. Every replacement is shorter than what it replaces, so out may
 * be s. Returns the length, or -1 when it does not fit.
 */
static long refang_once(const char *s, size_t len, char *out, size_t n, int *changed)
{
	static const struct { const char *from, *to; } subst[] = {
		{ "[.]", "." }, { "(.)", "." }, { "{.}", "." }, { "[dot]", "." }, { "(dot)", "." },
		{ "[:]", ":" }, { "[://]", "://" }, { "[@]", "@" }, { "[at]", "@" }, { "(at)", "@" },
		{ "hxxps://", "https://" }, { "hxxp://", "http://" }, { "fxp://", "ftp://" },
		{ "hxxps[:]//", "https://" }, { "hxxp[:]//", "http://" },
	};
	size_t o = 0, i = 0;

	*changed = 0;
	while (len && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
		       s[len - 1] == '\n'))
		len--;
	while (i < len) {
		size_t k, done = 0;

		if (s[i] == '[' || s[i] == '(' || s[i] == '{' || s[i] == 'h' || s[i] == 'H' ||
		    s[i] == 'f' || s[i] == 'F') {
			for (k = 0; k < sizeof(subst) / sizeof(subst[0]); k++) {
				size_t fl = strlen(subst[k].from), tl = strlen(subst[k].to);

				if (len - i >= fl && strncasecmp(s + i, subst[k].from, fl) == 0) {
					if (o + tl >= n)
						return -1;
					memcpy(out + o, subst[k].to, tl);
					o += tl;
					i += fl;
					done = *changed = 1;
					break;
				}
			}
		}
		if (done)
			continue;
		if (o + 1 >= n)
			return -1;
		out[o++] = s[i++];
	}
	out[o] = '\0';
	return (long)o;
}

/*
 * Refang until nothing changes, so that normalising twice gives what
 * normalising once gave ("Fxp[:]//" is "Fxp://" after one pass, "ftp://"
 * after two). Each pass shortens the text, so this ends.
 */
static long refang(const char *s, size_t len, char *out, size_t n)
{
	int changed;
	long l = refang_once(s, len, out, n, &changed);

	while (l >= 0 && changed)
		l = refang_once(out, (size_t)l, out, n, &changed);
	return l;
}

/* An IP address s[0..len) (v4, or v6 without zone) into 16 bytes; v4 gives v4-mapped. */
static int parse_ip(const char *s, size_t len, unsigned char ip[16], int *v4)
{
	char tmp[64];

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, ip + 12) == 1) {
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		*v4 = 1;
		return 0;
	}
	if (memchr(tmp, ':', len) && inet_pton(AF_INET6, tmp, ip) == 1) {
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		*v4 = memcmp(ip, mapped, 12) == 0;
		return 0;
	}
	return -1;
}

static void format_ip(const unsigned char ip[16], int v4, char *out, size_t n)
{
	if (v4)
		inet_ntop(AF_INET, ip + 12, out, (socklen_t)n);
	else
		inet_ntop(AF_INET6, ip, out, (socklen_t)n);
}

static int norm_ip(const char *s, size_t len, char *out, size_t n)
{
	unsigned char ip[16];
	int v4;

	if (parse_ip(s, len, ip, &v4))
		return -1;
	format_ip(ip, v4, out, n);
	return 0;
}

/* "ADDR/BITS" into the first address (16 bytes, v4 mapped) and the prefix over 128 bits. */
static int parse_cidr(const char *s, size_t len, unsigned char ip[16], int *v4, int *bits)
{
	const char *slash = memchr(s, '/', len);
	long b = 0;
	size_t i;

	if (!slash || parse_ip(s, (size_t)(slash - s), ip, v4))
		return -1;
	for (i = (size_t)(slash - s) + 1; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || b > 200)
			return -1;
		b = b * 10 + (s[i] - '0');
	}
	if (i == (size_t)(slash - s) + 1 || b > (*v4 ? 32 : 128))
		return -1;
	*bits = (int)b + (*v4 ? 96 : 0);
	for (int k = 0; k < 16; k++) {
		int keep = *bits - k * 8;
		unsigned char mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
		ip[k] &= mask;
	}
	return 0;
}

static int norm_cidr(const char *s, size_t len, char *out, size_t n)
{
	unsigned char ip[16];
	int v4, bits;
	char a[64];

	if (parse_cidr(s, len, ip, &v4, &bits))
		return -1;
	format_ip(ip, v4, a, sizeof(a));
	snprintf(out, n, "%s/%d", a, v4 ? bits - 96 : bits);
	return 0;
}

static int domain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* A host name: lower case, IDN to punycode, no "*." or trailing dot. */
static int norm_domain(const char *s, size_t len, char *out, size_t n)
{
	size_t o = 0;
	int ascii = 1;

	while (len >= 2 && s[0] == '*' && s[1] == '.')
		s += 2, len -= 2;
	while (len && *s == '.')
		s++, len--;
	while (len && s[len - 1] == '.')
		len--;
	if (len == 0 || len >= n)
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			ascii = 0;
	if (!ascii) {
		char tmp[IOC_VALUE_MAX], *puny = NULL;
		int ok;

		if (len >= sizeof(tmp))
			return -1;
		memcpy(tmp, s, len);
		tmp[len] = '\0';
		ok = idn2_to_ascii_8z(tmp, &puny, IDN2_NONTRANSITIONAL) == IDN2_OK;
		if (ok && strlen(puny) < n) {
			for (size_t i = 0; puny[i]; i++)
				out[i] = lower(puny[i]);
			o = strlen(puny);
		} else {
			ok = 0;
		}
		idn2_free(puny);
		if (!ok)
			return -1;
		/* IDNA maps the ideographic full stop (。) to a dot: one may start or
		 * end the name now, as ASCII dots were trimmed above. */
		while (o && out[o - 1] == '.')
			o--;
		while (o && out[0] == '.')
			memmove(out, out + 1, o--);
		if (!o)
			return -1;
	} else {
		for (size_t i = 0; i < len; i++)
			out[o++] = lower(s[i]);
	}
	out[o] = '\0';
	for (size_t i = 0; i < o; i++)
		if (!domain_char(out[i]) || (out[i] == '.' && i + 1 < o && out[i + 1] == '.'))
			return -1;
	return 0;
}

/*
 * A url: scheme and host lower case, default port and fragment dropped, an
 * empty path as "/". *host and *hostlen (may be NULL) get the host's span in out.
 */
static int norm_url(const char *s, size_t len, char *out, size_t n, size_t *host, size_t *hostlen)
{
	const char *p = s, *end = s + len, *sep, *h, *he, *port = NULL;
	char hostbuf[IOC_VALUE_MAX];
	size_t o = 0, sl;
	const char *frag = memchr(s, '#', len);

	if (frag)
		end = frag;
	/* Blanks before a dropped fragment end the value as trailing blanks would. */
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n' ||
			   end[-1] == '\v' || end[-1] == '\f'))
		end--;
	sep = NULL;
	for (const char *q = p; q + 2 < end; q++) {
		if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
			sep = q;
			break;
		}
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
		      *q == '+' || *q == '-' || *q == '.'))
			break;
	}
	if (!sep || sep == p)
		return -1;
	sl = (size_t)(sep - p);
	if (sl + 3 >= n)
		return -1;
	for (size_t i = 0; i < sl; i++)
		out[o++] = lower(p[i]);
	memcpy(out + o, "://", 3);
	o += 3;
	h = sep + 3;
	he = h;
	while (he < end && *he != '/' && *he != '?')
		he++;
	/* userinfo@ */
	for (const char *q = he; q > h; q--)
		if (q[-1] == '@') {
			h = q;
			break;
		}
	if (h < he && *h == '[') {
		const char *rb = memchr(h, ']', (size_t)(he - h));
		if (!rb)
			return -1;
		if (rb + 1 < he && rb[1] == ':')
			port = rb + 1;
	} else {
		port = memchr(h, ':', (size_t)(he - h));
	}
	{
		const char *hend = port ? port : he;
		size_t hl = (size_t)(hend - h);
		unsigned char ip[16];
		int v4;

		if (hl && *h == '[' && hend[-1] == ']' && parse_ip(h + 1, hl - 2, ip, &v4) == 0) {
			char a[64];

			format_ip(ip, v4, a, sizeof(a));
			snprintf(hostbuf, sizeof(hostbuf), v4 ? "%s" : "[%s]", a);
		} else if (norm_domain(h, hl, hostbuf, sizeof(hostbuf)) != 0) {
			return -1;
		}
	}
	if (host)
		*host = o;
	if (hostlen)
		*hostlen = strlen(hostbuf);
	if (o + strlen(hostbuf) >= n)
		return -1;
	memcpy(out + o, hostbuf, strlen(hostbuf));
	o += strlen(hostbuf);
	if (port) {
		size_t pl = (size_t)(he - port);
		int dflt = (pl == 3 && memcmp(port, ":80", 3) == 0 && sl == 4 &&
			    strncmp(out, "http", 4) == 0) ||
			   (pl == 4 && memcmp(port, ":443", 4) == 0 && sl == 5 &&
			    strncmp(out, "https", 5) == 0);
		if (!dflt && pl > 1) {
			if (o + pl >= n)
				return -1;
			memcpy(out + o, port, pl);
			o += pl;
		}
	}
	if (he == end || *he != '/') {
		if (o + 1 >= n)
			return -1;
		out[o++] = '/';
	}
	if (o + (size_t)(end - he) >= n)
		return -1;
	memcpy(out + o, he, (size_t)(end - he));
	o += (size_t)(end - he);
	out[o] = '\0';
	return 0;
}

static int norm_email(const char *s, size_t len, char *out, size_t n)
{
	const char *at = memchr(s, '@', len);
	size_t local;

	if (!at || at == s || memchr(at + 1, '@', len - (size_t)(at - s) - 1))
		return -1;
	local = (size_t)(at - s);
	if (local + 1 >= n)
		return -1;
	for (size_t i = 0; i < local; i++) {
		if (s[i] == ' ' || s[i] == '<' || s[i] == '>' || s[i] == '"' || s[i] == ',')
			return -1;
		out[i] = lower(s[i]);
	}
	out[local] = '@';
	return norm_domain(at + 1, len - local - 1, out + local + 1, n - local - 1) ||
			       !strchr(out + local + 1, '.')
		       ? -1
		       : 0;
}

static int norm_hash(const char *s, size_t len, size_t want, char *out, size_t n)
{
	if (len != want || len >= n)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!is_hex(s[i]))
			return -1;
		out[i] = lower(s[i]);
	}
	out[len] = '\0';
	return 0;
}

static size_t basename_at(const char *s, size_t len)
{
	size_t b = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == '\\')
			b = i + 1;
	return b;
}

static int norm_filename(const char *s, size_t len, char *out, size_t n)
{
	size_t b = basename_at(s, len);

	/* Blanks after the last separator go, as around any value (so that it normalises to itself). */
	while (b < len && (s[b] == ' ' || s[b] == '\t'))
		b++;
	if (b == len || len - b >= n)
		return -1;
	for (size_t i = b; i < len; i++)
		out[i - b] = lower(s[i]);
	out[len - b] = '\0';
	return 0;
}

/* File extensions that make "x.y" a file name rather than a domain when guessing. */
static int file_extension(const char *s, size_t len)
{
	static const char *const ext[] = { "exe", "dll", "sys", "scr", "ps1", "psm1", "bat", "cmd",
					   "vbs", "vbe", "js", "jse", "wsf", "hta", "lnk", "msi",
					   "jar", "doc", "docx", "docm", "xls", "xlsx", "xlsm",
					   "ppt", "pptx", "pdf", "rtf", "iso", "img", "vhd", "tmp",
					   "dat", "bin", "elf", "so", "sh", "py", "txt", "rar",
					   "7z", "gz", "tar", "cpl", "ocx", "inf", NULL };
	const char *dot = NULL;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '.')
			dot = s + i;
	if (!dot)
		return 0;
	for (int i = 0; ext[i]; i++)
		if (eq_nocase(dot + 1, (size_t)(s + len - dot - 1), ext[i]))
			return 1;
	return 0;
}

static int all_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_hex(s[i]))
			return 0;
	return 1;
}

static enum ioc_type guess(const char *s, size_t len)
{
	unsigned char ip[16];
	int v4, bits;

	if (len > 3 && memmem(s, len, "://", 3))
		return IOC_URL;
	if (memchr(s, '/', len) && parse_cidr(s, len, ip, &v4, &bits) == 0)
		return IOC_CIDR;
	if (parse_ip(s, len, ip, &v4) == 0)
		return IOC_IP;
	if ((len == 32 || len == 40 || len == 64) && all_hex(s, len))
		return len == 32 ? IOC_MD5 : len == 40 ? IOC_SHA1 : IOC_SHA256;
	if (memchr(s, '@', len))
		return IOC_EMAIL;
	if (memchr(s, '\\', len) || memchr(s, '/', len) || file_extension(s, len))
		return IOC_FILENAME;
	if (memchr(s, '.', len))
		return IOC_DOMAIN;
	return IOC__COUNT;
}

/* Normalise s (already refanged) as type t into out: 0 or -1. */
static int norm_as(enum ioc_type t, const char *s, size_t len, char *out, size_t n)
{
	switch (t) {
	case IOC_IP: return norm_ip(s, len, out, n);
	case IOC_CIDR: return norm_cidr(s, len, out, n);
	case IOC_DOMAIN: return norm_domain(s, len, out, n);
	case IOC_URL: return norm_url(s, len, out, n, NULL, NULL);
	case IOC_EMAIL: return norm_email(s, len, out, n);
	case IOC_MD5: return norm_hash(s, len, 32, out, n);
	case IOC_SHA1: return norm_hash(s, len, 40, out, n);
	case IOC_SHA256: return norm_hash(s, len, 64, out, n);
	case IOC_FILENAME: return norm_filename(s, len, out, n);
	case IOC__COUNT: break;
	}
	return -1;
}

int ioc_normalize(const char *text, size_t len, enum ioc_type *type, char *out, size_t n,
		  struct err *e)
{
	char tmp[IOC_VALUE_MAX];
	long l = refang(text, len, tmp, sizeof(tmp));
	enum ioc_type t = *type;

	if (l < 0)
		return err_set(e, ERR_INVALID, "indicator longer than %d bytes", IOC_VALUE_MAX - 1);
	if (l == 0)
		return err_set(e, ERR_INVALID, "empty indicator");
	if (t == IOC__COUNT) {
		t = guess(tmp, (size_t)l);
		if (t == IOC__COUNT)
			return err_set(e, ERR_INVALID, "'%.80s': cannot tell the indicator's type "
				       "(write TYPE,VALUE)", tmp);
	} else if (t == IOC_IP && memchr(tmp, '/', (size_t)l)) {
		t = IOC_CIDR;
	}
	/* A CIDR that covers one address is that address. */
	if (norm_as(t, tmp, (size_t)l, out, n) != 0)
		return err_set(e, ERR_INVALID, "'%.80s': not a valid %s", tmp, ioc_type_name(t));
	if (t == IOC_CIDR) {
		const char *slash = strrchr(out, '/');
		if ((strchr(out, ':') && strcmp(slash, "/128") == 0) ||
		    (!strchr(out, ':') && strcmp(slash, "/32") == 0)) {
			*(char *)slash = '\0';
			t = IOC_IP;
		}
	}
	*type = t;
	return 0;
}

/* Parsing files */

/* One CSV field from *p (up to end or a comma) into out; *p moves past the comma. */
static int csv_field(const char **p, const char *end, char *out, size_t n, size_t *olen)
{
	const char *s = *p;
	size_t o = 0;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s < end && *s == '"') {
		s++;
		for (;;) {
			if (s >= end)
				return -1;
			if (*s == '"') {
				if (s + 1 < end && s[1] == '"') {
					s++;
				} else {
					s++;
					break;
				}
			}
			if (o + 1 >= n)
				return -1;
			out[o++] = *s++;
		}
		while (s < end && *s != ',')
			s++;
	} else {
		while (s < end && *s != ',') {
			if (o + 1 >= n)
				return -1;
			out[o++] = *s++;
		}
		while (o && (out[o - 1] == ' ' || out[o - 1] == '\t'))
			o--;
	}
	if (s < end)
		s++; /* the comma */
	out[o] = '\0';
	*olen = o;
	*p = s;
	return 0;
}

int ioc_parse(const char *name, const char *data, size_t len, int skip_bad, ioc_entry_fn fn,
	      void *ctx, size_t *bad, struct err *e)
{
	const char *p = data, *end = data + len;
	char val[IOC_VALUE_MAX], comment[512], norm[IOC_VALUE_MAX], field[64];
	size_t line = 0, nbad = 0;
	int rc = 0;

	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *ls = p, *q;
		enum ioc_type t = IOC__COUNT;
		size_t flen, vlen, clen;
		struct err pe;

		p = nl ? nl + 1 : end;
		line++;
		if (line == 1 && le - ls >= 3 && memcmp(ls, "\xEF\xBB\xBF", 3) == 0)
			ls += 3;
		while (ls < le && (*ls == ' ' || *ls == '\t'))
			ls++;
		while (le > ls && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
			le--;
		if (ls == le || *ls == '#')
			continue;
		comment[0] = '\0';
		q = ls;
		/* A CSV row starts with a type name and a comma. */
		if (memchr(ls, ',', (size_t)(le - ls)) &&
		    csv_field(&q, le, field, sizeof(field), &flen) == 0 &&
		    (ioc_type_parse(field, flen, &t) == 0 || eq_nocase(field, flen, "type"))) {
			if (eq_nocase(field, flen, "type"))
				continue; /* the header */
			if (csv_field(&q, le, val, sizeof(val), &vlen) != 0) {
				rc = err_set(e, ERR_INVALID, "%s:%zu: malformed CSV row", name, line);
				goto bad;
			}
			if (q < le && csv_field(&q, le, comment, sizeof(comment), &clen) != 0)
				comment[0] = '\0';
		} else {
			/* A bare indicator; " #" starts a trailing comment. */
			const char *c = ls;

			t = IOC__COUNT;
			for (c = ls + 1; c < le; c++)
				if (*c == '#' && (c[-1] == ' ' || c[-1] == '\t'))
					break;
			if (c < le) {
				snprintf(comment, sizeof(comment), "%.*s", (int)(le - c - 1), c + 1);
				le = c;
			}
			vlen = (size_t)(le - ls);
			if (vlen >= sizeof(val)) {
				rc = err_set(e, ERR_INVALID, "%s:%zu: indicator too long", name, line);
				goto bad;
			}
			memcpy(val, ls, vlen);
			val[vlen] = '\0';
		}
		err_clear(&pe);
		if (ioc_normalize(val, vlen, &t, norm, sizeof(norm), &pe) != 0) {
			rc = err_set(e, ERR_INVALID, "%s:%zu: %s", name, line, pe.msg);
			goto bad;
		}
		{
			char *cm = comment;
			while (*cm == ' ')
				cm++;
			rc = fn(ctx, t, norm, cm, e);
		}
		continue;
bad:
		if (skip_bad) {
			nbad++;
			rc = 0;
			err_clear(e);
		}
	}
	if (bad)
		*bad = nbad;
	return rc;
}

/* The set */

struct range4 {
	uint32_t lo, hi, off;
};

struct range6 {
	uint64_t lo[2], hi[2]; /* [0]: the high 64 bits */
	uint32_t off;
};

struct ioc_set {
	char *arena;            /* entries: type, list (2 bytes), length (2 bytes), text, NUL */
	size_t alen, acap;
	uint64_t *slots;        /* hash (high 32 bits) and arena offset; 0 is empty */
	size_t nslots, n;
	size_t count[IOC__COUNT];
	char **lists;
	size_t nlists;
	struct range4 *r4;
	uint32_t *max4;         /* running maximum of hi over r4[0..i] */
	size_t n4, cap4;
	struct range6 *r6;
	uint64_t (*max6)[2];
	size_t n6, cap6;
	int compiled;
};

#define ENTRY_HDR 5

static uint64_t hash_key(enum ioc_type t, const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)t;

	h *= 1099511628211ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

int ioc_set_new(struct ioc_set **out, struct err *e)
{
	struct ioc_set *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return err_set(e, ERR_NOMEM, "out of memory");
	s->acap = 1 << 16;
	s->arena = malloc(s->acap);
	s->nslots = 1 << 12;
	s->slots = calloc(s->nslots, sizeof(*s->slots));
	if (!s->arena || !s->slots) {
		ioc_set_free(s);
		return err_set(e, ERR_NOMEM, "out of memory");
	}
	s->alen = 1; /* offset 0 means an empty slot */
	s->arena[0] = 0;
	*out = s;
	return 0;
}

void ioc_set_free(struct ioc_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nlists; i++)
		free(s->lists[i]);
	free(s->lists);
	free(s->arena);
	free(s->slots);
	free(s->r4);
	free(s->max4);
	free(s->r6);
	free(s->max6);
	free(s);
}

size_t ioc_set_count(const struct ioc_set *s) { return s->n; }

size_t ioc_set_count_type(const struct ioc_set *s, enum ioc_type t)
{
	return t < IOC__COUNT ? s->count[t] : 0;
}

static const char *entry_text(const struct ioc_set *s, uint32_t off)
{
	return s->arena + off + ENTRY_HDR;
}

static const char *entry_list(const struct ioc_set *s, uint32_t off)
{
	unsigned li = (unsigned char)s->arena[off + 1] | ((unsigned)(unsigned char)s->arena[off + 2] << 8);

	return li < s->nlists ? s->lists[li] : "";
}

/* The offset of the entry (t, s[0..len)), or 0. */
static uint32_t lookup(const struct ioc_set *set, enum ioc_type t, const char *s, size_t len)
{
	uint64_t h = hash_key(t, s, len);
	size_t mask = set->nslots - 1, i = (size_t)h & mask;
	uint32_t tag = (uint32_t)(h >> 32) | 1;

	if (len >= IOC_VALUE_MAX)
		return 0;
	for (;; i = (i + 1) & mask) {
		uint64_t v = set->slots[i];
		uint32_t off = (uint32_t)v;
		const unsigned char *en;

		if (!v)
			return 0;
		if ((uint32_t)(v >> 32) != tag)
			continue;
		en = (const unsigned char *)set->arena + off;
		if (en[0] == t && (size_t)(en[3] | (en[4] << 8)) == len &&
		    memcmp(en + ENTRY_HDR, s, len) == 0)
			return off;
	}
}

static int grow_slots(struct ioc_set *s)
{
	size_t n = s->nslots * 2, mask = n - 1;
	uint64_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < s->nslots; i++) {
		uint64_t v = s->slots[i];
		const unsigned char *en;
		size_t j;

		if (!v)
			continue;
		en = (const unsigned char *)s->arena + (uint32_t)v;
		j = (size_t)hash_key((enum ioc_type)en[0], (const char *)en + ENTRY_HDR,
				     (size_t)(en[3] | (en[4] << 8))) & mask;
		while (slots[j])
			j = (j + 1) & mask;
		slots[j] = v;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = n;
	return 0;
}

static int list_index(struct ioc_set *s, const char *list, unsigned *out)
{
	char **grown;

	for (size_t i = 0; i < s->nlists; i++)
		if (strcmp(s->lists[i], list) == 0) {
			*out = (unsigned)i;
			return 0;
		}
	if (s->nlists >= 65535)
		return -1;
	grown = realloc(s->lists, (s->nlists + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	s->lists = grown;
	if (!(s->lists[s->nlists] = strdup(list)))
		return -1;
	*out = (unsigned)s->nlists++;
	return 0;
}

static int add_range(struct ioc_set *s, const unsigned char ip[16], int v4, int bits, uint32_t off)
{
	if (v4) {
		uint32_t a = ((uint32_t)ip[12] << 24) | ((uint32_t)ip[13] << 16) | ((uint32_t)ip[14] << 8) | ip[15];
		int hb = bits - 96;
		uint32_t span = hb == 0 ? 0xffffffffu : hb >= 32 ? 0 : (0xffffffffu >> hb);

		if (s->n4 == s->cap4) {
			size_t cap = s->cap4 ? s->cap4 * 2 : 64;
			struct range4 *g = realloc(s->r4, cap * sizeof(*g));
			if (!g)
				return -1;
			s->r4 = g;
			s->cap4 = cap;
		}
		s->r4[s->n4].lo = a;
		s->r4[s->n4].hi = a | span;
		s->r4[s->n4].off = off;
		s->n4++;
	} else {
		struct range6 r;

		memset(&r, 0, sizeof(r));
		for (int k = 0; k < 8; k++) {
			r.lo[0] = (r.lo[0] << 8) | ip[k];
			r.lo[1] = (r.lo[1] << 8) | ip[8 + k];
		}
		r.hi[0] = r.lo[0] | (bits >= 64 ? 0 : bits == 0 ? ~0ULL : (~0ULL >> bits));
		r.hi[1] = r.lo[1] | (bits >= 128 ? 0 : bits <= 64 ? ~0ULL : (~0ULL >> (bits - 64)));
		r.off = off;
		if (s->n6 == s->cap6) {
			size_t cap = s->cap6 ? s->cap6 * 2 : 64;
			struct range6 *g = realloc(s->r6, cap * sizeof(*g));
			if (!g)
				return -1;
			s->r6 = g;
			s->cap6 = cap;
		}
		s->r6[s->n6++] = r;
	}
	s->compiled = 0;
	return 0;
}

int ioc_set_add(struct ioc_set *s, enum ioc_type type, const char *value, const char *list,
		int *added, struct err *e)
{
	size_t len = strlen(value), need = ENTRY_HDR + len + 1;
	unsigned li;
	uint32_t off;
	uint64_t h;
	size_t i;
	unsigned char ip[16];
	int v4 = 0, bits = 128;

	if (added)
		*added = 0;
	if (type >= IOC__COUNT || len == 0 || len >= IOC_VALUE_MAX)
		return err_set(e, ERR_INVALID, "'%.80s': not an indicator", value);
	if (type == IOC_IP && parse_ip(value, len, ip, &v4) != 0)
		return err_set(e, ERR_INVALID, "'%.80s': not a valid ip", value);
	if (type == IOC_CIDR && parse_cidr(value, len, ip, &v4, &bits) != 0)
		return err_set(e, ERR_INVALID, "'%.80s': not a valid cidr", value);
	if (lookup(s, type, value, len))
		return 0;
	if (list_index(s, list ? list : "", &li) != 0)
		return err_set(e, ERR_NOMEM, "too many lists");
	if (s->alen + need > UINT32_MAX)
		return err_set(e, ERR_TOOLONG, "watchlists too large");
	if (s->alen + need > s->acap) {
		size_t cap = s->acap * 2;
		char *g;

		while (cap < s->alen + need)
			cap *= 2;
		if (!(g = realloc(s->arena, cap)))
			return err_set(e, ERR_NOMEM, "out of memory");
		s->arena = g;
		s->acap = cap;
	}
	if ((s->n + 1) * 2 > s->nslots && grow_slots(s) != 0)
		return err_set(e, ERR_NOMEM, "out of memory");
	off = (uint32_t)s->alen;
	s->arena[off] = (char)type;
	s->arena[off + 1] = (char)(li & 0xff);
	s->arena[off + 2] = (char)(li >> 8);
	s->arena[off + 3] = (char)(len & 0xff);
	s->arena[off + 4] = (char)(len >> 8);
	memcpy(s->arena + off + ENTRY_HDR, value, len + 1);
	s->alen += need;
	if ((type == IOC_IP || type == IOC_CIDR) &&
	    add_range(s, ip, v4, type == IOC_IP ? 128 : bits, off) != 0)
		return err_set(e, ERR_NOMEM, "out of memory");
	h = hash_key(type, value, len);
	i = (size_t)h & (s->nslots - 1);
	while (s->slots[i])
		i = (i + 1) & (s->nslots - 1);
	s->slots[i] = ((uint64_t)((uint32_t)(h >> 32) | 1) << 32) | off;
	s->n++;
	s->count[type]++;
	if (added)
		*added = 1;
	return 0;
}

struct load_ctx {
	struct ioc_set *s;
	const char *list;
	size_t added;
};

static int load_entry(void *ctx, enum ioc_type type, const char *value, const char *comment,
		      struct err *e)
{
	struct load_ctx *lc = ctx;
	int added;
	int rc = ioc_set_add(lc->s, type, value, lc->list, &added, e);

	(void)comment;
	lc->added += (size_t)added;
	return rc;
}

int ioc_set_load_file(struct ioc_set *s, const char *path, const char *list, int skip_bad,
		      size_t *count, size_t *bad, struct err *e)
{
	struct buf b;
	struct load_ctx lc = { s, list, 0 };
	int rc;

	buf_init(&b, 0);
	rc = fs_read_file(path, &b, e);
	if (!rc)
		rc = ioc_parse(path, b.data, b.len, skip_bad, load_entry, &lc, bad, e);
	buf_release(&b);
	if (count)
		*count = lc.added;
	return rc;
}

static int cmp4(const void *a, const void *b)
{
	const struct range4 *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp128(const uint64_t a[2], const uint64_t b[2])
{
	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return a[1] < b[1] ? -1 : a[1] > b[1];
}

static int cmp6(const void *a, const void *b)
{
	const struct range6 *x = a, *y = b;

	return cmp128(x->lo, y->lo);
}

int ioc_set_compile(struct ioc_set *s, struct err *e)
{
	free(s->max4);
	free(s->max6);
	s->max4 = NULL;
	s->max6 = NULL;
	if (s->n4)
		qsort(s->r4, s->n4, sizeof(*s->r4), cmp4);
	if (s->n6)
		qsort(s->r6, s->n6, sizeof(*s->r6), cmp6);
	if ((s->n4 && !(s->max4 = malloc(s->n4 * sizeof(*s->max4)))) ||
	    (s->n6 && !(s->max6 = malloc(s->n6 * sizeof(*s->max6)))))
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < s->n4; i++)
		s->max4[i] = i && s->max4[i - 1] > s->r4[i].hi ? s->max4[i - 1] : s->r4[i].hi;
	for (size_t i = 0; i < s->n6; i++) {
		if (i && cmp128(s->max6[i - 1], s->r6[i].hi) > 0)
			memcpy(s->max6[i], s->max6[i - 1], sizeof(s->max6[i]));
		else
			memcpy(s->max6[i], s->r6[i].hi, sizeof(s->max6[i]));
	}
	s->compiled = 1;
	return 0;
}

/* Matching */

enum fkind { F_NONE, F_IP, F_HOST, F_URL, F_EMAIL, F_HASH, F_FILE, F_TEXT };

/*
 * The fields looked at, by kind: Sigma names of Windows logs (Sysmon,
 * Security), then common flat shapes (ECS, syslog JSON).
 */
static const struct { const char *name; enum fkind kind; } field_table[] = {
	{ "SourceIp", F_IP }, { "DestinationIp", F_IP }, { "IpAddress", F_IP },
	{ "SourceAddress", F_IP }, { "DestAddress", F_IP }, { "DestinationAddress", F_IP },
	{ "ClientIP", F_IP }, { "ClientAddress", F_IP }, { "RemoteAddress", F_IP },
	{ "src_ip", F_IP }, { "dst_ip", F_IP }, { "source.ip", F_IP }, { "destination.ip", F_IP },
	{ "client.ip", F_IP }, { "server.ip", F_IP }, { "ip", F_IP }, { "src", F_IP },
	{ "dst", F_IP },
	{ "DestinationHostname", F_HOST }, { "SourceHostname", F_HOST }, { "QueryName", F_HOST },
	{ "dns.question.name", F_HOST }, { "destination.domain", F_HOST },
	{ "url.domain", F_HOST }, { "ServerName", F_HOST }, { "domain", F_HOST },
	{ "query", F_HOST },
	{ "url", F_URL }, { "Url", F_URL }, { "URL", F_URL }, { "url.full", F_URL },
	{ "url.original", F_URL }, { "RequestUrl", F_URL }, { "uri", F_URL },
	{ "SenderAddress", F_EMAIL }, { "RecipientAddress", F_EMAIL }, { "Sender", F_EMAIL },
	{ "Recipient", F_EMAIL }, { "email", F_EMAIL }, { "user.email", F_EMAIL },
	{ "from", F_EMAIL }, { "to", F_EMAIL },
	{ "Hashes", F_HASH }, { "Hash", F_HASH }, { "md5", F_HASH }, { "sha1", F_HASH },
	{ "sha256", F_HASH }, { "MD5", F_HASH }, { "SHA1", F_HASH }, { "SHA256", F_HASH },
	{ "file.hash.md5", F_HASH }, { "file.hash.sha1", F_HASH }, { "file.hash.sha256", F_HASH },
	{ "process.hash.md5", F_HASH }, { "process.hash.sha1", F_HASH },
	{ "process.hash.sha256", F_HASH },
	{ "Image", F_FILE }, { "ParentImage", F_FILE }, { "TargetFilename", F_FILE },
	{ "ImageLoaded", F_FILE }, { "OriginalFileName", F_FILE }, { "SourceImage", F_FILE },
	{ "TargetImage", F_FILE }, { "NewProcessName", F_FILE }, { "ParentProcessName", F_FILE },
	{ "ProcessName", F_FILE }, { "Application", F_FILE }, { "ServiceFileName", F_FILE },
	{ "ImagePath", F_FILE }, { "file.name", F_FILE }, { "file.path", F_FILE },
	{ "process.executable", F_FILE }, { "process.name", F_FILE },
	{ "CommandLine", F_TEXT }, { "ParentCommandLine", F_TEXT }, { "QueryResults", F_TEXT },
	{ "ScriptBlockText", F_TEXT }, { "Payload", F_TEXT }, { "message", F_TEXT },
	{ "msg", F_TEXT }, { "process.command_line", F_TEXT },
};

#define FMAP_SIZE 256
#define SEEN_MAX 256

struct ioc_scratch {
	struct { uint32_t hash; int idx; } fmap[FMAP_SIZE]; /* idx -1: empty */
	uint32_t seen[SEEN_MAX];
	size_t nseen;
	int hits, stop;
	const struct ioc_set *s;
	const struct event_field *f;
	ioc_hit_fn fn;
	void *ctx;
};

int ioc_scratch_new(struct ioc_scratch **out, struct err *e)
{
	struct ioc_scratch *sc = calloc(1, sizeof(*sc));

	*out = NULL;
	if (!sc)
		return err_set(e, ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < FMAP_SIZE; i++)
		sc->fmap[i].idx = -1;
	for (size_t k = 0; k < sizeof(field_table) / sizeof(field_table[0]); k++) {
		const char *n = field_table[k].name;
		uint32_t h = event_name_hash(n, strlen(n));
		size_t i = h & (FMAP_SIZE - 1);

		while (sc->fmap[i].idx >= 0)
			i = (i + 1) & (FMAP_SIZE - 1);
		sc->fmap[i].hash = h;
		sc->fmap[i].idx = (int)k;
	}
	*out = sc;
	return 0;
}

void ioc_scratch_free(struct ioc_scratch *sc)
{
	free(sc);
}

static enum fkind field_kind(const struct ioc_scratch *sc, const struct event_field *f)
{
	size_t i = f->hash & (FMAP_SIZE - 1);

	for (; sc->fmap[i].idx >= 0; i = (i + 1) & (FMAP_SIZE - 1)) {
		const char *n = field_table[sc->fmap[i].idx].name;

		if (sc->fmap[i].hash == f->hash && strlen(n) == f->name_len &&
		    memcmp(n, f->name, f->name_len) == 0)
			return field_table[sc->fmap[i].idx].kind;
	}
	return F_NONE;
}

static void report(struct ioc_scratch *sc, uint32_t off)
{
	struct ioc_hit h;
	int rc;

	if (!off || sc->stop)
		return;
	for (size_t i = 0; i < sc->nseen; i++)
		if (sc->seen[i] == off)
			return;
	if (sc->nseen < SEEN_MAX)
		sc->seen[sc->nseen++] = off;
	h.type = (enum ioc_type)(unsigned char)sc->s->arena[off];
	h.value = entry_text(sc->s, off);
	h.list = entry_list(sc->s, off);
	h.field = sc->f->name;
	h.matched = sc->f->value;
	h.matched_len = sc->f->value_len;
	sc->hits++;
	rc = sc->fn ? sc->fn(sc->ctx, &h) : 0;
	if (rc) {
		sc->stop = rc > 0 ? -rc : rc;
	}
}

static void find(struct ioc_scratch *sc, enum ioc_type t, const char *s, size_t len)
{
	if (sc->s->count[t])
		report(sc, lookup(sc->s, t, s, len));
}

static void check_ip_bytes(struct ioc_scratch *sc, const unsigned char ip[16], int v4)
{
	const struct ioc_set *s = sc->s;

	if (v4 && s->n4) {
		uint32_t a = ((uint32_t)ip[12] << 24) | ((uint32_t)ip[13] << 16) | ((uint32_t)ip[14] << 8) | ip[15];
		size_t lo = 0, hi = s->n4;

		while (lo < hi) { /* first range with lo > a */
			size_t mid = (lo + hi) / 2;
			if (s->r4[mid].lo <= a)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i-- > 0 && s->max4[i] >= a;)
			if (s->r4[i].hi >= a)
				report(sc, s->r4[i].off);
	} else if (!v4 && s->n6) {
		uint64_t a[2] = { 0, 0 };
		size_t lo = 0, hi = s->n6;

		for (int k = 0; k < 8; k++) {
			a[0] = (a[0] << 8) | ip[k];
			a[1] = (a[1] << 8) | ip[8 + k];
		}
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (cmp128(s->r6[mid].lo, a) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i-- > 0 && cmp128(s->max6[i], a) >= 0;)
			if (cmp128(s->r6[i].hi, a) >= 0)
				report(sc, s->r6[i].off);
	}
}

/* 1 when s is an IP address (checked against the ranges), 0 otherwise. */
static int check_ip(struct ioc_scratch *sc, const char *s, size_t len)
{
	unsigned char ip[16];
	int v4;

	if (len < 2 || len > 45 || parse_ip(s, len, ip, &v4) != 0)
		return 0;
	check_ip_bytes(sc, ip, v4);
	return 1;
}

/* A host name and each of its parent domains. */
static void check_domain(struct ioc_scratch *sc, const char *s, size_t len)
{
	char low[IOC_VALUE_MAX];
	size_t n = 0;

	if (!sc->s->count[IOC_DOMAIN] || len == 0 || len >= sizeof(low))
		return;
	while (len && s[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++) {
		char c = lower(s[i]);
		if ((unsigned char)c >= 0x80) {
			if (norm_domain(s, len, low, sizeof(low)) != 0)
				return;
			n = strlen(low);
			goto have;
		}
		if (!domain_char(c))
			return;
		low[n++] = c;
	}
have:
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || low[i - 1] == '.')
			find(sc, IOC_DOMAIN, low + i, n - i);
	}
}

static void check_host(struct ioc_scratch *sc, const char *s, size_t len)
{
	if (!check_ip(sc, s, len))
		check_domain(sc, s, len);
}

static void check_url(struct ioc_scratch *sc, const char *s, size_t len)
{
	char norm[IOC_VALUE_MAX];
	size_t host, hostlen;

	if (norm_url(s, len, norm, sizeof(norm), &host, &hostlen) != 0)
		return;
	find(sc, IOC_URL, norm, strlen(norm));
	if (hostlen && norm[host] == '[')
		check_ip(sc, norm + host + 1, hostlen - 2);
	else
		check_host(sc, norm + host, hostlen);
}

static void check_email(struct ioc_scratch *sc, const char *s, size_t len)
{
	char norm[IOC_VALUE_MAX];
	const char *at;

	if (len >= sizeof(norm) || norm_email(s, len, norm, sizeof(norm)) != 0)
		return;
	find(sc, IOC_EMAIL, norm, strlen(norm));
	at = strchr(norm, '@');
	check_domain(sc, at + 1, strlen(at + 1));
}

static void check_hash(struct ioc_scratch *sc, const char *s, size_t len)
{
	char low[65];
	enum ioc_type t;

	if (len == 32)
		t = IOC_MD5;
	else if (len == 40)
		t = IOC_SHA1;
	else if (len == 64)
		t = IOC_SHA256;
	else
		return;
	if (!sc->s->count[t])
		return;
	for (size_t i = 0; i < len; i++) {
		if (!is_hex(s[i]))
			return;
		low[i] = lower(s[i]);
	}
	find(sc, t, low, len);
}

/* Sysmon's "SHA1=...,MD5=...,SHA256=...,IMPHASH=..." or a bare hash. */
static void check_hashes(struct ioc_scratch *sc, const char *s, size_t len)
{
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p)), *ie = c ? c : end;
		const char *eq = memchr(p, '=', (size_t)(ie - p));
		const char *v = eq ? eq + 1 : p;

		while (v < ie && *v == ' ')
			v++;
		/* IMPHASH is an md5 of the import table, not of the file. */
		if (!(eq && eq - p == 7 && strncasecmp(p, "IMPHASH", 7) == 0))
			check_hash(sc, v, (size_t)(ie - v));
		p = c ? c + 1 : end;
	}
}

static void check_file(struct ioc_scratch *sc, const char *s, size_t len)
{
	char low[IOC_VALUE_MAX];
	size_t b = basename_at(s, len);

	if (!sc->s->count[IOC_FILENAME] || b == len || len - b >= sizeof(low))
		return;
	for (size_t i = b; i < len; i++)
		low[i - b] = lower(s[i]);
	find(sc, IOC_FILENAME, low, len - b);
}

static int token_char(unsigned char c)
{
	return !(c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '(' || c == ')' ||
		 c == '[' || c == ']' || c == '{' || c == '}' || c == ',' || c == ';' || c == '|' ||
		 c == '`' || c == '^');
}

static int trim_char(char c)
{
	return c == '.' || c == ':' || c == '!' || c == '?' || c == '*' || c == '&';
}

static void check_token(struct ioc_scratch *sc, const char *s, size_t len)
{
	const char *eq;

	while (len && trim_char(*s))
		s++, len--;
	while (len && trim_char(s[len - 1]))
		len--;
	if (len < 3)
		return;
	if (len > 6 && memmem(s, len, "://", 3)) {
		/* "-url=http://..." */
		const char *sep = memmem(s, len, "://", 3), *st = sep;
		while (st > s && ((st[-1] >= 'a' && st[-1] <= 'z') || (st[-1] >= 'A' && st[-1] <= 'Z')))
			st--;
		check_url(sc, st, len - (size_t)(st - s));
		return;
	}
	if ((eq = memchr(s, '=', len)) != NULL) {
		const char *last = s + len;
		while (last > s && last[-1] != '=')
			last--;
		check_token(sc, s, (size_t)(eq - s));
		check_token(sc, last, len - (size_t)(last - s));
		return;
	}
	if (memchr(s, '@', len)) {
		check_email(sc, s, len);
		return;
	}
	if (len == 32 || len == 40 || len == 64) {
		check_hash(sc, s, len);
		if (all_hex(s, len))
			return;
	}
	if (check_ip(sc, s, len))
		return;
	if (memchr(s, '\\', len) || memchr(s, '/', len)) {
		check_file(sc, s, len);
		return;
	}
	if (memchr(s, '.', len)) {
		check_domain(sc, s, len);
		check_file(sc, s, len);
	}
	/* "1.2.3.4:443" */
	{
		const char *colon = memchr(s, ':', len);
		if (colon && memchr(s, '.', len) && !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1))
			check_host(sc, s, (size_t)(colon - s));
	}
}

static void check_text(struct ioc_scratch *sc, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && !sc->stop) {
		size_t st;

		while (i < len && !token_char((unsigned char)s[i]))
			i++;
		st = i;
		while (i < len && token_char((unsigned char)s[i]))
			i++;
		if (i > st)
			check_token(sc, s + st, i - st);
	}
}

int ioc_match(const struct ioc_set *s, struct ioc_scratch *sc, const struct event *ev,
	      int all_fields, ioc_hit_fn fn, void *ctx)
{
	if (!s->n || !s->compiled)
		return 0;
	sc->s = s;
	sc->fn = fn;
	sc->ctx = ctx;
	sc->nseen = 0;
	sc->hits = 0;
	sc->stop = 0;
	for (size_t i = 0; i < ev->n && !sc->stop; i++) {
		const struct event_field *f = &ev->fields[i];
		enum fkind k;

		if (f->type != EV_STRING || f->value_len == 0)
			continue;
		k = field_kind(sc, f);
		if (k == F_NONE) {
			if (!all_fields)
				continue;
			k = F_TEXT;
		}
		sc->f = f;
		switch (k) {
		case F_IP: check_ip(sc, f->value, f->value_len); break;
		case F_HOST: check_host(sc, f->value, f->value_len); break;
		case F_URL: check_url(sc, f->value, f->value_len); break;
		case F_EMAIL: check_email(sc, f->value, f->value_len); break;
		case F_HASH: check_hashes(sc, f->value, f->value_len); break;
		case F_FILE: check_file(sc, f->value, f->value_len); break;
		case F_TEXT: check_text(sc, f->value, f->value_len); break;
		case F_NONE: break;
		}
	}
	return sc->stop ? sc->stop : sc->hits;
}
