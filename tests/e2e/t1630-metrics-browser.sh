#!/usr/bin/env bash
# t1630-metrics-browser.sh: the metrics page in a real browser
# (tests/browser/metrics.mjs with Debian's chromium and playwright-core): the
# SVG charts are drawn, the tables match GET /api/v1/metrics, and a
# screenshot is kept as tests/out/t1630-metrics.png. Skipped when chromium,
# node or playwright-core is missing (scripts/deps.sh installs them).
. "$(dirname "$0")/lib.sh"
export IRDESK_NOW=2026-12-10T00:00:00Z

if [ ! -x /usr/bin/chromium ]; then
	echo "ok 1 - metrics in a browser # SKIP chromium not found"
	echo "1..1"
	exit 0
fi
if ! command -v node >/dev/null 2>&1 || [ ! -d "$TEST_TOP/node_modules/playwright-core" ]; then
	echo "ok 1 - metrics in a browser # SKIP node or playwright-core not installed (scripts/deps.sh)"
	echo "1..1"
	exit 0
fi

PASSWORD=metrics-browser-password-1
fixture() {
	irdesk init > /dev/null &&
	echo "$PASSWORD" | irdesk user add lead --role commander --password-stdin > /dev/null &&
	# TITLE TYPE OCCURRED DISCOVERED TRIAGED CONTAINED (JST)
	while IFS='|' read -r title type occ disc tri con; do
		id=$(irdesk --json incident new --title "$title" --type "$type" --occurred-at "$occ JST" \
			--discovered-at "$disc JST" | jq -r .id) && [ "$id" != null ] &&
		irdesk incident set "$id" --triaged-at "$tri JST" --reason fixture > /dev/null &&
		irdesk incident set "$id" --contained-at "$con JST" --reason fixture > /dev/null || return 1
	done <<-LIST
	Phishing wave 1|phishing|2026-10-01 08:00|2026-10-01 09:00|2026-10-01 09:10|2026-10-01 11:00
	Phishing wave 2|phishing|2026-10-03 07:00|2026-10-03 09:00|2026-10-03 09:20|2026-10-03 10:00
	Ransomware|ransomware|2026-11-04 09:00|2026-11-05 09:00|2026-11-05 09:05|2026-11-05 13:00
	Beaconing host|malware|2026-11-19 09:00|2026-11-20 09:00|2026-11-20 09:30|2026-11-21 09:00
	LIST
}
fixture || { echo "not ok 1 - the fixture"; exit 1; }
start_server "$TEST_DIR/serve.log" || { echo "not ok 1 - start the server"; cat "$TEST_DIR/serve.log"; exit 1; }

mkdir -p "$TEST_TOP/tests/out"
status=0
IRDESK_USER=lead IRDESK_PASSWORD=$PASSWORD IRDESK_PERIOD="from=2026-10-01&to=2026-12-01" \
	IRDESK_SCREENSHOT="$TEST_TOP/tests/out/t1630-metrics.png" \
	timeout 300 node "$TEST_TOP/tests/browser/metrics.mjs" "http://127.0.0.1:$PORT" || status=$?

kill -TERM "$PID" 2>/dev/null
if [ "$(wait_exit)" != 0 ] || grep -q "ERROR: AddressSanitizer\|runtime error:" "$TEST_DIR/serve.log"; then
	echo "# server log:"; sed 's/^/#   /' "$TEST_DIR/serve.log" | tail -40
	status=1
fi
exit $status
