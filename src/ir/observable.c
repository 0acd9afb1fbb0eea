/*
 * observable.c: observables of incidents: normalising per type (the types
 * the watchlist knows are normalised by detect/ioc.c, the others here),
 * storing, sightings across incidents, extraction from pasted text (the
 * mail analyser's scanner), and the watchlist "observables" kept in step.
 */
#include "ir/observable.h"
#include "detect/ioc.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/incident.h"
#include "ir/timeline.h"
#include "ir/vocab.h"
#include "mail/mail.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/utf8.h"

#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct type_info {
	const char *name, *ja, *en;
};

static const struct type_info types[] = {
#define X(N, n, ja, en) { #n, ja, en },
	OBSERVABLE_TYPES(X)
#undef X
};

/* The watchlist type of each observable type, IOC__COUNT when it has none. */
static const enum ioc_type as_ioc[OBS__COUNT] = {
	[OBS_IP] = IOC_IP, [OBS_CIDR] = IOC_CIDR, [OBS_DOMAIN] = IOC_DOMAIN,
	[OBS_HOSTNAME] = IOC_DOMAIN, [OBS_URL] = IOC_URL, [OBS_EMAIL] = IOC_EMAIL,
	[OBS_MD5] = IOC_MD5, [OBS_SHA1] = IOC_SHA1, [OBS_SHA256] = IOC_SHA256,
	[OBS_SHA512] = IOC__COUNT, [OBS_FILENAME] = IOC_FILENAME,
	[OBS_REGISTRY_KEY] = IOC__COUNT, [OBS_USER_AGENT] = IOC__COUNT, [OBS_OTHER] = IOC__COUNT,
};

#define WATCHLIST_NAME "observables"

const char *observable_type_name(enum observable_type t)
{
	return (unsigned)t < OBS__COUNT ? types[t].name : "";
}

const char *observable_type_label(enum observable_type t, const char *lang)
{
	if ((unsigned)t >= OBS__COUNT)
		return "";
	return lang && strcmp(lang, "ja") == 0 ? types[t].ja : types[t].en;
}

int observable_type_parse(const char *s, enum observable_type *out, struct err *e)
{
	struct buf list = BUF_INIT;
	int rc;

	for (int i = 0; i < OBS__COUNT; i++) {
		if (strcasecmp(s, types[i].name) == 0) {
			*out = (enum observable_type)i;
			return 0;
		}
	}
	for (int i = 0; i < OBS__COUNT; i++)
		buf_addf(&list, "%s%s", i ? ", " : "", types[i].name);
	rc = err_set(e, ERR_INVALID, "type: unknown observable type '%.40s' (one of: %s)", s,
		     list.data);
	buf_release(&list);
	return rc;
}

/* Normalising the types the watchlist does not know */

static const struct {
	const char *abbr, *full;
} hives[] = {
	{ "HKLM", "HKEY_LOCAL_MACHINE" }, { "HKCU", "HKEY_CURRENT_USER" },
	{ "HKCR", "HKEY_CLASSES_ROOT" },  { "HKU", "HKEY_USERS" },
	{ "HKCC", "HKEY_CURRENT_CONFIG" },
};

/* HKLM\Software\X or HKEY_LOCAL_MACHINE/Software/X -> HKEY_LOCAL_MACHINE\Software\X */
static int norm_registry(const char *s, struct buf *out)
{
	size_t hl = strcspn(s, "\\/");
	const char *rest = s + hl;

	for (size_t i = 0; i < sizeof(hives) / sizeof(hives[0]); i++) {
		if ((strlen(hives[i].abbr) == hl && strncasecmp(s, hives[i].abbr, hl) == 0) ||
		    (strlen(hives[i].full) == hl && strncasecmp(s, hives[i].full, hl) == 0)) {
			buf_adds(out, hives[i].full);
			for (; *rest; rest++) {
				char c = *rest == '/' ? '\\' : *rest;
				if (c == '\\' && out->len && out->data[out->len - 1] == '\\')
					continue;
				buf_addch(out, c);
			}
			/* No separator or blank at the end: the value is trimmed on entry,
			 * so normalising again must not find one to remove. */
			while (out->len && (out->data[out->len - 1] == '\\' ||
					    out->data[out->len - 1] == ' ' || out->data[out->len - 1] == '\t'))
				buf_truncate(out, out->len - 1);
			return 0;
		}
	}
	return -1;
}

