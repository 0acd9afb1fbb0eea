#!/usr/bin/env bash
# t1700-demo.sh: `irdesk demo load` fills a fresh database with the seed's
# five cases: five incidents in five states, every page answers, metrics
# have types and months, clocks run and are met, the audit log and the
# evidence verify, and a second load is refused without changing anything.
# Also: every scenario file parses, and a broken one is named by file:line.
. "$(dirname "$0")/lib.sh"

PW=demo-pages-password-1
URL=

ok_page() {
	local code
	code=$(get "$1" "$TEST_DIR/jar")
	[ "$code" = 200 ] || { echo "GET $1 answered $code"; head -c 2000 "$TEST_DIR/body"; return 1; }
}

test_expect_success 'every built-in scenario file parses, and list shows five' '
	irdesk demo check > out &&
	grep -q "^5 scenarios ok$" out &&
	irdesk demo list --json > list.json &&
	[ "$(jq length list.json)" = 5 ] &&
	[ "$(jq -r "[.[].final_state] | unique | length" list.json)" = 5 ]
'

test_expect_success 'a broken scenario file is refused with its file and line' '
	mkdir bad && cp "$TEST_TOP"/data/demo/*.yaml bad/ &&
	line=$(grep -n "move: containment" bad/03-supply-chain.yaml | head -1 | cut -d: -f1) &&
	sed -i "${line}s/move: containment/move: contained/" bad/03-supply-chain.yaml &&
	expect_code 4 irdesk demo check --scenarios bad &&
	stderr_has "03-supply-chain.yaml:$line:" &&
	cp "$TEST_TOP"/data/demo/03-supply-chain.yaml bad/ &&
	printf "  - {at: 1h, launch: rockets, note: countdown}\n" >> bad/05-ddos.yaml &&
	last=$(wc -l < bad/05-ddos.yaml) &&
	expect_code 4 irdesk demo check --scenarios bad &&
	stderr_has "05-ddos.yaml:$last: unknown step key" &&
	cp "$TEST_TOP"/data/demo/05-ddos.yaml bad/ &&
	printf "title: [unclosed\n" > bad/06-broken.yaml &&
	expect_code 4 irdesk demo check --scenarios bad && stderr_has "06-broken.yaml:"
'

test_expect_success 'only an administrator may load, and a refusal leaves no trace' '
	irdesk init > /dev/null &&
	echo "$PW" | irdesk user add cho --role commander --password-stdin > /dev/null &&
	expect_code 6 irdesk --as cho demo load &&
	[ "$(irdesk --json incident list | jq length)" = 0 ] &&
	[ "$(irdesk --json user list | jq length)" = 2 ]
'

test_expect_success 'load: five incidents of five types in five different states' '
	irdesk --json demo load > load.json &&
	[ "$(jq ".incidents | length" load.json)" = 5 ] &&
	irdesk --json incident list > inc.json &&
	[ "$(jq length inc.json)" = 5 ] &&
	[ "$(jq -r "[.[].state] | sort | join(\",\")" inc.json)" = "analysis,closed,containment,recovery,triage" ] &&
	[ "$(jq -r "[.[].type] | unique | length" inc.json)" = 5 ] &&
	[ "$(jq ".users | length" load.json)" = 5 ] &&
	jq -e ".users[] | select(.username == \"demo.kobayashi\")" load.json > /dev/null &&
	irdesk --json user list | jq -e ".[] | select(.username == \"demo.kobayashi\" and .external)" > /dev/null &&
	[ "$(irdesk --json contact list | jq length)" -ge 6 ]
'

test_expect_success 'the lifecycle happened over months: closed with lessons, times in order' '
	closed=$(jq -r ".[] | select(.state == \"closed\") | .id" inc.json) &&
	irdesk --json lessons show "$closed" > lessons.json &&
	jq -e ".complete == true" lessons.json > /dev/null &&
	jq -e ".facts.time_to_detect > 0 and .facts.tasks_done > 0" lessons.json > /dev/null &&
	jq -e ".[] | select(.state == \"closed\") |
		(.discovered_at < .triaged_at) and (.triaged_at < .contained_at) and
		(.contained_at < .recovered_at) and (.recovered_at < .closed_at)" inc.json > /dev/null &&
	irdesk --json task list "$closed" > tasks.json &&
	[ "$(jq "[.[] | select(.done_at)] | length" tasks.json)" -gt 5 ] &&
	[ "$(jq "[.[] | select(.done_at == null)] | length" tasks.json)" -lt "$(jq length tasks.json)" ] &&
	irdesk --json report list "$closed" | jq -e ".[] | select(.kind == \"appi_preliminary\")" > /dev/null
'

test_expect_success 'one forced move by the commander, with its reason on the timeline' '
	sc=$(jq -r ".[] | select(.type == \"supply_chain\") | .id" inc.json) &&
	irdesk incident show "$sc" > show.txt &&
	grep -q "forced with items missing" show.txt
'

test_expect_success 'metrics have every type, several months, durations and a recurrence' '
	irdesk --json metrics > m.json &&
	[ "$(jq ".by_type | length" m.json)" = 5 ] &&
	[ "$(jq ".by_month | length" m.json)" -ge 3 ] &&
	jq -e ".durations | length > 0" m.json > /dev/null &&
	[ "$(jq "[.by_threat | keys[]] | length" m.json)" -ge 5 ] &&
	irdesk --json observable search 203.0.113.45 > seen.json &&
	[ "$(jq length seen.json)" = 2 ] &&
	irdesk metrics | grep -q "after"
'

test_expect_success 'APPI clocks: one met on time, one running' '
	irdesk --json notify clocks > clocks.json &&
	jq -e "[.[] | select(.clock == \"appi_preliminary\" and .state == \"satisfied\")] | length == 1" clocks.json > /dev/null &&
	jq -e "[.[] | select(.clock == \"appi_preliminary\" and (.state == \"running\" or .state == \"due_soon\"))] | length == 1" clocks.json > /dev/null
'

test_expect_success 'the audit log is intact and every evidence file verifies' '
	irdesk audit verify > out && grep -q "intact" out &&
	n=$(jq .evidence load.json) && [ "$n" -ge 5 ] &&
	irdesk evidence verify > out && grep -q "^$n items verified" out
'

test_expect_success 'loading twice is refused (exit 4) and changes nothing' '
	irdesk audit verify > before &&
	expect_code 4 irdesk demo load && stderr_has "already loaded" &&
	stderr_has "$(jq -r ".[-1].id" inc.json)" &&
	irdesk audit verify > after && cmp before after &&
	[ "$(irdesk --json incident list | jq length)" = 5 ]
'

test_expect_success 'every page of the demo answers 200: dashboard, incidents, metrics, contacts, evidence' '
	start_server "$TEST_DIR/serve.log" && up && signin cho "$TEST_DIR/jar" &&
	ok_page / && ok_page /metrics && grep -q "<svg" "$TEST_DIR/body" &&
	ok_page /contacts && grep -q "JPCERT" "$TEST_DIR/body" &&
	ok_page /incidents &&
	for id in $(jq -r ".[].id" inc.json); do
		ok_page "/incidents/$id" && ok_page "/incidents/$id/observables" &&
		ok_page "/incidents/$id/lessons" || exit 1
	done &&
	irdesk --json evidence list > ev.json &&
	for row in $(jq -r ".[] | \"\(.incident)/evidence/\(.id)\"" ev.json); do
		ok_page "/incidents/$row" || exit 1
	done
'

test_done
