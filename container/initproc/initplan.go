package initproc

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/caps"
	"github.com/minirun/minirun/container/hooks"
	"github.com/minirun/minirun/internal/trace"
	"github.com/minirun/minirun/namespaces"
	"github.com/minirun/minirun/rootfs"
	"github.com/minirun/minirun/seccomp/filter"
)

// The init sequence is a plan: an ordered list of named steps, built from
// the config before anything runs, then run top to bottom. Every step asks
// the kernel through the system interface (sys.go), so the plan also runs
// against a double that records the calls: the ordering rules below are
// unit-tested on those calls for every shape of config without root
// (initorder_test.go), and the list of what runs after the seccomp filter
// is read off the plan itself and checked against what the recorded run
// calls.
//
// The order, and why:
//
//   - mounts before pivot_root, because their sources are host paths, and
//     every destination resolved inside the rootfs;
//   - the cgroup namespace after the mounts on v1 and hybrid hosts, so the
//     cgroup mount can still name the container's cgroup by its host path,
//     and before them on cgroup2 hosts, so the cgroup2 mount is rooted at
//     the container's own cgroup rather than showing the host's tree;
//   - chroot instead of pivot_root only without a mount namespace, where
//     pivot_root would move the host's root (the parent refuses mounts
//     there);
//   - sysctls, then masked and read-only paths, after pivot_root: they can
//     only touch the container's own /proc and /sys, and /proc/sys becomes
//     read-only only once the sysctls are written;
//   - the process attributes (scheduler, I/O priority, memory policy,
//     personality) and no_new_privs while the init is still privileged;
//   - the identity and capabilities, then seccomp, each as late as it can
//     go. Whatever runs after the filter is loaded is filtered too, and a
//     profile written by someone else (an older Docker or Kubernetes
//     default, the OCI validation suite's) may predate the syscalls a newer
//     runtime would use, so everything that can go before the filter does:
//       - with no_new_privs the filter is the last step; after it, only
//         execve. With startContainer hooks it goes in before them, after
//         the wait for `start`: runc runs those hooks under the filter,
//         and a profile that refuses a hook's call must stop it;
//       - without, loading needs CAP_SYS_ADMIN, which the container usually
//         may not keep. The ids, the bounding set and the final
//         capabilities are applied first with CAP_SYS_ADMIN still held, so
//         the cwd and executable checks see the container's own
//         permissions; after the filter come one capset that drops
//         CAP_SYS_ADMIN and a prctl per ambient capability. The filter goes
//         in before the wait for `start`, so that a seccomp notify listener
//         reaches the engine at create, as the spec has it, and no
//         startContainer hook runs holding CAP_SYS_ADMIN; the wait adds
//         sendmsg, read and close;
//   - the soft rlimits right before execve: the Go runtime may still map
//     memory and start threads until then (see setRlimits);
//   - the init is not dumpable from its first instruction (nsenter's C
//     pre-main) until execve, so nothing in the container's pid namespace
//     can ptrace it while it still runs unfiltered or holds the sync
//     socket;
//   - fds and the executable are checked after the identity change, so
//     they are checked with the container's own permissions, and before
//     the wait for `start`, so create reports them. The cwd is entered
//     before the identity change, as runc does, and again after it only if
//     root was refused there.
//
// Under the filter the runtime also may need write or sendmsg to report a
// failure, sendmsg for a notify listener, and the Go runtime's own few
// (seccompcheck.go).

// step is one named step of the plan. syscalls lists what it asks of the
// kernel when it runs after the seccomp filter; only those matter, since
// the filter sees them.
type step struct {
	name     string
	syscalls []string
	run      func() error
}

// Step names the rules and tests refer to.
const (
	stepSeccomp    = "seccomp"
	stepExecve     = "execve"
	stepPivotRoot  = "pivot_root"
	stepChroot     = "chroot"
	stepSysctls    = "sysctls"
	stepReadonly   = "read-only paths"
	stepMasked     = "masked paths"
	stepIdentity   = "identity and capabilities"
	stepDropAdmin  = "drop CAP_SYS_ADMIN"
	stepWaitStart  = "wait for start"
	stepStartHooks = "startContainer hooks"
	stepCreateHook = "createContainer hooks"
	stepNoNewPrivs = "no_new_privs"
	stepCgroupNS   = "cgroup namespace"
	stepMounts     = "mounts"
	stepDevices    = "devices"
	stepConsole    = "console"
	stepRlimits    = "rlimits"
)

