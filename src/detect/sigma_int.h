/*
 * sigma_int.h: what the Sigma modules share inside detect/ (not a public
 * interface): the arena, the YAML tree the loader builds, compiled values,
 * selections and condition trees, and the rule set itself.
 */
#ifndef IRDESK_DETECT_SIGMA_INT_H
#define IRDESK_DETECT_SIGMA_INT_H

#include "detect/logsource.h"
#include "detect/sigma.h"
#include "util/arena.h"
#include "util/yaml.h"

#include <stddef.h>
#include <stdint.h>

struct buf;
struct event;
struct event_field;

/* One pattern token: literal bytes, any one character, any run, a dash. */
enum tok_kind { T_LIT, T_ONE, T_STAR, T_DASH };
struct tok {
	enum tok_kind kind;
	const char *s;
	size_t len;
};

/* How one value is compared with a field. */
enum vop {
	V_EQ, V_CONTAINS, V_STARTS, V_ENDS, V_GLOB, /* string, folded unless cased */
	V_RE, V_CIDR, V_NUM, V_EXISTS, V_NULL, V_FIELDREF, V_TIME
};
enum numop { N_EQ, N_LT, N_LTE, N_GT, N_GTE };
enum timeunit { TU_NONE, TU_MINUTE, TU_HOUR, TU_DAY, TU_WEEK, TU_MONTH, TU_YEAR };

struct sval {
	enum vop op;
	int cased;
	const char *pat;        /* V_EQ..V_ENDS: the literal (folded unless cased) */
	size_t plen;
	struct tok *toks;       /* V_GLOB */
	size_t ntoks;
	void *re;               /* V_RE: pcre2_code */
	uint8_t net[16];        /* V_CIDR */
	int bits, v6;
	double num;             /* V_NUM, V_TIME */
	enum numop nop;
	enum timeunit unit;
	int want;               /* V_EXISTS: 1 must exist, 0 must not */
	enum vop refop;         /* V_FIELDREF: V_EQ, V_CONTAINS, V_STARTS, V_ENDS */
	const char *ref;        /* V_FIELDREF: the other field's name */
	size_t reflen;
	uint32_t refhash;
};

/* One field of a selection (or a keyword list when field is NULL). */
struct sitem {
	const char *field;
	size_t flen;
	uint32_t hash;
	int all;       /* every value must match (else any) */
	int neq;       /* the item holds when no value matches */
	struct sval *vals;
	size_t nvals;
};

/* A group is an AND of items; a selection an OR of groups. */
struct sgroup {
	struct sitem *items;
	size_t nitems;
};
struct ssel {
	const char *name;
	struct sgroup *groups;
	size_t ngroups;
};

enum cnode_kind { C_SEL, C_AND, C_OR, C_NOT, C_NOF };
struct cnode {
	enum cnode_kind kind;
	int sel;               /* C_SEL: index into the rule's selections */
	struct cnode **kids;   /* C_AND/C_OR: 2+; C_NOT: 1; C_NOF: selections */
	size_t n;
	size_t need;           /* C_NOF: how many kids must hold */
};

/* A detection: selections and a condition (rules and filters have one). */
struct sdetect {
	struct ssel *sels;
	size_t nsels;
	struct cnode *cond;
};

enum rule_kind { RK_DETECT, RK_FILTER, RK_CORRELATION };
enum corr_type {
	CT_EVENT_COUNT, CT_VALUE_COUNT, CT_TEMPORAL, CT_TEMPORAL_ORDERED,
	CT_VALUE_SUM, CT_VALUE_AVG, CT_VALUE_PERCENTILE
};

struct scorr {
	enum corr_type type;
	const char **rules;       /* referenced rule ids or names */
	size_t nrules;
	const char **group_by;
	size_t ngroup;
	long long timespan;       /* seconds */
	enum numop cop;           /* condition */
	double cval;
	double cval2;             /* a second bound (gte and lte together) */
	enum numop cop2;
	int has2;
	const char *field;        /* value_count and value_* */
	int generate;
	int deferred;             /* decided when a window closes (an upper bound on a count or sum) */
	const char **alias_names; /* aliases: names, each with per-rule field */
	size_t naliases;
	struct salias *aliases;   /* the same aliases with their per-rule fields */
	/* After compile (sigma_corr_resolve): the rules referred to, by position. */
	struct sigma_rule **refs; /* NULL where a reference names no loaded rule */
	size_t ordinal;           /* index of this correlation among the rule set's */
};

