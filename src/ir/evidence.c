/*
 * evidence.c: the evidence locker: content-addressed files written
 * atomically (temporary file in the folder, fsync, link to the SHA-256
 * name, fsync the folder), items with retention and legal holds, and the
 * append-only custody log whose every entry is audited.
 */
#include "ir/evidence.h"
#include "ir/catalog.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/incident.h"
#include "ir/timeline.h"
#include "ir/vocab.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/time.h"
#include "util/utf8.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SHA_HEX 65
#define DAY 86400

int evidence_retention_days(const char *incident_type)
{
	const struct catalog *c = catalog_active();
	const struct catalog_type *t = c ? catalog_type(c, incident_type) : NULL;

	return t ? t->retention_days : EVIDENCE_RETENTION_DEFAULT;
}

int evidence_dir_resolve(struct store *st, const char *given, struct buf *out, struct err *e)
{
	const char *env = getenv("IRDESK_EVIDENCE_DIR");
	struct stmt *s;
	int rc;

	buf_reset(out);
	if (given && *given) {
		buf_adds(out, given);
		return 0;
	}
	if (env && *env) {
		buf_adds(out, env);
		return 0;
	}
	rc = store_prepare(st, "SELECT value FROM meta WHERE key = 'evidence_dir'", &s, e);
	if (rc)
		return rc;
	rc = stmt_step(s, e);
	if (rc == 1 && *stmt_text(s, 0))
		buf_adds(out, stmt_text(s, 0));
	stmt_done(s);
	if (rc < 0)
		return rc;
	if (!out->len)
		return err_set(e, ERR_NOTFOUND, "no evidence folder: give --evidence-dir DIR "
						"(shared storage when several nodes serve)");
	return buf_error(out) ? err_set(e, ERR_NOMEM, "out of memory") : 0;
}

/* ---- Uploads: a temporary file and the hash of what it holds. ---- */

struct evidence_upload {
	struct buf dir;
	struct buf tmp;           /* the temporary file's path, "" once removed */
	int fd;
	EVP_MD_CTX *h;
	int64_t size, max;
	unsigned char head[16];   /* the first bytes, for sniffing the media type */
	char sha[SHA_HEX];        /* set by upload_finish */
};

/*
 * Remove temporary files nobody has written to for EVIDENCE_STALE seconds:
 * what a server killed in the middle of an upload left (a client that goes
 * away is cleaned up at once, and a stalled connection times out within a
 * minute, so an old temporary file has no writer).
 */
static void sweep_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat sb;
	time_t now = time(NULL);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, ".upload-", 8) == 0 &&
		    fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(sb.st_mode) && now - sb.st_mtime > EVIDENCE_STALE)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

int evidence_upload_new(const char *dir, int64_t max_size, struct evidence_upload **out,
			struct err *e)
{
	struct evidence_upload *u = calloc(1, sizeof(*u));
	int rc = 0;

	*out = NULL;
	if (!u)
		return err_set(e, ERR_NOMEM, "out of memory");
	u->fd = -1;
	u->max = max_size > 0 ? max_size : EVIDENCE_SIZE_MAX;
	buf_init(&u->dir, 4096);
	buf_init(&u->tmp, 4096);
	buf_adds(&u->dir, dir);
	buf_addf(&u->tmp, "%s/.upload-XXXXXX", dir);
	u->h = EVP_MD_CTX_new();
	if (buf_error(&u->tmp) || !u->h || EVP_DigestInit_ex(u->h, EVP_sha256(), NULL) != 1)
		rc = err_set(e, ERR_NOMEM, "out of memory");
	if (!rc)
		rc = fs_mkdirs(dir, 0700, e);
	if (!rc)
		sweep_stale(dir);
	if (!rc && (u->fd = mkstemp(u->tmp.data)) < 0)
		rc = err_set(e, ERR_IO, "evidence folder %.200s: %s", dir, strerror(errno));
	if (rc) {
		buf_reset(&u->tmp);
		evidence_upload_free(u);
		return rc;
	}
	*out = u;
	return 0;
}

