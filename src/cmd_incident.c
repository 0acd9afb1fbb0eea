/*
 * cmd_incident.c: `irdesk incident new|list|show|set|move|note|member`.
 * Parses options and prints; the lifecycle rules live in ir/incident.c.
 */
#include "cli.h"
#include "cmds.h"
#include "ir/incident.h"
#include "ir/items.h"
#include "ir/task.h"
#include "ir/timeline.h"
#include "ir/vocab.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/time.h"

#include <stdlib.h>
#include <string.h>

static const char usage_main[] =
	"usage: irdesk incident new --title TEXT [FIELD OPTIONS]\n"
	"       irdesk incident list [--state S[,S]] [--open] [--priority P[,P]] [--type T]\n"
	"                            [--owner USER | --unowned] [--text WORDS] [--sort KEY] [--limit N] [--offset N]\n"
	"       irdesk incident show ID\n"
	"       irdesk incident set ID FIELD OPTIONS... [--reason TEXT] [--if-version N]\n"
	"       irdesk incident move ID STATE [--reason TEXT] [--reject-reason R] [--duplicate-of ID]\n"
	"       irdesk incident note ID TEXT [--kind KIND] [--at TIME]\n"
	"       irdesk incident member ID [USER ROLE | USER --remove]\n"
	"       irdesk incident item ID [KEY=VALUE...]\n"
	"       irdesk incident threat ID YEAR:KEY... [--remove]\n"
	"       irdesk incident killchain ID [PHASE [--unmark] [--note TEXT]]\n";

static const char usage_fields[] =
	"\nfield options (new and set):\n"
	"  --title TEXT              --summary TEXT            --reporter TEXT\n"
	"  --type TYPE               info_leak, malware, unauthorized_access, dos, bec, ransomware,\n"
	"                            targeted_attack, supply_chain, phishing, web_defacement,\n"
	"                            insider, lost_device, other\n"
	"  --attack-vector V         removable_media, attrition, web, email, impersonation,\n"
	"                            improper_usage, loss_theft, other\n"
	"  --functional-impact I     none, low, medium, high\n"
	"  --information-impact I,.. none, privacy_breach, proprietary_breach, integrity_loss\n"
	"  --recoverability R        regular, supplemented, extended, not_recoverable\n"
	"  --priority P1..P4|auto    override the derived priority (needs --reason)\n"
	"  --tlp TLP:...  --pap PAP:...  --owner USER\n"
	"  --occurred-at T  --discovered-at T  --reported-at T      e.g. '2026-11-26 09:30 JST'\n"
	"  --triaged-at T  --contained-at T  --recovered-at T  --closed-at T   (set only, need --reason)\n"
	"\noptions:\n" CLI_COMMON_HELP;

/* Field options map to incident field names: --attack-vector -> attack_vector. */
static const char *const field_opts[] = {
	"title", "summary", "reporter", "type", "attack-vector", "functional-impact",
	"information-impact", "recoverability", "priority", "tlp", "pap", "owner",
	"occurred-at", "discovered-at", "reported-at", "triaged-at", "contained-at",
	"recovered-at", "closed-at",
};
#define NFIELD_OPTS (sizeof(field_opts) / sizeof(field_opts[0]))

enum {
	O_REASON = OPT__FIRST_CMD, O_IFVERSION, O_STATE, O_OPEN, O_TEXT, O_SORT, O_LIMIT, O_OFFSET,
	O_REJECT, O_DUP, O_KIND, O_AT, O_REMOVE, O_UNOWNED, O_FORCE, O_FIELD0 = OPT__FIRST_CMD + 50,
};

struct opts {
	struct incident_field fields[NFIELD_OPTS * 2];
	char names[NFIELD_OPTS][32];
	size_t nfields;
	const char *reason, *state, *priority, *type, *owner, *text, *sort, *reject, *dup, *kind, *at;
	const char *usage;
	int64_t if_version;
	int open, limit, offset, remove, fields_allowed, unowned, force;
	const char *allowed;  /* ",name,name," of the non-field options this subcommand takes */
	const char *sub;      /* the subcommand, for messages */
};

