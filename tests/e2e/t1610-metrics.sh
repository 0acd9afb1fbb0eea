#!/usr/bin/env bash
# t1610-metrics.sh: `irdesk metrics` and GET /api/v1/metrics with exact
# values on a fixture of incidents with known timestamps (created with the
# CLI, lifecycle times corrected with a reason, notifications in the
# table the notification module fills): counts, medians and 90th
# percentiles, recurrence, the period, refusals, and what an external
# account sees; the metrics page draws its charts as inline SVG within the CSP.
. "$(dirname "$0")/lib.sh"
export IRDESK_NOW=2026-12-10T00:00:00Z

api() {
	local who=$1 p=$2
	curl -sS -o "$TEST_DIR/out" -D "$TEST_DIR/hdr" -w '%{http_code}' \
		-H "Authorization: Bearer $(cat "$TEST_DIR/$who.token")" \
		"http://127.0.0.1:$(cat "$TEST_DIR/port")$p"
}
out() { jq -r "$1" "$TEST_DIR/out"; }

# inc TITLE TYPE OCCURRED DISCOVERED [TRIAGED [CONTAINED [RECOVERED]]] (JST, "-" for none)
inc() {
	local id args=(--title "$1" --type "$2" --discovered-at "$4 JST")
	[ "$3" = - ] || args+=(--occurred-at "$3 JST")
	id=$(irdesk --json incident new "${args[@]}" | jq -r .id) && [ "$id" != null ] || return 1
	[ -z "${5:-}" ] || irdesk incident set "$id" --triaged-at "$5 JST" --reason fixture > /dev/null || return 1
	[ -z "${6:-}" ] || [ "$6" = - ] || irdesk incident set "$id" --contained-at "$6 JST" --reason fixture > /dev/null || return 1
	[ -z "${7:-}" ] || irdesk incident set "$id" --recovered-at "$7 JST" --reason fixture > /dev/null || return 1
	echo "$id"
}
notify() { # HID KIND SENT(epoch)
	db_sql "insert into notifications (incident_id, recipient, channel, kind, sent_at, created_by, created_at) select id, 'x', 'email', '$2', $3, 'test', $3 from incidents where hid = '$1'"
}
epoch() { date -u -d "$1" +%s; }

test_expect_success 'setup: a fixture of incidents with known times' '
	irdesk init > /dev/null &&
	irdesk user add vendor --role forensic_engineer --external > /dev/null &&
	for u in admin vendor; do
		irdesk token create $u --name t --json | jq -r .token > "$TEST_DIR/$u.token" || exit 1
	done &&
	a=$(inc "Phishing wave 1" phishing "2026-10-01 08:00" "2026-10-01 09:00" "2026-10-01 09:10" "2026-10-01 11:00" "2026-10-02 09:00") &&
	b=$(inc "Phishing wave 2" phishing "2026-10-03 07:00" "2026-10-03 09:00" "2026-10-03 09:20" "2026-10-03 10:00") &&
	c=$(inc "Ransomware on the file server" ransomware "2026-11-04 09:00" "2026-11-05 09:00" "2026-11-05 09:05" "2026-11-05 13:00" "2026-11-07 09:00") &&
	d=$(inc "Beaconing host" malware - "2026-11-20 09:00" "2026-11-20 09:30") &&
	e=$(inc "Phishing wave 3" phishing - "2026-11-25 09:00") &&
	notify "$a" internal "$(epoch "2026-10-01T00:01:00Z")" &&
	notify "$a" management "$(epoch "2026-10-01T00:30:00Z")" &&
	notify "$b" external "$(epoch "2026-10-03T01:30:00Z")" &&
	irdesk observable add "$c" 203.0.113.9 > /dev/null &&
	irdesk observable add "$d" "203[.]0[.]113[.]9" > /dev/null &&
	irdesk incident member "$d" vendor forensic_engineer > /dev/null &&
	echo "$a $b $c $d $e" > ids &&
	start_server "$TEST_DIR/serve.log"
