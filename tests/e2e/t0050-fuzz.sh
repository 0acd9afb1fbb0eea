#!/usr/bin/env bash
# t0050-fuzz.sh: every fuzz target of tests/fuzz/ builds (tests/fuzz/build.sh:
# clang, libFuzzer, ASan, UBSan) and runs for a few seconds from a seed
# corpus made of the repository's test data without a crash, a leak, a hang
# or running out of memory. A failure names the reproducer, kept under
# tests/out/fuzz/ (run it again: build/fuzz/TARGET FILE). Two targets run at
# a time; FUZZ_SECONDS (default 8) bounds each. The mutations follow a fixed
# seed (FUZZ_SEED, default 1; 0 lets libFuzzer pick one), so whether `make
# test` passes depends on the code, not on the draw; explore with another.
. "$(dirname "$0")/lib.sh"

SECS=${FUZZ_SECONDS:-8}
SEED=${FUZZ_SEED:-1}
FUZZ=$TEST_TOP/build/fuzz
ART=$TEST_TOP/tests/out/fuzz
DATA=$TEST_TOP/tests/data

# seed_files DIR FILE...: each file is one seed.
seed_files() { local d=$1; shift; mkdir -p "$d"; for f in "$@"; do [ -f "$f" ] && cp "$f" "$d/"; done; return 0; }
# seed_lines DIR FILE...: each line that is not a comment is one seed (its
# first tab-separated column: the input of line-based case files).
seed_lines() {
	local d=$1 n=0 line; shift; mkdir -p "$d"
	cat "$@" | grep -v '^#' | cut -f1 | while IFS= read -r line; do
		n=$((n + 1)); printf '%s' "$line" > "$d/seed-$n"
	done
}

test_expect_success 'every fuzz target builds' '
	"$TEST_TOP/tests/fuzz/build.sh" &&
	for src in "$TEST_TOP"/tests/fuzz/fuzz_*.c; do
		test -x "$FUZZ/$(basename "$src" .c)" || { echo "not built: $src"; exit 1; }
	done
'

test_expect_success 'seed corpora from the test data' '
	seed_files corpus/fuzz_event "$DATA"/event/*.json &&
	seed_files corpus/fuzz_mail "$DATA"/mail/*.eml "$TEST_TOP"/tests/fuzz/regress/*.eml &&
	seed_files corpus/fuzz_mailack "$DATA"/mail/*.eml &&
	seed_lines corpus/fuzz_observable "$DATA"/observable/*.tsv &&
	seed_files corpus/fuzz_observable "$DATA"/ioc/* "$TEST_TOP"/tests/fuzz/regress/mail_ioc-nul-before-at \
		"$TEST_TOP"/tests/fuzz/regress/refang-two-passes "$TEST_TOP"/tests/fuzz/regress/idn-*-full-stop \
		"$TEST_TOP"/tests/fuzz/regress/registry-trailing-blank &&
	grep -h "condition:" "$DATA"/sigma/*.txt | sed "s/^ *condition: *//" >conditions &&
	seed_lines corpus/fuzz_sigma_cond conditions &&
	seed_files corpus/fuzz_sigma_yaml "$DATA"/sigma/*.txt &&
	seed_files corpus/fuzz_syslog "$DATA"/syslog/*.in &&
	seed_lines corpus/fuzz_time "$DATA"/time/* &&
	seed_files corpus/fuzz_corr_state "$DATA"/corrstate/*.json &&
	for src in "$TEST_TOP"/tests/fuzz/fuzz_*.c; do
		t=$(basename "$src" .c)
		test -n "$(ls corpus/$t 2>/dev/null)" || { echo "no seeds for $t"; exit 1; }
	done
'

# run_target NAME: fuzz for SECS seconds; the log says what went wrong.
# Always 0 (test bodies run under set -e): the status goes to rc.NAME.
run_target() {
	local t=$1 rc=0
	"$FUZZ/$t" -max_total_time="$SECS" -seed="$SEED" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$ART/$t-" "corpus/$t" > "log.$t" 2>&1 || rc=$?
	echo "$rc" > "rc.$t"
}

test_expect_success "the targets run ${SECS}s each, two at a time" '
	mkdir -p "$ART" &&
	set -- $(cd "$TEST_TOP/tests/fuzz" && ls fuzz_*.c | sed "s/\.c\$//") &&
	while [ $# -gt 0 ]; do
		run_target "$1" & p1=$!
		if [ $# -gt 1 ]; then run_target "$2" & p2=$!; wait "$p2"; shift; fi
		wait "$p1"; shift
	done
'

for src in "$TEST_TOP"/tests/fuzz/fuzz_*.c; do
	t=$(basename "$src" .c)
	test_expect_success "$t: no crash, leak, hang or memory blow-up" '
		grep -q "stat::number_of_executed_units" "log.'"$t"'" || { echo "did not run"; cat "log.'"$t"'"; exit 1; }
		[ "$(cat "rc.'"$t"'")" = 0 ] || {
			echo "reproducer: $(sed -n "s/.*Test unit written to \(.*\)/\1/p" "log.'"$t"'")"
			grep -E "ERROR|SUMMARY|runtime error|#[0-9] " "log.'"$t"'" | head -20
			exit 1
		}
	'
done

test_done
