/*
 * mail_parse.c: a raw message into struct mail_msg with GMime 3: headers
 * decoded here (RFC 2047 and 8-bit, through ICU converters because glibc's
 * iconv mangles NEC and Microsoft extensions of Japanese charsets), text and
 * HTML bodies reduced to text with their links, attachments hashed and
 * sniffed, and a forwarded report unwrapped to the attached original.
 * This is the only file that includes GMime and GLib.
 */
#include "mail/mail.h"
#include "util/err.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicode/ucnv.h>
#include <unicode/ustring.h>

/* ---- small string lists ---- */

void strv_add(struct strv *s, const char *str)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		char **nv = realloc(s->v, nc * sizeof(*nv));

		if (!nv)
			return;
		s->v = nv;
		s->cap = nc;
	}
	char *d = strdup(str ? str : "");
	if (d)
		s->v[s->n++] = d;
}

int strv_has(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return 1;
	return 0;
}

void strv_add_unique(struct strv *s, const char *str)
{
	if (!str || !*str || s->n >= MAIL_MAX_ITEMS || strv_has(s, str))
		return;
	strv_add(s, str);
}

void strv_release(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- charsets ---- */

/* ICU's name for a MIME charset label, or NULL when ICU should be asked as is. */
static const char *icu_name(const char *cs)
{
	static const struct { const char *label, *icu; } map[] = {
		{ "shift_jis", "windows-31j" }, { "shift-jis", "windows-31j" },
		{ "sjis", "windows-31j" }, { "x-sjis", "windows-31j" }, { "cp932", "windows-31j" },
		{ "ms932", "windows-31j" }, { "windows-31j", "windows-31j" },
		{ "iso-2022-jp", "ISO-2022-JP" }, { "csiso2022jp", "ISO-2022-JP" },
		{ "iso-2022-jp-ms", "ISO-2022-JP" }, { "iso-2022-jp-1", "ISO-2022-JP-1" },
		{ "iso-2022-jp-2", "ISO-2022-JP-2" }, { "iso-2022-jp-3", "ISO-2022-JP-2" },
		{ "euc-jp", "EUC-JP" }, { "x-euc-jp", "EUC-JP" }, { "eucjp-ms", "EUC-JP" },
		{ "us-ascii", "windows-1252" }, { "ascii", "windows-1252" },
		{ "iso-8859-1", "windows-1252" }, { "latin1", "windows-1252" },
		{ "ks_c_5601-1987", "windows-949" }, { "gb2312", "GBK" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(cs, map[i].label) == 0)
			return map[i].icu;
	return NULL;
}

static int utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		unsigned c = *p;
		size_t k;
		unsigned min;

		if (c < 0x80) { p++; continue; }
		if ((c & 0xe0) == 0xc0) { k = 1; c &= 0x1f; min = 0x80; }
		else if ((c & 0xf0) == 0xe0) { k = 2; c &= 0x0f; min = 0x800; }
		else if ((c & 0xf8) == 0xf0) { k = 3; c &= 0x07; min = 0x10000; }
		else return 0;
		if ((size_t)(end - p) <= k)
			return 0;
		for (size_t i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (p[i] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		p += k + 1;
	}
	return 1;
}

/*
 * Convert with ICU converter `name`; strict stops at the first invalid
 * sequence and returns -1 (nothing appended). Returns 0 on success.
 */
static int icu_convert(const char *name, const char *s, size_t n, int strict, struct buf *out)
{
	UErrorCode st = U_ZERO_ERROR;
	UConverter *cv = ucnv_open(name, &st);
	UChar *u = NULL;
	int32_t un, cap, need;
	int rc = -1;

	if (U_FAILURE(st) || n > INT32_MAX / 2 - 16)
		goto out;
	if (strict)
		ucnv_setToUCallBack(cv, UCNV_TO_U_CALLBACK_STOP, NULL, NULL, NULL, &st);
	cap = (int32_t)n * 2 + 16;
	u = malloc((size_t)cap * sizeof(*u));
	if (!u)
		goto out;
	un = ucnv_toUChars(cv, u, cap, s, (int32_t)n, &st);
	if (U_FAILURE(st))
		goto out;
	/* Unpaired surrogates (UTF-16 and UTF-7 text can carry them) become U+FFFD. */
	st = U_ZERO_ERROR;
	need = -1;
	u_strToUTF8WithSub(NULL, 0, &need, u, un, 0xFFFD, NULL, &st);
	if ((U_FAILURE(st) && st != U_BUFFER_OVERFLOW_ERROR) || need < 0)
		goto out;
	st = U_ZERO_ERROR;
	if (buf_grow(out, (size_t)need + 1))
		goto out;
	u_strToUTF8WithSub(out->data + out->len, need + 1, NULL, u, un, 0xFFFD, NULL, &st);
	if (U_FAILURE(st) && st != U_STRING_NOT_TERMINATED_WARNING)
		goto out;
	out->len += (size_t)need;
	out->data[out->len] = '\0';
	rc = 0;
out:
	free(u);
	if (cv)
		ucnv_close(cv);
	return rc;
}

void mail_to_utf8(const char *cs, const char *s, size_t n, struct buf *out)
{
	const char *name = NULL;
	int ascii = 1, esc = 0;

	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] >= 0x80)
			ascii = 0;
		if (s[i] == 0x1b && i + 1 < n && (s[i + 1] == '$' || s[i + 1] == '('))
			esc = 1;
	}
	if (esc && (!cs || !strncasecmp(cs, "iso-2022", 8) || ascii))
		name = "ISO-2022-JP";
	else if (ascii) {
		buf_add(out, s, n);
		return;
	} else if (cs && *cs && strcasecmp(cs, "utf-8") && strcasecmp(cs, "utf8"))
		name = icu_name(cs) ? icu_name(cs) : cs;
	/* Escape sequences say ISO-2022-JP; NEC row 13 (①) maps only as a fallback. */
	if (name && !strcmp(name, "ISO-2022-JP")) {
		/* ICU refuses an escape that switches mode with nothing in between
		 * (ESC ( B ESC $ B), which encoded words split across lines produce. */
		struct buf t;
		int ok;

		buf_init(&t, 0);
		for (size_t i = 0; i < n; i++) {
			if (s[i] == 0x1b && i + 3 < n && s[i + 3] == 0x1b && (s[i + 1] == '(' || s[i + 1] == '$')) {
				i += 2;
				continue;
			}
			buf_addch(&t, s[i]);
		}
		ok = !buf_error(&t) && icu_convert(name, t.data, t.len, 0, out) == 0;
		buf_release(&t);
		if (ok)
			return;
	}
	/* The declared charset first, then the chain that gets Japanese right. */
	if (name && icu_convert(name, s, n, 1, out) == 0)
		return;
	if (utf8_ok(s, n)) {
		buf_add(out, s, n);
		return;
	}
	if (icu_convert("windows-31j", s, n, 1, out) == 0 || icu_convert("EUC-JP", s, n, 1, out) == 0)
		return;
	if (name && icu_convert(name, s, n, 0, out) == 0)
		return;
	icu_convert("windows-1252", s, n, 0, out);
}