/* Trim, fold runs of white space into one space. */
static void norm_spaces(const char *s, struct buf *out)
{
	int space = 0;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\t') {
			space = out->len > 0;
			continue;
		}
		if (space)
			buf_addch(out, ' ');
		space = 0;
		buf_addch(out, *s);
	}
}

static int norm_sha512(const char *s, struct buf *out)
{
	if (strlen(s) != 128)
		return -1;
	for (; *s; s++) {
		char c = *s >= 'A' && *s <= 'F' ? (char)(*s + 32) : *s;
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		buf_addch(out, c);
	}
	return 0;
}

/* The types detect/ioc.c does not know, on text already trimmed. */
static int norm_local(enum observable_type t, const char *s, char *out, size_t n, struct err *e)
{
	struct buf b;
	int bad = 0;

	buf_init(&b, OBSERVABLE_VALUE_MAX);
	switch (t) {
	case OBS_REGISTRY_KEY: bad = norm_registry(s, &b); break;
	case OBS_SHA512: bad = norm_sha512(s, &b); break;
	case OBS_USER_AGENT:
	case OBS_OTHER: norm_spaces(s, &b); break;
	default: bad = -1; break;
	}
	if (!bad && (b.len == 0 || b.len >= n || buf_error(&b)))
		bad = -1;
	if (!bad)
		memcpy(out, b.data, b.len + 1);
	buf_release(&b);
	if (bad)
		return err_set(e, ERR_INVALID, "value: '%.80s' is not a valid %s%s", s,
			       observable_type_name(t),
			       t == OBS_REGISTRY_KEY ? " (it starts with a hive: HKLM, HKCU, HKCR, "
						       "HKU, HKCC or their long names)" : "");
	return 0;
}

static enum observable_type from_ioc(enum ioc_type t)
{
	for (int i = 0; i < OBS__COUNT; i++)
		if (as_ioc[i] == t && i != OBS_HOSTNAME)
			return (enum observable_type)i;
	return OBS_OTHER;
}

/* Guess: registry keys and SHA-512 here, everything else as the watchlist guesses. */
static enum observable_type guess_local(const char *s)
{
	struct buf b = BUF_INIT;
	enum observable_type t = OBS__COUNT;

	if (norm_registry(s, &b) == 0 && strpbrk(s, "\\/"))
		t = OBS_REGISTRY_KEY;
	else if (strlen(s) == 128 && strspn(s, "0123456789abcdefABCDEF") == 128)
		t = OBS_SHA512;
	buf_release(&b);
	return t;
}

int observable_normalize(const char *text, enum observable_type *type, char *out, size_t n,
			 struct err *e)
{
	char trimmed[OBSERVABLE_VALUE_MAX];
	size_t len;
	enum observable_type t = *type;
	enum ioc_type it;
	int rc;

