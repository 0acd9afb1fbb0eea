/*
 * html.h: writing HTML safely. Every piece of text that came from a user or
 * the store goes through html_esc() (element content) or html_attr()
 * (attribute values, always double-quoted by the caller's template).
 */
#ifndef IRDESK_WEB_HTML_H
#define IRDESK_WEB_HTML_H

struct buf;

/* Append s to b with & < > " ' escaped. NULL appends nothing. */
void html_esc(struct buf *b, const char *s);
/* The same for attribute values (also escapes backquote and =). */
void html_attr(struct buf *b, const char *s);
/* Append printf-style text where every %s argument is escaped: use only
 * %s, %d, %lld and %%. */
void html_printf(struct buf *b, const char *fmt, ...);
/* Append s percent-encoded for a URL query value. */
void url_esc(struct buf *b, const char *s);

#endif
