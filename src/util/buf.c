/*
 * buf.c: growable strings with a size cap and a sticky error.
 */
#include "util/buf.h"
#include "util/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char buf_empty_[1];

void buf_init(struct buf *b, size_t max)
{
	b->data = (char *)buf_empty_;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->error = 0;
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->data);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->error = 0;
	if (b->cap)
		b->data[0] = '\0';
}

int buf_grow(struct buf *b, size_t n)
{
	size_t want, ncap;
	char *p;

	if (b->error)
		return b->error;
	if (n > SIZE_MAX - b->len - 1) {
		b->error = ERR_NOMEM;
		return b->error;
	}
	want = b->len + n;
	if (b->max && want > b->max) {
		b->error = ERR_TOOLONG;
		return b->error;
	}
	if (want + 1 <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want + 1)
		ncap = ncap > SIZE_MAX / 2 ? want + 1 : ncap * 2;
	p = b->cap ? realloc(b->data, ncap) : malloc(ncap);
	if (!p) {
		b->error = ERR_NOMEM;
		return b->error;
	}
	if (!b->cap)
		p[0] = '\0';
	b->data = p;
	b->cap = ncap;
	return 0;
}

void buf_add(struct buf *b, const void *data, size_t n)
{
	if (n == 0 || buf_grow(b, n))
		return;
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (b->error)
		return;
	va_copy(cp, ap);
	n = vsnprintf(b->cap ? b->data + b->len : NULL,
		      b->cap ? b->cap - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->error = ERR_INTERNAL;
		return;
	}
	if (b->cap && (size_t)n < b->cap - b->len) {
		if (b->max && b->len + (size_t)n > b->max) {
			b->data[b->len] = '\0';
			b->error = ERR_TOOLONG;
			return;
		}
		b->len += (size_t)n;
		return;
	}
	if (buf_grow(b, (size_t)n)) {
		if (b->cap)
			b->data[b->len] = '\0';
		return;
	}
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *s;

	if (b->error) {
		buf_release(b);
		b->error = 0;
		if (len)
			*len = 0;
		return NULL;
	}
	if (!b->cap) {
		s = malloc(1);
		if (!s)
			return NULL;
		s[0] = '\0';
	} else {
		s = b->data;
	}
	if (len)
		*len = b->len;
	buf_init(b, b->max);
	return s;
}
