#!/usr/bin/env bash
# The HTML pages over plain HTTP (curl): sign-in and sessions, redirects,
# security headers, CSRF refusals, escaping, POST-redirect-GET, refusals
# from ir/ shown on the page, and the admin and account pages.
. "$(dirname "$0")/lib.sh"

at_exit '[ -f "$TEST_DIR/pid" ] && kill -9 "$(cat "$TEST_DIR/pid")"'

PW=pages-test-password-1

test_expect_success 'set up: accounts and a running server' '
	irdesk init > /dev/null &&
	echo "$PW" | irdesk user add lead --role commander --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add boss --role admin --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add viewer1 --role viewer --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add vendor --role forensic_engineer --external --password-stdin > /dev/null &&
	start_server "$TEST_DIR/serve.log"
'

test_expect_success '/login renders a form with its CSRF field and the security headers' '
	up &&
	[ "$(get /login "$TEST_DIR/anon")" = 200 ] &&
	body_has "<form class=\"stack\" method=\"post\" action=\"/login\">" &&
	[ -n "$(csrf)" ] &&
	grep -qi "^content-type: text/html" "$TEST_DIR/hdr" &&
	grep -qi "^content-security-policy: default-src .none.; script-src .self.; style-src .self.;.*frame-ancestors .none." "$TEST_DIR/hdr" &&
	grep -qi "^x-content-type-options: nosniff" "$TEST_DIR/hdr" &&
	grep -qi "^referrer-policy: same-origin" "$TEST_DIR/hdr" &&
	grep -qi "^set-cookie: irdesk_pre=.*HttpOnly; SameSite=Strict" "$TEST_DIR/hdr"
'

test_expect_success 'the browser language picks the catalog: Japanese sign-in page' '
	up &&
	[ "$(get /login "$TEST_DIR/anon" -H "Accept-Language: ja,en;q=0.5")" = 200 ] &&
	body_has "<html lang=\"ja\"" && body_has "サインイン"
'

test_expect_success 'unauthenticated pages redirect to /login (with next)' '
	up &&
	[ "$(get / "$TEST_DIR/none")" = 303 ] && [ "$(location)" = /login ] &&
	[ "$(get /incidents "$TEST_DIR/none")" = 303 ] && [ "$(location)" = "/login?next=/incidents" ] &&
	[ "$(post /incidents "$TEST_DIR/none" title=x)" = 303 ]
'

test_expect_success 'sign-in without the form token is refused; with it a session cookie works' '
	up && rm -f "$TEST_DIR/lead" &&
	get /login "$TEST_DIR/lead" > /dev/null &&
	[ "$(post /login "$TEST_DIR/lead" csrf=wrong username=lead "password=$PW")" = 403 ] &&
	! grep -qi "^set-cookie: irdesk_session=" "$TEST_DIR/hdr" &&
	[ "$(post /login "$TEST_DIR/lead" "csrf=$(csrf)" username=lead "password=$PW" next=/incidents)" = 303 ] &&
	[ "$(location)" = /incidents ] &&
	grep -qi "^set-cookie: irdesk_session=.*HttpOnly; SameSite=Strict" "$TEST_DIR/hdr" &&
	[ "$(get / "$TEST_DIR/lead")" = 200 ] &&
	body_has "<h1>Dashboard</h1>" && body_has "href=\"/incidents?state=triage\"" &&
	grep -qi "^content-security-policy:" "$TEST_DIR/hdr" &&
	grep -qi "^cache-control: no-store" "$TEST_DIR/hdr"
'

test_expect_success 'pages carry no inline script, style attribute or event handler' '
	up &&
	for p in / /incidents /incidents/new /account /audit; do
		[ "$(get "$p" "$TEST_DIR/lead")" = 200 ] || { echo "$p"; return 1; }
		! grep -qiE "<script>|<script [^>]*>[^<]|<style| style=| on[a-z]+=\"" "$TEST_DIR/body" ||
			{ echo "inline code on $p"; return 1; }
	done &&
	[ "$(get /static/app.js "$TEST_DIR/lead")" = 200 ] && grep -qi "^content-type: text/javascript" "$TEST_DIR/hdr" &&
	[ "$(get /static/app.css "$TEST_DIR/lead")" = 200 ] && grep -qi "^content-type: text/css" "$TEST_DIR/hdr"
'

test_expect_success 'a POST without the CSRF token is refused with the 403 page and changes nothing' '
	up &&
	[ "$(post /incidents "$TEST_DIR/lead" "title=no token")" = 403 ] &&
	body_has "Not allowed" && body_has "CSRF" &&
	get /incidents/new "$TEST_DIR/lead" > /dev/null &&
	[ "$(post /incidents "$TEST_DIR/lead" "csrf=AAAA$(csrf | cut -c5-)" "title=bad token")" = 403 ] &&
	[ "$(irdesk incident list --json | jq length)" = 0 ]
