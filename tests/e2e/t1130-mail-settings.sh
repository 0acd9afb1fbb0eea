#!/usr/bin/env bash
# t1130-mail-settings.sh: the reported-mail analyser's settings saved in the
# store: while none are saved the --mail-config file applies; an admin
# changes them by the API, the CLI or the /settings/mail page (bad input
# refused with a message and nothing changed; others refused), the change
# is audited and applies to the next analysis without a restart, also when
# another process (another node) saved it; `mail submit` uses them too.
. "$(dirname "$0")/lib.sh"

DATA=$TEST_TOP/tests/data/mail
PW=mail-settings-password-1
URL=

api() { # METHOD PATH TOKENFILE [BODYFILE]: the status; the answer in $TEST_DIR/out
	local args=(-X "$1" -H "Authorization: Bearer $(cat "$3")")
	[ $# -ge 4 ] && args+=(-H "Content-Type: application/json" --data-binary "@$4")
	curl -sS -o "$TEST_DIR/out" -w '%{http_code}' "${args[@]}" "$URL$2"
}
mail() {
	curl -sS -o "$TEST_DIR/out" -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "$1")" \
		-H "Content-Type: message/rfc822" --data-binary "@$2" "$URL/api/v1/mail"
}
codes() { jq -c '[.reasons[].code]' "$TEST_DIR/out"; }
audited() { db_sql "SELECT COUNT(*) FROM audit_log WHERE action = 'mail.settings'"; }

test_expect_success 'setup: an admin and a handler with tokens, a server with a --mail-config file' '
	irdesk init > /dev/null &&
	echo "$PW" | irdesk user add ada --role admin --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add hana --role incident_handler --password-stdin > /dev/null &&
	irdesk token create ada --name t --json | jq -r .token > "$TEST_DIR/ada.tok" &&
	irdesk token create hana --name t --json | jq -r .token > "$TEST_DIR/hana.tok" &&
	start_server "$TEST_DIR/serve.log" --mail-config "$DATA/config.json"
'

test_expect_success 'while nothing is saved, the file is in force (and only an admin may see it)' '
	up &&
	[ "$(api GET /api/v1/settings/mail "$TEST_DIR/ada.tok")" = 200 ] &&
	[ "$(jq -r .source "$TEST_DIR/out")" = file ] && [ "$(jq -r .version "$TEST_DIR/out")" = 0 ] &&
	[ "$(jq -r ".config.partner_domains[0]" "$TEST_DIR/out")" = supplier-abc.co.jp ] &&
	[ "$(api GET /api/v1/settings/mail "$TEST_DIR/hana.tok")" = 403 ] &&
	[ "$(mail "$TEST_DIR/hana.tok" "$DATA/0001-bec-lookalike-supplier.eml")" = 201 ] &&
	codes | grep -q lookalike_domain
'

test_expect_success 'bad settings by the API are refused with a 4xx JSON error; nothing changes' '
	up &&
	echo "{\"own_domains\": [" > "$TEST_DIR/bad1.json" &&
	[ "$(api PUT /api/v1/settings/mail "$TEST_DIR/ada.tok" "$TEST_DIR/bad1.json")" = 400 ] &&
	jq -e .error.message "$TEST_DIR/out" > /dev/null &&
	echo "{\"thresholds\": {\"suspicious\": 80, \"malicious\": 20}}" > "$TEST_DIR/bad2.json" &&
	[ "$(api PUT /api/v1/settings/mail "$TEST_DIR/ada.tok" "$TEST_DIR/bad2.json")" = 422 ] &&
	jq -r .error.message "$TEST_DIR/out" | grep -q "suspicious <= malicious" &&
	echo "{\"own_domains\": [\"not a domain!\"]}" > "$TEST_DIR/bad3.json" &&
	[ "$(api PUT /api/v1/settings/mail "$TEST_DIR/ada.tok" "$TEST_DIR/bad3.json")" = 422 ] &&
	jq -r .error.message "$TEST_DIR/out" | grep -q "own_domains\[0\]" &&
	echo "{\"executives\": [{\"name_en\": \"X\", \"email\": \"nope\"}]}" > "$TEST_DIR/bad4.json" &&
	[ "$(api PUT /api/v1/settings/mail "$TEST_DIR/ada.tok" "$TEST_DIR/bad4.json")" = 422 ] &&
	cp "$DATA/config.json" "$TEST_DIR/ok.json" &&
	[ "$(api PUT /api/v1/settings/mail "$TEST_DIR/hana.tok" "$TEST_DIR/ok.json")" = 403 ] &&
	[ "$(db_sql "SELECT COUNT(*) FROM mail_settings")" = 0 ] && [ "$(audited)" = 0 ]
'

test_expect_success 'settings saved by the API apply to the next mail without a restart, audited' '
	up &&
	jq "del(.partner_domains) | .thresholds = {suspicious: 30, malicious: 60}" "$DATA/config.json" > "$TEST_DIR/nopartner.json" &&
	[ "$(api PUT /api/v1/settings/mail "$TEST_DIR/ada.tok" "$TEST_DIR/nopartner.json")" = 200 ] &&
	[ "$(jq -r .source "$TEST_DIR/out")" = store ] && [ "$(jq -r .version "$TEST_DIR/out")" = 1 ] &&
	[ "$(jq -r .updated_by "$TEST_DIR/out")" = ada ] &&
	[ "$(audited)" = 1 ] &&
	{ cat "$DATA/0001-bec-lookalike-supplier.eml"; echo "variant 2"; } > "$TEST_DIR/m2.eml" &&
	sed -i "s/^Message-ID:.*/Message-ID: <variant2@test>/I" "$TEST_DIR/m2.eml" &&
	mail "$TEST_DIR/hana.tok" "$TEST_DIR/m2.eml" > /dev/null &&
	! codes | grep -q lookalike_domain &&
	irdesk mail submit --json "$TEST_DIR/m2.eml" > "$TEST_DIR/out" && ! codes | grep -q lookalike_domain &&
	irdesk mail submit --json --config "$DATA/config.json" "$TEST_DIR/m2.eml" > "$TEST_DIR/out" &&
	codes | grep -q lookalike_domain
