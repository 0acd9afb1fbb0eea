#!/usr/bin/env bash
# t0100-init-user.sh: `irdesk init` and `irdesk user`: the admin's one-time
# password is shown once, a second init is refused (or quietly skipped with
# --if-needed), accounts are added, listed, given passwords, disabled and
# enabled, bad input is refused with one line and changes nothing, and no
# password ever shows up where it should not.
. "$(dirname "$0")/lib.sh"

# What init names the database by, and where the evidence folder goes: beside
# a SQLite file, or under var/ in the working folder for PostgreSQL.
shown=$TEST_DIR/irdesk.db evdir=$TEST_DIR/evidence
[ "$TEST_BACKEND" = pg ] && shown=$DB evdir=$TEST_DIR/var/evidence

test_expect_success 'init creates the database and evidence folder and shows a password once' '
	irdesk init > init.out 2> init.err
	cat init.out
	grep -qxF "irdesk initialised: database $shown" init.out
	[ "$(grep -c "one-time password" init.out)" -eq 1 ]
	otp=$(sed -n "s/^admin one-time password: \([^ ]*\) (shown once; change it at first sign-in)$/\1/p" init.out)
	[ "${#otp}" -eq 20 ]
	! printf "%s" "$otp" | grep -q "[0O1lI]"
	echo "$otp" > admin.otp
	[ ! -s init.err ]
	[ "$TEST_BACKEND" = pg ] || [ -f "$TEST_DIR/irdesk.db" ]
	[ "$(stat -c %a "$evdir")" = 700 ]
'

test_expect_success 'a second init is refused with exit 4 and prints no password' '
	expect_code 4 irdesk init
	stderr_has "already initialised"
	stderr_has "$shown"
	[ ! -s "$TEST_DIR/stdout" ]
'

test_expect_success 'init --if-needed on an initialised database exits 0 and prints nothing' '
	irdesk init --if-needed > out 2> err
	[ ! -s out ] && [ ! -s err ]
	irdesk --json user list > list.json
	[ "$(jq length list.json)" -eq 1 ]
'

test_expect_success 'init --json reports the database, evidence folder and admin' '
	"$IRDESK_BIN" --db "sqlite:$TEST_DIR/other/nested/x.db" --json init > init.json
	[ "$(json_get init.json .database)" = "$TEST_DIR/other/nested/x.db" ]
	[ "$(json_get init.json .evidence_dir)" = "$TEST_DIR/other/nested/evidence" ]
	[ "$(json_get init.json .admin.username)" = admin ]
	[ "$(json_get init.json .admin.role)" = admin ]
	[ "$(json_get init.json .admin.must_change_password)" = true ]
	[ "$(json_get init.json ".one_time_password | length")" -eq 20 ]
	! grep -q "hash" init.json
	[ "$(stat -c %a "$TEST_DIR/other/nested")" = 700 ]
	[ -d "$TEST_DIR/other/nested/evidence" ]
	"$IRDESK_BIN" --db "sqlite:$TEST_DIR/other/nested/x.db" init --if-needed > again.out
	[ ! -s again.out ]
'

test_expect_success 'user add prints a one-time password once' '
	irdesk user add alice --role incident_handler --name "Alice Ōta" > out
	cat out
	grep -q "^added user alice (incident_handler)$" out
	[ "$(grep -c "one-time password for alice: " out)" -eq 1 ]
	otp=$(sed -n "s/^one-time password for alice: \([^ ]*\) (must be changed at first sign-in)$/\1/p" out)
	[ "${#otp}" -eq 20 ]
	echo "$otp" > alice.otp
'

test_expect_success 'user add --json with --password-stdin, email and --external' '
	printf "%s\n" "vendor passphrase 1" |
		irdesk --json user add vendor --role forensic_engineer --email dfir@vendor.example \
			--external --password-stdin > vendor.json 2> err
	cat vendor.json
	[ "$(json_get vendor.json .username)" = vendor ]
	[ "$(json_get vendor.json .role)" = forensic_engineer ]
	[ "$(json_get vendor.json .email)" = dfir@vendor.example ]
	[ "$(json_get vendor.json .external)" = true ]
	[ "$(json_get vendor.json .disabled)" = false ]
	[ "$(json_get vendor.json .must_change_password)" = false ]
	[ "$(json_get vendor.json .one_time_password)" = null ]
	! grep -q "vendor passphrase" vendor.json err
	irdesk user add bob --role commander --json > bob.json
	[ "$(json_get bob.json ".one_time_password | length")" -eq 20 ]
	[ "$(json_get bob.json .must_change_password)" = true ]
'

