/*
 * test_authz_matrix.c: the authorisation matrix of the REST API, every role
 * against every route, computed from the same route table (api_routes[])
 * and role table (role_may) the server uses, checked for sanity and against
 * a hand-written list of the sensitive cells taken from docs/lifecycle.md
 * and docs/api.md. With IRDESK_MATRIX_OUT=FILE it also writes the table and
 * the expected answers there for tests/e2e/t0630-api-authz-matrix.sh, which
 * asks the real server the same questions.
 */
#include "unit.h"
#include "ir/incident.h"
#include "ir/role.h"
#include "web/router.h"

/* Every role, as the API names it, so that hand-written sets read like docs. */
#define ALL "*"

static int route_count(void)
{
	int n = 0;

	while (api_routes[n].pattern)
		n++;
	return n;
}

static const struct route *route_find(const char *method, const char *pattern)
{
	for (const struct route *r = api_routes; r->pattern; r++)
		if (strcmp(r->method, method) == 0 && strcmp(r->pattern, pattern) == 0)
			return r;
	return NULL;
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * The server's answer for an internal account with role r, before any
 * handler runs (http.c dispatch): a public route or one that needs no
 * permission is open to every signed-in account, any other needs the
 * route's permission in the role table.
 */
static int route_allows(const struct route *rt, enum role r)
{
	return (rt->flags & ROUTE_PUBLIC) || rt->act == ACT_NONE || role_may(r, rt->act);
}

/*
 * Changing routes that need no permission because they act only on the
 * caller's own session, tokens and account; where they could reach someone
 * else's (a password, a token), ir/ demands user_admin.
 */
static const char *const self_service[][2] = {
	{ "DELETE", "/api/v1/session" },
	{ "POST", "/api/v1/users/{name}/password" },
	{ "POST", "/api/v1/tokens" },
	{ "DELETE", "/api/v1/tokens/{tid}" },
	{ "PATCH", "/api/v1/account" },
	{ "POST", "/api/v1/account/password" },
	{ "POST", "/api/v1/account/totp" },
	{ "POST", "/api/v1/account/totp/confirm" },
	{ "DELETE", "/api/v1/account/totp" },
};

/* Changing routes whose real permission ir/ checks after a weaker route check. */
static const char *const checked_by_ir[][2] = {
	{ "POST", "/api/v1/incidents/{id}/transitions" }, /* the transition's own permission */
};

static int in_pairs(const char *const (*list)[2], size_t n, const struct route *rt)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i][0], rt->method) == 0 && strcmp(list[i][1], rt->pattern) == 0)
			return 1;
	return 0;
}

#define IN_LIST(list, rt) in_pairs(list, sizeof(list) / sizeof(list[0]), rt)

static int is_change(const struct route *rt)
{
	return strcmp(rt->method, "GET") != 0;
}

static void test_table_shape(void **state)
{
	static const char *const methods[] = { "GET", "POST", "PATCH", "PUT", "DELETE" };
	int n = route_count();
	(void)state;

	assert_true(n >= 30);
	for (int i = 0; i < n; i++) {
		const struct route *rt = &api_routes[i];
		int known = 0;

		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
			known |= strcmp(rt->method, methods[m]) == 0;
		if (!known)
			fail_msg("%s %s: unknown method", rt->method, rt->pattern);
		if (!starts_with(rt->pattern, "/api/v1/"))
			fail_msg("%s %s: not under /api/v1/", rt->method, rt->pattern);
		if (!rt->fn || !rt->summary || !*rt->summary)
			fail_msg("%s %s: no handler or summary", rt->method, rt->pattern);
		if (rt->flags & ROUTE_PAGE)
			fail_msg("%s %s: an API route flagged as a page", rt->method, rt->pattern);
		if ((unsigned)rt->act > ACT_NONE)
			fail_msg("%s %s: permission %d out of range", rt->method, rt->pattern, rt->act);
		for (int j = 0; j < i; j++)
			if (strcmp(api_routes[j].method, rt->method) == 0 &&
			    strcmp(api_routes[j].pattern, rt->pattern) == 0)
				fail_msg("%s %s: listed twice", rt->method, rt->pattern);
	}
}

