#!/usr/bin/env bash
# t0500-token.sh: `irdesk token`: a token is printed once at creation and
# never again (not by list, not in the database, not in the audit log),
# tokens are listed by name and prefix, revoked, and bad input is refused
# with one line and the documented exit code.
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup: init and an account' '
	irdesk init > /dev/null
	irdesk user add alice --role incident_handler > /dev/null
'

test_expect_success 'token create --json prints the token once, with id, name and prefix' '
	irdesk token create admin --name ci --json > ci.json
	cat ci.json
	token=$(json_get ci.json .token)
	case "$token" in ird_*) ;; *) echo "bad token: $token"; exit 1 ;; esac
	[ "${#token}" -eq 47 ]
	[ "$(json_get ci.json .name)" = ci ]
	[ "$(json_get ci.json .id)" -gt 0 ]
	prefix=$(json_get ci.json .prefix)
	[ -n "$prefix" ]
	case "$token" in "$prefix"*) ;; *) echo "prefix $prefix is not the start of the token"; exit 1 ;; esac
	! grep -q hash ci.json
	echo "$token" > ci.token
	echo "$prefix" > ci.prefix
	json_get ci.json .id > ci.id
'

test_expect_success 'token create prints the token and a warning, default name cli' '
	irdesk token create alice > out
	cat out
	[ "$(wc -l < out)" -eq 2 ]
	grep -q "^token for alice (cli): ird_[A-Za-z0-9_-]\{43\}$" out
	grep -qx "store it now: it cannot be shown again" out
	sed -n "s/^token for alice (cli): //p" out > alice.token
'

test_expect_success 'token list shows names and prefixes but never the token' '
	irdesk token list admin --json > list.json
	cat list.json
	[ "$(jq length list.json)" -eq 1 ]
	[ "$(json_get list.json ".[0].name")" = ci ]
	[ "$(json_get list.json ".[0].prefix")" = "$(cat ci.prefix)" ]
	[ "$(json_get list.json ".[0].revoked")" = false ]
	! grep -qF "$(cat ci.token)" list.json
	! grep -q hash list.json
	irdesk token list admin > list.txt
	cat list.txt
	head -1 list.txt | grep -q "^ID *NAME *PREFIX *CREATED *LAST USED *REVOKED$"
	grep -q "^$(cat ci.id) *ci *$(cat ci.prefix) " list.txt
	! grep -qF "$(cat ci.token)" list.txt
	[ "$(irdesk --json token list alice | jq -r ".[0].name")" = cli ]
'

test_expect_success 'no token is kept in the database or the audit log' '
	for f in ci.token alice.token; do
		! grep -qaF "$(cat $f)" "$TEST_DIR/irdesk.db"
	done
	irdesk --json audit log --limit 1000 > audit.json
	[ "$(jq "[.[] | select(.action == \"token.create\")] | length" audit.json)" -eq 2 ]
	! grep -qF "$(cat ci.token)" audit.json
	! grep -qF "$(cat alice.token)" audit.json
'

test_expect_success 'token revoke marks it revoked, and again changes nothing' '
	id=$(cat ci.id)
	irdesk token revoke "$id" > out
	grep -qx "revoked token $id" out
	[ "$(irdesk --json token list admin | jq -r ".[0].revoked")" = true ]
	[ "$(irdesk --json token list admin | jq -r ".[0].revoked_at")" != null ]
	irdesk --json token revoke "$id" > again.json
	[ "$(json_get again.json .revoked)" = true ]
	irdesk --json audit log --limit 1000 > audit.json
	[ "$(jq "[.[] | select(.action == \"token.revoke\")] | length" audit.json)" -eq 1 ]
	irdesk audit verify > /dev/null
'

test_expect_success 'an account may make and list its own tokens, not others' '
	irdesk --as alice token create alice --name laptop > out
	grep -q "^token for alice (laptop): ird_" out
	[ "$(irdesk --as alice --json token list alice | jq length)" -eq 2 ]
	expect_code 6 irdesk --as alice token create admin
	expect_code 6 irdesk --as alice token list admin
	expect_code 6 irdesk --as alice token revoke "$(cat ci.id)"
	expect_code 6 irdesk --as alice token create nobody
'

test_expect_success 'unknown users and ids exit 3, bad input 4, usage errors 2, each one line' '
	expect_code 3 irdesk token create nobody
	stderr_has "nobody"
	expect_code 3 irdesk token list nobody
	expect_code 3 irdesk token revoke 9999
	expect_code 4 irdesk token create alice --name ""
	stderr_has "name"
	expect_code 2 irdesk token
	expect_code 2 irdesk token frobnicate
	expect_code 2 irdesk token create
	stderr_has "USER"
	expect_code 2 irdesk token create alice bob
	expect_code 2 irdesk token create alice --bogus
	expect_code 2 irdesk token create alice --name
	expect_code 2 irdesk token list
	expect_code 2 irdesk token revoke
	expect_code 2 irdesk token revoke abc
	expect_code 2 irdesk token revoke 0
	expect_code 2 irdesk token revoke -- -3
'

test_expect_success 'every subcommand has --help' '
	irdesk token --help | grep -q "^usage: irdesk token"
	for s in create list revoke; do
		irdesk token $s --help > help.txt
		grep -q "^usage: irdesk token $s" help.txt
	done
	irdesk token create --help | grep -q -- "--name NAME"
'

test_done
