#!/usr/bin/env bash
# t1030-correlation.sh: Sigma correlation rules in `irdesk scan`: an
# event_count correlation over failed logons fires once per user when three
# fall within its timespan (times from the events' UtcTime, or the field
# --time-field names), printed like a match with the correlation's id; the
# failed-logon rule itself is not printed (no generate: true). `irdesk
# ingest` (the detector the server's intake worker runs) records the firing
# as an alert with source sigma, the correlation's title (with its group)
# and level. A condition of only lt/lte and value_percentile are rejected.
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
	irdesk --json alert list | jq -r ".items[0].title" | grep -qx "Many failed logons (TargetUserName=bob)"
'

test_expect_success 'correlations that cannot be evaluated are rejected with the reason' '
	sed "s/        gte: 3/        lt: 3/" rules.yml >lt.yml &&
	sed "s/        gte: 3/        gte: 1\n        lte: 3/" rules.yml >range.yml &&
	sed "s/type: event_count/type: value_percentile/; s/        gte: 3/        field: Image\n        lte: 1/" rules.yml >pct.yml &&
	expect_code 0 irdesk rules check lt.yml range.yml pct.yml &&
	grep "lt.yml.*$CORR_ID" "$TEST_DIR/stdout" | grep -q "rejected: correlation: a condition of only lt/lte" &&
	grep "range.yml.*$CORR_ID" "$TEST_DIR/stdout" | grep -q "loaded" &&
	grep "pct.yml.*$CORR_ID" "$TEST_DIR/stdout" | grep -q "rejected: correlation: value_percentile is not evaluated"
'

test_done
