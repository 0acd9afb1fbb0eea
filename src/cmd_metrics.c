/*
 * cmd_metrics.c: `irdesk metrics [--from TIME] [--to TIME]`: incident
 * metrics (ir/metrics.h) as tables or JSON.
 */
#include "cli.h"
#include "cmds.h"
#include "ir/metrics.h"
#include "util/json.h"
#include "util/time.h"

#include <string.h>

static const char usage_metrics[] =
	"usage: irdesk metrics [--from TIME] [--to TIME]\n"
	"\n"
	"Incident metrics over the incidents discovered from --from (inclusive) to --to\n"
	"(exclusive): counts per type, priority, state and month; median and 90th\n"
	"percentile of the time to detect (occurred -> discovered), triage, contain,\n"
	"recover and report (each from discovered); recurrence (incidents sharing an\n"
	"observable with an earlier incident, or of the same type and title pattern).\n"
	"\n"
	"options:\n"
	"  --from TIME   start of the period (default: the beginning)\n"
	"  --to TIME     end of the period (default: now and later)\n" CLI_COMMON_HELP;

enum { O_FROM = OPT__FIRST_CMD, O_TO };

struct opts {
	const char *from, *to;
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct opts *o = ctx;

	if (opt == O_FROM)
		o->from = arg;
	else if (opt == O_TO)
		o->to = arg;
	return 0;
}

static void print_counts(const char *title, json_t *obj)
{
	const char *const hdr[] = { title, "INCIDENTS" };
	struct table *t = table_new(2, hdr);
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		char n[32];
		snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
		table_add(t, (const char *const[]){ k, n });
	}
	table_print(t, stdout);
	table_free(t);
	printf("\n");
}

static void print_durations(json_t *d)
{
	static const char *const hdr[] = { "DURATION", "COUNT", "MEDIAN", "P90" };
	struct table *t = table_new(4, hdr);

	for (int i = 0; i < MD__COUNT; i++) {
		json_t *v = json_object_get(d, metric_duration_name((enum metric_duration)i));
		char n[32], med[TIME_STR_MAX] = "-", p90[TIME_STR_MAX] = "-";

		snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(json_object_get(v, "count")));
		if (json_is_integer(json_object_get(v, "median"))) {
			time_format_duration(json_integer_value(json_object_get(v, "median")), med);
			time_format_duration(json_integer_value(json_object_get(v, "p90")), p90);
		}
		table_add(t, (const char *const[]){ metric_duration_name((enum metric_duration)i), n,
						    med, p90 });
	}
	table_print(t, stdout);
	table_free(t);
	printf("\n");
}

static void print_metrics(json_t *m)
{
	json_t *months = json_object(), *rec = json_object_get(m, "recurrence"), *v;
	size_t i;

	printf("incidents: %lld\n\n", (long long)json_integer_value(json_object_get(m, "total")));
	print_counts("TYPE", json_object_get(m, "by_type"));
	print_counts("PRIORITY", json_object_get(m, "by_priority"));
	print_counts("STATE", json_object_get(m, "by_state"));
	json_array_foreach(json_object_get(m, "by_month"), i, v)
		json_object_set(months, json_str(v, "month"), json_object_get(v, "total"));
	print_counts("MONTH", months);
	json_decref(months);
	print_durations(json_object_get(m, "durations"));
	printf("recurrence: %lld\n", (long long)json_integer_value(json_object_get(rec, "count")));
	json_array_foreach(json_object_get(rec, "items"), i, v)
		printf("  %s after %s (%s)\n", json_str(v, "incident"), json_str(v, "earlier"),
		       json_str(v, "reason"));
}

int cmd_metrics(int argc, char **argv, struct cli *c)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "from", required_argument, NULL, O_FROM },
		{ "to", required_argument, NULL, O_TO },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	int64_t from = 0, to = 0;
	json_t *m = NULL;
	int nops, rc;

	rc = cli_parse_operands(c, argc, argv, opts, usage_metrics, on_opt, &o, NULL, 0, &nops);
	if (rc >= 0)
		return rc;
	if ((rc = cli_open(c)))
		return rc;
	if (o.from && time_parse(o.from, c->tz, c->actor.now, &from, &c->err))
		return err_prefix(&c->err, "--from"), cli_fail(c);
	if (o.to && time_parse(o.to, c->tz, c->actor.now, &to, &c->err))
		return err_prefix(&c->err, "--to"), cli_fail(c);
	if (metrics_compute(c->st, &c->actor, from, to, &m, &c->err))
		return cli_fail(c);
	if (c->json)
		rc = json_print(m) ? cli_error(ERR_IO, "cannot write output") : 0;
	else
		print_metrics(m);
	json_decref(m);
	return rc;
}
