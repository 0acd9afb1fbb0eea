#!/usr/bin/env bash
# t0210-incident-bad-input.sh: what `irdesk incident` and `irdesk task` do
# with input a user gets wrong: each mistake exits with its documented code
# (2 usage, 3 not found, 4 invalid or conflict, 6 denied), prints exactly one
# line on stderr and nothing on stdout, and leaves the audit log as it was.
. "$(dirname "$0")/lib.sh"

export IRDESK_NOW=2026-11-27T03:00:00Z
ID=IR-2026-0001
BAD_UTF8=$'Bad \xff title'
CTRL=$'Bell \x07 title'
LONG_TITLE=$(printf 'a%.0s' $(seq 201))
OK_TITLE=$(printf 'a%.0s' $(seq 200))

audit_count() { db_sql 'select count(*) from audit_log'; }

# refused CODE CMD...: CMD exits CODE with one line on stderr, nothing on
# stdout, and the audit log keeps its length.
refused() {
	local want=$1 before after
	shift
	before=$(audit_count)
	expect_code "$want" "$@" || return 1
	cat "$TEST_DIR/stderr"
	[ ! -s "$TEST_DIR/stdout" ] || { echo "stdout not empty:"; cat "$TEST_DIR/stdout"; return 1; }
	grep -q "^irdesk: " "$TEST_DIR/stderr" || { echo "no 'irdesk: ' prefix"; return 1; }
	after=$(audit_count)
	[ "$after" = "$before" ] || { echo "audit log grew from $before to $after: $*"; return 1; }
}

test_expect_success 'setup: a database, one incident, a viewer' '
	irdesk init > /dev/null
	irdesk user add vic --role viewer > /dev/null
	irdesk user add carol --role incident_handler > /dev/null
	irdesk incident new --title "Suspicious login" > /dev/null
	[ "$(irdesk --json incident show $ID | jq -r .state)" = new ]
	[ "$(audit_count)" -ge 4 ]
'

test_expect_success 'an unknown incident id exits 3' '
	refused 3 irdesk incident show IR-2026-0999
	stderr_has "IR-2026-0999"
	refused 3 irdesk incident show nonsense
	refused 3 irdesk incident move IR-2026-0999 triage
	refused 3 irdesk incident set IR-2026-0999 --title "x"
	refused 3 irdesk incident note IR-2026-0999 "x"
	refused 3 irdesk incident member IR-2026-0999 vic viewer
	refused 3 irdesk task add IR-2026-0999 "x" --phase triage
	refused 3 irdesk task list IR-2026-0999
	refused 3 irdesk task done 999
'

test_expect_success 'an illegal transition exits 4 naming the allowed states' '
	refused 4 irdesk incident move $ID closed
	stderr_has "cannot move from new to closed"
	stderr_has "allowed: triage"
	refused 4 irdesk incident move $ID new
	stderr_has "already new"
	refused 4 irdesk incident move $ID containment
	[ "$(irdesk --json incident show $ID | jq -r .state)" = new ]
'

test_expect_success 'a move that lacks what it needs exits 4 saying what' '
	irdesk incident move $ID triage > /dev/null
	refused 4 irdesk incident move $ID analysis
	stderr_has "owner"
	refused 4 irdesk incident move $ID rejected
	stderr_has "--reject-reason"
	refused 4 irdesk incident move $ID rejected --reject-reason duplicate
	stderr_has "--duplicate-of"
	refused 4 irdesk incident move $ID rejected --reject-reason duplicate --duplicate-of $ID
	refused 4 irdesk incident move $ID rejected --reject-reason duplicate --duplicate-of IR-2026-0999
	stderr_has "IR-2026-0999"
	refused 4 irdesk incident move $ID rejected --reject-reason boring
	stderr_has "false_positive"
'

test_expect_success 'a malformed date exits 4' '
	refused 4 irdesk incident set $ID --occurred-at "2026-13-45 10:00"
	stderr_has "occurred_at"
	refused 4 irdesk incident new --title "x" --discovered-at "yesterday-ish"
	refused 4 irdesk incident note $ID "x" --at "26/11/2026 09:30"
	refused 4 irdesk incident note $ID "x" --at "2026-11-28 09:30 JST"
	stderr_has "future"
	refused 4 irdesk task add $ID "x" --due "next friday"
	stderr_has "due"
'