static int parse_int(const char *s, const char *what, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (!*s || *end || v < lo || v > hi)
		return cli_error(ERR_USAGE, "%s: expected a number from %lld to %lld, not '%.40s'",
				 what, (long long)lo, (long long)hi, s);
	*out = v;
	return 0;
}

static const struct option extra_opts[] = {
	{ "reason", required_argument, NULL, O_REASON },
	{ "if-version", required_argument, NULL, O_IFVERSION },
	{ "state", required_argument, NULL, O_STATE },
	{ "open", no_argument, NULL, O_OPEN },
	{ "text", required_argument, NULL, O_TEXT },
	{ "sort", required_argument, NULL, O_SORT },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "offset", required_argument, NULL, O_OFFSET },
	{ "reject-reason", required_argument, NULL, O_REJECT },
	{ "duplicate-of", required_argument, NULL, O_DUP },
	{ "kind", required_argument, NULL, O_KIND },
	{ "at", required_argument, NULL, O_AT },
	{ "remove", no_argument, NULL, O_REMOVE },
	{ "unowned", no_argument, NULL, O_UNOWNED },
	{ "force", no_argument, NULL, O_FORCE },
};
#define NEXTRA_OPTS (sizeof(extra_opts) / sizeof(extra_opts[0]))

/* Is --name one of the options this subcommand takes? */
static int allowed(const struct opts *o, const char *name)
{
	char key[40];

	snprintf(key, sizeof(key), ",%s,", name);
	return o->allowed && strstr(o->allowed, key) != NULL;
}

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct opts *o = ctx;
	int64_t v;
	int rc;

	if (opt < O_FIELD0) {
		for (size_t i = 0; i < NEXTRA_OPTS; i++)
			if (extra_opts[i].val == opt && !allowed(o, extra_opts[i].name))
				return cli_usage_error(o->usage, "--%s: not an option of 'incident %s'",
						       extra_opts[i].name, o->sub);
	}

	if (opt >= O_FIELD0 && opt < O_FIELD0 + (int)NFIELD_OPTS) {
		size_t k = (size_t)(opt - O_FIELD0);
		if (!o->fields_allowed && allowed(o, field_opts[k])) {
			/* list filters by some of the same names */
			if (strcmp(field_opts[k], "priority") == 0) { o->priority = arg; return 0; }
			if (strcmp(field_opts[k], "type") == 0) { o->type = arg; return 0; }
			if (strcmp(field_opts[k], "owner") == 0) { o->owner = arg; return 0; }
		}
		if (!o->fields_allowed)
			return cli_usage_error(o->usage, "--%s: not an option of 'incident %s'",
					       field_opts[k], o->sub);
		if (o->nfields >= sizeof(o->fields) / sizeof(o->fields[0]))
			return cli_usage_error(o->usage, "too many field options");
		o->fields[o->nfields].name = o->names[k];
		o->fields[o->nfields].value = arg;
		o->nfields++;
		return 0;
	}
	switch (opt) {
	case O_REASON: o->reason = arg; return 0;
	case O_IFVERSION:
		rc = parse_int(arg, "--if-version", 1, INT64_MAX, &v);
		o->if_version = v;
		return rc;
	case O_STATE: o->state = arg; return 0;
	case O_OPEN: o->open = 1; return 0;
	case O_TEXT: o->text = arg; return 0;
	case O_SORT: o->sort = arg; return 0;
	case O_LIMIT:
		rc = parse_int(arg, "--limit", 1, 1000, &v);
		o->limit = (int)v;
		return rc;
	case O_OFFSET:
		rc = parse_int(arg, "--offset", 0, 100000000, &v);
		o->offset = (int)v;
		return rc;
	case O_REJECT: o->reject = arg; return 0;
	case O_DUP: o->dup = arg; return 0;
	case O_KIND: o->kind = arg; return 0;
	case O_AT: o->at = arg; return 0;
	case O_REMOVE: o->remove = 1; return 0;
	case O_UNOWNED: o->unowned = 1; return 0;
	case O_FORCE: o->force = 1; return 0;
	}
	return cli_usage_error(o->usage, "unexpected option");
}