/* ---- RFC 2047 ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static void b64_decode(const char *s, size_t n, struct buf *out)
{
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i], v;

		if (c >= 'A' && c <= 'Z') v = c - 'A';
		else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
		else if (c >= '0' && c <= '9') v = c - '0' + 52;
		else if (c == '+') v = 62;
		else if (c == '/') v = 63;
		else continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addch(out, (char)((acc >> bits) & 0xff));
		}
	}
}

static void q_decode(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '_')
			buf_addch(out, ' ');
		else if (s[i] == '=' && i + 2 < n + 0 && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			buf_addch(out, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
			i += 2;
		} else
			buf_addch(out, s[i]);
	}
}

/* Parse an encoded word at s; on success fill its parts and return its length. */
static size_t encoded_word(const char *s, const char *end, char *cs, size_t cssz, char *enc,
			   const char **text, size_t *tlen)
{
	const char *p = s + 2, *q1, *q2, *e;

	if (end - s < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	q1 = memchr(p, '?', (size_t)(end - p));
	if (!q1 || q1 == p || (size_t)(q1 - p) >= cssz || q1 + 3 > end || q1[2] != '?')
		return 0;
	*enc = (char)toupper((unsigned char)q1[1]);
	if (*enc != 'B' && *enc != 'Q')
		return 0;
	q2 = q1 + 3;
	for (e = q2; e + 1 < end; e++) {
		if (e[0] == '?' && e[1] == '=')
			break;
		if (e[0] == ' ' || e[0] == '\n')
			return 0;
	}
	if (e + 1 >= end)
		return 0;
	memcpy(cs, p, (size_t)(q1 - p));
	cs[q1 - p] = '\0';
	char *star = strchr(cs, '*'); /* RFC 2231 language suffix */
	if (star)
		*star = '\0';
	*text = q2;
	*tlen = (size_t)(e - q2);
	return (size_t)(e + 2 - s);
}

char *mail_decode_header(const char *raw)
{
	struct buf out, pend, plain;
	char pend_cs[64] = "";
	const char *s = raw ? raw : "", *end;
	size_t n = strlen(s);

	if (n > MAIL_MAX_HEADER * 4)
		n = MAIL_MAX_HEADER * 4;
	end = s + n;
	buf_init(&out, 0);
	buf_init(&pend, 0);
	buf_init(&plain, 0);
	while (s < end) {
		char cs[64], enc;
		const char *text;
		size_t tlen, wl = encoded_word(s, end, cs, sizeof(cs), &enc, &text, &tlen);

		if (wl) {
			/* Whitespace between encoded words is dropped; bytes of
			 * adjacent words in one charset are converted together. */
			if (plain.len) {
				int blank = 1;

				for (size_t i = 0; i < plain.len; i++)
					if (!isspace((unsigned char)plain.data[i]))
						blank = 0;
				if (!blank || !pend.len) {
					if (pend.len) {
						mail_to_utf8(pend_cs, pend.data, pend.len, &out);
						buf_reset(&pend);
					}
					mail_to_utf8(NULL, plain.data, plain.len, &out);
				}
				buf_reset(&plain);
			}
			if (pend.len && strcasecmp(pend_cs, cs) != 0) {
				mail_to_utf8(pend_cs, pend.data, pend.len, &out);
				buf_reset(&pend);
			}
			snprintf(pend_cs, sizeof(pend_cs), "%s", cs);
			if (enc == 'B')
				b64_decode(text, tlen, &pend);
			else
				q_decode(text, tlen, &pend);
			s += wl;
			continue;
		}
		buf_addch(&plain, *s == '\r' || *s == '\n' || *s == '\t' ? ' ' : *s);
		s++;
	}
	if (pend.len)
		mail_to_utf8(pend_cs, pend.data, pend.len, &out);
	if (plain.len)
		mail_to_utf8(NULL, plain.data, plain.len, &out);
	buf_release(&pend);
	buf_release(&plain);
	/* Collapse folding whitespace and trim. */
	struct buf clean;
	buf_init(&clean, 0);
	int sp = 0;
	for (size_t i = 0; i < out.len; i++) {
		unsigned char c = (unsigned char)out.data[i];

		if (c == ' ' || c == '\t') {
			sp = 1;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (sp && clean.len)
			buf_addch(&clean, ' ');
		sp = 0;
		buf_addch(&clean, (char)c);
	}
	buf_release(&out);
	if (clean.len > MAIL_MAX_HEADER) {
		size_t k = MAIL_MAX_HEADER;
		while (k > 0 && ((unsigned char)clean.data[k] & 0xc0) == 0x80)
			k--;
		buf_truncate(&clean, k);
	}
	char *r = buf_detach(&clean, NULL);
	return r ? r : strdup("");
}

/* ---- addresses ---- */

/* Split a decoded-later raw address header into display name and address. */
static void split_address(const char *raw, char **name, char **addr)
{
	const char *lt = NULL, *gt = NULL, *s = raw ? raw : "";
	int inq = 0;
	struct buf a;

	for (const char *p = s; *p; p++) {
		if (*p == '"' && (p == s || p[-1] != '\\'))
			inq = !inq;
		else if (!inq && *p == '<')
			lt = p;
		else if (!inq && *p == '>' && lt && !gt)
			gt = p;
		else if (!inq && *p == ',' && lt && gt)
			break; /* the first address of a list */
	}
	buf_init(&a, 1024);
	if (lt && gt && gt > lt) {
		char *tmp = strndup(s, (size_t)(lt - s));
		char *d = mail_decode_header(tmp);
		size_t dl = strlen(d);

		free(tmp);
		while (dl && (d[dl - 1] == ' ' || d[dl - 1] == '"'))
			d[--dl] = '\0';
		char *st = d;
		while (*st == ' ' || *st == '"')
			st++;
		/* Unescape \" inside quoted names. */
		struct buf nb;
		buf_init(&nb, 0);
		for (char *p = st; *p; p++) {
			if (*p == '\\' && p[1])
				p++;
			buf_addch(&nb, *p);
		}
		*name = buf_detach(&nb, NULL);
		free(d);
		for (const char *p = lt + 1; p < gt; p++)
			if (!isspace((unsigned char)*p))
				buf_addch(&a, (char)tolower((unsigned char)*p));
	} else {
		const char *p = s;
		int depth = 0;

		*name = NULL;
		for (; *p; p++) {
			if (*p == '(') { depth++; continue; }
			if (*p == ')') { if (depth) depth--; continue; }
			if (*p == ',' && !depth)
				break;
			if (!depth && !isspace((unsigned char)*p) && *p != '"')
				buf_addch(&a, (char)tolower((unsigned char)*p));
		}
	}
	if (!*name)
		*name = strdup("");
	*addr = buf_detach(&a, NULL);
	if (!*addr)
		*addr = strdup("");
	/* Only something that looks like an address counts. */
	if (!strchr(*addr, '@'))
		(*addr)[0] = '\0';
}

/* Count the '@' outside quotes and comments: how many addresses a header names. */
static int count_addresses(const char *raw)
{
	int n = 0, inq = 0, depth = 0;

	for (const char *p = raw; *p; p++) {
		if (*p == '"' && (p == raw || p[-1] != '\\'))
			inq = !inq;
		else if (!inq && *p == '(')
			depth++;
		else if (!inq && *p == ')' && depth)
			depth--;
		else if (!inq && !depth && *p == '@')
			n++;
	}
	return n;
}

/* The From header's address, display name, count and mailbox name as written. */
static void from_header(struct mail_msg *m, const char *raw)
{
	split_address(raw, &m->from_name, &m->from_addr);
	m->from_count = count_addresses(raw);
	const char *w = *m->from_addr ? strcasestr(raw, m->from_addr) : NULL;
	if (w)
		snprintf(m->from_local, sizeof(m->from_local), "%.*s", (int)strcspn(m->from_addr, "@"), w);
}

/* ---- forwarded inline ---- */

static int looks_forwarded(const char *subject);

/* Drop body text [from, to) and the links that ended inside it. */
static void cut_text(struct mail_msg *m, size_t from, size_t to)
{
	size_t k = 0;

	memmove(m->text.data + from, m->text.data + to, m->text.len - to + 1);
	m->text.len -= to - from;
	for (size_t i = 0; i < m->nlinks; i++) {
		struct mail_link *l = &m->links[i];
		if (l->at > from && l->at <= to) {
			free(l->href);
			free(l->text);
			continue;
		}
		if (l->at > to)
			l->at -= to - from;
		m->links[k++] = *l;
	}
	m->nlinks = k;
}

/* The address of a forward block's From line (Outlook once wrote "Name [mailto:a@b]"). */
static char *fwd_from(const char *v)
{
	const char *mt = strcasestr(v, "[mailto:");
	struct buf b;

	if (strchr(v, '<') || !mt)
		return strdup(v);
	buf_init(&b, MAIL_MAX_HEADER);
	buf_addf(&b, "%.*s<%.*s>", (int)(mt - v), v, (int)strcspn(mt + 8, "]"), mt + 8);
	return buf_detach(&b, NULL);
}

static void clear(char **s)
{
	free(*s);
	*s = NULL;
}

/* The original's headers from its forward block: only what the block says. */
static void inline_headers(struct mail_msg *m, const struct mail_fwd *f)
{
	char *from = fwd_from(f->from), *dummy = NULL;

	clear(&m->from_name); clear(&m->from_addr); clear(&m->reply_to); clear(&m->return_path);
	clear(&m->sender); clear(&m->to_name); clear(&m->to_addr); clear(&m->subject);
	clear(&m->message_id); clear(&m->date); clear(&m->list_id);
	m->from_local[0] = '\0';
	if (from)
		from_header(m, from);
	free(from);
	if (f->to)
		split_address(f->to, &m->to_name, &m->to_addr);
	if (f->reply_to)
		split_address(f->reply_to, &dummy, &m->reply_to);
	free(dummy);
	m->subject = f->subject ? mail_decode_header(f->subject) : NULL;
	m->date = f->date ? strdup(f->date) : NULL;
	/* The rest was the reporter's mail: its authentication and routing say nothing of the original. */
	m->threaded = m->report = m->null_sender = m->list_headers = m->unsubscribe = 0;
	strv_release(&m->auth_results);
	strv_release(&m->received_spf);
	strv_release(&m->received);
	m->forwarded++;
	strv_add_unique(&m->notes, "forwarded inline: only the original's From, To, Subject and Date are in the "
				   "report; its authentication and routing were not checked");
}

/* 1 when addresses a and b have the same registrable domain. */
static int same_org(const char *a, const char *b)
{
	char *ra = *a ? mail_registrable(mail_addr_domain(a)) : NULL;
	char *rb = *b ? mail_registrable(mail_addr_domain(b)) : NULL;
	int same = ra && rb && !strcmp(ra, rb);

	free(ra);
	free(rb);
	return same;
}

/*
 * A report forwarded inline: drop the reporter's note and the forward block
 * from the text part that starts at start and, the first time, take the
 * original's headers from the block. A block whose sender is a colleague of
 * the forwarder and whose subject is itself a forward is followed once more
 * (a mail passed on inside the company before it was reported); a forward
 * written by an outsider is what is analysed, whatever it quotes.
 */
static void inline_forward(struct mail_msg *m, size_t start)
{
	for (int depth = 0; depth < MAIL_MAX_FORWARD; depth++) {
		struct mail_fwd f;
		int more;

		if (!mail_fwd_find(m->text.data + start, m->text.len - start, &f))
			return;
		cut_text(m, start, start + f.end);
		if (m->inline_forward > depth) { /* another text part of the same mail */
			more = depth + 1 < m->inline_forward;
		} else {
			char *forwarder = strdup(m->from_addr ? m->from_addr : "");
			inline_headers(m, &f);
			m->inline_forward = depth + 1;
			more = forwarder && m->from_addr && f.subject && looks_forwarded(f.subject) &&
			       same_org(m->from_addr, forwarder);
			free(forwarder);
		}
		mail_fwd_release(&f);
		if (!more)
			return;
	}
}

/* ---- HTML to text ---- */

static void put_entity(const char **pp, const char *end, struct buf *out)
{
	static const struct { const char *n; const char *v; } ents[] = {
		{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" }, { "apos", "'" },
		{ "nbsp", " " }, { "copy", "\xc2\xa9" }, { "reg", "\xc2\xae" }, { "zwnj", "" },
		{ "shy", "" }, { "zwj", "" },
	};
	const char *p = *pp + 1, *semi = p;

	while (semi < end && semi - p < 12 && *semi != ';' && isalnum((unsigned char)*semi))
		semi++;
	if (p < end && *p == '#') {
		unsigned long cp = 0;
		const char *q = p + 1;
		int hex = q < end && (*q == 'x' || *q == 'X');

		if (hex)
			q++;
		const char *st = q;
		while (q < end && q - st < 8 && (hex ? isxdigit((unsigned char)*q) : isdigit((unsigned char)*q))) {
			cp = cp * (hex ? 16 : 10) + (unsigned long)(hex ? hexval(*q) : *q - '0');
			q++;
		}
		if (q > st && cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
			char u[4];
			int k;
			if (cp < 0x80) { u[0] = (char)cp; k = 1; }
			else if (cp < 0x800) { u[0] = (char)(0xc0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3f)); k = 2; }
			else if (cp < 0x10000) { u[0] = (char)(0xe0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)); u[2] = (char)(0x80 | (cp & 0x3f)); k = 3; }
			else { u[0] = (char)(0xf0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3f)); u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); u[3] = (char)(0x80 | (cp & 0x3f)); k = 4; }
			if (cp == 0xad || cp == 0x200b || cp == 0x200c || cp == 0x200d || cp == 0x34f)
				k = 0; /* invisible characters split words in phishing text */
			buf_add(out, u, (size_t)k);
			*pp = (q < end && *q == ';') ? q + 1 : q;
			return;
		}
	} else if (semi < end && *semi == ';') {
		for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
			if ((size_t)(semi - p) == strlen(ents[i].n) && !strncasecmp(p, ents[i].n, (size_t)(semi - p))) {
				buf_adds(out, ents[i].v);
				*pp = semi + 1;
				return;
			}
		}
	}
	buf_addch(out, '&');
	*pp = *pp + 1;
}

