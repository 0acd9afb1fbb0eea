/*
 * observable.h: typed values seen in an incident (addresses, domains, urls,
 * hashes, file names, registry keys, user agents, ...), normalised per type
 * so that the same thing is stored once and found again on other incidents
 * (sightings), with a TLP marking and an IOC flag. Observables flagged IOC
 * form the watchlist called "observables" (detect/watchlist.h).
 */
#ifndef IRDESK_IR_OBSERVABLE_H
#define IRDESK_IR_OBSERVABLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct actor;
struct buf;
struct err;
struct store;

/* X(NAME, api name, Japanese, English) */
#define OBSERVABLE_TYPES(X)                                              \
	X(IP, ip, "IPアドレス", "IP address")                            \
	X(CIDR, cidr, "ネットワーク (CIDR)", "Network (CIDR)")           \
	X(DOMAIN, domain, "ドメイン", "Domain")                          \
	X(HOSTNAME, hostname, "ホスト名", "Host name")                   \
	X(URL, url, "URL", "URL")                                        \
	X(EMAIL, email, "メールアドレス", "E-mail address")              \
	X(MD5, md5, "MD5", "MD5")                                        \
	X(SHA1, sha1, "SHA-1", "SHA-1")                                  \
	X(SHA256, sha256, "SHA-256", "SHA-256")                          \
	X(SHA512, sha512, "SHA-512", "SHA-512")                          \
	X(FILENAME, filename, "ファイル名", "File name")                 \
	X(REGISTRY_KEY, registry_key, "レジストリキー", "Registry key")  \
	X(USER_AGENT, user_agent, "ユーザーエージェント", "User agent")  \
	X(OTHER, other, "その他", "Other")

enum observable_type {
#define X(N, n, ja, en) OBS_##N,
	OBSERVABLE_TYPES(X)
#undef X
	OBS__COUNT /* also "guess the type" where a type is taken */
};

#define OBSERVABLE_VALUE_MAX 2048    /* bytes of a value, before and after normalising */
#define OBSERVABLE_COMMENT_MAX 1000  /* characters */
#define OBSERVABLE_TEXT_MAX (256 * 1024) /* bytes of pasted text to extract from */
#define OBSERVABLE_EXTRACT_MAX 500   /* observables taken from one paste */

const char *observable_type_name(enum observable_type t);
const char *observable_type_label(enum observable_type t, const char *lang);
/* Parse a type name; ERR_INVALID naming the valid types. */
int observable_type_parse(const char *s, enum observable_type *out, struct err *e);

/*
 * Normalise text (user input, defanged forms such as hxxp://, [.] and [@]
 * accepted) as type *type, or guess the type when *type is OBS__COUNT, into
 * out[0..n): IPs in canonical form (IPv6 as RFC 5952), CIDRs with the host
 * bits cleared, domains and host names lower case with IDN as punycode,
 * urls with scheme and host lower case, e-mail addresses and hashes lower
 * case (hashes of the right length), file names as the lower-case
 * basename, registry keys with the hive spelt out (HKLM ->
 * HKEY_LOCAL_MACHINE) and backslashes, user agents with runs of spaces
 * folded. ERR_INVALID naming the problem when the value is not one.
 */
int observable_normalize(const char *text, enum observable_type *type, char *out, size_t n,
			 struct err *e);

/*
 * The form of a normalised value for people into out (appended): domains,
 * host names and e-mail domains in punycode are shown in Unicode.
 */
void observable_display(enum observable_type t, const char *value, struct buf *out);

struct observable_new {
	const char *type;    /* NULL or "": guess */
	const char *value;
	const char *tlp;     /* NULL: the incident's TLP */
	int ioc;
	const char *comment; /* may be NULL */
};

/*
 * Add one observable to incident hid (ACT_OBSERVABLE_EDIT) in one
 * transaction with its audit row and a timeline entry. ERR_EXISTS when the
 * incident already has it. *out (may be NULL) gets it as JSON.
 */
int observable_add(struct store *st, const struct actor *who, const char *hid,
		   const struct observable_new *o, json_t **out, struct err *e);

/*
 * The observables found in free text (urls, domains, e-mail addresses,
 * public IPv4 addresses, MD5/SHA-1/SHA-256/SHA-512 hashes; defanged forms
 * refanged) as a JSON array of {type, value}, without touching the store.
 */
int observable_extract(const char *text, size_t len, json_t **out, struct err *e);

/*
 * Extract from text and add every observable found that the incident does
 * not have yet, with tlp (NULL: the incident's) and the ioc flag, in one
 * transaction. *out gets {"added": [...], "existing": [...]}.
 */
int observable_add_text(struct store *st, const struct actor *who, const char *hid,
			const char *text, const char *tlp, int ioc, json_t **out, struct err *e);

/*
 * Add the items (a JSON array of {type, value}, already normalised, as
 * observable_extract gives) that incident hid does not have yet, as
 * observable_add_text does; the timeline says they came from source
 * ("pasted text", "alert #12"). Works inside the caller's transaction too.
 */
int observable_add_items(struct store *st, const struct actor *who, const char *hid,
			 const json_t *items, const char *tlp, int ioc, const char *source,
			 json_t **out, struct err *e);

struct observable_patch {
	const char *tlp;     /* NULL: unchanged */
	int ioc;             /* -1: unchanged */
	const char *comment; /* NULL: unchanged */
};

/* Change observable id of incident hid (ACT_OBSERVABLE_EDIT), audited. */
int observable_update(struct store *st, const struct actor *who, const char *hid, int64_t id,
		      const struct observable_patch *p, json_t **out, struct err *e);
/* Remove observable id of incident hid (ACT_OBSERVABLE_EDIT), audited, on the timeline. */
int observable_remove(struct store *st, const struct actor *who, const char *hid, int64_t id,
		      struct err *e);

/*
 * The observables of incident hid (ACT_INCIDENT_READ) as a JSON array of
 * {id, incident, type, value, display, tlp, ioc, comment, created_by,
 * created_at, sightings: [hid, ...]}; sightings name only the other
 * incidents the actor may see.
 */
int observable_list(struct store *st, const struct actor *who, const char *hid, json_t **out,
		    struct err *e);

/*
 * Every observable with this value (normalised with its guessed type, or
 * as given when no type fits) on the incidents the actor may see, as a JSON
 * array like observable_list's, newest incident first (at most 200).
 */
int observable_search(struct store *st, const struct actor *who, const char *value,
		      json_t **out, struct err *e);

#endif
