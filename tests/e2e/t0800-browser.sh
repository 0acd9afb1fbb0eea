#!/usr/bin/env bash
# The pages in a real browser: tests/browser/run.mjs drives Debian's
# chromium with playwright-core against a server on an ephemeral port, and
# its TAP lines are this script's. Skipped when chromium, node or
# playwright-core is missing (scripts/deps.sh installs them).
. "$(dirname "$0")/lib.sh"

start_server() { # $1 log file; sets PID and PORT (as t0400-serve.sh)
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

if [ ! -x /usr/bin/chromium ]; then
	echo "ok 1 - browser tests # SKIP chromium not found"
	echo "1..1"
	exit 0
fi
if ! command -v node >/dev/null 2>&1 || [ ! -d "$TEST_TOP/node_modules/playwright-core" ]; then
	echo "ok 1 - browser tests # SKIP node or playwright-core not installed (scripts/deps.sh)"
	echo "1..1"
	exit 0
fi

PASSWORD=browser-test-password-1
irdesk init > /dev/null || { echo "not ok 1 - irdesk init"; exit 1; }
echo "$PASSWORD" | irdesk user add lead --role commander --name "Team Lead" --password-stdin > /dev/null &&
echo "$PASSWORD" | irdesk user add vendor --role forensic_engineer --external --password-stdin \
	> /dev/null || { echo "not ok 1 - create the test accounts"; exit 1; }
start_server "$TEST_DIR/serve.log" || { echo "not ok 1 - start the server"; cat "$TEST_DIR/serve.log"; exit 1; }

status=0
IRDESK_LEAD=lead IRDESK_VENDOR=vendor IRDESK_PASSWORD=$PASSWORD IRDESK_DB=$DB \
	IRDESK_BIN=$IRDESK_BIN timeout 300 node "$TEST_TOP/tests/browser/run.mjs" \
	"http://127.0.0.1:$PORT" || status=$?

kill -TERM "$PID" 2>/dev/null
for _ in $(seq 1 100); do [ -s "$TEST_DIR/exit" ] && break; sleep 0.1; done
if [ "$(cat "$TEST_DIR/exit" 2>/dev/null)" != 0 ]; then
	# A sanitizer report or a crash in the server fails the run too.
	echo "# server log:"; sed 's/^/#   /' "$TEST_DIR/serve.log" | tail -40
	status=1
fi
if grep -q "ERROR: AddressSanitizer\|runtime error:" "$TEST_DIR/serve.log"; then
	echo "# sanitizer report in the server log:"; grep -A20 "AddressSanitizer\|runtime error:" "$TEST_DIR/serve.log" | sed 's/^/#   /' | head -40
	status=1
fi
exit $status
