#!/usr/bin/env bash
# t1210-alert-pages.sh: the alert pages through curl as a browser would use
# them: the queue with filters and only the legal triage forms, an alert
# page with its matched event escaped, triage by form (CSRF required), the
# dashboard's count of new alerts, and the kill-chain bar on the incident
# page (detected apart from manual, Japanese and English labels), and the
# suppressions page (list, prefilled form from an alert, add and remove by form).
. "$(dirname "$0")/lib.sh"

DATA=$TEST_TOP/tests/data/alert
PW=alert-pages-password-1
URL=


test_expect_success 'setup: accounts, alerts from the sample events, a server' '
	irdesk init > /dev/null &&
	echo "$PW" | irdesk user add hana --role incident_handler --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add vic --role viewer --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add ext --role incident_handler --external --password-stdin > /dev/null &&
	irdesk ingest --rules "$DATA/rules.yml" "$DATA/events.ndjson" > /dev/null &&
	start_server "$TEST_DIR/serve.log"
'

test_expect_success 'the dashboard counts new alerts and the navigation links the queue' '
	up && signin hana "$TEST_DIR/hana" &&
	body_has "href=\"/alerts\"" &&
	grep -q "id=\"new-alerts\">2<" "$TEST_DIR/body" &&
	signin ext "$TEST_DIR/ext" && body_lacks "href=\"/alerts\"" &&
	[ "$(get /alerts "$TEST_DIR/ext")" = 403 ]
'

test_expect_success 'the queue lists alerts with filters and triage forms for those who may' '
	up &&
	[ "$(get /alerts "$TEST_DIR/hana")" = 200 ] &&
	body_has "Test evil tool started" && body_has "Test phishing attachment opened" &&
	body_has "name=\"status\"" && body_has "value=\"promote\"" && body_has "value=\"false_positive\"" &&
	body_has "Exploitation" &&
	[ "$(get "/alerts?level=medium" "$TEST_DIR/hana")" = 200 ] &&
	body_has "Test phishing attachment opened" && body_lacks "Test evil tool started" &&
	[ "$(get "/alerts?status=bogus" "$TEST_DIR/hana")" = 400 ] &&
	signin vic "$TEST_DIR/vic" && [ "$(get /alerts "$TEST_DIR/vic")" = 200 ] &&
	body_has "Test evil tool started" && body_lacks "value=\"promote\""
'

test_expect_success 'an alert page shows its matched event escaped' '
	up &&
	id=$(irdesk alert list --rule 0b1c2d3e-0000-4000-8000-000000000001 --json | jq -r ".items[0].id") &&
	echo "$id" > "$TEST_DIR/id" &&
	[ "$(get "/alerts/$id" "$TEST_DIR/hana")" = 200 ] &&
	body_has "&lt;script&gt;alert(1)&lt;/script&gt;" && body_lacks "<script>alert(1)" &&
	body_has "CORP\\alice" && body_has "attack.execution" &&
	[ "$(get /alerts/99999 "$TEST_DIR/hana")" = 404 ]
'

test_expect_success 'triage by form: CSRF required, a reason for a false positive, promote to an incident' '
	up && id=$(cat "$TEST_DIR/id") &&
	[ "$(get "/alerts/$id" "$TEST_DIR/hana")" = 200 ] && tok=$(csrf) &&
	[ "$(post "/alerts/$id/triage" "$TEST_DIR/hana" action=benign)" = 403 ] &&
	[ "$(post "/alerts/$id/triage" "$TEST_DIR/hana" "csrf=$tok" action=false_positive)" = 422 ] &&
	body_has "reason" &&
	[ "$(post "/alerts/$id/triage" "$TEST_DIR/vic" "csrf=$tok" action=benign)" = 403 ] &&
	[ "$(post "/alerts/$id/triage" "$TEST_DIR/hana" "csrf=$tok" action=promote)" = 303 ] &&
	inc=$(location) && case "$inc" in /incidents/IR-*) ;; *) echo "went to $inc"; exit 1 ;; esac &&
	echo "${inc#/incidents/}" | sed "s/?.*//" > "$TEST_DIR/inc" &&
	[ "$(get "/alerts/$id" "$TEST_DIR/hana")" = 200 ] && body_lacks "value=\"promote\"" &&
	[ "$(irdesk alert show "$id" --json | jq -r .status)" = promoted ]
'

test_expect_success 'the incident page shows the kill-chain bar: detected apart from manual' '
	up && inc=$(cat "$TEST_DIR/inc") &&
	[ "$(get "/incidents/$inc" "$TEST_DIR/hana")" = 200 ] &&
	body_has "kc-phase kc-detected" && body_has "Exploitation" && body_has "攻撃" &&
	body_has "侵入拡大" && body_has "目的達成" &&
	[ "$(grep -o "class=\"kc-phase" "$TEST_DIR/body" | wc -l)" = 7 ] &&
	tok=$(csrf) &&
	[ "$(post "/incidents/$inc/killchain" "$TEST_DIR/hana" "csrf=$tok" phase=delivery marked=1)" = 303 ] &&
	[ "$(get "/incidents/$inc" "$TEST_DIR/hana")" = 200 ] &&
	body_has "kc-phase kc-manual" &&
	[ "$(post "/incidents/$inc/killchain" "$TEST_DIR/vic" "csrf=$tok" phase=delivery marked=0)" = 403 ] &&
	[ "$(get "/incidents/$inc" "$TEST_DIR/vic")" = 200 ] && body_has "kc-phase kc-manual" &&
	body_lacks "action=\"/incidents/$inc/killchain\""
