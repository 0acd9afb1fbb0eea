#!/usr/bin/env bash
# t0620-api-admin.sh: the REST API for accounts, the audit log, API tokens
# and one's own account (settings, password, TOTP), and who may use it: a
# viewer's token is refused every change (403, nothing written) and an
# external user gets 404 for incidents it is not a member of.
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

# as WHO METHOD PATH [BODY]: call with the token saved as $TEST_DIR/WHO.token;
# the answer's body goes to $TEST_DIR/out and the status is printed.
as() {
	local who=$1 m=$2 p=$3
	shift 3
	curl -sS -o "$TEST_DIR/out" -w '%{http_code}' -X "$m" \
		-H "Authorization: Bearer $(cat "$TEST_DIR/$who.token")" \
		-H 'Content-Type: application/json' ${1+--data-binary "$1"} "$(url "$p")"
}
# expect STATUS WHO METHOD PATH [BODY]
expect() {
	local want=$1 got
	shift
	got=$(as "$@") || return 1
	[ "$got" = "$want" ] || { echo "$* -> $got, expected $want:"; cat "$TEST_DIR/out"; echo; return 1; }
}
out() { jq -r "$1" "$TEST_DIR/out"; }

# signin USER PASSWORD [TOTP]: POST /api/v1/session; cookies in $TEST_DIR/USER.jar.
# Failed sign-ins from one address are throttled after three, so the tests
# check a password that must no longer work with POST /account/password
# (422 for a wrong current password) instead of failing to sign in.
signin() {
	local body
	body=$(jq -nc --arg u "$1" --arg p "$2" --arg t "${3-}" \
		'{username:$u,password:$p} + (if $t == "" then {} else {totp:$t} end)')
	curl -sS -c "$TEST_DIR/$1.jar" -o "$TEST_DIR/out" -w '%{http_code}' \
		-H 'Content-Type: application/json' --data-binary "$body" "$(url /api/v1/session)"
}

# totp SECRET: the RFC 6238 code for now.
totp() {
	node -e '
const crypto = require("crypto");
const s = process.argv[1].replace(/=+$/, "").toUpperCase();
const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
let bits = "";
for (const ch of s) bits += abc.indexOf(ch).toString(2).padStart(5, "0");
const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
const msg = Buffer.alloc(8);
msg.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
const h = crypto.createHmac("sha1", key).update(msg).digest();
const o = h[h.length - 1] & 15;
console.log(String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, "0"));' "$1"
}

test_expect_success 'setup: a database, an admin token, a running server' '
	irdesk init > /dev/null &&
	irdesk token create admin --name t --json | jq -r .token > "$TEST_DIR/admin.token" &&
	start_server "$TEST_DIR/serve.log"
'

