/*
 * cli.c: shared plumbing of the command-line interface: options, opening
 * the store, error messages with exit codes, tables for people.
 */
#include "cli.h"
#include "ir/catalog.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/time.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

int cli_common_opt(struct cli *c, int opt, const char *arg, const char *usage, int *exit_now)
{
	switch (opt) {
	case OPT_DB:
		c->db_url = arg;
		return 1;
	case OPT_JSON:
		c->json = 1;
		return 1;
	case OPT_AS:
		c->as_user = arg;
		return 1;
	case OPT_TZ:
		c->tz_name = arg;
		return 1;
	case OPT_CATALOG:
		c->catalog_dir = arg;
		return 1;
	case OPT_HELP:
		fputs(usage, stdout);
		*exit_now = 0;
		return 1;
	}
	return 0;
}

int cli_parse(struct cli *c, int argc, char **argv, const struct option *longopts,
	      const char *usage, int (*on_opt)(void *ctx, int opt, const char *arg), void *ctx)
{
	int opt, exit_now = -1;

	optind = 0; /* GNU: full re-initialisation, as each subcommand parses anew */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (opt == 'h')
			opt = OPT_HELP;
		if (opt == '?' || opt == ':') {
			const char *bad = argv[optind - 1];
			if (optopt && optopt < 256)
				return cli_usage_error(usage, "unknown option '-%c'", optopt);
			return cli_usage_error(usage, "unknown option or missing value: '%s'", bad);
		}
		if (cli_common_opt(c, opt, optarg, usage, &exit_now)) {
			if (exit_now >= 0)
				return exit_now;
			continue;
		}
		if (on_opt) {
			int rc = on_opt(ctx, opt, optarg);
			if (rc)
				return rc;
		}
	}
	return -1;
}

/* Argument parsing: options may come anywhere among the operands. */

/* 1 when arg is -h or --help (or a prefix of it getopt would accept). */
int cli_is_help(const char *arg)
{
	size_t n = strlen(arg);

	if (strcmp(arg, "-h") == 0)
		return 1;
	return n >= 3 && n <= 6 && strncmp("--help", arg, n) == 0;
}

/* 1 when arg is a long option of opts that takes its value from the next argument. */
int cli_takes_value(const struct option *opts, const char *arg)
{
	if (strncmp(arg, "--", 2) != 0 || strchr(arg, '='))
		return 0;
	for (; opts->name; opts++)
		if (strcmp(opts->name, arg + 2) == 0)
			return opts->has_arg == required_argument;
	return 0;
}

/*
 * Parse argv (argv[0] is the subcommand), storing up to max_ops operands in
 * ops. --help prints usage to stdout. Returns -1 to go on, or the exit code
 * to return at once. Errors are one line.
 */
int cli_parse_operands(struct cli *c, int argc, char **argv, const struct option *opts,
		      const char *usage, int (*on_opt)(void *, int, const char *), void *ctx,
		      const char **ops, int max_ops, int *nops)
{
	int start = 0;

	*nops = 0;
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return 0;
		}
		if (cli_takes_value(opts, argv[i]))
			i++;
	}
	for (;;) {
		/* An empty usage keeps cli_parse's errors to one line. */
		int rc = cli_parse(c, argc - start, argv + start, opts, "", on_opt, ctx);
		int k = start + optind, rest = 0;

		if (rc >= 0)
			return rc;
		if (k >= argc)
			return -1;
		if (optind > 1 && strcmp(argv[k - 1], "--") == 0)
			rest = 1; /* everything after "--" is an operand */
		do {
			if (*nops >= max_ops)
				return cli_error(ERR_USAGE, "%s: unexpected argument '%s'",
						 argv[0], argv[k]);
			ops[(*nops)++] = argv[k++];
		} while (rest && k < argc);
		if (k >= argc)
			return -1;
		start = k - 1; /* the operand just taken stands in for argv[0] */
	}
}

