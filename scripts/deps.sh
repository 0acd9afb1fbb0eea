#!/bin/sh
# scripts/deps.sh: install the Debian packages irdesk needs to build, run and
# test, and only those that are missing. Quiet when everything is present;
# runs `apt-get update` only when it has something to install; works as root
# or through sudo. Nothing is downloaded from anywhere but Debian's archive,
# except playwright-core (the browser tests' driver for Debian's chromium),
# which npm installs from the registry at the version package-lock.json pins.
set -eu

# Build: compiler, pkg-config and the libraries (DESIGN.md, dependencies).
BUILD="gcc make pkg-config libc6-dev libsqlite3-dev libjansson-dev libsodium-dev libmicrohttpd-dev libssl-dev libyaml-dev libpcre2-dev libhyperscan-dev libpq-dev libgmime-3.0-dev libpsl-dev libidn2-dev libicu-dev libcurl4-openssl-dev"
# Run: time zone data for display zones.
RUN="tzdata"
# Test: unit test library, the sqlite3 shell (tampering tests), PostgreSQL
# (tests/pg.sh starts a throwaway server: the second backend's pass), jq (JSON in
# end-to-end tests), curl (HTTP end-to-end tests), chromium and node (browser
# tests; a node that is already installed, e.g. NodeSource's, which bundles
# npm and conflicts with Debian's npm package, is kept), dovecot-imapd (the IMAP
# server the report-mailbox test starts on loopback), python3-aiosmtpd (the SMTP
# server the reporter-acknowledgement test starts on loopback), clang (libFuzzer:
# the fuzz targets tests/e2e/t0050-fuzz.sh builds and runs).
# Only with TEST_DEPS=1 (`make test` and `make bench` set it): `make run`
# needs none of them.
TEST=""
if [ "${TEST_DEPS:-0}" = 1 ] || [ "${BENCH_DEPS:-0}" = 1 ]; then
	TEST="libcmocka-dev sqlite3 postgresql jq curl dovecot-imapd python3-aiosmtpd clang chromium $(command -v node >/dev/null 2>&1 || echo nodejs) $(command -v npm >/dev/null 2>&1 || echo npm)"
fi
# Benchmarks, only with BENCH_DEPS=1 (`make bench` sets it): wrk drives the
# HTTP benchmark and nginx serves its static-file peer (bench/bench_http.sh).
# Debian 12's nginx-light is only a metapackage over nginx plus a module.
BENCH=""
# libyajl-dev: yajl's tokenizer is the baseline of bench/bench_detect.c.
# spamassassin: the quality peer of bench/bench_mail.sh (local rules only).
if [ "${BENCH_DEPS:-0}" = 1 ]; then BENCH="wrk nginx libyajl-dev spamassassin"; fi

missing=""
for p in $BUILD $RUN $TEST $BENCH; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -n "$missing" ]; then
	echo "deps: installing$missing" >&2
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=""
	elif command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "deps: missing packages:$missing; run this script as root or install sudo" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq >&2
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
fi

# The npm packages at their pinned versions: playwright-core (browser tests, no
# bundled browsers) and mailparser (the peer bench/bench_mail.sh compares with).
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "$TEST" ] && { [ ! -d "$top/node_modules/playwright-core" ] || [ ! -d "$top/node_modules/mailparser" ]; } &&
	command -v npm >/dev/null 2>&1; then
	echo "deps: installing playwright-core and mailparser (npm ci)" >&2
	(cd "$top" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
