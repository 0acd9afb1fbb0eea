#!/usr/bin/env bash
# t0220-catalog-reports.sh: the incident catalog and what it does, as a
# handler meets it: check a catalog folder (every problem with file:line),
# a BEC incident that gets the BEC playbook and cannot reach post_incident
# while its payment status is empty unless a commander forces it with a
# reason; reports generated in Japanese and English, kept as versions that
# read back byte for byte; a catalog of one's own with --catalog.
. "$(dirname "$0")/lib.sh"

export IRDESK_NOW=2026-11-27T03:00:00Z
ID=IR-2026-0001

test_expect_success 'setup: accounts' '
	irdesk init > /dev/null &&
	irdesk user add carol --role incident_handler > /dev/null &&
	irdesk user add bob --role commander > /dev/null &&
	irdesk user add vic --role viewer > /dev/null
'

test_expect_success 'catalog check: the built-in catalog, copied, is valid' '
	irdesk catalog check "$TEST_TOP/data/catalog" > out &&
	grep -q ": ok (13 types, 2 threat lists, 2 sheets)" out &&
	irdesk --json catalog check "$TEST_TOP/data/catalog" | jq -e ".ok == true"
'

test_expect_success 'catalog check names the file and line of every problem' '
	cp -r "$TEST_TOP/data/catalog" cat &&
	sed -i "s/^    required_before: post_incident$/    required_befor: post_incident/" cat/types/bec.yaml &&
	sed -i "s/^retention_days: .*/retention_days: forever/" cat/types/dos.yaml &&
	rm cat/types/insider.yaml &&
	expect_code 4 irdesk catalog check cat &&
	stdout_has "types/bec.yaml:" && stdout_has "unknown key '\''required_befor'\'' in an item" &&
	stdout_has "'\''retention_days'\'' must be a number of days" &&
	stdout_has "no file for type insider" &&
	stderr_has "3 problems in the catalog in cat" &&
	line=$(grep -n "required_befor:" cat/types/bec.yaml | cut -d: -f1) &&
	stdout_has "types/bec.yaml:$line: unknown key" &&
	{ irdesk --json catalog check cat > p.json || [ $? = 4 ]; } &&
	[ "$(jq ".problems | length" p.json)" = 3 ] &&
	expect_code 3 irdesk catalog check no/such/folder
'

test_expect_success 'catalog show and threats' '
	irdesk catalog show > types.txt &&
	[ "$(grep -c "^[a-z_]* *[0-9]* *[0-9]* *[0-9]* days" types.txt)" = 13 ] &&
	irdesk catalog show bec > bec.txt &&
	grep -q "^payment_status  *choice  *post_incident" bec.txt &&
	grep -q "^bec_" bec.txt &&
	IRDESK_LANG=en irdesk catalog threats 2018 > t.txt &&
	grep -q "^2018:bec  *3  *Business e-mail compromise" t.txt &&
	expect_code 3 irdesk catalog show worms &&
	irdesk catalog sheet windows_volatile | head -1 | grep -q "^# " &&
	irdesk catalog sheet linux_volatile | grep -q "ss -"
'

