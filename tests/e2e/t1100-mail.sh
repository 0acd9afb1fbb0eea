#!/usr/bin/env bash
# t1100-mail.sh: `irdesk mail analyze` as the CSIRT uses it: a readable
# summary, one JSON object per mail with --json, the supplier BEC case of
# issue 7, a forwarded report, exit 2 on usage errors, 3 for a missing
# file, 4 for a bad configuration file.
. "$(dirname "$0")/lib.sh"
D=$TEST_TOP/tests/data/mail

test_expect_success 'the supplier BEC mail is bec with its three reasons' '
	irdesk mail analyze --json --config "$D/config.json" "$D/0001-bec-lookalike-supplier.eml" >out.json &&
	[ "$(jq -r .verdict out.json)" = bec ] &&
	jq -r ".reasons[].detail" out.json | grep -F "lookalike of supplier-abc.co.jp (supp1ier-abc.co.jp" &&
	jq -r ".reasons[].code" out.json | grep -x reply_to_freemail &&
	jq -r ".reasons[].detail" out.json | grep -F "振込先口座の変更" &&
	jq -e ".iocs.emails | index(\"keiri.abc@gmail.com\")" out.json
'

test_expect_success 'several files give one JSON object each, and a readable summary' '
	irdesk mail analyze --json --config "$D/config.json" "$D/0101-ham-mailing-list.eml" "$D/0301-forwarded-report.eml" >two.json &&
	[ "$(jq -s length two.json)" = 2 ] &&
	[ "$(jq -rs ".[0].verdict" two.json)" = clean ] &&
	[ "$(jq -rs ".[1].message.forwarded" two.json)" = true ] &&
	irdesk mail analyze --config "$D/config.json" "$D/0002-bec-exec-freemail-line.eml" >text.out &&
	grep -F "bec (score" text.out && grep -F executive_impersonation text.out
'

test_expect_success 'usage, missing file and bad configuration exit codes' '
	expect_code 2 irdesk mail analyze &&
	expect_code 2 irdesk mail frobnicate &&
	expect_code 3 irdesk mail analyze nosuch.eml && stderr_has "nosuch.eml" &&
	echo "{\"own_domains\": 5}" >bad.json &&
	expect_code 4 irdesk mail analyze --config bad.json "$D/0001-bec-lookalike-supplier.eml" && stderr_has own_domains &&
	expect_code 4 irdesk mail analyze --config missing.json "$D/0001-bec-lookalike-supplier.eml"
'

test_expect_success 'bad input gives a verdict or one clear error, never a crash' '
	for f in "$D"/04*.eml; do
		rc=0; timeout 30 "$IRDESK_BIN" mail analyze --json "$f" >/dev/null 2>err || rc=$?
		[ "$rc" -eq 0 ] || { [ "$rc" -eq 4 ] && [ "$(wc -l <err)" -eq 1 ]; } || { echo "$f: $rc"; cat err; exit 1; }
	done
'
test_done
