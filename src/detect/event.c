/*
 * event.c: the event decoder: one pass of a purpose-built JSON scanner over
 * an object, validating it, unescaping strings into the event's arena and
 * naming each scalar by the input profile (evtx_dump, Winlogbeat, flat),
 * without building a tree.
 */
#include "detect/event.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* An offset that says "the pointer is already set (a static string)". */
#define OFF_STATIC UINT32_MAX

/*
 * How the members of an object are named. The decoder descends with the
 * mode of the object it is in and the name of that object (the prefix).
 */
enum mode {
	M_FLAT,      /* prefix.key */
	M_TOP,       /* the event itself: key, and the profiles' entry points */
	M_EVENT,     /* evtx Event: System, EventData, UserData */
	M_SYSTEM,    /* evtx Event.System: Tag */
	M_SYSTAG,    /* evtx System.<Tag>: #text is Tag, #attributes below */
	M_ATTRS,     /* evtx System.<Tag>.#attributes: Tag_Attr */
	M_DATA,      /* evtx EventData or a UserData wrapper: Name without spaces */
	M_ITEM,      /* evtx EventData.<Name> as an object: #text is Name */
	M_USERDATA,  /* evtx UserData: wrappers */
	M_SKIP,      /* validate only (#attributes that name nothing) */
};

/* Top-level keys whose field the profiles rename or alias afterwards. */
enum special {
	SP_EVENT_ID, SP_LOG_NAME, SP_SOURCE_NAME, SP_COMPUTER_NAME,  /* Winlogbeat */
	SP_SOURCENAME, SP_HOSTNAME, SP_PROVIDER_NAME, SP_COMPUTER,   /* flat */
	SP__COUNT
};

static const struct {
	const char *key;
	size_t len;
} special_keys[SP__COUNT] = {
	{ "event_id", 8 }, { "log_name", 8 }, { "source_name", 11 }, { "computer_name", 13 },
	{ "SourceName", 10 }, { "Hostname", 8 }, { "Provider_Name", 13 }, { "Computer", 8 },
};

/* Winlogbeat's renames, in the order of the first four specials. */
static const char *const wlb_names[4] = { "EventID", "Channel", "Provider_Name", "Computer" };

struct dec {
	struct event *e;
	const char *data;          /* offsets in messages count from here */
	const unsigned char *p, *end;
	struct err *err;
	enum event_profile want;   /* AUTO, or the profile forced */
	int event_obj;             /* a top-level "Event" object was decoded as evtx */
	int system;                /* ... and it had a "System" object */
	int wlb_data;              /* a top-level "event_data" object was decoded as Winlogbeat */
	int wlb_id;                /* a top-level scalar "event_id" */
	long special[SP__COUNT];   /* field index of each special key, -1 */
	int truncated;             /* end was cut at EVENT_MAX_LEN */
	long scalars;              /* PROFILE_CHECK: values that would be fields */
};

static const char lit_true[] = "true", lit_false[] = "false", lit_null[] = "";

static size_t off_of(const struct dec *d, const unsigned char *p)
{
	return (size_t)((const char *)p - d->data);
}

static int fail(struct dec *d, const unsigned char *at, int code, const char *what)
{
	return err_set(d->err, code, "offset %zu: %s", off_of(d, at), what);
}

/* Running out of input where the object was cut at the size limit. */
static int fail_too_long(struct dec *d)
{
	return err_set(d->err, ERR_TOOLONG, "offset %zu: event longer than %u bytes",
		       off_of(d, d->p), EVENT_MAX_LEN);
}

static int fail_unexpected(struct dec *d, const char *expected)
{
	if (d->p >= d->end && d->truncated)
		return fail_too_long(d);
	if (d->p >= d->end)
		return err_set(d->err, ERR_PARSE, "offset %zu: unexpected end of input, expected %s",
			       off_of(d, d->p), expected);
	if (*d->p >= 0x20 && *d->p < 0x7f)
		return err_set(d->err, ERR_PARSE, "offset %zu: unexpected '%c', expected %s",
			       off_of(d, d->p), *d->p, expected);
	return err_set(d->err, ERR_PARSE, "offset %zu: unexpected byte 0x%02x, expected %s",
		       off_of(d, d->p), *d->p, expected);
}

void event_init(struct event *e)
{
	memset(e, 0, sizeof(*e));
	e->profile = PROFILE_FLAT;
}

