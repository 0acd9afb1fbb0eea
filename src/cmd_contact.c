/*
 * cmd_contact.c: `irdesk contact add|list|show|edit|remove|import|export`:
 * the contact directory from the command line, CSV in and out.
 */
#include "cli.h"
#include "cmds.h"
#include "ir/contact.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

static const char usage_main[] =
	"usage: irdesk contact add NAME --scope internal|external --category CAT [FIELDS]\n"
	"       irdesk contact list [--category CAT] [--on-call]\n"
	"       irdesk contact show ID\n"
	"       irdesk contact edit ID [FIELDS]\n"
	"       irdesk contact remove ID\n"
	"       irdesk contact import FILE|-\n"
	"       irdesk contact export [FILE]\n"
	"\nfields:\n"
	"  --name TEXT --org TEXT --scope internal|external --category CAT --roles A,B\n"
	"  --email ADDR --phone NUMBER --channel TEXT --on-call yes|no --notes TEXT\n"
	"categories: jpcert, police, ppc, isp, vendor, partner, customer, legal, pr,\n"
	"  management, it, other\n"
	"CSV (RFC 4180, UTF-8) has a header row naming the columns: name, organisation,\n"
	"scope, category, roles, email, phone, channel, on_call, notes. An import checks\n"
	"every row first and adds all of them or none.\n"
	"\noptions:\n" CLI_COMMON_HELP;

enum { O_NAME = OPT__FIRST_CMD, O_ORG, O_SCOPE, O_CATEGORY, O_ROLES, O_EMAIL, O_PHONE,
       O_CHANNEL, O_ONCALL, O_NOTES, O_ONCALL_ONLY };

struct opts {
	struct contact_fields f;
	int on_call_only;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct opts *o = ctx;

	switch (opt) {
	case O_NAME: o->f.name = arg; return 0;
	case O_ORG: o->f.organisation = arg; return 0;
	case O_SCOPE: o->f.scope = arg; return 0;
	case O_CATEGORY: o->f.category = arg; return 0;
	case O_ROLES: o->f.roles = arg; return 0;
	case O_EMAIL: o->f.email = arg; return 0;
	case O_PHONE: o->f.phone = arg; return 0;
	case O_CHANNEL: o->f.channel = arg; return 0;
	case O_ONCALL: o->f.on_call = arg; return 0;
	case O_NOTES: o->f.notes = arg; return 0;
	case O_ONCALL_ONLY: o->on_call_only = 1; return 0;
	}
	return 2;
}

static int parse(struct cli *c, int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "name", required_argument, NULL, O_NAME },
		{ "org", required_argument, NULL, O_ORG },
		{ "organisation", required_argument, NULL, O_ORG },
		{ "scope", required_argument, NULL, O_SCOPE },
		{ "category", required_argument, NULL, O_CATEGORY },
		{ "roles", required_argument, NULL, O_ROLES },
		{ "email", required_argument, NULL, O_EMAIL },
		{ "phone", required_argument, NULL, O_PHONE },
		{ "channel", required_argument, NULL, O_CHANNEL },
		{ "on-call", required_argument, NULL, O_ONCALL },
		{ "notes", required_argument, NULL, O_NOTES },
		{ "on-call-only", no_argument, NULL, O_ONCALL_ONLY },
		{ 0, 0, 0, 0 },
	};
	memset(o, 0, sizeof(*o));
	return cli_parse(c, argc, argv, longopts, usage_main, on_opt, o);
}

static int parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (!*s || *end || v < 1)
		return cli_error(ERR_USAGE, "'%.40s' is not a contact number", s);
	*id = v;
	return 0;
}

static void print_list(json_t *list)
{
	static const char *const hdr[] = { "ID", "ON CALL", "NAME", "ORGANISATION", "SCOPE",
					   "CATEGORY", "EMAIL", "PHONE" };
	struct table *t = table_new(8, hdr);
	size_t k;
	json_t *v;

	json_array_foreach(list, k, v) {
		char id[32];
		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(v, "id")));
		const char *row[] = { id, json_is_true(json_object_get(v, "on_call")) ? "yes" : "",
				      json_str(v, "name"), json_str(v, "organisation"),
				      json_str(v, "scope"), json_str(v, "category"),
				      json_str(v, "email"), json_str(v, "phone") };
		table_add(t, row);
	}
	table_max_width(t, 2, 40);
	table_max_width(t, 3, 40);
	if (json_array_size(list))
		table_print(t, stdout);
	else
		printf("no contacts\n");
	table_free(t);
}

static void print_one(json_t *v)
{
	static const char *const keys[] = { "name", "organisation", "scope", "category", "roles",
					    "email", "phone", "channel", "notes", NULL };

	printf("contact %lld\n", (long long)json_integer_value(json_object_get(v, "id")));
	for (int i = 0; keys[i]; i++)
		if (json_str(v, keys[i]) && *json_str(v, keys[i]))
			printf("  %-13s %s\n", keys[i], json_str(v, keys[i]));
	printf("  %-13s %s\n", "on_call", json_is_true(json_object_get(v, "on_call")) ? "yes" : "no");
}

/* Print v (stolen) as JSON or for people. */
static int emit(struct cli *c, json_t *v, const char *verb)
{
	int rc = 0;

	if (c->json)
		rc = json_print(v) ? cli_error(ERR_IO, "cannot write output") : 0;
	else if (verb)
		printf("%s contact %lld: %s\n", verb,
		       (long long)json_integer_value(json_object_get(v, "id")), json_str(v, "name"));
	else if (json_is_array(v))
		print_list(v);
	else
		print_one(v);
	json_decref(v);
	return rc;
}

