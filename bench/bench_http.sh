#!/usr/bin/env bash
# bench/bench_http.sh: the HTTP benchmark (issue 3). wrk drives
# GET /api/v1/incidents/{id} with a bearer token against the release binary
# on a fresh database of N incidents, and, in the same run, nginx serving a
# static file of the same bytes (the incident's JSON) on another loopback
# port, started and stopped by this script. Prints req/s, the throughput
# ratio, p50/p99 latency and irdesk's RSS before, during and after the load.
#
# Exit 0 when every target is met, 3 when one is missed, 1 when it could not
# run (bench/run.sh turns 3 into 0).
set -u

usage() {
	cat <<'EOF'
usage: bench/bench_http.sh [--duration SECS] [--connections N] [--threads N]
                           [--incidents N] [--irdesk PATH] [--keep]
  --duration SECS    length of each measured wrk run (default 10; env BENCH_HTTP_DURATION)
  --connections N    open connections (default 64; env BENCH_HTTP_CONNECTIONS)
  --threads N        wrk threads (default 2; env BENCH_HTTP_THREADS)
  --incidents N      incidents in the database (default 1000)
  --irdesk PATH      the binary to measure (default ./irdesk, the -O2 build)
  --keep             keep the temporary folder (database, logs, nginx.conf)
EOF
}

# Targets from issue 3.
TARGET_RATIO=0.5   # irdesk req/s / nginx req/s, at least
TARGET_P99_MS=5    # irdesk p99 latency, below
TARGET_RSS_MB=50   # irdesk RSS under load, below

duration=${BENCH_HTTP_DURATION:-10}
conns=${BENCH_HTTP_CONNECTIONS:-64}
wthreads=${BENCH_HTTP_THREADS:-2}
incidents=1000
irdesk=./irdesk
keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration=${2%s}; shift ;;
	--connections) conns=$2; shift ;;
	--threads) wthreads=$2; shift ;;
	--incidents) incidents=$2; shift ;;
	--irdesk) irdesk=$2; shift ;;
	--keep) keep=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 1 ;;
	esac
	shift
done

die() { echo "bench_http: $*" >&2; exit 1; }
for n in "$duration" "$conns" "$wthreads" "$incidents"; do
	case "$n" in '' | *[!0-9]*) die "'$n' is not a whole number" ;; esac
done
[ "$duration" -ge 1 ] && [ "$conns" -ge 1 ] && [ "$wthreads" -ge 1 ] && [ "$incidents" -ge 1 ] ||
	die "durations and counts must be at least 1"
[ "$conns" -ge "$wthreads" ] || die "--connections must be at least --threads"
[ -x "$irdesk" ] || die "$irdesk is missing: run 'make irdesk'"
irdesk=$(cd "$(dirname "$irdesk")" && pwd)/$(basename "$irdesk")
WRK=$(command -v wrk) || die "wrk is missing: run scripts/deps.sh (Debian package wrk)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "nginx is missing: run scripts/deps.sh (Debian package nginx)"
command -v curl > /dev/null || die "curl is missing"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/irdesk-bench-http-XXXXXX") || die "no temporary folder"
DB=sqlite:$TMP/irdesk.db
SRV_PID=
NGX_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2> /dev/null && wait "$SRV_PID" 2> /dev/null
	[ -n "$NGX_PID" ] && kill -QUIT "$NGX_PID" 2> /dev/null && wait "$NGX_PID" 2> /dev/null
	if [ "$keep" -eq 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

now_ms() { date +%s%3N; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2> /dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2> /dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# A loopback port nobody listens on (nginx cannot report the one it got).
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 30000))
		(exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null || { echo "$p"; return 0; }
	done
	return 1
}

cpus=$(nproc)
echo "HTTP benchmark: GET /api/v1/incidents/{id} with a bearer token, $incidents incidents, wrk -t$wthreads -c$conns -d${duration}s --latency, $cpus CPUs"
echo "irdesk: $irdesk ($("$irdesk" version 2> /dev/null | head -1)); peer: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'); $("$WRK" -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "folder: $TMP"
echo

# 1. A fresh database with N incidents, classified so that the answer carries
# a derived priority like a real one, and an account with a token.
export IRDESK_LOG=warn
"$irdesk" --db "$DB" init > /dev/null || die "irdesk init failed"
echo "bench password 1" | "$irdesk" --db "$DB" user add bench --role incident_handler \
	--password-stdin > /dev/null || die "user add failed"
TOKEN=$("$irdesk" --db "$DB" token create bench --name bench --json | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ] || die "token create failed"
types=(phishing malware ransomware bec unauthorized_access dos info_leak targeted_attack)
impacts=(none low medium high)
t0=$(now_ms)
for i in $(seq 1 "$incidents"); do
	"$irdesk" --db "$DB" incident new --title "Suspicious sign-ins on server $i (benchmark)" \
		--summary "Alerts from the VPN gateway for account svc-$i; several countries within an hour." \
		--type "${types[i % ${#types[@]}]}" --functional-impact "${impacts[i % 4]}" \
		--information-impact none --recoverability regular --reporter "soc@example.org" \
		--owner bench > /dev/null || die "incident new failed at $i"
