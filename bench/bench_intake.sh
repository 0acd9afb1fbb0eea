#!/usr/bin/env bash
# bench/bench_intake.sh: the intake benchmark (issue 6): events per second
# end to end into alerts through a real `irdesk serve`, once through
# POST /api/v1/events and once through TCP syslog (RFC 5424, newline framing,
# JSON payloads), each on a fresh database. In the same run, the baselines:
# the same events through `irdesk ingest` offline (same detection, same
# store, no queue and no network) and through `irdesk scan` (matching alone,
# no store). Medians of --runs runs (default 3); alerts written are counted
# from the server's health (detection.alerts) and checked against the table.
#
# Rules: ../shared/data/sigma/rules when present, else tests/data/alert/rules.yml.
# Events: ../shared/data/events/otrf (JSON lines) when present, else 20,000
# generated Sysmon events. Exit 0 when it ran, 1 when it could not (no target:
# the issue names none for intake).
set -u

usage() {
	cat <<'EOF'
usage: bench/bench_intake.sh [--runs N] [--irdesk PATH] [--rules PATH] [--events DIR | --generate] [--keep]
  --runs N        runs of each measurement (default 3; the median is reported)
  --irdesk PATH   the binary to measure (default ./irdesk, the -O2 build)
  --rules PATH    Sigma rule folder (default ../shared/data/sigma/rules, else tests/data/alert/rules.yml)
  --events DIR    folder of JSON-lines event files (default ../shared/data/events/otrf,
                  else 20,000 generated events)
  --generate      the 20,000 generated events even when the corpus is there
  --keep          keep the temporary folder (databases, logs, event files)
EOF
}

cd "$(dirname "$0")/.." || exit 1
runs=3
irdesk=./irdesk
rules=""
events=""
keep=0
generate=0
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=$2; shift ;;
	--irdesk) irdesk=$2; shift ;;
	--rules) rules=$2; shift ;;
	--events) events=$2; shift ;;
	--generate) generate=1 ;;
	--keep) keep=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 1 ;;
	esac
	shift
done

die() { echo "bench_intake: $*" >&2; exit 1; }
case "$runs" in '' | *[!0-9]*) die "'$runs' is not a whole number" ;; esac
[ "$runs" -ge 1 ] || die "--runs must be at least 1"
[ -x "$irdesk" ] || die "$irdesk is missing: run 'make irdesk'"
irdesk=$(cd "$(dirname "$irdesk")" && pwd)/$(basename "$irdesk")
if [ -z "$rules" ]; then
	rules=tests/data/alert/rules.yml
	[ -d ../shared/data/sigma/rules ] && rules=../shared/data/sigma/rules
fi
if [ -z "$events" ] && [ "$generate" -eq 0 ] && [ -d ../shared/data/events/otrf ]; then
	events=../shared/data/events/otrf
fi
[ -e "$rules" ] || die "$rules: no such rule folder"
[ -z "$events" ] || [ -d "$events" ] || die "$events: no such event folder"
command -v curl > /dev/null || die "curl is missing"
command -v sqlite3 > /dev/null || die "sqlite3 is missing"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_intake.XXXXXX") || die "mktemp failed"
SRV_PID=""
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2> /dev/null && wait "$SRV_PID" 2> /dev/null
	[ "$keep" -eq 1 ] && echo "kept $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
export IRDESK_LOG=warn

now_ms() { date +%s%3N; }
# median of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
rate() { awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", (ms > 0) ? n * 1000 / ms : 0 }'; }

# The events as one JSON-lines file (blank lines out), then the same lines
# as RFC 5424 syslog messages, and in request bodies under the 1 MiB limit.
if [ -n "$events" ]; then
	find "$events" -type f \( -name '*.json' -o -name '*.jsonl' -o -name '*.ndjson' \) -print0 |
		sort -z | xargs -0 cat | grep -v '^[[:space:]]*$' > "$TMP/events.jsonl"
else
	# Generated: Sysmon process creations, one in 50 an evil.exe the test rules catch.
	events="generated Sysmon events"
	awk 'BEGIN { for (i = 0; i < 20000; i++) {
		img = i % 50 ? "svchost.exe" : "evil.exe"
		printf "{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Computer\":\"ws%d.example.org\",\"User\":\"CORP\\\\u%d\",\"Image\":\"C:\\\\Windows\\\\System32\\\\%s\",\"CommandLine\":\"%s -k netsvcs -p %d\",\"UtcTime\":\"2024-01-01 00:00:%02d.000\"}\n", i % 40, i % 300, img, img, i, i % 60 } }' \
		> "$TMP/events.jsonl"
