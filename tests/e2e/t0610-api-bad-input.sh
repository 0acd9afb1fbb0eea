#!/usr/bin/env bash
# t0610-api-bad-input.sh: what the REST API does with requests a client gets
# wrong. Each mistake answers its documented status with the error body
# {"error":{"code","message"}} (400 malformed, 401, 403, 404, 405, 409, 413,
# 422 naming the field) and changes nothing: the audit log keeps its length
# and the incident its version.
. "$(dirname "$0")/lib.sh"

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

audit_count() { db_sql 'select count(*) from audit_log'; }
url() { echo "http://127.0.0.1:$(cat "$TEST_DIR/port")$1"; }

# bad STATUS CODE METHOD PATH [BODY [MESSAGE]]: with the admin token, the
# call answers STATUS with error code CODE (and a message containing
# MESSAGE), as JSON. BODY "" sends none; @FILE sends a file.
bad() {
	local want=$1 code=$2 m=$3 p=$4 body=${5-} msg=${6-} got
	if [ -n "$body" ]; then
		got=$(curl -sS -o "$TEST_DIR/out" -w '%{http_code}' -X "$m" \
			-H "Authorization: Bearer $(cat "$TEST_DIR/token")" \
			-H 'Content-Type: application/json' --data-binary "$body" "$(url "$p")")
	else
		got=$(curl -sS -o "$TEST_DIR/out" -w '%{http_code}' -X "$m" \
			-H "Authorization: Bearer $(cat "$TEST_DIR/token")" "$(url "$p")")
	fi
	check_error "$want" "$code" "$msg" "$got" "$m $p ${body:0:80}"
}

# check_error STATUS CODE MESSAGE GOT WHAT: the last answer is that error.
check_error() {
	local want=$1 code=$2 msg=$3 got=$4 what=$5
	if [ "$got" != "$want" ]; then
		echo "$what -> $got, expected $want:"; cat "$TEST_DIR/out"; echo; return 1
	fi
	if [ "$(jq -r '.error.code' "$TEST_DIR/out" 2>/dev/null)" != "$code" ] ||
	   [ "$(jq -r '.error.message|type' "$TEST_DIR/out" 2>/dev/null)" != string ] ||
	   [ "$(jq -r 'keys|join(",")' "$TEST_DIR/out" 2>/dev/null)" != error ]; then
		echo "$what: expected error code $code in {\"error\":{...}}:"; cat "$TEST_DIR/out"; echo
		return 1
	fi
	if [ -n "$msg" ] && ! jq -r .error.message "$TEST_DIR/out" | grep -qF -- "$msg"; then
		echo "$what: message lacks '$msg':"; cat "$TEST_DIR/out"; echo; return 1
	fi
	echo "ok: $what -> $want $(jq -r .error.message "$TEST_DIR/out")"
}

# unchanged: the audit log and the incident are as the test found them.
snapshot() {
	audit_count > "$TEST_DIR/audit.before"
	irdesk --json incident show "$(cat "$TEST_DIR/id")" > "$TEST_DIR/inc.before"
}
unchanged() {
	local n
	n=$(audit_count)
	[ "$n" = "$(cat "$TEST_DIR/audit.before")" ] ||
		{ echo "audit log grew from $(cat "$TEST_DIR/audit.before") to $n"; return 1; }
	irdesk --json incident show "$(cat "$TEST_DIR/id")" |
		diff "$TEST_DIR/inc.before" - || { echo "the incident changed"; return 1; }
}

# Every endpoint that takes a JSON body, with a body of the right shape.
BODY_ENDPOINTS='POST /api/v1/incidents
PATCH /api/v1/incidents/ID
POST /api/v1/incidents/ID/transitions
POST /api/v1/incidents/ID/members
POST /api/v1/incidents/ID/timeline
POST /api/v1/incidents/ID/tasks
POST /api/v1/users
POST /api/v1/users/carol/password
PATCH /api/v1/users/carol/totp
POST /api/v1/audit/verify
POST /api/v1/tokens
PATCH /api/v1/account
POST /api/v1/account/password
POST /api/v1/account/totp
POST /api/v1/account/totp/confirm
POST /api/v1/session'

