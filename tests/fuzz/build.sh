#!/bin/sh
# tests/fuzz/build.sh: build every fuzz target of tests/fuzz/ (fuzz_*.c, one
# per parser) with clang's libFuzzer, ASan and UBSan into build/fuzz/, through
# tests/fuzz/fuzz.mk (the library is compiled once and only what changed is
# compiled again). tests/e2e/t0050-fuzz.sh runs each for a few seconds in
# `make test`; for a longer run, e.g.:
#   build/fuzz/fuzz_event -max_total_time=60 -rss_limit_mb=2048 tests/data/event
#   build/fuzz/fuzz_sigma_yaml -max_total_time=60 ../shared/data/sigma/rules/windows/builtin
# Needs clang (Debian: clang, in scripts/deps.sh's test packages) and the
# libraries of scripts/deps.sh. Makes build/gen/embedded.c when missing.
# Exit 0 when every target built; JOBS (default 2) compiles in parallel.
set -eu

cd "$(dirname "$0")/../.."
command -v clang > /dev/null || { echo "fuzz: clang is missing (apt-get install clang)" >&2; exit 1; }
make -s build/gen/embedded.c
make -s -j"${JOBS:-2}" -f Makefile -f tests/fuzz/fuzz.mk fuzz-targets
