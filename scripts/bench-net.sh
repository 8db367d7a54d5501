#!/bin/sh
# bench-net.sh BIN: what a network costs a run (issue 23), in a private
# network, pid and mount namespace made for it, so no bridge, veth or NAT
# rule ever reaches the host's:
#   - run --rm of `true` with --network none, and on the default bridge
#     (set-up plus teardown: the bridge's cost is the difference);
#   - the time from `run -d -p` of a web server to its first HTTP reply
#     through the published port on the namespace's loopback, then rm -f.
# podman beside it when it is installed and has an image to run (it
# loads minirun's alpine from a docker save tarball), and Docker Engine's
# bridge cost from scripts/bench-docker.sh's build/bench/docker-net.json
# when that ran first. Results: build/bench/net.{json,md}.
set -eu

bin=${1:?usage: bench-net.sh PATH/TO/minirun}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
here=$(cd "$(dirname "$0")/.." && pwd)

if [ "${MINIRUN_BENCH_NET_NS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench-net: needs root (it runs containers)" >&2; exit 1; }
	command -v hyperfine >/dev/null || { echo "bench-net: hyperfine not found" >&2; exit 1; }
	exec env MINIRUN_BENCH_NET_NS=1 unshare --net --pid --fork --mount-proc --mount --propagation private -- "$0" "$bin"
fi
ip link set lo up
# The namespaces' bind mounts die with this namespace; podman's network
# configs and leases, which it keeps in /etc and /var/lib, go to tmpfs
# here rather than to the host's.
# crun (podman's runtime) refuses this host's hybrid cgroup layout unless
# the cgroup2 mount is gone, as scripts/bench.sh does: here only.
umount /sys/fs/cgroup/unified 2>/dev/null || true
for d in /run /var/lib /etc/cni /etc/containers/networks; do
	[ -d $d ] && mount -t tmpfs tmpfs $d
done

work=$(mktemp -d /tmp/minirun-bench-net.XXXXXX)
out=$here/build/bench
mkdir -p "$out"
m="$bin --root $work/root --store $work/store"
cleanup() {
	for id in $($m ps -a -q --no-trunc 2>/dev/null); do $m rm -f "$id" >/dev/null 2>&1 || true; done
	# podman's overlay mounts, deepest first.
	awk -v w="$work/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$here/tests/mkrootfs.sh" "$work/rootfs" >/dev/null
$m import "$work/rootfs" alpine >/dev/null 2>&1
mkdir -p "$work/www" && echo hello >"$work/www/index.html"

# First reply through -p: start, poll the port until it answers, remove.
cat >"$work/first-reply.sh" <<SH
#!/bin/sh
set -e
$m run -d --name web -p 18080:80 -v $work/www:/www:ro alpine httpd -f -p 80 -h /www >/dev/null
until wget -q -O /dev/null http://127.0.0.1:18080/ 2>/dev/null; do :; done
$m rm -f web >/dev/null
SH
chmod +x "$work/first-reply.sh"
set -- \
	-n "minirun run true, --network none" "$m run --rm --network none alpine true" \
	-n "minirun run true, bridge" "$m run --rm alpine true" \
	-n "minirun run -d -p, first HTTP reply, rm -f" "$work/first-reply.sh"
p="podman --root $work/podman --runroot $work/podman-run"
if command -v podman >/dev/null && $m save -o "$work/alpine.tar" alpine 2>/dev/null &&
	$p load -i "$work/alpine.tar" >/dev/null 2>&1 &&
	$p run --rm --network none alpine true >"$work/podman.out" 2>&1; then
	set -- "$@" \
		-n "podman run true, --network none" "$p run --rm --network none alpine true" \
		-n "podman run true, bridge" "$p run --rm alpine true"
else
	echo "bench-net: podman not measured: not installed, or it could not load or run the image: $(tail -1 "$work/podman.out" 2>/dev/null)"
fi
hyperfine --warmup 3 --runs "${BENCH_RUNS:-20}" \
	--export-json "$out/net.json" --export-markdown "$out/net.md" "$@"
cat "$out/net.md"
jq -r '.results | map({(.command): .median}) | add |
	"bridge over none: minirun +\(((.["minirun run true, bridge"] - .["minirun run true, --network none"])*1000)|floor) ms" +
	(if .["podman run true, bridge"] then ", podman +\(((.["podman run true, bridge"] - .["podman run true, --network none"])*1000)|floor) ms" else "" end)' "$out/net.json"
# Docker Engine's, from scripts/bench-docker.sh's run just before (make
# bench runs it first): its bridge is dockerd's own (libnetwork), measured
# through the whole docker run with runc, in that script's private netns.
if [ -s "$out/docker-net.json" ]; then
	jq -r '"bridge over none: \(.engine) with \(.runtime) +\(.cost | floor) ms (\(.none | floor) -> \(.bridge | floor) ms; interleaved +\(.interleaved.cost | floor) ms), with minirun +\(.minirun.cost | floor) ms (scripts/bench-docker.sh)"' "$out/docker-net.json"
else
	echo "bridge over none: Docker Engine not measured (scripts/bench-docker.sh did not run or was skipped)"
fi