int evidence_upload_write(struct evidence_upload *u, const void *p, size_t n, struct err *e)
{
	const char *c = p;

	if (n > (size_t)(u->max - u->size))
		return err_set(e, ERR_TOOLONG, "file too large (at most %lld bytes)", (long long)u->max);
	if (u->size < (int64_t)sizeof(u->head))
		memcpy(u->head + u->size, c,
		       n < sizeof(u->head) - (size_t)u->size ? n : sizeof(u->head) - (size_t)u->size);
	EVP_DigestUpdate(u->h, p, n);
	u->size += (int64_t)n;
	while (n) {
		ssize_t w = write(u->fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return err_set(e, ERR_IO, "evidence folder: cannot write: %s", strerror(errno));
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int evidence_upload_file(struct evidence_upload *u, const char *path, struct err *e)
{
	static _Thread_local char chunk[256 * 1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	ssize_t n;

	if (fd < 0)
		return err_set(e, ERR_IO, "%.200s: %s", path, strerror(errno));
	while (!rc && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		rc = n < 0 ? err_set(e, ERR_IO, "%.200s: %s", path, strerror(errno))
			   : evidence_upload_write(u, chunk, (size_t)n, e);
	}
	close(fd);
	return rc;
}

int64_t evidence_upload_size(const struct evidence_upload *u) { return u->size; }

void evidence_upload_free(struct evidence_upload *u)
{
	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd);
	if (u->tmp.len)
		unlink(u->tmp.data);
	EVP_MD_CTX_free(u->h);
	buf_release(&u->dir);
	buf_release(&u->tmp);
	free(u);
}

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The content address of sha in dir: DIR/ab/abcdef... */
static void content_path(const char *dir, const char *sha, struct buf *out)
{
	buf_reset(out);
	buf_addf(out, "%s/%.2s/%s", dir, sha, sha);
}

static int fsync_dir(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0 || fsync(fd) != 0)
		rc = err_set(e, ERR_IO, "%.200s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Make the upload durable under its content address. The temporary file
 * stays until the item is committed (upload_settle), so that a concurrent
 * deletion of the same content cannot leave the new item without its file.
 * *created says whether this upload made the file (so a failed commit
 * removes it again).
 */
static int upload_finish(struct evidence_upload *u, int *created, struct err *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct buf shard = BUF_INIT, final = BUF_INIT;
	int rc = 0;

	*created = 0;
	EVP_DigestFinal_ex(u->h, md, &mdlen);
	hex(md, mdlen, u->sha);
	if (fsync(u->fd) != 0 || fchmod(u->fd, 0440) != 0)
		rc = err_set(e, ERR_IO, "evidence folder: cannot sync: %s", strerror(errno));
	close(u->fd);
	u->fd = -1;
	buf_addf(&shard, "%s/%.2s", u->dir.data, u->sha);
	content_path(u->dir.data, u->sha, &final);
	if (!rc && (buf_error(&shard) || buf_error(&final)))
		rc = err_set(e, ERR_NOMEM, "out of memory");
	if (!rc)
		rc = fs_mkdirs(shard.data, 0700, e);
	if (!rc && link(u->tmp.data, final.data) == 0)
		*created = 1;
	else if (!rc && errno != EEXIST)
		rc = err_set(e, ERR_IO, "%.200s: %s", final.data, strerror(errno));
	if (!rc)
		rc = fsync_dir(shard.data, e);
	if (!rc)
		rc = fsync_dir(u->dir.data, e);
	buf_release(&shard);
	buf_release(&final);
	return rc;
}

/* After the commit: put the file back if a deletion took it meanwhile, drop the temporary. */
static void upload_settle(struct evidence_upload *u)
{
	struct buf final = BUF_INIT;

	content_path(u->dir.data, u->sha, &final);
	if (!fs_exists(final.data) && link(u->tmp.data, final.data) == 0)
		fsync_dir(u->dir.data, NULL);
	unlink(u->tmp.data);
	buf_reset(&u->tmp);
	buf_release(&final);
}

/* A little sniffing: the formats responders meet most, else text or bytes. */
static const char *sniff(const unsigned char *p, int64_t n)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *type;
	} known[] = {
		{ "%PDF-", 5, "application/pdf" },
		{ "PK\x03\x04", 4, "application/zip" },
		{ "\x1f\x8b", 2, "application/gzip" },
		{ "7z\xbc\xaf\x27\x1c", 6, "application/x-7z-compressed" },
		{ "\x7f" "ELF", 4, "application/x-elf" },
		{ "MZ", 2, "application/vnd.microsoft.portable-executable" },
		{ "\x89PNG", 4, "image/png" },
		{ "\xff\xd8\xff", 3, "image/jpeg" },
		{ "\xd4\xc3\xb2\xa1", 4, "application/vnd.tcpdump.pcap" },
		{ "\xa1\xb2\xc3\xd4", 4, "application/vnd.tcpdump.pcap" },
		{ "\x0a\x0d\x0d\x0a", 4, "application/x-pcapng" },
		{ "ElfFile", 7, "application/x-ms-evtx" },
		{ "SQLite format 3", 15, "application/vnd.sqlite3" },
		{ "From ", 5, "application/mbox" },
	};
	size_t len = n < 16 ? (size_t)n : 16;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (len >= known[i].len && memcmp(p, known[i].magic, known[i].len) == 0)
			return known[i].type;
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\r' && p[i] != '\t')
			return "application/octet-stream";
	return len ? "text/plain" : "application/octet-stream";
}

/* ---- Input checks. ---- */

static int check_text(const char *field, const char *s, size_t max, int required,
		      struct err *e)
{
	if (!s || !*s)
		return required ? err_set(e, ERR_INVALID, "%s: required", field) : 0;
	return utf8_check_text(field, s, max, 0, e);
}

static int check_media_type(const char *s, struct err *e)
{
	size_t n = s ? strlen(s) : 0, slash = s ? strcspn(s, "/") : 0;

	if (!n)
		return 0;
	if (n > EVIDENCE_MEDIA_MAX || slash == 0 || slash >= n - 1 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&^_.+-/") != n ||
	    strchr(s + slash + 1, '/'))
		return err_set(e, ERR_INVALID, "media_type: expected TYPE/SUBTYPE, like "
					       "application/octet-stream");
	return 0;
}

static int check_name(const char *name, struct err *e)
{
	int rc = check_text("name", name, EVIDENCE_NAME_MAX, 1, e);

	if (!rc && (strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0))
		rc = err_set(e, ERR_INVALID, "name: a file name, without '/'");
	return rc;
}

/* Times of a new item: acquired (required, not ahead of now) and an optional retention date. */
static int parse_times(const struct actor *who, const struct evidence_new *n, int64_t *acquired,
		       int64_t *retain, struct err *e)
{
	int rc;

	*retain = 0;
	if (!n->acquired_at || !*n->acquired_at)
		return err_set(e, ERR_INVALID, "acquired_at: required");
	if ((rc = time_parse(n->acquired_at, who->tz, who->now, acquired, e)))
		return err_prefix(e, "acquired_at");
	if (*acquired > who->now + EVIDENCE_FUTURE_SKEW)
		return err_set(e, ERR_INVALID, "acquired_at: in the future");
	if (n->retain_until && *n->retain_until &&
	    (rc = time_parse(n->retain_until, who->tz, who->now, retain, e)))
		return err_prefix(e, "retain_until");
	if (*retain && *retain < *acquired)
		return err_set(e, ERR_INVALID, "retain_until: before acquired_at");
	return 0;
}

static int check_new(const struct actor *who, const struct evidence_new *n, int64_t *acquired,
		     int64_t *retain, struct err *e)
{
	int rc = 0;

	if (n->name)
		rc = check_name(n->name, e);
	if (!rc)
		rc = check_text("source", n->source, EVIDENCE_HOST_MAX, 1, e);
	if (!rc)
		rc = check_text("acquired_by", n->acquired_by, EVIDENCE_PARTY_MAX, 0, e);
	if (!rc && n->description && *n->description)
		rc = utf8_check_text("description", n->description, EVIDENCE_TEXT_MAX, 1, e);
	if (!rc)
		rc = check_media_type(n->media_type, e);
	if (!rc)
		rc = parse_times(who, n, acquired, retain, e);
	return rc;
}

int evidence_check_new(struct store *st, const struct actor *who, const char *hid,
		       const struct evidence_new *n, struct err *e)
{
	char canon[INCIDENT_HID_MAX];
	int64_t id, acquired, retain;
	int rc = incident_resolve(st, who, hid, ACT_EVIDENCE_WRITE, &id, canon, e);

	return rc || !n ? rc : check_new(who, n, &acquired, &retain, e);
}

/* ---- Items. ---- */

#define ITEM_COLUMNS                                                                           \
	"v.id, i.hid, v.name, v.sha256, v.size, v.media_type, v.source_host, v.acquired_by, "  \
	"v.acquired_at, v.description, v.retain_until, v.legal_hold, v.checked_out_to, "       \
	"v.verified_at, v.verified_ok, v.created_at, v.created_by, v.deleted_at, v.deleted_by, " \
	"v.delete_reason, h.reason, v.incident_id "                                             \
	"FROM evidence v JOIN incidents i ON i.id = v.incident_id "                            \
	"LEFT JOIN evidence_holds h ON h.incident_id = v.incident_id "

/* What the rules need of an item, besides its JSON. */
struct item {
	int64_t id, incident_id, size;
	char hid[INCIDENT_HID_MAX];
	char sha[SHA_HEX];
	int deleted, held;
	int checked_out;
	json_t *json;
};

static json_t *item_from_row(struct stmt *s, int64_t now)
{
	json_t *o = json_object();
	int deleted = !stmt_is_null(s, 17);

	json_set_int(o, "id", stmt_int(s, 0));
	json_set_str(o, "incident", stmt_text(s, 1));
	json_set_str(o, "name", stmt_text(s, 2));
	json_set_str(o, "sha256", stmt_text(s, 3));
	json_set_int(o, "size", stmt_int(s, 4));
	json_set_str(o, "media_type", stmt_text(s, 5));
	json_set_str(o, "source_host", stmt_text(s, 6));
	json_set_str(o, "acquired_by", stmt_text(s, 7));
	json_set_time(o, "acquired_at", stmt_int(s, 8));
	json_set_str(o, "description", stmt_text(s, 9));
	json_set_time(o, "retain_until", stmt_int(s, 10));
	json_set_bool(o, "due", !deleted && stmt_int(s, 10) < now);
	json_set_bool(o, "legal_hold", stmt_int(s, 11) != 0);
	json_set_bool(o, "incident_hold", !stmt_is_null(s, 20));
	json_set_str_nonempty(o, "incident_hold_reason", stmt_text(s, 20));
	json_set_str_nonempty(o, "checked_out_to", stmt_text(s, 12));
	json_set_time(o, "verified_at", stmt_int(s, 13));
	if (!stmt_is_null(s, 14))
		json_set_str(o, "verified", stmt_int(s, 14) ? "match" : "mismatch");
	json_set_time(o, "created_at", stmt_int(s, 15));
	json_set_str(o, "created_by", stmt_text(s, 16));
	json_set_bool(o, "deleted", deleted);
	json_set_time(o, "deleted_at", stmt_int(s, 17));
	json_set_str_nonempty(o, "deleted_by", stmt_text(s, 18));
	json_set_str_nonempty(o, "delete_reason", stmt_text(s, 19));
	return o;
}

static void item_release(struct item *it)
{
	json_decref(it->json);
	it->json = NULL;
}

/* Load item id and check act on its incident: items of incidents the actor cannot see do not exist. */
static int item_load(struct store *st, const struct actor *who, int64_t id, enum action act,
		     struct item *it, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT " ITEM_COLUMNS "WHERE v.id = ?", &s, e);

	memset(it, 0, sizeof(*it));
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	rc = stmt_step(s, e);
	if (rc == 1) {
		it->json = item_from_row(s, who->now);
		it->id = id;
		it->incident_id = stmt_int(s, 21);
		it->size = stmt_int(s, 4);
		snprintf(it->hid, sizeof(it->hid), "%s", stmt_text(s, 1));
		snprintf(it->sha, sizeof(it->sha), "%s", stmt_text(s, 3));
		it->deleted = !stmt_is_null(s, 17);
		it->held = stmt_int(s, 11) != 0 || !stmt_is_null(s, 20);
		it->checked_out = !stmt_is_null(s, 12);
		rc = 0;
	} else if (rc == 0) {
		rc = ERR_NOTFOUND;
	}
	stmt_done(s);
	if (!rc)
		rc = authz_incident(st, who, act, it->incident_id, it->hid, e);
	if (rc == ERR_NOTFOUND)
		err_set(e, ERR_NOTFOUND, "evidence %lld not found", (long long)id);
	if (rc)
		item_release(it);
	return rc;
}

/* A live item for a custody change. */
static int item_live(struct store *st, const struct actor *who, int64_t id, enum action act,
		     struct item *it, struct err *e)
{
	int rc = item_load(st, who, id, act, it, e);

	if (!rc && it->deleted) {
		item_release(it);
		rc = err_set(e, ERR_CONFLICT, "evidence %lld was deleted", (long long)id);
	}
	return rc;
}

/* ---- Custody: one entry, its audit row, and what changes with it. ---- */

/* A change to the item's row that goes with an entry: sql takes (text or int, id). */
struct item_change {
	const char *sql;
	const char *text;    /* bound as text (NULL: SQL NULL) unless is_num */
	int64_t num;
	int is_num;
};

struct entry {
	const char *action;        /* custody action */
	struct custody_note note;
	const char *detail;
	const char *timeline;      /* a timeline text, or NULL */
};

static int entry_insert(struct store *st, const struct actor *who, int64_t item_id,
			const struct entry *en, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "INSERT INTO evidence_custody (evidence_id, at, actor, action, "
				   "from_party, to_party, purpose, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			       &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, item_id);
	stmt_bind_int(s, 2, who->now);
	stmt_bind_text(s, 3, who->name);
	stmt_bind_text(s, 4, en->action);
	stmt_bind_text(s, 5, en->note.from ? en->note.from : "");
	stmt_bind_text(s, 6, en->note.to ? en->note.to : "");
	stmt_bind_text(s, 7, en->note.purpose ? en->note.purpose : "");
	stmt_bind_text(s, 8, en->detail ? en->detail : "");
	return stmt_exec(s, e);
}

static int change_apply(struct store *st, int64_t id, const struct item_change *c, struct err *e)
{
	struct stmt *s;
	int rc;

	if (!c || !c->sql)
		return 0;
	rc = store_prepare(st, c->sql, &s, e);
	if (rc)
		return rc;
	if (c->is_num)
		stmt_bind_int(s, 1, c->num);
	else
		stmt_bind_text(s, 1, c->text);
	stmt_bind_int(s, 2, id);
	return stmt_exec(s, e);
}

/* The audit row's after: the entry and the item as it is now. */
static json_t *entry_json(const struct actor *who, int64_t item_id, const struct entry *en)
{
	json_t *o = json_object();

	json_set_int(o, "evidence", item_id);
	json_set_str(o, "action", en->action);
	json_set_str_nonempty(o, "from", en->note.from);
	json_set_str_nonempty(o, "to", en->note.to);
	json_set_str_nonempty(o, "purpose", en->note.purpose);
	json_set_str_nonempty(o, "detail", en->detail);
	json_set_time(o, "at", who->now);
	return o;
}

/*
 * Inside the caller's transaction: apply change, append the entry, its
 * timeline entry and audit row.
 */
static int entry_write(struct store *st, const struct actor *who, const struct item *it,
		       const struct item_change *c, const struct entry *en, struct err *e)
{
	char action[64];
	json_t *after = entry_json(who, it->id, en);
	int rc = change_apply(st, it->id, c, e);

	snprintf(action, sizeof(action), "evidence.%s", en->action);
	if (!rc)
		rc = entry_insert(st, who, it->id, en, e);
	if (!rc && en->timeline)
		rc = timeline_append(st, who, it->incident_id, TLK_EVIDENCE, who->now, en->timeline,
				     NULL, e);
	if (!rc)
		rc = audit_append(st, who, action, "incident", it->hid, it->json, after, e);
	json_decref(after);
	return rc;
}

/* One entry as its own transaction; *out (if not NULL) gets the item afterwards. */
static int entry_commit(struct store *st, const struct actor *who, struct item *it,
			const struct item_change *c, const struct entry *en, json_t **out,
			struct err *e)
{
	int rc = store_begin(st, e);

	if (rc) {
		item_release(it);
		return rc;
	}
	rc = entry_write(st, who, it, c, en, e);
	if (!rc)
		rc = store_commit(st, e);
	if (rc)
		store_rollback(st);
	if (!rc && out)
		rc = evidence_get(st, who, it->id, out, e);
	item_release(it);
	return rc;
}

static int check_note(const struct custody_note *c, int need_from, int need_to, int need_purpose,
		      struct err *e)
{
	int rc = check_text("from", c->from, EVIDENCE_PARTY_MAX, need_from, e);

	if (!rc)
		rc = check_text("to", c->to, EVIDENCE_PARTY_MAX, need_to, e);
	if (!rc && (need_purpose || (c->purpose && *c->purpose)))
		rc = need_purpose && (!c->purpose || !*c->purpose)
			     ? err_set(e, ERR_INVALID, "purpose: required")
			     : utf8_check_text("purpose", c->purpose, EVIDENCE_TEXT_MAX, 1, e);
	return rc;
}

/* ---- Adding. ---- */

static int incident_type(struct store *st, int64_t incident_id, char *out, size_t n,
			 struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT type FROM incidents WHERE id = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	rc = stmt_step(s, e);
	snprintf(out, n, "%s", rc == 1 ? stmt_text(s, 0) : "");
	stmt_done(s);
	return rc < 0 ? rc : 0;
}

static int item_insert(struct store *st, const struct actor *who, int64_t incident_id,
		       const struct evidence_new *n, const struct evidence_upload *u,
		       int64_t acquired, int64_t retain, int64_t *id, struct err *e)
{
	const char *media = n->media_type && *n->media_type &&
				    strcmp(n->media_type, "application/octet-stream") != 0
			    ? n->media_type : sniff(u->head, u->size);
	struct stmt *s;
	int rc = store_prepare(st, "INSERT INTO evidence (incident_id, name, sha256, size, "
				   "media_type, source_host, acquired_by, acquired_at, description, "
				   "retain_until, created_at, created_by) "
				   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
			       &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	stmt_bind_text(s, 2, n->name);
	stmt_bind_text(s, 3, u->sha);
	stmt_bind_int(s, 4, u->size);
	stmt_bind_text(s, 5, media);
	stmt_bind_text(s, 6, n->source);
	stmt_bind_text(s, 7, n->acquired_by && *n->acquired_by ? n->acquired_by : who->name);
	stmt_bind_int(s, 8, acquired);
	stmt_bind_text(s, 9, n->description ? n->description : "");
	stmt_bind_int(s, 10, retain);
	stmt_bind_int(s, 11, who->now);
	stmt_bind_text(s, 12, who->name);
	return stmt_int_result(s, id, e);
}

/* The item just inserted: acquired entry, timeline, audit, all in the open transaction. */
static int add_record(struct store *st, const struct actor *who, int64_t id,
		      const struct evidence_new *n, struct err *e)
{
	struct buf text = BUF_INIT;
	struct item it;
	struct entry en = { "acquired", { n->source, n->acquired_by, NULL }, NULL, NULL };
	int rc = item_load(st, who, id, ACT_EVIDENCE_WRITE, &it, e);

	if (rc)
		return rc;
	buf_addf(&text, "evidence #%lld %s (%lld bytes, sha256 %s) acquired from %s",
		 (long long)id, n->name, (long long)it.size, it.sha, n->source);
	en.detail = it.sha;
	en.timeline = text.data;
	if (!n->acquired_by || !*n->acquired_by)
		en.note.to = who->name;
	rc = buf_error(&text) ? err_set(e, ERR_NOMEM, "out of memory") : 0;
	if (!rc)
		rc = entry_write(st, who, &it, NULL, &en, e);
	buf_release(&text);
	item_release(&it);
	return rc;
}

int evidence_add(struct store *st, const struct actor *who, const char *hid,
		 const struct evidence_new *n, struct evidence_upload *u, json_t **out,
		 struct err *e)
{
	char canon[INCIDENT_HID_MAX], type[64];
	int64_t incident_id, acquired, retain, id = 0;
	int created = 0, began = 0, rc;

	if (out)
		*out = NULL;
	rc = incident_resolve(st, who, hid, ACT_EVIDENCE_WRITE, &incident_id, canon, e);
	if (!rc)
		rc = check_new(who, n, &acquired, &retain, e);
	if (!rc)
		rc = check_name(n->name, e);
	if (!rc && !retain && !(rc = incident_type(st, incident_id, type, sizeof(type), e)))
		retain = acquired + (int64_t)evidence_retention_days(type) * DAY;
	if (!rc)
		rc = upload_finish(u, &created, e);
	if (!rc && !(rc = store_begin(st, e)))
		began = 1;
	if (!rc)
		rc = item_insert(st, who, incident_id, n, u, acquired, retain, &id, e);
	if (!rc)
		rc = incident_touch(st, who, incident_id, e);
	if (!rc)
		rc = add_record(st, who, id, n, e);
	if (!rc)
		rc = store_commit(st, e);
	if (rc) {
		struct buf final = BUF_INIT;
		if (began)
			store_rollback(st);
		content_path(u->dir.data, u->sha, &final);
		/* A file this upload made and no item records goes again. */
		if (created)
			unlink(final.data);
		buf_release(&final);
		return rc;
	}
	upload_settle(u);
	return out ? evidence_get(st, who, id, out, e) : 0;
}

/* ---- Reading. ---- */

int evidence_item_parse(const char *s, int64_t *id, struct err *e)
{
	const char *p = s + (*s == '#' || *s == 'E' || *s == 'e');
	char *end;
	long long v;

	v = strtoll(p, &end, 10);
	if (!*p || *end || v < 1 || *p == '-' || *p == '+')
		return err_set(e, ERR_USAGE, "'%.40s' is not an evidence item (a number like 12)", s);
	*id = v;
	return 0;
}

int evidence_is_item(const char *s)
{
	const char *p = s + (*s == '#' || *s == 'E' || *s == 'e');

	return *p >= '0' && *p <= '9';
}

static int custody_list(struct store *st, int64_t id, json_t **out, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT id, at, actor, action, from_party, to_party, purpose, "
				   "detail FROM evidence_custody WHERE evidence_id = ? ORDER BY id",
			       &s, e);

	*out = NULL;
	if (rc)
		return rc;
	stmt_bind_int(s, 1, id);
	*out = json_array();
	while ((rc = stmt_step(s, e)) == 1) {
		json_t *o = json_object();
		json_set_int(o, "id", stmt_int(s, 0));
		json_set_time(o, "at", stmt_int(s, 1));
		json_set_str(o, "actor", stmt_text(s, 2));
		json_set_str(o, "action", stmt_text(s, 3));
		json_set_str_nonempty(o, "from", stmt_text(s, 4));
		json_set_str_nonempty(o, "to", stmt_text(s, 5));
		json_set_str_nonempty(o, "purpose", stmt_text(s, 6));
		json_set_str_nonempty(o, "detail", stmt_text(s, 7));
		json_array_append_new(*out, o);
	}
	stmt_done(s);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc < 0 ? rc : 0;
}

int evidence_get(struct store *st, const struct actor *who, int64_t id, json_t **out,
		 struct err *e)
{
	struct item it;
	json_t *custody;
	int rc = item_load(st, who, id, ACT_EVIDENCE_READ, &it, e);

	*out = NULL;
	if (rc)
		return rc;
	rc = custody_list(st, id, &custody, e);
	if (!rc) {
		json_object_set_new(it.json, "custody", custody);
		*out = it.json;
		it.json = NULL;
	}
	item_release(&it);
	return rc;
}

/* Items matching where (bound to incident_id when it is not 0), newest first. */
static int items_query(struct store *st, const struct actor *who, const char *where,
		       int64_t incident_id, json_t **out, struct err *e)
{
	struct buf sql = BUF_INIT;
	struct stmt *s;
	int rc, i = 1;

	*out = NULL;
	buf_addf(&sql, "SELECT " ITEM_COLUMNS "WHERE %s", where);
	if (incident_id)
		buf_adds(&sql, " AND v.incident_id = ?");
	if (who->external) {
		/* Only incidents where its role there may read evidence. */
		buf_adds(&sql, " AND v.incident_id IN (SELECT incident_id FROM incident_members "
			       "WHERE user_id = ? AND role IN (''");
		for (int r = 0; r < ROLE__COUNT; r++)
			if (role_may((enum role)r, ACT_EVIDENCE_READ))
				buf_addf(&sql, ", '%s'", role_name((enum role)r));
		buf_adds(&sql, "))");
	}
	buf_adds(&sql, " ORDER BY v.id DESC LIMIT 10000");
	rc = store_prepare(st, sql.data, &s, e);
	buf_release(&sql);
	if (rc)
		return rc;
	if (strchr(where, '?'))
		stmt_bind_int(s, i++, who->now);
	if (incident_id)
		stmt_bind_int(s, i++, incident_id);
	if (who->external)
		stmt_bind_int(s, i++, who->user_id);
	*out = json_array();
	while ((rc = stmt_step(s, e)) == 1)
		json_array_append_new(*out, item_from_row(s, who->now));
	stmt_done(s);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc < 0 ? rc : 0;
}

/* The incident behind hid for act, or (hid NULL) the actor's general right to act. */
static int scope(struct store *st, const struct actor *who, const char *hid, enum action act,
		 int64_t *incident_id, struct err *e)
{
	char canon[INCIDENT_HID_MAX];

	*incident_id = 0;
	if (hid)
		return incident_resolve(st, who, hid, act, incident_id, canon, e);
	return who->external ? 0 : authz_check(who, act, e);
}

int evidence_list(struct store *st, const struct actor *who, const char *hid,
		  int include_deleted, json_t **out, struct err *e)
{
	int64_t incident_id;
	int rc = scope(st, who, hid, ACT_EVIDENCE_READ, &incident_id, e);

	*out = NULL;
	if (rc)
		return rc;
	return items_query(st, who, include_deleted ? "1 = 1" : "v.deleted_at IS NULL",
			   incident_id, out, e);
}

int evidence_due(struct store *st, const struct actor *who, json_t **out, struct err *e)
{
	int64_t none;
	int rc = scope(st, who, NULL, ACT_EVIDENCE_READ, &none, e);

	*out = NULL;
	return rc ? rc : items_query(st, who, "v.deleted_at IS NULL AND v.retain_until < ?", 0, out, e);
}

/* ---- Custody changes. ---- */

int evidence_handover(struct store *st, const struct actor *who, int64_t id,
		      const struct custody_note *c, json_t **out, struct err *e)
{
	struct entry en = { "handover", *c, NULL, NULL };
	struct item it;
	int rc = item_live(st, who, id, ACT_EVIDENCE_WRITE, &it, e);

	if (out)
		*out = NULL;
	if (!rc && (rc = check_note(c, 1, 1, 1, e)))
		item_release(&it);
	return rc ? rc : entry_commit(st, who, &it, NULL, &en, out, e);
}

int evidence_checkout(struct store *st, const struct actor *who, int64_t id,
		      const struct custody_note *c, json_t **out, struct err *e)
{
	struct entry en = { "checkout", *c, NULL, NULL };
	struct item_change ch = { "UPDATE evidence SET checked_out_to = ? WHERE id = ?", NULL, 0, 0 };
	struct item it;
	int rc = item_live(st, who, id, ACT_EVIDENCE_WRITE, &it, e);

	if (out)
		*out = NULL;
	if (!c->to || !*c->to)
		en.note.to = who->name;
	ch.text = en.note.to;
	if (!rc && (rc = check_note(c, 0, 0, 1, e)))
		item_release(&it);
	if (!rc && it.checked_out) {
		rc = err_set(e, ERR_CONFLICT, "evidence %lld is checked out to %s", (long long)id,
			     json_str(it.json, "checked_out_to"));
		item_release(&it);
	}
	return rc ? rc : entry_commit(st, who, &it, &ch, &en, out, e);
}

int evidence_checkin(struct store *st, const struct actor *who, int64_t id,
		     const struct custody_note *c, json_t **out, struct err *e)
{
	struct entry en = { "checkin", *c, NULL, NULL };
	struct item_change ch = { "UPDATE evidence SET checked_out_to = ? WHERE id = ?", NULL, 0, 0 };
	struct item it;
	int rc = item_live(st, who, id, ACT_EVIDENCE_WRITE, &it, e);

	if (out)
		*out = NULL;
	if (!rc && (rc = check_note(c, 0, 0, 0, e)))
		item_release(&it);
	if (!rc && !it.checked_out) {
		rc = err_set(e, ERR_CONFLICT, "evidence %lld is not checked out", (long long)id);
		item_release(&it);
	}
	if (!rc && (!c->from || !*c->from))
		en.note.from = json_str(it.json, "checked_out_to");
	return rc ? rc : entry_commit(st, who, &it, &ch, &en, out, e);
}

int evidence_custody_step(struct store *st, const struct actor *who, int64_t id,
			  const char *action, const struct custody_note *c, json_t **out,
			  struct err *e)
{
	if (strcmp(action, "handover") == 0)
		return evidence_handover(st, who, id, c, out, e);
	if (strcmp(action, "checkout") == 0)
		return evidence_checkout(st, who, id, c, out, e);
	if (strcmp(action, "checkin") == 0)
		return evidence_checkin(st, who, id, c, out, e);
	return err_set(e, ERR_INVALID, "action: one of handover, checkout, checkin");
}

/* Hold or release one item. */
static int hold_item(struct store *st, const struct actor *who, int64_t id, int on,
		     const char *reason, json_t **out, struct err *e)
{
	struct entry en = { on ? "hold" : "release", { NULL, NULL, reason }, NULL, NULL };
	struct item_change ch = { "UPDATE evidence SET legal_hold = ? WHERE id = ?", NULL, on, 1 };
	struct item it;
	int rc = item_live(st, who, id, on ? ACT_EVIDENCE_WRITE : ACT_EVIDENCE_DELETE, &it, e);

	if (!rc && json_is_true(json_object_get(it.json, "legal_hold")) == on) {
		rc = err_set(e, ERR_CONFLICT, "evidence %lld is %s", (long long)id,
			     on ? "already on legal hold" : "not on legal hold");
		item_release(&it);
	}
	return rc ? rc : entry_commit(st, who, &it, &ch, &en, out, e);
}

static int holds_row(struct store *st, const struct actor *who, int64_t incident_id, int on,
		     const char *reason, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, on ? "INSERT INTO evidence_holds (incident_id, reason, held_by, "
					"held_at) VALUES (?, ?, ?, ?)"
				      : "DELETE FROM evidence_holds WHERE incident_id = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	if (on) {
		stmt_bind_text(s, 2, reason);
		stmt_bind_text(s, 3, who->name);
		stmt_bind_int(s, 4, who->now);
	}
	return stmt_exec(s, e);
}

/* A custody entry on every live item of the incident, in the open transaction. */
static int hold_entries(struct store *st, const struct actor *who, int64_t incident_id,
			const struct entry *en, struct err *e)
{
	json_t *items;
	size_t k;
	json_t *v;
	int rc = items_query(st, who, "v.deleted_at IS NULL", incident_id, &items, e);

	json_array_foreach(items, k, v) {
		struct item it;
		if (rc)
			break;
		rc = item_load(st, who, json_integer_value(json_object_get(v, "id")),
			       ACT_EVIDENCE_READ, &it, e);
		if (!rc)
			rc = entry_write(st, who, &it, NULL, en, e);
		item_release(&it);
	}
	json_decref(items);
	return rc;
}

static int hold_incident(struct store *st, const struct actor *who, const char *hid, int on,
			 const char *reason, json_t **out, struct err *e)
{
	char canon[INCIDENT_HID_MAX], text[EVIDENCE_TEXT_MAX * 4 + 100];
	struct entry en = { on ? "hold" : "release", { NULL, NULL, reason }, "incident", NULL };
	int64_t incident_id;
	int rc = incident_resolve(st, who, hid, on ? ACT_EVIDENCE_WRITE : ACT_EVIDENCE_DELETE,
				  &incident_id, canon, e);

	if (rc)
		return rc;
	if ((rc = store_begin(st, e)))
		return rc;
	rc = holds_row(st, who, incident_id, on, reason, e);
	if (rc == ERR_EXISTS)
		rc = err_set(e, ERR_CONFLICT, "incident %s's evidence is already on legal hold", canon);
	if (!rc)
		rc = hold_entries(st, who, incident_id, &en, e);
	snprintf(text, sizeof(text), "legal hold on the incident's evidence %s: %s",
		 on ? "set" : "released", reason);
	if (!rc)
		rc = timeline_append(st, who, incident_id, TLK_EVIDENCE, who->now, text, NULL, e);
	if (!rc) {
		json_t *after = json_pack("{s:s,s:b,s:s}", "incident", canon, "legal_hold", on,
					  "reason", reason);
		rc = audit_append(st, who, on ? "evidence.hold" : "evidence.release", "incident",
				  canon, NULL, after, e);
		json_decref(after);
	}
	if (!rc)
		rc = store_commit(st, e);
	if (rc) {
		store_rollback(st);
		return rc;
	}
	return out ? evidence_list(st, who, canon, 0, out, e) : 0;
}

/* Whether incident_id has a hold row (for release: there must be one). */
static int incident_held(struct store *st, int64_t incident_id, int64_t *n, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT COUNT(*) FROM evidence_holds WHERE incident_id = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, incident_id);
	return stmt_int_result(s, n, e);
}

