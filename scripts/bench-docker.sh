#!/bin/bash
# bench-docker.sh BIN: the start a Docker user feels (issues 23 and 24).
# `docker run --rm alpine true` through Docker Engine (Debian's dockerd,
# with its own containerd and the runc v2 shim), with minirun, runc and
# crun each registered as a runtime and picked by --runtime, side by side
# in one run:
#   - on Docker's default bridge, and with --network none: the bridge's
#     cost is the difference, beside podman's and minirun's own in
#     bench-net.sh's output (it reads build/bench/docker-net.json);
#   - with hyperfine (one command's runs after another), then interleaved
#     (scripts/interleave.sh: each command once a round), which this VM's
#     drift affects less.
#
# The set-up is tests/dockerd.sh's (its DOCKERD_SH_DEBUG hook runs this
# script's second half with dockerd up): private network, mount and pid
# namespaces, data root, exec root, socket and /run of their own, the
# image imported offline from tests/mkrootfs.sh's rootfs, the containers'
# cgroups under a parent of the run's own, and the check, when it ends,
# that the host kept no cgroup, mount, process or interface. Here dockerd
# also gets crun, Docker's bridge and its iptables rules, which live and
# die in the private network namespace, and overlay2 as Docker's default
# storage driver (vfs, the test's, copies the image at every create).
# This script checks too that the host's iptables rules are unchanged.
#
# Skips with one line when something is missing. BENCH_DOCKER_RUNS (15)
# sets the runs per command. Results: build/bench/docker.{json,md},
# docker-interleaved.json, docker-net.json, docker-summary.md.
set -eu

if [ "${BENCH_DOCKER_STAGE:-}" != inner ]; then
	bin=${1:?usage: bench-docker.sh PATH/TO/minirun}
	case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
	here=$(cd "$(dirname "$0")/.." && pwd)
	[ "$(id -u)" = 0 ] || { echo "bench-docker: skipped: needs root (it runs Docker Engine)"; exit 0; }
	for tool in /usr/sbin/dockerd /usr/bin/docker containerd hyperfine jq runc crun iptables-save; do
		command -v "$tool" >/dev/null || { echo "bench-docker: skipped: $tool not found (Debian: docker.io, containerd, hyperfine, jq, runc, crun, iptables)"; exit 0; }
	done
	[ -x "$bin" ] || { echo "bench-docker: $bin is not an executable" >&2; exit 1; }
	mkdir -p "$here/build/bench"
	rm -f "$here/build/bench/docker-net.json"
	ipt_before=$(iptables-save 2>/dev/null | grep -v '^#' || true)
	# Docker's bridge on, crun beside minirun and runc, overlay2.
	export DOCKERD_SH_DAEMON_JQ='.runtimes.crun = {"path": "'"$(command -v crun)"'"}
		| del(.bridge) | .iptables = true | .["storage-driver"] = "overlay2"'
	export DOCKERD_SH_DEBUG='BENCH_DOCKER_STAGE=inner BENCH_OUT='"$here/build/bench"' BENCH_HERE='"$here"' . '"$here/scripts/bench-docker.sh"
	rc=0
	"$here/tests/dockerd.sh" "$bin" || rc=$?
	ipt_after=$(iptables-save 2>/dev/null | grep -v '^#' || true)
	[ "$ipt_before" = "$ipt_after" ] || { echo "bench-docker: FAIL: the host's iptables rules changed"; rc=1; }
	[ -s "$here/build/bench/docker-summary.md" ] || { echo "bench-docker: no results"; rc=1; }
	exit "$rc"
fi

# Stage 2, sourced by tests/dockerd.sh in its namespaces, dockerd up: dk,
# DOCKER, TMP, start_dockerd and stop_dockerd are its.
out=$BENCH_OUT
runs=${BENCH_DOCKER_RUNS:-15}
# crun refuses this host's hybrid cgroup layout while the cgroup2 mount is
# there (as in scripts/bench.sh): unmounted in this mount namespace only.
umount /sys/fs/cgroup/unified 2>/dev/null || true
ip link set lo up

dk info --format '{{.Driver}} {{json .Runtimes}}' | jq -R -e 'split(" ")[0] == "overlay2"' >/dev/null ||
	echo "bench-docker: storage driver is $(dk info --format '{{.Driver}}'), not overlay2"
for r in minirun runc crun; do
	for n in bridge none; do
		o=$(dk run --rm --runtime "$r" --network "$n" alpine true 2>&1) ||
			{ echo "bench-docker: FAIL: docker run --rm --runtime $r --network $n alpine true: $o"; exit 1; }
	done