test_expect_success 'setup: an incident with a done task, users, a token, a cookie session' '
	irdesk init > /dev/null &&
	irdesk token create admin --name t --json | jq -r .token > "$TEST_DIR/token" &&
	printf "%s\n" "carol password 12" | irdesk user add carol --role commander --password-stdin > /dev/null &&
	irdesk --json incident new --title "Suspicious login" | jq -r .id > "$TEST_DIR/id" &&
	irdesk incident move "$(cat "$TEST_DIR/id")" triage > /dev/null &&
	irdesk --json task add "$(cat "$TEST_DIR/id")" "check the logs" | jq -r .id > "$TEST_DIR/task" &&
	irdesk task done "$(cat "$TEST_DIR/task")" > /dev/null &&
	start_server "$TEST_DIR/serve.log" &&
	code=$(curl -sS -c "$TEST_DIR/jar" -o "$TEST_DIR/s.json" -w "%{http_code}" \
		-H "Content-Type: application/json" \
		--data-binary "{\"username\":\"carol\",\"password\":\"carol password 12\"}" "$(url /api/v1/session)") &&
	[ "$code" = 201 ] && jq -r .csrf_token "$TEST_DIR/s.json" > "$TEST_DIR/csrf" &&
	head -c 2097152 /dev/zero | tr "\0" a > "$TEST_DIR/big" &&
	printf "{\"title\":\"%s\"}" "$(head -c 2097152 /dev/zero | tr "\0" a)" > "$TEST_DIR/big.json"
'

test_expect_success 'malformed JSON is 400 on every endpoint that takes a body' '
	snapshot && id=$(cat "$TEST_DIR/id") &&
	while read -r m p; do
		p=${p/ID/$id}
		bad 400 parse "$m" "$p" "{\"title\":" "json:" &&
		bad 400 parse "$m" "$p" "not json" &&
		bad 400 parse "$m" "$p" "[\"an\",\"array\"]" "expected an object" &&
		bad 400 parse "$m" "$p" "{\"a\":1,\"a\":2}" || exit 1
	done <<< "$BODY_ENDPOINTS" &&
	unchanged
'

test_expect_success 'a body that is not application/json is 400' '
	snapshot &&
	got=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -H "Authorization: Bearer $(cat "$TEST_DIR/token")" \
		-H "Content-Type: text/plain" --data-binary "{\"title\":\"x\"}" "$(url /api/v1/incidents)") &&
	check_error 400 parse "Content-Type" "$got" "text/plain body" &&
	got=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -H "Authorization: Bearer $(cat "$TEST_DIR/token")" \
		-X POST "$(url /api/v1/incidents)") &&
	check_error 400 parse "" "$got" "no body" &&
	unchanged
'

test_expect_success 'wrong JSON types are 422 naming the field' '
	snapshot && id=$(cat "$TEST_DIR/id") &&
	bad 422 invalid POST /api/v1/incidents "{\"title\":5}" "title: expected a string" &&
	bad 422 invalid POST /api/v1/incidents "{\"title\":\"x\",\"information_impact\":[1]}" "information_impact" &&
	bad 422 invalid POST /api/v1/incidents "{\"title\":\"x\",\"reason\":false}" "reason: expected a string" &&
	bad 422 invalid PATCH "/api/v1/incidents/$id" "{\"title\":\"x\",\"version\":\"1\"}" "version: expected an integer" &&
	bad 422 invalid PATCH "/api/v1/incidents/$id" "{\"owner\":true}" "owner: expected a string" &&
	bad 422 invalid PATCH "/api/v1/incidents/$id" "{\"tlp\":{\"a\":1}}" "tlp: expected a string" &&
	bad 422 invalid POST "/api/v1/incidents/$id/transitions" "{\"to\":1}" "to: expected a string" &&
	bad 422 invalid POST "/api/v1/incidents/$id/members" "{\"username\":\"carol\",\"role\":7}" "role: expected a string" &&
	bad 422 invalid POST "/api/v1/incidents/$id/timeline" "{\"text\":[\"a\"]}" "text: expected a string" &&
	bad 422 invalid POST "/api/v1/incidents/$id/tasks" "{\"title\":\"t\",\"due\":5}" "due: expected a string" &&
	bad 422 invalid POST /api/v1/users "{\"username\":\"u1\",\"role\":\"viewer\",\"external\":\"yes\"}" "external: expected true or false" &&
	bad 422 invalid POST /api/v1/users/carol/password "{\"password\":123}" "password: expected a string" &&
	bad 422 invalid PATCH /api/v1/users/carol/totp "{\"required\":\"yes\"}" "required: expected true or false" &&
	bad 422 invalid POST /api/v1/audit/verify "{\"anchor\":5}" "anchor: expected a string" &&
	bad 422 invalid POST /api/v1/tokens "{\"name\":1}" "name: expected a string" &&
	bad 422 invalid PATCH /api/v1/account "{\"lang\":1}" "lang: expected a string" &&
	bad 422 invalid POST /api/v1/account/password "{\"current\":1,\"new\":\"x\"}" "current: expected a string" &&
	bad 422 invalid POST /api/v1/account/totp/confirm "{\"code\":123456}" "code: expected a string" &&
	bad 422 invalid POST /api/v1/session "{\"username\":1,\"password\":\"x\"}" "username: expected a string" &&
	unchanged
