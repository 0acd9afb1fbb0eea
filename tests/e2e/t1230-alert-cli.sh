#!/usr/bin/env bash
# t1230-alert-cli.sh: suppressions and the kill chain from the CLI as a
# handler uses them: `irdesk alert suppress|suppressions|unsuppress` (a
# suppressed match is dropped by `irdesk ingest` and counted on the
# suppression, refusals change nothing, every change audited), `irdesk
# incident killchain` (marks by hand shown apart from detected phases,
# with a note, unmarked again, on the timeline), and the worker's counters
# in GET /api/v1/health.
. "$(dirname "$0")/lib.sh"

DATA=$TEST_TOP/tests/data/alert
RULES=$DATA/rules.yml
EVIL=0b1c2d3e-0000-4000-8000-000000000001
PW="alert password 1"

ev() { # HOST: one Sysmon process creation of evil.exe there
	printf '{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"%s","User":"CORP\\\\eve","Image":"C:\\\\Temp\\\\evil.exe","CommandLine":"evil.exe"}\n' "$1"
}

test_expect_success 'setup: a database, a handler, a viewer and an incident' '
	irdesk init > /dev/null &&
	for r in incident_handler viewer; do
		echo "$PW" | irdesk user add "u_$r" --role "$r" --password-stdin > /dev/null || exit 1
	done &&
	irdesk --json incident new --title "Evil tool on a lab machine" | jq -r .id > inc &&
	[ -n "$(cat inc)" ]
'

test_expect_success 'alert suppress adds a suppression; suppressions lists it' '
	irdesk alert suppress "$EVIL" --entity host --value ws42 --expires now+1d \
		--reason "lab machine" > out &&
	grep -q "^suppression [0-9]*: $EVIL$" out &&
	irdesk alert suppressions > list &&
	grep -q "$EVIL" list && grep -q "ws42" list && grep -q "lab machine" list &&
	irdesk --json alert suppressions > list.json &&
	[ "$(jq length list.json)" = 1 ] &&
	[ "$(jq -r ".[0].entity" list.json)" = host ] &&
	[ "$(jq -r ".[0].hits" list.json)" = 0 ] &&
	[ "$(jq -r ".[0].expires_at" list.json)" != null ]
'

