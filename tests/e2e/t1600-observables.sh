#!/usr/bin/env bash
# t1600-observables.sh: observables as a responder uses them, with the CLI
# and the REST API: defanged values normalised, bad values refused with one
# line and nothing stored, pasted text extracted, sightings across incidents
# that never name an incident an external account may not see, search, the
# IOC flag feeding the watchlist "observables", change and remove.
. "$(dirname "$0")/lib.sh"

# api WHO METHOD PATH [BODY]: call with WHO's token; body to $TEST_DIR/out, status printed.
api() {
	local who=$1 m=$2 p=$3
	shift 3
	curl -sS -o "$TEST_DIR/out" -w '%{http_code}' -X "$m" \
		-H "Authorization: Bearer $(cat "$TEST_DIR/$who.token")" \
		-H 'Content-Type: application/json' ${1+--data-binary "$1"} \
		"http://127.0.0.1:$(cat "$TEST_DIR/port")$p"
}
expect() {
	local want=$1 got
	shift
	got=$(api "$@") || return 1
	[ "$got" = "$want" ] || { echo "$* -> $got, expected $want:"; cat "$TEST_DIR/out"; echo; return 1; }
}
out() { jq -r "$1" "$TEST_DIR/out"; }
count() { db_sql "select count(*) from observables"; }
PW=observables-password-1

test_expect_success 'setup: accounts, two incidents (the vendor is on the first), a server' '
	irdesk init > /dev/null &&
	irdesk user add hana --role incident_handler > /dev/null &&
	irdesk user add vic --role viewer > /dev/null &&
	irdesk user add vendor --role forensic_engineer --external > /dev/null &&
	for u in admin hana vic vendor; do
		irdesk token create $u --name t --json | jq -r .token > "$TEST_DIR/$u.token" || exit 1
	done &&
	irdesk incident new --title "Phishing wave" --type phishing --tlp TLP:GREEN > /dev/null &&
	irdesk incident new --title "Ransomware" --type ransomware > /dev/null &&
	irdesk incident member IR-2026-0001 vendor forensic_engineer > /dev/null &&
	echo "$PW" | irdesk user add lead --role commander --password-stdin > /dev/null &&
	start_server "$TEST_DIR/serve.log"
'

test_expect_success 'CLI add normalises defanged values and takes the incident TLP' '
	irdesk observable add IR-2026-0001 "hxxp://Evil[.]Example:80/Login#x" > o1 &&
	grep -qxF "added observable 1 to IR-2026-0001: url http://evil.example/Login" o1 &&
	irdesk --json observable add IR-2026-0001 "2001:DB8:0:0:0:0:0:1" > o2.json &&
	[ "$(json_get o2.json .type)" = ip ] && [ "$(json_get o2.json .value)" = 2001:db8::1 ] &&
	[ "$(json_get o2.json .tlp)" = TLP:GREEN ] &&
	irdesk --json observable add IR-2026-0001 "bücher.example" --type domain --ioc > o3.json &&
	[ "$(json_get o3.json .value)" = xn--bcher-kva.example ] &&
	[ "$(json_get o3.json .display)" = bücher.example ] &&
	[ "$(json_get o3.json .ioc)" = true ]
'

test_expect_success 'bad values, duplicates and other roles are refused with one line; nothing is stored' '
	n=$(count) &&
	expect_code 4 irdesk observable add IR-2026-0001 "d41d8cd98f00b204" --type md5 &&
	stderr_has "irdesk: value: '\''d41d8cd98f00b204'\'': not a valid md5" &&
	[ "$(wc -l < "$TEST_DIR/stderr")" -eq 1 ] &&
	expect_code 4 irdesk observable add IR-2026-0001 "Software\\Run" --type registry_key &&
	stderr_has "hive" &&
	expect_code 4 irdesk observable add IR-2026-0001 "http://EVIL.example/Login" &&
	stderr_has "already has the url http://evil.example/Login" &&
	expect_code 4 irdesk observable add IR-2026-0001 8.8.8.8 --tlp TLP:BLUE &&
	expect_code 2 irdesk observable add IR-2026-0001 &&
	expect_code 6 irdesk --as vic observable add IR-2026-0001 8.8.8.8 &&
	expect_code 3 irdesk --as vendor observable add IR-2026-0002 8.8.8.8 &&
	stderr_has "IR-2026-0002 not found" &&
	[ "$(count)" = "$n" ]
'

