#!/usr/bin/env bash
# bench/bench_pg.sh: the store and API on PostgreSQL (issue 8), beside
# SQLite in the same run. Starts its own PostgreSQL (tests/pg.sh --durable:
# fsync on, like SQLite's synchronous=FULL), then:
#   1. a SQLite database of N incidents from bench_store (--keep), moved to
#      PostgreSQL with `irdesk db copy` (the bulk insert rate, one transaction);
#   2. list, filter and text-search latency of `irdesk incident list` (whole
#      command, median of R runs) on both backends;
#   3. API req/s (wrk, GET /api/v1/incidents/{id} with a token) with one
#      `irdesk serve` node on PostgreSQL, then two nodes on the same database.
# Reports only (exit 0); exit 1 when it could not run.
# Environment: BENCH_PG_INCIDENTS (default 100000), BENCH_PG_RUNS (20),
# BENCH_HTTP_DURATION (10), BENCH_HTTP_CONNECTIONS (64), B (build folder).
set -u
cd "$(dirname "$0")/.." || exit 1
N=${BENCH_PG_INCIDENTS:-100000}
R=${BENCH_PG_RUNS:-20}
DUR=${BENCH_HTTP_DURATION:-10}
CONNS=${BENCH_HTTP_CONNECTIONS:-64}
B=${B:-build}
irdesk=${IRDESK:-$(pwd)/irdesk}
die() { echo "bench_pg: $*" >&2; exit 1; }
[ -x "$irdesk" ] || die "./irdesk is missing: make irdesk"
[ -x "$B/bench/bench_store" ] || die "$B/bench/bench_store is missing: make bench"
tests/pg.sh available || die "PostgreSQL is not installed: scripts/deps.sh"
command -v wrk > /dev/null || die "wrk is missing: BENCH_DEPS=1 scripts/deps.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench_pg.XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2> /dev/null; done
	wait 2> /dev/null
	[ -n "${IRDESK_PG_DIR:-}" ] && tests/pg.sh stop "$IRDESK_PG_DIR"
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
eval "$(tests/pg.sh start --durable)" || die "PostgreSQL did not start"
"$IRDESK_PG_BIN/createdb" bench || die "createdb failed"
PG=$IRDESK_PG_URL/bench
SQ=sqlite:$TMP/s.db
now_ms() { date +%s%3N; }

echo "PostgreSQL benchmark: $N incidents, $(nproc) CPUs, PostgreSQL $("$IRDESK_PG_BIN/postgres" --version | awk '{print $3}') (fsync on)"
echo "1. data: bench_store builds the SQLite database (its own report goes to $TMP/store.txt)"
"$B/bench/bench_store" --db "$TMP/s.db" --incidents "$N" --timeline 1 --runs 3 --cmd-runs 3 \
	--irdesk "$irdesk" --keep > "$TMP/store.txt" 2>&1
rc=$?  # 3: a target missed, which bench/run.sh reports on its own
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || die "bench_store failed: $(tail -3 "$TMP/store.txt")"
echo "   SQLite (bench_store): $(grep -m1 -iE '^ *bulk create' "$TMP/store.txt" | tr -s ' ')"
t0=$(now_ms)
"$irdesk" db copy --from "$SQ" --to "$PG" > "$TMP/copy.txt" || die "db copy failed"
t1=$(now_ms)
rows=$(awk '/ rows$/ {s += $2} END {print s}' "$TMP/copy.txt")
printf '   db copy SQLite -> PostgreSQL: %d rows in %.1f s = %.0f rows/s (one transaction)\n' \
	"$rows" "$(echo "($t1 - $t0) / 1000" | bc -l)" "$(echo "$rows * 1000 / ($t1 - $t0)" | bc -l)"
"$irdesk" --db "$PG" audit verify > /dev/null || die "the copied audit chain does not verify"

# median_ms ARGS...: the median wall time of R runs of irdesk ARGS.
median_ms() {
	local i t0 t1
	for i in $(seq 1 "$R"); do
		t0=$(date +%s%N); "$irdesk" "$@" > /dev/null || die "irdesk $* failed"; t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 ))
	done | sort -n | awk '{v[NR] = $1} END {printf "%.1f", v[int((NR + 1) / 2)] / 1000}'
}
echo "2. incident list latency, whole command, median of $R (ms)"
printf '   %-34s %10s %12s\n' query SQLite PostgreSQL
for q in "list --limit 50" "list --state new --limit 50" "list --sort priority --limit 50" \
	"list --text server --limit 50" "list --text kerberoast --limit 50" "list --text 12345 --limit 50"; do
	# shellcheck disable=SC2086
	printf '   %-34s %10s %12s\n' "$q" "$(median_ms --db "$SQ" incident $q)" "$(median_ms --db "$PG" incident $q)"
done

echo "3. API on PostgreSQL: wrk -c$CONNS -d${DUR}s GET /api/v1/incidents/{id}"
"$irdesk" --db "$PG" user add pgbench --role admin > /dev/null || die "user add failed"
TOKEN=$("$irdesk" --db "$PG" token create pgbench --name bench --json | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ] || die "token create failed"
HID=$("$irdesk" --db "$PG" --json incident list --limit 1 | sed -n 's/.*"id": *"\(IR-[^"]*\)".*/\1/p' | head -1)
node() { # NAME: start a node; its port in $TMP/NAME.port
	IRDESK_LOG=warn "$irdesk" --db "$PG" serve --listen 127.0.0.1:0 --port-file "$TMP/$1.port" \
		> "$TMP/$1.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 1 100); do [ -s "$TMP/$1.port" ] && return 0; sleep 0.1; done
	die "irdesk serve did not start: $(tail -3 "$TMP/$1.log")"
}
rps() { # PORT CONNS OUT
	wrk -t1 -c"$2" -d"${DUR}s" -H "Authorization: Bearer $TOKEN" \
		"http://127.0.0.1:$1/api/v1/incidents/$HID" > "$3" 2>&1
	awk '/Requests\/sec/ {print $2}' "$3"
}
node a
one=$(rps "$(cat "$TMP/a.port")" "$CONNS" "$TMP/wrk1.txt")
node b
rps "$(cat "$TMP/a.port")" $((CONNS / 2)) "$TMP/wrk2a.txt" > "$TMP/ra" &
wp=$!
rps "$(cat "$TMP/b.port")" $((CONNS / 2)) "$TMP/wrk2b.txt" > "$TMP/rb"
wait "$wp"
two=$(echo "$(cat "$TMP/ra") + $(cat "$TMP/rb")" | bc -l)
printf '   one node:  %8.0f req/s\n   two nodes: %8.0f req/s (%s + %s)\n' "$one" "$two" "$(cat "$TMP/ra")" "$(cat "$TMP/rb")"
grep -E 'Non-2xx|Socket errors' "$TMP"/wrk*.txt && echo "   (errors above)"
exit 0
