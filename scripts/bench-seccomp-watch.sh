#!/bin/sh
# bench-seccomp-watch.sh BIN: what --seccomp-report and --seccomp-record
# cost, with hyperfine, on the busybox image under Docker's default
# profile.
#
#   - allowed calls: dd of 1 MB one byte at a time (about 2 million read
#     and write calls, all allowed) with and without --seccomp-report. The
#     report notifies only refused calls, so the two should be the same.
#   - recording: find / -xdev, and 20 of them in one container (syscall-
#     heavy: getdents64, newfstatat, openat), plain and under
#     --seccomp-record. The ratio of the medians is the recorder's overhead
#     on the whole run, container start included.
#
# Results go to build/bench/seccomp-watch.md (hyperfine's markdown) and a
# summary of ratios on stdout. BENCH_RUNS overrides hyperfine's count. The
# machine is noisy: compare ratios from one run, not numbers across runs.
set -eu

bin=${1:?usage: bench-seccomp-watch.sh PATH/TO/minirun}
runs=${BENCH_RUNS:-20}
here=$(cd "$(dirname "$0")/.." && pwd)
out=$here/build/bench
for tool in hyperfine jq; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root (it runs containers)" >&2; exit 1; }
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

work=$(mktemp -d /tmp/minirun-bench-watch.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$out"
export MINIRUN_ROOT="$work/state" MINIRUN_SECCOMP_CACHE="$work/cache" MINIRUN_STORE="$work/store"
"$here/tests/mkrootfs.sh" "$work/rootfs" >/dev/null
"$bin" import "$work/rootfs" alpine >/dev/null

run="$bin run --rm --network none alpine"
rep="$bin run --rm --network none --seccomp-report=$work/report.json alpine"
rec="$bin run --rm --network none --seccomp-record $work/rec.json alpine"
dd="dd if=/dev/zero of=/dev/null bs=1 count=1000000"
find1="find / -xdev"
find20="sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do find / -xdev; done'"

hyperfine -N --style none --warmup 3 --runs "$runs" --export-json "$work/h.json" --export-markdown "$out/seccomp-watch.md" \
	-n "dd, plain" "$run $dd" \
	-n "dd, --seccomp-report" "$rep $dd" \
	-n "find, plain" "$run $find1" \
	-n "find, --seccomp-record" "$rec $find1" \
	-n "20 finds, plain" "$run $find20" \
	-n "20 finds, --seccomp-record" "$rec $find20" >/dev/null

jq -r '.results as $r | ($r | map({(.command): .median}) | add) as $m |
	def ms($n): ($m[$n] * 1000 * 10 | round / 10 | tostring) + " ms";
	def ratio($a; $b): ($m[$b] / $m[$a] * 100 | round / 100 | tostring) + "x";
	"| workload | plain | watched | ratio |",
	"|---|---|---|---|",
	"| dd (2M allowed calls), --seccomp-report | \(ms("dd, plain")) | \(ms("dd, --seccomp-report")) | \(ratio("dd, plain"; "dd, --seccomp-report")) |",
	"| find / -xdev, --seccomp-record | \(ms("find, plain")) | \(ms("find, --seccomp-record")) | \(ratio("find, plain"; "find, --seccomp-record")) |",
	"| 20 x find / -xdev, --seccomp-record | \(ms("20 finds, plain")) | \(ms("20 finds, --seccomp-record")) | \(ratio("20 finds, plain"; "20 finds, --seccomp-record")) |"' "$work/h.json"