fi
N=$(wc -l < "$TMP/events.jsonl")
[ "$N" -gt 0 ] || die "no events in $events"
BYTES=$(stat -c %s "$TMP/events.jsonl")
sed 's/^/<14>1 2020-10-22T02:57:56Z bench irdesk-bench - - - /' "$TMP/events.jsonl" > "$TMP/events.syslog"
mkdir "$TMP/bodies"
split -C 900000 -d -a 4 "$TMP/events.jsonl" "$TMP/bodies/b"
NBODIES=$(find "$TMP/bodies" -type f | wc -l)

# new_db NAME: a fresh database with a handler and their token in $TOKEN.
new_db() {
	DB=$TMP/$1.db
	rm -f "$DB" "$DB-wal" "$DB-shm"
	"$irdesk" --db "$DB" init > /dev/null || die "irdesk init failed"
	echo "bench password 1" | "$irdesk" --db "$DB" user add bench --role incident_manager \
		--password-stdin > /dev/null || die "user add failed"
	TOKEN=$("$irdesk" --db "$DB" token create bench --name bench --json |
		sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
	[ -n "$TOKEN" ] || die "token create failed"
}

alerts_in_db() { sqlite3 "$DB" "SELECT COUNT(*) FROM alerts"; }

# start_serve [OPTIONS...]: irdesk serve with the rules on $DB; sets SRV_PID, PORT.
start_serve() {
	rm -f "$TMP/port" "$TMP/syslog-port"
	"$irdesk" --db "$DB" serve --listen 127.0.0.1:0 --port-file "$TMP/port" --rules "$rules" \
		--queue $((N + 1000)) "$@" > "$TMP/serve.log" 2>&1 &
	SRV_PID=$!
	for _ in $(seq 1 300); do
		[ -s "$TMP/port" ] && break
		kill -0 "$SRV_PID" 2> /dev/null || die "irdesk serve exited: $(tail -3 "$TMP/serve.log")"
		sleep 0.1
	done
	[ -s "$TMP/port" ] || die "irdesk serve did not start"
	PORT=$(cat "$TMP/port")
}

stop_serve() {
	kill "$SRV_PID" 2> /dev/null
	wait "$SRV_PID" 2> /dev/null
	SRV_PID=""
}

# detection FIELD: a counter of the worker from GET /api/v1/health.
detection() {
	curl -sS "http://127.0.0.1:$PORT/api/v1/health" |
		sed -n "s/.*\"detection\": *{[^}]*\"$1\": *\([0-9]*\).*/\1/p"
}

# poll_events: the worker's detection.events into DONE, through one kept-alive
# connection on fd 9 and bash builtins only: polling starts no process, so it
# takes next to no CPU from the server it measures (2 cores here).
poll_events() {
	local line len=0 body
	DONE=0
	printf 'GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&9 || return 1
	while IFS= read -r line <&9; do
		line=${line%$'\r'}
		[ -z "$line" ] && break
		case "${line,,}" in content-length:*) len=${line#*:}; len=${len// /} ;; esac
	done
	[ "$len" -gt 0 ] && read -r -N "$len" body <&9 || return 1
	[[ $body =~ \"detection\":\ *\{[^}]*\"events\":\ *([0-9]+) ]] && DONE=${BASH_REMATCH[1]}
	return 0
}

# wait_done: until the worker has matched all N events (polled every 5 ms).
wait_done() {
	exec 9<> "/dev/tcp/127.0.0.1/$PORT" || die "cannot connect to the server"
	exec 8<> <(:)
	for _ in $(seq 1 120000); do
		poll_events || { exec 9<> "/dev/tcp/127.0.0.1/$PORT" || die "the server went away"; }
		[ "$DONE" -ge "$N" ] && { exec 9>&- 8>&-; return 0; }
		read -r -t 0.005 -u 8 _ || true
	done
	kill -0 "$SRV_PID" 2> /dev/null || die "irdesk serve exited: $(tail -3 "$TMP/serve.log")"
	die "the worker did not finish ($DONE of $N events)"
}

# post_all: every body to POST /api/v1/events from one curl process over one
# kept-alive connection (the queue holds all events, so no 503 is expected).
post_all() {
	local f
	: > "$TMP/curl.cfg"
	for f in "$TMP"/bodies/b*; do
		[ -s "$TMP/curl.cfg" ] && echo next >> "$TMP/curl.cfg"
		printf 'url = "http://127.0.0.1:%s/api/v1/events"\nrequest = POST\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/x-ndjson"\ndata-binary = "@%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
			"$PORT" "$TOKEN" "$f" >> "$TMP/curl.cfg"
	done
	curl -sS -K "$TMP/curl.cfg" > "$TMP/codes" || die "curl failed"
	[ "$(grep -cx 202 "$TMP/codes")" -eq "$NBODIES" ] ||
		die "POST /api/v1/events answered $(sort "$TMP/codes" | uniq -c | tr '\n' ' ')"
}

send_syslog() {
	local sp
	sp=$(sed -n 's/.*tcp[^0-9]*\([0-9][0-9]*\).*/\1/p' "$TMP/syslog-port" | head -1)
	[ -n "$sp" ] || die "no TCP syslog port in $(cat "$TMP/syslog-port")"
	cat "$TMP/events.syslog" > "/dev/tcp/127.0.0.1/$sp" || die "sending to TCP syslog failed"
}

# measure KIND: one end-to-end run; prints "ms alerts".
measure() {
	local t0 t1 a
	new_db "$1"
	if [ "$1" = http ]; then
		start_serve
		t0=$(now_ms)
		post_all
	else
		start_serve --syslog-tcp 127.0.0.1:0 --syslog-port-file "$TMP/syslog-port"
		t0=$(now_ms)
		send_syslog
	fi
	wait_done
	t1=$(now_ms)
	a=$(detection alerts)
	stop_serve
	[ "$a" = "$(alerts_in_db)" ] || die "$1: health says $a alerts, the table holds $(alerts_in_db)"
	echo "$((t1 - t0)) $a"
}

# offline KIND: irdesk ingest or irdesk scan over the same file; prints "ms alerts-or-matches".
offline() {
	local out eps
	new_db "$1"
	if [ "$1" = ingest ]; then
		# ingest's own figure (--json "seconds"): after the rules are loaded.
		out=$("$irdesk" --db "$DB" ingest --rules "$rules" --json "$TMP/events.jsonl") ||
			die "irdesk ingest failed"
		echo "$out" | tr -d ' \n' | sed -n 's/.*"seconds":\([0-9.eE+-]*\).*/\1/p' |
			awk -v a="$(alerts_in_db)" '{ printf "%.0f %s\n", $1 * 1000, a }'
	else
		# scan's own figure (--stats): matching after the rules are loaded.
		out=$("$irdesk" scan --rules "$rules" --stats "$TMP/events.jsonl" 2>&1 > /dev/null) ||
			die "irdesk scan failed"
		eps=$(echo "$out" | sed -n 's/.* \([0-9.]*\) events\/s.*/\1/p')
		out=$(echo "$out" | sed -n 's/.*matches: \([0-9]*\).*/\1/p')
		awk -v n="$N" -v r="$eps" -v m="$out" 'BEGIN { printf "%.0f %s\n", n * 1000 / r, m }'
	fi
}

echo "Intake benchmark: $N events ($(awk -v b="$BYTES" 'BEGIN { printf "%.1f MB", b / 1e6 }')) from $events,"
echo "rules from $rules ($("$irdesk" rules check "$rules" 2> /dev/null | grep -c ' loaded$') loaded), $runs runs each, $(nproc) CPUs"
echo "HTTP: $NBODIES POST bodies of JSON lines (< 900 kB each), one client; syslog: one TCP connection, RFC 5424 lines"
echo "Times run from the first byte sent until GET /api/v1/health shows every event matched (serve startup and rule load excluded);"
echo "ingest and scan: their own figures (ingest --json \"seconds\", scan --stats), after the rules are loaded."
echo

declare -A med cnt
for kind in scan ingest http syslog; do
	: > "$TMP/$kind.runs"
	for r in $(seq 1 "$runs"); do
		case "$kind" in
		scan | ingest) line=$(offline "$kind") || exit 1 ;;
		*) line=$(measure "$kind") || exit 1 ;;
		esac
		echo "$line" >> "$TMP/$kind.runs"
		set -- $line
		echo "  $kind run $r: $1 ms, $(rate "$N" "$1") events/s, $2 $([ "$kind" = scan ] && echo matches || echo alerts)"
	done
	med[$kind]=$(cut -d' ' -f1 "$TMP/$kind.runs" | median)
	cnt[$kind]=$(cut -d' ' -f2 "$TMP/$kind.runs" | median)
done

echo
printf '%-34s %10s %12s %10s\n' "path (median of $runs)" "ms" "events/s" "vs ingest"
for kind in scan ingest http syslog; do
	case "$kind" in
	scan) label="irdesk scan (matching only)" ;;
	ingest) label="irdesk ingest (offline, baseline)" ;;
	http) label="POST /api/v1/events -> alerts" ;;
	syslog) label="TCP syslog -> alerts" ;;
	esac
	printf '%-34s %10s %12s %10s\n' "$label" "${med[$kind]}" "$(rate "$N" "${med[$kind]}")" \
		"$(awk -v a="${med[ingest]}" -v b="${med[$kind]}" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')"
done
echo
echo "alerts written: ingest ${cnt[ingest]}, HTTP ${cnt[http]}, syslog ${cnt[syslog]} (scan: ${cnt[scan]} (event, rule) matches)"
exit 0
