/*
 * test_role.c: the CSIRT roles of domain.md §8 plus admin and viewer, their
 * names and labels, and the invariants of the permission table that every
 * page, API call and command relies on.
 */
#include "unit.h"
#include "ir/role.h"
#include "util/err.h"

/* domain.md §8, in its order, then the two account roles irdesk adds. */
static const char *const role_names[] = {
	"commander", "incident_manager", "incident_handler", "triage", "poc_external",
	"poc_internal", "notification", "researcher", "curator", "forensic_engineer",
	"legal_advisor", "self_assessment", "education", "admin", "viewer",
};
#define NROLES ((int)(sizeof(role_names) / sizeof(role_names[0])))

static void test_parse_every_role(void **state)
{
	(void)state;
	assert_int_equal(ROLE__COUNT, NROLES);
	for (int i = 0; i < NROLES; i++) {
		enum role r = ROLE__COUNT;
		struct err e;
		err_clear(&e);
		if (role_parse(role_names[i], &r, &e) != 0)
			fail_msg("role_parse(%s): %s", role_names[i], e.msg);
		assert_true((unsigned)r < ROLE__COUNT);
		assert_string_equal(role_name(r), role_names[i]);
	}
	/* Distinct names give distinct roles. */
	for (int i = 0; i < ROLE__COUNT; i++)
		for (int j = 0; j < i; j++)
			assert_string_not_equal(role_name((enum role)i), role_name((enum role)j));
}

static void test_specific_values(void **state)
{
	enum role r;
	(void)state;
	assert_int_equal(role_parse("admin", &r, NULL), 0);
	assert_int_equal(r, ROLE_ADMIN);
	assert_int_equal(role_parse("viewer", &r, NULL), 0);
	assert_int_equal(r, ROLE_VIEWER);
	assert_int_equal(role_parse("incident_handler", &r, NULL), 0);
	assert_int_equal(r, ROLE_INCIDENT_HANDLER);
	assert_int_equal(role_parse("forensic_engineer", &r, NULL), 0);
	assert_int_equal(r, ROLE_FORENSIC_ENGINEER);
}

static void test_unknown_role(void **state)
{
	static const char *const bad[] = { "", "root", "handler", "commander ", "incident-handler" };
	enum role r;
	struct err e;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = ROLE_VIEWER;
		err_clear(&e);
		assert_int_equal(role_parse(bad[i], &r, &e), ERR_INVALID);
		assert_int_equal(e.code, ERR_INVALID);
		assert_int_equal(r, ROLE_VIEWER); /* untouched */
		assert_non_null(strstr(e.msg, "unknown role"));
		for (int j = 0; j < NROLES; j++)
			if (!strstr(e.msg, role_names[j]))
				fail_msg("message lacks %s: %s", role_names[j], e.msg);
	}
	/* The rejected input is quoted, but not at any length. */
	{
		char longname[300];
		memset(longname, 'z', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		err_clear(&e);
		assert_int_equal(role_parse(longname, &r, &e), ERR_INVALID);
		assert_non_null(strstr(e.msg, "zzzz"));
		assert_null(strstr(e.msg, longname));
		assert_non_null(strstr(e.msg, "viewer"));
	}
}

static void test_labels_and_actions(void **state)
{
	(void)state;
	assert_string_equal(role_label(ROLE_COMMANDER, "ja"), "コマンダー");
	assert_string_equal(role_label(ROLE_COMMANDER, "en"), "Commander");
	for (int i = 0; i < ROLE__COUNT; i++) {
		assert_true(role_label((enum role)i, "ja")[0] != '\0');
		assert_true(role_label((enum role)i, "en")[0] != '\0');
	}
	for (int a = 0; a < ACT__COUNT; a++) {
		assert_true(action_name((enum action)a)[0] != '\0');
		assert_true(action_desc((enum action)a)[0] != '\0');
	}
	assert_string_equal(action_name(ACT_USER_ADMIN), "user_admin");
	assert_string_equal(action_name(ACT_INCIDENT_READ), "incident_read");
	/* Out of range is "", not a crash. */
	assert_string_equal(role_name(ROLE__COUNT), "");
	assert_string_equal(role_name((enum role)-1), "");
	assert_string_equal(role_label(ROLE__COUNT, "ja"), "");
	assert_string_equal(action_name(ACT__COUNT), "");
	assert_string_equal(action_desc((enum action)-1), "");
}

static void test_admin_may_everything(void **state)
{
	(void)state;
	for (int a = 0; a < ACT__COUNT; a++)
		if (!role_may(ROLE_ADMIN, (enum action)a))
			fail_msg("admin may not %s", action_name((enum action)a));
}

static void test_viewer_only_reads(void **state)
{
	(void)state;
	assert_true(role_may(ROLE_VIEWER, ACT_INCIDENT_READ));
	assert_true(role_may(ROLE_VIEWER, ACT_ALERT_READ));
	assert_true(role_may(ROLE_VIEWER, ACT_CONTACT_READ));
	for (int a = 0; a < ACT__COUNT; a++)
		if (a != ACT_INCIDENT_READ && a != ACT_ALERT_READ && a != ACT_CONTACT_READ &&
		    role_may(ROLE_VIEWER, (enum action)a))
			fail_msg("viewer may %s", action_name((enum action)a));
}

