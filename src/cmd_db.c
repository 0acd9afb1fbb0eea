/*
 * cmd_db.c: `irdesk db copy --from URL --to URL`: move an installation
 * between backends (SQLite to PostgreSQL, or back) with everything in it.
 * The work is store_copy() in src/store/copy.c.
 */
#include "cli.h"
#include "cmds.h"
#include "store/store.h"
#include "util/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_db[] =
	"usage: irdesk db copy --from URL --to URL\n"
	"\n"
	"Copy every table of one database into a new one, in one transaction:\n"
	"accounts, incidents, timelines, tasks, the audit chain (which still\n"
	"verifies), sessions, API tokens, counters and evidence references. The\n"
	"target is created (SQLite) or set up (an empty PostgreSQL database) and\n"
	"must hold nothing yet. Stop 'irdesk serve' on the source first.\n"
	"\n"
	"options:\n"
	"  --from URL    the database to read (sqlite:PATH or postgres://...)\n"
	"  --to URL      the new database to fill\n" CLI_COMMON_HELP;

enum { OPT_FROM = OPT__FIRST_CMD, OPT_TO };

struct copy_opts {
	const char *from, *to;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct copy_opts *o = ctx;

	if (opt == OPT_FROM)
		o->from = arg;
	else if (opt == OPT_TO)
		o->to = arg;
	return 0;
}

struct copy_report {
	json_t *tables;
	int json;
};

static void report_table(void *ctx, const char *table, int64_t rows)
{
	struct copy_report *r = ctx;

	if (r->json)
		json_object_set_new(r->tables, table, json_integer(rows));
	else
		printf("  %-20s %10" PRId64 " rows\n", table, rows);
}

static int db_copy(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ NULL, 0, NULL, 0 },
	};
	struct copy_opts o = { 0 };
	struct copy_report r = { 0 };
	struct store *from = NULL, *to = NULL;
	char shown_from[512], shown_to[512];
	int rc, nops = 0;

	rc = cli_parse_operands(c, argc, argv, opts, usage_db, on_opt, &o, NULL, 0, &nops);
	if (rc >= 0)
		return rc;
	if (!o.from || !o.to)
		return cli_usage_error(usage_db, "db copy: --from and --to are both needed");
	store_url_redact(o.from, shown_from, sizeof(shown_from));
	store_url_redact(o.to, shown_to, sizeof(shown_to));
	if (store_open(o.from, 0, &from, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}
	if (store_open(o.to, STORE_CREATE, &to, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}
	r.json = c->json;
	r.tables = json_object();
	if (!r.tables) {
		rc = cli_error(ERR_NOMEM, "out of memory");
		goto out;
	}
	if (!c->json)
		printf("copying %s to %s\n", shown_from, shown_to);
	if (store_copy(from, to, report_table, &r, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}
	if (c->json) {
		json_t *o2 = json_pack("{s:s,s:s,s:O}", "from", shown_from, "to", shown_to,
				       "tables", r.tables);
		char *text = o2 ? json_dumps(o2, JSON_SORT_KEYS) : NULL;
		if (text)
			puts(text);
		free(text);
		json_decref(o2);
	} else {
		printf("copied; check it with: irdesk --db %s audit verify\n", shown_to);
	}
	rc = 0;
out:
	json_decref(r.tables);
	store_close(from);
	store_close(to);
	return rc;
}

int cmd_db(int argc, char **argv, struct cli *c)
{
	if (argc < 2 || cli_is_help(argv[1])) {
		fputs(usage_db, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "copy") == 0)
		return db_copy(argc - 1, argv + 1, c);
	return cli_usage_error(usage_db, "db: unknown subcommand '%s'", argv[1]);
}
