/*
 * cmd_report.c: `irdesk report incident|appi_preliminary|appi_final|notice
 * ID` generates a report from the record, keeps it as the next version and
 * prints it; `irdesk report list ID` and `irdesk report show ID KIND N`
 * read the kept versions back exactly as they were generated.
 */
#include "cli.h"
#include "cmds.h"
#include "ir/report.h"
#include "util/buf.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: irdesk report KIND ID [--lang ja|en] [--format html|md] [--output FILE]\n"
	"       irdesk report list ID\n"
	"       irdesk report show ID KIND VERSION [--output FILE]\n"
	"       irdesk report diff ID KIND V1 V2   what changed from version V1 to V2\n"
	"\n"
	"  KIND  incident          the internal incident report (Appendix C, NIST Appendix B,\n"
	"                          timeline, actions, notifications)\n"
	"        appi_preliminary  the APPI report to the PPC, 速報 (also: appi, sokuho)\n"
	"        appi_final        the APPI report to the PPC, 確報 (also: kakuho)\n"
	"        notice            a public-notice draft\n"
	"  Every generated report is kept as a numbered version (report list).\n"
	"\noptions:\n"
	"  --lang ja|en      language (default ja)\n"
	"  --format html|md  printable HTML (default) or Markdown\n"
	"  --output FILE     write the report to FILE instead of standard output\n" CLI_COMMON_HELP;

enum { O_LANG = OPT__FIRST_CMD, O_FORMAT, O_OUTPUT };

struct report_opts {
	const char *lang, *format, *output;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct report_opts *o = ctx;

	if (opt == O_LANG)
		o->lang = arg;
	else if (opt == O_FORMAT)
		o->format = arg;
	else if (opt == O_OUTPUT)
		o->output = arg;
	return 0;
}

static const struct option opts[] = {
	CLI_COMMON_OPTIONS,
	{ "lang", required_argument, NULL, O_LANG },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "output", required_argument, NULL, O_OUTPUT },
	{ NULL, 0, NULL, 0 },
};

/* Print a stored version: its body (to --output or stdout), or JSON. */
static int emit(struct cli *c, json_t *v, const char *output)
{
	const char *body = json_str(v, "body");
	FILE *f = stdout;
	int rc = 0;

	if (c->json && !output)
		return json_print(v) ? cli_error(ERR_IO, "cannot write output") : 0;
	if (output && !(f = fopen(output, "w")))
		return cli_error(ERR_IO, "%s: cannot create", output);
	if (fputs(body, f) == EOF)
		rc = cli_error(ERR_IO, "cannot write the report");
	if (output) {
		if (fclose(f) != 0 && !rc)
			rc = cli_error(ERR_IO, "%s: cannot write", output);
		if (!rc)
			fprintf(stderr, "%s: %s version %lld written to %s (sha256 %s)\n",
				json_str(v, "incident"), json_str(v, "kind"),
				(long long)json_integer_value(json_object_get(v, "version")), output,
				json_str(v, "sha256"));
	}
	return rc;
}

static int report_list_cmd(struct cli *c, const char *hid)
{
	static const char *const hdr[] = { "KIND", "VERSION", "LANG", "FORMAT", "CREATED", "BY", "SHA256" };
	struct table *t;
	json_t *list, *v;
	size_t i;
	int rc;

	if ((rc = cli_open(c)))
		return rc;
	if (report_list(c->st, &c->actor, hid, &list, &c->err))
		return cli_fail(c);
	if (c->json) {
		rc = json_print(list) ? cli_error(ERR_IO, "cannot write output") : 0;
		json_decref(list);
		return rc;
	}
	t = table_new(7, hdr);
	json_array_foreach(list, i, v) {
		char ver[24], sha[17];
		snprintf(ver, sizeof(ver), "%lld", (long long)json_integer_value(json_object_get(v, "version")));
		snprintf(sha, sizeof(sha), "%.16s", json_str(v, "sha256"));
		table_add(t, (const char *const[]){ json_str(v, "kind"), ver, json_str(v, "lang"),
			json_str(v, "format"), json_str(v, "created_at"), json_str(v, "created_by"), sha });
	}
	table_print(t, stdout);
	table_free(t);
	json_decref(list);
	return 0;
}

static int parse_version(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*end || v < 1)
		return cli_usage_error(usage, "report: '%s' is not a version number", s);
	*out = v;
	return 0;
}

static int report_diff_cmd(struct cli *c, const char **ops, int nops)
{
	struct buf out = BUF_INIT;
	enum report_kind kind;
	int64_t v1 = 0, v2 = 0;
	int rc;

	if (nops != 5)
		return cli_usage_error(usage, "report diff: give ID KIND V1 V2");
	if ((rc = parse_version(ops[3], &v1)) || (rc = parse_version(ops[4], &v2)))
		return rc;
	if (report_kind_parse(ops[2], &kind, &c->err))
		return cli_fail(c);
	if ((rc = cli_open(c)))
		return rc;
	if (report_diff(c->st, &c->actor, ops[1], kind, v1, v2, &out, &c->err)) {
		buf_release(&out);
		return cli_fail(c);
	}
	if (fputs(out.data, stdout) == EOF)
		rc = cli_error(ERR_IO, "cannot write output");
	buf_release(&out);
	return rc;
}

int cmd_report(int argc, char **argv, struct cli *c)
{
	struct report_opts o = { "ja", "html", NULL };
	enum report_format fmt;
	enum report_kind kind;
	const char *ops[5];
	json_t *v;
	int rc, nops = 0;
	int64_t version = 0;

	rc = cli_parse_operands(c, argc, argv, opts, usage, on_opt, &o, ops, 5, &nops);
	if (rc >= 0)
		return rc;
	if (nops < 2)
		return cli_usage_error(usage, "report: give the kind (or list/show) and the incident id");
	if (!strcmp(ops[0], "list")) {
		if (nops != 2)
			return cli_usage_error(usage, "report list: give one incident id");
		return report_list_cmd(c, ops[1]);
	}
	if (!strcmp(ops[0], "diff"))
		return report_diff_cmd(c, ops, nops);
	if (!strcmp(ops[0], "show")) {
		if (nops != 4)
			return cli_usage_error(usage, "report show: give ID KIND VERSION");
		if ((rc = parse_version(ops[3], &version)))
			return rc;
		if (report_kind_parse(ops[2], &kind, &c->err))
			return cli_fail(c);
		if ((rc = cli_open(c)))
			return rc;
		if (report_get(c->st, &c->actor, ops[1], kind, version, &v, &c->err))
			return cli_fail(c);
		rc = emit(c, v, o.output);
		json_decref(v);
		return rc;
	}
	if (nops != 2)
		return cli_usage_error(usage, "report %s: give one incident id", ops[0]);
	if (report_kind_parse(ops[0], &kind, &c->err) || report_format_parse(o.format, &fmt, &c->err))
		return cli_fail(c);
	if (strcmp(o.lang, "ja") && strcmp(o.lang, "en"))
		return cli_usage_error(usage, "--lang: ja or en, not '%s'", o.lang);
	if ((rc = cli_open(c)))
		return rc;
	if (report_generate(c->st, &c->actor, ops[1], kind, o.lang, fmt, &v, &c->err))
		return cli_fail(c);
	rc = emit(c, v, o.output);
	json_decref(v);
	return rc;
}