int cli_dispatch(struct cli *c, int argc, char **argv, const struct cli_subcommand *subs,
		 size_t nsubs, const char *usage)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	char names[256] = "";
	size_t used = 0;
	const char *ops[1];
	int sub = 1, nops, rc;

	for (size_t i = 0; i < nsubs && used < sizeof(names); i++)
		used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
					 subs[i].name);
	/* Common options may come before the subcommand: find where it starts. */
	while (sub < argc && argv[sub][0] == '-' && argv[sub][1]) {
		if (strcmp(argv[sub], "--") == 0) {
			sub++;
			break;
		}
		sub += cli_takes_value(opts, argv[sub]) ? 2 : 1;
	}
	if (sub > argc)
		sub = argc;
	rc = cli_parse_operands(c, sub, argv, opts, usage, NULL, NULL, ops, 0, &nops);
	if (rc >= 0)
		return rc;
	if (sub >= argc)
		return cli_error(ERR_USAGE, "%s: missing subcommand (%s; see 'irdesk %s --help')",
				 argv[0], names, argv[0]);
	for (size_t i = 0; i < nsubs; i++)
		if (strcmp(argv[sub], subs[i].name) == 0)
			return subs[i].fn(argc - sub, argv + sub, c);
	return cli_error(ERR_USAGE, "%s: unknown subcommand '%s' (%s)", argv[0], argv[sub], names);
}

const char *cli_lang(void)
{
	const char *l = getenv("IRDESK_LANG");

	return l && !strncmp(l, "en", 2) ? "en" : "ja";
}

int cli_load_catalog(struct cli *c)
{
	const char *dir = c->catalog_dir;

	if (!dir)
		dir = getenv("IRDESK_CATALOG");
	if (!dir || !*dir || c->catalog)
		return 0;
	if (catalog_load(dir, &c->catalog, NULL, &c->err)) {
		if (c->err.code == ERR_PARSE) {
			char what[ERR_MSG_MAX];
			snprintf(what, sizeof(what), "%s", err_msg(&c->err));
			err_set(&c->err, ERR_PARSE, "%s (irdesk catalog check %.200s names them)", what,
				dir);
		}
		return cli_fail(c);
	}
	catalog_set_active(c->catalog);
	return 0;
}

static int open_common(struct cli *c, int flags)
{
	const char *url = c->db_url;
	const char *zone = c->tz_name;
	int rc;

	err_clear(&c->err);
	if ((rc = cli_load_catalog(c)))
		return rc;
	if (!url)
		url = getenv("IRDESK_DB");
	if (!url || !*url)
		url = CLI_DEFAULT_DB;
	c->db_url = url;
	if (!zone)
		zone = getenv("IRDESK_TZ");
	if (!zone || !*zone)
		zone = CLI_DEFAULT_TZ;
	if (!c->tz && tz_load(zone, &c->tz, &c->err))
		return cli_fail(c);
	if (store_open(url, flags, &c->st, &c->err))
		return cli_fail(c);
	if (c->as_user) {
		if (actor_for_user(c->st, c->as_user, c->tz, &c->actor, &c->err))
			return cli_fail(c);
	} else {
		actor_local(&c->actor, c->tz);
	}
	return 0;
}

int cli_open(struct cli *c) { return open_common(c, 0); }
int cli_open_create(struct cli *c) { return open_common(c, STORE_CREATE); }

void cli_close(struct cli *c)
{
	store_close(c->st);
	c->st = NULL;
	tz_free(c->tz);
	c->tz = NULL;
	if (c->catalog) {
		catalog_set_active(NULL);
		catalog_free(c->catalog);
		c->catalog = NULL;
	}
}

/* Print "irdesk: MSG[suffix]" as one line: control characters from user
 * input quoted in the message become spaces. */
static void print_error_line(const char *msg, const char *suffix)
{
	char line[ERR_MSG_MAX + 64];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "irdesk: %s%s", msg, suffix);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = ' ';
	fprintf(stderr, "%s\n", line);
}

int cli_fail(struct cli *c)
{
	int code = c->err.code ? c->err.code : ERR_INTERNAL;
	print_error_line(err_msg(&c->err), "");
	return err_exit_code(code);
}

int cli_error(int code, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_error_line(msg, "");
	return err_exit_code(code);
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* One line, as every error: the usage is one --help away. */
	print_error_line(msg, usage && *usage ? " (see --help)" : "");
	return err_exit_code(ERR_USAGE);
}

const char *cli_time(struct cli *c, int64_t t, char out[64])
{
	if (!t) {
		out[0] = '\0';
		return out;
	}
	time_format_human(t, c->tz, out);
	return out;
}

int cli_read_secret(const char *prompt, char *out, size_t size)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO);
	size_t n;

	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	if (!fgets(out, (int)size, stdin))
		out[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return 0;
}

/* Tables */

struct table {
	int ncols;
	int nrows;
	int cap;
	char **cells; /* row-major, row 0 is the header */
	int *maxw;
};

