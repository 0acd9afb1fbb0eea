#!/usr/bin/env bash
# t0600-api-incidents.sh: the REST API's success paths for incidents and
# what hangs off them (list with filters and cursors, create, show, update,
# transitions, members, timeline, tasks) and for signing in from a program,
# against the real server on an ephemeral port, with a bearer token.
. "$(dirname "$0")/lib.sh"

# Each test body runs in a subshell, so the server's pid and port and the
# token live in files.
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

# api METHOD PATH [BODY]: call the API with the admin token; the body of the
# answer goes to $TEST_DIR/out, its headers to $TEST_DIR/hdr, and the status
# is printed.
api() {
	local m=$1 p=$2
	shift 2
	curl -sS -o "$TEST_DIR/out" -D "$TEST_DIR/hdr" -w '%{http_code}' -X "$m" \
		-H "Authorization: Bearer $(cat "$TEST_DIR/token")" \
		-H 'Content-Type: application/json' ${1+--data-binary "$1"} \
		"http://127.0.0.1:$(cat "$TEST_DIR/port")$p"
}

# expect STATUS METHOD PATH [BODY]: the call answers STATUS (else show the body).
expect() {
	local want=$1 got
	shift
	got=$(api "$@") || return 1
	[ "$got" = "$want" ] || { echo "$* -> $got, expected $want:"; cat "$TEST_DIR/out"; echo; return 1; }
}

# out JQ: one value of the last answer.
out() { jq -r "$1" "$TEST_DIR/out"; }

# api_fill ID: PATCH every item a later state of ID needs (lib.sh's FILL_JQ).
api_fill() {
	expect 200 GET "/api/v1/incidents/$1/items" || return 1
	expect 200 PATCH "/api/v1/incidents/$1/items" "$(jq -r "$FILL_JQ" "$TEST_DIR/out" |
		jq -R "split(\"=\") | {(.[0]): (.[1:] | join(\"=\"))}" | jq -s add)"
}

test_expect_success 'setup: a database, an admin token, a running server' '
	irdesk init > /dev/null &&
	irdesk token create admin --name t --json | jq -r .token > "$TEST_DIR/token" &&
	grep -q "^ird_" "$TEST_DIR/token" &&
	printf "%s\n" "handler password 1" | irdesk user add hana --role incident_handler --password-stdin >/dev/null &&
	start_server "$TEST_DIR/serve.log"
'

test_expect_success 'POST /incidents creates one: 201, Location, the fields as sent' '
	expect 201 POST /api/v1/incidents "{\"title\":\"Phishing wave\",\"type\":\"phishing\",
		\"summary\":\"mails with a fake login page\",\"attack_vector\":\"email\",
		\"information_impact\":[\"privacy_breach\"],\"tlp\":\"TLP:GREEN\",\"reporter\":\"soc\",
		\"occurred_at\":\"2026-01-10 09:00 JST\"}" &&
	id=$(out .id) && echo "$id" > "$TEST_DIR/id" &&
	case "$id" in IR-[0-9][0-9][0-9][0-9]-0001) ;; *) echo "id $id"; false ;; esac &&
	grep -qi "^location: /api/v1/incidents/$id" "$TEST_DIR/hdr" &&
	grep -qi "^etag: \"1\"" "$TEST_DIR/hdr" &&
	[ "$(out .title)" = "Phishing wave" ] && [ "$(out .type)" = phishing ] &&
	[ "$(out .state)" = new ] && [ "$(out .attack_vector)" = email ] &&
	[ "$(out ".information_impact[0]")" = privacy_breach ] &&
	[ "$(out .tlp)" = TLP:GREEN ] && [ "$(out .occurred_at)" = 2026-01-10T00:00:00Z ] &&
	[ "$(out .created_by)" = admin ] && [ "$(out .version)" = 1 ] &&
	[ "$(out ".next_states|join(\",\")")" = triage ] &&
	[ "$(irdesk --json incident show "$id" | jq -r .title)" = "Phishing wave" ]
'

test_expect_success 'GET /incidents/{id} shows it with its members; ids are case-insensitive' '
	id=$(cat "$TEST_DIR/id") &&
	expect 200 GET "/api/v1/incidents/$id" &&
	[ "$(out .id)" = "$id" ] && [ "$(out ".members|length")" = 0 ] &&
	grep -qi "^etag: \"1\"" "$TEST_DIR/hdr" &&
	lower=$(echo "$id" | tr A-Z a-z) &&
	expect 200 GET "/api/v1/incidents/$lower" && [ "$(out .id)" = "$id" ]
'

test_expect_success 'PATCH changes fields by the CLI names, checking version and If-Match' '
	id=$(cat "$TEST_DIR/id") &&
	expect 200 PATCH "/api/v1/incidents/$id" "{\"owner\":\"admin\",\"functional_impact\":\"low\",
		\"recoverability\":\"regular\",\"version\":1}" &&
	[ "$(out .owner)" = admin ] && [ "$(out .priority)" = P2 ] && [ "$(out .version)" = 2 ] &&
	grep -qi "^etag: \"2\"" "$TEST_DIR/hdr" &&
	code=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -X PATCH -H "If-Match: \"2\"" \
		-H "Authorization: Bearer $(cat "$TEST_DIR/token")" -H "Content-Type: application/json" \
		--data-binary "{\"summary\":\"updated\",\"reporter\":null}" \
		"http://127.0.0.1:$(cat "$TEST_DIR/port")/api/v1/incidents/$id") &&
	[ "$code" = 200 ] && [ "$(out .summary)" = updated ] && [ "$(out .reporter)" = "" ] &&
	[ "$(out .version)" = 3 ] &&
	expect 200 PATCH "/api/v1/incidents/$id" "{\"priority\":\"P1\",\"reason\":\"board asked\"}" &&
	[ "$(out .priority)" = P1 ] && [ "$(out .priority_override)" = P1 ] &&
	[ "$(out .priority_reason)" = "board asked" ]
