#!/bin/bash
# interleave.sh ROUNDS OUT.json NAME=CMD...: runs every CMD once per round,
# in turn, ROUNDS times (after one warm-up round), and writes each one's
# median wall time in ms to OUT.json as {"NAME": median, ...}.
#
# hyperfine runs all the runs of one command before the next, so a drift
# in this VM's load between two commands shows up as a difference between
# them; here every command sees the same drift. Each run is timed around
# one `sh -c CMD` with bash's $EPOCHREALTIME, so no fork of date(1) is
# inside the measurement, and every command pays the same shell.
set -eu
rounds=$1 out=$2
shift 2
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for ((i = 0; i <= rounds; i++)); do
	for nc in "$@"; do
		s=$EPOCHREALTIME
		sh -c "${nc#*=}" </dev/null >/dev/null 2>&1 || { echo "interleave: failed: ${nc#*=}" >&2; exit 1; }
		e=$EPOCHREALTIME
		((i == 0)) || echo "${nc%%=*} ${s/./} ${e/./}" >>"$tmp"
	done
done
awk '{print $1, ($3 - $2) / 1000}' "$tmp" | sort -k1,1 -k2,2n |
	jq -R -s 'split("\n") | map(select(length > 0) | split(" ") | {k: .[0], v: (.[1] | tonumber)})
		| group_by(.k) | map({key: .[0].k, value: (map(.v) | .[length / 2 | floor])}) | from_entries' >"$out"
