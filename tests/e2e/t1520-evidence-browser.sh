#!/usr/bin/env bash
# t1520-evidence-browser.sh: the evidence pages in a real browser: upload
# through the incident page's form (streamed, CSRF token in the URL), the
# item page, verification and download. The browser part is
# t1520-evidence-browser.mjs (playwright-core and Debian's chromium); skipped
# when they are missing, as t0800-browser.sh is.
. "$(dirname "$0")/lib.sh"

if [ ! -x /usr/bin/chromium ] || ! command -v node > /dev/null 2>&1 ||
	[ ! -d "$TEST_TOP/node_modules/playwright-core" ]; then
	echo "ok 1 - evidence in the browser # SKIP chromium, node or playwright-core missing"
	echo "1..1"
	exit 0
fi

PASSWORD=browser-evidence-password-1
{ irdesk init > /dev/null &&
  echo "$PASSWORD" | irdesk user add fe --role forensic_engineer --password-stdin > /dev/null &&
  irdesk incident new --title "Browser evidence" --json | jq -r .id > "$TEST_DIR/hid" &&
  head -c 2000000 /dev/urandom > "$TEST_DIR/memory.raw" &&
  (cd "$TEST_DIR" && start_server "$TEST_DIR/serve.log"); } || { echo "not ok 1 - setup"; exit 1; }
server

status=0
IRDESK_USER=fe IRDESK_PASSWORD=$PASSWORD timeout 300 \
	node "$TEST_TOP/tests/e2e/t1520-evidence-browser.mjs" "http://127.0.0.1:$PORT" \
	"$(cat "$TEST_DIR/hid")" "$TEST_DIR/memory.raw" || status=$?
kill -TERM "$PID" 2> /dev/null
[ "$(wait_exit)" = 0 ] || { echo "# server did not stop cleanly"; status=1; }
if grep -q "ERROR: AddressSanitizer\|runtime error:" "$TEST_DIR/serve.log"; then
	grep -A20 "AddressSanitizer\|runtime error:" "$TEST_DIR/serve.log" | sed 's/^/#   /' | head -40
	status=1
fi
exit $status
