#!/usr/bin/env bash
# t1410-notify-api.sh: the REST API of contacts (JSON, CSV export and
# import), notifications, breach flags and clocks against the real server:
# success paths, bad input answered 4xx with a JSON error and nothing
# changed, permissions (an external member sees only its own incident's
# notifications: 404 on another's; no contacts at all).
. "$(dirname "$0")/lib.sh"

export IRDESK_NOW="2026-02-28T00:00:00Z" # 09:00 JST
PW=notify-api-password-1

count() { db_sql "SELECT COUNT(*) FROM $1"; }

test_expect_success 'setup: accounts with tokens, two incidents, a server' '
	irdesk init > /dev/null &&
	for u in nora:notification vic:viewer; do
		echo "$PW" | irdesk user add "${u%%:*}" --role "${u#*:}" --password-stdin > /dev/null || exit 1
	done &&
	echo "$PW" | irdesk user add ext --role notification --external --password-stdin > /dev/null &&
	for u in admin nora vic ext; do irdesk token create $u --name t --json | jq -r .token > "$TEST_DIR/$u"; done &&
	irdesk incident new --title "漏えい" --discovered-at "2026-02-26 23:30 JST" > /dev/null &&
	irdesk incident new --title "other" > /dev/null &&
	irdesk incident member IR-2026-0001 ext notification > /dev/null &&
	start_server "$TEST_DIR/serve.log"
'

test_expect_success 'contacts: create, list, get, patch, delete' '
	api_expect 201 nora POST /api/v1/contacts "{\"name\":\"JPCERT/CC\",\"scope\":\"external\",\"category\":\"jpcert\",\"on_call\":true,\"email\":\"info@jpcert.or.jp\"}" &&
	[ "$(api_out .id)" = 1 ] && [ "$(api_out .on_call)" = true ] &&
	api_expect 201 nora POST /api/v1/contacts "{\"name\":\"警察 サイバー犯罪相談窓口\",\"scope\":\"external\",\"category\":\"police\"}" &&
	api_expect 200 vic GET /api/v1/contacts && [ "$(api_out ".items|length")" = 2 ] &&
	[ "$(api_out ".items[0].name")" = "JPCERT/CC" ] &&
	api_expect 200 vic GET "/api/v1/contacts?category=police" && [ "$(api_out ".items|length")" = 1 ] &&
	api_expect 200 vic GET "/api/v1/contacts?on_call=1" && [ "$(api_out ".items[0].id")" = 1 ] &&
	api_expect 200 vic GET /api/v1/contacts/2 && [ "$(api_out .category)" = police ] &&
	api_expect 200 nora PATCH /api/v1/contacts/2 "{\"phone\":\"#9110\",\"on_call\":true}" &&
	[ "$(api_out .phone)" = "#9110" ] && [ "$(api_out .name)" = "警察 サイバー犯罪相談窓口" ] &&
	api_expect 201 nora POST /api/v1/contacts "{\"name\":\"tmp\",\"scope\":\"internal\",\"category\":\"it\"}" &&
	api_expect 204 nora DELETE /api/v1/contacts/3 &&
	api_expect 404 nora GET /api/v1/contacts/3 && api_error_is notfound
'

