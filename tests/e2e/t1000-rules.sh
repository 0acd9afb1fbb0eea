#!/usr/bin/env bash
# t1000-rules.sh: `irdesk rules check` as a detection engineer uses it:
# one line per rule, loaded or rejected with the reason, --json for
# programs, exit codes for bad usage and missing paths, and the SigmaHQ
# corpus when it is there.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TEST_DIR/rules/sub"
cat > "$TEST_DIR/rules/good.yml" <<'YML'
title: Whoami
id: 11111111-1111-1111-1111-111111111111
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\whoami.exe'
    condition: selection
level: high
YML
cat > "$TEST_DIR/rules/sub/old.yaml" <<'YML'
title: Old count
id: 22222222-2222-2222-2222-222222222222
detection:
    selection:
        EventID: 4625
    condition: selection | count() by IpAddress > 10
---
title: Bad modifier
id: 33333333-3333-3333-3333-333333333333
detection:
    selection:
        Image|endwith: 'x'
    condition: selection
YML
echo 'not: [yaml' > "$TEST_DIR/rules/broken.yml"
echo 'ignored' > "$TEST_DIR/rules/notes.txt"

test_expect_success 'a folder: one line per rule, loaded or rejected with the reason' '
	expect_code 0 irdesk rules check "$TEST_DIR/rules"
	stdout_has "$TEST_DIR/rules/good.yml 11111111-1111-1111-1111-111111111111 loaded"
	stdout_has "$TEST_DIR/rules/sub/old.yaml 22222222-2222-2222-2222-222222222222 rejected: deprecated aggregation"
	stdout_has "33333333-3333-3333-3333-333333333333 rejected: unknown modifier '"'"'endwith'"'"'"
	stdout_has "$TEST_DIR/rules/broken.yml - rejected: yaml:"
	[ "$(wc -l < "$TEST_DIR/stdout")" -eq 4 ]
	stderr_has "1 loaded, 3 rejected"
'

test_expect_success '--json prints one object per rule' '
	expect_code 0 irdesk rules check --json "$TEST_DIR/rules/good.yml" "$TEST_DIR/rules/sub/old.yaml"
	[ "$(wc -l < "$TEST_DIR/stdout")" -eq 3 ]
	[ "$(head -1 "$TEST_DIR/stdout" | jq -r .status)" = loaded ]
	[ "$(head -1 "$TEST_DIR/stdout" | jq -r .title)" = Whoami ]
	[ "$(head -1 "$TEST_DIR/stdout" | jq -r .reason)" = null ]
	[ "$(sed -n 2p "$TEST_DIR/stdout" | jq -r .id)" = 22222222-2222-2222-2222-222222222222 ]
	sed -n 2p "$TEST_DIR/stdout" | jq -r .reason | grep -q "deprecated aggregation"
'

test_expect_success 'a missing path exits 3 with one error line' '
	expect_code 3 irdesk rules check "$TEST_DIR/nothere"
	stderr_has "nothere"
'

test_expect_success 'no path or an unknown subcommand is a usage error' '
	expect_code 2 irdesk rules check
	expect_code 2 irdesk rules frobnicate
	expect_code 2 irdesk rules
'

test_expect_success 'rules check --help describes the command' '
	expect_code 0 irdesk rules check --help
	stdout_has "usage: irdesk rules check"
'

corpus=${IRDESK_CORPUS:-$TEST_TOP/../shared/data}
if [ -d "$corpus/sigma/rules" ]; then
	test_expect_success 'the SigmaHQ corpus loads at least 99%' '
		expect_code 0 irdesk rules check "$corpus/sigma/rules" "$corpus/sigma/rules-emerging-threats" "$corpus/sigma/rules-threat-hunting"
		loaded=$(grep -c " loaded$" "$TEST_DIR/stdout")
		total=$(wc -l < "$TEST_DIR/stdout")
		echo "$loaded of $total"
		[ $((loaded * 100)) -ge $((total * 99)) ]
	'
	test_expect_success 'unsupported: every deprecated aggregation is rejected' '
		expect_code 0 irdesk rules check --json "$corpus/sigma/unsupported"
		for f in $(grep -lE "condition:.*(\| *(count|sum)\(| near )" -r "$corpus/sigma/unsupported" --include=*.yml); do
			jq -r "select(.path == \"$f\") | .status" "$TEST_DIR/stdout" | grep -qx rejected || { echo "loaded: $f"; exit 1; }
		done
	'
else
	test_skip 'the SigmaHQ corpus loads at least 99%' 'corpus not found'
	test_skip 'unsupported: every deprecated aggregation is rejected' 'corpus not found'
fi

test_done
