#!/bin/bash
# cri.sh MINIRUN: a Kubernetes node's path to minirun, end to end.
#
# containerd's CRI plugin (Debian's containerd, with the runc v2 shim)
# runs pods through two runtime handlers, `minirun` (BinaryName = MINIRUN)
# and `runc`, and crictl drives both through the same cases: each case
# must give the same result on both, and pass. Each case prints one line,
# "ok: HANDLER: CASE" or "FAIL: HANDLER: CASE: why"; a table of both
# handlers' results and "PASS" or "FAIL" close the output.
#
# Everything runs in private mount and pid namespaces: containerd's root,
# state and sockets, the CNI config, the images, the logs and both
# runtimes' state live under one temporary directory, /run is a tmpfs of
# this namespace (the shims put their sockets under /run/containerd), and
# the host's /var/lib/containerd and /etc/containerd are never read or
# written. When the script ends, the pods are removed, containerd is
# stopped, the namespace's PID 1 exits (so no process can outlive it), and
# the pods' cgroup parent is removed from every hierarchy.
#
# Installs what is missing: containerd and the CNI plugins from Debian,
# crictl with `go install` (kept in GOPATH/bin for the next run).
#
# Exit codes: 0 PASS or skipped (not root), 1 FAIL.
set -eu

CRICTL_VERSION=v1.37.0
self=$(readlink -f "$0")
here=$(dirname "$self")

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: cri.sh runs containerd and real pods, and needs root"
	exit 0
fi

# Stage 1, on the host: install, then re-run this script as the PID 1 of
# new private mount and pid namespaces, a bash that reaps every orphan
# (the shims re-parent themselves to it).
if [ "${CRI_SH_STAGE:-}" != inner ]; then
	MINIRUN=$(readlink -f "${1:?usage: cri.sh MINIRUN}")
	[ -x "$MINIRUN" ] || { echo "FAIL: $MINIRUN is not an executable"; exit 1; }
	missing=""
	command -v containerd >/dev/null 2>&1 || missing="$missing containerd"
	[ -x /usr/lib/cni/loopback ] || missing="$missing containernetworking-plugins"
	command -v runc >/dev/null 2>&1 || missing="$missing runc"
	command -v busybox >/dev/null 2>&1 || missing="$missing busybox-static"
	command -v jq >/dev/null 2>&1 || missing="$missing jq"
	if [ -n "$missing" ]; then
		echo "cri.sh: installing:$missing"
		# No service is started here: policy-rc.d says no while apt runs, if
		# the machine has none of its own.
		prc=""
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			prc=/usr/sbin/policy-rc.d
			printf '#!/bin/sh\nexit 101\n' >"$prc" && chmod 755 "$prc"
		fi
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) >/dev/null 2>&1 ||
			{ [ -z "$prc" ] || rm -f "$prc"; echo "FAIL: apt-get install$missing"; exit 1; }
		[ -z "$prc" ] || rm -f "$prc"
	fi
	gobin=$(go env GOBIN)
	[ -n "$gobin" ] || gobin=$(go env GOPATH)/bin
	CRICTL=$gobin/crictl
	# go install leaves crictl's version string unset; the module's version
	# is in the binary's build info.
	if ! go version -m "$CRICTL" 2>/dev/null | grep -q "sigs.k8s.io/cri-tools[[:space:]]*$CRICTL_VERSION"; then
		echo "cri.sh: go install sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
		(cd / && GOFLAGS=-buildvcs=false go install "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION") ||
			{ echo "FAIL: go install crictl"; exit 1; }
	fi
	export MINIRUN CRICTL CRI_SH_STAGE=inner
	exec unshare --mount --propagation private --pid --fork --mount-proc -- \
		bash -c '"$@" & wait $!' bash "$self"
fi

# Stage 2, in the namespaces.
TMP=$(mktemp -d /tmp/minirun-cri-XXXXXX)
chmod 755 "$TMP"
CGPARENT=/minirun-cri-$$-${TMP##*-}
SOCK=unix://$TMP/containerd.sock
RUNC=$(command -v runc)
CD_PID=""

crictl() { "$CRICTL" --config "$TMP/crictl.yaml" --runtime-endpoint "$SOCK" --image-endpoint "$SOCK" --timeout 60s "$@"; }
ctr() { command ctr --address "$TMP/containerd.sock" -n k8s.io "$@"; }

# A stop leaves nothing: every pod removed, containerd stopped, the
# namespace's mounts gone with it, the cgroup parent removed.
cleanup() {
	set +e
	if [ -n "$CD_PID" ] && kill -0 "$CD_PID" 2>/dev/null; then
		for p in $(crictl pods -q 2>/dev/null); do
			crictl stopp "$p" >/dev/null 2>&1
			crictl rmp -f "$p" >/dev/null 2>&1
		done
		kill "$CD_PID"
		wait "$CD_PID" 2>/dev/null
	fi
	for d in $(find /sys/fs/cgroup -maxdepth 2 -type d -name "${CGPARENT#/}" 2>/dev/null); do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	# What a failed case left mounted (the namespace would drop it anyway),
	# deepest first, before the directory goes.
	grep " $TMP" /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n 1 umount -l 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# /run is this namespace's own: the shims' sockets go to /run/containerd/s
# whatever containerd's state directory is.
mount -t tmpfs -o mode=755 tmpfs /run

mkdir -p "$TMP/cni" "$TMP/cnibin" "$TMP/opt" "$TMP/logs" "$TMP/img" "$TMP/profiles" "$TMP/cases"
: >"$TMP/crictl.yaml"
# The network: containerd 1.6 wants an eth0 with an address in the CNI
# result and fails the sandbox without one, and a real plugin (bridge,
# ptp) would change the host's network. So a pod gets Debian's loopback
# plugin (lo up in its own network namespace) and this stand-in, which
# reports an eth0 and an address and changes nothing.
ln -s /usr/lib/cni/loopback "$TMP/cnibin/loopback"
cat >"$TMP/cnibin/report-only" <<'EOF'
#!/bin/sh
cat >/dev/null
case $CNI_COMMAND in
ADD) printf '{"cniVersion": "0.4.0", "interfaces": [{"name": "eth0", "sandbox": "%s"}],
 "ips": [{"version": "4", "address": "192.0.2.2/24", "interface": 0}]}\n' "$CNI_NETNS" ;;
