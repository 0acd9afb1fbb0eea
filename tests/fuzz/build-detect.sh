#!/bin/sh
# tests/fuzz/build-detect.sh: build the detection fuzz targets (issue 6) with
# clang's libFuzzer, ASan and UBSan into build/fuzz/: the event decoder
# (fuzz_event), the Sigma YAML loader (fuzz_sigma_yaml), the condition
# parser (fuzz_sigma_cond) and the syslog parser (fuzz_syslog, which needs
# the whole library: it links the sources of the Makefile's LIBSRC).
# Then run one, e.g.:
#   build/fuzz/fuzz_event -max_total_time=60 tests/data/event
#   build/fuzz/fuzz_sigma_yaml -max_total_time=60 ../shared/data/sigma/rules/windows/builtin
# Needs clang (Debian: clang) and the libraries of scripts/deps.sh; run
# `make test-build` first for build/gen/embedded.c. Exit 0 when all built.
set -eu

cd "$(dirname "$0")/../.."
command -v clang > /dev/null || { echo "build-detect: clang is missing (apt-get install clang)" >&2; exit 1; }
[ -f build/gen/embedded.c ] || { echo "build-detect: run 'make test-build' first (build/gen/embedded.c)" >&2; exit 1; }
mkdir -p build/fuzz
PKGS="sqlite3 libpq jansson libsodium libmicrohttpd libcrypto yaml-0.1 libpcre2-8 gmime-3.0 libpsl libidn2 icu-uc icu-i18n libhs"
# shellcheck disable=SC2086
CF="-g -O1 -D_GNU_SOURCE -DIRDESK_VERSION=\"fuzz\" -fsanitize=fuzzer,address,undefined -Isrc -Ibuild/gen $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lpthread -lm -lstdc++"
SIGMA="src/detect/sigma.c src/detect/sigma_cond.c src/detect/sigma_match.c src/detect/sigma_prefilter.c
       src/detect/sigma_rule.c src/detect/logsource.c src/detect/event.c"
UTIL=$(ls src/util/*.c)
LIBSRC=$(make -s -f Makefile -f - print-libsrc <<'EOF'
print-libsrc:
	@echo $(LIBSRC)
EOF
)

build() { # NAME SOURCES...
	name=$1
	shift
	echo "  CLANG fuzz $name"
	# shellcheck disable=SC2086
	clang $CF -o "build/fuzz/$name" "tests/fuzz/$name.c" "$@" $LIBS
}

build fuzz_event src/detect/event.c src/detect/scan.c src/util/err.c src/util/utf8.c
# shellcheck disable=SC2086
build fuzz_sigma_yaml $SIGMA $UTIL build/gen/embedded.c
# shellcheck disable=SC2086
build fuzz_sigma_cond $SIGMA $UTIL build/gen/embedded.c
# shellcheck disable=SC2086
build fuzz_syslog $LIBSRC build/gen/embedded.c
echo "build-detect: fuzz targets in build/fuzz/"
