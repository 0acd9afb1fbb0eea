/*
 * main.c: irdesk's entry point. Global options come before the command
 * (they are also accepted after it); argv[1] is looked up in commands[] and
 * the rest is handed to cmd_<name>() in src/cmd_<name>.c, git-style.
 */
#include "cli.h"
#include "cmds.h"
#include "util/log.h"

#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv, struct cli *c);
	const char *help;
} commands[] = {
	{ "init", cmd_init, "create the database, the evidence folder and the admin account" },
	{ "serve", cmd_serve, "run the web server and API" },
	{ "user", cmd_user, "add, list, disable accounts and set passwords" },
	{ "incident", cmd_incident, "create, list, show, change and move incidents" },
	{ "task", cmd_task, "add, list and complete incident tasks" },
	{ "audit", cmd_audit, "read and verify the tamper-evident audit log" },
	{ "token", cmd_token, "create, list and revoke API tokens" },
	{ "scan", cmd_scan, "match files of JSON events against Sigma rules, offline" },
	{ "rules", cmd_rules, "check Sigma detection rules" },
	{ "mail", cmd_mail, "analyse reported mails: verdict, reasons, indicators" },
	{ "ingest", cmd_ingest, "run files of JSON events through detection into alerts" },
	{ "alert", cmd_alert, "list, show and triage alerts" },
	{ "ioc", cmd_ioc, "load, list and sweep IOC watchlists" },
	{ "db", cmd_db, "copy a whole database to another backend" },
	{ "catalog", cmd_catalog, "check and show incident types, items, playbooks, threat lists" },
	{ "report", cmd_report, "generate incident, APPI and public-notice reports, list versions" },
	{ "contact", cmd_contact, "the contact directory: add, list, edit, import and export CSV" },
	{ "notify", cmd_notify, "notifications, breach flags, regulatory clocks and their settings" },
	{ "version", cmd_version, "print the version" },
	{ "evidence", cmd_evidence, "keep evidence files with custody, retention and legal holds" },
	{ "observable", cmd_observable, "add, extract, list, change and search incident observables" },
	{ "lessons", cmd_lessons, "show and write the lessons learned of an incident" },
	{ "metrics", cmd_metrics, "incident counts, response durations and recurrence" },
	{ "demo", cmd_demo, "load realistic demo incidents from the seed's cases" },
};

static const char usage[] =
	"usage: irdesk [--db URL] [--json] [--as USER] [--tz ZONE] [--catalog DIR] COMMAND [ARGS]\n"
	"\n"
	"commands:\n";

static void print_usage(FILE *out)
{
	fputs(usage, out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fputs("\noptions:\n" CLI_COMMON_HELP
	      "\nRun 'irdesk COMMAND --help' for a command's options.\n"
	      "Exit codes: 0 ok, 1 internal, 2 usage, 3 not found, 4 invalid or conflict,\n"
	      "5 I/O or store, 6 permission denied.\n", out);
}

int cmd_version(int argc, char **argv, struct cli *c)
{
	(void)argc;
	(void)argv;
	if (c->json)
		printf("{\"version\": \"%s\"}\n", IRDESK_VERSION);
	else
		printf("irdesk %s\n", IRDESK_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c;
	int i, rc;
	const char *lvl = getenv("IRDESK_LOG");
	enum log_level level;

	memset(&c, 0, sizeof(c));
	setlocale(LC_CTYPE, "C.UTF-8");
	umask(027);
	signal(SIGPIPE, SIG_IGN);
	if (lvl && log_parse_level(lvl, &level) == 0)
		log_set_level(level);

	/* Global options before the command. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--json") == 0) {
			c.json = 1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_usage(stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			return cmd_version(0, NULL, &c);
		} else if ((strcmp(a, "--db") == 0 || strcmp(a, "--as") == 0 ||
			    strcmp(a, "--tz") == 0 || strcmp(a, "--catalog") == 0) && v) {
			if (a[2] == 'd')
				c.db_url = v;
			else if (a[2] == 'a')
				c.as_user = v;
			else if (a[2] == 'c')
				c.catalog_dir = v;
			else
				c.tz_name = v;
			i++;
		} else if (strncmp(a, "--catalog=", 10) == 0) {
			c.catalog_dir = a + 10;
		} else if (strncmp(a, "--db=", 5) == 0) {
			c.db_url = a + 5;
		} else if (strncmp(a, "--as=", 5) == 0) {
			c.as_user = a + 5;
		} else if (strncmp(a, "--tz=", 5) == 0) {
			c.tz_name = a + 5;
		} else {
			fprintf(stderr, "irdesk: unknown option '%s' (see irdesk --help)\n", a);
			return 2;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "irdesk: missing command (see irdesk --help)\n");
		return 2;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(argv[i], commands[k].name) == 0) {
			rc = commands[k].fn(argc - i, argv + i, &c);
			cli_close(&c);
			if (fflush(stdout) != 0 && rc == 0)
				rc = cli_error(ERR_IO, "cannot write output");
			return rc;
		}
	}
	fprintf(stderr, "irdesk: unknown command '%s' (see irdesk --help)\n", argv[i]);
	return 2;
}
