/*
 * event.h: one decoded log event, as the detection engine sees it: a flat
 * list of fields under their Sigma names (after the input profile mapped
 * evtx_dump, Winlogbeat or flat JSON shapes), each with its text and type.
 *
 * An event is decoded once into a caller-owned struct event whose storage
 * (an arena) is reused from event to event, so decoding allocates nothing
 * in the steady state. Field names and values point into that storage and
 * stay valid until the next decode into the same struct, or event_release.
 */
#ifndef IRDESK_DETECT_EVENT_H
#define IRDESK_DETECT_EVENT_H

#include <stddef.h>
#include <stdint.h>

struct err;

enum event_type { EV_STRING, EV_NUMBER, EV_BOOL, EV_NULL };

struct event_field {
	const char *name;   /* the Sigma name ("Image", "EventID"), NUL-terminated */
	size_t name_len;
	const char *value;  /* the value as text: strings unescaped (UTF-8), numbers as written,
			       booleans "true"/"false", null "" */
	size_t value_len;
	enum event_type type;
	uint32_t hash;      /* of the name, see event_name_hash() */
};

/*
 * PROFILE_CHECK is no shape of events: event_decode_at then only checks the
 * object (the same grammar, UTF-8, escapes and nesting as a decode) and
 * finds its end, building no field: the server checks a request's events
 * so, before it queues them for the worker's decode. The limits on the
 * number of fields and the length of prefixed names are the decode's; a
 * name counts as the flat profile joins it ("a.b.c", the longest any
 * profile makes), so what the check accepts every profile decodes.
 */
enum event_profile { PROFILE_AUTO, PROFILE_FLAT, PROFILE_EVTX, PROFILE_WINLOGBEAT, PROFILE_CHECK };

struct event {
	struct event_field *fields;
	size_t n, cap;
	enum event_profile profile;  /* the profile that decoded it (never AUTO) */
	char *arena;                 /* storage for unescaped text, reused */
	size_t arena_len, arena_cap;
	const char *raw;             /* the event's JSON text as given (borrowed) */
	size_t raw_len;
	uint32_t *offs_;             /* private: arena offsets of names and values while decoding */
	size_t offs_cap_;
};

/*
 * Limits on one event, against hostile input: the JSON text, the nesting
 * depth of objects and arrays, the number of fields, the length of one
 * field name once flattened ("a.b.c").
 */
#define EVENT_MAX_LEN (64u << 20)
#define EVENT_MAX_DEPTH 64
#define EVENT_MAX_FIELDS 65536
#define EVENT_MAX_NAME 4096

/* Empty e (no allocation yet). */
void event_init(struct event *e);
/* Free e's storage. */
void event_release(struct event *e);

/*
 * The profiles (issue 6, item 2):
 * - evtx (evtx_dump): Event.System.<Tag> gives <Tag>, its #text <Tag> and
 *   its #attributes <Tag>_<Attr> (Provider_Name, Execution_ProcessID);
 *   Event.EventData.<Name> and Event.UserData.<Wrapper>.<Name> give <Name>
 *   with spaces removed, {"#text": v} giving v and #attributes dropped;
 *   EventID, Channel, Computer and Provider_Name only ever come from System.
 *   Other members of Event and other top-level keys are flattened as in flat.
 * - winlogbeat: event_data.<Name> gives <Name>; event_id, log_name,
 *   source_name and computer_name become EventID, Channel, Provider_Name and
 *   Computer; other top-level keys stay as they are (nested objects with dots).
 * - flat: keys as they are, nested objects with dots; a top-level SourceName
 *   also gives Provider_Name and Hostname also Computer when the event has no
 *   field of that Sigma name.
 *
 * Decode one JSON object json[0..len) into e with the given profile (AUTO:
 * evtx_dump when there is an object "Event" with "System", Winlogbeat when
 * there are "event_data" and "event_id", flat otherwise). Nested objects of
 * the flat profile are flattened with dots ("a.b"); arrays of scalars give
 * one field per element under the same name. Only whitespace may follow
 * the object. Returns 0, or ERR_PARSE with the byte offset of the problem
 * in err's message (see event_decode_at for the other failures).
 */
int event_decode(struct event *e, const char *json, size_t len, enum event_profile profile,
		 struct err *err);

/*
 * Decode the JSON object that starts at data[pos] (after optional
 * whitespace) and may be followed by more text: *next is set to the offset
 * just past its closing brace. Byte offsets in messages count from data,
 * so a reader that hands over a whole file reports file offsets. e->raw
 * points at the object's text in data. Fails like event_decode (ERR_PARSE
 * for malformed JSON or nesting deeper than EVENT_MAX_DEPTH, ERR_TOOLONG
 * past the other limits, ERR_NOMEM); "offset N: " starts every message.
 */
int event_decode_at(struct event *e, const char *data, size_t len, size_t pos,
		    enum event_profile profile, size_t *next, struct err *err);

/* "auto", "flat", "evtx", "winlogbeat" to a profile: 0, or -1 when unknown. */
int event_profile_parse(const char *s, enum event_profile *out);
/* The name of a profile, as event_profile_parse takes it. */
const char *event_profile_name(enum event_profile p);

/* The FNV-1a hash of a field name, case-sensitive as Sigma field names are. */
uint32_t event_name_hash(const char *name, size_t len);

/*
 * The first field called name at or after index *pos, or NULL. Start with
 * *pos = 0; on return *pos is past the field found, so calling again finds
 * the next one of the same name.
 */
const struct event_field *event_find(const struct event *e, const char *name, size_t len,
				     uint32_t hash, size_t *pos);

#endif