void event_release(struct event *e)
{
	if (!e)
		return;
	free(e->fields);
	free(e->arena);
	free(e->offs_);
	event_init(e);
}

uint32_t event_name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 16777619u;
	}
	return h;
}

const struct event_field *event_find(const struct event *e, const char *name, size_t len,
				     uint32_t hash, size_t *pos)
{
	for (size_t i = *pos; i < e->n; i++) {
		const struct event_field *f = &e->fields[i];

		if (f->hash == hash && f->name_len == len && memcmp(f->name, name, len) == 0) {
			*pos = i + 1;
			return f;
		}
	}
	*pos = e->n;
	return NULL;
}

int event_profile_parse(const char *s, enum event_profile *out)
{
	static const char *const names[] = { "auto", "flat", "evtx", "winlogbeat" };

	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum event_profile)i;
			return 0;
		}
	}
	return -1;
}

const char *event_profile_name(enum event_profile p)
{
	switch (p) {
	case PROFILE_AUTO: return "auto";
	case PROFILE_FLAT: return "flat";
	case PROFILE_EVTX: return "evtx";
	case PROFILE_WINLOGBEAT: return "winlogbeat";
	case PROFILE_CHECK: return "check";
	}
	return "?";
}

/* Storage */

/* Room for n more bytes in the arena. Offsets stay valid; pointers do not. */
static int arena_reserve(struct dec *d, size_t n)
{
	struct event *e = d->e;
	size_t need = e->arena_len + n, cap;
	char *a;

	if (need <= e->arena_cap)
		return 0;
	if (need > (size_t)UINT32_MAX - 1)
		return fail(d, d->p, ERR_TOOLONG, "event too large");
	cap = e->arena_cap ? e->arena_cap : 4096;
	while (cap < need)
		cap = cap > (size_t)UINT32_MAX / 2 ? (size_t)UINT32_MAX - 1 : cap * 2;
	a = realloc(e->arena, cap);
	if (!a)
		return err_set(d->err, ERR_NOMEM, "out of memory decoding an event");
	e->arena = a;
	e->arena_cap = cap;
	return 0;
}

/* Append a field; name and value are arena offsets (or OFF_STATIC with ptr). */
static int add_field(struct dec *d, uint32_t name_off, size_t name_len, uint32_t value_off,
		     const char *value_ptr, size_t value_len, enum event_type type)
{
	struct event *e = d->e;
	struct event_field *f;

	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		struct event_field *nf;
		uint32_t *no;

		if (e->n >= EVENT_MAX_FIELDS)
			return fail(d, d->p, ERR_TOOLONG, "too many fields in one event");
		nf = realloc(e->fields, cap * sizeof(*nf));
		if (!nf)
			return err_set(d->err, ERR_NOMEM, "out of memory decoding an event");
		e->fields = nf;
		no = realloc(e->offs_, cap * 2 * sizeof(*no));
		if (!no)
			return err_set(d->err, ERR_NOMEM, "out of memory decoding an event");
		e->offs_ = no;
		e->cap = cap;
		e->offs_cap_ = cap * 2;
	}
	f = &e->fields[e->n];
	f->name = NULL;
	f->name_len = name_len;
	f->value = value_off == OFF_STATIC ? value_ptr : NULL;
	f->value_len = value_len;
	f->type = type;
	f->hash = 0;
	e->offs_[2 * e->n] = name_off;
	e->offs_[2 * e->n + 1] = value_off;
	e->n++;
	return 0;
}

/* Scanning */

static void skip_ws(struct dec *d)
{
	while (d->p < d->end && (*d->p == ' ' || *d->p == '\n' || *d->p == '\r' || *d->p == '\t'))
		d->p++;
}

static int hexval(unsigned c)
{
	if (c - '0' < 10)
		return (int)(c - '0');
	c |= 0x20;
	if (c - 'a' < 6)
		return (int)(c - 'a' + 10);
	return -1;
}

/* Four hex digits at s (which has at least 4 bytes), or -1. */
static long hex4(const unsigned char *s)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval(s[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static char *put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/*
 * The length of the well-formed UTF-8 sequence at s (s[0] >= 0x80), or 0
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
 */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
	unsigned c = s[0];
	size_t left = (size_t)(end - s);

	if (c >= 0xc2 && c <= 0xdf)
		return left >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (left < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;
		if (c == 0xed && s[1] > 0x9f)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (left < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] > 0x8f)
			return 0;
		return 4;
	}
	return 0;
}

