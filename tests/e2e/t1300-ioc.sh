#!/usr/bin/env bash
# t1300-ioc.sh: IOC watchlists as a user sees them: `irdesk ioc load` of a
# plain-text list and a CSV list (file:line for a bad line, --skip-bad),
# `irdesk ioc list`, `irdesk ioc sweep` from the store and from a file
# (text and --json), and a server that loads the stored lists at start and
# turns an IOC in a posted event into an alert (source ioc, level high),
# folded per indicator and host, beside the Sigma alert of the same event.
. "$(dirname "$0")/lib.sh"

RULES=$TEST_TOP/tests/data/alert/rules.yml

url() { echo "http://127.0.0.1:$(cat "$TEST_DIR/port")$1"; }
call() { # METHOD PATH [BODY]: prints the status, keeps the body in out
	local m=$1 p=$2
	shift 2
	curl -sS -o "$TEST_DIR/out" -w '%{http_code}' -X "$m" \
		-H "Authorization: Bearer $(cat "$TEST_DIR/admin.token")" \
		-H 'Content-Type: application/json' ${1+--data-binary "$1"} "$(url "$p")"
}

test_expect_success 'setup: a database, a text list, a CSV list and events' '
	irdesk init > /dev/null &&
	cat > bad-actors.txt <<-\EOF &&
	# watchlist from a report
	203.0.113.7
	198.51.100.0/24   # their hosting range
	evil[.]example[.]com
	hxxp://bad.example.org/payload.exe
	EOF
	cat > hashes.csv <<-\EOF &&
	type,value,comment
	sha256,E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855,"dropper, stage 1"
	filename,mimikatz.exe,
	EOF
	cat > events.json <<-\EOF
	{"EventID":3,"Computer":"ws1","DestinationIp":"198.51.100.20","DestinationHostname":"x.evil.example.com"}
	{"EventID":1,"Computer":"ws1","Image":"C:\\Temp\\MimiKatz.exe","Hashes":"MD5=00000000000000000000000000000000,SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}
	{"EventID":1,"Computer":"ws2","CommandLine":"powershell iwr hxxp://nothing http://bad.example.org/payload.exe"}
	{"EventID":3,"Computer":"ws2","DestinationIp":"198.51.101.1"}
	EOF
'

test_expect_success 'ioc load stores each list and says how many indicators' '
	irdesk ioc load bad-actors.txt > out &&
	grep -qx "list bad-actors: 4 indicators" out &&
	irdesk ioc load hashes.csv --name hashes > out &&
	grep -qx "list hashes: 2 indicators" out &&
	irdesk --json ioc load hashes.csv --name hashes > out.json &&
	[ "$(jq -r .entries out.json)" = 2 ]
'

test_expect_success 'a line that does not parse refuses the file with file:line, unless skipped' '
	printf "10.0.0.1\nnot an indicator\n" > broken.txt &&
	expect_code 4 irdesk ioc load broken.txt &&
	stderr_has "broken.txt:2:" &&
	irdesk ioc load broken.txt --skip-bad > out &&
	grep -qx "list broken: 1 indicators, 1 lines skipped" out &&
	expect_code 2 irdesk ioc load &&
	expect_code 3 irdesk ioc load missing.txt
'

test_expect_success 'ioc list shows the lists with their counts per type' '
	irdesk ioc list > out &&
	grep -q "^bad-actors *4 *cidr 1, domain 1, ip 1, url 1" out &&
	grep -q "^hashes *2 *filename 1, sha256 1" out &&
	irdesk --json ioc list > out.json &&
	[ "$(jq -r "map(.name)|join(\",\")" out.json)" = "bad-actors,broken,hashes" ] &&
	[ "$(jq -r ".[2].types.sha256" out.json)" = 1 ]
'

test_expect_success 'ioc sweep prints one line per hit from the stored lists' '
	irdesk ioc sweep --list bad-actors --list hashes events.json > out &&
	cat > want <<-\EOF &&
	events.json:0: cidr 198.51.100.0/24 field DestinationIp list bad-actors
	events.json:0: domain evil.example.com field DestinationHostname list bad-actors
	events.json:1: filename mimikatz.exe field Image list hashes
	events.json:1: sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 field Hashes list hashes
	events.json:2: url http://bad.example.org/payload.exe field CommandLine list bad-actors
	EOF
	diff -u want out &&
	irdesk --json ioc sweep --list hashes events.json > out.json &&
	[ "$(jq -s length out.json)" = 2 ] &&
	[ "$(jq -rs ".[1]|[.file,.event,.type,.list,.field]|join(\" \")" out.json)" = "events.json 1 sha256 hashes Hashes" ] &&
	expect_code 3 irdesk ioc sweep --list nope events.json &&
	stderr_has "nope: no such watchlist"
'

test_expect_success 'ioc sweep --file needs no database' '
	"$IRDESK_BIN" --db sqlite:$TEST_DIR/none.db ioc sweep --file hashes.csv events.json > out &&
	[ "$(wc -l < out)" = 2 ] &&
	expect_code 2 irdesk ioc sweep --file hashes.csv &&
	expect_code 3 irdesk ioc sweep --file hashes.csv nothere.json
'

test_expect_success 'the server matches stored lists: IOC hits become alerts' '
	irdesk token create admin --name t --json | jq -r .token > "$TEST_DIR/admin.token" &&
	start_server "$TEST_DIR/serve.log" --rules "$RULES" &&
	grep -q "detection: 7 indicators from the watchlists" "$TEST_DIR/serve.log" &&
	[ "$(call POST /api/v1/events "$(cat events.json)")" = 202 ] &&
	for _ in $(seq 1 100); do
		call GET "/api/v1/alerts?limit=200" > /dev/null
		[ "$(jq "[.items[]|select(.source==\"ioc\")]|length" "$TEST_DIR/out")" = 5 ] && break
		sleep 0.1
	done &&
	jq -r "[.items[]|select(.source==\"ioc\")|.title]|sort|.[]" "$TEST_DIR/out" > titles &&
	cat > want <<-\EOF &&
	IOC hit: cidr 198.51.100.0/24
	IOC hit: domain evil.example.com
	IOC hit: filename mimikatz.exe
	IOC hit: sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	IOC hit: url http://bad.example.org/payload.exe
	EOF
	diff -u want titles &&
	[ "$(jq -r "[.items[]|select(.source==\"ioc\")|.level]|unique|join(\",\")" "$TEST_DIR/out")" = high ]
'

test_expect_success 'a repeat on the same host folds, another host makes a new alert' '
	server &&
	[ "$(call POST /api/v1/events "{\"EventID\":3,\"Computer\":\"ws1\",\"DestinationIp\":\"198.51.100.99\"}")" = 202 ] &&
	[ "$(call POST /api/v1/events "{\"EventID\":3,\"Computer\":\"ws9\",\"DestinationIp\":\"198.51.100.99\"}")" = 202 ] &&
	for _ in $(seq 1 100); do
		call GET "/api/v1/alerts?limit=200" > /dev/null
		[ "$(jq "[.items[]|select(.rule==\"ioc:cidr:198.51.100.0/24\")]|length" "$TEST_DIR/out")" = 2 ] && break
		sleep 0.1
	done &&
	[ "$(jq -r "[.items[]|select(.rule==\"ioc:cidr:198.51.100.0/24\")|\"\(.entities.host)=\(.count)\"]|sort|join(\" \")" "$TEST_DIR/out")" = "ws1=2 ws9=1" ] &&
	kill -TERM "$PID" && [ "$(wait_exit)" = 0 ]
'

test_expect_success 'an observable flagged IOC while the server runs is matched without a restart' '
	start_server "$TEST_DIR/serve2.log" --rules "$RULES" &&
	hid=$(irdesk incident new --title "Phishing wave" --json | jq -r .id) &&
	irdesk observable add "$hid" "payload.evil-cdn.example" --ioc > /dev/null &&
	for _ in $(seq 1 300); do
		grep -q "detection: the watchlists changed: 8 indicators" "$TEST_DIR/serve2.log" && break; sleep 0.1
	done &&
	[ "$(call POST /api/v1/events "{\"EventID\":22,\"Computer\":\"ws5\",\"QueryName\":\"payload.evil-cdn.example\"}")" = 202 ] &&
	for _ in $(seq 1 100); do
		call GET "/api/v1/alerts?limit=200" > /dev/null
		[ "$(jq "[.items[]|select(.title==\"IOC hit: domain payload.evil-cdn.example\")]|length" "$TEST_DIR/out")" = 1 ] && break
		sleep 0.1
	done &&
	[ "$(jq "[.items[]|select(.title==\"IOC hit: domain payload.evil-cdn.example\")]|length" "$TEST_DIR/out")" = 1 ] &&
	obs=$(irdesk observable list "$hid" --json | jq -r ".[0].id") &&
	irdesk observable set "$hid" "$obs" --no-ioc > /dev/null &&
	for _ in $(seq 1 300); do
		grep -q "detection: the watchlists changed: 7 indicators" "$TEST_DIR/serve2.log" && break; sleep 0.1
	done &&
	grep -q "detection: the watchlists changed: 7 indicators" "$TEST_DIR/serve2.log" &&
	kill -TERM "$PID" && [ "$(wait_exit)" = 0 ]
'

test_expect_success 'irdesk ingest matches the stored lists offline too' '
	n=$(db_sql "SELECT count(*) FROM alerts WHERE source = '\''ioc'\''") &&
	printf "%s\n" "{\"EventID\":3,\"Computer\":\"ws77\",\"DestinationIp\":\"203.0.113.7\"}" > ingest.json &&
	irdesk ingest --rules "$RULES" --json ingest.json > out.json &&
	jq -e ".events == 1 and .alerts == 1" out.json > /dev/null &&
	[ "$(db_sql "SELECT count(*) FROM alerts WHERE source = '\''ioc'\''")" = $((n + 1)) ] &&
	irdesk --json alert list --rule "ioc:ip:203.0.113.7" > list.json &&
	[ "$(jq -r ".items[0].entities.host" list.json)" = ws77 ] &&
	[ "$(jq -r ".items[0].level" list.json)" = high ]
'

test_done
