/*
 * test_mailsettings.c: unit tests for ir/mailsettings on a real store: the
 * --mail-config file applies until settings are saved; a save (admin only,
 * audited) is what the next acquire gives, while a configuration held from
 * before stays valid, and a saved record that no longer loads keeps the
 * configuration in force; bad settings change nothing.
 */
#include "unit_ir.h"

#include <jansson.h>

#include "ir/mailsettings.h"
#include "mail/mail.h"
#include "util/json.h"

#define NOW INT64_C(1795737600)

static struct tz *tokyo;

struct fx {
	struct store *st;
	struct actor ada;  /* admin */
	struct actor hana; /* incident_handler */
	struct mailsettings *ms;
};

static int group_setup(void **state)
{
	static const struct unit_account acc[] = {
		{ "ada", ROLE_ADMIN, 0, 0 },
		{ "hana", ROLE_INCIDENT_HANDLER, 0, 0 },
	};

	(void)state;
	return unit_template("template", NOW - 86400, &tokyo, acc, 2);
}

static int group_teardown(void **state)
{
	(void)state;
	unit_template_done(tokyo);
	return 0;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char file[600];

	assert_non_null(f);
	f->st = unit_fx_open("template");
	unit_as(f->st, tokyo, "ada", NOW, &f->ada);
	unit_as(f->st, tokyo, "hana", NOW, &f->hana);
	snprintf(file, sizeof(file), "%s/config.json", unit_data_dir("mail"));
	CHECK(mailsettings_new(file, &f->ms, &e), 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	mailsettings_free(f->ms);
	store_close(f->st);
	free(f);
	return 0;
}

static int save(struct fx *f, const struct actor *who, const char *json)
{
	err_clear(&e);
	return mailsettings_save(f->st, who, json, strlen(json), NULL, &e);
}

static void test_file_until_saved(void **state)
{
	struct fx *f = *state;
	struct mailcfg_hold *h = NULL;
	json_t *out = NULL;

	CHECK(mailsettings_acquire(f->ms, f->st, &h, &e), 0);
	assert_true(strv_has(&mailcfg_of(h)->partner_domains, "supplier-abc.co.jp"));
	assert_int_equal(mailcfg_of(h)->nexecs, 1);
	mailsettings_release(f->ms, h);
	CHECK(mailsettings_show(f->ms, f->st, &f->ada, &out, &e), 0);
	assert_string_equal(json_str(out, "source"), "file");
	assert_int_equal(json_integer_value(json_object_get(out, "version")), 0);
	json_decref(out);
	CHECK(mailsettings_show(NULL, f->st, &f->ada, &out, &e), 0);
	assert_string_equal(json_str(out, "source"), "defaults");
	json_decref(out);
	CHECK(mailsettings_show(f->ms, f->st, &f->hana, &out, &e), ERR_DENIED);
	assert_null(out);
}

static void test_save_reloads(void **state)
{
	struct fx *f = *state;
	struct mailcfg_hold *old = NULL, *cur = NULL;
	json_t *out = NULL;
	int64_t audit = unit_count(f->st, "SELECT COUNT(*) FROM audit_log", NULL);

	CHECK(mailsettings_acquire(f->ms, f->st, &old, &e), 0);
	CHECK(save(f, &f->ada, "{\"own_domains\": [\"acme.example\"], \"thresholds\": {\"suspicious\": 20}}"), 0);
	CHECK(mailsettings_acquire(f->ms, f->st, &cur, &e), 0);
	assert_ptr_not_equal(mailcfg_of(cur), mailcfg_of(old));
	assert_true(strv_has(&mailcfg_of(cur)->own_domains, "acme.example"));
	assert_int_equal(mailcfg_of(cur)->partner_domains.n, 0);
	assert_int_equal(mailcfg_of(cur)->threshold_suspicious, 20);
	/* The configuration held from before the save is still whole. */
	assert_true(strv_has(&mailcfg_of(old)->partner_domains, "supplier-abc.co.jp"));
	mailsettings_release(f->ms, old);
	mailsettings_release(f->ms, cur);
	CHECK(mailsettings_show(f->ms, f->st, &f->ada, &out, &e), 0);
	assert_string_equal(json_str(out, "source"), "store");
	assert_int_equal(json_integer_value(json_object_get(out, "version")), 1);
	assert_string_equal(json_str(out, "updated_by"), "ada");
	json_decref(out);
	assert_int_equal(unit_count(f->st, "SELECT COUNT(*) FROM audit_log WHERE action = 'mail.settings'", NULL), 1);
	assert_int_equal(unit_count(f->st, "SELECT COUNT(*) FROM audit_log", NULL), audit + 1);
	CHECK(save(f, &f->ada, "{\"partner_domains\": [\"partner.example\"]}"), 0);
	CHECK(mailsettings_acquire(f->ms, f->st, &cur, &e), 0);
	assert_true(strv_has(&mailcfg_of(cur)->partner_domains, "partner.example"));
	assert_int_equal(mailcfg_of(cur)->own_domains.n, 0);
	mailsettings_release(f->ms, cur);
	assert_int_equal(unit_count(f->st, "SELECT version FROM mail_settings", NULL), 2);
	/* A record the loader no longer takes: intake goes on with what it had. */
	assert_int_equal(store_exec(f->st, "UPDATE mail_settings SET config = '{\"own_domains\": 3}', "
				    "version = 3", NULL), 0);
	CHECK(mailsettings_acquire(f->ms, f->st, &cur, &e), 0);
	assert_true(strv_has(&mailcfg_of(cur)->partner_domains, "partner.example"));
	mailsettings_release(f->ms, cur);
}

static void test_bad_settings(void **state)
{
	struct fx *f = *state;
	struct buf many = BUF_INIT;
	int64_t audit = unit_count(f->st, "SELECT COUNT(*) FROM audit_log", NULL);

	CHECK(save(f, &f->ada, "{\"own_domains\": ["), ERR_PARSE);
	CHECK(save(f, &f->ada, "[1, 2]"), ERR_PARSE);
	CHECK(save(f, &f->ada, "{\"own_domains\": 3}"), ERR_INVALID);
	MSG_HAS("own_domains");
	CHECK(save(f, &f->ada, "{\"own_domains\": [\"bad domain!\"]}"), ERR_INVALID);
	MSG_HAS("own_domains[0]");
	CHECK(save(f, &f->ada, "{\"executives\": [{\"name\": \"X\", \"email\": \"x@\"}]}"), ERR_INVALID);
	MSG_HAS("executives[0].email");
	CHECK(save(f, &f->ada, "{\"known_senders\": [\"k.tanaka@partner.example\", \"x@\"]}"), ERR_INVALID);
	MSG_HAS("known_senders[1]");
	CHECK(save(f, &f->ada, "{\"known_senders\": [\"partner.example\", \"bad domain!\"]}"), ERR_INVALID);
	MSG_HAS("known_senders[1]");
	CHECK(save(f, &f->ada, "{\"thresholds\": {\"suspicious\": 90, \"malicious\": 10}}"), ERR_INVALID);
	buf_adds(&many, "{\"executives\": [");
	for (int i = 0; i <= MAILSET_EXECS_MAX; i++)
		buf_addf(&many, "%s{\"name_en\": \"Exec %d\"}", i ? "," : "", i);
	buf_adds(&many, "]}");
	CHECK(save(f, &f->ada, many.data), ERR_TOOLONG);
	buf_release(&many);
	CHECK(save(f, &f->hana, "{}"), ERR_DENIED);
	assert_int_equal(unit_count(f->st, "SELECT COUNT(*) FROM mail_settings", NULL), 0);
	assert_int_equal(unit_count(f->st, "SELECT COUNT(*) FROM audit_log", NULL), audit);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_file_until_saved),
		T(test_save_reloads),
		T(test_bad_settings),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
