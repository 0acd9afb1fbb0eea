#!/usr/bin/env bash
# t1250-corr-restart.sh: Sigma correlations keep their state across a
# restart of `irdesk serve`. At a graceful stop (SIGTERM) the detection
# worker saves its groups under the node's name (serve --node) in the table
# corr_state; the next start takes them back (and deletes the row): two
# failed logons before the restart and one after complete "three within 10
# minutes", while with the row deleted in between nothing fires. A deferred
# window (lt) open at the stop and ended during the downtime closes soon
# after the start, without a new event. A corrupt saved state is logged as
# a warning and detection works on; one over the size cap is not kept;
# `db copy` carries the saved state; --node is validated.
. "$(dirname "$0")/lib.sh"

BASE_ID=5b0c1f7e-2d6a-4c1e-9f3b-7a1d2e4c6b01
CORR_ID=5b0c1f7e-2d6a-4c1e-9f3b-7a1d2e4c6b02
FEW_ID=5b0c1f7e-2d6a-4c1e-9f3b-7a1d2e4c6b03

# post_logon USER: one failed logon (no time of its own: its arrival's), 202.
post_logon() {
	[ "$(api_call token POST /api/v1/events \
		"{\"EventID\":4625,\"Channel\":\"Security\",\"TargetUserName\":\"$1\"}")" = 202 ]
}
# alerts RULE [GROUP]: how many alerts the rule has (of that group).
alerts() {
	db_sql "SELECT count(*) FROM alerts WHERE rule_id = '$1'${2:+ AND group_key = '$2'}"
}
# wait_alerts N RULE [GROUP]: until the rule has N alerts (8 s at most).
wait_alerts() {
	local n=$1
	shift
	for _ in $(seq 1 80); do
		[ "$(alerts "$@")" = "$n" ] && return 0
		sleep 0.1
	done
	echo "alerts of $*: $(alerts "$@"), expected $n"
	return 1
}
# wait_processed N: until the server has matched N events (its health says so).
wait_processed() {
	for _ in $(seq 1 80); do
		curl -sS -H "Authorization: Bearer $(cat token)" \
			"http://127.0.0.1:$(cat port)/api/v1/health" >health.json &&
		[ "$(jq -r ".detection.events" health.json)" = "$1" ] && return 0
		sleep 0.1
	done
	echo "events matched: $(jq -r ".detection.events" health.json), expected $1"
	return 1
}
stop_server() {
	server && kill -TERM "$PID" && [ "$(wait_exit)" = 0 ]
}
clean_log() {
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$1"
}

test_expect_success 'set up rules: three failed logons in 10 minutes, and fewer than two in 6 s' '
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
	    timespan: 10m
	    condition:
	        gte: 3
	EOF
	cat >few.yml <<-EOF &&
	title: A lone failed logon
	id: $FEW_ID
	level: medium
	correlation:
	    type: event_count
	    rules:
	        - failed_logon
	    group-by:
	        - TargetUserName
	    timespan: 6s
	    condition:
	        lt: 2
	EOF
	irdesk init >/dev/null &&
	irdesk token create admin --name corr --json | jq -r .token >token &&
	[ -s token ]
'

test_expect_success 'two failed logons, a restart, one more: the correlation fires' '
	start_server "$TEST_DIR/serve1.log" --rules rules.yml --node desk-a &&
	post_logon bob && post_logon bob && wait_processed 2 &&
	stop_server &&
	grep -q "correlation state of 1 groups saved" serve1.log &&
	[ "$(db_sql "SELECT node FROM corr_state")" = desk-a ] &&
	[ "$(alerts $CORR_ID)" = 0 ] &&
	start_server "$TEST_DIR/serve2.log" --rules rules.yml --node desk-a &&
	grep -q "correlation state of 1 groups restored, saved at " serve2.log &&
	[ "$(db_sql "SELECT count(*) FROM corr_state")" = 0 ] &&
	post_logon bob && wait_alerts 1 $CORR_ID "TargetUserName=bob" &&
	[ "$(db_sql "SELECT title FROM alerts WHERE rule_id = '\''$CORR_ID'\''")" = \
		"Many failed logons (TargetUserName=bob)" ] &&
	stop_server && clean_log serve1.log && clean_log serve2.log
'

test_expect_success 'control: with the saved row deleted before the start, nothing fires' '
	start_server "$TEST_DIR/serve3.log" --rules rules.yml --node desk-a &&
	post_logon eve && post_logon eve && wait_processed 2 &&
	stop_server &&
	[ "$(db_sql "SELECT count(*) FROM corr_state WHERE node = '\''desk-a'\''")" = 1 ] &&
	db_sql "DELETE FROM corr_state" &&
	start_server "$TEST_DIR/serve4.log" --rules rules.yml --node desk-a &&
	! grep -q "restored" serve4.log &&
	post_logon eve && wait_processed 1 && sleep 0.5 &&
	[ "$(alerts $CORR_ID "TargetUserName=eve")" = 0 ] &&
	stop_server && clean_log serve4.log
'

test_expect_success 'another node name does not take the state of desk-a' '
	start_server "$TEST_DIR/serve5.log" --rules rules.yml --node desk-a &&
	post_logon ann && post_logon ann && wait_processed 2 &&
	stop_server &&
	start_server "$TEST_DIR/serve6.log" --rules rules.yml --node desk-b &&
	! grep -q "restored" serve6.log &&
	post_logon ann && wait_processed 1 && sleep 0.5 &&
	[ "$(alerts $CORR_ID "TargetUserName=ann")" = 0 ] &&
	stop_server &&
	[ "$(db_sql "SELECT node FROM corr_state ORDER BY node" | tr "\n" " ")" = "desk-a desk-b " ] &&
	db_sql "DELETE FROM corr_state"
'

test_expect_success 'a changed correlation starts empty (its saved groups are dropped)' '
	start_server "$TEST_DIR/serve7.log" --rules rules.yml --node desk-a &&
	post_logon cid && post_logon cid && wait_processed 2 &&
	stop_server &&
	sed "s/timespan: 10m/timespan: 20m/" rules.yml >changed.yml &&
	start_server "$TEST_DIR/serve8.log" --rules changed.yml --node desk-a &&
	grep -q "correlation state of 0 groups restored.*0 correlations restored, 1 dropped" serve8.log &&
	post_logon cid && wait_processed 1 && sleep 0.5 &&
	[ "$(alerts $CORR_ID "TargetUserName=cid")" = 0 ] &&
	stop_server
'

test_expect_success 'a deferred window open at the stop closes after the start, with no new event' '
	start_server "$TEST_DIR/serve9.log" --rules rules.yml --rules few.yml --node desk-a &&
	post_logon dan && wait_processed 1 &&
	stop_server &&
	[ "$(alerts $FEW_ID)" = 0 ] &&
	sleep 7 &&
	start_server "$TEST_DIR/serve10.log" --rules rules.yml --rules few.yml --node desk-a &&
	grep -q "correlation state of 2 groups restored" serve10.log &&
	wait_alerts 1 $FEW_ID "TargetUserName=dan" &&
	db_sql "SELECT event FROM alerts WHERE rule_id = '\''$FEW_ID'\''" >few.json &&
	jq -e ".group == \"TargetUserName=dan\" and (.window_end | test(\"Z\$\"))" few.json &&
	stop_server && clean_log serve10.log
'

test_expect_success 'a corrupt saved state: a warning, and detection works' '
	start_server "$TEST_DIR/serve11.log" --rules rules.yml --node desk-a &&
	post_logon fay && wait_processed 1 &&
	stop_server &&
	db_sql "UPDATE corr_state SET state = '\''{'\''" &&
	start_server "$TEST_DIR/serve12.log" --rules rules.yml --node desk-a &&
	grep -q "warn .*correlation state of node desk-a saved at .* is unusable" serve12.log &&
	[ "$(db_sql "SELECT count(*) FROM corr_state")" = 0 ] &&
	post_logon gus && post_logon gus && post_logon gus &&
	wait_alerts 1 $CORR_ID "TargetUserName=gus" &&
	stop_server && clean_log serve12.log
'

test_expect_success 'a state over the cap is not kept, with a warning naming its groups' '
	IRDESK_CORR_STATE_MAX=100 start_server "$TEST_DIR/serve13.log" --rules rules.yml --node desk-a &&
	post_logon hal && post_logon ida && wait_processed 2 &&
	stop_server &&
	grep -q "warn .*correlation state is over 100 bytes: its 2 groups are not kept" serve13.log &&
	[ "$(db_sql "SELECT count(*) FROM corr_state")" = 0 ]
'

test_expect_success 'db copy carries a saved state, and the copy restores it' '
	start_server "$TEST_DIR/serve14.log" --rules rules.yml --node desk-a &&
	post_logon joe && post_logon joe && wait_processed 2 &&
	stop_server &&
	expect_code 0 "$IRDESK_BIN" db copy --from "$DB" --to "sqlite:$TEST_DIR/copy.db" &&
	[ "$(sqlite3 copy.db "SELECT node FROM corr_state")" = desk-a ] &&
	DB=sqlite:$TEST_DIR/copy.db start_server "$TEST_DIR/serve15.log" --rules rules.yml --node desk-a &&
	grep -q "correlation state of 1 groups restored" serve15.log &&
	post_logon joe && wait_processed 1 &&
	for _ in $(seq 1 80); do
		n=$(sqlite3 -cmd ".timeout 5000" copy.db \
			"SELECT count(*) FROM alerts WHERE group_key = '\''TargetUserName=joe'\''") &&
		[ "$n" = 1 ] && break
		sleep 0.1
	done &&
	[ "$n" = 1 ] &&
	stop_server && clean_log serve15.log
'

test_expect_success '--node is validated' '
	expect_code 2 irdesk serve --listen 127.0.0.1:0 --node "" &&
	stderr_has "--node: node name: expected 1 to 128 bytes" &&
	expect_code 2 irdesk serve --listen 127.0.0.1:0 --node "$(head -c 129 /dev/zero | tr "\0" n)" &&
	expect_code 2 irdesk serve --listen 127.0.0.1:0 --node "a b" &&
	stderr_has "printable ASCII without spaces"
'

test_done
