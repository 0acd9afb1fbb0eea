#!/usr/bin/env bash
# t0930-db-pool.sh: a node holds at most as many database connections as it
# says: --threads N web workers with one connection each (the pool), plus
# three (detection, the scheduler, the main thread). /api/v1/health and the
# start log tell the figure; on PostgreSQL, pg_stat_activity under load
# never shows more irdesk connections than that.
. "$(dirname "$0")/lib.sh"

# node_start NAME ARGS...: start a node; its pid and port go to $TEST_DIR/NAME.pid|port.
node_start() {
	local n=$1
	shift
	( IRDESK_LOG=info "$IRDESK_BIN" --db "$DB" serve --listen 127.0.0.1:0 \
		--port-file "$TEST_DIR/$n.port" "$@" > "$TEST_DIR/$n.log" 2>&1 & echo $! > "$TEST_DIR/$n.pid"
	  wait $! ) &
	for _ in $(seq 1 150); do [ -s "$TEST_DIR/$n.port" ] && break; sleep 0.1; done
	[ -s "$TEST_DIR/$n.port" ]
}
node_stop() { kill "$(cat "$TEST_DIR/$1.pid")" && rm -f "$TEST_DIR/$1.port"; }
at_exit 'for n in a b; do [ -f "$TEST_DIR/$n.pid" ] && kill -9 "$(cat "$TEST_DIR/$n.pid")"; done'
url() { echo "http://127.0.0.1:$(cat "$TEST_DIR/$1.port")$2"; }
# The irdesk connections to this test's database (PostgreSQL).
pg_conns() {
	db_sql "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()
		AND application_name = 'irdesk'"
}

test_expect_success 'setup: a database with incidents, a node with a pool of 3' '
	irdesk init > /dev/null &&
	irdesk token create admin --name t --json | jq -r .token > token &&
	for i in $(seq 1 5); do irdesk incident new --title "pool $i" > /dev/null || return 1; done &&
	node_start a --threads 3
'

test_expect_success 'health and the start log say how many connections the node may hold' '
	curl -sS "$(url a /api/v1/health)" > h.json &&
	[ "$(jq .db_connections.pool h.json)" = 3 ] &&
	[ "$(jq .db_connections.node_max h.json)" = 6 ] &&
	[ "$(jq .db_connections.open h.json)" -ge 1 ] && [ "$(jq .db_connections.open h.json)" -le 3 ] &&
	grep -q "database connections: at most 6 (a pool of 3 for the 3 worker threads" "$TEST_DIR/a.log"
'

test_expect_success 'under load from 12 clients at once the node stays within its pool' '
	: > counts &&
	for c in $(seq 1 12); do
		( for _ in $(seq 1 25); do
			curl -sS -o /dev/null -w "%{http_code}\n" -H "Authorization: Bearer $(cat token)" \
				"$(url a "/api/v1/incidents?q=pool")"
		  done > "load.$c" ) &
	done &&
	while [ "$(jobs -r | wc -l)" -gt 0 ]; do
		{ [ "$TEST_BACKEND" != pg ] || pg_conns >> counts; } && sleep 0.05
	done &&
	wait &&
	[ "$(cat load.* | grep -c "^200$")" = 300 ] &&
	curl -sS "$(url a /api/v1/health)" > h.json &&
	[ "$(jq .db_connections.open h.json)" -le 3 ] &&
	if [ "$TEST_BACKEND" = pg ]; then
		[ -s counts ] && max=$(sort -n counts | tail -1) &&
		echo "most irdesk connections seen: $max" &&
		[ "$max" -ge 4 ] && [ "$max" -le 6 ]
	fi
'

test_expect_success 'the default pool is one connection per core, at least two' '
	node_stop a &&
	node_start b &&
	curl -sS "$(url b /api/v1/health)" > h.json &&
	cores=$(nproc) && [ "$cores" -ge 2 ] || cores=2 &&
	[ "$(jq .db_connections.pool h.json)" = "$cores" ] &&
	[ "$(jq .db_connections.node_max h.json)" = $((cores + 3)) ]
'

test_expect_success 'a pool size out of range is refused' '
	expect_code 2 irdesk serve --threads 0 --listen 127.0.0.1:0 &&
	stderr_has "--threads" &&
	expect_code 2 irdesk serve --threads 65 --listen 127.0.0.1:0
'

test_done
