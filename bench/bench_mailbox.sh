#!/usr/bin/env bash
# bench/bench_mailbox.sh: the report mailbox's latency (issue 7: a forwarded
# mail becomes an alert "within seconds"). A real Dovecot on loopback
# (tests/e2e/lib-dovecot.sh, as the e2e tests start it), a fresh SQLite
# store and `irdesk serve --imap-url ...` with the default --imap-interval
# (60 s): Dovecot announces IDLE, so a poll stays connected and handles each
# message as it arrives. N copies of tests/data/mail/0301-forwarded-report.eml,
# each with its own Message-ID (so each is kept), are delivered into the
# Maildir one at a time (written to tmp/, renamed into new/ as an MDA does),
# each after the previous one was handled and a pause of 0 to 999 ms (the
# same pseudo-random pauses on both sides: without them, deliveries would
# lock to the polling side's cycle and always land just after a poll). Per
# message: the time from the rename to the moment the mailbox has no unseen
# message (curl `UID SEARCH UNSEEN`) and to the moment its report is in the
# store (sqlite3 `SELECT COUNT(*) FROM mail_reports`, written in the same
# transaction as its alert), checked every 20 ms. A first message, not
# counted, warms up. Median, p90 and max of both.
#
# The comparison in the same run: the same harness against a Dovecot that
# does not announce IDLE (imap_capability: its own capabilities without IDLE)
# and `--imap-interval 1`, plain polling every second; the ratio of the
# medians (polling / IDLE). Target: median delivery -> alert < 2 s with IDLE.
# Exit 0 when the target is met, 3 when it is missed, 1 when the benchmark
# could not run; "skipped" (exit 0) without Dovecot.
set -u

usage() {
	cat <<'EOF'
usage: bench/bench_mailbox.sh [--messages N] [--irdesk PATH] [--cpus LIST] [--keep]
  --messages N   messages measured on each side (default 20, or BENCH_MAILBOX_MESSAGES)
  --irdesk PATH  the binary measured (default ./irdesk, the -O2 build: make irdesk)
  --cpus LIST    CPUs everything runs on: irdesk, Dovecot and the checks (default 0; taskset)
  --keep         keep the temporary folder (databases, Dovecot's and irdesk's logs)
EOF
}

cd "$(dirname "$0")/.." || exit 1
msgs=${BENCH_MAILBOX_MESSAGES:-20}
irdesk=./irdesk
cpus=0
keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--messages) msgs=${2:-}; shift ;;
	--irdesk) irdesk=${2:-}; shift ;;
	--cpus) cpus=${2:-}; shift ;;
	--keep) keep=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 1 ;;
	esac
	shift
done

die() { echo "bench_mailbox: $*" >&2; exit 1; }
case "$msgs" in '' | *[!0-9]*) die "--messages: '$msgs' is not a whole number" ;; esac
[ "$msgs" -ge 1 ] && [ "$msgs" -le 1000 ] || die "--messages: expected 1 to 1000"

IMAP_PW=bench-mailbox-secret-$$
DC=
IMAP_PORT_FILE=
. tests/e2e/lib-dovecot.sh
if [ ! -x "$DOVECOT" ]; then
	echo "bench_mailbox: skipped: dovecot-imapd not installed"
	exit 0
