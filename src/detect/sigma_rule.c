/*
 * sigma_rule.c: turns one YAML document into a rule: its metadata, its
 * logsource, its selections with every value compiled after its modifiers
 * (wildcards and escapes, contains/startswith/endswith, windash, the
 * encodings, re, cidr, numbers, time parts, exists, fieldref, expand), its
 * condition, and for filters and correlation rules what they add. A rule
 * that cannot be evaluated comes back with the reason.
 */
#include "detect/sigma_int.h"

#include "detect/event.h"
#include "util/buf.h"
#include "util/err.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_EXPANSIONS 256

struct rbuild {
	struct sigma_ruleset *rs;
	struct arena *a;
	char *reason;
	size_t rsize;
	int failed;
};

static int reject(struct rbuild *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int reject(struct rbuild *b, const char *fmt, ...)
{
	va_list ap;

	if (!b->failed) {
		va_start(ap, fmt);
		vsnprintf(b->reason, b->rsize, fmt, ap);
		va_end(ap);
		b->failed = 1;
	}
	return 1;   /* rejected (distinct from the negative ERR_* codes) */
}

static const char *scalar(const struct ynode *n)
{
	return n && n->kind == Y_SCALAR && !ynode_is_null(n) ? n->s : NULL;
}

/*
 * A copy in the rule set's arena: the YAML tree is freed after its file, so
 * whatever a rule keeps is copied (NULL stays NULL).
 */
static const char *keep(struct rbuild *b, const char *s)
{
	return s ? arena_strndup(b->a, s, strlen(s)) : NULL;
}

/* Modifiers of one field, in the order written. */
enum pos { P_EXACT, P_CONTAINS, P_STARTS, P_ENDS };
enum xform { X_BASE64, X_BASE64OFF, X_UTF16LE, X_UTF16BE, X_UTF16 };
struct mods {
	enum pos pos;
	int all, windash, re, re_flags, cidr, exists, cased, fieldref, neq, expand;
	int num;                 /* a numeric comparison was given */
	enum numop nop;
	enum timeunit unit;
	enum xform xf[8];
	int nxf;
};

static int parse_mods(struct rbuild *b, const char *spec, struct mods *m)
{
	char name[64];
	const char *p = spec;

	memset(m, 0, sizeof(*m));
	while (*p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		if (n >= sizeof(name))
			return reject(b, "unknown modifier '%.*s'", (int)(n > 40 ? 40 : n), p);
		memcpy(name, p, n);
		name[n] = '\0';
		p += n + (bar ? 1 : 0);
		if (!strcmp(name, "contains"))
			m->pos = P_CONTAINS;
		else if (!strcmp(name, "startswith"))
			m->pos = P_STARTS;
		else if (!strcmp(name, "endswith"))
			m->pos = P_ENDS;
		else if (!strcmp(name, "all"))
			m->all = 1;
		else if (!strcmp(name, "windash"))
			m->windash = 1;
		else if (!strcmp(name, "re"))
			m->re = 1;
		else if (m->re && (!strcmp(name, "i") || !strcmp(name, "m") || !strcmp(name, "s")))
			m->re_flags |= name[0] == 'i' ? PCRE2_CASELESS
				     : name[0] == 'm' ? PCRE2_MULTILINE : PCRE2_DOTALL;
		else if (!strcmp(name, "cidr"))
			m->cidr = 1;
		else if (!strcmp(name, "exists"))
			m->exists = 1;
		else if (!strcmp(name, "cased"))
			m->cased = 1;
		else if (!strcmp(name, "fieldref"))
			m->fieldref = 1;
		else if (!strcmp(name, "neq"))
			m->neq = 1;
		else if (!strcmp(name, "expand"))
			m->expand = 1;
		else if (!strcmp(name, "lt") || !strcmp(name, "lte") || !strcmp(name, "gt") ||
			 !strcmp(name, "gte")) {
			m->num = 1;
			m->nop = name[0] == 'l' ? (name[2] ? N_LTE : N_LT) : (name[2] ? N_GTE : N_GT);
		} else if (!strcmp(name, "minute") || !strcmp(name, "hour") || !strcmp(name, "day") ||
			   !strcmp(name, "week") || !strcmp(name, "month") || !strcmp(name, "year")) {
			m->unit = name[0] == 'm' ? (name[1] == 'i' ? TU_MINUTE : TU_MONTH)
				: name[0] == 'h' ? TU_HOUR : name[0] == 'd' ? TU_DAY
				: name[0] == 'w' ? TU_WEEK : TU_YEAR;
		} else if (m->nxf < 8 && !strcmp(name, "base64"))
			m->xf[m->nxf++] = X_BASE64;
		else if (m->nxf < 8 && !strcmp(name, "base64offset"))
			m->xf[m->nxf++] = X_BASE64OFF;
		else if (m->nxf < 8 && (!strcmp(name, "wide") || !strcmp(name, "utf16le")))
			m->xf[m->nxf++] = X_UTF16LE;
		else if (m->nxf < 8 && !strcmp(name, "utf16be"))
			m->xf[m->nxf++] = X_UTF16BE;
		else if (m->nxf < 8 && !strcmp(name, "utf16"))
			m->xf[m->nxf++] = X_UTF16;
		else
			return reject(b, "unknown modifier '%s'", name);
	}
	return 0;
}

/* The escape rules: \* \? \\ are literal; any other backslash is itself. */
static void unescape(const char *s, size_t n, struct buf *lit, struct tok *toks, size_t *ntok,
		     size_t *offs)
{
	/* Tokens refer to offsets in lit (filled later, as lit may move). */
	size_t i = 0;

	*ntok = 0;
	while (i < n) {
		char c = s[i];

		if (c == '\\' && i + 1 < n && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
			c = s[i + 1];
			i += 2;
		} else if (c == '*' || c == '?') {
			if (toks) {
				toks[*ntok].kind = c == '*' ? T_STAR : T_ONE;
				offs[*ntok] = lit->len;
				(*ntok)++;
			}
			i++;
			continue;
		} else {
			i++;
		}
		if (toks && (*ntok == 0 || toks[*ntok - 1].kind != T_LIT)) {
			toks[*ntok].kind = T_LIT;
			offs[*ntok] = lit->len;
			toks[*ntok].len = 0;
			(*ntok)++;
		}
		buf_addch(lit, c);
		if (toks)
			toks[*ntok - 1].len++;
	}
}

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(const unsigned char *s, size_t n, struct buf *out)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		buf_addch(out, b64chars[v >> 18]);
		buf_addch(out, b64chars[(v >> 12) & 63]);
		buf_addch(out, b64chars[(v >> 6) & 63]);
		buf_addch(out, b64chars[v & 63]);
	}
	if (i < n) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0);
		buf_addch(out, b64chars[v >> 18]);
		buf_addch(out, b64chars[(v >> 12) & 63]);
		buf_addch(out, i + 1 < n ? b64chars[(v >> 6) & 63] : '=');
		buf_addch(out, '=');
	}
}

