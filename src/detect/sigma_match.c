/*
 * sigma_match.c: evaluates a compiled detection against one decoded event.
 *
 * Strings compare without case unless `cased`: both sides are folded, the
 * rule's values once when the rule is compiled and an event's values once
 * per event, all together (the prefilter scans that text too), with a
 * name index of the event's fields beside them in the scratch. Folding is Unicode simple case
 * folding from a small built-in table (ASCII, Latin-1, Latin Extended-A,
 * Greek, Cyrillic, Armenian, fullwidth Latin), not the locale's towlower, so
 * results do not depend on the process locale; characters of other scripts
 * compare as they are. Every folding here keeps the UTF-8 length.
 */
#include "detect/sigma_int.h"

#include "detect/event.h"
#include "util/err.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

static unsigned long fold_cp(unsigned long c)
{
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c >= 0x100 && c <= 0x17f) {
		if ((c <= 0x137 && c != 0x130) || (c >= 0x14a && c <= 0x177))
			return c | 1;
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
			return (c & 1) ? c + 1 : c;
		if (c == 0x178)
			return 0xff;
		return c;
	}
	if (c >= 0x386 && c <= 0x3c2) {
		if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
			return c + 32;
		if (c == 0x386)
			return 0x3ac;
		if (c >= 0x388 && c <= 0x38a)
			return c + 37;
		if (c == 0x38c)
			return 0x3cc;
		if (c == 0x38e || c == 0x38f)
			return c + 63;
		if (c == 0x3c2)
			return 0x3c3;
		return c;
	}
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if ((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf))
		return c | 1;
	if (c >= 0x531 && c <= 0x556)
		return c + 48;
	if (c >= 0xff21 && c <= 0xff3a)
		return c + 32;
	return c;
}

size_t sigma_fold_into(const char *s, size_t n, char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c;

		/* Eight ASCII bytes at a time: add 0x20 to those in 'A'..'Z'. */
		if (n - i >= 8) {
			uint64_t w, ge_a, gt_z;

			memcpy(&w, p + i, 8);
			if (!(w & 0x8080808080808080ull)) {
				ge_a = w + 0x3f3f3f3f3f3f3f3full;   /* high bit: byte >= 'A' */
				gt_z = w + 0x2525252525252525ull;   /* high bit: byte > 'Z' */
				w |= (ge_a & ~gt_z & 0x8080808080808080ull) >> 2;
				memcpy(out + i, &w, 8);
				i += 8;
				continue;
			}
		}
		c = p[i];
		if (c < 0x80) {
			out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			i++;
		} else if ((c & 0xe0) == 0xc0 && i + 1 < n && (p[i + 1] & 0xc0) == 0x80) {
			unsigned long cp = (unsigned long)(c & 0x1f) << 6 | (p[i + 1] & 0x3f);
			cp = cp >= 0x80 ? fold_cp(cp) : cp;
			if (cp >= 0x80 && cp < 0x800) {
				out[i] = (char)(0xc0 | cp >> 6);
				out[i + 1] = (char)(0x80 | (cp & 0x3f));
			} else {
				out[i] = (char)c;
				out[i + 1] = (char)p[i + 1];
			}
			i += 2;
		} else if (c == 0xef && i + 2 < n && p[i + 1] == 0xbc && p[i + 2] >= 0xa1 &&
			   p[i + 2] <= 0xba) {
			/* U+FF21..U+FF3A fullwidth A..Z -> U+FF41..U+FF5A */
			out[i] = (char)0xef;
			out[i + 1] = (char)0xbd;
			out[i + 2] = (char)(p[i + 2] - 0x20);
			i += 3;
		} else {
			out[i] = (char)c;
			i++;
		}
	}
	return n;
}

/* The event's field text, folded (unless cased): folded once per event. */
static const char *field_text(const struct sigma_scratch *s, const struct event_field *f,
			      int cased, size_t *len)
{
	*len = f->value_len;
	if (cased)
		return f->value;
	return s->text + s->foff[f - s->ev->fields];
}

static size_t pow2_at_least(size_t n)
{
	size_t p = 16;

	while (p < n)
		p *= 2;
	return p;
}

