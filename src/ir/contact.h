/*
 * contact.h: the directory of parties a CSIRT tells about incidents:
 * internal (management, legal, PR, IT) and external (JPCERT/CC, police, the
 * Personal Information Protection Commission, ISPs, vendors, partners,
 * customers), with roles, channels and who is on call; CSV import and export
 * (RFC 4180). Internal accounts read it (ACT_CONTACT_READ) and some edit it
 * (ACT_CONTACT_EDIT); external accounts have no access.
 */
#ifndef IRDESK_IR_CONTACT_H
#define IRDESK_IR_CONTACT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct actor;
struct buf;
struct err;
struct store;

#define CONTACT_IMPORT_MAX (4 * 1024 * 1024) /* bytes of CSV */
#define CONTACT_IMPORT_ROWS 10000

/*
 * A contact's fields as text (what a form, a JSON body or a CSV row holds).
 * For contact_add NULL means empty (name, scope and category are required);
 * for contact_update NULL means unchanged. on_call is "yes"/"no" (also
 * true/false, 1/0).
 */
struct contact_fields {
	const char *name, *organisation, *scope, *category, *roles;
	const char *email, *phone, *channel, *on_call, *notes;
};

/* The categories, for forms: NULL-terminated API names (jpcert, police, ...). */
extern const char *const contact_categories[];

/* Add a contact (ACT_CONTACT_EDIT), audited; *out gets it as JSON. */
int contact_add(struct store *st, const struct actor *who, const struct contact_fields *f,
		json_t **out, struct err *e);
/* Change the fields of contact id that are not NULL, audited. */
int contact_update(struct store *st, const struct actor *who, int64_t id,
		   const struct contact_fields *f, json_t **out, struct err *e);
/* Remove contact id, audited; notifications keep its name as recipient. */
int contact_remove(struct store *st, const struct actor *who, int64_t id, struct err *e);
/* One contact (ACT_CONTACT_READ). ERR_NOTFOUND when there is none. */
int contact_get(struct store *st, const struct actor *who, int64_t id, json_t **out,
		struct err *e);

struct contact_filter {
	const char *category; /* NULL: any */
	int on_call_only;
};

/* Contacts as a JSON array, on call first, then by name. */
int contact_list(struct store *st, const struct actor *who, const struct contact_filter *f,
		 json_t **out, struct err *e);

/*
 * Every contact as CSV into out: a header row naming the columns (name,
 * organisation, scope, category, roles, email, phone, channel, on_call,
 * notes), CRLF line ends, fields quoted when they need it.
 */
int contact_export(struct store *st, const struct actor *who, struct buf *out, struct err *e);

/*
 * Import n bytes of CSV (UTF-8; a header row naming the columns, in any
 * order; name, scope and category required). Every row is checked first;
 * then all are added in one transaction, or none: the error names the line
 * of each bad row ("line 3: scope: ...; line 7: ..."). *count receives the
 * number added.
 */
int contact_import(struct store *st, const struct actor *who, const char *csv, size_t n,
		   int *count, struct err *e);

#endif
