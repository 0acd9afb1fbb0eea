/*
 * time.h: instants, time zones, and the date-times people type and read.
 *
 * Every instant is an int64_t count of seconds since 1970-01-01T00:00:00Z.
 * Zones are read from TZif files without touching libc's global TZ state.
 */
#ifndef IRDESK_UTIL_TIME_H
#define IRDESK_UTIL_TIME_H

#include <stdint.h>

struct err;

/* Room for any string the time_format_* functions write, NUL included. */
#define TIME_STR_MAX 64

/* The instants time_parse() accepts: years 1970 to 9999, UTC. */
#define TIME_PARSE_MIN INT64_C(0)
#define TIME_PARSE_MAX INT64_C(253402300799)

/* A loaded time zone. Opaque; read-only once loaded, so threads may share it. */
struct tz;

/*
 * Load the zone called name ("Asia/Tokyo", "Europe/Paris", "UTC") into a new
 * struct tz that the caller frees with tz_free(). "UTC" and "Z" (any case)
 * are built in; other names are read as TZif files (version 1 to 4) from
 * $TZDIR or /usr/share/zoneinfo, and instants after the file's last
 * transition follow the POSIX TZ rule at its end ("CET-1CEST,M3.5.0,M10.5.0/3").
 * Fails with ERR_INVALID for names that are empty, too long, contain "..",
 * start with '/', or use characters outside [A-Za-z0-9/_+-], and for files
 * that are not well-formed TZif; ERR_NOTFOUND "unknown time zone 'X'" when
 * there is no such zone; ERR_IO or ERR_NOMEM otherwise. *out is NULL on
 * failure.
 */
int tz_load(const char *name, struct tz **out, struct err *e);

/* Free tz; NULL is a no-op. */
void tz_free(struct tz *tz);

/* The name tz was loaded by ("UTC" for the built-in zone, also when loaded as "Z"). */
const char *tz_name(const struct tz *tz);

/*
 * The offset east of UTC, in seconds, in force in tz at instant t. When abbr
 * is not NULL it receives the zone's abbreviation at t ("JST", "CEST", or a
 * numeric one such as "+04"), a string that lives as long as tz. A NULL tz
 * is UTC.
 */
int tz_offset(const struct tz *tz, int64_t t, const char **abbr);

/*
 * The current time. When the environment variable IRDESK_NOW holds an
 * integer epoch or anything time_parse() accepts (read in UTC, relative to
 * the real clock), that is returned instead, so that tests can fix the clock;
 * an IRDESK_NOW that does not parse is ignored.
 */
int64_t time_now(void);

/*
 * Parse the date-time a user typed into *out (UTC seconds). Accepted forms,
 * with leading and trailing white space ignored:
 *   RFC 3339: "2026-11-26T00:30:00Z", "2026-11-26T09:30:00+09:00", offsets
 *     also as "+0900" or "+09"; fractional seconds are truncated; 't', 'z'
 *     and a space instead of 'T' are accepted; seconds are optional;
 *   a zone after a space: an abbreviation from a fixed table ("JST", "CEST",
 *     "PDT", ... but not the ambiguous "CST"), a zone name ("Asia/Tokyo") or
 *     a numeric offset: "2026-11-26 09:30 JST";
 *   a date alone, "2026-11-26", meaning midnight;
 *   "now", and relative forms "now-2h", "now+30m", "-3d", "now-1h30m"
 *     (units s m h d w), counted from now;
 *   "@1764116400", seconds since the epoch.
 * A date-time with no offset or zone is local time in zone (NULL: UTC).
 * Local times that a DST change skips or repeats are read with the offset
 * in force before the change: in Paris, 02:30 on the spring-forward night is
 * 01:30Z (03:30 CEST) and 02:30 on the fall-back night is 00:30Z (CEST).
 * Years must be 1970 to 9999 and every field within calendar range; a leap
 * second :60 is read as :59. Fails with ERR_PARSE and a message quoting at
 * most 64 bytes of the input; ERR_NOMEM or ERR_IO only when loading a zone
 * named in the input fails for those reasons.
 */
int time_parse(const char *s, const struct tz *zone, int64_t now, int64_t *out, struct err *e);

/* Write t as RFC 3339 UTC: "2026-11-26T00:30:00Z". */
void time_format_utc(int64_t t, char out[TIME_STR_MAX]);

/*
 * Write t as RFC 3339 in tz's local time: "2026-11-26T09:30:00+09:00". The
 * UTC zone (or NULL) gives "Z"; offsets that are not whole minutes (local
 * mean time before 1900) fall back to UTC. East of UTC, the last hours of
 * 9999 come out as year 10000, which time_parse() does not read back.
 */
void time_format_zone(int64_t t, const struct tz *tz, char out[TIME_STR_MAX]);

/*
 * Write t for people in tz's local time with its abbreviation:
 * "2026-11-26 09:30 JST", with seconds only when they are not zero
 * ("09:30:05"). A NULL tz is UTC.
 */
void time_format_human(int64_t t, const struct tz *tz, char out[TIME_STR_MAX]);

/*
 * Write a duration for tables, truncated toward zero: days and hours from
 * one day up ("3d 4h", "3d 0h"), hours and minutes from one hour ("2h 05m"),
 * minutes from one minute ("45m"), else seconds ("30s", "0s"). Negative
 * durations get a leading '-'.
 */
void time_format_duration(int64_t seconds, char out[TIME_STR_MAX]);

#endif