/*
 * The string at d->p (its opening quote), unescaped and NUL-terminated at
 * the end of the arena: *off and *len say where. The arena grows by len+1.
 */
static int parse_string(struct dec *d, uint32_t *off, size_t *len)
{
	const unsigned char *s = d->p + 1, *end = d->end;
	char *out, *o, *lim;
	int rc;

	/*
	 * The output grows as it goes (by doubling), so the arena stays near
	 * the size of the event however much input follows it. Before each
	 * write there is room for a whole 16-byte store plus the NUL.
	 */
#define ROOM(n)                                                                   \
	do {                                                                      \
		if ((size_t)(lim - o) < (size_t)(n)) {                            \
			size_t used_ = (size_t)(o - out);                         \
			rc = arena_reserve(d, used_ + (size_t)(n) + 64);          \
			if (rc)                                                   \
				return rc;                                        \
			out = d->e->arena + d->e->arena_len;                      \
			o = out + used_;                                          \
			lim = d->e->arena + d->e->arena_cap;                      \
		}                                                                 \
	} while (0)

	rc = arena_reserve(d, 256);
	if (rc)
		return rc;
	out = o = d->e->arena + d->e->arena_len;
	lim = d->e->arena + d->e->arena_cap;
	for (;;) {
		unsigned c;

#ifdef __SSE2__
		{
			const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
				      space = _mm_set1_epi8(0x20);

			while (end - s >= 16) {
				__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
				/* Signed compare: catches control bytes and every byte >= 0x80. */
				__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
								      _mm_cmpeq_epi8(v, bslash)),
							 _mm_cmplt_epi8(v, space));
				unsigned bits = (unsigned)_mm_movemask_epi8(m);

				ROOM(17);
				_mm_storeu_si128((__m128i *)(void *)o, v);
				if (bits) {
					unsigned k = (unsigned)__builtin_ctz(bits);
					s += k;
					o += k;
					break;
				}
				s += 16;
				o += 16;
			}
		}
#endif
		ROOM(5);
		if (s >= end)
			return d->truncated ? fail_too_long(d)
					    : fail(d, d->p, ERR_PARSE, "unterminated string");
		c = *s;
		if (c == '"') {
			break;
		} else if (c == '\\') {
			if (end - s < 2)
				return fail(d, d->p, ERR_PARSE, "unterminated string");
			switch (s[1]) {
			case '"': *o++ = '"'; s += 2; break;
			case '\\': *o++ = '\\'; s += 2; break;
			case '/': *o++ = '/'; s += 2; break;
			case 'b': *o++ = '\b'; s += 2; break;
			case 'f': *o++ = '\f'; s += 2; break;
			case 'n': *o++ = '\n'; s += 2; break;
			case 'r': *o++ = '\r'; s += 2; break;
			case 't': *o++ = '\t'; s += 2; break;
			case 'u': {
				long cp, lo;

				if (end - s < 6 || (cp = hex4(s + 2)) < 0)
					return fail(d, s, ERR_PARSE, "invalid \\u escape");
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return fail(d, s, ERR_PARSE, "unpaired low surrogate in \\u escape");
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (end - s < 12 || s[6] != '\\' || s[7] != 'u' ||
					    (lo = hex4(s + 8)) < 0 || lo < 0xdc00 || lo > 0xdfff)
						return fail(d, s, ERR_PARSE,
							    "unpaired high surrogate in \\u escape");
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					s += 6;
				}
				o = put_utf8(o, (unsigned long)cp); /* at most 4 bytes */
				s += 6;
				break;
			}
			default:
				return fail(d, s, ERR_PARSE, "invalid escape in string");
			}
		} else if (c < 0x20) {
			return fail(d, s, ERR_PARSE, "control character in string");
		} else if (c >= 0x80) {
			size_t n = utf8_seq(s, end);

			if (!n)
				return fail(d, s, ERR_PARSE, "invalid UTF-8 in string");
			memcpy(o, s, n); /* at most 4 bytes */
			o += n;
			s += n;
		} else {
			*o++ = (char)c;
			s++;
		}
	}
#undef ROOM
	*o = '\0';
	*off = (uint32_t)d->e->arena_len;
	*len = (size_t)(o - out);
	d->e->arena_len += *len + 1;
	d->p = s + 1;
	return 0;
}