'

test_expect_success 'irdesk mail config: show and set (another process, as another node would)' '
	up &&
	irdesk mail config show --json > "$TEST_DIR/show.json" &&
	[ "$(jq -r .source "$TEST_DIR/show.json")" = store ] &&
	irdesk mail config show > "$TEST_DIR/show.txt" && grep -q "^own_domains: example.co.jp" "$TEST_DIR/show.txt" &&
	expect_code 4 irdesk mail config set "$TEST_DIR/bad2.json" && stderr_has "thresholds" &&
	expect_code 3 irdesk mail config set "$TEST_DIR/missing.json" &&
	expect_code 6 irdesk --as hana mail config set "$DATA/config.json" &&
	[ "$(db_sql "SELECT version FROM mail_settings")" = 1 ] &&
	irdesk mail config set "$DATA/config.json" > /dev/null &&
	[ "$(db_sql "SELECT version FROM mail_settings")" = 2 ] && [ "$(audited)" = 2 ] &&
	{ cat "$DATA/0001-bec-lookalike-supplier.eml"; echo "variant 3"; } > "$TEST_DIR/m3.eml" &&
	sed -i "s/^Message-ID:.*/Message-ID: <variant3@test>/I" "$TEST_DIR/m3.eml" &&
	mail "$TEST_DIR/hana.tok" "$TEST_DIR/m3.eml" > /dev/null &&
	codes | grep -q lookalike_domain
'

test_expect_success 'the /settings/mail page edits the fields; bad input shows a message and changes nothing' '
	up &&
	signin ada "$TEST_DIR/ada" &&
	[ "$(get /users "$TEST_DIR/ada")" = 200 ] && body_has "href=\"/settings/mail\"" &&
	[ "$(get /settings/mail "$TEST_DIR/ada")" = 200 ] &&
	body_has "supplier-abc.co.jp" && body_has "value=\"Taro Yamada\"" && body_has "value=\"mx.example.co.jp\"" &&
	t=$(csrf) &&
	[ "$(post /settings/mail "$TEST_DIR/ada" "csrf=$t" "own_domains=example.co.jp" \
		"partner_domains=supplier-abc.co.jp" exec_rows=1 "exec0_name=山田 太郎" \
		"exec0_email=not-an-address" threshold_suspicious=30 threshold_malicious=60)" = 422 ] &&
	body_has "executives[0].email" &&
	[ "$(db_sql "SELECT version FROM mail_settings")" = 2 ] &&
	[ "$(post /settings/mail "$TEST_DIR/ada" "csrf=$t" "own_domains=example.co.jp" \
		"partner_domains=supplier-abc.co.jp" threshold_suspicious=abc)" = 422 ] &&
	body_has "thresholds" &&
	[ "$(post /settings/mail "$TEST_DIR/ada" "csrf=$t" "own_domains=example.co.jp" \
		"known_senders=supplier-abc.co.jp
not a sender!")" = 422 ] &&
	body_has "known_senders[1]" && body_has "not a sender!" &&
	[ "$(db_sql "SELECT version FROM mail_settings")" = 2 ] &&
	[ "$(post /settings/mail "$TEST_DIR/ada" "csrf=$t" "own_domains=example.co.jp
example.com" "partner_domains=supplier-abc.co.jp
partner-x.co.jp" exec_rows=2 "exec0_name=山田 太郎" "exec0_name_en=Taro Yamada" \
		"exec0_email=t.yamada@example.co.jp" "exec1_name_en=Hanako Sato" \
		"known_senders=Supplier-ABC.co.jp
k.tanaka@partner-x.co.jp" \
		authserv_id=mx2.example.co.jp threshold_suspicious=25 threshold_malicious=55)" = 303 ] &&
	irdesk mail config show --json > "$TEST_DIR/show.json" &&
	[ "$(jq -c .config.own_domains "$TEST_DIR/show.json")" = "[\"example.co.jp\",\"example.com\"]" ] &&
	[ "$(jq -r ".config.executives[1].name_en" "$TEST_DIR/show.json")" = "Hanako Sato" ] &&
	[ "$(jq -r .config.authserv_id "$TEST_DIR/show.json")" = mx2.example.co.jp ] &&
	[ "$(jq -r ".config.known_senders[1]" "$TEST_DIR/show.json")" = k.tanaka@partner-x.co.jp ] &&
	[ "$(jq -r .config.thresholds.malicious "$TEST_DIR/show.json")" = 55 ] &&
	[ "$(jq -r .updated_by "$TEST_DIR/show.json")" = ada ] && [ "$(audited)" = 3 ] &&
	[ "$(get "/settings/mail?done=saved" "$TEST_DIR/ada" -H "Accept-Language: ja")" = 200 ] &&
	body_has "保存された設定" && body_has "partner-x.co.jp" && body_has "既知の送信者" &&
	body_has "k.tanaka@partner-x.co.jp" && body_has "<a href=\"/settings\">"
'

test_expect_success 'a handler may not open or save the settings page' '
	up &&
	signin hana "$TEST_DIR/hana" &&
	[ "$(get /settings/mail "$TEST_DIR/hana")" = 403 ] &&
	[ "$(get /users "$TEST_DIR/hana")" = 403 ]
'

test_done