int evidence_hold(struct store *st, const struct actor *who, const char *target, int on,
		  const char *reason, json_t **out, struct err *e)
{
	enum action act = on ? ACT_EVIDENCE_WRITE : ACT_EVIDENCE_DELETE;
	char canon[INCIDENT_HID_MAX];
	struct item it;
	int64_t id, n = 0;
	int item = evidence_is_item(target), rc;

	if (out)
		*out = NULL;
	/* Who may, first: an outsider learns nothing from a bad reason. */
	if (item && !(rc = evidence_item_parse(target, &id, e)) &&
	    !(rc = item_live(st, who, id, act, &it, e)))
		item_release(&it);
	if (!item)
		rc = incident_resolve(st, who, target, act, &id, canon, e);
	if (rc)
		return rc;
	if (!reason || !*reason)
		return err_set(e, ERR_INVALID, "reason: required");
	if ((rc = utf8_check_text("reason", reason, EVIDENCE_TEXT_MAX, 1, e)))
		return rc;
	if (item)
		return hold_item(st, who, id, on, reason, out, e);
	if (!on && !(rc = incident_held(st, id, &n, e)) && !n)
		rc = err_set(e, ERR_CONFLICT, "incident %s's evidence is not on legal hold", canon);
	return rc ? rc : hold_incident(st, who, canon, on, reason, out, e);
}

