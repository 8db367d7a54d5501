#!/bin/bash
# dockerd.sh MINIRUN: Docker Engine's path to minirun, end to end.
#
# Debian's dockerd (20.10, with the containerd it starts itself and the
# runc v2 shim) knows two runtimes, `minirun` (MINIRUN, added under
# "runtimes" in daemon.json) and `runc`, and the docker client drives both
# through the same cases: the seed article's three scenes, word for word,
# and a day of Docker use. A case must pass under minirun whenever it
# passes under runc on this host, and what it observed must be the same
# under both. Each case prints "ok: RUNTIME: CASE" or "FAIL: RUNTIME:
# CASE: why"; a table of both runtimes' results and "PASS" or "FAIL" close
# the output.
#
# dockerd runs in private network, mount and pid namespaces, with no
# bridge and no iptables rules; its data root, exec root, pidfile, socket,
# trust key, its containerd's root and state, and both runtimes' state
# live under one temporary directory, /run is a tmpfs of the namespace
# (the shims put their sockets under /run/containerd) and the host's
# /var/lib/docker, /etc/docker and ~/.docker are never read or written.
# The containers' cgroups sit under a parent of this run's own
# (--cgroup-parent). When the script ends, the containers are removed,
# dockerd is stopped, the namespace's PID 1 exits (so no process can
# outlive it), the cgroup parent is removed from every hierarchy, and the
# host is checked for cgroups, mounts, processes and interfaces left.
#
# Installs what is missing from Debian: docker.io, runc, busybox-static,
# jq (no service is started).
#
# Exit codes: 0 PASS or skipped (not root), 1 FAIL.
set -eu

self=$(readlink -f "$0")
here=$(dirname "$self")

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: dockerd.sh runs Docker Engine and real containers, and needs root"
	exit 0
fi