static int read_input(const char *path, struct buf *b)
{
	struct err e;

	err_clear(&e);
	buf_init(b, CONTACT_IMPORT_MAX);
	if (strcmp(path, "-") == 0) {
		char chunk[8192];
		size_t n;
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			buf_add(b, chunk, n);
		if (buf_error(b))
			return cli_error(ERR_TOOLONG, "standard input: CSV too large (at most %d bytes)",
					 CONTACT_IMPORT_MAX);
		return 0;
	}
	if (fs_read_file(path, b, &e))
		return cli_error(e.code, "%s", err_msg(&e));
	return 0;
}

static int do_import(struct cli *c, const char *path)
{
	struct buf b;
	int rc, n = 0;

	if ((rc = read_input(path, &b)))
		return rc;
	if ((rc = cli_open(c)) == 0 && contact_import(c->st, &c->actor, b.data, b.len, &n, &c->err))
		rc = cli_fail(c);
	buf_release(&b);
	if (rc)
		return rc;
	if (c->json)
		printf("{\"imported\": %d}\n", n);
	else
		printf("imported %d contact%s\n", n, n == 1 ? "" : "s");
	return 0;
}

static int do_export(struct cli *c, const char *path)
{
	struct buf b = BUF_INIT;
	FILE *f = stdout;
	int rc;

	if ((rc = cli_open(c)))
		return rc;
	if (contact_export(c->st, &c->actor, &b, &c->err)) {
		buf_release(&b);
		return cli_fail(c);
	}
	if (path && strcmp(path, "-") != 0 && !(f = fopen(path, "w")))
		rc = cli_error(ERR_IO, "%s: cannot write", path);
	if (!rc && (fwrite(b.data, 1, b.len, f) != b.len || (f != stdout && fclose(f) != 0)))
		rc = cli_error(ERR_IO, "%s: cannot write", path ? path : "standard output");
	buf_release(&b);
	return rc;
}

/* Parse the subcommand's options; *nops operands start at argv[optind]. */
static int parse_sub(struct cli *c, int argc, char **argv, struct opts *o, int *nops)
{
	int rc = parse(c, argc, argv, o);

	*nops = argc - optind;
	return rc;
}

static int contact_list_cmd(int argc, char **argv, struct cli *c)
{
	struct opts o;
	json_t *out = NULL;
	int nops, rc = parse_sub(c, argc, argv, &o, &nops);
	struct contact_filter f = { o.f.category, o.on_call_only };

	if (rc >= 0)
		return rc;
	if (nops)
		return cli_usage_error(usage_main, "contact list: no operands expected");
	if ((rc = cli_open(c)))
		return rc;
	if (contact_list(c->st, &c->actor, &f, &out, &c->err))
		return cli_fail(c);
	return emit(c, out, NULL);
}

static int contact_import_cmd(int argc, char **argv, struct cli *c)
{
	struct opts o;
	int nops, rc = parse_sub(c, argc, argv, &o, &nops);

	if (rc >= 0)
		return rc;
	if (nops != 1)
		return cli_usage_error(usage_main, "contact import: expected one FILE (- for standard input)");
	return do_import(c, argv[optind]);
}

static int contact_export_cmd(int argc, char **argv, struct cli *c)
{
	struct opts o;
	int nops, rc = parse_sub(c, argc, argv, &o, &nops);

	if (rc >= 0)
		return rc;
	if (nops > 1)
		return cli_usage_error(usage_main, "contact export: at most one FILE");
	return do_export(c, nops ? argv[optind] : NULL);
}

static int contact_add_cmd(int argc, char **argv, struct cli *c)
{
	struct opts o;
	json_t *out = NULL;
	int nops, rc = parse_sub(c, argc, argv, &o, &nops);

	if (rc >= 0)
		return rc;
	if (nops > 1 || (nops == 0 && !o.f.name))
		return cli_usage_error(usage_main, "contact add: expected one NAME");
	if (nops)
		o.f.name = argv[optind];
	if ((rc = cli_open(c)))
		return rc;
	if (contact_add(c->st, &c->actor, &o.f, &out, &c->err))
		return cli_fail(c);
	return emit(c, out, "added");
}

/* show, edit and remove: one contact number. */
static int contact_one_cmd(int argc, char **argv, struct cli *c)
{
	const char *sub = argv[0];
	struct opts o;
	json_t *out = NULL;
	int64_t id = 0;
	int nops, rc = parse_sub(c, argc, argv, &o, &nops);

	if (rc >= 0)
		return rc;
	if (nops != 1)
		return cli_usage_error(usage_main, "contact %s: expected one contact number", sub);
	if ((rc = parse_id(argv[optind], &id)) || (rc = cli_open(c)))
		return rc;
	if (strcmp(sub, "show") == 0)
		rc = contact_get(c->st, &c->actor, id, &out, &c->err);
	else if (strcmp(sub, "edit") == 0)
		rc = contact_update(c->st, &c->actor, id, &o.f, &out, &c->err);
	else
		rc = contact_remove(c->st, &c->actor, id, &c->err);
	if (rc)
		return cli_fail(c);
	if (strcmp(sub, "remove") == 0) {
		if (c->json)
			printf("{\"removed\": %lld}\n", (long long)id);
		else
			printf("removed contact %lld\n", (long long)id);
		return 0;
	}
	return emit(c, out, strcmp(sub, "edit") == 0 ? "changed" : NULL);
}

int cmd_contact(int argc, char **argv, struct cli *c)
{
	static const struct cli_subcommand subs[] = {
		{ "add", contact_add_cmd },       { "list", contact_list_cmd },
		{ "show", contact_one_cmd },      { "edit", contact_one_cmd },
		{ "remove", contact_one_cmd },    { "import", contact_import_cmd },
		{ "export", contact_export_cmd },
	};
	return cli_dispatch(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), usage_main);
}