/* Parse the options of any incident subcommand (each checks what applies). */
static int parse(struct cli *c, int argc, char **argv, struct opts *o, const char *usage,
		 int fields_allowed, const char *allowed_opts)
{
	static const struct option common[] = { CLI_COMMON_OPTIONS };
	static struct option longopts[64] = { CLI_COMMON_OPTIONS };
	static int ready;
	size_t n = sizeof(common) / sizeof(common[0]);

	if (!ready) {
		for (size_t i = 0; i < NEXTRA_OPTS; i++)
			longopts[n++] = extra_opts[i];
		for (size_t i = 0; i < NFIELD_OPTS; i++) {
			longopts[n].name = field_opts[i];
			longopts[n].has_arg = required_argument;
			longopts[n].flag = NULL;
			longopts[n].val = O_FIELD0 + (int)i;
			n++;
		}
		longopts[n] = (struct option){ 0, 0, 0, 0 };
		ready = 1;
	}
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < NFIELD_OPTS; i++) {
		snprintf(o->names[i], sizeof(o->names[i]), "%s", field_opts[i]);
		for (char *p = o->names[i]; *p; p++)
			if (*p == '-')
				*p = '_';
	}
	o->usage = usage;
	o->fields_allowed = fields_allowed;
	o->allowed = allowed_opts;
	o->sub = argv[0];
	return cli_parse(c, argc, argv, longopts, usage, on_opt, o);
}

static void print_incident_line(const struct incident *inc, const char *verb)
{
	char pri[8] = "";

	if (inc->priority)
		snprintf(pri, sizeof(pri), ", P%d", inc->priority);
	printf("%s %s: %s [%s%s]\n", verb, inc->hid, inc->title, incident_state_name(inc->state), pri);
}

static int print_json_incident(const struct incident *inc)
{
	json_t *j = incident_to_json(inc);
	int rc = json_print(j);
	json_decref(j);
	return rc ? cli_error(rc, "cannot write output") : 0;
}

static int sub_new(struct cli *c, int argc, char **argv)
{
	struct opts o;
	struct incident inc;
	char usage[4096];
	int rc;

	snprintf(usage, sizeof(usage), "usage: irdesk incident new --title TEXT [FIELD OPTIONS]\n%s",
		 usage_fields);
	if ((rc = parse(c, argc, argv, &o, usage, 1, ",reason,")) >= 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	if (o.reason) {
		o.fields[o.nfields].name = "reason";
		o.fields[o.nfields++].value = o.reason;
	}
	if ((rc = cli_open(c)))
		return rc;
	if (incident_create(c->st, &c->actor, o.fields, o.nfields, &inc, &c->err))
		return cli_fail(c);
	if (c->json)
		rc = print_json_incident(&inc);
	else
		print_incident_line(&inc, "created");
	incident_release(&inc);
	return rc;
}

static int parse_states(const char *s, unsigned *out, struct err *e)
{
	char tmp[512];
	char *save = NULL;
	enum incident_state st;

	snprintf(tmp, sizeof(tmp), "%s", s);
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (incident_state_parse(t, &st, e))
			return ERR_INVALID;
		*out |= 1u << st;
	}
	return 0;
}

static int parse_priorities(const char *s, unsigned *out, struct err *e)
{
	char tmp[128];
	char *save = NULL;
	int p;

	snprintf(tmp, sizeof(tmp), "%s", s);
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (vocab_parse(&vocab_priority, t, &p, e))
			return ERR_INVALID;
		*out |= 1u << (p + 1);
	}
	return 0;
}

