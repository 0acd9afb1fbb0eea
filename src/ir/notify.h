/*
 * notify.h: who was told what about an incident, when, by which channel,
 * with the text sent (each record a communication entry on the timeline and
 * an audit row), and the incident's personal-data breach flags (the four
 * APPI criteria and GDPR) that start the clocks of ir/clock.h.
 */
#ifndef IRDESK_IR_NOTIFY_H
#define IRDESK_IR_NOTIFY_H

#include <jansson.h>
#include <stdint.h>

struct actor;
struct err;
struct store;

#define NOTIFY_RECIPIENT_MAX 300 /* characters */
#define NOTIFY_SUBJECT_MAX 300
#define NOTIFY_TEXT_MAX 100000

/* NULL-terminated API names, for forms and messages. */
extern const char *const notify_channels[]; /* email, phone, web_form, letter, meeting, chat, other */
extern const char *const notify_kinds[];    /* internal, management, external, appi_preliminary, ... */

struct notify_new {
	int64_t contact_id;    /* a directory entry, or 0 */
	const char *recipient; /* free text; with a contact, defaults to its name */
	const char *channel;
	const char *kind;
	const char *at;        /* when it was sent, for time_parse(); NULL or "": now */
	const char *subject;   /* may be NULL */
	const char *text;      /* what was sent (required) */
};

/*
 * Record a notification of incident hid (ACT_NOTIFY_RECORD) with a
 * communication timeline entry and an audit row, in one transaction.
 * *out (if not NULL) receives it as JSON.
 */
int notify_add(struct store *st, const struct actor *who, const char *hid,
	       const struct notify_new *n, json_t **out, struct err *e);

/* The notifications of incident hid, oldest first, as a JSON array. */
int notify_list(struct store *st, const struct actor *who, const char *hid, json_t **out,
		struct err *e);

/* Breach flags to change: -1 unchanged, 0 no, 1 yes. */
struct breach_update {
	int personal_data, sensitive, financial_risk, unauthorised_purpose, over_1000, gdpr;
};
#define BREACH_UPDATE_NONE { -1, -1, -1, -1, -1, -1 }

/* The names of the flags in breach_update order (for forms and the API). */
extern const char *const breach_flag_names[];

/*
 * The breach flags of incident hid (ACT_INCIDENT_READ) with its clocks:
 * {personal_data, sensitive, financial_risk, unauthorised_purpose,
 * over_1000, gdpr, clocks: [...]}.
 */
int breach_get(struct store *st, const struct actor *who, const char *hid, json_t **out,
	       struct err *e);

/*
 * Change the breach flags of incident hid (ACT_INCIDENT_EDIT): audited, and
 * a decision entry on the timeline naming what changed. *out as breach_get.
 */
int breach_set(struct store *st, const struct actor *who, const char *hid,
	       const struct breach_update *u, json_t **out, struct err *e);

/* Parse yes/no (true/false, 1/0) into 1 or 0; ERR_INVALID naming field. */
int breach_parse_flag(const char *field, const char *s, int *out, struct err *e);

#endif
