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
 * Who may do what. Columns follow ACTION_LIST:
 *  R read, C create, E edit, T triage, P respond, X close, O reopen,
 *  V priority override, S timestamp edit, M members, L timeline, K tasks,
 *  A audit, U users, then for detection: a alert read, t alert triage,
 *  s suppressions, e event intake; g gate override, r reports; for
 *  evidence: v read and download, w add and record custody (and put on
 *  hold), d delete (and release holds);
 *  for notifications: c contact read, q contact edit, n notification records;
 *  o observable edit, l lessons learned.
 * An external user's role here is the role it holds in the incident.
 */
#define Y 1
#define _ 0
static const unsigned char may[ROLE__COUNT][ACT__COUNT] = {
	/*                          R  C  E  T  P  X  O  V  S  M  L  K  A  U  a  t  s  e  g  r  v  w  d  c  q  n  o  l */
	[ROLE_ADMIN]             = { Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y },
	[ROLE_COMMANDER]         = { Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, _, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y },
	[ROLE_INCIDENT_MANAGER]  = { Y, Y, Y, Y, Y, Y, _, Y, Y, Y, Y, Y, Y, _, Y, Y, Y, Y, _, Y, Y, Y, _, Y, Y, Y, Y, Y },
	[ROLE_INCIDENT_HANDLER]  = { Y, Y, Y, Y, Y, _, _, _, _, _, Y, Y, _, _, Y, Y, _, _, _, Y, Y, Y, _, Y, _, Y, Y, Y },
	[ROLE_TRIAGE]            = { Y, Y, Y, Y, _, _, _, _, _, _, Y, Y, _, _, Y, Y, _, _, _, _, Y, _, _, Y, _, _, Y, _ },
	[ROLE_POC_EXTERNAL]      = { Y, Y, _, _, _, _, _, _, _, _, Y, Y, _, _, Y, _, _, _, _, Y, _, _, _, Y, Y, Y, _, _ },
	[ROLE_POC_INTERNAL]      = { Y, Y, _, _, _, _, _, _, _, _, Y, Y, _, _, Y, _, _, _, _, Y, _, _, _, Y, Y, Y, _, _ },
	[ROLE_NOTIFICATION]      = { Y, Y, _, _, _, _, _, _, _, _, Y, Y, _, _, Y, _, _, _, _, Y, _, _, _, Y, Y, Y, _, _ },
	[ROLE_RESEARCHER]        = { Y, _, _, _, _, _, _, _, _, _, Y, Y, _, _, Y, _, _, _, _, _, Y, _, _, Y, _, _, Y, _ },
	[ROLE_CURATOR]           = { Y, _, _, _, _, _, _, _, _, _, Y, Y, _, _, Y, _, _, _, _, _, Y, _, _, Y, _, _, Y, _ },
	[ROLE_FORENSIC_ENGINEER] = { Y, _, _, _, _, _, _, _, _, _, Y, Y, _, _, Y, _, _, _, _, _, Y, Y, _, Y, _, _, Y, _ },
	[ROLE_LEGAL_ADVISOR]     = { Y, _, _, _, _, _, _, _, _, _, Y, _, _, _, Y, _, _, _, _, Y, Y, _, _, Y, _, _, _, _ },
	[ROLE_SELF_ASSESSMENT]   = { Y, _, _, _, _, _, _, _, _, _, Y, _, Y, _, Y, _, _, _, _, _, _, _, _, Y, _, _, _, _ },
	[ROLE_EDUCATION]         = { Y, _, _, _, _, _, _, _, _, _, Y, _, _, _, Y, _, _, _, _, _, _, _, _, Y, _, _, _, _ },
	[ROLE_VIEWER]            = { Y, _, _, _, _, _, _, _, _, _, _, _, _, _, Y, _, _, _, _, _, _, _, _, Y, _, _, _, _ },
};
#undef Y
#undef _

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
	if ((unsigned)r >= ROLE__COUNT || (unsigned)a >= ACT__COUNT)
		return 0;
	return may[r][a];
}
