/*
 * cmd_audit.c: `irdesk audit log|verify|anchor`: list the audit log, check
 * its hash chain (optionally against an anchor kept elsewhere), and print
 * the head of the chain for safekeeping.
 */
#include "cli.h"
#include "cmds.h"
#include "ir/audit.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/time.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char usage_audit[] =
	"usage: irdesk audit log [--object TYPE[:ID]] [--actor NAME] [--limit N] [--since-seq N]\n"
	"       irdesk audit verify [--anchor SEQ:HASH]\n"
	"       irdesk audit anchor\n"
	"\n"
	"Read and verify the tamper-evident audit log.\n"
	"\n"
	"subcommands:\n"
	"  log      list audit rows, newest first\n"
	"  verify   check the hash chain; exit 4 when it is broken\n"
	"  anchor   print the head of the chain (SEQ:HASH) to keep somewhere safe\n"
	"\n"
	"options:\n" CLI_COMMON_HELP
	"\nRun 'irdesk audit SUBCOMMAND --help' for a subcommand's options.\n";

static const char usage_log[] =
	"usage: irdesk audit log [--object TYPE[:ID]] [--actor NAME] [--limit N] [--since-seq N]\n"
	"\n"
	"List audit rows, newest first; with --since-seq, the rows after N, oldest first.\n"
	"\n"
	"options:\n"
	"  --object TYPE[:ID]  only rows about this object (\"incident:IR-2026-0001\", \"user\")\n"
	"  --actor NAME        only rows written by this actor (\"alice\", \"cli:root\")\n"
	"  --limit N           at most N rows (default 100, at most 10000)\n"
	"  --since-seq N       only rows after sequence number N, oldest first\n"
	CLI_COMMON_HELP;

static const char usage_verify[] =
	"usage: irdesk audit verify [--anchor SEQ:HASH]\n"
	"\n"
	"Check every row of the audit log against the hash chain. Prints\n"
	"\"audit log intact: N rows, head SEQ:HASH\", or names the first row that\n"
	"was changed, removed or reordered and exits 4. Rows cut off the end\n"
	"together with the head are only caught with an anchor kept elsewhere.\n"
	"\n"
	"options:\n"
	"  --anchor SEQ:HASH   also require row SEQ with this hash (from 'irdesk audit anchor')\n"
	CLI_COMMON_HELP;

static const char usage_anchor[] =
	"usage: irdesk audit anchor\n"
	"\n"
	"Print the head of the audit chain as SEQ:HASH. Keep it outside this\n"
	"database (a ticket, a mail, paper) and pass it to 'irdesk audit verify\n"
	"--anchor' later to prove no rows were cut off or rewritten since.\n"
	"\n"
	"options:\n" CLI_COMMON_HELP;

enum { OPT_OBJECT = OPT__FIRST_CMD, OPT_ACTOR, OPT_LIMIT, OPT_SINCE, OPT_ANCHOR };