static int sub_list(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: irdesk incident list [--state S[,S]] [--open] [--priority P[,P]] [--type T]\n"
		"                            [--owner USER | --unowned] [--text WORDS] [--sort KEY]\n"
		"                            [--limit N] [--offset N]\n"
		"  --sort KEY   -created (default), created, updated, priority, state, id\n"
		"  --text WORDS every word must appear in the id, title or summary\n"
		"\noptions:\n" CLI_COMMON_HELP;
	struct incident_filter f;
	struct incident_list l;
	struct opts o;
	int rc;

	if ((rc = parse(c, argc, argv, &o, usage, 0, ",state,open,priority,type,owner,unowned,text,sort,limit,offset,")) >= 0)
		return rc;
	if (optind < argc)
		return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
	memset(&f, 0, sizeof(f));
	f.type = -1;
	if (o.state && parse_states(o.state, &f.states, &c->err))
		return cli_fail(c);
	if (o.priority && parse_priorities(o.priority, &f.priorities, &c->err))
		return cli_fail(c);
	if (o.type && vocab_parse(&vocab_incident_type, o.type, &f.type, &c->err))
		return cli_fail(c);
	if (o.sort && incident_sort_parse(o.sort, &f.sort, &c->err))
		return cli_fail(c);
	f.open_only = o.open;
	if (o.unowned && o.owner)
		return cli_usage_error(usage, "--owner and --unowned exclude each other");
	f.owner = o.unowned ? "" : o.owner;
	f.text = o.text;
	f.limit = o.limit;
	f.offset = o.offset;
	if ((rc = cli_open(c)))
		return rc;
	if (incident_list(c->st, &c->actor, &f, &l, &c->err))
		return cli_fail(c);
	if (c->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < l.n; i++)
			json_array_append_new(arr, incident_to_json(&l.items[i]));
		rc = json_print(arr) ? cli_error(ERR_IO, "cannot write output") : 0;
		json_decref(arr);
	} else {
		static const char *const hdr[] = { "ID", "PRI", "STATE", "TYPE", "OWNER", "UPDATED", "TITLE" };
		struct table *t = table_new(7, hdr);
		for (size_t i = 0; i < l.n; i++) {
			const struct incident *x = &l.items[i];
			char pri[4] = "-", when[64];
			if (x->priority)
				snprintf(pri, sizeof(pri), "P%d", x->priority);
			const char *row[] = { x->hid, pri, incident_state_name(x->state),
					      vocab_name(&vocab_incident_type, x->type),
					      x->owner[0] ? x->owner : "-",
					      cli_time(c, x->updated_at, when), x->title };
			table_add(t, row);
		}
		table_max_width(t, 6, 60);
		if (l.n)
			table_print(t, stdout);
		else
			printf("no incidents\n");
		table_free(t);
	}
	incident_list_release(&l);
	return rc;
}

static void show_line(const char *label, const char *value)
{
	if (value && *value)
		printf("  %-20s %s\n", label, value);
}

static void show_time(struct cli *c, const char *label, int64_t t)
{
	char tmp[64];
	if (t)
		show_line(label, cli_time(c, t, tmp));
}

static void show_missing(json_t *items, const enum incident_state *next, int n);

