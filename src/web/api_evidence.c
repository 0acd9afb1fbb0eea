/*
 * api_evidence.c: the evidence locker over HTTP: uploads streamed to the
 * evidence folder (PUT with the raw file as the body, or a
 * multipart/form-data POST, which the evidence page uses too), downloads
 * sent from the file, custody steps, verification, legal holds, deletion.
 */
#include "ir/evidence.h"
#include "ir/incident.h"
#include "util/buf.h"
#include "util/json.h"
#include "web/api.h"
#include "web/html.h"
#include "web/http.h"
#include "web/req.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The fields describing an upload, in the query (PUT) or the form (POST). */
#define UPLOAD_FIELDS(X)                                \
	X(NAME, "name") X(SOURCE, "source") X(ACQ_AT, "acquired_at") \
	X(ACQ_BY, "acquired_by") X(DESC, "description") X(RETAIN, "retain_until") \
	X(MEDIA, "media_type")

enum {
#define X(N, s) F_##N,
	UPLOAD_FIELDS(X)
#undef X
	F__COUNT
};

static const char *const field_names[] = {
#define X(N, s) s,
	UPLOAD_FIELDS(X)
#undef X
	NULL
};

#define FIELD_MAX 16384 /* bytes of one form field */

/* One upload in progress: the stream's context. */
struct upload {
	struct evidence_upload *u;
	struct buf dir;
	struct buf fields[F__COUNT];
	struct MHD_PostProcessor *pp; /* multipart only */
	int files;                    /* file parts seen */
	int page;                     /* answer with a redirect (the evidence page) */
	struct request *rq;
};

static void fields_to_new(struct upload *up, struct evidence_new *n)
{
	const char **slot[F__COUNT] = { &n->name, &n->source, &n->acquired_at, &n->acquired_by,
					&n->description, &n->retain_until, &n->media_type };

	memset(n, 0, sizeof(*n));
	for (int i = 0; i < F__COUNT; i++)
		*slot[i] = up->fields[i].len ? up->fields[i].data : NULL;
}

static int field_index(const char *key)
{
	for (int i = 0; i < F__COUNT; i++)
		if (strcmp(field_names[i], key) == 0)
			return i;
	return -1;
}

static void upload_release(struct request *rq)
{
	struct upload *up = rq->stream_ctx;

	if (!up)
		return;
	if (up->pp)
		MHD_destroy_post_processor(up->pp);
	evidence_upload_free(up->u);
	buf_release(&up->dir);
	for (int i = 0; i < F__COUNT; i++)
		buf_release(&up->fields[i]);
	free(up);
	rq->stream_ctx = NULL;
}

static int raw_data(struct request *rq, const char *p, size_t n)
{
	struct upload *up = rq->stream_ctx;

	return evidence_upload_write(up->u, p, n, &rq->err);
}

/* One piece of a multipart form: a field's text, or the file's bytes. */
static enum MHD_Result form_part(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *filename, const char *content_type,
				 const char *transfer_encoding, const char *data, uint64_t off,
				 size_t size)
{
	struct upload *up = cls;
	struct request *rq = up->rq;
	int i = field_index(key);

	(void)kind;
	(void)transfer_encoding;
	if (strcmp(key, "file") == 0) {
		if (off == 0 && up->files++) {
			err_set(&rq->err, ERR_INVALID, "file: one file per upload");
			return MHD_NO;
		}
		if (off == 0 && filename && !up->fields[F_NAME].len)
			buf_adds(&up->fields[F_NAME], filename);
		if (off == 0 && content_type && !up->fields[F_MEDIA].len)
			buf_adds(&up->fields[F_MEDIA], content_type);
		return evidence_upload_write(up->u, data, size, &rq->err) ? MHD_NO : MHD_YES;
	}
	if (strcmp(key, "csrf") == 0)
		return MHD_YES;
	if (i < 0) {
		err_set(&rq->err, ERR_INVALID, "unknown form field '%.64s'", key);
		return MHD_NO;
	}
	buf_add(&up->fields[i], data, size);
	if (buf_error(&up->fields[i])) {
		err_set(&rq->err, ERR_TOOLONG, "%s: too long", key);
		return MHD_NO;
	}
	return MHD_YES;
}