	if (!text)
		return err_set(e, ERR_INVALID, "value: required");
	len = strlen(text);
	if (len >= OBSERVABLE_VALUE_MAX)
		return err_set(e, ERR_INVALID, "value: longer than %d bytes", OBSERVABLE_VALUE_MAX - 1);
	if ((rc = utf8_check_text("value", text, OBSERVABLE_VALUE_MAX, 0, e)))
		return rc;
	while (len && (*text == ' ' || *text == '\t'))
		text++, len--;
	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	if (len == 0)
		return err_set(e, ERR_INVALID, "value: required");
	memcpy(trimmed, text, len);
	trimmed[len] = '\0';
	if (t == OBS__COUNT)
		t = guess_local(trimmed);
	if (t != OBS__COUNT && as_ioc[t] == IOC__COUNT) {
		if ((rc = norm_local(t, trimmed, out, n, e)))
			return rc;
		*type = t;
		return 0;
	}
	it = t == OBS__COUNT ? IOC__COUNT : as_ioc[t];
	if ((rc = ioc_normalize(trimmed, len, &it, out, n, e)))
		return err_prefix(e, "value");
	if (t == OBS__COUNT)
		t = from_ioc(it);
	else if (t == OBS_IP && it == IOC_CIDR)
		t = OBS_CIDR;
	else if (t == OBS_CIDR && it == IOC_IP)
		t = OBS_IP;
	if (t == OBS_DOMAIN && !strchr(out, '.'))
		return err_set(e, ERR_INVALID, "value: '%.80s' is not a domain (no dot; use type "
			       "hostname)", trimmed);
	*type = t;
	return 0;
}

/* A punycode domain in Unicode, appended to out; as it is when it does not convert. */
static void domain_unicode(const char *d, struct buf *out)
{
	char *u = NULL;

	if (strstr(d, "xn--") && idn2_to_unicode_8z8z(d, &u, 0) == IDN2_OK && u)
		buf_adds(out, u);
	else
		buf_adds(out, d);
	idn2_free(u);
}

void observable_display(enum observable_type t, const char *value, struct buf *out)
{
	const char *at;

	if (t == OBS_DOMAIN || t == OBS_HOSTNAME) {
		domain_unicode(value, out);
	} else if (t == OBS_EMAIL && (at = strrchr(value, '@'))) {
		buf_add(out, value, (size_t)(at - value) + 1);
		domain_unicode(at + 1, out);
	} else {
		buf_adds(out, value);
	}
}

/* Rows and JSON */

#define OBS_COLUMNS                                                                     \
	"o.id, i.hid, o.type, o.value, o.tlp, o.ioc, o.comment, o.created_by, "       \
	"o.created_at, o.updated_at, o.incident_id "                                  \
	"FROM observables o JOIN incidents i ON i.id = o.incident_id "

/* Restricts to incidents an external actor is a member of (one parameter: user id). */
#define OBS_VISIBLE " AND o.incident_id IN (SELECT incident_id FROM incident_members WHERE user_id = ?)"

static json_t *obs_from_row(struct stmt *s)
{
	json_t *o = json_object();
	struct buf disp = BUF_INIT;
	enum observable_type t = OBS_OTHER;

	observable_type_parse(stmt_text(s, 2), &t, NULL);
	observable_display(t, stmt_text(s, 3), &disp);
	json_set_int(o, "id", stmt_int(s, 0));
	json_set_str(o, "incident", stmt_text(s, 1));
	json_set_str(o, "type", stmt_text(s, 2));
	json_set_str(o, "value", stmt_text(s, 3));
	json_set_str(o, "display", disp.data);
	json_set_str(o, "tlp", stmt_text(s, 4));
	json_set_bool(o, "ioc", stmt_int(s, 5) != 0);
	json_set_str(o, "comment", stmt_text(s, 6));
	json_set_str(o, "created_by", stmt_text(s, 7));
	json_set_time(o, "created_at", stmt_int(s, 8));
	json_set_time(o, "updated_at", stmt_int(s, 9));
	buf_release(&disp);
	return o;
}

/* Observable id of incident incident_id as JSON; ERR_NOTFOUND otherwise. */
static int obs_load(struct store *st, int64_t incident_id, int64_t id, json_t **out,
		    struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT " OBS_COLUMNS "WHERE o.id = ? AND o.incident_id = ?",
			       &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	stmt_bind_int(s, 2, incident_id);
	rc = stmt_step(s, e);
	if (rc == 1) {
		*out = obs_from_row(s);
		rc = 0;
	} else if (rc == 0) {
		rc = err_set(e, ERR_NOTFOUND, "observable %lld not found", (long long)id);
	}
	stmt_done(s);
	return rc;
}