/* Only health and sign-in answer without an account. */
static void test_public_routes(void **state)
{
	(void)state;
	for (const struct route *rt = api_routes; rt->pattern; rt++) {
		int want = (strcmp(rt->method, "GET") == 0 && strcmp(rt->pattern, "/api/v1/health") == 0) ||
			   (strcmp(rt->method, "POST") == 0 && strcmp(rt->pattern, "/api/v1/session") == 0);
		if (!!(rt->flags & ROUTE_PUBLIC) != want)
			fail_msg("%s %s: public is %d, expected %d", rt->method, rt->pattern,
				 !!(rt->flags & ROUTE_PUBLIC), want);
		/* Only sign-in skips the CSRF check: it has no session yet. */
		if ((rt->flags & ROUTE_NO_CSRF) && !want)
			fail_msg("%s %s: skips CSRF", rt->method, rt->pattern);
	}
}

/*
 * Every non-public route that changes something names a permission or is
 * an incident route (checked again by ir/), unless it is self-service. An
 * incident route always names one: external accounts skip the route check
 * there, and ACT_NONE would leave ir/ nothing to check them against.
 */
static void test_changes_need_a_permission(void **state)
{
	(void)state;
	for (const struct route *rt = api_routes; rt->pattern; rt++) {
		if (rt->flags & ROUTE_PUBLIC)
			continue;
		if (is_change(rt) && rt->act == ACT_NONE && !(rt->flags & ROUTE_INCIDENT) &&
		    !IN_LIST(self_service, rt))
			fail_msg("%s %s: changes something with no permission", rt->method, rt->pattern);
		if ((rt->flags & ROUTE_INCIDENT) && rt->act == ACT_NONE)
			fail_msg("%s %s: incident route with no permission", rt->method, rt->pattern);
		if (IN_LIST(self_service, rt) && rt->act != ACT_NONE)
			fail_msg("%s %s: self-service list is stale", rt->method, rt->pattern);
	}
}

/*
 * ROUTE_INCIDENT exactly on /api/v1/incidents/{id}...: external accounts skip
 * the role check on flagged routes, so a flag elsewhere would open that
 * route to every external account, and a missing flag would refuse members.
 */
static void test_incident_routes_flagged(void **state)
{
	(void)state;
	for (const struct route *rt = api_routes; rt->pattern; rt++) {
		int about_one = starts_with(rt->pattern, "/api/v1/incidents/{id}");
		if (!!(rt->flags & ROUTE_INCIDENT) != about_one)
			fail_msg("%s %s: ROUTE_INCIDENT is %d", rt->method, rt->pattern,
				 !!(rt->flags & ROUTE_INCIDENT));
	}
}

/* user_admin only on accounts; audit_read exactly on the audit log. */
static void test_admin_permissions_stay_in_place(void **state)
{
	(void)state;
	for (const struct route *rt = api_routes; rt->pattern; rt++) {
		int users = starts_with(rt->pattern, "/api/v1/users");
		int audit = starts_with(rt->pattern, "/api/v1/audit");

		if (rt->act == ACT_USER_ADMIN && !users)
			fail_msg("%s %s: needs user_admin outside /users", rt->method, rt->pattern);
		if (users && is_change(rt) && rt->act != ACT_USER_ADMIN && !IN_LIST(self_service, rt))
			fail_msg("%s %s: changes accounts without user_admin", rt->method, rt->pattern);
		if (audit != (rt->act == ACT_AUDIT_READ))
			fail_msg("%s %s: audit_read mismatch", rt->method, rt->pattern);
	}
}

/* Admin may call everything; a viewer may change only its own things. */
static void test_admin_and_viewer(void **state)
{
	(void)state;
	for (const struct route *rt = api_routes; rt->pattern; rt++) {
		if (!route_allows(rt, ROLE_ADMIN))
			fail_msg("%s %s: refused to admin", rt->method, rt->pattern);
		if (is_change(rt) && route_allows(rt, ROLE_VIEWER) && !(rt->flags & ROUTE_PUBLIC) &&
		    !IN_LIST(self_service, rt) && !IN_LIST(checked_by_ir, rt))
			fail_msg("%s %s: a viewer may change something", rt->method, rt->pattern);
	}
}