'

test_expect_success 'missing required fields are 422 naming them' '
	snapshot && id=$(cat "$TEST_DIR/id") &&
	bad 422 invalid POST /api/v1/incidents "{}" "title: required" &&
	bad 422 invalid POST /api/v1/incidents "{\"title\":null,\"summary\":\"s\"}" "title" &&
	bad 422 invalid PATCH "/api/v1/incidents/$id" "{}" "nothing to change" &&
	bad 422 invalid PATCH "/api/v1/incidents/$id" "{\"title\":\"\"}" "title: may not be empty" &&
	bad 422 invalid POST "/api/v1/incidents/$id/transitions" "{}" "to: required" &&
	bad 422 invalid POST "/api/v1/incidents/$id/members" "{\"username\":\"carol\"}" "role: required" &&
	bad 422 invalid POST "/api/v1/incidents/$id/timeline" "{\"kind\":\"action\"}" "text: required" &&
	bad 422 invalid POST "/api/v1/incidents/$id/tasks" "{\"phase\":\"triage\"}" "title: required" &&
	bad 422 invalid POST /api/v1/users "{\"username\":\"u1\"}" "role: required" &&
	bad 422 invalid POST /api/v1/users "{\"role\":\"viewer\"}" "username: required" &&
	bad 422 invalid PATCH /api/v1/users/carol/totp "{}" "required: required" &&
	bad 422 invalid POST /api/v1/tokens "{}" "name: required" &&
	bad 422 invalid PATCH /api/v1/account "{}" "nothing to change" &&
	bad 422 invalid POST /api/v1/account/password "{\"current\":\"x\"}" "new: required" &&
	bad 422 invalid POST /api/v1/account/totp/confirm "{}" "code: required" &&
	bad 422 invalid POST /api/v1/session "{\"username\":\"carol\"}" "required" &&
	unchanged
'

