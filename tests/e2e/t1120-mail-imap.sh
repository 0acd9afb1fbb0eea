#!/usr/bin/env bash
# t1120-mail-imap.sh: the report mailbox. A real Dovecot on loopback (plain
# login without TLS, a temporary configuration and Maildir) holds a BEC
# mail forwarded by an employee and a clean one; `irdesk serve --imap-url ...` polling every second
# makes one alert of the BEC mail and marks both \Seen, never logs the
# password, and after a restart with the messages unseen again (a crash
# before \Seen) makes nothing twice.
. "$(dirname "$0")/lib.sh"

DATA=$TEST_TOP/tests/data/mail
DOVECOT=${DOVECOT:-/usr/sbin/dovecot}
DC=$TEST_DIR/dovecot
IMAP_PW=report-mailbox-secret-7

if [ ! -x "$DOVECOT" ]; then
	test_skip 'the report mailbox (dovecot-imapd is not installed: scripts/deps.sh)'
	test_done
	exit 0
fi

# Dovecot refuses to run its processes as root: as root, use its own users.
if [ "$(id -u)" = 0 ]; then
	LOGIN_USER=dovenull MAIL_USER=dovecot
else
	LOGIN_USER=$(id -un) MAIL_USER=$(id -un)
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_dovecot() {
	IMAP_PORT=$(free_port) && echo "$IMAP_PORT" > "$TEST_DIR/imap_port" &&
	mkdir -p "$DC/run" "$DC/state" "$DC/home" "$DC/Maildir/new" "$DC/Maildir/cur" "$DC/Maildir/tmp" &&
	echo "reports:{PLAIN}$IMAP_PW" > "$DC/passwd" &&
	cat > "$DC/dovecot.conf" <<-CONF &&
	base_dir = $DC/run
	state_dir = $DC/state
	log_path = $DC/dovecot.log
	protocols = imap
	listen = 127.0.0.1
	ssl = no
	disable_plaintext_auth = no
	auth_mechanisms = plain login
	mail_location = maildir:$DC/Maildir
	first_valid_uid = 1
	default_login_user = $LOGIN_USER
	default_internal_user = $MAIL_USER
	default_internal_group = $(id -gn "$MAIL_USER")
	service imap-login {
	  inet_listener imap {
	    address = 127.0.0.1
	    port = $IMAP_PORT
	  }
	  chroot =
	}
	service anvil {
	  chroot =
	}
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN username_format=%u $DC/passwd
	}
	userdb {
	  driver = static
	  args = uid=$(id -u "$MAIL_USER") gid=$(id -g "$MAIL_USER") home=$DC/home
	}
	CONF
	chmod 755 "$TEST_DIR" && chown -R "$MAIL_USER" "$DC/Maildir" "$DC/home" &&
	"$DOVECOT" -c "$DC/dovecot.conf" &&
	for _ in $(seq 1 50); do imap "UID SEARCH ALL" > /dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
stop_dovecot() {
	local pid
	pid=$(cat "$DC/run/master.pid" 2>/dev/null) || return 0
	kill "$pid" && for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}
at_exit stop_dovecot

# imap COMMAND: one IMAP command on INBOX through curl; the untagged reply.
imap() {
	curl -sS --user "reports:$IMAP_PW" "imap://127.0.0.1:$(cat "$TEST_DIR/imap_port")/INBOX" -X "$1"
}
# drop FILE NAME: deliver FILE into the Maildir as the mail user.
drop() {
	cp "$1" "$DC/Maildir/new/$2" && chown "$MAIL_USER" "$DC/Maildir/new/$2"
}
alerts() { irdesk alert list --json | jq '.items | length'; }
kept() { db_sql "SELECT COUNT(*) FROM mail_reports"; }
unseen() { imap "UID SEARCH UNSEEN" | tr -d '\r' | sed 's/^\* SEARCH *//'; }
serve_imap() {
	echo "$IMAP_PW" > "$TEST_DIR/imap.pw" &&
	start_server "$TEST_DIR/serve$1.log" --mail-config "$DATA/config.json" \
		--imap-url "imap://127.0.0.1:$(cat "$TEST_DIR/imap_port")/INBOX" --imap-user reports \
		--imap-password-file "$TEST_DIR/imap.pw" --imap-interval 1
}
# settle: wait until the mailbox has no unseen message (at most 10 s).
settle() {
	for _ in $(seq 1 100); do [ -z "$(unseen)" ] && return 0; sleep 0.1; done
	echo "still unseen: $(unseen)"; return 1
}
stop_server() { kill "$(cat "$TEST_DIR/pid")" && [ "$(wait_exit)" = 0 ]; }

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
test_done
