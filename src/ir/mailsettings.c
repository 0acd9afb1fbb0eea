/*
 * mailsettings.c: the analyser's settings saved in the store (mail_settings,
 * one row) over the --mail-config file, and the cache that reloads them
 * when their version changes. See mailsettings.h.
 */
#include "ir/mailsettings.h"
#include "ir/actor.h"
#include "ir/audit.h"
#include "ir/observable.h"
#include "mail/mail.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One parsed configuration, shared by the analyses that hold it. */
struct mailcfg_hold {
	struct mail_config *cfg;
	int refs;                 /* the cache's own reference counts as one */
};

struct mailsettings {
	pthread_mutex_t mu;
	char *file_text;          /* the file's JSON, or NULL: built-in defaults */
	struct mailcfg_hold *cur; /* the configuration of version */
	int64_t version;          /* 0: none saved, cur is the file's */
};

static struct mailcfg_hold *hold_new(struct mail_config *cfg)
{
	struct mailcfg_hold *h = calloc(1, sizeof(*h));

	if (!h) {
		mail_config_free(cfg);
		return NULL;
	}
	h->cfg = cfg;
	h->refs = 1;
	return h;
}

/* Drop a reference; the caller holds ms->mu. */
static void hold_put(struct mailcfg_hold *h)
{
	if (h && --h->refs == 0) {
		mail_config_free(h->cfg);
		free(h);
	}
}

int mailsettings_new(const char *file, struct mailsettings **out, struct err *e)
{
	struct mailsettings *ms = calloc(1, sizeof(*ms));
	struct mail_config *cfg = NULL;
	struct buf text = BUF_INIT;
	int rc;

	*out = NULL;
	if (!ms)
		return err_set(e, ERR_NOMEM, "out of memory");
	buf_init(&text, MAILSET_MAX);
	if ((rc = mail_config_load(&cfg, file, e)) ||
	    (file && (rc = fs_read_file(file, &text, e))))
		goto fail;
	if (file)
		ms->file_text = buf_detach(&text, NULL);
	if (!(ms->cur = hold_new(cfg))) {
		rc = err_set(e, ERR_NOMEM, "out of memory");
		goto fail;
	}
	pthread_mutex_init(&ms->mu, NULL);
	*out = ms;
	return 0;
fail:
	if (!ms->cur)
		mail_config_free(cfg);
	buf_release(&text);
	free(ms->file_text);
	free(ms);
	return rc;
}

void mailsettings_free(struct mailsettings *ms)
{
	if (!ms)
		return;
	hold_put(ms->cur);
	pthread_mutex_destroy(&ms->mu);
	free(ms->file_text);
	free(ms);
}

/* The saved record: *version (0 when none) and, when text is not NULL, its JSON. */
static int saved(struct store *st, int64_t *version, struct buf *text, json_t **meta,
		 struct err *e)
{
	struct stmt *s;
	int rc = store_prepare(st, "SELECT version, config, updated_by, updated_at FROM "
			       "mail_settings WHERE id = 1", &s, e);

	*version = 0;
	if (rc)
		return rc;
	rc = stmt_step(s, e);
	if (rc == 1) {
		*version = stmt_int(s, 0);
		if (text)
			buf_adds(text, stmt_text(s, 1));
		if (meta)
			*meta = json_pack("{s:s,s:I}", "updated_by", stmt_text(s, 2), "updated_at",
					  (json_int_t)stmt_int(s, 3));
		rc = 0;
	}
	stmt_done(s);
	return rc;
}

/* Parse version's configuration (the file's for 0) into a new hold. */
static int load_version(struct mailsettings *ms, int64_t version, const struct buf *text,
			struct mailcfg_hold **out, struct err *e)
{
	struct mail_config *cfg = NULL;
	int rc;

	if (version)
		rc = mail_config_parse(&cfg, text->data, text->len, e);
	else
		rc = mail_config_parse(&cfg, ms->file_text, ms->file_text ? strlen(ms->file_text) : 0, e);
	if (rc)
		return err_prefix(e, "saved mail settings (version %lld)", (long long)version);
	*out = hold_new(cfg);
	return *out ? 0 : err_set(e, ERR_NOMEM, "out of memory");
}

int mailsettings_acquire(struct mailsettings *ms, struct store *st, struct mailcfg_hold **hold,
			 struct err *e)
{
	struct buf text = BUF_INIT;
	struct mailcfg_hold *fresh = NULL;
	int64_t version;
	int rc;

	*hold = NULL;
	rc = saved(st, &version, &text, NULL, e);
	pthread_mutex_lock(&ms->mu);
	if (!rc && version != ms->version) {
		if (load_version(ms, version, &text, &fresh, e) == 0) {
			hold_put(ms->cur);
			ms->cur = fresh;
		} else {
			/* Checked when saved, so only a stricter loader gets here:
			 * intake goes on with what it had, and says so once. */
			log_warn("%s: the previous mail settings stay in force", err_msg(e));
			err_clear(e);
		}
		ms->version = version;
	}
	if (!rc) {
		ms->cur->refs++;
		*hold = ms->cur;
	}
	pthread_mutex_unlock(&ms->mu);
	buf_release(&text);
	return rc;
}

const struct mail_config *mailcfg_of(const struct mailcfg_hold *hold)
{
	return hold->cfg;
}

void mailsettings_release(struct mailsettings *ms, struct mailcfg_hold *hold)
{
	if (!hold)
		return;
	pthread_mutex_lock(&ms->mu);
	hold_put(hold);
	pthread_mutex_unlock(&ms->mu);
}

