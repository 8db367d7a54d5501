#!/bin/bash
# The seed article's three scenes, with the user's own command lines.
set -u
bin=$(realpath "${1:-bin/minirun}")
here=$(cd "$(dirname "$0")/.." && pwd)
work="$here/build/demo"
export MINIRUN_STORE="${MINIRUN_STORE:-$work/store}"
mkdir -p "$work"
cd "$work"
# The scenes need no network; without one a run makes no bridge or NAT
# rule on the machine the demo is shown on (docs/networking.md).
minirun() {
	if [ "$1" = run ]; then
		shift
		"$bin" run --network none "$@"
	else
		"$bin" "$@"
	fi
}

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }

if ! minirun images -q 2>/dev/null | grep -q .; then :; fi
if ! minirun images 2>/dev/null | grep -q 'library/alpine:latest'; then
	say "Getting alpine"
	if timeout 60 "$bin" pull alpine >/dev/null 2>&1; then
		echo "pulled alpine from Docker Hub"
	else
		echo "no registry reachable: importing a local busybox rootfs (alpine's userland) under the name alpine"
		rm -rf rootfs && "$here/tests/mkrootfs.sh" rootfs && minirun import rootfs alpine >/dev/null || exit 1
	fi
fi

cat > deny.json <<'JSON'
{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": [
    "SCMP_ARCH_X86_64"
  ],
  "syscalls": []
}
JSON

say "Scene 1: a profile that allows nothing: the container does not start"
show "minirun run --rm -it --security-opt seccomp=deny.json alpine sh"
minirun run --rm -i --security-opt seccomp=deny.json alpine sh </dev/null
echo "(exit status $?)"

say "Scene 2: Docker's default profile: unshare is not permitted"
show "minirun run --rm -it alpine sh"
show "/ # unshare"
echo unshare | minirun run --rm -i alpine sh
echo "(exit status $?)"

say "Scene 3: seccomp=unconfined: unshare --user makes root nobody"
show "minirun run --rm -it --security-opt seccomp=unconfined alpine sh"
printf 'whoami\nunshare --user whoami\nwhoami\n' | minirun run --rm -i --security-opt seccomp=unconfined alpine sh -x 2>&1 | sed 's/^+ /\/ # /'
echo "(exit status ${PIPESTATUS[1]})"

say "Inside: what the default profile decides, from the compiled BPF itself"
show "minirun seccomp check default unshare 0"
minirun seccomp check default unshare 0
show "minirun seccomp check default unshare 0 --cap-add SYS_ADMIN"
minirun seccomp check default unshare 0 --cap-add SYS_ADMIN

say "Why scene 2 failed: the denial report names the rule"
show "echo unshare | minirun run --rm -i --seccomp-report alpine sh"
echo unshare | minirun run --rm -i --seccomp-report alpine sh
echo "(exit status $?)"

# Scene 4 runs in a network namespace made for it, which stands in for
# the host: the bridge, the veth and the NAT rules of -p live and die
# there, and this machine's own interfaces and firewall are never touched.
unshare --net --mount --propagation private -- \
	sh -c 'ip link set lo up && mkdir -p /run/minirun/netns && mount -t tmpfs tmpfs /run/minirun/netns && exec "$@"' \
	sh "$here/scripts/demo-web.sh" "$bin"
