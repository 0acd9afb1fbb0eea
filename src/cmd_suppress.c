/*
 * cmd_suppress.c: `irdesk alert suppress|unsuppress|suppressions`, the CLI
 * side of alert suppressions (the same calls as /api/v1/suppressions), and
 * `irdesk incident killchain`, the kill chain of an incident with marks by
 * hand (the same calls as /api/v1/incidents/{id}/killchain).
 */
#include "cli.h"
#include "cmds.h"
#include "ir/alert.h"
#include "util/json.h"
#include "util/time.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage_suppress[] =
	"usage: irdesk alert suppress RULE --reason TEXT [--entity host|user|ip|process --value V]\n"
	"                         [--expires TIME]\n"
	"       irdesk alert unsuppress SUPPRESSION\n"
	"       irdesk alert suppressions [--all]\n"
	"\n"
	"  A suppression drops new matches of RULE (on the entity with that value only,\n"
	"  when given) until it expires (TIME: RFC 3339 or now+7d; default never).\n"
	"  --all lists expired suppressions too.\n"
	"\noptions:\n" CLI_COMMON_HELP;

static const char usage_killchain[] =
	"usage: irdesk incident killchain ID [PHASE [--unmark] [--note TEXT]]\n"
	"\n"
	"  Without PHASE: the seven phases, detected from alerts and marked by hand.\n"
	"  With PHASE (recon, weaponize, deliver, exploit, install, c2, actions):\n"
	"  mark it by hand (--unmark: take the mark away), with an optional note.\n"
	"\noptions:\n" CLI_COMMON_HELP;

enum { O_REASON = OPT__FIRST_CMD, O_ENTITY, O_VALUE, O_EXPIRES, O_ALL, O_UNMARK, O_NOTE };

struct sopts {
	struct suppression_new n;
	const char *note;
	int all, unmark;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct sopts *o = ctx;

	switch (opt) {
	case O_REASON: o->n.reason = arg; return 0;
	case O_ENTITY: o->n.entity = arg; return 0;
	case O_VALUE: o->n.value = arg; return 0;
	case O_EXPIRES: o->n.expires = arg; return 0;
	case O_NOTE: o->note = arg; return 0;
	case O_ALL: o->all = 1; return 0;
	case O_UNMARK: o->unmark = 1; return 0;
	}
	return 2;
}

static int parse(struct cli *c, int argc, char **argv, const char *usage, struct sopts *o)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "reason", required_argument, NULL, O_REASON },
		{ "entity", required_argument, NULL, O_ENTITY },
		{ "value", required_argument, NULL, O_VALUE },
		{ "expires", required_argument, NULL, O_EXPIRES },
		{ "note", required_argument, NULL, O_NOTE },
		{ "all", no_argument, NULL, O_ALL },
		{ "unmark", no_argument, NULL, O_UNMARK },
		{ 0, 0, 0, 0 },
	};

	memset(o, 0, sizeof(*o));
	return cli_parse(c, argc, argv, longopts, usage, on_opt, o);
}

static const char *when(struct cli *c, json_t *o, const char *key, char *out)
{
	int64_t t = 0;

	if (!json_str(o, key))
		return "-";
	time_parse(json_str(o, key), c->tz, 0, &t, NULL);
	return cli_time(c, t, out);
}

static void print_suppressions(struct cli *c, json_t *items)
{
	static const char *const head[] = { "ID", "RULE", "ENTITY", "VALUE", "EXPIRES", "HITS",
					    "BY", "REASON" };
	struct table *t = table_new(8, head);
	json_t *s;
	size_t i;

	json_array_foreach(items, i, s) {
		char id[24], hits[24], exp[64];
		const char *cells[8];

		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(s, "id")));
		snprintf(hits, sizeof(hits), "%lld",
			 (long long)json_integer_value(json_object_get(s, "hits")));
		cells[0] = id;
		cells[1] = json_str(s, "rule");
		cells[2] = json_str(s, "entity") ? json_str(s, "entity") : "-";
		cells[3] = json_str(s, "value") ? json_str(s, "value") : "-";
		cells[4] = json_str(s, "expires_at") ? when(c, s, "expires_at", exp) : "never";
		cells[5] = hits;
		cells[6] = json_str(s, "created_by") ? json_str(s, "created_by") : "-";
		cells[7] = json_str(s, "reason");
		table_add(t, cells);
	}
	table_max_width(t, 1, 40);
	table_max_width(t, 7, 50);
	table_print(t, stdout);
	table_free(t);
}

int cmd_positive_id(const char *usage, const char *what, const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < 1)
		return cli_usage_error(usage, "'%.40s' is not %s id", s, what);
	*out = v;
	return 0;
}