VERSION) echo '{"cniVersion": "0.4.0", "supportedVersions": ["0.3.0", "0.3.1", "0.4.0"]}' ;;
esac
EOF
chmod 755 "$TMP/cnibin/report-only"
cat >"$TMP/cni/10-pods.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "pods", "plugins": [{"type": "report-only"}]}
EOF

# --- images: busybox, and a pause image made of the same layer --------------
"$here/mkrootfs.sh" "$TMP/img/rootfs" >/dev/null
# mkimage NAME:TAG ENTRYPOINT-JSON CMD-JSON: a `docker save` tar.
mkimage() {
	local d="$TMP/img/$(echo "$1" | tr ':/' '__')"
	mkdir -p "$d"
	[ -f "$TMP/img/layer" ] || tar -C "$TMP/img/rootfs" --numeric-owner -cf "$TMP/img/layer" .
	cp "$TMP/img/layer" "$d/layer.tar"
	local diff
	diff=$(sha256sum "$d/layer.tar" | cut -d' ' -f1)
	cat >"$d/config.json" <<EOF
{"architecture": "$ARCH", "os": "linux",
 "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Entrypoint": $2, "Cmd": $3, "WorkingDir": "/"},
 "rootfs": {"type": "layers", "diff_ids": ["sha256:$diff"]}}
EOF
	printf '[{"Config": "config.json", "RepoTags": ["%s"], "Layers": ["layer.tar"]}]\n' "$1" >"$d/manifest.json"
	tar -C "$d" -cf "$d.tar" manifest.json config.json layer.tar
	rm -rf "$d"
}
# Debian's architecture names are OCI's for amd64, arm64, ppc64le, s390x.
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
BUSYBOX=localhost/minirun-busybox:cri
PAUSE=localhost/minirun-pause:cri
mkimage "$BUSYBOX" null '["sh"]'
# The pause process: sleeps until TERM or INT, then exits 0.
mkimage "$PAUSE" '["/bin/sh", "-c", "trap \"exit 0\" TERM INT; while :; do sleep 3600 & wait $!; done"]' null

# --- containerd -------------------------------------------------------------
cat >"$TMP/config.toml" <<EOF
version = 2
root = "$TMP/root"
state = "$TMP/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$TMP/containerd.sock"
[ttrpc]
  address = "$TMP/containerd.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$TMP/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE"
  # Root here lacks CAP_SYS_RESOURCE and cannot lower oom_score_adj.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$TMP/cnibin"
    conf_dir = "$TMP/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.minirun]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.minirun.options]
        BinaryName = "$MINIRUN"
        Root = "$TMP/minirun-root"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$RUNC"
        Root = "$TMP/runc-root"
EOF
# scripts/bench-cri.sh reuses this set-up with more runtime handlers:
# TOML tables added to the configuration.
[ -z "${CRI_SH_EXTRA_TOML:-}" ] || printf '%s\n' "$CRI_SH_EXTRA_TOML" >>"$TMP/config.toml"

start_containerd() {
	containerd --config "$TMP/config.toml" >>"$TMP/containerd.log" 2>&1 &
	CD_PID=$!
	local i
	for i in $(seq 100); do
		crictl info >/dev/null 2>&1 && return 0
		kill -0 "$CD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "FAIL: containerd did not start; its log:"
	tail -n 30 "$TMP/containerd.log"
	exit 1
}
stop_containerd() {
	kill "$CD_PID"
	wait "$CD_PID" 2>/dev/null || true
	CD_PID=""
}

start_containerd
for t in "$TMP"/img/*.tar; do
	ctr images import "$t" >/dev/null || { echo "FAIL: ctr images import $t"; exit 1; }
done
echo "cri.sh: containerd $(containerd --version | awk '{print $3}'), crictl $CRICTL_VERSION, images imported"

# --- helpers for the cases ----------------------------------------------------
# A case is a function of one argument, the handler. It sets WHY and fails
# when it fails; it may set SEEN to what it observed (capability masks,
# outputs), which must be the same under both handlers. POD is removed
# after each case, whatever happened.
POD=""
PIDMODE=1
WHY=""
SEEN=""
fail() { WHY="$*"; return 1; }

# runpod HANDLER NAME [PIDMODE [PRIVILEGED]]: run a pod sandbox; its id in POD.
# PIDMODE is CRI's NamespaceMode: 0 POD, 1 CONTAINER (the kubelet's default).
runpod() {
	local d="$TMP/cases/$2-$1"
	mkdir -p "$d" "$TMP/logs/$2-$1"
	cat >"$d/pod.json" <<JSON
{"metadata": {"name": "$2-$1", "namespace": "cri-test", "uid": "uid-$2-$1", "attempt": 0},
 "log_directory": "$TMP/logs/$2-$1",
 "linux": {"cgroup_parent": "$CGPARENT",
           "security_context": {"namespace_options": {"pid": ${3:-1}}, "privileged": ${4:-false}}}}
JSON
	PIDMODE=${3:-1}
	POD=$(crictl runp --runtime "$1" "$d/pod.json" 2>"$d/runp.err") ||
		fail "runp: $(cat "$d/runp.err")"
}

# mkctr HANDLER CASE NAME COMMAND-JSON [SECURITY-CONTEXT-JSON [RESOURCES-JSON]]:
# create a container in POD; its id on stdout. As the kubelet does, the
# container's security context repeats the pod's pid namespace mode
# (containerd reads it there).
mkctr() {
	local d="$TMP/cases/$2-$1" sc
	sc=$(echo "${5:-{\}}" | jq -c --argjson p "$PIDMODE" '.namespace_options.pid = $p')
	jq "${EXTRA:-.}" >"$d/$3.json" <<JSON
{"metadata": {"name": "$3"}, "image": {"image": "$BUSYBOX"}, "command": $4,
 "log_path": "$3.log",
 "linux": {"security_context": $sc, "resources": ${6:-{\}}}}
JSON
	crictl create "$POD" "$d/$3.json" "$d/pod.json" 2>"$d/$3.err" ||
		{ echo "create $3: $(cat "$d/$3.err")"; return 1; }
}

# EXTRA, if set, is a jq filter for the container config (mounts, tty).
EXTRA=""

# runctr ...: mkctr, then start it; its id in CID.
runctr() {
	local out
	out=$(mkctr "$@") || fail "$out" || return 1
	CID=$out
	crictl start "$CID" >/dev/null 2>"$TMP/start.err" || fail "start $3: $(cat "$TMP/start.err")"
}

# field ID JQ: one field of `crictl inspect`.
field() { crictl inspect "$1" | jq -r "$2"; }

# wait_exited ID: until the container has exited, 30 s at most.
wait_exited() {
	local i
	for i in $(seq 300); do
		[ "$(field "$1" .status.state)" = CONTAINER_EXITED ] && return 0
		sleep 0.1
	done
	fail "container $1 did not exit"
}

# errline HANDLER WHAT CRICTL-OUTPUT: keep the runtime's part of an error
# for the summary.
errline() {
	printf '  %-8s %s: %s\n' "$1" "$2" "$(echo "$3" | sed -n 's/.*desc = \(.*\)" containerID=.*/\1/p' | head -n 1 | sed 's/\\"/"/g; s/[0-9a-f]\{64\}/ID/g')" >>"$TMP/errors.txt"
}

