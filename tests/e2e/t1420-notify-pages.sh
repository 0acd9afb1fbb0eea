#!/usr/bin/env bash
# t1420-notify-pages.sh: the pages through curl as a browser would use them:
# the contacts page (linked from the navigation, on-call shown, add, edit,
# remove and pasted CSV import by form with CSRF, export), the incident
# page's clocks, breach form and notifications (recorded by form, choosing a
# contact), the dashboard's clocks with the overdue one marked, in Japanese
# and English; external accounts see no contacts.
. "$(dirname "$0")/lib.sh"

export IRDESK_NOW="2026-03-02T00:00:00Z" # 2026-03-02 09:00 JST
PW=notify-pages-password-1
URL=

count() { db_sql "SELECT COUNT(*) FROM $1"; }

test_expect_success 'setup: accounts, a contact, two breached incidents, a server' '
	irdesk init > /dev/null &&
	echo "$PW" | irdesk user add mia --role incident_manager --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add vic --role viewer --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add ext --role notification --external --password-stdin > /dev/null &&
	irdesk contact add "JPCERT/CC" --scope external --category jpcert --on-call yes > /dev/null &&
	irdesk incident new --title "顧客情報の漏えい" --discovered-at "2026-02-26 23:30 JST" > /dev/null &&
	irdesk incident new --title "EU customers" --discovered-at "2026-02-26 09:00 JST" > /dev/null &&
	irdesk notify breach IR-2026-0002 --gdpr yes > /dev/null &&
	start_server "$TEST_DIR/serve.log"
'

test_expect_success 'the contacts page is in the navigation and lists who is on call' '
	up && signin vic "$TEST_DIR/vic" && body_has "href=\"/contacts\"" &&
	[ "$(get /contacts "$TEST_DIR/vic")" = 200 ] &&
	body_has "JPCERT/CC" && body_has "● on call" &&
	[ "$(get /contacts "$TEST_DIR/vic" -H "Accept-Language: ja")" = 200 ] && body_has "● 当番" &&
	body_lacks "action=\"/contacts/import\"" &&
	signin ext "$TEST_DIR/ext" && body_lacks "href=\"/contacts\"" &&
	[ "$(get /contacts "$TEST_DIR/ext")" = 403 ]
'

test_expect_success 'contacts are added, edited, imported and removed by form' '
	up && signin mia "$TEST_DIR/mia" &&
	[ "$(get /contacts "$TEST_DIR/mia")" = 200 ] && t=$(csrf) &&
	[ "$(post /contacts "$TEST_DIR/mia" "csrf=$t" "name=<b>法務</b>" scope=internal category=legal on_call=yes)" = 303 ] &&
	[ "$(location)" = "/contacts?done=contact_added" ] &&
	[ "$(get /contacts "$TEST_DIR/mia")" = 200 ] && body_has "&lt;b&gt;法務&lt;/b&gt;" && body_lacks "<b>法務</b>" &&
	[ "$(post /contacts "$TEST_DIR/mia" "csrf=$t" name=x scope=outside category=legal)" = 422 ] &&
	body_has "scope" && [ "$(count contacts)" = 2 ] &&
	[ "$(post /contacts "$TEST_DIR/mia" name=x scope=internal category=legal)" = 403 ] &&
	[ "$(get /contacts/2 "$TEST_DIR/mia")" = 200 ] && body_has "value=\"&lt;b&gt;法務&lt;/b&gt;\"" &&
	[ "$(post /contacts/2 "$TEST_DIR/mia" "csrf=$t" name=法務部 scope=internal category=legal phone=03-1234-5678)" = 303 ] &&
	[ "$(db_sql "SELECT name || '\''|'\'' || phone || '\''|'\'' || on_call FROM contacts WHERE id = 2")" = "法務部|03-1234-5678|0" ] &&
	[ "$(post /contacts/import "$TEST_DIR/mia" "csrf=$t" "csv=$(printf "name,scope,category\nA,internal,it\nB,internal,spies\n")")" = 422 ] &&
	body_has "line 3: category" && [ "$(count contacts)" = 2 ] &&
	[ "$(post /contacts/import "$TEST_DIR/mia" "csrf=$t" "csv=$(printf "name,scope,category\n広報,internal,pr\n")")" = 303 ] &&
	[ "$(count contacts)" = 3 ] &&
	[ "$(post /contacts/3/remove "$TEST_DIR/mia" "csrf=$t")" = 303 ] && [ "$(count contacts)" = 2 ] &&
	[ "$(get /contacts/export.csv "$TEST_DIR/mia")" = 200 ] && grep -q "^法務部," "$TEST_DIR/body"
