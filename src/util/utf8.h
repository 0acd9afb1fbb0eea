/*
 * utf8.h: UTF-8 validation and the check applied to text fields people type.
 *
 * Everything that reaches the store, a page or a mail passes through
 * utf8_check_text() first, so later layers may assume clean UTF-8.
 */
#ifndef IRDESK_UTIL_UTF8_H
#define IRDESK_UTIL_UTF8_H

#include <stddef.h>

struct err;

/*
 * 1 when s[0..n) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates U+D800 to U+DFFF, nothing above U+10FFFF, no truncated
 * sequences), else 0. NUL bytes inside s[0..n) are valid U+0000.
 */
int utf8_valid(const char *s, size_t n);

/*
 * The number of code points in s[0..n), which should be valid UTF-8; in
 * invalid input each byte that does not continue a sequence counts as one.
 */
size_t utf8_count(const char *s, size_t n);

/*
 * Check the NUL-terminated text field s (NULL counts as empty) that a user
 * supplied: valid UTF-8, no control characters (C0, DEL, C1), and at most
 * max_chars code points (0: no limit). multi_line=1 also allows '\n', '\t'
 * and '\r'. field names the field in messages. Returns 0, or ERR_INVALID
 * "FIELD: not valid UTF-8" / "FIELD: control characters are not allowed",
 * or ERR_TOOLONG "FIELD: too long (N characters, at most M)".
 */
int utf8_check_text(const char *field, const char *s, size_t max_chars, int multi_line,
		    struct err *e);

#endif
