#!/usr/bin/env bash
# t1620-lessons.sh: lessons learned with the CLI and the API: closing a P1
# is refused with a message naming the unanswered questions until they are
# answered; a P3 closes without; the facts from the record; follow-up
# actions become tasks with owners; refusals change nothing; the page.
. "$(dirname "$0")/lib.sh"
export IRDESK_NOW=2026-11-27T03:00:00Z

api() {
	local who=$1 m=$2 p=$3
	shift 3
	curl -sS -o "$TEST_DIR/out" -w '%{http_code}' -X "$m" \
		-H "Authorization: Bearer $(cat "$TEST_DIR/$who.token")" \
		-H 'Content-Type: application/json' ${1+--data-binary "$1"} \
		"http://127.0.0.1:$(cat "$TEST_DIR/port")$p"
}
out() { jq -r "$1" "$TEST_DIR/out"; }

# to_post ID: move an incident from new to post_incident, with the items its
# catalog gates ask for.
to_post() {
	for s in triage analysis containment eradication recovery post_incident; do
		fill_required "$1" || return 1
		irdesk incident move "$1" $s > /dev/null || return 1
	done
}

test_expect_success 'setup: a P1 and a P3 incident in post_incident, a server' '
	irdesk init > /dev/null &&
	irdesk user add hana --role incident_handler > /dev/null &&
	irdesk user add vic --role viewer > /dev/null &&
	echo lessons-password-1 | irdesk user add lead --role commander --password-stdin > /dev/null &&
	for u in hana vic; do
		irdesk token create $u --name t --json | jq -r .token > "$TEST_DIR/$u.token" || exit 1
	done &&
	irdesk incident new --title "Worm on the file server" --type ransomware --owner hana \
		--occurred-at "2026-11-27 08:00 JST" --discovered-at "2026-11-27 10:00 JST" \
		--functional-impact high --information-impact none --recoverability regular > /dev/null &&
	irdesk incident new --title "Odd mail" --type phishing --owner hana \
		--functional-impact low --information-impact none --recoverability regular > /dev/null &&
	[ "$(irdesk --json incident show IR-2026-0001 | jq -r .priority)" = P1 ] &&
	to_post IR-2026-0001 && to_post IR-2026-0002 &&
	start_server "$TEST_DIR/serve.log"
'

test_expect_success 'closing the P1 is refused, naming every unanswered question; nothing changes' '
	expect_code 4 irdesk incident move IR-2026-0001 closed &&
	stderr_has "closing IR-2026-0001 (P1) needs its lessons learned: what_happened, staff_performance" &&
	stderr_has "tools are unanswered" &&
	[ "$(wc -l < "$TEST_DIR/stderr")" -eq 1 ] &&
	[ "$(irdesk --json incident show IR-2026-0001 | jq -r .state)" = post_incident ]
'

test_expect_success 'the P3 closes without lessons learned' '
	irdesk incident move IR-2026-0002 closed > /dev/null &&
	[ "$(irdesk --json incident show IR-2026-0002 | jq -r .state)" = closed ]
'

test_expect_success 'lessons set answers part; the refusal then names only the rest' '
	irdesk --json lessons set IR-2026-0001 --what-happened "A mail with a macro spread a worm." \
		--meeting-at "2026-11-28 10:00 JST" > l.json &&
	[ "$(jq -r .complete l.json)" = false ] && [ "$(jq -r .required l.json)" = true ] &&
	[ "$(jq -r ".missing | length" l.json)" = 8 ] &&
	[ "$(jq -r .meeting_at l.json)" = 2026-11-28T01:00:00Z ] &&
	expect_code 4 irdesk incident move IR-2026-0001 closed &&
	stderr_has "staff_performance" && ! grep -q what_happened "$TEST_DIR/stderr"
'