/* ---- Retention. ---- */

/* A time the item's JSON holds (UTC text written by json_set_time). */
static int64_t item_time(const struct item *it, const char *key)
{
	int64_t t = 0;
	const char *v = json_str(it->json, key);

	if (v)
		time_parse(v, NULL, 0, &t, NULL);
	return t;
}

int evidence_retain(struct store *st, const struct actor *who, int64_t id, const char *until,
		    const char *reason, json_t **out, struct err *e)
{
	struct item_change ch = { "UPDATE evidence SET retain_until = ? WHERE id = ?", NULL, 0, 1 };
	struct entry en = { "retention", { NULL, NULL, reason }, NULL, NULL };
	char before[TIME_STR_MAX], after[TIME_STR_MAX], detail[2 * TIME_STR_MAX + 8];
	struct item it;
	int64_t old;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = item_live(st, who, id, ACT_EVIDENCE_WRITE, &it, e)))
		return rc;
	if (!until || !*until)
		rc = err_set(e, ERR_INVALID, "retain_until: required");
	else if ((rc = time_parse(until, who->tz, who->now, &ch.num, e)))
		err_prefix(e, "retain_until");
	else if (!reason || !*reason)
		rc = err_set(e, ERR_INVALID, "reason: required");
	else
		rc = utf8_check_text("reason", reason, EVIDENCE_TEXT_MAX, 1, e);
	old = item_time(&it, "retain_until");
	if (!rc && ch.num < item_time(&it, "acquired_at"))
		rc = err_set(e, ERR_INVALID, "retain_until: before acquired_at");
	else if (!rc && ch.num == old)
		rc = err_set(e, ERR_CONFLICT, "evidence %lld is already kept until %s", (long long)id,
			     json_str(it.json, "retain_until"));
	/* Keeping longer is a write; keeping shorter brings deletion nearer. */
	else if (!rc && ch.num < old)
		rc = authz_incident(st, who, ACT_EVIDENCE_DELETE, it.incident_id, it.hid, e);
	if (rc) {
		item_release(&it);
		return rc;
	}
	time_format_utc(old, before);
	time_format_utc(ch.num, after);
	snprintf(detail, sizeof(detail), "%s → %s", before, after);
	en.detail = detail;
	return entry_commit(st, who, &it, &ch, &en, out, e);
}

