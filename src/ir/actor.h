/*
 * actor.h: who is acting, when and in which time zone, and the one place
 * where an action on an incident is authorised (ir/ calls it on every path,
 * so pages, API and CLI get the same answer).
 */
#ifndef IRDESK_IR_ACTOR_H
#define IRDESK_IR_ACTOR_H

#include <stdint.h>

#include "ir/role.h"

struct err;
struct store;
struct tz;

#define ACTOR_NAME_MAX 80

struct actor {
	int64_t user_id;            /* 0 for the local operator and the system */
	char name[ACTOR_NAME_MAX];  /* what the audit log records: "alice", "cli:root" */
	enum role role;
	int external;               /* sees only incidents it is a member of */
	int64_t now;                /* the time of this request, UTC seconds */
	const struct tz *tz;        /* the actor's display zone (borrowed) */
};

/*
 * The local operator of the CLI: someone who can open the database file is
 * an administrator of it. Recorded as "cli:<login name>".
 */
void actor_local(struct actor *a, const struct tz *tz);
/* The system itself (scheduler, migrations): recorded as "system". */
void actor_system(struct actor *a, const struct tz *tz);
/*
 * The enabled user called username, or ERR_NOTFOUND / ERR_DENIED (disabled).
 */
int actor_for_user(struct store *st, const char *username, const struct tz *tz,
		   struct actor *a, struct err *e);

/* Check an action that is not about one incident. ERR_DENIED when refused. */
int authz_check(const struct actor *a, enum action act, struct err *e);
/*
 * Check an action on the incident with internal id incident_id (hid is used
 * in messages). An external actor that is not a member gets ERR_NOTFOUND,
 * exactly as for an incident that does not exist; a member acts with the
 * role it holds in that incident. An internal account may also do what its
 * role in the incident allows (a handler made the incident's commander may
 * force its gates), except managing accounts and reading the audit log.
 */
int authz_incident(struct store *st, const struct actor *a, enum action act,
		   int64_t incident_id, const char *hid, struct err *e);

#endif
