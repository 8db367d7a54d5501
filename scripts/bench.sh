#!/bin/sh
# bench.sh BIN: minirun against crun, runc and the floor, in one run, on
# one busybox bundle:
#   - run of `true`, without seccomp and with Docker's default profile;
#   - `perf stat` counts of a run of `true` without seccomp (CPU, context
#     switches, page faults, CPU migrations), medians of runs in turn;
#   - exec of `true` into a running container;
#   - create + start + delete -f (how containerd drives a runtime);
#   - 50 runs of `true`, 10 at a time: total wall time, and each start's
#     latency against the sequential median;
#   - memory: peak RSS (/usr/bin/time -v), minirun's parent and init
#     before execve (--debug=timings), and a start under a 4 MiB limit;
#   - run, exec and create + start + delete again, interleaved command by
#     command (scripts/interleave.sh), which this VM's drift affects less.
# Then the Go benchmarks of the seccomp compiler.
#
# Everything runs in one private mount namespace with the cgroup2 mount at
# /sys/fs/cgroup/unified unmounted there (crun refuses this host's hybrid
# layout otherwise); the host's mounts are never touched. Results go to
# build/bench/: hyperfine's JSON and markdown per table, perf-stat.json,
# summary.md.
# BENCH_RUNS, BENCH_WARMUP, BENCH_PAR_RUNS and BENCH_PERF_RUNS override
# the counts. The machine is noisy: compare medians and ratios from one
# run of this script, not numbers across runs.
set -eu

bin=${1:?usage: bench.sh PATH/TO/minirun}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
here=$(cd "$(dirname "$0")/.." && pwd)

if [ "${MINIRUN_BENCH_NS:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench: needs root (it runs containers)" >&2; exit 1; }
	# The private namespace: what is unmounted here stays unmounted here.
	exec env MINIRUN_BENCH_NS=1 unshare --mount --propagation private -- "$0" "$bin"
fi
umount /sys/fs/cgroup/unified 2>/dev/null || true

runs=${BENCH_RUNS:-40}
warmup=${BENCH_WARMUP:-5}
par_runs=${BENCH_PAR_RUNS:-3}
perf_runs=${BENCH_PERF_RUNS:-20}
perf_events=task-clock,context-switches,page-faults,cpu-migrations
out=$here/build/bench

for tool in hyperfine jq runc crun unshare /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench: $tool not found" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "bench: $bin is not an executable" >&2; exit 1; }