test_expect_success 'unknown fields are 422 naming them, never silently dropped' '
	snapshot && id=$(cat "$TEST_DIR/id") &&
	bad 422 invalid POST /api/v1/incidents "{\"title\":\"x\",\"titel\":\"y\",\"sevrity\":1}" "unknown fields '\''titel'\'', '\''sevrity'\''" &&
	bad 422 invalid PATCH "/api/v1/incidents/$id" "{\"sumary\":\"x\"}" "'\''sumary'\''" &&
	bad 422 invalid POST "/api/v1/incidents/$id/transitions" "{\"to\":\"analysis\",\"resaon\":\"x\"}" "'\''resaon'\''" &&
	bad 422 invalid POST "/api/v1/incidents/$id/members" "{\"username\":\"carol\",\"role\":\"triage\",\"x\":1}" "'\''x'\''" &&
	bad 422 invalid POST "/api/v1/incidents/$id/timeline" "{\"text\":\"x\",\"when\":\"now\"}" "'\''when'\''" &&
	bad 422 invalid POST "/api/v1/incidents/$id/tasks" "{\"title\":\"x\",\"asignee\":\"carol\"}" "'\''asignee'\''" &&
	bad 422 invalid POST /api/v1/users "{\"username\":\"u1\",\"role\":\"viewer\",\"admin\":true}" "'\''admin'\''" &&
	bad 422 invalid POST /api/v1/users/carol/password "{\"pass\":\"x\"}" "'\''pass'\''" &&
	bad 422 invalid PATCH /api/v1/users/carol/totp "{\"required\":true,\"x\":1}" "'\''x'\''" &&
	bad 422 invalid POST /api/v1/audit/verify "{\"anchr\":\"1:ab\"}" "'\''anchr'\''" &&
	bad 422 invalid POST /api/v1/tokens "{\"name\":\"x\",\"scope\":\"all\"}" "'\''scope'\''" &&
	bad 422 invalid PATCH /api/v1/account "{\"language\":\"ja\"}" "'\''language'\''" &&
	bad 422 invalid POST /api/v1/account/password "{\"current\":\"x\",\"new\":\"y\",\"confirm\":\"y\"}" "'\''confirm'\''" &&
	bad 422 invalid POST /api/v1/account/totp "{\"x\":1}" "'\''x'\''" &&
	bad 422 invalid POST /api/v1/account/totp/confirm "{\"code\":\"1\",\"x\":1}" "'\''x'\''" &&
	bad 422 invalid POST /api/v1/session "{\"username\":\"carol\",\"password\":\"y\",\"remember\":true}" "'\''remember'\''" &&
	unchanged
'

test_expect_success 'values the domain refuses are 422 with its message' '
	snapshot && id=$(cat "$TEST_DIR/id") &&
	bad 422 invalid POST /api/v1/incidents "{\"title\":\"x\",\"type\":\"bogus\"}" "type" &&
	bad 422 invalid POST /api/v1/incidents "{\"title\":\"x\",\"triaged_at\":\"now\"}" "set by the lifecycle" &&
	bad 422 invalid POST /api/v1/incidents "{\"title\":\"x\",\"priority\":\"P1\"}" "reason" &&
	bad 422 invalid PATCH "/api/v1/incidents/$id" "{\"occurred_at\":\"yesterday-ish\"}" "occurred_at" &&
	bad 422 invalid PATCH "/api/v1/incidents/$id" "{\"owner\":\"ghost\"}" "owner" &&
	bad 422 invalid PATCH "/api/v1/incidents/$id" "{\"title\":\"$(printf "a%.0s" $(seq 201))\"}" "title: too long" &&
	bad 422 invalid PATCH "/api/v1/incidents/$id" "{\"information_impact\":[\"privacy_breach\",\"none\"]}" "none" &&
	bad 422 invalid POST "/api/v1/incidents/$id/timeline" "{\"text\":\"x\",\"occurred_at\":\"soonish\"}" "occurred_at" &&
	bad 422 invalid POST "/api/v1/incidents/$id/tasks" "{\"title\":\"x\",\"due\":\"next week\"}" "due" &&
	bad 422 invalid POST "/api/v1/incidents/$id/tasks" "{\"title\":\"x\",\"due\":\"2027-01-01\",\"due_at\":\"2027-01-01\"}" "not both" &&
	bad 422 invalid PATCH "/api/v1/incidents/$id" "{\"title\":\"x\",\"version\":0}" "version" &&
	bad 422 invalid POST "/api/v1/incidents/$id/transitions" "{\"to\":\"nowhere\"}" "to: unknown state" &&
	bad 422 invalid POST "/api/v1/incidents/$id/transitions" "{\"to\":\"analysis\"}" "owner" &&
	bad 422 invalid POST "/api/v1/incidents/$id/members" "{\"username\":\"carol\",\"role\":\"boss\"}" "unknown role" &&
	bad 422 invalid POST "/api/v1/incidents/$id/members" "{\"username\":\"ghost\",\"role\":\"triage\"}" "ghost" &&
	bad 422 invalid POST "/api/v1/incidents/$id/timeline" "{\"text\":\"x\",\"kind\":\"state_change\"}" "kind" &&
	bad 422 invalid POST "/api/v1/incidents/$id/tasks" "{\"title\":\"x\",\"phase\":\"closed\"}" "phase" &&
	bad 422 invalid POST "/api/v1/incidents/$id/tasks" "{\"title\":\"x\",\"assignee\":\"ghost\"}" "assignee" &&
	bad 422 invalid POST /api/v1/users "{\"username\":\"u1\",\"role\":\"boss\"}" "role" &&
	bad 422 invalid POST /api/v1/users "{\"username\":\"u1\",\"role\":\"viewer\",\"password\":\"short\"}" "password" &&
	bad 422 invalid POST /api/v1/users "{\"username\":\"Bad Name\",\"role\":\"viewer\"}" "username" &&
	bad 422 invalid PATCH /api/v1/account "{\"lang\":\"fr\"}" "fr" &&
	bad 422 invalid PATCH /api/v1/account "{\"tz\":\"Mars/Olympus\"}" "tz: unknown time zone" &&
	bad 400 parse POST /api/v1/audit/verify "{\"anchor\":\"12:nothex\"}" "SEQ:HASH" &&
	unchanged
