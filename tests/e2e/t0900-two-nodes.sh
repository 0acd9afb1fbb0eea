#!/usr/bin/env bash
# t0900-two-nodes.sh: two `irdesk serve` nodes on one PostgreSQL database, as
# behind a load balancer: a session opened on node A works on node B, a
# change made on A is read on B, sign-in throttling counts across nodes, two
# nodes writing at once keep the audit chain valid, and a database outage is
# answered with 503 and survived. PostgreSQL only (tests/run.sh's pg pass).
. "$(dirname "$0")/lib.sh"

if [ "$TEST_BACKEND" != pg ]; then
	test_skip 'two nodes share sessions and changes' 'needs PostgreSQL (IRDESK_TEST_DB=pg)'
	test_done
	exit 0
fi

# node_start NAME: start a node; its pid and port go to $TEST_DIR/NAME.pid|port.
node_start() {
	( IRDESK_LOG=info "$IRDESK_BIN" --db "$DB" serve --listen 127.0.0.1:0 \
		--port-file "$TEST_DIR/$1.port" > "$TEST_DIR/$1.log" 2>&1 & echo $! > "$TEST_DIR/$1.pid"
	  wait $! ) &
	for _ in $(seq 1 150); do [ -s "$TEST_DIR/$1.port" ] && break; sleep 0.1; done
	[ -s "$TEST_DIR/$1.port" ]
}
at_exit 'for n in a b; do [ -f "$TEST_DIR/$n.pid" ] && kill -9 "$(cat "$TEST_DIR/$n.pid")"; done'
url() { echo "http://127.0.0.1:$(cat "$TEST_DIR/$1.port")$2"; }
# call NODE METHOD PATH [BODY]: with the cookie jar and CSRF token; prints the status.
call() {
	local n=$1 m=$2 p=$3
	shift 3
	curl -sS -b "$TEST_DIR/jar" -o "$TEST_DIR/out" -w '%{http_code}' -X "$m" \
		-H "X-CSRF-Token: $(cat "$TEST_DIR/csrf" 2>/dev/null)" -H 'Content-Type: application/json' \
		${1+--data-binary "$1"} "$(url "$n" "$p")"
}
out() { jq -r "$1" "$TEST_DIR/out"; }

test_expect_success 'setup: one database, an account, two nodes' '
	irdesk init > /dev/null &&
	printf "%s\n" "handler password 1" | irdesk user add hana --role incident_handler --password-stdin >/dev/null &&
	irdesk token create admin --name t --json | jq -r .token > "$TEST_DIR/token" &&
	node_start a && node_start b &&
	[ "$(cat "$TEST_DIR/a.port")" != "$(cat "$TEST_DIR/b.port")" ]
'

test_expect_success 'a session opened on node A works on node B, CSRF token included' '
	code=$(curl -sS -c "$TEST_DIR/jar" -o s.json -w "%{http_code}" -H "Content-Type: application/json" \
		--data-binary "{\"username\":\"hana\",\"password\":\"handler password 1\"}" "$(url a /api/v1/session)") &&
	[ "$code" = 201 ] && jq -r .csrf_token s.json > "$TEST_DIR/csrf" &&
	[ "$(call b GET /api/v1/session)" = 200 ] && [ "$(out .username)" = hana ] &&
	[ "$(call b POST /api/v1/incidents "{\"title\":\"made on B\"}")" = 201 ] &&
	[ "$(out .created_by)" = hana ]
'

test_expect_success 'a change made on node A is read on node B at once' '
	[ "$(call a POST /api/v1/incidents "{\"title\":\"made on A\",\"summary\":\"漏えいの疑い\"}")" = 201 ] &&
	id=$(out .id) &&
	[ "$(call b GET "/api/v1/incidents/$id")" = 200 ] && [ "$(out .title)" = "made on A" ] &&
	v=$(out .version) &&
	[ "$(call a PATCH "/api/v1/incidents/$id" "{\"title\":\"renamed on A\",\"version\":$v}")" = 200 ] &&
	[ "$(call b GET "/api/v1/incidents/$id")" = 200 ] && [ "$(out .title)" = "renamed on A" ] &&
	[ "$(call b GET "/api/v1/incidents?q=%E6%BC%8F%E3%81%88")" = 200 ] &&
	[ "$(out ".items|length")" = 1 ]
'

test_expect_success 'failed sign-ins are counted across nodes' '
	for n in a b a; do
		curl -sS -o /dev/null -H "Content-Type: application/json" \
			--data-binary "{\"username\":\"hana\",\"password\":\"wrong password 12\"}" \
			"$(url $n /api/v1/session)"
	done &&
	[ "$(db_sql "SELECT failures FROM signin_failures WHERE key = '\''user:hana'\''")" = 3 ]
'

test_expect_success 'two nodes writing at once keep one valid audit chain' '
	tok=$(cat "$TEST_DIR/token") &&
	for n in a b; do
		( for i in $(seq 1 20); do
			curl -sS -o /dev/null -w "%{http_code}\n" -H "Authorization: Bearer $tok" \
				-H "Content-Type: application/json" \
				--data-binary "{\"title\":\"burst $n $i\"}" "$(url $n /api/v1/incidents)"
		  done > "$TEST_DIR/burst.$n" ) &
	done &&
	wait &&
	[ "$(cat "$TEST_DIR/burst.a" "$TEST_DIR/burst.b" | grep -c "^201$")" = 40 ] &&
	[ "$(db_sql "SELECT COUNT(DISTINCT hid) FROM incidents WHERE title LIKE '\''burst %'\''")" = 40 ] &&
	irdesk audit verify > verify.out &&
	grep -q "audit log intact" verify.out &&
	[ "$(db_sql "SELECT COUNT(*) FROM audit_log")" = "$(db_sql "SELECT seq FROM audit_head")" ]
'

test_expect_success 'a database outage is answered 503, then both nodes carry on' '
	"$IRDESK_TOP/tests/pg.sh" pause "$IRDESK_PG_DIR" &&
	code=$(call a GET /api/v1/incidents) ; code2=$(call b GET /api/v1/session) ;
	"$IRDESK_TOP/tests/pg.sh" resume "$IRDESK_PG_DIR" &&
	echo "during the outage: node a $code, node b $code2" &&
	[ "$code" = 503 ] && [ "$code2" = 503 ] &&
	for n in a b; do
		ok=0 last=
		# Each worker thread reconnects on its next request: allow a few.
		for _ in $(seq 1 50); do
			last=$(call $n GET /api/v1/incidents)
			[ "$last" = 200 ] && { ok=1; break; }
			sleep 0.2
		done
		echo "node $n after the outage: $last"
		[ $ok = 1 ]
	done &&
	ok=0 &&
	for _ in $(seq 1 20); do
		last=$(call b POST /api/v1/incidents "{\"title\":\"after the outage\"}")
		[ "$last" = 201 ] && { ok=1; break; }
		# A worker whose connection died with the server may answer one 503.
		[ "$last" = 503 ] || break
		sleep 0.2
	done &&
	echo "node b write after the outage: $last" &&
	[ $ok = 1 ]
'

test_done
