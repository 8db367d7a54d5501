#!/bin/sh
# bench.sh BIN: start-up time of `run true` on one busybox bundle, for
# minirun, runc and crun, each without seccomp and with Docker's default
# profile, against the floor of unshare + chroot + true. Then the Go
# benchmarks of the seccomp compiler (cold compile vs. cache hit).
#
# Results go to build/bench/ (hyperfine's markdown and JSON, the summary
# and the Go benchmark output). BENCH_RUNS and BENCH_WARMUP override the
# hyperfine counts. The machine is noisy: compare medians and ratios from
# one run of this script, not numbers across runs.
set -eu

bin=${1:?usage: bench.sh PATH/TO/minirun}
runs=${BENCH_RUNS:-50}
warmup=${BENCH_WARMUP:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
out=$here/build/bench

for tool in hyperfine jq runc crun unshare; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root (it runs containers)" >&2; exit 1; }
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
[ -x "$bin" ] || { echo "bench: $bin is not an executable" >&2; exit 1; }

work=$(mktemp -d /tmp/minirun-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$out"

# One rootfs for every runtime, and two configs that differ only in
# linux.seccomp. minirun's spec carries Docker's default profile in OCI form,
# so runc and crun load exactly the same rules. ociVersion is lowered
# because crun 1.8 refuses versions newer than it knows; nothing in the
# config depends on it.
"$here/tests/mkrootfs.sh" "$work/rootfs"
mkdir -p "$work/default" "$work/none"
"$bin" spec -b "$work/default"
jq --arg root "$work/rootfs" '.ociVersion = "1.0.2" | .root.path = $root | .process.args = ["true"] | .process.terminal = false' \
	"$work/default/config.json" >"$work/default/c.json"
mv "$work/default/c.json" "$work/default/config.json"
jq 'del(.linux.seccomp)' "$work/default/config.json" >"$work/none/config.json"
jq -e '.linux.seccomp.syscalls | length > 0' "$work/default/config.json" >/dev/null ||
	{ echo "bench: minirun spec wrote no seccomp profile" >&2; exit 1; }

# Private state and cache, so the benchmark neither sees nor leaves
# anything of other runs. The cache starts empty; the warmup fills it, as a
# host's first start would.
export MINIRUN_ROOT="$work/minirun-state"
export MINIRUN_SECCOMP_CACHE="$work/seccomp-cache"

# crun refuses this host's hybrid cgroup layout unless it runs in a private
# mount namespace with the cgroup2 mount at /sys/fs/cgroup/unified gone.
# Every command, the floor included, runs in that same wrapper, so the
# comparison is fair; the wrapper's own cost is measured on its own.
# The inner sh's $$ gives each container a unique id: runc and crun refuse
# an id that is still in their state.
wrap() {
	printf "unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec %s'" "$1"
}
wrapper=$(wrap true)
floor=$(wrap "unshare -fmuipn --mount-proc chroot $work/rootfs /bin/true")
mr_none=$(wrap "$bin run -b $work/none mr\$\$")
mr_def=$(wrap "$bin run -b $work/default mr\$\$")
runc_none=$(wrap "runc --root $work/runc run -b $work/none runc\$\$")
runc_def=$(wrap "runc --root $work/runc run -b $work/default runc\$\$")
crun_none=$(wrap "crun --root $work/crun run -b $work/none crun\$\$")
crun_def=$(wrap "crun --root $work/crun run -b $work/default crun\$\$")

# A failing command would only show up as a hyperfine error; run each once
# first and show its output.
for cmd in "$wrapper" "$floor" "$mr_none" "$mr_def" "$runc_none" "$runc_def" "$crun_none" "$crun_def"; do
	if ! sh -c "$cmd" >"$work/check.out" 2>&1; then
		echo "bench: this command fails, not benchmarking:" >&2
		echo "  $cmd" >&2
		cat "$work/check.out" >&2
		exit 1
	fi
done

echo "== hyperfine: $runs runs, $warmup warmup, kernel $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
# -N: no intermediate shell, so hyperfine measures our command only.
hyperfine -N --warmup "$warmup" --runs "$runs" --style basic \
	--export-json "$out/run-true.json" --export-markdown "$out/run-true.md" \
	-n wrapper "$wrapper" \
	-n floor "$floor" \
	-n minirun-none "$mr_none" \
	-n minirun-default "$mr_def" \
	-n runc-none "$runc_none" \
	-n runc-default "$runc_def" \
	-n crun-none "$crun_none" \
	-n crun-default "$crun_def"

# Medians in ms; "net" subtracts the wrapper's median (unshare -m, sh and
# umount), which every command pays.
jq -r '
	def med(n): (.results[] | select(.command == n) | .median * 1000);
	def f: (. * 100 | round / 100 | tostring);
	def r(a; b): ((a / b) * 100 | round / 100 | tostring) + "x";
	med("wrapper") as $w |
	[.results[] | {n: .command, m: (.median * 1000), lo: (.min * 1000), hi: (.max * 1000)}] as $rows |
	"\n== summary (median ms; net = minus the wrapper median of \($w | f) ms)",
	"| command | median | net | min | max |",
	"|---|---|---|---|---|",
	($rows[] | "| \(.n) | \(.m | f) | \((.m - $w) | f) | \(.lo | f) | \(.hi | f) |"),
	"",
	"| ratio (medians, net of wrapper) | none | default |",
	"|---|---|---|",
	"| minirun / runc | \(r(med("minirun-none") - $w; med("runc-none") - $w)) | \(r(med("minirun-default") - $w; med("runc-default") - $w)) |",
	"| minirun / crun | \(r(med("minirun-none") - $w; med("crun-none") - $w)) | \(r(med("minirun-default") - $w; med("crun-default") - $w)) |",
	"| minirun / floor | \(r(med("minirun-none") - $w; med("floor") - $w)) | \(r(med("minirun-default") - $w; med("floor") - $w)) |",
	"",
	"| seccomp overhead (default - none, median ms) | |",
	"|---|---|",
	"| minirun | \((med("minirun-default") - med("minirun-none")) | f) |",
	"| runc | \((med("runc-default") - med("runc-none")) | f) |",
	"| crun | \((med("crun-default") - med("crun-none")) | f) |"
' "$out/run-true.json" | tee "$out/summary.md"

echo
echo "== go test -bench ./seccomp/ (compile of Docker's default profile, cold vs. cached)"
cd "$here"
go test -run XXX -bench . -benchmem ./seccomp/ | tee "$out/go-bench.txt"
echo
echo "results in $out/"
