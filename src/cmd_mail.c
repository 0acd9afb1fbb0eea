/*
 * cmd_mail.c: `irdesk mail analyze`: analyse reported mails (raw .eml
 * files) offline and print the verdict, score, reasons, indicators and
 * authentication results of each, for the CSIRT and for the tests;
 * `irdesk mail submit`: the same into the store, where a bec, phishing or
 * suspicious verdict becomes an alert (ir/mailalert.h); `irdesk mail config`:
 * the analyser's settings saved in the store (ir/mailsettings.h).
 */
#include "cli.h"
#include "cmds.h"
#include "ir/mailalert.h"
#include "ir/mailsettings.h"
#include "mail/mail.h"
#include "util/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_mail[] =
	"usage: irdesk mail analyze [--json] [--config FILE] FILE.eml...\n"
	"       irdesk mail submit [--json] [--config FILE] FILE.eml...\n"
	"       irdesk mail config show [--json]\n"
	"       irdesk mail config set FILE\n"
	"\n"
	"Analyse each reported mail (a raw RFC 5322 message, '-' for standard input;\n"
	"for a forwarded report, the attached original) and print its verdict (bec,\n"
	"phishing, suspicious or clean), a score from 0 to 100 and every reason with\n"
	"its evidence, then the indicators (URLs, domains, IPs, addresses, SHA-256 of\n"
	"attachments) and the authentication results. Nothing in the mail is opened\n"
	"or fetched. Exits 0 when every mail was analysed, 4 when one was not a mail.\n"
	"\n"
	"submit does the same into the store (as POST /api/v1/mail): a bec, phishing or\n"
	"suspicious mail (at most 25 MiB) becomes an alert with the message kept beside\n"
	"it; a mail kept before (same Message-ID or bytes) is not kept twice. Without\n"
	"--config it uses the settings saved in the store (else the built-in ones).\n"
	"\n"
	"config show prints the settings saved in the store (what `serve` uses; while\n"
	"none are saved, its --mail-config file applies); config set FILE saves FILE\n"
	"(the --config JSON, checked the same way) as the new settings (admin only).\n"
	"\n"
	"options:\n"
	"  --config FILE  JSON: own_domains, partner_domains, executives (name, name_en,\n"
	"                 email), authserv_id, known_senders, freemail_domains,\n"
	"                 thresholds {suspicious, malicious}, unwrap_forwards\n"
	"  --json         one JSON object per mail: file, verdict, score, reasons,\n"
	"                 iocs, auth, message\n"
	"  --db URL       database for submit (default sqlite:var/irdesk.db, or $IRDESK_DB)\n"
	"  --help         show this help\n";

enum { OPT_CONFIG = OPT__FIRST_CMD };

static int mail_opt(void *ctx, int opt, const char *arg)
{
	const char **config = ctx;

	if (opt == OPT_CONFIG) {
		*config = arg;
		return 0;
	}
	return cli_usage_error(usage_mail, "unknown option");
}

/* Read a whole file (or stdin for "-") up to the analyser's limit. */
static int read_all(const char *path, struct buf *b, size_t max, struct err *e)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char chunk[65536];
	size_t n;

	buf_init(b, max);
	if (!f)
		return errno == ENOENT ? err_set(e, ERR_NOTFOUND, "%s: no such file", path)
				       : err_set(e, ERR_IO, "%s: cannot read: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	int bad = ferror(f);
	if (f != stdin)
		fclose(f);
	if (bad)
		return err_set(e, ERR_IO, "%s: read error", path);
	if (buf_error(b))
		return err_set(e, buf_error(b), "%s: message too large (at most %zu bytes)", path, max);
	return 0;
}

static void print_text(const struct mail_result *r, const char *file)
{
	const struct mail_msg *m = &r->msg;

	printf("%s: %s (score %d)\n", file, mail_verdict_name(r->verdict), r->score);
	printf("  from: %s%s<%s>\n", m->from_name, *m->from_name ? " " : "", m->from_addr);
	if (*m->reply_to)
		printf("  reply-to: %s\n", m->reply_to);
	printf("  subject: %s\n", m->subject);
	printf("  auth: spf=%s dkim=%s dmarc=%s%s\n", r->auth.spf[0] ? r->auth.spf : "-",
	       r->auth.dkim[0] ? r->auth.dkim : "-", r->auth.dmarc[0] ? r->auth.dmarc : "-",
	       r->auth.trusted ? "" : " (no trusted Authentication-Results)");
	for (size_t i = 0; i < r->nreasons; i++)
		printf("  %+4d %s: %s\n", r->reasons[i].weight, r->reasons[i].code, r->reasons[i].detail);
	for (size_t i = 0; i < r->iocs.urls.n; i++)
		printf("  url: %s\n", r->iocs.urls.v[i]);
	for (size_t i = 0; i < m->natts; i++)
		printf("  attachment: %s (%s, %zu bytes) sha256 %s\n", *m->atts[i].name ? m->atts[i].name : "-",
		       m->atts[i].declared_type, m->atts[i].size, m->atts[i].sha256);
	for (size_t i = 0; i < m->notes.n; i++)
		printf("  note: %s\n", m->notes.v[i]);
}

