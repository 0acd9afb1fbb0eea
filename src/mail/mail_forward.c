/*
 * mail_forward.c: the header block of a mail forwarded inline. A reporter
 * who presses "Forward" instead of "Forward as attachment" sends a note,
 * then a block such as
 *
 *	---------- Forwarded message ---------
 *	From: 経理部 <keiri@supp1ier-abc.co.jp>
 *	Date: 2026年11月26日(木) 9:12
 *	Subject: 振込先口座変更のお願い
 *	To: <h.sato@example.co.jp>
 *
 * then the original's text. The block is found by a marker line (Gmail,
 * Thunderbird, Apple Mail, Outlook's "-----Original Message-----" and its
 * rule of underscores, in Japanese and the common European languages) or,
 * without one, by a From line followed by a Subject and a Date or To line
 * (Outlook's HTML, whose rule is a border). Pure text work: mail_parse.c
 * applies what is found.
 */
#include "mail/mail.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MARKER_MAX 160   /* bytes of a marker line */
#define BLOCK_LINES 16   /* header lines of one block, continuations included */

enum key { K_NONE, K_FROM, K_TO, K_CC, K_DATE, K_SUBJECT, K_REPLY_TO };

/* Header names as mail programs print them, lower case, by kind. */
static const struct {
	const char *name;
	enum key k;
} keys[] = {
	{ "from", K_FROM }, { "差出人", K_FROM }, { "送信者", K_FROM }, { "von", K_FROM }, { "de", K_FROM },
	{ "da", K_FROM }, { "van", K_FROM },
	{ "to", K_TO }, { "宛先", K_TO }, { "an", K_TO }, { "à", K_TO }, { "para", K_TO }, { "a", K_TO },
	{ "aan", K_TO },
	{ "cc", K_CC }, { "bcc", K_CC },
	{ "date", K_DATE }, { "sent", K_DATE }, { "送信日時", K_DATE }, { "日付", K_DATE }, { "日時", K_DATE },
	{ "datum", K_DATE }, { "gesendet", K_DATE }, { "envoyé", K_DATE }, { "enviado", K_DATE },
	{ "fecha", K_DATE }, { "data", K_DATE }, { "verzonden", K_DATE },
	{ "subject", K_SUBJECT }, { "件名", K_SUBJECT }, { "betreff", K_SUBJECT }, { "objet", K_SUBJECT },
	{ "asunto", K_SUBJECT }, { "assunto", K_SUBJECT }, { "oggetto", K_SUBJECT }, { "onderwerp", K_SUBJECT },
	{ "reply-to", K_REPLY_TO }, { "返信先", K_REPLY_TO },
};

/* What a marker line says, lower case, once its dashes and blanks are gone. */
static const char *const markers[] = {
	"forwarded message", "original message", "begin forwarded message:", "forwarded message follows",
	"転送されたメッセージ", "転送メッセージ", "元のメッセージ", "転送済みメッセージ",
	"weitergeleitete nachricht", "ursprüngliche nachricht", "message transféré", "message d'origine",
	"mensaje reenviado", "mensaje original", "mensagem encaminhada", "mensagem original",
	"messaggio inoltrato", "messaggio originale", "doorgestuurd bericht", "oorspronkelijk bericht",
};

static int blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* [*s, *e) without leading and trailing blanks and no-break spaces (and the
 * leading '>' of a quoted line). */
static void trim(const char **s, const char **e)
{
	for (;;) {
		if (*s < *e && (blank((unsigned char)**s) || **s == '>'))
			(*s)++;
		else if (*e - *s >= 2 && !memcmp(*s, "\xc2\xa0", 2))
			*s += 2;
		else
			break;
	}
	for (;;) {
		if (*e > *s && blank((unsigned char)(*e)[-1]))
			(*e)--;
		else if (*e - *s >= 2 && !memcmp(*e - 2, "\xc2\xa0", 2))
			*e -= 2;
		else
			break;
	}
}

