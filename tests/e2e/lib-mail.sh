# tests/e2e/lib-mail.sh: what the report-mailbox tests share (sourced after
# lib.sh): a real Dovecot on loopback (plain login without TLS, a temporary
# configuration and Maildir, stopped at exit), IMAP commands through curl,
# delivering a file into the mailbox, and waiting until it has no unseen
# message. A script without Dovecot installed is skipped here.
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
unseen() { imap "UID SEARCH UNSEEN" | tr -d '\r' | sed 's/^\* SEARCH *//'; }
# settle: wait until the mailbox has no unseen message (at most 10 s).
settle() {
	for _ in $(seq 1 100); do [ -z "$(unseen)" ] && return 0; sleep 0.1; done
	echo "still unseen: $(unseen)"; return 1
}
alerts() { irdesk alert list --json | jq '.items | length'; }
kept() { db_sql "SELECT COUNT(*) FROM mail_reports"; }
# serve_imap N [SERVE OPTIONS...]: serve (log serveN.log) polling the mailbox every second.
serve_imap() {
	local n=$1
	shift
	echo "$IMAP_PW" > "$TEST_DIR/imap.pw" &&
	start_server "$TEST_DIR/serve$n.log" --mail-config "$TEST_TOP/tests/data/mail/config.json" \
		--imap-url "imap://127.0.0.1:$(cat "$TEST_DIR/imap_port")/INBOX" --imap-user reports \
		--imap-password-file "$TEST_DIR/imap.pw" --imap-interval 1 "$@"
}
stop_server() { kill "$(cat "$TEST_DIR/pid")" && [ "$(wait_exit)" = 0 ]; }
