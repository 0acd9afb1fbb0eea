/*
 * cmd_lessons.c: `irdesk lessons show|set|action`: the lessons learned of
 * an incident (ir/lessons.h).
 */
#include "cli.h"
#include "cmds.h"
#include "ir/lessons.h"
#include "ir/metrics.h"
#include "ir/task.h"
#include "util/json.h"
#include "util/time.h"

#include <string.h>

static const char usage_lessons[] =
	"usage: irdesk lessons show ID\n"
	"       irdesk lessons set ID [--QUESTION TEXT]... [--damage-before-detection TEXT]\n"
	"                             [--meeting-at TIME]\n"
	"       irdesk lessons action ID TITLE [--assignee USER] [--due TIME]\n"
	"\n"
	"The lessons learned of an incident (NIST SP 800-61r2 3.4.1). Closing a P1 or\n"
	"P2 incident needs every question answered. show also prints the facts taken\n"
	"from the record (time to detect, triage, contain, recover and report; tasks\n"
	"done). action adds a follow-up action: a post_incident task with an owner.\n"
	"\n"
	"questions (--QUESTION):\n"
	"  --what-happened      exactly what happened, and at what times\n"
	"  --staff-performance  how well staff and procedures performed\n"
	"  --info-sooner        what information was needed sooner\n"
	"  --hindered           what inhibited the recovery\n"
	"  --do-differently     what to do differently next time\n"
	"  --sharing            how to share information better\n"
	"  --corrective         which corrective actions prevent a repeat\n"
	"  --indicators         which precursors or indicators to watch\n"
	"  --tools              which tools or resources are needed\n"
	"\noptions:\n"
	"  --damage-before-detection TEXT   what was lost before the incident was found\n"
	"  --meeting-at TIME                when the lessons-learned meeting was held\n"
	"  --assignee USER, --due TIME      owner and due time of an action\n"
	CLI_COMMON_HELP;

/* Option values index fields[] from OPT__FIRST_CMD on. */
static const char *const fields[] = {
#define X(n, ja, en) #n,
	LESSONS_QUESTIONS(X)
#undef X
	"damage_before_detection", "meeting_at", "assignee", "due",
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

struct opts {
	struct lessons_field f[NFIELDS];
	size_t n;
	const char *assignee, *due;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct opts *o = ctx;
	size_t i = (size_t)(opt - OPT__FIRST_CMD);

	if (i >= NFIELDS)
		return 0;
	if (strcmp(fields[i], "assignee") == 0)
		o->assignee = arg;
	else if (strcmp(fields[i], "due") == 0)
		o->due = arg;
	else if (o->n < NFIELDS)
		o->f[o->n++] = (struct lessons_field){ fields[i], arg };
	return 0;
}

static int parse(struct cli *c, int argc, char **argv, struct opts *o, const char **ops, int min,
		 int max, const char *what)
{
	/* In the order of fields[]. */
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "what-happened", required_argument, NULL, OPT__FIRST_CMD + 0 },
		{ "staff-performance", required_argument, NULL, OPT__FIRST_CMD + 1 },
		{ "info-sooner", required_argument, NULL, OPT__FIRST_CMD + 2 },
		{ "hindered", required_argument, NULL, OPT__FIRST_CMD + 3 },
		{ "do-differently", required_argument, NULL, OPT__FIRST_CMD + 4 },
		{ "sharing", required_argument, NULL, OPT__FIRST_CMD + 5 },
		{ "corrective", required_argument, NULL, OPT__FIRST_CMD + 6 },
		{ "indicators", required_argument, NULL, OPT__FIRST_CMD + 7 },
		{ "tools", required_argument, NULL, OPT__FIRST_CMD + 8 },
		{ "damage-before-detection", required_argument, NULL, OPT__FIRST_CMD + 9 },
		{ "meeting-at", required_argument, NULL, OPT__FIRST_CMD + 10 },
		{ "assignee", required_argument, NULL, OPT__FIRST_CMD + 11 },
		{ "due", required_argument, NULL, OPT__FIRST_CMD + 12 },
		{ NULL, 0, NULL, 0 },
	};
	int nops, rc;

	memset(o, 0, sizeof(*o));
	rc = cli_parse_operands(c, argc, argv, opts, usage_lessons, on_opt, o, ops, max, &nops);
	if (rc >= 0)
		return rc;
	if (nops < min)
		return cli_usage_error(usage_lessons, "lessons %s: expected %s", argv[0], what);
	rc = cli_open(c);
	return rc ? rc : -1;
}