static int form_data(struct request *rq, const char *p, size_t n)
{
	struct upload *up = rq->stream_ctx;

	if (MHD_post_process(up->pp, p, n) == MHD_YES)
		return 0;
	return rq->err.code ? rq->err.code
			    : err_set(&rq->err, ERR_PARSE, "malformed multipart/form-data body");
}

static int upload_finish(struct request *rq, struct response *rs)
{
	struct upload *up = rq->stream_ctx;
	struct evidence_new n;
	json_t *item = NULL;
	int rc;

	if (up->pp) {
		rc = MHD_destroy_post_processor(up->pp) == MHD_YES
			     ? 0 : err_set(&rq->err, ERR_PARSE, "malformed multipart/form-data body");
		up->pp = NULL;
		if (!rc && !up->files)
			rc = err_set(&rq->err, ERR_INVALID, "file: required");
		if (rc)
			return rc;
	}
	fields_to_new(up, &n);
	rc = api_domain(rq, evidence_add(rq->st, &rq->actor, req_param(rq, 0), &n, up->u, &item,
					 &rq->err));
	if (rc)
		return rc;
	if (up->page) {
		struct buf loc = BUF_INIT;
		buf_adds(&loc, "/incidents/");
		url_esc(&loc, json_str(item, "incident"));
		buf_addf(&loc, "/evidence/%lld?done=evidence_added",
			 (long long)json_integer_value(json_object_get(item, "id")));
		resp_redirect(rs, loc.data);
		buf_release(&loc);
		json_decref(item);
		return 0;
	}
	return resp_json(rs, 201, item);
}

static const struct req_stream raw_stream = { raw_data, upload_finish, upload_release };
static const struct req_stream form_stream = { form_data, upload_finish, upload_release };

/* Set up an upload; multipart reads the description from the form, else from the query. */
static int upload_begin(struct request *rq, int multipart, int page)
{
	const char *ct = req_header(rq, "Content-Type");
	struct upload *up;
	struct evidence_new n;
	int rc;

	/* Who may, first: an outsider learns nothing from a malformed request. */
	rc = evidence_check_new(rq->st, &rq->actor, req_param(rq, 0), NULL, &rq->err);
	if (rc)
		return rc;
	if (multipart && (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0))
		return err_set(&rq->err, ERR_PARSE, "expected Content-Type: multipart/form-data");
	if (!multipart && (rc = api_query_check(rq, field_names)))
		return rc;
	up = calloc(1, sizeof(*up));
	if (!up)
		return err_set(&rq->err, ERR_NOMEM, "out of memory");
	rq->stream_ctx = up;
	rq->stream = multipart ? &form_stream : &raw_stream;
	up->rq = rq;
	up->page = page;
	for (int i = 0; i < F__COUNT; i++) {
		const char *q = multipart ? NULL : req_query(rq, field_names[i]);
		buf_init(&up->fields[i], FIELD_MAX);
		if (q)
			buf_adds(&up->fields[i], q);
	}
	if (!multipart && !up->fields[F_MEDIA].len && ct)
		buf_add(&up->fields[F_MEDIA], ct, strcspn(ct, "; "));
	fields_to_new(up, &n);
	if (!multipart && !n.name)
		return err_set(&rq->err, ERR_INVALID, "name: required (the query argument name)");
	if (!multipart)
		rc = api_domain(rq, evidence_check_new(rq->st, &rq->actor, req_param(rq, 0), &n,
						       &rq->err));
	if (!rc)
		rc = evidence_dir_resolve(rq->st, http_evidence_dir(rq->srv), &up->dir, &rq->err);
	if (!rc)
		rc = evidence_upload_new(up->dir.data, rq->stream_max, &up->u, &rq->err);
	if (!rc && multipart && !(up->pp = MHD_create_post_processor(rq->conn, 64 * 1024,
								      form_part, up)))
		rc = err_set(&rq->err, ERR_PARSE, "malformed multipart/form-data header");
	return rc;
}

int api_evidence_put(struct request *rq, struct response *rs)
{
	(void)rs;
	return upload_begin(rq, 0, 0);
}

int api_evidence_post(struct request *rq, struct response *rs)
{
	(void)rs;
	return upload_begin(rq, 1, 0);
}

