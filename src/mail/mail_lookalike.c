/*
 * mail_lookalike.c: comparing names and domains the way a reader's eye
 * does: registrable domains from the Public Suffix List (libpsl, so
 * co.jp is one suffix), Unicode forms from libidn2, NFKC with case folding
 * and ICU's confusable skeletons, and edit distance on labels.
 */
#include "mail/mail.h"

#include <ctype.h>
#include <idn2.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/uspoof.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static USpoofChecker *spoof;       /* read-only once built */
static const UNormalizer2 *nfkc_cf;
static const psl_ctx_t *psl;

static void start(void)
{
	UErrorCode st = U_ZERO_ERROR;

	spoof = uspoof_open(&st);
	if (U_FAILURE(st))
		spoof = NULL;
	st = U_ZERO_ERROR;
	nfkc_cf = unorm2_getNFKCCasefoldInstance(&st);
	if (U_FAILURE(st))
		nfkc_cf = NULL;
	psl = psl_builtin();
	if (!psl)
		psl = psl_latest(NULL);
}

char *mail_fold(const char *s)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t n = 0, un, cap;
	UChar *u = NULL, *f = NULL;
	char *out = NULL;

	pthread_once(&once, start);
	if (!s)
		s = "";
	size_t sl = strlen(s);
	if (!nfkc_cf || sl > 4 * 1024 * 1024)
		return strdup(s);
	cap = (int32_t)sl + 1;
	u = malloc((size_t)cap * sizeof(UChar));
	f = malloc((size_t)cap * 3 * sizeof(UChar) + 8);
	if (!u || !f)
		goto out;
	u_strFromUTF8WithSub(u, cap, &un, s, (int32_t)sl, 0xfffd, NULL, &st);
	if (U_FAILURE(st))
		goto out;
	/* Wave dash, full-width tilde and minus signs read as one. */
	for (int32_t i = 0; i < un; i++) {
		if (u[i] == 0x301c || u[i] == 0xff5e || u[i] == 0x2212 || u[i] == 0x2010 || u[i] == 0x2015)
			u[i] = u[i] == 0x2212 || u[i] == 0x2010 || u[i] == 0x2015 ? 0x2d : 0x301c;
	}
	n = unorm2_normalize(nfkc_cf, u, un, f, cap * 3 + 4, &st);
	if (U_FAILURE(st))
		goto out;
	int32_t need = 0;
	st = U_ZERO_ERROR;
	u_strToUTF8(NULL, 0, &need, f, n, &st);
	out = malloc((size_t)need + 1);
	st = U_ZERO_ERROR;
	if (out)
		u_strToUTF8(out, need + 1, NULL, f, n, &st);
out:
	free(u);
	free(f);
	return out ? out : strdup(s);
}

static char *skeleton(const char *s)
{
	UErrorCode st = U_ZERO_ERROR;
	char buf[1024];

	pthread_once(&once, start);
	if (!spoof || strlen(s) > 300)
		return strdup(s);
	int32_t n = uspoof_getSkeletonUTF8(spoof, 0, s, -1, buf, sizeof(buf), &st);
	if (U_FAILURE(st) || n < 0 || (size_t)n >= sizeof(buf))
		return strdup(s);
	buf[n] = '\0';
	return strdup(buf);
}

char *mail_host_ascii(const char *host)
{
	char *out = NULL, *low;
	size_t n;

	if (!host || !*host || strlen(host) > 253)
		return NULL;
	low = mail_fold(host);
	n = strlen(low);
	while (n && low[n - 1] == '.')
		low[--n] = '\0';
	int ascii = 1;
	for (char *p = low; *p; p++)
		if ((unsigned char)*p >= 0x80)
			ascii = 0;
	if (ascii) {
		for (char *p = low; *p; p++)
			if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_')) {
				free(low);
				return NULL;
			}
		return low;
	}
	if (idn2_to_ascii_8z(low, &out, IDN2_NONTRANSITIONAL) != IDN2_OK &&
	    idn2_to_ascii_8z(low, &out, IDN2_TRANSITIONAL) != IDN2_OK)
		out = NULL;
	free(low);
	if (!out)
		return NULL;
	char *r = strdup(out);
	idn2_free(out);
	return r;
}