// initRun is one run of the init or of an exec'd process: the config, and
// what earlier steps hand to later ones.
type initRun struct {
	sys     system
	cfg     *Config
	log     trace.Logger
	plan    namespaces.Plan
	caps    *caps.Set // the sets system applies
	sock    int       // the sync socket's fd
	cgroup2 bool      // the host's /sys/fs/cgroup is one cgroup2 hierarchy

	fifo      int
	hookState *specs.State
	path      string    // the executable, once found
	argv      *execArgs // its execve arguments, built before the filter
}

func newInitRun(sys system, cfg *Config, capSet *caps.Set, cgroup2 bool) *initRun {
	plan, _ := namespaces.FromSpec(linuxOf(cfg.Spec).Namespaces) // validated by the parent
	return &initRun{sys: sys, cfg: cfg, log: tracer(cfg.Debug), plan: plan, caps: capSet, cgroup2: cgroup2, fifo: -1}
}

// newKernelRun is an initRun that makes the calls, over the socket c.
func newKernelRun(c Conn, cfg *Config, cgroup2 bool) (*initRun, error) {
	capSet, err := caps.Prepare(cfg.Spec.Process.Capabilities)
	if err != nil {
		return nil, stepErr("capabilities", err)
	}
	log := tracer(cfg.Debug)
	in := newInitRun(&kernel{c: c, caps: capSet, log: log}, cfg, capSet, cgroup2)
	in.sock = c.fd
	return in, nil
}

// initSteps is the plan of a new container's init.
func (in *initRun) initSteps() []step {
	cfg, s := in.cfg, in.cfg.Spec
	linux, p := linuxOf(s), s.Process
	// A mount namespace joined by path is set up as a new one is: its
	// root becomes the rootfs by pivot_root. chroot there would leave the
	// namespace's real root one chroot(2) away for a container holding
	// CAP_SYS_CHROOT, which Docker's defaults give it. Only a root of "/"
	// takes the joined namespace as it is (another container's, say):
	// there is nothing above it to break out to.
	joinedAsIs := !in.plan.Creates(specs.MountNamespace) && cfg.Rootfs == "/"
	mountNS := in.plan.Has(specs.MountNamespace) && !joinedAsIs
	var st []step
	add := func(name string, run func() error) { st = append(st, step{name: name, run: run}) }

	add("exec fifo", func() (err error) { in.fifo, err = openExecFifo(in.sys, cfg); return err })
	add("session keyring", func() error { return joinSessionKeyring(in.sys, cfg, in.log) })
	cgroupNS := func() error { return enterCgroupNamespace(in.sys, cfg, in.log) }
	if in.cgroup2 {
		add(stepCgroupNS, cgroupNS)
	}
	if mountNS {
		add("rootfs propagation", func() error {
			return stepErr("rootfs propagation", in.sys.SetPropagation(linux.RootfsPropagation))
		})
		add("bind rootfs", func() error { return stepErr("bind rootfs", in.sys.BindRootfs(cfg.Rootfs)) })
	}
	add(stepMounts, in.mounts)
	add(stepDevices, func() error {
		return stepErr("devices", makeDevices(in.sys, cfg.Rootfs, linux.Devices, in.plan.Has(specs.UserNamespace)))
	})
	if !in.cgroup2 {
		add(stepCgroupNS, cgroupNS)
	}
	if hasInitHooks(s) || cfg.AwaitParent {
		add(stepCreateHook, func() (err error) { in.hookState, err = createHooks(in.sys, cfg, in.log); return err })
	}
	if mountNS {
		add(stepPivotRoot, func() error { return stepErr("pivot_root", in.sys.PivotRoot(cfg.Rootfs)) })
	} else {
		add(stepChroot, func() error { return stepErr("chroot", chrootTo(in.sys, cfg.Rootfs)) })
	}
	if p.Terminal {
		add(stepConsole, func() error { return setupConsole(in.sys, p, in.log) })
	}
	if len(linux.Sysctl) > 0 {
		add(stepSysctls, func() error { return setSysctls(in.sys, linux.Sysctl, in.log) })
	}
	if len(linux.MaskedPaths) > 0 {
		add(stepMasked, func() error { return stepErr("masked paths", maskPaths(in.sys, linux.MaskedPaths, in.log)) })
	}
	if len(linux.ReadonlyPaths) > 0 {
		add(stepReadonly, func() error { return stepErr("read-only paths", readonlyPaths(in.sys, linux.ReadonlyPaths, in.log)) })
	}
	add("hostname", func() error { return setHostname(in.sys, s, in.log) })
	if in.plan.Creates(specs.NetworkNamespace) {
		add("loopback", func() error { return stepErr("network", in.sys.LoopbackUp()) })
	}
	if slices.ContainsFunc(s.Mounts, readonlyDevTmpfs) {
		add("read-only /dev", func() error { return stepErr("read-only /dev", remountReadonly(in.sys, "/dev", in.log)) })
	}
	if s.Root != nil && s.Root.Readonly {
		add("read-only root", func() error { return stepErr("read-only root", remountReadonly(in.sys, "/", in.log)) })
	}
	if p.OOMScoreAdj != nil {
		add("oom score", func() error { return setOOMScore(in.sys, p.OOMScoreAdj, in.log) })
	}
	return append(st, in.processSteps(cfg.CloseFrom)...)
}