/* UTF-8 to UTF-16 code units (invalid bytes become U+FFFD). */
static void utf16(const unsigned char *s, size_t n, int be, int bom, struct buf *out)
{
	size_t i = 0;

	if (bom) {
		buf_addch(out, be ? (char)0xfe : (char)0xff);
		buf_addch(out, be ? (char)0xff : (char)0xfe);
	}
	while (i < n) {
		unsigned long cp = s[i];
		size_t k = cp < 0x80 ? 1 : cp >= 0xf0 ? 4 : cp >= 0xe0 ? 3 : cp >= 0xc0 ? 2 : 0;
		unsigned u[2];
		int nu = 1;

		if (k == 0 || i + k > n) {
			cp = 0xfffd;
			k = 1;
		} else if (k > 1) {
			cp &= 0x3f >> (k - 1);
			for (size_t j = 1; j < k; j++)
				cp = cp << 6 | (s[i + j] & 0x3f);
		}
		i += k;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			u[0] = 0xd800 | (unsigned)(cp >> 10);
			u[1] = 0xdc00 | (unsigned)(cp & 0x3ff);
			nu = 2;
		} else {
			u[0] = (unsigned)cp;
		}
		for (int j = 0; j < nu; j++) {
			buf_addch(out, (char)(be ? u[j] >> 8 : u[j] & 0xff));
			buf_addch(out, (char)(be ? u[j] & 0xff : u[j] >> 8));
		}
	}
}

/* Apply the encodings in order; base64offset makes three variants. */
static int encode_all(struct rbuild *b, const struct mods *m, const char *s, size_t n,
		      struct buf *outs, size_t *nout)
{
	struct buf cur[3] = { BUF_INIT, BUF_INIT, BUF_INIT };
	size_t nc = 1;