static void print_duration(const char *label, json_t *v)
{
	char d[TIME_STR_MAX] = "-";

	if (json_is_integer(v))
		time_format_duration(json_integer_value(v), d);
	printf("  %-28s %s\n", label, d);
}

static void print_lessons(json_t *l)
{
	json_t *answers = json_object_get(l, "answers"), *facts = json_object_get(l, "facts"), *t;
	size_t i;

	printf("%s  lessons learned%s%s\n", json_str(l, "incident"),
	       json_is_true(json_object_get(l, "required")) ? " (required to close)" : "",
	       json_is_true(json_object_get(l, "complete")) ? ": complete" : "");
	for (int q = 0; q < LQ__COUNT; q++) {
		const char *a = json_str(answers, lessons_question_name((enum lessons_question)q));
		printf("\n%s\n  %s\n", lessons_question_text((enum lessons_question)q, "en"),
		       a && *a ? a : "(not answered)");
	}
	printf("\nDamage before detection\n  %s\n\nfacts\n",
	       *json_str(l, "damage_before_detection") ? json_str(l, "damage_before_detection") : "-");
	for (int d = 0; d < MD__COUNT; d++)
		print_duration(metric_duration_label((enum metric_duration)d, "en"),
			       json_object_get(facts, metric_duration_name((enum metric_duration)d)));
	printf("  %-28s %lld of %lld\n", "Tasks done",
	       (long long)json_integer_value(json_object_get(facts, "tasks_done")),
	       (long long)json_integer_value(json_object_get(facts, "tasks_total")));
	if (json_array_size(json_object_get(l, "actions")))
		printf("\nfollow-up actions\n");
	json_array_foreach(json_object_get(l, "actions"), i, t)
		printf("  [%s] #%lld %s%s%s\n", json_is_true(json_object_get(t, "done")) ? "x" : " ",
		       (long long)json_integer_value(json_object_get(t, "id")), json_str(t, "title"),
		       json_str(t, "assignee") ? " · " : "",
		       json_str(t, "assignee") ? json_str(t, "assignee") : "");
}

static int finish(struct cli *c, json_t *l)
{
	int rc = 0;

	if (c->json)
		rc = json_print(l) ? cli_error(ERR_IO, "cannot write output") : 0;
	else
		print_lessons(l);
	json_decref(l);
	return rc;
}

/* show (no answers given) and set (at least one). */
static int lessons_show_set_cmd(int argc, char **argv, struct cli *c)
{
	struct opts o;
	const char *ops[1];
	json_t *l = NULL;
	int set = strcmp(argv[0], "set") == 0;
	int rc = parse(c, argc, argv, &o, ops, 1, 1, "ID");

	if (rc >= 0)
		return rc;
	if (!set && o.n)
		return cli_usage_error(usage_lessons, "lessons show: answers are given with 'lessons set'");
	rc = set ? lessons_set(c->st, &c->actor, ops[0], o.f, o.n, &l, &c->err)
		 : lessons_get(c->st, &c->actor, ops[0], &l, &c->err);
	return rc ? cli_fail(c) : finish(c, l);
}

static int lessons_action_cmd(int argc, char **argv, struct cli *c)
{
	struct task_new t = { 0 };
	struct opts o;
	const char *ops[2];
	json_t *task = NULL;
	int rc = parse(c, argc, argv, &o, ops, 2, 2, "ID and TITLE");

	if (rc >= 0)
		return rc;
	t.title = ops[1];
	t.assignee = o.assignee;
	t.due = o.due;
	if (lessons_action_add(c->st, &c->actor, ops[0], &t, &task, &c->err))
		return cli_fail(c);
	if (c->json) {
		rc = json_print(task) ? cli_error(ERR_IO, "cannot write output") : 0;
	} else {
		rc = 0;
		printf("added follow-up action %lld on %s: %s\n",
		       (long long)json_integer_value(json_object_get(task, "id")),
		       json_str(task, "incident"), json_str(task, "title"));
	}
	json_decref(task);
	return rc;
}

static const struct cli_subcommand subcommands[] = {
	{ "show", lessons_show_set_cmd },
	{ "set", lessons_show_set_cmd },
	{ "action", lessons_action_cmd },
};

int cmd_lessons(int argc, char **argv, struct cli *c)
{
	return cli_dispatch(c, argc, argv, subcommands, sizeof(subcommands) / sizeof(subcommands[0]),
			    usage_lessons);
}
