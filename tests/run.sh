#!/usr/bin/env bash
# tests/run.sh: runs every test of the test build (unit tests under ASan and
# UBSan, end-to-end scripts against the sanitised binary) and ends with one
# line "N passed, N failed". Exits non-zero when anything failed.
# Usage: tests/run.sh [PATTERN]   (only tests whose file name contains PATTERN)
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
pattern=${1:-}
# Each run keeps its logs apart (runs may overlap); runs whose process is gone
# are cleared away.
mkdir -p "$top/tests/out"
for d in "$top"/tests/out/run.*; do
	[ -d "$d" ] || continue
	kill -0 "${d##*.}" 2>/dev/null || rm -rf "$d"
done
out=$top/tests/out/run.$$
mkdir -p "$out"

build=${IRDESK_BUILD:-build}
export IRDESK_BIN=$top/$build/test/irdesk
export IRDESK_TESTDATA=$top/tests/data
export IRDESK_TOP=$top
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export IRDESK_LOG=${IRDESK_LOG:-warn}
if [ -d "$top/../shared/data" ]; then export IRDESK_CORPUS=$(cd "$top/../shared/data" && pwd); fi

passed=0 failed=0 skipped=0
failures=()
faillogs=()

count() { # $1 log file, $2 exit code, $3 name
	local ok notok sk
	ok=$(grep -c '^ok ' "$1" || true)
	notok=$(grep -c '^not ok ' "$1" || true)
	# A skipped case counts as skipped whether the runner wrote it as "ok" or
	# (cmocka's TAP) as "not ok".
	sk=$(grep -ci '^\(not \)\{0,1\}ok .*# skip' "$1" || true)
	notsk=$(grep -ci '^not ok .*# skip' "$1" || true)
	notok=$((notok - notsk))
	ok=$((ok - sk + notsk))
	if [ "$2" -ne 0 ] && [ "$notok" -eq 0 ]; then
		notok=1  # crashed or failed outside a test case
		echo "not ok - $3 exited with status $2" >> "$1"
	fi
	passed=$((passed + ok)); failed=$((failed + notok)); skipped=$((skipped + sk))
	if [ "$notok" -gt 0 ]; then failures+=("$3"); faillogs+=("$1"); fi
	printf '%-40s %4d passed %4d failed%s\n' "$3" "$ok" "$notok" \
		"$([ "$sk" -gt 0 ] && echo " $sk skipped")"
}

# Tests run IRDESK_TEST_JOBS at a time (default: the number of CPUs; most of
# an end-to-end script's time is waiting on servers and processes), each into
# its own log; results are counted in the order listed, when all have ended.
# A test that stops the shared PostgreSQL server for a while (an outage) runs
# alone, after the others.
jobs_max=${IRDESK_TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
ALONE="t0900"
names=() logs=() cmds=()
queue() { names+=("$1"); logs+=("$2"); cmds+=("$3"); }
run_one() { ( cd "$top" && eval "${cmds[$1]}" > "${logs[$1]}" 2>&1; echo $? > "${logs[$1]}.rc" ); }
alone() { local a; for a in $ALONE; do case "${names[$1]}" in *"/$a-"*) return 0 ;; esac; done; return 1; }
run_queued() {
	local i
	for i in "${!cmds[@]}"; do
		alone "$i" && continue
		while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
		run_one "$i" &
	done
	wait
	for i in "${!cmds[@]}"; do
		if alone "$i"; then run_one "$i"; fi
	done
	for i in "${!cmds[@]}"; do
		count "${logs[$i]}" "$(cat "${logs[$i]}.rc" 2>/dev/null || echo 1)" "${names[$i]}"
		rm -f "${logs[$i]}.rc"
	done
	names=() logs=() cmds=()
}

for t in $build/test/unit/test_*; do
	[ -x "$t" ] || continue
	name=unit/$(basename "$t")
	case "$name" in *"$pattern"*) ;; *) continue ;; esac
	queue "$name" "$out/$(basename "$t").log" "timeout 600 '$t'"
done
for t in tests/e2e/t[0-9]*.sh; do
	[ -f "$t" ] || continue
	name=e2e/$(basename "$t" .sh)
	case "$name" in *"$pattern"*) ;; *) continue ;; esac
	queue "$name" "$out/$(basename "$t" .sh).log" "timeout 900 bash '$t'"
done
run_queued

# The PostgreSQL pass: the unit tests that open a store and the end-to-end
# scripts of the store, incidents, audit, users, tokens, the API, alerts,
# correlations and IOC watchlists run again from the same sources against a
# server tests/pg.sh starts and stops
# (IRDESK_TEST_DB=pg; unit.h's unit_db_url and lib.sh's $DB follow it).
# Results are named pg/unit/... and pg/e2e/...; IRDESK_PG=0 skips the pass.
PG_UNIT="test_store test_audit test_auth test_actor test_incident test_task test_alert test_catalog test_mailalert
	test_evidence test_clock test_contact test_observable test_metrics test_lessons
	test_mailsettings test_mailack"
PG_E2E="t0100 t0200 t0210 t0220 t0300 t0400 t0500 t0600 t0610 t0620 t0630 t0900 t0910 t0920 t0930 t1030 t1110
	t1120 t1130 t1140 t1150 t1160 t1200 t1210 t1230 t1300 t1400 t1410 t1420 t1430 t1440 t1500 t1510 t1600
	t1610 t1620 t1700 t1250"
pg_list=()
for t in $PG_UNIT; do
	case "pg/unit/$t" in *"$pattern"*) [ -x "$build/test/unit/$t" ] && pg_list+=("$build/test/unit/$t") ;; esac
done
for p in $PG_E2E; do
	for t in tests/e2e/$p-*.sh; do
		[ -f "$t" ] || continue
		case "pg/e2e/$(basename "$t" .sh)" in *"$pattern"*) pg_list+=("$t") ;; esac
	done
done
if [ "${#pg_list[@]}" -gt 0 ] && [ "${IRDESK_PG:-1}" != 0 ]; then
	if tests/pg.sh available && pgenv=$(tests/pg.sh start); then
		eval "$pgenv"
		trap 'tests/pg.sh stop "$IRDESK_PG_DIR"' EXIT
		export IRDESK_TEST_DB=pg
		mkdir -p "$out/pg"
		for t in "${pg_list[@]}"; do
			case "$t" in
			*.sh) queue "pg/e2e/$(basename "$t" .sh)" "$out/pg/$(basename "$t" .sh).log" \
				    "timeout 900 bash '$t'" ;;
			*)    queue "pg/unit/$(basename "$t")" "$out/pg/$(basename "$t").log" "timeout 600 '$t'" ;;
			esac
		done
		run_queued
		unset IRDESK_TEST_DB
		tests/pg.sh stop "$IRDESK_PG_DIR"
		trap - EXIT
	else
		echo "PostgreSQL pass skipped: PostgreSQL is not installed or did not start (scripts/deps.sh)"
	fi
fi

for i in "${!failures[@]}"; do
	echo
	echo "=== ${failures[$i]} (tests/out): failing cases ==="
	grep -n -A12 '^not ok' "${faillogs[$i]}" | head -60
done

echo
echo "logs: $out"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