'

test_expect_success 'transitions move it through the lifecycle' '
	id=$(cat "$TEST_DIR/id") &&
	expect 200 POST "/api/v1/incidents/$id/transitions" "{\"to\":\"triage\"}" &&
	[ "$(out .state)" = triage ] &&
	expect 409 POST "/api/v1/incidents/$id/transitions" "{\"to\":\"analysis\"}" &&
	out .error.message | grep -q "missing items required before analysis: phishing_kind" &&
	expect 200 GET "/api/v1/incidents/$id/items" &&
	[ "$(out ".missing.analysis | join(\",\")")" = phishing_kind ] &&
	[ "$(out ".items[] | select(.key == \"phishing_kind\") | .required_before")" = analysis ] &&
	expect 422 PATCH "/api/v1/incidents/$id/items" "{\"phishing_kind\":\"nonsense\"}" &&
	expect 422 PATCH "/api/v1/incidents/$id/items" "{\"no_such_item\":\"x\"}" &&
	expect 200 PATCH "/api/v1/incidents/$id/items" "{\"phishing_kind\":\"against_staff\"}" &&
	[ "$(out ".items[] | select(.key == \"phishing_kind\") | .value")" = against_staff ] &&
	expect 200 POST "/api/v1/incidents/$id/transitions" "{\"to\":\"analysis\"}" &&
	[ "$(out .state)" = analysis ] && [ "$(out .triaged_at)" != null ] &&
	api_fill "$id" &&
	expect 200 POST "/api/v1/incidents/$id/transitions" "{\"to\":\"containment\"}" &&
	expect 200 POST "/api/v1/incidents/$id/transitions" \
		"{\"to\":\"analysis\",\"reason\":\"new findings\"}" &&
	[ "$(out .state)" = analysis ] &&
	expect 201 POST /api/v1/incidents "{\"title\":\"Same wave\"}" && dup=$(out .id) &&
	expect 200 POST "/api/v1/incidents/$dup/transitions" "{\"to\":\"triage\"}" &&
	expect 200 POST "/api/v1/incidents/$dup/transitions" \
		"{\"to\":\"rejected\",\"reject_reason\":\"duplicate\",\"duplicate_of\":\"$id\"}" &&
	[ "$(out .state)" = rejected ] && [ "$(out .duplicate_of)" = "$id" ] &&
	[ "$(out .reject_reason)" = duplicate ]
'

test_expect_success 'members: add, list, change the role, remove' '
	id=$(cat "$TEST_DIR/id") &&
	expect 200 POST "/api/v1/incidents/$id/members" "{\"username\":\"hana\",\"role\":\"incident_handler\"}" &&
	[ "$(out ".items[0].username")" = hana ] &&
	expect 200 POST "/api/v1/incidents/$id/members" "{\"username\":\"hana\",\"role\":\"forensic_engineer\"}" &&
	expect 200 GET "/api/v1/incidents/$id/members" &&
	[ "$(out ".items|length")" = 1 ] && [ "$(out ".items[0].role")" = forensic_engineer ] &&
	expect 200 GET "/api/v1/incidents/$id" && [ "$(out ".members[0].username")" = hana ] &&
	expect 204 DELETE "/api/v1/incidents/$id/members/hana" &&
	[ ! -s "$TEST_DIR/out" ] &&
	expect 200 GET "/api/v1/incidents/$id/members" && [ "$(out ".items|length")" = 0 ]
'

test_expect_success 'timeline: add an entry with its kind and time, read it back in order' '
	id=$(cat "$TEST_DIR/id") &&
	expect 201 POST "/api/v1/incidents/$id/timeline" \
		"{\"kind\":\"action\",\"text\":\"blocked the sender\",\"occurred_at\":\"2026-01-10T01:00:00Z\"}" &&
	[ "$(out .kind)" = action ] && [ "$(out .author)" = admin ] &&
	[ "$(out .occurred_at)" = 2026-01-10T01:00:00Z ] &&
	expect 201 POST "/api/v1/incidents/$id/timeline" "{\"text\":\"first report\",\"occurred_at\":\"2026-01-10T00:30:00Z\"}" &&
	[ "$(out .kind)" = observation ] &&
	expect 200 GET "/api/v1/incidents/$id/timeline" &&
	out ".items[].text" > texts && cat texts &&
	[ "$(grep -n "first report" texts | cut -d: -f1)" -lt "$(grep -n "blocked the sender" texts | cut -d: -f1)" ]
'

test_expect_success 'tasks: add, list per incident and mine, done and reopen' '
	id=$(cat "$TEST_DIR/id") &&
	expect 201 POST "/api/v1/incidents/$id/tasks" \
		"{\"title\":\"reset passwords\",\"phase\":\"containment\",\"assignee\":\"admin\",\"due\":\"2026-12-31\"}" &&
	task=$(out .id) && [ "$(out .phase)" = containment ] && [ "$(out .assignee)" = admin ] &&
	[ "$(out .done)" = false ] && [ "$(out .due_at)" != null ] &&
	expect 201 POST "/api/v1/incidents/$id/tasks" "{\"title\":\"notify users\",\"assignee\":\"hana\"}" &&
	[ "$(out .phase)" = analysis ] &&
	expect 200 GET "/api/v1/incidents/$id/tasks" &&
	[ "$(out "[.items[] | select(.step == null)] | length")" = 2 ] &&
	[ "$(out "[.items[] | select(.step != null)] | length")" -ge 9 ] &&
	expect 200 GET "/api/v1/tasks?assignee=me&open=1" &&
	[ "$(out ".items|length")" = 1 ] && [ "$(out ".items[0].title")" = "reset passwords" ] &&
	expect 200 GET "/api/v1/tasks?assignee=hana" && [ "$(out ".items[0].title")" = "notify users" ] &&
	expect 200 POST "/api/v1/tasks/$task/done" &&
	[ "$(out .done)" = true ] && [ "$(out .done_by)" = admin ] &&
	expect 200 GET "/api/v1/tasks?assignee=me&open=1" && [ "$(out ".items|length")" = 0 ] &&
	expect 200 POST "/api/v1/tasks/$task/reopen" && [ "$(out .done)" = false ] &&
	expect 200 POST "/api/v1/incidents/$id/tasks/$task/done" && [ "$(out .done)" = true ] &&
	expect 200 POST "/api/v1/incidents/$id/tasks/$task/reopen" && [ "$(out .done)" = false ]
'

test_expect_success 'list: every incident once across keyset pages, next_cursor null at the end' '
	for i in 1 2 3 4 5 6; do
		expect 201 POST /api/v1/incidents "{\"title\":\"bulk $i\",\"type\":\"malware\"}" || exit 1
	done &&
	expect 200 GET "/api/v1/incidents?limit=100" && out ".items[].id" | sort > all &&
	[ "$(wc -l < all)" = 8 ] &&
	: > paged && cursor= && pages=0 &&
	while :; do
		expect 200 GET "/api/v1/incidents?limit=3${cursor:+&cursor=$cursor}" || exit 1
		out ".items[].id" >> paged
		pages=$((pages + 1))
		cursor=$(out ".next_cursor // empty")
		[ -n "$cursor" ] || break
	done &&
	[ "$pages" = 3 ] && sort paged | diff - all &&
	expect 200 GET "/api/v1/incidents?limit=100" && first=$(out ".items[0].id") &&
	expect 200 GET "/api/v1/incidents?sort=created&limit=100" && [ "$(out ".items[-1].id")" = "$first" ]
'

test_expect_success 'list: offset cursors for the other sorts, in that sort order' '
	expect 200 GET "/api/v1/incidents?sort=id&limit=5" && out ".items[].id" > p1 &&
	cursor=$(out .next_cursor) && [ "$cursor" != null ] &&
	expect 200 GET "/api/v1/incidents?sort=id&limit=5&cursor=$cursor" && out ".items[].id" > p2 &&
	[ "$(out .next_cursor)" = null ] &&
	cat p1 p2 > both && sort both | diff - both && [ "$(wc -l < both)" = 8 ] &&
	expect 200 GET "/api/v1/incidents?sort=priority&limit=1" && [ "$(out ".items[0].priority")" = P1 ]
'

test_expect_success 'list: filters by state, open, priority, type, owner and words' '
	id=$(cat "$TEST_DIR/id") &&
	expect 200 GET "/api/v1/incidents?state=analysis" &&
	[ "$(out ".items|length")" = 1 ] && [ "$(out ".items[0].id")" = "$id" ] &&
	expect 200 GET "/api/v1/incidents?state=new,analysis&limit=100" && [ "$(out ".items|length")" = 7 ] &&
	expect 200 GET "/api/v1/incidents?open=1&limit=100" && [ "$(out ".items|length")" = 7 ] &&
	expect 200 GET "/api/v1/incidents?priority=P1,P2" && [ "$(out ".items|length")" = 1 ] &&
	expect 200 GET "/api/v1/incidents?type=malware&limit=100" && [ "$(out ".items|length")" = 6 ] &&
	expect 200 GET "/api/v1/incidents?owner=admin" && [ "$(out ".items[0].id")" = "$id" ] &&
	expect 200 GET "/api/v1/incidents?owner=none&limit=100" && [ "$(out ".items|length")" = 7 ] &&
	expect 200 GET "/api/v1/incidents?q=phishing+wave" && [ "$(out ".items|length")" = 1 ] &&
	expect 200 GET "/api/v1/incidents?state=rejected&sort=updated" && [ "$(out ".items[0].state")" = rejected ]
'

test_expect_success 'a program signs in with POST /session and works with the cookie and CSRF token' '
	port=$(cat "$TEST_DIR/port") &&
	code=$(curl -sS -c jar -o s.json -w "%{http_code}" -H "Content-Type: application/json" \
		--data-binary "{\"username\":\"hana\",\"password\":\"handler password 1\"}" \
		"http://127.0.0.1:$port/api/v1/session") &&
	[ "$code" = 201 ] && csrf=$(jq -r .csrf_token s.json) && [ -n "$csrf" ] &&
	grep -q irdesk_session jar &&
	code=$(curl -sS -b jar -o l.json -w "%{http_code}" "http://127.0.0.1:$port/api/v1/incidents") &&
	[ "$code" = 200 ] && [ "$(jq ".items|length" l.json)" -ge 1 ] &&
	code=$(curl -sS -b jar -o c.json -w "%{http_code}" -H "Content-Type: application/json" \
		-H "X-CSRF-Token: $csrf" --data-binary "{\"title\":\"from a script\"}" \
		"http://127.0.0.1:$port/api/v1/incidents") &&
	[ "$code" = 201 ] && [ "$(jq -r .created_by c.json)" = hana ] &&
	code=$(curl -sS -b jar -o /dev/null -w "%{http_code}" -X DELETE -H "X-CSRF-Token: $csrf" \
		"http://127.0.0.1:$port/api/v1/session") &&
	[ "$code" = 204 ] &&
	code=$(curl -sS -b jar -o /dev/null -w "%{http_code}" "http://127.0.0.1:$port/api/v1/incidents") &&
	[ "$code" = 401 ]
'

test_expect_success 'every change through the API is in the audit chain, which verifies' '
	[ "$(db_sql "select count(*) from audit_log where action like '\''incident.%'\''")" -ge 15 ] &&
	[ "$(db_sql "select count(*) from audit_log where action like '\''task.%'\''")" -ge 6 ] &&
	irdesk audit verify
'

test_expect_success 'the server stops cleanly (no sanitizer reports)' '
	kill -TERM "$(cat "$TEST_DIR/pid")" &&
	for _ in $(seq 1 100); do [ -s "$TEST_DIR/exit" ] && break; sleep 0.1; done &&
	[ "$(cat "$TEST_DIR/exit")" = 0 ] &&
	! grep -q "ERROR: \(Address\|Leak\)Sanitizer\|runtime error" "$TEST_DIR/serve.log"
'

test_done
