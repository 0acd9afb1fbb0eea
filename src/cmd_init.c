/*
 * cmd_init.c: `irdesk init`: create the database and its folder, the
 * evidence folder, and the first administrator account, whose one-time
 * password is printed once. `--if-needed` makes it a quiet no-op on an
 * initialised database, so `make run` can call it every time.
 */
#include "cli.h"
#include "cmds.h"
#include "ir/audit.h"
#include "ir/user.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/json.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char usage_init[] =
	"usage: irdesk init [--if-needed] [--var DIR]\n"
	"\n"
	"Create the database, the folder it lives in and the evidence folder (both\n"
	"readable by the owner only), and the 'admin' account. The admin's one-time\n"
	"password is printed once; it must be changed at the first sign-in.\n"
	"An already initialised database is an error (exit 4) unless --if-needed.\n"
	"\n"
	"options:\n"
	"  --if-needed   do nothing, quietly, when the database is already initialised\n"
	"  --var DIR     keep evidence in DIR/evidence (default: beside the database file)\n"
	CLI_COMMON_HELP;

enum { OPT_IF_NEEDED = OPT__FIRST_CMD, OPT_VAR };

#define ADMIN_NAME "admin"

struct init_opts {
	int if_needed;
	const char *var;
};

static int init_opt(void *ctx, int opt, const char *arg)
{
	struct init_opts *o = ctx;

	if (opt == OPT_IF_NEEDED)
		o->if_needed = 1;
	else if (opt == OPT_VAR)
		o->var = arg;
	return 0;
}

/* 1 when arg is -h or --help (or a prefix of it getopt would accept). */
static int is_help(const char *arg)
{
	size_t n = strlen(arg);

	if (strcmp(arg, "-h") == 0)
		return 1;
	return n >= 3 && n <= 6 && strncmp("--help", arg, n) == 0;
}

/*
 * The file path of a SQLite database URL as store_open() reads it
 * ("sqlite:PATH", or a bare path), or NULL for another backend.
 */
static const char *sqlite_path(const char *url)
{
	if (strncmp(url, "sqlite:", 7) == 0)
		return url + 7;
	if (!strchr(url, ':') || (strchr(url, '/') && strncmp(url, "postgres", 8) != 0))
		return url;
	return NULL;
}

/* The folder part of path ("." when there is none) into b. */
static void dir_of(const char *path, struct buf *b)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		buf_adds(b, ".");
	else if (slash == path)
		buf_adds(b, "/");
	else
		buf_add(b, path, (size_t)(slash - path));
}

/* 1 when the database has been initialised (or has accounts anyway), else 0. */
static int initialised(struct store *st, int *yes, struct err *e)
{
	struct stmt *s;
	int64_t n;
	int rc;

	*yes = 0;
	rc = store_prepare(st, "SELECT value FROM meta WHERE key = 'initialised_at'", &s, e);
	if (rc)
		return rc;
	rc = stmt_step(s, e);
	stmt_done(s);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		*yes = 1;
		return 0;
	}
	rc = user_count(st, &n, e);
	if (!rc)
		*yes = n > 0;
	return rc;
}

/* Record when and with which evidence folder the database was set up. Audited. */
static int record_init(struct cli *c, const char *db_shown, const char *evidence)
{
	struct err *e = &c->err;
	struct stmt *s;
	json_t *after = json_object();
	char at[32];
	int rc;

	if (!after)
		return err_set(e, ERR_NOMEM, "out of memory");
	snprintf(at, sizeof(at), "%" PRId64, c->actor.now);
	json_set_str(after, "initialised_at", at);
	json_set_str(after, "evidence_dir", evidence);
	rc = store_begin(c->st, e);
	if (rc)
		goto out;
	rc = store_prepare(c->st, "INSERT INTO meta (key, value) VALUES ('initialised_at', ?), "
				  "('evidence_dir', ?)", &s, e);
	if (!rc) {
		stmt_bind_text(s, 1, at);
		stmt_bind_text(s, 2, evidence);
		rc = stmt_exec(s, e);
	}
	if (!rc)
		rc = audit_append(c->st, &c->actor, "store.init", "store", db_shown, NULL, after, e);
	if (!rc)
		rc = store_commit(c->st, e);
	if (rc)
		store_rollback(c->st);
out:
	json_decref(after);
	return rc;
}

