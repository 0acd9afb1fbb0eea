/*
 * test_mailack.c: unit tests for ir/mailack on a real store: who is
 * acknowledged (the report's own From, unfolded and decoded; never the
 * analysed sender, several addresses, an address outside own_domains, a
 * duplicate or a mail that was not forwarded), at most once per report; a
 * send to a server that refuses the connection leaves it pending with the
 * error; the options are checked.
 */
#include "unit_ir.h"

#include <jansson.h>

#include "ir/mailack.h"
#include "ir/mailalert.h"
#include "mail/mail.h"
#include "util/json.h"

#define NOW INT64_C(1795737600)

static struct tz *tokyo;
static struct mail_config *cfg;

struct fx {
	struct store *st;
	struct actor carol;
	json_t *out; /* the submission of the forwarded report 0301 */
};

static int group_setup(void **state)
{
	static const struct unit_account acc[] = { { "carol", ROLE_INCIDENT_HANDLER, 0, 0 } };
	size_t n;
	char *json;
	int rc;

	(void)state;
	if (unit_template("template", NOW - 86400, &tokyo, acc, 1))
		return -1;
	json = unit_data_file("mail", "config.json", &n);
	rc = mail_config_parse(&cfg, json, n, &e);
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
	char *d;
	size_t len;

	assert_non_null(f);
	f->st = unit_fx_open("template");
	unit_as(f->st, tokyo, "carol", NOW, &f->carol);
	d = unit_data_file("mail", "0301-forwarded-report.eml", &len);
	CHECK(mailalert_submit(f->st, &f->carol, cfg, d, len, "imap", &f->out, &e), 0);
	free(d);
	assert_string_equal(json_str(f->out, "outcome"), "created");
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	json_decref(f->out);
	store_close(f->st);
	free(f);
	return 0;
}

/* Queue with the report's raw headers replaced by raw; the queued flag. */
static int queue(struct fx *f, const json_t *out, const char *raw)
{
	int queued = -1;

	err_clear(&e);
	CHECK(mailack_queue(f->st, cfg, raw, strlen(raw), out, &queued, &e), 0);
	return queued;
}

static void test_who_is_acknowledged(void **state)
{
	struct fx *f = *state;
	json_t *other = json_deep_copy(f->out);

	assert_int_equal(queue(f, f->out, "From: keiri.abc@gmail.com\r\n\r\nbody"), 0);
	assert_int_equal(queue(f, f->out, "From: KEIRI@supp1ier-abc.co.jp\r\n\r\nbody"), 0);
	assert_int_equal(queue(f, f->out, "From: someone@outside.example\r\n\r\nbody"), 0);
	assert_int_equal(queue(f, f->out, "From: a@example.co.jp, b@example.co.jp\r\n\r\n"), 0);
	assert_int_equal(queue(f, f->out, "From: \"A\" <a@example.co.jp>, <b@example.co.jp>\r\n\r\n"), 0);
	assert_int_equal(queue(f, f->out, "Subject: no sender\r\n\r\nFrom: t.yamada@example.co.jp\r\n"), 0);
	assert_int_equal(queue(f, f->out, "From: not an address\r\n\r\n"), 0);
	json_object_set_new(other, "outcome", json_string("duplicate"));
	assert_int_equal(queue(f, other, "From: t.yamada@example.co.jp\r\n\r\n"), 0);
	json_object_set_new(other, "outcome", json_string("created"));
	json_object_set_new(json_object_get(other, "message"), "forwarded", json_false());
	assert_int_equal(queue(f, other, "From: t.yamada@example.co.jp\r\n\r\n"), 0);
	json_decref(other);
	assert_int_equal(unit_count(f->st, "SELECT COUNT(*) FROM mail_acks", NULL), 0);
	/* Folded, encoded display name, upper case: found and normalised. */
	assert_int_equal(queue(f, f->out, "Subject: Fwd\r\nFROM: =?utf-8?B?5bGx55Sw?=\r\n\t<T.Yamada@Example.CO.JP>\r\n"
				   "To: csirt@example.co.jp\r\n\r\nbody"), 1);
	assert_int_equal(queue(f, f->out, "From: t.yamada@example.co.jp\r\n\r\n"), 0);
	assert_int_equal(unit_count(f->st, "SELECT COUNT(*) FROM mail_acks WHERE recipient = "
				      "'t.yamada@example.co.jp' AND state = 'pending'", NULL), 1);
	/* Found by fuzz_mailack: a trailing ideographic full stop (IDNA: a dot)
	 * is the same mailbox, so the same report is not acknowledged twice. */
	assert_int_equal(queue(f, f->out, "From: t.yamada@example.co.jp\xe3\x80\x82\r\n\r\n"), 0);
	assert_int_equal(unit_count(f->st, "SELECT COUNT(*) FROM mail_acks", NULL), 1);
}

static void test_unreachable_server_retried(void **state)
{
	struct fx *f = *state;
	struct mailack_config c = { "smtp://127.0.0.1:1", "csirt@example.co.jp", NULL, NULL };
	struct mailack *ma = NULL;

	assert_int_equal(queue(f, f->out, "From: t.yamada@example.co.jp\r\n\r\n"), 1);
	CHECK(mailack_new(&c, &ma, &e), 0);
	CHECK(mailack_send_pending(ma, f->st, NOW, &e), 0);
	CHECK(mailack_send_pending(ma, f->st, NOW + 60, &e), 0);
	assert_int_equal(unit_count(f->st, "SELECT COUNT(*) FROM mail_acks WHERE state = 'pending' AND "
				      "attempts = 2 AND last_error <> ''", NULL), 1);
	assert_int_equal(unit_count(f->st, "SELECT COUNT(*) FROM audit_log WHERE action = 'mail.ack'", NULL), 0);
	mailack_free(ma);
}

static void test_options(void **state)
{
	struct mailack_config c = { "http://127.0.0.1:25", "csirt@example.co.jp", NULL, NULL };
	struct mailack *ma = NULL;

	(void)state;
	CHECK(mailack_new(&c, &ma, &e), ERR_USAGE);
	MSG_HAS("--smtp-url");
	c.url = "smtp://u@127.0.0.1:25";
	CHECK(mailack_new(&c, &ma, &e), ERR_USAGE);
	MSG_HAS("--smtp-user");
	c.url = "smtp://127.0.0.1:25";
	c.from = "csirt";
	CHECK(mailack_new(&c, &ma, &e), ERR_USAGE);
	MSG_HAS("--smtp-from");
	c.from = "csirt@example.co.jp";
	c.user = "u";
	CHECK(mailack_new(&c, &ma, &e), ERR_USAGE);
	MSG_HAS("go together");
	c.password_file = "/nonexistent/pw";
	CHECK(mailack_new(&c, &ma, &e), ERR_IO);
	assert_null(ma);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(test_who_is_acknowledged),
		T(test_unreachable_server_retried),
		cmocka_unit_test(test_options),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
