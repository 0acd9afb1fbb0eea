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

count() { # $1 log file, $2 exit code, $3 name
	local ok notok sk
	ok=$(grep -c '^ok ' "$1" || true)
	notok=$(grep -c '^not ok ' "$1" || true)
	sk=$(grep -ci '^ok .*# skip' "$1" || true)
	ok=$((ok - sk))
	if [ "$2" -ne 0 ] && [ "$notok" -eq 0 ]; then
		notok=1  # crashed or failed outside a test case
		echo "not ok - $3 exited with status $2" >> "$1"
	fi
	passed=$((passed + ok)); failed=$((failed + notok)); skipped=$((skipped + sk))
	if [ "$notok" -gt 0 ]; then failures+=("$3"); fi
	printf '%-40s %4d passed %4d failed%s\n' "$3" "$ok" "$notok" \
		"$([ "$sk" -gt 0 ] && echo " $sk skipped")"
}

for t in $build/test/unit/test_*; do
	[ -x "$t" ] || continue
	name=unit/$(basename "$t")
	case "$name" in *"$pattern"*) ;; *) continue ;; esac
	log=$out/$(basename "$t").log
	(cd "$top" && timeout 600 "$t") > "$log" 2>&1
	count "$log" $? "$name"
done

for t in tests/e2e/t[0-9]*.sh; do
	[ -f "$t" ] || continue
	name=e2e/$(basename "$t" .sh)
	case "$name" in *"$pattern"*) ;; *) continue ;; esac
	log=$out/$(basename "$t" .sh).log
	(cd "$top" && timeout 900 bash "$t") > "$log" 2>&1
	count "$log" $? "$name"
done

for f in "${failures[@]}"; do
	echo
	echo "=== $f (tests/out): failing cases ==="
	log=$out/$(basename "$f").log
	log=${log%.sh}
	[ -f "$log" ] || log=$out/$(basename "$f" .sh).log
	grep -n -A12 '^not ok' "$log" | head -60
done

echo
echo "logs: $out"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
