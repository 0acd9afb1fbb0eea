#!/usr/bin/env bash
# t1200-alerts.sh: detection end to end: a server started with a small rule
# file (tests/data/alert/) takes events on POST /api/v1/events (JSON, array,
# JSON lines), makes alerts (deduplicated), and people triage them each way
# through the API and the CLI; promote makes an incident with the event in
# its timeline and the kill chain marked; a full queue answers 503 and
# takes nothing; SIGTERM finishes the queued events first; `irdesk ingest`
# does the same offline.
. "$(dirname "$0")/lib.sh"

DATA=$TEST_TOP/tests/data/alert
RULES=$DATA/rules.yml
PW="alert password 1"
EVIL=0b1c2d3e-0000-4000-8000-000000000001
PHISH=0b1c2d3e-0000-4000-8000-000000000002

url() { echo "http://127.0.0.1:$(cat "$TEST_DIR/port")$1"; }
# call WHO METHOD PATH [BODY]: the status is printed, the body kept in out.
call() {
	local who=$1 m=$2 p=$3
	shift 3
	curl -sS -o "$TEST_DIR/out" -D "$TEST_DIR/headers" -w '%{http_code}' -X "$m" \
		-H "Authorization: Bearer $(cat "$TEST_DIR/$who.token")" \
		-H 'Content-Type: application/json' ${1+--data-binary "$1"} "$(url "$p")"
}
expect() { # STATUS WHO METHOD PATH [BODY]
	local want=$1 got
	shift
	got=$(call "$@") || return 1
	[ "$got" = "$want" ] || { echo "$* -> $got, expected $want: $(cat "$TEST_DIR/out")"; return 1; }
}
out() { jq -r "$1" "$TEST_DIR/out"; }
# wait_alerts N [QUERY]: until the API lists N alerts (the worker is asynchronous).
wait_alerts() {
	for _ in $(seq 1 100); do
		call admin GET "/api/v1/alerts?limit=200${2:+&$2}" > /dev/null
		[ "$(out '.items|length')" = "$1" ] && return 0
		sleep 0.1
	done
	echo "expected $1 alerts, have $(out '.items|length')"; cat "$TEST_DIR/out"; return 1
}
ev() { # HOST USER IMAGE CMDLINE: one Sysmon process creation event
	printf '{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"%s","User":"%s","Image":"%s","CommandLine":"%s"}' "$@"
}

test_expect_success 'setup: accounts of the triage roles, tokens, a server with the rules' '
	irdesk init > /dev/null &&
	irdesk token create admin --name t --json | jq -r .token > "$TEST_DIR/admin.token" &&
	for r in incident_handler viewer triage; do
		echo "$PW" | irdesk user add "u_$r" --role "$r" --password-stdin > /dev/null &&
		irdesk token create "u_$r" --name t --json | jq -r .token > "$TEST_DIR/u_$r.token" || exit 1
	done &&
	start_server "$TEST_DIR/serve.log" --rules "$RULES" &&
	grep -q "detection: 2 rules loaded, 0 rejected" "$TEST_DIR/serve.log"
'

test_expect_success 'events as JSON lines become alerts; repeats fold into one with a count' '
	server &&
	expect 202 admin POST /api/v1/events "$(cat "$DATA/events.ndjson")" &&
	[ "$(out .accepted)" = 4 ] &&
	wait_alerts 2 &&
	[ "$(out ".items[0].rule")" = "$PHISH" ] &&
	[ "$(out ".items[0].phase")" = delivery ] &&
	[ "$(out ".items[0].entities.host")" = WS02 ] &&
	[ "$(out ".items[1].rule")" = "$EVIL" ] &&
	[ "$(out ".items[1].count")" = 2 ] &&
	[ "$(out ".items[1].level")" = high ] &&
	[ "$(out ".items[1].phase")" = exploitation ] &&
	[ "$(out ".items[1].entities.user")" = "CORP\\alice" ] &&
	[ "$(out ".items[1].entities.process")" = "C:\\Temp\\evil.exe" ] &&
	[ "$(out ".items[1].status")" = new ]
'

