#!/usr/bin/env bash
# t1020-scan.sh: `irdesk scan` as someone checking rules sees it: one line per
# (event, rule) match over JSON lines, arrays and pretty-printed evtx_dump or
# Winlogbeat events, with the event's index in its file; --json and --stats;
# exit 2 on usage errors, 3 for a missing file, 4 naming the file and offset
# of malformed input. With the shared corpus, a SigmaHQ regression folder.
. "$(dirname "$0")/lib.sh"

SIGMA_ID=5f6e5c7a-1d3b-4c2e-9a8f-0b1c2d3e4f50

test_expect_success 'set up a rule and event files of every shape' '
	cat >whoami.yml <<-EOF &&
	title: Whoami run
	id: $SIGMA_ID
	level: medium
	logsource:
	    product: windows
	    category: process_creation
	detection:
	    selection:
	        Image|endswith: \\whoami.exe
	    condition: selection
	EOF
	# JSON lines (OTRF style) with blank lines: they do not count.
	printf "%s\n\n%s\n   \n%s\n" \
		"{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Image\":\"C:\\\\Windows\\\\System32\\\\whoami.exe\"}" \
		"{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Image\":\"C:\\\\Windows\\\\notepad.exe\"}" \
		"{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Image\":\"C:\\\\x\\\\WHOAMI.EXE\"}" >lines.json &&
	# One JSON array: each element counts one.
	cat >array.json <<-\EOF &&
	[
	  {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": "C:\\a.exe"},
	  {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": "C:\\b\\whoami.exe"}
	]
	EOF
	# Two pretty-printed evtx_dump objects one after the other.
	cat >evtx.json <<-\EOF &&
	{
	  "Event": {
	    "System": {
	      "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
	      "EventID": 1,
	      "Channel": "Microsoft-Windows-Sysmon/Operational"
	    },
	    "EventData": {"Image": "C:\\Windows\\System32\\whoami.exe"}
	  }
	}
	{
	  "Event": {
	    "System": {"EventID": 3, "Channel": "Microsoft-Windows-Sysmon/Operational"},
	    "EventData": {"Image": "C:\\Windows\\System32\\whoami.exe"}
	  }
	}
	EOF
	# Winlogbeat 6.
	cat >wlb.json <<-\EOF
	{"log_name":"Microsoft-Windows-Sysmon/Operational","event_id":1,"source_name":"Microsoft-Windows-Sysmon","event_data":{"Image":"C:\\w\\whoami.exe"}}
	EOF
'

test_expect_success 'scan prints one line per match with the event index' '
	expect_code 0 irdesk scan --rules whoami.yml lines.json array.json evtx.json wlb.json &&
	test "$(wc -l <"$TEST_DIR/stdout")" -eq 5 &&
	stdout_has "lines.json:0: medium $SIGMA_ID Whoami run" &&
	stdout_has "lines.json:2: medium $SIGMA_ID Whoami run" &&
	stdout_has "array.json:1: medium $SIGMA_ID" &&
	stdout_has "evtx.json:0: medium $SIGMA_ID" &&
	stdout_has "wlb.json:0: medium $SIGMA_ID" &&
	! grep -q "evtx.json:1:" "$TEST_DIR/stdout"
'

test_expect_success 'scan --json prints one object per match' '
	expect_code 0 irdesk scan --json --rules whoami.yml lines.json evtx.json &&
	jq -s -e --arg id "$SIGMA_ID" "length == 3 and
		(map(.rule) | unique) == [\$id] and
		(map(.event)) == [0, 2, 0] and
		(map(.file)) == [\"lines.json\", \"lines.json\", \"evtx.json\"] and
		.[0].title == \"Whoami run\" and .[0].level == \"medium\"" "$TEST_DIR/stdout"
'

test_expect_success 'the global --json before the command works as well' '
	expect_code 0 irdesk --json scan --rules whoami.yml array.json &&
	jq -e ".event == 1" "$TEST_DIR/stdout"
'

test_expect_success 'no match still exits 0 and prints nothing' '
	printf "{\"EventID\":4624,\"Channel\":\"Security\"}\n" >quiet.json &&
	expect_code 0 irdesk scan --rules whoami.yml quiet.json &&
	test ! -s "$TEST_DIR/stdout"
'

test_expect_success '--profile flat does not read evtx_dump events' '
	expect_code 0 irdesk scan --profile flat --rules whoami.yml evtx.json &&
	test ! -s "$TEST_DIR/stdout" &&
	expect_code 0 irdesk scan --profile evtx --rules whoami.yml evtx.json &&
	test "$(wc -l <"$TEST_DIR/stdout")" -eq 1
'

test_expect_success '--stats reports rules, events and matches on stderr' '
	expect_code 0 irdesk scan --stats --rules whoami.yml lines.json array.json &&
	grep -q "rules: 1 loaded, 0 rejected; events: 5; matches: 3;" "$TEST_DIR/stderr" &&
	grep -q "MB/s" "$TEST_DIR/stderr" && grep -q "events/s" "$TEST_DIR/stderr" &&
	test "$(wc -l <"$TEST_DIR/stdout")" -eq 3
'

test_expect_success 'events can come from standard input' '
	irdesk scan --json --rules whoami.yml - <lines.json >stdin.out &&
	test "$(jq -s length stdin.out)" -eq 2
'

test_expect_success 'usage errors exit 2' '
	expect_code 2 irdesk scan lines.json && stderr_has "--rules" &&
	expect_code 2 irdesk scan --rules whoami.yml && stderr_has "no event files" &&
	expect_code 2 irdesk scan --rules whoami.yml --profile syslog lines.json &&
	stderr_has "--profile" &&
	expect_code 2 irdesk scan --rules whoami.yml --bogus lines.json
'

test_expect_success 'a missing event file or rule path exits 3' '
	expect_code 3 irdesk scan --rules whoami.yml nothere.json && stderr_has "nothere.json" &&
	expect_code 3 irdesk scan --rules norules.yml lines.json && stderr_has "norules.yml"
'

test_expect_success 'malformed input exits 4 naming the file and the offset' '
	printf "{\"EventID\":1}\n{\"EventID\":\"unterminated}" >bad.json &&
	expect_code 4 irdesk scan --rules whoami.yml lines.json bad.json &&
	stderr_has "bad.json: offset 25:" &&
	printf "{\"a\":\"\\\\ud800\"}" >surrogate.json &&
	expect_code 4 irdesk scan --rules whoami.yml surrogate.json &&
	stderr_has "surrogate.json: offset 6: unpaired high surrogate" &&
	printf "[{\"a\":1} 5]" >array-bad.json &&
	expect_code 4 irdesk scan --rules whoami.yml array-bad.json &&
	stderr_has "array-bad.json: offset 9:"
'

test_expect_success 'matches before malformed input are still printed' '
	cat lines.json >mixed.json && printf "{oops}\n" >>mixed.json &&
	expect_code 4 irdesk scan --rules whoami.yml mixed.json &&
	test "$(wc -l <"$TEST_DIR/stdout")" -eq 2
'

if [ -n "${IRDESK_CORPUS:-}" ] && [ -d "$IRDESK_CORPUS/events/sigmahq-regression" ]; then
	test_expect_success 'a SigmaHQ regression event fires its rule among all the rules' '
		dir=$IRDESK_CORPUS/events/sigmahq-regression/rules/windows/builtin/wmi/win_wmi_activity_nteventlogfile_cleareventlog &&
		expect_code 0 irdesk scan --json --rules "$IRDESK_CORPUS/sigma/rules" "$dir"/*.json &&
		jq -s -e "map(.rule) | index(\"d4f1a2b3-7c8e-4d5f-b6a9-1e0c2d3f4e5b\") != null" \
			"$TEST_DIR/stdout"
	'
else
	test_skip 'a SigmaHQ regression event fires its rule among all the rules' 'corpus not found'
fi

test_done