/* Parse a whole non-negative decimal number no larger than max. */
static int parse_count(const char *s, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

static int no_operands(int argc, char **argv, const char *usage)
{
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	return -1;
}

/* Open the store and check the actor may read the audit log. */
static int open_audit(struct cli *c)
{
	int rc = cli_open(c);

	if (rc)
		return rc;
	if (authz_check(&c->actor, ACT_AUDIT_READ, &c->err))
		return cli_fail(c);
	return 0;
}

/* log */

struct log_opts {
	struct audit_filter f;
	char object[256];
	int since;
};

static int log_opt(void *ctx, int opt, const char *arg)
{
	struct log_opts *o = ctx;
	int64_t v;

	switch (opt) {
	case OPT_OBJECT: {
		char *colon;

		if (!*arg || *arg == ':' || strlen(arg) >= sizeof(o->object))
			return cli_usage_error(usage_log, "--object: expected TYPE or TYPE:ID, got '%.80s'",
					       arg);
		snprintf(o->object, sizeof(o->object), "%s", arg);
		o->f.object_type = o->object;
		o->f.object_id = NULL;
		colon = strchr(o->object, ':');
		if (colon) {
			*colon = '\0';
			o->f.object_id = colon + 1;
		}
		return 0;
	}
	case OPT_ACTOR:
		o->f.actor = arg;
		return 0;
	case OPT_LIMIT:
		if (parse_count(arg, 10000, &v) || v == 0)
			return cli_usage_error(usage_log, "--limit: expected a number from 1 to 10000, "
					       "got '%.80s'", arg);
		o->f.limit = (int)v;
		return 0;
	case OPT_SINCE:
		if (parse_count(arg, INT64_MAX, &v))
			return cli_usage_error(usage_log, "--since-seq: expected a sequence number, "
					       "got '%.80s'", arg);
		o->f.after_seq = v;
		o->since = 1;
		return 0;
	}
	return cli_usage_error(usage_log, "unknown option");
}

/* A JSON value for a summary: strings as they are, anything else compact. */
static void add_value(struct buf *b, const json_t *v)
{
	if (!v || json_is_null(v))
		buf_adds(b, "∅");
	else if (json_is_string(v))
		buf_adds(b, json_string_value(v));
	else
		json_dump_buf(v, 0, b);
}

/* The keys people look for first in a created or removed object. */
static const char *const lead_keys[] = { "title", "name", "username", "text", "type", "state" };

static int is_lead_key(const char *key)
{
	for (size_t i = 0; i < sizeof(lead_keys) / sizeof(lead_keys[0]); i++)
		if (strcmp(key, lead_keys[i]) == 0)
			return 1;
	return 0;
}

static void add_pair(struct buf *b, int *n, const char *key, const json_t *v)
{
	if (json_is_null(v) || (json_is_string(v) && !*json_string_value(v)))
		return;
	buf_adds(b, (*n)++ ? ", " : "");
	buf_addf(b, "%s=", key);
	add_value(b, v);
}

/* A whole object in one line, the telling keys first and empty ones left out. */
static void object_summary(const json_t *obj, struct buf *b)
{
	const char *key;
	json_t *v;
	int n = 0;

	if (!json_is_object(obj)) {
		add_value(b, obj);
		return;
	}
	for (size_t i = 0; i < sizeof(lead_keys) / sizeof(lead_keys[0]); i++) {
		v = json_object_get(obj, lead_keys[i]);
		if (v)
			add_pair(b, &n, lead_keys[i], v);
	}
	json_object_foreach((json_t *)obj, key, v) {
		if (!is_lead_key(key))
			add_pair(b, &n, key, v);
	}
}

/*
 * What changed, in one line: the keys whose values differ when both sides
 * are objects ("state: new→triage"), what was created ("+title=...") or
 * removed ("-..."), else both values. The table cuts it to its column width.
 */
static void change_summary(const json_t *before, const json_t *after, struct buf *b)
{
	const char *key;
	json_t *v;
	int n = 0;

	if (json_is_object(before) && json_is_object(after)) {
		json_object_foreach((json_t *)before, key, v) {
			json_t *w = json_object_get(after, key);
			if (w && json_equal(v, w))
				continue;
			buf_adds(b, n++ ? ", " : "");
			buf_addf(b, "%s: ", key);
			add_value(b, v);
			buf_adds(b, "→");
			add_value(b, w);
		}
		json_object_foreach((json_t *)after, key, v) {
			if (json_object_get(before, key))
				continue;
			buf_adds(b, n++ ? ", " : "");
			buf_addf(b, "%s: ∅→", key);
			add_value(b, v);
		}
		return;
	}
	if (json_is_null(before) && json_is_null(after))
		return;
	if (json_is_null(before)) {
		buf_adds(b, "+");
		object_summary(after, b);
		return;
	}
	if (json_is_null(after)) {
		buf_adds(b, "-");
		object_summary(before, b);
		return;
	}
	add_value(b, before);
	buf_adds(b, "→");
	add_value(b, after);
}

static void print_log(struct cli *c, const json_t *rows)
{
	static const char *const headers[] = { "SEQ", "TIME", "ACTOR", "ACTION", "OBJECT", "CHANGE" };
	struct table *t = table_new(6, headers);
	struct buf change = BUF_INIT, object = BUF_INIT;
	size_t i;
	json_t *row;

	table_max_width(t, 2, 24);
	table_max_width(t, 4, 32);
	table_max_width(t, 5, 60);
	json_array_foreach(rows, i, row) {
		char seq[24], when[64];
		int64_t at;
		const char *id = json_str(row, "object_id");
		const char *cells[6];

		snprintf(seq, sizeof(seq), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(row, "seq")));
		buf_reset(&object);
		buf_adds(&object, json_str(row, "object_type"));
		if (id && *id)
			buf_addf(&object, ":%s", id);
		buf_reset(&change);
		change_summary(json_object_get(row, "before"), json_object_get(row, "after"), &change);
		cells[0] = seq;
		cells[1] = when;
		cells[2] = json_str(row, "actor");
		cells[3] = json_str(row, "action");
		cells[4] = object.data;
		cells[5] = change.data;
		/* "at" is RFC 3339 UTC; show it in the CLI's zone. */
		if (!json_str(row, "at") || time_parse(json_str(row, "at"), NULL, 0, &at, NULL))
			at = 0;
		cli_time(c, at, when);
		table_add(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
	buf_release(&change);
	buf_release(&object);
}

static int audit_log_cmd(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "object", required_argument, NULL, OPT_OBJECT },
		{ "actor", required_argument, NULL, OPT_ACTOR },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "since-seq", required_argument, NULL, OPT_SINCE },
		{ NULL, 0, NULL, 0 },
	};
	struct log_opts o;
	json_t *rows = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = cli_parse(c, argc, argv, opts, usage_log, log_opt, &o);
	if (rc < 0)
		rc = no_operands(argc, argv, usage_log);
	if (rc >= 0)
		return rc;
	o.f.newest_first = !o.since;
	rc = open_audit(c);
	if (rc)
		return rc;
	if (audit_list(c->st, &c->actor, &o.f, &rows, &c->err))
		return cli_fail(c);
	if (c->json) {
		rc = json_print(rows) ? cli_error(ERR_IO, "cannot write output") : 0;
	} else if (json_array_size(rows) == 0) {
		puts("no audit rows");
	} else {
		print_log(c, rows);
	}
	json_decref(rows);
	return rc;
}

