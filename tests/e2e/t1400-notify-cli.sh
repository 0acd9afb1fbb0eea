#!/usr/bin/env bash
# t1400-notify-cli.sh: `irdesk contact` and `irdesk notify` as a user runs
# them: the contact directory with CSV import and export (Japanese, quotes,
# embedded commas and newlines; a bad file names its lines and adds
# nothing), notifications with their timeline entries, the breach flags and
# the clocks they start (速報 due 5 calendar days after discovery in Japan's
# zone), satisfaction by a notification, --overdue, and the settings
# (admin only). Bad input exits non-zero with one message and changes nothing.
. "$(dirname "$0")/lib.sh"

export IRDESK_NOW="2026-02-28T00:00:00Z" # 2026-02-28 09:00 JST
PW=notify-cli-password-1

count() { db_sql "SELECT COUNT(*) FROM $1"; }

test_expect_success 'setup: a database, accounts and an incident discovered 2026-02-26 23:30 JST' '
	irdesk init > /dev/null &&
	echo "$PW" | irdesk user add nora --role notification --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add vic --role viewer --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add ext --role notification --external --password-stdin > /dev/null &&
	irdesk incident new --title "顧客情報の漏えい" --discovered-at "2026-02-26 23:30 JST" --json |
		jq -r .id > "$TEST_DIR/hid" &&
	grep -q "^IR-2026-" "$TEST_DIR/hid"
'

test_expect_success 'contacts are added, listed with who is on call, shown and changed' '
	irdesk --as nora contact add "JPCERT/CC" --scope external --category jpcert \
		--email info@jpcert.or.jp --phone 03-6271-8901 --on-call yes > /dev/null &&
	irdesk --as nora contact add "広報 佐藤" --scope internal --category pr --roles "pr,spokesperson" > /dev/null &&
	irdesk --as vic contact list > list.txt &&
	head -2 list.txt | grep -q "yes *JPCERT/CC" && grep -q "広報 佐藤" list.txt &&
	irdesk contact list --on-call-only --json | jq -e "length == 1" > /dev/null &&
	irdesk --as nora contact edit 2 --on-call yes --notes "夜間は携帯" --json | jq -e ".on_call and .notes == \"夜間は携帯\"" > /dev/null &&
	irdesk contact show 2 | grep -q "夜間は携帯"
'

test_expect_success 'bad contacts and those without the permission are refused, nothing changes' '
	before=$(count contacts) && audit=$(count audit_log) &&
	expect_code 4 irdesk contact add X --scope outside --category pr && stderr_has "scope" &&
	expect_code 4 irdesk contact add X --scope internal --category spies && stderr_has "category" &&
	expect_code 4 irdesk contact add X --scope internal --category pr --email nobody && stderr_has "email" &&
	expect_code 2 irdesk contact add --scope internal --category pr &&
	expect_code 6 irdesk --as vic contact add X --scope internal --category pr &&
	expect_code 6 irdesk --as ext contact list && stderr_has "external" &&
	expect_code 3 irdesk contact show 99 &&
	expect_code 2 irdesk contact show abc &&
	[ "$(count contacts)" = "$before" ] && [ "$(count audit_log)" = "$audit" ]
'

test_expect_success 'CSV export and import keep Japanese, quotes, commas and newlines' '
	printf "name,organisation,scope,category,notes\r\n\"山田, 太郎\",法務部,internal,legal,\"一行目\n\"\"二行目\"\"\"\r\n" > in.csv &&
	irdesk --as nora contact import in.csv | grep -q "imported 1 contact" &&
	irdesk contact export out.csv &&
	head -1 out.csv | grep -q "^name,organisation,scope,category,roles,email,phone,channel,on_call,notes" &&
	grep -q "^\"山田, 太郎\",法務部,internal,legal" out.csv &&
	grep -q "^\"\"二行目\"\"\"" out.csv &&
	irdesk --db "sqlite:$TEST_DIR/other.db" init > /dev/null &&
	irdesk --db "sqlite:$TEST_DIR/other.db" contact import - < out.csv > /dev/null &&
	irdesk --db "sqlite:$TEST_DIR/other.db" contact export > again.csv &&
	cmp out.csv again.csv
'

test_expect_success 'a bad CSV names each bad line and adds nothing' '
	before=$(count contacts) &&
	printf "name,scope,category\nA,internal,it\nB,nowhere,it\nC,internal,spies\n" > bad.csv &&
	expect_code 4 irdesk contact import bad.csv &&
	stderr_has "line 3: scope" && stderr_has "line 4: category" &&
	[ "$(count contacts)" = "$before" ]
'

