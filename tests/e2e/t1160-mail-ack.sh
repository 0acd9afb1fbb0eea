#!/usr/bin/env bash
# t1160-mail-ack.sh: acknowledgements to reporters over SMTP. With Dovecot
# and an aiosmtpd server on loopback, `serve --smtp-url` acknowledges a
# forwarded BEC report once, to the employee who forwarded it, naming the
# alert and the verdict in Japanese and English; a clean mail and a mail
# sent straight by the attacker get none; a report seen again gets none;
# while the SMTP server is down the intake goes on and the acknowledgement
# is retried at the next poll. A report posted to POST /api/v1/mail (no
# mailbox) is acknowledged the same way, once, without the request waiting
# for SMTP.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mail.sh"

DATA=$TEST_TOP/tests/data/mail
SMTPD_PY=
for py in /usr/bin/python3 python3; do
	if "$py" -c 'import aiosmtpd' 2>/dev/null; then SMTPD_PY=$py; break; fi
done
if [ -z "$SMTPD_PY" ]; then
	test_skip 'acknowledgements over SMTP (python3-aiosmtpd is not installed: scripts/deps.sh)'
	test_done
	exit 0
fi

# start_smtpd: aiosmtpd on loopback (the same port again after a stop), each message a file in a Maildir.
start_smtpd() {
	[ -s "$TEST_DIR/smtp_port" ] || free_port > "$TEST_DIR/smtp_port"
	"$SMTPD_PY" -m aiosmtpd -n -l "127.0.0.1:$(cat "$TEST_DIR/smtp_port")" \
		-c aiosmtpd.handlers.Mailbox "$TEST_DIR/smtp" > "$TEST_DIR/smtpd.log" 2>&1 &
	echo $! > "$TEST_DIR/smtpd.pid"
	for _ in $(seq 1 100); do
		(exec 3<> "/dev/tcp/127.0.0.1/$(cat "$TEST_DIR/smtp_port")") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
stop_smtpd() { kill "$(cat "$TEST_DIR/smtpd.pid")" && wait "$(cat "$TEST_DIR/smtpd.pid")" 2>/dev/null; true; }
at_exit '[ -f "$TEST_DIR/smtpd.pid" ] && kill "$(cat "$TEST_DIR/smtpd.pid")"'

# acks: one line per message received: To|Subject|Japanese and English verdict lines present.
acks() {
	[ -d "$TEST_DIR/smtp/new" ] || return 0
	"$SMTPD_PY" - "$TEST_DIR/smtp" <<-'PY'
	import sys, os, email, email.policy
	d = os.path.join(sys.argv[1], "new")
	for name in sorted(os.listdir(d), key=lambda n: os.path.getmtime(os.path.join(d, n))):
	    with open(os.path.join(d, name), "rb") as f:
	        m = email.message_from_binary_file(f, policy=email.policy.default)
	    body = m.get_content()
	    ok = "判定: ビジネスメール詐欺（BEC）の疑い" in body and "Verdict: suspected business e-mail compromise (bec)" in body
	    print(f"{m['To']}|{m['Subject']}|{ok}")
	PY
}
# wait_acks N: until N acknowledgements have arrived (at most 10 s).
wait_acks() {
	for _ in $(seq 1 100); do [ "$(acks | wc -l)" -ge "$1" ] && break; sleep 0.1; done
	[ "$(acks | wc -l)" = "$1" ] || { echo "acknowledgements:"; acks; return 1; }
}
smtp_opts() { echo --smtp-url "smtp://127.0.0.1:$(cat "$TEST_DIR/smtp_port")" --smtp-from csirt@example.co.jp; }
alert_of() { db_sql "SELECT alert_id FROM mail_reports WHERE id = $1"; }

test_expect_success 'setup: Dovecot with a forwarded BEC report, a clean mail and a phishing mail sent straight' '
	irdesk init > /dev/null &&
	start_dovecot && start_smtpd &&
	drop "$DATA/0301-forwarded-report.eml" 1.eml &&
	drop "$DATA/0101-ham-mailing-list.eml" 2.eml &&
	drop "$DATA/0004-phish-link-mismatch.eml" 3.eml &&
	[ "$(unseen)" = "1 2 3" ]
'

test_expect_success 'the employee who forwarded the BEC report gets one acknowledgement naming the alert' '
	serve_imap 1 $(smtp_opts) && settle && wait_acks 1 &&
	[ "$(alerts)" = 2 ] && [ "$(kept)" = 2 ] &&
	rid=$(db_sql "SELECT id FROM mail_reports WHERE verdict = '"'"'bec'"'"'") &&
	acks > "$TEST_DIR/acks" &&
	[ "$(cut -d"|" -f1 "$TEST_DIR/acks")" = t.yamada@example.co.jp ] &&
	grep -qF "|irdesk: 報告を受け付けました / report received (alert #$(alert_of "$rid"))|True" "$TEST_DIR/acks" &&
	[ "$(db_sql "SELECT state || '"'"' '"'"'|| recipient FROM mail_acks")" = "sent t.yamada@example.co.jp" ] &&
	[ "$(db_sql "SELECT COUNT(*) FROM audit_log WHERE action = '"'"'mail.ack'"'"'")" = 1 ]
'

test_expect_success 'a report seen again is not acknowledged twice' '
	stop_server &&
	imap "UID STORE 1:* -FLAGS (\\Seen)" > /dev/null && [ "$(unseen)" = "1 2 3" ] &&
	serve_imap 2 $(smtp_opts) && settle && sleep 2 &&
	[ "$(acks | wc -l)" = 1 ] && [ "$(db_sql "SELECT COUNT(*) FROM mail_acks")" = 1 ]
'

test_expect_success 'with the SMTP server down, intake goes on and the acknowledgement is retried' '
	stop_smtpd &&
	sed "0,/^From: t.yamada@example.co.jp/s//From: =?utf-8?B?5L2Q6Jek6Iqx5a2Q?= <h.sato@example.co.jp>/;s/怪しいメールを転送します。/転送します（2通目）。/" \
		"$DATA/0301-forwarded-report.eml" > "$TEST_DIR/second.eml" &&
	drop "$TEST_DIR/second.eml" 4.eml && settle &&
	[ "$(kept)" = 3 ] &&
	for _ in $(seq 1 50); do grep -q "warn.*smtp: acknowledgement" "$TEST_DIR/serve2.log" && break; sleep 0.1; done &&
	grep -q "warn.*smtp: acknowledgement of report .* to h.sato@example.co.jp" "$TEST_DIR/serve2.log" &&
	[ "$(db_sql "SELECT state FROM mail_acks WHERE recipient = '"'"'h.sato@example.co.jp'"'"'")" = pending ] &&
	[ "$(db_sql "SELECT last_error <> '"'"''"'"' AND attempts >= 1 FROM mail_acks WHERE recipient = '"'"'h.sato@example.co.jp'"'"'" | tr -d " ")" != f ] &&
	start_smtpd && wait_acks 2 &&
	acks | tail -1 | grep -q "^h.sato@example.co.jp|.*|True$" &&
	[ "$(db_sql "SELECT COUNT(*) FROM mail_acks WHERE state = '"'"'sent'"'"'")" = 2 ] &&
	stop_server
'

# report_from NAME LINE: the forwarded BEC report as sent by NAME@example.co.jp with LINE as its
# note: a report of its own, of the same original (its alert folds into the mailbox reports' one).
report_from() {
	sed "0,/^From: t.yamada@example.co.jp/s//From: $1@example.co.jp/;s/怪しいメールを転送します。/$2/" \
		"$DATA/0301-forwarded-report.eml"
}
# post_mail FILE: POST FILE to /api/v1/mail as the handler; the status is printed, the answer kept in out.
post_mail() {
	curl -sS -m 5 -o "$TEST_DIR/out" -w "%{http_code}" -X POST -H "Content-Type: message/rfc822" \
		-H "Authorization: Bearer $(cat "$TEST_DIR/h.tok")" --data-binary "@$1" \
		"http://127.0.0.1:$(cat "$TEST_DIR/port")/api/v1/mail"
}

test_expect_success 'a report posted to POST /api/v1/mail is acknowledged too, without a mailbox; once' '
	echo "report password 1" | irdesk user add hana --role incident_handler --password-stdin > /dev/null &&
	irdesk token create hana --name t --json | jq -r .token > "$TEST_DIR/h.tok" &&
	start_server "$TEST_DIR/serve3.log" --mail-config "$DATA/config.json" $(smtp_opts) &&
	report_from k.suzuki "API から転送します。" > "$TEST_DIR/api.eml" &&
	[ "$(post_mail "$TEST_DIR/api.eml")" = 200 ] && [ "$(jq -r .verdict "$TEST_DIR/out")" = bec ] &&
	[ "$(jq -r .outcome "$TEST_DIR/out")" = deduplicated ] &&
	rid=$(jq -r .report "$TEST_DIR/out") && wait_acks 3 &&
	acks | tail -1 | grep -qF "k.suzuki@example.co.jp|irdesk: 報告を受け付けました / report received (alert #$(alert_of "$rid"))|True" &&
	[ "$(post_mail "$DATA/0101-ham-mailing-list.eml")" = 200 ] && [ "$(jq -r .verdict "$TEST_DIR/out")" = clean ] &&
	[ "$(post_mail "$TEST_DIR/api.eml")" = 200 ] && [ "$(jq -r .outcome "$TEST_DIR/out")" = duplicate ] &&
	sleep 2 && [ "$(acks | wc -l)" = 3 ] &&
	[ "$(db_sql "SELECT COUNT(*) FROM mail_acks WHERE recipient = '"'"'k.suzuki@example.co.jp'"'"'")" = 1 ] &&
	[ "$(db_sql "SELECT COUNT(*) FROM audit_log WHERE action = '"'"'mail.ack'"'"'")" = 3 ]
'

test_expect_success 'with the SMTP server down the API answers at once; the server sends it when back' '
	stop_smtpd &&
	report_from m.ito "もう一通転送します。" > "$TEST_DIR/api2.eml" &&
	[ "$(post_mail "$TEST_DIR/api2.eml")" = 200 ] &&
	for _ in $(seq 1 50); do grep -q "warn.*smtp: acknowledgement of report .* to m.ito@" "$TEST_DIR/serve3.log" && break; sleep 0.1; done &&
	grep -q "warn.*smtp: acknowledgement of report .* to m.ito@example.co.jp" "$TEST_DIR/serve3.log" &&
	[ "$(db_sql "SELECT state FROM mail_acks WHERE recipient = '"'"'m.ito@example.co.jp'"'"'")" = pending ] &&
	stop_server && start_smtpd &&
	start_server "$TEST_DIR/serve4.log" --mail-config "$DATA/config.json" $(smtp_opts) &&
	wait_acks 4 && acks | tail -1 | grep -q "^m.ito@example.co.jp|.*|True$" &&
	stop_server && ! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$TEST_DIR"/serve[34].log
'

test_expect_success 'the SMTP options are checked before serve starts' '
	expect_code 2 irdesk serve --smtp-from csirt@example.co.jp && stderr_has "need --smtp-url" &&
	expect_code 2 irdesk serve --imap-url imap://127.0.0.1:1/INBOX --imap-user reports \
		--imap-password-file "$TEST_DIR/imap.pw" --smtp-url http://127.0.0.1:1 --smtp-from a@b.example &&
	stderr_has "expected smtp://" &&
	expect_code 2 irdesk serve --imap-url imap://127.0.0.1:1/INBOX --imap-user reports \
		--imap-password-file "$TEST_DIR/imap.pw" --smtp-url smtp://127.0.0.1:1 --smtp-from nobody &&
	stderr_has "--smtp-from"
'

test_done
