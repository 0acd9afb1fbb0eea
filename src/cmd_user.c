/*
 * cmd_user.c: `irdesk user add|list|passwd|disable|enable`: manage accounts
 * from the command line. Passwords come from standard input
 * (--password-stdin) or are generated and shown once; nothing else ever
 * prints a password.
 */
#include "cli.h"
#include "cmds.h"
#include "ir/user.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/time.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_user[] =
	"usage: irdesk user add NAME --role ROLE [--name TEXT] [--email ADDR] [--external]\n"
	"                       [--password-stdin]\n"
	"       irdesk user list\n"
	"       irdesk user passwd NAME [--password-stdin]\n"
	"       irdesk user disable NAME\n"
	"       irdesk user enable NAME\n"
	"\n"
	"Manage irdesk accounts.\n"
	"\n"
	"subcommands:\n"
	"  add       create an account (prints a one-time password unless --password-stdin)\n"
	"  list      list accounts\n"
	"  passwd    set a password, or a new one-time password\n"
	"  disable   stop an account from signing in\n"
	"  enable    let a disabled account sign in again\n"
	"\n"
	"options:\n" CLI_COMMON_HELP
	"\nRun 'irdesk user SUBCOMMAND --help' for a subcommand's options.\n";

static const char usage_add[] =
	"usage: irdesk user add NAME --role ROLE [--name TEXT] [--email ADDR] [--external]\n"
	"                       [--password-stdin]\n"
	"\n"
	"Create an account. NAME is 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a\n"
	"letter or digit. Without --password-stdin a one-time password is generated and\n"
	"printed once; it must be changed at the first sign-in.\n"
	"\n"
	"options:\n"
	"  --role ROLE        the account's role (see below)\n"
	"  --name TEXT        display name (at most 200 characters)\n"
	"  --email ADDR       mail address\n"
	"  --external         an outside party: sees only incidents it is a member of\n"
	"  --password-stdin   read the password (12 to 256 characters) from standard input\n"
	CLI_COMMON_HELP;

static const char usage_list[] =
	"usage: irdesk user list\n"
	"\n"
	"List accounts by name: role, whether external or disabled, display name and\n"
	"when created. With --json, an array of account objects.\n"
	"\n"
	"options:\n" CLI_COMMON_HELP;

static const char usage_passwd[] =
	"usage: irdesk user passwd NAME [--password-stdin]\n"
	"\n"
	"Set NAME's password. Without --password-stdin a one-time password is\n"
	"generated and printed once; it must be changed at the next sign-in.\n"
	"Needs the user_admin permission unless NAME is the account given with --as.\n"
	"\n"
	"options:\n"
	"  --password-stdin   read the password (12 to 256 characters) from standard input\n"
	CLI_COMMON_HELP;

static const char usage_disable[] =
	"usage: irdesk user disable NAME\n"
	"\n"
	"Stop NAME from signing in or acting (its history stays).\n"
	"\n"
	"options:\n" CLI_COMMON_HELP;

static const char usage_enable[] =
	"usage: irdesk user enable NAME\n"
	"\n"
	"Let a disabled account sign in again.\n"
	"\n"
	"options:\n" CLI_COMMON_HELP;

enum { OPT_ROLE = OPT__FIRST_CMD, OPT_NAME, OPT_EMAIL, OPT_EXTERNAL, OPT_PASSWORD_STDIN };

/* Room for any password a person types; longer input is refused, not cut. */
#define PASSWORD_BUF 4096

/* Read a password from standard input (asked twice on a terminal) into pw. */
static int read_password(struct cli *c, char *pw, size_t size)
{
	char again[PASSWORD_BUF];
	int rc = 0;

	cli_read_secret("new password: ", pw, size);
	if (strlen(pw) >= size - 1)
		return err_set(&c->err, ERR_INVALID, "password: too long (at most %d characters)",
			       USER_PASSWORD_MAX);
	if (!*pw)
		return err_set(&c->err, ERR_INVALID, "password: nothing read from standard input");
	if (isatty(STDIN_FILENO)) {
		cli_read_secret("again: ", again, sizeof(again));
		if (strcmp(pw, again) != 0)
			rc = err_set(&c->err, ERR_INVALID, "password: the two entries differ");
		explicit_bzero(again, sizeof(again));
	}
	return rc;
}