/* The watchlist */

/*
 * Rebuild the watchlist "observables" from the observables flagged IOC of
 * the types it knows (host names as domains), inside the caller's transaction.
 */
static int watchlist_sync(struct store *st, const struct actor *who, struct err *e)
{
	struct stmt *s;
	int64_t list_id;
	int rc;

	rc = store_prepare(st, "INSERT INTO ioc_lists (name, source, entries, created_by, "
			       "created_at, updated_at) VALUES (?, 'incident observables', 0, ?, ?, ?) "
			       "ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at "
			       "RETURNING id", &s, e);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, WATCHLIST_NAME);
	stmt_bind_text(s, 2, who->name);
	stmt_bind_int(s, 3, who->now);
	stmt_bind_int(s, 4, who->now);
	if ((rc = stmt_int_result(s, &list_id, e)))
		return rc;
	if ((rc = store_prepare(st, "DELETE FROM iocs WHERE list_id = ?", &s, e)))
		return rc;
	stmt_bind_int(s, 1, list_id);
	if ((rc = stmt_exec(s, e)))
		return rc;
	rc = store_prepare(st, "INSERT INTO iocs (list_id, type, value, comment) "
			       "SELECT DISTINCT l.id, CASE WHEN o.type = 'hostname' THEN 'domain' "
			       "ELSE o.type END, o.value, '' FROM observables o JOIN ioc_lists l "
			       "ON l.id = ? WHERE o.ioc = 1 AND o.type IN ('ip', 'cidr', 'domain', "
			       "'hostname', 'url', 'email', 'md5', 'sha1', 'sha256', 'filename') "
			       "ON CONFLICT DO NOTHING", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, list_id);
	if ((rc = stmt_exec(s, e)))
		return rc;
	rc = store_prepare(st, "UPDATE ioc_lists SET entries = (SELECT count(*) FROM iocs "
			       "WHERE list_id = ?) WHERE id = ?", &s, e);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, list_id);
	stmt_bind_int(s, 2, list_id);
	return stmt_exec(s, e);
}

/* Adding */

struct obs_row {
	enum observable_type type;
	char value[OBSERVABLE_VALUE_MAX];
	const char *tlp; /* a vocab_tlp name */
	int ioc;
	const char *comment;
};

static int incident_tlp(struct store *st, int64_t incident_id, char *out, size_t n,
			struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT tlp FROM incidents WHERE id = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	rc = stmt_step(s, e);
	if (rc == 1)
		snprintf(out, n, "%s", stmt_text(s, 0));
	stmt_done(s);
	return rc < 0 ? rc : 0;
}

/* The TLP name for user input tlp, or the incident's when NULL or "". */
static int tlp_choose(struct store *st, int64_t incident_id, const char *tlp, char *out, size_t n,
		      struct err *e)
{
	int i, rc;

	if (!tlp || !*tlp)
		return incident_tlp(st, incident_id, out, n, e);
	if ((rc = vocab_parse(&vocab_tlp, tlp, &i, e)))
		return err_prefix(e, "tlp");
	snprintf(out, n, "%s", vocab_name(&vocab_tlp, i));
	return 0;
}

/*
 * Insert r on incident_id unless it is there: *id gets the new row's id, or
 * 0 when the incident already had it.
 */
static int obs_insert(struct store *st, const struct actor *who, int64_t incident_id,
		      const struct obs_row *r, int64_t *id, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "INSERT INTO observables (incident_id, type, value, tlp, ioc, "
				   "comment, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, "
				   "?, ?, ?, ?) ON CONFLICT (incident_id, type, value) DO NOTHING "
				   "RETURNING id", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	stmt_bind_text(s, 2, observable_type_name(r->type));
	stmt_bind_text(s, 3, r->value);
	stmt_bind_text(s, 4, r->tlp);
	stmt_bind_int(s, 5, r->ioc ? 1 : 0);
	stmt_bind_text(s, 6, r->comment ? r->comment : "");
	stmt_bind_text(s, 7, who->name);
	stmt_bind_int(s, 8, who->now);
	stmt_bind_int(s, 9, who->now);
	*id = 0;
	rc = stmt_int_result(s, id, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
	}
	return rc;
}