/* 1 when the line [s, e) is a forward marker or a separating rule. */
static int is_marker(const char *s, const char *e)
{
	char low[MARKER_MAX + 1];
	size_t n = 0, rule = 0;

	trim(&s, &e);
	if (e - s > MARKER_MAX || e == s)
		return 0;
	while (s < e && (*s == '-' || *s == '_' || *s == '=' || *s == '*' || *s == ' '))
		rule++, s++;
	while (e > s && (e[-1] == '-' || e[-1] == '_' || e[-1] == '=' || e[-1] == '*' || e[-1] == ' '))
		rule++, e--;
	if (s == e)
		return rule >= 10; /* Outlook's rule of underscores, a line of dashes */
	for (; s < e && n < MARKER_MAX; s++)
		low[n++] = (char)tolower((unsigned char)*s);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (!strcmp(low, markers[i]))
			return 1;
	return 0;
}

/* The kind of a "Name: value" line and where its value starts; K_NONE else. */
static enum key header_line(const char *s, const char *e, const char **val)
{
	const char *c;
	char low[32];
	size_t n;

	trim(&s, &e);
	c = s;
	while (c < e && *c != ':' && strncmp(c, "：", 3) && c - s < (long)sizeof(low))
		c++;
	if (c >= e || c == s || c - s >= (long)sizeof(low))
		return K_NONE;
	n = (size_t)(c - s);
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	while (n && low[n - 1] == ' ')
		n--;
	low[n] = '\0';
	*val = c + (*c == ':' ? 1 : 3);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(low, keys[i].name))
			return keys[i].k;
	return K_NONE;
}

static char *value_of(const char *v, const char *e)
{
	trim(&v, &e);
	return strndup(v, (size_t)(e - v));
}

static void set(char **slot, const char *v, const char *e)
{
	if (!*slot)
		*slot = value_of(v, e);
}

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	return nl ? nl : end;
}

/*
 * Read the header lines from p; the block's end (after the blank line
 * that closes it) in *end_out. 1 when it names a sender and a subject or a
 * date; with require_all (no marker), a subject and a date or recipient too.
 */
static int read_block(const char *p, const char *end, int require_all, struct mail_fwd *f, const char **end_out)
{
	enum key last = K_NONE;
	int lines = 0;

	while (p < end && lines < BLOCK_LINES) {
		const char *le = line_end(p, end), *s = p, *e = le, *v = NULL;
		enum key k;

		trim(&s, &e);
		if (s == e) {
			if (f->from)
				break; /* the blank line after the block */
			p = le + (le < end);
			continue;
		}
		k = header_line(p, le, &v);
		if (k == K_NONE && (last == K_TO || last == K_CC) && !strchr(s, ':')) {
			p = le + (le < end); /* a long recipient list wrapped */
			lines++;
			continue;
		}
		if (k == K_NONE || (lines == 0 && k != K_FROM && !(k == K_SUBJECT || k == K_DATE)))
			break;
		if (k == K_FROM) set(&f->from, v, le);
		else if (k == K_TO) set(&f->to, v, le);
		else if (k == K_DATE) set(&f->date, v, le);
		else if (k == K_SUBJECT) set(&f->subject, v, le);
		else if (k == K_REPLY_TO) set(&f->reply_to, v, le);
		last = k;
		lines++;
		p = le + (le < end);
	}
	*end_out = p;
	if (!f->from || !*f->from)
		return 0;
	return require_all ? f->subject && (f->date || f->to) : f->subject || f->date;
}

void mail_fwd_release(struct mail_fwd *f)
{
	free(f->from); free(f->to); free(f->reply_to); free(f->subject); free(f->date);
	memset(f, 0, sizeof(*f));
}

int mail_fwd_find(const char *s, size_t n, struct mail_fwd *f)
{
	const char *p = s, *end = s + n, *prev_blank = s;

	memset(f, 0, sizeof(*f));
	while (p < end) {
		const char *le = line_end(p, end), *next = le + (le < end), *bend = NULL;
		const char *ts = p, *te = le, *v;
		int marked = is_marker(p, le);

		trim(&ts, &te);
		/* A marker, or a From line at the start of a paragraph. */
		if (marked || (p == prev_blank && header_line(p, le, &v) == K_FROM)) {
			if (read_block(marked ? next : p, end, !marked, f, &bend)) {
				f->start = (size_t)(p - s);
				f->end = (size_t)(bend - s);
				return 1;
			}
			mail_fwd_release(f);
		}
		if (ts == te)
			prev_blank = next;
		p = next;
	}
	return 0;
}
