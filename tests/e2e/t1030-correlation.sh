#!/usr/bin/env bash
# t1030-correlation.sh: Sigma correlation rules in `irdesk scan`: an
# event_count correlation over failed logons fires once per user when three
# fall within its timespan (times from the events' UtcTime, or the field
# --time-field names), printed like a match with the correlation's id; the
# failed-logon rule itself is not printed (no generate: true). `irdesk
# ingest` (the detector the server's intake worker runs) records the firing
# as an alert with source sigma, the correlation's title (with its group)
# and level. A condition with lt/lte is decided when its window closes (by
# the next event past it, or the end of the input); value_percentile is
# rejected.
. "$(dirname "$0")/lib.sh"

BASE_ID=7c1e0a52-3f0e-4c47-9d3a-5b2f1e6a9c01
CORR_ID=0e95725d-7320-415d-80f7-004da920fc11

test_expect_success 'set up a rule, an event_count correlation and events' '
	cat >rules.yml <<-EOF &&
	title: Failed logon
	id: $BASE_ID
	name: failed_logon
	logsource:
	    product: windows
	    service: security
	detection:
	    selection:
	        EventID: 4625
	    condition: selection
	---
	title: Many failed logons
	id: $CORR_ID
	level: high
	correlation:
	    type: event_count
	    rules:
	        - failed_logon
	    group-by:
	        - TargetUserName
	    timespan: 5m
	    condition:
	        gte: 3
	EOF
	ev() { printf "{\"EventID\":4625,\"Channel\":\"Security\",\"TargetUserName\":\"%s\",\"UtcTime\":\"%s\",\"When\":\"%s\"}\n" "$@"; } &&
	{
		ev bob "2024-03-01 10:00:00" "2024-03-01T10:00:00Z" &&
		ev eve "2024-03-01 10:00:30" "2024-03-01T10:00:30Z" &&
		ev bob "2024-03-01 10:01:00" "2024-03-01T10:01:00Z" &&
		ev bob "2024-03-01 10:07:00" "2024-03-01T10:02:00Z" &&
		ev bob "2024-03-01 10:08:00" "2024-03-01T10:03:00Z" &&
		ev bob "2024-03-01 10:09:00" "2024-03-01T10:04:00Z"
	} >logons.json
'

test_expect_success 'the correlation fires once, on the event that completes it' '
	expect_code 0 irdesk scan --rules rules.yml logons.json &&
	test "$(wc -l <"$TEST_DIR/stdout")" -eq 1 &&
	stdout_has "logons.json:5: high $CORR_ID Many failed logons" &&
	! grep -q "$BASE_ID" "$TEST_DIR/stdout"
'

test_expect_success '--json names the correlation as the rule' '
	expect_code 0 irdesk scan --json --rules rules.yml logons.json &&
	jq -s -e --arg id "$CORR_ID" "length == 1 and .[0].rule == \$id and .[0].event == 5 and
		.[0].level == \"high\"" "$TEST_DIR/stdout"
'

test_expect_success '--time-field takes the time from another field' '
	expect_code 0 irdesk scan --time-field When --stats --rules rules.yml logons.json &&
	test "$(wc -l <"$TEST_DIR/stdout")" -eq 1 &&
	stdout_has "logons.json:3: high $CORR_ID" &&
	stderr_has "correlations: 1 fired, 0 groups evicted"
'

test_expect_success 'generate: true prints the referenced rule too' '
	sed "s/^    condition:\$/    generate: true\n    condition:/" rules.yml >gen.yml &&
	grep -q "generate: true" gen.yml &&
	expect_code 0 irdesk scan --rules gen.yml logons.json &&
	test "$(grep -c "$BASE_ID" "$TEST_DIR/stdout")" -eq 6 &&
	stdout_has "logons.json:5: high $CORR_ID"
'