'

test_expect_success 'suppressions page: listed for readers, the form only for who may suppress' '
	echo "$PW" | irdesk user add mia --role incident_manager --password-stdin > /dev/null &&
	up && signin mia "$TEST_DIR/mia" &&
	[ "$(get /alerts "$TEST_DIR/mia")" = 200 ] && body_has "href=\"/suppressions\"" &&
	id=$(irdesk --json alert list --rule 0b1c2d3e-0000-4000-8000-000000000002 | jq -r ".items[0].id") &&
	[ "$(get "/alerts/$id" "$TEST_DIR/mia")" = 200 ] &&
	body_has "/suppressions?rule=0b1c2d3e-0000-4000-8000-000000000002&amp;entity=host&amp;value=WS02" &&
	[ "$(get "/alerts/$id" "$TEST_DIR/hana")" = 200 ] && body_lacks "/suppressions?rule=" &&
	[ "$(get "/suppressions?rule=0b1c2d3e-0000-4000-8000-000000000002&entity=host&value=WS02" "$TEST_DIR/mia")" = 200 ] &&
	body_has "No suppressions." && body_has "action=\"/suppressions\"" &&
	body_has "value=\"WS02\"" && body_has "<option value=\"host\" selected>" &&
	[ "$(get /suppressions "$TEST_DIR/hana")" = 200 ] && body_lacks "action=\"/suppressions\"" &&
	[ "$(get /suppressions "$TEST_DIR/ext")" = 403 ]
'

test_expect_success 'suppressions by form: CSRF and a reason required, escaped, removed again' '
	up && [ "$(get /suppressions "$TEST_DIR/mia")" = 200 ] && tok=$(csrf) &&
	R=0b1c2d3e-0000-4000-8000-000000000002 &&
	[ "$(post /suppressions "$TEST_DIR/mia" "rule=$R" "reason=x")" = 403 ] &&
	[ "$(post /suppressions "$TEST_DIR/mia" "csrf=$tok" "rule=$R" entity=host value=WS02)" = 422 ] &&
	body_has "reason" && body_has "value=\"WS02\"" &&
	[ "$(post /suppressions "$TEST_DIR/mia" "csrf=$tok" "rule=$R" expires=someday "reason=r")" = 422 ] &&
	[ "$(irdesk --json alert suppressions | jq length)" = 0 ] &&
	[ "$(get /suppressions "$TEST_DIR/hana")" = 200 ] &&
	[ "$(post /suppressions "$TEST_DIR/hana" "csrf=$(csrf)" "rule=$R" "reason=r")" = 403 ] &&
	[ "$(post /suppressions "$TEST_DIR/mia" "csrf=$tok" "rule=$R" entity=host value=WS02 \
		expires=now+7d "reason=lab <machine>")" = 303 ] &&
	[ "$(location)" = "/suppressions?done=suppression_added" ] &&
	[ "$(get /suppressions "$TEST_DIR/hana")" = 200 ] &&
	body_has "lab &lt;machine&gt;" && body_lacks "lab <machine>" && body_has "<td>ws02</td>" &&
	sid=$(irdesk --json alert suppressions | jq -r ".[0].id") &&
	[ "$(post "/suppressions/$sid/remove" "$TEST_DIR/hana" "csrf=$(csrf)")" = 403 ] &&
	[ "$(get /suppressions "$TEST_DIR/mia")" = 200 ] && tok=$(csrf) &&
	[ "$(post "/suppressions/$sid/remove" "$TEST_DIR/mia" "csrf=$tok")" = 303 ] &&
	[ "$(get "$(location)" "$TEST_DIR/mia")" = 200 ] &&
	body_has "The suppression was removed." && body_has "No suppressions." &&
	[ "$(post "/suppressions/$sid/remove" "$TEST_DIR/mia" "csrf=$tok")" = 404 ] &&
	[ "$(db_sql "SELECT count(*) FROM audit_log WHERE action LIKE '\''suppression.%'\''")" = 2 ]
'

test_expect_success 'the suppressions page in Japanese' '
	up && [ "$(get /suppressions "$TEST_DIR/mia" -H "Accept-Language: ja")" = 200 ] &&
	body_has "抑制ルール" && body_has "抑制ルールはありません。"
'

test_expect_success 'the server log has no sanitizer report or internal error' '
	up && kill -TERM "$PID" && [ "$(wait_exit)" = 0 ] &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TEST_DIR/serve.log" &&
	! grep -E " http [^ ]+ [A-Z]+ [^ ]+ 5[0-9][0-9] " "$TEST_DIR/serve.log"
'

test_done