/* Close a change: touch the incident, note it on the timeline, audit it, commit. */
static int obs_finish(struct store *st, const struct actor *who, int64_t incident_id,
		      const char *hid, const char *action, const char *note, const json_t *before,
		      const json_t *after, int ioc_changed, struct err *e)
{
	int rc = incident_touch(st, who, incident_id, e);

	if (!rc && note)
		rc = timeline_append(st, who, incident_id, TLK_OBSERVATION, who->now, note, NULL, e);
	if (!rc && ioc_changed)
		rc = watchlist_sync(st, who, e);
	if (!rc)
		rc = audit_append(st, who, action, "incident", hid, before, after, e);
	if (!rc)
		rc = store_commit(st, e);
	return rc;
}

static int check_comment(const char *comment, struct err *e)
{
	if (!comment)
		return 0;
	return utf8_check_text("comment", comment, OBSERVABLE_COMMENT_MAX, 1, e);
}

int observable_add(struct store *st, const struct actor *who, const char *hid,
		   const struct observable_new *o, json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX], tlp[32];
	struct obs_row r;
	struct buf note = BUF_INIT;
	json_t *obs = NULL;
	int64_t incident_id, id;
	int rc;

	if (out)
		*out = NULL;
	memset(&r, 0, sizeof(r));
	r.type = OBS__COUNT;
	if (o->type && *o->type && (rc = observable_type_parse(o->type, &r.type, e)))
		return rc;
	if ((rc = observable_normalize(o->value, &r.type, r.value, sizeof(r.value), e)) ||
	    (rc = check_comment(o->comment, e)))
		return rc;
	if ((rc = incident_resolve(st, who, hid, ACT_OBSERVABLE_EDIT, &incident_id, canon, e)) ||
	    (rc = tlp_choose(st, incident_id, o->tlp, tlp, sizeof(tlp), e)))
		return rc;
	r.tlp = tlp;
	r.ioc = o->ioc;
	r.comment = o->comment;
	if ((rc = store_begin(st, e)))
		return rc;
	rc = obs_insert(st, who, incident_id, &r, &id, e);
	if (!rc && !id)
		rc = err_set(e, ERR_EXISTS, "%s already has the %s %.200s", canon,
			     observable_type_name(r.type), r.value);
	if (!rc)
		rc = obs_load(st, incident_id, id, &obs, e);
	if (!rc) {
		buf_addf(&note, "observable added: %s %s%s", observable_type_name(r.type), r.value,
			 r.ioc ? " (IOC)" : "");
		rc = obs_finish(st, who, incident_id, canon, "observable.add", note.data, NULL, obs,
				r.ioc, e);
	}
	buf_release(&note);
	if (rc) {
		store_rollback(st);
		json_decref(obs);
		return rc;
	}
	if (out)
		*out = obs;
	else
		json_decref(obs);
	return 0;
}

/* Extracting */

static int hex_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int word_char(unsigned char c)
{
	return hex_char(c) || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') || c == '_';
}

/* Append {type, value} to arr unless it is there (or arr is full). */
static void found(json_t *arr, enum observable_type t, const char *value)
{
	char norm[OBSERVABLE_VALUE_MAX];
	size_t i;
	json_t *v;

	if (json_array_size(arr) >= OBSERVABLE_EXTRACT_MAX ||
	    observable_normalize(value, &t, norm, sizeof(norm), NULL) != 0)
		return;
	json_array_foreach(arr, i, v)
		if (strcmp(json_str(v, "value"), norm) == 0 &&
		    strcmp(json_str(v, "type"), observable_type_name(t)) == 0)
			return;
	json_array_append_new(arr, json_pack("{s:s,s:s}", "type", observable_type_name(t),
					     "value", norm));
}

