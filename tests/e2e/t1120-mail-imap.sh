#!/usr/bin/env bash
# t1120-mail-imap.sh: the report mailbox. A real Dovecot on loopback (plain
# login without TLS, a temporary configuration and Maildir) holds a BEC
# mail forwarded by an employee and a clean one; `irdesk serve --imap-url ...` polling every second
# makes one alert of the BEC mail and marks both \Seen, never logs the
# password, and after a restart with the messages unseen again (a crash
# before \Seen) makes nothing twice; with IDLE, a message is handled as it
# arrives even when the next poll is ten minutes away.
. "$(dirname "$0")/lib.sh"

DATA=$TEST_TOP/tests/data/mail
. "$(dirname "$0")/lib-mail.sh"

test_expect_success 'setup: a database, Dovecot on loopback with a forwarded BEC mail and a clean one' '
	irdesk init > /dev/null &&
	start_dovecot &&
	drop "$DATA/0301-forwarded-report.eml" 1.eml &&
	drop "$DATA/0101-ham-mailing-list.eml" 2.eml &&
	[ "$(unseen)" = "1 2" ]
'

test_expect_success 'serve polls the mailbox: one alert for the forwarded BEC mail, both messages seen' '
	serve_imap 1 && settle &&
	[ "$(alerts)" = 1 ] && [ "$(kept)" = 1 ] &&
	irdesk alert list --json > "$TEST_DIR/a.json" &&
	[ "$(jq -r ".items[0].source" "$TEST_DIR/a.json")" = mail ] &&
	jq -r ".items[0].title" "$TEST_DIR/a.json" | grep -q "^bec: From: lookalike of supplier-abc.co.jp" &&
	jq -r ".items[0].title" "$TEST_DIR/a.json" | grep -q "bank_account_change language (振込先口座の変更" &&
	[ "$(db_sql "SELECT origin FROM mail_reports")" = imap ] &&
	irdesk alert show "$(jq -r ".items[0].id" "$TEST_DIR/a.json")" --json |
		jq -e ".event.mail.reply_to == \"keiri.abc@gmail.com\"" > /dev/null &&
	imap "UID SEARCH SEEN" | grep -q "SEARCH 1 2"
'

test_expect_success 'the password is never logged' '
	sleep 1.5 && ! grep -F -- "$IMAP_PW" "$TEST_DIR/serve1.log" &&
	grep -q "report mailbox: polling" "$TEST_DIR/serve1.log"
'

test_expect_success 'after a restart with the messages unseen again, nothing is made twice' '
	stop_server &&
	imap "UID STORE 1:* -FLAGS (\\Seen)" > /dev/null && [ "$(unseen)" = "1 2" ] &&
	serve_imap 2 && settle && sleep 1.5 &&
	[ "$(alerts)" = 1 ] && [ "$(kept)" = 1 ] &&
	drop "$DATA/0004-phish-link-mismatch.eml" 3.eml && settle &&
	[ "$(alerts)" = 2 ] && [ "$(kept)" = 2 ] &&
	stop_server
'

test_expect_success 'the mailbox options go together; a wrong password is logged, not fatal' '
	expect_code 2 irdesk serve --imap-url "imap://127.0.0.1:1/INBOX" &&
	stderr_has "go together" &&
	rc=0; IRDESK_LOG=warn irdesk serve --imap-url "imap://u@127.0.0.1:1/INBOX" --imap-user u \
		--imap-password-file "$TEST_DIR/imap.pw" --listen 127.0.0.1:0 2> "$TEST_DIR/stderr" || rc=$? &&
	[ "$rc" = 2 ] && stderr_has "--imap-user, not in the URL" &&
	echo wrong-password > "$TEST_DIR/bad.pw" &&
	start_server "$TEST_DIR/serve3.log" --imap-url "imap://127.0.0.1:$(cat "$TEST_DIR/imap_port")/INBOX" \
		--imap-user reports --imap-password-file "$TEST_DIR/bad.pw" --imap-interval 1 &&
	for _ in $(seq 1 50); do grep -q "warn.*imap:" "$TEST_DIR/serve3.log" && break; sleep 0.1; done &&
	grep "warn.*imap:" "$TEST_DIR/serve3.log" | grep -qi "login\|auth" &&
	! grep -q wrong-password "$TEST_DIR/serve3.log" &&
	stop_server
'

test_expect_success 'with IDLE a report becomes an alert as it arrives, long before the next poll' '
	serve_imap 4 --imap-interval 600 &&
	n=$(alerts) &&
	drop "$DATA/0702-bec-fwd-inline-outlook-ja.eml" 4.eml && settle &&
	[ "$(alerts)" = $((n + 1)) ] &&
	drop "$DATA/0708-phish-fwd-inline-thunderbird.eml" 5.eml && settle &&
	[ "$(alerts)" = $((n + 2)) ] &&
	[ "$(grep -c "imap: 1 message handled, 1 new alert" "$TEST_DIR/serve4.log")" = 2 ] &&
	irdesk alert list --json | jq -r ".items[].title" | grep -q "^phishing: .*micros0ft-support" &&
	{ echo "X-Reported-Again: yes"; cat "$DATA/0301-forwarded-report.eml"; } > "$TEST_DIR/again.eml" &&
	drop "$TEST_DIR/again.eml" 6.eml && settle &&
	[ "$(alerts)" = $((n + 2)) ] &&
	grep -q "imap: 1 message handled, 0 new alerts" "$TEST_DIR/serve4.log" &&
	stop_server
'
test_done