done
dk network inspect bridge --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' >/dev/null
echo "bench-docker: Docker Engine $(dk version --format '{{.Server.Version}}'), storage $(dk info --format '{{.Driver}}'); $("$MINIRUN" --version | head -1); $(runc --version | head -1); $(crun --version | head -1)"
echo "== docker run --rm alpine true: $runs runs, 3 warmup"

set --
for n in bridge none; do
	for r in minirun runc crun; do
		# Docker's default network is the bridge: its rows say nothing more.
		if [ "$n" = bridge ]; then set -- "$@" -n "$r-bridge" "$DOCKER run --rm --runtime $r alpine true"
		else set -- "$@" -n "$r-none" "$DOCKER run --rm --runtime $r --network none alpine true"; fi
	done
done
hyperfine -N --warmup 3 --runs "$runs" --style basic \
	--export-json "$out/docker.json" --export-markdown "$out/docker.md" "$@"

echo
echo "== the same, interleaved: $runs rounds"
il=()
for n in bridge none; do
	for r in minirun runc crun; do
		if [ "$n" = bridge ]; then il+=("$r-bridge=$DOCKER run --rm --runtime $r alpine true")
		else il+=("$r-none=$DOCKER run --rm --runtime $r --network none alpine true"); fi
	done
done
"$BENCH_HERE/scripts/interleave.sh" "$runs" "$out/docker-interleaved.json" "${il[@]}"
[ -z "$(dk ps -aq)" ] || { echo "bench-docker: FAIL: containers left: $(dk ps -aq)"; exit 1; }

version=$(dk version --format '{{.Server.Version}}')
jq -n --slurpfile h "$out/docker.json" --slurpfile i "$out/docker-interleaved.json" --arg v "$version" '
	($h[0].results | map({key: .command, value: (.median * 1000)}) | from_entries) as $m |
	{engine: "Docker Engine \($v)", runtime: "runc",
	 none: $m["runc-none"], bridge: $m["runc-bridge"], cost: ($m["runc-bridge"] - $m["runc-none"]),
	 interleaved: {none: $i[0]["runc-none"], bridge: $i[0]["runc-bridge"], cost: ($i[0]["runc-bridge"] - $i[0]["runc-none"])},
	 minirun: {none: $m["minirun-none"], bridge: $m["minirun-bridge"], cost: ($m["minirun-bridge"] - $m["minirun-none"])}}' \
	>"$out/docker-net.json"

jq -r -n --slurpfile h "$out/docker.json" --slurpfile i "$out/docker-interleaved.json" --arg v "$version" --arg runs "$runs" '
	def f: (. * 10 | round / 10 | tostring);
	def r($a; $b): (($a / $b) * 100 | round / 100 | tostring) + "x";
	def ok($c): if $c then "yes" else "**no**" end;
	($h[0].results | map({key: .command, value: (.median * 1000)}) | from_entries) as $m | $i[0] as $x |
	def row($t; $x; $k): $x["minirun-" + $k] as $a | $x["runc-" + $k] as $u | $x["crun-" + $k] as $c |
		"| \($t) | \($a|f) | \($u|f) | \($c|f) | \(r($a;$u)) | \(r($a;$c)) |";
	def cost($x; $rt): ($x[$rt + "-bridge"] - $x[$rt + "-none"]);
	"## Docker Engine \($v): docker run --rm alpine true (medians of \($runs), ms)",
	"",
	"| --runtime | minirun | runc | crun | minirun / runc | minirun / crun |",
	"|---|---|---|---|---|---|",
	row("default bridge"; $m; "bridge"),
	row("--network none"; $m; "none"),
	"| the bridge'"'"'s cost | \(cost($m; "minirun")|f) | \(cost($m; "runc")|f) | \(cost($m; "crun")|f) | | |",
	row("default bridge, interleaved"; $x; "bridge"),
	row("--network none, interleaved"; $x; "none"),
	"| the bridge'"'"'s cost, interleaved | \(cost($x; "minirun")|f) | \(cost($x; "runc")|f) | \(cost($x; "crun")|f) | | |",
	"",
	"| goal (issue 24) | measured | holds |",
	"|---|---|---|",
	"| docker run: minirun <= runc | \(r($m["minirun-bridge"]; $m["runc-bridge"])), interleaved \(r($x["minirun-bridge"]; $x["runc-bridge"])) | \(ok($m["minirun-bridge"] <= $m["runc-bridge"])), interleaved \(ok($x["minirun-bridge"] <= $x["runc-bridge"])) |"
' | tee "$out/docker-summary.md"
exit 0
