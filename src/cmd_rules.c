/*
 * cmd_rules.c: `irdesk rules check [--json] PATH...`: load Sigma rule files
 * or folders and say, one line per rule, whether each loaded or why it was
 * rejected.
 */
#include "cli.h"
#include "cmds.h"
#include "detect/sigma.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_rules[] =
	"usage: irdesk rules check [--json] PATH...\n"
	"\n"
	"Work with Sigma detection rules.\n"
	"\n"
	"subcommands:\n"
	"  check    load rule files or folders; print each rule as loaded or rejected\n"
	"\n"
	"options:\n" CLI_COMMON_HELP;

static const char usage_check[] =
	"usage: irdesk rules check [--json] PATH...\n"
	"\n"
	"Load every rule of the given files and folders (*.yml, *.yaml, searched\n"
	"recursively) and print one line per rule: the file, the rule id and\n"
	"\"loaded\" or \"rejected: REASON\". With --json, one object per line with\n"
	"path, id, title, status and reason. A summary goes to stderr. Exits 0\n"
	"when the check ran (rejections included), 2 on bad usage, 3 when a path\n"
	"does not exist.\n"
	"\n"
	"options:\n" CLI_COMMON_HELP;

struct check {
	int json;
	int failed;   /* writing the output failed */
};

static void on_rule(void *ctx, const char *path, const char *id, const char *title, int loaded,
		    const char *reason)
{
	struct check *c = ctx;

	if (c->json) {
		json_t *o = json_object();
		json_set_str(o, "path", path);
		json_set_str(o, "id", id && strcmp(id, "-") ? id : "");
		json_set_str(o, "title", title ? title : "");
		json_set_str(o, "status", loaded ? "loaded" : "rejected");
		if (loaded)
			json_object_set_new(o, "reason", json_null());
		else
			json_set_str(o, "reason", reason ? reason : "");
		if (json_dumpf(o, stdout, JSON_COMPACT) || fputc('\n', stdout) == EOF)
			c->failed = 1;
		json_decref(o);
		return;
	}
	if (loaded)
		printf("%s %s loaded\n", path, id && *id ? id : "-");
	else
		printf("%s %s rejected: %s\n", path, id && *id ? id : "-", reason ? reason : "");
}

static int rules_check(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct sigma_ruleset *rs = NULL;
	struct check chk = { 0, 0 };
	struct stat st;
	int rc;

	rc = cli_parse(c, argc, argv, opts, usage_check, NULL, NULL);
	if (rc >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage_error(usage_check, "rules check: missing PATH");
	for (int i = optind; i < argc; i++)
		if (stat(argv[i], &st) != 0)
			return cli_error(ERR_NOTFOUND, "%s: not found", argv[i]);
	chk.json = c->json;
	rc = 0;
	if (sigma_ruleset_new(&rs, &c->err))
		return cli_fail(c);
	for (int i = optind; i < argc && !rc; i++)
		if (sigma_load_path(rs, argv[i], on_rule, &chk, &c->err))
			rc = cli_fail(c);
	if (fflush(stdout) || chk.failed) {
		sigma_ruleset_free(rs);
		return cli_error(ERR_IO, "cannot write output");
	}
	if (!rc)
		fprintf(stderr, "%zu loaded, %zu rejected\n", sigma_ruleset_loaded(rs),
			sigma_ruleset_rejected(rs));
	sigma_ruleset_free(rs);
	return rc;
}

int cmd_rules(int argc, char **argv, struct cli *c)
{
	int first = 1;

	/* Common options may come before the subcommand (irdesk rules --json check). */
	while (first < argc && argv[first][0] == '-' && strcmp(argv[first], "--") != 0) {
		if (!strcmp(argv[first], "--help"))
			return fputs(usage_rules, stdout) == EOF;
		if (!strcmp(argv[first], "--json"))
			c->json = 1;
		else
			return cli_usage_error(usage_rules, "rules: unknown option '%s'", argv[first]);
		first++;
	}
	if (first >= argc)
		return cli_usage_error(usage_rules, "rules: missing subcommand");
	if (!strcmp(argv[first], "check"))
		return rules_check(argc - first, argv + first, c);
	return cli_usage_error(usage_rules, "rules: unknown subcommand '%s'", argv[first]);
}
