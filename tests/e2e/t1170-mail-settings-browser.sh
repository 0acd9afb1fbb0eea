#!/usr/bin/env bash
# t1170-mail-settings-browser.sh: the reported-mail settings page in a real
# browser (tests/browser/mail_settings.mjs with Debian's chromium and
# playwright-core), then the saved settings as the CLI shows them. Skipped
# when chromium, node or playwright-core is missing (scripts/deps.sh).
. "$(dirname "$0")/lib.sh"

if [ ! -x /usr/bin/chromium ] || ! command -v node > /dev/null 2>&1 ||
	[ ! -d "$TEST_TOP/node_modules/playwright-core" ]; then
	echo "ok 1 - mail settings in a browser # SKIP chromium, node or playwright-core missing"
	echo "1..1"
	exit 0
fi

PASSWORD=mail-settings-browser-password-1
{ irdesk init > /dev/null &&
  echo "$PASSWORD" | irdesk user add ada --role admin --password-stdin > /dev/null &&
  start_server "$TEST_DIR/serve.log" --mail-config "$TEST_TOP/tests/data/mail/config.json"; } ||
	{ echo "not ok 1 - setup"; exit 1; }

status=0
IRDESK_USER=ada IRDESK_PASSWORD=$PASSWORD timeout 300 \
	node "$TEST_TOP/tests/browser/mail_settings.mjs" "http://127.0.0.1:$PORT" > "$TEST_DIR/tap" || status=$?
sed '/^1\.\./d' "$TEST_DIR/tap"
irdesk mail config show --json > "$TEST_DIR/show.json" 2>&1 &&
	[ "$(jq -c '[.config.executives[1].email, .config.thresholds.suspicious]' "$TEST_DIR/show.json")" = '["h.sato@example.co.jp",25]' ] &&
	echo "ok 5 - the CLI shows what the browser saved" ||
	{ echo "not ok 5 - the CLI shows what the browser saved"; sed 's/^/#   /' "$TEST_DIR/show.json"; status=1; }
echo "1..5"
kill -TERM "$PID" 2> /dev/null
if [ "$(wait_exit)" != 0 ] || grep -q "ERROR: AddressSanitizer\|runtime error:" "$TEST_DIR/serve.log"; then
	echo "# server log:"; sed 's/^/#   /' "$TEST_DIR/serve.log" | tail -40
	status=1
fi
exit $status
