/*
 * buf.h: the one growable string type.
 *
 * A struct buf's data is never NULL and always NUL-terminated, so it can be
 * handed to any C string function at any time. A buf may carry a size cap
 * (max) for untrusted input; growth past the cap or a failed allocation sets
 * a sticky error and further appends are ignored, so callers append freely
 * and check buf_error() once (SQLite's StrAccum).
 */
#ifndef IRDESK_UTIL_BUF_H
#define IRDESK_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;   /* never NULL; points at a static "" until first growth */
	size_t len;   /* bytes used, excluding the terminating NUL */
	size_t cap;   /* bytes allocated, 0 while data is the static "" */
	size_t max;   /* largest allowed len, 0 for no limit */
	int error;    /* 0, ERR_NOMEM or ERR_TOOLONG; sticky */
};

#define BUF_INIT { (char *)buf_empty_, 0, 0, 0, 0 }
extern const char buf_empty_[1];

/* Initialise b as empty with the given cap on its length (0: no cap). */
void buf_init(struct buf *b, size_t max);
/* Free b's memory and leave it empty and usable (keeps max, clears error). */
void buf_release(struct buf *b);
/* Empty b without freeing its memory; clears the sticky error. */
void buf_reset(struct buf *b);

/* Make room for n more bytes. Returns 0 or the sticky error. */
int buf_grow(struct buf *b, size_t n);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Shorten b to len bytes (no-op when it is already shorter). */
void buf_truncate(struct buf *b, size_t len);

/* The sticky error: 0, ERR_NOMEM or ERR_TOOLONG. */
static inline int buf_error(const struct buf *b) { return b->error; }

/*
 * Hand b's string to the caller, who frees it with free(); b is left empty.
 * Returns NULL only when b has a sticky error (the data is freed then).
 */
char *buf_detach(struct buf *b, size_t *len);

#endif