test_expect_success 'ingest makes an alert of the firing, not of the silent rule' '
	irdesk init > /dev/null &&
	irdesk ingest --rules rules.yml logons.json > /dev/null &&
	[ "$(db_sql "SELECT count(*) FROM alerts")" = 1 ] &&
	[ "$(db_sql "SELECT source || '\''|'\'' || rule_id || '\''|'\'' || title || '\''|'\'' || level FROM alerts")" = \
		"sigma|$CORR_ID|Many failed logons (TargetUserName=bob)|high" ] &&
	irdesk --json alert list | jq -e ".items[0].title == \"Many failed logons (TargetUserName=bob)\" and
		.items[0].group_key == \"TargetUserName=bob\""
'

test_expect_success 'value_percentile and temporal_ordered with only lt are rejected with the reason' '
	sed "s/type: event_count/type: value_percentile/; s/        gte: 3/        field: Image\n        lte: 1/" rules.yml >pct.yml &&
	sed "s/type: event_count/type: temporal_ordered/; s/        gte: 3/        lt: 2/" rules.yml >tlt.yml &&
	sed "s/type: event_count/type: temporal/; s/        gte: 3/        lt: 2/" rules.yml >tmp-lt.yml &&
	expect_code 0 irdesk rules check pct.yml tlt.yml tmp-lt.yml &&
	grep "pct.yml.*$CORR_ID" "$TEST_DIR/stdout" | grep -q "rejected: correlation: value_percentile is not evaluated" &&
	grep "tlt.yml.*$CORR_ID" "$TEST_DIR/stdout" | grep -q "rejected: correlation: temporal_ordered with only lt/lte" &&
	grep "tmp-lt.yml.*$CORR_ID" "$TEST_DIR/stdout" | grep -q "loaded"
'

# lt: fewer than 3 failed logons per user within 5 minutes of the first:
# eve has 1 and bob 2 by 10:05 (both fire on the event at 10:07, which
# moves time past their windows, eve'"'"'s older group first); bob'"'"'s second
# window (10:07-10:12) has 3 and does not fire at the end of the input.
LT_ID=3d1f4c1e-5b7a-4f7e-8a55-2c0f9b1d7e43
test_expect_success 'lt is decided when the window closes, on the first event past it' '
	sed "s/        gte: 3/        lt: 3/; s/^id: $CORR_ID/id: $LT_ID/" rules.yml >lt.yml &&
	expect_code 0 irdesk rules check lt.yml &&
	grep "lt.yml.*$LT_ID" "$TEST_DIR/stdout" | grep -q "loaded" &&
	expect_code 0 irdesk scan --json --rules lt.yml logons.json &&
	jq -s -e --arg id "$LT_ID" "length == 2 and all(.[]; .rule == \$id and .event == 3)" \
		"$TEST_DIR/stdout"
'

test_expect_success 'the end of the input closes the windows still open' '
	head -n 2 logons.json >short.json &&
	expect_code 0 irdesk scan --rules lt.yml short.json &&
	test "$(wc -l <"$TEST_DIR/stdout")" -eq 2 &&
	test "$(grep -c "short.json:1: high $LT_ID" "$TEST_DIR/stdout")" -eq 2
'

test_expect_success 'a range (gte with lte) waits for the window too' '
	sed "s/        gte: 3/        gte: 2\n        lte: 3/" rules.yml >range.yml &&
	expect_code 0 irdesk scan --rules range.yml logons.json &&
	test "$(wc -l <"$TEST_DIR/stdout")" -eq 2 &&
	stdout_has "logons.json:3: high $CORR_ID" &&
	stdout_has "logons.json:5: high $CORR_ID"
'

test_expect_success 'ingest records closed windows as alerts, one per group key' '
	irdesk ingest --rules lt.yml logons.json > /dev/null &&
	irdesk ingest --rules lt.yml logons.json > /dev/null &&
	[ "$(db_sql "SELECT count(*) FROM alerts WHERE rule_id = '\''$LT_ID'\''")" = 2 ] &&
	irdesk --json alert list --group-key "TargetUserName=eve" >eve.json &&
	jq -e --arg id "$LT_ID" ".items | length == 1 and .[0].rule == \$id and .[0].count == 2 and
		.[0].title == \"Many failed logons (TargetUserName=eve)\"" eve.json &&
	irdesk --json alert show "$(jq -r ".items[0].id" eve.json)" >eve1.json &&
	jq -e ".group_key == \"TargetUserName=eve\" and .event.group == \"TargetUserName=eve\" and
		.event.window_end == \"2024-03-01T10:05:30Z\"" eve1.json &&
	irdesk alert show "$(jq -r ".items[0].id" eve.json)" | grep -q "group:    TargetUserName=eve" &&
	irdesk --json alert list --group-key "TargetUserName=nobody" | jq -e ".items == []" &&
	expect_code 4 irdesk alert list --group-key "$(printf "a\tb")"