/* The value of attribute attr inside a tag's text [s, end), decoded, or NULL. */
static char *tag_attr(const char *s, const char *end, const char *attr)
{
	size_t al = strlen(attr);

	for (const char *p = s; p + al < end; p++) {
		if (strncasecmp(p, attr, al) != 0 || !(p == s || isspace((unsigned char)p[-1])))
			continue;
		const char *q = p + al;
		while (q < end && isspace((unsigned char)*q))
			q++;
		if (q >= end || *q != '=')
			continue;
		q++;
		while (q < end && isspace((unsigned char)*q))
			q++;
		char quote = (q < end && (*q == '"' || *q == '\'')) ? *q++ : 0;
		const char *v = q;
		while (q < end && (quote ? *q != quote : !isspace((unsigned char)*q) && *q != '>'))
			q++;
		struct buf b;
		buf_init(&b, 8192);
		for (const char *r = v; r < q;) {
			if (*r == '&')
				put_entity(&r, q, &b);
			else if (*r == '\n' || *r == '\r' || *r == '\t')
				r++;
			else
				buf_addch(&b, *r++);
		}
		return buf_detach(&b, NULL);
	}
	return NULL;
}

static void add_link(struct mail_msg *m, char *href, const char *text, size_t tlen)
{
	struct mail_link *nl;
	struct buf t;
	int sp = 0;

	if (m->nlinks >= MAIL_MAX_ITEMS || !(nl = realloc(m->links, (m->nlinks + 1) * sizeof(*nl)))) {
		free(href);
		return;
	}
	m->links = nl;
	buf_init(&t, 2048);
	for (size_t i = 0; i < tlen; i++) {
		if (isspace((unsigned char)text[i])) {
			sp = 1;
			continue;
		}
		if (sp && t.len)
			buf_addch(&t, ' ');
		sp = 0;
		buf_addch(&t, text[i]);
	}
	m->links[m->nlinks].href = href;
	m->links[m->nlinks].at = m->text.len;
	m->links[m->nlinks].text = buf_detach(&t, NULL);
	if (!m->links[m->nlinks].text)
		m->links[m->nlinks].text = strdup("");
	m->nlinks++;
}

