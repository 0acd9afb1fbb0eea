#!/usr/bin/env bash
# t0300-audit.sh: the audit log as an operator sees it: `irdesk audit log`
# lists what happened, `audit verify` passes on an untouched database and
# names the first broken row after someone edits, deletes or swaps rows with
# the sqlite3 shell (or psql), and an anchor kept aside catches rows cut off the end.
. "$(dirname "$0")/lib.sh"


# copy_db NAME: a consistent copy of the database to tamper with.
copy_db() { db_copy "$1"; }
# on NAME ARGS...: run irdesk on the copy called NAME.
on() { local n=$1; shift; "$IRDESK_BIN" --db "$(db_url "$n")" "$@"; }
# rows: the number of audit rows, from the anchor taken after the setup.
rows() { cut -d: -f1 "$TEST_DIR/anchor.txt"; }

test_expect_success 'init and some incident work write audit rows' '
	irdesk init </dev/null >init.out &&
	irdesk incident new --title "Phishing wave" --type phishing --json >inc1.json &&
	irdesk incident new --title "Lost laptop" --type phishing --json >inc2.json &&
	id=$(json_get inc1.json .id) &&
	irdesk incident note "$id" "first look at the headers" &&
	irdesk incident note "$id" "blocked the sender domain" &&
	irdesk user add vic --role viewer >/dev/null &&
	irdesk audit anchor >anchor.txt &&
	grep -Eq "^[0-9]+:[0-9a-f]{64}$" anchor.txt &&
	test "$(wc -l <anchor.txt)" -eq 1 &&
	test "$(rows)" -ge 5
'

test_expect_success 'verify passes on an intact log and prints the head' '
	expect_code 0 irdesk audit verify &&
	stdout_has "audit log intact: $(rows) rows, head $(cat anchor.txt)" &&
	expect_code 0 irdesk audit verify --anchor "$(cat anchor.txt)"
'

test_expect_success 'verify --json on an intact log' '
	expect_code 0 irdesk audit verify --json &&
	jq -e --argjson n "$(rows)" --arg h "$(cut -d: -f2 anchor.txt)" \
		".intact == true and .rows == \$n and .head.seq == \$n and .head.hash == \$h
		 and .bad_seq == null and .problem == null" "$TEST_DIR/stdout"
'

test_expect_success 'anchor --json' '
	expect_code 0 irdesk audit anchor --json &&
	jq -e --argjson n "$(rows)" ".seq == \$n and (.hash | test(\"^[0-9a-f]{64}$\"))" \
		"$TEST_DIR/stdout"
'

test_expect_success 'audit log --json is an array of rows, newest first' '
	irdesk audit log --json >log.json &&
	jq -e --argjson n "$(rows)" "type == \"array\" and length == \$n and .[0].seq == \$n
		and .[-1].seq == 1" log.json &&
	jq -e "all(.[]; has(\"seq\") and has(\"at\") and has(\"actor\") and has(\"action\")
		and has(\"object_type\") and has(\"object_id\") and has(\"before\") and has(\"after\")
		and (.hash | length == 64))" log.json &&
	jq -e "any(.[]; .action == \"incident.create\" and .before == null
		and .after.title == \"Phishing wave\")" log.json
'

test_expect_success 'audit log filters by object, actor, sequence and limit' '
	id=$(json_get inc1.json .id) &&
	irdesk audit log --object "incident:$id" --json >obj.json &&
	jq -e --arg id "$id" "length >= 3 and all(.[]; .object_type == \"incident\" and .object_id == \$id)" obj.json &&
	irdesk audit log --object user --json >users.json &&
	jq -e "length >= 1 and all(.[]; .object_type == \"user\")" users.json &&
	irdesk audit log --actor nobody-at-all --json >none.json &&
	jq -e "length == 0" none.json &&
	n=$(rows) &&
	irdesk audit log --since-seq $((n - 2)) --json >since.json &&
	jq -e --argjson n "$n" "length == 2 and .[0].seq == \$n - 1 and .[1].seq == \$n" since.json &&
	irdesk audit log --limit 1 --json >one.json &&
	jq -e --argjson n "$n" "length == 1 and .[0].seq == \$n" one.json
'

test_expect_success 'audit log prints a table for people' '
	expect_code 0 irdesk audit log &&
	head -1 "$TEST_DIR/stdout" | grep -q "^SEQ *TIME *ACTOR *ACTION *OBJECT *CHANGE" &&
	stdout_has "incident.create" &&
	stdout_has "Phishing wave" &&
	test "$(grep -c . "$TEST_DIR/stdout")" -eq $(($(rows) + 1))
