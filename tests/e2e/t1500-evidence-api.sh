#!/usr/bin/env bash
# t1500-evidence-api.sh: the evidence locker through the real server: a
# 200 MB upload streamed with bounded memory and the hash sha256sum gives,
# the same content stored once, multipart uploads, downloads recorded in
# custody and refused to outsiders, a killed upload that leaves nothing,
# bad input that changes nothing, legal holds and deletion.
. "$(dirname "$0")/lib.sh"

export IRDESK_EVIDENCE_DIR=$TEST_DIR/ev
PW="evidence password 1"
LIMIT=210000000

url() { echo "http://127.0.0.1:$(cat "$TEST_DIR/port")$1"; }
# api WHO METHOD PATH [CURL ARGS...]: the answer in $TEST_DIR/out, the status printed.
api() {
	local who=$1 m=$2 p=$3
	shift 3
	curl -sS -o "$TEST_DIR/out" -D "$TEST_DIR/hdr" -w '%{http_code}' -X "$m" \
		-H "Authorization: Bearer $(cat "$TEST_DIR/$who.token")" "$@" "$(url "$p")"
}
expect() { # STATUS WHO METHOD PATH [CURL ARGS...]
	local want=$1 got
	shift
	got=$(api "$@") || return 1
	[ "$got" = "$want" ] || { echo "$* -> $got, expected $want: $(head -c 300 "$TEST_DIR/out")"; return 1; }
}
json() { expect "$@" -H 'Content-Type: application/json'; }
out() { jq -r "$1" "$TEST_DIR/out"; }
put_q() { echo "/api/v1/incidents/$1/evidence?name=$2&source=ws-01&acquired_at=2026-11-20T01:00:00Z"; }
files() { find "$IRDESK_EVIDENCE_DIR" -type f | sort; }
items() { db_sql "SELECT count(*) FROM evidence"; }
audits() { db_sql "SELECT count(*) FROM audit_log"; }
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$(cat "$TEST_DIR/pid")/status"; }

test_expect_success 'setup: accounts, two incidents, an outside vendor on the first, a server' '
	irdesk init > /dev/null &&
	irdesk token create admin --name t --json | jq -r .token > admin.token &&
	echo "$PW" | irdesk user add fe --role forensic_engineer --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add vendor --role forensic_engineer --external --password-stdin > /dev/null &&
	echo "$PW" | irdesk user add viewer --role viewer --password-stdin > /dev/null &&
	for u in fe vendor viewer; do irdesk token create $u --name t --json | jq -r .token > $u.token || exit 1; done &&
	irdesk incident new --title "Ransomware on the file server" --type ransomware --json | jq -r .id > inc_a &&
	irdesk incident new --title "Lost laptop" --type lost_device --json | jq -r .id > inc_b &&
	start_server "$TEST_DIR/serve.log" --max-upload $LIMIT &&
	json 200 admin POST "/api/v1/incidents/$(cat inc_a)/members" \
		--data-binary "{\"username\":\"vendor\",\"role\":\"forensic_engineer\"}"
'
A=$(cat "$TEST_DIR/inc_a" 2>/dev/null)
B=$(cat "$TEST_DIR/inc_b" 2>/dev/null)

test_expect_success 'a 200 MB upload streams to disk with bounded memory; its hash is sha256sum'\''s' '
	head -c 200000000 /dev/urandom > big.bin &&
	want=$(sha256sum big.bin | cut -d" " -f1) &&
	before=$(hwm) &&
	expect 201 fe PUT "$(put_q "$A" big.bin)" -T big.bin &&
	after=$(hwm) &&
	echo "server peak RSS ${before} kB before, ${after} kB after" &&
	[ "$after" -lt 120000 ] && [ $((after - before)) -lt 60000 ] &&
	[ "$(out .sha256)" = "$want" ] && [ "$(out .size)" = 200000000 ] &&
	[ "$(out .name)" = big.bin ] && [ "$(out .source_host)" = ws-01 ] &&
	[ "$(out .acquired_by)" = fe ] && [ "$(out .custody[0].action)" = acquired ] &&
	[ "$(sha256sum "$IRDESK_EVIDENCE_DIR/${want:0:2}/$want" | cut -d" " -f1)" = "$want" ] &&
	[ "$(files | wc -l)" = 1 ] && ! ls -a "$IRDESK_EVIDENCE_DIR" | grep -q upload &&
	out .id > big.id
'
BIG=$(cat "$TEST_DIR/big.id" 2>/dev/null)

