/*
 * test_vocab.c: the closed vocabularies: what users may type for each value
 * (case, the optional TLP:/PAP: prefix, aliases), the error that lists the
 * valid values, out-of-range lookups, and the tables themselves against
 * domain.md.
 */
#include "unit.h"
#include "ir/vocab.h"
#include "util/err.h"

#include <strings.h>

static const struct vocab *const all[] = {
	&vocab_attack_vector, &vocab_functional_impact, &vocab_information_impact,
	&vocab_recoverability, &vocab_priority, &vocab_tlp, &vocab_pap,
	&vocab_reject_reason, &vocab_timeline_kind, &vocab_incident_type,
};
#define NALL (sizeof(all) / sizeof(all[0]))

/* The name s parses to in v, or a failed test. */
static const char *parsed(const struct vocab *v, const char *s)
{
	struct err e;
	int i = -1;
	err_clear(&e);
	if (vocab_parse(v, s, &i, &e) != 0)
		fail_msg("'%s' as %s: %s", s, v->what, e.msg);
	return vocab_name(v, i);
}

static void test_case_insensitive(void **state)
{
	(void)state;
	assert_string_equal(parsed(&vocab_attack_vector, "EMAIL"), "email");
	assert_string_equal(parsed(&vocab_attack_vector, "Removable_Media"), "removable_media");
	assert_string_equal(parsed(&vocab_functional_impact, "High"), "high");
	assert_string_equal(parsed(&vocab_incident_type, "RANSOMWARE"), "ransomware");
	assert_string_equal(parsed(&vocab_reject_reason, "False_Positive"), "false_positive");
	assert_string_equal(parsed(&vocab_timeline_kind, "Decision"), "decision");
}

static void test_tlp(void **state)
{
	int i = -1;
	(void)state;
	assert_string_equal(parsed(&vocab_tlp, "TLP:AMBER"), "TLP:AMBER");
	assert_string_equal(parsed(&vocab_tlp, "amber"), "TLP:AMBER");
	assert_string_equal(parsed(&vocab_tlp, "tlp:amber"), "TLP:AMBER");
	assert_string_equal(parsed(&vocab_tlp, "Red"), "TLP:RED");
	assert_string_equal(parsed(&vocab_tlp, "green"), "TLP:GREEN");
	assert_string_equal(parsed(&vocab_tlp, "amber+strict"), "TLP:AMBER+STRICT");
	assert_string_equal(parsed(&vocab_tlp, "TLP:AMBER+STRICT"), "TLP:AMBER+STRICT");
	assert_string_equal(parsed(&vocab_tlp, "clear"), "TLP:CLEAR");
	/* TLP 1.0's WHITE is TLP 2.0's CLEAR. */
	assert_string_equal(parsed(&vocab_tlp, "TLP:WHITE"), "TLP:CLEAR");
	assert_string_equal(parsed(&vocab_tlp, "white"), "TLP:CLEAR");
	assert_int_equal(vocab_parse(&vocab_tlp, "amber", &i, NULL), 0);
	assert_int_equal(i, TLP_AMBER);
	assert_int_equal(vocab_parse(&vocab_tlp, "amber+strict", &i, NULL), 0);
	assert_int_equal(i, TLP_AMBER_STRICT);
	assert_int_equal(vocab_parse(&vocab_tlp, "white", &i, NULL), 0);
	assert_int_equal(i, TLP_CLEAR);
	/* Neither a half prefix nor another marking's prefix. */
	assert_int_equal(vocab_parse(&vocab_tlp, "TLP:", &i, NULL), ERR_INVALID);
	assert_int_equal(vocab_parse(&vocab_tlp, "PAP:RED", &i, NULL), ERR_INVALID);
	assert_int_equal(vocab_parse(&vocab_tlp, "amber strict", &i, NULL), ERR_INVALID);
	assert_int_equal(vocab_parse(&vocab_tlp, "", &i, NULL), ERR_INVALID);
}

