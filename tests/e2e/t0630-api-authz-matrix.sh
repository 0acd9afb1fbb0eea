#!/usr/bin/env bash
# t0630-api-authz-matrix.sh: the authorisation matrix against the real
# server. Every API route is called with the token of an account of every
# role; what the server should answer comes from the route and role tables
# themselves (build/test/unit/test_authz_matrix writes them out), whose
# sensitive cells that unit test checks against a hand-written list. Then
# every transition as every role, and an external account on every incident
# route: 404 until it is a member, then the answers of its incident role,
# never the organisation's decisions.
. "$(dirname "$0")/lib.sh"

# The unit test of the same (sanitised) build writes the table.
MATRIX_BIN=${IRDESK_MATRIX_BIN:-$(dirname "$IRDESK_BIN")/unit/test_authz_matrix}
MATRIX=$TEST_DIR/matrix
PW="matrix password 1"

url() { echo "http://127.0.0.1:$(cat "$TEST_DIR/port")$1"; }
sql() { db_sql "$1"; }

# call WHO METHOD PATH [BODY]: with WHO's token ($TEST_DIR/WHO.token); the
# answer goes to $TEST_DIR/out, the status is printed.
call() {
	local who=$1 m=$2 p=$3
	shift 3
	curl -sS -o "$TEST_DIR/out" -w '%{http_code}' -X "$m" \
		-H "Authorization: Bearer $(cat "$TEST_DIR/$who.token")" \
		-H 'Content-Type: application/json' ${1+--data-binary "$1"} "$(url "$p")"
}
expect() { # STATUS WHO METHOD PATH [BODY]
	local want=$1 got
	shift
	got=$(call "$@") || return 1
	[ "$got" = "$want" ] || { echo "$* -> $got, expected $want: $(cat "$TEST_DIR/out")"; return 1; }
}
out() { jq -r "$1" "$TEST_DIR/out"; }

roles() { sed -n 's/^roles //p' "$MATRIX"; }

# bit BITS N: the Nth (0-based) character of a role bit string.
bit() { echo "${1:$2:1}"; }