	buf_add(&cur[0], s, n);
	for (int x = 0; x < m->nxf; x++) {
		struct buf next[3] = { BUF_INIT, BUF_INIT, BUF_INIT };
		size_t nn = 0;

		for (size_t v = 0; v < nc; v++) {
			const unsigned char *p = (const unsigned char *)cur[v].data;
			size_t len = cur[v].len;

			switch (m->xf[x]) {
			case X_BASE64:
				base64(p, len, &next[nn++]);
				break;
			case X_UTF16LE:
			case X_UTF16BE:
			case X_UTF16:
				utf16(p, len, m->xf[x] == X_UTF16BE, m->xf[x] == X_UTF16, &next[nn++]);
				break;
			case X_BASE64OFF:
				for (size_t i = 0; i < 3 && nn < 3; i++) {
					static const size_t start[3] = { 0, 2, 3 };
					static const size_t endcut[3] = { 0, 3, 2 };
					struct buf t = BUF_INIT;
					size_t cut;

					for (size_t z = 0; z < i; z++)
						buf_addch(&t, ' ');
					buf_add(&t, p, len);
					buf_reset(&next[nn]);
					base64((const unsigned char *)t.data, t.len, &next[nn]);
					buf_release(&t);
					cut = endcut[(len + i) % 3];
					if (next[nn].len < start[i] + cut) {
						buf_truncate(&next[nn], 0);
					} else {
						size_t keep = next[nn].len - start[i] - cut;
						memmove(next[nn].data, next[nn].data + start[i], keep);
						buf_truncate(&next[nn], keep);
					}
					nn++;
				}
				break;
			}
		}
		for (size_t v = 0; v < 3; v++)
			buf_release(&cur[v]);
		memcpy(cur, next, sizeof(cur));
		nc = nn;
	}
	for (size_t v = 0; v < nc; v++) {
		if (buf_error(&cur[v])) {
			for (size_t w = 0; w < 3; w++)
				buf_release(&cur[w]);
			return reject(b, "out of memory");
		}
		outs[v] = cur[v];
	}
	for (size_t v = nc; v < 3; v++)
		buf_release(&cur[v]);
	*nout = nc;
	return 0;
}

static int is_dash(const char *s, size_t n, size_t *len)
{
	if (n >= 1 && (s[0] == '-' || s[0] == '/')) {
		*len = 1;
		return 1;
	}
	/* U+2013 en dash, U+2014 em dash, U+2015 horizontal bar */
	if (n >= 3 && (unsigned char)s[0] == 0xe2 && (unsigned char)s[1] == 0x80 &&
	    (unsigned char)s[2] >= 0x93 && (unsigned char)s[2] <= 0x95) {
		*len = 3;
		return 1;
	}
	return 0;
}

/*
 * Compile one string (escapes already known by `escaped`) into sv: the
 * wildcard tokens, the position modifier, windash, then folding.
 */
static int compile_string(struct rbuild *b, const struct mods *m, const char *s, size_t n,
			  int wildcards, int keyword, struct sval *sv)
{
	struct arena *a = b->a;
	struct buf lit = BUF_INIT;
	size_t cap = 2 * n + 4, nt = 0, *offs;
	struct tok *t;
	enum pos pos = m->pos;

	t = calloc(cap, sizeof(*t));
	offs = calloc(cap, sizeof(*offs));
	if (!t || !offs) {
		free(t);
		free(offs);
		return reject(b, "out of memory");
	}
	if (keyword && pos == P_EXACT)
		pos = P_CONTAINS;
	if (pos == P_CONTAINS || pos == P_ENDS)
		t[nt++].kind = T_STAR;
	if (wildcards) {
		size_t k;
		unescape(s, n, &lit, t + nt, &k, offs + nt);
		nt += k;
	} else if (n) {
		t[nt].kind = T_LIT;
		t[nt].len = n;
		offs[nt++] = 0;
		buf_add(&lit, s, n);
	}
	if (pos == P_CONTAINS || pos == P_STARTS)
		t[nt++].kind = T_STAR;
	if (m->windash) {
		/* Split literals at each dash that starts a word into T_DASH tokens. */
		struct tok *t2 = calloc(cap + 2 * n + 4, sizeof(*t2));
		size_t *o2 = calloc(cap + 2 * n + 4, sizeof(*o2)), n2 = 0;

		if (!t2 || !o2) {
			free(t2);
			free(o2);
			free(t);
			free(offs);
			buf_release(&lit);
			return reject(b, "out of memory");
		}
		for (size_t i = 0; i < nt; i++) {
			size_t start, j, dl;
			if (t[i].kind != T_LIT) {
				t2[n2] = t[i];
				o2[n2++] = offs[i];
				continue;
			}
			start = 0;
			for (j = 0; j < t[i].len; j++) {
				const char *p = lit.data + offs[i] + j;
				int word_start = offs[i] + j == 0 ||
					isspace((unsigned char)p[-1]) || p[-1] == '"' || p[-1] == '\'';
				if (!word_start || !is_dash(p, t[i].len - j, &dl))
					continue;
				if (j > start) {
					t2[n2].kind = T_LIT;
					t2[n2].len = j - start;
					o2[n2++] = offs[i] + start;
				}
				t2[n2++].kind = T_DASH;
				j += dl - 1;
				start = j + 1;
			}
			if (j > start) {
				t2[n2].kind = T_LIT;
				t2[n2].len = j - start;
				o2[n2++] = offs[i] + start;
			}
		}
		free(t);
		free(offs);
		t = t2;
		offs = o2;
		nt = n2;
	}
	if (buf_error(&lit)) {
		free(t);
		free(offs);
		buf_release(&lit);
		return reject(b, "out of memory");
	}
	/* Fold the literal text once (unless cased) and point tokens into it. */
	{
		char *text = arena_alloc(a, 4 * lit.len + 1);
		size_t flen = 0;
		struct tok *at;

		if (!text)
			goto oom;
		at = arena_alloc(a, (nt ? nt : 1) * sizeof(*at));
		if (!at)
			goto oom;
		for (size_t i = 0; i < nt; i++) {
			at[i] = t[i];
			if (t[i].kind != T_LIT)
				continue;
			at[i].s = text + flen;
			if (m->cased) {
				memcpy(text + flen, lit.data + offs[i], t[i].len);
				at[i].len = t[i].len;
			} else {
				at[i].len = sigma_fold_into(lit.data + offs[i], t[i].len, text + flen);
			}
			flen += at[i].len;
		}
		sv->cased = m->cased;
		sv->toks = at;
		sv->ntoks = nt;
		/* The fast forms: one literal, with a star at neither, one or both ends. */
		{
			size_t lo = 0, hi = nt, nlit = 0;
			int lstar = nt && at[0].kind == T_STAR, rstar = nt > 1 && at[nt - 1].kind == T_STAR;

			lo += lstar;
			hi -= rstar;
			for (size_t i = lo; i < hi; i++)
				nlit += at[i].kind == T_LIT;
			if (hi - lo <= 1 && nlit == hi - lo) {
				sv->pat = hi > lo ? at[lo].s : "";
				sv->plen = hi > lo ? at[lo].len : 0;
				sv->op = lstar && rstar ? V_CONTAINS : lstar ? V_ENDS : rstar ? V_STARTS : V_EQ;
				if (nt == 1 && lstar) /* a lone '*' */
					sv->op = V_CONTAINS;
			} else {
				sv->op = V_GLOB;
			}
		}
	}
	free(t);
	free(offs);
	buf_release(&lit);
	return 0;
oom:
	free(t);
	free(offs);
	buf_release(&lit);
	return reject(b, "out of memory");
}