test_expect_success 'extract adds what pasted text holds, once' '
	cat > mail.txt <<-EOF &&
	From: ceo[@]evil-corp[.]example
	Please reset at hxxps://login.evil-corp[.]example/reset now.
	C2 198.51.100.20; dropper 44D88612FEA8A8F36DE82E1278ABB02F
	EOF
	irdesk --json observable extract IR-2026-0001 mail.txt --tlp TLP:RED > x.json &&
	[ "$(jq "[.added[].value] | sort | join(\" \")" -r x.json)" = "198.51.100.20 44d88612fea8a8f36de82e1278abb02f ceo@evil-corp.example evil-corp.example https://login.evil-corp.example/reset login.evil-corp.example" ] &&
	[ "$(jq -r ".added[0].tlp" x.json)" = TLP:RED ] &&
	irdesk observable extract IR-2026-0001 < mail.txt > again &&
	grep -qxF "added 0 observables to IR-2026-0001 (6 already there)" again &&
	irdesk observable extract IR-2026-0001 --dry-run mail.txt > dry &&
	grep -qxF "ip 198.51.100.20" dry
'

test_expect_success 'API: list with sightings; an external account sees only its incidents' '
	expect 201 hana POST /api/v1/incidents/IR-2026-0002/observables "{\"value\":\"198[.]51[.]100[.]20\"}" &&
	[ "$(out .value)" = 198.51.100.20 ] && [ "$(out .incident)" = IR-2026-0002 ] &&
	expect 200 hana GET /api/v1/incidents/IR-2026-0001/observables &&
	[ "$(out "[.items[] | select(.value == \"198.51.100.20\") | .sightings[]] | join(\",\")")" = IR-2026-0002 ] &&
	expect 200 vendor GET /api/v1/incidents/IR-2026-0001/observables &&
	[ "$(out "[.items[] | select(.value == \"198.51.100.20\") | .sightings | length] | .[0]")" = 0 ] &&
	! grep -q IR-2026-0002 "$TEST_DIR/out" &&
	expect 404 vendor GET /api/v1/incidents/IR-2026-0002/observables &&
	expect 200 hana GET "/api/v1/observables?value=198.51.100%5B.%5D20" &&
	[ "$(out "[.items[].incident] | sort | join(\",\")")" = IR-2026-0001,IR-2026-0002 ] &&
	expect 200 vendor GET "/api/v1/observables?value=198.51.100.20" &&
	[ "$(out "[.items[].incident] | join(\",\")")" = IR-2026-0001 ] &&
	irdesk --as vendor observable search 198.51.100.20 > s.txt && ! grep -q IR-2026-0002 s.txt
'

test_expect_success 'API: bad requests are 4xx with a JSON error; nothing changes' '
	n=$(count) &&
	expect 422 hana POST /api/v1/incidents/IR-2026-0001/observables "{\"value\":\"x\",\"text\":\"y\"}" &&
	[ "$(out .error.code)" = invalid ] &&
	expect 422 hana POST /api/v1/incidents/IR-2026-0001/observables "{\"type\":\"sha1\",\"value\":\"abc\"}" &&
	expect 422 hana POST /api/v1/incidents/IR-2026-0001/observables "{\"value\":\"8.8.8.8\",\"colour\":1}" &&
	expect 409 hana POST /api/v1/incidents/IR-2026-0001/observables "{\"value\":\"198.51.100.20\"}" &&
	expect 403 vic POST /api/v1/incidents/IR-2026-0001/observables "{\"value\":\"8.8.8.8\"}" &&
	expect 400 hana GET /api/v1/observables &&
	expect 404 hana PATCH /api/v1/incidents/IR-2026-0001/observables/abc "{\"ioc\":true}" &&
	expect 404 hana DELETE /api/v1/incidents/IR-2026-0002/observables/1 &&
	[ "$(count)" = "$n" ]
'

test_expect_success 'API text paste, PATCH and DELETE, each audited' '
	expect 201 hana POST /api/v1/incidents/IR-2026-0002/observables "{\"text\":\"see hxxp://x[.]example/a\",\"ioc\":true}" &&
	[ "$(out ".added | length")" = 2 ] &&
	id=$(out ".added[] | select(.type == \"url\") | .id") &&
	expect 200 hana PATCH "/api/v1/incidents/IR-2026-0002/observables/$id" "{\"ioc\":false,\"comment\":\"proxy log\"}" &&
	[ "$(out .ioc)" = false ] && [ "$(out .comment)" = "proxy log" ] &&
	expect 204 hana DELETE "/api/v1/incidents/IR-2026-0002/observables/$id" &&
	expect 404 hana DELETE "/api/v1/incidents/IR-2026-0002/observables/$id" &&
	[ "$(db_sql "select count(*) from audit_log where action like '\''observable.%'\''")" -ge 8 ] &&
	irdesk audit verify > /dev/null
'

test_expect_success 'observables flagged IOC are the watchlist "observables"' '
	irdesk --json ioc list > l.json &&
	[ "$(jq -r ".[] | select(.name == \"observables\") | .entries" l.json)" = 2 ] &&
	[ "$(db_sql "select value from iocs where type = '\''domain'\'' order by value" | tr "\n" " ")" = "x.example xn--bcher-kva.example " ] &&
	irdesk observable set IR-2026-0001 3 --no-ioc > /dev/null &&
	irdesk --json ioc list | jq -e ".[] | select(.name == \"observables\") | .entries == 1" > /dev/null &&
	echo 192.0.2.1 > list.txt &&
	expect_code 4 irdesk ioc load list.txt --name observables &&
	stderr_has "observables flagged IOC"
'

test_expect_success 'the incident page shows the observables, a sighting as a link, and the forms' '
	base=http://127.0.0.1:$(cat "$TEST_DIR/port") jar=$TEST_DIR/jar &&
	curl -sS -c "$jar" -b "$jar" -o login.html "$base/login" &&
	token=$(grep -o "name=\"csrf\" value=\"[^\"]*\"" login.html | head -1 | sed "s/.*value=\"//;s/\"$//") &&
	curl -sS -c "$jar" -b "$jar" -o /dev/null --data-urlencode "csrf=$token" \
		--data-urlencode username=lead --data-urlencode "password=$PW" "$base/login" &&
	curl -sS -b "$jar" -o page.html "$base/incidents/IR-2026-0001" &&
	grep -q "id=\"observables\"" page.html &&
	! grep -qF "&lt;th&gt;" page.html &&
	grep -qF "<a class=\"sighting\" href=\"/incidents/IR-2026-0002\">IR-2026-0002</a>" page.html &&
	grep -qF "bücher.example" page.html &&
	grep -qF "action=\"/incidents/IR-2026-0001/observables/extract\"" page.html &&
	curl -sS -b "$jar" -o obs.html -w "%{http_code}" "$base/incidents/IR-2026-0001/observables" | grep -qx 200 &&
	grep -qF "http://evil.example/Login" obs.html
'

test_expect_success 'the forms add (with CSRF), and a bad value is shown again with the reason' '
	base=http://127.0.0.1:$(cat "$TEST_DIR/port") jar=$TEST_DIR/jar &&
	curl -sS -b "$jar" -o page.html "$base/incidents/IR-2026-0001" &&
	token=$(grep -o "name=\"csrf\" value=\"[^\"]*\"" page.html | head -1 | sed "s/.*value=\"//;s/\"$//") &&
	form() { curl -sS -b "$jar" -o post.html -D hdr -w "%{http_code}" "$@"; } &&
	[ "$(form --data-urlencode "csrf=$token" --data-urlencode _form=obs --data-urlencode "value=8.8.4.4" \
		--data-urlencode ioc=1 "$base/incidents/IR-2026-0001/observables")" = 303 ] &&
	grep -qi "^location: /incidents/IR-2026-0001?done=obs_added" hdr &&
	irdesk --json observable list IR-2026-0001 | jq -e ".[] | select(.value == \"8.8.4.4\") | .ioc" > /dev/null &&
	[ "$(form --data-urlencode "csrf=$token" --data-urlencode _form=obs --data-urlencode type=sha256 \
		--data-urlencode "value=<b>abc</b>" "$base/incidents/IR-2026-0001/observables")" = 422 ] &&
	grep -qF "not a valid sha256" post.html && grep -qF "&lt;b&gt;abc&lt;/b&gt;" post.html &&
	! grep -qF "<b>abc</b>" post.html &&
	[ "$(form --data-urlencode _form=obs --data-urlencode "value=8.8.8.8" "$base/incidents/IR-2026-0001/observables")" = 403 ] &&
	[ "$(form --data-urlencode "csrf=$token" --data-urlencode "text=hxxp://paste[.]example/x" \
		"$base/incidents/IR-2026-0001/observables/extract")" = 303 ] &&
	irdesk observable search paste.example | grep -q IR-2026-0001
'

test_done
