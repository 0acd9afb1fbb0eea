#!/usr/bin/env bash
# irdesk serve: starts, answers the health page and API, logs, stops cleanly
# on SIGTERM and SIGINT.
. "$(dirname "$0")/lib.sh"

# Each test body runs in a subshell, so the server's pid, port and exit
# status live in files.
start_server() { # $1 log file; sets PID and PORT
	rm -f "$TEST_DIR/port" "$TEST_DIR/exit"
	( IRDESK_LOG=info "$IRDESK_BIN" --db "$DB" serve --listen 127.0.0.1:0 \
		--port-file "$TEST_DIR/port" > "$1" 2>&1 & echo $! > "$TEST_DIR/pid"
	  wait $!; echo $? > "$TEST_DIR/exit" ) &
	for _ in $(seq 1 100); do
		[ -s "$TEST_DIR/port" ] && break
		sleep 0.1
	done
	PID=$(cat "$TEST_DIR/pid")
	PORT=$(cat "$TEST_DIR/port")
	[ -n "$PORT" ]
}
at_exit '[ -f "$TEST_DIR/pid" ] && kill -9 "$(cat "$TEST_DIR/pid")"'
server() { PID=$(cat "$TEST_DIR/pid"); PORT=$(cat "$TEST_DIR/port"); }

wait_exit() { # prints the server's exit status once it has stopped
	for _ in $(seq 1 100); do
		[ -s "$TEST_DIR/exit" ] && break
		sleep 0.1
	done
	cat "$TEST_DIR/exit"
}

test_expect_success 'serve refuses an uninitialised database with one message' '
	expect_code 3 "$IRDESK_BIN" --db "sqlite:$TEST_DIR/none.db" serve --listen 127.0.0.1:0 &&
	stderr_has "irdesk init"
'

test_expect_success 'serve rejects a bad listen address' '
	irdesk init >/dev/null &&
	expect_code 4 irdesk serve --listen nonsense &&
	stderr_has "ADDRESS:PORT"
'

test_expect_success 'health API answers JSON with status ok' '
	start_server "$TEST_DIR/serve1.log" &&
	curl -sS -o "$TEST_DIR/h.json" -w "%{http_code} %{content_type}" \
		"http://127.0.0.1:$PORT/api/v1/health" > "$TEST_DIR/code" &&
	grep -q "^200 application/json" "$TEST_DIR/code" &&
	[ "$(json_get "$TEST_DIR/h.json" .status)" = ok ] &&
	[ "$(json_get "$TEST_DIR/h.json" .store)" = ok ] &&
	[ "$(json_get "$TEST_DIR/h.json" .schema_version)" -ge 1 ]
'

test_expect_success 'pages are HTML with security headers; / asks to sign in' '
	server &&
	curl -sS -D "$TEST_DIR/hdr" -o /dev/null "http://127.0.0.1:$PORT/" &&
	grep -qi "^location: /login" "$TEST_DIR/hdr" &&
	curl -sS -D "$TEST_DIR/hdr" -o "$TEST_DIR/page.html" "http://127.0.0.1:$PORT/login" &&
	grep -q "irdesk" "$TEST_DIR/page.html" &&
	grep -qi "^content-security-policy: default-src .none.; script-src .self." "$TEST_DIR/hdr" &&
	grep -qi "^x-content-type-options: nosniff" "$TEST_DIR/hdr" &&
	grep -qi "^referrer-policy: same-origin" "$TEST_DIR/hdr"
'

test_expect_success 'unknown paths get a 404 JSON error, other methods 405' '
	server &&
	code=$(curl -sS -o "$TEST_DIR/e.json" -w "%{http_code}" "http://127.0.0.1:$PORT/api/v1/nope") &&
	[ "$code" = 404 ] &&
	[ "$(json_get "$TEST_DIR/e.json" .error.code)" = notfound ] &&
	code=$(curl -sS -o "$TEST_DIR/e.json" -w "%{http_code}" -X POST -d x=1 \
		"http://127.0.0.1:$PORT/api/v1/health") &&
	[ "$code" = 405 ] &&
	[ "$(json_get "$TEST_DIR/e.json" .error.code)" = usage ]
'

test_expect_success 'requests are logged without query strings or bodies' '
	server &&
	curl -sS -o /dev/null "http://127.0.0.1:$PORT/api/v1/health?token=secret123" &&
	sleep 0.2 &&
	grep -q "GET /api/v1/health 200" "$TEST_DIR/serve1.log" &&
	! grep -q secret123 "$TEST_DIR/serve1.log"
'

test_expect_success 'SIGTERM stops the server cleanly with exit 0' '
	server &&
	kill -TERM "$PID" &&
	[ "$(wait_exit)" = 0 ] &&
	grep -q "SIGTERM" "$TEST_DIR/serve1.log" &&
	grep -q "stopped" "$TEST_DIR/serve1.log" &&
	! curl -s -o /dev/null "http://127.0.0.1:$PORT/api/v1/health"
'

test_expect_success 'SIGINT stops it too, and the database is still consistent' '
	start_server "$TEST_DIR/serve2.log" &&
	curl -sS -o /dev/null "http://127.0.0.1:$PORT/api/v1/health" &&
	kill -INT "$PID" &&
	[ "$(wait_exit)" = 0 ] &&
	grep -q "SIGINT" "$TEST_DIR/serve2.log" &&
	irdesk audit verify
'

test_expect_success 'a second server on the same port fails with one message' '
	start_server "$TEST_DIR/serve3.log" &&
	expect_code 5 irdesk serve --listen "127.0.0.1:$PORT" &&
	stderr_has "cannot listen" &&
	kill -TERM "$PID" && [ "$(wait_exit)" = 0 ]
'

test_done