static void html_reduce(struct mail_msg *m, const char *h, size_t n)
{
	const char *p = h, *end = h + n;
	char *href = NULL;
	size_t link_start = 0;

	while (p < end) {
		if (*p == '<') {
			if (end - p >= 4 && !strncmp(p, "<!--", 4)) {
				const char *c = memmem(p + 4, (size_t)(end - p - 4), "-->", 3);
				p = c ? c + 3 : end;
				continue;
			}
			const char *gt = memchr(p, '>', (size_t)(end - p));
			if (!gt)
				break;
			const char *name = p + 1;
			int closing = name < gt && *name == '/';
			if (closing)
				name++;
			size_t nl = 0;
			while (name + nl < gt && isalnum((unsigned char)name[nl]))
				nl++;
			if (!closing && ((nl == 6 && !strncasecmp(name, "script", 6)) ||
					 (nl == 5 && !strncasecmp(name, "style", 5)))) {
				char close[10];
				snprintf(close, sizeof(close), "</%.*s", (int)nl, name);
				const char *c = gt + 1;
				while (c < end && strncasecmp(c, close, nl + 2) != 0) {
					c = memchr(c + 1, '<', (size_t)(end - c - 1));
					if (!c)
						c = end;
				}
				p = c;
				continue;
			}
			if (nl == 1 && (*name == 'a' || *name == 'A')) {
				if (href) {
					add_link(m, href, m->text.data + link_start, m->text.len - link_start);
					href = NULL;
				}
				if (!closing) {
					href = tag_attr(name + 1, gt, "href");
					link_start = m->text.len;
				}
			} else if (!closing && nl == 3 && !strncasecmp(name, "img", 3)) {
				m->images++;
				char *alt = tag_attr(name + 3, gt, "alt");
				if (alt) {
					buf_adds(&m->text, alt);
					free(alt);
				}
			} else if (!closing && nl == 4 && !strncasecmp(name, "form", 4)) {
				char *act = tag_attr(name + 4, gt, "action");
				if (act)
					add_link(m, act, "", 0);
			}
			buf_addch(&m->text, (nl == 2 && !strncasecmp(name, "br", 2)) || (nl == 1 && (*name == 'p' || *name == 'P')) ||
				  (nl == 3 && !strncasecmp(name, "div", 3)) || (nl == 2 && !strncasecmp(name, "tr", 2)) ? '\n' : ' ');
			p = gt + 1;
			continue;
		}
		if (*p == '&')
			put_entity(&p, end, &m->text);
		else
			buf_addch(&m->text, *p++);
		if (buf_error(&m->text))
			break;
	}
	if (href)
		add_link(m, href, m->text.data + link_start, m->text.len - link_start);
	buf_addch(&m->text, '\n');
}

