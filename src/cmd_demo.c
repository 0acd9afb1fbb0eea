/*
 * cmd_demo.c: `irdesk demo load|list|check`: realistic demo incidents from
 * the scenario files in data/demo/ (ir/demo.h).
 */
#include "cli.h"
#include "cmds.h"
#include "ir/demo.h"
#include "ir/evidence.h"
#include "util/buf.h"
#include "util/json.h"

#include <string.h>

static const char usage_main[] =
	"usage: irdesk demo load [--evidence-dir DIR] [--scenarios DIR]\n"
	"       irdesk demo list [--scenarios DIR]\n"
	"       irdesk demo check [--scenarios DIR]\n"
	"\noptions:\n"
	"  --evidence-dir DIR where evidence files go (default: the folder `irdesk init` recorded)\n"
	"  --scenarios DIR    scenario files to use instead of the built-in ones\n" CLI_COMMON_HELP;

enum { O_EVIDENCE_DIR = OPT__FIRST_CMD, O_SCENARIOS };

struct opts {
	const char *evidence_dir, *scenarios;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct opts *o = ctx;

	switch (opt) {
	case O_EVIDENCE_DIR: o->evidence_dir = arg; return 0;
	case O_SCENARIOS: o->scenarios = arg; return 0;
	}
	return 2;
}

static int parse(struct cli *c, int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "evidence-dir", required_argument, NULL, O_EVIDENCE_DIR },
		{ "scenarios", required_argument, NULL, O_SCENARIOS },
		{ 0, 0, 0, 0 },
	};
	const char *ops[1];
	int nops = 0;

	memset(o, 0, sizeof(*o));
	return cli_parse_operands(c, argc, argv, longopts, usage_main, on_opt, o, ops, 0, &nops);
}

static void print_loaded(json_t *v)
{
	size_t k;
	json_t *x;

	printf("demo data loaded: %lld incidents, %lld contacts, %lld evidence items\n",
	       (long long)json_array_size(json_object_get(v, "incidents")),
	       (long long)json_integer_value(json_object_get(v, "contacts")),
	       (long long)json_integer_value(json_object_get(v, "evidence")));
	json_array_foreach(json_object_get(v, "incidents"), k, x)
		printf("  %-13s %-14s %s\n", json_str(x, "hid"), json_str(x, "state"),
		       json_str(x, "title"));
	printf("accounts (one-time passwords, to be changed at first sign-in):\n");
	json_array_foreach(json_object_get(v, "users"), k, x)
		printf("  %-16s %-18s %s\n", json_str(x, "username"), json_str(x, "role"),
		       json_str(x, "password"));
}

static int demo_load_cmd(int argc, char **argv, struct cli *c)
{
	struct buf dir = BUF_INIT;
	json_t *out = NULL;
	struct opts o;
	int rc;

	if ((rc = parse(c, argc, argv, &o)) >= 0)
		return rc;
	if ((rc = cli_open(c)))
		return rc;
	if (evidence_dir_resolve(c->st, o.evidence_dir, &dir, &c->err))
		return cli_fail(c);
	rc = demo_load(c->st, &c->actor, c->tz, o.scenarios, dir.data, &out, &c->err);
	buf_release(&dir);
	if (rc) {
		json_decref(out);
		return cli_fail(c);
	}
	if (c->json)
		rc = json_print(out) ? cli_error(ERR_IO, "cannot write output") : 0;
	else
		print_loaded(out);
	json_decref(out);
	return rc;
}

static int demo_list_cmd(int argc, char **argv, struct cli *c)
{
	json_t *out = NULL, *x;
	struct opts o;
	size_t k;
	int rc;

	if ((rc = parse(c, argc, argv, &o)) >= 0)
		return rc;
	if (demo_check(o.scenarios, &out, &c->err))
		return cli_fail(c);
	rc = 0;
	if (c->json) {
		rc = json_print(out) ? cli_error(ERR_IO, "cannot write output") : 0;
	} else if (strcmp(argv[0], "check") == 0) {
		printf("%zu scenarios ok\n", json_array_size(out));
	} else {
		static const char *const hdr[] = { "FILE", "TYPE", "START", "STEPS", "STATE", "TITLE" };
		struct table *t = table_new(6, hdr);
		json_array_foreach(out, k, x) {
			char steps[24];
			snprintf(steps, sizeof(steps), "%lld",
				 (long long)json_integer_value(json_object_get(x, "steps")));
			const char *row[] = { json_str(x, "file"), json_str(x, "type"),
					      json_str(x, "start"), steps, json_str(x, "final_state"),
					      json_str(x, "title") };
			table_add(t, row);
		}
		table_max_width(t, 5, 60);
		table_print(t, stdout);
		table_free(t);
	}
	json_decref(out);
	return rc;
}

static const struct cli_subcommand subcommands[] = {
	{ "load", demo_load_cmd },
	{ "list", demo_list_cmd },
	{ "check", demo_list_cmd },
};

int cmd_demo(int argc, char **argv, struct cli *c)
{
	return cli_dispatch(c, argc, argv, subcommands, sizeof(subcommands) / sizeof(subcommands[0]),
			    usage_main);
}