char *mail_registrable(const char *host)
{
	char *a = mail_host_ascii(host);
	const char *r;
	char *out = NULL;

	if (!a)
		return NULL;
	pthread_once(&once, start);
	r = psl ? psl_registrable_domain(psl, a) : NULL;
	if (r)
		out = strdup(r);
	free(a);
	return out;
}

const char *mail_addr_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	return at ? at + 1 : (addr ? addr : "");
}

/*
 * 0 when the ASCII name item cannot have the registrable domain reg (it
 * does not end with it): saves the libpsl look-up for most of a list.
 */
static int may_end_with(const char *item, const char *reg)
{
	size_t il = strlen(item), rl = strlen(reg);

	for (size_t i = 0; i < il; i++)
		if ((unsigned char)item[i] >= 0x80)
			return 1; /* IDN: compared in its ASCII form */
	return il >= rl && !strcasecmp(item + il - rl, reg) && (il == rl || item[il - rl - 1] == '.');
}

int mail_domain_in(const char *addr_or_domain, const struct strv *list)
{
	const char *d = mail_addr_domain(addr_or_domain);
	char *r = mail_registrable(d);
	int found = 0;

	if (!*d)
		return 0;
	for (size_t i = 0; i < list->n && !found; i++) {
		if (!strcasecmp(list->v[i], d))
			found = 1;
		else if (r && may_end_with(list->v[i], r)) {
			char *lr = mail_registrable(list->v[i]);
			found = lr && !strcmp(lr, r);
			free(lr);
		}
	}
	free(r);
	return found;
}

/* UTF-8 to code points (at most max); returns the count. */
static size_t to_cps(const char *s, uint32_t *cp, size_t max)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;

	while (*p && n < max) {
		uint32_t c = *p;
		int k = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
		if (k)
			c &= 0x3f >> k;
		p++;
		for (int i = 0; i < k && (*p & 0xc0) == 0x80; i++, p++)
			c = (c << 6) | (*p & 0x3f);
		cp[n++] = c;
	}
	return n;
}