/* ---- attachments ---- */

static const char *sniff(const unsigned char *d, size_t n)
{
	if (n >= 4 && !memcmp(d, "PK\3\4", 4)) return "zip";
	if (n >= 5 && !memcmp(d, "%PDF-", 5)) return "pdf";
	if (n >= 2 && !memcmp(d, "MZ", 2)) return "pe";
	if (n >= 8 && !memcmp(d, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8)) return "ole";
	if (n >= 0x8006 && !memcmp(d + 0x8001, "CD001", 5)) return "iso";
	if (n >= 4 && !memcmp(d, "Rar!", 4)) return "rar";
	if (n >= 6 && !memcmp(d, "7z\xbc\xaf\x27\x1c", 6)) return "7z";
	if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b) return "gzip";
	if (n >= 20 && !memcmp(d, "L\0\0\0\1\x14\2\0", 8)) return "lnk";
	if (n >= 5 && !memcmp(d, "{\\rtf", 5)) return "rtf";
	if (n >= 3 && !memcmp(d, "\xff\xd8\xff", 3)) return "jpeg";
	if (n >= 8 && !memcmp(d, "\x89PNG", 4)) return "png";
	if (n >= 4 && !memcmp(d, "GIF8", 4)) return "gif";
	if (n >= 4 && !memcmp(d, "conectix", 4 + 4 > n ? 4 : 8)) return "vhd";
	size_t k = n < 512 ? n : 512;
	for (size_t i = 0; i + 5 <= k; i++) {
		if (d[i] == '<' && (!strncasecmp((const char *)d + i, "<html", 5) ||
				    !strncasecmp((const char *)d + i, "<!doc", 5) ||
				    !strncasecmp((const char *)d + i, "<scri", 5)))
			return "html";
		if (d[i] == '<' && !strncasecmp((const char *)d + i, "<svg", 4))
			return "svg";
	}
	return "";
}