'

test_expect_success 'a wrong current password is 422, and is counted and audited like a failed sign-in' '
	snapshot &&
	bad 422 invalid POST /api/v1/account/password "{\"current\":\"wrong password\",\"new\":\"a new password 12\"}" "current: wrong password" &&
	[ "$(db_sql "select count(*) from audit_log where action = '"'"'auth.failure'"'"'")" -ge 1 ] &&
	[ "$(db_sql "select failures from signin_failures where key = '"'"'user:admin'"'"'")" = 1 ]
'

test_expect_success 'a 2 MiB body is 413 and is not read into anything' '
	snapshot && id=$(cat "$TEST_DIR/id") &&
	bad 413 toolong POST /api/v1/incidents "@$TEST_DIR/big.json" "too large" &&
	bad 413 toolong PATCH "/api/v1/incidents/$id" "@$TEST_DIR/big.json" "too large" &&
	bad 413 toolong POST "/api/v1/incidents/$id/timeline" "@$TEST_DIR/big" "too large" &&
	bad 413 toolong POST /api/v1/users "@$TEST_DIR/big" "too large" &&
	unchanged
'

test_expect_success 'unknown ids are 404 on every route that names one' '
	snapshot && id=$(cat "$TEST_DIR/id") && task=$(cat "$TEST_DIR/task") &&
	for p in /api/v1/incidents/IR-2099-9999 /api/v1/incidents/nonsense \
		 /api/v1/incidents/IR-2099-9999/members /api/v1/incidents/IR-2099-9999/timeline \
		 /api/v1/incidents/IR-2099-9999/tasks /api/v1/nope /api/v1/incidents/$id/nope; do
		bad 404 notfound GET "$p" || exit 1
	done &&
	bad 404 notfound PATCH /api/v1/incidents/IR-2099-9999 "{\"title\":\"x\"}" &&
	bad 404 notfound POST /api/v1/incidents/IR-2099-9999/transitions "{\"to\":\"triage\"}" &&
	bad 404 notfound POST /api/v1/incidents/IR-2099-9999/members "{\"username\":\"carol\",\"role\":\"triage\"}" &&
	bad 404 notfound DELETE /api/v1/incidents/IR-2099-9999/members/carol &&
	bad 404 notfound DELETE "/api/v1/incidents/$id/members/carol" "" "not a member" &&
	bad 404 notfound DELETE "/api/v1/incidents/$id/members/ghost" &&
	bad 404 notfound POST /api/v1/incidents/IR-2099-9999/timeline "{\"text\":\"x\"}" &&
	bad 404 notfound POST /api/v1/incidents/IR-2099-9999/tasks "{\"title\":\"x\"}" &&
	bad 404 notfound POST /api/v1/tasks/999999/done &&
	bad 404 notfound POST /api/v1/tasks/abc/reopen &&
	bad 404 notfound POST /api/v1/tasks/-1/done &&
	bad 404 notfound POST "/api/v1/incidents/$id/tasks/999999/done" &&
	bad 404 notfound POST "/api/v1/incidents/IR-2099-9999/tasks/$task/reopen" &&
	bad 404 notfound GET "/api/v1/tasks?incident=IR-2099-9999" &&
	bad 404 notfound POST /api/v1/users/ghost/disable &&
	bad 404 notfound POST /api/v1/users/ghost/enable &&
	bad 404 notfound POST /api/v1/users/ghost/password "{\"password\":\"a good password 1\"}" &&
	bad 404 notfound PATCH /api/v1/users/ghost/totp "{\"required\":true}" &&
	bad 404 notfound DELETE /api/v1/tokens/999999 &&
	bad 404 notfound DELETE /api/v1/tokens/abc &&
	unchanged
