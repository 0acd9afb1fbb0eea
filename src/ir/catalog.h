/*
 * catalog.h: what each kind of incident asks for (data/catalog, domain.md
 * §2-§3 and §7): the items of METI Appendix C table 1 and NIST Appendix B
 * that every incident has, each type's own items (Appendix C tables 2-5 and
 * irdesk's additions) with the state before which they must be filled, the
 * playbook steps per phase (the NIST checklist plus the type's own), the
 * investigation command sheets those steps point to, and the IPA threat
 * lists incidents can be tagged with.
 *
 * The catalog is YAML text: embedded at build time, or read from a folder
 * with the same layout (common.yaml, types/<type>.yaml, threats/<year>.yaml,
 * sheets/<key>.md). Loading validates everything and names file and line of
 * each problem. A loaded catalog is read-only, so threads may share it.
 */
#ifndef IRDESK_IR_CATALOG_H
#define IRDESK_IR_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

struct buf;
struct err;
struct tz;

/* A text in both languages. */
struct ctext {
	const char *ja, *en;
};
/* The text in lang ("ja" or "en"). */
const char *ctext(const struct ctext *t, const char *lang);

/* X(NAME, catalog name) */
#define ITEM_TYPES(X) \
	X(TEXT, text) X(NUMBER, number) X(DATETIME, datetime) X(CHOICE, choice) X(YESNO, yesno) X(LIST, list)

enum item_type {
#define X(N, n) IT_##N,
	ITEM_TYPES(X)
#undef X
};
const char *item_type_name(enum item_type t);

struct catalog_choice {
	const char *key;
	struct ctext label;
};

struct catalog_item {
	const char *key;
	const char *section;        /* appendix_c1, nist_b, or the type's key */
	enum item_type type;
	struct ctext label, help;   /* help.ja/en may be NULL */
	const struct catalog_choice *choices;
	size_t nchoices;
	int required_before;        /* an incident_state, or -1 */
	const char *builtin;        /* an incident field holding the value, or NULL */
};

/* Steps in one playbook (common.yaml's and a type's together); more is a
 * catalog problem. */
#define CATALOG_MAX_STEPS 256

struct catalog_step {
	const char *key;
	const char *phase;          /* a state name: triage .. post_incident */
	struct ctext title;
	const char *sheet;          /* a sheet key, or NULL */
};

struct catalog_type {
	const char *key;            /* info_leak, bec, ... (vocab_incident_type) */
	struct ctext label, table;
	int retention_days;
	const struct catalog_item *items;
	size_t nitems;
	const struct catalog_step *steps;
	size_t nsteps;
};

struct catalog_sheet {
	const char *key;
	const char *title;          /* the first line without "# " */
	const char *body;           /* Markdown, the whole file */
};

struct catalog_threat {
	const char *key;            /* unique within its year */
	struct ctext label;
	int rank;                   /* 1-based */
};

struct catalog_threat_list {
	int year;
	struct ctext source;
	const struct catalog_threat *threats;
	size_t n;
};

struct catalog {
	struct arena arena;
	const struct catalog_item *common;     /* every incident's items */
	size_t ncommon;
	const struct catalog_step *common_steps;
	size_t ncommon_steps;
	const struct catalog_type *types;      /* in vocab_incident_type order */
	size_t ntypes;
	const struct catalog_sheet *sheets;
	size_t nsheets;
	const struct catalog_threat_list *threat_lists; /* newest year first */
	size_t nthreat_lists;
};

#define CATALOG_FILE_MAX (1u << 20)
#define ITEM_TEXT_MAX 4000   /* characters of a text item */
#define ITEM_LIST_MAX 200    /* entries of a list item */
#define ITEM_ENTRY_MAX 500   /* characters of a list entry */

/*
 * Load the embedded catalog (dir NULL) or the one in folder dir into a new
 * catalog. On a problem returns ERR_PARSE with "N problems in the catalog"
 * in e, and, when problems is not NULL, one "file:line: message" line per
 * problem appended to it.
 */
int catalog_load(const char *dir, struct catalog **out, struct buf *problems, struct err *e);
void catalog_free(struct catalog *c);

/*
 * The catalog the process uses: the one given to catalog_set_active()
 * before any thread started (`--catalog DIR`), else the embedded one,
 * loaded on first use. NULL only when the embedded catalog cannot be loaded
 * (a build error the tests catch).
 */
const struct catalog *catalog_active(void);
void catalog_set_active(struct catalog *c);

const struct catalog_type *catalog_type(const struct catalog *c, const char *key);
/* An item of type t (NULL: common items only) or a common item, by key. */
const struct catalog_item *catalog_item(const struct catalog *c, const struct catalog_type *t,
					const char *key);
const struct catalog_step *catalog_step(const struct catalog *c, const char *key);
const struct catalog_sheet *catalog_sheet(const struct catalog *c, const char *key);
/* A threat by "YEAR:key" (e.g. "2026:ransomware"), list receives its year's list. */
const struct catalog_threat *catalog_threat(const struct catalog *c, const char *ref,
					    const struct catalog_threat_list **list);
const char *catalog_choice_label(const struct catalog_item *it, const char *key, const char *lang);

/*
 * Check and normalise a value typed for item it into out (the stored form):
 * text as given (at most ITEM_TEXT_MAX characters); number in decimal;
 * datetime as UTC seconds in decimal (input as time_parse() takes it, in
 * zone tz at now); choice as its key (the key or either label accepted);
 * yesno as "yes"/"no" (also true/false, はい/いいえ); list as entries
 * separated by newlines, empty ones dropped. An empty value is "" (unset).
 * ERR_INVALID names the item and what is wrong.
 */
int catalog_item_value(const struct catalog_item *it, const char *in, const struct tz *tz,
		       int64_t now, struct buf *out, struct err *e);

#endif