work=$(mktemp -d /tmp/minirun-bench.XXXXXX)
cleanup() {
	for r in "$bin" "runc --root $work/run/runc" "crun --root $work/run/crun"; do
		for id in $($r list -q 2>/dev/null); do $r delete -f "$id" >/dev/null 2>&1 || true; done
	done
	umount "$work/run" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
mkdir -p "$out"

# One rootfs for every runtime, and configs that differ only in
# linux.seccomp (or the memory limit). minirun's spec carries Docker's
# default profile in OCI form, so runc and crun load exactly the same
# rules. ociVersion is lowered because crun 1.8 refuses versions newer than
# it knows; device rules lose their -1 (runc's wildcard), which crun writes
# literally and the kernel refuses: the OCI wildcard is an absent number.
"$here/tests/mkrootfs.sh" "$work/rootfs"
mkdir -p "$work/default" "$work/none" "$work/sleep" "$work/mem4"
"$bin" spec --docker -b "$work/default"
jq --arg root "$work/rootfs" '.ociVersion = "1.0.2" | .root.path = $root | .process.args = ["true"] | .process.terminal = false
	| .linux.resources.devices |= map(if .major == -1 then del(.major) else . end | if .minor == -1 then del(.minor) else . end)' \
	"$work/default/config.json" >"$work/default/c.json"
mv "$work/default/c.json" "$work/default/config.json"
jq 'del(.linux.seccomp)' "$work/default/config.json" >"$work/none/config.json"
jq '.process.args = ["sleep", "100000"]' "$work/none/config.json" >"$work/sleep/config.json"
jq '.linux.resources.memory = {"limit": 4194304}' "$work/none/config.json" >"$work/mem4/config.json"
jq -e '.linux.seccomp.syscalls | length > 0' "$work/default/config.json" >/dev/null ||
	{ echo "bench: minirun spec wrote no seccomp profile" >&2; exit 1; }

# Private state and cache: the benchmark neither sees nor leaves anything
# of other runs. The cache starts empty; the warmup fills it, as a host's
# first start would.
#
# The state roots are on a tmpfs mounted in this private namespace, as
# each runtime's default root is (/run/minirun, /run/runc, /run/crun): on
# the disk's file system (ext4 here) every state file a start creates and
# a delete removes costs an inode allocation that slows down as thousands
# of recently deleted inodes pile up in a benchmark, and the runtime that
# writes more files pays more for what no host does.
mkdir -p "$work/run"
mount -t tmpfs -o mode=0755 bench-run "$work/run"
export MINIRUN_ROOT="$work/run/minirun"
export MINIRUN_SECCOMP_CACHE="$work/run/seccomp-cache"

mr="$bin"
rc="runc --root $work/run/runc"
cr="crun --root $work/run/crun"
floor="unshare -fmuipn --mount-proc chroot $work/rootfs /bin/true"

# Every command runs under sh -c, the floor included, so that $$ gives each
# container a unique id (runc and crun refuse an id still in their state)
# and every command pays the same shell.
sh_c() { printf "sh -c '%s'" "$1"; }

# A failing command would only show up as a hyperfine error: run each once
# first and show its output.
check() {
	if ! sh -c "$1" >"$work/check.out" 2>&1; then
		echo "bench: this command fails, not benchmarking:" >&2
		echo "  $1" >&2
		cat "$work/check.out" >&2
		exit 1
	fi
}

hf() { # NAME RUNS WARMUP -n NAME CMD ...
	name=$1 n=$2 w=$3
	shift 3
	hyperfine -N --warmup "$w" --runs "$n" --style basic \
		--export-json "$out/$name.json" --export-markdown "$out/$name.md" "$@"
}

echo "== $(date -u +%FT%TZ), kernel $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $($bin --version | head -1); $(runc --version | head -1); $(crun --version | head -1)"

echo
echo "== run true: $runs runs, $warmup warmup"
for r in "$mr" "$rc" "$cr"; do
	for b in none default; do check "$r run -b $work/$b chk$$"; done
done
check "$floor"
hf run-true "$runs" "$warmup" \
	-n floor "$(sh_c "$floor")" \
	-n minirun-none "$(sh_c "$mr run -b $work/none mr\$\$")" \
	-n crun-none "$(sh_c "$cr run -b $work/none cr\$\$")" \
	-n runc-none "$(sh_c "$rc run -b $work/none rc\$\$")" \
	-n minirun-default "$(sh_c "$mr run -b $work/default mr\$\$")" \
	-n crun-default "$(sh_c "$cr run -b $work/default cr\$\$")" \
	-n runc-default "$(sh_c "$rc run -b $work/default rc\$\$")"

echo
echo "== perf stat of run true, no profile: $perf_runs rounds, the runtimes in turn"
# Each round runs every runtime once under its own `perf stat` (no shell
# between: a foreground run removes its container, so one id serves every
# round), and the table takes each count's median over the rounds, so the
# VM's drift hits all three alike. The counts include every process and
# thread of the run (perf follows children): the runtime's, the
# container's `true`, and for minirun its init and reaper.
perf_ok=0
if command -v perf >/dev/null && perf stat -x, -e "$perf_events" -o "$work/perf.probe" true 2>/dev/null; then
	perf_ok=1
	for r in "$mr" "$rc" "$cr"; do check "$r run -b $work/none pf-$$"; done
	: >"$work/perf.csv"
	for i in $(seq "$perf_runs"); do
		for nr in "floor=$floor" "minirun=$mr run -b $work/none pf-$$" "crun=$cr run -b $work/none pf-$$" "runc=$rc run -b $work/none pf-$$"; do
			# shellcheck disable=SC2086 # the command's words
			perf stat -x, -e "$perf_events" -o "$work/perf.one" -- ${nr#*=} </dev/null >/dev/null 2>&1 ||
				{ echo "bench: perf stat failed: ${nr#*=}" >&2; exit 1; }
			# value,unit,event,...: one line per event; "<not counted>" kept as null.
			awk -F, -v n="${nr%%=*}" '!/^#/ && NF > 2 {print n "," $3 "," $1}' "$work/perf.one" >>"$work/perf.csv"
		done
	done
	jq -R -s --argjson rounds "$perf_runs" 'split("\n") | map(select(length > 0) | split(","))
		| group_by(.[0]) | map({key: .[0][0], value: (group_by(.[1]) | map({key: .[0][1],
			value: (map(.[2] | tonumber? // empty) | sort | if length > 0 then .[length / 2 | floor] else null end)}) | from_entries)})
		| from_entries | {rounds: $rounds, events: "task-clock (ms), context-switches, page-faults, cpu-migrations: medians per run", median: .}' \
		"$work/perf.csv" >"$out/perf-stat.json"
	jq -r '.median | to_entries[] | "\(.key): \(.value | to_entries | map("\(.key) \(.value)") | join(", "))"' "$out/perf-stat.json"
else
	echo "bench: perf not found or not permitted (perf_event_paranoid): no perf stat counts"
	printf '{}' >"$out/perf-stat.json"
fi

echo
echo "== exec true into a running container: $runs runs, $warmup warmup"
for r in "$mr" "$rc" "$cr"; do
	$r run -d -b "$work/sleep" ex-target </dev/null >/dev/null 2>&1
	check "$r exec ex-target true"
done
hf exec "$runs" "$warmup" \
	-n minirun-exec "$mr exec ex-target true" \
	-n crun-exec "$cr exec ex-target true" \
	-n runc-exec "$rc exec ex-target true"
for r in "$mr" "$rc" "$cr"; do $r delete -f ex-target >/dev/null 2>&1 || true; done

echo
echo "== create + start + delete -f of true: $runs runs, $warmup warmup"
csd() { printf '%s create -b %s csd$$ </dev/null && %s start csd$$ && %s delete -f csd$$' "$1" "$work/none" "$1" "$1"; }
for r in "$mr" "$rc" "$cr"; do check "$(csd "$r")"; done
hf create-start-delete "$runs" "$warmup" \
	-n minirun-csd "$(sh_c "$(csd "$mr")")" \
	-n crun-csd "$(sh_c "$(csd "$cr")")" \
	-n runc-csd "$(sh_c "$(csd "$rc")")"

echo
echo "== 50 runs of true, 10 at a time: $par_runs runs, 1 warmup"
par() { printf 'seq 50 | xargs -P10 -I{} %s run -b %s par$$-{}' "$1" "$work/none"; }
hf parallel "$par_runs" 1 \
	-n minirun-par "$(sh_c "$(par "$mr")")" \
	-n crun-par "$(sh_c "$(par "$cr")")" \
	-n runc-par "$(sh_c "$(par "$rc")")"
# Each start's own latency within one such batch, in ms.
for name in minirun crun runc; do
	case $name in minirun) r=$mr ;; crun) r=$cr ;; runc) r=$rc ;; esac
	seq 50 | xargs -P10 -I{} sh -c "s=\$(date +%s%N); $r run -b $work/none lat\$\$-{}; e=\$(date +%s%N); echo \$(( (e - s) / 1000 ))" |
		sort -n | jq -s --arg n "$name" '{name: $n, median: (.[length/2|floor] / 1000), max: (.[-1] / 1000)}' >"$out/latency-$name.json"
done
jq -s '.' "$out"/latency-*.json >"$out/parallel-latency.json"

echo
echo "== the same rows interleaved: $runs rounds, each command once a round (scripts/interleave.sh)"
for r in "$mr" "$rc" "$cr"; do $r run -d -b "$work/sleep" ex-target </dev/null >/dev/null 2>&1; done
"$here/scripts/interleave.sh" "$runs" "$out/interleaved.json" \
	"floor=$floor" \
	"minirun-none=$mr run -b $work/none mi\$\$" "crun-none=$cr run -b $work/none ci\$\$" "runc-none=$rc run -b $work/none ri\$\$" \
	"minirun-default=$mr run -b $work/default mi\$\$" "crun-default=$cr run -b $work/default ci\$\$" "runc-default=$rc run -b $work/default ri\$\$" \
	"minirun-exec=$mr exec ex-target true" "crun-exec=$cr exec ex-target true" "runc-exec=$rc exec ex-target true" \
	"minirun-csd=$(csd "$mr")" "crun-csd=$(csd "$cr")" "runc-csd=$(csd "$rc")"
for r in "$mr" "$rc" "$cr"; do $r delete -f ex-target >/dev/null 2>&1 || true; done

echo
echo "== memory"
maxrss() { # CMD: the peak RSS in kB of CMD's process tree, by /usr/bin/time -v
	/usr/bin/time -v sh -c "$1" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p'
}
mem4() { if sh -c "$1" >/dev/null 2>&1; then echo starts; else echo fails; fi; }
"$mr" --debug=timings run -b "$work/none" memt$$ 2>"$work/timings.txt" >/dev/null
timings_rss() { sed -n "s/^$1 timing peak RSS \([0-9]*\) kB (anonymous now \([0-9]*\) kB)/\1 \2/p" "$work/timings.txt"; }
set -- $(timings_rss 'minirun') $(timings_rss 'minirun\[init\]')
jq -n --arg mr "$(maxrss "$mr run -b $work/none mem\$\$")" \
	--arg cr "$(maxrss "$cr run -b $work/none mem\$\$")" \
	--arg rc "$(maxrss "$rc run -b $work/none mem\$\$")" \
	--arg parent "${1:-?}" --arg parent_anon "${2:-?}" --arg init "${3:-?}" --arg init_anon "${4:-?}" \
	--arg mr4 "$(mem4 "$mr run -b $work/mem4 m4\$\$")" \
	--arg cr4 "$(mem4 "$cr run -b $work/mem4 m4\$\$")" \
	--arg rc4 "$(mem4 "$rc run -b $work/mem4 m4\$\$")" \
	'{tree_max_rss_kb: {minirun: $mr, crun: $cr, runc: $rc},
	  minirun_parent_kb: $parent, minirun_parent_anon_kb: $parent_anon,
	  minirun_init_before_execve_kb: $init, minirun_init_anon_kb: $init_anon,
	  limit_4MiB: {minirun: $mr4, crun: $cr4, runc: $rc4}}' >"$out/memory.json"
cp "$work/timings.txt" "$out/timings.txt"

echo
echo "== rootless: run true as a throwaway unprivileged user, against root: $runs runs, $warmup warmup"
# The user maps only itself to root (no newuidmap), and its config has no
# seccomp profile, as the root side's "none"; both sides run through
# setpriv so they pay the same wrapper, and the rootless side has its own
# state ($XDG_RUNTIME_DIR/minirun, on the same tmpfs) and no seccomp cache
# of root's.
rl_user=mrbench$$
printf '{}' >"$out/rootless.json"
if command -v useradd >/dev/null && command -v setpriv >/dev/null &&
	useradd -M -d /nonexistent -s /usr/sbin/nologin -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$rl_user" >/dev/null 2>&1; then
	rl_uid=$(id -u "$rl_user") rl_gid=$(id -g "$rl_user")
	trap 'userdel "$rl_user" 2>/dev/null; rm -rf "/tmp/minirun-$rl_uid"; cleanup' EXIT INT TERM
	chmod 755 "$work"
	mkdir -m 700 "$work/run/rl" && chown "$rl_uid:$rl_gid" "$work/run/rl"
	as_user="setpriv --reuid $rl_uid --regid $rl_gid --clear-groups env -u MINIRUN_ROOT -u MINIRUN_SECCOMP_CACHE HOME=/tmp XDG_RUNTIME_DIR=$work/run/rl XDG_CACHE_HOME=$work/run/rl/cache"
	as_root="setpriv --reuid 0 --regid 0 --clear-groups"
	mkdir -p "$work/rootless" && chown "$rl_uid:$rl_gid" "$work/rootless"
	$as_user "$bin" spec --docker --rootless -b "$work/rootless"
	jq --arg root "$work/rootfs" '.root.path = $root | .process.args = ["true"] | .process.terminal = false | del(.linux.seccomp)' \
		"$work/rootless/config.json" >"$work/rl.json" && mv "$work/rl.json" "$work/rootless/config.json"
	chmod 644 "$work/rootless/config.json"
	check "$as_user $mr run -b $work/rootless rlchk$$"
	hf rootless "$runs" "$warmup" \
		-n minirun-root "$(sh_c "$as_root $mr run -b $work/none mr\$\$")" \
		-n minirun-rootless "$(sh_c "$as_user $mr run -b $work/rootless rl\$\$")"
else
	echo "bench: no useradd or setpriv, or useradd failed: no rootless row"
fi

# The whole table, with ratios, from this run's JSON.
jq -r -n \
	--slurpfile run "$out/run-true.json" --slurpfile exec "$out/exec.json" \
	--slurpfile csd "$out/create-start-delete.json" --slurpfile par "$out/parallel.json" \
	--slurpfile lat "$out/parallel-latency.json" --slurpfile mem "$out/memory.json" \
	--slurpfile rl "$out/rootless.json" --slurpfile il "$out/interleaved.json" \
	--slurpfile pf "$out/perf-stat.json" '
	def med($j; $n): ($j[0].results[] | select(.command == $n) | .median * 1000);
	def f: (. * 100 | round / 100 | tostring);
	def r($a; $b): (($a / $b) * 100 | round / 100 | tostring) + "x";
	def ok($c): if $c then "yes" else "**no**" end;
	def lat($n): ($lat[0][] | select(.name == $n));
	# One comparison row of medians $x (keys RUNTIME-KIND), and the goals
	# both tables check: for hyperfine'"'"'s medians and the interleaved ones.
	def row($x; $title; $k): $x["minirun-" + $k] as $a | $x["crun-" + $k] as $c | $x["runc-" + $k] as $u |
		"| \($title) | \($a|f) | \($c|f) | \($u|f) | \(r($a;$c)) | \(r($a;$u)) |";
	def goals($x): $x["minirun-none"] as $mn | $x["crun-none"] as $cn | $x["runc-none"] as $rn |
		$x["minirun-default"] as $md | $x["crun-default"] as $cd | $x["runc-default"] as $rd |
		$x["minirun-exec"] as $me | $x["crun-exec"] as $ce |
		"| run, no profile: <= 1.25x crun | \(r($mn;$cn)) | \(ok($mn <= 1.25 * $cn)) |",
		"| run, no profile: <= crun (stretch) | \($mn|f) vs \($cn|f) | \(ok($mn <= $cn)) |",
		"| run, profile: ahead of crun and runc | \(r($md;$cd)), \(r($md;$rd)) | \(ok($md < $cd and $md < $rd)) |",
		"| run, profile: <= 1.2x minirun without | \(r($md;$mn)) | \(ok($md <= 1.2 * $mn)) |",
		"| exec: <= 1.3x crun exec | \(r($me;$ce)) | \(ok($me <= 1.3 * $ce)) |";
	# perf stat medians: a count, a ratio that stays readable when crun'"'"'s is 0.
	def pc($rt; $ev): ($pf[0].median[$rt][$ev] // null);
	def pr($a; $b): if $a == null or $b == null then "" elif $b == 0 then "-" else r($a; $b) end;
	def pv: if . == null then "?" else f end;
	def prow($title; $ev): pc("minirun"; $ev) as $a | pc("crun"; $ev) as $c | pc("runc"; $ev) as $u |
		"| \($title) | \($a|pv) | \($c|pv) | \($u|pv) | \(pc("floor"; $ev)|pv) | \(pr($a;$c)) | \(pr($a;$u)) |";
	([$run, $exec, $csd] | map(.[0].results[] | {key: .command, value: (.median * 1000)}) | from_entries) as $h |
	$h["minirun-none"] as $mn | $h["crun-none"] as $cn | $h["runc-none"] as $rn |
	$h["minirun-default"] as $md | $h["crun-default"] as $cd | $h["runc-default"] as $rd |
	med($par; "minirun-par") as $mp | med($par; "crun-par") as $cp | med($par; "runc-par") as $rp |
	$mem[0] as $m | $il[0] as $i |
	"## make bench (medians, ms)",
	"",
	"| | minirun | crun | runc | minirun / crun | minirun / runc |",
	"|---|---|---|---|---|---|",
	row($h; "run true, no profile"; "none"),
	row($h; "run true, Docker default profile"; "default"),
	"| cost of the profile | \(($md-$mn)|f) | \(($cd-$cn)|f) | \(($rd-$rn)|f) | | |",
	row($h; "exec true"; "exec"),
	row($h; "create + start + delete"; "csd"),
	"| 50 runs, 10 at a time (total) | \($mp|f) | \($cp|f) | \($rp|f) | \(r($mp;$cp)) | \(r($mp;$rp)) |",
	"| slowest start of those 50 | \(lat("minirun").max|f) | \(lat("crun").max|f) | \(lat("runc").max|f) | | |",
	"| peak RSS of the whole run (kB) | \($m.tree_max_rss_kb.minirun) | \($m.tree_max_rss_kb.crun) | \($m.tree_max_rss_kb.runc) | | |",
	"| starts under a 4 MiB memory limit | \($m.limit_4MiB.minirun) | \($m.limit_4MiB.crun) | \($m.limit_4MiB.runc) | | |",
	"",
	"floor (unshare -fmuipn --mount-proc chroot ROOTFS true): \($h.floor|f) ms.",
	"minirun peak RSS: parent \($m.minirun_parent_kb) kB (anonymous \($m.minirun_parent_anon_kb) kB), init before execve \($m.minirun_init_before_execve_kb) kB (anonymous \($m.minirun_init_anon_kb) kB).",
	(if ($rl[0].results // []) | length > 0 then
		med($rl; "minirun-root") as $a | med($rl; "minirun-rootless") as $b |
		"rootless: run true \($b|f) ms as an unprivileged user against \($a|f) ms as root, both through setpriv (\(r($b;$a)))."
	else "rootless: not measured." end),
	"",
	(if $pf[0].median then
		"`perf stat` of run true, no profile (medians over \($pf[0].rounds) rounds, one run each, the runtimes in turn; every process of the run counted):",
		"",
		"| per run | minirun | crun | runc | floor | minirun / crun | minirun / runc |",
		"|---|---|---|---|---|---|---|",
		prow("CPU (task-clock, ms)"; "task-clock"),
		prow("context switches"; "context-switches"),
		prow("page faults"; "page-faults"),
		prow("CPU migrations"; "cpu-migrations"),
		""
	else "perf stat: not measured (no perf, or not permitted).", "" end),
	"| goal (issue 24) | measured | holds |",
	"|---|---|---|",
	goals($h),
	"| 50 runs, 10 at a time: total <= 1.3x crun | \(r($mp;$cp)) | \(ok($mp <= 1.3 * $cp)) |",
	(if $pf[0].median then
		pc("minirun"; "context-switches") as $cs | pc("minirun"; "page-faults") as $pg |
		"| context switches per run <= 60 (crun \(pc("crun"; "context-switches")|pv)) | \($cs|pv) | \(ok($cs != null and $cs <= 60)) |",
		"| page faults per run <= 700 (crun \(pc("crun"; "page-faults")|pv)) | \($pg|pv) | \(ok($pg != null and $pg <= 700)) |"
	else empty end),
	"| 50 parallel: slowest start <= 5x sequential median (issue 12) | \(r(lat("minirun").max;$mn)) | \(ok(lat("minirun").max <= 5 * $mn)) |",
	"| 4 MiB memory limit starts (issue 12) | \($m.limit_4MiB.minirun) | \(ok($m.limit_4MiB.minirun == "starts")) |",
	"",
	"Interleaved, each command once a round (medians, ms; steadier against the VM'"'"'s drift):",
	"",
	"| | minirun | crun | runc | minirun / crun | minirun / runc |",
	"|---|---|---|---|---|---|",
	row($i; "run true, no profile"; "none"),
	row($i; "run true, Docker default profile"; "default"),
	row($i; "exec true"; "exec"),
	row($i; "create + start + delete"; "csd"),
	"",
	"floor, interleaved: \($i.floor|f) ms; the profile costs minirun \(r($i["minirun-default"];$i["minirun-none"])) its time without.",
	"",
	"| goal (issue 24), interleaved | measured | holds |",
	"|---|---|---|",
	goals($i)
' | tee "$out/summary.md"

echo
echo "== go test -bench ./seccomp/ (compile of Docker's default profile, cold vs. cached)"
cd "$here"
go test -run XXX -bench . -benchmem ./seccomp/ | tee "$out/go-bench.txt"
echo
echo "results in $out/"