static int parse_number(const char *s, double *out)
{
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	return errno || *end || isnan(*out) ? -1 : 0;
}

static int parse_cidr(const char *s, struct sval *sv)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	long bits;
	char *end;

	if (n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	memset(sv->net, 0, sizeof(sv->net));
	if (inet_pton(AF_INET, addr, sv->net) == 1)
		sv->v6 = 0;
	else if (inet_pton(AF_INET6, addr, sv->net) == 1)
		sv->v6 = 1;
	else
		return -1;
	bits = sv->v6 ? 128 : 32;
	if (slash) {
		bits = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || bits < 0 || bits > (sv->v6 ? 128 : 32))
			return -1;
	}
	sv->bits = (int)bits;
	sv->op = V_CIDR;
	return 0;
}

static int add_regex(struct sigma_ruleset *rs, void *code)
{
	if (rs->nregex == rs->capregex) {
		size_t cap = rs->capregex ? rs->capregex * 2 : 64;
		void **r = realloc(rs->regexes, cap * sizeof(*r));
		if (!r)
			return -1;
		rs->regexes = r;
		rs->capregex = cap;
	}
	rs->regexes[rs->nregex++] = code;
	return 0;
}

static const struct placeholder *find_placeholder(const struct sigma_ruleset *rs, const char *s,
						  size_t n)
{
	for (const struct placeholder *p = rs->placeholders; p; p = p->next)
		if (strlen(p->name) == n && !strncmp(p->name, s, n))
			return p;
	return NULL;
}

/* Expand %name% placeholders into every combination of their values. */
static int expand(struct rbuild *b, const char *s, struct buf *outs, size_t *nout, size_t max)
{
	const char *pct = strchr(s, '%'), *end;
	const struct placeholder *ph;

	if (!pct || !(end = strchr(pct + 1, '%'))) {
		if (*nout >= max)
			return reject(b, "placeholder expansion too large");
		buf_init(&outs[*nout], 0);
		buf_adds(&outs[(*nout)++], s);
		return 0;
	}
	ph = find_placeholder(b->rs, pct + 1, (size_t)(end - pct - 1));
	if (!ph)
		return reject(b, "unknown placeholder '%.*s'", (int)(end - pct + 1), pct);
	for (size_t i = 0; i < ph->n; i++) {
		struct buf pre = BUF_INIT;
		size_t first = *nout;
		int rc;

		rc = expand(b, end + 1, outs, nout, max);
		if (rc)
			return rc;
		buf_add(&pre, s, (size_t)(pct - s));
		buf_adds(&pre, ph->values[i]);
		for (size_t k = first; k < *nout; k++) {
			struct buf t = BUF_INIT;
			buf_add(&t, pre.data, pre.len);
			buf_add(&t, outs[k].data, outs[k].len);
			buf_release(&outs[k]);
			outs[k] = t;
		}
		buf_release(&pre);
	}
	return 0;
}