struct table *table_new(int ncols, const char *const *headers)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	t->maxw = calloc((size_t)ncols, sizeof(int));
	if (!t->maxw) {
		free(t);
		return NULL;
	}
	table_add(t, headers);
	return t;
}

void table_add(struct table *t, const char *const *cells)
{
	if (!t)
		return;
	if (t->nrows == t->cap) {
		int ncap = t->cap ? t->cap * 2 : 16;
		char **p = realloc(t->cells, sizeof(char *) * (size_t)ncap * (size_t)t->ncols);
		if (!p)
			return;
		t->cells = p;
		t->cap = ncap;
	}
	for (int i = 0; i < t->ncols; i++) {
		const char *s = cells[i] ? cells[i] : "";
		char *d = strdup(s);
		/* A cell is one line: newlines and tabs become spaces. */
		for (char *q = d; q && *q; q++)
			if (*q == '\n' || *q == '\r' || *q == '\t')
				*q = ' ';
		t->cells[t->nrows * t->ncols + i] = d;
	}
	t->nrows++;
}

void table_max_width(struct table *t, int col, int width)
{
	if (t && col >= 0 && col < t->ncols)
		t->maxw[col] = width;
}

/* Display width of one code point: 2 for East Asian wide and fullwidth forms. */
static int cp_width(uint32_t cp)
{
	/* Combining marks and zero-width characters take no column. */
	if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x1ab0 && cp <= 0x1aff) ||
	    (cp >= 0x1dc0 && cp <= 0x1dff) || (cp >= 0x20d0 && cp <= 0x20ff) ||
	    (cp >= 0xfe20 && cp <= 0xfe2f) || cp == 0x3099 || cp == 0x309a ||
	    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f))
		return 0;
	if (cp < 0x1100)
		return 1;
	if ((cp <= 0x115f) || cp == 0x2329 || cp == 0x232a ||
	    (cp >= 0x2e80 && cp <= 0xa4cf && cp != 0x303f) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ||
	    (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

/* Decode one UTF-8 code point at s (assumed valid); returns its length. */
static int cp_next(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if ((u[0] & 0xe0) == 0xc0 && u[1]) {
		*cp = ((uint32_t)(u[0] & 0x1f) << 6) | (u[1] & 0x3f);
		return 2;
	}
	if ((u[0] & 0xf0) == 0xe0 && u[1] && u[2]) {
		*cp = ((uint32_t)(u[0] & 0x0f) << 12) | ((uint32_t)(u[1] & 0x3f) << 6) | (u[2] & 0x3f);
		return 3;
	}
	if ((u[0] & 0xf8) == 0xf0 && u[1] && u[2] && u[3]) {
		*cp = ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3f) << 12) |
		      ((uint32_t)(u[2] & 0x3f) << 6) | (u[3] & 0x3f);
		return 4;
	}
	*cp = 0xfffd;
	return 1;
}

static int str_width(const char *s)
{
	int w = 0;
	uint32_t cp;

	while (*s) {
		s += cp_next(s, &cp);
		w += cp_width(cp);
	}
	return w;
}

/* Print s padded to width columns, cut with "…" when longer than limit. */
static void print_cell(FILE *out, const char *s, int width, int limit, int pad)
{
	int w = 0;
	uint32_t cp;

	while (*s) {
		int n = cp_next(s, &cp), cw = cp_width(cp);
		if (limit && w + cw > limit - 1 && str_width(s) + w > limit) {
			fputs("…", out);
			w += 1;
			break;
		}
		fwrite(s, 1, (size_t)n, out);
		w += cw;
		s += n;
	}
	if (pad)
		for (; w < width; w++)
			fputc(' ', out);
}

void table_print(struct table *t, FILE *out)
{
	int *width;

	if (!t)
		return;
	width = calloc((size_t)t->ncols, sizeof(int));
	if (!width)
		return;
	for (int r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			int w = str_width(t->cells[r * t->ncols + c]);
			if (t->maxw[c] && w > t->maxw[c])
				w = t->maxw[c];
			if (w > width[c])
				width[c] = w;
		}
	}
	for (int r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			int last = c == t->ncols - 1;
			print_cell(out, t->cells[r * t->ncols + c], width[c], t->maxw[c], !last);
			if (!last)
				fputs("  ", out);
		}
		fputc('\n', out);
	}
	free(width);
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->maxw);
	free(t);
}
