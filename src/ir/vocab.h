/*
 * vocab.h: the small closed vocabularies of the domain (domain.md §2, §6):
 * NIST attack vectors and impacts, recoverability, priority, TLP and PAP,
 * rejection reasons, timeline kinds, incident types. Each value has an API
 * name and Japanese and English labels; parsing is case-insensitive and
 * names the valid values when it fails.
 */
#ifndef IRDESK_IR_VOCAB_H
#define IRDESK_IR_VOCAB_H

struct err;

struct vocab_item {
	const char *name;   /* API and storage name */
	const char *ja;
	const char *en;
	const char *alias;  /* another accepted spelling, or NULL */
};

struct vocab {
	const char *what;    /* "attack vector", for messages */
	const char *prefix;  /* optional prefix that may be left out ("TLP:") */
	const struct vocab_item *items;
	int n;
};

extern const struct vocab vocab_attack_vector;
extern const struct vocab vocab_functional_impact;
extern const struct vocab vocab_information_impact;
extern const struct vocab vocab_recoverability;
extern const struct vocab vocab_priority;
extern const struct vocab vocab_tlp;
extern const struct vocab vocab_pap;
extern const struct vocab vocab_reject_reason;
extern const struct vocab vocab_timeline_kind;
extern const struct vocab vocab_incident_type;

/* Indices of the values code refers to by meaning. */
enum { FI_NONE, FI_LOW, FI_MEDIUM, FI_HIGH };
enum { II_NONE, II_PRIVACY, II_PROPRIETARY, II_INTEGRITY };
enum { RC_REGULAR, RC_SUPPLEMENTED, RC_EXTENDED, RC_NOT_RECOVERABLE };
enum { REJ_FALSE_POSITIVE, REJ_NOT_OURS, REJ_DUPLICATE };
enum { TLK_OBSERVATION, TLK_ACTION, TLK_DECISION, TLK_COMMUNICATION, TLK_EVIDENCE,
       TLK_STATE_CHANGE };
enum { TLP_RED, TLP_AMBER_STRICT, TLP_AMBER, TLP_GREEN, TLP_CLEAR };
enum { PAP_RED, PAP_AMBER, PAP_GREEN, PAP_CLEAR };

/*
 * Parse s into the index of its value in v. Returns 0, or ERR_INVALID with
 * "unknown WHAT 'S' (one of: a, b, c)".
 */
int vocab_parse(const struct vocab *v, const char *s, int *out, struct err *e);
/* The API name of index i, or NULL when i is out of range (unset is -1). */
const char *vocab_name(const struct vocab *v, int i);
/* The label for lang ("ja" or "en"), or "" when i is out of range. */
const char *vocab_label(const struct vocab *v, int i, const char *lang);

#endif
