/*
 * cmd_notify.c: `irdesk notify add|list|breach|clocks|config`: record who
 * was told what about an incident, set its personal-data breach flags, show
 * the regulatory clocks, and read or change the clock settings.
 */
#include "cli.h"
#include "cmds.h"
#include "ir/clock.h"
#include "ir/notify.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/time.h"

#include <stdlib.h>
#include <string.h>

static const char usage_main[] =
	"usage: irdesk notify add ID (--to TEXT | --contact N) --channel CH --kind KIND\n"
	"                         [--at TIME] [--subject TEXT] (--text TEXT | --text-file F)\n"
	"       irdesk notify list ID\n"
	"       irdesk notify breach ID [--personal-data yes|no] [--sensitive yes|no]\n"
	"                         [--financial-risk yes|no] [--unauthorised-purpose yes|no]\n"
	"                         [--over-1000 yes|no] [--gdpr yes|no]\n"
	"       irdesk notify clocks [ID] [--overdue]\n"
	"       irdesk notify config [KEY VALUE]\n"
	"\n"
	"channels: email, phone, web_form, letter, meeting, chat, other\n"
	"kinds: internal, management, external, appi_preliminary, appi_final, gdpr,\n"
	"  public_notice, other\n"
	"breach: personal data plus any APPI criterion (sensitive = 要配慮個人情報, financial\n"
	"  risk, unauthorised purpose, over 1,000 persons) starts the 速報 and 確報 clocks\n"
	"  from discovered_at; --gdpr starts the 72-hour clock. Without flags, shows them.\n"
	"config keys (admin only): preliminary_days, final_days, final_days_purpose,\n"
	"  gdpr_hours, due_soon_hours, reminder_hours (e.g. 72,24), zone\n"
	"\noptions:\n" CLI_COMMON_HELP;

enum { O_TO = OPT__FIRST_CMD, O_CONTACT, O_CHANNEL, O_KIND, O_AT, O_SUBJECT, O_TEXT, O_TEXTFILE,
       O_OVERDUE, O_FLAG /* + index of breach_flag_names */ };

struct opts {
	struct notify_new n;
	const char *text_file;
	const char *flags[6];
	int overdue;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct opts *o = ctx;
	char *end;
	long long v;

	switch (opt) {
	case O_TO: o->n.recipient = arg; return 0;
	case O_CHANNEL: o->n.channel = arg; return 0;
	case O_KIND: o->n.kind = arg; return 0;
	case O_AT: o->n.at = arg; return 0;
	case O_SUBJECT: o->n.subject = arg; return 0;
	case O_TEXT: o->n.text = arg; return 0;
	case O_TEXTFILE: o->text_file = arg; return 0;
	case O_OVERDUE: o->overdue = 1; return 0;
	case O_CONTACT:
		v = strtoll(arg, &end, 10);
		if (!*arg || *end || v < 1)
			return cli_error(ERR_USAGE, "--contact: expected a contact number");
		o->n.contact_id = v;
		return 0;
	}
	if (opt >= O_FLAG && opt < O_FLAG + 6) {
		o->flags[opt - O_FLAG] = arg;
		return 0;
	}
	return 2;
}

static int parse(struct cli *c, int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "to", required_argument, NULL, O_TO },
		{ "contact", required_argument, NULL, O_CONTACT },
		{ "channel", required_argument, NULL, O_CHANNEL },
		{ "kind", required_argument, NULL, O_KIND },
		{ "at", required_argument, NULL, O_AT },
		{ "subject", required_argument, NULL, O_SUBJECT },
		{ "text", required_argument, NULL, O_TEXT },
		{ "text-file", required_argument, NULL, O_TEXTFILE },
		{ "overdue", no_argument, NULL, O_OVERDUE },
		{ "personal-data", required_argument, NULL, O_FLAG + 0 },
		{ "sensitive", required_argument, NULL, O_FLAG + 1 },
		{ "financial-risk", required_argument, NULL, O_FLAG + 2 },
		{ "unauthorised-purpose", required_argument, NULL, O_FLAG + 3 },
		{ "over-1000", required_argument, NULL, O_FLAG + 4 },
		{ "gdpr", required_argument, NULL, O_FLAG + 5 },
		{ 0, 0, 0, 0 },
	};
	memset(o, 0, sizeof(*o));
	return cli_parse(c, argc, argv, longopts, usage_main, on_opt, o);
}

