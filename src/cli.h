/*
 * cli.h: what every cmd_*.c shares: the global options (--db, --json, --as,
 * --tz), opening the store, turning an error into one message and an exit
 * code, and printing tables for people.
 *
 * Exit codes (docs/cli.md): 0 success, 1 internal error, 2 usage,
 * 3 not found, 4 invalid input or conflict, 5 I/O or store, 6 denied.
 */
#ifndef IRDESK_CLI_H
#define IRDESK_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "ir/actor.h"
#include "util/err.h"

struct catalog;
struct store;
struct tz;

#define CLI_DEFAULT_DB "sqlite:var/irdesk.db"
#define CLI_DEFAULT_TZ "Asia/Tokyo"

struct cli {
	const char *db_url;   /* --db, $IRDESK_DB, CLI_DEFAULT_DB */
	const char *tz_name;  /* --tz, $IRDESK_TZ, CLI_DEFAULT_TZ */
	const char *as_user;  /* --as USER: act as that account instead of cli:<login> */
	const char *catalog_dir; /* --catalog DIR, $IRDESK_CATALOG: NULL for the embedded one */
	struct catalog *catalog; /* loaded from catalog_dir by cli_open(), made active */
	int json;             /* --json */
	struct store *st;     /* after cli_open() */
	struct tz *tz;
	struct actor actor;
	struct err err;
};

/*
 * The long options every command accepts; put CLI_COMMON_OPTIONS first in
 * a command's struct option array and pass unknown values to cli_common_opt.
 */
enum { OPT_DB = 1000, OPT_JSON, OPT_AS, OPT_TZ, OPT_HELP, OPT_CATALOG, OPT__FIRST_CMD = 1100 };
#define CLI_COMMON_OPTIONS                                   \
	{ "db", required_argument, NULL, OPT_DB },           \
	{ "json", no_argument, NULL, OPT_JSON },             \
	{ "as", required_argument, NULL, OPT_AS },           \
	{ "tz", required_argument, NULL, OPT_TZ },           \
	{ "catalog", required_argument, NULL, OPT_CATALOG }, \
	{ "help", no_argument, NULL, OPT_HELP }

/* Help text shared by every command's --help. */
#define CLI_COMMON_HELP                                                          \
	"  --db URL      database (default sqlite:var/irdesk.db, or $IRDESK_DB)\n" \
	"  --json        print JSON for programs instead of tables\n"              \
	"  --as USER     act as this irdesk account (default: the local operator)\n" \
	"  --tz ZONE     display time zone (default Asia/Tokyo, or $IRDESK_TZ)\n"  \
	"  --catalog DIR incident catalog folder (default: the built-in one, or $IRDESK_CATALOG)\n" \
	"  --help        show this help\n"

/*
 * Handle a common option. Returns 1 when it was one (and, for --help, prints
 * usage to stdout and sets *exit_now to 0), 0 when opt is not common.
 */
int cli_common_opt(struct cli *c, int opt, const char *arg, const char *usage, int *exit_now);

/*
 * Parse options for a (sub)command with getopt_long, from argv[0] (the
 * command's own name). longopts must start with CLI_COMMON_OPTIONS and end
 * with a zero entry; each command-specific option is reported through
 * on_opt(ctx, opt, optarg) which returns 0 or an exit code. Returns -1 when
 * parsing went through (optind then indexes the first operand), otherwise
 * the exit code to return at once (0 after --help, 2 on a usage error).
 */
int cli_parse(struct cli *c, int argc, char **argv, const struct option *longopts,
	      const char *usage, int (*on_opt)(void *ctx, int opt, const char *arg), void *ctx);

/* 1 when arg asks for help (-h, --help or a prefix getopt accepts). */
int cli_is_help(const char *arg);
/* 1 when arg is a long option of opts that takes the next argument as its value. */
int cli_takes_value(const struct option *opts, const char *arg);
/*
 * Parse argv (argv[0] is the subcommand) with options anywhere among the
 * operands, storing up to max_ops operands in ops (*nops of them); more is
 * a one-line usage error. --help prints usage to stdout. Returns -1 to go
 * on, or the exit code to return at once.
 */
int cli_parse_operands(struct cli *c, int argc, char **argv, const struct option *opts,
		       const char *usage, int (*on_opt)(void *, int, const char *), void *ctx,
		       const char **ops, int max_ops, int *nops);

/* A subcommand of a git-style command ("user add"). */
struct cli_subcommand {
	const char *name;
	int (*fn)(int argc, char **argv, struct cli *c);
};

/*
 * Run the subcommand of argv (argv[0] is the command, "user"): common
 * options may come before it; --help prints usage; a missing or unknown
 * subcommand is a one-line usage error naming the subcommands.
 */
int cli_dispatch(struct cli *c, int argc, char **argv, const struct cli_subcommand *subs,
		 size_t nsubs, const char *usage);

/*
 * Load the catalog of --catalog / $IRDESK_CATALOG (when given) and make it
 * the active one. Returns 0 or an exit code (after one message saying how
 * many problems it has).
 * cli_open() calls it.
 */
int cli_load_catalog(struct cli *c);

/* Open the store, the time zone and the actor. Returns 0 or an exit code. */
int cli_open(struct cli *c);
/* Like cli_open but may create the database (init only). */
int cli_open_create(struct cli *c);
void cli_close(struct cli *c);

/* Print "irdesk: MESSAGE" for c->err to stderr; return its exit code. */
int cli_fail(struct cli *c);
/* Print "irdesk: MESSAGE" (printf-style) and return `code`'s exit code. */
int cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print a one-line usage error (pointing at --help when usage is given); returns 2. */
int cli_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The language of labels the CLI prints: $IRDESK_LANG ("en"), else "ja". */
const char *cli_lang(void);

/* Format a time for a table cell in the CLI's zone ("" for 0). */
const char *cli_time(struct cli *c, int64_t t, char out[64]);

/*
 * A table for people: add the header cells, then rows; printing pads by
 * display width (East Asian wide characters count two columns) and cuts
 * cells longer than max_width (0: no limit) with an ellipsis.
 */
struct table;
struct table *table_new(int ncols, const char *const *headers);
void table_add(struct table *t, const char *const *cells);
void table_max_width(struct table *t, int col, int width);
void table_print(struct table *t, FILE *out);
void table_free(struct table *t);

/* Read a secret from stdin (no echo when it is a terminal); strips newline. */
int cli_read_secret(const char *prompt, char *out, size_t size);

#endif
