#!/usr/bin/env bash
# t1110-mail-intake.sh: reported mail into the store: POST /api/v1/mail
# answers the analysis and turns a BEC mail into an alert with its reasons
# (a clean mail, garbage and an oversized body leave nothing behind; a
# viewer is refused), the same message twice is kept once, `irdesk mail
# submit` does the same from the CLI, the mail page shows the analysis
# escaped under a strict CSP, and promoting the alert puts the original
# message into the evidence locker.
. "$(dirname "$0")/lib.sh"

DATA=$TEST_TOP/tests/data/mail
PW=mail-intake-password-1
URL=

# mail TOKENFILE FILE [CONTENT-TYPE]: POST FILE to /api/v1/mail; the answer
# goes to $TEST_DIR/out, the status is printed.
mail() {
	curl -sS -o "$TEST_DIR/out" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $(cat "$1")" -H "Content-Type: ${3:-message/rfc822}" \
		--data-binary "@$2" "$URL/api/v1/mail"
}
alerts() { irdesk alert list --json | jq '.items | length'; }
kept() { db_sql "SELECT COUNT(*) FROM mail_reports"; }

test_expect_success 'setup: accounts with tokens, a server with the mail configuration' '
	irdesk init > /dev/null &&
	echo "$PW" | irdesk user add hana --role incident_handler --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add vic --role viewer --password-stdin > /dev/null &&
	irdesk token create hana --name t --json | jq -r .token > "$TEST_DIR/hana.tok" &&
	irdesk token create vic --name t --json | jq -r .token > "$TEST_DIR/vic.tok" &&
	start_server "$TEST_DIR/serve.log" --mail-config "$DATA/config.json"
'

test_expect_success 'a BEC mail becomes an alert naming the verdict and its reasons' '
	up &&
	[ "$(mail "$TEST_DIR/hana.tok" "$DATA/0001-bec-lookalike-supplier.eml")" = 201 ] &&
	[ "$(jq -r .verdict "$TEST_DIR/out")" = bec ] &&
	[ "$(jq -r .outcome "$TEST_DIR/out")" = created ] &&
	jq -e "[.reasons[].code] | index(\"lookalike_domain\") and index(\"reply_to_freemail\") and index(\"bank_account_change\")" "$TEST_DIR/out" > /dev/null &&
	id=$(jq -r .alert "$TEST_DIR/out") && echo "$id" > "$TEST_DIR/bec" &&
	irdesk alert show "$id" --json > "$TEST_DIR/alert.json" &&
	[ "$(jq -r .source "$TEST_DIR/alert.json")" = mail ] &&
	[ "$(jq -r .level "$TEST_DIR/alert.json")" = high ] &&
	jq -r .title "$TEST_DIR/alert.json" | grep -q "^bec: From: lookalike of supplier-abc.co.jp (supp1ier-abc.co.jp" &&
	jq -r .title "$TEST_DIR/alert.json" | grep -q "bank_account_change language (振込先口座の変更" &&
	[ "$(jq -r .entities.user "$TEST_DIR/alert.json")" = keiri@supp1ier-abc.co.jp ] &&
	jq -e ".event.mail.reply_to == \"keiri.abc@gmail.com\"" "$TEST_DIR/alert.json" > /dev/null &&
	[ "$(kept)" = 1 ]
'

test_expect_success 'the same message again is kept once and names the same alert' '
	up &&
	[ "$(mail "$TEST_DIR/hana.tok" "$DATA/0001-bec-lookalike-supplier.eml" application/octet-stream)" = 200 ] &&
	[ "$(jq -r .outcome "$TEST_DIR/out")" = duplicate ] &&
	[ "$(jq -r .alert "$TEST_DIR/out")" = "$(cat "$TEST_DIR/bec")" ] &&
	[ "$(kept)" = 1 ] && [ "$(alerts)" = 1 ]
'

test_expect_success 'a clean mail is answered with its analysis and no alert' '
	up &&
	[ "$(mail "$TEST_DIR/hana.tok" "$DATA/0102-ham-invoice-from-partner.eml")" = 200 ] &&
	[ "$(jq -r .verdict "$TEST_DIR/out")" = clean ] &&
	[ "$(jq -r .alert "$TEST_DIR/out")" = null ] &&
	[ "$(alerts)" = 1 ] && [ "$(kept)" = 1 ]