/* submit's text output: the verdict, the reasons and the alert. */
static void print_submitted(const json_t *j, const char *file)
{
	const json_t *alert = json_object_get(j, "alert"), *x;
	size_t i;

	printf("%s: %s (score %lld)", file, json_str(j, "verdict"),
	       (long long)json_integer_value(json_object_get(j, "score")));
	if (json_is_integer(alert))
		printf(": alert #%lld (%s)", (long long)json_integer_value(alert), json_str(j, "outcome"));
	putchar('\n');
	json_array_foreach(json_object_get(j, "reasons"), i, x)
		printf("  %+4lld %s: %s\n", (long long)json_integer_value(json_object_get(x, "weight")),
		       json_str(x, "code"), json_str(x, "detail"));
}

/* Analyse (or submit) one file; 0 or the error, already reported. */
static int one_file(struct cli *c, const struct mail_config *cfg, const char *file, int submit)
{
	struct buf data;
	struct mail_result r;
	json_t *j = NULL;
	int rc;

	memset(&r, 0, sizeof(r));
	err_clear(&c->err);
	rc = read_all(file, &data, submit ? MAILALERT_MAX : MAIL_MAX_SIZE, &c->err);
	if (!rc)
		rc = submit ? mailalert_submit(c->st, &c->actor, cfg, data.data, data.len, "cli", &j, &c->err)
			    : mail_analyze(cfg, data.data, data.len, &r, &c->err);
	if (rc) {
		if (c->err.code != ERR_NOTFOUND && strncmp(c->err.msg, file, strlen(file)))
			err_prefix(&c->err, "%s", file);
		fflush(stdout);
		fprintf(stderr, "irdesk: %s\n", err_msg(&c->err));
	} else if (submit) {
		json_object_set_new(j, "file", json_string(file));
		if (c->json)
			json_print(j);
		else
			print_submitted(j, file);
	} else if (c->json) {
		j = mail_result_json(&r, file);
		json_print(j);
	} else {
		print_text(&r, file);
	}
	json_decref(j);
	mail_result_release(&r);
	buf_release(&data);
	return rc;
}

/* submit without --config: the settings saved in the store. */
static int submit_stored(struct cli *c, const char **files, int nfiles)
{
	struct mailsettings *ms = NULL;
	struct mailcfg_hold *hold = NULL;
	int rc, failed = 0;

	if ((rc = cli_open(c)))
		return rc;
	if (mailsettings_new(NULL, &ms, &c->err) || mailsettings_acquire(ms, c->st, &hold, &c->err)) {
		mailsettings_free(ms);
		return cli_fail(c);
	}
	for (int i = 0; i < nfiles; i++) {
		rc = one_file(c, mailcfg_of(hold), files[i], 1);
		if (rc && !failed)
			failed = err_exit_code(rc);
	}
	mailsettings_release(ms, hold);
	mailsettings_free(ms);
	return failed;
}

static void print_list(const json_t *cfg, const char *key)
{
	const json_t *x;
	size_t i;

	printf("%s:", key);
	json_array_foreach(json_object_get(cfg, key), i, x)
		printf(" %s", json_string_value(x));
	putchar('\n');
}