static int sub_show(struct cli *c, int argc, char **argv)
{
	static const char usage[] = "usage: irdesk incident show ID\n\noptions:\n" CLI_COMMON_HELP;
	struct incident inc;
	struct task_filter tf = { 0 };
	json_t *timeline = NULL, *tasks = NULL, *members = NULL, *items = NULL;
	struct opts o;
	int rc;

	if ((rc = parse(c, argc, argv, &o, usage, 0, ",")) >= 0)
		return rc;
	if (optind != argc - 1)
		return cli_usage_error(usage, optind >= argc ? "missing incident id" : "too many arguments");
	if ((rc = cli_open(c)))
		return rc;
	if (incident_get(c->st, &c->actor, argv[optind], &inc, &c->err) ||
	    timeline_list(c->st, &c->actor, inc.hid, &timeline, &c->err) ||
	    incident_members(c->st, &c->actor, inc.hid, &members, &c->err) ||
	    items_get(c->st, &c->actor, inc.hid, cli_lang(), &items, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}
	tf.hid = inc.hid;
	if (task_list(c->st, &c->actor, &tf, &tasks, &c->err)) {
		rc = cli_fail(c);
		goto out;
	}
	if (c->json) {
		json_t *j = incident_to_json(&inc);
		json_object_set(j, "timeline", timeline);
		json_object_set(j, "tasks", tasks);
		json_object_set(j, "members", members);
		json_object_set(j, "items", json_object_get(items, "items"));
		json_object_set(j, "threats", json_object_get(items, "threats"));
		json_object_set(j, "missing", json_object_get(items, "missing"));
		rc = json_print(j) ? cli_error(ERR_IO, "cannot write output") : 0;
		json_decref(j);
		goto out;
	}
	{
		char pri[64] = "unknown", impact[256] = "";
		enum incident_state ns[ST__COUNT];
		struct buf next = BUF_INIT;
		size_t k;
		json_t *v;
		int n = incident_next_states(&inc, ns);

		printf("%s  %s\n", inc.hid, inc.title);
		printf("  %-20s %s (%s, NIST %s, CSF %s)\n", "state", incident_state_name(inc.state),
		       incident_state_label(inc.state, "ja"), incident_state_nist(inc.state),
		       incident_state_csf(inc.state));
		if (inc.priority)
			snprintf(pri, sizeof(pri), "P%d%s", inc.priority,
				 inc.priority_override ? " (override)" : "");
		show_line("priority", pri);
		show_line("priority reason", inc.priority_reason);
		show_line("type", vocab_name(&vocab_incident_type, inc.type));
		show_line("attack vector", vocab_name(&vocab_attack_vector, inc.attack_vector));
		show_line("functional impact", vocab_name(&vocab_functional_impact, inc.functional_impact));
		for (int i = 0; i < vocab_information_impact.n; i++)
			if (inc.information_impact & (1u << i))
				snprintf(impact + strlen(impact), sizeof(impact) - strlen(impact), "%s%s",
					 impact[0] ? ", " : "", vocab_name(&vocab_information_impact, i));
		show_line("information impact", impact);
		show_line("recoverability", vocab_name(&vocab_recoverability, inc.recoverability));
		printf("  %-20s %s / %s\n", "marking", vocab_name(&vocab_tlp, inc.tlp),
		       vocab_name(&vocab_pap, inc.pap));
		show_line("owner", inc.owner);
		show_line("reporter", inc.reporter);
		show_line("rejected as", vocab_name(&vocab_reject_reason, inc.reject_reason));
		show_line("duplicate of", inc.duplicate_hid);
		show_time(c, "occurred", inc.occurred_at);
		show_time(c, "discovered", inc.discovered_at);
		show_time(c, "reported", inc.reported_at);
		show_time(c, "triaged", inc.triaged_at);
		show_time(c, "contained", inc.contained_at);
		show_time(c, "recovered", inc.recovered_at);
		show_time(c, "closed", inc.closed_at);
		show_time(c, "created", inc.created_at);
		show_line("created by", inc.created_by);
		for (int i = 0; i < n; i++)
			buf_addf(&next, "%s%s", i ? ", " : "", incident_state_name(ns[i]));
		show_line("next states", next.len ? next.data : "none");
		buf_release(&next);
		show_missing(items, ns, n);
		if (inc.summary && *inc.summary)
			printf("\n%s\n", inc.summary);
		if (json_array_size(members)) {
			printf("\nmembers:\n");
			json_array_foreach(members, k, v)
				printf("  %-20s %s%s\n", json_str(v, "username"), json_str(v, "role"),
				       json_is_true(json_object_get(v, "external")) ? " (external)" : "");
		}
		if (json_array_size(tasks)) {
			printf("\ntasks:\n");
			json_array_foreach(tasks, k, v) {
				json_t *a = json_object_get(v, "assignee");
				printf("  [%c] #%-5lld %-13s %s%s%s\n",
				       json_is_true(json_object_get(v, "done")) ? 'x' : ' ',
				       (long long)json_integer_value(json_object_get(v, "id")),
				       json_str(v, "phase"), json_str(v, "title"),
				       json_is_string(a) ? "  @" : "", json_is_string(a) ? json_string_value(a) : "");
			}
		}
		if (json_array_size(timeline)) {
			printf("\ntimeline:\n");
			json_array_foreach(timeline, k, v) {
				char when[64];
				int64_t t = 0;
				time_parse(json_str(v, "occurred_at"), NULL, 0, &t, NULL);
				printf("  %-23s  %-13s %-12s %s\n", cli_time(c, t, when), json_str(v, "kind"),
				       json_str(v, "author"), json_str(v, "text"));
			}
		}
	}
out:
	json_decref(timeline);
	json_decref(tasks);
	json_decref(members);
	json_decref(items);
	incident_release(&inc);
	return rc;
}

/* What the next forward states still need ("missing for post_incident: ..."). */
static void show_missing(json_t *items, const enum incident_state *next, int n)
{
	json_t *missing = json_object_get(items, "missing"), *keys, *k;
	struct buf line = BUF_INIT;
	char label[64];
	size_t i;

	for (int j = 0; j < n; j++) {
		keys = json_object_get(missing, incident_state_name(next[j]));
		if (!json_array_size(keys))
			continue;
		buf_reset(&line);
		json_array_foreach(keys, i, k)
			buf_addf(&line, "%s%s", i ? ", " : "", json_string_value(k));
		snprintf(label, sizeof(label), "missing for %s", incident_state_name(next[j]));
		show_line(label, line.data);
	}
	buf_release(&line);
}

static int sub_item(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: irdesk incident item ID                 show the catalog items and what is missing\n"
		"       irdesk incident item ID KEY=VALUE...    set items (KEY= clears; lists: one\n"
		"                                               entry per line)\n"
		"  The items are those of METI Appendix C table 1, NIST Appendix B and the\n"
		"  incident type's own table (irdesk catalog show TYPE).\n"
		"\noptions:\n" CLI_COMMON_HELP;
	struct incident_field values[ITEMS_SET_MAX];
	char keys[ITEMS_SET_MAX][65];
	json_t *items = NULL, *it;
	struct opts o;
	size_t n = 0, i;
	int rc;

	if ((rc = parse(c, argc, argv, &o, usage, 0, ",")) >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage_error(usage, "missing incident id");
	for (int a = optind + 1; a < argc; a++) {
		const char *eq = strchr(argv[a], '=');
		if (!eq || eq == argv[a] || eq - argv[a] > 64)
			return cli_usage_error(usage, "'%.64s': expected KEY=VALUE", argv[a]);
		if (n == ITEMS_SET_MAX)
			return cli_usage_error(usage, "too many items (at most %d)", ITEMS_SET_MAX);
		snprintf(keys[n], sizeof(keys[n]), "%.*s", (int)(eq - argv[a]), argv[a]);
		values[n].name = keys[n];
		values[n].value = eq + 1;
		n++;
	}
	if ((rc = cli_open(c)))
		return rc;
	if ((n && items_set(c->st, &c->actor, argv[optind], values, n, &c->err)) ||
	    items_get(c->st, &c->actor, argv[optind], cli_lang(), &items, &c->err))
		return cli_fail(c);
	if (c->json) {
		rc = json_print(items) ? cli_error(ERR_IO, "cannot write output") : 0;
	} else {
		static const char *const hdr[] = { "KEY", "LABEL", "VALUE", "REQUIRED BEFORE" };
		struct table *t = table_new(4, hdr);
		json_array_foreach(json_object_get(items, "items"), i, it) {
			const char *row[] = { json_str(it, "key"), json_str(it, "label"),
					      json_str(it, "display") ? json_str(it, "display") : "",
					      json_str(it, "required_before") ? json_str(it, "required_before")
									      : "" };
			table_add(t, row);
		}
		table_max_width(t, 2, 60);
		table_print(t, stdout);
		table_free(t);
		json_array_foreach(json_object_get(items, "threats"), i, it)
			printf("threat: %s %s\n", json_str(it, "ref"), json_str(it, "label"));
		{
			const char *key;
			json_t *v;
			json_object_foreach(json_object_get(items, "missing"), key, v) {
				struct buf b = BUF_INIT;
				size_t k;
				json_t *x;
				json_array_foreach(v, k, x)
					buf_addf(&b, "%s%s", k ? ", " : "", json_string_value(x));
				printf("missing for %s: %s\n", key, b.data);
				buf_release(&b);
			}
		}
	}
	json_decref(items);
	return rc;
}

static int sub_threat(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: irdesk incident threat ID REF... [--remove]\n"
		"  REF  an IPA threat as YEAR:key (irdesk catalog threats)\n"
		"\noptions:\n" CLI_COMMON_HELP;
	struct opts o;
	int rc;

	if ((rc = parse(c, argc, argv, &o, usage, 0, ",remove,")) >= 0)
		return rc;
	if (argc - optind < 2)
		return cli_usage_error(usage, "give the incident id and at least one threat");
	if ((rc = cli_open(c)))
		return rc;
	if (items_threats(c->st, &c->actor, argv[optind], (const char *const *)argv + optind + 1,
			  (size_t)(argc - optind - 1), o.remove, &c->err))
		return cli_fail(c);
	if (!c->json)
		printf("%s: %s %d threat%s\n", argv[optind], o.remove ? "untagged" : "tagged",
		       argc - optind - 1, argc - optind - 1 == 1 ? "" : "s");
	return 0;
}

static int sub_set(struct cli *c, int argc, char **argv)
{
	struct incident inc;
	struct opts o;
	char usage[4096];
	int rc;

	snprintf(usage, sizeof(usage),
		 "usage: irdesk incident set ID FIELD OPTIONS... [--reason TEXT] [--if-version N]\n%s",
		 usage_fields);
	if ((rc = parse(c, argc, argv, &o, usage, 1, ",reason,if-version,")) >= 0)
		return rc;
	if (optind != argc - 1)
		return cli_usage_error(usage, optind >= argc ? "missing incident id" : "too many arguments");
	if (!o.nfields)
		return cli_usage_error(usage, "nothing to change: give at least one field option");
	if ((rc = cli_open(c)))
		return rc;
	if (incident_update(c->st, &c->actor, argv[optind], o.fields, o.nfields, o.reason,
			    o.if_version, &inc, &c->err))
		return cli_fail(c);
	if (c->json)
		rc = print_json_incident(&inc);
	else
		print_incident_line(&inc, "updated");
	incident_release(&inc);
	return rc;
}

static int sub_move(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: irdesk incident move ID STATE [--reason TEXT] [--reject-reason R] [--duplicate-of ID]\n"
		"                           [--force --reason TEXT]\n"
		"  STATE          new, triage, analysis, containment, eradication, recovery,\n"
		"                 post_incident, closed, rejected\n"
		"  --reject-reason false_positive, not_our_constituency, duplicate\n"
		"  --force        move although items the catalog requires are missing\n"
		"                 (commanders; needs --reason, recorded on the timeline)\n"
		"\noptions:\n" CLI_COMMON_HELP;
	struct incident_move m = { 0 };
	enum incident_state to;
	struct incident inc;
	struct opts o;
	int rc;

	if ((rc = parse(c, argc, argv, &o, usage, 0, ",reason,reject-reason,duplicate-of,force,")) >= 0)
		return rc;
	if (argc - optind != 2)
		return cli_usage_error(usage, argc - optind < 2 ? "missing incident id or state"
								 : "too many arguments");
	if (incident_state_parse(argv[optind + 1], &to, &c->err))
		return cli_fail(c);
	m.reason = o.reason;
	m.reject_reason = o.reject;
	m.duplicate_of = o.dup;
	m.force = o.force;
	if ((rc = cli_open(c)))
		return rc;
	if (incident_move(c->st, &c->actor, argv[optind], to, &m, &inc, &c->err))
		return cli_fail(c);
	if (c->json)
		rc = print_json_incident(&inc);
	else
		printf("%s: now %s\n", inc.hid, incident_state_name(inc.state));
	incident_release(&inc);
	return rc;
}

static int sub_note(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: irdesk incident note ID TEXT [--kind KIND] [--at TIME]\n"
		"  --kind KIND  observation (default), action, decision, communication, evidence\n"
		"  --at TIME    when it happened (default: now), e.g. '2026-11-26 09:30 JST'\n"
		"\noptions:\n" CLI_COMMON_HELP;
	struct opts o;
	json_t *entry = NULL;
	int rc;

	if ((rc = parse(c, argc, argv, &o, usage, 0, ",kind,at,")) >= 0)
		return rc;
	if (argc - optind != 2)
		return cli_usage_error(usage, argc - optind < 2 ? "missing incident id or text"
								 : "too many arguments (quote the text)");
	if ((rc = cli_open(c)))
		return rc;
	if (timeline_add(c->st, &c->actor, argv[optind], o.kind, o.at, argv[optind + 1], &entry,
			 &c->err))
		return cli_fail(c);
	if (c->json)
		rc = json_print(entry) ? cli_error(ERR_IO, "cannot write output") : 0;
	else
		printf("noted on %s (entry %lld)\n", json_str(entry, "incident"),
		       (long long)json_integer_value(json_object_get(entry, "id")));
	json_decref(entry);
	return rc;
}

static int sub_member(struct cli *c, int argc, char **argv)
{
	static const char usage[] =
		"usage: irdesk incident member ID                 list the members\n"
		"       irdesk incident member ID USER ROLE       add USER with ROLE (or change the role)\n"
		"       irdesk incident member ID USER --remove   remove USER\n"
		"\noptions:\n" CLI_COMMON_HELP;
	struct opts o;
	json_t *members = NULL;
	int rc, nargs;

	if ((rc = parse(c, argc, argv, &o, usage, 0, ",remove,")) >= 0)
		return rc;
	nargs = argc - optind;
	if (nargs < 1 || nargs > 3 || (o.remove && nargs != 2) || (!o.remove && nargs == 2))
		return cli_usage_error(usage, "expected ID, ID USER ROLE or ID USER --remove");
	if ((rc = cli_open(c)))
		return rc;
	if (nargs == 3 && incident_member_set(c->st, &c->actor, argv[optind], argv[optind + 1],
					      argv[optind + 2], &c->err))
		return cli_fail(c);
	if (o.remove && incident_member_remove(c->st, &c->actor, argv[optind], argv[optind + 1],
					       &c->err))
		return cli_fail(c);
	if (incident_members(c->st, &c->actor, argv[optind], &members, &c->err))
		return cli_fail(c);
	if (!c->json && nargs > 1) {
		if (o.remove)
			printf("%s: removed %s\n", argv[optind], argv[optind + 1]);
		else
			printf("%s: %s is a member as %s\n", argv[optind], argv[optind + 1],
			       argv[optind + 2]);
		json_decref(members);
		return 0;
	}
	if (c->json) {
		rc = json_print(members) ? cli_error(ERR_IO, "cannot write output") : 0;
	} else {
		static const char *const hdr[] = { "USER", "ROLE", "EXTERNAL", "NAME" };
		struct table *t = table_new(4, hdr);
		size_t k;
		json_t *v;
		json_array_foreach(members, k, v) {
			const char *row[] = { json_str(v, "username"), json_str(v, "role"),
					      json_is_true(json_object_get(v, "external")) ? "yes" : "no",
					      json_str(v, "display_name") };
			table_add(t, row);
		}
		if (json_array_size(members))
			table_print(t, stdout);
		else
			printf("no members\n");
		table_free(t);
	}
	json_decref(members);
	return rc;
}

int cmd_incident(int argc, char **argv, struct cli *c)
{
	static const struct {
		const char *name;
		int (*fn)(struct cli *c, int argc, char **argv);
	} subs[] = {
		{ "new", sub_new }, { "list", sub_list }, { "show", sub_show }, { "set", sub_set },
		{ "move", sub_move }, { "note", sub_note }, { "member", sub_member },
		{ "item", sub_item }, { "threat", sub_threat },
		{ "killchain", cmd_incident_killchain },
	};

	if (argc < 2)
		return cli_usage_error(usage_main, "missing incident command (new, list, show, set, "
				       "move, note, member)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_main, stdout);
		fputs("\noptions:\n" CLI_COMMON_HELP, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(c, argc - 1, argv + 1);
	return cli_usage_error(usage_main, "unknown incident command '%s'", argv[1]);
}