/* verify */

struct verify_opts {
	struct audit_anchor anchor;
	int have_anchor;
};

static int verify_opt(void *ctx, int opt, const char *arg)
{
	struct verify_opts *o = ctx;
	struct err e;

	if (opt != OPT_ANCHOR)
		return cli_usage_error(usage_verify, "unknown option");
	err_clear(&e);
	if (audit_anchor_parse(arg, &o->anchor, &e))
		return cli_usage_error(NULL, "--anchor: %s", err_msg(&e));
	o->have_anchor = 1;
	return 0;
}

static int audit_verify_cmd(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "anchor", required_argument, NULL, OPT_ANCHOR },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_opts o;
	struct audit_report rep;
	int rc, vrc;

	memset(&o, 0, sizeof(o));
	rc = cli_parse(c, argc, argv, opts, usage_verify, verify_opt, &o);
	if (rc < 0)
		rc = no_operands(argc, argv, usage_verify);
	if (rc >= 0)
		return rc;
	rc = open_audit(c);
	if (rc)
		return rc;
	vrc = audit_verify(c->st, &c->actor, o.have_anchor ? &o.anchor : NULL, &rep, &c->err);
	if (vrc && vrc != ERR_TAMPERED)
		return cli_fail(c);
	if (c->json) {
		json_t *out = json_object(), *head = json_object();

		json_set_bool(out, "intact", vrc == 0);
		json_set_int(out, "rows", rep.rows);
		json_set_int(head, "seq", rep.head_seq);
		json_set_str(head, "hash", rep.head_hash);
		json_object_set_new(out, "head", head);
		if (vrc)
			json_set_int(out, "bad_seq", rep.bad_seq);
		else
			json_object_set_new(out, "bad_seq", json_null());
		json_set_str(out, "problem", vrc ? rep.problem : NULL);
		rc = json_print(out) ? cli_error(ERR_IO, "cannot write output") : 0;
		json_decref(out);
		if (rc)
			return rc;
	} else if (!vrc) {
		printf("audit log intact: %" PRId64 " rows, head %" PRId64 ":%s\n", rep.rows,
		       rep.head_seq, rep.head_hash);
	}
	if (vrc)
		return cli_fail(c); /* "irdesk: audit log broken at row N: ..." */
	return 0;
}

/* anchor */

static int audit_anchor_cmd(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	char hash[AUDIT_HASH_HEX];
	int64_t seq;
	int rc;

	rc = cli_parse(c, argc, argv, opts, usage_anchor, NULL, NULL);
	if (rc < 0)
		rc = no_operands(argc, argv, usage_anchor);
	if (rc >= 0)
		return rc;
	rc = open_audit(c);
	if (rc)
		return rc;
	if (audit_head(c->st, &seq, hash, &c->err))
		return cli_fail(c);
	if (c->json) {
		json_t *out = json_object();

		json_set_int(out, "seq", seq);
		json_set_str(out, "hash", hash);
		rc = json_print(out) ? cli_error(ERR_IO, "cannot write output") : 0;
		json_decref(out);
		return rc;
	}
	printf("%" PRId64 ":%s\n", seq, hash);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct cli *c);
} subcommands[] = {
	{ "log", audit_log_cmd },
	{ "verify", audit_verify_cmd },
	{ "anchor", audit_anchor_cmd },
};

int cmd_audit(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int rc, first = 1;

	/*
	 * Common options may come before the subcommand (irdesk audit --json
	 * verify). Only those are parsed here: the subcommand parses the rest,
	 * its own options included, wherever they stand.
	 */
	while (first < argc && argv[first][0] == '-' && strcmp(argv[first], "--") != 0) {
		const char *a = argv[first];
		int takes_value = strcmp(a, "--db") == 0 || strcmp(a, "--as") == 0 ||
				  strcmp(a, "--tz") == 0;
		first += takes_value && first + 1 < argc ? 2 : 1;
	}
	if (first > 1) {
		rc = cli_parse(c, first, argv, opts, usage_audit, NULL, NULL);
		if (rc >= 0)
			return rc;
		if (optind < first)
			return cli_usage_error(usage_audit, "unexpected argument '%s'", argv[optind]);
	}
	if (first < argc && strcmp(argv[first], "--") == 0)
		first++;
	if (first >= argc)
		return cli_usage_error(usage_audit, "audit: missing subcommand");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (strcmp(argv[first], subcommands[i].name) == 0)
			return subcommands[i].fn(argc - first, argv + first, c);
	return cli_usage_error(usage_audit, "audit: unknown subcommand '%s'", argv[first]);
}