test_expect_success 'a BEC incident gets the NIST and BEC playbook tasks' '
	irdesk incident new --title "取引先を名乗る口座変更依頼" --type bec --owner carol \
		--functional-impact low --information-impact none --recoverability supplemented > /dev/null &&
	irdesk task list $ID --json > tasks.json &&
	[ "$(jq "[.[] | select(.step | startswith(\"nist_\"))] | length" tasks.json)" -ge 9 ] &&
	[ "$(jq "[.[] | select(.step | startswith(\"bec_\"))] | length" tasks.json)" -ge 4 ] &&
	[ "$(jq -r "[.[] | select(.sheet != null)] | .[0].sheet" tasks.json)" = windows_volatile ] &&
	irdesk incident set $ID --type ransomware > /dev/null &&
	irdesk incident set $ID --type bec > /dev/null &&
	[ "$(irdesk task list $ID --json | jq "[.[] | select(.step | startswith(\"bec_\"))] | length")" = \
	  "$(jq "[.[] | select(.step | startswith(\"bec_\"))] | length" tasks.json)" ] &&
	[ "$(irdesk task list $ID --json | jq "[.[] | select(.step | startswith(\"ransomware_\"))] | length")" -ge 4 ]
'

test_expect_success 'the gates: containment needs the amount and the account, post_incident the payment status' '
	irdesk incident move $ID triage > /dev/null && irdesk incident move $ID analysis > /dev/null &&
	expect_code 4 irdesk incident move $ID containment &&
	stderr_has "missing items required before containment: counterparty,amount,bank_account" &&
	irdesk incident item $ID "counterparty=株式会社取引先 (登録済み番号 03-1111-2222)" amount=3,800,000 \
		"bank_account=架空銀行 本店 普通 1234567" > /dev/null &&
	expect_code 4 irdesk incident item $ID amount=たくさん && stderr_has "amount: " &&
	expect_code 4 irdesk incident item $ID nothing=1 && stderr_has "no such item" &&
	expect_code 2 irdesk incident item $ID amount &&
	[ "$(irdesk --json incident item $ID | jq -r ".items[] | select(.key==\"amount\") | .value")" = 3800000 ] &&
	irdesk incident move $ID containment > /dev/null &&
	irdesk incident move $ID eradication > /dev/null && irdesk incident move $ID recovery > /dev/null &&
	irdesk incident item $ID public_disclosure=none cause="偽の請求書メール" business_impact="支払遅延" \
		> /dev/null &&
	irdesk incident set $ID --occurred-at "2026-11-20 10:00" > /dev/null &&
	expect_code 4 irdesk incident move $ID post_incident &&
	stderr_has "before post_incident: payment_status" &&
	irdesk incident show $ID > show.txt && grep -q "missing for post_incident  *payment_status" show.txt
'

test_expect_success 'only a commander forces the move, with a reason on the timeline and in the audit log' '
	expect_code 6 irdesk --as carol incident move $ID post_incident --force --reason "bank is slow" &&
	expect_code 4 irdesk --as bob incident move $ID post_incident --force && stderr_has "needs a reason" &&
	irdesk --as bob incident move $ID post_incident --force --reason "the bank answers next month" > out &&
	grep -q "now post_incident" out &&
	irdesk --json incident show $ID | jq -r ".timeline[-1].text" | grep -q "forced with items missing: payment_status" &&
	[ "$(db_sql "select count(*) from audit_log where action = '\''incident.gate.force'\''")" = 1 ] &&
	irdesk incident item $ID payment_status=stopped > /dev/null &&
	irdesk incident move $ID closed > /dev/null
'

test_expect_success 'threat tags from the IPA lists' '
	irdesk incident threat $ID 2026:bec 2018:bec > /dev/null &&
	[ "$(irdesk --json incident item $ID | jq -r "[.threats[].ref] | join(\",\")")" = "2026:bec,2018:bec" ] &&
	expect_code 4 irdesk incident threat $ID 2026:nothing &&
	irdesk incident threat $ID 2018:bec --remove > /dev/null &&
	[ "$(irdesk --json incident item $ID | jq ".threats | length")" = 1 ]
'

test_expect_success 'APPI reports: each generation is a version that reads back byte for byte' '
	irdesk incident new --title "顧客情報の漏えい" --type info_leak --discovered-at "2026-02-26 23:30" > /dev/null &&
	L=IR-2026-0002 &&
	irdesk incident item $L organisation=株式会社サンプル "data_items=氏名
メールアドレス" > /dev/null &&
	irdesk report appi $L --format md > v1.md &&
	for n in 1 2 3 4 5 6 7 8 9; do grep -q "^| $n " v1.md || { echo "item $n missing"; exit 1; }; done &&
	grep -q "(未確認)" v1.md && grep -q "株式会社サンプル" v1.md &&
	irdesk incident item $L persons_count=1200 > /dev/null &&
	irdesk report appi_preliminary $L --format md > v2.md &&
	! cmp -s v1.md v2.md && grep -q "| 1200 |" v2.md && ! grep -q "| 1200 |" v1.md &&
	irdesk report show $L appi_preliminary 1 > again.md && cmp v1.md again.md &&
	[ "$(irdesk --json report list $L | jq -r ".[] | select(.version == 1) | .sha256")" = \
	  "$(sha256sum v1.md | cut -d" " -f1)" ] &&
	irdesk report list $L > list.txt && [ "$(grep -c "^appi_preliminary" list.txt)" = 2 ] &&
	irdesk report diff $L appi_preliminary 1 2 > d.txt &&
	grep -q "^+ .*| 1200 |" d.txt && grep -q "^- .*本人の数 | (未確認) |" d.txt &&
	grep -q "^  .*株式会社サンプル" d.txt &&
	[ "$(grep -c "^[-+] " d.txt)" -le 6 ] &&
	expect_code 3 irdesk report diff $L appi_preliminary 1 7 &&
	irdesk report kakuho $L --lang en --output final.html 2> out &&
	grep -q "APPI report to the PPC (final)" final.html && grep -q "<style>" final.html &&
	grep -q "version 1 written to final.html" out &&
	irdesk report notice $L --format md | grep -q "お問い合わせ窓口" &&
	printf "Received: from mx.example.invalid\n" > headers.txt &&
	irdesk evidence add $L headers.txt --source mail01 --acquired-at "2026-11-27 09:00" \
		--evidence-dir ev > /dev/null &&
	irdesk observable add $L "hxxp://evil.example[.]com/login" --ioc > /dev/null &&
	irdesk report incident $L --format md > inc.md &&
	grep -q "経済産業省ガイドライン付録C 表1" inc.md && grep -q "NIST SP 800-61 付録B" inc.md &&
	grep -q "時系列" inc.md &&
	grep -q "^| headers.txt | $(sha256sum headers.txt | cut -d" " -f1) | $(stat -c %s headers.txt) | mail01 |" inc.md &&
	grep -q "^| url | http://evil.example.com/login | TLP:AMBER | IOC |" inc.md
'

test_expect_success 'reports refuse bad input and the wrong people' '
	expect_code 4 irdesk report bogus IR-2026-0002 && stderr_has "unknown report" &&
	expect_code 4 irdesk report appi IR-2026-0002 --format pdf &&
	expect_code 2 irdesk report appi IR-2026-0002 --lang fr &&
	expect_code 3 irdesk report appi IR-2026-0099 &&
	expect_code 3 irdesk report show IR-2026-0002 appi_preliminary 9 &&
	expect_code 6 irdesk --as vic report appi IR-2026-0002 &&
	irdesk --as vic report show IR-2026-0002 appi_preliminary 1 | cmp - v1.md
'

test_expect_success 'the API generates, lists and returns reports; the page serves one with its own CSP' '
	irdesk token create admin --name t --json | jq -r .token > token &&
	start_server "$TEST_DIR/serve.log" &&
	api() { curl -sS -o out.json -w "%{http_code}" -H "Authorization: Bearer $(cat token)" \
		-H "Content-Type: application/json" "$@"; } &&
	U=http://127.0.0.1:$PORT/api/v1/incidents/IR-2026-0002 &&
	[ "$(api -X POST --data "{\"kind\":\"appi_final\",\"lang\":\"ja\",\"format\":\"md\"}" $U/reports)" = 201 ] &&
	[ "$(jq .version out.json)" = 1 ] && jq -r .body out.json | grep -q "確報" &&
	[ "$(api -X POST --data "{\"kind\":\"x\"}" $U/reports)" = 422 ] &&
	[ "$(api -X POST --data "{\"kind\":\"notice\",\"format\":\"pdf\"}" $U/reports)" = 422 ] &&
	[ "$(api $U/reports)" = 200 ] && [ "$(jq ".items | length" out.json)" -ge 6 ] &&
	[ "$(api $U/reports/appi_preliminary/1)" = 200 ] && jq -r .body out.json | cmp - <(cat v1.md; printf "") &&
	[ "$(api $U/reports/appi_preliminary/42)" = 404 ] &&
	[ "$(api $U/reports/appi_preliminary/1/diff/2)" = 200 ] && jq -r .diff out.json | grep -q "^+ .*1200" &&
	[ "$(api $U/reports/appi_preliminary/1/diff/x)" = 404 ] &&
	[ "$(api $U/items)" = 200 ] && [ "$(jq -r ".items[] | select(.key==\"persons_count\") | .value" out.json)" = 1200 ] &&
	[ "$(api -X PATCH --data "{\"data_items\":[\"氏名\",\"住所\"],\"persons_count\":null}" $U/items)" = 200 ] &&
	[ "$(jq -c "[.items[] | select(.key==\"data_items\") | .value[]]" out.json)" = "[\"氏名\",\"住所\"]" ] &&
	[ "$(jq -r "[.items[] | select(.key==\"persons_count\") | .filled][0]" out.json)" = false ] &&
	[ "$(api -X PATCH --data "{\"persons_count\":12}" $U/items)" = 422 ] &&
	[ "$(api http://127.0.0.1:$PORT/api/v1/catalog)" = 200 ] && [ "$(jq ".types | length" out.json)" = 13 ] &&
	[ "$(api http://127.0.0.1:$PORT/api/v1/catalog/sheets/linux_volatile)" = 200 ] &&
	curl -sS -D hdr -o page.html -H "Authorization: Bearer $(cat token)" \
		"http://127.0.0.1:$PORT/incidents/IR-2026-0002/reports/appi_final/1" &&
	grep -qi "^content-type: text/markdown" hdr &&
	irdesk report appi $L > /dev/null 2>&1; irdesk report appi IR-2026-0002 > /dev/null &&
	curl -sS -D hdr -o page.html -H "Authorization: Bearer $(cat token)" \
		"http://127.0.0.1:$PORT/incidents/IR-2026-0002/reports/appi_preliminary/3" &&
	grep -qi "^content-security-policy: default-src .none.; style-src .sha256-" hdr &&
	grep -q "個人情報保護委員会への報告(速報)" page.html
'

test_expect_success 'the server stops cleanly (no sanitizer reports)' '
	kill -TERM "$(cat "$TEST_DIR/pid")" &&
	for _ in $(seq 1 100); do [ -s "$TEST_DIR/exit" ] && break; sleep 0.1; done &&
	[ "$(cat "$TEST_DIR/exit")" = 0 ] &&
	! grep -q "ERROR: \(Address\|Leak\)Sanitizer\|runtime error" "$TEST_DIR/serve.log"
'

test_expect_success 'a catalog of ones own with --catalog changes the gates' '
	cp -r "$TEST_TOP/data/catalog" mine &&
	python3 - mine/types/phishing.yaml <<-EOF &&
	import sys
	p = sys.argv[1]; s = open(p).read()
	s = s.replace("    required_before: analysis\n", "    required_before: triage\n", 1)
	open(p, "w").write(s)
	EOF
	irdesk incident new --title "mine" --type phishing > /dev/null &&
	expect_code 4 irdesk --catalog mine incident move IR-2026-0003 triage &&
	stderr_has "before triage: phishing_kind" &&
	irdesk incident move IR-2026-0003 triage > /dev/null &&
	expect_code 4 irdesk --catalog cat incident show IR-2026-0003 && stderr_has "problems in the catalog"
'

test_expect_success 'every type goes from intake to closure following its playbook and gates' '
	for t in info_leak malware unauthorized_access dos bec ransomware targeted_attack supply_chain \
		 phishing web_defacement insider lost_device other; do
		id=$(irdesk --json incident new --title "all types: $t" --type $t --owner carol \
			--functional-impact low --information-impact none --recoverability regular | jq -r .id) &&
		[ "$(irdesk task list $id --json | jq "[.[] | select(.step != null)] | length")" -ge 10 ] &&
		for s in triage analysis containment eradication recovery post_incident closed; do
			fill_required $id && irdesk incident move $id $s > /dev/null ||
				{ echo "$t: stuck before $s"; exit 1; }
			for k in $(irdesk task list $id --json | jq -r ".[] | select(.phase == \"$s\" and .done == false) | .id"); do
				irdesk task done $k > /dev/null || exit 1
			done
		done || exit 1
	done
'

test_done