# The request each route is called with: as harmless as possible, and valid,
# so that an allowed call succeeds and the ir/ layer's own checks run too.
# sample METHOD PATTERN ROLE prints the body (nothing for none).
sample() {
	case "$1 $2" in
	"POST /api/v1/session") echo '{}' ;; # 422 before any sign-in attempt (no throttling)
	"POST /api/v1/incidents") echo "{\"title\":\"matrix $3\"}" ;;
	"PATCH /api/v1/incidents/{id}") echo "{\"summary\":\"matrix $3\"}" ;;
	"POST /api/v1/incidents/{id}/transitions") echo '{"to":"closed"}' ;; # new -> closed: 409
	"POST /api/v1/incidents/{id}/members") echo '{"username":"m_throw","role":"researcher"}' ;;
	"POST /api/v1/incidents/{id}/timeline") echo "{\"text\":\"matrix $3\"}" ;;
	"POST /api/v1/incidents/{id}/tasks") echo "{\"title\":\"matrix $3\",\"phase\":\"triage\"}" ;;
	"POST /api/v1/users") echo "{\"username\":\"mx_$3\",\"role\":\"viewer\",\"password\":\"$PW\"}" ;;
	"POST /api/v1/users/{name}/password") echo "{\"password\":\"$PW\"}" ;;
	"PATCH /api/v1/users/{name}/totp") echo '{"required":false}' ;;
	"POST /api/v1/tokens") echo '{"name":"matrix"}' ;;
	"PATCH /api/v1/account") echo '{"lang":"en"}' ;;
	# A wrong current password would count as a failed sign-in (throttled per address).
	"POST /api/v1/account/password") echo '{"current":"no new password given"}' ;;
	"POST /api/v1/account/totp/confirm") echo '{"code":"000000"}' ;;
	"POST /api/v1/events") echo '{"EventID":1,"Computer":"matrix"}' ;;
	"POST /api/v1/alerts/{alert}/triage") echo '{"action":"benign"}' ;; # may be repeated
	"POST /api/v1/suppressions") echo "{\"rule\":\"matrix\",\"reason\":\"matrix $3\"}" ;;
	"POST /api/v1/incidents/{id}/killchain") echo '{"phase":"delivery","note":"matrix"}' ;;
	"PATCH /api/v1/incidents/{id}/items") echo "{\"comments\":\"matrix $3\"}" ;;
	"POST /api/v1/incidents/{id}/threats") echo '{"threats":["2026:ransomware"]}' ;;
	"POST /api/v1/incidents/{id}/reports") echo '{"kind":"incident","format":"md"}' ;;
	"POST "*"/evidence/{item}/custody") echo '{"action":"handover","from":"a","to":"b","purpose":"matrix"}' ;;
	# An empty reason: refused (422) after the permission check, so nothing is held or deleted.
	"POST "*"/hold" | "POST "*"/release" | "DELETE /api/v1/evidence/{item}") echo '{"reason":""}' ;;
	"POST /api/v1/evidence/{item}/retention") echo '{"retain_until":"2040-01-01","reason":""}' ;;
	"PUT /api/v1/settings/clocks") echo '{"due_soon_hours":24}' ;;
	"POST /api/v1/contacts") echo "{\"name\":\"matrix $3\",\"scope\":\"internal\",\"category\":\"other\"}" ;;
	"PATCH /api/v1/contacts/{cid}") echo "{\"notes\":\"matrix $3\"}" ;;
	"POST /api/v1/incidents/{id}/notifications") echo "{\"to\":\"matrix\",\"channel\":\"other\",\"kind\":\"other\",\"text\":\"matrix $3\"}" ;;
	"PUT /api/v1/incidents/{id}/breach") echo '{"gdpr":false}' ;;
	"POST /api/v1/incidents/{id}/observables") echo "{\"value\":\"matrix-$3.example\"}" ;;
	"PATCH /api/v1/incidents/{id}/observables/{obs}") echo '{"comment":"matrix"}' ;;
	"PATCH /api/v1/incidents/{id}/lessons") echo "{\"damage_before_detection\":\"matrix $3\"}" ;;
	"POST /api/v1/incidents/{id}/lessons/actions") echo "{\"title\":\"matrix $3\"}" ;;
	"PUT /api/v1/settings/mail") echo '{"own_domains":["matrix.example"]}' ;;
	esac
}

# What an allowed call answers: the success status, or the one failure the
# sample asks for on purpose (a token has no session to end; a transition
# the lifecycle does not have; a wrong current password; a wrong TOTP code).
allowed_status() {
	case "$1 $2" in
	"POST /api/v1/session" | "DELETE /api/v1/session") echo 422 ;;
	"POST /api/v1/incidents/{id}/transitions") echo 409 ;;
	"POST /api/v1/account/password" | "POST /api/v1/account/totp/confirm") echo 422 ;;
	"POST /api/v1/contacts/import") echo 400 ;; # the matrix sends JSON, not CSV
	"POST /api/v1/contacts" | "POST /api/v1/incidents/{id}/notifications") echo 201 ;;
	"POST /api/v1/incidents" | "POST /api/v1/incidents/"*"/timeline" | \
	"POST /api/v1/incidents/{id}/tasks" | "POST /api/v1/users" | "POST /api/v1/tokens" | \
	"POST /api/v1/suppressions" | "POST /api/v1/incidents/{id}/reports") echo 201 ;;
	"POST /api/v1/suppressions" | "POST /api/v1/incidents/{id}/observables" | \
	"POST /api/v1/incidents/{id}/lessons/actions") echo 201 ;;
	"POST /api/v1/events") echo 202 ;;
	# Evidence: an upload without its description (422) or as JSON (400); an empty reason (422).
	"PUT /api/v1/incidents/{id}/evidence" | "POST "*"/hold" | "POST "*"/release" | \
	"DELETE /api/v1/evidence/{item}" | "POST /api/v1/evidence/{item}/retention") echo 422 ;;
	"POST /api/v1/incidents/{id}/evidence") echo 400 ;;
	# Reported mail: a JSON body is no mail (400) once the permission passed.
	"POST /api/v1/mail") echo 400 ;;
	"DELETE "*) echo 204 ;;
	*) echo 200 ;;
	esac
}