test_expect_success 'contacts: bad input and missing permissions are refused, nothing changes' '
	c=$(count contacts) && a=$(count audit_log) &&
	api_expect 422 nora POST /api/v1/contacts "{\"name\":\"x\",\"scope\":\"nowhere\",\"category\":\"it\"}" && api_error_is invalid &&
	api_expect 422 nora POST /api/v1/contacts "{\"name\":\"x\",\"scope\":\"internal\",\"category\":\"it\",\"fax\":\"1\"}" &&
	api_expect 422 nora POST /api/v1/contacts "{\"name\":\"x\",\"scope\":\"internal\",\"category\":\"it\",\"on_call\":\"maybe\"}" &&
	api_expect 422 nora POST /api/v1/contacts "{\"scope\":\"internal\",\"category\":\"it\"}" &&
	api_expect 400 nora POST /api/v1/contacts "{\"name\":" && api_error_is parse &&
	api_expect 400 vic GET "/api/v1/contacts?category=spies" &&
	api_expect 400 vic GET "/api/v1/contacts?colour=red" &&
	api_expect 403 vic POST /api/v1/contacts "{\"name\":\"x\",\"scope\":\"internal\",\"category\":\"it\"}" && api_error_is denied &&
	api_expect 403 ext GET /api/v1/contacts &&
	api_expect 403 ext GET /api/v1/contacts/1 &&
	api_expect 404 nora PATCH /api/v1/contacts/99 "{\"notes\":\"x\"}" &&
	api_expect 404 nora DELETE /api/v1/contacts/abc &&
	[ "$(count contacts)" = "$c" ] && [ "$(count audit_log)" = "$a" ]
'

test_expect_success 'contacts: CSV export, and import of all rows or none' '
	api_expect 200 vic GET /api/v1/contacts/export &&
	grep -qi "^content-type: text/csv" "$TEST_DIR/hdr" &&
	head -1 "$TEST_DIR/out" | grep -q "^name,organisation,scope" &&
	grep -q "^JPCERT/CC,,external,jpcert" "$TEST_DIR/out" &&
	c=$(count contacts) &&
	api_expect 422 nora POST /api/v1/contacts/import "$(printf "name,scope,category\nA,internal,it\nB,inside,it\n")" text/csv &&
	[ "$(api_out .error.message)" = "line 3: scope: expected internal or external, not '\''inside'\''" ] &&
	api_expect 400 nora POST /api/v1/contacts/import "{}" &&
	api_expect 403 vic POST /api/v1/contacts/import "$(printf "name,scope,category\nA,internal,it\n")" text/csv &&
	[ "$(count contacts)" = "$c" ] &&
	api_expect 200 nora POST /api/v1/contacts/import "$(printf "name,scope,category,notes\n\"田中, 花子\",internal,management,\"a\nb\"\n")" text/csv &&
	[ "$(api_out .imported)" = 1 ] && [ "$(count contacts)" = $((c + 1)) ]
'

test_expect_success 'breach: GET, PUT starts the clocks; bad bodies refused' '
	api_expect 200 nora GET /api/v1/incidents/IR-2026-0001/breach &&
	[ "$(api_out .personal_data)" = false ] && [ "$(api_out ".clocks|length")" = 0 ] &&
	a=$(count audit_log) &&
	api_expect 422 admin PUT /api/v1/incidents/IR-2026-0001/breach "{\"personal_data\":\"yes\"}" &&
	api_expect 422 admin PUT /api/v1/incidents/IR-2026-0001/breach "{\"leak\":true}" &&
	api_expect 403 nora PUT /api/v1/incidents/IR-2026-0001/breach "{\"personal_data\":true}" &&
	[ "$(count audit_log)" = "$a" ] &&
	api_expect 200 admin PUT /api/v1/incidents/IR-2026-0001/breach "{\"personal_data\":true,\"sensitive\":true,\"gdpr\":true}" &&
	[ "$(api_out ".clocks|length")" = 3 ] &&
	[ "$(api_out ".clocks[0].due_at")" = 2026-03-03T14:30:00Z ] &&
	[ "$(api_out ".clocks[2].clock")" = gdpr ] && [ "$(api_out ".clocks[2].due_at")" = 2026-03-01T14:30:00Z ] &&
	api_expect 200 vic GET /api/v1/incidents/IR-2026-0001/clocks && [ "$(api_out ".items|length")" = 3 ] &&
	api_expect 200 vic GET /api/v1/clocks && [ "$(api_out ".items[0].clock")" = gdpr ] &&
	[ "$(api_out ".items[0].incident")" = IR-2026-0001 ] &&
	api_expect 200 vic GET "/api/v1/clocks?overdue=1" && [ "$(api_out ".items|length")" = 0 ] &&
	api_expect 400 vic GET "/api/v1/clocks?late=1"
'

