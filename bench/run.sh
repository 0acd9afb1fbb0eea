#!/bin/sh
# bench/run.sh: run the benchmarks under bench/ and keep their output in
# bench/out/ (git-ignored): the store (bench_store, issue 2), then HTTP
# (bench_http.sh, issue 3), then detection (bench_detect, issue 6).
# `make bench` builds ./irdesk and the benchmark binaries first, then calls
# this. Arguments go to bench_store unchanged;
# bench_http.sh takes its settings from the environment (BENCH_HTTP_DURATION,
# BENCH_HTTP_CONNECTIONS, BENCH_HTTP_THREADS); bench_detect reads the corpus
# from IRDESK_CORPUS (default ../shared/data). BENCH=store, BENCH=http or
# BENCH=detect runs only that one (BENCH=pg: bench_pg.sh, PostgreSQL beside SQLite;
# BENCH=ioc: bench_ioc, the IOC sweep against grep -F -f; BENCH=evidence:
# bench/evidence.sh, evidence upload and verify against sha256sum;
# BENCH=intake: bench_intake.sh, events into alerts through a real server;
# BENCH=mailbox: bench_mailbox.sh, the report mailbox's latency over IMAP).
#
# Benchmarks report, they do not fail builds: a missed target prints a
# "TARGET MISSED: ..." line and the script still exits 0. It exits non-zero
# only when a benchmark could not run (missing binary, crash, I/O error).
set -u

cd "$(dirname "$0")/.." || exit 1
mkdir -p bench/out
which=${BENCH:-all}

json=0
for a in "$@"; do
	[ "$a" = "--json" ] && json=1
done

rcfile=$(mktemp "${TMPDIR:-/tmp}/bench_rc.XXXXXX") || exit 1
trap 'rm -f "$rcfile"' EXIT INT TERM

# report NAME RC OUT: one line on how it went; prints the exit status to keep.
report() {
	case "$2" in
	0)
		echo "bench: $1: all targets met (output in $3)" >&2
		echo 0 ;;
	3)
		echo "bench: $1: some targets missed, see the TARGET MISSED lines (output in $3)" >&2
		echo 0 ;;
	*)
		echo "bench: $1: the benchmark failed (exit $2), output in $3" >&2
		echo "$2" ;;
	esac
}

rc_store=0
if [ "$which" = all ] || [ "$which" = store ]; then
	bin=${B:-build}/bench/bench_store
	if [ ! -x "$bin" ]; then
		echo "bench: $bin is missing: run 'make bench'" >&2
		exit 1
	fi
	if [ "$json" -eq 1 ]; then
		# JSON on stdout only, notes and TARGET MISSED lines on stderr.
		out=bench/out/store.json
		{ "$bin" "$@"; echo $? >"$rcfile"; } | tee "$out"
	else
		out=bench/out/store.txt
		{ "$bin" "$@" 2>&1; echo $? >"$rcfile"; } | tee "$out"
	fi
	rc_store=$(report store "$(cat "$rcfile")" "$out")
fi

# wanted NAME: whether this run includes benchmark NAME.
wanted() { [ "$which" = all ] || [ "$which" = "$1" ]; }

# bench NAME CMD...: run one benchmark, its output kept in bench/out/NAME.txt
# and shown (on stderr with --json, which keeps stdout for the store's JSON);
# its outcome goes to the status file, then to $rc.
rc=0
bench() {
	name=$1
	shift
	[ "$which" = all ] && echo
	out=bench/out/$name.txt
	if [ "$json" -eq 1 ]; then
		{ "$@" 2>&1; echo $? >"$rcfile"; } | tee "$out" >&2
	else
		{ "$@" 2>&1; echo $? >"$rcfile"; } | tee "$out"
	fi
	r=$(report "$name" "$(cat "$rcfile")" "$out")
	[ "$rc" -eq 0 ] && rc=$r
}

# A benchmark binary built by `make bench`, or a note and a failure.
built() {
	[ -x "$1" ] && return 0
	echo "bench: $1 is missing: run 'make bench'" >&2
	[ "$rc" -eq 0 ] && rc=1
	return 1
}

# The shared corpus beside the project, unless IRDESK_CORPUS says otherwise.
if [ -z "${IRDESK_CORPUS:-}" ] && [ -d ../shared/data ]; then
	IRDESK_CORPUS=$(cd ../shared/data && pwd); export IRDESK_CORPUS
fi

wanted http && bench http bench/bench_http.sh
# The store and API on PostgreSQL beside SQLite (issue 8).
wanted pg && bench pg bench/bench_pg.sh
wanted detect && built "${B:-build}/bench/bench_detect" && bench detect "${B:-build}/bench/bench_detect"
# The IOC sweep (issue 6): 1,000,000 indicators against grep -F -f.
wanted ioc && built "${B:-build}/bench/bench_ioc" && bench ioc "${B:-build}/bench/bench_ioc"
wanted mail && bench mail bench/bench_mail.sh
# The evidence locker (issue 5): 1 GB up and verified against sha256sum.
wanted evidence && bench evidence bench/evidence.sh
# Intake end to end (issue 6): HTTP and TCP syslog into alerts.
wanted intake && bench intake bench/bench_intake.sh
# The report mailbox (issue 7): delivery into Dovecot -> alert, IDLE against polling.
wanted mailbox && bench mailbox bench/bench_mailbox.sh

[ "$rc_store" -ne 0 ] && exit "$rc_store"
exit "$rc"