static int print_json(json_t *v)
{
	int rc = json_print(v) ? cli_error(ERR_IO, "cannot write output") : 0;

	json_decref(v);
	return rc;
}

static const char *when(struct cli *c, const json_t *o, const char *key, char out[64])
{
	int64_t t = 0;

	out[0] = 0;
	if (json_str(o, key) && time_parse(json_str(o, key), NULL, 0, &t, NULL) == 0)
		cli_time(c, t, out);
	return out;
}

static void print_notifications(struct cli *c, json_t *list)
{
	static const char *const hdr[] = { "SENT", "KIND", "CHANNEL", "TO", "SUBJECT", "BY" };
	struct table *t = table_new(6, hdr);
	size_t k;
	json_t *v;

	json_array_foreach(list, k, v) {
		char sent[64];
		const char *row[] = { when(c, v, "sent_at", sent), json_str(v, "kind"),
				      json_str(v, "channel"), json_str(v, "recipient"),
				      json_str(v, "subject"), json_str(v, "created_by") };
		table_add(t, row);
	}
	table_max_width(t, 3, 40);
	table_max_width(t, 4, 50);
	if (json_array_size(list))
		table_print(t, stdout);
	else
		printf("no notifications\n");
	table_free(t);
}

static void print_clocks(struct cli *c, json_t *list)
{
	static const char *const hdr[] = { "INCIDENT", "CLOCK", "DUE", "LEFT", "STATE" };
	struct table *t = table_new(5, hdr);
	size_t k;
	json_t *v;

	json_array_foreach(list, k, v) {
		char due[64], left[TIME_STR_MAX];
		time_format_duration(json_integer_value(json_object_get(v, "left_seconds")), left);
		const char *row[] = { json_str(v, "incident") ? json_str(v, "incident") : "",
				      json_str(v, "clock"), when(c, v, "due_at", due),
				      json_str(v, "satisfied_at") ? "-" : left, json_str(v, "state") };
		table_add(t, row);
	}
	if (json_array_size(list))
		table_print(t, stdout);
	else
		printf("no clocks\n");
	table_free(t);
}

static void print_breach(struct cli *c, json_t *b)
{
	size_t i;
	json_t *v;

	/* The clocks of one incident: name it in their table too. */
	json_array_foreach(json_object_get(b, "clocks"), i, v)
		if (!json_str(v, "incident") && json_str(b, "incident"))
			json_set_str(v, "incident", json_str(b, "incident"));
	for (int f = 0; breach_flag_names[f]; f++)
		printf("%-21s %s\n", breach_flag_names[f],
		       json_is_true(json_object_get(b, breach_flag_names[f])) ? "yes" : "no");
	print_clocks(c, json_object_get(b, "clocks"));
}

static int do_add(struct cli *c, struct opts *o, const char *hid)
{
	struct buf text;
	json_t *out = NULL;
	struct err e;
	int rc = 0;

	buf_init(&text, 4 * NOTIFY_TEXT_MAX);
	err_clear(&e);
	if (o->text_file && o->n.text)
		return cli_usage_error(usage_main, "notify add: give --text or --text-file, not both");
	if (o->text_file) {
		if (fs_read_file(o->text_file, &text, &e))
			return cli_error(e.code, "%s", err_msg(&e));
		o->n.text = text.data;
	}
	if ((rc = cli_open(c)) == 0 && notify_add(c->st, &c->actor, hid, &o->n, &out, &c->err))
		rc = cli_fail(c);
	buf_release(&text);
	if (rc)
		return rc;
	if (c->json)
		return print_json(out);
	printf("recorded notification %lld on %s: %s to %s\n",
	       (long long)json_integer_value(json_object_get(out, "id")), json_str(out, "incident"),
	       json_str(out, "kind"), json_str(out, "recipient"));
	json_decref(out);
	return 0;
}

static int do_breach(struct cli *c, struct opts *o, const char *hid)
{
	struct breach_update u = BREACH_UPDATE_NONE;
	int *v = &u.personal_data, any = 0, rc;
	json_t *out = NULL;

	for (int i = 0; i < 6; i++) {
		if (!o->flags[i])
			continue;
		if (breach_parse_flag(breach_flag_names[i], o->flags[i], &v[i], &c->err))
			return cli_fail(c);
		any = 1;
	}
	if ((rc = cli_open(c)))
		return rc;
	rc = any ? breach_set(c->st, &c->actor, hid, &u, &out, &c->err)
		 : breach_get(c->st, &c->actor, hid, &out, &c->err);
	if (rc)
		return cli_fail(c);
	if (c->json)
		return print_json(out);
	print_breach(c, out);
	json_decref(out);
	return 0;
}