/* Hex words of 32, 40, 64 or 128 digits. */
static void scan_hashes(json_t *arr, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		const unsigned char *q = p;
		char tmp[129];

		while (q < end && hex_char(*q))
			q++;
		if ((q == end || !word_char(*q)) && (p == (const unsigned char *)s || !word_char(p[-1]))) {
			size_t l = (size_t)(q - p);
			if (l == 32 || l == 40 || l == 64 || l == 128) {
				memcpy(tmp, p, l);
				tmp[l] = '\0';
				found(arr, l == 32 ? OBS_MD5 : l == 40 ? OBS_SHA1 : l == 64 ? OBS_SHA256
											   : OBS_SHA512, tmp);
			}
		}
		p = q;
		while (p < end && word_char(*p))
			p++;
		while (p < end && !hex_char(*p))
			p++;
	}
}

static void add_all(json_t *arr, enum observable_type t, const struct strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		found(arr, t, v->v[i]);
}

int observable_extract(const char *text, size_t len, json_t **out, struct err *e)
{
	struct mail_iocs io;
	json_t *arr;

	*out = NULL;
	if (len > OBSERVABLE_TEXT_MAX)
		return err_set(e, ERR_TOOLONG, "text: longer than %d bytes", OBSERVABLE_TEXT_MAX);
	if (!utf8_valid(text, len))
		return err_set(e, ERR_INVALID, "text: not valid UTF-8");
	arr = json_array();
	mail_iocs_from_text(text, len, &io);
	add_all(arr, OBS_URL, &io.urls);
	add_all(arr, OBS_DOMAIN, &io.domains);
	add_all(arr, OBS_EMAIL, &io.emails);
	add_all(arr, OBS_IP, &io.ips);
	mail_iocs_release(&io);
	scan_hashes(arr, text, len);
	*out = arr;
	return 0;
}

/* Insert every extracted item; sort them into added and existing. */
static int add_found(struct store *st, const struct actor *who, int64_t incident_id,
		     const json_t *items, const char *tlp, int ioc, json_t *added, json_t *existing,
		     struct err *e)
{
	size_t i;
	json_t *v;
	int rc = 0;

	json_array_foreach(items, i, v) {
		struct obs_row r;
		int64_t id;
		json_t *obs;

		memset(&r, 0, sizeof(r));
		observable_type_parse(json_str(v, "type"), &r.type, NULL);
		snprintf(r.value, sizeof(r.value), "%s", json_str(v, "value"));
		r.tlp = tlp;
		r.ioc = ioc;
		if ((rc = obs_insert(st, who, incident_id, &r, &id, e)))
			return rc;
		if (!id) {
			json_array_append(existing, v);
			continue;
		}
		if ((rc = obs_load(st, incident_id, id, &obs, e)))
			return rc;
		json_array_append_new(added, obs);
	}
	return 0;
}

int observable_add_text(struct store *st, const struct actor *who, const char *hid,
			const char *text, const char *tlp, int ioc, json_t **out, struct err *e)
{
	json_t *items = NULL;
	int rc;

	*out = NULL;
	rc = observable_extract(text ? text : "", text ? strlen(text) : 0, &items, e);
	if (!rc)
		rc = observable_add_items(st, who, hid, items, tlp, ioc, "pasted text", out, e);
	json_decref(items);
	return rc;
}

