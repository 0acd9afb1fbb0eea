#!/usr/bin/env bash
# t1220-syslog.sh: syslog intake end to end: a server with both listeners on
# 127.0.0.1 port 0 and the rules of tests/data/alert/ takes JSON events in
# syslog messages over TCP (octet counting and newline framing) and UDP and
# makes alerts of them; health counts what came and what was dropped; a full
# queue stops TCP reading without losing anything and drops (counted) UDP;
# SIGTERM stops cleanly.
. "$(dirname "$0")/lib.sh"

RULES=$TEST_TOP/tests/data/alert/rules.yml
EVIL=0b1c2d3e-0000-4000-8000-000000000001

url() { echo "http://127.0.0.1:$(cat "$TEST_DIR/port")$1"; }
get() { curl -sS -H "Authorization: Bearer $(cat "$TEST_DIR/admin.token")" "$(url "$1")"; }
sport() { awk -v p="$1" '$1 == p { print $2 }' "$TEST_DIR/sport"; }
ev() { # HOST: one Sysmon process creation event that the rule matches
	printf '{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"%s","User":"u","Image":"C:\\\\x\\\\evil.exe"}' "$1"
}
# tcp MESSAGE...: each message octet-counted on one connection.
tcp() {
	exec 3<> "/dev/tcp/127.0.0.1/$(sport tcp)" || return 1
	for m in "$@"; do printf '%d %s' "${#m}" "$m" >&3; done
	exec 3>&-
}
udp() { printf '%s' "$1" > "/dev/udp/127.0.0.1/$(sport udp)"; }
# wait_count N SQL: until the query gives N (the worker is asynchronous).
wait_count() {
	for _ in $(seq 1 100); do
		[ "$(db_sql "$2")" = "$1" ] && return 0
		sleep 0.1
	done
	echo "expected $1 from $2, have $(db_sql "$2")"; return 1
}
health() { curl -sS "$(url /api/v1/health)" | jq -r ".syslog.$1"; }
syslog_server() { # LOG [SERVE ARGS...]
	local log=$1
	shift
	rm -f "$TEST_DIR/sport"
	start_server "$log" --rules "$RULES" --syslog-udp 127.0.0.1:0 --syslog-tcp 127.0.0.1:0 \
		--syslog-port-file "$TEST_DIR/sport" "$@" &&
	[ -n "$(sport udp)" ] && [ "$(sport udp)" != 0 ] && [ -n "$(sport tcp)" ] && [ "$(sport tcp)" != 0 ]
}

test_expect_success 'setup: a token, a server with both syslog listeners' '
	irdesk init > /dev/null &&
	irdesk token create admin --name t --json | jq -r .token > "$TEST_DIR/admin.token" &&
	syslog_server "$TEST_DIR/serve.log" &&
	grep -q "syslog: listening on tcp 127.0.0.1:0" "$TEST_DIR/serve.log" &&
	[ "$(health tcp_received)" = 0 ] && [ "$(health udp_received)" = 0 ]
'

test_expect_success 'a JSON event over TCP (RFC 5424, octet counting) becomes an alert' '
	server &&
	tcp "<14>1 2024-01-01T00:00:00Z sl-tcp sysmon 42 - [origin ip=\"10.0.0.1\"] $(ev SL-TCP)" &&
	wait_count 1 "SELECT count(*) FROM alerts WHERE host = '\''SL-TCP'\''" &&
	get "/api/v1/alerts?limit=50" > "$TEST_DIR/alerts" &&
	jq -e ".items[] | select(.entities.host == \"SL-TCP\") | .rule == \"$EVIL\"" "$TEST_DIR/alerts" > /dev/null &&
	[ "$(health tcp_received)" = 1 ] && [ "$(health tcp_connections)" = 1 ]
'

test_expect_success 'RFC 3164 with newline framing and over UDP; a message without JSON matches nothing' '
	server &&
	exec 3<> "/dev/tcp/127.0.0.1/$(sport tcp)" &&
	printf "<14>Jan  1 00:00:00 h1 sysmon[9]: %s\n<13>Jan  1 00:00:00 h1 sshd[1]: plain text\n" "$(ev SL-NL)" >&3 &&
	exec 3>&- &&
	udp "<14>1 2024-01-01T00:00:00Z sl-udp sysmon - - - $(ev SL-UDP)" &&
	wait_count 1 "SELECT count(*) FROM alerts WHERE host = '\''SL-NL'\''" &&
	wait_count 1 "SELECT count(*) FROM alerts WHERE host = '\''SL-UDP'\''" &&
	[ "$(health tcp_received)" = 3 ] && [ "$(health udp_received)" = 1 ] &&
	[ "$(health udp_dropped)" = 0 ] && [ "$(health tcp_connections)" = 2 ]
'

test_expect_success 'malformed and oversize messages are counted, the connection goes on' '
	server &&
	big=$(head -c 70000 /dev/zero | tr "\0" a) &&
	tcp "no pri here" "<999>1 - - - - - -" &&
	exec 3<> "/dev/tcp/127.0.0.1/$(sport tcp)" &&
	printf "70000 %s" "$big" >&3 && m="<14>1 - sl-after a - - - $(ev SL-AFTER)" &&
	printf "%d %s" "${#m}" "$m" >&3 && exec 3>&- &&
	wait_count 1 "SELECT count(*) FROM alerts WHERE host = '\''SL-AFTER'\''" &&
	[ "$(health malformed)" = 2 ] && [ "$(health oversize)" = 1 ]
'

test_expect_success 'SIGTERM stops the listeners and the server cleanly' '
	server && kill -TERM "$PID" && [ "$(wait_exit)" = 0 ] &&
	grep -q "syslog: udp 1 received, 0 dropped" "$TEST_DIR/serve.log" &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TEST_DIR/serve.log"
'

test_expect_success 'a full queue: TCP waits and loses nothing, UDP drops and counts' '
	IRDESK_INTAKE_DELAY_MS=100 syslog_server "$TEST_DIR/serve2.log" --queue 2 &&
	msgs=() &&
	for i in 1 2 3 4 5 6 7 8; do msgs+=("<14>1 - bp a - - - $(ev "BP$i")"); done &&
	tcp "${msgs[@]}" &&
	for i in 1 2 3 4 5 6 7 8; do udp "<14>1 - u a - - - $(ev "UDP$i")"; done &&
	wait_count 8 "SELECT count(*) FROM alerts WHERE host LIKE '\''BP%'\''" &&
	[ "$(health tcp_received)" = 8 ] && [ "$(health udp_received)" = 8 ] &&
	dropped=$(health udp_dropped) && [ "$dropped" -ge 1 ] &&
	wait_count $((8 - dropped)) "SELECT count(*) FROM alerts WHERE host LIKE '\''UDP%'\''" &&
	kill -TERM "$PID" && [ "$(wait_exit)" = 0 ] &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TEST_DIR/serve2.log"
'

test_expect_success 'a bad syslog address stops the start' '
	expect_code 2 irdesk serve --listen 127.0.0.1:0 --syslog-udp nowhere &&
	stderr_has "nowhere: expected ADDR:PORT"
'

test_done
