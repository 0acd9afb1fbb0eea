/*
 * html.c: escaping for HTML text, attributes and URL query values.
 */
#include "web/html.h"
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void esc(struct buf *b, const char *s, int attr)
{
	if (!s)
		return;
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		case '`': if (attr) { buf_adds(b, "&#96;"); break; } buf_addch(b, *p); break;
		case '=': if (attr) { buf_adds(b, "&#61;"); break; } buf_addch(b, *p); break;
		default: buf_addch(b, *p);
		}
	}
}

void html_esc(struct buf *b, const char *s) { esc(b, s, 0); }
void html_attr(struct buf *b, const char *s) { esc(b, s, 1); }

void html_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			buf_addch(b, *p);
			continue;
		}
		p++;
		if (*p == 's') {
			html_esc(b, va_arg(ap, const char *));
		} else if (*p == 'd') {
			buf_addf(b, "%d", va_arg(ap, int));
		} else if (strncmp(p, "lld", 3) == 0) {
			buf_addf(b, "%lld", va_arg(ap, long long));
			p += 2;
		} else if (*p == '%') {
			buf_addch(b, '%');
		} else {
			break; /* unsupported conversion: stop rather than guess */
		}
	}
	va_end(ap);
}

void url_esc(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_addch(b, (char)*p);
		} else {
			buf_addch(b, '%');
			buf_addch(b, hex[*p >> 4]);
			buf_addch(b, hex[*p & 15]);
		}
	}
}
