# tests/e2e/lib.sh: the end-to-end test helper (after git's t/test-lib.sh).
# A script sources it, runs test_expect_success 'what a user checks' 'shell',
# and ends with test_done. Each script gets a fresh folder ($TEST_DIR) and a
# database in it; `irdesk` runs the sanitised binary on that database.
# Output is TAP ("ok N - ...", "not ok N - ..."), counted by tests/run.sh.
set -u
TEST_TOP=${IRDESK_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
IRDESK_BIN=${IRDESK_BIN:-$TEST_TOP/build/test/irdesk}
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/irdesk-e2e-XXXXXX")
DB=sqlite:$TEST_DIR/irdesk.db
# IRDESK_TEST_DB=pg (tests/run.sh's PostgreSQL pass, the server from
# tests/pg.sh): the same script on a fresh PostgreSQL database of its own.
TEST_BACKEND=${IRDESK_TEST_DB:-sqlite}
TEST_PGDB=
if [ "$TEST_BACKEND" = pg ]; then
	TEST_PGDB=t_$(basename "$TEST_DIR" | tr -c 'a-zA-Z0-9' _ | tr 'A-Z' 'a-z')
	"$IRDESK_PG_BIN/createdb" "$TEST_PGDB" || { echo "Bail out! createdb $TEST_PGDB failed"; exit 1; }
	DB=$IRDESK_PG_URL/$TEST_PGDB
fi
export IRDESK_TZ=${IRDESK_TZ:-Asia/Tokyo}
export IRDESK_LOG=${IRDESK_LOG:-warn}
test_count=0
test_failed=0
test_cleanup_cmds=()

cleanup() {
	local c
	for c in "${test_cleanup_cmds[@]}"; do eval "$c" >/dev/null 2>&1; done
	rm -rf "$TEST_DIR"
}
trap cleanup EXIT

# Run a command at exit (stop a server the script started).
at_exit() { test_cleanup_cmds+=("$1"); }

irdesk() { "$IRDESK_BIN" --db "$DB" "$@"; }

# The database behind $DB, for tests that inspect or tamper with it as an
# intruder with database access would. NAME is a copy made by db_copy, or
# empty for the script's own database.
# db_url NAME: the --db URL of NAME.
db_url() {
	if [ "$TEST_BACKEND" = pg ]; then echo "$IRDESK_PG_URL/$TEST_PGDB${1:+_$1}"
	else echo "sqlite:$TEST_DIR/${1:-irdesk}.db"; fi
}
# db_sql_on NAME SQL: run SQL there (sqlite3 or psql); rows print as a|b.
db_sql_on() {
	if [ "$TEST_BACKEND" = pg ]; then
		"$IRDESK_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$(db_url "$1")" -c "$2"
	else
		sqlite3 -cmd '.timeout 5000' "$TEST_DIR/${1:-irdesk}.db" "$2"
	fi
}
# db_sql SQL: run SQL on the script's database.
db_sql() { db_sql_on "" "$1"; }
# db_copy NAME: a consistent copy of the script's database, called NAME.
db_copy() {
	if [ "$TEST_BACKEND" = pg ]; then "$IRDESK_PG_BIN/createdb" -T "$TEST_PGDB" "${TEST_PGDB}_$1"
	else sqlite3 "$TEST_DIR/irdesk.db" ".backup '$TEST_DIR/$1.db'"; fi
}

test_expect_success() {
	local desc=$1 body=$2
	test_count=$((test_count + 1))
	local log=$TEST_DIR/test-$test_count.log
	local rc
	# Not inside an if: bash ignores set -e in a condition, and then only a
	# body's last command would decide. Run it as a command of its own.
	(cd "$TEST_DIR" && set -e && eval "$body") > "$log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "ok $test_count - $desc"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $desc"
		sed 's/^/#   /' "$log" | tail -40
	fi
}

test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# expect_code N CMD...: CMD must exit with status N; its stderr is kept in
# $TEST_DIR/stderr and must be one line when N is not 0.
expect_code() {
	local want=$1; shift
	local got=0
	"$@" > "$TEST_DIR/stdout" 2> "$TEST_DIR/stderr" || got=$?
	if [ "$got" -ne "$want" ]; then
		echo "expected exit $want, got $got from: $*"
		cat "$TEST_DIR/stdout" "$TEST_DIR/stderr"
		return 1
	fi
	if [ "$want" -ne 0 ] && [ "$(grep -c . "$TEST_DIR/stderr")" -ne 1 ]; then
		echo "expected one error line from: $*"; cat "$TEST_DIR/stderr"; return 1
	fi
	return 0
}

# stderr_has TEXT: the last expect_code's error message contains TEXT.
stderr_has() { grep -qF -- "$1" "$TEST_DIR/stderr" || { echo "stderr lacks '$1':"; cat "$TEST_DIR/stderr"; return 1; }; }
stdout_has() { grep -qF -- "$1" "$TEST_DIR/stdout" || { echo "stdout lacks '$1':"; cat "$TEST_DIR/stdout"; return 1; }; }

# json_get FILE JQ-EXPR: one value from a JSON file, raw (jq -r).
json_get() { jq -r "$2" "$1"; }

# The jq program that turns `incident item ID --json` (or GET .../items)
# into KEY=VALUE lines filling every item a later state still needs with a
# valid test value, builtin items (incident fields) left out.
FILL_JQ='(.missing | [.[][]] | unique) as $m | .items[] | select(.key as $k | $m | index($k))
	| select(.builtin == null) | "\(.key)=" + (if .type == "choice" then .choices[0].key
	elif .type == "yesno" then "no" elif .type == "number" then "1"
	elif .type == "datetime" then "2026-11-01 09:00" else "test value" end)'

# fill_required ID [IRDESK OPTIONS...]: give incident ID every item the
# catalog requires before its later states (test data), by the CLI.
fill_required() {
	local id=$1 args=()
	shift
	irdesk "$@" --json incident item "$id" > "$TEST_DIR/fill.json" || return 1
	mapfile -t args < <(jq -r "$FILL_JQ" "$TEST_DIR/fill.json")
	if [ "${#args[@]}" -gt 0 ]; then
		irdesk "$@" incident item "$id" "${args[@]}" > /dev/null || return 1
	fi
	if jq -e '[.missing[][]] | index("occurred_at")' "$TEST_DIR/fill.json" > /dev/null; then
		irdesk "$@" incident set "$id" --occurred-at "2026-11-01 09:00" > /dev/null || return 1
	fi
}

# start_server LOG [SERVE OPTIONS...]: run `irdesk serve` on a free loopback
# port in the background. Test bodies run in subshells, so the pid, the port
# and (once it stops) the exit status live in files: $TEST_DIR/pid, port,
# exit. Sets PID and PORT for the calling body; `server` sets them again in a
# later body; `wait_exit` prints the status after a stop.
start_server() {
	local log=$1
	shift
	rm -f "$TEST_DIR/port" "$TEST_DIR/exit"
	( IRDESK_LOG=${SERVE_LOG:-info} "$IRDESK_BIN" --db "$DB" serve --listen 127.0.0.1:0 \
		--port-file "$TEST_DIR/port" "$@" > "$log" 2>&1 & echo $! > "$TEST_DIR/pid"
	  wait $!; echo $? > "$TEST_DIR/exit" ) &
	for _ in $(seq 1 600); do # 60 s at most: tests run side by side under ASan
		[ -s "$TEST_DIR/port" ] && break
		[ -s "$TEST_DIR/exit" ] && break
		sleep 0.1
	done
	server
}
server() {
	PID=$(cat "$TEST_DIR/pid" 2>/dev/null)
	PORT=$(cat "$TEST_DIR/port" 2>/dev/null)
	[ -n "$PORT" ]
}
# Pages through curl as a browser uses them. get PATH JAR [CURL-ARG...] and
# post PATH JAR FIELD... (fields as curl --data-urlencode) print the status,
# keep the headers in $TEST_DIR/hdr and the page in $TEST_DIR/body; URL is the
# server's base (set by up).
get() {
	local path=$1 jar=$2; shift 2
	curl -sS -b "$jar" -c "$jar" -D "$TEST_DIR/hdr" -o "$TEST_DIR/body" -w "%{http_code}" "$@" "$URL$path"
}
post() {
	local path=$1 jar=$2 args=(); shift 2
	for f in "$@"; do args+=(--data-urlencode "$f"); done
	curl -sS -b "$jar" -c "$jar" -D "$TEST_DIR/hdr" -o "$TEST_DIR/body" -w "%{http_code}" \
		"${args[@]}" "$URL$path"
}
location() { sed -n 's/^[Ll]ocation: *//p' "$TEST_DIR/hdr" | tr -d '\r'; }
# The CSRF token of the page in $TEST_DIR/body.
csrf() { grep -o 'name="csrf" value="[^"]*"' "$TEST_DIR/body" | head -1 | sed 's/.*value="//;s/"$//'; }
body_has() { grep -qF -- "$1" "$TEST_DIR/body" || { echo "page lacks '$1':"; head -c 3000 "$TEST_DIR/body"; return 1; }; }
body_lacks() { ! grep -qF -- "$1" "$TEST_DIR/body" || { echo "page has '$1'"; return 1; }; }
# signin USER JAR: a fresh cookie jar signed in as USER with the password $PW.
signin() {
	rm -f "$2"
	[ "$(get /login "$2")" = 200 ] || return 1
	[ "$(post /login "$2" "csrf=$(csrf)" "username=$1" "password=$PW" next=/)" = 303 ] || return 1
	[ "$(get / "$2")" = 200 ]
}
# The running server (see server) and URL pointing at it.
up() { server && URL=http://127.0.0.1:$PORT; }
# The REST API with a bearer token kept in $TEST_DIR/TOKEN (a file name):
# api_call TOKEN METHOD PATH [BODY [CONTENT-TYPE]] prints the status and keeps
# the body in $TEST_DIR/out; api_expect STATUS TOKEN METHOD PATH [BODY [CT]]
# fails with the body shown when the status differs; api_out JQ reads the body.
api_call() {
	local tok=$1 m=$2 p=$3
	shift 3
	curl -sS -o "$TEST_DIR/out" -D "$TEST_DIR/hdr" -w '%{http_code}' -X "$m" \
		-H "Authorization: Bearer $(cat "$TEST_DIR/$tok")" \
		-H "Content-Type: ${2:-application/json}" ${1+--data-binary "$1"} \
		"http://127.0.0.1:$(cat "$TEST_DIR/port")$p"
}
api_expect() {
	local want=$1 got
	shift
	got=$(api_call "$@") || return 1
	[ "$got" = "$want" ] || { echo "$* -> $got, expected $want:"; cat "$TEST_DIR/out"; echo; return 1; }
}
api_out() { jq -r "$1" "$TEST_DIR/out"; }
api_error_is() { [ "$(api_out .error.code)" = "$1" ] || { echo "error code $(api_out .error.code), expected $1"; return 1; }; }
wait_exit() {
	for _ in $(seq 1 600); do # 60 s at most: tests run side by side under ASan
		[ -s "$TEST_DIR/exit" ] && break
		sleep 0.1
	done
	cat "$TEST_DIR/exit"
}
at_exit '[ -f "$TEST_DIR/pid" ] && kill -9 "$(cat "$TEST_DIR/pid")"'
# PostgreSQL databases go once their servers are gone (the copies too).
[ -z "$TEST_PGDB" ] || at_exit 'for d in $("$IRDESK_PG_BIN/psql" -X -A -t -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE '"'"'$TEST_PGDB%'"'"'"); do "$IRDESK_PG_BIN/dropdb" --force "$d"; done'

test_done() {
	echo "1..$test_count"
	[ "$test_failed" -eq 0 ]
}