test_expect_success 'the same content again is a second item but one file; multipart works too' '
	head -c 100000 /dev/urandom > small.bin &&
	want=$(sha256sum small.bin | cut -d" " -f1) &&
	expect 201 fe POST "/api/v1/incidents/$A/evidence" -F source=ws-02 -F acquired_at=now \
		-F "description=メモリダンプ" -F "file=@small.bin;type=application/x-memory-dump" &&
	[ "$(out .name)" = small.bin ] && [ "$(out .sha256)" = "$want" ] &&
	[ "$(out .media_type)" = application/x-memory-dump ] && [ "$(out .description)" = メモリダンプ ] &&
	expect 201 admin PUT "/api/v1/incidents/$B/evidence?name=copy.bin&source=ws-09&acquired_at=now" \
		-T small.bin &&
	[ "$(out .sha256)" = "$want" ] && [ "$(out .incident)" = "$B" ] &&
	[ "$(files | wc -l)" = 2 ] && [ "$(items)" = 3 ] &&
	expect 200 admin GET "/api/v1/incidents/$A/evidence" && [ "$(out ".items|length")" = 2 ]
'

test_expect_success 'download: the exact bytes, as an attachment, recorded in custody' '
	expect 200 fe GET "/api/v1/evidence/$BIG/download" &&
	[ "$(sha256sum < out | cut -d" " -f1)" = "$(sha256sum < big.bin | cut -d" " -f1)" ] &&
	grep -qi "^Content-Disposition: attachment; filename=\"big.bin\"" hdr &&
	grep -qi "^Content-Type: application/octet-stream" hdr &&
	expect 200 admin GET "/api/v1/evidence/$BIG" &&
	[ "$(out "[.custody[].action]|join(\",\")")" = acquired,downloaded ] &&
	[ "$(out ".custody[1].actor")" = fe ]
'

test_expect_success 'an outside vendor downloads evidence of its incident, not of another (404)' '
	expect 200 vendor GET "/api/v1/incidents/$A/evidence/$BIG/download" &&
	cmp -s out big.bin &&
	id_b=$(db_sql "SELECT id FROM evidence WHERE name = '\''copy.bin'\''") &&
	expect 404 vendor GET "/api/v1/incidents/$B/evidence/$id_b/download" &&
	[ "$(out .error.code)" = notfound ] &&
	expect 404 vendor GET "/api/v1/incidents/$A/evidence/$id_b/download" &&
	expect 404 vendor GET "/api/v1/incidents/$B/evidence/$id_b" &&
	expect 404 vendor GET "/api/v1/incidents/$B/evidence" &&
	expect 404 vendor PUT "$(put_q "$B" x.bin)" -T small.bin &&
	expect 403 vendor GET "/api/v1/evidence/$id_b/download" &&
	expect 200 vendor GET "/api/v1/incidents/$A/evidence" && [ "$(out ".items|length")" = 2 ] &&
	expect 403 viewer GET "/api/v1/evidence/$BIG/download" &&
	[ "$(db_sql "SELECT count(*) FROM evidence_custody WHERE evidence_id = $id_b AND action = '\''downloaded'\''")" = 0 ]
'

test_expect_success 'a killed upload leaves no item and no temporary file' '
	n=$(items) &&
	{ curl -sS -o /dev/null --limit-rate 4M -H "Authorization: Bearer $(cat fe.token)" \
		-T big.bin "$(url "$(put_q "$A" killed.bin)")" & } &&
	cpid=$! &&
	for _ in $(seq 1 300); do ls -a "$IRDESK_EVIDENCE_DIR" | grep -q "^.upload-" && break; sleep 0.1; done &&
	ls -a "$IRDESK_EVIDENCE_DIR" | grep -q "^.upload-" &&
	{ kill -9 $cpid; wait $cpid 2>/dev/null || true; } &&
	# The server notices the closed connection at its next read: seconds when
	# tests run side by side under ASan with PostgreSQL busy.
	for _ in $(seq 1 300); do ls -a "$IRDESK_EVIDENCE_DIR" | grep -q "^.upload-" || break; sleep 0.1; done &&
	! ls -a "$IRDESK_EVIDENCE_DIR" | grep -q "^.upload-" &&
	[ "$(items)" = "$n" ] && [ "$(files | wc -l)" = 2 ]
'

test_expect_success 'bad input changes nothing: no incident, oversize, bad or future times, no source' '
	n=$(items) && a=$(audits) && f=$(files | wc -l) &&
	expect 404 fe PUT "$(put_q IR-2026-9999 x.bin)" -T small.bin &&
	expect 413 fe PUT "$(put_q "$A" zero.bin)" -H "Content-Length: $((LIMIT + 1))" --data-binary @small.bin &&
	[ "$(out .error.code)" = toolong ] &&
	head -c $((LIMIT + 1000)) /dev/zero | api fe PUT "$(put_q "$A" zero.bin)" -T - > status &&
	[ "$(cat status)" = 413 ] && [ "$(out .error.code)" = toolong ] &&
	expect 422 fe PUT "/api/v1/incidents/$A/evidence?name=x.bin&source=ws&acquired_at=yesterday-ish" -T small.bin &&
	out .error.message | grep -q "^acquired_at:" &&
	expect 422 fe PUT "/api/v1/incidents/$A/evidence?name=x.bin&source=ws&acquired_at=2099-01-01" -T small.bin &&
	out .error.message | grep -q "in the future" &&
	expect 422 fe PUT "/api/v1/incidents/$A/evidence?name=x.bin&acquired_at=now" -T small.bin &&
	[ "$(out .error.message)" = "source: required" ] &&
	expect 422 fe PUT "/api/v1/incidents/$A/evidence?name=x.bin&source=ws&acquired_at=now&retain_until=2001-01-01" -T small.bin &&
	expect 422 fe PUT "/api/v1/incidents/$A/evidence?name=..&source=ws&acquired_at=now" -T small.bin &&
	expect 400 fe PUT "/api/v1/incidents/$A/evidence?name=x.bin&source=ws&acquired_at=now&colour=red" -T small.bin &&
	expect 422 fe POST "/api/v1/incidents/$A/evidence" -F source=ws -F acquired_at=now &&
	[ "$(out .error.message)" = "file: required" ] &&
	expect 400 fe POST "/api/v1/incidents/$A/evidence" -H "Content-Type: application/json" --data-binary "{}" &&
	expect 403 viewer PUT "$(put_q "$A" x.bin)" -T small.bin &&
	[ "$(items)" = "$n" ] && [ "$(audits)" = "$a" ] && [ "$(files | wc -l)" = "$f" ] &&
	! ls -a "$IRDESK_EVIDENCE_DIR" | grep -q "^.upload-"
'

test_expect_success 'a byte flipped on disk: verify reports the mismatch, in custody and on the timeline' '
	expect 200 admin POST "/api/v1/incidents/$A/evidence/verify" && [ "$(out .ok)" = true ] &&
	sha=$(db_sql "SELECT sha256 FROM evidence WHERE id = $BIG") &&
	f="$IRDESK_EVIDENCE_DIR/${sha:0:2}/$sha" && chmod u+w "$f" &&
	printf "\\x00" | dd of="$f" bs=1 seek=123456789 conv=notrunc 2>/dev/null &&
	expect 200 admin POST "/api/v1/evidence/$BIG/verify" && [ "$(out .ok)" = false ] &&
	[ "$(out .items[0].result)" = mismatch ] && [ "$(out .items[0].found)" != "$sha" ] &&
	expect_code 4 irdesk evidence verify "$A" && stderr_has "failed verification" &&
	grep -q "^mismatch  evidence $BIG" "$TEST_DIR/stdout" &&
	expect 200 admin GET "/api/v1/evidence/$BIG" && [ "$(out .verified)" = mismatch ] &&
	[ "$(out "[.custody[].action]|join(\",\")")" = acquired,downloaded,downloaded,verified,mismatch,mismatch ] &&
	expect 200 admin GET "/api/v1/incidents/$A/timeline" &&
	out ".items[].text" | grep -q "failed verification: mismatch"
'

test_expect_success 'custody steps: handover, checkout, checkin; a second checkout is a conflict' '
	json 200 fe POST "/api/v1/evidence/$BIG/custody" \
		--data-binary "{\"action\":\"handover\",\"from\":\"fe\",\"to\":\"police lab\",\"purpose\":\"analysis\"}" &&
	json 200 fe POST "/api/v1/evidence/$BIG/custody" --data-binary "{\"action\":\"checkout\",\"purpose\":\"imaging\"}" &&
	[ "$(out .checked_out_to)" = fe ] &&
	json 409 admin POST "/api/v1/evidence/$BIG/custody" --data-binary "{\"action\":\"checkout\",\"purpose\":\"x\"}" &&
	json 422 fe POST "/api/v1/evidence/$BIG/custody" --data-binary "{\"action\":\"handover\",\"to\":\"x\"}" &&
	json 200 fe POST "/api/v1/evidence/$BIG/custody" --data-binary "{\"action\":\"checkin\"}" &&
	[ "$(out .checked_out_to)" = null ] &&
	[ "$(out ".custody[-3:]|map(.action)|join(\",\")")" = handover,checkout,checkin ] &&
	[ "$(db_sql "SELECT count(*) FROM audit_log WHERE action LIKE '\''evidence.%'\''")" -ge 10 ]
'

test_expect_success 'a legal hold blocks deletion; deletion keeps the record and removes the file' '
	json 200 fe POST "/api/v1/incidents/$A/evidence/hold" --data-binary "{\"reason\":\"litigation\"}" &&
	json 409 admin DELETE "/api/v1/evidence/$BIG" --data-binary "{\"reason\":\"retention\"}" &&
	json 403 fe POST "/api/v1/incidents/$A/evidence/release" --data-binary "{\"reason\":\"done\"}" &&
	json 403 fe DELETE "/api/v1/evidence/$BIG" --data-binary "{\"reason\":\"retention\"}" &&
	json 200 admin POST "/api/v1/incidents/$A/evidence/release" --data-binary "{\"reason\":\"settled\"}" &&
	json 422 admin DELETE "/api/v1/evidence/$BIG" --data-binary "{\"reason\":\"\"}" &&
	sha=$(db_sql "SELECT sha256 FROM evidence WHERE id = $BIG") &&
	json 200 admin DELETE "/api/v1/evidence/$BIG" --data-binary "{\"reason\":\"retention over\"}" &&
	[ "$(out .deleted)" = true ] && [ "$(out .delete_reason)" = "retention over" ] &&
	[ "$(out .custody[-1].action)" = deleted ] &&
	[ ! -e "$IRDESK_EVIDENCE_DIR/${sha:0:2}/$sha" ] &&
	expect 404 admin GET "/api/v1/evidence/$BIG/download" &&
	[ "$(db_sql "SELECT count(*) FROM audit_log WHERE action = '\''evidence.deleted'\''")" = 1 ] &&
	small=$(db_sql "SELECT id FROM evidence WHERE name = '\''small.bin'\''") &&
	json 200 admin DELETE "/api/v1/evidence/$small" --data-binary "{\"reason\":\"duplicate\"}" &&
	[ "$(files | wc -l)" = 1 ] &&
	expect_code 0 irdesk audit verify
'

test_expect_success 'due lists items past their retention date' '
	expect 201 admin PUT "/api/v1/incidents/$B/evidence?name=old.log&source=ws&acquired_at=2020-01-01&retain_until=2021-01-01" -T small.bin &&
	expect 200 admin GET /api/v1/evidence/due &&
	[ "$(out "[.items[].name]|join(\",\")")" = old.log ] && [ "$(out .items[0].due)" = true ] &&
	expect_code 0 irdesk evidence due && stdout_has old.log
'

test_expect_success 'retention: kept longer by a forensic engineer, shorter needs the right to delete' '
	old=$(db_sql "SELECT id FROM evidence WHERE name = '\''old.log'\''") && n=$(audits) &&
	json 403 viewer POST "/api/v1/evidence/$old/retention" --data-binary "{\"retain_until\":\"2030-01-01\",\"reason\":\"x\"}" &&
	json 422 fe POST "/api/v1/evidence/$old/retention" --data-binary "{\"retain_until\":\"2030-01-01\"}" &&
	json 422 fe POST "/api/v1/evidence/$old/retention" --data-binary "{\"retain_until\":\"2030-01-01\",\"reason\":\"x\",\"by\":1}" &&
	json 400 fe POST "/api/v1/evidence/$old/retention" --data-binary "{\"retain_until\":" &&
	[ "$(audits)" = "$n" ] &&
	json 200 fe POST "/api/v1/evidence/$old/retention" --data-binary "{\"retain_until\":\"2030-01-01\",\"reason\":\"police request\"}" &&
	[ "$(out .retain_until)" = 2029-12-31T15:00:00Z ] && [ "$(out .custody[-1].action)" = retention ] &&
	expect 200 admin GET /api/v1/evidence/due && [ "$(out ".items|length")" = 0 ] &&
	json 403 fe POST "/api/v1/evidence/$old/retention" --data-binary "{\"retain_until\":\"2025-01-01\",\"reason\":\"x\"}" &&
	json 200 admin POST "/api/v1/evidence/$old/retention" --data-binary "{\"retain_until\":\"2025-01-01\",\"reason\":\"released\"}" &&
	json 409 admin POST "/api/v1/evidence/$old/retention" --data-binary "{\"retain_until\":\"2025-01-01\",\"reason\":\"again\"}"
'

test_expect_success 'the server log has no sanitizer report or internal error' '
	! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TEST_DIR/serve.log" &&
	! grep -E " http [^ ]+ [A-Z]+ [^ ]+ 5[0-9][0-9] " "$TEST_DIR/serve.log" &&
	server && kill -TERM "$PID" && [ "$(wait_exit)" = 0 ]
'

test_done