# Stage 1, on the host: install, then run this script again as the PID 1
# of new private network, mount and pid namespaces, a bash that reaps
# every orphan (the shims re-parent themselves to it); then check what
# the host kept.
if [ "${DOCKERD_SH_STAGE:-}" != inner ]; then
	MINIRUN=$(readlink -f "${1:?usage: dockerd.sh MINIRUN}")
	[ -x "$MINIRUN" ] || { echo "FAIL: $MINIRUN is not an executable"; exit 1; }
	missing=""
	[ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || missing="$missing docker.io"
	command -v runc >/dev/null 2>&1 || missing="$missing runc"
	command -v busybox >/dev/null 2>&1 || missing="$missing busybox-static"
	command -v jq >/dev/null 2>&1 || missing="$missing jq"
	command -v script >/dev/null 2>&1 || missing="$missing bsdutils"
	if [ -n "$missing" ]; then
		echo "dockerd.sh: installing:$missing"
		# docker.io's postinst would start the host's dockerd: policy-rc.d
		# says no while apt runs, if the machine has none of its own.
		prc=""
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			prc=/usr/sbin/policy-rc.d
			# Removed however the install ends, or every later package's
			# service would be kept from starting.
			trap '[ -z "$prc" ] || rm -f "$prc"' EXIT INT TERM
			printf '#!/bin/sh\nexit 101\n' >"$prc" && chmod 755 "$prc"
		fi
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) >/dev/null 2>&1 ||
			{ echo "FAIL: apt-get install$missing"; exit 1; }
		[ -z "$prc" ] || rm -f "$prc"
		prc=""
		trap - EXIT INT TERM
		# The package enables the host's dockerd for the next boot; this
		# test installed it only to run its own.
		case "$missing" in
		*docker.io*) systemctl disable docker.service docker.socket >/dev/null 2>&1 || true ;;
		esac
	fi
	TMP=$(mktemp -d /tmp/minirun-dockerd-XXXXXX)
	chmod 755 "$TMP"
	CGPARENT=/minirun-dockerd-$$-${TMP##*-}
	# What the host has before, to compare after.
	links_before=$(ip -o link 2>/dev/null | awk -F': ' '{print $2}' | sort)
	docker_cg_before=$(ls -d /sys/fs/cgroup/docker /sys/fs/cgroup/*/docker 2>/dev/null || true)
	etc_before=$(ls -A /etc/docker 2>/dev/null || true)
	export MINIRUN TMP CGPARENT DOCKERD_SH_STAGE=inner
	rc=0 host=0
	unshare --net --mount --pid --fork --mount-proc --propagation private -- \
		bash -c '"$@" & wait $!' bash "$self" || rc=$?
	# The namespace's PID 1 has exited, so every process in it is gone;
	# the cgroups they were in can go now.
	for d in $(find /sys/fs/cgroup -maxdepth 2 -type d -name "${CGPARENT#/}" 2>/dev/null); do
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	# dockerd puts nothing under /docker with a cgroup parent of its own;
	# if one appeared anyway, it is this run's.
	if [ -z "$docker_cg_before" ]; then
		for d in $(ls -d /sys/fs/cgroup/docker /sys/fs/cgroup/*/docker 2>/dev/null); do
			echo "FAIL: dockerd made $d on the host"
			find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
			rc=1 host=1
		done
	fi
	left=$(find /sys/fs/cgroup -maxdepth 2 -type d -name "${CGPARENT#/}" 2>/dev/null)
	[ -z "$left" ] || { echo "FAIL: cgroups left: $left"; rc=1 host=1; }
	left=$(grep " $TMP" /proc/self/mountinfo | cut -d' ' -f5)
	[ -z "$left" ] || { echo "FAIL: mounts left on the host: $left"; rc=1 host=1; }
	left=""
	for f in /proc/[0-9]*/cmdline; do
		c=$(tr '\0' ' ' <"$f" 2>/dev/null) || continue
		case $c in *"$TMP"*) left="$left
  ${f#/proc/}: $c" ;; esac
	done
	[ -z "$left" ] || { echo "FAIL: processes left:$left"; rc=1 host=1; }
	links_after=$(ip -o link 2>/dev/null | awk -F': ' '{print $2}' | sort)
	[ "$links_before" = "$links_after" ] || { echo "FAIL: the host's interfaces changed: $(echo $links_after)"; rc=1 host=1; }
	etc_after=$(ls -A /etc/docker 2>/dev/null || true)
	[ "$etc_before" = "$etc_after" ] || { echo "FAIL: /etc/docker changed: $(echo $etc_after)"; rc=1 host=1; }
	rm -rf "$TMP"
	[ "$host" = 0 ] || echo "FAIL (what the host kept)"
	[ "$rc" = 0 ] || exit 1
	exit 0
fi

# Stage 2, in the namespaces.
RUNC=$(command -v runc)
DOCKER=/usr/bin/docker
DOCKERD=/usr/sbin/dockerd
D_PID=""
export DOCKER_HOST=unix://$TMP/docker.sock DOCKER_CONFIG=$TMP/client

dk() { "$DOCKER" "$@"; }

# A stop leaves nothing: every container removed, dockerd (and with it
# its containerd) stopped, what a failed case left mounted unmounted.
cleanup() {
	set +e
	if [ -n "$D_PID" ] && kill -0 "$D_PID" 2>/dev/null; then
		dk ps -aq | xargs -r "$DOCKER" rm -f >/dev/null 2>&1
		kill "$D_PID"
		wait "$D_PID" 2>/dev/null
	fi
	grep " $TMP" /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n 1 umount -l 2>/dev/null
}
trap cleanup EXIT

# /run is this namespace's own: the shims' sockets go to /run/containerd
# whatever containerd's state directory is. The namespace's /etc/docker is
# empty, so that nothing of the host's is read and nothing is written
# there (dockerd 20.10 writes a trust key there unless told otherwise).
mount -t tmpfs -o mode=755 tmpfs /run
if [ -d /etc/docker ]; then
	mkdir -p "$TMP/etc-docker"
	mount --bind "$TMP/etc-docker" /etc/docker
fi
mkdir -p "$TMP/client" "$TMP/cases"

# daemon_json DEFAULT-RUNTIME: dockerd's configuration.
daemon_json() {
	cat >"$TMP/daemon.json" <<EOF
{
  "runtimes": {"minirun": {"path": "$MINIRUN"}},
  "default-runtime": "$1",
  "data-root": "$TMP/data",
  "exec-root": "$TMP/exec",
  "pidfile": "$TMP/docker.pid",
  "hosts": ["unix://$TMP/docker.sock"],
  "deprecated-key-path": "$TMP/key.json",
  "storage-driver": "vfs",
  "bridge": "none",
  "iptables": false,
  "ip6tables": false,
  "cgroup-parent": "$CGPARENT",
  "exec-opts": ["native.cgroupdriver=cgroupfs"]
}
EOF
	# scripts/bench-docker.sh reuses this set-up with more runtimes and
	# Docker's bridge (in this private network namespace): a jq filter
	# over the configuration.
	if [ -n "${DOCKERD_SH_DAEMON_JQ:-}" ]; then
		jq "$DOCKERD_SH_DAEMON_JQ" "$TMP/daemon.json" >"$TMP/daemon.json.new" && mv "$TMP/daemon.json.new" "$TMP/daemon.json"
	fi
}

# start_dockerd DEFAULT-RUNTIME. Where root lacks CAP_SYS_RESOURCE (the
# test VM), nothing may raise a hard limit, and dockerd and its containerd
# run with the small limits podman.sh gives podman there (nofile 1024,
# nproc 4096). Their temporary files go under $TMP too: dockerd asks a
# containerd it finds slow to answer for a stack dump (SIGUSR1) before it
# restarts it, and containerd writes that to the temporary directory,
# where it would outlive the run.
start_dockerd() {
	daemon_json "$1"
	(ulimit -n 1024 -u 4096 && TMPDIR=$TMP exec "$DOCKERD" --config-file "$TMP/daemon.json") >>"$TMP/dockerd.log" 2>&1 &
	D_PID=$!
	local i
	for i in $(seq 150); do
		dk version >/dev/null 2>&1 && return 0
		kill -0 "$D_PID" 2>/dev/null || break
		sleep 0.2
	done
	echo "FAIL: dockerd did not start; its log:"
	tail -n 30 "$TMP/dockerd.log"
	exit 1
}
stop_dockerd() {
	dk ps -aq | xargs -r "$DOCKER" rm -f >/dev/null 2>&1 || true
	kill "$D_PID"
	wait "$D_PID" 2>/dev/null || true
	D_PID=""
}

start_dockerd runc
dk info --format '{{json .Runtimes}}' | jq -e '.minirun' >/dev/null || { echo "FAIL: dockerd does not list minirun"; exit 1; }

# --- the image: the test rootfs, alpine's userland, under alpine's name ------
"$here/mkrootfs.sh" "$TMP/rootfs" >/dev/null
tar -C "$TMP/rootfs" --numeric-owner -c . | dk import --change 'CMD ["/bin/sh"]' - alpine:latest >/dev/null ||
	{ echo "FAIL: docker import"; exit 1; }
rm -rf "$TMP/rootfs"
echo "dockerd.sh: Docker Engine $(dk version --format '{{.Server.Version}}'), runc $("$RUNC" --version | awk 'NR == 1 {print $3}'), alpine imported"

# The article's deny-all profile.
cat >"$TMP/deny.json" <<'JSON'
{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": [
    "SCMP_ARCH_X86_64"
  ],
  "syscalls": []
}
JSON

