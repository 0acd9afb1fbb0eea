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
# BENCH=intake: bench_intake.sh, events into alerts through a real server).
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

rc_http=0
if [ "$which" = all ] || [ "$which" = http ]; then
	[ "$which" = all ] && echo
	out=bench/out/http.txt
	if [ "$json" -eq 1 ]; then
		# Keep stdout for the store's JSON.
		{ bench/bench_http.sh 2>&1; echo $? >"$rcfile"; } | tee "$out" >&2
	else
		{ bench/bench_http.sh 2>&1; echo $? >"$rcfile"; } | tee "$out"
	fi
	rc_http=$(report http "$(cat "$rcfile")" "$out")
fi

# The store and API on PostgreSQL beside SQLite (bench_pg.sh, issue 8).
rc_pg=0
if [ "$which" = all ] || [ "$which" = pg ]; then
	[ "$which" = all ] && echo
	out=bench/out/pg.txt
	if [ "$json" -eq 1 ]; then
		{ bench/bench_pg.sh 2>&1; echo $? >"$rcfile"; } | tee "$out" >&2
	else
		{ bench/bench_pg.sh 2>&1; echo $? >"$rcfile"; } | tee "$out"
	fi
	rc_pg=$(report pg "$(cat "$rcfile")" "$out")
fi

rc_detect=0
if [ "$which" = all ] || [ "$which" = detect ]; then
	[ "$which" = all ] && echo
	bin=${B:-build}/bench/bench_detect
	out=bench/out/detect.txt
	if [ ! -x "$bin" ]; then
		echo "bench: $bin is missing: run 'make bench'" >&2
		rc_detect=1
	else
		# The shared corpus beside the project, unless IRDESK_CORPUS says otherwise.
		if [ -z "${IRDESK_CORPUS:-}" ] && [ -d ../shared/data ]; then
			IRDESK_CORPUS=$(cd ../shared/data && pwd); export IRDESK_CORPUS
		fi
		if [ "$json" -eq 1 ]; then
			{ "$bin" 2>&1; echo $? >"$rcfile"; } | tee "$out" >&2
		else
			{ "$bin" 2>&1; echo $? >"$rcfile"; } | tee "$out"
		fi
		rc_detect=$(report detect "$(cat "$rcfile")" "$out")
	fi
fi

# The IOC sweep (bench_ioc, issue 6): 1,000,000 indicators against grep -F -f.
rc_ioc=0
if [ "$which" = all ] || [ "$which" = ioc ]; then
	[ "$which" = all ] && echo
	bin=${B:-build}/bench/bench_ioc
	out=bench/out/ioc.txt
	if [ ! -x "$bin" ]; then
		echo "bench: $bin is missing: run 'make bench'" >&2
		rc_ioc=1
	else
		if [ -z "${IRDESK_CORPUS:-}" ] && [ -d ../shared/data ]; then
			IRDESK_CORPUS=$(cd ../shared/data && pwd); export IRDESK_CORPUS
		fi
		if [ "$json" -eq 1 ]; then
			{ "$bin" 2>&1; echo $? >"$rcfile"; } | tee "$out" >&2
		else
			{ "$bin" 2>&1; echo $? >"$rcfile"; } | tee "$out"
		fi
		rc_ioc=$(report ioc "$(cat "$rcfile")" "$out")
	fi
fi

rc_mail=0
if [ "$which" = all ] || [ "$which" = mail ]; then
	[ "$which" = all ] && echo
	out=bench/out/mail.txt
	{ bench/bench_mail.sh 2>&1; echo $? >"$rcfile"; } | tee "$out"
	rc_mail=$(report mail "$(cat "$rcfile")" "$out")
fi

# The evidence locker (bench/evidence.sh, issue 5): 1 GB up and verified against sha256sum.
rc_evidence=0
if [ "$which" = all ] || [ "$which" = evidence ]; then
	[ "$which" = all ] && echo
	out=bench/out/evidence.txt
	{ bench/evidence.sh 2>&1; echo $? >"$rcfile"; } | tee "$out"
	rc_evidence=$(report evidence "$(cat "$rcfile")" "$out")
fi

# Intake end to end (bench_intake.sh, issue 6): HTTP and TCP syslog into alerts.
rc_intake=0
if [ "$which" = all ] || [ "$which" = intake ]; then
	[ "$which" = all ] && echo
	out=bench/out/intake.txt
	{ bench/bench_intake.sh 2>&1; echo $? >"$rcfile"; } | tee "$out"
	rc_intake=$(report intake "$(cat "$rcfile")" "$out")
fi

[ "$rc_intake" -ne 0 ] && exit "$rc_intake"
[ "$rc_evidence" -ne 0 ] && exit "$rc_evidence"
[ "$rc_mail" -ne 0 ] && exit "$rc_mail"
[ "$rc_store" -ne 0 ] && exit "$rc_store"
[ "$rc_http" -ne 0 ] && exit "$rc_http"
[ "$rc_pg" -ne 0 ] && exit "$rc_pg"
[ "$rc_ioc" -ne 0 ] && exit "$rc_ioc"
exit "$rc_detect"
