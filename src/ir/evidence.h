/*
 * evidence.h: the evidence locker. Files acquired for an incident are kept
 * outside the database in the evidence folder, named by their SHA-256 (one
 * file for the same content however often it is added), written atomically;
 * each item has an append-only, audited chain of custody (acquired, handed
 * over, checked out and in, verified, downloaded, held, released, deleted),
 * a retention date and legal holds (per item and per incident) that block
 * deletion.
 */
#ifndef IRDESK_IR_EVIDENCE_H
#define IRDESK_IR_EVIDENCE_H

#include <jansson.h>
#include <stdint.h>

struct actor;
struct buf;
struct err;
struct store;

#define EVIDENCE_NAME_MAX 255        /* characters of a file name */
#define EVIDENCE_HOST_MAX 255        /* characters of a source host */
#define EVIDENCE_PARTY_MAX 200       /* characters of a person or party */
#define EVIDENCE_TEXT_MAX 2000       /* characters of a description, purpose or reason */
#define EVIDENCE_MEDIA_MAX 100       /* bytes of a media type */
#define EVIDENCE_SIZE_MAX (INT64_C(16) << 30) /* bytes of one file unless told otherwise */
#define EVIDENCE_RETENTION_DEFAULT 1825 /* days (five years) for every incident type */
#define EVIDENCE_FUTURE_SKEW 300     /* seconds an acquisition time may lie ahead of now */
#define EVIDENCE_STALE 86400         /* seconds after which an unwritten temporary file is swept */

/*
 * How many days evidence of incidents of type incident_type (a vocabulary
 * name, "ransomware") is kept after its acquisition. Today
 * EVIDENCE_RETENTION_DEFAULT for every type; the incident catalog will give
 * a value per type.
 */
int evidence_retention_days(const char *incident_type);

/*
 * The evidence folder into out: given (an --evidence-dir option) when not
 * NULL or empty, else $IRDESK_EVIDENCE_DIR, else the folder `irdesk init`
 * recorded in the store. ERR_NOTFOUND when none is known.
 */
int evidence_dir_resolve(struct store *st, const char *given, struct buf *out, struct err *e);

/*
 * An upload being received: a temporary file in the evidence folder and the
 * SHA-256 of what was written so far. Memory stays the same whatever the
 * size. The module allocates it (evidence_upload_new); the caller frees it
 * with evidence_upload_free, which removes the temporary file.
 */
struct evidence_upload;

/*
 * Start an upload into folder dir (made if missing) of at most max_size
 * bytes (0: EVIDENCE_SIZE_MAX). Temporary files left there by a crash and
 * untouched for EVIDENCE_STALE seconds are removed on the way.
 */
int evidence_upload_new(const char *dir, int64_t max_size, struct evidence_upload **out,
			struct err *e);
/* Append n bytes. ERR_TOOLONG past the size limit, ERR_IO when the disk fails. */
int evidence_upload_write(struct evidence_upload *u, const void *p, size_t n, struct err *e);
/* Append the whole file at path (the CLI's way in). */
int evidence_upload_file(struct evidence_upload *u, const char *path, struct err *e);
int64_t evidence_upload_size(const struct evidence_upload *u);
/* Free u and remove its temporary file (NULL is fine). */
void evidence_upload_free(struct evidence_upload *u);

/* What describes a new item; every field is user input, NULL when not given. */
struct evidence_new {
	const char *name;         /* file name (required) */
	const char *media_type;   /* declared type; NULL or generic: sniffed from the content */
	const char *source;       /* the host it was acquired from (required) */
	const char *acquired_at;  /* time_parse() input (required, not in the future) */
	const char *acquired_by;  /* NULL: the actor */
	const char *description;
	const char *retain_until; /* time_parse() input; NULL: acquisition + retention days */
};

/*
 * Check n and the actor's ACT_EVIDENCE_WRITE on incident hid without
 * writing anything: the web layer calls it before it accepts a body, so
 * bad input is refused before gigabytes arrive. name may still be NULL;
 * n NULL checks only the incident and the permission (the description of
 * a multipart upload arrives with the file).
 */
int evidence_check_new(struct store *st, const struct actor *who, const char *hid,
		       const struct evidence_new *n, struct err *e);
/*
 * Record the finished upload u as a new item of incident hid: the file is
 * made durable and moved to its content address, then the item, its
 * "acquired" custody entry, a timeline entry and the audit row are written
 * in one transaction. u stays the caller's (free it afterwards). *out (if
 * not NULL) gets the item as JSON.
 */
