/*
 * ioc.h: IOC watchlists (issue 6, item 4): sets of typed indicators (ip,
 * CIDR v4/v6, domain with its subdomains, url, email, md5, sha1, sha256,
 * file name) loaded from plain text or CSV, and matched against the fields
 * of decoded events (detect/event.h). Built for millions of entries: one
 * open-addressing hash set over normalised text for the exact types, sorted
 * ranges with a running maximum for IP addresses and CIDRs.
 */
#ifndef IRDESK_DETECT_IOC_H
#define IRDESK_DETECT_IOC_H

#include <stddef.h>
#include <stdint.h>

#include "detect/event.h"

struct err;

/* X(NAME, name) in the order the CLI and CSV files name them. */
#define IOC_TYPES(X)             \
	X(IP, ip)                \
	X(CIDR, cidr)            \
	X(DOMAIN, domain)        \
	X(URL, url)              \
	X(EMAIL, email)          \
	X(MD5, md5)              \
	X(SHA1, sha1)            \
	X(SHA256, sha256)        \
	X(FILENAME, filename)

enum ioc_type {
#define X(N, n) IOC_##N,
	IOC_TYPES(X)
#undef X
	IOC__COUNT /* also "guess the type" where a type is taken */
};

#define IOC_VALUE_MAX 2048 /* bytes of one normalised indicator */

/* The name of type t ("sha256"), or "" out of range. */
const char *ioc_type_name(int t);
/* A type name (case-insensitive, also "ipv4", "ipv6", "hostname", "file") to *out: 0 or -1. */
int ioc_type_parse(const char *s, size_t len, enum ioc_type *out);

/*
 * Normalise one indicator text[0..len): refang it (hxxp, [.], (.), [dot],
 * [@], [:]), guess its type when *type is IOC__COUNT, and write its
 * canonical form into out[0..n) NUL-terminated: IPs as inet_ntop writes
 * them, CIDRs with the host bits cleared ("10.1.0.0/16"), domains lower
 * case without a leading "*." or trailing dot (IDN to punycode), urls with
 * scheme and host lower case, no default port and no fragment, emails and
 * hashes lower case, file names as the lower-case basename. Returns 0, or
 * ERR_INVALID naming the problem (no type fits, a hash of the wrong length).
 */
int ioc_normalize(const char *text, size_t len, enum ioc_type *type, char *out, size_t n,
		  struct err *e);

/*
 * Parse a watchlist file's text: one indicator per line ("#" starts a
 * comment line; blank lines are skipped), or CSV rows TYPE,VALUE[,COMMENT]
 * (double quotes allowed; a header row "type,value..." is skipped); both
 * kinds may be mixed. Each indicator, normalised, goes to fn with its
 * comment ("" when none). A line that does not parse stops with
 * ERR_INVALID "NAME:LINE: ..." unless skip_bad is set, in which case it is
 * counted in *bad (may be NULL). fn returning non-zero stops with that code.
 */
typedef int (*ioc_entry_fn)(void *ctx, enum ioc_type type, const char *value,
			    const char *comment, struct err *e);
int ioc_parse(const char *name, const char *data, size_t len, int skip_bad, ioc_entry_fn fn,
	      void *ctx, size_t *bad, struct err *e);

/* A set of indicators from any number of named lists. */
struct ioc_set;

int ioc_set_new(struct ioc_set **out, struct err *e);
/* NULL is fine. */
void ioc_set_free(struct ioc_set *s);

/*
 * Add an indicator already normalised (as ioc_normalize writes it) from
 * the list called list (copied, interned). A duplicate of an indicator
 * already in the set is ignored (*added, may be NULL, says 0 then).
 * ERR_INVALID for a malformed ip/cidr, ERR_NOMEM.
 */
int ioc_set_add(struct ioc_set *s, enum ioc_type type, const char *value, const char *list,
		int *added, struct err *e);
/*
 * Parse the file at path with ioc_parse and add every indicator under
 * list. *count (may be NULL) gets how many new ones.
 */
int ioc_set_load_file(struct ioc_set *s, const char *path, const char *list, int skip_bad,
		      size_t *count, size_t *bad, struct err *e);
/* Indicators in the set, in all and of type t. */
size_t ioc_set_count(const struct ioc_set *s);
size_t ioc_set_count_type(const struct ioc_set *s, enum ioc_type t);

/* Sort the address ranges; call after adding and before matching. */
int ioc_set_compile(struct ioc_set *s, struct err *e);

/* One hit: borrowed pointers valid until the set is freed (value, list) or the
 * event is decoded again (field, matched). */
struct ioc_hit {
	enum ioc_type type;
	const char *value;      /* the indicator as stored */
	const char *list;       /* its list's name */
	const char *field;      /* the event field it was found in */
	const char *matched;    /* that field's value */
	size_t matched_len;
};

/* Returns 0 to go on, non-zero to stop matching this event. */
typedef int (*ioc_hit_fn)(void *ctx, const struct ioc_hit *h);

/*
 * Per-thread matching state (a scratch), so one compiled set serves many
 * threads.
 */
struct ioc_scratch;
int ioc_scratch_new(struct ioc_scratch **out, struct err *e);
void ioc_scratch_free(struct ioc_scratch *sc);

/*
 * Match the fields of ev the watchlist looks at (ioc.c's field table: ip
 * fields, host names, urls, emails, hashes including Sysmon's "Hashes"
 * list, image and file names, and command lines searched as free text);
 * with all_fields, every other string field too, as free text. Each
 * indicator is reported once per event. Returns the number of hits, or the
 * non-zero value fn returned (negated when positive) to stop.
 */
int ioc_match(const struct ioc_set *s, struct ioc_scratch *sc, const struct event *ev,
	      int all_fields, ioc_hit_fn fn, void *ctx);

#endif
