/*
 * mailsettings.h: the reported-mail analyser's settings (issue 7, item 5):
 * a record in the store that an admin edits (web page, API, CLI), over the
 * --mail-config file, which applies while no record has been saved. A
 * shared cache hands each analysis the configuration in force and reloads
 * it when the record's version changes, on this node or another.
 */
#ifndef IRDESK_IR_MAILSETTINGS_H
#define IRDESK_IR_MAILSETTINGS_H

#include <jansson.h>
#include <stddef.h>

struct actor;
struct err;
struct mail_config;
struct store;
struct mailsettings;
struct mailcfg_hold;

#define MAILSET_MAX (256 * 1024)  /* bytes of the settings JSON */
#define MAILSET_LIST_MAX 500      /* entries of one domain list */
#define MAILSET_EXECS_MAX 100     /* executives (officers and directors of a large company) */

/*
 * A cache for the server (or one CLI run). file: the --mail-config path or
 * NULL (built-in defaults); it is read and checked here, and applies while
 * the store has no saved settings. *out is the caller's (mailsettings_free).
 * Errors: those of mail_config_load (the file named).
 */
int mailsettings_new(const char *file, struct mailsettings **out, struct err *e);
void mailsettings_free(struct mailsettings *ms);

/*
 * The configuration in force: reads the saved version from st and, when it
 * changed since the last call, loads and parses the saved settings (the
 * file's when none are saved). *hold keeps it alive until
 * mailsettings_release; mailcfg_of gives the configuration. Safe from
 * several threads. Errors: the store's. A saved record that no longer
 * parses (a stricter loader after an upgrade) is logged once, and the
 * configuration in force stays.
 */
int mailsettings_acquire(struct mailsettings *ms, struct store *st, struct mailcfg_hold **hold,
			 struct err *e);
const struct mail_config *mailcfg_of(const struct mailcfg_hold *hold);
void mailsettings_release(struct mailsettings *ms, struct mailcfg_hold *hold);

/*
 * The settings in force (ACT_SETTINGS) as {"source": "store", "file"
 * or "defaults", "version", "updated_by", "updated_at", "config": {...}}.
 * ms may be NULL (the CLI without a file): then only the store counts.
 */
int mailsettings_show(struct mailsettings *ms, struct store *st, const struct actor *who,
		      json_t **out, struct err *e);

/*
 * Save the JSON text json[0..n) as the settings (ACT_SETTINGS):
 * checked by the file's loader (mail_config_parse) plus limits (domains
 * valid and at most MAILSET_LIST_MAX, at most MAILSET_EXECS_MAX executives
 * with valid e-mail addresses), stored with the version one higher,
 * audited ("mail.settings"). *out (may be NULL) gets mailsettings_show's
 * answer. ERR_PARSE / ERR_INVALID / ERR_TOOLONG naming the key; nothing
 * changes then.
 */
int mailsettings_save(struct store *st, const struct actor *who, const char *json, size_t n,
		      json_t **out, struct err *e);

#endif
