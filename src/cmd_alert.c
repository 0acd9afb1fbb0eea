/*
 * cmd_alert.c: `irdesk alert list|show|triage`, the CLI side of the alert
 * queue (the same calls as GET /api/v1/alerts and its triage route).
 */
#include "cli.h"
#include "cmds.h"
#include "ir/alert.h"
#include "util/json.h"
#include "util/time.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage_main[] =
	"usage: irdesk alert list [--status S] [--level L] [--rule ID] [--incident ID]\n"
	"                         [--group-key KEY] [--limit N] [--before ALERT]\n"
	"       irdesk alert show ALERT\n"
	"       irdesk alert triage ALERT false_positive|benign|promote|attach\n"
	"                         [--reason TEXT] [--incident ID]\n"
	"       irdesk alert suppress|unsuppress|suppressions ... (irdesk alert suppress --help)\n"
	"\n"
	"  status: " ALERT_STATUSES "\n"
	"  level:  " ALERT_LEVELS "\n"
	"  A false positive needs --reason; attach needs --incident.\n"
	"  --group-key: a correlation's group, exactly as shown (\"User=bob\").\n"
	"\noptions:\n" CLI_COMMON_HELP;

enum { O_STATUS = OPT__FIRST_CMD, O_LEVEL, O_RULE, O_INCIDENT, O_LIMIT, O_BEFORE, O_REASON, O_GROUP_KEY };

struct opts {
	const char *status, *level, *rule, *incident, *reason, *group_key;
	long limit;
	long long before;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct opts *o = ctx;
	char *end;

	switch (opt) {
	case O_STATUS: o->status = arg; return 0;
	case O_LEVEL: o->level = arg; return 0;
	case O_RULE: o->rule = arg; return 0;
	case O_INCIDENT: o->incident = arg; return 0;
	case O_REASON: o->reason = arg; return 0;
	case O_GROUP_KEY: o->group_key = arg; return 0;
	case O_LIMIT:
		o->limit = strtol(arg, &end, 10);
		if (!*arg || *end || o->limit < 1 || o->limit > 1000)
			return cli_error(ERR_USAGE, "--limit: expected a number from 1 to 1000");
		return 0;
	case O_BEFORE:
		errno = 0;
		o->before = strtoll(arg, &end, 10);
		if (!*arg || *end || errno || o->before < 1)
			return cli_error(ERR_USAGE, "--before: expected an alert id");
		return 0;
	}
	return 2;
}

/* An alert id operand: a positive number. */
static int alert_id(const char *s, int64_t *out)
{
	return cmd_positive_id(usage_main, "an alert", s, out);
}

static void print_list(struct cli *c, json_t *items)
{
	static const char *const head[] = { "ID", "LEVEL", "STATUS", "COUNT", "LAST SEEN", "HOST",
					    "USER", "PHASE", "INCIDENT", "TITLE" };
	struct table *t = table_new(10, head);
	json_t *a;
	size_t i;

	json_array_foreach(items, i, a) {
		char id[24], count[24], when[64];
		json_t *ent = json_object_get(a, "entities");
		int64_t last = 0;
		const char *cells[10];

		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(a, "id")));
		snprintf(count, sizeof(count), "%lld",
			 (long long)json_integer_value(json_object_get(a, "count")));
		time_parse(json_str(a, "last_seen"), c->tz, 0, &last, NULL);
		cells[0] = id;
		cells[1] = json_str(a, "level");
		cells[2] = json_str(a, "status");
		cells[3] = count;
		cells[4] = cli_time(c, last, when);
		cells[5] = json_str(ent, "host");
		cells[6] = json_str(ent, "user");
		cells[7] = json_str(a, "phase") ? json_str(a, "phase") : "-";
		cells[8] = json_str(a, "incident") ? json_str(a, "incident") : "-";
		cells[9] = json_str(a, "title");
		table_add(t, cells);
	}
	table_max_width(t, 5, 20);
	table_max_width(t, 6, 20);
	table_max_width(t, 9, 60);
	table_print(t, stdout);
	table_free(t);
}