'

test_expect_success 'create an incident: 303 to its page, the title escaped' '
	up &&
	get /incidents/new "$TEST_DIR/lead" > /dev/null && t=$(csrf) &&
	[ "$(post /incidents "$TEST_DIR/lead" "csrf=$t" _form=new "title=<img src=x onerror=alert(1)>" \
		type=malware "summary=a \"quoted\" <b>summary</b>" reporter=helpdesk occurred_at=now-2h)" = 303 ] &&
	loc=$(location) && echo "$loc" | grep -q "^/incidents/IR-[0-9]*-0001?done=created$" &&
	[ "$(get "$loc" "$TEST_DIR/lead")" = 200 ] &&
	body_has "&lt;img src=x onerror=alert(1)&gt;" && ! grep -q "<img" "$TEST_DIR/body" &&
	body_has "a &quot;quoted&quot; &lt;b&gt;summary&lt;/b&gt;" &&
	body_has "The incident was created." &&
	body_has "<input type=\"hidden\" name=\"to\" value=\"triage\">" &&
	[ "$(grep -o "name=\"to\" value=\"[a-z_]*\"" "$TEST_DIR/body" | wc -l)" = 1 ]
'

test_expect_success 'an illegal or gated move is shown on the incident page with 409/422' '
	up && id=$(irdesk incident list --json | jq -r ".[0].id") &&
	get "/incidents/$id" "$TEST_DIR/lead" > /dev/null && t=$(csrf) &&
	[ "$(post "/incidents/$id/move" "$TEST_DIR/lead" "csrf=$t" to=closed)" = 409 ] &&
	body_has "class=\"error\"" && body_has "Not saved:" && body_has "&lt;img src=x" &&
	[ "$(post "/incidents/$id/move" "$TEST_DIR/lead" "csrf=$t" to=triage)" = 303 ] &&
	code=$(post "/incidents/$id/move" "$TEST_DIR/lead" "csrf=$t" to=analysis) &&
	{ [ "$code" = 409 ] || [ "$code" = 422 ]; } && body_has "owner" &&
	[ "$(irdesk incident show "$id" --json | jq -r .state)" = triage ]
'