test_expect_success 'notifications: record and list; bad ones refused and nothing written' '
	n=$(count notifications) && t=$(count timeline) &&
	for body in "{\"to\":\"PPC\",\"channel\":\"fax\",\"kind\":\"gdpr\",\"text\":\"x\"}" \
		"{\"to\":\"PPC\",\"channel\":\"email\",\"kind\":\"gossip\",\"text\":\"x\"}" \
		"{\"to\":\"PPC\",\"channel\":\"email\",\"kind\":\"gdpr\"}" \
		"{\"channel\":\"email\",\"kind\":\"gdpr\",\"text\":\"x\"}" \
		"{\"to\":\"PPC\",\"channel\":\"email\",\"kind\":\"gdpr\",\"text\":\"x\",\"at\":\"soon\"}" \
		"{\"contact_id\":\"1\",\"channel\":\"email\",\"kind\":\"gdpr\",\"text\":\"x\"}" \
		"{\"contact_id\":77,\"channel\":\"email\",\"kind\":\"gdpr\",\"text\":\"x\"}" \
		"{\"to\":\"PPC\",\"channel\":\"email\",\"kind\":\"gdpr\",\"text\":\"x\",\"cc\":\"y\"}"; do
		api_expect 422 nora POST /api/v1/incidents/IR-2026-0001/notifications "$body" || exit 1
	done &&
	api_expect 403 vic POST /api/v1/incidents/IR-2026-0001/notifications "{\"to\":\"PPC\",\"channel\":\"email\",\"kind\":\"gdpr\",\"text\":\"x\"}" &&
	api_expect 404 nora POST /api/v1/incidents/IR-2026-0099/notifications "{\"to\":\"PPC\",\"channel\":\"email\",\"kind\":\"gdpr\",\"text\":\"x\"}" &&
	[ "$(count notifications)" = "$n" ] && [ "$(count timeline)" = "$t" ] &&
	api_expect 201 nora POST /api/v1/incidents/IR-2026-0001/notifications "{\"contact_id\":1,\"channel\":\"email\",\"kind\":\"gdpr\",\"subject\":\"Art. 33\",\"text\":\"Dear authority,\nwe report...\",\"at\":\"2026-02-28 08:30 JST\"}" &&
	[ "$(api_out .recipient)" = "JPCERT/CC" ] && [ "$(api_out .sent_at)" = 2026-02-27T23:30:00Z ] &&
	api_expect 200 vic GET /api/v1/incidents/IR-2026-0001/notifications &&
	[ "$(api_out ".items|length")" = 1 ] && [ "$(api_out ".items[0].text")" = "Dear authority,
we report..." ] &&
	api_expect 200 vic GET /api/v1/incidents/IR-2026-0001/clocks &&
	[ "$(api_out ".items[2].state")" = satisfied ]
'

test_expect_success 'an external member records on its incident; another incident is 404' '
	api_expect 201 ext POST /api/v1/incidents/IR-2026-0001/notifications "{\"to\":\"顧客窓口\",\"channel\":\"phone\",\"kind\":\"external\",\"text\":\"連絡済み\"}" &&
	api_expect 200 ext GET /api/v1/incidents/IR-2026-0001/notifications && [ "$(api_out ".items|length")" = 2 ] &&
	api_expect 404 ext GET /api/v1/incidents/IR-2026-0002/notifications && api_error_is notfound &&
	api_expect 404 ext POST /api/v1/incidents/IR-2026-0002/notifications "{\"to\":\"x\",\"channel\":\"phone\",\"kind\":\"external\",\"text\":\"x\"}" &&
	api_expect 404 ext GET /api/v1/incidents/IR-2026-0002/breach &&
	api_expect 200 ext GET /api/v1/clocks && [ "$(api_out "[.items[].incident]|unique|length")" = 1 ] &&
	api_expect 422 ext POST /api/v1/incidents/IR-2026-0001/notifications "{\"contact_id\":1,\"channel\":\"phone\",\"kind\":\"external\",\"text\":\"x\"}"
'

test_done
