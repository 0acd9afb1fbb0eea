#!/bin/sh
# bench/bench_mail.sh: quality and speed of `irdesk mail analyze` over the
# shared corpus (issue 7): recall on mail/phish (any verdict but clean), the
# false-positive rate on mail/ham, the confusion by verdict, and messages/s
# on one core. Targets: recall >= 95 %, FP rate <= 1 %. Exits 3 when a
# target is missed. IRDESK (default ./irdesk) is the binary measured.
set -u
bin=${IRDESK:-./irdesk}
corpus=${IRDESK_CORPUS:-../shared/data}
[ -d "$corpus/mail/phish" ] || { echo "bench_mail: skipped: no $corpus/mail"; exit 0; }
command -v jq >/dev/null || { echo "bench_mail: needs jq" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_mail.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
rc=0
for set in phish ham; do
	t0=$(date +%s.%N)
	taskset -c 0 "$bin" mail analyze --json "$corpus/mail/$set"/*.eml >"$tmp/$set.json" 2>"$tmp/$set.err"
	t1=$(date +%s.%N)
	n=$(ls "$corpus/mail/$set"/*.eml | wc -l)
	echo "$set: $n messages, $(jq -s length "$tmp/$set.json") analysed, $(echo "$n / ($t1 - $t0)" | bc -l | xargs printf '%.0f') messages/s"
	echo "  confusion: $(jq -r .verdict "$tmp/$set.json" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
done
flag() { jq -r 'select(.verdict != "clean") | .file' "$tmp/$1.json" | wc -l; }
np=$(ls "$corpus/mail/phish"/*.eml | wc -l); nh=$(ls "$corpus/mail/ham"/*.eml | wc -l)
fp=$(flag phish); fh=$(flag ham)
recall=$(echo "100 * $fp / $np" | bc -l); fpr=$(echo "100 * $fh / $nh" | bc -l)
printf 'recall on phish: %.1f %% (%d/%d), target >= 95 %%\n' "$recall" "$fp" "$np"
printf 'false positives on ham: %.1f %% (%d/%d), target <= 1 %%\n' "$fpr" "$fh" "$nh"
[ "$(echo "$recall < 95" | bc)" = 1 ] && { echo "TARGET MISSED: recall"; rc=3; }
[ "$(echo "$fpr > 1" | bc)" = 1 ] && { echo "TARGET MISSED: false positives"; rc=3; }
exit $rc