static void print_alert(struct cli *c, json_t *a)
{
	static const char *const names[] = { "host", "user", "ip", "process" };
	json_t *ent = json_object_get(a, "entities"), *tags = json_object_get(a, "tags"), *v;
	struct buf;
	char when[64];
	int64_t t = 0;
	size_t i;

	printf("alert %lld: %s\n", (long long)json_integer_value(json_object_get(a, "id")),
	       json_str(a, "title"));
	printf("  rule:     %s (%s, level %s)\n", json_str(a, "rule"), json_str(a, "source"),
	       json_str(a, "level"));
	printf("  status:   %s", json_str(a, "status"));
	if (json_str(a, "reason"))
		printf(" (%s)", json_str(a, "reason"));
	if (json_str(a, "incident"))
		printf(" -> %s", json_str(a, "incident"));
	putchar('\n');
	if (json_str(a, "group_key"))
		printf("  group:    %s\n", json_str(a, "group_key"));
	printf("  phase:    %s\n", json_str(a, "phase") ? json_str(a, "phase") : "-");
	printf("  tags:    ");
	json_array_foreach(tags, i, v)
		printf(" %s", json_string_value(v));
	putchar('\n');
	for (i = 0; i < 4; i++)
		if (json_str(ent, names[i]) && *json_str(ent, names[i]))
			printf("  %-9s %s\n", names[i], json_str(ent, names[i]));
	time_parse(json_str(a, "first_seen"), c->tz, 0, &t, NULL);
	printf("  count:    %lld, first seen %s", (long long)json_integer_value(json_object_get(a, "count")),
	       cli_time(c, t, when));
	time_parse(json_str(a, "last_seen"), c->tz, 0, &t, NULL);
	printf(", last seen %s\n", cli_time(c, t, when));
	printf("  event:%s\n", json_is_true(json_object_get(a, "event_truncated")) ? " (cut)" : "");
	v = json_object_get(a, "event");
	if (json_is_string(v)) {
		printf("%s\n", json_string_value(v));
	} else {
		char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", s ? s : "");
		free(s);
	}
}

int cmd_alert(int argc, char **argv, struct cli *c)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "status", required_argument, NULL, O_STATUS },
		{ "level", required_argument, NULL, O_LEVEL },
		{ "rule", required_argument, NULL, O_RULE },
		{ "incident", required_argument, NULL, O_INCIDENT },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "before", required_argument, NULL, O_BEFORE },
		{ "reason", required_argument, NULL, O_REASON },
		{ "group-key", required_argument, NULL, O_GROUP_KEY },
		{ 0, 0, 0, 0 },
	};
	struct opts o;
	json_t *out = NULL;
	const char *sub;
	int64_t id;
	int rc;

	if (argc < 2)
		return cli_usage_error(usage_main, "missing alert command (list, show, triage, "
				       "suppress, unsuppress, suppressions)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "suppress") == 0 || strcmp(sub, "unsuppress") == 0 ||
	    strcmp(sub, "suppressions") == 0)
		return cmd_alert_suppress(c, sub, argc, argv);
	memset(&o, 0, sizeof(o));
	if ((rc = cli_parse(c, argc, argv, longopts, usage_main, on_opt, &o)) >= 0)
		return rc;
	if (strcmp(sub, "list") == 0) {
		struct alert_filter f;
		int64_t next = 0;

		if (argc - optind != 0)
			return cli_usage_error(usage_main, "alert list: unexpected argument '%s'",
					       argv[optind]);
		memset(&f, 0, sizeof(f));
		f.status = o.status;
		f.level = o.level;
		f.rule = o.rule;
		f.group_key = o.group_key;
		f.incident = o.incident;
		f.limit = (int)o.limit;
		f.before = o.before;
		if ((rc = cli_open(c)))
			return rc;
		if (alert_list(c->st, &c->actor, &f, &out, &next, &c->err))
			return cli_fail(c);
		if (c->json) {
			json_t *j = json_pack("{s:o,s:o}", "items", out, "next_cursor",
					      next ? json_integer(next) : json_null());
			json_print(j);
			json_decref(j);
		} else {
			print_list(c, out);
			if (next)
				fprintf(stderr, "more: irdesk alert list --before %lld\n", (long long)next);
			json_decref(out);
		}
		return 0;
	}
	if (strcmp(sub, "show") == 0) {
		if (argc - optind != 1)
			return cli_usage_error(usage_main, "alert show: expected one ALERT id");
		if ((rc = alert_id(argv[optind], &id)) || (rc = cli_open(c)))
			return rc;
		if (alert_get(c->st, &c->actor, id, &out, &c->err))
			return cli_fail(c);
		if (c->json)
			json_print(out);
		else
			print_alert(c, out);
		json_decref(out);
		return 0;
	}
	if (strcmp(sub, "triage") == 0) {
		struct alert_triage t;

		if (argc - optind != 2)
			return cli_usage_error(usage_main, "alert triage: expected ALERT and ACTION");
		if ((rc = alert_id(argv[optind], &id)) || (rc = cli_open(c)))
			return rc;
		t.action = argv[optind + 1];
		t.reason = o.reason;
		t.incident = o.incident;
		if (alert_triage(c->st, &c->actor, id, &t, &out, &c->err))
			return cli_fail(c);
		if (c->json)
			json_print(out);
		else if (json_str(out, "incident"))
			printf("alert %lld: %s -> %s\n", (long long)id, json_str(out, "status"),
			       json_str(out, "incident"));
		else
			printf("alert %lld: %s\n", (long long)id, json_str(out, "status"));
		json_decref(out);
		return 0;
	}
	return cli_usage_error(usage_main, "unknown alert command '%s' (list, show, triage, "
			       "suppress, unsuppress, suppressions)", sub);
}
