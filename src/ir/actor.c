/*
 * actor.c: actors and authorisation.
 */
#include "ir/actor.h"
#include "store/store.h"
#include "util/err.h"
#include "util/time.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void actor_base(struct actor *a, const struct tz *tz)
{
	memset(a, 0, sizeof(*a));
	a->now = time_now();
	a->tz = tz;
}

void actor_local(struct actor *a, const struct tz *tz)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];
	const char *login = NULL;

	actor_base(a, tz);
	a->role = ROLE_ADMIN;
	if (getpwuid_r(getuid(), &pw, tmp, sizeof(tmp), &res) == 0 && res)
		login = res->pw_name;
	snprintf(a->name, sizeof(a->name), "cli:%s", login ? login : "unknown");
}

void actor_system(struct actor *a, const struct tz *tz)
{
	actor_base(a, tz);
	a->role = ROLE_ADMIN;
	snprintf(a->name, sizeof(a->name), "system");
}

int actor_for_user(struct store *st, const char *username, const struct tz *tz,
		   struct actor *a, struct err *e)
{
	struct stmt *s;
	enum role r;
	int rc;

	actor_base(a, tz);
	rc = store_prepare(st, "SELECT id, role, external, disabled FROM users WHERE username = ?",
			   &s, e);
	if (rc)
		return rc;
	stmt_bind_text(s, 1, username);
	rc = stmt_step(s, e);
	if (rc == 0) {
		rc = err_set(e, ERR_NOTFOUND, "user '%.64s' not found", username);
	} else if (rc == 1) {
		rc = 0;
		if (stmt_int(s, 3))
			rc = err_set(e, ERR_DENIED, "user '%.64s' is disabled", username);
		else if (role_parse(stmt_text(s, 1), &r, e))
			rc = err_set(e, ERR_STORE, "user '%.64s' has an unknown role", username);
		else {
			a->user_id = stmt_int(s, 0);
			a->role = r;
			a->external = (int)stmt_int(s, 2);
			snprintf(a->name, sizeof(a->name), "%s", username);
		}
	}
	stmt_done(s);
	return rc;
}

int authz_check(const struct actor *a, enum action act, struct err *e)
{
	if (a->external && act != ACT_INCIDENT_READ)
		return err_set(e, ERR_DENIED, "%s may not %s", a->name, action_desc(act));
	if (!role_may(a->role, act))
		return err_set(e, ERR_DENIED, "%s (%s) may not %s", a->name, role_name(a->role),
			       action_desc(act));
	return 0;
}

/*
 * An internal account acts with the role it holds in the incident too: a
 * handler made the incident's commander (domain.md §8) may do there what a
 * commander may. Asked only when the account's own role does not allow act.
 */
static int member_may(struct store *st, const struct actor *a, int64_t incident_id,
		      enum action act)
{
	struct stmt *s;
	enum role r;
	int ok = 0;

	if (act == ACT_USER_ADMIN || act == ACT_AUDIT_READ)
		return 0; /* the organisation's, not an incident's */
	if (!a->user_id || store_prepare(st, "SELECT role FROM incident_members WHERE "
				     "incident_id = ? AND user_id = ?", &s, NULL))
		return 0;
	stmt_bind_int(s, 1, incident_id);
	stmt_bind_int(s, 2, a->user_id);
	if (stmt_step(s, NULL) == 1 && role_parse(stmt_text(s, 0), &r, NULL) == 0)
		ok = role_may(r, act);
	stmt_done(s);
	return ok;
}

int authz_incident(struct store *st, const struct actor *a, enum action act,
		   int64_t incident_id, const char *hid, struct err *e)
{
	enum role r = a->role;
	struct stmt *s;
	int rc;

	if (a->external) {
		rc = store_prepare(st, "SELECT role FROM incident_members "
				       "WHERE incident_id = ? AND user_id = ?", &s, e);
		if (rc)
			return rc;
		stmt_bind_int(s, 1, incident_id);
		stmt_bind_int(s, 2, a->user_id);
		rc = stmt_step(s, e);
		if (rc == 1 && role_parse(stmt_text(s, 0), &r, NULL) == 0)
			rc = 0;
		else if (rc >= 0)
			rc = err_set(e, ERR_NOTFOUND, "incident %s not found", hid);
		stmt_done(s);
		if (rc)
			return rc;
		/*
		 * An outside party works inside the incident but never takes the
		 * organisation's decisions, whatever its incident role: closing,
		 * reopening, membership, priority overrides, corrected timestamps,
		 * the audit log and accounts stay with the team.
		 */
		switch (act) {
		case ACT_USER_ADMIN: case ACT_AUDIT_READ: case ACT_INCIDENT_REOPEN:
		case ACT_INCIDENT_CLOSE: case ACT_MEMBER_EDIT: case ACT_PRIORITY_OVERRIDE:
		case ACT_TIMESTAMP_EDIT:
			return err_set(e, ERR_DENIED, "%s (external) may not %s", a->name,
				       action_desc(act));
		default:
			break;
		}
	}
	if (!role_may(r, act) && !(a->external == 0 && member_may(st, a, incident_id, act)))
		return err_set(e, ERR_DENIED, "%s (%s) may not %s on %s", a->name, role_name(r),
			       action_desc(act), hid);
	return 0;
}