static void test_pap(void **state)
{
	int i = -1;
	(void)state;
	assert_string_equal(parsed(&vocab_pap, "PAP:GREEN"), "PAP:GREEN");
	assert_string_equal(parsed(&vocab_pap, "green"), "PAP:GREEN");
	assert_string_equal(parsed(&vocab_pap, "pap:red"), "PAP:RED");
	assert_string_equal(parsed(&vocab_pap, "Amber"), "PAP:AMBER");
	assert_string_equal(parsed(&vocab_pap, "PAP:WHITE"), "PAP:CLEAR");
	assert_string_equal(parsed(&vocab_pap, "clear"), "PAP:CLEAR");
	assert_int_equal(vocab_parse(&vocab_pap, "amber", &i, NULL), 0);
	assert_int_equal(i, PAP_AMBER);
	/* PAP has no AMBER+STRICT. */
	assert_int_equal(vocab_parse(&vocab_pap, "amber+strict", &i, NULL), ERR_INVALID);
	assert_int_equal(vocab_parse(&vocab_pap, "TLP:GREEN", &i, NULL), ERR_INVALID);
}

static void test_priority(void **state)
{
	int i = -1;
	(void)state;
	assert_string_equal(parsed(&vocab_priority, "P1"), "P1");
	assert_string_equal(parsed(&vocab_priority, "p1"), "P1");
	assert_string_equal(parsed(&vocab_priority, "1"), "P1");
	assert_string_equal(parsed(&vocab_priority, "4"), "P4");
	assert_string_equal(parsed(&vocab_priority, "P3"), "P3");
	assert_int_equal(vocab_parse(&vocab_priority, "2", &i, NULL), 0);
	assert_int_equal(i, 1); /* index 1 is P2 */
	assert_int_equal(vocab_parse(&vocab_priority, "P5", &i, NULL), ERR_INVALID);
	assert_int_equal(vocab_parse(&vocab_priority, "0", &i, NULL), ERR_INVALID);
	assert_int_equal(vocab_parse(&vocab_priority, "P", &i, NULL), ERR_INVALID);
}

static void test_error_lists_every_value(void **state)
{
	struct err e;
	int i = 7;
	(void)state;
	for (size_t k = 0; k < NALL; k++) {
		const struct vocab *v = all[k];
		err_clear(&e);
		assert_int_equal(vocab_parse(v, "no-such-value", &i, &e), ERR_INVALID);
		assert_int_equal(e.code, ERR_INVALID);
		assert_int_equal(i, 7); /* untouched */
		assert_non_null(strstr(e.msg, v->what));
		assert_non_null(strstr(e.msg, "'no-such-value'"));
		for (int j = 0; j < v->n; j++)
			if (!strstr(e.msg, v->items[j].name))
				fail_msg("%s: message lacks %s: %s", v->what, v->items[j].name, e.msg);
	}
	err_clear(&e);
	vocab_parse(&vocab_tlp, "purple", &i, &e);
	assert_string_equal(e.msg, "unknown TLP marking 'purple' (one of: TLP:RED, TLP:AMBER+STRICT, "
				   "TLP:AMBER, TLP:GREEN, TLP:CLEAR)");
}

static void test_out_of_range(void **state)
{
	(void)state;
	for (size_t k = 0; k < NALL; k++) {
		const struct vocab *v = all[k];
		assert_null(vocab_name(v, -1));
		assert_null(vocab_name(v, v->n));
		assert_null(vocab_name(v, 1000000));
		assert_string_equal(vocab_label(v, -1, "ja"), "");
		assert_string_equal(vocab_label(v, v->n, "en"), "");
		assert_non_null(vocab_name(v, 0));
		assert_non_null(vocab_name(v, v->n - 1));
	}
}

static void test_labels(void **state)
{
	(void)state;
	assert_string_equal(vocab_label(&vocab_incident_type, 0, "ja"), "情報漏えい");
	assert_string_equal(vocab_label(&vocab_incident_type, 0, "en"), "Information leak");
	/* Any other language (or none) is English. */
	assert_string_equal(vocab_label(&vocab_incident_type, 0, NULL), "Information leak");
	assert_string_equal(vocab_label(&vocab_incident_type, 0, "fr"), "Information leak");
}