'

test_expect_success 'the incident page sets the breach flags and shows the clocks' '
	up &&
	[ "$(get /incidents/IR-2026-0001 "$TEST_DIR/mia")" = 200 ] && t=$(csrf) &&
	body_has "id=\"clocks\"" && body_has "name=\"over_1000\"" && body_has "action=\"/incidents/IR-2026-0001/notifications\"" &&
	[ "$(post /incidents/IR-2026-0001/breach "$TEST_DIR/mia" "csrf=$t" personal_data=yes over_1000=yes)" = 303 ] &&
	[ "$(location)" = "/incidents/IR-2026-0001?done=breach" ] &&
	[ "$(get /incidents/IR-2026-0001 "$TEST_DIR/mia")" = 200 ] &&
	body_has "APPI preliminary report (速報)" && body_has "2026-03-03 23:30 JST" && body_has "Running" &&
	body_has "name=\"over_1000\" value=\"yes\" checked" &&
	[ "$(get /incidents/IR-2026-0001 "$TEST_DIR/mia" -H "Accept-Language: ja")" = 200 ] &&
	body_has "個人情報保護委員会への速報" && body_has "進行中" && body_has "1,000人を超える" &&
	[ "$(get /incidents/IR-2026-0001 "$TEST_DIR/vic")" = 200 ] &&
	body_lacks "action=\"/incidents/IR-2026-0001/breach\"" && body_lacks "action=\"/incidents/IR-2026-0001/notifications\""
'

test_expect_success 'a notification is recorded by form, choosing a contact, and satisfies the 速報' '
	up &&
	[ "$(get /incidents/IR-2026-0001 "$TEST_DIR/mia")" = 200 ] && t=$(csrf) &&
	body_has "<option value=\"1\">JPCERT/CC" &&
	[ "$(post /incidents/IR-2026-0001/notifications "$TEST_DIR/mia" "csrf=$t" contact_id=1 channel=email kind=appi_preliminary subject=速報 "text=<script>x</script>")" = 303 ] &&
	[ "$(get /incidents/IR-2026-0001 "$TEST_DIR/mia")" = 200 ] &&
	body_has "Done on time" && body_has "&lt;script&gt;x&lt;/script&gt;" && body_lacks "<script>x</script>" &&
	body_has "通知 / Notification (appi_preliminary, email) to JPCERT/CC: 速報" &&
	n=$(count notifications) &&
	[ "$(post /incidents/IR-2026-0001/notifications "$TEST_DIR/mia" "csrf=$t" to=x channel=pigeon kind=external text=x)" = 422 ] &&
	[ "$(count notifications)" = "$n" ]
'

test_expect_success 'the dashboard shows every running clock with time left, overdue marked' '
	up &&
	[ "$(get / "$TEST_DIR/vic")" = 200 ] && body_has "id=\"dash-clocks\"" &&
	body_has "IR-2026-0002" && body_has "GDPR 72 hours" &&
	grep -q "<tr class=\"clock clock-overdue\"><td><a href=\"/incidents/IR-2026-0002\">" "$TEST_DIR/body" &&
	body_has "Overdue" && body_has "APPI final report (確報)" && body_has "26d 14h" &&
	body_lacks "clock-satisfied" &&
	body_has "Recent reminders" && grep -q "class=\"reminder\">.*IR-2026-0002.*GDPR 72 hours: Overdue" "$TEST_DIR/body" &&
	[ "$(get / "$TEST_DIR/vic" -H "Accept-Language: ja")" = 200 ] &&
	body_has "GDPR 72時間" && body_has "期限超過" && body_has "個人情報保護委員会への確報"
'

test_done
