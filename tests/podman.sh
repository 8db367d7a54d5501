#!/bin/sh
# podman.sh MINIRUN ROOTFS: drive minirun through podman (and conmon), the
# way an engine does. Installs podman from Debian if it is missing. Each
# scene prints "ok: ..." or fails the script with "FAIL: ...".
#
# podman gets a store of its own under a temporary directory, and
# --ulimit flags: root lacks CAP_SYS_RESOURCE on this machine, and
# podman's default limits would need it.
set -eu
MINIRUN=$(readlink -f "$1")
ROOTFS=$(readlink -f "$2")

if ! command -v podman >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y podman >/dev/null 2>&1 || {
		echo "SKIP: podman is not installed and apt-get install podman failed"; exit 77; }
fi

TMP=$(mktemp -d /tmp/minirun-podman-XXXXXX)
# With cgroupfs, podman puts conmon in libpod_parent/conmon in every
# hierarchy and leaves the directories behind: remove them at the end if
# this script made them (rmdir leaves any that still hold a process).
LIBPOD_BEFORE=$(ls -d /sys/fs/cgroup/libpod_parent /sys/fs/cgroup/*/libpod_parent 2>/dev/null || true)
cleanup() {
	podman $P rm -af >/dev/null 2>&1 || true
	rm -rf "$TMP"
	if [ -z "$LIBPOD_BEFORE" ]; then
		for d in /sys/fs/cgroup/libpod_parent /sys/fs/cgroup/*/libpod_parent; do
			[ -d "$d" ] || continue
			rmdir "$d/conmon" 2>/dev/null || true
			rmdir "$d" 2>/dev/null || true
		done
	fi
}
trap cleanup EXIT
P="--root $TMP/root --runroot $TMP/run --storage-driver vfs --runtime $MINIRUN --cgroup-manager cgroupfs --events-backend none --tmpdir $TMP/tmp"
U="--ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --net none"
export MINIRUN_ROOT="$TMP/state"

fail() { echo "FAIL: $*"; exit 1; }

tar -C "$ROOTFS" -c . | podman $P import - localhost/busybox >/dev/null || fail "import busybox rootfs"

# run --rm with output, an exit code and stdin
out=$(podman $P run --rm $U localhost/busybox echo hello-from-podman) || fail "run echo"
[ "$out" = "hello-from-podman" ] || fail "run output: $out"
echo "ok: run --rm with output"

set +e
podman $P run --rm $U localhost/busybox sh -c 'exit 42'
code=$?
set -e
[ "$code" = 42 ] || fail "exit code $code, want 42"
echo "ok: exit code"

out=$(echo piped-in | podman $P run --rm -i $U localhost/busybox cat) || fail "run -i"
[ "$out" = "piped-in" ] || fail "stdin: $out"
echo "ok: stdin"

# -d, exec, stop, rm
id=$(podman $P run -d $U localhost/busybox sleep 1000) || fail "run -d"
out=$(podman $P exec "$id" sh -c 'echo exec-ok; cat /proc/1/comm') || fail "exec"
[ "$out" = "exec-ok
sleep" ] || fail "exec output: $out"
echo "ok: run -d, exec"
podman $P stop -t 1 "$id" >/dev/null || fail "stop"
state=$(podman $P inspect -f '{{.State.Status}}' "$id")
[ "$state" = "exited" ] || fail "state after stop: $state"
podman $P rm "$id" >/dev/null || fail "rm"
[ -z "$(ls "$MINIRUN_ROOT" 2>/dev/null)" ] || fail "minirun state left: $(ls "$MINIRUN_ROOT")"
echo "ok: stop, rm"

# a custom seccomp profile: mkdir denied with EPERM
cat > "$TMP/deny-mkdir.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
JSON
set +e
out=$(podman $P run --rm $U --security-opt seccomp="$TMP/deny-mkdir.json" localhost/busybox mkdir /tmp/x 2>&1)
code=$?
set -e
[ "$code" != 0 ] || fail "mkdir allowed under the profile"
case "$out" in *"Operation not permitted"*) ;; *) fail "seccomp output: $out" ;; esac
echo "ok: --security-opt seccomp=profile"
echo PASS
