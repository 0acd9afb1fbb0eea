/*
 * test_mailalert.c: unit tests for ir/mailalert on a real store: a BEC
 * mail becomes one alert with its reasons in the title and the message
 * kept and audited; the same message again is not kept twice; a clean
 * mail, garbage, an oversized message and a refused account store nothing;
 * the title stays bounded and valid UTF-8.
 */
#include "unit_ir.h"

#include <jansson.h>

#include "ir/actor.h"
#include "ir/alert.h"
#include "ir/mailalert.h"
#include "mail/mail.h"
#include "store/store.h"
#include "util/err.h"
#include "util/json.h"
#include "util/time.h"
#include "util/utf8.h"

#define NOW INT64_C(1795737600)

static struct tz *tokyo;
static struct mail_config *cfg;

struct fx {
	struct store *st;
	struct actor carol; /* incident_handler: may triage alerts */
	struct actor vic;   /* viewer */
};

static int group_setup(void **state)
{
	static const struct unit_account acc[] = { { "carol", ROLE_INCIDENT_HANDLER, 0, 0 },
						   { "vic", ROLE_VIEWER, 0, 0 } };
	size_t n;
	char *json;
	int rc;

	(void)state;
	if (unit_template("template", NOW - 86400, &tokyo, acc, 2))
		return -1;
	json = unit_data_file("mail", "config.json", &n);
	rc = mail_config_parse(&cfg, json, n, &e);
	if (rc)
		print_error("config: %s\n", err_msg(&e));
	free(json);
	return rc ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mail_config_free(cfg);
	unit_template_done(tokyo);
	return 0;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->st = unit_fx_open("template");
	unit_as(f->st, tokyo, "carol", NOW, &f->carol);
	unit_as(f->st, tokyo, "vic", NOW, &f->vic);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	free(f);
	return 0;
}

static int64_t count(struct store *st, const char *sql)
{
	return unit_count(st, sql, NULL);
}

/* Submit tests/data/mail/name as who; *out as mailalert_submit leaves it. */
static int submit(struct fx *f, const struct actor *who, const char *name, json_t **out)
{
	size_t n;
	char *d = unit_data_file("mail", name, &n);
	int rc;

	err_clear(&e);
	rc = mailalert_submit(f->st, who, cfg, d, n, "cli", out, &e);
	free(d);
	return rc;
}

static void test_bec_becomes_alert(void **state)
{
	struct fx *f = *state;
	json_t *out = NULL, *a = NULL, *reports = NULL;
	int64_t id;

	CHECK(submit(f, &f->carol, "0001-bec-lookalike-supplier.eml", &out), 0);
	assert_string_equal(json_str(out, "verdict"), "bec");
	assert_string_equal(json_str(out, "outcome"), "created");
	id = json_integer_value(json_object_get(out, "alert"));
	assert_true(id > 0);
	CHECK(alert_get(f->st, &f->carol, id, &a, &e), 0);
	assert_string_equal(json_str(a, "source"), "mail");
	assert_string_equal(json_str(a, "rule"), "mail.bec");
	assert_string_equal(json_str(a, "level"), "high");
	assert_non_null(strstr(json_str(a, "title"), "bec: From: lookalike of supplier-abc.co.jp"));
	assert_non_null(strstr(json_str(a, "title"), "振込先口座の変更"));
	assert_true(strlen(json_str(a, "title")) <= MAILALERT_TITLE_MAX);
	assert_true(utf8_valid(json_str(a, "title"), strlen(json_str(a, "title"))));
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM mail_reports"), 1);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log WHERE action = 'mail.submit' "
				      "AND actor = 'carol'"), 1);
	CHECK(mailalert_reports(f->st, &f->vic, id, &reports, &e), 0);
	assert_int_equal(json_array_size(reports), 1);
	assert_string_equal(json_str(json_object_get(json_array_get(reports, 0), "analysis"), "verdict"),
			    "bec");
	json_decref(out);
	json_decref(a);
	json_decref(reports);

	/* The same message again: its alert, nothing kept twice. */
	CHECK(submit(f, &f->carol, "0001-bec-lookalike-supplier.eml", &out), 0);
	assert_string_equal(json_str(out, "outcome"), "duplicate");
	assert_int_equal(json_integer_value(json_object_get(out, "alert")), id);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM mail_reports"), 1);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM alerts"), 1);
	json_decref(out);
}

static void test_nothing_stored(void **state)
{
	struct fx *f = *state;
	json_t *out = NULL;
	char *big;
	int64_t audit = count(f->st, "SELECT COUNT(*) FROM audit_log");

	CHECK(submit(f, &f->carol, "0101-ham-mailing-list.eml", &out), 0);
	assert_string_equal(json_str(out, "verdict"), "clean");
	assert_true(json_is_null(json_object_get(out, "alert")));
	json_decref(out);
	CHECK(submit(f, &f->carol, "0401-garbage.eml", &out), ERR_PARSE);
	assert_null(out);
	CHECK(submit(f, &f->vic, "0004-phish-link-mismatch.eml", &out), ERR_DENIED);
	MSG_HAS("may not triage alerts");
	big = calloc(1, MAILALERT_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', MAILALERT_MAX + 1);
	err_clear(&e);
	CHECK(mailalert_submit(f->st, &f->carol, cfg, big, MAILALERT_MAX + 1, "cli", &out, &e), ERR_TOOLONG);
	free(big);
	CHECK(mailalert_submit(f->st, &f->carol, cfg, "", 0, "cli", &out, &e), ERR_PARSE);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM mail_reports"), 0);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM alerts"), 0);
	assert_int_equal(count(f->st, "SELECT COUNT(*) FROM audit_log"), audit);
	CHECK(mailalert_reports(f->st, &f->carol, 999, &out, &e), ERR_NOTFOUND);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_bec_becomes_alert),
		T(test_nothing_stored),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