'

test_expect_success 'an illegal transition is 409 naming the allowed next states' '
	snapshot && id=$(cat "$TEST_DIR/id") &&
	bad 409 conflict POST "/api/v1/incidents/$id/transitions" "{\"to\":\"closed\"}" "allowed: analysis, rejected" &&
	bad 409 conflict POST "/api/v1/incidents/$id/transitions" "{\"to\":\"triage\"}" "already triage" &&
	unchanged
'

test_expect_success 'other conflicts are 409: stale version, task already done, disabling oneself' '
	snapshot && id=$(cat "$TEST_DIR/id") && task=$(cat "$TEST_DIR/task") &&
	bad 409 conflict PATCH "/api/v1/incidents/$id" "{\"title\":\"x\",\"version\":99}" "changed by someone else" &&
	got=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -X PATCH -H "If-Match: \"99\"" \
		-H "Authorization: Bearer $(cat "$TEST_DIR/token")" -H "Content-Type: application/json" \
		--data-binary "{\"title\":\"x\"}" "$(url "/api/v1/incidents/$id")") &&
	check_error 409 conflict "version" "$got" "If-Match 99" &&
	got=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -X PATCH -H "If-Match: soon" \
		-H "Authorization: Bearer $(cat "$TEST_DIR/token")" -H "Content-Type: application/json" \
		--data-binary "{\"title\":\"x\"}" "$(url "/api/v1/incidents/$id")") &&
	check_error 400 usage "If-Match" "$got" "If-Match soon" &&
	bad 409 conflict POST "/api/v1/tasks/$task/done" "" "already done" &&
	bad 409 conflict POST /api/v1/users/admin/disable "" "your own account" &&
	bad 409 conflict POST /api/v1/account/totp/confirm "{\"code\":\"123456\"}" "no enrolment" &&
	unchanged
'

test_expect_success 'query arguments that do not parse are 400 naming them' '
	snapshot &&
	bad 400 usage GET "/api/v1/incidents?limit=0" "" "limit" &&
	bad 400 usage GET "/api/v1/incidents?limit=201" "" "limit" &&
	bad 400 usage GET "/api/v1/incidents?limit=ten" "" "limit" &&
	bad 400 usage GET "/api/v1/incidents?cursor=garbage" "" "cursor" &&
	bad 400 usage GET "/api/v1/incidents?cursor=eyJzIjoxfQ" "" "cursor" &&
	bad 400 usage GET "/api/v1/incidents?stat=new" "" "unknown query parameter '\''stat'\''" &&
	bad 400 usage GET "/api/v1/incidents?state=bogus" "" "state" &&
	bad 400 usage GET "/api/v1/incidents?priority=P9" "" "priority" &&
	bad 400 usage GET "/api/v1/incidents?type=bogus" "" "type" &&
	bad 400 usage GET "/api/v1/incidents?sort=size" "" "sort" &&
	bad 400 usage GET "/api/v1/incidents?open=maybe" "" "open" &&
	bad 400 usage GET "/api/v1/tasks?limit=0" "" "limit" &&
	bad 400 usage GET "/api/v1/tasks?asignee=me" "" "asignee" &&
	bad 400 usage GET "/api/v1/audit?limit=x" "" "limit" &&
	bad 400 usage GET "/api/v1/audit?since_seq=-1" "" "since_seq" &&
	bad 400 usage GET "/api/v1/audit?object=:x" "" "object" &&
	bad 400 usage GET "/api/v1/audit?obj=incident" "" "obj" &&
	bad 400 usage GET "/api/v1/tokens?usr=admin" "" "usr" &&
	unchanged
'