/* ---- Deleting. ---- */

static int content_users(struct store *st, const char *sha, int64_t *n, struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT COUNT(*) FROM evidence WHERE sha256 = ? AND "
				   "deleted_at IS NULL", &s, e);

	if (rc)
		return rc;
	stmt_bind_text(s, 1, sha);
	return stmt_int_result(s, n, e);
}

static int delete_mark(struct store *st, const struct actor *who, int64_t id, const char *reason,
		       struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "UPDATE evidence SET deleted_at = ?, deleted_by = ?, "
				   "delete_reason = ? WHERE id = ?", &s, e);

	if (rc)
		return rc;
	stmt_bind_int(s, 1, who->now);
	stmt_bind_text(s, 2, who->name);
	stmt_bind_text(s, 3, reason);
	stmt_bind_int(s, 4, id);
	return stmt_exec(s, e);
}

int evidence_delete(struct store *st, const struct actor *who, const char *dir, int64_t id,
		    const char *reason, json_t **out, struct err *e)
{
	struct buf text = BUF_INIT, path = BUF_INIT;
	struct entry en = { "deleted", { NULL, NULL, reason }, NULL, NULL };
	struct item it;
	int64_t users = 1;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = item_live(st, who, id, ACT_EVIDENCE_DELETE, &it, e)))
		return rc;
	if (!reason || !*reason)
		rc = err_set(e, ERR_INVALID, "reason: required");
	else
		rc = utf8_check_text("reason", reason, EVIDENCE_TEXT_MAX, 1, e);
	if (rc) {
		item_release(&it);
		return rc;
	}
	if (it.held) {
		item_release(&it);
		return err_set(e, ERR_CONFLICT, "evidence %lld is on legal hold: release the hold "
						"first", (long long)id);
	}
	buf_addf(&text, "evidence #%lld %s (sha256 %s) deleted: %s", (long long)id,
		 json_str(it.json, "name"), it.sha, reason);
	en.timeline = text.data;
	content_path(dir, it.sha, &path);
	rc = store_begin(st, e);
	if (!rc) {
		rc = delete_mark(st, who, id, reason, e);
		if (!rc)
			rc = entry_write(st, who, &it, NULL, &en, e);
		if (!rc)
			rc = store_commit(st, e);
		if (rc)
			store_rollback(st);
	}
	/*
	 * The file goes after the commit: a failure in between leaves an
	 * unreferenced file, never a live item without its file. An add of the
	 * same content racing this puts the file back (upload_settle).
	 */
	if (!rc)
		rc = content_users(st, it.sha, &users, e);
	if (!rc && users == 0 && unlink(path.data) != 0 && errno != ENOENT)
		rc = err_set(e, ERR_IO, "evidence %lld deleted, but its file stays: %.200s: %s",
			     (long long)id, path.data, strerror(errno));
	buf_release(&text);
	buf_release(&path);
	item_release(&it);
	return !rc && out ? evidence_get(st, who, id, out, e) : rc;
}

