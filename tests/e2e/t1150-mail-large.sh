#!/usr/bin/env bash
# t1150-mail-large.sh: POST /api/v1/mail streams the message, so real mail
# with attachments fits: a 5 MiB BEC mail with a PDF attachment becomes an
# alert with the message kept whole (the attachment's hash among the
# alert's observables); a message over the 25 MiB limit is refused with a
# 413 JSON error, with or without a Content-Length, and nothing is stored.
. "$(dirname "$0")/lib.sh"

DATA=$TEST_TOP/tests/data/mail
URL=

# mail FILE [CURL OPTIONS...]: POST FILE; the answer in $TEST_DIR/out, the status printed.
mail() {
	local f=$1; shift
	curl -sS -o "$TEST_DIR/out" -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "$TEST_DIR/hana.tok")" \
		-H "Content-Type: message/rfc822" "$@" --data-binary "@$f" "$URL/api/v1/mail"
}
kept() { db_sql "SELECT COUNT(*) FROM mail_reports"; }
alerts() { irdesk alert list --json | jq '.items | length'; }

# big_mail FILE BYTES: a BEC mail with a BYTES-byte random attachment (invoice.pdf, kept as FILE.att).
big_mail() {
	head -c "$2" /dev/urandom > "$1.att"
	{
		printf 'From: =?utf-8?B?44K144OX44Op44Kk44Ok44O8QUJD?= <keiri@supp1ier-abc.co.jp>\r\n'
		printf 'Reply-To: keiri.abc@gmail.com\r\nTo: t.yamada@example.co.jp\r\n'
		printf 'Subject: =?utf-8?B?5oyv6L685YWI5Y+j5bqn44Gu5aSJ5pu0?=\r\nMessage-ID: <%s@supp1ier-abc.co.jp>\r\n' "$2"
		printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
		printf -- '--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
		printf '山田様\r\n税務調査のため、振込先口座の変更をお願いいたします。至急ご対応ください。\r\n'
		printf -- '--b1\r\nContent-Type: application/pdf; name="invoice.pdf"\r\n'
		printf 'Content-Disposition: attachment; filename="invoice.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
		base64 -w 76 "$1.att" | sed 's/$/\r/'
		printf -- '--b1--\r\n'
	} > "$1"
}

test_expect_success 'setup: an account with a token, a server' '
	irdesk init > /dev/null &&
	irdesk user add hana --role incident_handler > /dev/null &&
	irdesk token create hana --name t --json | jq -r .token > "$TEST_DIR/hana.tok" &&
	start_server "$TEST_DIR/serve.log" --mail-config "$DATA/config.json"
'

test_expect_success 'a 5 MiB mail with an attachment becomes an alert with the message kept whole' '
	server && URL=http://127.0.0.1:$PORT &&
	big_mail "$TEST_DIR/five.eml" 3900000 &&
	size=$(stat -c %s "$TEST_DIR/five.eml") && [ "$size" -gt 5242880 ] &&
	[ "$(mail "$TEST_DIR/five.eml")" = 201 ] &&
	[ "$(jq -r .verdict "$TEST_DIR/out")" = bec ] &&
	jq -e ".message.attachments[0].size == 3900000" "$TEST_DIR/out" > /dev/null &&
	id=$(jq -r .alert "$TEST_DIR/out") &&
	curl -sS -H "Authorization: Bearer $(cat "$TEST_DIR/hana.tok")" "$URL/api/v1/alerts/$id/mail" > "$TEST_DIR/kept.json" &&
	[ "$(jq -r ".items[0].size" "$TEST_DIR/kept.json")" = "$size" ] &&
	[ "$(jq -r ".items[0].sha256" "$TEST_DIR/kept.json")" = "$(sha256sum < "$TEST_DIR/five.eml" | cut -d" " -f1)" ] &&
	irdesk alert show "$id" --json |
		jq -e ".observables | map(select(.type == \"sha256\")) | .[0].value == \"$(sha256sum < "$TEST_DIR/five.eml.att" | cut -d" " -f1)\"" > /dev/null
'

test_expect_success 'a message over 25 MiB is refused with 413, with or without a Content-Length; nothing is stored' '
	server && URL=http://127.0.0.1:$PORT &&
	big_mail "$TEST_DIR/huge.eml" 19500000 &&
	[ "$(stat -c %s "$TEST_DIR/huge.eml")" -gt 26214400 ] &&
	[ "$(mail "$TEST_DIR/huge.eml")" = 413 ] &&
	[ "$(jq -r .error.code "$TEST_DIR/out")" = toolong ] &&
	jq -r .error.message "$TEST_DIR/out" | grep -q "at most 26214400 bytes" &&
	[ "$(mail "$TEST_DIR/huge.eml" -H "Transfer-Encoding: chunked")" = 413 ] &&
	[ "$(jq -r .error.code "$TEST_DIR/out")" = toolong ] &&
	[ "$(kept)" = 1 ] && [ "$(alerts)" = 1 ] &&
	kill -0 "$(cat "$TEST_DIR/pid")"
'

test_done