test_expect_success 'a cursor only works with the sort it was made for' '
	snapshot &&
	for i in 1 2; do irdesk incident new --title "more $i" > /dev/null || exit 1; done &&
	snapshot &&
	curl -sS -H "Authorization: Bearer $(cat "$TEST_DIR/token")" "$(url "/api/v1/incidents?limit=1")" > p.json &&
	c=$(jq -r .next_cursor p.json) && [ "$c" != null ] &&
	bad 400 usage GET "/api/v1/incidents?limit=1&sort=id&cursor=$c" "" "another sort" &&
	unchanged
'

test_expect_success 'without credentials 401; a bad token 401; another scheme 401' '
	snapshot &&
	got=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" "$(url /api/v1/incidents)") &&
	check_error 401 auth "" "$got" "GET without auth" &&
	got=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -H "Content-Type: application/json" \
		--data-binary "{\"title\":\"x\"}" "$(url /api/v1/incidents)") &&
	check_error 401 auth "" "$got" "POST without auth" &&
	got=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -H "Authorization: Bearer ird_not_a_real_token" \
		"$(url /api/v1/incidents)") &&
	check_error 401 auth "token" "$got" "bad token" &&
	got=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -u admin:x "$(url /api/v1/incidents)") &&
	check_error 401 auth "Bearer" "$got" "basic auth" &&
	got=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -X DELETE "$(url /api/v1/tokens/1)") &&
	check_error 401 auth "" "$got" "DELETE without auth" &&
	unchanged
'

test_expect_success 'a cookie session without (or with a wrong) X-CSRF-Token is 403 on changes' '
	snapshot && id=$(cat "$TEST_DIR/id") &&
	got=$(curl -sS -b "$TEST_DIR/jar" -o "$TEST_DIR/out" -w "%{http_code}" "$(url /api/v1/incidents)") &&
	[ "$got" = 200 ] &&
	for req in "POST /api/v1/incidents" "PATCH /api/v1/incidents/$id" \
		   "POST /api/v1/incidents/$id/timeline" "POST /api/v1/tokens" "DELETE /api/v1/tokens/1" \
		   "POST /api/v1/users" "PATCH /api/v1/account"; do
		set -- $req
		got=$(curl -sS -b "$TEST_DIR/jar" -o "$TEST_DIR/out" -w "%{http_code}" -X "$1" \
			-H "Content-Type: application/json" --data-binary "{\"title\":\"x\",\"text\":\"x\",\"name\":\"x\"}" \
			"$(url "$2")") &&
		check_error 403 denied "CSRF" "$got" "$req without CSRF" &&
		got=$(curl -sS -b "$TEST_DIR/jar" -o "$TEST_DIR/out" -w "%{http_code}" -X "$1" \
			-H "X-CSRF-Token: not-the-token" -H "Content-Type: application/json" \
			--data-binary "{\"title\":\"x\"}" "$(url "$2")") &&
		check_error 403 denied "CSRF" "$got" "$req with a wrong CSRF token" || exit 1
	done &&
	unchanged
'

test_expect_success 'a method a path does not have is 405' '
	snapshot && id=$(cat "$TEST_DIR/id") &&
	got=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -X PUT -H "Authorization: Bearer $(cat "$TEST_DIR/token")" \
		"$(url "/api/v1/incidents/$id")") &&
	[ "$got" = 405 ] && jq -e .error.code "$TEST_DIR/out" &&
	got=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -X DELETE -H "Authorization: Bearer $(cat "$TEST_DIR/token")" \
		"$(url /api/v1/incidents)") &&
	[ "$got" = 405 ] &&
	unchanged
'

test_expect_success 'after all that the server is healthy and the chain verifies' '
	got=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" "$(url /api/v1/health)") && [ "$got" = 200 ] &&
	irdesk audit verify &&
	kill -TERM "$(cat "$TEST_DIR/pid")" &&
	for _ in $(seq 1 100); do [ -s "$TEST_DIR/exit" ] && break; sleep 0.1; done &&
	[ "$(cat "$TEST_DIR/exit")" = 0 ] &&
	! grep -q "ERROR: \(Address\|Leak\)Sanitizer\|runtime error" "$TEST_DIR/serve.log"
'

test_done
