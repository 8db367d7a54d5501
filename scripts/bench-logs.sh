#!/bin/sh
# bench-logs.sh BIN: how soon `minirun logs` starts printing a 100 MB
# json-file log (issue 22's goal: under 50 ms), from the start and with
# --tail 10, and what reading all of it costs. The log and the container
# record it belongs to are generated in a private store under /tmp; no
# container runs, so it needs no root.
#
# Time to first byte is measured as `logs NAME | head -c 1`: head exits
# at the first byte and logs dies of SIGPIPE at its next write, so the
# pipeline's time is an upper bound on the first byte's (a shell and head
# included). Results go to build/bench/logs.md and hyperfine's JSON.
set -eu

bin=${1:?usage: bench-logs.sh PATH/TO/minirun}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
here=$(cd "$(dirname "$0")/.." && pwd)
out=$here/build/bench
runs=${BENCH_RUNS:-40}
for tool in hyperfine jq awk; do
	command -v "$tool" >/dev/null || { echo "bench-logs: $tool not found" >&2; exit 1; }
done

work=$(mktemp -d /tmp/minirun-bench-logs.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$out"
store=$work/store
id=$(printf 'ab%.0s' $(seq 32))
mkdir -p "$store/containers/$id"
printf '{"ID":"%s","Name":"logbench","Image":"bench","State":{"Status":"exited"}}\n' "$id" >"$store/containers/$id/container.json"

# 100 MiB of entries in the json-file shape: 80-byte lines, stdout and
# stderr alternating, times a microsecond apart.
awk 'BEGIN {
	pad = sprintf("%46s", ""); gsub(/ /, "x", pad)
	limit = 100 * 1024 * 1024
	for (i = 0; size < limit; i++) {
		s = (i % 4 == 3) ? "stderr" : "stdout"
		line = sprintf("{\"log\":\"%08d %s\\n\",\"stream\":\"%s\",\"time\":\"2026-01-02T15:%02d:%02d.%06d000Z\"}", i, pad, s, int(i / 60000000) % 60, int(i / 1000000) % 60, i % 1000000)
		print line
		size += length(line) + 1
	}
}' >"$store/containers/$id/$id-json.log"
size=$(stat -c %s "$store/containers/$id/$id-json.log")
echo "== logs of a $((size / 1048576)) MiB log ($(wc -l <"$store/containers/$id/$id-json.log") entries)"

# The pages are cached, as for a container whose log was just written.
cat "$store/containers/$id/$id-json.log" >/dev/null

hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/logs.json" \
	-n 'first byte, from the start' "sh -c '$bin --store $store logs logbench | head -c 1 >/dev/null'" \
	-n 'first byte, --tail 10' "sh -c '$bin --store $store logs --tail 10 logbench | head -c 1 >/dev/null'" \
	-n 'all of --tail 10' "$bin --store $store logs --tail 10 logbench" \
	-n 'floor: minirun --version | head -c 1' "sh -c '$bin --version | head -c 1 >/dev/null'" >/dev/null
hyperfine -N --warmup 1 --runs 5 --export-json "$out/logs-all.json" \
	-n 'all of the log' "sh -c '$bin --store $store logs logbench >/dev/null 2>&1'" >/dev/null

jq -r -s --argjson size "$size" '
	(.[0].results + .[1].results) as $r |
	def ms(n): ($r[] | select(.command == n) | .median * 1000);
	def f: . * 10 | round / 10 | tostring;
	"| logs of \($size / 1048576 | floor) MiB | median (ms) |",
	"|---|---|",
	($r[] | "| \(.command) | \(.median * 1000 | f) |"),
	"",
	"reading all of it: \($size / 1048576 / (ms("all of the log") / 1000) | floor) MiB/s.",
	"",
	"| goal (issue 22) | measured | holds |",
	"|---|---|---|",
	(ms("first byte, from the start") as $a | "| logs starts printing in < 50 ms, from the start | \($a|f) ms | \(if $a < 50 then "yes" else "NO" end) |"),
	(ms("first byte, --tail 10") as $a | "| logs starts printing in < 50 ms, --tail 10 | \($a|f) ms | \(if $a < 50 then "yes" else "NO" end) |")
' "$out/logs.json" "$out/logs-all.json" | tee "$out/logs.md"

echo
echo "== go test -bench BenchmarkLogs ./docker/ (in the process: no exec, no shell)"
cd "$here"
go test -run XXX -bench BenchmarkLogs -benchtime 10x ./docker/ | tee "$out/go-bench-logs.txt"