fi
[ -x "$irdesk" ] || die "$irdesk is missing: run 'make irdesk'"
for c in curl sqlite3 python3 taskset; do command -v "$c" > /dev/null || die "$c is missing"; done
taskset -pc "$cpus" $$ > /dev/null || die "--cpus: taskset -c '$cpus' failed"
REPORT=tests/data/mail/0301-forwarded-report.eml
CONFIG=tests/data/mail/config.json

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_mailbox.XXXXXX") || die "mktemp failed"
SRV_PID=""
DOVECOTS=()
cleanup() {
	local d
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2> /dev/null && wait "$SRV_PID" 2> /dev/null
	for d in "${DOVECOTS[@]}"; do DC=$d stop_dovecot; done
	exec 8>&-
	[ "$keep" -eq 1 ] && echo "kept $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
echo "$IMAP_PW" > "$TMP/imap.pw"
# A FIFO nobody writes to: `read -t` on it sleeps without starting a process.
mkfifo "$TMP/tick" && exec 8<> "$TMP/tick" || die "mkfifo failed"
tick() { read -r -t 0.02 -u 8 _ || true; }
# pause MS: wait MS milliseconds (0 to 999).
pause() { read -r -t "$(printf '0.%03d' "$1")" -u 8 _ || true; }
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

# The messages: the report with a Message-ID of its own, 0 the warm-up.
mkdir "$TMP/msg"
for i in $(seq 0 "$msgs"); do
	{ echo "Message-ID: <bench-$i.$$@example.co.jp>"; cat "$REPORT"; } > "$TMP/msg/$i.eml" || die "cannot write $TMP/msg"
done

# deliver I: message I into the Maildir as an MDA does (tmp/, then a rename
# into new/); T0 is the time of the rename, in microseconds.
deliver() {
	local f=bench-$1.$$.eml
	cp "$TMP/msg/$1.eml" "$DC/Maildir/tmp/$f" && chown "$MAIL_USER" "$DC/Maildir/tmp/$f" || die "delivery failed"
	T0=$(now_us)
	mv "$DC/Maildir/tmp/$f" "$DC/Maildir/new/$f" || die "delivery failed"
}

# kept_count: reports in the store (0 while the table is busy or absent).
kept_count() {
	local n
	n=$(sqlite3 -cmd '.timeout 1000' "$DB" 'SELECT COUNT(*) FROM mail_reports' 2> /dev/null)
	echo "${n:-0}"
}
# all_seen: the mailbox answers and has no unseen message.
all_seen() {
	local r
	r=$(imap "UID SEARCH UNSEEN" 2> /dev/null) || return 1
	[[ $r == *SEARCH* ]] && ! [[ $r =~ SEARCH\ +[0-9] ]]
}

# wait_handled WANT LIMIT: until WANT reports are kept and nothing is unseen,
# checked every 20 ms, at most LIMIT seconds after T0; sets SEEN_MS, KEPT_MS.
wait_handled() {
	local want=$1 limit=$(($2 * 1000000)) now
	SEEN_MS="" KEPT_MS=""
	while [ -z "$SEEN_MS" ] || [ -z "$KEPT_MS" ]; do
		if [ -z "$KEPT_MS" ] && [ "$(kept_count)" -ge "$want" ]; then
			KEPT_MS=$((($(now_us) - T0) / 1000))
		fi
		if [ -z "$SEEN_MS" ] && all_seen; then
			SEEN_MS=$((($(now_us) - T0) / 1000))
		fi
		now=$(now_us)
		if [ $((now - T0)) -gt "$limit" ]; then
			kill -0 "$SRV_PID" 2> /dev/null || die "irdesk serve exited: $(tail -3 "$LOG")"
			die "message $want not handled within $2 s (kept: $(kept_count), unseen: $(imap 'UID SEARCH UNSEEN' | tr -d '\r'))"
		fi
		tick
	done
}

# start_serve [OPTIONS...]: irdesk serve on $DB polling the mailbox; sets SRV_PID.
start_serve() {
	rm -f "$TMP/port"
	"$irdesk" --db "sqlite:$DB" serve --listen 127.0.0.1:0 --port-file "$TMP/port" --mail-config "$CONFIG" \
		--imap-url "imap://127.0.0.1:$(cat "$IMAP_PORT_FILE")/INBOX" --imap-user reports \
		--imap-password-file "$TMP/imap.pw" "$@" > "$LOG" 2>&1 &
	SRV_PID=$!
	for _ in $(seq 1 300); do
		[ -s "$TMP/port" ] && return 0
		kill -0 "$SRV_PID" 2> /dev/null || die "irdesk serve exited: $(tail -3 "$LOG")"
		tick
	done
	die "irdesk serve did not start"
}
stop_serve() {
	kill "$SRV_PID" 2> /dev/null
	wait "$SRV_PID" 2> /dev/null
	SRV_PID=""
}

# side NAME LIMIT [SERVE OPTIONS...]: one measured side on its own Dovecot
# (DOVECOT_CONF_EXTRA) and store; per message "seen_ms kept_ms" in
# $TMP/NAME.ms, the capabilities Dovecot announces in CAPS[NAME], the cost
# of one check in COST[NAME].
side() {
	local name=$1 limit=$2 i
	shift 2
	DC=$TMP/dovecot-$name IMAP_PORT_FILE=$TMP/imap_port-$name DB=$TMP/$name.db LOG=$TMP/serve-$name.log
	DOVECOTS+=("$DC")
	start_dovecot || die "Dovecot did not start ($(tail -3 "$DC/dovecot.log" 2> /dev/null))"
	CAPS[$name]=$(imap CAPABILITY | tr -d '\r' | sed -n 's/^\* CAPABILITY //p')
	"$irdesk" --db "sqlite:$DB" init > /dev/null || die "irdesk init failed"
	COST[$name]=$(check_cost)
	start_serve "$@"
	deliver 0 && wait_handled 1 "$limit"
	: > "$TMP/$name.ms"
	RANDOM=7
	for i in $(seq 1 "$msgs"); do
		pause $((RANDOM % 1000))
		deliver "$i" && wait_handled $((i + 1)) "$limit"
		echo "$SEEN_MS $KEPT_MS" >> "$TMP/$name.ms"
	done
	stop_serve
	HANDLED[$name]=$(grep -c 'imap: 1 message handled' "$LOG")
	ALERTS[$name]=$(sqlite3 "$DB" 'SELECT COUNT(*) FROM alerts')
	stop_dovecot
	# irdesk's IMAP sessions: the ones that fetched a body (the checks fetch none).
	SESSIONS[$name]=$(grep -c 'body_count=[1-9]' "$DC/dovecot.log")
}

# stats COLUMN FILE: "median p90 max" in ms (p90: nearest rank).
stats() {
	cut -d' ' -f"$1" "$2" | sort -n | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		r = int(0.9 * NR); if (r < 0.9 * NR) r++
		printf "%d %d %d\n", m, v[r], v[NR] }'
}
# check_cost: the median time of one check (sqlite3 COUNT + curl UID SEARCH), ms.
check_cost() {
	local t
	for _ in $(seq 1 10); do
		t=$(now_us)
		kept_count > /dev/null
		all_seen
		echo "$((($(now_us) - t) / 1000))"
	done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f s", ms / 1000 }'; }

declare -A CAPS COST HANDLED ALERTS SESSIONS
echo "Report mailbox latency: $msgs copies of $(basename "$REPORT") (each its own Message-ID) per side,"
echo "delivered into the Maildir one at a time (tmp/ then a rename into new/), each after the previous one was handled"
echo "and a pause of 0-999 ms (the same on both sides, so deliveries do not lock to the polling cycle);"
echo "measured from the rename to: no unseen message (curl UID SEARCH UNSEEN) and its report kept (sqlite3"
echo "COUNT(*) FROM mail_reports, the alert's transaction), checked every 20 ms; one warm-up message first."
echo "$("$DOVECOT" --version | cut -d' ' -f1) on loopback, irdesk $("$irdesk" --version 2> /dev/null | awk '{ print $NF }'), everything on CPU $cpus (taskset), $(nproc --all) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
echo

# IDLE: Dovecot as configured (it announces IDLE), irdesk's default interval (60 s).
DOVECOT_CONF_EXTRA=""
side idle 90
[[ " ${CAPS[idle]} " == *" IDLE "* ]] || die "Dovecot does not announce IDLE: ${CAPS[idle]}"
# The baseline: the same capabilities without IDLE, polling every second.
DOVECOT_CONF_EXTRA="imap_capability = $(echo " ${CAPS[idle]} " | sed 's/ IDLE / /; s/^ //; s/ $//')"
side poll 30 --imap-interval 1
[[ " ${CAPS[poll]} " == *" IDLE "* ]] && die "the baseline's Dovecot still announces IDLE"

for name in idle poll; do
	echo "$name: to \\Seen (ms): $(cut -d' ' -f1 "$TMP/$name.ms" | tr '\n' ' ')"
	echo "$name: to kept  (ms): $(cut -d' ' -f2 "$TMP/$name.ms" | tr '\n' ' ')"
done
echo "one check (sqlite3 + curl) takes ${COST[idle]} ms (IDLE side) / ${COST[poll]} ms (polling side): add it to the 20 ms resolution"
echo "irdesk's IMAP sessions that fetched messages: ${SESSIONS[idle]} (IDLE) and ${SESSIONS[poll]} (polling), for $((msgs + 1)) messages each"
echo "handled one by one: ${HANDLED[idle]} and ${HANDLED[poll]} of $((msgs + 1)) 'imap: 1 message handled' log lines; alerts in the store: ${ALERTS[idle]} and ${ALERTS[poll]} (copies of one report deduplicate into one alert, each report is kept)"
echo
read -r si9 si90 simax <<< "$(stats 1 "$TMP/idle.ms")"
read -r ki9 ki90 kimax <<< "$(stats 2 "$TMP/idle.ms")"
read -r sp9 sp90 spmax <<< "$(stats 1 "$TMP/poll.ms")"
read -r kp9 kp90 kpmax <<< "$(stats 2 "$TMP/poll.ms")"
printf '%-44s %22s %22s\n' "" "delivery -> \\Seen" "delivery -> alert"
printf '%-44s %7s %7s %7s %7s %7s %7s\n' "ms, $msgs messages" median p90 max median p90 max
printf '%-44s %7d %7d %7d %7d %7d %7d\n' "IDLE (--imap-interval 60, the default)" "$si9" "$si90" "$simax" "$ki9" "$ki90" "$kimax"
printf '%-44s %7d %7d %7d %7d %7d %7d\n' "polling every 1 s (Dovecot without IDLE)" "$sp9" "$sp90" "$spmax" "$kp9" "$kp90" "$kpmax"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f x", a / b; else print "-" }'; }
printf '%-44s %23s %23s\n' "ratio of the medians, polling / IDLE" "$(ratio "$sp9" "$si9")" "$(ratio "$kp9" "$ki9")"
echo
echo "IDLE's floor is Dovecot's: it announces a change to the mailbox 500 ms after it sees it (NOTIFY_DELAY_MSECS,"
echo "src/lib-storage/mailbox-watch.c); the polling side's fastest message, $(cut -d' ' -f2 "$TMP/poll.ms" | sort -n | head -1) ms to the alert, bounds irdesk's own"
echo "share (log in, fetch, analyse, commit) from above."
echo "Without IDLE at the default --imap-interval 60, a report waits for the next poll: up to 60 s (30 s on average)."
rc=0
if [ "$ki9" -lt 2000 ]; then
	echo "target: median delivery -> alert < 2 s with IDLE: met ($(secs "$ki9"))"
else
	echo "TARGET MISSED: median delivery -> alert < 2 s with IDLE ($(secs "$ki9"))"
	rc=3
fi
exit "$rc"