int evidence_add(struct store *st, const struct actor *who, const char *hid,
		 const struct evidence_new *n, struct evidence_upload *u, json_t **out,
		 struct err *e);

/*
 * Parse an item reference: "12", "#12" or "E12". Returns 0 or ERR_USAGE.
 * evidence_is_item tells an item reference from an incident id.
 */
int evidence_item_parse(const char *s, int64_t *id, struct err *e);
int evidence_is_item(const char *s);

/* The items of incident hid (NULL: every incident the actor may see), newest first. */
int evidence_list(struct store *st, const struct actor *who, const char *hid,
		  int include_deleted, json_t **out, struct err *e);
/* One item as JSON, with its custody log under "custody" (ACT_EVIDENCE_READ). */
int evidence_get(struct store *st, const struct actor *who, int64_t id, json_t **out,
		 struct err *e);
/* Live items past their retention date that the actor may see. */
int evidence_due(struct store *st, const struct actor *who, json_t **out, struct err *e);

/* A custody entry's parties and purpose (user input, NULL when not given). */
struct custody_note {
	const char *from;
	const char *to;
	const char *purpose;
};

/* Handed over from -> to for purpose (all required). ACT_EVIDENCE_WRITE. */
int evidence_handover(struct store *st, const struct actor *who, int64_t id,
		      const struct custody_note *c, json_t **out, struct err *e);
/* Checked out to c->to (NULL: the actor) for c->purpose; ERR_CONFLICT if out already. */
int evidence_checkout(struct store *st, const struct actor *who, int64_t id,
		      const struct custody_note *c, json_t **out, struct err *e);
/* Checked back in; ERR_CONFLICT when it is not checked out. */
int evidence_checkin(struct store *st, const struct actor *who, int64_t id,
		     const struct custody_note *c, json_t **out, struct err *e);

/* One of the three above by its name (action "handover", "checkout" or "checkin"; ERR_INVALID otherwise). */
int evidence_custody_step(struct store *st, const struct actor *who, int64_t id,
			  const char *action, const struct custody_note *c, json_t **out,
			  struct err *e);

/*
 * Put a legal hold on (on=1) or release it from (on=0) target: an item
 * reference or an incident id (every item of it, present and future).
 * Holding takes ACT_EVIDENCE_WRITE, releasing ACT_EVIDENCE_DELETE; a reason
 * is required. Each affected item gets a custody entry.
 */
int evidence_hold(struct store *st, const struct actor *who, const char *target, int on,
		  const char *reason, json_t **out, struct err *e);

/*
 * Keep item id until the time until (time_parse input) for reason (both
 * required): later takes ACT_EVIDENCE_WRITE, earlier ACT_EVIDENCE_DELETE;
 * never before its acquisition; the same date is ERR_CONFLICT. A custody
 * entry "retention" records old → new and the reason.
 */
int evidence_retain(struct store *st, const struct actor *who, int64_t id, const char *until,
		    const char *reason, json_t **out, struct err *e);

/*
 * Delete item id (ACT_EVIDENCE_DELETE, a reason required): refused with
 * ERR_CONFLICT while a legal hold applies. The record stays with who, when
 * and why, plus a custody entry, a timeline entry and an audit row; the
 * file in folder dir goes when no other live item has the same content.
 */
int evidence_delete(struct store *st, const struct actor *who, const char *dir, int64_t id,
		    const char *reason, json_t **out, struct err *e);

/*
 * Re-hash the files of target (an item reference, an incident id, or NULL
 * for every item the actor may see) in folder dir and record each result
 * in custody ("verified", "mismatch" or "missing"). *out gets an array of
 * {item, incident, name, sha256, found, result}. Returns 0 when all match,
 * ERR_TAMPERED when one does not (the array is filled either way).
 */
int evidence_verify(struct store *st, const struct actor *who, const char *dir,
		    const char *target, json_t **out, struct err *e);

/*
 * Open item id's file in folder dir for download (ACT_EVIDENCE_READ) and
 * record a "downloaded" custody entry. *fd is the caller's to close; *item
 * (caller decrefs) describes it. A deleted item is ERR_NOTFOUND.
 */
int evidence_open(struct store *st, const struct actor *who, const char *dir, int64_t id,
		  int *fd, json_t **item, struct err *e);

#endif