int cmd_init(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "if-needed", no_argument, NULL, OPT_IF_NEEDED },
		{ "var", required_argument, NULL, OPT_VAR },
		{ NULL, 0, NULL, 0 },
	};
	struct init_opts o = { 0 };
	struct user_new nu = { 0 };
	struct user admin = { 0 };
	struct buf dbdir = BUF_INIT, evidence = BUF_INIT;
	char otp[USER_OTP_LEN + 1] = "";
	const char *url, *path, *shown;
	char redacted[512];
	int rc, done;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (is_help(argv[i])) {
			fputs(usage_init, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--var") == 0 || strcmp(argv[i], "--db") == 0 ||
		    strcmp(argv[i], "--as") == 0 || strcmp(argv[i], "--tz") == 0)
			i++;
	}
	/* An empty usage keeps cli_parse's errors to one line. */
	rc = cli_parse(c, argc, argv, opts, "", init_opt, &o);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return cli_error(ERR_USAGE, "init: unexpected argument '%s'", argv[optind]);
	if (c->as_user)
		return cli_error(ERR_USAGE, "init: --as cannot be used: init acts as the local operator");
	if (o.var && !*o.var)
		return cli_error(ERR_USAGE, "init: --var needs a folder name");

	/* The same choice of database as cli_open() makes. */
	url = c->db_url;
	if (!url || !*url)
		url = getenv("IRDESK_DB");
	if (!url || !*url)
		url = CLI_DEFAULT_DB;
	c->db_url = url;
	path = sqlite_path(url);
	/* A password in a postgres:// URL goes into neither the output nor the audit log. */
	store_url_redact(url, redacted, sizeof(redacted));
	shown = path ? path : redacted;

	if (path) {
		dir_of(path, &dbdir);
		if (!buf_error(&dbdir) && !fs_exists(dbdir.data) &&
		    fs_mkdirs(dbdir.data, 0700, &c->err)) {
			rc = cli_fail(c);
			goto out;
		}
	}
	if (o.var) {
		size_t n = strlen(o.var);
		while (n > 1 && o.var[n - 1] == '/')
			n--;
		buf_add(&evidence, o.var, n);
	} else {
		buf_adds(&evidence, path ? dbdir.data : "var");
	}
	buf_adds(&evidence, strcmp(evidence.data, "/") == 0 ? "evidence" : "/evidence");
	if (buf_error(&dbdir) || buf_error(&evidence)) {
		rc = cli_error(ERR_NOMEM, "out of memory");
		goto out;
	}

	rc = cli_open_create(c);
	if (rc)
		goto out;
	if (initialised(c->st, &done, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}
	if (done) {
		rc = 0;
		if (!o.if_needed)
			rc = cli_error(ERR_CONFLICT, "database %s is already initialised", shown);
		goto out;
	}
	nu.username = ADMIN_NAME;
	nu.display_name = "Administrator";
	nu.role = ROLE_ADMIN;
	if (fs_mkdirs(evidence.data, 0700, &c->err) ||
	    user_add(c->st, &c->actor, &nu, otp, &admin, &c->err) ||
	    record_init(c, shown, evidence.data)) {
		rc = cli_fail(c);
		goto out;
	}

	if (c->json) {
		json_t *j = json_object(), *a = user_to_json(&admin);

		if (!j || !a) {
			json_decref(j);
			json_decref(a);
			rc = cli_error(ERR_NOMEM, "out of memory");
			goto out;
		}
		json_set_str(j, "database", shown);
		json_set_str(j, "evidence_dir", evidence.data);
		json_object_set_new(j, "admin", a);
		json_set_str(j, "one_time_password", otp);
		rc = json_print(j) ? cli_error(ERR_IO, "cannot write output") : 0;
		json_decref(j);
	} else {
		printf("irdesk initialised: database %s\n"
		       "admin one-time password: %s (shown once; change it at first sign-in)\n",
		       shown, otp);
		rc = 0;
	}
out:
	explicit_bzero(otp, sizeof(otp));
	user_release(&admin);
	buf_release(&dbdir);
	buf_release(&evidence);
	return rc;
}