// execSteps is the plan of a process exec'd into a running container. The
// C pre-main has entered the container's namespaces (which also set its
// root and cwd) and the parent has moved it into the cgroup; what is left
// is the init's tail, in the same order and for the same reasons.
func (in *initRun) execSteps() []step {
	p := in.cfg.Spec.Process
	var st []step
	if fd := in.cfg.RootFd; fd > 0 {
		// No mount namespace of the container's own: setns left this
		// process at the host's root, and the container's is its init's.
		st = append(st, step{name: stepChroot, run: func() error { return stepErr("chroot", chrootFd(in.sys, fd)) }})
	}
	st = append(st, step{name: "session keyring", run: func() error {
		// The container's keyring, not the caller's: joining "_ses.<id>"
		// by name finds or makes it.
		return joinSessionKeyring(in.sys, in.cfg, in.log)
	}})
	if p.Terminal {
		st = append(st, step{name: stepConsole, run: func() error { return setupConsole(in.sys, p, in.log) }})
	}
	return append(st, in.processSteps(in.cfg.CloseFrom)...)
}

// processSteps is the tail the init and exec share: the process's
// attributes, identity and capabilities, cwd, fds, the executable,
// seccomp, then execve. Fds from firstFree up are closed.
func (in *initRun) processSteps(firstFree int) []step {
	cfg, p := in.cfg, in.cfg.Spec.Process
	firstFree = max(firstFree, 3) // never the stdio
	filter := cfg.Seccomp != nil
	holdAdmin := filter && !p.NoNewPrivileges
	var st []step
	add := func(name string, syscalls []string, run func() error) {
		st = append(st, step{name: name, syscalls: syscalls, run: run})
	}
	seccompStep := func() { add(stepSeccomp, nil, func() error { return loadSeccomp(in.sys, cfg, in.sock, in.log) }) }

	add("rlimit nofile", nil, func() error { return keepRlimitNofile(in.sys, p.Rlimits, in.cfg.NofileSoft) })
	add("process attributes", nil, func() error { return applyProcAttrs(in.sys, cfg.Spec, cfg.Exec, in.log) })
	if p.NoNewPrivileges {
		add(stepNoNewPrivs, nil, func() error {
			in.log("no_new_privs: on")
			_, err := in.sys.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0)
			return stepErr("no_new_privs", err)
		})
	}
	// The cwd is entered while still root, which reaches a directory the
	// user may not (runc's cwd.bats: a 0700 /root for a non-root user), and
	// tried again as the user only if root was refused (a root-squashed
	// NFS home, say). Keeping a cwd grants nothing: a lookup from it still
	// needs search permission there.
	cwdDone := false
	add("cwd", nil, func() error {
		err := enterCwd(in.sys, p.Cwd, in.log)
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
			return nil
		}
		cwdDone = err == nil
		return err
	})
	add(stepIdentity, nil, func() error { return dropPrivileges(in.sys, in.caps, p.User, holdAdmin, in.log) })
	add("cwd as the user", nil, func() error {
		if cwdDone {
			return nil
		}
		return enterCwd(in.sys, p.Cwd, in.log)
	})
	add("close fds", nil, func() error { return stepErr("close fds", in.sys.CloseFrom(firstFree)) })
	add("find executable", nil, func() (err error) {
		if in.path, err = lookPath(in.sys, p.Args[0], p.Env); err != nil {
			return err
		}
		in.argv, err = newExecArgs(in.path, p.Args, p.Env)
		return stepErr("exec", err)
	})
	if holdAdmin {
		seccompStep()
		drop := []string{"capset"}
		if p.Capabilities != nil && len(p.Capabilities.Ambient) > 0 {
			drop = append(drop, "prctl")
		}
		add(stepDropAdmin, drop, func() error {
			in.log("capabilities: CAP_SYS_ADMIN dropped unless the container has it")
			return stepErr("capabilities", setCaps(in.sys, in.caps, false))
		})
	}
	if !cfg.Exec && cfg.ExecFifoFd > 0 {
		add(stepWaitStart, []string{"sendmsg", "read", "close"}, func() error { return waitForStart(in.sys, in.fifo, in.log) })
	}
	startHooks := !cfg.Exec && len(hooks.Of(cfg.Spec, hooks.StartContainer)) > 0
	lateFilter := filter && p.NoNewPrivileges
	if startHooks && lateFilter {
		// startContainer hooks run under the container's filter, as runc
		// runs them (seccomp.bats "startContainer hook"), so with hooks the
		// filter goes in before them; without, it stays the last step.
		seccompStep()
		lateFilter = false
	}
	if startHooks {
		// fork, exec and wait for each hook, as runc's do.
		add(stepStartHooks, []string{"clone", "execve", "wait4", "pipe2", "read", "write", "close"}, func() error {
			return startContainerHooks(in.sys, cfg, in.hookState, in.log)
		})
	}
	if hasSoftRlimits(p.Rlimits) {
		add(stepRlimits, []string{"prlimit64"}, func() error { return finalRlimits(in.sys, p.Rlimits) })
	}
	if lateFilter {
		seccompStep()
	}
	add(stepExecve, []string{"execve"}, func() error {
		if in.cfg.Debug {
			// Boxing the arguments allocates: not after the filter
			// unless asked (see execArgs).
			in.log("execve %s %q", in.path, p.Args)
			if cfg.Exec {
				// runc's init of an exec'd process (its setns_init)
				// says so here; scripts look for it (runc's exec.bats).
				in.log("setns_init: about to exec: this process joined the container's namespaces before its Go runtime started")
			}
			if cfg.ExecFifoFd == 0 {
				// The parent waits for the sync socket's EOF (start.go,
				// awaitInit); after create, no one does.
				in.log("closing the pipe to signal completion: execve closes the sync socket (close-on-exec), and the parent reads EOF")
			}
		}
		return execError(p.Args[0], in.sys.Execve(in.argv))
	})
	return st
}