int observable_add_items(struct store *st, const struct actor *who, const char *hid,
			 const json_t *items, const char *tlp, int ioc, const char *source,
			 json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX], tlpname[32];
	json_t *added = json_array(), *existing = json_array();
	struct buf note = BUF_INIT;
	int64_t incident_id;
	int rc;

	*out = NULL;
	if ((rc = incident_resolve(st, who, hid, ACT_OBSERVABLE_EDIT, &incident_id, canon, e)) ||
	    (rc = tlp_choose(st, incident_id, tlp, tlpname, sizeof(tlpname), e)))
		goto out;
	if ((rc = store_begin(st, e)))
		goto out;
	rc = add_found(st, who, incident_id, items, tlpname, ioc, added, existing, e);
	if (!rc && json_array_size(added) == 0) {
		store_rollback(st); /* nothing new: nothing to record */
	} else if (!rc) {
		buf_addf(&note, "%zu observables added from %s", json_array_size(added), source);
		rc = obs_finish(st, who, incident_id, canon, "observable.extract", note.data, NULL,
				added, ioc, e);
		if (rc)
			store_rollback(st);
	} else {
		store_rollback(st);
	}
	if (!rc)
		*out = json_pack("{s:O,s:O}", "added", added, "existing", existing);
out:
	buf_release(&note);
	json_decref(added);
	json_decref(existing);
	return rc;
}

/* Changing and removing */

int observable_update(struct store *st, const struct actor *who, const char *hid, int64_t id,
		      const struct observable_patch *p, json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX], tlp[32] = "";
	json_t *before = NULL, *after = NULL;
	struct stmt *s;
	int64_t incident_id;
	int rc, ioc;

	if (out)
		*out = NULL;
	if ((rc = check_comment(p->comment, e)) ||
	    (rc = incident_resolve(st, who, hid, ACT_OBSERVABLE_EDIT, &incident_id, canon, e)))
		return rc;
	if (p->tlp && (rc = tlp_choose(st, incident_id, p->tlp, tlp, sizeof(tlp), e)))
		return rc;
	if ((rc = store_begin(st, e)))
		return rc;
	if ((rc = obs_load(st, incident_id, id, &before, e)))
		goto rollback;
	ioc = p->ioc >= 0 ? !!p->ioc : json_is_true(json_object_get(before, "ioc"));
	rc = store_prepare(st, "UPDATE observables SET tlp = ?, ioc = ?, comment = ?, updated_at = ? "
			       "WHERE id = ?", &s, e);
	if (rc)
		goto rollback;
	stmt_bind_text(s, 1, tlp[0] ? tlp : json_str(before, "tlp"));
	stmt_bind_int(s, 2, ioc);
	stmt_bind_text(s, 3, p->comment ? p->comment : json_str(before, "comment"));
	stmt_bind_int(s, 4, who->now);
	stmt_bind_int(s, 5, id);
	if ((rc = stmt_exec(s, e)) || (rc = obs_load(st, incident_id, id, &after, e)))
		goto rollback;
	rc = obs_finish(st, who, incident_id, canon, "observable.update", NULL, before, after,
			ioc != json_is_true(json_object_get(before, "ioc")), e);
	if (rc)
		goto rollback;
	json_decref(before);
	if (out)
		*out = after;
	else
		json_decref(after);
	return 0;
rollback:
	store_rollback(st);
	json_decref(before);
	json_decref(after);
	return rc;
}

int observable_remove(struct store *st, const struct actor *who, const char *hid, int64_t id,
		      struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	json_t *before = NULL;
	struct buf note = BUF_INIT;
	struct stmt *s;
	int64_t incident_id;
	int rc;

	if ((rc = incident_resolve(st, who, hid, ACT_OBSERVABLE_EDIT, &incident_id, canon, e)))
		return rc;
	if ((rc = store_begin(st, e)))
		return rc;
	if ((rc = obs_load(st, incident_id, id, &before, e)) ||
	    (rc = store_prepare(st, "DELETE FROM observables WHERE id = ?", &s, e)))
		goto out;
	stmt_bind_int(s, 1, id);
	if ((rc = stmt_exec(s, e)))
		goto out;
	buf_addf(&note, "observable removed: %s %s", json_str(before, "type"),
		 json_str(before, "value"));
	rc = obs_finish(st, who, incident_id, canon, "observable.remove", note.data, before, NULL,
			json_is_true(json_object_get(before, "ioc")), e);
out:
	if (rc)
		store_rollback(st);
	buf_release(&note);
	json_decref(before);
	return rc;
}

