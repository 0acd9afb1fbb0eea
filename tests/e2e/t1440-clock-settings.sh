#!/usr/bin/env bash
# t1440-clock-settings.sh: the regulatory clock settings from the API and the
# settings page (admin only): read, change several together, a bad value
# refuses the whole change (422, nothing written, the typed value kept on the
# page), the change moves an incident's 速報 deadline, audited, and the CLI
# sees the same settings.
. "$(dirname "$0")/lib.sh"

export IRDESK_NOW="2026-02-28T00:00:00Z" # 09:00 JST
PW=clock-settings-password-1

setting() { irdesk notify config --json | jq -r ".$1"; }
prelim_due() { irdesk notify clocks IR-2026-0001 --json | jq -r '.[] | select(.clock == "appi_preliminary") | .due_at'; }

test_expect_success 'setup: an admin and a commander with tokens, a breached incident, a server' '
	irdesk init > /dev/null &&
	echo "$PW" | irdesk user add boss --role admin --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add lead --role commander --password-stdin > /dev/null &&
	for u in boss lead; do irdesk token create $u --name t --json | jq -r .token > "$TEST_DIR/$u" || exit 1; done &&
	irdesk incident new --title "漏えい" --discovered-at "2026-02-26 23:30 JST" > /dev/null &&
	irdesk notify breach IR-2026-0001 --personal-data yes --over-1000 yes > /dev/null &&
	[ "$(prelim_due)" = "2026-03-03T14:30:00Z" ] &&
	start_server "$TEST_DIR/serve.log"
'

test_expect_success 'API: the admin reads the defaults; a commander is refused' '
	api_expect 200 boss GET /api/v1/settings/clocks &&
	[ "$(api_out .preliminary_days)" = 5 ] && [ "$(api_out .gdpr_hours)" = 72 ] &&
	[ "$(api_out .zone)" = Asia/Tokyo ] &&
	api_expect 403 lead GET /api/v1/settings/clocks &&
	api_expect 403 lead PUT /api/v1/settings/clocks "{\"preliminary_days\":3}" &&
	[ "$(setting preliminary_days)" = 5 ]
'

test_expect_success 'API: one bad value refuses the whole change; unknown keys and bad JSON are 4xx' '
	audit=$(db_sql "SELECT COUNT(*) FROM audit_log") &&
	api_expect 422 boss PUT /api/v1/settings/clocks "{\"preliminary_days\":3,\"zone\":\"Mars/Olympus\"}" &&
	api_error_is invalid && api_out .error.message | grep -q zone &&
	api_expect 422 boss PUT /api/v1/settings/clocks "{\"reminder_hours\":[72,\"soon\"]}" &&
	api_out .error.message | grep -q reminder_hours &&
	api_expect 422 boss PUT /api/v1/settings/clocks "{\"gdpr_days\":3}" &&
	api_expect 400 boss PUT /api/v1/settings/clocks "{\"preliminary_days\":" &&
	api_expect 422 boss PUT /api/v1/settings/clocks "{\"due_soon_hours\":-1}" &&
	[ "$(setting preliminary_days)" = 5 ] && [ "$(setting zone)" = Asia/Tokyo ] &&
	[ "$(db_sql "SELECT COUNT(*) FROM audit_log")" = "$audit" ]
'

test_expect_success 'API: several settings change together, once audited, and move the 速報 deadline' '
	api_expect 200 boss PUT /api/v1/settings/clocks "{\"preliminary_days\":3,\"reminder_hours\":[48,12]}" &&
	[ "$(api_out .preliminary_days)" = 3 ] && [ "$(api_out ".reminder_hours|join(\",\")")" = 48,12 ] &&
	[ "$(setting preliminary_days)" = 3 ] &&
	[ "$(db_sql "SELECT COUNT(*) FROM audit_log WHERE action = '"'"'notify.config'"'"'")" = 1 ] &&
	[ "$(prelim_due)" = "2026-03-01T14:30:00Z" ]
'

test_expect_success 'page: linked from the navigation; the form shows the settings' '
	up && signin boss "$TEST_DIR/boss.jar" && body_has "href=\"/settings\"" &&
	[ "$(get /settings "$TEST_DIR/boss.jar")" = 200 ] && body_has "href=\"/settings/clocks\"" &&
	[ "$(get /settings/clocks "$TEST_DIR/boss.jar")" = 200 ] &&
	body_has "name=\"preliminary_days\" value=\"3\"" && body_has "name=\"reminder_hours\" value=\"48,12\""
'

test_expect_success 'page: a bad zone is shown with the typed values kept, and nothing changes' '
	up && get /settings/clocks "$TEST_DIR/boss.jar" > /dev/null && t=$(csrf) &&
	[ "$(post /settings/clocks "$TEST_DIR/boss.jar" "csrf=$t" preliminary_days=4 "zone=Asia/<Nowhere>")" = 422 ] &&
	body_has "class=\"error\"" && body_has "value=\"Asia/&lt;Nowhere&gt;\"" && body_has "value=\"4\"" &&
	[ "$(setting preliminary_days)" = 3 ] && [ "$(setting zone)" = Asia/Tokyo ]
'

test_expect_success 'page: a good change is saved and shown; a commander gets 403' '
	up && get /settings/clocks "$TEST_DIR/boss.jar" > /dev/null && t=$(csrf) &&
	[ "$(post /settings/clocks "$TEST_DIR/boss.jar" "csrf=$t" preliminary_days=5 gdpr_hours=72 \
		zone=Asia/Tokyo reminder_hours=72,24)" = 303 ] &&
	[ "$(location)" = "/settings/clocks?done=saved" ] &&
	[ "$(setting preliminary_days)" = 5 ] && [ "$(prelim_due)" = "2026-03-03T14:30:00Z" ] &&
	signin lead "$TEST_DIR/lead.jar" && body_lacks "href=\"/settings\"" &&
	[ "$(get /settings/clocks "$TEST_DIR/lead.jar")" = 403 ]
'

test_done