/* ---- Verifying and downloading. ---- */

/* SHA-256 of the file at path into sha; ERR_NOTFOUND when it is gone. */
static int hash_file(const char *path, char sha[SHA_HEX], struct err *e)
{
	static _Thread_local unsigned char chunk[256 * 1024];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	ssize_t n;

	if (fd < 0 || !h)
		rc = err_set(e, fd < 0 && errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "%.200s: %s", path,
			     fd < 0 ? strerror(errno) : "out of memory");
	if (!rc)
		EVP_DigestInit_ex(h, EVP_sha256(), NULL);
	if (!rc)
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (!rc && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno != EINTR)
			rc = err_set(e, ERR_IO, "%.200s: %s", path, strerror(errno));
		else if (n > 0)
			EVP_DigestUpdate(h, chunk, (size_t)n);
	}
	if (!rc) {
		EVP_DigestFinal_ex(h, md, &mdlen);
		hex(md, mdlen, sha);
	}
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(h);
	return rc;
}

/* The result of a verification on the item and in its custody, as one transaction. */
static int verify_record(struct store *st, const struct actor *who, const struct item *it,
			 const struct entry *en, int ok, struct err *e)
{
	struct stmt *s;
	int rc = store_begin(st, e);

	if (rc)
		return rc;
	rc = store_prepare(st, "UPDATE evidence SET verified_ok = ?, verified_at = ? WHERE id = ?",
			   &s, e);
	if (!rc) {
		stmt_bind_int(s, 1, ok);
		stmt_bind_int(s, 2, who->now);
		stmt_bind_int(s, 3, it->id);
		rc = stmt_exec(s, e);
	}
	if (!rc)
		rc = entry_write(st, who, it, NULL, en, e);
	if (!rc)
		rc = store_commit(st, e);
	if (rc)
		store_rollback(st);
	return rc;
}