/* One alias of a correlation: in events of rule rules[i], the field fields[i]. */
struct salias {
	const char *name;
	const char **rules;
	const char **fields;
	size_t n;
};

/* A correlation that refers to a rule, and at which position of its list. */
struct corr_ref {
	struct sigma_rule *corr;
	size_t pos;
};

struct sigma_rule {
	enum rule_kind kind;
	size_t index;            /* load order */
	const char *id, *name, *title, *level, *status, *path;
	const char **tags;       /* NULL-terminated */
	const char *product, *category, *service;
	struct sdetect det;
	struct scorr *corr;
	const char **filter_rules;   /* RK_FILTER: the ids or names it applies to */
	size_t nfilter_rules;
	struct sigma_rule **filters; /* filters that apply to this rule */
	size_t nfilters;
	const struct ls_route *route; /* NULL: applies to every event */
	struct corr_ref *corr_refs;   /* after compile: correlations that refer to this rule */
	size_t ncorr_refs;
	int silent;                   /* referred to only by correlations without generate */
	struct sigma_rule *next;
};

struct placeholder {
	const char *name;         /* without % */
	const char **values;
	size_t n;
	struct placeholder *next;
};

/* One rule of a plan, with the route alternative that brought it (renames). */
struct rent {
	struct sigma_rule *rule;
	const struct ls_alt *alt;
};

/*
 * A plan: rules one kind of event is matched against (a route bucket with
 * the channel-wide bucket that also applies, or the unrouted rules), in
 * load order, with the prefilter over them (sigma_prefilter.c): Hyperscan
 * databases of the literals each rule needs, and which entries have none
 * (evaluated on every event). An event goes through its bucket's plan and
 * the unrouted rules' plan.
 */
struct plan_db {
	void *db;                 /* hs_database_t; NULL when there is no literal */
	uint32_t *lit_off;        /* literal id -> entries lit_ent[lit_off[id] .. lit_off[id + 1]) */
	uint32_t *lit_ent;
	size_t nlit;
};
struct sigma_plan {
	struct rent *ent;
	size_t nent;
	uint32_t *always;         /* indices into ent, ascending */
	size_t nalways;
	struct plan_db fields;    /* literals of named fields, scanned over those fields */
	struct plan_db keywords;  /* keywords' literals, scanned over every value */
	uint64_t fieldbits[64];   /* the fields to scan, by name hash mod 4096 (a superset) */
};

struct route_bucket;

struct sigma_ruleset {
	struct arena arena;
	struct sigma_rule *first, *last;
	size_t nloaded, nrejected, nrules;
	struct placeholder *placeholders;
	void **regexes;           /* pcre2_code pointers, freed with the set */
	size_t nregex, capregex;
	struct logsource *ls;
	int compiled;
	/* After compile: rules by route. */
	struct sigma_rule **all_rules;     /* detection rules in load order */
	size_t nall;
	struct sigma_rule **global;        /* unrouted rules: they apply to every event */
	size_t nglobal;
	struct sigma_rule **global_win;    /* of those, the ones for Windows or no product */
	size_t nglobal_win;
	struct route_bucket *buckets;
	size_t nbuckets;                   /* a power of two */
	struct sigma_plan plan_any;        /* events without a Channel: the unrouted rules */
	struct sigma_plan plan_win;        /* events with a Channel no bucket knows */
	size_t max_plan;                   /* the most entries of any plan */
	unsigned compile_gen;              /* bumped by every compile (scratches follow it) */
	size_t ncorr;                      /* loaded correlation rules (ordinals 0..ncorr) */
	struct sigma_rule **corr_rules;    /* after compile: the correlations by ordinal */
	size_t ndeferred;                  /* of those, decided when a window closes */
};

/*
 * sigma_rule.c: build one rule from its (merged) document. Returns 0 (built),
 * 1 (rejected: the reason is in reason; *out still holds its id and title)
 * or ERR_NOMEM.
 */