'

test_expect_success 'irdesk metrics --json: exact counts, durations and recurrence from October to 20 November' '
	read -r a b c d e < ids &&
	irdesk --json metrics --from 2026-10-01 --to 2026-11-21 > m.json &&
	[ "$(jq .total m.json)" = 4 ] &&
	[ "$(jq -c .by_type m.json)" = "{\"malware\":1,\"phishing\":2,\"ransomware\":1}" ] &&
	[ "$(jq -c .by_state m.json)" = "{\"new\":4}" ] &&
	[ "$(jq -c "[.by_month[] | [.month, .total]]" m.json)" = "[[\"2026-10\",2],[\"2026-11\",2]]" ] &&
	[ "$(jq -c ".durations.time_to_detect" m.json)" = "{\"count\":3,\"median\":7200,\"p90\":86400}" ] &&
	[ "$(jq -c ".durations.time_to_triage" m.json)" = "{\"count\":4,\"median\":900,\"p90\":1800}" ] &&
	[ "$(jq -c ".durations.time_to_contain" m.json)" = "{\"count\":3,\"median\":7200,\"p90\":14400}" ] &&
	[ "$(jq -c ".durations.time_to_recover" m.json)" = "{\"count\":2,\"median\":129600,\"p90\":172800}" ] &&
	[ "$(jq -c ".durations.time_to_report" m.json)" = "{\"count\":2,\"median\":3600,\"p90\":5400}" ] &&
	[ "$(jq -c "[.recurrence.items[] | [.incident, .earlier, .reason]]" m.json)" = "[[\"$b\",\"$a\",\"title\"],[\"$d\",\"$c\",\"observable\"]]" ] &&
	[ "$(jq .recurrence.rate m.json)" = 0.5 ] &&
	[ "$(jq .overdue_clocks m.json)" = 0 ] &&
	[ "$(jq -c .by_threat m.json)" = "{}" ]
'

test_expect_success 'irdesk metrics for people prints the same numbers' '
	irdesk metrics --from 2026-10-01 --to 2026-11-21 > m.txt &&
	grep -q "^incidents: 4$" m.txt &&
	grep -qE "^time_to_detect +3 +2h 00m +1d" m.txt &&
	grep -qE "^phishing +2$" m.txt &&
	grep -q "after .* (observable)" m.txt
'

test_expect_success 'GET /api/v1/metrics answers what the CLI computes; the period is optional' '
	[ "$(api admin "/api/v1/metrics?from=2026-10-01&to=2026-11-21")" = 200 ] &&
	jq -S . "$TEST_DIR/out" > api.json && jq -S . m.json > cli.json && diff cli.json api.json &&
	[ "$(api admin /api/v1/metrics)" = 200 ] && [ "$(out .total)" = 5 ] &&
	[ "$(out .recurrence.count)" = 3 ]
'

test_expect_success 'a bad period or an unknown argument is refused (400, CLI exit code and one line)' '
	[ "$(api admin "/api/v1/metrics?from=last-tuesday")" = 400 ] && [ "$(out .error.code)" = usage ] &&
	out .error.message | grep -q "^from" &&
	[ "$(api admin "/api/v1/metrics?from=2026-11-21&to=2026-10-01")" = 400 ] &&
	[ "$(api admin "/api/v1/metrics?month=10")" = 400 ] &&
	expect_code 4 irdesk metrics --from 2026-11-21 --to 2026-10-01 &&
	stderr_has "before" &&
	expect_code 2 irdesk metrics extra
'

test_expect_success 'an external account counts only its own incidents' '
	[ "$(api vendor /api/v1/metrics)" = 200 ] &&
	[ "$(out .total)" = 1 ] && [ "$(out .by_type.malware)" = 1 ] &&
	[ "$(out .recurrence.count)" = 0 ]
'

test_done