int web_evidence_upload_page(struct request *rq, struct response *rs)
{
	(void)rs;
	return upload_begin(rq, 1, 1);
}

/* ---- Reading. ---- */

/*
 * The item a route names: its last path parameter. Under
 * /incidents/{id}/evidence/{item} (the routes external members use) the
 * item must belong to that incident: 404 otherwise, as for no item at all.
 */
int web_evidence_item(struct request *rq, int64_t *id)
{
	json_t *item = NULL;
	int rc = evidence_item_parse(req_param(rq, rq->nparams - 1), id, &rq->err);

	if (rc)
		return err_set(&rq->err, ERR_NOTFOUND, "no such evidence item");
	if (rq->nparams < 2)
		return 0;
	rc = evidence_get(rq->st, &rq->actor, *id, &item, &rq->err);
	if (!rc && strcasecmp(json_str(item, "incident"), req_param(rq, 0)) != 0)
		rc = err_set(&rq->err, ERR_NOTFOUND, "evidence %lld not found", (long long)*id);
	json_decref(item);
	return rc;
}

int api_evidence_list(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "deleted", NULL };
	json_t *items;
	int deleted = 0;
	int rc = api_query_check(rq, allowed);

	if (!rc)
		rc = api_query_bool(rq, "deleted", 0, &deleted);
	if (!rc)
		rc = evidence_list(rq->st, &rq->actor, rq->nparams ? req_param(rq, 0) : NULL, deleted,
				   &items, &rq->err);
	return rc ? rc : api_items(rs, items);
}

int api_evidence_due(struct request *rq, struct response *rs)
{
	json_t *items;
	int rc = evidence_due(rq->st, &rq->actor, &items, &rq->err);

	return rc ? rc : api_items(rs, items);
}

int api_evidence_get(struct request *rq, struct response *rs)
{
	json_t *item;
	int64_t id;
	int rc = web_evidence_item(rq, &id);

	if (!rc)
		rc = evidence_get(rq->st, &rq->actor, id, &item, &rq->err);
	return rc ? rc : resp_json(rs, 200, item);
}

/* Content-Disposition for a stored name: an ASCII stand-in and the exact UTF-8 name. */
static void disposition(struct response *rs, const char *name)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "attachment; filename=\"");
	for (const char *p = name; *p; p++)
		buf_addch(&b, (strchr("\"\\", *p) || (unsigned char)*p < 0x20 ||
			       (unsigned char)*p > 0x7e) ? '_' : *p);
	buf_adds(&b, "\"; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr(".-_~", *p))
			buf_addch(&b, (char)*p);
		else
			buf_addf(&b, "%%%02X", *p);
	}
	resp_header(rs, "Content-Disposition", b.data);
	buf_release(&b);
}

/*
 * GET .../download: the file itself, always as an attachment of type
 * application/octet-stream (never rendered by the browser), with its
 * SHA-256 in a header. Recorded in custody.
 */
int web_evidence_download(struct request *rq, struct response *rs)
{
	struct buf dir = BUF_INIT;
	json_t *item = NULL;
	struct stat sb;
	int64_t id;
	int fd = -1;
	int rc = web_evidence_item(rq, &id);

	if (!rc)
		rc = evidence_dir_resolve(rq->st, http_evidence_dir(rq->srv), &dir, &rq->err);
	if (!rc)
		rc = evidence_open(rq->st, &rq->actor, dir.data, id, &fd, &item, &rq->err);
	if (!rc && fstat(fd, &sb) != 0)
		rc = err_set(&rq->err, ERR_IO, "evidence %lld: cannot read its file", (long long)id);
	if (!rc) {
		resp_file(rs, fd, (uint64_t)sb.st_size, "application/octet-stream");
		fd = -1;
		disposition(rs, json_str(item, "name"));
		resp_header(rs, "X-Evidence-SHA256", json_str(item, "sha256"));
	}
	if (fd >= 0)
		close(fd);
	json_decref(item);
	buf_release(&dir);
	return rc;
}

/* ---- Changes. ---- */

/* A JSON body with reason only. */
static int reason_body(struct request *rq, json_t **body, const char **reason)
{
	static const char *const allowed[] = { "reason", NULL };
	int bad = 0, rc = api_body(rq, allowed, 0, body);

	if (rc)
		return rc;
	*reason = api_str(rq, *body, "reason", &bad);
	return bad ? ERR_INVALID : 0;
}