done
t1=$(now_ms)
echo "[setup] $incidents incidents through the CLI in $(awk -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f s", ms / 1000 }')"

# 2. The server, as `irdesk serve` runs in production but with warnings only:
# one access log line per request would otherwise be most of what it does.
"$irdesk" --db "$DB" serve --listen 127.0.0.1:0 --port-file "$TMP/port" > "$TMP/serve.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 1 100); do
	[ -s "$TMP/port" ] && break
	kill -0 "$SRV_PID" 2> /dev/null || die "irdesk serve exited: $(tail -3 "$TMP/serve.log")"
	sleep 0.1
done
[ -s "$TMP/port" ] || die "irdesk serve did not start"
PORT=$(cat "$TMP/port")
INC=$("$irdesk" --db "$DB" incident list --limit 1 --offset $((incidents / 2)) --json |
	sed -n 's/.*"id": *"\(IR-[0-9-]*\)".*/\1/p' | head -1)
[ -n "$INC" ] || die "no incident to fetch"
URL=http://127.0.0.1:$PORT/api/v1/incidents/$INC
code=$(curl -sS -o "$TMP/incident.json" -D "$TMP/irdesk.headers" -w '%{http_code}' \
	-H "Authorization: Bearer $TOKEN" "$URL") || die "curl $URL failed"
[ "$code" = 200 ] || die "GET $URL answered $code: $(cat "$TMP/incident.json")"
BYTES=$(stat -c %s "$TMP/incident.json")
HDR_BYTES=$(stat -c %s "$TMP/irdesk.headers")
rss_before=$(rss_kb "$SRV_PID")
echo "[setup] irdesk on 127.0.0.1:$PORT (pid $SRV_PID), $INC: $BYTES bytes of JSON, $HDR_BYTES bytes of headers"

# 3. nginx with the same bytes as a static file, on its own loopback port,
# as this user, with everything it writes in the folder. Its access log is
# off as irdesk's is; keep-alive is not cut after 1000 requests (nginx's
# default), since irdesk does not cut it either.
mkdir -p "$TMP/www/api/v1/incidents" "$TMP/nginx"
cp "$TMP/incident.json" "$TMP/www/api/v1/incidents/$INC"
NPORT=$(free_port) || die "no free port for nginx"
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat > "$TMP/nginx.conf" <<EOF
$user_line
worker_processes auto;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	default_type application/json;
	sendfile on;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$NPORT;
		root $TMP/www;
	}
}
EOF
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" 2> "$TMP/nginx-start.log" &
NGX_PID=$!
NURL=http://127.0.0.1:$NPORT/api/v1/incidents/$INC
for _ in $(seq 1 50); do
	curl -s -o /dev/null "$NURL" 2> /dev/null && break
	kill -0 "$NGX_PID" 2> /dev/null || die "nginx exited: $(cat "$TMP/nginx-start.log" "$TMP/nginx-error.log" 2> /dev/null | tail -3)"
	sleep 0.1
done
curl -sS -o "$TMP/nginx.body" -D "$TMP/nginx.headers" "$NURL" || die "nginx does not answer on $NPORT"
cmp -s "$TMP/nginx.body" "$TMP/incident.json" || die "nginx serves other bytes than irdesk"
echo "[setup] nginx on 127.0.0.1:$NPORT (pid $NGX_PID, $(($(pgrep -P "$NGX_PID" | wc -l))) workers), same $BYTES bytes, $(stat -c %s "$TMP/nginx.headers") bytes of headers"
echo

# run_wrk NAME URL SECS: wrk's report in $TMP/wrk-NAME.txt.
run_wrk() {
	"$WRK" -t"$wthreads" -c"$conns" -d"$3"s --latency -H "Authorization: Bearer $TOKEN" "$2" \
		> "$TMP/wrk-$1.txt" 2>&1 || die "wrk failed against $2: $(tail -3 "$TMP/wrk-$1.txt")"
}
# Figures from a wrk report: requests/s; a latency percentile in ms; errors.
wrk_rps() { awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk-$1.txt"; }
wrk_pct() {
	awk -v p="$2%" '$1 == p {
		v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
		printf "%.2f", v; exit }' "$TMP/wrk-$1.txt"
}
wrk_bad() { # non-2xx answers plus socket errors
	awk '/Non-2xx or 3xx responses:/ { n += $NF }
	     /Socket errors:/ { for (i = 3; i <= NF; i++) { gsub(/,/, "", $i); if ($i ~ /^[0-9]+$/) n += $i } }
	     END { print n + 0 }' "$TMP/wrk-$1.txt"
}
wrk_total() { awk '/requests in/ { print $1 }' "$TMP/wrk-$1.txt"; }

