#!/bin/bash
# bench-cri.sh BIN: the start a Kubernetes node feels (issue 24): a pod's
# container started through containerd's CRI plugin, as the kubelet asks
# for it (crictl runp, create, start), with the runtime handlers minirun,
# runc and crun (each containerd's runc v2 shim with its BinaryName), side
# by side in one run:
#   - runp + create + start, with hyperfine; the previous pod's stopp and
#     rmp are hyperfine's --prepare, outside the time;
#   - the whole cycle, runp + create + start + stopp + rmp, interleaved
#     (scripts/interleave.sh: each handler once a round), which this VM's
#     drift affects less, and its runp + create + start part on its own.
# Each step is one crictl process and one gRPC call, as the kubelet's are
# (without crictl's start-up); the pod's sandbox (pause) container is
# started by the same handler.
#
# The set-up is tests/cri.sh's (its CRI_SH_DEBUG hook runs this script's
# second half with containerd up): private mount and pid namespaces,
# containerd's root, state, socket and /run of their own, images imported
# offline from tests/mkrootfs.sh's rootfs, a CNI stand-in that changes no
# network, the pods' cgroups under a parent of the run's own. Here
# containerd also gets a crun handler. When it ends, this script checks
# that the host kept no cgroup, mount, process or directory of the run.
#
# Skips with one line when something is missing. BENCH_CRI_RUNS (15) sets
# the runs per handler. Results: build/bench/cri.{json,md},
# cri-interleaved.json, cri-interleaved-start.json, cri-summary.md.
set -eu

if [ "${BENCH_CRI_STAGE:-}" != inner ]; then
	bin=${1:?usage: bench-cri.sh PATH/TO/minirun}
	case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
	here=$(cd "$(dirname "$0")/.." && pwd)
	[ "$(id -u)" = 0 ] || { echo "bench-cri: skipped: needs root (it runs containerd)"; exit 0; }
	crictl=""
	command -v go >/dev/null && crictl=$(go env GOPATH)/bin/crictl
	for tool in containerd ctr hyperfine jq runc crun /usr/lib/cni/loopback "${crictl:-crictl}"; do
		command -v "$tool" >/dev/null || { echo "bench-cri: skipped: $tool not found (Debian: containerd, containernetworking-plugins, hyperfine, jq, runc, crun; crictl: tests/cri.sh installs it)"; exit 0; }
	done
	[ -x "$bin" ] || { echo "bench-cri: $bin is not an executable" >&2; exit 1; }
	mkdir -p "$here/build/bench"
	# What the host has before, to compare after: this run's cgroups,
	# mounts, processes and directories all carry "minirun-cri-".
	leftovers() {
		find /sys/fs/cgroup -maxdepth 2 -type d -name 'minirun-cri-*' 2>/dev/null
		grep -o ' /tmp/minirun-cri-[^ ]*' /proc/self/mountinfo || true
		ls -d /tmp/minirun-cri-* 2>/dev/null || true
		for f in /proc/[0-9]*/cmdline; do
			c=$({ tr '\0' ' ' <"$f"; } 2>/dev/null) || continue
			case $c in *minirun-cri-*) echo "process ${f#/proc/}: $c" ;; esac
		done
	}
	before=$(leftovers | grep -v "^process $$:" || true)
	CRI_SH_EXTRA_TOML=$(
		cat <<EOF
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun.options]
        BinaryName = "$(command -v crun)"
EOF
	)
	# crun's state: the shim's default root, under the namespace's /run.
	export CRI_SH_EXTRA_TOML
	export CRI_SH_DEBUG='BENCH_CRI_STAGE=inner BENCH_OUT='"$here/build/bench"' BENCH_HERE='"$here"' . '"$here/scripts/bench-cri.sh"
	rm -f "$here/build/bench/cri-summary.md"
	rc=0
	"$here/tests/cri.sh" "$bin" || rc=$?
	after=$(leftovers | grep -v "^process $$:" || true)
	if [ "$before" != "$after" ]; then
		echo "bench-cri: FAIL: the host kept:"
		diff <(echo "$before") <(echo "$after") | sed -n 's/^> /  /p'
		rc=1
	fi
	[ -s "$here/build/bench/cri-summary.md" ] || { echo "bench-cri: no results"; rc=1; }
	exit "$rc"
fi

# Stage 2, sourced by tests/cri.sh in its namespaces, containerd up:
# CRICTL, TMP, SOCK, CGPARENT, BUSYBOX and MINIRUN are its.
out=$BENCH_OUT
runs=${BENCH_CRI_RUNS:-15}
# crun refuses this host's hybrid cgroup layout while the cgroup2 mount is
# there (as in scripts/bench.sh): unmounted in this mount namespace only.
umount /sys/fs/cgroup/unified 2>/dev/null || true
b=$TMP/bench
mkdir -p "$b"
C="$CRICTL --config $TMP/crictl.yaml --runtime-endpoint $SOCK --image-endpoint $SOCK --timeout 60s"
for h in minirun runc crun; do
	mkdir -p "$TMP/logs/bench-$h"
	cat >"$b/pod-$h.json" <<JSON
{"metadata": {"name": "bench-$h", "namespace": "cri-bench", "uid": "uid-bench-$h", "attempt": 0},
 "log_directory": "$TMP/logs/bench-$h",
 "linux": {"cgroup_parent": "$CGPARENT", "security_context": {"namespace_options": {"pid": 1}}}}
JSON
done
# The container keeps running, as a pod's do, until stopp kills it: a
# stopp racing a container's own exit can fail in containerd 1.6 with
# "failed to kill container: ttrpc: closed", whatever the runtime.
cat >"$b/ctr.json" <<JSON
{"metadata": {"name": "c"}, "image": {"image": "$BUSYBOX"}, "command": ["sleep", "100000"], "log_path": "c.log",
 "linux": {"security_context": {"namespace_options": {"pid": 1}}}}
