#!/bin/sh
# bench-ps.sh BIN [N]: `ps -a` over N containers (500 by default) made by
# real runs, most of them exited (`run --name ... alpine true`, no --rm),
# BENCH_PS_RUNNING of them (10) still running; then hyperfine times
# `ps -a`, `ps -a -q` and `ps` through the lean minirun, as people call
# it. The goal (issue 22): ps -a under 100 ms. Then `run -d --network
# none alpine true` (its rm timed apart), the goal being that it costs
# no more than before detached containers had monitors: with
# BENCH_RUN_D_BASE=PATH/TO/minirun built from c3401d4 both are run in
# turn (scripts/interleave.sh), each on a store of its own. Everything
# runs in a private pid and mount namespace, on a private --root and
# --store that are removed afterwards. Results: build/bench/ps.{json,md},
# build/bench/run-d.json (median ms).
set -eu

bin=${1:?usage: bench-ps.sh PATH/TO/minirun [N]}
n=${2:-${BENCH_PS_N:-500}}
running=${BENCH_PS_RUNNING:-10}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
here=$(cd "$(dirname "$0")/.." && pwd)

if [ "${MINIRUN_BENCH_PS_NS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench-ps: needs root (it runs containers)" >&2; exit 1; }
	command -v hyperfine >/dev/null || { echo "bench-ps: hyperfine not found" >&2; exit 1; }
	# PID 1 of the namespace reaps what the runs leave and kills the
	# running ones when the script ends.
	exec env MINIRUN_BENCH_PS_NS=1 BENCH_RUN_D_BASE="${BENCH_RUN_D_BASE:-}" unshare --pid --fork --mount-proc --mount --propagation private -- "$0" "$bin" "$n"
fi

work=$(mktemp -d /tmp/minirun-bench-ps.XXXXXX)
out=$here/build/bench
mkdir -p "$out"
m="$bin --root $work/root --store $work/store"
base=${BENCH_RUN_D_BASE:-}
case $base in "" | /*) ;; *) base=$(pwd)/$base ;; esac
# run -d's stores hold nothing else, the baseline's as this binary's.
r="$bin --root $work/run-d-root --store $work/run-d-store"
b="$base --root $work/base-root --store $work/base-store"
cleanup() {
	for id in $($m ps -a -q --no-trunc 2>/dev/null); do $m rm -f "$id" >/dev/null 2>&1 || true; done
	$r rm -f run-d >/dev/null 2>&1 || true
	if [ -n "$base" ]; then $b rm -f run-d >/dev/null 2>&1 || true; fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$here/tests/mkrootfs.sh" "$work/rootfs" >/dev/null
$m import alpine "$work/rootfs" >/dev/null
echo "bench-ps: making $n containers ($running running)..."
i=0
while [ $i -lt $((n - running)) ]; do
	$m run --network none --name "exited-$i" alpine true
	i=$((i + 1))
done
i=0
while [ $i -lt "$running" ]; do
	$m run -d --network none --name "running-$i" alpine sleep 100000 >/dev/null
	i=$((i + 1))
done
got=$($m ps -a -q | wc -l)
[ "$got" -eq "$n" ] || { echo "bench-ps: ps -a lists $got containers, want $n" >&2; exit 1; }

hyperfine --warmup 3 --runs "${BENCH_RUNS:-30}" -N \
	--export-json "$out/ps.json" --export-markdown "$out/ps.md" \
	"$m ps -a" "$m ps -a -q" "$m ps"
cat "$out/ps.md"

# run -d, interleaved with the baseline's when there is one; the same
# name each round, so its rm (timed apart) leaves the store as it was.
$r import "$work/rootfs" alpine >/dev/null
set -- "run-d=$r run -d --network none --name run-d alpine true" "rm=$r rm -f run-d"
if [ -n "$base" ]; then
	$b import alpine "$work/rootfs" >/dev/null
	set -- "$@" "base-run-d=$b run -d --network none --name run-d alpine true" "base-rm=$b rm -f run-d"
fi
"$here/scripts/interleave.sh" "${BENCH_RUNS:-30}" "$out/run-d.json" "$@"
echo "run -d --network none (median ms):"
cat "$out/run-d.json"
