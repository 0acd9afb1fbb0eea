# tests/e2e/lib-mail.sh: what the report-mailbox tests share (sourced after
# lib.sh): a real Dovecot on loopback (plain login without TLS, a temporary
# configuration and Maildir, stopped at exit), IMAP commands through curl,
# delivering a file into the mailbox, and waiting until it has no unseen
# message. A script without Dovecot installed is skipped here.
DC=$TEST_DIR/dovecot
IMAP_PW=report-mailbox-secret-7
IMAP_PORT_FILE=$TEST_DIR/imap_port
# Dovecot itself, imap, drop and unseen: shared with bench/bench_mailbox.sh.
. "$(dirname "$0")/lib-dovecot.sh"

if [ ! -x "$DOVECOT" ]; then
	test_skip 'the report mailbox (dovecot-imapd is not installed: scripts/deps.sh)'
	test_done
	exit 0
fi

at_exit stop_dovecot

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
