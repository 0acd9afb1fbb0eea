#!/usr/bin/env bash
# irdesk serve --tls-cert/--tls-key: HTTPS with a self-signed certificate
# made here; session cookies are Secure under TLS; bad key files are refused.
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup: a database, a user with a password, a self-signed certificate' '
	irdesk init > /dev/null &&
	echo "tls user password 1" | irdesk user add tina --role triage --password-stdin > /dev/null &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
		-keyout "$TEST_DIR/key.pem" -out "$TEST_DIR/cert.pem" 2> /dev/null &&
	[ -s "$TEST_DIR/cert.pem" ]
'

test_expect_success 'HTTPS answers the health API; plain HTTP on that port does not' '
	start_server "$TEST_DIR/tls.log" --tls-cert "$TEST_DIR/cert.pem" --tls-key "$TEST_DIR/key.pem" &&
	curl -sS --cacert "$TEST_DIR/cert.pem" -o "$TEST_DIR/h.json" \
		"https://127.0.0.1:$PORT/api/v1/health" &&
	[ "$(json_get "$TEST_DIR/h.json" .status)" = ok ] &&
	! curl -sS -m 5 -o /dev/null "http://127.0.0.1:$PORT/api/v1/health" 2> /dev/null &&
	grep -q "serving https://" "$TEST_DIR/tls.log"
'

test_expect_success 'the session cookie is Secure, HttpOnly and SameSite=Strict under TLS' '
	server &&
	curl -sS --cacert "$TEST_DIR/cert.pem" -D "$TEST_DIR/hdr" -o /dev/null \
		-H "Content-Type: application/json" \
		--data-binary "{\"username\":\"tina\",\"password\":\"tls user password 1\"}" \
		"https://127.0.0.1:$PORT/api/v1/session" &&
	grep -i "^set-cookie: irdesk_session=" "$TEST_DIR/hdr" > "$TEST_DIR/cookie" &&
	grep -q "; Secure" "$TEST_DIR/cookie" &&
	grep -q "; HttpOnly" "$TEST_DIR/cookie" &&
	grep -q "SameSite=Strict" "$TEST_DIR/cookie"
'

test_expect_success 'without TLS the cookie is not marked Secure' '
	server && kill -TERM "$PID" && [ "$(wait_exit)" = 0 ] &&
	start_server "$TEST_DIR/plain.log" &&
	curl -sS -D "$TEST_DIR/hdr" -o /dev/null -H "Content-Type: application/json" \
		--data-binary "{\"username\":\"tina\",\"password\":\"tls user password 1\"}" \
		"http://127.0.0.1:$PORT/api/v1/session" &&
	grep -i "^set-cookie: irdesk_session=" "$TEST_DIR/hdr" > "$TEST_DIR/cookie" &&
	! grep -q "Secure" "$TEST_DIR/cookie" &&
	kill -TERM "$PID" && [ "$(wait_exit)" = 0 ]
'

test_expect_success 'a certificate without its key, or a key that is not one, is refused with one line' '
	expect_code 2 irdesk serve --listen 127.0.0.1:0 --tls-cert "$TEST_DIR/cert.pem" &&
	stderr_has "go together" &&
	echo "not a key" > "$TEST_DIR/bad.pem" &&
	expect_code 5 irdesk serve --listen 127.0.0.1:0 --tls-cert "$TEST_DIR/cert.pem" \
		--tls-key "$TEST_DIR/bad.pem" &&
	stderr_has "TLS" &&
	expect_code 3 irdesk serve --listen 127.0.0.1:0 --tls-cert "$TEST_DIR/none.pem" \
		--tls-key "$TEST_DIR/key.pem"
'

test_done