/* Compile the values of one field into it->vals. */
static int compile_item(struct rbuild *b, const char *key, const struct ynode *val,
			struct sitem *it)
{
	struct arena *a = b->a;
	struct mods m;
	const char *bar = key ? strchr(key, '|') : NULL;
	const struct ynode *const *vals;
	const struct ynode *one = val;
	size_t nv, cap, k = 0;

	if (parse_mods(b, bar ? bar + 1 : "", &m))
		return 1;
	if (key && bar != key) {
		size_t fl = bar ? (size_t)(bar - key) : strlen(key);
		it->field = arena_strndup(a, key, fl);
		it->flen = fl;
		it->hash = event_name_hash(key, fl);
		if (!it->field)
			return reject(b, "out of memory");
	}
	it->all = m.all;
	it->neq = m.neq;
	if (val->kind == Y_SEQ) {
		vals = (const struct ynode *const *)val->kids;
		nv = val->n;
	} else if (val->kind == Y_SCALAR) {
		vals = &one;
		nv = 1;
	} else {
		return reject(b, "field '%s': a value must be a scalar or a list", key ? key : "");
	}
	if (nv == 0)
		return reject(b, "field '%s': empty list of values", key ? key : "");
	cap = nv * 3 * (m.expand ? MAX_EXPANSIONS : 1);
	it->vals = arena_alloc(a, cap * sizeof(*it->vals));
	if (!it->vals)
		return reject(b, "out of memory");
	for (size_t i = 0; i < nv; i++) {
		const struct ynode *v = vals[i];
		struct sval *sv = &it->vals[k];
		const char *s;

		if (v->kind != Y_SCALAR)
			return reject(b, "field '%s': nested values are not allowed", key ? key : "");
		if (m.exists) {
			if (!v->plain || (strcasecmp(v->s, "true") && strcasecmp(v->s, "false")))
				return reject(b, "field '%s': exists takes true or false", key ? key : "");
			sv->op = V_EXISTS;
			sv->want = !strcasecmp(v->s, "true");
			k++;
			continue;
		}
		if (ynode_is_null(v)) {
			if (!it->field)
				return reject(b, "a keyword cannot be null");
			sv->op = V_NULL;
			k++;
			continue;
		}
		s = v->s;
		if (m.re) {
			int ec;
			PCRE2_SIZE eo;
			pcre2_code *re = pcre2_compile((PCRE2_SPTR)s, v->len,
						       (uint32_t)m.re_flags | PCRE2_UTF |
						       PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
			if (!re) {
				char msg[120];
				pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof(msg));
				return reject(b, "invalid regular expression '%.60s': %s", s, msg);
			}
			if (add_regex(b->rs, re)) {
				pcre2_code_free(re);
				return reject(b, "out of memory");
			}
			pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
			sv->op = V_RE;
			sv->re = re;
			k++;
			continue;
		}
		if (m.cidr) {
			if (parse_cidr(s, sv))
				return reject(b, "invalid cidr '%.60s'", s);
			k++;
			continue;
		}
		if (m.unit || m.num) {
			if (parse_number(s, &sv->num))
				return reject(b, "field '%s': '%.40s' is not a number", key ? key : "", s);
			sv->op = m.unit ? V_TIME : V_NUM;
			sv->unit = m.unit;
			sv->nop = m.num ? m.nop : N_EQ;
			k++;
			continue;
		}
		if (m.fieldref) {
			if (!it->field)
				return reject(b, "fieldref needs a field");
			sv->op = V_FIELDREF;
			sv->refop = m.pos == P_CONTAINS ? V_CONTAINS : m.pos == P_STARTS ? V_STARTS
				  : m.pos == P_ENDS ? V_ENDS : V_EQ;
			sv->cased = m.cased;
			sv->ref = arena_strndup(a, s, v->len);
			sv->reflen = v->len;
			sv->refhash = event_name_hash(s, v->len);
			if (!sv->ref)
				return reject(b, "out of memory");
			k++;
			continue;
		}
		{
			struct buf ex[MAX_EXPANSIONS];
			size_t nex = 0;

			if (m.expand) {
				if (expand(b, s, ex, &nex, MAX_EXPANSIONS)) {
					for (size_t z = 0; z < nex; z++)
						buf_release(&ex[z]);
					return 1;
				}
			} else {
				buf_init(&ex[0], 0);
				buf_add(&ex[0], s, v->len);
				nex = 1;
			}
			for (size_t z = 0; z < nex; z++) {
				int rc = 0;

				if (m.nxf) {
					struct buf enc[3];
					size_t ne = 0;
					struct buf lit = BUF_INIT;
					size_t nt;

					/* The encodings work on the text after the escapes. */
					unescape(ex[z].data, ex[z].len, &lit, NULL, &nt, NULL);
					rc = encode_all(b, &m, lit.data, lit.len, enc, &ne);
					buf_release(&lit);
					for (size_t w = 0; w < ne; w++) {
						if (!rc && k < cap)
							rc = compile_string(b, &m, enc[w].data, enc[w].len, 0,
									    !it->field, &it->vals[k++]);
						buf_release(&enc[w]);
					}
				} else if (k < cap) {
					rc = compile_string(b, &m, ex[z].data, ex[z].len, 1, !it->field,
							    &it->vals[k++]);
				}
				if (rc) {
					for (; z < nex; z++)
						buf_release(&ex[z]);
					return 1;
				}
				buf_release(&ex[z]);
			}
		}
	}
	it->nvals = k;
	if (k == 0)
		return reject(b, "field '%s': no values", key ? key : "");
	return 0;
}