// mounts does the config's mounts. The init's cwd is not the bundle (a
// user namespace's root may not even be able to enter it), so relative
// bind sources are made absolute; idmapped binds come from the parent, and
// so do the sources of the others in a user namespace (BindSources).
func (in *initRun) mounts() error {
	for i, m := range in.cfg.Spec.Mounts {
		if m.Source != "" && !filepath.IsAbs(m.Source) && rootfs.IsBind(m) {
			m.Source = filepath.Join(in.cfg.Bundle, m.Source)
		}
		if rootfs.IsIdmapped(m) {
			if err := requestIdmappedMount(in.sys, in.cfg, i, m, in.log); err != nil {
				return err
			}
			continue
		}
		if readonlyDevTmpfs(m) {
			// /dev/pts, /dev/shm and the device nodes are made inside it
			// next; it becomes read-only once they are there.
			m.Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" })
		}
		if in.cfg.BindSources && rootfs.IsBind(m) {
			done, err := mountFromParent(in.sys, in.cfg, i, m)
			if err != nil {
				return err
			}
			if done {
				continue
			}
		}
		if err := in.sys.MountIn(in.cfg.Rootfs, m, byPath); err != nil {
			return stepErr("mount "+m.Destination, err)
		}
	}
	return nil
}

// readonlyDevTmpfs is a tmpfs on /dev asked to be read-only.
func readonlyDevTmpfs(m specs.Mount) bool {
	return m.Type == "tmpfs" && filepath.Clean(m.Destination) == "/dev" && slices.Contains(m.Options, "ro")
}