/*
 * The hand-written expectations: for each sensitive route, the roles that
 * may call it, transcribed from docs/lifecycle.md "Roles and permissions"
 * and docs/api.md, not from role.c. Every other role must be refused.
 */
#define CREATE "admin commander incident_manager incident_handler triage poc_external poc_internal notification"
#define EDIT "admin commander incident_manager incident_handler triage"
#define MEMBERS "admin commander incident_manager"
#define TASKS CREATE " researcher curator forensic_engineer"
#define TIMELINE TASKS " legal_advisor self_assessment education"
#define AUDIT "admin commander incident_manager self_assessment"
/* Detection (docs/api.md "Detection"): triage as incidents are triaged;
 * suppressing and sending events are the incident managers' and up. */
#define ALERT_TRIAGE EDIT
#define DETECT_ADMIN "admin commander incident_manager"
/* Evidence (docs/lifecycle.md "Evidence"): the response team and its
 * analysts read; forensic engineers and handlers add and record custody;
 * only commanders (and admin) delete or release a legal hold. */
#define EV_READ "admin commander incident_manager incident_handler triage researcher curator " \
		"forensic_engineer legal_advisor"
#define EV_WRITE "admin commander incident_manager incident_handler forensic_engineer"
#define EV_DELETE "admin commander"

static const struct cell_row {
	const char *method, *pattern, *roles;
} sensitive[] = {
	{ "GET", "/api/v1/health", ALL },
	{ "GET", "/api/v1/incidents", ALL },
	{ "GET", "/api/v1/incidents/{id}", ALL },
	{ "GET", "/api/v1/incidents/{id}/timeline", ALL },
	{ "GET", "/api/v1/incidents/{id}/tasks", ALL },
	{ "GET", "/api/v1/incidents/{id}/members", ALL },
	{ "GET", "/api/v1/tasks", ALL },
	{ "GET", "/api/v1/users", ALL },
	{ "POST", "/api/v1/incidents", CREATE },
	{ "PATCH", "/api/v1/incidents/{id}", EDIT },
	{ "POST", "/api/v1/incidents/{id}/transitions", ALL }, /* then ir/ (test below) */
	{ "POST", "/api/v1/incidents/{id}/members", MEMBERS },
	{ "DELETE", "/api/v1/incidents/{id}/members/{username}", MEMBERS },
	{ "POST", "/api/v1/incidents/{id}/timeline", TIMELINE },
	{ "POST", "/api/v1/incidents/{id}/tasks", TASKS },
	{ "POST", "/api/v1/incidents/{id}/tasks/{task}/done", TASKS },
	{ "POST", "/api/v1/incidents/{id}/tasks/{task}/reopen", TASKS },
	{ "POST", "/api/v1/tasks/{task}/done", TASKS },
	{ "POST", "/api/v1/tasks/{task}/reopen", TASKS },
	{ "POST", "/api/v1/users", "admin" },
	{ "POST", "/api/v1/users/{name}/disable", "admin" },
	{ "POST", "/api/v1/users/{name}/enable", "admin" },
	{ "PATCH", "/api/v1/users/{name}/totp", "admin" },
	{ "POST", "/api/v1/users/{name}/password", ALL }, /* ir/: own account, else admin */
	{ "GET", "/api/v1/audit", AUDIT },
	{ "POST", "/api/v1/audit/verify", AUDIT },
	{ "GET", "/api/v1/tokens", ALL },
	{ "POST", "/api/v1/account/password", ALL },
	{ "POST", "/api/v1/events", DETECT_ADMIN },
	{ "GET", "/api/v1/alerts", ALL },
	{ "GET", "/api/v1/alerts/{alert}", ALL },
	{ "POST", "/api/v1/alerts/{alert}/triage", ALERT_TRIAGE },
	{ "GET", "/api/v1/suppressions", ALL },
	{ "POST", "/api/v1/suppressions", DETECT_ADMIN },
	{ "DELETE", "/api/v1/suppressions/{sid}", DETECT_ADMIN },
	{ "GET", "/api/v1/incidents/{id}/killchain", ALL },
	{ "POST", "/api/v1/incidents/{id}/killchain", EDIT },
	{ "GET", "/api/v1/incidents/{id}/evidence", EV_READ },
	{ "GET", "/api/v1/evidence/{item}/download", EV_READ },
	{ "GET", "/api/v1/incidents/{id}/evidence/{item}/download", EV_READ },
	{ "PUT", "/api/v1/incidents/{id}/evidence", EV_WRITE },
	{ "POST", "/api/v1/incidents/{id}/evidence", EV_WRITE },
	{ "POST", "/api/v1/evidence/{item}/custody", EV_WRITE },
	{ "POST", "/api/v1/incidents/{id}/evidence/hold", EV_WRITE },
	{ "POST", "/api/v1/incidents/{id}/evidence/release", EV_DELETE },
	{ "POST", "/api/v1/evidence/{item}/release", EV_DELETE },
	{ "DELETE", "/api/v1/evidence/{item}", EV_DELETE },
};

