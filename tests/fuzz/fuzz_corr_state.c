/*
 * fuzz_corr_state.c: libFuzzer target for loading a saved correlation state
 * (sigma_corr_state_load): the input is the JSON text of a state for a fixed
 * rule set (an event_count, a deferred event_count, a value_count, a
 * value_sum and a temporal_ordered correlation). Whatever loads must then
 * work with the live code: a few events are fed, the windows flushed and
 * the state saved again. Seeds: the .json files of tests/data/corrstate
 * (states `serve` saved for these rules). Build like fuzz_sigma_yaml.c.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/event.h"
#include "detect/sigma.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rules[] =
	"title: logon\nid: f-logon\nname: logon\ndetection:\n    sel:\n        EventID: 4624\n"
	"    condition: sel\n---\n"
	"title: mfa\nid: f-mfa\nname: mfa\ndetection:\n    sel:\n        EventID: 4000\n"
	"    condition: sel\n---\n"
	"title: many\nid: f-many\ncorrelation:\n    type: event_count\n    rules:\n        - logon\n"
	"    group-by:\n        - User\n    timespan: 5m\n    condition:\n        gte: 3\n---\n"
	"title: few\nid: f-few\ncorrelation:\n    type: event_count\n    rules:\n        - logon\n"
	"    group-by:\n        - User\n    timespan: 1m\n    condition:\n        lt: 2\n---\n"
	"title: hosts\nid: f-hosts\ncorrelation:\n    type: value_count\n    rules:\n        - logon\n"
	"    group-by:\n        - User\n    timespan: 5m\n    condition:\n        field: Host\n"
	"        gte: 2\n---\n"
	"title: bytes\nid: f-bytes\ncorrelation:\n    type: value_sum\n    rules:\n        - logon\n"
	"    group-by:\n        - User\n    timespan: 5m\n    condition:\n        field: Bytes\n"
	"        gt: 100\n---\n"
	"title: order\nid: f-order\ncorrelation:\n    type: temporal_ordered\n    rules:\n"
	"        - logon\n        - mfa\n    group-by:\n        - User\n    timespan: 5m\n"
	"    condition:\n        gte: 2\n";

static const char *const events[] = {
	"{\"EventID\": 4624, \"User\": \"bob\", \"Host\": \"a\", \"Bytes\": 70}",
	"{\"EventID\": 4000, \"User\": \"bob\"}",
	"{\"EventID\": 4624, \"User\": \"eve\", \"Host\": \"b\", \"Bytes\": 40}",
};

static struct sigma_ruleset *rs;
static struct sigma_scratch *scratch;

struct feed {
	struct sigma_corr_state *st;
	const struct event *ev;
	int64_t t;
};

static void on_fire(void *ctx, const struct sigma_rule *corr, const char *group, int64_t t)
{
	(void)ctx;
	(void)corr;
	(void)group;
	(void)t;
}

static void on_match(void *ctx, const struct sigma_rule *rule)
{
	struct feed *f = ctx;

	(void)sigma_correlate_feed(rs, f->st, rule, f->ev, f->t, on_fire, NULL);
}

static int setup(void)
{
	struct err e;

	return sigma_ruleset_new(&rs, &e) ||
	       sigma_load_text(rs, "fuzz.yml", rules, strlen(rules), NULL, NULL, &e) ||
	       sigma_ruleset_compile(rs, &e) || sigma_scratch_new(rs, &scratch, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct feed f = { NULL, NULL, 0 };
	struct event ev;
	json_t *in, *out = NULL;
	struct err e;

	if (!rs && setup())
		abort();
	in = json_loadb((const char *)data, size, 0, NULL);
	if (!in || sigma_corr_state_new(2, &f.st, &e)) {
		json_decref(in);
		return 0;
	}
	(void)sigma_corr_state_load(rs, f.st, in, NULL, NULL, &e);
	event_init(&ev);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if (event_decode(&ev, events[i], strlen(events[i]), PROFILE_FLAT, &e))
			abort();
		f.ev = &ev;
		f.t = 1000 + (int64_t)i * 30;
		(void)sigma_correlate_advance(rs, f.st, f.t, on_fire, NULL);
		(void)sigma_match(rs, scratch, &ev, on_match, &f);
	}
	(void)sigma_correlate_flush(rs, f.st, on_fire, NULL);
	(void)sigma_corr_state_save(rs, f.st, &out, &e);
	event_release(&ev);
	json_decref(out);
	json_decref(in);
	sigma_corr_state_free(f.st);
	return 0;
}