JSON
# start.sh HANDLER: runp + create + start.
cat >"$b/start.sh" <<SH
#!/bin/sh
set -e
pod=\$($C runp --runtime "\$1" "$b/pod-\$1.json")
ctr=\$($C create "\$pod" "$b/ctr.json" "$b/pod-\$1.json")
$C start "\$ctr" >/dev/null
SH
# clean.sh: stopp + rmp of every pod there is.
cat >"$b/clean.sh" <<SH
#!/bin/sh
set -e
for p in \$($C pods -q); do
	$C stopp "\$p" >/dev/null
	$C rmp "\$p" >/dev/null
done
SH
# cycle.sh HANDLER: runp + create + start, then stopp + rmp. interleave.sh
# drops a command's output: its errors go to cycle.err. It also times its
# runp + create + start (in µs, to start-us), so that part has interleaved
# medians too (date's two forks are the same for every handler).
cat >"$b/cycle.sh" <<SH
#!/bin/sh
set -e
exec 2>>"$b/cycle.err"
s=\$(date +%s%N)
pod=\$($C runp --runtime "\$1" "$b/pod-\$1.json")
ctr=\$($C create "\$pod" "$b/ctr.json" "$b/pod-\$1.json")
$C start "\$ctr" >/dev/null
echo "\$1 \$(( (\$(date +%s%N) - s) / 1000 ))" >>"$b/start-us"
$C stopp "\$pod" >/dev/null
$C rmp "\$pod" >/dev/null
SH
chmod 755 "$b"/*.sh
for h in minirun runc crun; do
	o=$("$b/cycle.sh" "$h" 2>&1) || { echo "bench-cri: FAIL: the $h handler: $o"; "$b/clean.sh" >/dev/null 2>&1 || true; exit 1; }
done
echo "bench-cri: containerd $(containerd --version | awk '{print $3}'); $("$MINIRUN" --version | head -1); $(runc --version | head -1); $(crun --version | head -1)"

echo "== crictl runp + create + start: $runs runs, 2 warmup (stopp + rmp before each, untimed)"
hyperfine -N --warmup 2 --runs "$runs" --style basic --prepare "$b/clean.sh" \
	--export-json "$out/cri.json" --export-markdown "$out/cri.md" \
	-n minirun-start "$b/start.sh minirun" -n runc-start "$b/start.sh runc" -n crun-start "$b/start.sh crun"
"$b/clean.sh"

echo
echo "== runp + create + start + stopp + rmp, interleaved: $runs rounds"
: >"$b/start-us"
"$BENCH_HERE/scripts/interleave.sh" "$runs" "$out/cri-interleaved.json" \
	"minirun-cycle=$b/cycle.sh minirun" "runc-cycle=$b/cycle.sh runc" "crun-cycle=$b/cycle.sh crun" ||
	{ echo "bench-cri: FAIL: a cycle failed: $(tail -n 3 "$b/cycle.err")"; exit 1; }
[ -z "$($C pods -q)" ] || { echo "bench-cri: FAIL: pods left: $($C pods -q)"; exit 1; }
# The first round is interleave.sh's warm-up: dropped, as it drops it.
awk '{ n[$1]++; if (n[$1] > 1) print $1 "-start", $2 / 1000 }' "$b/start-us" |
	jq -R -s 'split("\n") | map(select(length > 0) | split(" ") | {k: .[0], v: (.[1] | tonumber)})
		| group_by(.k) | map({key: .[0].k, value: (map(.v) | sort | .[length / 2 | floor])}) | from_entries' \
	>"$out/cri-interleaved-start.json"

jq -r -n --slurpfile h "$out/cri.json" --slurpfile i "$out/cri-interleaved.json" --slurpfile is "$out/cri-interleaved-start.json" \
	--arg v "$(containerd --version | awk '{print $3}')" --arg runs "$runs" '
	def f: (. * 10 | round / 10 | tostring);
	def r($a; $b): (($a / $b) * 100 | round / 100 | tostring) + "x";
	def ok($c): if $c then "yes" else "**no**" end;
	($h[0].results | map({key: .command, value: (.median * 1000)}) | from_entries) as $m | ($i[0] + $is[0]) as $x |
	def row($t; $x; $k): $x["minirun-" + $k] as $a | $x["runc-" + $k] as $u | $x["crun-" + $k] as $c |
		"| \($t) | \($a|f) | \($u|f) | \($c|f) | \(r($a;$u)) | \(r($a;$c)) |";
	"## containerd \($v) CRI: a pod'"'"'s container start with crictl (medians of \($runs), ms)",
	"",
	"| runtime handler | minirun | runc | crun | minirun / runc | minirun / crun |",
	"|---|---|---|---|---|---|",
	row("runp + create + start"; $m; "start"),
	row("runp + create + start, interleaved"; $x; "start"),
	row("runp + create + start + stopp + rmp, interleaved"; $x; "cycle"),
	"",
	"| goal (issue 24) | measured | holds |",
	"|---|---|---|",
	"| CRI start: minirun <= runc | \(r($m["minirun-start"]; $m["runc-start"])), interleaved \(r($x["minirun-start"]; $x["runc-start"])) | \(ok($m["minirun-start"] <= $m["runc-start"])), interleaved \(ok($x["minirun-start"] <= $x["runc-start"])) |",
	"| CRI whole cycle, interleaved: minirun <= runc | \(r($x["minirun-cycle"]; $x["runc-cycle"])) | \(ok($x["minirun-cycle"] <= $x["runc-cycle"])) |"
' | tee "$out/cri-summary.md"
exit 0