/* POST /api/v1/evidence/{item}/custody: {action: handover|checkout|checkin, from, to, purpose}. */
int api_evidence_custody(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "action", "from", "to", "purpose", NULL };
	struct custody_note note;
	const char *action;
	json_t *body, *item = NULL;
	int64_t id;
	int bad = 0, rc = web_evidence_item(rq, &id);

	if (rc || (rc = api_body(rq, allowed, 0, &body)))
		return rc;
	action = api_str(rq, body, "action", &bad);
	note.from = api_str(rq, body, "from", &bad);
	note.to = api_str(rq, body, "to", &bad);
	note.purpose = api_str(rq, body, "purpose", &bad);
	api_required(rq, "action", action, &bad);
	rc = bad ? ERR_INVALID
		 : evidence_custody_step(rq->st, &rq->actor, id, action, &note, &item, &rq->err);
	json_decref(body);
	return rc ? api_domain(rq, rc) : resp_json(rs, 200, item);
}

static int hold_common(struct request *rq, struct response *rs, int on)
{
	const char *reason = NULL;
	json_t *body = NULL, *out = NULL;
	int rc = reason_body(rq, &body, &reason);

	if (!rc)
		rc = api_domain(rq, evidence_hold(rq->st, &rq->actor, req_param(rq, 0), on, reason,
						  &out, &rq->err));
	json_decref(body);
	if (rc)
		return rc;
	return json_is_array(out) ? api_items(rs, out) : resp_json(rs, 200, out);
}

int api_evidence_hold(struct request *rq, struct response *rs) { return hold_common(rq, rs, 1); }
int api_evidence_release(struct request *rq, struct response *rs) { return hold_common(rq, rs, 0); }

/* POST /api/v1/evidence/{item}/retention {retain_until, reason} */
int api_evidence_retain(struct request *rq, struct response *rs)
{
	static const char *const allowed[] = { "retain_until", "reason", NULL };
	const char *until, *reason;
	json_t *body, *out = NULL;
	int64_t id;
	int bad = 0, rc = web_evidence_item(rq, &id);

	if (rc || (rc = api_body(rq, allowed, 0, &body)))
		return rc;
	until = api_str(rq, body, "retain_until", &bad);
	reason = api_str(rq, body, "reason", &bad);
	rc = bad ? ERR_INVALID
		 : api_domain(rq, evidence_retain(rq->st, &rq->actor, id, until, reason, &out,
						  &rq->err));
	json_decref(body);
	return rc ? rc : resp_json(rs, 200, out);
}

int api_evidence_delete(struct request *rq, struct response *rs)
{
	struct buf dir = BUF_INIT;
	const char *reason = NULL;
	json_t *body = NULL, *out = NULL;
	int64_t id;
	int rc = web_evidence_item(rq, &id);

	if (!rc)
		rc = reason_body(rq, &body, &reason);
	if (!rc)
		rc = evidence_dir_resolve(rq->st, http_evidence_dir(rq->srv), &dir, &rq->err);
	if (!rc)
		rc = api_domain(rq, evidence_delete(rq->st, &rq->actor, dir.data, id, reason, &out,
						    &rq->err));
	json_decref(body);
	buf_release(&dir);
	return rc ? rc : resp_json(rs, 200, out);
}

/* POST /api/v1/evidence/{item}/verify and /api/v1/incidents/{id}/evidence/verify. */
int api_evidence_verify(struct request *rq, struct response *rs)
{
	struct buf dir = BUF_INIT;
	json_t *out = NULL, *o;
	int rc = evidence_dir_resolve(rq->st, http_evidence_dir(rq->srv), &dir, &rq->err);

	if (!rc)
		rc = evidence_verify(rq->st, &rq->actor, dir.data, req_param(rq, 0), &out, &rq->err);
	buf_release(&dir);
	if (rc && rc != ERR_TAMPERED) {
		json_decref(out);
		return rc;
	}
	o = json_pack("{s:o,s:b}", "items", out, "ok", rc == 0);
	return resp_json(rs, 200, o);
}