# sx ID CMD...: exec --sync; the command's stdout and stderr together on
# stdout (crictl's own messages apart), and its status.
# (crictl prints no output of a command that fails, so the status comes
# back as the last line.)
sx() {
	local id=$1 out rc
	shift
	out=$(crictl exec -s "$id" sh -c '"$@" 2>&1; echo "exit=$?"' sh "$@" 2>>"$TMP/exec.err") ||
		{ echo "crictl exec -s failed: $(tail -n 1 "$TMP/exec.err")"; return 125; }
	rc=${out##*exit=}
	out=${out%exit=*}
	printf '%s' "${out%$'\n'}"
	return "$rc"
}

# The command that keeps a container running until stopped.
SLEEP='["sleep", "100000"]'

# --- the cases --------------------------------------------------------------

# The pod lifecycle, every crictl verb the kubelet's path uses.
case_lifecycle() {
	local h=$1 out
	runpod "$h" lifecycle || return 1
	[ "$(crictl inspectp "$POD" | jq -r .status.state)" = SANDBOX_READY ] || fail "pod not ready"
	local rh
	rh=$(crictl inspectp "$POD" | jq -r .info.runtimeHandler)
	[ "$rh" = "$h" ] || fail "pod's runtime handler is '$rh'"
	runctr "$h" lifecycle c '["sh", "-c", "echo hello-from-$HOSTNAME; exec sleep 100000"]' || return 1
	crictl ps -q --pod "$POD" | grep -qx "$CID" || fail "ps does not list the container"
	[ "$(field "$CID" .status.state)" = CONTAINER_RUNNING ] || fail "inspect: not running"
	# The handler's own runtime ran it: its state is under its Root.
	[ -d "$TMP/$h-root/k8s.io/$CID" ] || fail "no state under $TMP/$h-root/k8s.io for $CID"
	local i
	for i in $(seq 50); do
		out=$(crictl logs "$CID" 2>&1)
		case $out in *hello-from-*) break ;; esac
		sleep 0.1
	done
	case $out in *hello-from-*) ;; *) fail "logs: $out" ;; esac
	out=$(sx "$CID" sh -c 'echo exec-ok; tr "\0" " " </proc/1/cmdline') || fail "exec -s: $out"
	[ "$out" = "exec-ok
sleep 100000 " ] || fail "exec -s output: $out"
	# crictl wants a terminal for -it; script(1) gives it one. Its pty
	# adds carriage returns and, now and then, a NUL before the output
	# (seen once with runc): both are the terminal's, not the command's.
	out=$(script -qec "$CRICTL --config $TMP/crictl.yaml --runtime-endpoint $SOCK exec -it $CID tty" /dev/null </dev/null 2>&1 | tr -d '\r\000') ||
		fail "exec -it: $out"
	# The NUL sometimes comes as input to the pty, which echoes it back in
	# caret notation ("^@", ECHOCTL) before the output: the terminal's too.
	out=${out#"^@"}
	case $out in /dev/pts/*) ;; *) fail "exec -it: tty says '$out'" ;; esac
	out=$(echo piped | crictl exec -i "$CID" cat 2>&1) || fail "exec -i: $out"
	[ "$out" = piped ] || fail "exec -i: '$out'"
	crictl stop -t 2 "$CID" >/dev/null || fail "stop"
	[ "$(field "$CID" .status.state)" = CONTAINER_EXITED ] || fail "inspect after stop: not exited"
	crictl rm "$CID" >/dev/null || fail "rm"
	[ ! -e "$TMP/$h-root/k8s.io/$CID" ] || fail "state of $CID left after rm"
	crictl stopp "$POD" >/dev/null || fail "stopp"
	[ "$(crictl inspectp "$POD" | jq -r .status.state)" = SANDBOX_NOTREADY ] || fail "pod still ready after stopp"
	crictl rmp "$POD" >/dev/null || fail "rmp"
	crictl pods -q --id "$POD" | grep -q . && fail "pod listed after rmp"
	[ -z "$(ls "$TMP/$h-root/k8s.io" 2>/dev/null)" ] || fail "state left: $(ls "$TMP/$h-root/k8s.io")"
	POD=""
}

case_exit_code() {
	local h=$1
	runpod "$h" exitcode || return 1
	runctr "$h" exitcode c '["sh", "-c", "exit 3"]' || return 1
	wait_exited "$CID" || return 1
	local code reason
	code=$(field "$CID" .status.exitCode)
	reason=$(field "$CID" .status.reason)
	SEEN="exitCode=$code reason=$reason"
	[ "$code" = 3 ] || fail "exitCode $code, want 3"
}

# nsof ID: the namespaces a container's processes are in.
nsof() { sx "$1" sh -c 'for n in net ipc uts pid; do echo "$n $(readlink /proc/self/ns/$n)"; done'; }

# Two containers in one pod: network, IPC and UTS shared; pid shared when
# the pod asks for it.
shared_ns() {
	local h=$1 mode=$2 a b nsa nsb
	runpod "$h" "share$mode" "$mode" || return 1
	runctr "$h" "share$mode" a '["sleep", "100001"]' || return 1
	a=$CID
	runctr "$h" "share$mode" b "$SLEEP" || return 1
	b=$CID
	nsa=$(nsof "$a") || fail "exec a: $nsa" || return 1
	nsb=$(nsof "$b") || fail "exec b: $nsb" || return 1
	local n
	for n in net ipc uts; do
		[ "$(echo "$nsa" | grep "^$n ")" = "$(echo "$nsb" | grep "^$n ")" ] || fail "$n namespace not shared: $nsa / $nsb" || return 1
	done
	# IPC: the pod's /dev/shm is one.
	sx "$a" sh -c 'echo shm-from-a > /dev/shm/x' >/dev/null || fail "write /dev/shm"
	[ "$(sx "$b" cat /dev/shm/x)" = shm-from-a ] || fail "b does not see a's /dev/shm/x" || return 1
	# Network: b reaches a listener of a on the pod's loopback.
	timeout 20 "$CRICTL" --config "$TMP/crictl.yaml" --runtime-endpoint "$SOCK" exec -s "$a" \
		sh -c 'echo net-from-a | nc -l -p 7777' >/dev/null 2>&1 &
	local listener=$! got="" i
	for i in $(seq 30); do
		got=$(sx "$b" sh -c 'nc 127.0.0.1 7777 </dev/null' 2>/dev/null) && [ "$got" = net-from-a ] && break
		sleep 0.2
	done
	wait "$listener" || true
	[ "$got" = net-from-a ] || fail "b did not reach a on 127.0.0.1:7777 ('$got')" || return 1
	local pida pidb seen
	pida=$(echo "$nsa" | grep '^pid ')
	pidb=$(echo "$nsb" | grep '^pid ')
	seen=$(sx "$b" ps -o args | grep -c 'sleep 100001' || true)
	if [ "$mode" = 0 ]; then
		[ "$pida" = "$pidb" ] || fail "pid=POD: pid namespaces differ"
		[ "$seen" = 1 ] || fail "pid=POD: b does not see a's sleep"
		[ "$(sx "$b" sh -c 'tr "\0" " " </proc/1/cmdline')" != "sleep 100000 " ] || fail "pid=POD: b is pid 1"
	else
		[ "$pida" != "$pidb" ] || fail "pid=CONTAINER: pid namespaces are one"
		[ "$seen" = 0 ] || fail "pid=CONTAINER: b sees a's sleep"
	fi
}
case_shared_ns_pod_pid() { shared_ns "$1" 0; }
case_shared_ns_container_pid() { shared_ns "$1" 1; }

case_seccomp_runtime_default() {
	local h=$1 out
	runpod "$h" secdef || return 1
	runctr "$h" secdef c "$SLEEP" '{"seccomp": {"profile_type": 0}}' || return 1
	out=$(sx "$CID" unshare --user true) && fail "unshare --user allowed under RuntimeDefault"
	SEEN=$(echo "$out" | head -n 1)
	case $out in *"Operation not permitted"*) ;; *) fail "unshare: '$out'" ;; esac
	out=$(sx "$CID" grep Seccomp: /proc/self/status)
	[ "$out" = "Seccomp:	2" ] || fail "exec's process not filtered: $out"
}

case_seccomp_localhost_deny() {
	local h=$1 out
	cat >"$TMP/profiles/deny.json" <<'JSON'
{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": [
    "SCMP_ARCH_X86_64"
  ],
  "syscalls": []
}
JSON
	runpod "$h" secdeny || return 1
	CID=$(mkctr "$h" secdeny c '["true"]' "{\"seccomp\": {\"profile_type\": 2, \"localhost_ref\": \"$TMP/profiles/deny.json\"}}") ||
		fail "$CID" || return 1
	if out=$(crictl start "$CID" 2>&1); then
		fail "started under a deny-all profile"
		return 1
	fi
	errline "$h" "deny-all profile, crictl start" "$out"
	case $out in *"rpc error"*) ;; *) fail "no error from the runtime: $out" ;; esac
}

case_seccomp_unconfined() {
	local h=$1 out
	runpod "$h" secunc || return 1
	runctr "$h" secunc c "$SLEEP" '{"seccomp": {"profile_type": 1}}' || return 1
	out=$(sx "$CID" unshare --user sh -c 'echo in-userns') || fail "unshare --user: $out"
	[ "$out" = in-userns ] || fail "unshare --user: '$out'"
	out=$(sx "$CID" grep Seccomp: /proc/self/status)
	[ "$out" = "Seccomp:	0" ] || fail "filtered: $out"
}

# capmask ID: CapEff, CapBnd, CapPrm, CapInh, CapAmb of the container's exec.
capmask() { sx "$1" sh -c 'grep ^Cap /proc/self/status' | tr '\t\n' '= '; }

case_caps_default() {
	local h=$1
	runpod "$h" capdef || return 1
	runctr "$h" capdef c "$SLEEP" || return 1
	SEEN=$(capmask "$CID")
	local pid1
	pid1=$(sx "$CID" grep ^CapEff /proc/1/status | tr '\t' '=')
	case $SEEN in *"$pid1"*) ;; *) fail "pid 1 has $pid1, exec has $SEEN" ;; esac
}

case_caps_add_drop() {
	local h=$1 eff out
	runpod "$h" capad || return 1
	runctr "$h" capad c "$SLEEP" '{"capabilities": {"add_capabilities": ["NET_ADMIN", "SYS_TIME"], "drop_capabilities": ["CHOWN", "NET_RAW"]}}' || return 1
	SEEN=$(capmask "$CID")
	eff=$(sx "$CID" grep ^CapEff /proc/1/status | cut -f2)
	(( (0x$eff >> 12) & 1 )) || fail "CAP_NET_ADMIN not in pid 1's CapEff $eff" || return 1
	(( (0x$eff >> 25) & 1 )) || fail "CAP_SYS_TIME not in CapEff $eff" || return 1
	(( (0x$eff >> 0) & 1 )) && fail "CAP_CHOWN still in CapEff $eff" && return 1
	(( (0x$eff >> 13) & 1 )) && fail "CAP_NET_RAW still in CapEff $eff" && return 1
	out=$(sx "$CID" chown 1 /tmp) && fail "chown worked without CAP_CHOWN"
	case $out in *"Operation not permitted"*) ;; *) fail "chown: $out" ;; esac
	out=$(sx "$CID" ip link set lo mtu 1400) || fail "ip link set (CAP_NET_ADMIN): $out"
}

case_run_as_user() {
	local h=$1 out
	runpod "$h" runas || return 1
	runctr "$h" runas c "$SLEEP" '{"run_as_user": {"value": 1000}, "run_as_group": {"value": 3000}, "supplemental_groups": [4000]}' || return 1
	out=$(sx "$CID" sh -c 'id; grep ^CapEff /proc/self/status | tr "\t" " "')
	SEEN=$(echo $out)
	case $out in "uid=1000 gid=3000 groups=3000,4000"*) ;; *) fail "id: $out" ;; esac
	out=$(sx "$CID" stat -c %u /proc/1)
	[ "$out" = 1000 ] || fail "pid 1 owned by $out"
}

case_readonly_rootfs() {
	local h=$1 out
	runpod "$h" rorootfs || return 1
	runctr "$h" rorootfs c "$SLEEP" '{"readonly_rootfs": true}' || return 1
	out=$(sx "$CID" touch /newfile) && fail "wrote to a read-only rootfs"
	SEEN=$out
	case $out in *"Read-only file system"*) ;; *) fail "touch /newfile: $out" ;; esac
	out=$(sx "$CID" sh -c 'echo x > /dev/shm/x && cat /dev/shm/x') || fail "/dev/shm not writable: $out"
}

case_privileged() {
	local h=$1 out
	runpod "$h" priv 1 true || return 1
	runctr "$h" priv c "$SLEEP" '{"privileged": true}' || return 1
	SEEN=$(capmask "$CID")
	out=$(sx "$CID" grep Seccomp: /proc/self/status)
	[ "$out" = "Seccomp:	0" ] || fail "privileged but filtered: $out" || return 1
	out=$(sx "$CID" sh -c 'mkdir -p /mnt/t && mount -t tmpfs t /mnt/t && umount /mnt/t && echo mounted') || fail "mount: $out" || return 1
	out=$(sx "$CID" sh -c 'test -c /dev/kmsg && test -w /sys/kernel && echo devs') || fail "host devices or writable /sys missing: $out" || return 1
	out=$(sx "$CID" sh -c 'cat /proc/timer_list | head -c 1 | wc -c')
	[ "$out" = 1 ] || fail "/proc/timer_list masked in a privileged container"
}

case_no_new_privs() {
	local h=$1 out
	runpod "$h" nnp || return 1
	runctr "$h" nnp c "$SLEEP" '{"no_new_privs": true}' || return 1
	out=$(sx "$CID" grep NoNewPrivs /proc/self/status)
	[ "$out" = "NoNewPrivs:	1" ] || fail "$out"
	out=$(sx "$CID" grep NoNewPrivs /proc/1/status)
	[ "$out" = "NoNewPrivs:	1" ] || fail "pid 1: $out"
}

# The kubelet's own lists (k8s.io/kubernetes pkg/securitycontext, procMount
# Default), which it sends in every container's security context.
MASKED='["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"]'
READONLY='["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]'

case_masked_paths() {
	local h=$1 out
	runpod "$h" masked || return 1
	runctr "$h" masked c "$SLEEP" "{\"masked_paths\": $MASKED, \"readonly_paths\": $READONLY}" || return 1
	# Paths this kernel lacks (kcore, sysrq-trigger here) are skipped, as
	# runc skips them; the ones it has are empty or read-only.
	out=$(sx "$CID" sh -c '
		for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do
			test -e $f && printf "%s=%s " $f "$(head -c 16 $f | wc -c)"
		done
		for d in /proc/acpi /proc/scsi /sys/firmware /sys/devices/virtual/powercap; do
			test -e $d && printf "%s=%s " $d "$(ls $d | wc -l)"
		done
		{ echo x > /proc/sys/kernel/domainname; } 2>/dev/null && printf "/proc/sys=rw " || printf "/proc/sys=ro "
		touch /proc/fs/x 2>/dev/null && printf "/proc/fs=rw" || printf "/proc/fs=ro"')
	SEEN=$out
	case $out in *=[1-9]* | *=rw*) fail "masked/readonly paths: $out" ;; esac
	case $out in *"/proc/keys=0 /proc/timer_list=0 "*"/sys/firmware=0 "*"/proc/sys=ro"*) ;; *) fail "masked/readonly paths: $out" ;; esac
}

# cgfile PID CONTROLLER FILE: a file of the v1 cgroup the process is in.
cgfile() {
	local p
	p=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
	cat "/sys/fs/cgroup/$2$p/$3"
}

case_resources() {
	local h=$1 pid mem quota period shares inside
	runpod "$h" res || return 1
	runctr "$h" res c "$SLEEP" '{}' '{"cpu_period": 100000, "cpu_quota": 50000, "cpu_shares": 512, "memory_limit_in_bytes": 67108864}' || return 1
	pid=$(field "$CID" .info.pid)
	mem=$(cgfile "$pid" memory memory.limit_in_bytes)
	quota=$(cgfile "$pid" cpu cpu.cfs_quota_us)
	period=$(cgfile "$pid" cpu cpu.cfs_period_us)
	shares=$(cgfile "$pid" cpu cpu.shares)
	# As a program in the container sees them (Java, Go's GOMAXPROCS).
	inside=$(sx "$CID" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>&1' | tr '\n' ' ')
	SEEN="host: mem=$mem quota=$quota period=$period shares=$shares; inside: $inside"
	[ "$mem" = 67108864 ] && [ "$quota" = 50000 ] && [ "$period" = 100000 ] && [ "$shares" = 512 ] ||
		fail "cgroup: $SEEN"
	case $(grep -c "$CGPARENT" "/proc/$pid/cgroup") in 0) fail "not under the pod's cgroup parent: $(cat /proc/$pid/cgroup)" ;; esac
}

case_oom_killed() {
	local h=$1
	runpod "$h" oom || return 1
	# tail keeps reading for a newline that never comes.
	runctr "$h" oom c '["tail", "/dev/zero"]' '{}' '{"memory_limit_in_bytes": 33554432}' || return 1
	wait_exited "$CID" || return 1
	local code reason
	code=$(field "$CID" .status.exitCode)
	reason=$(field "$CID" .status.reason)
	SEEN="exitCode=$code reason=$reason"
	[ "$reason" = OOMKilled ] && [ "$code" = 137 ] || fail "$SEEN"
}

case_stats() {
	local h=$1 ws i
	runpod "$h" stats || return 1
	runctr "$h" stats c "$SLEEP" || return 1
	for i in $(seq 30); do
		ws=$(crictl stats -o json "$CID" | jq -r '.stats[0].memory.workingSetBytes.value // 0')
		[ "${ws:-0}" -gt 0 ] && break
		sleep 0.2
	done
	[ "${ws:-0}" -gt 0 ] || fail "crictl stats: working set ${ws:-none}"
	crictl stats "$CID" | tail -n +2 | grep -q "$(echo "$CID" | cut -c1-13)" || fail "crictl stats table lacks the container"
}

case_containerd_restart() {
	local h=$1 out
	runpod "$h" restart || return 1
	runctr "$h" restart c "$SLEEP" || return 1
	stop_containerd
	start_containerd
	[ "$(crictl inspectp "$POD" | jq -r .status.state)" = SANDBOX_READY ] || fail "pod not ready after the restart" || return 1
	crictl pods -q --id "$POD" | grep -q . || fail "pod not listed after the restart" || return 1
	[ "$(field "$CID" .status.state)" = CONTAINER_RUNNING ] || fail "container not running after the restart" || return 1
	out=$(sx "$CID" echo still-here) && [ "$out" = still-here ] || fail "exec after the restart: $out" || return 1
	crictl stopp "$POD" >/dev/null || fail "stopp after the restart" || return 1
	[ "$(field "$CID" .status.state)" = CONTAINER_EXITED ] || fail "container not exited after stopp"
	crictl rmp "$POD" >/dev/null || fail "rmp after the restart"
	POD=""
}

# A container with a terminal: the shim hands the runtime a console socket.
case_tty_container() {
	local h=$1 out i
	runpod "$h" tty || return 1
	EXTRA='.tty = true | .stdin = true'
	runctr "$h" tty c '["sh", "-c", "tty; stty size; exec sleep 100000"]' || return 1
	for i in $(seq 50); do
		out=$(crictl logs "$CID" 2>&1 | tr -d '\r')
		case $out in /dev/pts/*) break ;; esac
		sleep 0.1
	done
	SEEN=$(echo "$out" | head -n 1)
	case $out in /dev/pts/0*) ;; *) fail "tty in the container: '$out'" ;; esac
	[ "$(field "$CID" .status.state)" = CONTAINER_RUNNING ] || fail "not running"
}

# What the kubelet mounts into every pod: volumes read-write and read-only,
# a file at /dev/termination-log, a mountpoint the image lacks under a
# read-only rootfs, and a HostToContainer (rslave) volume that sees a mount
# made on the host after the start.
case_volumes() {
	local h=$1 out v="$TMP/vol-$1"
	mkdir -p "$v/rw" "$v/ro" "$v/prop"
	echo from-host >"$v/ro/file"
	: >"$v/termination-log"
	# HostToContainer needs a shared or slave source; in this private
	# namespace, make one.
	mount --bind "$v/prop" "$v/prop"
	mount --make-shared "$v/prop"
	runpod "$h" vol || return 1
	EXTRA=$(printf '.mounts = [
		{"container_path": "/data/rw", "host_path": "%s/rw"},
		{"container_path": "/data/ro", "host_path": "%s/ro", "readonly": true},
		{"container_path": "/dev/termination-log", "host_path": "%s/termination-log"},
		{"container_path": "/new/prop", "host_path": "%s/prop", "propagation": 1}]' "$v" "$v" "$v" "$v")
	runctr "$h" vol c "$SLEEP" '{"readonly_rootfs": true}' || return 1
	out=$(sx "$CID" sh -c 'echo w > /data/rw/f && cat /data/ro/file && { echo x > /data/ro/f || true; } && echo done > /dev/termination-log') ||
		fail "volumes: $out" || return 1
	SEEN=$(echo $out)
	[ "$(cat "$v/rw/f")" = w ] || fail "rw volume: the host does not see the write" || return 1
	[ "$(cat "$v/termination-log")" = done ] || fail "termination-log not written through" || return 1
	case $out in "from-host"*"Read-only file system"*) ;; *) fail "ro volume: $out" || return 1 ;; esac
	mkdir -p "$v/prop/sub"
	mount -t tmpfs -o size=1m late "$v/prop/sub"
	echo late >"$v/prop/sub/file"
	out=$(sx "$CID" cat /new/prop/sub/file)
	umount "$v/prop/sub"
	[ "$out" = late ] || fail "HostToContainer: a later host mount is not seen: $out"
	crictl stopp "$POD" >/dev/null 2>&1
	crictl rmp "$POD" >/dev/null 2>&1
	POD=""
	umount "$v/prop"
}

# The pod's hostname, DNS config and namespaced sysctls.
case_pod_dns_sysctls() {
	local h=$1 out d="$TMP/cases/dns-$1"
	mkdir -p "$d" "$TMP/logs/dns-$h"
	cat >"$d/pod.json" <<JSON
{"metadata": {"name": "dns-$h", "namespace": "cri-test", "uid": "uid-dns-$h", "attempt": 0},
 "hostname": "pod-$h", "log_directory": "$TMP/logs/dns-$h",
 "dns_config": {"servers": ["192.0.2.53"], "searches": ["svc.cluster.local"], "options": ["ndots:5"]},
 "linux": {"cgroup_parent": "$CGPARENT",
           "sysctls": {"net.ipv4.ip_unprivileged_port_start": "80", "kernel.shm_rmid_forced": "1"},
           "security_context": {"namespace_options": {"pid": 1}}}}
JSON
	PIDMODE=1
	POD=$(crictl runp --runtime "$h" "$d/pod.json" 2>"$d/runp.err") || fail "runp: $(cat "$d/runp.err")" || return 1
	runctr "$h" dns c "$SLEEP" '{}' '{}' || return 1
	out=$(sx "$CID" sh -c 'hostname; cat /etc/hostname; grep -v "^#" /etc/resolv.conf; cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shm_rmid_forced')
	SEEN=$(echo $out | sed "s/$h/HANDLER/g")
	[ "$SEEN" = "pod-HANDLER pod-HANDLER search svc.cluster.local nameserver 192.0.2.53 options ndots:5 80 1" ] || fail "got: $out"
}

# Env, working directory, args after the command, as a pod spec gives them.
case_env_workdir() {
	local h=$1 out
	runpod "$h" env || return 1
	EXTRA='.args = ["echo \"$GREETING from $(pwd) as $(id -u)\"; exec sleep 100000"] | .working_dir = "/tmp" | .envs = [{"key": "GREETING", "value": "hi there"}]'
	runctr "$h" env c '["sh", "-c"]' || return 1
	local i
	for i in $(seq 50); do
		out=$(crictl logs "$CID" 2>&1)
		[ -n "$out" ] && break
		sleep 0.1
	done
	SEEN=$out
	[ "$out" = "hi there from /tmp as 0" ] || fail "got: $out"
	out=$(sx "$CID" sh -c 'echo "$GREETING $(pwd) $PATH"')
	[ "$out" = "hi there /tmp /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ] || fail "exec's env: $out"
}

# The kubelet's CPU manager and in-place pod resize change a running
# container's resources: containerd's shim runs the runtime's `update`.
case_update_resources() {
	local h=$1 pid out
	runpod "$h" update || return 1
	runctr "$h" update c "$SLEEP" '{}' '{"cpu_period": 100000, "cpu_quota": 50000, "cpu_shares": 512, "memory_limit_in_bytes": 67108864}' || return 1
	out=$(crictl update --memory 134217728 --cpu-quota 30000 --cpu-share 256 "$CID" 2>&1) || fail "crictl update: $out" || return 1
	pid=$(field "$CID" .info.pid)
	SEEN="mem=$(cgfile "$pid" memory memory.limit_in_bytes) quota=$(cgfile "$pid" cpu cpu.cfs_quota_us) shares=$(cgfile "$pid" cpu cpu.shares)"
	[ "$SEEN" = "mem=134217728 quota=30000 shares=256" ] || fail "after update: $SEEN"
}

# More of what the kubelet sends in every container's resources: its
# oom_score_adj (raised here; restrict_oom_score_adj keeps it from going
# below containerd's own), a cpuset, and a hugetlb limit of 0 for every
# page size the pod did not ask for (hugetlb is on the cgroup2 mount
# here, so a v1 runtime has no hugetlb hierarchy to write it to).
case_resources_kubelet() {
	local h=$1 pid out
	runpod "$h" reskub || return 1
	runctr "$h" reskub c "$SLEEP" '{}' '{"cpu_shares": 2, "oom_score_adj": 1000, "cpuset_cpus": "0", "cpuset_mems": "0", "hugepage_limits": [{"page_size": "2MB", "limit": 0}]}' || return 1
	pid=$(field "$CID" .info.pid)
	out=$(sx "$CID" sh -c 'cat /proc/1/oom_score_adj; grep Cpus_allowed_list /proc/1/status | cut -f2')
	SEEN="$(echo $out) cpuset=$(cgfile "$pid" cpuset cpuset.cpus) shares=$(cgfile "$pid" cpu cpu.shares)"
	[ "$SEEN" = "1000 0 cpuset=0 shares=2" ] || fail "got: $SEEN"
}

# A container whose command is not in the image: the start fails, the
# error reaches crictl, and the container is left exited.
case_start_error() {
	local h=$1 out
	runpod "$h" starterr || return 1
	CID=$(mkctr "$h" starterr c '["/no/such/binary"]') || fail "$CID" || return 1
	out=$(crictl start "$CID" 2>&1) && fail "started a missing binary" && return 1
	errline "$h" "missing command, crictl start" "$out"
	case $out in *"/no/such/binary"*) ;; *) fail "the error does not name the binary: $out" || return 1 ;; esac
	SEEN="state=$(field "$CID" .status.state) exitCode=$(field "$CID" .status.exitCode) reason=$(field "$CID" .status.reason)"
}

# exec as a probe does: a missing binary, a non-zero status, a timeout.
case_exec_probe() {
	local h=$1 out rc t0
	runpod "$h" probe || return 1
	runctr "$h" probe c "$SLEEP" || return 1
	sx "$CID" sh -c 'exit 7' >/dev/null
	rc=$?
	[ "$rc" = 7 ] || fail "exec status $rc, want 7" || return 1
	out=$(crictl exec -s "$CID" /no/such/binary 2>&1) && fail "exec of a missing binary succeeded" && return 1
	errline "$h" "missing binary, crictl exec -s" "$out"
	t0=$(date +%s)
	crictl exec -s --timeout 1 "$CID" sleep 30 >/dev/null 2>&1 && fail "exec --timeout 1 of sleep 30 succeeded" && return 1
	[ $(($(date +%s) - t0)) -lt 10 ] || fail "exec --timeout 1 took $(($(date +%s) - t0)) s" || return 1
	sleep 0.5
	out=$(sx "$CID" ps -o args | grep -c '^sleep 30' || true)
	SEEN="status=$rc timed-out-left=$out"
	[ "$out" = 0 ] || fail "the timed-out exec's process is still there"
}

# Stopping a container in a pod that shares its pid namespace: the
# container's own pid 1 is not the namespace's, so the shim kills the
# rest with `kill --all`.
case_stop_shared_pid() {
	local h=$1 out
	runpod "$h" stopall 0 || return 1
	runctr "$h" stopall c '["sh", "-c", "sleep 100002 & sleep 100003 & wait"]' || return 1
	sleep 0.3
	runctr "$h" stopall watcher "$SLEEP" || return 1
	local w=$CID
	out=$(sx "$w" ps -o args | grep -c '^sleep 10000[23]' || true)
	[ "$out" = 2 ] || fail "the watcher sees $out of the two sleeps" || return 1
	crictl stop -t 2 "$(crictl ps -q --pod "$POD" --name '^c$')" >/dev/null || fail "stop" || return 1
	sleep 0.3
	out=$(sx "$w" ps -o args | grep -c '^sleep 10000[23]' || true)
	SEEN="left=$out"
	[ "$out" = 0 ] || fail "$out of the container's processes outlived its stop"
}

# hostNetwork, hostPID and hostIPC, as node agents (kube-proxy, CNI and
# CSI daemons, exporters) run: the container is in the node's namespaces
# (here those of this script), and /proc shows the node's processes.
case_host_namespaces() {
	local h=$1 d="$TMP/cases/hostns-$1" out
	mkdir -p "$d" "$TMP/logs/hostns-$h"
	cat >"$d/pod.json" <<JSON
{"metadata": {"name": "hostns-$h", "namespace": "cri-test", "uid": "uid-hostns-$h", "attempt": 0},
 "log_directory": "$TMP/logs/hostns-$h",
 "linux": {"cgroup_parent": "$CGPARENT",
           "security_context": {"namespace_options": {"network": 2, "pid": 2, "ipc": 2}}}}
JSON
	PIDMODE=2
	POD=$(crictl runp --runtime "$h" "$d/pod.json" 2>"$d/runp.err") || fail "runp: $(cat "$d/runp.err")" || return 1
	EXTRA='.linux.security_context.namespace_options.network = 2 | .linux.security_context.namespace_options.ipc = 2'
	runctr "$h" hostns c "$SLEEP" || return 1
	out=$(sx "$CID" sh -c 'for n in net ipc pid; do readlink /proc/self/ns/$n; done; ps -o args | grep -c "^containerd --config"')
	local want
	want="$(readlink /proc/self/ns/net) $(readlink /proc/self/ns/ipc) $(readlink /proc/self/ns/pid) 1"
	SEEN="host namespaces: $([ "$(echo $out)" = "$want" ] && echo yes || echo no)"
	[ "$(echo $out)" = "$want" ] || fail "got '$(echo $out)', want '$want'"
}

# A Bidirectional volume (CSI node plugins): a mount the privileged
# container makes under it appears on the host.
case_volume_bidirectional() {
	local h=$1 v="$TMP/bidir-$1" d="$TMP/cases/bidir-$1" out
	mkdir -p "$v"
	mount --bind "$v" "$v"
	mount --make-shared "$v"
	runpod "$h" bidir 1 true || return 1
	EXTRA=".mounts = [{\"container_path\": \"/vol\", \"host_path\": \"$v\", \"propagation\": 2}]"
	runctr "$h" bidir c "$SLEEP" '{"privileged": true}' || return 1
	out=$(sx "$CID" sh -c 'mkdir -p /vol/sub && mount -t tmpfs -o size=1m from-ctr /vol/sub && echo hi > /vol/sub/f && echo mounted') ||
		fail "mount in the container: $out" || return 1
	out=$(cat "$v/sub/f" 2>&1)
	SEEN="host sees: $out"
	sx "$CID" umount /vol/sub >/dev/null
	crictl stopp "$POD" >/dev/null 2>&1
	crictl rmp "$POD" >/dev/null 2>&1
	POD=""
	umount "$v/sub" 2>/dev/null
	umount "$v"
	[ "$out" = hi ] || fail "the container's mount did not reach the host: $out"
}

# What engines ask the binary itself: containerd's shim reads `features`
# (containerd 2.x for idmap mounts and rro), and docker, podman and
# nerdctl parse `--version`. Both must answer in runc's shape.
case_engine_checks() {
	local h=$1 bin v f
	bin=$MINIRUN
	[ "$h" = runc ] && bin=$RUNC
	v=$("$bin" --version) || fail "--version failed" || return 1
	f=$("$bin" features) || fail "features failed" || return 1
	SEEN="version-lines=$(echo "$v" | sed -n '1s/^[a-z]* version .*/NAME version X/p; 2,$s/:.*//p' | tr '\n' ',')"
	SEEN="$SEEN features=$(echo "$f" | jq -c '[keys_unsorted[]] | sort')"
	# The keys runc 1.1 reports; minirun may report more (memoryPolicy,
	# netDevices, newer spec fields runc 1.1 predates), never fewer.
	SEEN="$SEEN linux=$(echo "$f" | jq -c '[.linux | keys[] | select(IN("apparmor", "capabilities", "cgroup", "namespaces", "seccomp", "selinux"))]')"
	echo "$v" | grep -q "^spec: 1\." || fail "--version names no spec version: $v" || return 1
	echo "$f" | jq -e '.ociVersionMax and (.linux.namespaces | length > 6) and .linux.seccomp.enabled and .annotations["io.github.seccomp.libseccomp.version"]' >/dev/null ||
		fail "features: $(echo "$f" | jq -c .)"
}

# CRI_SH_DEBUG=CMDS runs CMDS with containerd up instead of the cases.
[ -z "${CRI_SH_DEBUG:-}" ] || { eval "$CRI_SH_DEBUG"; exit 0; }

CASES="engine_checks lifecycle exit_code shared_ns_pod_pid shared_ns_container_pid seccomp_runtime_default
seccomp_localhost_deny seccomp_unconfined caps_default caps_add_drop run_as_user readonly_rootfs
privileged no_new_privs masked_paths resources oom_killed stats containerd_restart
tty_container volumes pod_dns_sysctls env_workdir update_resources resources_kubelet start_error
exec_probe stop_shared_pid host_namespaces volume_bidirectional"
[ -z "${CRI_CASES:-}" ] || CASES=$CRI_CASES

declare -A RESULT SEENBY
failed=0
start=$(date +%s)
for c in $CASES; do
	for h in minirun runc; do
		POD="" WHY="" SEEN="" CID="" EXTRA=""
		if "case_$c" "$h" && [ -z "$WHY" ]; then
			RESULT[$h.$c]=ok
			echo "ok: $h: $c${SEEN:+ ($SEEN)}"
		else
			RESULT[$h.$c]="FAIL: ${WHY:-failed}"
			echo "FAIL: $h: $c: ${WHY:-failed}"
			failed=1
		fi
		SEENBY[$h.$c]=$SEEN
		if [ -n "$POD" ]; then
			crictl stopp "$POD" >/dev/null 2>&1 || true
			crictl rmp -f "$POD" >/dev/null 2>&1 || true
		fi
	done
	if [ "${SEENBY[minirun.$c]}" != "${SEENBY[runc.$c]}" ]; then
		echo "FAIL: $c: minirun and runc differ: minirun '${SEENBY[minirun.$c]}', runc '${SEENBY[runc.$c]}'"
		failed=1
	fi
done

# Every pod is gone: nothing of theirs may be left, by either runtime.
left=$(crictl pods -q)
[ -z "$left" ] || { echo "FAIL: pods left: $left"; failed=1; }
left=$(find /sys/fs/cgroup -mindepth 2 -path "*${CGPARENT}/*" -type d 2>/dev/null)
[ -z "$left" ] || { echo "FAIL: cgroups left: $left"; failed=1; }
left=$(grep " $TMP" /proc/self/mountinfo | cut -d' ' -f5)
[ -z "$left" ] || { echo "FAIL: mounts left: $left"; failed=1; }
left=$(ls "$TMP/minirun-root/k8s.io" "$TMP/runc-root/k8s.io" 2>/dev/null | grep -v '^/\|^$' || true)
[ -z "$left" ] || { echo "FAIL: runtime state left: $left"; failed=1; }

echo
printf '%-26s %-10s %s\n' case minirun runc
for c in $CASES; do
	printf '%-26s %-10s %s\n' "$c" "${RESULT[minirun.$c]%%:*}" "${RESULT[runc.$c]%%:*}"
done
if [ -s "$TMP/errors.txt" ]; then
	echo "errors as crictl reports them:"
	cat "$TMP/errors.txt"
fi
echo "cri.sh: $(($(date +%s) - start)) s for the cases"
if [ "$failed" = 0 ]; then echo PASS; else echo FAIL; exit 1; fi