static void test_tables_well_formed(void **state)
{
	(void)state;
	for (size_t k = 0; k < NALL; k++) {
		const struct vocab *v = all[k];
		assert_non_null(v->what);
		assert_true(v->n > 0);
		for (int i = 0; i < v->n; i++) {
			const struct vocab_item *it = &v->items[i];
			int back = -1;
			assert_non_null(it->name);
			assert_true(it->name[0] != '\0');
			assert_non_null(it->ja);
			assert_non_null(it->en);
			if (!it->ja[0] || !it->en[0])
				fail_msg("%s %s: empty label", v->what, it->name);
			if (v->prefix)
				assert_memory_equal(it->name, v->prefix, strlen(v->prefix));
			/* Every name (and alias) parses back to its own index. */
			assert_int_equal(vocab_parse(v, it->name, &back, NULL), 0);
			assert_int_equal(back, i);
			if (it->alias) {
				assert_int_equal(vocab_parse(v, it->alias, &back, NULL), 0);
				assert_int_equal(back, i);
			}
			/* Names and aliases are unique, case-insensitively. */
			for (int j = 0; j < i; j++) {
				const struct vocab_item *o = &v->items[j];
				if (!strcasecmp(it->name, o->name) ||
				    (it->alias && !strcasecmp(it->alias, o->name)) ||
				    (o->alias && !strcasecmp(o->alias, it->name)) ||
				    (it->alias && o->alias && !strcasecmp(it->alias, o->alias)))
					fail_msg("%s: %s and %s collide", v->what, it->name, o->name);
			}
		}
	}
}

static void test_incident_types_are_domain_md(void **state)
{
	/* domain.md §3: the METI tables 2-5 and the types irdesk adds. */
	static const char *const types[] = {
		"info_leak", "malware", "unauthorized_access", "dos", "bec", "ransomware",
		"targeted_attack", "supply_chain", "phishing", "web_defacement", "insider",
		"lost_device", "other",
	};
	const size_t n = sizeof(types) / sizeof(types[0]);
	(void)state;
	assert_int_equal(vocab_incident_type.n, n);
	for (size_t i = 0; i < n; i++) {
		int got = -1;
		assert_int_equal(vocab_parse(&vocab_incident_type, types[i], &got, NULL), 0);
		assert_string_equal(vocab_name(&vocab_incident_type, got), types[i]);
	}
}

static void test_enums_match_tables(void **state)
{
	(void)state;
	/* Code refers to values by these indices: they must point at the right names. */
	assert_string_equal(vocab_name(&vocab_functional_impact, FI_HIGH), "high");
	assert_string_equal(vocab_name(&vocab_functional_impact, FI_NONE), "none");
	assert_string_equal(vocab_name(&vocab_information_impact, II_PRIVACY), "privacy_breach");
	assert_string_equal(vocab_name(&vocab_information_impact, II_PROPRIETARY), "proprietary_breach");
	assert_string_equal(vocab_name(&vocab_information_impact, II_INTEGRITY), "integrity_loss");
	assert_string_equal(vocab_name(&vocab_recoverability, RC_EXTENDED), "extended");
	assert_string_equal(vocab_name(&vocab_recoverability, RC_NOT_RECOVERABLE), "not_recoverable");
	assert_string_equal(vocab_name(&vocab_reject_reason, REJ_DUPLICATE), "duplicate");
	assert_string_equal(vocab_name(&vocab_reject_reason, REJ_NOT_OURS), "not_our_constituency");
	assert_string_equal(vocab_name(&vocab_timeline_kind, TLK_STATE_CHANGE), "state_change");
	assert_string_equal(vocab_name(&vocab_timeline_kind, TLK_EVIDENCE), "evidence");
	assert_string_equal(vocab_name(&vocab_tlp, TLP_RED), "TLP:RED");
	assert_string_equal(vocab_name(&vocab_tlp, TLP_CLEAR), "TLP:CLEAR");
	assert_string_equal(vocab_name(&vocab_pap, PAP_GREEN), "PAP:GREEN");
	assert_int_equal(vocab_tlp.n, TLP_CLEAR + 1);
	assert_int_equal(vocab_pap.n, PAP_CLEAR + 1);
	/* domain.md §2: eight attack vectors. */
	assert_int_equal(vocab_attack_vector.n, 8);
	assert_string_equal(parsed(&vocab_attack_vector, "loss_theft"), "loss_theft");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_insensitive),
		cmocka_unit_test(test_tlp),
		cmocka_unit_test(test_pap),
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_error_lists_every_value),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_tables_well_formed),
		cmocka_unit_test(test_incident_types_are_domain_md),
		cmocka_unit_test(test_enums_match_tables),
	};
	return cmocka_run_group_tests_name("vocab", tests, NULL, NULL);
}