/* A number as written, validated (RFC 8259 grammar) and copied to the arena. */
static int parse_number(struct dec *d, uint32_t *off, size_t *len)
{
	const unsigned char *s = d->p, *end = d->end, *start = d->p;
	int rc;

	if (s < end && *s == '-')
		s++;
	if (s < end && *s == '0') {
		s++;
	} else if (s < end && *s >= '1' && *s <= '9') {
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	} else {
		return fail(d, s, ERR_PARSE, "invalid number");
	}
	if (s < end && *s == '.') {
		s++;
		if (s >= end || *s < '0' || *s > '9')
			return fail(d, s, ERR_PARSE, "invalid number");
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		if (s >= end || *s < '0' || *s > '9')
			return fail(d, s, ERR_PARSE, "invalid number");
		while (s < end && *s >= '0' && *s <= '9')
			s++;
	}
	*len = (size_t)(s - start);
	rc = arena_reserve(d, *len + 1);
	if (rc)
		return rc;
	*off = (uint32_t)d->e->arena_len;
	memcpy(d->e->arena + d->e->arena_len, start, *len);
	d->e->arena[d->e->arena_len + *len] = '\0';
	d->e->arena_len += *len + 1;
	d->p = s;
	return 0;
}

static int match_word(struct dec *d, const char *w, size_t n)
{
	if ((size_t)(d->end - d->p) < n || memcmp(d->p, w, n) != 0)
		return fail_unexpected(d, "a value");
	d->p += n;
	return 0;
}

/*
 * Names. A name is built at the end of the arena: the prefix (an earlier
 * name, by offset), a separator, then the key unescaped in place.
 */

/* Remove spaces from the name at off (in place); returns the new length. */
static size_t strip_spaces(char *s, size_t len)
{
	size_t j = 0;

	if (!memchr(s, ' ', len))
		return len;
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ')
			s[j++] = s[i];
	s[j] = '\0';
	return j;
}

static int parse_value(struct dec *d, enum mode mode, uint32_t name_off, size_t name_len,
		       int depth);

static int key_is(const struct dec *d, uint32_t off, size_t len, const char *w, size_t wl)
{
	return len == wl && memcmp(d->e->arena + off, w, wl) == 0;
}

/*
 * Parse the key at d->p (its quote) into a name for the mode: prefix, sep,
 * key. key_off and key_len locate the key alone inside the name.
 */
static int parse_key(struct dec *d, uint32_t pre_off, size_t pre_len, char sep,
		     uint32_t *name_off, size_t *name_len, uint32_t *key_off, size_t *key_len)
{
	uint32_t start = (uint32_t)d->e->arena_len;
	int rc;

	if (sep) {
		rc = arena_reserve(d, pre_len + 1);
		if (rc)
			return rc;
		memmove(d->e->arena + d->e->arena_len, d->e->arena + pre_off, pre_len);
		d->e->arena[d->e->arena_len + pre_len] = sep;
		d->e->arena_len += pre_len + 1;
	}
	rc = parse_string(d, key_off, key_len);
	if (rc)
		return rc;
	if (sep) {
		/* The key's NUL moves nothing: prefix, sep and key are contiguous. */
		*name_off = start;
		*name_len = pre_len + 1 + *key_len;
	} else {
		*name_off = *key_off;
		*name_len = *key_len;
	}
	/*
	 * A check builds no name but counts the one the flat profile would
	 * join (the longest any profile makes): the prefix's length, the
	 * '.' and the key, passed down as the prefix of the members.
	 */
	if (d->want == PROFILE_CHECK && pre_len)
		*name_len = pre_len + 1 + *key_len;
	if (*name_len > EVENT_MAX_NAME)
		return err_set(d->err, ERR_TOOLONG, "offset %zu: field name too long: more than %u "
			       "bytes with its nested keys joined by '.'", off_of(d, d->p),
			       EVENT_MAX_NAME);
	return 0;
}

/* evtx names EventData may not take: they always come from System. */
static int reserved_name(const char *s, size_t n)
{
	switch (n) {
	case 7: return memcmp(s, "EventID", 7) == 0 || memcmp(s, "Channel", 7) == 0;
	case 8: return memcmp(s, "Computer", 8) == 0;
	case 13: return memcmp(s, "Provider_Name", 13) == 0;
	}
	return 0;
}

