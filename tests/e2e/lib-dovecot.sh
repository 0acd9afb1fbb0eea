# tests/e2e/lib-dovecot.sh: a real Dovecot on loopback for the report mailbox
# (plain login without TLS, a temporary configuration and Maildir), IMAP
# commands through curl and delivering a file into the Maildir. It needs no
# test harness, so both tests/e2e/lib-mail.sh and bench/bench_mailbox.sh
# source it (bash). Before calling its functions, set:
#   DC              the folder for Dovecot's configuration, Maildir and state
#                   (its parent is made world-traversable for Dovecot's users)
#   IMAP_PW         the password of the account "reports"
#   IMAP_PORT_FILE  where start_dovecot writes the IMAP port it picked
#   DOVECOT_CONF_EXTRA  optional lines appended to dovecot.conf
# Check [ -x "$DOVECOT" ] first: Dovecot may not be installed.
DOVECOT=${DOVECOT:-/usr/sbin/dovecot}

# Dovecot refuses to run its processes as root: as root, use its own users.
if [ "$(id -u)" = 0 ]; then
	LOGIN_USER=dovenull MAIL_USER=dovecot
else
	LOGIN_USER=$(id -un) MAIL_USER=$(id -un)
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_dovecot() {
	IMAP_PORT=$(free_port) && echo "$IMAP_PORT" > "$IMAP_PORT_FILE" &&
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
	${DOVECOT_CONF_EXTRA:-}
	CONF
	chmod 755 "$(dirname "$DC")" && chown -R "$MAIL_USER" "$DC/Maildir" "$DC/home" &&
	"$DOVECOT" -c "$DC/dovecot.conf" &&
	for _ in $(seq 1 50); do imap "UID SEARCH ALL" > /dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
stop_dovecot() {
	local pid
	pid=$(cat "$DC/run/master.pid" 2>/dev/null) || return 0
	kill "$pid" && for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

# imap COMMAND: one IMAP command on INBOX through curl; the untagged reply.
imap() {
	curl -sS --user "reports:$IMAP_PW" "imap://127.0.0.1:$(cat "$IMAP_PORT_FILE")/INBOX" -X "$1"
}
# drop FILE NAME: deliver FILE into the Maildir as the mail user.
drop() {
	cp "$1" "$DC/Maildir/new/$2" && chown "$MAIL_USER" "$DC/Maildir/new/$2"
}
unseen() { imap "UID SEARCH UNSEEN" | tr -d '\r' | sed 's/^\* SEARCH *//'; }