static void zip_inspect(const unsigned char *d, size_t n, struct mail_attachment *a)
{
	/* Local file headers only: nothing is decompressed (archive bombs). */
	size_t seen = 0;
	for (size_t i = 0; i + 30 <= n && seen < 4096; i++) {
		if (memcmp(d + i, "PK\3\4", 4) != 0)
			continue;
		seen++;
		unsigned flags = d[i + 6] | (unsigned)d[i + 7] << 8;
		unsigned nlen = d[i + 26] | (unsigned)d[i + 27] << 8;
		if (flags & 1)
			a->encrypted = 1;
		if (i + 30 + nlen <= n && nlen >= 14 && memmem(d + i + 30, nlen, "vbaProject.bin", 14))
			a->macros = 1;
	}
}

static void add_attachment(struct mail_msg *m, GMimePart *part, const char *name, GByteArray *ba)
{
	struct mail_attachment *na, *a;
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	char *mt = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	GChecksum *ck;

	if (m->natts >= MAIL_MAX_ITEMS || !(na = realloc(m->atts, (m->natts + 1) * sizeof(*na)))) {
		g_free(mt);
		return;
	}
	m->atts = na;
	a = &m->atts[m->natts++];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name ? name : "");
	a->declared_type = strdup(mt ? mt : "application/octet-stream");
	for (char *p = a->declared_type; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	g_free(mt);
	a->size = ba->len;
	a->sniffed = sniff(ba->data, ba->len);
	ck = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(ck, ba->data, ba->len);
	snprintf(a->sha256, sizeof(a->sha256), "%s", g_checksum_get_string(ck));
	g_checksum_free(ck);
	if (!strcmp(a->sniffed, "zip"))
		zip_inspect(ba->data, ba->len, a);
	else if (!strcmp(a->sniffed, "ole") && memmem(ba->data, ba->len, "V\0B\0A\0", 6))
		a->macros = 1;
}

/* ---- the MIME walk ---- */

static GByteArray *part_bytes(GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *s;
	GByteArray *ba;

	if (!w)
		return NULL;
	s = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, s);
	ba = g_byte_array_new();
	GByteArray *src = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	if (src)
		g_byte_array_append(ba, src->data, src->len);
	g_object_unref(s);
	return ba;
}

static void walk(struct mail_msg *m, GMimeObject *obj, int depth);