static int special_of(const char *s, size_t n)
{
	for (int i = 0; i < SP__COUNT; i++)
		if (special_keys[i].len == n && memcmp(special_keys[i].key, s, n) == 0)
			return i;
	return -1;
}

static int parse_object(struct dec *d, enum mode mode, uint32_t pre_off, size_t pre_len,
			int depth)
{
	int rc;

	if (depth > EVENT_MAX_DEPTH)
		return fail(d, d->p, ERR_PARSE, "nesting too deep");
	d->p++; /* { */
	skip_ws(d);
	if (d->p < d->end && *d->p == '}') {
		d->p++;
		return 0;
	}
	for (;;) {
		uint32_t name_off, key_off;
		size_t name_len, key_len, mark;
		enum mode child = M_FLAT;
		char sep = 0;
		unsigned next;
		int sp = -1;
		long before;

		if (d->p >= d->end || *d->p != '"')
			return fail_unexpected(d, "a string key");
		mark = d->e->arena_len;
		switch (mode) {
		case M_FLAT:
			sep = pre_len ? '.' : 0;
			break;
		case M_ATTRS:
			sep = '_';
			break;
		case M_SYSTAG:
		case M_ITEM:
			sep = '.'; /* for keys other than #text and #attributes */
			break;
		default:
			break;
		}
		rc = parse_key(d, pre_off, pre_len, sep, &name_off, &name_len, &key_off, &key_len);
		if (rc)
			return rc;
		skip_ws(d);
		if (d->p >= d->end || *d->p != ':')
			return fail_unexpected(d, "':'");
		d->p++;
		skip_ws(d);
		if (d->p >= d->end)
			return fail_unexpected(d, "a value");
		next = *d->p;

		switch (mode) {
		case M_FLAT:
		case M_ATTRS:
			child = M_FLAT;
			break;
		case M_TOP:
			child = M_FLAT;
			if (next == '{') {
				if (d->want != PROFILE_FLAT && d->want != PROFILE_WINLOGBEAT &&
				    key_is(d, key_off, key_len, "Event", 5)) {
					child = M_EVENT;
					d->event_obj = 1;
				} else if (d->want != PROFILE_FLAT && d->want != PROFILE_EVTX &&
					   key_is(d, key_off, key_len, "event_data", 10)) {
					d->wlb_data = 1;
					sp = -2;            /* marks Winlogbeat naming below */
				}
			} else if (next != '[') {
				sp = special_of(d->e->arena + key_off, key_len);
			}
			break;
		case M_EVENT:
			if (next == '{' && key_is(d, key_off, key_len, "System", 6)) {
				child = M_SYSTEM;
				d->system = 1;
			} else if (next == '{' && key_is(d, key_off, key_len, "EventData", 9)) {
				child = M_DATA;
			} else if (next == '{' && key_is(d, key_off, key_len, "UserData", 8)) {
				child = M_USERDATA;
			} else if (key_is(d, key_off, key_len, "#attributes", 11)) {
				child = M_SKIP;
			}
			break;
		case M_SYSTEM:
			child = M_SYSTAG;
			break;
		case M_SYSTAG:
		case M_ITEM:
			if (key_is(d, key_off, key_len, "#text", 5)) {
				/* The value is the tag's own: name it by the prefix. */
				d->e->arena_len = mark;
				name_off = pre_off;
				name_len = pre_len;
				child = M_FLAT;
			} else if (key_is(d, key_off, key_len, "#attributes", 11)) {
				d->e->arena_len = mark;
				name_off = pre_off;
				name_len = pre_len;
				child = mode == M_SYSTAG ? M_ATTRS : M_SKIP;
			} else {
				child = M_FLAT;
			}
			break;
		case M_DATA:
		case M_USERDATA:
			if (key_is(d, key_off, key_len, "#attributes", 11)) {
				child = M_SKIP;
			} else if (mode == M_USERDATA && next == '{') {
				child = M_DATA; /* a wrapper: its members are the fields */
			} else {
				name_len = strip_spaces(d->e->arena + name_off, name_len);
				child = reserved_name(d->e->arena + name_off, name_len) ? M_SKIP : M_ITEM;
			}
			break;
		case M_SKIP:
			child = M_SKIP;
			break;
		}
		if (sp == -2) {
			/*
			 * Winlogbeat's event_data: members keep their names, so
			 * decode it as a flat object without a prefix.
			 */
			rc = parse_object(d, M_FLAT, 0, 0, depth + 1);
		} else {
			before = (long)d->e->n;
			rc = parse_value(d, child, name_off, name_len, depth + 1);
			if (!rc && sp >= 0 && (long)d->e->n == before + 1 && d->special[sp] < 0)
				d->special[sp] = before;
			if (!rc && sp == SP_EVENT_ID && (long)d->e->n == before + 1)
				d->wlb_id = 1;
		}
		if (rc)
			return rc;
		skip_ws(d);
		if (d->p < d->end && *d->p == ',') {
			d->p++;
			skip_ws(d);
			continue;
		}
		if (d->p < d->end && *d->p == '}') {
			d->p++;
			return 0;
		}
		return fail_unexpected(d, "',' or '}'");
	}
}