test_expect_success 'a suppressed match is dropped by ingest and counted; another host alerts' '
	{ ev WS42; ev WS43; } > events.ndjson &&
	irdesk --json ingest --rules "$RULES" events.ndjson > out.json &&
	jq -e ".events == 2 and .alerts == 1 and .suppressed == 1" out.json > /dev/null &&
	irdesk --json alert list --rule "$EVIL" > alerts.json &&
	[ "$(jq -r "[.items[].entities.host]|join(\",\")" alerts.json)" = WS43 ] &&
	[ "$(irdesk --json alert suppressions | jq -r ".[0].hits")" = 1 ]
'

test_expect_success 'bad suppressions are refused with one message and change nothing' '
	expect_code 4 irdesk alert suppress "$EVIL" && stderr_has "reason" &&
	expect_code 2 irdesk alert suppress --reason x &&
	expect_code 4 irdesk alert suppress "$EVIL" --reason x --entity colour --value red &&
	expect_code 4 irdesk alert suppress "$EVIL" --reason x --expires yesterday-ish &&
	expect_code 6 irdesk --as u_viewer alert suppress "$EVIL" --reason x &&
	expect_code 2 irdesk alert unsuppress abc &&
	expect_code 3 irdesk alert unsuppress 999 &&
	expect_code 2 irdesk alert suppressions extra &&
	expect_code 2 irdesk alert suppress "$EVIL" --reason x --unmark &&
	[ "$(irdesk --json alert suppressions | jq length)" = 1 ] &&
	irdesk --as u_viewer alert suppressions | grep -q ws42
'

test_expect_success 'alert unsuppress removes it; both changes are audited' '
	sid=$(irdesk --json alert suppressions | jq -r ".[0].id") &&
	irdesk alert unsuppress "$sid" > out && grep -q "suppression $sid removed" out &&
	irdesk alert suppressions > out && grep -q "no suppressions" out &&
	expect_code 3 irdesk alert unsuppress "$sid" &&
	[ "$(db_sql "SELECT count(*) FROM audit_log WHERE action LIKE '\''suppression.%'\''")" = 2 ]
'

test_expect_success 'incident killchain shows the seven phases, none reached yet' '
	irdesk incident killchain "$(cat inc)" > kc &&
	[ "$(wc -l < kc)" = 8 ] &&
	grep -q "^5 *command_and_control *Command and control *- *- *$" kc &&
	irdesk --json incident killchain "$(cat inc)" > kc.json &&
	[ "$(jq "[.[]|select(.manual or .detected)]|length" kc.json)" = 0 ]
'

test_expect_success 'a handler marks a phase by hand with a note, apart from detected ones, and unmarks it' '
	irdesk --as u_incident_handler incident killchain "$(cat inc)" command_and_control \
		--note "beacon seen by the ISP" > kc &&
	grep "^5 *command_and_control" kc | grep -q " u_incident_handler 20" &&
	grep -q "beacon seen by the ISP" kc &&
	irdesk --json incident killchain "$(cat inc)" > kc.json &&
	[ "$(jq -r ".[4].manual" kc.json)" = true ] &&
	[ "$(jq -r ".[4].detected" kc.json)" = false ] &&
	[ "$(jq -r ".[4].note" kc.json)" = "beacon seen by the ISP" ] &&
	irdesk --json incident show "$(cat inc)" > inc.json &&
	jq -r ".timeline[].text" inc.json | grep -qx "Kill chain: Command and control (遠隔操作) marked by hand: beacon seen by the ISP" &&
	irdesk --as u_incident_handler incident killchain "$(cat inc)" command_and_control --unmark > kc &&
	! grep -q u_incident_handler kc &&
	irdesk --json incident show "$(cat inc)" | jq -r ".timeline[].text" |
		grep -qx "Kill chain: Command and control (遠隔操作) unmarked by hand" &&
	[ "$(db_sql "SELECT count(*) FROM audit_log WHERE action LIKE '\''incident.killchain.%'\''")" = 2 ]
'

test_expect_success 'bad kill-chain marks are refused and change nothing' '
	expect_code 4 irdesk incident killchain "$(cat inc)" weaponry && stderr_has "command_and_control" &&
	expect_code 6 irdesk --as u_viewer incident killchain "$(cat inc)" delivery &&
	expect_code 3 irdesk incident killchain IR-1999-9999 delivery &&
	expect_code 2 irdesk incident killchain &&
	expect_code 2 irdesk incident killchain "$(cat inc)" --unmark &&
	expect_code 2 irdesk incident killchain "$(cat inc)" delivery recon &&
	[ "$(irdesk --json incident killchain "$(cat inc)" | jq "[.[]|select(.manual)]|length")" = 0 ]
'

test_expect_success 'health shows the detection worker: events matched and alerts made' '
	irdesk token create admin --name t --json | jq -r .token > admin.token &&
	start_server "$TEST_DIR/serve.log" --rules "$RULES" &&
	curl -sS "http://127.0.0.1:$PORT/api/v1/health" > h.json &&
	jq -e ".detection.events == 0 and .detection.queued == 0" h.json > /dev/null &&
	[ "$(curl -sS -o /dev/null -w "%{http_code}" -X POST -H "Authorization: Bearer $(cat admin.token)" \
		--data-binary "$(ev WS50; ev WS50)" "http://127.0.0.1:$PORT/api/v1/events")" = 202 ] &&
	for _ in $(seq 1 100); do
		curl -sS "http://127.0.0.1:$PORT/api/v1/health" > h.json
		[ "$(jq .detection.events h.json)" = 2 ] && break
		sleep 0.1
	done &&
	jq -e ".detection.events == 2 and .detection.alerts == 1 and .detection.deduplicated == 1 and .detection.failed == 0" h.json > /dev/null
'

test_done