'

test_expect_success 'garbage, an empty or oversized body and a JSON body are refused; nothing is stored' '
	up &&
	[ "$(mail "$TEST_DIR/hana.tok" "$DATA/0401-garbage.eml")" = 400 ] &&
	jq -e ".error.message | test(\"not a mail\")" "$TEST_DIR/out" > /dev/null &&
	: > "$TEST_DIR/empty.eml" &&
	[ "$(mail "$TEST_DIR/hana.tok" "$TEST_DIR/empty.eml")" = 400 ] &&
	{ cat "$DATA/0001-bec-lookalike-supplier.eml"; head -c 26300000 /dev/zero | tr "\0" "a"; } > "$TEST_DIR/big.eml" &&
	[ "$(mail "$TEST_DIR/hana.tok" "$TEST_DIR/big.eml")" = 413 ] &&
	[ "$(mail "$TEST_DIR/hana.tok" "$DATA/0004-phish-link-mismatch.eml" application/json)" = 400 ] &&
	jq -e ".error.message | test(\"message/rfc822\")" "$TEST_DIR/out" > /dev/null &&
	[ "$(alerts)" = 1 ] && [ "$(kept)" = 1 ]
'

test_expect_success 'a viewer may not submit mail (403), and nothing is stored' '
	up &&
	[ "$(mail "$TEST_DIR/vic.tok" "$DATA/0004-phish-link-mismatch.eml")" = 403 ] &&
	[ "$(alerts)" = 1 ] && [ "$(kept)" = 1 ]
'