static int set_has(const char *set, enum role r)
{
	const char *name = role_name(r);
	size_t n = strlen(name);

	if (strcmp(set, ALL) == 0)
		return 1;
	for (const char *p = set; (p = strstr(p, name)); p += n)
		if ((p == set || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/* Every name in a hand-written set is a role (a typo would make a cell vacuous). */
static void check_set_names(const char *set)
{
	char tmp[512], *save = NULL;
	enum role r;

	if (strcmp(set, ALL) == 0)
		return;
	snprintf(tmp, sizeof(tmp), "%s", set);
	for (char *t = strtok_r(tmp, " ", &save); t; t = strtok_r(NULL, " ", &save))
		if (role_parse(t, &r, NULL) != 0)
			fail_msg("hand-written set names an unknown role '%s'", t);
}

static void test_sensitive_cells(void **state)
{
	int bad = 0, cells = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(sensitive) / sizeof(sensitive[0]); i++) {
		const struct cell_row *c = &sensitive[i];
		const struct route *rt = route_find(c->method, c->pattern);

		check_set_names(c->roles);
		if (!rt) {
			print_message("# %s %s: no such route\n", c->method, c->pattern);
			bad++;
			continue;
		}
		for (int r = 0; r < ROLE__COUNT; r++) {
			int want = set_has(c->roles, (enum role)r), got = route_allows(rt, (enum role)r);
			cells++;
			if (want != got) {
				print_message("# %s %s as %s: server %s, expected %s\n", c->method,
					      c->pattern, role_name((enum role)r), got ? "allows" : "refuses",
					      want ? "allow" : "refuse");
				bad++;
			}
		}
	}
	assert_int_equal(cells, (int)(sizeof(sensitive) / sizeof(sensitive[0])) * ROLE__COUNT);
	assert_int_equal(bad, 0);
}

/* The sentences a reviewer would check first, one by one. */
static void test_named_cells(void **state)
{
	(void)state;
	assert_false(route_allows(route_find("POST", "/api/v1/incidents"), ROLE_VIEWER));
	assert_true(route_allows(route_find("GET", "/api/v1/incidents"), ROLE_VIEWER));
	assert_true(route_allows(route_find("GET", "/api/v1/audit"), ROLE_SELF_ASSESSMENT));
	assert_false(route_allows(route_find("GET", "/api/v1/audit"), ROLE_INCIDENT_HANDLER));
	for (int r = 0; r < ROLE__COUNT; r++)
		assert_int_equal(route_allows(route_find("POST", "/api/v1/users"), (enum role)r),
				 r == ROLE_ADMIN);
}

/*
 * Transitions pass the route check with incident_read; the transition then
 * needs its own permission (docs/lifecycle.md "Transitions"). The cells a
 * mistake would hurt most, written out.
 */
static const struct move_cell {
	enum incident_state from, to;
	const char *roles;
} moves[] = {
	{ ST_NEW, ST_TRIAGE, EDIT },
	{ ST_TRIAGE, ST_REJECTED, EDIT },
	{ ST_ANALYSIS, ST_CONTAINMENT, "admin commander incident_manager incident_handler" },
	{ ST_POST_INCIDENT, ST_CLOSED, "admin commander incident_manager" },
	{ ST_CLOSED, ST_ANALYSIS, "admin commander" },
	{ ST_REJECTED, ST_TRIAGE, "admin commander" },
};

static void test_transition_cells(void **state)
{
	int bad = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
		const struct transition *t = incident_transition(moves[i].from, moves[i].to);

		check_set_names(moves[i].roles);
		assert_non_null(t);
		for (int r = 0; r < ROLE__COUNT; r++) {
			int want = set_has(moves[i].roles, (enum role)r), got = role_may((enum role)r, t->act);
			if (want != got) {
				print_message("# %s -> %s as %s: %s, expected %s\n",
					      incident_state_name(moves[i].from),
					      incident_state_name(moves[i].to), role_name((enum role)r),
					      got ? "allowed" : "refused", want ? "allow" : "refuse");
				bad++;
			}
		}
	}
	assert_int_equal(bad, 0);
	/* The brief's own words: triage may not close. */
	assert_false(role_may(ROLE_TRIAGE, incident_transition(ST_POST_INCIDENT, ST_CLOSED)->act));
}

static const char *flags_text(unsigned f, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s%s", f & ROUTE_PUBLIC ? "public," : "", f & ROUTE_PAGE ? "page," : "",
		 f & ROUTE_NO_CSRF ? "nocsrf," : "", f & ROUTE_INCIDENT ? "incident," : "");
	if (!*out)
		snprintf(out, n, "-");
	else
		out[strlen(out) - 1] = '\0';
	return out;
}