/* Print u (and the one-time password, when one was made) as JSON. */
static int print_user_json(const struct user *u, const char *otp, int with_otp)
{
	json_t *o = user_to_json(u);
	int rc;

	if (!o)
		return cli_error(ERR_NOMEM, "out of memory");
	if (with_otp)
		json_set_str_nonempty(o, "one_time_password", otp);
	rc = json_print(o);
	json_decref(o);
	return rc ? cli_error(rc, "cannot write output") : 0;
}

static void print_otp(const char *name, const char *otp)
{
	printf("one-time password for %s: %s (must be changed at first sign-in)\n", name, otp);
}

/* add */

struct add_opts {
	const char *role, *name, *email;
	int external, pw_stdin;
};

static int add_opt(void *ctx, int opt, const char *arg)
{
	struct add_opts *o = ctx;

	switch (opt) {
	case OPT_ROLE:
		o->role = arg;
		break;
	case OPT_NAME:
		o->name = arg;
		break;
	case OPT_EMAIL:
		o->email = arg;
		break;
	case OPT_EXTERNAL:
		o->external = 1;
		break;
	case OPT_PASSWORD_STDIN:
		o->pw_stdin = 1;
		break;
	}
	return 0;
}

/* The add usage with the role names, which come from the role table. */
static void print_add_usage(void)
{
	fputs(usage_add, stdout);
	fputs("\nroles:\n", stdout);
	for (int r = 0; r < ROLE__COUNT; r++)
		printf("  %-18s %s\n", role_name((enum role)r), role_label((enum role)r, "en"));
}

static int user_add_cmd(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "email", required_argument, NULL, OPT_EMAIL },
		{ "external", no_argument, NULL, OPT_EXTERNAL },
		{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
		{ NULL, 0, NULL, 0 },
	};
	struct add_opts o = { 0 };
	struct user_new nu = { 0 };
	struct user u = { 0 };
	char pw[PASSWORD_BUF], otp[USER_OTP_LEN + 1] = "";
	const char *ops[1];
	int nops, rc;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (cli_is_help(argv[i])) {
			print_add_usage();
			return 0;
		}
		if (cli_takes_value(opts, argv[i]))
			i++;
	}
	rc = cli_parse_operands(c, argc, argv, opts, usage_add, add_opt, &o, ops, 1, &nops);
	if (rc >= 0)
		return rc;
	if (nops < 1)
		return cli_error(ERR_USAGE, "user add: missing NAME (see 'irdesk user add --help')");
	if (!o.role)
		return cli_error(ERR_USAGE, "user add: missing --role ROLE (see 'irdesk user add --help')");
	nu.username = ops[0];
	nu.display_name = o.name;
	nu.email = o.email;
	nu.external = o.external;
	if (role_parse(o.role, &nu.role, &c->err))
		return cli_fail(c);
	rc = cli_open(c);
	if (rc)
		return rc;
	if (o.pw_stdin) {
		if (read_password(c, pw, sizeof(pw))) {
			explicit_bzero(pw, sizeof(pw));
			return cli_fail(c);
		}
		nu.password = pw;
	}
	rc = user_add(c->st, &c->actor, &nu, otp, &u, &c->err);
	explicit_bzero(pw, sizeof(pw));
	if (rc)
		return cli_fail(c);
	if (c->json) {
		rc = print_user_json(&u, otp, 1);
	} else {
		printf("added user %s (%s%s)\n", u.username, role_name(u.role),
		       u.external ? ", external" : "");
		if (*otp)
			print_otp(u.username, otp);
	}
	explicit_bzero(otp, sizeof(otp));
	user_release(&u);
	return rc;
}

/* list */