int sigma_scratch_prepare(struct sigma_scratch *s, const struct event *ev)
{
	size_t n = ev->n, need = 0, mask;

	s->ev = ev;
	s->alt = NULL;
	if (++s->gen == 0) {
		for (int k = 0; k < 2; k++)
			if (s->entmark[k])
				memset(s->entmark[k], 0, s->ent_cap * sizeof(*s->entmark[k]));
		s->gen = 1;
	}
	if (n > s->nfield_cap) {
		size_t cap = n * 2;
		size_t *o = realloc(s->foff, cap * sizeof(*o));
		uint32_t *x;

		if (!o)
			return ERR_NOMEM;
		s->foff = o;
		x = realloc(s->fnext, cap * sizeof(*x));
		if (!x)
			return ERR_NOMEM;
		s->fnext = x;
		s->nfield_cap = cap;
	}
	if (2 * n > s->ftab_cap || !s->ftab) {
		size_t cap = pow2_at_least(4 * n);
		uint32_t *t = realloc(s->ftab, cap * sizeof(*t));

		if (!t)
			return ERR_NOMEM;
		s->ftab = t;
		s->ftab_cap = cap;
	}
	/* The folded text: every value, NUL after each. */
	for (size_t i = 0; i < n; i++)
		need += ev->fields[i].value_len + 1;
	if (need + 1 > s->text_cap) {
		size_t cap = (need + 1) * 2;
		char *t = realloc(s->text, cap);

		if (!t)
			return ERR_NOMEM;
		s->text = t;
		t = realloc(s->scan, cap);
		if (!t)
			return ERR_NOMEM;
		s->scan = t;
		s->text_cap = cap;
	}
	s->text_len = 0;
	for (size_t i = 0; i < n; i++) {
		const struct event_field *f = &ev->fields[i];

		s->foff[i] = s->text_len;
		if (f->value_len)
			sigma_fold_into(f->value, f->value_len, s->text + s->text_len);
		s->text_len += f->value_len;
		s->text[s->text_len++] = '\0';
	}
	/* The name index, filled backwards so each chain runs in event order. */
	mask = pow2_at_least(2 * n);
	if (mask > s->ftab_cap)
		mask = s->ftab_cap;
	memset(s->ftab, 0, mask * sizeof(*s->ftab));
	s->ftab_mask = --mask;
	for (size_t i = n; i-- > 0;) {
		const struct event_field *f = &ev->fields[i];
		size_t h = f->hash & mask;

		s->fnext[i] = 0;
		for (; s->ftab[h]; h = (h + 1) & mask) {
			const struct event_field *g = &ev->fields[s->ftab[h] - 1];
			if (g->hash == f->hash && g->name_len == f->name_len &&
			    !memcmp(g->name, f->name, f->name_len)) {
				s->fnext[i] = s->ftab[h];
				break;
			}
		}
		s->ftab[h] = (uint32_t)(i + 1);
	}
	return 0;
}

/* The first field of exactly this name, or NULL. */
static const struct event_field *field_first(const struct sigma_scratch *s, const char *name,
					     size_t len, uint32_t hash)
{
	const struct event *ev = s->ev;

	for (size_t h = hash & s->ftab_mask; s->ftab[h]; h = (h + 1) & s->ftab_mask) {
		const struct event_field *f = &ev->fields[s->ftab[h] - 1];
		if (f->hash == hash && f->name_len == len && !memcmp(f->name, name, len))
			return f;
	}
	return NULL;
}

/* The next field of the same name as f, or NULL. */
static const struct event_field *field_next(const struct sigma_scratch *s,
					    const struct event_field *f)
{
	uint32_t nx = s->fnext[f - s->ev->fields];

	return nx ? &s->ev->fields[nx - 1] : NULL;
}