test_expect_success 'bad input is refused with one line and changes nothing' '
	n=$(db_sql "select count(*) from audit_log") &&
	expect_code 4 irdesk lessons set IR-2026-0001 --meeting-at "soon" &&
	stderr_has "meeting_at" &&
	expect_code 2 irdesk lessons set IR-2026-0001 --lesson x &&
	expect_code 6 irdesk --as vic lessons set IR-2026-0001 --tools EDR &&
	[ "$(api hana PATCH /api/v1/incidents/IR-2026-0001/lessons "{\"whatever\":\"x\"}")" = 422 ] &&
	[ "$(api hana PATCH /api/v1/incidents/IR-2026-0001/lessons "{\"tools\":7}")" = 422 ] &&
	[ "$(api vic PATCH /api/v1/incidents/IR-2026-0001/lessons "{\"tools\":\"EDR\"}")" = 403 ] &&
	[ "$(api hana PATCH /api/v1/incidents/IR-2026-9999/lessons "{\"tools\":\"EDR\"}")" = 404 ] &&
	[ "$(db_sql "select count(*) from audit_log")" = "$n" ]
'

test_expect_success 'API: the rest of the answers, a follow-up action with an owner, the facts' '
	[ "$(api hana PATCH /api/v1/incidents/IR-2026-0001/lessons "{\"staff_performance\":\"slow escalation\",
		\"info_sooner\":\"asset owners\",\"hindered\":\"no offline backup\",\"do_differently\":\"isolate first\",
		\"sharing\":\"tell JPCERT/CC the same day\",\"corrective\":\"block macros\",
		\"indicators\":\"SMB scans\",\"tools\":\"EDR\",\"damage_before_detection\":\"3 shares encrypted\"}")" = 200 ] &&
	[ "$(out .complete)" = true ] &&
	[ "$(out .facts.time_to_detect)" = 7200 ] &&
	[ "$(api hana POST /api/v1/incidents/IR-2026-0001/lessons/actions "{\"title\":\"Block macros\",\"assignee\":\"hana\",\"due\":\"2026-12-15\"}")" = 201 ] &&
	[ "$(out .phase)" = post_incident ] && [ "$(out .assignee)" = hana ] &&
	[ "$(api vic GET /api/v1/incidents/IR-2026-0001/lessons)" = 200 ] &&
	[ "$(out ".actions[0].title")" = "Block macros" ] &&
	[ "$(out .facts.tasks_total)" = "$(irdesk task list IR-2026-0001 --json | jq length)" ] &&
	[ "$(out .facts.tasks_total)" -gt 9 ] &&
	irdesk task list IR-2026-0001 | grep -q "Block macros" &&
	irdesk lessons show IR-2026-0001 > show.txt &&
	grep -q "A mail with a macro spread a worm." show.txt &&
	grep -qE "Time to detect \(MTTD\) +2h 00m" show.txt &&
	grep -qE "\[ \] #[0-9]+ Block macros · hana" show.txt
'

test_expect_success 'now the P1 closes; its timeline and audit log record the lessons' '
	irdesk incident move IR-2026-0001 closed > /dev/null &&
	[ "$(irdesk --json incident show IR-2026-0001 | jq -r .state)" = closed ] &&
	[ "$(db_sql "select count(*) from audit_log where action = '\''lessons.set'\''")" = 2 ] &&
	[ "$(db_sql "select count(*) from audit_log where action = '\''lessons.action'\''")" = 1 ] &&
	irdesk --json incident show IR-2026-0001 | jq -e "[.timeline[] | select(.text | startswith(\"lessons learned updated\"))] | length == 2" > /dev/null &&
	irdesk audit verify > /dev/null
'

test_expect_success 'the lessons page: the form, a bad time shown again, a save, the card on the incident' '
	base=http://127.0.0.1:$(cat "$TEST_DIR/port") jar=$TEST_DIR/jar &&
	curl -sS -c "$jar" -b "$jar" -o login.html "$base/login" &&
	csrf() { grep -o "name=\"csrf\" value=\"[^\"]*\"" "$1" | head -1 | sed "s/.*value=\"//;s/\"$//"; } &&
	curl -sS -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$(csrf login.html)" \
		--data-urlencode username=lead --data-urlencode password=lessons-password-1 "$base/login" &&
	curl -sS -b "$jar" -o l.html "$base/incidents/IR-2026-0001/lessons" &&
	grep -qF "name=\"what_happened\"" l.html && grep -qF "A mail with a macro spread a worm." l.html &&
	grep -qF "data-key=\"time_to_detect\"" l.html &&
	t=$(csrf l.html) &&
	[ "$(curl -sS -b "$jar" -o p.html -w "%{http_code}" --data-urlencode "csrf=$t" --data-urlencode _form=lessons \
		--data-urlencode "tools=EDR and <script>" --data-urlencode "meeting_at=someday" \
		"$base/incidents/IR-2026-0001/lessons")" = 422 ] &&
	grep -qF "meeting_at" p.html && grep -qF "EDR and &lt;script&gt;" p.html &&
	[ "$(curl -sS -b "$jar" -o p.html -D hdr -w "%{http_code}" --data-urlencode "csrf=$t" \
		--data-urlencode _form=lessons --data-urlencode "tools=EDR everywhere" \
		"$base/incidents/IR-2026-0001/lessons")" = 303 ] &&
	grep -qi "^location: /incidents/IR-2026-0001/lessons?done=saved" hdr &&
	[ "$(irdesk --json lessons show IR-2026-0001 | jq -r .answers.tools)" = "EDR everywhere" ] &&
	curl -sS -b "$jar" -o i.html "$base/incidents/IR-2026-0001" &&
	grep -qF "id=\"lessons\"" i.html && grep -qF "href=\"/incidents/IR-2026-0001/lessons\"" i.html
'

test_done