'

test_expect_success 'every subcommand has --help; bad usage exits 2' '
	for sub in log verify anchor; do
		irdesk audit $sub --help >help.out &&
		grep -q "usage: irdesk audit $sub" help.out &&
		grep -q -- "--db URL" help.out || return 1
	done &&
	irdesk audit --help | grep -q "verify" &&
	grep -q -- "--anchor SEQ:HASH" <(irdesk audit verify --help) &&
	grep -q -- "--since-seq" <(irdesk audit log --help) &&
	for args in "" "frobnicate" "verify --bogus" "verify extra" "log extra" \
		"anchor extra" "log --limit 0" "log --limit x" "log --since-seq -1" \
		"log --object :x" "verify --anchor nonsense" "verify --anchor 3:abc"; do
		code=0; irdesk audit $args >/dev/null 2>&1 || code=$?
		test "$code" -eq 2 || { echo "audit $args: exit $code, want 2"; return 1; }
	done
'

test_expect_success 'an edited row is caught at its number' '
	copy_db edit-actor &&
	db_sql_on edit-actor "UPDATE audit_log SET actor = '\''mallory'\'' WHERE seq = 3" &&
	expect_code 4 on edit-actor audit verify &&
	stderr_has "irdesk: audit log broken at row 3: " &&
	copy_db edit-after &&
	db_sql_on edit-after \
		"UPDATE audit_log SET after = '\''{\"title\":\"nothing happened\"}'\'' WHERE seq = 2" &&
	expect_code 4 on edit-after audit verify &&
	stderr_has "irdesk: audit log broken at row 2: row 2 was changed"
'

test_expect_success 'a deleted row is caught at its number' '
	copy_db deleted &&
	db_sql_on deleted "DELETE FROM audit_log WHERE seq = 4" &&
	expect_code 4 on deleted audit verify &&
	stderr_has "irdesk: audit log broken at row 4: row 4 is missing"
'

test_expect_success 'swapped rows are caught at the first of them' '
	copy_db swapped &&
	db_sql_on swapped "
		CREATE TEMP TABLE t AS SELECT * FROM audit_log WHERE seq IN (2, 4);
		UPDATE audit_log SET (at, actor, action, object_type, object_id, before, after,
			prev_hash, hash) = (SELECT at, actor, action, object_type, object_id, before,
			after, prev_hash, hash FROM t WHERE t.seq = 6 - audit_log.seq)
		WHERE seq IN (2, 4);" &&
	test "$(db_sql_on swapped "SELECT COUNT(*) FROM audit_log")" -eq "$(rows)" &&
	expect_code 4 on swapped audit verify &&
	stderr_has "irdesk: audit log broken at row 2: "
'

test_expect_success 'verify --json on a broken log still exits 4' '
	expect_code 4 on edit-actor audit verify --json &&
	jq -e ".intact == false and .bad_seq == 3 and .rows == 2 and .head.seq == 2
		and (.problem | test(\"row 3\"))" "$TEST_DIR/stdout" &&
	stderr_has "audit log broken at row 3: "
'

test_expect_success 'rows cut off the end are caught; with the head lowered only the anchor tells' '
	n=$(rows) &&
	copy_db cut &&
	db_sql_on cut "DELETE FROM audit_log WHERE seq > $((n - 2))" &&
	expect_code 4 on cut audit verify &&
	stderr_has "irdesk: audit log broken at row $((n - 1)): " &&
	copy_db cut-head &&
	db_sql_on cut-head "DELETE FROM audit_log WHERE seq > $((n - 2));
		UPDATE audit_head SET seq = $((n - 2)),
			hash = (SELECT hash FROM audit_log WHERE seq = $((n - 2)))" &&
	expect_code 0 on cut-head audit verify &&
	stdout_has "audit log intact: $((n - 2)) rows" &&
	expect_code 4 on cut-head audit verify --anchor "$(cat anchor.txt)" &&
	stderr_has "irdesk: audit log broken at row $((n - 1)): anchor $n:" &&
	stderr_has "not found: the log was cut or rewritten"
'

test_expect_success 'an old anchor still verifies after more work' '
	id=$(json_get inc2.json .id) &&
	irdesk incident note "$id" "laptop found in the taxi" &&
	expect_code 0 irdesk audit verify --anchor "$(cat anchor.txt)" &&
	stdout_has "audit log intact: $(($(rows) + 1)) rows"
'

test_expect_success 'a viewer may not read the audit log' '
	expect_code 6 irdesk --as vic audit verify &&
	expect_code 6 irdesk --as vic audit log
'

test_done