# --- helpers for the cases ----------------------------------------------------
# A case is a function of one argument, the runtime. It sets WHY and fails
# when it fails; it may set SEEN to what it observed, which must be the
# same under both runtimes. Every container is removed after each case.
WHY=""
SEEN=""
fail() { WHY="$*"; return 1; }

# errline RUNTIME WHAT DOCKER-OUTPUT: keep the daemon's error for the summary.
errline() {
	echo "$3" | grep -q 'Error response from daemon' || return 0
	printf '  %-8s %s: %s\n' "$1" "$2" "$(echo "$3" | grep -m 1 'Error response from daemon' | sed 's/[0-9a-f]\{64\}/ID/g')" >>"$TMP/errors.txt"
}

# tty CMD...: run the docker client under script(1), which gives it a
# terminal; stdin is what the terminal's user types. The output loses the
# pty's carriage returns and the NUL it puts first now and then (raw, or
# echoed as ^@); the status is the client's.
tty() {
	local rc=0
	script -qec "$(printf '%q ' "$@")" /dev/null >"$TMP/tty.out" 2>&1 || rc=$?
	tr -d '\r\000' <"$TMP/tty.out" | sed 's/\^@//g'
	return "$rc"
}

# pidof NAME: the host pid of a container's process 1.
pidof_ctr() { dk inspect -f '{{.State.Pid}}' "$1"; }

# cgfile PID CONTROLLER FILE: a file of the v1 cgroup the process is in.
cgfile() {
	local p
	p=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
	cat "/sys/fs/cgroup/$2$p/$3"
}