int sigma_build_rule(struct sigma_ruleset *rs, const char *path, const struct ynode *doc,
		     struct sigma_rule **out, char *reason, size_t rsize);

/* sigma_cond.c: parse a condition over the rule's selections. */
int sigma_cond_parse(struct arena *a, const char *text, const struct ssel *sels, size_t nsels,
		     struct cnode **out, char *reason, size_t rsize);

/* sigma_value.c: compile one value (after modifiers) of a field. */
int sigma_fold(const char *s, size_t n, struct buf *out);
size_t sigma_fold_into(const char *s, size_t n, char *out);   /* out holds 4*n bytes */

/*
 * sigma_prefilter.c: what each rule needs to be able to match, and the
 * plans' literal databases.
 *
 * sigma_prefilter_new derives, for every detection rule, a set of literals
 * (folded like the event text) of which at least one must occur in a field
 * value of an event for the rule to match (0 or ERR_NOMEM); a rule with no
 * such set is always evaluated. sigma_plan_compile builds a plan's always
 * list and databases from them (0, ERR_NOMEM, or ERR_INTERNAL for a
 * Hyperscan compile error, message in e). sigma_plan_candidates scans the
 * event prepared in s and gives the plan's entries to evaluate, ascending,
 * using slot (0 or 1) of the scratch's candidate buffers: 0, or
 * ERR_INTERNAL when Hyperscan fails.
 */
struct sigma_prefilter;
int sigma_prefilter_new(struct sigma_ruleset *rs, struct sigma_prefilter **out);
void sigma_prefilter_free(struct sigma_prefilter *pf);
int sigma_plan_compile(struct sigma_plan *p, const struct sigma_prefilter *pf, struct err *e);
void sigma_plan_release(struct sigma_plan *p);
int sigma_plan_candidates(const struct sigma_plan *p, struct sigma_scratch *s, int slot,
			  const uint32_t **out, size_t *n);
/* Grow *hs (a hs_scratch_t) for p's databases: 0 or ERR_NOMEM. */
int sigma_plan_scratch(const struct sigma_plan *p, void **hs);
void sigma_plan_scratch_free(void *hs);

/*
 * sigma.c, correlations: after compile, resolve every correlation's rule
 * references and give each referred rule its list of correlations
 * (0 or ERR_NOMEM); release what that allocated.
 */
int sigma_corr_resolve(struct sigma_ruleset *rs);
void sigma_corr_unresolve(struct sigma_ruleset *rs);

/* sigma_match.c */
struct sigma_scratch {
	const struct event *ev;
	uint32_t gen;             /* bumped per event */
	/* The event's field values, folded, one after another (each NUL-terminated). */
	char *text;
	size_t text_len, text_cap;
	size_t *foff;             /* per field: offset of its folded value in text */
	uint32_t *fnext;          /* per field: the next field of the same name + 1, or 0 */
	size_t nfield_cap;
	uint32_t *ftab;           /* field name hash table: first field index + 1, or 0 */
	size_t ftab_cap;
	size_t ftab_mask;
	void *md;                 /* pcre2_match_data */
	const struct ls_alt *alt;  /* the route alternative being evaluated (renames) */
	/* The prefilter's state (sized for one rule set). */
	const struct sigma_ruleset *rs;
	unsigned rs_gen;
	void *hs;                 /* hs_scratch_t */
	/* Two plans per event (its route's and the unrouted rules'), a slot each. */
	uint32_t *entmark[2];     /* per plan entry: gen when it became a candidate */
	uint32_t *cand[2], *order[2];   /* candidates; candidates merged with the always list */
	size_t ent_cap;
	char *scan;               /* the values a plan scans, folded, one after another */
};
/*
 * Scratches follow their rule set: sigma_match sizes s for rs after each
 * compile (rs_gen), so a scratch made before a compile stays usable.
 */
/* Index and fold ev's fields for matching: 0 or ERR_NOMEM. */
int sigma_scratch_prepare(struct sigma_scratch *s, const struct event *ev);
/* The first field of the event in s called name (after the renames of s->alt), or NULL. */
const struct event_field *sigma_field(const struct sigma_scratch *s, const char *name, size_t len,
				      uint32_t hash);
int sigma_eval_detect(struct sigma_scratch *s, const struct sdetect *d);

#endif
