#!/usr/bin/env bash
# t0910-db-copy.sh: `irdesk db copy` moves an installation to another
# database ($DB: PostgreSQL on the pg pass, another SQLite file otherwise):
# the same incidents, users, tokens and a verifying audit chain arrive, new
# ids continue after the copied ones, a non-empty target is refused, and the
# copy goes back again unchanged. The fixture has rows of every later kind
# (catalog items and threats, reports, contacts, notifications, evidence with
# custody, observables, lessons) and more incidents and audit rows than one
# batch of the copy holds.
. "$(dirname "$0")/lib.sh"

SRC=sqlite:$TEST_DIR/src.db
src() { "$IRDESK_BIN" --db "$SRC" "$@"; }

test_expect_success 'setup: a SQLite installation with some history' '
	src init > /dev/null &&
	printf "%s\n" "handler password 1" | src user add hana --role incident_handler --password-stdin >/dev/null &&
	src token create admin --name ci --json | jq -r .token > token &&
	src incident new --title "Phishing wave" --type phishing > /dev/null &&
	src incident new --title "社内ネットワークへの不正侵入" --summary "VPN 認証情報の漏えい" > /dev/null &&
	src incident new --title "same wave again" > /dev/null &&
	src incident move IR-2026-0003 triage &&
	src incident move IR-2026-0003 rejected --reject-reason duplicate --duplicate-of IR-2026-0001 &&
	src incident note IR-2026-0001 "blocked the sender" &&
	src incident member IR-2026-0001 hana incident_handler &&
	src task add IR-2026-0001 "reset passwords" --phase triage > /dev/null &&
	src audit verify > /dev/null
'

test_expect_success 'setup: rows of the later kinds, and more than a batch of incidents' '
	src incident item IR-2026-0001 organisation=ACME > /dev/null &&
	src incident threat IR-2026-0001 2026:ransomware > /dev/null &&
	src report incident IR-2026-0001 --output r.html > /dev/null &&
	src contact add "JPCERT/CC" --scope external --category jpcert > /dev/null &&
	src notify add IR-2026-0001 --contact 1 --channel email --kind external --text "told them" > /dev/null &&
	printf "GET /login 200\n" > access.log &&
	IRDESK_EVIDENCE_DIR=$TEST_DIR/ev src evidence add IR-2026-0001 access.log --source web1 \
		--acquired-at 2026-01-05T10:00:00+09:00 > /dev/null &&
	src observable add IR-2026-0001 198.51.100.7 --ioc > /dev/null &&
	src lessons set IR-2026-0001 --what-happened "a phishing wave" > /dev/null &&
	src lessons action IR-2026-0001 "train staff" > /dev/null &&
	for i in $(seq 1 23); do src incident new --title "bulk $i" > /dev/null || return 1; done &&
	src audit verify > /dev/null
'

test_expect_success 'db copy fills the new database and prints what it copied' '
	expect_code 0 "$IRDESK_BIN" db copy --from "$SRC" --to "$DB" &&
	stdout_has "incidents" && grep -Eq "^  audit_log +[0-9]+ rows$" "$TEST_DIR/stdout" &&
	grep -Eq "^  incidents +26 rows$" "$TEST_DIR/stdout"
'

test_expect_success 'the copy holds the same incidents, people and a chain that verifies' '
	src --json incident list --sort id > a.json &&
	irdesk --json incident list --sort id > b.json &&
	diff a.json b.json &&
	src --json incident show IR-2026-0001 > a1.json && irdesk --json incident show IR-2026-0001 > b1.json &&
	diff a1.json b1.json &&
	[ "$(irdesk --json incident show IR-2026-0003 | jq -r .duplicate_of)" = IR-2026-0001 ] &&
	[ "$(irdesk --json incident list --text 漏え | jq length)" = 1 ] &&
	diff <(src --json user list) <(irdesk --json user list) &&
	irdesk audit verify > v.out && grep -q "audit log intact" v.out &&
	[ "$(src audit anchor)" = "$(irdesk audit anchor)" ] &&
	expect_code 0 irdesk audit verify --anchor "$(src audit anchor)"
'

test_expect_success 'rows of every later kind arrive, evidence still refers to its file' '
	for t in incident_items incident_threats reports contacts notifications evidence \
		evidence_custody observables lessons lesson_actions; do
		[ "$(db_sql "SELECT COUNT(*) FROM $t")" -ge 1 ] || { echo "no rows in $t"; return 1; }
	done &&
	[ "$(irdesk --json incident item IR-2026-0001 | jq -r ".items[] | select(.key == \"organisation\") | .value")" = ACME ] &&
	diff <(src report list IR-2026-0001) <(irdesk report list IR-2026-0001) &&
	diff <(src --json notify list IR-2026-0001) <(irdesk --json notify list IR-2026-0001) &&
	diff <(src --json observable list IR-2026-0001) <(irdesk --json observable list IR-2026-0001) &&
	diff <(src --json lessons show IR-2026-0001) <(irdesk --json lessons show IR-2026-0001) &&
	diff <(src --json evidence custody 1) <(irdesk --json evidence custody 1) &&
	IRDESK_EVIDENCE_DIR=$TEST_DIR/ev irdesk evidence verify 1 > ev.out &&
	IRDESK_EVIDENCE_DIR=$TEST_DIR/ev irdesk evidence download 1 --output got.log &&
	cmp access.log got.log
'

test_expect_success 'tokens and passwords work on the copy; new ids follow the copied ones' '
	irdesk token list admin --json | jq -e "length == 1" > /dev/null &&
	irdesk incident new --title "after the move" > new.out &&
	grep -q "IR-2026-0027" new.out &&
	[ "$(db_sql "SELECT hid FROM incidents WHERE id = 27")" = IR-2026-0027 ] &&
	irdesk audit verify > /dev/null
'

test_expect_success 'a target that is not empty is refused and left alone' '
	n=$(db_sql "SELECT COUNT(*) FROM incidents") &&
	expect_code 4 "$IRDESK_BIN" db copy --from "$SRC" --to "$DB" &&
	stderr_has "not empty" &&
	[ "$(db_sql "SELECT COUNT(*) FROM incidents")" = "$n" ] &&
	expect_code 2 "$IRDESK_BIN" db copy --from "$SRC"
'

test_expect_success 'and back: the copy copied to SQLite again verifies and matches' '
	expect_code 0 "$IRDESK_BIN" db copy --from "$DB" --to "sqlite:$TEST_DIR/back.db" &&
	"$IRDESK_BIN" --db "sqlite:$TEST_DIR/back.db" audit verify > back.out &&
	grep -q "audit log intact" back.out &&
	diff <(irdesk --json incident list --sort id) \
		<("$IRDESK_BIN" --db "sqlite:$TEST_DIR/back.db" --json incident list --sort id)
'

test_done
