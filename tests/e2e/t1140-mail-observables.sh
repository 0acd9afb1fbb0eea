#!/usr/bin/env bash
# t1140-mail-observables.sh: the indicators of a reported mail are kept as
# observables of its alert (normalised; shown in the alert's JSON and on
# its mail page), and promoting or attaching the alert copies them into the
# incident's observables (once, on its timeline), where sightings and the
# IOC flag work.
. "$(dirname "$0")/lib.sh"

DATA=$TEST_TOP/tests/data/mail
PW=mail-observables-password-1
URL=

submit() { irdesk mail submit --json --config "$DATA/config.json" "$1" | jq -r .alert; }
obs() { irdesk observable list "$1" --json; }

test_expect_success 'setup: accounts, a server' '
	irdesk init > /dev/null &&
	echo "$PW" | irdesk user add hana --role incident_handler --password-stdin > /dev/null &&
	irdesk token create hana --name t --json | jq -r .token > "$TEST_DIR/hana.tok" &&
	start_server "$TEST_DIR/serve.log" --mail-config "$DATA/config.json"
'

test_expect_success 'a mail alert keeps its indicators as normalised observables, in its JSON' '
	server && URL=http://127.0.0.1:$PORT &&
	id=$(submit "$DATA/0004-phish-link-mismatch.eml") && echo "$id" > "$TEST_DIR/phish" &&
	code=$(curl -sS -o "$TEST_DIR/a.json" -w "%{http_code}" -H "Authorization: Bearer $(cat "$TEST_DIR/hana.tok")" \
		"$URL/api/v1/alerts/$id") && [ "$code" = 200 ] &&
	jq -e ".observables | map(\"\(.type) \(.value)\") | index(\"ip 198.51.100.7\") and index(\"url http://198.51.100.7/login\")
		and index(\"domain paypa1-secure.com\") and index(\"email service@paypa1-secure.com\")" "$TEST_DIR/a.json" > /dev/null &&
	irdesk alert show "$id" --json | jq -e ".observables | length == 6" > /dev/null &&
	hid=$(submit "$DATA/0005-phish-html-attachment.eml") &&
	irdesk alert show "$hid" --json |
		jq -e ".observables | map(select(.type == \"sha256\")) | .[0].value == \"c5d8bd232c41bc54c288cd7894965221e0816ae41d9cce5696de513882700e38\"" > /dev/null &&
	[ "$(db_sql "SELECT COUNT(*) FROM alert_observables")" = 9 ]
'

test_expect_success 'the mail page lists the alert observables' '
	server && URL=http://127.0.0.1:$PORT && id=$(cat "$TEST_DIR/phish") &&
	rm -f "$TEST_DIR/jar" && [ "$(get /login "$TEST_DIR/jar")" = 200 ] &&
	[ "$(post /login "$TEST_DIR/jar" "csrf=$(csrf)" username=hana "password=$PW" next=/)" = 303 ] &&
	[ "$(get "/alerts/$id/mail" "$TEST_DIR/jar")" = 200 ] &&
	body_has "id=\"alert-observables\"" && body_has "<code>service@paypa1-secure.com</code>" &&
	[ "$(get "/alerts/$id/mail" "$TEST_DIR/jar" -H "Accept-Language: ja")" = 200 ] && body_has "アラートの観測値"
'

test_expect_success 'promoting copies them into the new incident, on its timeline' '
	id=$(cat "$TEST_DIR/phish") &&
	hid=$(irdesk alert triage "$id" promote --json | jq -r .incident) && echo "$hid" > "$TEST_DIR/inc1" &&
	obs "$hid" > "$TEST_DIR/o1.json" &&
	[ "$(jq "length" "$TEST_DIR/o1.json")" = 6 ] &&
	jq -e "map(select(.type == \"ip\" and .value == \"198.51.100.7\" and .ioc == false)) | length == 1" "$TEST_DIR/o1.json" > /dev/null &&
	irdesk incident show "$hid" --json | jq -r ".timeline[].text" | grep -q "6 observables added from alert #$id"
'

test_expect_success 'attaching adds only what the incident lacks; sightings and the IOC flag work there' '
	inc1=$(cat "$TEST_DIR/inc1") &&
	hid=$(irdesk incident new --title "Second phishing wave" --type phishing --json | jq -r .id) &&
	irdesk observable add "$hid" paypa1-secure.com --type domain > /dev/null &&
	id=$(submit "$DATA/0601-phish-hostile-html.eml") &&
	irdesk alert show "$id" --json | jq -e ".observables | map(.value) | index(\"198.51.100.7\")" > /dev/null &&
	irdesk alert triage "$id" attach --incident "$hid" > /dev/null &&
	obs "$hid" > "$TEST_DIR/o2.json" &&
	[ "$(jq "map(select(.value == \"paypa1-secure.com\")) | length" "$TEST_DIR/o2.json")" = 1 ] &&
	jq -e "map(select(.value == \"198.51.100.7\")) | .[0].sightings | index(\"$inc1\")" "$TEST_DIR/o2.json" > /dev/null &&
	oid=$(jq -r "map(select(.value == \"198.51.100.7\")) | .[0].id" "$TEST_DIR/o2.json") &&
	irdesk observable set "$hid" "$oid" --ioc > /dev/null &&
	obs "$hid" | jq -e "map(select(.value == \"198.51.100.7\")) | .[0].ioc == true" > /dev/null
'

test_done
