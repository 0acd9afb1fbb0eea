#!/usr/bin/env bash
# t0910-db-copy.sh: `irdesk db copy` moves an installation to another
# database ($DB: PostgreSQL on the pg pass, another SQLite file otherwise):
# the same incidents, users, tokens and a verifying audit chain arrive, new
# ids continue after the copied ones, a non-empty target is refused, and the
# copy goes back again unchanged.
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

test_expect_success 'db copy fills the new database and prints what it copied' '
	expect_code 0 "$IRDESK_BIN" db copy --from "$SRC" --to "$DB" &&
	stdout_has "incidents" && grep -Eq "^  audit_log +[0-9]+ rows$" "$TEST_DIR/stdout" &&
	grep -Eq "^  incidents +3 rows$" "$TEST_DIR/stdout"
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

test_expect_success 'tokens and passwords work on the copy; new ids follow the copied ones' '
	irdesk token list admin --json | jq -e "length == 1" > /dev/null &&
	irdesk incident new --title "after the move" > new.out &&
	grep -q "IR-2026-0004" new.out &&
	[ "$(db_sql "SELECT hid FROM incidents WHERE id = 4")" = IR-2026-0004 ] &&
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