static int user_list_cmd(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	static const char *const headers[] = { "USERNAME", "ROLE", "EXTERNAL", "DISABLED",
					       "NAME", "CREATED" };
	json_t *list = NULL, *u;
	struct table *t;
	size_t i;
	int nops, rc;

	rc = cli_parse_operands(c, argc, argv, opts, usage_list, NULL, NULL, NULL, 0, &nops);
	if (rc >= 0)
		return rc;
	rc = cli_open(c);
	if (rc)
		return rc;
	if (user_list(c->st, &c->actor, &list, &c->err))
		return cli_fail(c);
	if (c->json) {
		rc = json_print(list) ? cli_error(ERR_IO, "cannot write output") : 0;
		json_decref(list);
		return rc;
	}
	t = table_new(6, headers);
	if (!t) {
		json_decref(list);
		return cli_error(ERR_NOMEM, "out of memory");
	}
	table_max_width(t, 4, 40);
	json_array_foreach(list, i, u) {
		char when[64] = "";
		const char *created = json_str(u, "created_at");
		int64_t at;
		const char *cells[6];

		if (created && time_parse(created, NULL, 0, &at, NULL) == 0)
			cli_time(c, at, when);
		cells[0] = json_str(u, "username");
		cells[1] = json_str(u, "role");
		cells[2] = json_is_true(json_object_get(u, "external")) ? "yes" : "no";
		cells[3] = json_is_true(json_object_get(u, "disabled")) ? "yes" : "no";
		cells[4] = json_str(u, "display_name");
		cells[5] = when;
		table_add(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
	json_decref(list);
	return 0;
}

/* passwd */

static int passwd_opt(void *ctx, int opt, const char *arg)
{
	(void)arg;
	if (opt == OPT_PASSWORD_STDIN)
		*(int *)ctx = 1;
	return 0;
}

static int user_passwd_cmd(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
		{ NULL, 0, NULL, 0 },
	};
	char pw[PASSWORD_BUF], otp[USER_OTP_LEN + 1] = "";
	const char *ops[1];
	struct user u;
	int pw_stdin = 0, nops, rc;

	rc = cli_parse_operands(c, argc, argv, opts, usage_passwd, passwd_opt, &pw_stdin, ops, 1, &nops);
	if (rc >= 0)
		return rc;
	if (nops < 1)
		return cli_error(ERR_USAGE, "user passwd: missing NAME (see 'irdesk user passwd --help')");
	rc = cli_open(c);
	if (rc)
		return rc;
	if (pw_stdin && read_password(c, pw, sizeof(pw))) {
		explicit_bzero(pw, sizeof(pw));
		return cli_fail(c);
	}
	rc = user_passwd(c->st, &c->actor, ops[0], pw_stdin ? pw : NULL, otp, &c->err);
	explicit_bzero(pw, sizeof(pw));
	if (rc)
		return cli_fail(c);
	if (c->json) {
		if (user_get(c->st, ops[0], &u, &c->err)) {
			explicit_bzero(otp, sizeof(otp));
			return cli_fail(c);
		}
		rc = print_user_json(&u, otp, 1);
		user_release(&u);
	} else if (*otp) {
		print_otp(ops[0], otp);
	} else {
		printf("password changed for %s\n", ops[0]);
	}
	explicit_bzero(otp, sizeof(otp));
	return rc;
}

/* disable, enable */

static int set_disabled(int argc, char **argv, struct cli *c, int disabled)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	const char *ops[1];
	struct user u;
	int nops, rc;

	rc = cli_parse_operands(c, argc, argv, opts, disabled ? usage_disable : usage_enable, NULL, NULL,
			ops, 1, &nops);
	if (rc >= 0)
		return rc;
	if (nops < 1)
		return cli_error(ERR_USAGE, "user %s: missing NAME", argv[0]);
	rc = cli_open(c);
	if (rc)
		return rc;
	if (user_set_disabled(c->st, &c->actor, ops[0], disabled, &c->err))
		return cli_fail(c);
	if (!c->json) {
		printf("%s user %s\n", disabled ? "disabled" : "enabled", ops[0]);
		return 0;
	}
	if (user_get(c->st, ops[0], &u, &c->err))
		return cli_fail(c);
	rc = print_user_json(&u, NULL, 0);
	user_release(&u);
	return rc;
}

static int user_disable_cmd(int argc, char **argv, struct cli *c)
{
	return set_disabled(argc, argv, c, 1);
}

static int user_enable_cmd(int argc, char **argv, struct cli *c)
{
	return set_disabled(argc, argv, c, 0);
}

static const struct cli_subcommand subcommands[] = {
	{ "add", user_add_cmd },
	{ "list", user_list_cmd },
	{ "passwd", user_passwd_cmd },
	{ "disable", user_disable_cmd },
	{ "enable", user_enable_cmd },
};

int cmd_user(int argc, char **argv, struct cli *c)
{
	return cli_dispatch(c, argc, argv, subcommands, sizeof(subcommands) / sizeof(subcommands[0]),
			    usage_user);
}