test_expect_success 'breach flags start the 速報 and 確報 clocks from discovery, in JST' '
	hid=$(cat "$TEST_DIR/hid") &&
	irdesk notify breach "$hid" --personal-data yes --over-1000 yes --json > b.json &&
	jq -e ".personal_data and .over_1000 and (.gdpr|not)" b.json > /dev/null &&
	[ "$(jq -r ".clocks[0].clock" b.json)" = appi_preliminary ] &&
	[ "$(jq -r ".clocks[0].due_at" b.json)" = 2026-03-03T14:30:00Z ] &&
	[ "$(jq -r ".clocks[1].due_at" b.json)" = 2026-03-28T14:30:00Z ] &&
	irdesk notify clocks > clocks.txt &&
	grep -q "appi_preliminary *2026-03-03 23:30 JST *3d 14h *running" clocks.txt &&
	irdesk incident show "$hid" | grep -q "Personal-data breach flags: personal_data yes, over_1000 yes"
'

test_expect_success 'bad flags and notifications are refused and change nothing' '
	hid=$(cat "$TEST_DIR/hid") &&
	n=$(count notifications) && t=$(count timeline) && a=$(count audit_log) &&
	expect_code 4 irdesk notify breach "$hid" --gdpr maybe && stderr_has "gdpr" &&
	expect_code 6 irdesk --as vic notify breach "$hid" --gdpr yes &&
	expect_code 4 irdesk notify add "$hid" --to PPC --channel pigeon --kind appi_preliminary --text x &&
	stderr_has "channel" &&
	expect_code 4 irdesk notify add "$hid" --to PPC --channel email --kind rumour --text x &&
	expect_code 4 irdesk notify add "$hid" --to PPC --channel email --kind external &&
	stderr_has "text: required" &&
	expect_code 4 irdesk notify add "$hid" --channel email --kind external --text x &&
	expect_code 4 irdesk notify add "$hid" --to PPC --channel email --kind external --text x --at "2027-01-01" &&
	stderr_has "future" &&
	expect_code 4 irdesk notify add "$hid" --contact 99 --channel email --kind external --text x &&
	expect_code 6 irdesk --as vic notify add "$hid" --to PPC --channel email --kind external --text x &&
	expect_code 3 irdesk --as ext notify add "$hid" --to PPC --channel email --kind external --text x &&
	expect_code 3 irdesk --as ext notify list "$hid" &&
	expect_code 3 irdesk notify list IR-2026-9999 &&
	[ "$(count notifications)" = "$n" ] && [ "$(count timeline)" = "$t" ] && [ "$(count audit_log)" = "$a" ]
'

test_expect_success 'a notification is recorded with its text, on the timeline, and satisfies its clock' '
	hid=$(cat "$TEST_DIR/hid") &&
	printf "個人情報保護委員会 御中\n速報を提出します。\n" > sokuho.txt &&
	irdesk --as nora notify add "$hid" --contact 1 --channel web_form --kind appi_preliminary \
		--subject "速報" --text-file sokuho.txt --at "2026-02-28 08:00 JST" --json > n.json &&
	[ "$(jq -r .recipient n.json)" = "JPCERT/CC" ] && [ "$(jq -r .contact_id n.json)" = 1 ] &&
	jq -r .text n.json | grep -q "速報を提出します" &&
	irdesk notify list "$hid" | grep -q "2026-02-28 08:00 JST *appi_preliminary *web_form *JPCERT/CC" &&
	irdesk incident show "$hid" | grep -q "communication.*Notification (appi_preliminary, web_form) to JPCERT/CC: 速報" &&
	irdesk notify clocks "$hid" --json | jq -e ".[0].state == \"satisfied\" and .[1].state == \"running\"" > /dev/null &&
	[ "$(db_sql "SELECT COUNT(*) FROM audit_log WHERE action = '\''notify.add'\''")" = 1 ]
'

test_expect_success 'clocks turn overdue; --overdue lists only those; GDPR runs 72 hours' '
	hid=$(cat "$TEST_DIR/hid") &&
	irdesk notify breach "$hid" --gdpr yes > /dev/null &&
	IRDESK_NOW="2026-03-02T00:00:00Z" irdesk notify clocks --overdue --json > o.json &&
	[ "$(jq length o.json)" = 1 ] && [ "$(jq -r ".[0].clock" o.json)" = gdpr ] &&
	[ "$(jq -r ".[0].due_at" o.json)" = 2026-03-01T14:30:00Z ] &&
	IRDESK_NOW="2026-03-02T00:00:00Z" irdesk notify clocks | grep -q "gdpr .*overdue"
'

test_expect_success 'settings: shown to all, changed by an admin only, checked first' '
	irdesk --as vic notify config | grep -q "preliminary_days *5" &&
	expect_code 6 irdesk --as nora notify config preliminary_days 3 &&
	expect_code 4 irdesk notify config preliminary_days 0 &&
	expect_code 4 irdesk notify config zone Nowhere/Town &&
	expect_code 4 irdesk notify config colour red &&
	expect_code 2 irdesk notify config preliminary_days &&
	irdesk notify config preliminary_days 3 > /dev/null &&
	irdesk notify config --json | jq -e ".preliminary_days == 3" > /dev/null &&
	irdesk notify clocks "$(cat "$TEST_DIR/hid")" --json | jq -e ".[0].due_at == \"2026-03-01T14:30:00Z\"" > /dev/null
'

test_done