/* A map of fields: one AND group. */
static int compile_group(struct rbuild *b, const struct ynode *map, struct sgroup *g)
{
	g->nitems = map->n;
	g->items = arena_alloc(b->a, (map->n ? map->n : 1) * sizeof(*g->items));
	if (!g->items)
		return reject(b, "out of memory");
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->kids[2 * i];
		if (k->kind != Y_SCALAR)
			return reject(b, "line %d: a field name must be text", k->line);
		if (compile_item(b, k->s, map->kids[2 * i + 1], &g->items[i]))
			return 1;
	}
	return 0;
}

static int compile_selection(struct rbuild *b, const char *name, const struct ynode *v,
			     struct ssel *sel)
{
	struct arena *a = b->a;
	size_t nscalar = 0;

	sel->name = keep(b, name);
	if (!sel->name)
		return reject(b, "out of memory");
	if (ynode_is_null(v))
		return reject(b, "selection '%s' is empty", name);
	if (v->kind == Y_MAP) {
		sel->groups = arena_alloc(a, sizeof(*sel->groups));
		sel->ngroups = 1;
		return sel->groups ? compile_group(b, v, sel->groups) : reject(b, "out of memory");
	}
	if (v->kind == Y_SCALAR) {
		sel->groups = arena_alloc(a, sizeof(*sel->groups));
		if (!sel->groups || !(sel->groups->items = arena_alloc(a, sizeof(struct sitem))))
			return reject(b, "out of memory");
		sel->ngroups = 1;
		sel->groups->nitems = 1;
		return compile_item(b, NULL, v, sel->groups->items);
	}
	/* A list: maps are alternatives; scalars together are one keyword list. */
	if (v->n == 0)
		return reject(b, "selection '%s' is empty", name);
	sel->groups = arena_alloc(a, (v->n + 1) * sizeof(*sel->groups));
	if (!sel->groups)
		return reject(b, "out of memory");
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *e = v->kids[i];
		if (e->kind == Y_MAP) {
			if (compile_group(b, e, &sel->groups[sel->ngroups++]))
				return 1;
		} else if (e->kind == Y_SCALAR) {
			nscalar++;
		} else {
			return reject(b, "selection '%s': nested lists are not allowed", name);
		}
	}
	if (nscalar) {
		struct ynode *kw = arena_alloc(a, sizeof(*kw));
		struct sgroup *g = &sel->groups[sel->ngroups++];

		if (!kw || !(kw->kids = arena_alloc(a, nscalar * sizeof(*kw->kids))) ||
		    !(g->items = arena_alloc(a, sizeof(*g->items))))
			return reject(b, "out of memory");
		kw->kind = Y_SEQ;
		for (size_t i = 0; i < v->n; i++)
			if (v->kids[i]->kind == Y_SCALAR)
				kw->kids[kw->n++] = v->kids[i];
		g->nitems = 1;
		return compile_item(b, NULL, kw, g->items);
	}
	return 0;
}

/* The detection block: selections, then the condition (or a list of them, OR'ed). */
static int compile_detection(struct rbuild *b, const struct ynode *det, const char *skip,
			     struct sdetect *d)
{
	struct arena *a = b->a;
	const struct ynode *cond;
	struct buf text = BUF_INIT;
	int rc;

	if (!det || det->kind != Y_MAP)
		return reject(b, "missing detection");
	cond = ynode_get(det, "condition");
	if (!cond || ynode_is_null(cond))
		return reject(b, "missing condition");
	d->sels = arena_alloc(a, (det->n ? det->n : 1) * sizeof(*d->sels));
	if (!d->sels)
		return reject(b, "out of memory");
	for (size_t i = 0; i < det->n; i++) {
		const struct ynode *k = det->kids[2 * i];
		if (k->kind != Y_SCALAR || !strcmp(k->s, "condition") || !strcmp(k->s, "timeframe") ||
		    (skip && !strcmp(k->s, skip)))
			continue;
		if (compile_selection(b, k->s, det->kids[2 * i + 1], &d->sels[d->nsels]))
			return 1;
		d->nsels++;
	}
	if (cond->kind == Y_SCALAR) {
		buf_adds(&text, cond->s);
	} else if (cond->kind == Y_SEQ && cond->n) {
		for (size_t i = 0; i < cond->n; i++) {
			if (cond->kids[i]->kind != Y_SCALAR) {
				buf_release(&text);
				return reject(b, "condition: a list of conditions must hold text");
			}
			buf_addf(&text, "%s(%s)", i ? " or " : "", cond->kids[i]->s);
		}
	} else {
		return reject(b, "condition must be text or a list");
	}
	if (buf_error(&text)) {
		buf_release(&text);
		return reject(b, "out of memory");
	}
	rc = sigma_cond_parse(a, text.data, d->sels, d->nsels, &d->cond, b->reason, b->rsize);
	buf_release(&text);
	if (rc)
		b->failed = 1;
	return rc ? 1 : 0;
}

