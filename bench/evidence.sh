#!/usr/bin/env bash
# bench/evidence.sh: the evidence benchmark (issue 5). Uploads a file of
# random bytes (1 GB by default) through the real server (PUT
# /api/v1/incidents/{id}/evidence with a bearer token: streamed, hashed while
# written, fsync'ed, linked to its SHA-256 name) and verifies it (POST
# /api/v1/evidence/{item}/verify: read back and re-hashed), and, in the same
# run, times `sha256sum` on the same file. Prints MB/s for each, the ratios,
# and the server's peak RSS (VmHWM).
#
# Exit 0 when every target is met, 3 when one is missed, 1 when it could not
# run (bench/run.sh turns 3 into 0).
set -u

usage() {
	cat <<'EOF'
usage: bench/evidence.sh [--size MB] [--runs N] [--irdesk PATH] [--keep]
  --size MB      the file's size in MB of 10^6 bytes (default 1000)
  --runs N       timed runs of each of upload, verify and sha256sum (default 3; the median counts)
  --irdesk PATH  the binary to measure (default ./irdesk, the -O2 build)
  --keep         keep the temporary folder (database, evidence, logs)
EOF
}

# Targets from issue 5.
TARGET_RATIO=0.8  # upload+hash MB/s and verify MB/s over sha256sum MB/s, at least
TARGET_RSS_MB=64  # server peak RSS, below

size=1000
runs=3
irdesk=./irdesk
keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--size) size=$2; shift ;;
	--runs) runs=$2; shift ;;
	--irdesk) irdesk=$2; shift ;;
	--keep) keep=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 1 ;;
	esac
	shift
done

die() { echo "bench_evidence: $*" >&2; exit 1; }
for n in "$size" "$runs"; do
	case "$n" in '' | *[!0-9]*) die "'$n' is not a whole number" ;; esac
done
[ "$size" -ge 1 ] && [ "$runs" -ge 1 ] || die "--size and --runs must be at least 1"
[ -x "$irdesk" ] || die "$irdesk is missing: run 'make irdesk'"
irdesk=$(cd "$(dirname "$irdesk")" && pwd)/$(basename "$irdesk")
command -v curl > /dev/null || die "curl is missing"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/irdesk-bench-evidence-XXXXXX") || die "no temporary folder"
SRV_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2> /dev/null && wait "$SRV_PID" 2> /dev/null
	if [ "$keep" -eq 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

DB=sqlite:$TMP/irdesk.db
FILE=$TMP/evidence.bin
bytes=$((size * 1000000))
cpus=$(nproc 2> /dev/null || echo "?")
echo "Evidence benchmark: a $size MB file uploaded and verified through irdesk serve, against sha256sum; $runs runs each, $cpus CPUs"

# 1. The data (not timed), a database with an incident and a token, the server.
head -c "$bytes" /dev/urandom > "$FILE" || die "cannot write $FILE"
export IRDESK_LOG=warn
"$irdesk" --db "$DB" init > /dev/null || die "irdesk init failed"
TOKEN=$("$irdesk" --db "$DB" token create admin --name bench --json |
	sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ] || die "token create failed"
HID=$("$irdesk" --db "$DB" incident new --title "Evidence benchmark" --json |
	sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -1)
[ -n "$HID" ] || die "incident new failed"
"$irdesk" --db "$DB" serve --listen 127.0.0.1:0 --port-file "$TMP/port" \
	--evidence-dir "$TMP/evidence" > "$TMP/serve.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 1 100); do
	[ -s "$TMP/port" ] && break
	kill -0 "$SRV_PID" 2> /dev/null || die "irdesk serve exited: $(tail -3 "$TMP/serve.log")"
	sleep 0.1
done
[ -s "$TMP/port" ] || die "irdesk serve did not start"
URL=http://127.0.0.1:$(cat "$TMP/port")
AUTH="Authorization: Bearer $TOKEN"

now() { date +%s.%N; }
mbps() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / 1e6 / s }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# 2. sha256sum on the same file, warm (the file was just written: page cache, as for irdesk).
sha256sum "$FILE" > "$TMP/sum" || die "sha256sum failed"
WANT=$(cut -d' ' -f1 "$TMP/sum")
t_sum=()
for _ in $(seq 1 "$runs"); do
	t0=$(now); sha256sum "$FILE" > /dev/null; t1=$(now)
	t_sum+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