static void print_settings(const json_t *j)
{
	const json_t *cfg = json_object_get(j, "config"), *x;
	const json_t *th = json_object_get(cfg, "thresholds");
	size_t i;

	printf("source: %s (version %lld", json_str(j, "source"),
	       (long long)json_integer_value(json_object_get(j, "version")));
	if (json_is_string(json_object_get(j, "updated_at")))
		printf(", saved by %s at %s", json_str(j, "updated_by"), json_str(j, "updated_at"));
	printf(")\n");
	print_list(cfg, "own_domains");
	print_list(cfg, "partner_domains");
	json_array_foreach(json_object_get(cfg, "executives"), i, x)
		printf("executive: %s / %s <%s>\n", json_str(x, "name") ? json_str(x, "name") : "",
		       json_str(x, "name_en") ? json_str(x, "name_en") : "",
		       json_str(x, "email") ? json_str(x, "email") : "");
	printf("authserv_id: %s\n", json_str(cfg, "authserv_id") ? json_str(cfg, "authserv_id") : "-");
	if (th)
		printf("thresholds: suspicious %lld, malicious %lld\n",
		       (long long)json_integer_value(json_object_get(th, "suspicious")),
		       (long long)json_integer_value(json_object_get(th, "malicious")));
}

static int config_show(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	json_t *out = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, usage_mail, NULL, NULL)) >= 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(usage_mail, "unexpected argument '%.80s'", argv[optind]);
	if ((rc = cli_open(c)))
		return rc;
	if (mailsettings_show(NULL, c->st, &c->actor, &out, &c->err))
		return cli_fail(c);
	if (c->json)
		json_print(out);
	else
		print_settings(out);
	json_decref(out);
	return 0;
}

static int config_set(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct buf text;
	json_t *out = NULL;
	int rc;

	if ((rc = cli_parse(c, argc, argv, opts, usage_mail, NULL, NULL)) >= 0)
		return rc;
	if (optind + 1 != argc)
		return cli_usage_error(usage_mail, "mail config set: expected one FILE");
	rc = read_all(argv[optind], &text, MAILSET_MAX, &c->err);
	if (!rc && !(rc = cli_open(c)))
		rc = mailsettings_save(c->st, &c->actor, text.data, text.len, &out, &c->err) ? cli_fail(c) : 0;
	else if (rc < 0)
		rc = cli_fail(c);
	buf_release(&text);
	if (!rc && c->json)
		json_print(out);
	else if (!rc)
		printf("mail settings saved (version %lld)\n",
		       (long long)json_integer_value(json_object_get(out, "version")));
	json_decref(out);
	return rc;
}

static int cmd_mail_config(int argc, char **argv, struct cli *c)
{
	static const struct cli_subcommand subs[] = { { "show", config_show }, { "set", config_set } };

	return cli_dispatch(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), usage_mail);
}

static int run(struct cli *c, int argc, char **argv, int submit)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, **files = calloc((size_t)argc + 1, sizeof(*files));
	struct mail_config *cfg = NULL;
	int rc, nfiles = 0, failed = 0;

	if (!files)
		return cli_error(ERR_NOMEM, "out of memory");
	rc = cli_parse_operands(c, argc, argv, opts, usage_mail, mail_opt, &config, files, argc, &nfiles);
	if (rc >= 0)
		goto out;
	if (nfiles == 0) {
		rc = cli_usage_error(usage_mail, "mail %s: no mail files given", argv[0]);
		goto out;
	}
	for (int i = 0; i < nfiles; i++) {
		FILE *f = NULL;
		if (strcmp(files[i], "-") && !(f = fopen(files[i], "rb"))) {
			rc = cli_error(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "%s: %s", files[i],
				       errno == ENOENT ? "no such file" : strerror(errno));
			goto out;
		}
		if (f)
			fclose(f);
	}
	err_clear(&c->err);
	if (submit && !config) {
		rc = submit_stored(c, files, nfiles);
		goto out;
	}
	if (mail_config_load(&cfg, config, &c->err)) {
		/* Any problem with the configuration file is a configuration error. */
		rc = cli_error(ERR_INVALID, "%s", err_msg(&c->err));
		goto out;
	}
	if (submit && (rc = cli_open(c)))
		goto out;
	for (int i = 0; i < nfiles; i++) {
		rc = one_file(c, cfg, files[i], submit);
		if (rc && !failed)
			failed = err_exit_code(rc);
	}
	rc = failed;
out:
	mail_config_free(cfg);
	free(files);
	return rc;
}

int cmd_mail(int argc, char **argv, struct cli *c)
{
	if (argc < 2 || cli_is_help(argv[1])) {
		fputs(usage_mail, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "config"))
		return cmd_mail_config(argc - 1, argv + 1, c);
	if (!strcmp(argv[1], "analyze") || !strcmp(argv[1], "submit"))
		return run(c, argc - 1, argv + 1, !strcmp(argv[1], "submit"));
	return cli_usage_error(usage_mail, "mail: unknown subcommand '%.80s'", argv[1]);
}