/*
 * The whole matrix for the end-to-end test, one line per route and per
 * transition: "route METHOD PATTERN FLAGS ACT BITS", "transition FROM TO
 * ACT BITS", BITS one 0/1 per role in the order of the "roles" line.
 */
static int write_matrix(const char *path)
{
	char flags[64];
	size_t nt;
	const struct transition *t = incident_transitions(&nt);
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "# generated by test_authz_matrix from api_routes[] and role_may()\nroles");
	for (int r = 0; r < ROLE__COUNT; r++)
		fprintf(f, " %s", role_name((enum role)r));
	fputc('\n', f);
	for (const struct route *rt = api_routes; rt->pattern; rt++) {
		fprintf(f, "route %s %s %s %s ", rt->method, rt->pattern,
			flags_text(rt->flags, flags, sizeof(flags)),
			rt->act == ACT_NONE ? "none" : action_name(rt->act));
		for (int r = 0; r < ROLE__COUNT; r++)
			fputc(route_allows(rt, (enum role)r) ? '1' : '0', f);
		fputc('\n', f);
	}
	for (size_t i = 0; i < nt; i++) {
		fprintf(f, "transition %s %s %s ", incident_state_name(t[i].from),
			incident_state_name(t[i].to), action_name(t[i].act));
		for (int r = 0; r < ROLE__COUNT; r++)
			fputc(role_may((enum role)r, t[i].act) ? '1' : '0', f);
		fputc('\n', f);
	}
	return fclose(f) == 0 ? 0 : -1;
}

int main(void)
{
	const char *out = getenv("IRDESK_MATRIX_OUT");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_shape),
		cmocka_unit_test(test_public_routes),
		cmocka_unit_test(test_changes_need_a_permission),
		cmocka_unit_test(test_incident_routes_flagged),
		cmocka_unit_test(test_admin_permissions_stay_in_place),
		cmocka_unit_test(test_admin_and_viewer),
		cmocka_unit_test(test_sensitive_cells),
		cmocka_unit_test(test_named_cells),
		cmocka_unit_test(test_transition_cells),
	};

	if (out && *out && write_matrix(out) != 0) {
		fprintf(stderr, "test_authz_matrix: cannot write %s\n", out);
		return 1;
	}
	return cmocka_run_group_tests_name("authz_matrix", tests, NULL, NULL);
}