static size_t u8len(unsigned char c)
{
	return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

static int dash_at(const char *s, size_t n)
{
	if (n >= 1 && (s[0] == '-' || s[0] == '/'))
		return 1;
	if (n >= 3 && (unsigned char)s[0] == 0xe2 && (unsigned char)s[1] == 0x80 &&
	    (unsigned char)s[2] >= 0x93 && (unsigned char)s[2] <= 0x95)
		return 3;
	return 0;
}

/* Wildcard match of the whole text, backtracking only to the last '*'. */
static int glob_match(const struct tok *t, size_t nt, const char *s, size_t n)
{
	size_t ti = 0, si = 0, star_ti = (size_t)-1, star_si = 0;

	for (;;) {
		if (ti == nt) {
			if (si == n)
				return 1;
		} else if (t[ti].kind == T_STAR) {
			if (ti + 1 == nt)
				return 1;
			star_ti = ti++;
			star_si = si;
			continue;
		} else if (t[ti].kind == T_LIT) {
			if (n - si >= t[ti].len && !memcmp(s + si, t[ti].s, t[ti].len)) {
				si += t[ti].len;
				ti++;
				continue;
			}
		} else if (t[ti].kind == T_ONE) {
			if (si < n) {
				si += u8len((unsigned char)s[si]);
				if (si > n)
					si = n;
				ti++;
				continue;
			}
		} else { /* T_DASH */
			int dl = si < n ? dash_at(s + si, n - si) : 0;
			if (dl) {
				si += (size_t)dl;
				ti++;
				continue;
			}
		}
		if (star_ti == (size_t)-1 || star_si >= n)
			return 0;
		star_si += u8len((unsigned char)s[star_si]);
		if (star_si > n)
			return 0;
		si = star_si;
		ti = star_ti + 1;
	}
}

static int str_match(enum vop op, const struct sval *v, const char *s, size_t n)
{
	switch (op) {
	case V_EQ:
		return n == v->plen && !memcmp(s, v->pat, n);
	case V_CONTAINS:
		return v->plen == 0 || (n >= v->plen && memmem(s, n, v->pat, v->plen) != NULL);
	case V_STARTS:
		return n >= v->plen && !memcmp(s, v->pat, v->plen);
	case V_ENDS:
		return n >= v->plen && !memcmp(s + n - v->plen, v->pat, v->plen);
	case V_GLOB:
		return glob_match(v->toks, v->ntoks, s, n);
	default:
		return 0;
	}
}

static int num_cmp(enum numop op, double a, double b)
{
	switch (op) {
	case N_EQ: return a == b;
	case N_LT: return a < b;
	case N_LTE: return a <= b;
	case N_GT: return a > b;
	case N_GTE: return a >= b;
	}
	return 0;
}

static int field_number(const struct event_field *f, double *out)
{
	char tmp[64];
	char *end;

	if (f->value_len == 0 || f->value_len >= sizeof(tmp))
		return -1;
	memcpy(tmp, f->value, f->value_len);
	tmp[f->value_len] = '\0';
	errno = 0;
	*out = strtod(tmp, &end);
	return errno || *end || end == tmp ? -1 : 0;
}

static int digits(const char *s, size_t n, size_t at, size_t k, int *out)
{
	int v = 0;

	if (at + k > n)
		return -1;
	for (size_t i = at; i < at + k; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* A part of an ISO 8601 time ("2024-05-06T07:08:09Z", or with a blank). */
static int time_part(const struct event_field *f, enum timeunit u, double *out)
{
	const char *s = f->value;
	size_t n = f->value_len;
	int y, mo, d, h = 0, mi = 0;

	if (digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' || digits(s, n, 5, 2, &mo) ||
	    s[7] != '-' || digits(s, n, 8, 2, &d))
		return -1;
	if (n >= 16 && (s[10] == 'T' || s[10] == ' ') &&
	    (digits(s, n, 11, 2, &h) || s[13] != ':' || digits(s, n, 14, 2, &mi)))
		return -1;
	switch (u) {
	case TU_MINUTE: *out = mi; break;
	case TU_HOUR: *out = h; break;
	case TU_DAY: *out = d; break;
	case TU_MONTH: *out = mo; break;
	case TU_YEAR: *out = y; break;
	case TU_WEEK: {
		/* ISO 8601 week number. */
		static const int cum[] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		int yday, wday, week, yy;

		if (mo < 1 || mo > 12)
			return -1;
		yday = cum[mo - 1] + d + (leap && mo > 2);    /* 1-based */
		yy = y - 1;
		/* Day of week of the date, 1 = Monday .. 7 = Sunday. */
		wday = (int)((yy * 365L + yy / 4 - yy / 100 + yy / 400 + yday - 1) % 7) + 1;
		week = (yday - wday + 10) / 7;
		if (week < 1) {
			int py = y - 1, pleap = (py % 4 == 0 && py % 100 != 0) || py % 400 == 0;
			int pdec31 = (wday - yday) % 7; /* weekday of Dec 31 of the previous year */
			if (pdec31 <= 0)
				pdec31 += 7;
			week = (365 + pleap - pdec31 + 10) / 7;
		} else if (week == 53) {
			int days = 365 + leap;
			if (days - yday < 4 - wday)
				week = 1;
		}
		*out = week;
		break;
	}
	default:
		return -1;
	}
	return 0;
}

static int cidr_match(const struct sval *v, const struct event_field *f)
{
	char tmp[64];
	uint8_t a[16];
	int bits = v->bits;

	if (f->value_len == 0 || f->value_len >= sizeof(tmp))
		return 0;
	memcpy(tmp, f->value, f->value_len);
	tmp[f->value_len] = '\0';
	if (inet_pton(v->v6 ? AF_INET6 : AF_INET, tmp, a) != 1)
		return 0;
	for (int i = 0; bits > 0; i++, bits -= 8) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		if ((a[i] & mask) != (v->net[i] & mask))
			return 0;
	}
	return 1;
}

const struct event_field *sigma_field(const struct sigma_scratch *s, const char *name, size_t len,
				      uint32_t hash)
{
	const struct ls_alt *alt = s->alt;

	if (alt)
		for (size_t i = 0; i < alt->nrenames; i++) {
			const struct ls_rename *r = &alt->renames[i];
			if (r->from_hash == hash && r->from_len == len && !memcmp(r->from, name, len))
				return field_first(s, r->to, r->to_len, r->to_hash);
		}
	return field_first(s, name, len, hash);
}

static int value_match(struct sigma_scratch *s, const struct sval *v, const struct event_field *f)
{
	const char *t;
	size_t n;
	double x;

	switch (v->op) {
	case V_EQ:
	case V_CONTAINS:
	case V_STARTS:
	case V_ENDS:
	case V_GLOB:
		t = field_text(s, f, v->cased, &n);
		return str_match(v->op, v, t, n);
	case V_RE:
		return pcre2_match(v->re, (PCRE2_SPTR)f->value, f->value_len, 0, 0, s->md, NULL) >= 0;
	case V_CIDR:
		return cidr_match(v, f);
	case V_NUM:
		return !field_number(f, &x) && num_cmp(v->nop, x, v->num);
	case V_TIME:
		return !time_part(f, v->unit, &x) && num_cmp(v->nop, x, v->num);
	case V_FIELDREF: {
		size_t rn;
		const struct event_field *g = sigma_field(s, v->ref, v->reflen, v->refhash);
		const char *rt;
		struct sval tmp;

		if (!g)
			return 0;
		t = field_text(s, f, v->cased, &n);
		rt = field_text(s, g, v->cased, &rn);
		memset(&tmp, 0, sizeof(tmp));
		tmp.pat = rt;
		tmp.plen = rn;
		return str_match(v->refop, &tmp, t, n);
	}
	default:
		return 0;
	}
}

/* One value against the field's occurrences (or, for keywords, every string). */
static int item_value(struct sigma_scratch *s, const struct sitem *it, const struct sval *v)
{
	const struct event_field *f;

	if (!it->field) {
		for (size_t i = 0; i < s->ev->n; i++)
			if (s->ev->fields[i].type == EV_STRING && value_match(s, v, &s->ev->fields[i]))
				return 1;
		return 0;
	}
	f = sigma_field(s, it->field, it->flen, it->hash);
	if (v->op == V_EXISTS)
		return (f != NULL) == v->want;
	if (v->op == V_NULL) {
		if (!f)
			return 1;
		for (; f; f = field_next(s, f))
			if (f->type == EV_NULL)
				return 1;
		return 0;
	}
	for (; f; f = field_next(s, f))
		if (value_match(s, v, f))
			return 1;
	return 0;
}

static int item_match(struct sigma_scratch *s, const struct sitem *it)
{
	int r = it->all ? 1 : 0;

	for (size_t i = 0; i < it->nvals; i++) {
		int m = item_value(s, it, &it->vals[i]);
		if (it->all && !m) {
			r = 0;
			break;
		}
		if (!it->all && m) {
			r = 1;
			break;
		}
	}
	return it->neq ? !r : r;
}

static int sel_match(struct sigma_scratch *s, const struct ssel *sel)
{
	for (size_t g = 0; g < sel->ngroups; g++) {
		const struct sgroup *gr = &sel->groups[g];
		size_t i;

		for (i = 0; i < gr->nitems; i++)
			if (!item_match(s, &gr->items[i]))
				break;
		if (i == gr->nitems)
			return 1;
	}
	return 0;
}

static int cond_eval(struct sigma_scratch *s, const struct sdetect *d, const struct cnode *c)
{
	size_t hits = 0;

	switch (c->kind) {
	case C_SEL:
		return sel_match(s, &d->sels[c->sel]);
	case C_NOT:
		return !cond_eval(s, d, c->kids[0]);
	case C_AND:
		for (size_t i = 0; i < c->n; i++)
			if (!cond_eval(s, d, c->kids[i]))
				return 0;
		return 1;
	case C_OR:
		for (size_t i = 0; i < c->n; i++)
			if (cond_eval(s, d, c->kids[i]))
				return 1;
		return 0;
	case C_NOF:
		for (size_t i = 0; i < c->n; i++) {
			if (c->n - i + hits < c->need)
				return 0;
			if (cond_eval(s, d, c->kids[i]) && ++hits >= c->need)
				return 1;
		}
		return hits >= c->need;
	}
	return 0;
}

int sigma_eval_detect(struct sigma_scratch *s, const struct sdetect *d)
{
	return d->cond ? cond_eval(s, d, d->cond) : 0;
}
