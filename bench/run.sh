#!/bin/sh
# bench/run.sh: run the benchmarks under bench/ and keep their output in
# bench/out/ (git-ignored). `make bench` builds ./irdesk and the benchmark
# binaries first, then calls this. Arguments go to bench_store unchanged.
#
# Benchmarks report, they do not fail builds: a missed target prints a
# "TARGET MISSED: ..." line and the script still exits 0. It exits non-zero
# only when a benchmark could not run (missing binary, crash, I/O error).
set -u

cd "$(dirname "$0")/.." || exit 1
mkdir -p bench/out

bin=build/bench/bench_store
if [ ! -x "$bin" ]; then
	echo "bench: $bin is missing: run 'make bench'" >&2
	exit 1
fi

json=0
for a in "$@"; do
	[ "$a" = "--json" ] && json=1
done

rcfile=$(mktemp "${TMPDIR:-/tmp}/bench_rc.XXXXXX") || exit 1
trap 'rm -f "$rcfile"' EXIT INT TERM
if [ "$json" -eq 1 ]; then
	# JSON on stdout only, notes and TARGET MISSED lines on stderr.
	out=bench/out/store.json
	{ "$bin" "$@"; echo $? >"$rcfile"; } | tee "$out"
else
	out=bench/out/store.txt
	{ "$bin" "$@" 2>&1; echo $? >"$rcfile"; } | tee "$out"
fi
rc=$(cat "$rcfile")

case "$rc" in
0)
	echo "bench: store: all targets met (output in $out)" >&2 ;;
3)
	echo "bench: store: some targets missed, see the TARGET MISSED lines (output in $out)" >&2
	rc=0 ;;
*)
	echo "bench: store: the benchmark failed (exit $rc), output in $out" >&2 ;;
esac
exit "$rc"