/* Levenshtein distance over code points, capped at 64 of them each. */
static int edit_distance(const char *a, const char *b)
{
	uint32_t x[64], y[64];
	size_t n = to_cps(a, x, 64), m = to_cps(b, y, 64);
	int row[65];

	for (size_t j = 0; j <= m; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= n; i++) {
		int prev = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= m; j++) {
			int cur = row[j];
			int best = prev + (x[i - 1] != y[j - 1]);
			if (row[j] + 1 < best) best = row[j] + 1;
			if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[m];
}

static size_t cp_len(const char *s)
{
	uint32_t x[64];
	return to_cps(s, x, 64);
}

/* The Unicode, folded form of an ASCII domain (xn-- labels decoded). */
static char *unicode_form(const char *ascii)
{
	char *u = NULL;

	if (strstr(ascii, "xn--") && idn2_to_unicode_8z8z(ascii, &u, 0) == IDN2_OK) {
		char *r = mail_fold(u);
		idn2_free(u);
		return r;
	}
	return strdup(ascii);
}

const char *mail_lookalike(const char *domain, const struct strv *targets, const char **how)
{
	const char *hit = NULL;
	char *reg = mail_registrable(domain), *uni, *skel, *label, *sfx;

	*how = NULL;
	if (!reg)
		return NULL;
	uni = unicode_form(reg);
	skel = skeleton(uni);
	label = strdup(uni);
	sfx = strchr(label, '.');
	if (sfx)
		*sfx++ = '\0';
	for (size_t i = 0; i < targets->n && !hit; i++) {
		char *treg = mail_registrable(targets->v[i]);
		if (!treg)
			continue;
		if (!strcmp(treg, reg)) {
			free(treg);
			hit = NULL;
			break; /* the real one */
		}
		char *tuni = unicode_form(treg), *tskel = skeleton(tuni), *tlabel = strdup(tuni);
		char *tsfx = strchr(tlabel, '.');
		if (tsfx)
			*tsfx++ = '\0';
		char *ls = skeleton(label), *tls = skeleton(tlabel);
		if (!strcmp(skel, tskel) || (cp_len(tlabel) > 3 && !strcmp(ls, tls) && strcmp(label, tlabel))) {
			hit = targets->v[i];
			*how = strstr(reg, "xn--") ? "idn" : "confusable";
		} else if (!strcmp(label, tlabel) && cp_len(tlabel) > 3) {
			hit = targets->v[i];
			*how = "suffix";
		} else if (cp_len(tlabel) > 3 && (edit_distance(label, tlabel) == 1 || edit_distance(ls, tls) == 1)) {
			hit = targets->v[i];
			*how = "edit1";
		} else if (cp_len(tlabel) >= 5) {
			/* supplier-abc.co.jp.example.net, supplier-abc-co-jp.example.net */
			char *h = mail_host_ascii(domain), *dashed = strdup(treg);
			for (char *q = dashed; q && *q; q++)
				if (*q == '.')
					*q = '-';
			if (h && dashed && (strstr(h, treg) || strstr(h, dashed)) && strlen(h) > strlen(treg)) {
				hit = targets->v[i];
				*how = "embedded";
			}
			free(dashed);
			free(h);
		}
		free(ls);
		free(tls);
		free(tuni);
		free(tskel);
		free(tlabel);
		free(treg);
	}
	free(reg);
	free(uni);
	free(skel);
	free(label);
	return hit;
}

/* Drop combining diacritical marks (U+0300..U+036F) from UTF-8 s, in place:
 * a skeleton keeps "í" as "i" and an acute accent. */
static void drop_marks(char *s)
{
	unsigned char *r = (unsigned char *)s, *w = r;

	for (; *r; r++) {
		if ((r[0] == 0xCC && r[1] >= 0x80 && r[1] <= 0xBF) ||
		    (r[0] == 0xCD && r[1] >= 0x80 && r[1] <= 0xAF)) {
			r++;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
}

int mail_homograph_of(const char *reg, const char *word)
{
	char *uni, *label, *dot, *ls, *ws;
	int hit;

	if (!strstr(reg, "xn--") || cp_len(word) < 4)
		return 0;
	uni = unicode_form(reg);
	label = uni ? strdup(uni) : NULL;
	if (!label) {
		free(uni);
		return 0;
	}
	if ((dot = strchr(label, '.')))
		*dot = '\0';
	ls = skeleton(label);
	ws = skeleton(word);
	if (ls)
		drop_marks(ls);
	/* The label reads as the brand, or as the brand with one letter changed. */
	hit = ls && ws && strcmp(label, word) != 0 &&
	      (!strcmp(ls, ws) || (cp_len(word) > 4 && edit_distance(ls, ws) == 1));
	free(ls);
	free(ws);
	free(label);
	free(uni);
	return hit;
}

/* s folded with spaces, dots, commas and middle dots removed. */
static char *squash(const char *s)
{
	char *f = mail_fold(s), *w = f;

	for (char *r = f; *r; r++) {
		if (*r == ' ' || *r == '.' || *r == ',' || *r == '"' || *r == '\'')
			continue;
		if (!strncmp(r, "\xe3\x83\xbb", 3) || !strncmp(r, "\xe3\x80\x80", 3)) { /* ・ and ideographic space */
			r += 2;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	return f;
}

int mail_name_like(const char *display, const char *exec_name)
{
	int like = 0;

	if (!display || !*display || !exec_name || !*exec_name)
		return 0;
	char *d = squash(display), *x = squash(exec_name);
	if (!*x || !*d)
		goto out;
	if (strstr(d, x)) {
		like = 1;
		goto out;
	}
	char *ds = skeleton(d), *xs = skeleton(x);
	like = !strcmp(ds, xs) || (cp_len(x) >= 6 && edit_distance(d, x) <= 1) ||
	       (cp_len(xs) >= 6 && edit_distance(ds, xs) <= 1);
	free(ds);
	free(xs);
	if (!like) {
		/* "Yamada Taro" for "Taro Yamada": every word of the name present. */
		char *f = mail_fold(exec_name), *df = mail_fold(display), *save = NULL;
		int words = 0, found = 0;
		for (char *t = strtok_r(f, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			words++;
			if (strlen(t) >= 2 && strstr(df, t))
				found++;
		}
		like = words >= 2 && found == words;
		free(f);
		free(df);
	}
out:
	free(d);
	free(x);
	return like;
}