'

# serve: a window closes by the clock while no event comes. Events without
# a time of their own take their arrival time; the window is 2 seconds.
test_expect_success 'serve closes a window by the clock, with no further event' '
	sed "s/timespan: 5m/timespan: 2s/; s/^id: $LT_ID/id: ${LT_ID%?}0/" lt.yml >lt2s.yml &&
	irdesk token create admin --name corr --json | jq -r .token >token &&
	start_server "$TEST_DIR/serve.log" --rules lt2s.yml &&
	curl -sS -o post.out -w "%{http_code}" -X POST -H "Authorization: Bearer $(cat token)" \
		--data-binary "{\"EventID\":4625,\"Channel\":\"Security\",\"TargetUserName\":\"zoe\"}" \
		"http://127.0.0.1:$PORT/api/v1/events" | grep -qx 202 &&
	for _ in $(seq 1 80); do
		n=$(db_sql "SELECT count(*) FROM alerts WHERE group_key = '\''TargetUserName=zoe'\''") &&
		[ "$n" = 1 ] && break
		sleep 0.1
	done &&
	[ "$n" = 1 ] &&
	api() { curl -sS -o api.out -w "%{http_code}" -H "Authorization: Bearer $(cat token)" \
		"http://127.0.0.1:$PORT$1"; } &&
	[ "$(api "/api/v1/alerts?group_key=TargetUserName%3Dzoe")" = 200 ] &&
	jq -e ".items | length == 1 and .[0].group_key == \"TargetUserName=zoe\" and
		.[0].entities.user == \"\"" api.out &&
	id=$(jq -r ".items[0].id" api.out) &&
	[ "$(api "/api/v1/alerts?group_key=TargetUserName%3Dnobody")" = 200 ] &&
	jq -e ".items == []" api.out &&
	[ "$(api "/api/v1/alerts?group_key=$(head -c 1001 /dev/zero | tr "\0" x)")" = 400 ] &&
	jq -e ".error.code" api.out &&
	echo "correct horse battery 9" | irdesk user add vi --role viewer --password-stdin >/dev/null &&
	jar=cookies && url=http://127.0.0.1:$PORT &&
	curl -sS -c $jar -b $jar -o login.html "$url/login" &&
	tok=$(grep -o "name=\"csrf\" value=\"[^\"]*\"" login.html | head -1 | sed "s/.*value=\"//;s/\"\$//") &&
	curl -sS -c $jar -b $jar -o /dev/null --data-urlencode "csrf=$tok" --data-urlencode username=vi \
		--data-urlencode "password=correct horse battery 9" --data-urlencode next=/ "$url/login" &&
	curl -sS -c $jar -b $jar -o page.html "$url/alerts/$id" &&
	grep -q "class=\"group-key\".*href=\"/alerts?group_key=TargetUserName%3Dzoe\"><code>TargetUserName=zoe</code>" page.html &&
	curl -sS -c $jar -b $jar -o list.html "$url/alerts?group_key=TargetUserName%3Dzoe" &&
	grep -q "href=\"/alerts/$id\"" list.html && grep -q "name=\"group_key\" value=\"TargetUserName=zoe\"" list.html &&
	curl -sS -c $jar -b $jar -o list.html "$url/alerts?group_key=TargetUserName%3Dnobody" &&
	! grep -q "href=\"/alerts/$id\"" list.html &&
	kill -TERM "$PID" && [ "$(wait_exit)" = 0 ] &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TEST_DIR/serve.log"
'

test_done