# fill PATTERN ROLE-USER: the path with its {segments} filled in. {name} is
# the throwaway account, except for a password, which every account may set
# only for itself ({name} = the caller).
fill() {
	local p=$1 who=$2
	case "$p" in */password) p=${p//\{name\}/$who} ;; esac
	p=${p//\{id\}/$INC}
	p=${p//\{task\}/$TASK}
	p=${p//\{username\}/m_throw}
	p=${p//\{name\}/m_throw}
	p=${p//\{tid\}/$(cat "$TEST_DIR/$who.tid" 2>/dev/null || echo 0)}
	p=${p//\{alert\}/$ALERT}
	p=${p//\{threat\}/2026:ransomware}
	p=${p//\{kind\}/incident}
	p=${p//\{version\}/1}
	p=${p//\{other\}/1}
	p=${p//\{sheet\}/windows_volatile}
	p=${p//\{item\}/$ITEM}
	p=${p//\{sid\}/$(cat "$TEST_DIR/$who.sid" 2>/dev/null || echo 0)}
	p=${p//\{cid\}/$(cat "$TEST_DIR/$who.cid" 2>/dev/null || cat "$TEST_DIR/cid")}
	p=${p//\{obs\}/$(cat "$TEST_DIR/$who.oid" 2>/dev/null || echo 0)}
	case "$p" in /api/v1/observables) p="$p?value=matrix.example" ;; esac
	echo "$p"
}

# record_observable WHO "METHOD PATTERN" STATUS: keep the id of an observable
# WHO added, for the PATCH and DELETE routes that follow it in the table.
record_observable() {
	if [ "$2" = "POST /api/v1/incidents/{id}/observables" ] && [ "$3" = 201 ]; then
		out .id > "$TEST_DIR/$1.oid"
	fi
}

# check_route WHO ROLE METHOD PATTERN ALLOW: one cell. Prints a line and
# fails when the answer is not what the table says.
check_route() {
	local who=$1 role=$2 m=$3 pat=$4 allow=$5 path body got want
	path=$(fill "$pat" "$who")
	body=$(sample "$m" "$pat" "$who")
	got=$(call "$who" "$m" "$path" ${body:+"$body"}) || got=curl-failed
	if [ "$m $pat" = "POST /api/v1/tokens" ] && [ "$got" = 201 ]; then
		out .id > "$TEST_DIR/$who.tid" # the next route revokes it, not the token in use
	fi
	if [ "$m $pat" = "POST /api/v1/suppressions" ] && [ "$got" = 201 ]; then
		out .id > "$TEST_DIR/$who.sid" # the DELETE route removes this one
	fi
	if [ "$m $pat" = "POST /api/v1/contacts" ] && [ "$got" = 201 ]; then
		out .id > "$TEST_DIR/$who.cid" # its own contact to change and remove
	fi
	record_observable "$who" "$m $pat" "$got"
	if [ "$allow" = 1 ]; then want=$(allowed_status "$m" "$pat"); else want=403; fi
	if [ "$got" != "$want" ]; then
		echo "CELL $role $m $path: got $got, expected $want ($([ "$allow" = 1 ] && echo allowed || echo refused)): $(head -c 300 "$TEST_DIR/out")"
		return 1
	fi
	if [ "$allow" = 0 ] && [ "$(out .error.code)" != denied ]; then
		echo "CELL $role $m $path: 403 without the denied code: $(cat "$TEST_DIR/out")"
		return 1
	fi
	return 0
}

# check_role ROLE INDEX: every route as the account of that role.
check_role() {
	local role=$1 i=$2 who=r_$1 bad=0 n=0 a=0 kw m pat flags act bits
	while read -r kw m pat flags act bits; do
		[ "$kw" = route ] || continue
		n=$((n + 1))
		[ "$(bit "$bits" "$i")" = 1 ] && a=$((a + 1))
		check_route "$who" "$role" "$m" "$pat" "$(bit "$bits" "$i")" || bad=$((bad + 1))
	done < "$MATRIX"
	echo "$role: $n routes, $a allowed, $((n - a)) refused, $bad wrong"
	[ "$bad" -eq 0 ] && [ "$n" -gt 30 ]
}

test_expect_success 'setup: the matrix from the route table, one account and token per role, a server' '
	[ -x "$MATRIX_BIN" ] &&
	IRDESK_MATRIX_OUT="$MATRIX" "$MATRIX_BIN" > /dev/null &&
	[ "$(roles | wc -w)" = 15 ] &&
	[ "$(grep -c "^route " "$MATRIX")" -gt 30 ] &&
	irdesk init > /dev/null &&
	for r in $(roles); do
		echo "$PW" | irdesk user add "r_$r" --role "$r" --password-stdin > /dev/null &&
		irdesk token create "r_$r" --name t --json | jq -r .token > "$TEST_DIR/r_$r.token" || exit 1
	done &&
	echo "$PW" | irdesk user add m_throw --role researcher --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add x_ext --role forensic_engineer --external --password-stdin > /dev/null &&
	irdesk token create x_ext --name t --json | jq -r .token > "$TEST_DIR/x_ext.token" &&
	irdesk token create admin --name t --json | jq -r .token > "$TEST_DIR/admin.token" &&
	irdesk incident new --title "Matrix target" --owner r_incident_handler --functional-impact high \
		--information-impact none --recoverability regular --json | jq -r .id > "$TEST_DIR/inc" &&
	irdesk incident new --title "Transition target" --owner r_incident_handler --functional-impact low \
		--information-impact none --recoverability regular --json | jq -r .id > "$TEST_DIR/inc2" &&
	fill_required "$(cat "$TEST_DIR/inc2")" &&
	irdesk task add "$(cat "$TEST_DIR/inc")" "matrix task" --phase triage --json | jq -r .id > "$TEST_DIR/task" &&
	irdesk ingest --rules "$TEST_TOP/tests/data/alert/rules.yml" "$TEST_TOP/tests/data/alert/events.ndjson" > /dev/null &&
	irdesk alert list --json | jq -r ".items[0].id" > "$TEST_DIR/alert" &&
	irdesk evidence add "$(cat "$TEST_DIR/inc")" "$TEST_TOP/VERSION" --source matrix --acquired-at now \
		--json | jq -r .id > "$TEST_DIR/item" &&
	irdesk contact add "matrix contact" --scope external --category other --json | jq -r .id > "$TEST_DIR/cid" &&
	start_server "$TEST_DIR/serve.log"
'
INC=$(cat "$TEST_DIR/inc" 2>/dev/null)
INC2=$(cat "$TEST_DIR/inc2" 2>/dev/null)
TASK=$(cat "$TEST_DIR/task" 2>/dev/null)
ALERT=$(cat "$TEST_DIR/alert" 2>/dev/null)
ITEM=$(cat "$TEST_DIR/item" 2>/dev/null)

i=0
for role in $(roles); do
	test_expect_success "every route as $role answers as the route table says" "check_role $role $i"
	i=$((i + 1))
done

# allowed_users METHOD PATTERN: the r_ROLE accounts the table allows, sorted.
allowed_users() {
	local bits i=0
	bits=$(awk -v m="$1" -v p="$2" '$1 == "route" && $2 == m && $3 == p { print $6 }' "$MATRIX")
	for role in $(roles); do
		[ "$(bit "$bits" "$i")" = 1 ] && echo "r_$role"
		i=$((i + 1))
	done | sort | paste -sd,
}
# actors ACTION: who wrote audit rows of that action through the API, sorted.
actors() {
	sql "SELECT actor FROM audit_log WHERE action = '$1' AND actor NOT LIKE 'cli:%'
	     GROUP BY actor ORDER BY actor" | paste -sd,
}

test_expect_success 'the calls that were allowed did their work, the refused ones none' '
	expect 200 admin GET "/api/v1/incidents/$INC" &&
	[ "$(out .state)" = new ] && [ "$(out .summary)" = "matrix r_triage" ] &&
	[ "$(actors incident.create)" = "$(allowed_users POST /api/v1/incidents)" ] &&
	[ "$(actors incident.update)" = "$(allowed_users PATCH "/api/v1/incidents/{id}")" ] &&
	[ "$(actors incident.member.set)" = "$(allowed_users POST "/api/v1/incidents/{id}/members")" ] &&
	[ "$(actors incident.member.remove)" = "$(allowed_users POST "/api/v1/incidents/{id}/members")" ] &&
	[ "$(actors task.add)" = "$(allowed_users POST "/api/v1/incidents/{id}/tasks")" ] &&
	[ "$(actors task.done)" = "$(allowed_users POST "/api/v1/tasks/{task}/done")" ] &&
	[ "$(actors task.reopen)" = "$(allowed_users POST "/api/v1/tasks/{task}/reopen")" ] &&
	[ "$(actors user.create)" = r_admin ] &&
	[ "$(actors user.disable)" = r_admin ] && [ "$(actors user.enable)" = r_admin ] &&
	[ "$(sql "SELECT count(*) FROM audit_log WHERE action = '\''task.done'\''")" = 22 ] &&
	[ "$(sql "SELECT disabled FROM users WHERE username = '\''m_throw'\''")" = 0 ] &&
	expect 200 admin GET "/api/v1/incidents/$INC/members" && [ "$(out ".items|length")" = 0 ] &&
	expect 200 admin GET "/api/v1/incidents/$INC/tasks" &&
	[ "$(out ".items[]|select(.id==$TASK)|.done")" = false ]
'

# check_transition FROM TO ACT BITS: every role tries the move from FROM.
check_transition() {
	local from=$1 to=$2 bits=$4 i=0 bad=0 body got want state
	body="{\"to\":\"$to\",\"reason\":\"matrix\"}"
	if [ "$to" = rejected ]; then
		body="{\"to\":\"$to\",\"reason\":\"matrix\",\"reject_reason\":\"false_positive\"}"
	fi
	for role in $(roles); do
		sql "UPDATE incidents SET state = '$from' WHERE hid = '$INC2'" || return 1
		got=$(call "r_$role" POST "/api/v1/incidents/$INC2/transitions" "$body")
		state=$(sql "SELECT state FROM incidents WHERE hid = '$INC2'")
		if [ "$(bit "$bits" "$i")" = 1 ]; then want="200 $to"; else want="403 $from"; fi
		if [ "$got $state" != "$want" ]; then
			echo "CELL $role $from -> $to: got $got (state $state), expected $want: $(cat "$TEST_DIR/out")"
			bad=$((bad + 1))
		fi
		i=$((i + 1))
	done
	[ "$bad" -eq 0 ]
}

while read -r kw from to act bits; do
	[ "$kw" = transition ] || continue
	test_expect_success "$from -> $to ($act) as every role" \
		"check_transition $from $to $act $bits"
done < "$MATRIX"

# The organisation's decisions an external account never takes, whatever
# its role in the incident (ir/actor.c, docs/lifecycle.md).
EXTERNAL_NEVER=" user_admin audit_read incident_reopen incident_close member_edit priority_override timestamp_edit "

# check_external MODE: every incident route as x_ext; MODE outsider (404
# everywhere) or member (the answers of forensic_engineer, minus the above).
check_external() {
	local mode=$1 fe bad=0 kw m pat flags act bits allow path body got want
	fe=$(roles | tr ' ' '\n' | grep -n '^forensic_engineer$' | cut -d: -f1)
	fe=$((fe - 1))
	while read -r kw m pat flags act bits; do
		[ "$kw" = route ] || continue
		case ",$flags," in *,incident,*) ;; *) continue ;; esac
		path=$(fill "$pat" x_ext)
		body=$(sample "$m" "$pat" x_ext)
		got=$(call x_ext "$m" "$path" ${body:+"$body"})
		record_observable x_ext "$m $pat" "$got"
		if [ "$mode" = outsider ]; then
			want=404
		else
			allow=$(bit "$bits" "$fe")
			case "$EXTERNAL_NEVER" in *" $act "*) allow=0 ;; esac
			if [ "$allow" = 1 ]; then want=$(allowed_status "$m" "$pat"); else want=403; fi
		fi
		if [ "$got" != "$want" ]; then
			echo "CELL external $mode $m $path: got $got, expected $want: $(head -c 300 "$TEST_DIR/out")"
			bad=$((bad + 1))
		fi
	done < "$MATRIX"
	[ "$bad" -eq 0 ]
}

test_expect_success 'an external account gets 404 on every route of an incident it is not a member of' '
	check_external outsider &&
	expect 404 x_ext GET "/api/v1/incidents/$INC" &&
	sed "s/$INC/ID/g" "$TEST_DIR/out" > "$TEST_DIR/hidden" &&
	expect 404 x_ext GET /api/v1/incidents/IR-2000-9999 &&
	sed "s/IR-2000-9999/ID/g" "$TEST_DIR/out" > "$TEST_DIR/missing" &&
	cmp "$TEST_DIR/hidden" "$TEST_DIR/missing" &&
	expect 200 x_ext GET /api/v1/incidents && [ "$(out ".items|length")" = 0 ] &&
	expect 200 x_ext GET /api/v1/tasks && [ "$(out ".items|length")" = 0 ] &&
	expect 404 x_ext GET "/api/v1/tasks?incident=$INC" &&
	expect 403 x_ext POST "/api/v1/tasks/$TASK/done" &&
	expect 403 x_ext GET /api/v1/users &&
	expect 403 x_ext GET /api/v1/audit &&
	expect 403 x_ext POST /api/v1/incidents "{\"title\":\"from outside\"}"
'

test_expect_success 'once a member, it acts with its incident role, never 404' '
	expect 200 admin POST "/api/v1/incidents/$INC/members" "{\"username\":\"x_ext\",\"role\":\"forensic_engineer\"}" &&
	check_external member &&
	expect 200 x_ext GET /api/v1/incidents && [ "$(out ".items[0].id")" = "$INC" ] &&
	[ "$(out ".items|length")" = 1 ]
'

test_expect_success 'an external commander of an incident still may not take the organisation'\''s decisions' '
	sql "UPDATE incidents SET state = '\''analysis'\'' WHERE hid = '\''$INC2'\''" &&
	expect 200 admin POST "/api/v1/incidents/$INC2/members" "{\"username\":\"x_ext\",\"role\":\"commander\"}" &&
	expect 200 x_ext PATCH "/api/v1/incidents/$INC2" "{\"summary\":\"edited from outside\"}" &&
	expect 403 x_ext PATCH "/api/v1/incidents/$INC2" "{\"priority\":\"P1\",\"reason\":\"matrix\"}" &&
	expect 403 x_ext POST "/api/v1/incidents/$INC2/members" "{\"username\":\"m_throw\",\"role\":\"viewer\"}" &&
	sql "UPDATE incidents SET state = '\''post_incident'\'' WHERE hid = '\''$INC2'\''" &&
	expect 403 x_ext POST "/api/v1/incidents/$INC2/transitions" "{\"to\":\"closed\"}" &&
	expect 403 x_ext PATCH "/api/v1/incidents/$INC2" "{\"recovered_at\":\"2026-01-01T00:00:00Z\",\"reason\":\"matrix\"}" &&
	expect 200 admin POST "/api/v1/incidents/$INC2/transitions" "{\"to\":\"closed\"}" &&
	expect 403 x_ext POST "/api/v1/incidents/$INC2/transitions" "{\"to\":\"analysis\",\"reason\":\"matrix\"}" &&
	[ "$(sql "SELECT state FROM incidents WHERE hid = '\''$INC2'\''")" = closed ] &&
	expect 204 admin DELETE "/api/v1/incidents/$INC2/members/x_ext" &&
	expect 404 x_ext GET "/api/v1/incidents/$INC2"
'

test_expect_success 'other accounts'\'' tokens and passwords stay out of reach without user_admin' '
	tid=$(cat "$TEST_DIR/r_admin.tid") &&
	expect 201 admin POST /api/v1/tokens "{\"name\":\"keep\"}" && keep=$(out .id) &&
	for r in $(roles); do
		[ "$r" = admin ] && continue
		expect 403 "r_$r" GET "/api/v1/tokens?user=admin" &&
		expect 403 "r_$r" DELETE "/api/v1/tokens/$keep" &&
		expect 403 "r_$r" POST /api/v1/users/m_throw/password "{\"password\":\"$PW 3\"}" || exit 1
	done &&
	expect 200 admin GET /api/v1/tokens && [ "$(out "[.items[]|select(.id==$keep)|.revoked]|.[0]")" = false ]
'

test_expect_success 'the server is still up and its log has no sanitizer report or internal error' '
	server && kill -0 "$PID" &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TEST_DIR/serve.log" &&
	! grep -E " http [^ ]+ [A-Z]+ [^ ]+ 5[0-9][0-9] " "$TEST_DIR/serve.log"
'

test_done