static void walk_part(struct mail_msg *m, GMimePart *part)
{
	GMimeObject *o = GMIME_OBJECT(part);
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	const char *type = ct ? g_mime_content_type_get_media_type(ct) : "text";
	const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : "plain";
	const char *fname = g_mime_part_get_filename(part);
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(o);
	int attach = (cd && g_mime_content_disposition_is_attachment(cd)) || (fname && *fname);
	GByteArray *ba = part_bytes(part);

	if (!ba)
		return;
	if (!attach && type && !strcasecmp(type, "text") && m->text.len < MAIL_MAX_TEXT) {
		const char *cs = g_mime_object_get_content_type_parameter(o, "charset");
		size_t start = m->text.len;
		struct buf u;

		buf_init(&u, 0);
		mail_to_utf8(cs, (const char *)ba->data, ba->len, &u);
		if (sub && !strcasecmp(sub, "html")) {
			size_t before = m->text.len;
			m->html_parts++;
			html_reduce(m, u.data, u.len);
			m->html_text += m->text.len - before;
		} else {
			m->plain_parts++;
			buf_add(&m->text, u.data, u.len);
			buf_addch(&m->text, '\n');
		}
		buf_release(&u);
		if (m->inline_want)
			inline_forward(m, start);
	} else if (attach || (type && strcasecmp(type, "text") && strcasecmp(type, "multipart"))) {
		char *name = fname ? mail_decode_header(fname) : strdup("");
		add_attachment(m, part, name, ba);
		free(name);
	}
	g_byte_array_unref(ba);
}

static void walk(struct mail_msg *m, GMimeObject *obj, int depth)
{
	if (!obj)
		return;
	if (depth > MAIL_MAX_DEPTH || m->parts >= MAIL_MAX_PARTS) {
		strv_add_unique(&m->notes, depth > MAIL_MAX_DEPTH ? "mime nesting cut at the depth limit"
								 : "mime parts cut at the limit");
		return;
	}
	m->parts++;
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int cnt = g_mime_multipart_get_count(mp);
		for (int i = 0; i < cnt; i++)
			walk(m, g_mime_multipart_get_part(mp, i), depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (inner)
			walk(m, g_mime_message_get_mime_part(inner), depth + 1);
	} else if (GMIME_IS_PART(obj)) {
		walk_part(m, GMIME_PART(obj));
	}
}

/* The first message/rfc822 part (the attached original of a report). */
static GMimeMessage *find_attached(GMimeObject *obj, int depth)
{
	if (!obj || depth > MAIL_MAX_DEPTH)
		return NULL;
	if (GMIME_IS_MESSAGE_PART(obj))
		return g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		GMimeContentType *ct = g_mime_object_get_content_type(obj);
		const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : "";
		if (sub && !strcasecmp(sub, "report"))
			return NULL; /* a bounce quotes a message, it does not report one */
		int cnt = g_mime_multipart_get_count(mp);
		for (int i = 0; i < cnt && i < MAIL_MAX_PARTS; i++) {
			GMimeMessage *r = find_attached(g_mime_multipart_get_part(mp, i), depth + 1);
			if (r)
				return r;
		}
	}
	return NULL;
}

static int looks_forwarded(const char *subject)
{
	const char *s = subject;
	while (*s == ' ')
		s++;
	return !strncasecmp(s, "fwd:", 4) || !strncasecmp(s, "fw:", 3) || !strncasecmp(s, "fwd ", 4) ||
	       !strncmp(s, "転送", strlen("転送")) || !strncasecmp(s, "[fwd", 4) ||
	       strstr(s, "phish") || strstr(s, "不審");
}

static void read_headers(struct mail_msg *m, GMimeMessage *msg)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	int cnt = hl ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < cnt; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		const char *raw = g_mime_header_get_raw_value(h);
		char **slot = NULL;
		char *dummy = NULL;

		if (!name || !raw)
			continue;
		if (strlen(raw) > MAIL_MAX_HEADER * 4)
			strv_add_unique(&m->notes, "a header longer than the limit was cut");
		if (!strcasecmp(name, "From") && !m->from_addr) {
			from_header(m, raw);
		} else if (!strcasecmp(name, "In-Reply-To") || !strcasecmp(name, "References")) {
			m->threaded = 1;
		} else if (!strcasecmp(name, "Content-Type") && strcasestr(raw, "multipart/report")) {
			m->report = 1;
		} else if (!strcasecmp(name, "To") && !m->to_addr) {
			split_address(raw, &m->to_name, &m->to_addr);
		} else if (!strcasecmp(name, "Reply-To") && !m->reply_to) {
			split_address(raw, &dummy, &m->reply_to);
		} else if (!strcasecmp(name, "Return-Path") && !m->return_path) {
			split_address(raw, &dummy, &m->return_path);
			m->null_sender = !*m->return_path && strstr(raw, "<>") != NULL;
		} else if (!strcasecmp(name, "Sender") && !m->sender) {
			split_address(raw, &dummy, &m->sender);
		} else if (!strcasecmp(name, "Subject")) slot = &m->subject;
		else if (!strcasecmp(name, "Message-ID")) slot = &m->message_id;
		else if (!strcasecmp(name, "Date")) slot = &m->date;
		else if (!strcasecmp(name, "List-Id")) { slot = &m->list_id; m->list_headers = 1; }
		else if (!strcasecmp(name, "List-Post") || !strcasecmp(name, "Mailing-List") ||
			 !strcasecmp(name, "X-BeenThere"))
			/* Not List-Unsubscribe: every bulk sender adds it, lists or not. */
			m->list_headers = 1;
		else if (!strcasecmp(name, "List-Unsubscribe"))
			m->unsubscribe = 1;
		else if (!strcasecmp(name, "Precedence")) {
			if (strcasestr(raw, "list"))
				m->list_headers = 1;
		} else if (!strcasecmp(name, "Authentication-Results")) {
			char *d = mail_decode_header(raw);
			strv_add(&m->auth_results, d);
			free(d);
		} else if (!strcasecmp(name, "Received-SPF")) {
			char *d = mail_decode_header(raw);
			strv_add(&m->received_spf, d);
			free(d);
		} else if (!strcasecmp(name, "Received") && m->received.n < 64) {
			char *d = mail_decode_header(raw);
			strv_add(&m->received, d);
			free(d);
		}
		free(dummy);
		if (slot && !*slot)
			*slot = mail_decode_header(raw);
	}
}

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;
static void gmime_start(void) { g_mime_init(); }