# 4. Warm both up, then measure irdesk while sampling its RSS, then nginx.
echo "[warm-up] 2 s each"
run_wrk warm-irdesk "$URL" 2
run_wrk warm-nginx "$NURL" 2
rss_warm=$(rss_kb "$SRV_PID")

echo "[irdesk] ${duration} s"
rss_max=0
run_wrk irdesk "$URL" "$duration" &
WRK_PID=$!
while kill -0 "$WRK_PID" 2> /dev/null; do
	r=$(rss_kb "$SRV_PID")
	[ "${r:-0}" -gt "$rss_max" ] && rss_max=$r
	sleep 0.5
done
wait "$WRK_PID" || exit 1
rss_after=$(rss_kb "$SRV_PID")
rss_hwm=$(hwm_kb "$SRV_PID")
kill -0 "$SRV_PID" 2> /dev/null || die "irdesk died under load: $(tail -3 "$TMP/serve.log")"

echo "[nginx] ${duration} s"
run_wrk nginx "$NURL" "$duration"
echo

i_rps=$(wrk_rps irdesk); n_rps=$(wrk_rps nginx)
i_p50=$(wrk_pct irdesk 50); i_p99=$(wrk_pct irdesk 99)
n_p50=$(wrk_pct nginx 50); n_p99=$(wrk_pct nginx 99)
i_bad=$(wrk_bad irdesk); n_bad=$(wrk_bad nginx)
[ -n "$i_rps" ] && [ -n "$n_rps" ] && [ -n "$i_p99" ] && [ -n "$n_p99" ] ||
	die "could not read wrk's report (in $TMP/wrk-*.txt)"

ratio=$(awk -v a="$i_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
rss_load=$((rss_max > rss_hwm ? rss_max : rss_hwm))
met() { awk -v ok="$1" 'BEGIN { print (ok ? "yes" : "NO") }'; }
ratio_ok=$(awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) }')
p99_ok=$(awk -v v="$i_p99" -v t="$TARGET_P99_MS" 'BEGIN { print (v < t) }')
rss_ok=$(awk -v v="$rss_load" -v t="$TARGET_RSS_MB" 'BEGIN { print (v < t * 1024) }')
x() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }

fmt='%-38s %-20s %-20s %-9s %-12s %s\n'
printf "$fmt" figure irdesk nginx ratio target "met?"
printf '%s\n' "---------------------------------------------------------------------------------------------------------------"
printf "$fmt" "requests/s" "$(printf '%.0f/s' "$i_rps")" "$(printf '%.0f/s' "$n_rps")" "${ratio}x" ">= ${TARGET_RATIO}x" \
	"$(met "$ratio_ok")  ratio = irdesk/nginx req/s (higher is better)"
printf "$fmt" "latency p50" "$i_p50 ms" "$n_p50 ms" "$(x "$i_p50" "$n_p50")" "-" "-  ratio = irdesk/nginx time"
printf "$fmt" "latency p99" "$i_p99 ms" "$n_p99 ms" "$(x "$i_p99" "$n_p99")" "< ${TARGET_P99_MS} ms" "$(met "$p99_ok")"
printf "$fmt" "requests in ${duration} s (errors)" "$(wrk_total irdesk) ($i_bad)" "$(wrk_total nginx) ($n_bad)" "-" "-" \
	"-  errors = non-2xx answers + socket errors"
printf "$fmt" "irdesk RSS before load" "$(mib "$rss_before")" "-" "-" "-" "-  after start-up and one request"
printf "$fmt" "irdesk RSS after warm-up" "$(mib "$rss_warm")" "-" "-" "-" "-"
printf "$fmt" "irdesk RSS under load (peak)" "$(mib "$rss_load")" "-" "-" "< ${TARGET_RSS_MB} MiB" \
	"$(met "$rss_ok")  max of VmRSS samples every 0.5 s and VmHWM"
printf "$fmt" "irdesk RSS after load" "$(mib "$rss_after")" "-" "-" "-" "-"
echo "response: $BYTES bytes of JSON both; headers irdesk $HDR_BYTES bytes, nginx $(stat -c %s "$TMP/nginx.headers") bytes (irdesk adds CSP and the other security headers)."
echo "irdesk ran with IRDESK_LOG=warn: at info, one access log line per request would dominate the figures."

missed=0
if [ "$i_bad" -gt 0 ]; then
	echo "WARNING: irdesk gave $i_bad errors or non-2xx answers under load; the figures include them"
fi
if [ "$ratio_ok" != 1 ]; then
	echo "TARGET MISSED: requests/s ratio irdesk/nginx: ${ratio}x, target >= ${TARGET_RATIO}x"
	missed=1
fi
if [ "$p99_ok" != 1 ]; then
	echo "TARGET MISSED: latency p99: $i_p99 ms, target < ${TARGET_P99_MS} ms"
	missed=1
fi
if [ "$rss_ok" != 1 ]; then
	echo "TARGET MISSED: irdesk RSS under load: $(mib "$rss_load"), target < ${TARGET_RSS_MB} MiB"
	missed=1
fi
[ "$missed" -eq 0 ] || exit 3
exit 0
