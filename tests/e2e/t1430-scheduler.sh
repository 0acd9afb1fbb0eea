#!/usr/bin/env bash
# t1430-scheduler.sh: the scheduler inside `irdesk serve` writes clock
# reminders as deadlines approach: one per incident, clock and threshold on
# the timeline and in the audit log, not again on later runs, and the server
# still stops cleanly. On PostgreSQL, two nodes on one database (each with
# its scheduler every second) write exactly one reminder per threshold.
. "$(dirname "$0")/lib.sh"

# 2026-03-03 06:00 JST: the 速報 of an incident discovered 2026-02-26 23:30 JST
# is due in 17.5 hours (the 24 h threshold); its GDPR 72 hours are over.
export IRDESK_NOW="2026-03-02T21:00:00Z"

reminders() { db_sql "SELECT COUNT(*) FROM clock_reminders"; }
# wait_reminders N: until N reminders are there (at most 15 s).
wait_reminders() {
	for _ in $(seq 1 150); do [ "$(reminders)" -ge "$1" ] && return 0; sleep 0.1; done
	echo "only $(reminders) reminders"; return 1
}

test_expect_success 'setup: an incident with personal data, an APPI criterion and GDPR' '
	irdesk init > /dev/null &&
	irdesk incident new --title "漏えい" --discovered-at "2026-02-26 23:30 JST" > /dev/null &&
	irdesk incident new --title "no breach" --discovered-at "2026-02-26 23:30 JST" > /dev/null &&
	irdesk notify breach IR-2026-0001 --personal-data yes --sensitive yes --gdpr yes > /dev/null &&
	irdesk notify clocks --json | jq -e "length == 3" > /dev/null
'

if [ "$TEST_BACKEND" = pg ]; then
	node_start() {
		( IRDESK_LOG=info "$IRDESK_BIN" --db "$DB" serve --listen 127.0.0.1:0 --scheduler-interval 1 \
			--port-file "$TEST_DIR/$1.port" > "$TEST_DIR/$1.log" 2>&1 & echo $! > "$TEST_DIR/$1.pid"
		  wait $! ) &
		for _ in $(seq 1 150); do [ -s "$TEST_DIR/$1.port" ] && break; sleep 0.1; done
		[ -s "$TEST_DIR/$1.port" ]
	}
	at_exit 'for n in a b; do [ -f "$TEST_DIR/$n.pid" ] && kill -9 "$(cat "$TEST_DIR/$n.pid")"; done'

	test_expect_success 'two nodes on one PostgreSQL write exactly one reminder per threshold' '
		node_start a && node_start b &&
		wait_reminders 2 && sleep 3 &&
		[ "$(reminders)" = 2 ] &&
		[ "$(db_sql "SELECT clock || '\'':'\'' || threshold FROM clock_reminders ORDER BY clock")" = "appi_preliminary:24h
gdpr:overdue" ] &&
		[ "$(db_sql "SELECT COUNT(*) FROM timeline WHERE author = '\''system'\'' AND text LIKE '\''%Reminder%'\''")" = 2 ] &&
		[ "$(db_sql "SELECT COUNT(*) FROM audit_log WHERE action = '\''clock.remind'\''")" = 2 ] &&
		holder=$(db_sql "SELECT holder FROM scheduler_leases") && [ -n "$holder" ] &&
		kill -TERM "$(cat "$TEST_DIR/a.pid")" && kill -TERM "$(cat "$TEST_DIR/b.pid")" && sleep 1 &&
		[ "$(db_sql "SELECT expires_at FROM scheduler_leases")" = 0 ] &&
		[ "$(reminders)" = 2 ] &&
		irdesk audit verify > /dev/null
	'
	test_done
	exit 0
fi

test_expect_success 'the server writes each reminder once, on the timeline and in the audit log' '
	start_server "$TEST_DIR/serve.log" --scheduler-interval 1 &&
	wait_reminders 2 && sleep 2.5 &&
	[ "$(reminders)" = 2 ] &&
	irdesk incident show IR-2026-0001 > show.txt &&
	[ "$(grep -c "Reminder" show.txt)" = 2 ] &&
	grep -q "APPI preliminary report, 期限 / due 2026-03-03 23:30 JST (17h 30m)" show.txt &&
	grep -q "GDPR 72-hour notification, 期限 / due 2026-03-01 23:30 JST (期限超過 / overdue)" show.txt &&
	[ "$(db_sql "SELECT COUNT(*) FROM audit_log WHERE action = '\''clock.remind'\''")" = 2 ] &&
	! irdesk incident show IR-2026-0002 | grep -q "Reminder" &&
	grep -q "2 clock reminders written" "$TEST_DIR/serve.log"
'

test_expect_success 'a satisfied clock gets no more reminders; the server stops cleanly' '
	irdesk notify add IR-2026-0001 --to PPC --channel web_form --kind appi_preliminary --text "速報" > /dev/null &&
	first=$(db_sql "SELECT holder FROM scheduler_leases") &&
	server && kill -TERM "$PID" && [ "$(wait_exit)" = 0 ] &&
	[ "$(db_sql "SELECT expires_at FROM scheduler_leases")" = 0 ] &&
	IRDESK_NOW="2026-03-04T00:00:00Z" start_server "$TEST_DIR/serve2.log" --scheduler-interval 1 &&
	sleep 2.5 && [ "$(db_sql "SELECT holder FROM scheduler_leases")" != "$first" ] &&
	[ "$(reminders)" = 2 ] &&
	server && kill -TERM "$PID" && [ "$(wait_exit)" = 0 ] &&
	irdesk audit verify > /dev/null
'

test_done
