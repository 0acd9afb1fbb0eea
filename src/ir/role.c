/*
 * role.c: role and action names, and the permission table.
 */
#include "ir/role.h"
#include "util/buf.h"
#include "util/err.h"

#include <string.h>

struct role_info {
	const char *name, *ja, *en;
};

static const struct role_info roles[] = {
#define X(N, n, ja, en) { #n, ja, en },
	ROLE_LIST(X)
#undef X
};

static const char *const action_names[] = {
#define X(N, n, d) #n,
	ACTION_LIST(X)
#undef X
};

static const char *const action_descs[] = {
#define X(N, n, d) d,
	ACTION_LIST(X)
#undef X
};

/*
 * Who may do what: for each action (ACTION_LIST order), the roles that may
 * take it. An external user's role here is the role it holds in the
 * incident (ir/actor.c adds what an outside party never does).
 */
#define R(x) (1u << ROLE_##x)
#define EVERYONE ((1u << ROLE__COUNT) - 1)
static const unsigned grants[ACT__COUNT] = {
	[ACT_INCIDENT_READ] = EVERYONE,
	[ACT_INCIDENT_CREATE] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) |
		R(INCIDENT_HANDLER) | R(TRIAGE) | R(POC_EXTERNAL) | R(POC_INTERNAL) |
		R(NOTIFICATION),
	[ACT_INCIDENT_EDIT] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) | R(INCIDENT_HANDLER) |
		R(TRIAGE),
	[ACT_INCIDENT_TRIAGE] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) |
		R(INCIDENT_HANDLER) | R(TRIAGE),
	[ACT_INCIDENT_RESPOND] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) |
		R(INCIDENT_HANDLER),
	[ACT_INCIDENT_CLOSE] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER),
	[ACT_INCIDENT_REOPEN] = R(ADMIN) | R(COMMANDER),
	[ACT_PRIORITY_OVERRIDE] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER),
	[ACT_TIMESTAMP_EDIT] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER),
	[ACT_MEMBER_EDIT] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER),
	[ACT_TIMELINE_ADD] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) | R(INCIDENT_HANDLER) |
		R(TRIAGE) | R(POC_EXTERNAL) | R(POC_INTERNAL) | R(NOTIFICATION) | R(RESEARCHER) |
		R(CURATOR) | R(FORENSIC_ENGINEER) | R(LEGAL_ADVISOR) | R(SELF_ASSESSMENT) |
		R(EDUCATION),
	[ACT_TASK_EDIT] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) | R(INCIDENT_HANDLER) |
		R(TRIAGE) | R(POC_EXTERNAL) | R(POC_INTERNAL) | R(NOTIFICATION) | R(RESEARCHER) |
		R(CURATOR) | R(FORENSIC_ENGINEER),
	[ACT_AUDIT_READ] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) | R(SELF_ASSESSMENT),
	[ACT_USER_ADMIN] = R(ADMIN),
	[ACT_ALERT_READ] = EVERYONE,
	[ACT_ALERT_TRIAGE] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) | R(INCIDENT_HANDLER) |
		R(TRIAGE),
	[ACT_ALERT_SUPPRESS] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER),
	[ACT_EVENT_WRITE] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER),
	[ACT_GATE_OVERRIDE] = R(ADMIN) | R(COMMANDER),
	[ACT_REPORT_WRITE] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) | R(INCIDENT_HANDLER) |
		R(POC_EXTERNAL) | R(POC_INTERNAL) | R(NOTIFICATION) | R(LEGAL_ADVISOR),
	[ACT_EVIDENCE_READ] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) | R(INCIDENT_HANDLER) |
		R(TRIAGE) | R(RESEARCHER) | R(CURATOR) | R(FORENSIC_ENGINEER) | R(LEGAL_ADVISOR),
	[ACT_EVIDENCE_WRITE] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) | R(INCIDENT_HANDLER) |
		R(FORENSIC_ENGINEER),
	[ACT_EVIDENCE_DELETE] = R(ADMIN) | R(COMMANDER),
	[ACT_CONTACT_READ] = EVERYONE,
	[ACT_CONTACT_EDIT] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) | R(POC_EXTERNAL) |
		R(POC_INTERNAL) | R(NOTIFICATION),
	[ACT_NOTIFY_RECORD] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) | R(INCIDENT_HANDLER) |
		R(POC_EXTERNAL) | R(POC_INTERNAL) | R(NOTIFICATION),
	[ACT_OBSERVABLE_EDIT] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) |
		R(INCIDENT_HANDLER) | R(TRIAGE) | R(RESEARCHER) | R(CURATOR) | R(FORENSIC_ENGINEER),
	[ACT_LESSONS_EDIT] = R(ADMIN) | R(COMMANDER) | R(INCIDENT_MANAGER) | R(INCIDENT_HANDLER),
	[ACT_SETTINGS] = R(ADMIN),
};
#undef EVERYONE
#undef R

const char *role_name(enum role r)
{
	return (unsigned)r < ROLE__COUNT ? roles[r].name : "";
}

const char *role_label(enum role r, const char *lang)
{
	if ((unsigned)r >= ROLE__COUNT)
		return "";
	return lang && strcmp(lang, "ja") == 0 ? roles[r].ja : roles[r].en;
}

int role_parse(const char *s, enum role *out, struct err *e)
{
	struct buf list = BUF_INIT;
	int rc;

	for (int i = 0; i < ROLE__COUNT; i++) {
		if (strcmp(s, roles[i].name) == 0) {
			*out = (enum role)i;
			return 0;
		}
	}
	for (int i = 0; i < ROLE__COUNT; i++)
		buf_addf(&list, "%s%s", i ? ", " : "", roles[i].name);
	rc = err_set(e, ERR_INVALID, "unknown role '%.64s' (one of: %s)", s, list.data);
	buf_release(&list);
	return rc;
}

const char *action_name(enum action a)
{
	return (unsigned)a < ACT__COUNT ? action_names[a] : "";
}

const char *action_desc(enum action a)
{
	return (unsigned)a < ACT__COUNT ? action_descs[a] : "";
}

int role_may(enum role r, enum action a)
{
	return (unsigned)r < ROLE__COUNT && (unsigned)a < ACT__COUNT && (grants[a] >> r & 1u);
}