/* Re-hash one item (outside any transaction: it may take minutes) and record the result. */
static int verify_item(struct store *st, const struct actor *who, const char *dir, int64_t id,
		       json_t *results, int *ok, struct err *e)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	char found[SHA_HEX] = "";
	struct entry en = { "verified", { NULL, NULL, NULL }, NULL, NULL };
	struct item it;
	int rc = item_live(st, who, id, ACT_EVIDENCE_READ, &it, e), hrc;

	if (rc)
		return rc;
	content_path(dir, it.sha, &path);
	hrc = hash_file(path.data, found, e);
	if (hrc && hrc != ERR_NOTFOUND) {
		rc = hrc;
		goto out;
	}
	*ok = !hrc && strcmp(found, it.sha) == 0;
	en.action = hrc ? "missing" : *ok ? "verified" : "mismatch";
	en.detail = found;
	json_array_append_new(results, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "item",
						 (json_int_t)id, "incident", it.hid, "name",
						 json_str(it.json, "name"), "sha256", it.sha,
						 "found", found, "result", en.action));
	if (!*ok) {
		buf_addf(&text, "evidence #%lld %s failed verification: %s (expected sha256 %s, "
				"found %s)", (long long)id, json_str(it.json, "name"), en.action,
			 it.sha, *found ? found : "no file");
		en.timeline = text.data;
	}
	rc = verify_record(st, who, &it, &en, *ok, e);