static int do_config(struct cli *c, int nops, char **ops)
{
	json_t *out = NULL;
	int rc;

	if (nops != 0 && nops != 2)
		return cli_usage_error(usage_main, "notify config: expected nothing or KEY VALUE");
	if ((rc = cli_open(c)))
		return rc;
	if (nops == 2 && clock_config_set(c->st, &c->actor, ops[0], ops[1], &c->err))
		return cli_fail(c);
	if (clock_config_json(c->st, &c->actor, &out, &c->err))
		return cli_fail(c);
	if (c->json)
		return print_json(out);
	{
		const char *key;
		json_t *v;
		json_object_foreach(out, key, v) {
			char *s = json_dumps(v, JSON_ENCODE_ANY);
			printf("%-19s %s\n", key, json_is_string(v) ? json_string_value(v) : s);
			free(s);
		}
	}
	json_decref(out);
	return 0;
}

/* Parse the subcommand's options; *nops operands start at argv[optind]. */
static int parse_sub(struct cli *c, int argc, char **argv, struct opts *o, int *nops)
{
	int rc = parse(c, argc, argv, o);

	*nops = argc - optind;
	return rc;
}

static int notify_add_cmd(int argc, char **argv, struct cli *c)
{
	struct opts o;
	int nops, rc = parse_sub(c, argc, argv, &o, &nops);

	if (rc >= 0)
		return rc;
	if (nops != 1)
		return cli_usage_error(usage_main, "notify add: expected one incident id");
	return do_add(c, &o, argv[optind]);
}

static int notify_breach_cmd(int argc, char **argv, struct cli *c)
{
	struct opts o;
	int nops, rc = parse_sub(c, argc, argv, &o, &nops);

	if (rc >= 0)
		return rc;
	if (nops != 1)
		return cli_usage_error(usage_main, "notify breach: expected one incident id");
	return do_breach(c, &o, argv[optind]);
}

static int notify_list_cmd(int argc, char **argv, struct cli *c)
{
	struct opts o;
	json_t *out = NULL;
	int nops, rc = parse_sub(c, argc, argv, &o, &nops);

	if (rc >= 0)
		return rc;
	if (nops != 1)
		return cli_usage_error(usage_main, "notify list: expected one incident id");
	if ((rc = cli_open(c)))
		return rc;
	if (notify_list(c->st, &c->actor, argv[optind], &out, &c->err))
		return cli_fail(c);
	if (c->json)
		return print_json(out);
	print_notifications(c, out);
	json_decref(out);
	return 0;
}

static int notify_clocks_cmd(int argc, char **argv, struct cli *c)
{
	struct opts o;
	json_t *out = NULL;
	int nops, rc = parse_sub(c, argc, argv, &o, &nops);

	if (rc >= 0)
		return rc;
	if (nops > 1)
		return cli_usage_error(usage_main, "notify clocks: at most one incident id");
	if ((rc = cli_open(c)))
		return rc;
	rc = nops ? clock_incident(c->st, &c->actor, argv[optind], &out, &c->err)
		  : clock_list(c->st, &c->actor, o.overdue, 0, &out, &c->err);
	if (rc)
		return cli_fail(c);
	if (c->json)
		return print_json(out);
	print_clocks(c, out);
	json_decref(out);
	return 0;
}

static int notify_config_cmd(int argc, char **argv, struct cli *c)
{
	struct opts o;
	int nops, rc = parse_sub(c, argc, argv, &o, &nops);

	return rc >= 0 ? rc : do_config(c, nops, argv + optind);
}

int cmd_notify(int argc, char **argv, struct cli *c)
{
	static const struct cli_subcommand subs[] = {
		{ "add", notify_add_cmd },       { "list", notify_list_cmd },
		{ "breach", notify_breach_cmd }, { "clocks", notify_clocks_cmd },
		{ "config", notify_config_cmd },
	};
	return cli_dispatch(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), usage_main);
}