# wait_for SECONDS CMD...: until CMD succeeds.
wait_for() {
	local n=$(($1 * 10)) i
	shift
	for i in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# state NAME: the container's status (running, exited, paused, ...).
state() { dk inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }

# bg RUNTIME NAME ARGS...: docker run -d; fails the case when it fails.
bg() {
	local h=$1 n=$2 out
	shift 2
	out=$(dk run -d --name "$n" --runtime "$h" "$@" 2>&1) || { errline "$h" "run -d $n" "$out"; fail "run -d $n: $out"; }
}

# --- the article's three scenes -----------------------------------------------

# Scene 1: a profile that allows nothing; the container does not start.
case_scene_deny_all() {
	local h=$1 out rc=0
	out=$(cd "$TMP" && tty "$DOCKER" run --rm -it --runtime "$h" --security-opt seccomp=deny.json alpine sh </dev/null) || rc=$?
	errline "$h" "seccomp=deny.json" "$out"
	SEEN="exit=$rc"
	[ "$rc" != 0 ] || fail "the container started: $out" || return 1
	echo "$out" | grep -q 'Error response from daemon' || fail "no error from the daemon: $out" || return 1
	[ -z "$(dk ps -aq)" ] || fail "--rm left the container"
}

# Scene 2: Docker's default profile; unshare is not permitted.
case_scene_default_unshare() {
	local h=$1 out rc=0
	# The shell's `exit` returns unshare's status.
	out=$(printf 'unshare\nexit\n' | tty "$DOCKER" run --rm -it --runtime "$h" alpine sh) || rc=$?
	SEEN="$(echo "$out" | grep -m 1 '^unshare:' || true) exit=$rc"
	[ "$SEEN" = "unshare: unshare(0x0): Operation not permitted exit=1" ] || fail "got exit $rc: $out"
}

# Scene 3: seccomp=unconfined; unshare --user makes root nobody.
case_scene_unconfined() {
	local h=$1 out
	out=$(printf 'whoami\nunshare --user\nwhoami\nexit\nwhoami\nexit\n' |
		tty "$DOCKER" run --rm -it --runtime "$h" --security-opt seccomp=unconfined alpine sh) || fail "run: $out" || return 1
	SEEN=$(echo "$out" | grep -x 'root\|nobody' | tr '\n' ' ')
	[ "$SEEN" = "root nobody root " ] || fail "whoami said '$SEEN': $out"
}

# --- a day of Docker use --------------------------------------------------------

# run: output, exit status, stdin, env, workdir, hostname, --rm.
case_run() {
	local h=$1 out rc=0
	out=$(dk run --rm --runtime "$h" -e GREETING=hi -w /tmp -h box alpine sh -c 'echo "$GREETING $(pwd) $(hostname)"') ||
		fail "run: $out" || return 1
	[ "$out" = "hi /tmp box" ] || fail "got: $out" || return 1
	dk run --rm --runtime "$h" alpine sh -c 'exit 42' || rc=$?
	[ "$rc" = 42 ] || fail "exit status $rc, want 42" || return 1
	out=$(echo piped | dk run --rm -i --runtime "$h" alpine cat) && [ "$out" = piped ] || fail "run -i: $out" || return 1
	out=$(dk run --rm --runtime "$h" alpine /no/such/binary 2>&1) && fail "a missing binary ran" && return 1
	rc=$?
	errline "$h" "missing binary" "$out"
	SEEN="missing-binary-exit=$rc"
	[ -z "$(dk ps -aq)" ] || fail "--rm left containers"
}

# -it: a terminal of the right size.
case_run_it() {
	local h=$1 out
	out=$(tty "$DOCKER" run --rm -it --runtime "$h" alpine sh -c 'tty; [ -t 0 ] && echo stdin-is-a-tty' </dev/null) || fail "run -it: $out" || return 1
	SEEN=$(echo $out)
	[ "$SEEN" = "/dev/pts/0 stdin-is-a-tty" ] || fail "got: $out"
}

case_exec() {
	local h=$1 out rc=0
	bg "$h" cx alpine sleep 100000 || return 1
	out=$(dk exec cx sh -c 'echo exec-ok; tr "\0" " " </proc/1/cmdline') || fail "exec: $out" || return 1
	[ "$out" = "exec-ok
sleep 100000 " ] || fail "exec output: $out" || return 1
	out=$(dk exec -u 1000 -w /tmp -e A=b cx sh -c 'echo $(id -u) $(pwd) $A') && [ "$out" = "1000 /tmp b" ] ||
		fail "exec -u -w -e: $out" || return 1
	out=$(tty "$DOCKER" exec -it cx tty </dev/null) || fail "exec -it: $out" || return 1
	case $out in /dev/pts/*) ;; *) fail "exec -it: tty says '$out'" || return 1 ;; esac
	out=$(echo piped | dk exec -i cx cat) && [ "$out" = piped ] || fail "exec -i: '$out'" || return 1
	dk exec cx sh -c 'exit 7' || rc=$?
	[ "$rc" = 7 ] || fail "exec status $rc, want 7" || return 1
	out=$(dk exec cx /no/such/binary 2>&1) && fail "exec of a missing binary succeeded" && return 1
	rc=$?
	errline "$h" "exec of a missing binary" "$out"
	dk exec -d cx sleep 100001 || fail "exec -d" || return 1
	wait_for 5 sh -c "$DOCKER top cx | grep -q 'sleep 100001'" || fail "exec -d's process is not running"
	SEEN="exec-missing-exit=$rc"
}

case_logs() {
	local h=$1 out
	bg "$h" cl alpine sh -c 'echo to-stdout; echo to-stderr >&2; exec sleep 100000' || return 1
	wait_for 5 sh -c "$DOCKER logs cl 2>&1 | grep -q to-stderr" || fail "logs: $(dk logs cl 2>&1)" || return 1
	out=$(dk logs cl 2>/dev/null)
	[ "$out" = to-stdout ] || fail "logs' stdout: $out" || return 1
	out=$(dk logs cl 2>&1 >/dev/null)
	[ "$out" = to-stderr ] || fail "logs' stderr: $out"
}

# top: the shim asks the runtime for the container's pids (`ps`).
case_top() {
	local h=$1 out
	bg "$h" ct alpine sh -c 'sleep 100001 & exec sleep 100000' || return 1
	wait_for 5 sh -c "$DOCKER top ct | grep -q 'sleep 100001'" || fail "top: $(dk top ct 2>&1)" || return 1
	out=$(dk top ct -o pid,args 2>&1) || fail "top -o pid,args: $out" || return 1
	# The pids differ from run to run; the commands must not.
	SEEN=$(echo "$out" | awk '{ $1 = ""; print }' | sort | tr '\n' ',')
}

case_pause_unpause() {
	local h=$1 pid out
	bg "$h" cp alpine sleep 100000 || return 1
	pid=$(pidof_ctr cp)
	out=$(dk pause cp 2>&1) || fail "pause: $out" || return 1
	SEEN="$(state cp) $(cgfile "$pid" freezer freezer.state)"
	out=$(dk exec cp true 2>&1) && fail "exec into a paused container succeeded" && return 1
	out=$(dk unpause cp 2>&1) || fail "unpause: $out" || return 1
	SEEN="$SEEN $(state cp) $(cgfile "$pid" freezer freezer.state)"
	[ "$SEEN" = "paused FROZEN running THAWED" ] || fail "got: $SEEN" || return 1
	out=$(dk exec cp echo back) && [ "$out" = back ] || fail "exec after unpause: $out"
}

# update: the shim hands the runtime the container's new resources.
case_update() {
	local h=$1 pid out
	bg "$h" cu --memory 64m --cpu-shares 512 alpine sleep 100000 || return 1
	out=$(dk update --memory 128m --memory-swap 256m --cpus 0.5 --cpu-shares 256 --pids-limit 50 cu 2>&1) ||
		{ errline "$h" "update" "$out"; fail "update: $out"; } || return 1
	pid=$(pidof_ctr cu)
	SEEN="mem=$(cgfile "$pid" memory memory.limit_in_bytes) memsw=$(cgfile "$pid" memory memory.memsw.limit_in_bytes 2>/dev/null)"
	SEEN="$SEEN quota=$(cgfile "$pid" cpu cpu.cfs_quota_us) shares=$(cgfile "$pid" cpu cpu.shares) pids=$(cgfile "$pid" pids pids.max)"
	out=$(dk inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' cu)
	SEEN="$SEEN inspect=$out"
	case $SEEN in "mem=134217728 "*"quota=50000 shares=256 pids=50 inspect=134217728 500000000") ;; *) fail "got: $SEEN" ;; esac
}

case_stats() {
	local h=$1 out
	bg "$h" cs alpine sleep 100000 || return 1
	out=$(dk stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' cs 2>&1) || fail "stats: $out" || return 1
	SEEN="pids=${out##* }"
	case $out in "cs "*"B / "*" 1") ;; *) fail "stats: $out" ;; esac
	case $out in "cs 0B / 0B"*) fail "stats: no memory usage: $out" ;; esac
}

# stop: TERM, then KILL after the timeout (sleep as pid 1 ignores TERM).
case_stop() {
	local h=$1 a b
	bg "$h" s1 alpine sleep 100000 || return 1
	bg "$h" s2 alpine sh -c 'trap "exit 143" TERM; while :; do sleep 1; done' || return 1
	sleep 0.3
	dk stop -t 1 s1 s2 >/dev/null || fail "stop" || return 1
	a=$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' s1)
	b=$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' s2)
	SEEN="ignores-TERM: $a; traps-TERM: $b"
	[ "$SEEN" = "ignores-TERM: exited 137; traps-TERM: exited 143" ] || fail "got: $SEEN" || return 1
	dk start s2 >/dev/null || fail "start after stop" || return 1
	[ "$(state s2)" = running ] || fail "not running after start"
	out=$(dk kill -s USR1 s1 2>&1) && fail "kill of a stopped container succeeded" && return 1
	dk kill s2 >/dev/null || fail "kill"
}

case_oom_killed() {
	local h=$1 out rc=0
	out=$(dk run --name oo --runtime "$h" --memory 16m --memory-swap 16m alpine sh -c 'tail /dev/zero' 2>&1) || rc=$?
	SEEN="exit=$rc $(dk inspect -f 'OOMKilled={{.State.OOMKilled}}' oo)"
	[ "$SEEN" = "exit=137 OOMKilled=true" ] || fail "got: $SEEN: $out"
}

case_readonly_tmpfs() {
	local h=$1 out
	out=$(dk run --rm --runtime "$h" --read-only --tmpfs /tmp alpine sh -c \
		'touch /x 2>&1; touch /tmp/y && echo tmp-ok; grep " /tmp " /proc/mounts | cut -d" " -f3,4') || fail "run: $out" || return 1
	SEEN=$(echo $out)
	case $SEEN in "touch: /x: Read-only file system tmp-ok tmpfs rw,"*) ;; *) fail "got: $out" ;; esac
}

case_user() {
	local h=$1 out
	out=$(dk run --rm --runtime "$h" -u 1000 alpine id) || fail "run -u 1000: $out" || return 1
	SEEN=$out
	case $out in "uid=1000 gid=0(root)"*) ;; *) fail "got: $out" || return 1 ;; esac
	out=$(dk run --rm --runtime "$h" -u 1000:100 --group-add 5 alpine id) || fail "run -u 1000:100: $out" || return 1
	SEEN="$SEEN; $out"
}

case_caps() {
	local h=$1 def drop add priv
	def=$(dk run --rm --runtime "$h" alpine grep CapEff /proc/self/status) || fail "run: $def" || return 1
	drop=$(dk run --rm --runtime "$h" --cap-drop ALL alpine grep CapEff /proc/self/status) || fail "--cap-drop ALL: $drop" || return 1
	add=$(dk run --rm --runtime "$h" --cap-drop ALL --cap-add NET_BIND_SERVICE --cap-add SYS_ADMIN alpine grep CapEff /proc/self/status) ||
		fail "--cap-add: $add" || return 1
	SEEN=$(echo "default $def drop $drop add $add" | tr '\t\n' '  ')
	case $SEEN in *"drop CapEff: 0000000000000000 add CapEff: 0000000000200400 ") ;; *) fail "got: $SEEN" ;; esac
}

# --privileged: every capability, every device.
case_privileged() {
	local h=$1 out
	out=$(dk run --rm --runtime "$h" --privileged alpine sh -c 'grep CapEff /proc/self/status; ls /dev | wc -l' 2>&1) ||
		{ errline "$h" "--privileged" "$out"; fail "run --privileged: $out"; } || return 1
	SEEN=$(echo $out)
}

case_pids_limit() {
	local h=$1 pid out
	bg "$h" pl --pids-limit 10 alpine sleep 100000 || return 1
	pid=$(pidof_ctr pl)
	# The sleeps must not hold exec's output open, or exec waits for them.
	out=$(dk exec pl sh -c 'for i in $(seq 15); do sleep 1000 </dev/null >/dev/null 2>&1 & done 2>&1 | grep -c "can.t fork"; true')
	SEEN="pids.max=$(cgfile "$pid" pids pids.max) refused=$out"
	case $SEEN in "pids.max=10 refused="[1-9]*) ;; *) fail "got: $SEEN" ;; esac
}

case_cpus() {
	local h=$1 pid
	bg "$h" cc --cpus 0.5 --cpu-shares 512 --cpuset-cpus 0 --memory 32m --memory-reservation 16m alpine sleep 100000 || return 1
	pid=$(pidof_ctr cc)
	SEEN="quota=$(cgfile "$pid" cpu cpu.cfs_quota_us) period=$(cgfile "$pid" cpu cpu.cfs_period_us) shares=$(cgfile "$pid" cpu cpu.shares)"
	SEEN="$SEEN cpus=$(cgfile "$pid" cpuset cpuset.cpus) mem=$(cgfile "$pid" memory memory.limit_in_bytes) soft=$(cgfile "$pid" memory memory.soft_limit_in_bytes)"
	[ "$SEEN" = "quota=50000 period=100000 shares=512 cpus=0 mem=33554432 soft=16777216" ] || fail "got: $SEEN"
}

# More of docker run's flags that reach the runtime's config: rlimits,
# /dev/shm's size, no-new-privileges, oom_score_adj, a namespaced sysctl,
# bind mounts read-write and read-only, a tmpfs mount, a device.
case_run_flags() {
	local h=$1 out v="$TMP/vol-$1"
	mkdir -p "$v/rw" "$v/ro"
	echo from-host >"$v/ro/file"
	out=$(dk run --rm --runtime "$h" --ulimit nofile=512:512 --shm-size 16m --security-opt no-new-privileges \
		--oom-score-adj 500 --sysctl net.ipv4.ip_unprivileged_port_start=80 -v "$v/rw:/data/rw" -v "$v/ro:/data/ro:ro" \
		--mount type=tmpfs,dst=/scratch,tmpfs-size=1048576 --device /dev/null:/dev/mynull alpine sh -c \
		'ulimit -n; df -k /dev/shm | awk "NR == 2 {print \$2}"; grep NoNewPrivs /proc/self/status | cut -f2
		cat /proc/self/oom_score_adj /proc/sys/net/ipv4/ip_unprivileged_port_start /data/ro/file
		echo w >/data/rw/f; { echo x >/data/ro/f; } 2>&1; grep " /scratch " /proc/mounts | cut -d" " -f3
		echo to-null >/dev/mynull && echo device-ok' 2>&1) || fail "run: $out" || return 1
	SEEN=$(echo $out)
	[ "$(cat "$v/rw/f" 2>/dev/null)" = w ] || fail "the host does not see the write to the rw volume" || return 1
	[ "$SEEN" = "512 16384 1 500 80 from-host sh: can't create /data/ro/f: Read-only file system tmpfs device-ok" ] || fail "got: $SEEN"
}

# The host's namespaces: --pid, --network, --ipc and --uts host.
case_host_namespaces() {
	local h=$1 out want
	out=$(dk run --rm --runtime "$h" --pid host --network host --ipc host --uts host alpine sh -c \
		'for n in pid net ipc uts; do readlink /proc/self/ns/$n; done; ps -o args | grep -c "^/usr/sbin/dockerd"') || fail "run: $out" || return 1
	want="$(for n in pid net ipc uts; do readlink /proc/self/ns/$n; done) 1"
	SEEN="host namespaces: $([ "$(echo $out)" = "$(echo $want)" ] && echo yes || echo no)"
	[ "$(echo $out)" = "$(echo $want)" ] || fail "got '$(echo $out)', want '$(echo $want)'"
}

# Namespaces of another container (--pid, --network and --ipc
# container:NAME, as sidecars use them), and a private cgroup namespace.
case_shared_namespaces() {
	local h=$1 out want
	bg "$h" sa --ipc shareable alpine sleep 100000 || return 1
	want=$(dk exec sa sh -c 'for n in pid net ipc; do readlink /proc/self/ns/$n; done')
	out=$(dk run --rm --runtime "$h" --pid container:sa --network container:sa --ipc container:sa alpine sh -c \
		'for n in pid net ipc; do readlink /proc/self/ns/$n; done; ps -o args | grep -c "^sleep 100000"') || fail "run: $out" || return 1
	SEEN="shared: $([ "$(echo $out)" = "$(echo $want) 1" ] && echo yes || echo no)"
	[ "$(echo $out)" = "$(echo $want) 1" ] || fail "got '$(echo $out)', want '$(echo $want) 1'" || return 1
	out=$(dk run --rm --runtime "$h" --cgroupns private alpine sh -c 'readlink /proc/self/ns/cgroup; grep "^[0-9]*:memory:" /proc/self/cgroup') ||
		fail "--cgroupns private: $out" || return 1
	[ "$(echo "$out" | head -n 1)" != "$(readlink /proc/self/ns/cgroup)" ] || fail "--cgroupns private: the host's cgroup namespace" || return 1
	SEEN="$SEEN cgroupns-private: $(echo "$out" | tail -n 1)"
}

# The rest of the resource flags: each must do what it does under runc
# on this host (a warning of dockerd's, an error, or the value in the
# cgroup).
case_resources_more() {
	local h=$1 pid out f
	# @DISK@ is the disk's device node; the flags that need one are left
	# out where there is none.
	for f in "--cpuset-mems 0" "--memory 64m --memory-swappiness 10" "--memory 64m --oom-kill-disable" \
		"--memory 64m --kernel-memory 32m" "--cpu-rt-runtime 1000" "--device-cgroup-rule='c 1:3 rmw'" \
		"--cpu-period 50000 --cpu-quota 25000" "--blkio-weight-device @DISK@:300" "--device-write-bps @DISK@:1mb" \
		"--device-read-iops @DISK@:50"; do
		case $f in *@DISK@*) [ -n "$DISK" ] || continue ;; esac
		f=${f//@DISK@/$DISK}
		out=$(eval "\"\$DOCKER\" run --rm --runtime \"\$h\" $f alpine true" 2>&1) && out="ran${out:+ ($(echo $out))}" ||
			{ errline "$h" "$f" "$out"; out="refused: $(echo "$out" | grep -o 'Error response from daemon: [^:]*' | head -n 1)"; }
		SEEN="$SEEN[$f: $out] "
	done
	[ -z "$DISK" ] || SEEN=$(echo "$SEEN" | sed "s|$DISK|DISK|g")
}

# restart, wait, kill -s with a trap, attach to a running container's
# output.
case_restart_wait_kill() {
	local h=$1 out
	bg "$h" rw alpine sh -c 'trap "echo got-HUP" HUP; echo started; while :; do sleep 0.2; done' || return 1
	dk restart -t 1 rw >/dev/null || fail "restart" || return 1
	[ "$(state rw)" = running ] || fail "not running after restart" || return 1
	wait_for 5 sh -c "[ \$($DOCKER logs rw 2>&1 | grep -c started) = 2 ]" || fail "logs after restart: $(dk logs rw 2>&1)" || return 1
	dk kill -s HUP rw >/dev/null || fail "kill -s HUP" || return 1
	wait_for 5 sh -c "$DOCKER logs rw 2>&1 | grep -q got-HUP" || fail "the HUP did not arrive" || return 1
	bg "$h" wt alpine sh -c 'sleep 1; exit 5' || return 1
	out=$(dk wait wt) || fail "wait" || return 1
	SEEN="wait=$out restarts=$(dk inspect -f '{{.RestartCount}}' rw)"
	[ "$out" = 5 ] || fail "wait said $out, want 5"
}

# --init: Docker's docker-init (tini) is process 1 and forwards the stop.
case_init() {
	local h=$1 out
	[ -x /usr/bin/docker-init ] || { SEEN="no docker-init"; return 0; }
	out=$(dk run --rm --runtime "$h" --init alpine sh -c 'cat /proc/1/comm') || fail "run --init: $out" || return 1
	SEEN="pid1=$out"
	bg "$h" ci --init alpine sleep 100000 || return 1
	dk stop -t 5 ci >/dev/null || fail "stop" || return 1
	SEEN="$SEEN stop=$(dk inspect -f '{{.State.ExitCode}}' ci)"
	[ "$SEEN" = "pid1=docker-init stop=143" ] || fail "got: $SEEN"
}

case_restart_policy() {
	local h=$1
	bg "$h" cr --restart on-failure:2 alpine sh -c 'exit 3' || return 1
	wait_for 20 sh -c "[ \"\$($DOCKER inspect -f '{{.State.Status}} {{.RestartCount}}' cr)\" = 'exited 2' ]" ||
		fail "after 20 s: $(dk inspect -f '{{.State.Status}} restarts={{.RestartCount}}' cr)" || return 1
	SEEN=$(dk inspect -f 'restarts={{.RestartCount}} exit={{.State.ExitCode}}' cr)
}

# A health check: the daemon execs it into the container.
case_healthcheck() {
	local h=$1
	bg "$h" hy --health-cmd 'test -e /proc/1' --health-interval 1s --health-retries 1 alpine sleep 100000 || return 1
	bg "$h" hn --health-cmd 'exit 1' --health-interval 1s --health-retries 1 alpine sleep 100000 || return 1
	wait_for 15 sh -c "[ \"\$($DOCKER inspect -f '{{.State.Health.Status}}' hy)\" = healthy ]" || true
	wait_for 15 sh -c "[ \"\$($DOCKER inspect -f '{{.State.Health.Status}}' hn)\" = unhealthy ]" || true
	SEEN="$(dk inspect -f '{{.State.Health.Status}}' hy) $(dk inspect -f '{{.State.Health.Status}}' hn)"
	[ "$SEEN" = "healthy unhealthy" ] || fail "got: $SEEN"
}

# The block I/O flags: where the host has no weight file (no BFQ), dockerd
# itself warns and drops the weight; the throttles reach the cgroup.
case_blkio_weight() {
	local h=$1 out rc=0
	out=$(dk run --rm --runtime "$h" --blkio-weight 300 alpine echo ran 2>&1) || rc=$?
	errline "$h" "--blkio-weight" "$out"
	SEEN="exit=$rc $(echo "$out" | sed 's/^WARNING: //' | tr '\n' ' ')"
	[ "$rc" = 0 ] || fail "$out"
}

# The first disk with a block device node, for the throttles.
DISK=""
for b in /sys/block/*; do
	n=${b##*/}
	[ -b "/dev/$n" ] && [ "$(cat "$b/size")" != 0 ] && [ ! -e "$b/device/../zram" ] || continue
	case $n in loop* | ram* | zram*) continue ;; esac
	DISK=/dev/$n
	break
done

case_blkio_throttle() {
	local h=$1 pid out
	[ -n "$DISK" ] || { SEEN="no disk"; return 0; }
	out=$(dk run -d --name bk --runtime "$h" --device-read-bps "$DISK:1mb" --device-write-iops "$DISK:100" alpine sleep 100000 2>&1) ||
		{ errline "$h" "--device-read-bps" "$out"; fail "run: $out"; } || return 1
	pid=$(pidof_ctr bk)
	SEEN="read_bps=$(cgfile "$pid" blkio blkio.throttle.read_bps_device) write_iops=$(cgfile "$pid" blkio blkio.throttle.write_iops_device)"
	SEEN=$(echo $SEEN | sed "s/$(printf '%d:%d' "0x$(stat -L -c %t "$DISK")" "0x$(stat -L -c %T "$DISK")")/DISK/g")
	[ "$SEEN" = "read_bps=DISK 1048576 write_iops=DISK 100" ] || fail "got: $SEEN"
}

# minirun as dockerd's default runtime: a run without --runtime uses it.
# dockerd is restarted with the runtime as its default, and back.
case_default_runtime() {
	local h=$1 out
	stop_dockerd
	start_dockerd "$h"
	out=$(dk run --name dr alpine sh -c 'echo from-default') || fail "run: $out"
	SEEN="$out runtime=$(dk inspect -f '{{.HostConfig.Runtime}}' dr | sed "s/^$h\$/RUNTIME/")"
	ls "$TMP/exec/runtime-$h/moby" 2>/dev/null | grep -q . && SEEN="$SEEN state-under-runtime-$h" || true
	stop_dockerd
	start_dockerd runc
	[ -z "$WHY" ] || return 1
	[ "$SEEN" = "from-default runtime=RUNTIME" ] || fail "got: $SEEN"
}

# DOCKERD_SH_DEBUG=CMDS runs CMDS with dockerd up instead of the cases.
[ -z "${DOCKERD_SH_DEBUG:-}" ] || { eval "$DOCKERD_SH_DEBUG"; exit 0; }

CASES="scene_deny_all scene_default_unshare scene_unconfined run run_it exec logs top pause_unpause
update stats stop restart_wait_kill oom_killed readonly_tmpfs user caps privileged run_flags host_namespaces shared_namespaces
pids_limit cpus init restart_policy healthcheck blkio_weight blkio_throttle resources_more default_runtime"
[ -z "${DOCKERD_CASES:-}" ] || CASES=$DOCKERD_CASES

declare -A RESULT SEENBY TIME
failed=0
start=$(date +%s)
for c in $CASES; do
	for h in minirun runc; do
		WHY="" SEEN=""
		t0=$(date +%s)
		if "case_$c" "$h" && [ -z "$WHY" ]; then
			RESULT[$h.$c]=ok
			echo "ok: $h: $c${SEEN:+ ($SEEN)}"
		else
			RESULT[$h.$c]="FAIL: ${WHY:-failed}"
			echo "FAIL: $h: $c: ${WHY:-failed}"
		fi
		SEENBY[$h.$c]=$SEEN
		TIME[$h.$c]=$(($(date +%s) - t0))
		dk ps -aq | xargs -r "$DOCKER" rm -f >/dev/null 2>&1 || true
	done
	# minirun fails the run when it fails a case runc passes, or sees
	# something else; a case runc fails too is this host's, not minirun's.
	if [ "${RESULT[minirun.$c]}" != ok ] && [ "${RESULT[runc.$c]}" = ok ]; then
		failed=1
	elif [ "${RESULT[runc.$c]}" = ok ] && [ "${SEENBY[minirun.$c]}" != "${SEENBY[runc.$c]}" ]; then
		echo "FAIL: $c: minirun and runc differ: minirun '${SEENBY[minirun.$c]}', runc '${SEENBY[runc.$c]}'"
		failed=1
	fi
done

# Every container is gone: nothing of theirs may be left, by either runtime.
left=$(dk ps -aq)
[ -z "$left" ] || { echo "FAIL: containers left: $left"; failed=1; }
left=$(find /sys/fs/cgroup -mindepth 2 -path "*${CGPARENT}/*" -type d 2>/dev/null)
[ -z "$left" ] || { echo "FAIL: cgroups left: $left"; failed=1; }
left=$(ls "$TMP/exec/runtime-minirun/moby" "$TMP/exec/runtime-runc/moby" 2>/dev/null | grep -v '^/\|^$' || true)
[ -z "$left" ] || { echo "FAIL: runtime state left: $left"; failed=1; }
stop_dockerd
# This namespace's /etc/docker, and the handle dockerd keeps on its
# network namespace for --network host, are not the containers'.
left=$(grep " $TMP" /proc/self/mountinfo | cut -d' ' -f5 | grep -v "^/etc/docker$\|^$TMP/exec/netns/default$" || true)
[ -z "$left" ] || { echo "FAIL: mounts left: $left"; failed=1; }

echo
printf '%-24s %-10s %-10s %s\n' case minirun runc seconds
for c in $CASES; do
	printf '%-24s %-10s %-10s %s\n' "$c" "${RESULT[minirun.$c]%%:*}" "${RESULT[runc.$c]%%:*}" "${TIME[minirun.$c]}/${TIME[runc.$c]}"
done
if [ -s "$TMP/errors.txt" ]; then
	echo "errors as docker reports them:"
	cat "$TMP/errors.txt"
fi
echo "dockerd.sh: $(($(date +%s) - start)) s for the cases"
if [ "$failed" = 0 ]; then echo PASS; else echo FAIL; exit 1; fi