done

# 3. Upload, then verify, each run on a fresh file: the item is deleted after
#    its verification, so the next upload writes and links the content anew.
t_up=()
t_ver=()
for i in $(seq 1 "$runs"); do
	t0=$(now)
	curl -sS -f -o "$TMP/up.json" -H "$AUTH" -T "$FILE" \
		"$URL/api/v1/incidents/$HID/evidence?name=evidence.bin&source=bench&acquired_at=now" ||
		die "upload $i failed: $(cat "$TMP/up.json" 2> /dev/null)"
	t1=$(now)
	grep -q "\"sha256\": *\"$WANT\"" "$TMP/up.json" || die "upload $i: hash differs from sha256sum's"
	item=$(sed -n 's/^{"id": *\([0-9]*\).*/\1/p; s/.*"id": *\([0-9]*\),.*/\1/p' "$TMP/up.json" | head -1)
	t2=$(now)
	curl -sS -f -o "$TMP/ver.json" -H "$AUTH" -X POST "$URL/api/v1/evidence/$item/verify" ||
		die "verify $i failed"
	t3=$(now)
	grep -q '"ok": *true' "$TMP/ver.json" || die "verify $i: not a match: $(cat "$TMP/ver.json")"
	curl -sS -f -o /dev/null -H "$AUTH" -H 'Content-Type: application/json' -X DELETE \
		--data-binary '{"reason":"benchmark"}' "$URL/api/v1/evidence/$item" || die "delete $i failed"
	t_up+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
	t_ver+=("$(awk -v a="$t2" -v b="$t3" 'BEGIN { print b - a }')")
done
rss_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SRV_PID/status")

m_sum=$(mbps "$(median "${t_sum[@]}")")
m_up=$(mbps "$(median "${t_up[@]}")")
m_ver=$(mbps "$(median "${t_ver[@]}")")
r_up=$(awk -v a="$m_up" -v b="$m_sum" 'BEGIN { printf "%.2f", a / b }')
r_ver=$(awk -v a="$m_ver" -v b="$m_sum" 'BEGIN { printf "%.2f", a / b }')
rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')

echo
printf '%-34s %10s %8s\n' "" "MB/s" "ratio"
printf '%-34s %10s %8s\n' "sha256sum (the comparison)" "$m_sum" "1.00"
printf '%-34s %10s %8s\n' "upload + hash + fsync (PUT)" "$m_up" "$r_up"
printf '%-34s %10s %8s\n' "verify: re-hash (POST verify)" "$m_ver" "$r_ver"
echo "server peak RSS (VmHWM): $rss_mb MB"
echo "runs (s): sha256sum ${t_sum[*]}; upload ${t_up[*]}; verify ${t_ver[*]}"

rc=0
miss() { echo "TARGET MISSED: $*"; rc=3; }
awk -v r="$r_up" -v t="$TARGET_RATIO" 'BEGIN { exit !(r >= t) }' ||
	miss "upload+hash $m_up MB/s is $r_up x sha256sum (target >= $TARGET_RATIO)"
awk -v r="$r_ver" -v t="$TARGET_RATIO" 'BEGIN { exit !(r >= t) }' ||
	miss "verify $m_ver MB/s is $r_ver x sha256sum (target >= $TARGET_RATIO)"
awk -v r="$rss_mb" -v t="$TARGET_RSS_MB" 'BEGIN { exit !(r < t) }' ||
	miss "server peak RSS $rss_mb MB (target < $TARGET_RSS_MB MB)"
exit $rc
