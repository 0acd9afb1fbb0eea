/*
 * cmd_task.c: `irdesk task add|list|done|reopen`.
 */
#include "cli.h"
#include "cmds.h"
#include "ir/task.h"
#include "util/json.h"
#include "util/time.h"

#include <stdlib.h>
#include <string.h>

static const char usage_main[] =
	"usage: irdesk task add ID TITLE [--phase STATE] [--assignee USER] [--due TIME]\n"
	"       irdesk task list [ID] [--assignee USER] [--open] [--limit N]\n"
	"       irdesk task done TASK\n"
	"       irdesk task reopen TASK\n"
	"\noptions:\n" CLI_COMMON_HELP;

enum { O_PHASE = OPT__FIRST_CMD, O_ASSIGNEE, O_DUE, O_OPEN, O_LIMIT };

struct opts {
	const char *phase, *assignee, *due;
	int open, limit;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct opts *o = ctx;
	char *end;
	long v;

	switch (opt) {
	case O_PHASE: o->phase = arg; return 0;
	case O_ASSIGNEE: o->assignee = arg; return 0;
	case O_DUE: o->due = arg; return 0;
	case O_OPEN: o->open = 1; return 0;
	case O_LIMIT:
		v = strtol(arg, &end, 10);
		if (!*arg || *end || v < 1 || v > 10000)
			return cli_error(ERR_USAGE, "--limit: expected a number from 1 to 10000");
		o->limit = (int)v;
		return 0;
	}
	return 2;
}

static int parse(struct cli *c, int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "phase", required_argument, NULL, O_PHASE },
		{ "assignee", required_argument, NULL, O_ASSIGNEE },
		{ "due", required_argument, NULL, O_DUE },
		{ "open", no_argument, NULL, O_OPEN },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ 0, 0, 0, 0 },
	};
	memset(o, 0, sizeof(*o));
	return cli_parse(c, argc, argv, longopts, usage_main, on_opt, o);
}

static void print_tasks(struct cli *c, json_t *tasks)
{
	static const char *const hdr[] = { "TASK", "INCIDENT", "PHASE", "DONE", "ASSIGNEE", "DUE", "TITLE" };
	struct table *t = table_new(7, hdr);
	size_t k;
	json_t *v;

	json_array_foreach(tasks, k, v) {
		char id[32], due[64] = "";
		int64_t when = 0;
		json_t *a = json_object_get(v, "assignee");
		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(v, "id")));
		if (json_str(v, "due_at") && time_parse(json_str(v, "due_at"), NULL, 0, &when, NULL) == 0)
			cli_time(c, when, due);
		const char *row[] = { id, json_str(v, "incident"), json_str(v, "phase"),
				      json_is_true(json_object_get(v, "done")) ? "yes" : "no",
				      json_is_string(a) ? json_string_value(a) : "-", due,
				      json_str(v, "title") };
		table_add(t, row);
	}
	table_max_width(t, 6, 70);
	if (json_array_size(tasks))
		table_print(t, stdout);
	else
		printf("no tasks\n");
	table_free(t);
}

static int emit(struct cli *c, json_t *v, const char *verb)
{
	int rc = 0;

	if (c->json)
		rc = json_print(v) ? cli_error(ERR_IO, "cannot write output") : 0;
	else
		printf("%s task %lld on %s: %s\n", verb,
		       (long long)json_integer_value(json_object_get(v, "id")),
		       json_str(v, "incident"), json_str(v, "title"));
	json_decref(v);
	return rc;
}

static int parse_task_id(const char *s, int64_t *id)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '#')
		v = strtoll(s + 1, &end, 10);
	if (*end || v < 1)
		return cli_error(ERR_USAGE, "'%.40s' is not a task number", s);
	*id = v;
	return 0;
}

int cmd_task(int argc, char **argv, struct cli *c)
{
	struct opts o;
	json_t *out = NULL;
	const char *sub;
	int rc;

	if (argc < 2)
		return cli_usage_error(usage_main, "missing task command (add, list, done, reopen)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	sub = argv[1];
	argc--;
	argv++;
	if ((rc = parse(c, argc, argv, &o)) >= 0)
		return rc;
	if (strcmp(sub, "add") == 0) {
		struct task_new t = { 0 };
		if (argc - optind != 2)
			return cli_usage_error(usage_main, "task add: expected ID and TITLE");
		t.title = argv[optind + 1];
		t.phase = o.phase;
		t.assignee = o.assignee;
		t.due = o.due;
		if ((rc = cli_open(c)))
			return rc;
		if (task_add(c->st, &c->actor, argv[optind], &t, &out, &c->err))
			return cli_fail(c);
		return emit(c, out, "added");
	}
	if (strcmp(sub, "list") == 0) {
		struct task_filter f = { 0 };
		if (argc - optind > 1)
			return cli_usage_error(usage_main, "task list: at most one incident id");
		f.hid = argc - optind == 1 ? argv[optind] : NULL;
		f.assignee = o.assignee;
		f.open_only = o.open;
		f.limit = o.limit;
		if ((rc = cli_open(c)))
			return rc;
		if (task_list(c->st, &c->actor, &f, &out, &c->err))
			return cli_fail(c);
		if (c->json)
			rc = json_print(out) ? cli_error(ERR_IO, "cannot write output") : 0;
		else
			print_tasks(c, out);
		json_decref(out);
		return rc;
	}
	if (strcmp(sub, "done") == 0 || strcmp(sub, "reopen") == 0) {
		int64_t id = 0;
		int done = sub[0] == 'd';
		if (argc - optind != 1)
			return cli_usage_error(usage_main, "task %s: expected one task number", sub);
		if ((rc = parse_task_id(argv[optind], &id)))
			return rc;
		if ((rc = cli_open(c)))
			return rc;
		if (task_set_done(c->st, &c->actor, id, done, &out, &c->err))
			return cli_fail(c);
		return emit(c, out, done ? "completed" : "reopened");
	}
	return cli_usage_error(usage_main, "unknown task command '%s'", sub);
}
