/*
 * logsource.h: the table that turns a Sigma rule's logsource (product,
 * category, service) into routing: the event log channels and event ids it
 * applies to, extra field conditions, and field renames for sources that
 * name a field otherwise (Security 4688 calls Image NewProcessName).
 * The table is text (data/detect/logsource.txt, embedded at build time).
 */
#ifndef IRDESK_DETECT_LOGSOURCE_H
#define IRDESK_DETECT_LOGSOURCE_H

#include <stddef.h>
#include <stdint.h>

struct err;

struct ls_cond {         /* the event's field must equal one of values (without case) */
	const char *field;
	size_t flen;
	uint32_t hash;
	const char **values;
	size_t n;
};
struct ls_rename {       /* the rule's field `from` is the event's field `to` */
	const char *from, *to;
	size_t from_len, to_len;
	uint32_t from_hash, to_hash;
};
struct ls_alt {
	const char **channels;   /* folded to lower case */
	size_t nch;
	long *eids;              /* empty: any event id */
	size_t neid;
	struct ls_cond *conds;   /* other fields */
	size_t nconds;
	struct ls_rename *renames;
	size_t nrenames;
};
struct ls_route {
	const char *kind, *product, *name;
	struct ls_alt *alts;
	size_t nalts;
	struct ls_route *next;
};
struct logsource;

/*
 * Parse a table from text (name is used in messages). Returns 0 and a new
 * table (free with logsource_free), or ERR_PARSE "name:line: ...".
 */
int logsource_parse(const char *name, const char *text, size_t len, struct logsource **out,
		    struct err *e);
/* The table embedded in the binary (data/detect/logsource.txt). */
int logsource_builtin(struct logsource **out, struct err *e);
void logsource_free(struct logsource *ls);

/*
 * The route of a rule's logsource (any argument may be NULL): the category
 * lines for its product and category when there are any, else the service
 * lines for its product and service; NULL when neither is known (the rule
 * then applies to every event). The route is owned by the table.
 */
const struct ls_route *logsource_route(const struct logsource *ls, const char *product,
				       const char *category, const char *service);

#endif
