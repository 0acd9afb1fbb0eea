#!/usr/bin/env bash
# t1510-evidence-cli-pages.sh: the evidence locker from the command line
# (add into the folder `irdesk init` made, list, show, custody steps,
# download, verify with a flipped byte, holds, deletion, due, bad input)
# and through the pages as a browser uses them (the incident page's
# section, a streamed upload with its CSRF token, the item page's custody
# log and forms, Japanese labels, outsiders kept out).
. "$(dirname "$0")/lib.sh"

PW=evidence-pages-password-1
URL=

# The folder `irdesk init` recorded (relative to where it ran, the test folder).
evdir() { local d; d=$(db_sql "SELECT value FROM meta WHERE key = 'evidence_dir'"); case "$d" in /*) echo "$d" ;; *) echo "$TEST_DIR/$d" ;; esac; }
items() { db_sql "SELECT count(*) FROM evidence"; }

test_expect_success 'setup: accounts, two incidents, a vendor on the first' '
	irdesk init > /dev/null &&
	echo "$PW" | irdesk user add fe --role forensic_engineer --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add boss --role commander --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add vendor --role forensic_engineer --external --password-stdin > /dev/null &&
	irdesk incident new --title "Targeted mail to the pension office" --type targeted_attack --json | jq -r .id > inc_a &&
	irdesk incident new --title "DDoS on the event site" --type dos --json | jq -r .id > inc_b &&
	irdesk incident member "$(cat inc_a)" vendor forensic_engineer > /dev/null &&
	echo "$PW" | irdesk user add vic --role viewer --password-stdin > /dev/null &&
	[ -d "$(evdir)" ]
'
A=$(cat "$TEST_DIR/inc_a" 2>/dev/null)
B=$(cat "$TEST_DIR/inc_b" 2>/dev/null)

test_expect_success 'evidence add stores the file under its SHA-256 in the init folder, once per content' '
	printf "From: attacker@example.org\nSubject: 年金\n\nhello\n" > mail.eml &&
	want=$(sha256sum mail.eml | cut -d" " -f1) &&
	expect_code 0 irdesk --as fe evidence add "$A" mail.eml --source mx01 --acquired-at "2026-11-20 09:00" \
		--description "the first targeted mail" &&
	stdout_has "sha256 $want" &&
	[ "$(sha256sum "$(evdir)/${want:0:2}/$want" | cut -d" " -f1)" = "$want" ] &&
	irdesk evidence add "$B" mail.eml --source mx02 --acquired-at now --json > two.json &&
	[ "$(jq -r .sha256 two.json)" = "$want" ] && [ "$(jq -r .acquired_by two.json)" = "cli:$(id -un)" ] &&
	[ "$(find "$(evdir)" -type f | wc -l)" = 1 ] &&
	irdesk evidence list "$A" --json > list.json && [ "$(jq length list.json)" = 1 ] &&
	[ "$(jq -r ".[0].media_type" list.json)" = text/plain ] &&
	[ "$(jq -r ".[0].retain_until" list.json)" = 2031-11-19T00:00:00Z ]
'

test_expect_success 'bad input changes nothing and says what is wrong in one line' '
	n=$(items) && a=$(db_sql "SELECT count(*) FROM audit_log") &&
	expect_code 3 irdesk evidence add IR-2026-9999 mail.eml --source x --acquired-at now &&
	expect_code 4 irdesk evidence add "$A" mail.eml --source x --acquired-at "31 Febtober" &&
	stderr_has "acquired_at" &&
	expect_code 4 irdesk evidence add "$A" mail.eml --source x --acquired-at "now+1d" &&
	stderr_has "in the future" &&
	expect_code 4 irdesk evidence add "$A" mail.eml --acquired-at now && stderr_has "source: required" &&
	expect_code 4 irdesk evidence add "$A" mail.eml --source x --acquired-at now --media-type "not a type" &&
	expect_code 5 irdesk evidence add "$A" no-such-file --source x --acquired-at now &&
	expect_code 2 irdesk evidence add "$A" &&
	expect_code 2 irdesk evidence show twelve &&
	expect_code 6 irdesk --as vic evidence add "$A" mail.eml --source x --acquired-at now &&
	expect_code 3 irdesk --as vendor evidence add "$B" mail.eml --source x --acquired-at now &&
	[ "$(items)" = "$n" ] && [ "$(db_sql "SELECT count(*) FROM audit_log")" = "$a" ] &&
	! ls -a "$(evdir)" | grep -q "^.upload-"
'

test_expect_success 'custody steps from the CLI, download, and the log that records them' '
	expect_code 0 irdesk --as fe evidence handover 1 --from fe --to "police lab" --purpose "analysis" &&
	expect_code 0 irdesk --as fe evidence checkout 1 --purpose imaging &&
	expect_code 4 irdesk evidence checkout 1 --purpose again && stderr_has "checked out to fe" &&
	expect_code 0 irdesk --as fe evidence checkin 1 &&
	expect_code 0 irdesk evidence download 1 --output copy.eml && cmp copy.eml mail.eml &&
	expect_code 5 irdesk evidence download 1 --output copy.eml &&
	irdesk evidence custody 1 --json > custody.json &&
	[ "$(jq -r "map(.action)|join(\",\")" custody.json)" = acquired,handover,checkout,checkin,downloaded ] &&
	[ "$(jq -r ".[1].to" custody.json)" = "police lab" ] &&
	expect_code 0 irdesk evidence show 1 && stdout_has "police lab" && stdout_has "$(sha256sum mail.eml | cut -d" " -f1)"
'

test_expect_success 'verify: all match, then a flipped byte makes it exit 4 naming the item' '
	expect_code 0 irdesk evidence verify && stdout_has "2 items verified" &&
	want=$(sha256sum mail.eml | cut -d" " -f1) && f="$(evdir)/${want:0:2}/$want" &&
	chmod u+w "$f" && printf "X" | dd of="$f" bs=1 seek=3 conv=notrunc 2>/dev/null &&
	expect_code 4 irdesk evidence verify 1 && stderr_has "1 evidence item failed verification" &&
	stdout_has "mismatch  evidence 1 of $A" &&
	expect_code 4 irdesk evidence verify && stderr_has "2 evidence items failed" &&
	[ "$(irdesk evidence show 1 --json | jq -r .verified)" = mismatch ] &&
	cp mail.eml "$f"
'

test_expect_success 'a hold blocks deletion; deletion needs a commander and a reason; due lists old items' '
	expect_code 0 irdesk --as fe evidence hold 1 --reason "police request" &&
	expect_code 6 irdesk --as fe evidence release 1 --reason "done" &&
	expect_code 4 irdesk --as boss evidence delete 1 --reason "retention" && stderr_has "legal hold" &&
	expect_code 0 irdesk --as boss evidence release 1 --reason "case closed" &&
	expect_code 6 irdesk --as fe evidence delete 1 --reason "retention" &&
	expect_code 4 irdesk --as boss evidence delete 1 && stderr_has "reason: required" &&
	expect_code 0 irdesk --as boss evidence delete 1 --reason "retention over" &&
	[ "$(find "$(evdir)" -type f | wc -l)" = 1 ] &&
	irdesk evidence list "$A" --deleted --json | jq -e ".[0].deleted and .[0].delete_reason == \"retention over\"" &&
	expect_code 0 irdesk evidence add "$B" mail.eml --source old --acquired-at 2019-01-01 --retain-until 2020-01-01 &&
	expect_code 0 irdesk evidence due && stdout_has "2020-01-01 00:00 JST" &&
	[ "$(irdesk evidence due --json | jq length)" = 1 ] &&
	expect_code 0 irdesk audit verify
'

test_expect_success 'retention: later for a writer, earlier only with the right to delete, never before acquisition' '
	item=$(db_sql "SELECT max(id) FROM evidence") &&
	expect_code 0 irdesk --as fe evidence retain "$item" --retain-until 2031-04-01 --reason "litigation notice" &&
	stdout_has "2031-03-31T15:00:00Z" && [ "$(irdesk evidence due --json | jq length)" = 0 ] &&
	expect_code 6 irdesk --as fe evidence retain "$item" --retain-until 2030-01-01 --reason "shorter" &&
	expect_code 4 irdesk --as boss evidence retain "$item" --retain-until 2018-01-01 --reason x &&
	stderr_has "before acquired_at" &&
	expect_code 4 irdesk --as boss evidence retain "$item" --retain-until 2030-01-01 && stderr_has "reason: required" &&
	expect_code 4 irdesk --as boss evidence retain "$item" --retain-until soon --reason x && stderr_has "retain_until" &&
	expect_code 4 irdesk --as boss evidence retain "$item" --retain-until 2031-04-01 --reason x && stderr_has "already kept" &&
	[ "$(irdesk evidence show "$item" --json | jq -r .retain_until)" = 2031-03-31T15:00:00Z ] &&
	expect_code 0 irdesk --as boss evidence retain "$item" --retain-until 2030-01-01 --reason "notice withdrawn" &&
	irdesk evidence show "$item" --json |
		jq -e "[.custody[] | select(.action == \"retention\")] | length == 2 and .[1].purpose == \"notice withdrawn\"" &&
	expect_code 0 irdesk audit verify
'

test_expect_success 'pages: the incident shows its evidence and a streamed upload with the CSRF token in the URL' '
	start_server "$TEST_DIR/serve.log" && up && signin fe "$TEST_DIR/fe" &&
	[ "$(get "/incidents/$B" "$TEST_DIR/fe")" = 200 ] &&
	body_has "id=\"evidence\"" && body_has "enctype=\"multipart/form-data\"" &&
	action=$(grep -o "action=\"/incidents/$B/evidence?csrf=[^\"]*\"" "$TEST_DIR/body" | head -1 | sed "s/^action=\"//;s/\"$//") &&
	[ -n "$action" ] &&
	head -c 300000 /dev/urandom > dump.bin &&
	n=$(items) &&
	code=$(curl -sS -b "$TEST_DIR/fe" -o /dev/null -w "%{http_code}" -F source=web01 -F acquired_at=now \
		-F "file=@dump.bin" "$URL/incidents/$B/evidence") && [ "$code" = 403 ] && [ "$(items)" = "$n" ] &&
	code=$(curl -sS -b "$TEST_DIR/fe" -D "$TEST_DIR/hdr" -o /dev/null -w "%{http_code}" -F source=web01 \
		-F acquired_at=now --form-string "description=<script>x</script>" -F "file=@dump.bin" "$URL$action") &&
	[ "$code" = 303 ] && location | grep -q "^/incidents/$B/evidence/[0-9]*?done=evidence_added$" &&
	[ "$(get "$(location)" "$TEST_DIR/fe")" = 200 ] &&
	body_has "$(sha256sum dump.bin | cut -d" " -f1)" && body_has "&lt;script&gt;x&lt;/script&gt;" &&
	body_lacks "<script>x" && body_has "Chain of custody" && body_has "custody-acquired"
'

test_expect_success 'pages: custody forms, verify, download, Japanese labels; outsiders get 404' '
	up && item=$(db_sql "SELECT max(id) FROM evidence") && page="/incidents/$B/evidence/$item" &&
	[ "$(get "$page" "$TEST_DIR/fe")" = 200 ] && token=$(csrf) &&
	[ "$(post "$page" "$TEST_DIR/fe" "csrf=$token" op=handover from=fe to=vendor-lab purpose=imaging)" = 303 ] &&
	[ "$(post "$page" "$TEST_DIR/fe" "csrf=$token" op=verify)" = 303 ] &&
	location | grep -q "done=evidence_verified" &&
	[ "$(post "$page" "$TEST_DIR/fe" "csrf=$token" op=retain retain_until=2020-01-01 reason=x)" = 422 ] &&
	body_has "before acquired_at" &&
	[ "$(post "$page" "$TEST_DIR/fe" "csrf=$token" op=retain retain_until=2040-01-01 reason=archive)" = 303 ] &&
	[ "$(get "$page" "$TEST_DIR/fe")" = 200 ] && body_has "custody-retention" && body_has "2039-12-31T15:00:00Z" &&
	[ "$(post "$page" "$TEST_DIR/fe" "csrf=$token" op=delete reason=x)" = 403 ] &&
	body_has "may not" &&
	[ "$(post "$page" "$TEST_DIR/fe" op=verify)" = 403 ] &&
	[ "$(get "$page/download" "$TEST_DIR/fe")" = 200 ] && cmp "$TEST_DIR/body" dump.bin &&
	[ "$(get "$page" "$TEST_DIR/fe" -H "Accept-Language: ja")" = 200 ] &&
	body_has "証拠保全の記録" && body_has "引き渡し" && body_has "検証: 一致" && body_has "ダウンロード" &&
	signin vendor "$TEST_DIR/vendor" &&
	[ "$(get "$page" "$TEST_DIR/vendor")" = 404 ] && [ "$(get "$page/download" "$TEST_DIR/vendor")" = 404 ] &&
	[ "$(get "/incidents/$A/evidence/$item" "$TEST_DIR/vendor")" = 404 ] &&
	[ "$(get "/incidents/$A" "$TEST_DIR/vendor")" = 200 ] && body_has "id=\"evidence\"" &&
	server && kill -TERM "$PID" && [ "$(wait_exit)" = 0 ] &&
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TEST_DIR/serve.log"
'

test_done