int mailsettings_show(struct mailsettings *ms, struct store *st, const struct actor *who,
		      json_t **out, struct err *e)
{
	struct buf text = BUF_INIT;
	json_t *meta = NULL, *cfg = NULL;
	const char *src, *body;
	int64_t version;
	int rc;

	*out = NULL;
	if ((rc = authz_check(who, ACT_SETTINGS, e)) ||
	    (rc = saved(st, &version, &text, &meta, e)))
		return rc;
	src = version ? "store" : ms && ms->file_text ? "file" : "defaults";
	body = version ? text.data : ms && ms->file_text ? ms->file_text : "{}";
	rc = json_parse(body, strlen(body), 1, &cfg, e);
	if (!rc) {
		*out = json_pack("{s:s,s:I,s:o}", "source", src, "version", (json_int_t)version,
				 "config", cfg);
		json_set_str(*out, "updated_by", meta ? json_str(meta, "updated_by") : "");
		if (meta)
			json_set_time(*out, "updated_at",
				      json_integer_value(json_object_get(meta, "updated_at")));
		else
			json_object_set_new(*out, "updated_at", json_null());
	}
	json_decref(meta);
	buf_release(&text);
	return rc;
}

/* Each entry of the list key must be a valid value of type t (OBS__COUNT: a
 * domain, or an address when it has an @); at most max. */
static int check_values(const json_t *root, const char *key, enum observable_type t, size_t max,
			const char *field, struct err *e)
{
	const json_t *a = json_object_get(root, key), *v;
	char norm[OBSERVABLE_VALUE_MAX];
	size_t i;

	if (json_array_size(a) > max)
		return err_set(e, ERR_TOOLONG, "%s: at most %zu entries", key, max);
	json_array_foreach(a, i, v) {
		const json_t *x = field ? json_object_get(v, field) : v;
		enum observable_type type = t;
		if (!json_is_string(x) || (field && !*json_string_value(x)))
			continue; /* the loader reports wrong types; an empty email is allowed */
		if (t == OBS__COUNT) /* a domain or an address */
			type = strchr(json_string_value(x), '@') ? OBS_EMAIL : OBS_DOMAIN;
		if (observable_normalize(json_string_value(x), &type, norm, sizeof(norm), e))
			return err_prefix(e, "%s[%zu]%s%s", key, i, field ? "." : "", field ? field : "");
	}
	return 0;
}

/* The loader's checks, then ours. */
static int validate(const char *json, size_t n, json_t **root, struct err *e)
{
	struct mail_config *cfg = NULL;
	int rc;

	if (n > MAILSET_MAX)
		return err_set(e, ERR_TOOLONG, "mail settings: at most %d bytes", MAILSET_MAX);
	if ((rc = json_parse(json, n, 1, root, e)))
		return rc;
	if ((rc = mail_config_parse(&cfg, json, n, e)) ||
	    (rc = check_values(*root, "own_domains", OBS_DOMAIN, MAILSET_LIST_MAX, NULL, e)) ||
	    (rc = check_values(*root, "partner_domains", OBS_DOMAIN, MAILSET_LIST_MAX, NULL, e)) ||
	    (rc = check_values(*root, "known_senders", OBS__COUNT, MAILSET_LIST_MAX, NULL, e)) ||
	    (rc = check_values(*root, "executives", OBS_EMAIL, MAILSET_EXECS_MAX, "email", e)))
		goto fail;
	mail_config_free(cfg);
	return 0;
fail:
	mail_config_free(cfg);
	json_decref(*root);
	*root = NULL;
	return rc;
}

int mailsettings_save(struct store *st, const struct actor *who, const char *json, size_t n,
		      json_t **out, struct err *e)
{
	struct buf text = BUF_INIT, old = BUF_INIT;
	json_t *root = NULL, *before = NULL, *after = NULL;
	struct stmt *s;
	int64_t version;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = authz_check(who, ACT_SETTINGS, e)) || (rc = validate(json, n, &root, e)))
		return rc;
	json_dump_buf(root, 0, &text);
	if ((rc = store_begin(st, e)))
		goto out;
	if ((rc = saved(st, &version, &old, NULL, e)))
		goto rollback;
	if (version)
		json_parse(old.data, old.len, 1, &before, NULL);
	rc = store_prepare(st, "INSERT INTO mail_settings (id, config, version, updated_by, updated_at) "
			       "VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET config = "
			       "excluded.config, version = excluded.version, updated_by = "
			       "excluded.updated_by, updated_at = excluded.updated_at", &s, e);
	if (rc)
		goto rollback;
	stmt_bind_text(s, 1, text.data);
	stmt_bind_int(s, 2, version + 1);
	stmt_bind_text(s, 3, who->name);
	stmt_bind_int(s, 4, who->now);
	after = json_pack("{s:I,s:O}", "version", (json_int_t)(version + 1), "config", root);
	if ((rc = stmt_exec(s, e)) ||
	    (rc = audit_append(st, who, "mail.settings", "settings", "mail", before, after, e)) ||
	    (rc = store_commit(st, e)))
		goto rollback;
	if (out)
		rc = mailsettings_show(NULL, st, who, out, e);
	goto out;
rollback:
	store_rollback(st);
out:
	json_decref(root);
	json_decref(before);
	json_decref(after);
	buf_release(&text);
	buf_release(&old);
	return rc;
}