test_expect_success 'an unknown value exits 4 and lists the valid ones' '
	refused 4 irdesk incident new --title "x" --type virus
	stderr_has "virus"
	stderr_has "phishing"
	stderr_has "ransomware"
	refused 4 irdesk incident set $ID --tlp TLP:PURPLE
	stderr_has "TLP:AMBER+STRICT"
	refused 4 irdesk incident set $ID --recoverability maybe
	stderr_has "not_recoverable"
	refused 4 irdesk incident move $ID finished
	stderr_has "post_incident"
	refused 4 irdesk incident list --state open
	stderr_has "triage"
	refused 4 irdesk incident list --priority P7
	refused 4 irdesk incident list --type virus
	refused 4 irdesk incident list --sort severity
	stderr_has "priority"
	refused 4 irdesk incident note $ID "x" --kind gossip
	stderr_has "evidence"
	refused 4 irdesk incident member $ID vic boss
	stderr_has "forensic_engineer"
	refused 4 irdesk incident member $ID vic admin
	refused 4 irdesk task add $ID "x" --phase someday
'

test_expect_success 'an over-long title exits 4; 200 characters are fine' '
	refused 4 irdesk incident new --title "$LONG_TITLE"
	stderr_has "too long"
	refused 4 irdesk incident set $ID --title "$LONG_TITLE"
	irdesk incident new --title "$OK_TITLE" --json > ok.json
	[ "$(jq -r ".title | length" ok.json)" -eq 200 ]
'

test_expect_success 'invalid UTF-8 and control characters exit 4 with a clean one-line message' '
	refused 4 irdesk incident new --title "$BAD_UTF8"
	stderr_has "UTF-8"
	refused 4 irdesk incident new --title "$CTRL"
	stderr_has "control"
	refused 4 irdesk incident note $ID "$BAD_UTF8"
	refused 4 irdesk task add $ID "$BAD_UTF8"
	refused 4 irdesk incident list --text "$BAD_UTF8"
'

test_expect_success 'an unknown option exits 2' '
	refused 2 irdesk incident new --title "x" --colour red
	stderr_has "--colour"
	refused 2 irdesk incident list --bogus
	refused 2 irdesk incident list --title "x"
	refused 2 irdesk incident move $ID analysis --bogus
	refused 2 irdesk task add $ID "x" --bogus
	refused 2 irdesk incident frobnicate
	refused 2 irdesk task frobnicate
	refused 2 irdesk incident list --limit 0
	refused 2 irdesk incident list --limit many
	refused 2 irdesk task list --limit 0
'

test_expect_success 'a missing operand exits 2' '
	refused 2 irdesk incident show
	stderr_has "missing incident id"
	refused 2 irdesk incident move $ID
	refused 2 irdesk incident move
	refused 2 irdesk incident note $ID
	refused 2 irdesk incident set $ID
	stderr_has "nothing to change"
	refused 2 irdesk incident set
	refused 2 irdesk incident new --title
	refused 2 irdesk incident member $ID vic
	refused 2 irdesk task add $ID
	refused 2 irdesk task done
	refused 2 irdesk task done abc
'

test_expect_success 'a command without a subcommand exits 2 with one line, as `irdesk user` does' '
	refused 2 irdesk incident
	refused 2 irdesk task
'

test_expect_success 'a viewer creating or changing anything exits 6' '
	refused 6 irdesk --as vic incident new --title "Viewer incident"
	stderr_has "vic"
	refused 6 irdesk --as vic incident move $ID rejected --reject-reason false_positive
	refused 6 irdesk --as vic incident set $ID --title "x"
	refused 6 irdesk --as vic incident note $ID "x"
	refused 6 irdesk --as vic task add $ID "x"
	refused 6 irdesk --as vic incident member $ID vic researcher
	refused 6 irdesk --as carol incident set $ID --priority P1 --reason "urgent"
	refused 3 irdesk --as nobody incident new --title "x"
	[ "$(irdesk --json incident list | jq length)" -eq 2 ]
'

test_expect_success 'a field option on move is refused, not silently dropped' '
	refused 2 irdesk incident move $ID analysis --owner carol
	stderr_has "--owner"
	[ "$(irdesk --json incident show $ID | jq -r .owner)" = null ]
'

test_expect_success 'after all that the audit log is intact' '
	irdesk audit verify > v.txt
	grep -q intact v.txt
'

test_done