static int parse_array(struct dec *d, enum mode mode, uint32_t name_off, size_t name_len,
		       int depth)
{
	int rc;

	if (depth > EVENT_MAX_DEPTH)
		return fail(d, d->p, ERR_PARSE, "nesting too deep");
	d->p++; /* [ */
	skip_ws(d);
	if (d->p < d->end && *d->p == ']') {
		d->p++;
		return 0;
	}
	for (;;) {
		/* Each element under the array's own name. */
		rc = parse_value(d, mode, name_off, name_len, depth + 1);
		if (rc)
			return rc;
		skip_ws(d);
		if (d->p < d->end && *d->p == ',') {
			d->p++;
			skip_ws(d);
			continue;
		}
		if (d->p < d->end && *d->p == ']') {
			d->p++;
			return 0;
		}
		return fail_unexpected(d, "',' or ']'");
	}
}

/*
 * One value named name (an arena offset). Objects take their members'
 * names from mode; arrays give each element the same name; scalars become
 * a field unless mode is M_SKIP.
 */
static int parse_value(struct dec *d, enum mode mode, uint32_t name_off, size_t name_len,
		       int depth)
{
	uint32_t off;
	size_t len;
	int rc, emit = mode != M_SKIP;

	if (d->p >= d->end)
		return fail_unexpected(d, "a value");
	/* A check refuses what decoding would: every scalar becomes a field. */
	if (d->want == PROFILE_CHECK && *d->p != '{' && *d->p != '[' && ++d->scalars > EVENT_MAX_FIELDS)
		return fail(d, d->p, ERR_TOOLONG, "too many fields in one event");
	switch (*d->p) {
	case '{':
		return parse_object(d, mode, name_off, name_len, depth);
	case '[':
		return parse_array(d, mode, name_off, name_len, depth);
	case '"':
		rc = parse_string(d, &off, &len);
		if (rc || !emit)
			return rc;
		return add_field(d, name_off, name_len, off, NULL, len, EV_STRING);
	case 't':
		rc = match_word(d, "true", 4);
		if (rc || !emit)
			return rc;
		return add_field(d, name_off, name_len, OFF_STATIC, lit_true, 4, EV_BOOL);
	case 'f':
		rc = match_word(d, "false", 5);
		if (rc || !emit)
			return rc;
		return add_field(d, name_off, name_len, OFF_STATIC, lit_false, 5, EV_BOOL);
	case 'n':
		rc = match_word(d, "null", 4);
		if (rc || !emit)
			return rc;
		return add_field(d, name_off, name_len, OFF_STATIC, lit_null, 0, EV_NULL);
	default:
		if (*d->p == '-' || (*d->p >= '0' && *d->p <= '9')) {
			rc = parse_number(d, &off, &len);
			if (rc || !emit)
				return rc;
			return add_field(d, name_off, name_len, off, NULL, len, EV_NUMBER);
		}
		return fail_unexpected(d, "a value");
	}
}

/* Decoding one event */

static void set_static_name(struct event *e, long i, const char *name)
{
	e->fields[i].name = name;
	e->fields[i].name_len = strlen(name);
	e->offs_[2 * i] = OFF_STATIC;
}

/* A field with the same value as field i under another (static) name. */
static int add_alias(struct dec *d, long i, const char *name)
{
	struct event *e = d->e;
	int rc = add_field(d, OFF_STATIC, 0, e->offs_[2 * i + 1], e->fields[i].value,
			   e->fields[i].value_len, e->fields[i].type);

	if (rc)
		return rc;
	set_static_name(e, (long)e->n - 1, name);
	/* add_field took the value's offset, or its static pointer when it has one. */
	return 0;
}

