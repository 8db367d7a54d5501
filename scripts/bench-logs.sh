#!/bin/sh
# bench-logs.sh BIN: how soon `minirun logs` starts printing a 100 MB
# json-file log (issue 22's goal: under 50 ms), from the start and with
# --tail 10, and what reading all of it costs. The log and the container
# record it belongs to are generated in a private store under /tmp; no
# container runs, so it needs no root.
#
# Time to first byte is from the start of `minirun logs` to the first byte
# on its stdout or stderr (scripts/ttfb.go). The floor, `minirun logs
# --help`, is what starting minirun and the minirun-docker it hands logs
# to costs; on a loaded machine it is most of the time. Results go to
# build/bench/logs.md.
set -eu

bin=${1:?usage: bench-logs.sh PATH/TO/minirun}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
here=$(cd "$(dirname "$0")/.." && pwd)
out=$here/build/bench
runs=${BENCH_RUNS:-40}
for tool in go awk; do
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

# First bytes, measured without a shell by scripts/ttfb.go, the commands
# taking turns; then what reading all of it costs.
ttfb() { (cd "$here" && go run scripts/ttfb.go "$@"); }
ttfb -first -runs "$runs" -- \
	"logs, from the start=$bin --store $store logs logbench" \
	"logs --tail 10=$bin --store $store logs --tail 10 logbench" \
	"floor: logs --help=$bin logs --help" | tee "$out/logs.md"
ttfb -runs 3 -warmup 1 -- "logs, all of it, to a pipe=$bin --store $store logs logbench" | tail -n 1 | tee -a "$out/logs.md"
echo
awk -F'|' -v size="$size" '
	/^\| logs, from the start/ { a = $3 + 0 }
	/^\| logs --tail 10/ { b = $3 + 0 }
	/^\| floor/ { f = $3 + 0 }
	/^\| logs, all of it/ { t = $5 + 0 }
	END {
		printf "reading all of it: %d MiB/s.\n\n", size / 1048576 / (t / 1000)
		print "| goal (issue 22) | first byte, median | of which the floor (minirun, minirun-docker start) | holds |"
		print "|---|---|---|---|"
		printf "| logs starts printing in < 50 ms, from the start | %.1f ms | %.1f ms | %s |\n", a, f, (a < 50 ? "yes" : "NO")
		printf "| logs starts printing in < 50 ms, --tail 10 | %.1f ms | %.1f ms | %s |\n", b, f, (b < 50 ? "yes" : "NO")
	}' "$out/logs.md" >"$work/goal.md"
tee -a "$out/logs.md" <"$work/goal.md"

echo
echo "== go test -bench BenchmarkLogs ./docker/ (in the process: no exec, no shell)"
cd "$here"
go test -run XXX -bench BenchmarkLogs -benchtime 10x ./docker/ | tee "$out/go-bench-logs.txt"
