#!/bin/sh
# bench/bench_mail.sh: quality and speed of `irdesk mail analyze` over the
# shared corpus (issue 7): recall on mail/phish (any verdict but clean), the
# false-positive rate on mail/ham, the confusion by verdict, and messages/s
# on one core, against the npm package mailparser parsing the same files
# (parse only, one core; "skipped" when node_modules/mailparser is absent).
# Targets: recall >= 95 %, FP rate <= 1 %, speed >= 3 x mailparser. Exits 3
# when a target is missed. IRDESK (default ./irdesk) is the binary measured.
set -u
bin=${IRDESK:-./irdesk}
corpus=${IRDESK_CORPUS:-../shared/data}
[ -d "$corpus/mail/phish" ] || { echo "bench_mail: skipped: no $corpus/mail"; exit 0; }
command -v jq >/dev/null || { echo "bench_mail: needs jq" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_mail.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
rc=0
t_all=0
for set in phish ham; do
	t0=$(date +%s.%N)
	taskset -c 0 "$bin" mail analyze --json "$corpus/mail/$set"/*.eml >"$tmp/$set.json" 2>"$tmp/$set.err"
	t1=$(date +%s.%N)
	t_all=$(echo "$t_all + $t1 - $t0" | bc -l)
	n=$(ls "$corpus/mail/$set"/*.eml | wc -l)
	echo "$set: $n messages, $(jq -s length "$tmp/$set.json") analysed, $(echo "$n / ($t1 - $t0)" | bc -l | xargs printf '%.0f') messages/s"
	echo "  confusion: $(jq -r .verdict "$tmp/$set.json" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
done

# mailparser: simpleParser over the same files one after the other, in one
# node process on the same core; timed from the first read to the last parse
# (node's start-up is not counted, irdesk's is).
mailparser_rate() {
	taskset -c 0 node -e '
		const fs = require("fs"), { simpleParser } = require("mailparser");
		(async () => {
			const files = process.argv.slice(1), t0 = process.hrtime.bigint();
			for (const f of files)
				await simpleParser(fs.readFileSync(f));
			const s = Number(process.hrtime.bigint() - t0) / 1e9;
			console.log((files.length / s).toFixed(1));
		})().catch((e) => { console.error(e.message); process.exit(1); });
	' "$corpus/mail/phish"/*.eml "$corpus/mail/ham"/*.eml
}
ntot=$(ls "$corpus/mail/phish"/*.eml "$corpus/mail/ham"/*.eml | wc -l)
ours=$(echo "$ntot / $t_all" | bc -l)
printf 'irdesk mail analyze: %.0f messages/s (%d messages, one core)\n' "$ours" "$ntot"
if [ ! -d node_modules/mailparser ] || ! command -v node >/dev/null; then
	echo "mailparser: skipped (no node_modules/mailparser: npm ci)"
elif theirs=$(mailparser_rate); then
	ratio=$(echo "$ours / $theirs" | bc -l)
	printf 'mailparser %s (parse only): %.0f messages/s; irdesk is %.1f x, target >= 3 x\n' \
		"$(node -p 'require("mailparser/package.json").version')" "$theirs" "$ratio"
	[ "$(echo "$ratio < 3" | bc)" = 1 ] && { echo "TARGET MISSED: speed"; rc=3; }
else
	echo "mailparser: failed" >&2
fi
flag() { jq -r 'select(.verdict != "clean") | .file' "$tmp/$1.json" | wc -l; }
np=$(ls "$corpus/mail/phish"/*.eml | wc -l); nh=$(ls "$corpus/mail/ham"/*.eml | wc -l)
fp=$(flag phish); fh=$(flag ham)
recall=$(echo "100 * $fp / $np" | bc -l); fpr=$(echo "100 * $fh / $nh" | bc -l)
printf 'recall on phish: %.1f %% (%d/%d), target >= 95 %%\n' "$recall" "$fp" "$np"
printf 'false positives on ham: %.1f %% (%d/%d), target <= 1 %%\n' "$fpr" "$fh" "$nh"
# The signals were developed on the files at even positions (file names in
# byte order, counting from 0) and checked on the odd ones: both halves.
half() { # SET PARITY(0 even, 1 odd): "flagged/total"
	ls "$corpus/mail/$1"/*.eml | LC_ALL=C sort | awk -v p="$2" 'NR % 2 != p' >"$tmp/half"
	printf '%d/%d' "$(jq -r 'select(.verdict != "clean") | .file' "$tmp/$1.json" | grep -cFxf "$tmp/half")" \
		"$(wc -l <"$tmp/half")"
}
# SpamAssassin (Debian's spamassassin, its stock rules) on the same files as a
# quality peer: spamd on loopback with local tests only (-L: no DNS
# blocklists, no URI lookups) and no Bayes database, so it sees what irdesk
# sees, the message alone; flagged means a score at its default threshold.
sa_peer() {
	command -v spamd >/dev/null && command -v spamc >/dev/null ||
		{ echo "spamassassin: skipped (apt-get install spamassassin, or BENCH_DEPS=1 scripts/deps.sh)"; return 0; }
	port=$((20000 + $$ % 20000))
	user=""; [ "$(id -u)" = 0 ] && user="-u nobody"
	# shellcheck disable=SC2086
	spamd -L --listen="127.0.0.1:$port" -m 2 --max-conn-per-child=1000 $user -x -r "$tmp/spamd.pid" \
		-s "$tmp/spamd.log" -d 2>"$tmp/spamd.err" || { echo "spamassassin: spamd failed" >&2; return 0; }
	for i in $(seq 1 60); do spamc -d 127.0.0.1 -p "$port" -K >/dev/null 2>&1 && break; sleep 1; done
	for set in phish ham; do
		: >"$tmp/sa-$set"
		for f in "$corpus/mail/$set"/*.eml; do
			spamc -d 127.0.0.1 -p "$port" -c -s 30000000 <"$f" >>"$tmp/sa-$set"
		done
	done
	kill "$(cat "$tmp/spamd.pid")" 2>/dev/null
	sa_flag() { awk -F/ '$1 + 0 >= $2 + 0 { k++ } END { print k + 0 }' "$tmp/sa-$1"; }
	printf 'spamassassin %s (local rules, no Bayes): phish flagged %d/%d, ham flagged %d/%d\n' \
		"$(spamassassin -V | awk 'NR == 1 { print $3 }')" "$(sa_flag phish)" "$np" "$(sa_flag ham)" "$nh"
}
sa_peer
echo "halves: phish flagged even $(half phish 0), odd $(half phish 1); ham flagged even $(half ham 0), odd $(half ham 1)"
[ "$(echo "$recall < 95" | bc)" = 1 ] && { echo "TARGET MISSED: recall"; rc=3; }
[ "$(echo "$fpr > 1" | bc)" = 1 ] && { echo "TARGET MISSED: false positives"; rc=3; }
exit $rc