static int decode_once(struct dec *d, const unsigned char *start)
{
	struct event *e = d->e;

	e->n = 0;
	e->arena_len = 0;
	d->p = start;
	d->event_obj = d->system = d->wlb_data = d->wlb_id = 0;
	for (int i = 0; i < SP__COUNT; i++)
		d->special[i] = -1;
	return parse_object(d, d->want == PROFILE_CHECK ? M_SKIP : M_TOP, 0, 0, 1);
}

int event_decode_at(struct event *e, const char *data, size_t len, size_t pos,
		    enum event_profile profile, size_t *next, struct err *err)
{
	struct dec d;
	const unsigned char *start;
	enum event_profile got;
	int rc;

	memset(&d, 0, sizeof(d));
	d.e = e;
	d.data = data;
	d.p = (const unsigned char *)data + pos;
	d.end = (const unsigned char *)data + len;
	d.err = err;
	d.want = profile;
	e->n = 0;
	e->arena_len = 0;
	e->raw = NULL;
	e->raw_len = 0;
	skip_ws(&d);
	if (d.p >= d.end || *d.p != '{')
		return fail_unexpected(&d, "a JSON object");
	start = d.p;
	if ((size_t)(d.end - start) > EVENT_MAX_LEN) {
		/* An object that has not ended by then is too long. */
		d.end = start + EVENT_MAX_LEN;
		d.truncated = 1;
	}
	rc = decode_once(&d, start);
	if (rc)
		goto fail;
	if (profile == PROFILE_CHECK) {
		e->profile = PROFILE_CHECK;
		goto done;
	}

	/* Which profile the event has, and whether the first pass named it so. */
	if (profile != PROFILE_AUTO)
		got = profile;
	else if (d.event_obj && d.system)
		got = PROFILE_EVTX;
	else if (d.wlb_data && d.wlb_id)
		got = PROFILE_WINLOGBEAT;
	else
		got = PROFILE_FLAT;
	if (profile == PROFILE_AUTO && ((d.event_obj && got != PROFILE_EVTX) ||
					(d.wlb_data && got != PROFILE_WINLOGBEAT))) {
		d.want = got;
		rc = decode_once(&d, start);
		if (rc)
			goto fail;
	}
	e->profile = got;

	if (got == PROFILE_WINLOGBEAT) {
		for (int i = 0; i < 4; i++)
			if (d.special[i] >= 0)
				set_static_name(e, d.special[i], wlb_names[i]);
	} else if (got == PROFILE_FLAT) {
		if (d.special[SP_PROVIDER_NAME] < 0 && d.special[SP_SOURCENAME] >= 0) {
			rc = add_alias(&d, d.special[SP_SOURCENAME], "Provider_Name");
			if (rc)
				goto fail;
		}
		if (d.special[SP_COMPUTER] < 0 && d.special[SP_HOSTNAME] >= 0) {
			rc = add_alias(&d, d.special[SP_HOSTNAME], "Computer");
			if (rc)
				goto fail;
		}
	}

	/* The arena has stopped moving: turn offsets into pointers, hash names. */
	for (size_t i = 0; i < e->n; i++) {
		struct event_field *f = &e->fields[i];

		if (e->offs_[2 * i] != OFF_STATIC)
			f->name = e->arena + e->offs_[2 * i];
		if (e->offs_[2 * i + 1] != OFF_STATIC)
			f->value = e->arena + e->offs_[2 * i + 1];
		f->hash = event_name_hash(f->name, f->name_len);
	}
done:
	e->raw = (const char *)start;
	e->raw_len = (size_t)(d.p - start);
	*next = off_of(&d, d.p);
	return 0;
fail:
	/* A failed decode leaves no fields behind. */
	e->n = 0;
	e->arena_len = 0;
	return rc;
}

int event_decode(struct event *e, const char *json, size_t len, enum event_profile profile,
		 struct err *err)
{
	size_t next = 0;
	int rc = event_decode_at(e, json, len, 0, profile, &next, err);
	const char *p, *end = json + len;

	/* next is set only on success: no pointer from it before that. */
	if (rc)
		return rc;
	p = json + next;
	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	if (p < end) {
		e->n = 0;
		return err_set(err, ERR_PARSE, "offset %zu: unexpected text after the object",
			       (size_t)(p - json));
	}
	return 0;
}