// configWait is when the init began to wait for its config: the end of
// its Go runtime's start, for --debug=timings.
var configWait time.Duration

// run runs the plan. It returns only on failure: the last step is execve.
func run(steps []step) error {
	t := trace.NewTimer("minirun[init]")
	t.StepAt("package init to main", configWait)
	t.Step("wait for and decode config")
	for _, s := range steps {
		if s.name == stepExecve {
			t.Step("(before execve)")
			t.PeakRSS()
		}
		if err := s.run(); err != nil {
			return err
		}
		t.Step(s.name)
	}
	return nil
}

// execSequence is the child half of exec: execSteps, run.
func execSequence(c Conn, cfg *Config) error {
	in, err := newKernelRun(c, cfg, false)
	if err != nil {
		return err
	}
	return run(in.execSteps())
}

func initSequence(c Conn, cfg *Config) error {
	in, err := newKernelRun(c, cfg, rootfs.UnifiedCgroups())
	if err != nil {
		return err
	}
	return run(in.initSteps())
}

// afterFilter lists the syscalls the plan's steps make once the filter is
// loaded, in order, each once. It is empty when there is no filter.
func afterFilter(steps []step) []string {
	var out []string
	seen := map[string]bool{}
	loaded := false
	for _, s := range steps {
		if s.name == stepSeccomp {
			loaded = true
			continue
		}
		if !loaded {
			continue
		}
		for _, sc := range s.syscalls {
			if !seen[sc] {
				seen[sc] = true
				out = append(out, sc)
			}
		}
	}
	return out
}

// postFilterSyscalls is afterFilter for the init (or, with exec, an exec'd
// process) of spec s: what CheckStartable requires every profile to allow.
func postFilterSyscalls(s *specs.Spec, exec bool) []string {
	cfg := &Config{Spec: s, Exec: exec, ExecFifoFd: 1, Seccomp: placeholderProgram}
	// The tail's shape needs only the config: no system, namespaces or
	// logger, since none of its steps runs.
	return afterFilter((&initRun{cfg: cfg}).processSteps(3))
}

func hasSoftRlimits(rls []specs.POSIXRlimit) bool {
	for _, r := range rls {
		if r.Type != "RLIMIT_NOFILE" {
			return true
		}
	}
	return false
}

// placeholderProgram stands for "a filter is loaded" in a plan that is
// only read.
var placeholderProgram = &filter.Filter{}

// execArgs are execve's arguments as the kernel takes them, built while
// the process may still do anything. Go's own exec builds them at the
// call, and allocating there can need an mmap of the Go heap, which the
// container's filter may deny (a recorded profile of a static program has
// no mmap): the runtime then dies with "cannot allocate memory" instead of
// running the container. The raw execve after the filter allocates nothing.
type execArgs struct {
	path       *byte
	argv, envv []*byte
}

func newExecArgs(path string, args, env []string) (*execArgs, error) {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return nil, fmt.Errorf("execve %q: %w", path, err)
	}
	argv, err := syscall.SlicePtrFromStrings(args)
	if err != nil {
		return nil, fmt.Errorf("execve %q: args: %w", path, err)
	}
	envv, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return nil, fmt.Errorf("execve %q: env: %w", path, err)
	}
	return &execArgs{path: p, argv: argv, envv: envv}, nil
}