/* Reading */

/* Run s (its parameters bound) into a JSON array of observables. */
static int obs_rows(struct stmt *s, json_t **out, struct err *e)
{
	int rc;

	*out = json_array();
	while ((rc = stmt_step(s, e)) == 1)
		json_array_append_new(*out, obs_from_row(s));
	stmt_done(s);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

/* The observable in list with this id, or NULL. */
static json_t *by_id(json_t *list, int64_t id)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
		if (json_integer_value(json_object_get(v, "id")) == id)
			return v;
	return NULL;
}

/* Fill each observable's sightings: other visible incidents with the same type and value. */
static int add_sightings(struct store *st, const struct actor *who, int64_t incident_id,
			 json_t *list, struct err *e)
{
	struct buf sql = BUF_INIT;
	struct stmt *s;
	size_t i;
	json_t *v;
	int rc;

	json_array_foreach(list, i, v)
		json_object_set_new(v, "sightings", json_array());
	buf_adds(&sql, "SELECT DISTINCT o.id, i.hid FROM observables o JOIN observables o2 "
		       "ON o2.type = o.type AND o2.value = o.value AND o2.incident_id <> o.incident_id "
		       "JOIN incidents i ON i.id = o2.incident_id WHERE o.incident_id = ?");
	if (who->external)
		buf_adds(&sql, " AND o2.incident_id IN (SELECT incident_id FROM incident_members "
			       "WHERE user_id = ?)");
	buf_adds(&sql, " ORDER BY o.id, i.hid");
	rc = store_prepare(st, sql.data, &s, e);
	buf_release(&sql);
	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	if (who->external)
		stmt_bind_int(s, 2, who->user_id);
	while ((rc = stmt_step(s, e)) == 1) {
		json_t *o = by_id(list, stmt_int(s, 0));
		if (o)
			json_array_append_new(json_object_get(o, "sightings"),
					      json_string(stmt_text(s, 1)));
	}
	stmt_done(s);
	return rc < 0 ? rc : 0;
}

int observable_list(struct store *st, const struct actor *who, const char *hid, json_t **out,
		    struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	struct stmt *s;
	int64_t incident_id;
	int rc;

	*out = NULL;
	if ((rc = incident_resolve(st, who, hid, ACT_INCIDENT_READ, &incident_id, canon, e)) ||
	    (rc = store_prepare(st, "SELECT " OBS_COLUMNS "WHERE o.incident_id = ? "
				    "ORDER BY o.type, o.value", &s, e)))
		return rc;
	stmt_bind_int(s, 1, incident_id);
	if ((rc = obs_rows(s, out, e)))
		return rc;
	if ((rc = add_sightings(st, who, incident_id, *out, e))) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int observable_search(struct store *st, const struct actor *who, const char *value,
		      json_t **out, struct err *e)
{
	char norm[OBSERVABLE_VALUE_MAX];
	enum observable_type t = OBS__COUNT;
	struct buf sql = BUF_INIT;
	struct stmt *s;
	int rc;

	*out = NULL;
	if ((rc = authz_check(who, ACT_INCIDENT_READ, e)))
		return rc;
	if (!value || !*value)
		return err_set(e, ERR_INVALID, "value: required");
	if (observable_normalize(value, &t, norm, sizeof(norm), NULL) != 0 &&
	    (rc = observable_normalize(value, &(enum observable_type){ OBS_OTHER }, norm,
				       sizeof(norm), e)))
		return rc;
	buf_adds(&sql, "SELECT " OBS_COLUMNS "WHERE o.value = ?");
	if (who->external)
		buf_adds(&sql, OBS_VISIBLE);
	buf_adds(&sql, " ORDER BY i.created_at DESC, i.id DESC LIMIT 200");
	rc = store_prepare(st, sql.data, &s, e);
	buf_release(&sql);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, norm);
	if (who->external)
		stmt_bind_int(s, 2, who->user_id);
	return obs_rows(s, out, e);
}
