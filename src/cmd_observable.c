/*
 * cmd_observable.c: `irdesk observable add|extract|list|set|remove|search`:
 * the observables of incidents (ir/observable.h).
 */
#include "cli.h"
#include "cmds.h"
#include "ir/observable.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

static const char usage_observable[] =
	"usage: irdesk observable add ID VALUE [--type TYPE] [--tlp TLP] [--ioc] [--comment TEXT]\n"
	"       irdesk observable extract ID [FILE] [--tlp TLP] [--ioc] [--dry-run]\n"
	"       irdesk observable list ID\n"
	"       irdesk observable set ID OBS [--tlp TLP] [--ioc | --no-ioc] [--comment TEXT]\n"
	"       irdesk observable remove ID OBS\n"
	"       irdesk observable search VALUE\n"
	"\n"
	"Observables are typed values of an incident: ip, cidr, domain, hostname, url,\n"
	"email, md5, sha1, sha256, sha512, filename, registry_key, user_agent, other.\n"
	"Values are normalised (defanged forms like hxxp:// and [.] are accepted); the\n"
	"type is guessed when --type is not given. extract reads text (FILE, or standard\n"
	"input) and adds every url, domain, e-mail address, public IPv4 address and hash\n"
	"in it. Observables flagged --ioc form the detection watchlist \"observables\".\n"
	"\n"
	"options:\n"
	"  --type TYPE     the observable's type (default: guessed)\n"
	"  --tlp TLP       TLP:RED, TLP:AMBER+STRICT, TLP:AMBER, TLP:GREEN, TLP:CLEAR\n"
	"                  (default: the incident's)\n"
	"  --ioc, --no-ioc flag as an indicator of compromise, or not\n"
	"  --comment TEXT  a note (at most 1000 characters)\n"
	"  --dry-run       extract: print what would be added, change nothing\n"
	CLI_COMMON_HELP;

enum { O_TYPE = OPT__FIRST_CMD, O_TLP, O_IOC, O_NO_IOC, O_COMMENT, O_DRY };

struct opts {
	const char *type, *tlp, *comment;
	int ioc, dry;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct opts *o = ctx;

	switch (opt) {
	case O_TYPE: o->type = arg; break;
	case O_TLP: o->tlp = arg; break;
	case O_IOC: o->ioc = 1; break;
	case O_NO_IOC: o->ioc = 0; break;
	case O_COMMENT: o->comment = arg; break;
	case O_DRY: o->dry = 1; break;
	}
	return 0;
}

/* Parse options and min..max operands, open the store; -1 to go on, else an exit code. */
static int parse(struct cli *c, int argc, char **argv, struct opts *o, const char **ops,
		 int min, int max, const char *what)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "type", required_argument, NULL, O_TYPE },
		{ "tlp", required_argument, NULL, O_TLP },
		{ "ioc", no_argument, NULL, O_IOC },
		{ "no-ioc", no_argument, NULL, O_NO_IOC },
		{ "comment", required_argument, NULL, O_COMMENT },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ NULL, 0, NULL, 0 },
	};
	int nops, rc;

	memset(o, 0, sizeof(*o));
	o->ioc = -1;
	rc = cli_parse_operands(c, argc, argv, opts, usage_observable, on_opt, o, ops, max, &nops);
	if (rc >= 0)
		return rc;
	if (nops < min)
		return cli_usage_error(usage_observable, "observable %s: expected %s", argv[0], what);
	rc = cli_open(c);
	return rc ? rc : -1;
}

static int print_json(json_t *v)
{
	int rc = json_print(v) ? cli_error(ERR_IO, "cannot write output") : 0;

	json_decref(v);
	return rc;
}

static void print_table(json_t *list)
{
	static const char *const hdr[] = { "OBS", "INCIDENT", "TYPE", "VALUE", "TLP", "IOC",
					   "SEEN ON" };
	struct table *t = table_new(7, hdr);
	size_t i, k;
	json_t *v, *h;

	json_array_foreach(list, i, v) {
		struct buf seen = BUF_INIT;
		char id[32];

		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(v, "id")));
		json_array_foreach(json_object_get(v, "sightings"), k, h)
			buf_addf(&seen, "%s%s", k ? " " : "", json_string_value(h));
		const char *row[] = { id, json_str(v, "incident"), json_str(v, "type"),
				      json_str(v, "display"), json_str(v, "tlp"),
				      json_is_true(json_object_get(v, "ioc")) ? "yes" : "no",
				      seen.data };
		table_add(t, row);
		buf_release(&seen);
	}
	table_max_width(t, 3, 70);
	if (json_array_size(list))
		table_print(t, stdout);
	else
		printf("no observables\n");
	table_free(t);
}

static int parse_obs_id(const char *s, int64_t *id)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (!*s || *end || v < 1)
		return cli_error(ERR_USAGE, "'%.40s' is not an observable number", s);
	*id = v;
	return 0;
}

static int obs_add_cmd(int argc, char **argv, struct cli *c)
{
	struct observable_new n = { 0 };
	struct opts o;
	const char *ops[2];
	json_t *out = NULL;
	int rc = parse(c, argc, argv, &o, ops, 2, 2, "ID and VALUE");

	if (rc >= 0)
		return rc;
	n.type = o.type;
	n.value = ops[1];
	n.tlp = o.tlp;
	n.ioc = o.ioc > 0;
	n.comment = o.comment;
	if (observable_add(c->st, &c->actor, ops[0], &n, &out, &c->err))
		return cli_fail(c);
	if (c->json)
		return print_json(out);
	printf("added observable %lld to %s: %s %s\n",
	       (long long)json_integer_value(json_object_get(out, "id")), json_str(out, "incident"),
	       json_str(out, "type"), json_str(out, "display"));
	json_decref(out);
	return 0;
}

