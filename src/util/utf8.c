/*
 * utf8.c: UTF-8 validation following the well-formed byte sequences table
 * of Unicode 15 (chapter 3, table 3-7), and the text-field check built on it.
 */
#include "util/utf8.h"
#include "util/err.h"

#include <string.h>

/*
 * Decode the sequence at s[0..n) into *cp and return its length, or 0 when
 * it is not well-formed. The second byte's range depends on the first byte,
 * which is what rules out overlongs, surrogates and values past U+10FFFF.
 */
static size_t decode(const unsigned char *s, size_t n, unsigned long *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len, i;
	unsigned long v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;   /* below: overlong */
		else if (c == 0xED)
			hi = 0x9F;   /* above: surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;   /* below: overlong */
		else if (c == 0xF4)
			hi = 0x8F;   /* above: past U+10FFFF */
	} else {
		return 0;            /* continuation byte, C0, C1 or F5-FF */
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	v = v << 6 | (s[1] & 0x3F);
	for (i = 2; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	*cp = v;
	return len;
}

int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t i = 0, len;

	while (i < n) {
		len = decode(p + i, n - i, &cp);
		if (len == 0)
			return 0;
		i += len;
	}
	return 1;
}

size_t utf8_count(const char *s, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			count++;
	}
	return count;
}

static int is_control(unsigned long cp, int multi_line)
{
	if (multi_line && (cp == '\n' || cp == '\t' || cp == '\r'))
		return 0;
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

int utf8_check_text(const char *field, const char *s, size_t max_chars, int multi_line,
		    struct err *e)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = 0, len, count = 0;
	unsigned long cp;
	int control = 0;

	while (i < n) {
		len = decode(p + i, n - i, &cp);
		if (len == 0)
			return err_set(e, ERR_INVALID, "%s: not valid UTF-8", field);
		if (is_control(cp, multi_line))
			control = 1;
		i += len;
		count++;
	}
	/* Encoding first: a control character in invalid text is beside the point. */
	if (control)
		return err_set(e, ERR_INVALID, "%s: control characters are not allowed", field);
	if (max_chars && count > max_chars)
		return err_set(e, ERR_TOOLONG, "%s: too long (%zu characters, at most %zu)", field,
			       count, max_chars);
	return 0;
}
