/*
 * cmd_token.c: `irdesk token create|list|revoke`: API tokens for scripts
 * and integrations. A token is printed once, when it is made; afterwards
 * only its name and first characters are ever shown.
 */
#include "cli.h"
#include "cmds.h"
#include "ir/auth.h"
#include "util/json.h"
#include "util/time.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage_token[] =
	"usage: irdesk token create USER [--name NAME]\n"
	"       irdesk token list USER\n"
	"       irdesk token revoke ID\n"
	"\n"
	"Manage API tokens (sent as 'Authorization: Bearer ird_...').\n"
	"\n"
	"subcommands:\n"
	"  create    make a token for USER and print it once\n"
	"  list      list USER's tokens (never the tokens themselves)\n"
	"  revoke    stop token ID from working\n"
	"\n"
	"options:\n" CLI_COMMON_HELP
	"\nRun 'irdesk token SUBCOMMAND --help' for a subcommand's options.\n";

static const char usage_create[] =
	"usage: irdesk token create USER [--name NAME]\n"
	"\n"
	"Make an API token that acts as USER and print it. It is shown only this\n"
	"once: irdesk keeps nothing it could be read back from. Needs the\n"
	"user_admin permission unless USER is the account given with --as.\n"
	"With --json: an object with token, id, name and prefix.\n"
	"\n"
	"options:\n"
	"  --name NAME   what the token is for (default \"cli\"; at most 100 characters)\n"
	CLI_COMMON_HELP;

static const char usage_list[] =
	"usage: irdesk token list USER\n"
	"\n"
	"List USER's tokens: id, name, first characters, when made, last used and\n"
	"revoked. With --json, an array of token objects.\n"
	"\n"
	"options:\n" CLI_COMMON_HELP;

static const char usage_revoke[] =
	"usage: irdesk token revoke ID\n"
	"\n"
	"Revoke token ID (see 'irdesk token list'): it stops working at once.\n"
	"Revoking a revoked token changes nothing.\n"
	"\n"
	"options:\n" CLI_COMMON_HELP;

enum { OPT_NAME = OPT__FIRST_CMD };

/* create */

static int create_opt(void *ctx, int opt, const char *arg)
{
	if (opt == OPT_NAME)
		*(const char **)ctx = arg;
	return 0;
}

static int token_create_cmd(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "name", required_argument, NULL, OPT_NAME },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = "cli", *ops[1];
	char token[AUTH_TOKEN_LEN + 1];
	json_t *info = NULL;
	int nops, rc;

	rc = cli_parse_operands(c, argc, argv, opts, usage_create, create_opt, &name, ops, 1, &nops);
	if (rc >= 0)
		return rc;
	if (nops < 1)
		return cli_error(ERR_USAGE, "token create: missing USER (see 'irdesk token create "
				 "--help')");
	rc = cli_open(c);
	if (rc)
		return rc;
	if (auth_token_create(c->st, &c->actor, ops[0], name, token, &info, &c->err))
		return cli_fail(c);
	if (c->json) {
		json_set_str(info, "token", token);
		rc = json_print(info) ? cli_error(ERR_IO, "cannot write output") : 0;
	} else {
		printf("token for %s (%s): %s\nstore it now: it cannot be shown again\n", ops[0],
		       json_str(info, "name"), token);
	}
	explicit_bzero(token, sizeof(token));
	json_decref(info);
	return rc;
}

/* list */

static int token_list_cmd(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	static const char *const headers[] = { "ID", "NAME", "PREFIX", "CREATED", "LAST USED",
					       "REVOKED" };
	static const char *const times[] = { "created_at", "last_used", "revoked_at" };
	const char *ops[1];
	json_t *list = NULL, *t;
	struct table *tab;
	size_t i;
	int nops, rc;

	rc = cli_parse_operands(c, argc, argv, opts, usage_list, NULL, NULL, ops, 1, &nops);
	if (rc >= 0)
		return rc;
	if (nops < 1)
		return cli_error(ERR_USAGE, "token list: missing USER (see 'irdesk token list "
				 "--help')");
	rc = cli_open(c);
	if (rc)
		return rc;
	if (auth_token_list(c->st, &c->actor, ops[0], &list, &c->err))
		return cli_fail(c);
	if (c->json) {
		rc = json_print(list) ? cli_error(ERR_IO, "cannot write output") : 0;
		json_decref(list);
		return rc;
	}
	tab = table_new(6, headers);
	if (!tab) {
		json_decref(list);
		return cli_error(ERR_NOMEM, "out of memory");
	}
	table_max_width(tab, 1, 40);
	json_array_foreach(list, i, t) {
		char id[24], when[3][64];
		const char *cells[6];

		snprintf(id, sizeof(id), "%lld",
			 (long long)json_integer_value(json_object_get(t, "id")));
		for (int k = 0; k < 3; k++) {
			const char *s = json_str(t, times[k]);
			int64_t at;

			when[k][0] = '\0';
			if (s && time_parse(s, NULL, 0, &at, NULL) == 0)
				cli_time(c, at, when[k]);
		}
		cells[0] = id;
		cells[1] = json_str(t, "name");
		cells[2] = json_str(t, "prefix");
		cells[3] = when[0];
		cells[4] = when[1];
		cells[5] = when[2];
		table_add(tab, cells);
	}
	table_print(tab, stdout);
	table_free(tab);
	json_decref(list);
	return 0;
}

/* revoke */

static int token_revoke_cmd(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	const char *ops[1];
	char *end;
	long long id;
	int nops, rc;

	rc = cli_parse_operands(c, argc, argv, opts, usage_revoke, NULL, NULL, ops, 1, &nops);
	if (rc >= 0)
		return rc;
	if (nops < 1)
		return cli_error(ERR_USAGE, "token revoke: missing ID (see 'irdesk token revoke "
				 "--help')");
	errno = 0;
	id = strtoll(ops[0], &end, 10);
	if (errno || end == ops[0] || *end || id <= 0 || ops[0][0] == '+' || ops[0][0] == ' ')
		return cli_error(ERR_USAGE, "token revoke: ID must be a positive number, not '%.64s'",
				 ops[0]);
	rc = cli_open(c);
	if (rc)
		return rc;
	if (auth_token_revoke(c->st, &c->actor, (int64_t)id, &c->err))
		return cli_fail(c);
	if (c->json) {
		json_t *o = json_object();

		if (!o)
			return cli_error(ERR_NOMEM, "out of memory");
		json_set_int(o, "id", id);
		json_set_bool(o, "revoked", 1);
		rc = json_print(o) ? cli_error(ERR_IO, "cannot write output") : 0;
		json_decref(o);
		return rc;
	}
	printf("revoked token %lld\n", id);
	return 0;
}

static const struct cli_subcommand subcommands[] = {
	{ "create", token_create_cmd },
	{ "list", token_list_cmd },
	{ "revoke", token_revoke_cmd },
};

int cmd_token(int argc, char **argv, struct cli *c)
{
	return cli_dispatch(c, argc, argv, subcommands, sizeof(subcommands) / sizeof(subcommands[0]),
			    usage_token);
}