test_expect_success 'user list shows accounts by name, as a table and as JSON' '
	irdesk --json user list > list.json
	[ "$(jq -r "[.[].username] | join(\",\")" list.json)" = admin,alice,bob,vendor ]
	[ "$(jq -r ".[] | select(.username == \"alice\") | .display_name" list.json)" = "Alice Ōta" ]
	! grep -q "hash\|password\"" list.json
	irdesk user list > list.txt
	cat list.txt
	head -1 list.txt | grep -q "USERNAME *ROLE *EXTERNAL *DISABLED *NAME *CREATED"
	grep -q "^vendor *forensic_engineer *yes *no" list.txt
	grep -q "^alice *incident_handler *no *no *Alice Ōta *20" list.txt
'

test_expect_success 'a bad role exits 4 with one line naming the valid roles' '
	irdesk --json user list > before.json
	expect_code 4 irdesk user add carol --role boss
	stderr_has "unknown role '\''boss'\''"
	stderr_has "incident_handler"
	stderr_has "forensic_engineer"
	irdesk --json user list > after.json
	cmp before.json after.json
'

test_expect_success 'missing operands and unknown options exit 2 with one line' '
	expect_code 2 irdesk user
	expect_code 2 irdesk user frobnicate
	expect_code 2 irdesk user add
	expect_code 2 irdesk user add carol
	stderr_has "--role"
	expect_code 2 irdesk user add --role viewer
	stderr_has "NAME"
	expect_code 2 irdesk user add carol --role viewer --bogus
	expect_code 2 irdesk user add carol dave --role viewer
	expect_code 2 irdesk user passwd
	expect_code 2 irdesk user disable
	expect_code 2 irdesk user enable
	expect_code 2 irdesk user list extra
	expect_code 2 irdesk init --bogus
'

test_expect_success 'every subcommand has --help' '
	for s in add list passwd disable enable; do
		irdesk user $s --help > help.txt
		grep -q "^usage: irdesk user $s" help.txt
	done
	irdesk user add --help | grep -q "forensic_engineer"
	irdesk user --help | grep -q "^usage: irdesk user"
	irdesk init --help | grep -q "^usage: irdesk init"
'

test_expect_success 'a short password from stdin exits 4 and changes nothing' '
	irdesk --json user list > before.json
	printf "short\n" > pw
	expect_code 4 irdesk user add carol --role viewer --password-stdin < pw
	stderr_has "password"
	stderr_has "at least 12"
	! grep -q short "$TEST_DIR/stdout"
	expect_code 4 irdesk user passwd alice --password-stdin < pw
	printf "\n" > empty
	expect_code 4 irdesk user add carol --role viewer --password-stdin < empty
	irdesk --json user list > after.json
	cmp before.json after.json
'

test_expect_success 'bad names and duplicates are refused with exit 4' '
	expect_code 4 irdesk user add Alice --role viewer
	stderr_has "lower case"
	expect_code 4 irdesk user add .x --role viewer
	expect_code 4 irdesk user add "a b" --role viewer
	expect_code 4 irdesk user add carol --role viewer --email "not an address"
	stderr_has "email"
	expect_code 4 irdesk user add alice --role viewer
	stderr_has "already exists"
	[ "$(irdesk --json user list | jq length)" -eq 4 ]
'

test_expect_success 'passwd: the admin sets a one-time password, a user sets their own' '
	irdesk user passwd alice > out
	grep -q "^one-time password for alice: " out
	[ "$(irdesk --json user list | jq -r ".[] | select(.username == \"alice\") | .must_change_password")" = true ]
	printf "%s\n" "alice own password" | irdesk --as alice user passwd alice --password-stdin > out 2> err
	grep -q "^password changed for alice$" out
	! grep -q "alice own password" out err
	[ "$(irdesk --json user list | jq -r ".[] | select(.username == \"alice\") | .must_change_password")" = false ]
	printf "%s\n" "mallory password" > pw
	expect_code 6 irdesk --as alice user passwd bob --password-stdin < pw
	expect_code 6 irdesk --as alice user add carol --role admin
	expect_code 3 irdesk user passwd nobody
	irdesk --json user passwd bob > bob.json
	[ "$(json_get bob.json ".one_time_password | length")" -eq 20 ]
	[ "$(json_get bob.json .must_change_password)" = true ]
'

test_expect_success 'a disabled account cannot act with --as until enabled again' '
	irdesk user disable alice > out
	grep -q "^disabled user alice$" out
	[ "$(irdesk --json user list | jq -r ".[] | select(.username == \"alice\") | .disabled")" = true ]
	expect_code 6 irdesk --as alice user list
	stderr_has "disabled"
	irdesk user list | grep -q "^alice *incident_handler *no *yes"
	irdesk --json user enable alice > alice.json
	[ "$(json_get alice.json .disabled)" = false ]
	irdesk --as alice user list > /dev/null
	expect_code 6 irdesk --as alice user disable bob
	expect_code 3 irdesk user disable nobody
'

test_expect_success 'an outside account cannot list accounts' '
	expect_code 6 irdesk --as vendor user list
'

test_expect_success 'every change is in the audit log and no password is' '
	irdesk --json audit log --limit 1000 > audit.json
	for a in user.create user.passwd user.disable user.enable; do
		jq -e "any(.[]; .action == \"$a\" and .object_type == \"user\")" audit.json > /dev/null
	done
	[ "$(jq "[.[] | select(.action == \"user.create\")] | length" audit.json)" -eq 4 ]
	! grep -qF "$(cat admin.otp)" audit.json
	! grep -qF "$(cat alice.otp)" audit.json
	! grep -q "alice own password\|vendor passphrase\|argon2" audit.json
	irdesk audit verify > /dev/null
'

test_done