/* Detection: whoever reads incidents reads alerts; triage follows incident
 * triage; suppressions and event intake are for the managers and up. */
static void test_detection_permissions(void **state)
{
	(void)state;
	for (int r = 0; r < ROLE__COUNT; r++) {
		int manager = r == ROLE_ADMIN || r == ROLE_COMMANDER || r == ROLE_INCIDENT_MANAGER;
		assert_int_equal(role_may((enum role)r, ACT_ALERT_READ),
				 role_may((enum role)r, ACT_INCIDENT_READ));
		assert_int_equal(role_may((enum role)r, ACT_ALERT_TRIAGE),
				 manager || r == ROLE_INCIDENT_HANDLER || r == ROLE_TRIAGE);
		assert_int_equal(role_may((enum role)r, ACT_ALERT_SUPPRESS), manager);
		assert_int_equal(role_may((enum role)r, ACT_EVENT_WRITE), manager);
	}
}

/* Contacts: every role reads; the people who talk to other parties edit
 * them and record notifications, and handlers record what they told. */
static void test_contact_and_notify_permissions(void **state)
{
	(void)state;
	for (int r = 0; r < ROLE__COUNT; r++) {
		int edit = r == ROLE_ADMIN || r == ROLE_COMMANDER || r == ROLE_INCIDENT_MANAGER ||
			   r == ROLE_POC_EXTERNAL || r == ROLE_POC_INTERNAL || r == ROLE_NOTIFICATION;
		assert_true(role_may((enum role)r, ACT_CONTACT_READ));
		assert_int_equal(role_may((enum role)r, ACT_CONTACT_EDIT), edit);
		assert_int_equal(role_may((enum role)r, ACT_NOTIFY_RECORD),
				 edit || r == ROLE_INCIDENT_HANDLER);
	}
}

static void test_only_admin_manages_users(void **state)
{
	(void)state;
	for (int r = 0; r < ROLE__COUNT; r++)
		assert_int_equal(role_may((enum role)r, ACT_USER_ADMIN), r == ROLE_ADMIN);
}

static void test_every_role_reads(void **state)
{
	(void)state;
	for (int r = 0; r < ROLE__COUNT; r++)
		if (!role_may((enum role)r, ACT_INCIDENT_READ))
			fail_msg("%s may not read incidents", role_name((enum role)r));
}

static void test_lifecycle_rights(void **state)
{
	(void)state;
	assert_true(role_may(ROLE_COMMANDER, ACT_INCIDENT_REOPEN));
	assert_true(role_may(ROLE_COMMANDER, ACT_INCIDENT_CLOSE));
	assert_true(role_may(ROLE_INCIDENT_HANDLER, ACT_INCIDENT_RESPOND));
	assert_false(role_may(ROLE_INCIDENT_HANDLER, ACT_INCIDENT_CLOSE));
	assert_false(role_may(ROLE_INCIDENT_HANDLER, ACT_INCIDENT_REOPEN));
	assert_true(role_may(ROLE_TRIAGE, ACT_INCIDENT_TRIAGE));
	/* Whoever may reopen may also close; whoever may close may respond. */
	for (int r = 0; r < ROLE__COUNT; r++) {
		if (role_may((enum role)r, ACT_INCIDENT_REOPEN))
			assert_true(role_may((enum role)r, ACT_INCIDENT_CLOSE));
		if (role_may((enum role)r, ACT_INCIDENT_CLOSE))
			assert_true(role_may((enum role)r, ACT_INCIDENT_RESPOND));
	}
}

static void test_out_of_range_is_refused(void **state)
{
	(void)state;
	assert_int_equal(role_may(ROLE__COUNT, ACT_INCIDENT_READ), 0);
	assert_int_equal(role_may((enum role)-1, ACT_INCIDENT_READ), 0);
	assert_int_equal(role_may((enum role)1000, ACT_INCIDENT_READ), 0);
	assert_int_equal(role_may(ROLE_ADMIN, ACT__COUNT), 0);
	assert_int_equal(role_may(ROLE_ADMIN, (enum action)-1), 0);
	assert_int_equal(role_may(ROLE_ADMIN, (enum action)1000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_every_role),
		cmocka_unit_test(test_specific_values),
		cmocka_unit_test(test_unknown_role),
		cmocka_unit_test(test_labels_and_actions),
		cmocka_unit_test(test_admin_may_everything),
		cmocka_unit_test(test_viewer_only_reads),
		cmocka_unit_test(test_contact_and_notify_permissions),
		cmocka_unit_test(test_only_admin_manages_users),
		cmocka_unit_test(test_detection_permissions),
		cmocka_unit_test(test_every_role_reads),
		cmocka_unit_test(test_lifecycle_rights),
		cmocka_unit_test(test_out_of_range_is_refused),
	};
	return cmocka_run_group_tests_name("role", tests, NULL, NULL);
}