test_expect_success 'editing fields: a bad time is refused with 422 and the input kept; a good edit redirects' '
	up && id=$(irdesk incident list --json | jq -r ".[0].id") &&
	get "/incidents/$id" "$TEST_DIR/lead" > /dev/null && t=$(csrf) &&
	v=$(irdesk incident show "$id" --json | jq -r .version) &&
	[ "$(post "/incidents/$id" "$TEST_DIR/lead" "csrf=$t" _form=edit "version=$v" \
		"occurred_at=yesterday-ish" "reporter=kept text")" = 422 ] &&
	body_has "value=\"yesterday-ish\"" && body_has "value=\"kept text\"" &&
	[ "$(post "/incidents/$id" "$TEST_DIR/lead" "csrf=$t" _form=edit "version=$v" owner=lead \
		functional_impact=high information_impact=privacy_breach information_impact=integrity_loss \
		recoverability=regular)" = 303 ] &&
	[ "$(location)" = "/incidents/$id?done=saved" ] &&
	irdesk incident show "$id" --json > "$TEST_DIR/inc.json" &&
	[ "$(jq -r .owner "$TEST_DIR/inc.json")" = lead ] &&
	[ "$(jq -r .priority "$TEST_DIR/inc.json")" = P1 ] &&
	[ "$(jq -r ".information_impact | join(\",\")" "$TEST_DIR/inc.json")" = "privacy_breach,integrity_loss" ] &&
	[ "$(post "/incidents/$id" "$TEST_DIR/lead" "csrf=$t" _form=edit "version=$v" title=stale)" = 409 ]
'

test_expect_success 'timeline entry, task and member through the forms' '
	up && id=$(irdesk incident list --json | jq -r ".[0].id") &&
	get "/incidents/$id" "$TEST_DIR/lead" > /dev/null && t=$(csrf) &&
	[ "$(post "/incidents/$id/timeline" "$TEST_DIR/lead" "csrf=$t" kind=decision "text=Isolate <host>")" = 303 ] &&
	[ "$(post "/incidents/$id/tasks" "$TEST_DIR/lead" "csrf=$t" "title=Collect logs" assignee=lead)" = 303 ] &&
	[ "$(post "/incidents/$id/members" "$TEST_DIR/lead" "csrf=$t" username=vendor role=forensic_engineer)" = 303 ] &&
	[ "$(get "/incidents/$id" "$TEST_DIR/lead")" = 200 ] &&
	body_has "Isolate &lt;host&gt;" && body_has "Collect logs" && body_has "<strong>vendor</strong>" &&
	tid=$(grep -o "/tasks/[0-9]*/done" "$TEST_DIR/body" | head -1 | cut -d/ -f3) &&
	[ "$(post "/incidents/$id/tasks/$tid/done" "$TEST_DIR/lead" "csrf=$t" done=1)" = 303 ] &&
	[ "$(post "/incidents/$id/tasks/$tid/done" "$TEST_DIR/lead" "csrf=$t" done=1)" = 409 ] &&
	[ "$(get / "$TEST_DIR/lead")" = 200 ] && body_has "timeline.add"
'

test_expect_success 'the incident page has a bar of links, each to a card on the page, with the open tasks' '
	up && id=$(irdesk incident list --json | jq -r ".[0].id") &&
	open=$(irdesk task list --json "$id" | jq "[.[] | select(.done | not)] | length") &&
	[ "$(get "/incidents/$id" "$TEST_DIR/lead")" = 200 ] &&
	nav=$(grep -o "<nav class=\"sections\".*</nav>" "$TEST_DIR/body" | sed "s|</nav>.*||") &&
	links=$(echo "$nav" | grep -o "href=\"#[a-z]*\"" | cut -d"#" -f2 | tr -d "\"") &&
	[ "$(echo "$links" | wc -l)" -ge 10 ] &&
	for a in $links; do grep -q "id=\"$a\"" "$TEST_DIR/body" || { echo "no card #$a"; exit 1; }; done &&
	[ "$open" -gt 0 ] && echo "$nav" | grep -q "<span class=\"count\">$open</span>"
'

test_expect_success 'an external member sees its incident; others are 404 and not listed' '
	up && id=$(irdesk incident list --json | jq -r ".[0].id") &&
	other=$(irdesk --json incident new --title "Secret other case" | jq -r .id) &&
	signin vendor "$TEST_DIR/vendor" &&
	[ "$(get "/incidents/$id" "$TEST_DIR/vendor")" = 200 ] &&
	[ "$(get "/incidents/$other" "$TEST_DIR/vendor")" = 404 ] && ! grep -q "Secret other" "$TEST_DIR/body" &&
	[ "$(get "/incidents?state=all" "$TEST_DIR/vendor")" = 200 ] && ! grep -q "Secret other" "$TEST_DIR/body" &&
	[ "$(get /audit "$TEST_DIR/vendor")" = 403 ] && [ "$(get /users "$TEST_DIR/vendor")" = 403 ]
'

test_expect_success 'users page: admins only; a new account gets a one-time password shown once' '
	up &&
	signin viewer1 "$TEST_DIR/viewer" && [ "$(get /users "$TEST_DIR/viewer")" = 403 ] &&
	[ "$(get /incidents/new "$TEST_DIR/viewer")" = 403 ] &&
	signin boss "$TEST_DIR/boss" && [ "$(get /users "$TEST_DIR/boss")" = 200 ] && t=$(csrf) &&
	[ "$(post /users "$TEST_DIR/boss" "csrf=$t" username=newbie role=triage "display_name=New <Person>")" = 200 ] &&
	otp=$(grep -o "<code class=\"otp\">[^<]*</code>" "$TEST_DIR/body" | sed "s/<[^>]*>//g") &&
	[ ${#otp} -ge 20 ] && body_has "New &lt;Person&gt;" &&
	[ "$(get /users "$TEST_DIR/boss")" = 200 ] && ! grep -qF "$otp" "$TEST_DIR/body" &&
	[ "$(post /users "$TEST_DIR/boss" "csrf=$t" username=newbie role=triage)" = 409 ] && body_has "Not saved:" &&
	[ "$(post /users/newbie/disable "$TEST_DIR/boss" "csrf=$t")" = 303 ] &&
	[ "$(irdesk user list --json | jq -r ".[] | select(.username==\"newbie\") | .disabled")" = true ] &&
	[ "$(post /users/newbie/enable "$TEST_DIR/boss" "csrf=$t")" = 303 ] &&
	[ "$(post /users/newbie/totp "$TEST_DIR/boss" "csrf=$t" required=1)" = 303 ]
'

test_expect_success 'audit page lists rows and the verify button reports an intact chain' '
	up &&
	[ "$(get /audit "$TEST_DIR/boss")" = 200 ] && body_has "incident.create" && t=$(csrf) &&
	[ "$(get "/audit?since=1&limit=2" "$TEST_DIR/boss")" = 200 ] &&
	[ "$(grep -o "<td class=\"num\">[0-9]*</td>" "$TEST_DIR/body" | wc -l)" = 2 ] &&
	[ "$(post /audit/verify "$TEST_DIR/boss" "csrf=$t")" = 200 ] &&
	body_has "id=\"verify-result\"" && body_has "The audit chain is intact" &&
	[ "$(post /audit/verify "$TEST_DIR/boss" x=1)" = 403 ]
'

test_expect_success 'account: language and zone, a token shown once that works, then revoked' '
	up && get /account "$TEST_DIR/lead" > /dev/null && t=$(csrf) &&
	[ "$(post /account/prefs "$TEST_DIR/lead" "csrf=$t" lang=ja tz=UTC)" = 303 ] &&
	[ "$(get /account "$TEST_DIR/lead")" = 200 ] && body_has "<html lang=\"ja\"" && body_has "インシデント" &&
	[ "$(post /account/prefs "$TEST_DIR/lead" "csrf=$t" lang=en tz=Nowhere/Else)" -ge 400 ] &&
	[ "$(post /account/prefs "$TEST_DIR/lead" "csrf=$t" lang=en tz=Asia/Tokyo)" = 303 ] &&
	[ "$(post /account/tokens "$TEST_DIR/lead" "csrf=$t" name=script)" = 200 ] &&
	tok=$(grep -o "<code class=\"wrap\" id=\"new-token\">[^<]*" "$TEST_DIR/body" | sed "s/.*>//") &&
	[ -n "$tok" ] &&
	[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $tok" "$URL/api/v1/session")" = 200 ] &&
	[ "$(get /account "$TEST_DIR/lead")" = 200 ] && ! grep -qF "$tok" "$TEST_DIR/body" &&
	tid=$(grep -o "/account/tokens/[0-9]*/revoke" "$TEST_DIR/body" | head -1 | cut -d/ -f4) &&
	[ "$(post "/account/tokens/$tid/revoke" "$TEST_DIR/lead" "csrf=$t")" = 303 ] &&
	[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $tok" "$URL/api/v1/session")" = 401 ]
'

test_expect_success 'account: TOTP enrolment shows the secret and URI as text' '
	up && get /account "$TEST_DIR/lead" > /dev/null && t=$(csrf) &&
	[ "$(post /account/totp "$TEST_DIR/lead" "csrf=$t")" = 200 ] &&
	grep -q "<code id=\"totp-secret\">[A-Z2-7]*</code>" "$TEST_DIR/body" &&
	body_has "otpauth://totp/irdesk:lead?secret=" &&
	body_has "action=\"/account/totp/confirm\"" &&
	code=$(post /account/totp/confirm "$TEST_DIR/lead" "csrf=$t" code=000000) &&
	[ "$code" -ge 400 ] && [ "$code" -lt 500 ] && body_has "Not saved:"
'

test_expect_success 'password change: current password checked, then signed out everywhere' '
	up && signin boss "$TEST_DIR/boss2" && get /account "$TEST_DIR/boss2" > /dev/null && t=$(csrf) &&
	[ "$(post /account/password "$TEST_DIR/boss2" "csrf=$t" current=wrong-password-x new=another-password-2 again=another-password-2)" = 422 ] &&
	body_has "the current password is wrong" &&
	[ "$(post /account/password "$TEST_DIR/boss2" "csrf=$t" "current=$PW" new=another-password-2 again=different-password-3)" = 422 ] &&
	[ "$(post /account/password "$TEST_DIR/boss2" "csrf=$t" "current=$PW" new=another-password-2 again=another-password-2)" = 303 ] &&
	[ "$(location)" = "/login?done=password" ] &&
	[ "$(get / "$TEST_DIR/boss")" = 303 ] &&
	[ "$(get "/login?done=password" "$TEST_DIR/anon")" = 200 ] && body_has "Your password was changed"
'

test_expect_success 'a one-time password account is told to change it at the top of the account page' '
	up && otp=$(irdesk user passwd lead 2>/dev/null | grep -o "[A-Za-z0-9]\{20\}" | head -1) &&
	[ -n "$otp" ] && rm -f "$TEST_DIR/l2" && get /login "$TEST_DIR/l2" > /dev/null &&
	[ "$(post /login "$TEST_DIR/l2" "csrf=$(csrf)" username=lead "password=$otp")" = 303 ] &&
	[ "$(location)" = "/account?must_change=1" ] &&
	[ "$(get /account "$TEST_DIR/l2")" = 200 ] && body_has "id=\"must-change\""
'

test_expect_success 'the server stops cleanly (no sanitizer reports)' '
	up && kill -TERM "$PID" &&
	for _ in $(seq 1 100); do [ -s "$TEST_DIR/exit" ] && break; sleep 0.1; done &&
	[ "$(cat "$TEST_DIR/exit")" = 0 ] &&
	! grep -q "AddressSanitizer\|runtime error:" "$TEST_DIR/serve.log"
'

test_done