test_expect_success 'a JSON object and a JSON array are accepted too; malformed input takes nothing' '
	server &&
	expect 202 admin POST /api/v1/events "$(ev WS05 eve "C:\\\\x\\\\evil.exe" a)" &&
	[ "$(out .accepted)" = 1 ] &&
	expect 202 admin POST /api/v1/events "[$(ev WS06 eve "C:\\\\x\\\\evil.exe" a),$(ev WS07 eve "C:\\\\x\\\\evil.exe" a)]" &&
	[ "$(out .accepted)" = 2 ] &&
	wait_alerts 5 &&
	expect 400 admin POST /api/v1/events "$(ev WS08 eve "C:\\\\x\\\\evil.exe" a)
{\"broken\": " &&
	[ "$(out .error.code)" = parse ] &&
	expect 400 admin POST /api/v1/events "" &&
	{ printf "[%s,{\"EventID\":1" "$(ev WS08 eve "C:\\\\x\\\\evil.exe" a)"
	  for _ in $(seq 1 70); do printf ",\"f\":[%s1]" "$(printf "1,%.0s" $(seq 1 999))"; done; printf "}]"; } > wide.json &&
	[ "$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -H "Authorization: Bearer $(cat "$TEST_DIR/admin.token")" \
		--data-binary @wide.json "$(url /api/v1/events)")" = 413 ] &&
	out .error.message | grep -q "too many fields" &&
	sleep 0.3 && wait_alerts 5
'

test_expect_success 'only roles with event_write may send events; viewers read alerts' '
	server &&
	expect 403 u_viewer POST /api/v1/events "$(ev WS09 eve x y)" &&
	expect 403 u_incident_handler POST /api/v1/events "$(ev WS09 eve x y)" &&
	expect 200 u_viewer GET /api/v1/alerts && [ "$(out ".items|length")" = 5 ] &&
	[ "$(curl -sS -o /dev/null -w "%{http_code}" "$(url /api/v1/alerts)")" = 401 ] &&
	[ "$(curl -sS -o /dev/null -w "%{http_code}" -X POST --data-binary "{}" "$(url /api/v1/events)")" = 401 ]
'

test_expect_success 'filters, paging and one alert with its matched event' '
	server &&
	expect 200 admin GET "/api/v1/alerts?rule=$PHISH" && [ "$(out ".items|length")" = 1 ] &&
	expect 200 admin GET "/api/v1/alerts?level=high" && [ "$(out ".items|length")" = 4 ] &&
	expect 200 admin GET "/api/v1/alerts?limit=2" && [ "$(out ".items|length")" = 2 ] &&
	cur=$(out .next_cursor) && [ "$cur" != null ] &&
	expect 200 admin GET "/api/v1/alerts?limit=2&cursor=$cur" && [ "$(out ".items|length")" = 2 ] &&
	expect 400 admin GET "/api/v1/alerts?status=nonsense" &&
	expect 400 admin GET "/api/v1/alerts?colour=red" &&
	call admin GET "/api/v1/alerts?rule=$EVIL&limit=200" > /dev/null &&
	id=$(out ".items[-1].id") && echo "$id" > "$TEST_DIR/evil_id" &&
	expect 200 admin GET "/api/v1/alerts/$id" &&
	[ "$(out .event.CommandLine)" = "evil.exe <script>alert(1)</script>" ] &&
	[ "$(out .event_truncated)" = false ] &&
	expect 404 admin GET /api/v1/alerts/999999 &&
	expect 404 admin GET /api/v1/alerts/abc
'

test_expect_success 'triage: false positive needs a reason; benign; who may' '
	server &&
	call admin GET "/api/v1/alerts?rule=$EVIL&limit=200" > /dev/null &&
	a=$(out ".items[0].id") && b=$(out ".items[1].id") &&
	expect 422 u_incident_handler POST "/api/v1/alerts/$a/triage" "{\"action\":\"false_positive\"}" &&
	expect 422 u_incident_handler POST "/api/v1/alerts/$a/triage" "{\"action\":\"shrug\"}" &&
	expect 403 u_viewer POST "/api/v1/alerts/$a/triage" "{\"action\":\"benign\"}" &&
	expect 200 u_incident_handler POST "/api/v1/alerts/$a/triage" "{\"action\":\"false_positive\",\"reason\":\"test host\"}" &&
	[ "$(out .status)" = false_positive ] && [ "$(out .reason)" = "test host" ] &&
	[ "$(out .triaged_by)" = u_incident_handler ] &&
	expect 200 u_triage POST "/api/v1/alerts/$b/triage" "{\"action\":\"benign\"}" &&
	[ "$(out .status)" = benign ] &&
	expect 200 admin GET "/api/v1/alerts?status=new" && [ "$(out ".items|length")" = 3 ] &&
	[ "$(db_sql "SELECT count(*) FROM audit_log WHERE action = '\''alert.triage'\''")" = 2 ]
'

test_expect_success 'promote makes an incident with the event in its timeline and the phase detected' '
	server && id=$(cat "$TEST_DIR/evil_id") &&
	expect 200 u_incident_handler POST "/api/v1/alerts/$id/triage" "{\"action\":\"promote\"}" &&
	[ "$(out .status)" = promoted ] && inc=$(out .incident) && echo "$inc" > "$TEST_DIR/inc" &&
	expect 200 admin GET "/api/v1/incidents/$inc" &&
	[ "$(out .title)" = "Test evil tool started" ] &&
	expect 200 admin GET "/api/v1/incidents/$inc/timeline" &&
	out ".items[0].text" | grep -qF "evil.exe <script>alert(1)</script>" &&
	out ".items[0].text" | grep -qF "Alert #$id" &&
	expect 200 admin GET "/api/v1/incidents/$inc/killchain" &&
	[ "$(out ".items|length")" = 7 ] &&
	[ "$(out ".items[2].phase")" = exploitation ] && [ "$(out ".items[2].detected")" = true ] &&
	[ "$(out ".items[2].label_ja")" = "攻撃" ] &&
	[ "$(out "[.items[]|select(.detected)]|length")" = 1 ] &&
	expect 409 admin POST "/api/v1/alerts/$id/triage" "{\"action\":\"benign\"}" &&
	expect 200 admin GET "/api/v1/alerts?incident=$inc" && [ "$(out ".items|length")" = 1 ]
'

test_expect_success 'attach puts an alert into an existing incident; manual marks stay apart' '
	server && inc=$(cat "$TEST_DIR/inc") &&
	call admin GET "/api/v1/alerts?rule=$PHISH" > /dev/null && id=$(out ".items[0].id") &&
	expect 422 admin POST "/api/v1/alerts/$id/triage" "{\"action\":\"attach\"}" &&
	expect 404 admin POST "/api/v1/alerts/$id/triage" "{\"action\":\"attach\",\"incident\":\"IR-2000-0001\"}" &&
	expect 200 u_triage POST "/api/v1/alerts/$id/triage" "{\"action\":\"attach\",\"incident\":\"$inc\"}" &&
	[ "$(out .status)" = attached ] && [ "$(out .incident)" = "$inc" ] &&
	expect 200 admin GET "/api/v1/incidents/$inc/timeline" && [ "$(out ".items|length")" = 2 ] &&
	expect 403 u_viewer POST "/api/v1/incidents/$inc/killchain" "{\"phase\":\"command_and_control\"}" &&
	expect 422 u_incident_handler POST "/api/v1/incidents/$inc/killchain" "{\"phase\":\"weaponry\"}" &&
	expect 200 u_incident_handler POST "/api/v1/incidents/$inc/killchain" "{\"phase\":\"command_and_control\",\"note\":\"beacon seen by the ISP\"}" &&
	[ "$(out ".items[4].manual")" = true ] && [ "$(out ".items[4].detected")" = false ] &&
	[ "$(out ".items[4].note")" = "beacon seen by the ISP" ] &&
	[ "$(out ".items[1].detected")" = true ] && [ "$(out ".items[1].manual")" = false ] &&
	expect 200 u_incident_handler POST "/api/v1/incidents/$inc/killchain" "{\"phase\":\"command_and_control\",\"marked\":false}" &&
	[ "$(out ".items[4].manual")" = false ]
'

test_expect_success 'suppressions: add, matches dropped and counted, expiry shown, remove' '
	server &&
	expect 403 u_incident_handler POST /api/v1/suppressions "{\"rule\":\"$EVIL\",\"reason\":\"x\"}" &&
	expect 422 admin POST /api/v1/suppressions "{\"rule\":\"$EVIL\"}" &&
	expect 201 admin POST /api/v1/suppressions "{\"rule\":\"$EVIL\",\"entity\":\"host\",\"value\":\"ws42\",\"expires\":\"now+1d\",\"reason\":\"lab machine\"}" &&
	sid=$(out .id) && [ "$(out .expires_at)" != null ] &&
	n=$(db_sql "SELECT count(*) FROM alerts") &&
	expect 202 admin POST /api/v1/events "$(ev WS42 eve "C:\\\\x\\\\evil.exe" a)" &&
	expect 202 admin POST /api/v1/events "$(ev WS43 eve "C:\\\\x\\\\evil.exe" a)" &&
	wait_alerts $((n + 1)) &&
	expect 200 u_viewer GET /api/v1/suppressions && [ "$(out ".items[0].hits")" = 1 ] &&
	expect 204 admin DELETE "/api/v1/suppressions/$sid" &&
	expect 404 admin DELETE "/api/v1/suppressions/$sid" &&
	expect 200 admin GET /api/v1/suppressions && [ "$(out ".items|length")" = 0 ] &&
	[ "$(db_sql "SELECT count(*) FROM audit_log WHERE action LIKE '\''suppression.%'\''")" = 2 ]
'

test_expect_success 'the CLI lists, shows and triages the same alerts' '
	irdesk alert list > "$TEST_DIR/list" && grep -q "Test evil tool started" "$TEST_DIR/list" &&
	grep -q "LAST SEEN" "$TEST_DIR/list" &&
	irdesk alert list --status new --json | jq -e ".items|length > 0" > /dev/null &&
	id=$(irdesk alert list --status new --json | jq -r ".items[0].id") &&
	irdesk alert show "$id" | grep -q "evil.exe" &&
	irdesk alert show "$id" --json | jq -e ".event.Computer" > /dev/null &&
	expect_code 4 irdesk alert triage "$id" false_positive && stderr_has "reason" &&
	expect_code 3 irdesk alert show 999999 && stderr_has "alert 999999 not found" &&
	expect_code 2 irdesk alert show abc &&
	expect_code 2 irdesk alert frobnicate &&
	irdesk alert triage "$id" false_positive --reason "lab" | grep -q "false_positive" &&
	irdesk alert triage "$id" promote --json | jq -e ".incident|startswith(\"IR-\")" > /dev/null &&
	expect_code 4 irdesk alert triage "$id" benign && stderr_has "already promoted"
'

# long_name KEYLEN: a Sysmon evil.exe event of host WS4096 with a field "n.<KEYLEN bytes>.k": its
# joined name is KEYLEN + 4 bytes long.
long_name() {
	printf '{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"WS4096","Image":"C:\\\\x\\\\evil.exe","n":{"%s":{"k":"v"}}}' \
		"$(head -c "$1" /dev/zero | tr "\\0" x)"
}
health() { curl -sS "$(url /api/v1/health)" | jq -c "[.detection.events, .detection.failed]"; }

test_expect_success 'a field name joined to 4,097 bytes is refused at the door; 4,096 is matched' '
	server && before=$(health) && n=$(db_sql "SELECT count(*) FROM alerts") &&
	long_name 4093 > long.json &&
	[ "$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -H "Authorization: Bearer $(cat "$TEST_DIR/admin.token")" \
		--data-binary @long.json "$(url /api/v1/events)")" = 413 ] &&
	[ "$(out .error.code)" = toolong ] &&
	out .error.message | grep -q "field name too long: more than 4096 bytes" &&
	sleep 0.3 && [ "$(health)" = "$before" ] &&
	[ "$(db_sql "SELECT count(*) FROM alerts")" = "$n" ] &&
	long_name 4092 > long.json &&
	[ "$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -H "Authorization: Bearer $(cat "$TEST_DIR/admin.token")" \
		--data-binary @long.json "$(url /api/v1/events)")" = 202 ] &&
	wait_alerts $((n + 1)) &&
	[ "$(out ".items[0].entities.host")" = WS4096 ] &&
	expect 200 admin GET "/api/v1/alerts/$(out ".items[0].id")" &&
	[ "$(out ".event.n|keys[0]|length")" = 4092 ] &&
	want=$(echo "$before" | jq -c ".[0] += 1") &&
	for _ in $(seq 1 20); do [ "$(health)" = "$want" ] && break; sleep 0.1; done &&
	[ "$(health)" = "$want" ]
'

test_expect_success 'SIGTERM: the server stops cleanly after recording every accepted event' '
	server && kill -TERM "$PID" && [ "$(wait_exit)" = 0 ] &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TEST_DIR/serve.log" &&
	n=$(db_sql "SELECT count(*) FROM alerts") &&
	IRDESK_INTAKE_DELAY_MS=150 start_server "$TEST_DIR/serve2.log" --rules "$RULES" --queue 4 &&
	expect 202 admin POST /api/v1/events "[$(ev S1 u "C:\\\\evil.exe" a),$(ev S2 u "C:\\\\evil.exe" a),$(ev S3 u "C:\\\\evil.exe" a)]" &&
	kill -TERM "$PID" && [ "$(wait_exit)" = 0 ] &&
	grep -q "finishing" "$TEST_DIR/serve2.log" &&
	[ "$(db_sql "SELECT count(*) FROM alerts")" = $((n + 3)) ] &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TEST_DIR/serve2.log"
'

test_expect_success 'a full queue answers 503 with Retry-After and takes nothing from that request' '
	n=$(db_sql "SELECT count(*) FROM alerts") &&
	IRDESK_INTAKE_DELAY_MS=300 start_server "$TEST_DIR/serve3.log" --rules "$RULES" --queue 4 &&
	expect 202 admin POST /api/v1/events "[$(ev Q1 u "C:\\\\evil.exe" a),$(ev Q2 u "C:\\\\evil.exe" a),$(ev Q3 u "C:\\\\evil.exe" a)]" &&
	expect 503 admin POST /api/v1/events "[$(ev Q4 u "C:\\\\evil.exe" a),$(ev Q5 u "C:\\\\evil.exe" a)]" &&
	grep -qi "^Retry-After: 1" "$TEST_DIR/headers" && [ "$(out .error.code)" = busy ] &&
	expect 413 admin POST /api/v1/events "[$(ev Q6 u x a),$(ev Q7 u x a),$(ev Q8 u x a),$(ev Q9 u x a),$(ev Q0 u x a)]" &&
	for _ in $(seq 1 50); do
		[ "$(db_sql "SELECT count(*) FROM alerts")" = $((n + 3)) ] && break; sleep 0.1
	done &&
	expect 202 admin POST /api/v1/events "$(ev Q4 u "C:\\\\evil.exe" a)" &&
	kill -TERM "$PID" && [ "$(wait_exit)" = 0 ] &&
	[ "$(db_sql "SELECT count(*) FROM alerts WHERE host LIKE '\''Q%'\''")" = 4 ] &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TEST_DIR/serve3.log"
'

test_expect_success 'irdesk ingest runs the same pipeline offline into the store' '
	n=$(db_sql "SELECT count(*) FROM alerts") &&
	irdesk ingest --rules "$RULES" "$DATA/events.ndjson" > "$TEST_DIR/ingest" 2> "$TEST_DIR/ingest.err" &&
	grep -q "2 rules, 4 events, 3 matches: 2 new alerts, 1 deduplicated, 0 suppressed" "$TEST_DIR/ingest" &&
	[ ! -s "$TEST_DIR/ingest.err" ] &&
	[ "$(db_sql "SELECT count(*) FROM alerts")" = $((n + 2)) ] &&
	irdesk ingest --rules "$RULES" --json "$DATA/events.ndjson" | jq -e ".deduplicated == 3 and .alerts == 0" > /dev/null &&
	expect_code 3 irdesk ingest --rules "$RULES" "$TEST_DIR/nope.json" &&
	expect_code 2 irdesk ingest --rules "$RULES" &&
	printf "{\"a\":1}\n{\"broken\n" > "$TEST_DIR/bad.ndjson" &&
	expect_code 4 irdesk ingest "$TEST_DIR/bad.ndjson" && stderr_has "bad.ndjson"
'

test_done
