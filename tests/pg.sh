#!/usr/bin/env bash
# tests/pg.sh: a throwaway PostgreSQL for the tests and benchmarks.
#   eval "$(tests/pg.sh start [--durable])"  initdb into a fresh temporary
#       folder, pg_ctl on a free loopback port (socket in the folder too),
#       as the postgres user when run as root; prints the variables to set:
#       IRDESK_PG_DIR, IRDESK_PG_URL (postgres://irdesk@127.0.0.1:PORT), PGHOST,
#       PGPORT, PGUSER and IRDESK_PG_BIN (initdb, createdb, psql...).
#   tests/pg.sh stop DIR   stop that server and remove its folder.
#   tests/pg.sh pause DIR / resume DIR  stop that server and start it again
#       on the same port (an outage, for the reconnect tests).
#   tests/pg.sh available  exit 0 when PostgreSQL is installed.
# The test server trades durability for speed (fsync off) unless --durable.
set -eu
cd /  # the postgres user may not enter the caller's folder
bin=${IRDESK_PG_BIN:-}
if [ -z "$bin" ]; then
	for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bin=$d; done
fi
[ -n "$bin" ] && [ -x "$bin/initdb" ] || bin=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")

as_owner() { # run as the unprivileged owner of the data folder
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
available)
	[ -x "$bin/initdb" ] && { [ "$(id -u)" -ne 0 ] || id postgres >/dev/null 2>&1; }
	;;
start)
	durable=${2:-}
	dir=$(mktemp -d "${TMPDIR:-/tmp}/irdesk-pg-XXXXXX")
	chmod 755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
	as_owner "$bin/initdb" -D "$dir/data" -U irdesk -A trust -E UTF8 --locale=C.UTF-8 \
		> "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
	opts="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=200"
	[ "$durable" = --durable ] || opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 30000))
		(echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
		echo "-p $port $opts" > "$dir/options"
		if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
			-o "-p $port $opts" start > /dev/null 2>&1; then
			echo "export IRDESK_PG_DIR='$dir' IRDESK_PG_BIN='$bin'"
			echo "export IRDESK_PG_URL='postgres://irdesk@127.0.0.1:$port'"
			echo "export PGHOST=127.0.0.1 PGPORT=$port PGUSER=irdesk"
			exit 0
		fi
	done
	cat "$dir/server.log" >&2 || true
	rm -rf "$dir"
	exit 1
	;;
stop)
	dir=${2:?usage: tests/pg.sh stop DIR}
	case "$dir" in */irdesk-pg-*) ;; *) echo "pg.sh: not a test server folder: $dir" >&2; exit 2 ;; esac
	as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null 2>&1 || true
	rm -rf "$dir"
	;;
pause)
	as_owner "$bin/pg_ctl" -D "${2:?}/data" -m fast -w stop > /dev/null
	;;
resume)
	as_owner "$bin/pg_ctl" -D "${2:?}/data" -l "$2/server.log" -w -t 30 \
		-o "$(cat "$2/options")" start > /dev/null
	;;
*)
	echo "usage: tests/pg.sh start [--durable] | stop DIR | pause DIR | resume DIR | available" >&2
	exit 2
	;;
esac