out:
	buf_release(&path);
	buf_release(&text);
	item_release(&it);
	return rc;
}

int evidence_verify(struct store *st, const struct actor *who, const char *dir,
		    const char *target, json_t **out, struct err *e)
{
	json_t *items = NULL, *v;
	int64_t id = 0, incident_id = 0;
	size_t k;
	int rc = 0, bad = 0, ok;

	*out = json_array();
	if (target && evidence_is_item(target)) {
		rc = evidence_item_parse(target, &id, e);
		if (!rc)
			rc = verify_item(st, who, dir, id, *out, &ok, e);
		bad = !rc && !ok;
	} else {
		rc = scope(st, who, target, ACT_EVIDENCE_READ, &incident_id, e);
		if (!rc)
			rc = items_query(st, who, "v.deleted_at IS NULL", incident_id, &items, e);
		json_array_foreach(items, k, v) {
			if (rc)
				break;
			rc = verify_item(st, who, dir, json_integer_value(json_object_get(v, "id")),
					 *out, &ok, e);
			bad += !rc && !ok;
		}
		json_decref(items);
	}
	if (!rc && bad)
		rc = err_set(e, ERR_TAMPERED, "%d evidence item%s failed verification", bad,
			     bad > 1 ? "s" : "");
	return rc;
}

int evidence_open(struct store *st, const struct actor *who, const char *dir, int64_t id,
		  int *fd, json_t **item, struct err *e)
{
	struct entry en = { "downloaded", { NULL, NULL, NULL }, NULL, NULL };
	struct buf path = BUF_INIT;
	struct item it;
	int rc = item_load(st, who, id, ACT_EVIDENCE_READ, &it, e);

	*fd = -1;
	*item = NULL;
	if (rc)
		return rc;
	if (it.deleted) {
		item_release(&it);
		return err_set(e, ERR_NOTFOUND, "evidence %lld was deleted: its file is gone",
			       (long long)id);
	}
	content_path(dir, it.sha, &path);
	*fd = open(path.data, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		rc = err_set(e, ERR_IO, "evidence %lld: %s: %s", (long long)id, path.data,
			     strerror(errno));
	buf_release(&path);
	en.detail = it.sha;
	*item = json_incref(it.json);
	if (!rc)
		rc = entry_commit(st, who, &it, NULL, &en, NULL, e);
	else
		item_release(&it);
	if (rc) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		json_decref(*item);
		*item = NULL;
	}
	return rc;
}