static int run_suppress(struct cli *c, const char *sub, int argc, char **argv, struct sopts *o)
{
	json_t *out = NULL;
	int64_t id = 0;
	int rc, nops = argc - optind;

	if (strcmp(sub, "suppressions") == 0) {
		if (nops != 0)
			return cli_usage_error(usage_suppress, "alert suppressions: unexpected argument '%s'",
					       argv[optind]);
		if ((rc = cli_open(c)))
			return rc;
		if (suppression_list(c->st, &c->actor, o->all, &out, &c->err))
			return cli_fail(c);
		if (c->json)
			json_print(out);
		else if (json_array_size(out))
			print_suppressions(c, out);
		else
			printf("no suppressions\n");
		json_decref(out);
		return 0;
	}
	if (nops != 1)
		return cli_usage_error(usage_suppress, "alert %s: expected one %s", sub,
				       strcmp(sub, "suppress") == 0 ? "RULE id" : "SUPPRESSION id");
	if (strcmp(sub, "unsuppress") == 0) {
		if ((rc = cmd_positive_id(usage_suppress, "a suppression", argv[optind], &id)) ||
		    (rc = cli_open(c)))
			return rc;
		if (suppression_remove(c->st, &c->actor, id, &c->err))
			return cli_fail(c);
		if (c->json)
		{
			json_t *j = json_pack("{s:I,s:b}", "id", (json_int_t)id, "removed", 1);

			json_print(j);
			json_decref(j);
		}
		else
			printf("suppression %lld removed\n", (long long)id);
		return 0;
	}
	o->n.rule = argv[optind];
	if ((rc = cli_open(c)))
		return rc;
	if (suppression_add(c->st, &c->actor, &o->n, &out, &c->err))
		return cli_fail(c);
	if (c->json)
		json_print(out);
	else
		printf("suppression %lld: %s\n", (long long)json_integer_value(json_object_get(out, "id")),
		       json_str(out, "rule"));
	json_decref(out);
	return 0;
}

int cmd_alert_suppress(struct cli *c, const char *sub, int argc, char **argv)
{
	struct sopts o;
	int rc;

	if ((rc = parse(c, argc, argv, usage_suppress, &o)) >= 0)
		return rc;
	if (o.unmark || o.note)
		return cli_usage_error(usage_suppress, "--unmark and --note belong to incident killchain");
	return run_suppress(c, sub, argc, argv, &o);
}

static void print_killchain(struct cli *c, json_t *items)
{
	static const char *const head[] = { "#", "PHASE", "LABEL", "DETECTED", "MARKED BY HAND",
					    "NOTE" };
	struct table *t = table_new(6, head);
	json_t *p;
	size_t i;

	json_array_foreach(items, i, p) {
		char n[24], det[64], man[160], at[64];
		const char *cells[6];

		snprintf(n, sizeof(n), "%zu", i + 1);
		snprintf(det, sizeof(det), "%s", json_is_true(json_object_get(p, "detected"))
						 ? when(c, p, "detected_at", at) : "-");
		if (json_is_true(json_object_get(p, "manual")))
			snprintf(man, sizeof(man), "%s %s", json_str(p, "marked_by") ? json_str(p, "marked_by") : "?",
				 when(c, p, "marked_at", at));
		else
			snprintf(man, sizeof(man), "-");
		cells[0] = n;
		cells[1] = json_str(p, "phase");
		cells[2] = json_str(p, "label_en");
		cells[3] = det;
		cells[4] = man;
		cells[5] = json_str(p, "note") && *json_str(p, "note") ? json_str(p, "note") : "";
		table_add(t, cells);
	}
	table_max_width(t, 5, 60);
	table_print(t, stdout);
	table_free(t);
}

int cmd_incident_killchain(struct cli *c, int argc, char **argv)
{
	json_t *out = NULL;
	struct sopts o;
	int rc, nops;

	if ((rc = parse(c, argc, argv, usage_killchain, &o)) >= 0)
		return rc;
	nops = argc - optind;
	if (nops < 1 || nops > 2)
		return cli_usage_error(usage_killchain, nops < 1 ? "missing incident id"
								: "too many arguments");
	if (o.all || o.n.reason || o.n.entity || o.n.value || o.n.expires)
		return cli_usage_error(usage_killchain, "only --unmark and --note go with killchain");
	if (nops == 1 && (o.unmark || o.note))
		return cli_usage_error(usage_killchain, "--unmark and --note need a PHASE");
	if ((rc = cli_open(c)))
		return rc;
	if (nops == 2 && killchain_mark(c->st, &c->actor, argv[optind], argv[optind + 1], !o.unmark,
					o.note, &c->err))
		return cli_fail(c);
	if (killchain_get(c->st, &c->actor, argv[optind], &out, &c->err))
		return cli_fail(c);
	if (c->json)
		json_print(out);
	else
		print_killchain(c, out);
	json_decref(out);
	return 0;
}