test_expect_success 'irdesk mail submit does the same from the CLI' '
	irdesk mail submit --json --config "$DATA/config.json" "$DATA/0004-phish-link-mismatch.eml" \
		"$DATA/0103-ham-exec-real.eml" > "$TEST_DIR/cli.json" &&
	[ "$(jq -s "map(.verdict) | join(\",\")" -r "$TEST_DIR/cli.json")" = "phishing,clean" ] &&
	[ "$(jq -s -r ".[0].outcome" "$TEST_DIR/cli.json")" = created ] &&
	[ "$(alerts)" = 2 ] && [ "$(kept)" = 2 ] &&
	expect_code 4 irdesk mail submit "$DATA/0401-garbage.eml" && stderr_has "not a mail" &&
	expect_code 6 irdesk --as vic mail submit "$DATA/0004-phish-link-mismatch.eml" &&
	stderr_has "may not triage alerts" && [ "$(kept)" = 2 ]
'

test_expect_success 'the mail page shows a hostile mail escaped, under a strict CSP, linked from the alert' '
	up &&
	[ "$(mail "$TEST_DIR/hana.tok" "$DATA/0601-phish-hostile-html.eml")" = 201 ] &&
	id=$(jq -r .alert "$TEST_DIR/out") &&
	signin hana "$TEST_DIR/hana" &&
	[ "$(get "/alerts/$id" "$TEST_DIR/hana")" = 200 ] && body_has "href=\"/alerts/$id/mail\"" &&
	[ "$(get "/alerts/$id/mail" "$TEST_DIR/hana")" = 200 ] &&
	body_has "&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;" &&
	body_lacks "<script>alert(" && body_lacks "<img src=x" && body_lacks "onerror=alert(2)>" &&
	body_lacks "tracker.example.net/pixel.gif\"" && body_lacks "<b onmouseover" &&
	body_has "http://198.51.100.7/login?x=&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" &&
	body_has "link_ip_address" && body_has "credential_lure" && body_has "service@paypa1-signin.com" &&
	grep -i "^content-security-policy:" "$TEST_DIR/hdr" | grep -q "default-src .none." &&
	! grep -i "^content-security-policy:" "$TEST_DIR/hdr" | grep -q "img-src" &&
	[ "$(get "/alerts/99999/mail" "$TEST_DIR/hana")" = 404 ] &&
	bec=$(cat "$TEST_DIR/bec") &&
	[ "$(get "/alerts/$bec/mail" "$TEST_DIR/hana" -H "Accept-Language: ja")" = 200 ] &&
	body_has "振込先口座の変更" && body_has "keiri.abc@gmail.com"
'

test_expect_success 'GET /api/v1/alerts/{id}/mail lists the kept mails with their analysis' '
	up && bec=$(cat "$TEST_DIR/bec") &&
	code=$(curl -sS -o "$TEST_DIR/out" -w "%{http_code}" -H "Authorization: Bearer $(cat "$TEST_DIR/vic.tok")" \
		"$URL/api/v1/alerts/$bec/mail") && [ "$code" = 200 ] &&
	[ "$(jq -r ".items[0].analysis.verdict" "$TEST_DIR/out")" = bec ] &&
	[ "$(jq -r ".items[0].sha256" "$TEST_DIR/out")" = "$(sha256sum < "$DATA/0001-bec-lookalike-supplier.eml" | cut -d" " -f1)" ]
'

test_expect_success 'promoting the alert puts the original message into the evidence locker' '
	bec=$(cat "$TEST_DIR/bec") &&
	irdesk alert triage "$bec" promote --json > "$TEST_DIR/tri.json" &&
	hid=$(jq -r .incident "$TEST_DIR/tri.json") &&
	irdesk evidence list "$hid" --json > "$TEST_DIR/ev.json" &&
	[ "$(jq -r ".[0].name" "$TEST_DIR/ev.json")" = reported-mail-1.eml ] &&
	[ "$(jq -r ".[0].sha256" "$TEST_DIR/ev.json")" = "$(sha256sum < "$DATA/0001-bec-lookalike-supplier.eml" | cut -d" " -f1)" ] &&
	[ "$(db_sql "SELECT COUNT(*) FROM mail_reports WHERE evidence_id IS NOT NULL")" = 1 ] &&
	irdesk audit list --json | jq -e "[.items[].action] | index(\"mail.submit\")" > /dev/null
'

test_expect_success 'a report forwarded inline: the alert is about the original, the page says what was lost' '
	up &&
	[ "$(mail "$TEST_DIR/hana.tok" "$DATA/0701-bec-fwd-inline-gmail-ja.eml")" = 201 ] &&
	[ "$(jq -r .verdict "$TEST_DIR/out")" = bec ] &&
	id=$(jq -r .alert "$TEST_DIR/out") &&
	irdesk alert show "$id" --json > "$TEST_DIR/alert.json" &&
	[ "$(jq -r .entities.user "$TEST_DIR/alert.json")" = keiri@supp1ier-abc.co.jp ] &&
	jq -r .title "$TEST_DIR/alert.json" | grep -q "^bec: From: lookalike of supplier-abc.co.jp (supp1ier-abc.co.jp" &&
	[ "$(get "/alerts/$id/mail" "$TEST_DIR/hana")" = 200 ] &&
	body_has "Forwarded inline" && body_has "keiri@supp1ier-abc.co.jp" && ! body_has "h.sato@example.co.jp&gt;" &&
	[ "$(get "/alerts/$id/mail" "$TEST_DIR/hana" -H "Accept-Language: ja")" = 200 ] &&
	body_has "本文に転送された報告"
'

test_expect_success 'an outsider'"'"'s Fwd: is judged as itself; the page says why it was not unwrapped' '
	up &&
	[ "$(mail "$TEST_DIR/hana.tok" "$DATA/0710-bec-outsider-attached-decoy.eml")" = 201 ] &&
	[ "$(jq -r .verdict "$TEST_DIR/out")" = bec ] &&
	[ "$(jq -r .message.forwarded "$TEST_DIR/out")" = false ] &&
	id=$(jq -r .alert "$TEST_DIR/out") &&
	[ "$(get "/alerts/$id/mail" "$TEST_DIR/hana")" = 200 ] &&
	body_has "What the analysis could not see" && body_has "Not unwrapped as a report" &&
	! body_has "eigyo@supplier-abc.co.jp" &&
	[ "$(get "/alerts/$id/mail" "$TEST_DIR/hana" -H "Accept-Language: ja")" = 200 ] &&
	body_has "報告としては展開していません"
'

stop_server() { kill "$(cat "$TEST_DIR/pid")"; wait_exit > /dev/null; }
test_expect_success 'stop' 'stop_server'
test_done