test_expect_success 'POST /users creates accounts; a generated password is shown once' '
	expect 201 admin POST /api/v1/users "{\"username\":\"dora\",\"role\":\"incident_manager\",
		\"display_name\":\"Dora\",\"email\":\"dora@example.org\"}" &&
	[ "$(out .username)" = dora ] && [ "$(out .role)" = incident_manager ] &&
	[ "$(out .must_change_password)" = true ] && [ "$(out .one_time_password | wc -c)" = 21 ] &&
	[ "$(out .email)" = dora@example.org ] &&
	expect 201 admin POST /api/v1/users "{\"username\":\"vic\",\"role\":\"viewer\",\"password\":\"viewer password 1\"}" &&
	[ "$(out .one_time_password)" = null ] && [ "$(out .must_change_password)" = false ] &&
	expect 201 admin POST /api/v1/users "{\"username\":\"xena\",\"role\":\"forensic_engineer\",
		\"external\":true,\"password\":\"vendor password 1\"}" &&
	[ "$(out .external)" = true ] &&
	[ "$(signin vic "viewer password 1")" = 201 ] &&
	expect 200 admin GET /api/v1/users &&
	[ "$(out "[.items[].username]|join(\",\")")" = "admin,dora,vic,xena" ] &&
	[ "$(out ".items[]|select(.username==\"vic\")|has(\"password_hash\")")" = false ] &&
	irdesk token create vic --name v --json | jq -r .token > "$TEST_DIR/vic.token" &&
	irdesk token create xena --name x --json | jq -r .token > "$TEST_DIR/xena.token" &&
	irdesk token create dora --name d --json | jq -r .token > "$TEST_DIR/dora.token"
'

test_expect_success 'disable ends the sessions and refuses sign-in; enable lets it back' '
	[ "$(signin vic "viewer password 1")" = 201 ] &&
	[ "$(curl -sS -b "$TEST_DIR/vic.jar" -o /dev/null -w "%{http_code}" "$(url /api/v1/session)")" = 200 ] &&
	expect 200 admin POST /api/v1/users/vic/disable && [ "$(out .disabled)" = true ] &&
	[ "$(curl -sS -b "$TEST_DIR/vic.jar" -o /dev/null -w "%{http_code}" "$(url /api/v1/session)")" = 401 ] &&
	expect 401 vic GET /api/v1/incidents &&
	[ "$(signin vic "viewer password 1")" = 401 ] &&
	expect 200 admin POST /api/v1/users/vic/enable && [ "$(out .disabled)" = false ] &&
	[ "$(signin vic "viewer password 1")" = 201 ] &&
	expect 200 vic GET /api/v1/incidents
'

test_expect_success 'passwords: an admin resets one, an account sets its own, not another'\''s' '
	expect 200 admin POST /api/v1/users/dora/password &&
	otp=$(out .one_time_password) && [ ${#otp} = 20 ] && [ "$(out .must_change_password)" = true ] &&
	[ "$(signin dora "$otp")" = 201 ] &&
	expect 200 admin POST /api/v1/users/dora/password "{\"password\":\"admin chose this 1\"}" &&
	[ "$(out .one_time_password)" = null ] && [ "$(out .must_change_password)" = false ] &&
	expect 422 dora POST /api/v1/account/password "{\"current\":\"$otp\",\"new\":\"not to be set 1\"}" &&
	expect 200 dora POST /api/v1/users/dora/password "{\"password\":\"dora chose this 1\"}" &&
	[ "$(signin dora "dora chose this 1")" = 201 ] &&
	expect 403 dora POST /api/v1/users/vic/password "{\"password\":\"dora chose this 2\"}" &&
	[ "$(signin vic "viewer password 1")" = 201 ]
'

test_expect_success 'PATCH /users/{name}/totp requires a second factor, and can stop requiring it' '
	expect 200 admin PATCH /api/v1/users/dora/totp "{\"required\":true}" &&
	[ "$(out .totp_required)" = true ] && [ "$(out .totp_enabled)" = false ] &&
	expect 200 admin PATCH /api/v1/users/dora/totp "{\"required\":false}" &&
	[ "$(out .totp_required)" = false ]
'

test_expect_success 'GET /audit: newest first, filters by object and actor, since_seq reads forward' '
	n=$(audit_count) &&
	expect 200 admin GET "/api/v1/audit?limit=2" &&
	[ "$(out ".items|length")" = 2 ] && [ "$(out ".items[0].seq")" = "$n" ] &&
	[ "$(out ".items[1].seq")" = $((n - 1)) ] &&
	[ "$(out ".items[0].hash|length")" = 64 ] &&
	expect 200 admin GET "/api/v1/audit?object=user:dora&limit=1000" &&
	[ "$(out ".items|length")" -ge 4 ] &&
	[ "$(out "[.items[]|select(.object_type != \"user\" or .object_id != \"dora\")]|length")" = 0 ] &&
	expect 200 admin GET "/api/v1/audit?object=user&actor=admin&limit=1000" &&
	[ "$(out "[.items[]|select(.actor != \"admin\" or .object_type != \"user\")]|length")" = 0 ] &&
	[ "$(out "[.items[]|select(.action == \"user.create\")]|length")" = 3 ] &&
	expect 200 admin GET "/api/v1/audit?since_seq=2&limit=3" &&
	[ "$(out "[.items[].seq]|join(\",\")")" = "3,4,5" ]
'

test_expect_success 'POST /audit/verify reports an intact chain, with or without an anchor' '
	expect 200 admin POST /api/v1/audit/verify &&
	[ "$(out .intact)" = true ] && [ "$(out .rows)" = "$(audit_count)" ] &&
	[ "$(out .bad_seq)" = null ] && [ "$(out .problem)" = null ] &&
	[ "$(out .head.seq)" = "$(audit_count)" ] &&
	anchor=$(irdesk audit anchor) &&
	[ "$anchor" = "$(out .head.seq):$(out .head.hash)" ] &&
	expect 200 admin POST /api/v1/audit/verify "{\"anchor\":\"$anchor\"}" && [ "$(out .intact)" = true ]
'

test_expect_success 'a tampered row is reported with 200 and the row that broke' '
	old=$(db_sql "SELECT actor FROM audit_log WHERE seq = 2") &&
	db_sql "UPDATE audit_log SET actor = '\''mallory'\'' WHERE seq = 2" &&
	expect 200 admin POST /api/v1/audit/verify &&
	db_sql "UPDATE audit_log SET actor = '\''$old'\'' WHERE seq = 2" &&
	[ "$(out .intact)" = false ] && [ "$(out .bad_seq)" = 2 ] &&
	out .problem | grep -q "changed" &&
	expect 200 admin POST /api/v1/audit/verify && [ "$(out .intact)" = true ]
'

test_expect_success 'tokens: create (shown once), list (never the secret), use, revoke' '
	expect 201 admin POST /api/v1/tokens "{\"name\":\"ci job\"}" &&
	tok=$(out .token) && id=$(out .id) && case "$tok" in ird_*) ;; *) false ;; esac &&
	[ "$(out .name)" = "ci job" ] && echo "$tok" > "$TEST_DIR/ci.token" &&
	expect 200 ci GET /api/v1/session && [ "$(out .username)" = admin ] && [ "$(out .auth)" = token ] &&
	expect 200 admin GET /api/v1/tokens &&
	[ "$(out "[.items[]|select(.name==\"ci job\")]|length")" = 1 ] &&
	! grep -qF "$tok" "$TEST_DIR/out" && ! grep -q "\"hash\"" "$TEST_DIR/out" &&
	expect 200 admin GET "/api/v1/tokens?user=vic" && [ "$(out ".items[0].name")" = v ] &&
	expect 403 vic GET "/api/v1/tokens?user=admin" &&
	expect 204 admin DELETE "/api/v1/tokens/$id" &&
	expect 401 ci GET /api/v1/session
'

test_expect_success 'anyone may make and revoke their own token, not another'\''s' '
	expect 201 vic POST /api/v1/tokens "{\"name\":\"my own\"}" &&
	id=$(out .id) && echo "$(out .token)" > "$TEST_DIR/own.token" &&
	expect 403 dora DELETE "/api/v1/tokens/$id" &&
	expect 403 dora DELETE /api/v1/tokens/999999 &&
	expect 200 own GET /api/v1/session &&
	expect 204 vic DELETE "/api/v1/tokens/$id" &&
	expect 401 own GET /api/v1/session
'

test_expect_success 'GET and PATCH /account: language and time zone' '
	expect 200 admin GET /api/v1/account &&
	[ "$(out .username)" = admin ] && [ "$(out .role)" = admin ] && [ "$(out .auth)" = token ] &&
	[ "$(out .lang)" = null ] && [ "$(out .tz)" = null ] && [ "$(out .totp_enabled)" = false ] &&
	expect 200 admin PATCH /api/v1/account "{\"lang\":\"ja\",\"tz\":\"Europe/Paris\"}" &&
	[ "$(out .lang)" = ja ] && [ "$(out .tz)" = Europe/Paris ] &&
	expect 200 admin GET /api/v1/account && [ "$(out .lang)" = ja ] &&
	expect 200 admin PATCH /api/v1/account "{\"lang\":null}" &&
	[ "$(out .lang)" = null ] && [ "$(out .tz)" = Europe/Paris ]
'

test_expect_success 'POST /account/password checks the current one and ends every session' '
	expect 201 admin POST /api/v1/users "{\"username\":\"erin\",\"role\":\"triage\",\"password\":\"erin password 1\"}" &&
	irdesk token create erin --name e --json | jq -r .token > "$TEST_DIR/erin.token" &&
	[ "$(signin erin "erin password 1")" = 201 ] &&
	expect 422 erin POST /api/v1/account/password "{\"current\":\"not it at all\",\"new\":\"erin password 2\"}" &&
	sleep 2 && # the third failure from 127.0.0.1 in this script: a one-second delay follows
	[ "$(signin erin "erin password 1")" = 201 ] &&
	expect 204 erin POST /api/v1/account/password "{\"current\":\"erin password 1\",\"new\":\"erin password 2\"}" &&
	[ "$(curl -sS -b "$TEST_DIR/erin.jar" -o /dev/null -w "%{http_code}" "$(url /api/v1/session)")" = 401 ] &&
	expect 422 erin POST /api/v1/account/password "{\"current\":\"erin password 1\",\"new\":\"erin password 3\"}" &&
	sleep 3 && # two wrong passwords count like failed sign-ins: wait out any delay
	[ "$(signin erin "erin password 2")" = 201 ]
'

test_expect_success 'TOTP: begin, confirm with a code, then sign-in wants it; turn it off' '
	command -v node > /dev/null || { echo "node is needed to compute TOTP codes"; false; } &&
	expect 200 erin POST /api/v1/account/totp &&
	secret=$(out .secret) && [ ${#secret} -ge 16 ] &&
	out .otpauth_uri | grep -q "^otpauth://totp/.*secret=$secret" &&
	expect 200 erin GET /api/v1/account && [ "$(out .totp_enabled)" = false ] &&
	code=$(totp "$secret") && wrong=$(printf "%06d" $(( (10#$code + 500000) % 1000000 ))) &&
	expect 422 erin POST /api/v1/account/totp/confirm "{\"code\":\"$wrong\"}" &&
	expect 200 erin GET /api/v1/account && [ "$(out .totp_enabled)" = false ] &&
	expect 200 erin POST /api/v1/account/totp/confirm "{\"code\":\"$(totp "$secret")\"}" &&
	[ "$(out .totp_enabled)" = true ] &&
	[ "$(signin erin "erin password 2")" = 401 ] && out .error.message | grep -qi totp &&
	expect 204 erin DELETE /api/v1/account/totp &&
	expect 200 erin GET /api/v1/account && [ "$(out .totp_enabled)" = false ] &&
	[ "$(signin erin "erin password 2")" = 201 ]
'

test_expect_success 'a viewer token is refused every change with 403, and nothing is written' '
	expect 201 admin POST /api/v1/incidents "{\"title\":\"For the viewer\"}" && id=$(out .id) &&
	expect 201 admin POST "/api/v1/incidents/$id/tasks" "{\"title\":\"a task\",\"phase\":\"triage\"}" &&
	task=$(out .id) &&
	before=$(audit_count) &&
	expect 200 vic GET /api/v1/incidents && expect 200 vic GET "/api/v1/incidents/$id" &&
	expect 200 vic GET "/api/v1/incidents/$id/timeline" && expect 200 vic GET /api/v1/tasks &&
	expect 403 vic POST /api/v1/incidents "{\"title\":\"x\"}" &&
	expect 403 vic PATCH "/api/v1/incidents/$id" "{\"title\":\"x\"}" &&
	expect 403 vic POST "/api/v1/incidents/$id/transitions" "{\"to\":\"triage\"}" &&
	expect 403 vic POST "/api/v1/incidents/$id/members" "{\"username\":\"vic\",\"role\":\"triage\"}" &&
	expect 403 vic DELETE "/api/v1/incidents/$id/members/admin" &&
	expect 403 vic POST "/api/v1/incidents/$id/timeline" "{\"text\":\"x\"}" &&
	expect 403 vic POST "/api/v1/incidents/$id/tasks" "{\"title\":\"x\"}" &&
	expect 403 vic POST "/api/v1/tasks/$task/done" &&
	expect 403 vic POST "/api/v1/incidents/$id/tasks/$task/done" &&
	expect 403 vic POST /api/v1/users "{\"username\":\"x1\",\"role\":\"admin\"}" &&
	expect 403 vic POST /api/v1/users/dora/disable &&
	expect 403 vic POST /api/v1/users/dora/enable &&
	expect 403 vic POST /api/v1/users/admin/password "{\"password\":\"taken over 123\"}" &&
	expect 403 vic PATCH /api/v1/users/dora/totp "{\"required\":true}" &&
	expect 403 vic GET /api/v1/audit &&
	expect 403 vic POST /api/v1/audit/verify &&
	[ "$(out .error.code)" = denied ] &&
	[ "$(audit_count)" = "$before" ]
'

test_expect_success 'an external user sees only its incidents: 404 for the others' '
	expect 201 admin POST /api/v1/incidents "{\"title\":\"Vendor helps here\"}" && mine=$(out .id) &&
	expect 201 admin POST /api/v1/incidents "{\"title\":\"Not for the vendor\"}" && other=$(out .id) &&
	expect 201 admin POST "/api/v1/incidents/$other/tasks" "{\"title\":\"secret task\",\"phase\":\"triage\"}" &&
	task=$(out .id) &&
	expect 200 admin POST "/api/v1/incidents/$mine/members" "{\"username\":\"xena\",\"role\":\"forensic_engineer\"}" &&
	before=$(audit_count) &&
	expect 200 xena GET /api/v1/incidents && [ "$(out "[.items[].id]|join(\",\")")" = "$mine" ] &&
	expect 200 xena GET "/api/v1/incidents/$mine" &&
	expect 404 xena GET "/api/v1/incidents/$other" &&
	[ "$(out .error.message)" = "incident $other not found" ] &&
	expect 404 xena PATCH "/api/v1/incidents/$other" "{\"title\":\"x\"}" &&
	expect 404 xena POST "/api/v1/incidents/$other/transitions" "{\"to\":\"triage\"}" &&
	expect 404 xena GET "/api/v1/incidents/$other/members" &&
	expect 404 xena GET "/api/v1/incidents/$other/timeline" &&
	expect 404 xena POST "/api/v1/incidents/$other/timeline" "{\"text\":\"x\"}" &&
	expect 404 xena GET "/api/v1/incidents/$other/tasks" &&
	expect 404 xena POST "/api/v1/incidents/$other/tasks" "{\"title\":\"x\"}" &&
	expect 404 xena GET "/api/v1/tasks?incident=$other" &&
	expect 404 xena POST "/api/v1/incidents/$mine/tasks/$task/done" &&
	expect 404 xena POST "/api/v1/incidents/$other/tasks/$task/done" &&
	expect 200 xena GET /api/v1/tasks && [ "$(out ".items|length")" = 0 ] &&
	expect 403 xena POST "/api/v1/tasks/$task/done" &&
	expect 403 xena GET /api/v1/users &&
	expect 403 xena GET /api/v1/audit &&
	expect 403 xena POST "/api/v1/incidents/$mine/members" "{\"username\":\"xena\",\"role\":\"commander\"}" &&
	[ "$(audit_count)" = "$before" ] &&
	expect 201 xena POST "/api/v1/incidents/$mine/timeline" "{\"text\":\"disk image taken\",\"kind\":\"evidence\"}" &&
	[ "$(out .author)" = xena ]
'

test_expect_success 'the chain verifies and the server stops cleanly' '
	irdesk audit verify &&
	kill -TERM "$(cat "$TEST_DIR/pid")" &&
	for _ in $(seq 1 100); do [ -s "$TEST_DIR/exit" ] && break; sleep 0.1; done &&
	[ "$(cat "$TEST_DIR/exit")" = 0 ] &&
	! grep -q "ERROR: \(Address\|Leak\)Sanitizer\|runtime error" "$TEST_DIR/serve.log"
'

test_done
