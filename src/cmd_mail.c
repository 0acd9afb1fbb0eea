/*
 * cmd_mail.c: `irdesk mail analyze`: analyse reported mails (raw .eml
 * files) offline and print the verdict, score, reasons, indicators and
 * authentication results of each, for the CSIRT and for the tests.
 */
#include "cli.h"
#include "cmds.h"
#include "mail/mail.h"
#include "util/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_mail[] =
	"usage: irdesk mail analyze [--json] [--config FILE] FILE.eml...\n"
	"\n"
	"Analyse each reported mail (a raw RFC 5322 message, '-' for standard input;\n"
	"for a forwarded report, the attached original) and print its verdict (bec,\n"
	"phishing, suspicious or clean), a score from 0 to 100 and every reason with\n"
	"its evidence, then the indicators (URLs, domains, IPs, addresses, SHA-256 of\n"
	"attachments) and the authentication results. Nothing in the mail is opened\n"
	"or fetched. Exits 0 when every mail was analysed, 4 when one was not a mail.\n"
	"\n"
	"options:\n"
	"  --config FILE  JSON: own_domains, partner_domains, executives (name, name_en,\n"
	"                 email), authserv_id, known_senders, freemail_domains,\n"
	"                 thresholds {suspicious, malicious}, unwrap_forwards\n"
	"  --json         one JSON object per mail: file, verdict, score, reasons,\n"
	"                 iocs, auth, message\n"
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
static int read_all(const char *path, struct buf *b, struct err *e)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char chunk[65536];
	size_t n;

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
		return err_set(e, buf_error(b), "%s: message too large (at most %u bytes)", path, MAIL_MAX_SIZE);
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

static int analyze(struct cli *c, int argc, char **argv)
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
		rc = cli_usage_error(usage_mail, "mail analyze: no mail files given");
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
	for (int i = 0; i < nfiles; i++) {
		struct buf data;
		struct mail_result r;

		buf_init(&data, MAIL_MAX_SIZE);
		memset(&r, 0, sizeof(r));
		err_clear(&c->err);
		if (read_all(files[i], &data, &c->err) ||
		    mail_analyze(cfg, data.data, data.len, &r, &c->err)) {
			if (c->err.code != ERR_NOTFOUND && strncmp(c->err.msg, files[i], strlen(files[i])))
				err_prefix(&c->err, "%s", files[i]);
			fflush(stdout);
			fprintf(stderr, "irdesk: %s\n", err_msg(&c->err));
			failed = failed ? failed : err_exit_code(c->err.code);
			mail_result_release(&r);
			buf_release(&data);
			continue;
		}
		if (c->json) {
			json_t *j = mail_result_json(&r, files[i]);
			json_print(j);
			json_decref(j);
		} else
			print_text(&r, files[i]);
		mail_result_release(&r);
		buf_release(&data);
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
	if (!strcmp(argv[1], "analyze"))
		return analyze(c, argc - 1, argv + 1);
	return cli_usage_error(usage_mail, "mail: unknown subcommand '%.80s'", argv[1]);
}