static int read_input(const char *path, struct buf *b, struct err *e)
{
	char chunk[8192];
	size_t n;

	if (path && strcmp(path, "-") != 0)
		return fs_read_file(path, b, e);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		buf_add(b, chunk, n);
		if (b->len > OBSERVABLE_TEXT_MAX)
			return err_set(e, ERR_TOOLONG, "input: longer than %d bytes", OBSERVABLE_TEXT_MAX);
	}
	return ferror(stdin) ? err_set(e, ERR_IO, "standard input: read error") : 0;
}

static int obs_extract_cmd(int argc, char **argv, struct cli *c)
{
	struct buf text = BUF_INIT;
	struct opts o;
	const char *ops[2] = { NULL, NULL };
	json_t *out = NULL;
	int rc = parse(c, argc, argv, &o, ops, 1, 2, "ID");

	if (rc >= 0)
		return rc;
	if (read_input(ops[1], &text, &c->err)) {
		buf_release(&text);
		return cli_fail(c);
	}
	rc = o.dry ? observable_extract(text.data, text.len, &out, &c->err)
		   : observable_add_text(c->st, &c->actor, ops[0], text.data, o.tlp, o.ioc > 0, &out,
					 &c->err);
	buf_release(&text);
	if (rc)
		return cli_fail(c);
	if (c->json)
		return print_json(out);
	if (o.dry) {
		size_t i;
		json_t *v;
		json_array_foreach(out, i, v)
			printf("%s %s\n", json_str(v, "type"), json_str(v, "value"));
	} else {
		printf("added %zu observables to %s (%zu already there)\n",
		       json_array_size(json_object_get(out, "added")), ops[0],
		       json_array_size(json_object_get(out, "existing")));
		print_table(json_object_get(out, "added"));
	}
	json_decref(out);
	return 0;
}

/* list and search: one operand, a JSON array of observables to print. */
static int run_list(int argc, char **argv, struct cli *c, const char *what,
		    int (*fn)(struct store *, const struct actor *, const char *, json_t **,
			      struct err *))
{
	struct opts o;
	const char *ops[1];
	json_t *out = NULL;
	int rc = parse(c, argc, argv, &o, ops, 1, 1, what);

	if (rc >= 0)
		return rc;
	if (fn(c->st, &c->actor, ops[0], &out, &c->err))
		return cli_fail(c);
	if (c->json)
		return print_json(out);
	print_table(out);
	json_decref(out);
	return 0;
}

static int obs_list_cmd(int argc, char **argv, struct cli *c)
{
	return run_list(argc, argv, c, "ID", observable_list);
}

static int obs_set_cmd(int argc, char **argv, struct cli *c)
{
	struct observable_patch p;
	struct opts o;
	const char *ops[2];
	json_t *out = NULL;
	int64_t id;
	int rc = parse(c, argc, argv, &o, ops, 2, 2, "ID and OBS");

	if (rc >= 0)
		return rc;
	if ((rc = parse_obs_id(ops[1], &id)))
		return rc;
	if (!o.tlp && o.ioc < 0 && !o.comment)
		return cli_usage_error(usage_observable, "observable set: nothing to change "
				       "(--tlp, --ioc, --no-ioc or --comment)");
	p.tlp = o.tlp;
	p.ioc = o.ioc;
	p.comment = o.comment;
	if (observable_update(c->st, &c->actor, ops[0], id, &p, &out, &c->err))
		return cli_fail(c);
	if (c->json)
		return print_json(out);
	printf("changed observable %lld on %s\n", (long long)id, json_str(out, "incident"));
	json_decref(out);
	return 0;
}

static int obs_remove_cmd(int argc, char **argv, struct cli *c)
{
	struct opts o;
	const char *ops[2];
	int64_t id;
	int rc = parse(c, argc, argv, &o, ops, 2, 2, "ID and OBS");

	if (rc >= 0)
		return rc;
	if ((rc = parse_obs_id(ops[1], &id)))
		return rc;
	if (observable_remove(c->st, &c->actor, ops[0], id, &c->err))
		return cli_fail(c);
	if (!c->json)
		printf("removed observable %lld from %s\n", (long long)id, ops[0]);
	return c->json ? print_json(json_pack("{s:I,s:s}", "removed", (json_int_t)id, "incident",
					      ops[0])) : 0;
}

static int obs_search_cmd(int argc, char **argv, struct cli *c)
{
	return run_list(argc, argv, c, "VALUE", observable_search);
}

static const struct cli_subcommand subcommands[] = {
	{ "add", obs_add_cmd },       { "extract", obs_extract_cmd }, { "list", obs_list_cmd },
	{ "set", obs_set_cmd },       { "remove", obs_remove_cmd },   { "search", obs_search_cmd },
};

int cmd_observable(int argc, char **argv, struct cli *c)
{
	return cli_dispatch(c, argc, argv, subcommands, sizeof(subcommands) / sizeof(subcommands[0]),
			    usage_observable);
}