static char *dup0(char *s) { return s ? s : strdup(""); }

/* 1 when msg's (first) From address is in one of the domains listed. */
static int from_listed(GMimeMessage *msg, const struct strv *domains)
{
	InternetAddressList *l = g_mime_message_get_from(msg);
	InternetAddress *ia = l && internet_address_list_length(l) > 0 ? internet_address_list_get_address(l, 0)
									 : NULL;
	const char *addr = ia && INTERNET_ADDRESS_IS_MAILBOX(ia)
				   ? internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)) : NULL;

	return addr && mail_domain_in(addr, domains);
}

int mail_parse(const char *data, size_t n, int unwrap, const struct strv *reporters, struct mail_msg *m,
	       struct err *e)
{
	GMimeStream *stream = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL, *top;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	buf_init(&m->text, MAIL_MAX_TEXT);
	if (n > MAIL_MAX_SIZE)
		return err_set(e, ERR_TOOLONG, "message too large (%zu bytes, at most %u)", n, MAIL_MAX_SIZE);
	pthread_once(&gmime_once, gmime_start);
	stream = g_mime_stream_mem_new_with_buffer(data, n);
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (!msg) {
		rc = err_set(e, ERR_PARSE, "not a mail message");
		goto out;
	}
	top = msg;
	if (unwrap != 0 && reporters && reporters->n && !from_listed(msg, reporters)) {
		const char *subj = g_mime_message_get_subject(msg);
		if (subj && looks_forwarded(subj))
			strv_add_unique(&m->notes, "not unwrapped as a report: the sender is not of the own domains");
		unwrap = 0;
	}
	/* A forwarded report: analyse the attached original instead. */
	for (int i = 0; i < MAIL_MAX_FORWARD && unwrap != 0; i++) {
		const char *subj = g_mime_message_get_subject(top);
		if (unwrap < 0 && !(subj && looks_forwarded(subj)))
			break;
		GMimeMessage *inner = find_attached(g_mime_message_get_mime_part(top), 0);
		if (!inner)
			break;
		top = inner;
		m->forwarded++;
		if (unwrap < 0)
			unwrap = -1;
	}
	read_headers(m, top);
	/* Forwarded inline: the original is the text after a forward block. */
	m->inline_want = unwrap != 0 && !m->forwarded && m->subject && looks_forwarded(m->subject);
	walk(m, g_mime_message_get_mime_part(top), 0);
	m->inline_want = 0;
	if (buf_error(&m->text))
		strv_add_unique(&m->notes, "body text cut at the limit");
	if (!m->from_addr && !m->subject && m->parts == 0 && !m->auth_results.n)
		rc = err_set(e, ERR_PARSE, "not a mail message (no headers, no body)");
out:
	m->from_name = dup0(m->from_name);
	m->from_addr = dup0(m->from_addr);
	m->reply_to = dup0(m->reply_to);
	m->return_path = dup0(m->return_path);
	m->sender = dup0(m->sender);
	m->to_name = dup0(m->to_name);
	m->to_addr = dup0(m->to_addr);
	m->subject = dup0(m->subject);
	m->message_id = dup0(m->message_id);
	m->date = dup0(m->date);
	m->list_id = dup0(m->list_id);
	if (msg)
		g_object_unref(msg);
	if (parser)
		g_object_unref(parser);
	if (stream)
		g_object_unref(stream);
	return rc;
}

void mail_msg_release(struct mail_msg *m)
{
	free(m->from_name); free(m->from_addr); free(m->reply_to); free(m->return_path);
	free(m->sender); free(m->to_name); free(m->to_addr); free(m->subject); free(m->message_id); free(m->date); free(m->list_id);
	strv_release(&m->auth_results);
	strv_release(&m->received_spf);
	strv_release(&m->received);
	strv_release(&m->notes);
	buf_release(&m->text);
	for (size_t i = 0; i < m->nlinks; i++) {
		free(m->links[i].href);
		free(m->links[i].text);
	}
	free(m->links);
	for (size_t i = 0; i < m->natts; i++) {
		free(m->atts[i].name);
		free(m->atts[i].declared_type);
	}
	free(m->atts);
	memset(m, 0, sizeof(*m));
}
