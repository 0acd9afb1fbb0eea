/*
 * corrstate.c: a server node's correlation state across restarts, in the
 * table corr_state (migration 0013). See corrstate.h.
 */
#include "detect/corrstate.h"
#include "detect/intake.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/time.h"

#include <stdlib.h>
#include <string.h>

int corrstate_node_check(const char *node, struct err *e)
{
	size_t n = strlen(node);

	if (n == 0 || n > CORRSTATE_NODE_MAX)
		return err_set(e, ERR_INVALID, "node name: expected 1 to %d bytes",
			       CORRSTATE_NODE_MAX);
	for (size_t i = 0; i < n; i++)
		if (node[i] <= ' ' || node[i] > '~')
			return err_set(e, ERR_INVALID, "node name: only printable ASCII without "
				       "spaces (byte %zu is not)", i + 1);
	return 0;
}

/*
 * Read node's row (its state into *text, the caller frees it; NULL when
 * there is none) and delete it, in one transaction.
 */
static int take_row(struct store *st, const char *node, char **text, int64_t *saved_at,
		    struct err *e)
{
	struct stmt *s;
	int rc;

	*text = NULL;
	if ((rc = store_begin(st, e)) != 0)
		return rc;
	rc = store_prepare(st, "SELECT saved_at, state FROM corr_state WHERE node = ?", &s, e);
	if (!rc) {
		stmt_bind_text(s, 1, node);
		if ((rc = stmt_step(s, e)) == 1) {
			*saved_at = stmt_int(s, 0);
			rc = (*text = stmt_strdup(s, 1)) ? 0 : err_set(e, ERR_NOMEM, "out of memory");
		}
		stmt_done(s);
	}
	if (!rc && *text && !(rc = store_prepare(st, "DELETE FROM corr_state WHERE node = ?", &s, e))) {
		stmt_bind_text(s, 1, node);
		rc = stmt_exec(s, e);
	}
	if (!rc)
		rc = store_commit(st, e);
	if (rc) {
		store_rollback(st);
		free(*text);
		*text = NULL;
	}
	return rc;
}

/* Load text, node's saved state, into d: 0, or a failure with its message in e. */
static int load_text(struct detector *d, const char *text, size_t max,
		     struct detector_restored *r, struct err *e)
{
	size_t len = strlen(text);
	json_error_t je;
	json_t *j;
	int rc;

	if (len > max)
		return err_set(e, ERR_TOOLONG, "%zu bytes, over the limit of %zu", len, max);
	if (!(j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)))
		return err_set(e, ERR_PARSE, "line %d, column %d: %s", je.line, je.column, je.text);
	rc = json_is_object(j) ? detector_state_load(d, j, r, e)
			       : err_set(e, ERR_PARSE, "not a JSON object");
	json_decref(j);
	return rc;
}

void corrstate_restore(struct store *st, const char *node, struct detector *d, size_t max)
{
	struct detector_restored r;
	char when[TIME_STR_MAX];
	int64_t saved_at = 0;
	char *text = NULL;
	struct err e;

	err_clear(&e);
	if (take_row(st, node, &text, &saved_at, &e) != 0) {
		log_warn("detection: reading the correlation state of node %s: %s "
			 "(correlations start empty)", node, err_msg(&e));
		return;
	}
	if (!text)
		return;
	time_format_utc(saved_at, when);
	if (load_text(d, text, max ? max : CORRSTATE_MAX, &r, &e) != 0)
		log_warn("detection: the correlation state of node %s saved at %s is unusable: %s "
			 "(correlations start empty)", node, when, err_msg(&e));
	else
		log_info("detection: correlation state of %zu groups restored, saved at %s "
			 "(node %s; %zu correlations restored, %zu dropped as changed or gone)",
			 r.groups, when, node, r.restored, r.dropped);
	free(text);
}

/* Replace node's row with text. */
static int put_row(struct store *st, const char *node, const char *text, int64_t now,
		   struct err *e)
{
	struct stmt *s;
	int rc = store_begin(st, e);

	if (!rc)
		rc = store_prepare(st, "INSERT INTO corr_state (node, saved_at, state) VALUES (?, ?, ?) "
				   "ON CONFLICT (node) DO UPDATE SET saved_at = excluded.saved_at, "
				   "state = excluded.state", &s, e);
	if (!rc) {
		stmt_bind_text(s, 1, node);
		stmt_bind_int(s, 2, now);
		stmt_bind_text(s, 3, text);
		rc = stmt_exec(s, e);
	}
	if (!rc)
		rc = store_commit(st, e);
	if (rc)
		store_rollback(st);
	return rc;
}

void corrstate_keep(struct store *st, const char *node, const struct detector *d, size_t max,
		    int64_t now)
{
	struct buf b;
	size_t groups = 0;
	json_t *j = NULL;
	struct err e;
	int rc;

	err_clear(&e);
	buf_init(&b, max ? max : CORRSTATE_MAX);
	rc = detector_state_save(d, &j, &groups, &e);
	if (!rc && j && groups) {
		rc = json_dump_buf(j, 0, &b);
		if (rc == ERR_TOOLONG)
			log_warn("detection: the correlation state is over %zu bytes: its %zu groups "
				 "are not kept", b.max, groups);
		else if (rc)
			err_set(&e, rc, "out of memory");
		else if (!(rc = put_row(st, node, b.data, now, &e)))
			log_info("detection: correlation state of %zu groups saved (%zu bytes, node %s)",
				 groups, b.len, node);
	}
	if (rc && rc != ERR_TOOLONG)
		log_warn("detection: saving the correlation state of node %s: %s (not kept)", node,
			 err_msg(&e));
	json_decref(j);
	buf_release(&b);
}