static const char **string_list(struct rbuild *b, const struct ynode *n, size_t *count)
{
	const char **v;
	size_t k = 0;

	*count = 0;
	if (!n || ynode_is_null(n))
		return NULL;
	v = arena_alloc(b->a, ((n->kind == Y_SEQ ? n->n : 1) + 1) * sizeof(*v));
	if (!v)
		return NULL;
	if (n->kind == Y_SCALAR) {
		v[k++] = keep(b, n->s);
	} else if (n->kind == Y_SEQ) {
		for (size_t i = 0; i < n->n; i++)
			if (scalar(n->kids[i]))
				v[k++] = keep(b, n->kids[i]->s);
	}
	*count = k;
	return v;
}

static int parse_timespan(const char *s, long long *out)
{
	char *end;
	long long v;

	if (!s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (*end) {
	case 's': break;
	case 'm': v *= 60; break;
	case 'h': v *= 3600; break;
	case 'd': v *= 86400; break;
	case 'w': v *= 7 * 86400; break;
	case 'M': v *= 30 * 86400; break;
	case 'y': v *= 365 * 86400; break;
	default: return -1;
	}
	*out = v;
	return 0;
}

static int upper_only(enum numop op)
{
	return op == N_LT || op == N_LTE;
}

static int compile_correlation(struct rbuild *b, const struct ynode *c, struct sigma_rule *r)
{
	static const char *const types[] = { "event_count", "value_count", "temporal",
		"temporal_ordered", "value_sum", "value_avg", "value_percentile" };
	struct scorr *k = arena_alloc(b->a, sizeof(*k));
	const char *type = scalar(ynode_get(c, "type"));
	const struct ynode *cond = ynode_get(c, "condition"), *al = ynode_get(c, "aliases");
	size_t t;

	if (!k)
		return reject(b, "out of memory");
	if (c->kind != Y_MAP)
		return reject(b, "correlation must be a map");
	if (!type)
		return reject(b, "correlation: missing type");
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
		if (!strcmp(type, types[t]))
			break;
	if (t == sizeof(types) / sizeof(types[0]))
		return reject(b, "correlation: unknown type '%.40s'", type);
	k->type = (enum corr_type)t;
	if (k->type == CT_VALUE_PERCENTILE)
		return reject(b, "correlation: value_percentile is not evaluated (not in the Sigma "
			      "correlation specification 2.0, which leaves its meaning open)");
	k->rules = string_list(b, ynode_get(c, "rules"), &k->nrules);
	if (!k->nrules)
		return reject(b, "correlation: missing rules");
	k->group_by = string_list(b, ynode_get(c, "group-by"), &k->ngroup);
	if (parse_timespan(scalar(ynode_get(c, "timespan")), &k->timespan))
		return reject(b, "correlation: missing or bad timespan");
	if (cond && cond->kind == Y_MAP) {
		int nops = 0;
		for (size_t i = 0; i < cond->n; i++) {
			const char *key = cond->kids[2 * i]->s, *v = scalar(cond->kids[2 * i + 1]);
			enum numop op;
			double num;

			if (!strcmp(key, "field")) {
				k->field = keep(b, v);
				continue;
			}
			if (!strcmp(key, "gt")) op = N_GT;
			else if (!strcmp(key, "gte")) op = N_GTE;
			else if (!strcmp(key, "lt")) op = N_LT;
			else if (!strcmp(key, "lte")) op = N_LTE;
			else if (!strcmp(key, "eq")) op = N_EQ;
			else
				return reject(b, "correlation: unknown condition '%.40s'", key);
			if (parse_number(v, &num))
				return reject(b, "correlation: condition '%s' needs a number", key);
			if (nops == 0) {
				k->cop = op;
				k->cval = num;
			} else {
				k->cop2 = op;
				k->cval2 = num;
				k->has2 = 1;
			}
			nops++;
		}
		if (!nops)
			return reject(b, "correlation: condition needs gt, gte, lt, lte or eq");
		/*
		 * An upper bound on a count or sum that only grows is decided when
		 * the window closes (see sigma.h); an average is compared on each match.
		 */
		if (upper_only(k->cop) || (k->has2 && upper_only(k->cop2))) {
			if (k->type == CT_EVENT_COUNT || k->type == CT_VALUE_COUNT ||
			    k->type == CT_VALUE_SUM || k->type == CT_TEMPORAL)
				k->deferred = 1;
			else if (k->type != CT_VALUE_AVG && upper_only(k->cop) &&
				 (!k->has2 || upper_only(k->cop2)))
				/* How far an ordered chain got has no meaning once the window is over. */
				return reject(b, "correlation: %s with only lt/lte (at most N rules "
					      "seen) is not evaluated; give gt, gte or eq", types[t]);
		}
	} else if (k->type == CT_TEMPORAL || k->type == CT_TEMPORAL_ORDERED) {
		k->cop = N_GTE;   /* all referenced rules */
		k->cval = (double)k->nrules;
	} else {
		return reject(b, "correlation: missing condition");
	}
	if (k->type != CT_EVENT_COUNT && k->type != CT_TEMPORAL &&
	    k->type != CT_TEMPORAL_ORDERED && !k->field)
		return reject(b, "correlation: %s needs condition field", types[t]);
	if (al && al->kind == Y_MAP) {
		k->alias_names = arena_alloc(b->a, (al->n + 1) * sizeof(char *));
		if (!k->alias_names)
			return reject(b, "out of memory");
		k->aliases = arena_alloc(b->a, (al->n + 1) * sizeof(*k->aliases));
		if (!k->aliases)
			return reject(b, "out of memory");
		for (size_t i = 0; i < al->n; i++) {
			const struct ynode *m = al->kids[2 * i + 1];
			struct salias *sa = &k->aliases[i];

			if (m->kind != Y_MAP)
				return reject(b, "correlation: alias '%s' must map rules to fields",
					      al->kids[2 * i]->s);
			sa->name = keep(b, al->kids[2 * i]->s);
			sa->rules = arena_alloc(b->a, (m->n + 1) * sizeof(char *));
			sa->fields = arena_alloc(b->a, (m->n + 1) * sizeof(char *));
			if (!sa->rules || !sa->fields)
				return reject(b, "out of memory");
			for (size_t j = 0; j < m->n; j++) {
				const char *f = scalar(m->kids[2 * j + 1]);

				if (!f)
					return reject(b, "correlation: alias '%s' must map rules to fields",
						      sa->name);
				sa->rules[sa->n] = keep(b, m->kids[2 * j]->s);
				sa->fields[sa->n++] = keep(b, f);
			}
			k->alias_names[k->naliases++] = sa->name;
		}
	}
	{
		const char *g = scalar(ynode_get(c, "generate"));
		k->generate = g && !strcasecmp(g, "true");
	}
	r->corr = k;
	return 0;
}

int sigma_build_rule(struct sigma_ruleset *rs, const char *path, const struct ynode *doc,
		     struct sigma_rule **out, char *reason, size_t rsize)
{
	struct rbuild b = { rs, &rs->arena, reason, rsize, 0 };
	struct sigma_rule *r = arena_alloc(&rs->arena, sizeof(*r));
	const struct ynode *ls, *tags, *n;

	*out = r;
	reason[0] = '\0';
	if (!r)
		return ERR_NOMEM;
	r->path = path;
	if (doc->kind != Y_MAP)
		return reject(&b, "a rule must be a map");
	r->id = keep(&b, scalar(ynode_get(doc, "id")));
	r->name = keep(&b, scalar(ynode_get(doc, "name")));
	r->title = keep(&b, scalar(ynode_get(doc, "title")));
	r->level = keep(&b, scalar(ynode_get(doc, "level")));
	r->status = keep(&b, scalar(ynode_get(doc, "status")));
	ls = ynode_get(doc, "logsource");
	r->product = keep(&b, scalar(ynode_get(ls, "product")));
	r->category = keep(&b, scalar(ynode_get(ls, "category")));
	r->service = keep(&b, scalar(ynode_get(ls, "service")));
	tags = ynode_get(doc, "tags");
	{
		size_t nt;
		r->tags = string_list(&b, tags, &nt);
		if (!r->tags) {
			static const char *const none[] = { NULL };
			r->tags = (const char **)none;
		} else {
			r->tags[nt] = NULL;
		}
	}
	if (!r->title)
		r->title = "";
	if ((n = ynode_get(doc, "correlation")) != NULL) {
		r->kind = RK_CORRELATION;
		return compile_correlation(&b, n, r);
	}
	if ((n = ynode_get(doc, "filter")) != NULL) {
		r->kind = RK_FILTER;
		r->filter_rules = string_list(&b, ynode_get(n, "rules"), &r->nfilter_rules);
		return compile_detection(&b, n, "rules", &r->det);
	}
	r->kind = RK_DETECT;
	return compile_detection(&b, ynode_get(doc, "detection"), NULL, &r->det);
}
