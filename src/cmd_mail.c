/*
 * cmd_mail.c: `irdesk mail analyze`: analyse reported mails (raw .eml
 * files) offline and print the verdict, score, reasons, indicators and
 * authentication results of each, for the CSIRT and for the tests;
 * `irdesk mail submit`: the same into the store, where a bec, phishing or
 * suspicious verdict becomes an alert (ir/mailalert.h).
 */
#include "cli.h"
#include "cmds.h"
#include "ir/mailalert.h"
#include "mail/mail.h"
#include "util/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_mail[] =
	"usage: irdesk mail analyze [--json] [--config FILE] FILE.eml...\n"
	"       irdesk mail submit [--json] [--config FILE] FILE.eml...\n"
	"\n"
	"Analyse each reported mail (a raw RFC 5322 message, '-' for standard input;\n"
	"for a forwarded report, the attached original) and print its verdict (bec,\n"
	"phishing, suspicious or clean), a score from 0 to 100 and every reason with\n"
	"its evidence, then the indicators (URLs, domains, IPs, addresses, SHA-256 of\n"
	"attachments) and the authentication results. Nothing in the mail is opened\n"
	"or fetched. Exits 0 when every mail was analysed, 4 when one was not a mail.\n"
	"\n"
	"submit does the same into the store (as POST /api/v1/mail): a bec, phishing or\n"
	"suspicious mail (at most 1 MiB) becomes an alert with the message kept beside\n"
	"it; a mail kept before (same Message-ID or bytes) is not kept twice.\n"
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
	if (!strcmp(argv[1], "analyze") || !strcmp(argv[1], "submit"))
		return run(c, argc - 1, argv + 1, !strcmp(argv[1], "submit"));
	return cli_usage_error(usage_mail, "mail: unknown subcommand '%.80s'", argv[1]);
}
