/*
 * scan.h: reading files of JSON objects as a stream of decoded events:
 * JSON lines, one JSON array of objects, or objects simply one after the
 * other (pretty-printed or not), for `irdesk scan`, `irdesk ingest` and the
 * benchmarks. Files are mapped, not loaded into a DOM, and each object is
 * decoded once (detect/event.h).
 */
#ifndef IRDESK_DETECT_SCAN_H
#define IRDESK_DETECT_SCAN_H

#include <stddef.h>

#include "detect/event.h"

struct err;

/*
 * Called once per object with its 0-based index in the file (blank lines do
 * not count, each element of an array counts one) and its byte offset.
 * Returns 0 to go on, or a negative ERR_* code (with its message in err) to
 * stop the scan, which then returns that code.
 */
typedef int (*scan_event_fn)(void *ctx, const struct event *ev, size_t index, size_t offset,
			     struct err *err);

/*
 * Decode every object of data[0..len) into ev (caller-initialised, reused)
 * with the given profile and hand each to fn. name is used in messages
 * ("NAME: offset N: ..."). *nevents (may be NULL) gets the number of
 * objects decoded, also when it fails. Returns 0, ERR_PARSE or ERR_TOOLONG
 * for malformed input (the objects before it were handed over), or what fn
 * returned.
 */
int scan_buffer(const char *name, const char *data, size_t len, enum event_profile profile,
		struct event *ev, scan_event_fn fn, void *ctx, size_t *nevents, struct err *err);

/*
 * The same for the file at path ("-" is standard input): a regular file is
 * mapped and read through once, anything else is read whole first.
 * *nbytes (may be NULL) gets its size. Fails like scan_buffer, and with
 * ERR_NOTFOUND or ERR_IO when the file cannot be read.
 */
int scan_file(const char *path, enum event_profile profile, struct event *ev, scan_event_fn fn,
	      void *ctx, size_t *nevents, size_t *nbytes, struct err *err);

#endif
