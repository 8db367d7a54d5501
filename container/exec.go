package container

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/container/config"
	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/internal/procattr"
	"github.com/minirun/minirun/internal/trace"
	"github.com/minirun/minirun/namespaces"
	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/state"
)

// ExecRequest is the process to start in a running container.
type ExecRequest struct {
	// Process is the complete process to run; when nil, Overrides are
	// applied to the container's own process (see ExecProcess).
	Process   *specs.Process
	Overrides *ExecOverrides
	// IgnorePaused execs into a paused container (runc's --ignore-paused):
	// the process joins the frozen cgroup and starts when it is resumed.
	IgnorePaused bool
	// SubCgroups puts the process in existing cgroups below the
	// container's instead of in the container's own (runc's exec --cgroup).
	SubCgroups cgroups.SubCgroups
}

// Exec starts a process inside a running container: an init with the C
// pre-main (minirun-init-nsenter, or minirun itself: initexe.go) that
// enters the container's namespaces (the pid namespace through this
// thread, the others in its C pre-main; with a user namespace, all of them
// in the pre-main, which forks into the pid namespace: execpidns.go), is
// moved into the container's
// cgroup, then applies the process's identity, capabilities and the
// container's seccomp filter and execs. Wait on the result for its status.
func (c *Container) Exec(o ExecRequest, stdio IO, lc Lifecycle) (*Process, error) {
	timer.Step("cli")
	sr, err := state.OpenRoot(c.rt.Root)
	if err != nil {
		return nil, stepErr("exec", err)
	}
	id := c.ID
	st, err := sr.Read(id)
	if err != nil {
		return nil, stepErr("exec", err)
	}
	refresh(sr, st)
	if st.Status == StatePaused && !o.IgnorePaused {
		// runc's words, which its scripts match.
		return nil, stepErrf("exec", "container %s: cannot exec in a paused container (use --ignore-paused to override)", id)
	}
	if st.Status != specs.StateRunning && st.Status != specs.StateCreated && st.Status != StatePaused {
		return nil, stepErrf("exec", "container %s is %s: %w", id, st.Status, ErrNotRunning)
	}
	spec, err := sr.ReadSpec(id)
	if err != nil {
		return nil, stepErr("exec", err)
	}
	switch {
	case o.Process != nil:
		spec.Process = o.Process
	case o.Overrides != nil:
		spec.Process = ExecProcess(spec.Process, *o.Overrides)
		if o.Overrides.Unconfined && spec.Linux != nil {
			spec.Linux.Seccomp = nil
		}
	default:
		return nil, stepErrf("exec", "no process to run")
	}
	if stdio.ConsoleSocket == "" {
		inheritConsoleSize(spec.Process, stdio.Stdin)
	}
	if len(spec.Process.Args) == 0 {
		return nil, stepErrf("exec", "process.args: empty")
	}
	if err := procattr.Validate(spec); err != nil {
		return nil, stepErr("exec", err)
	}
	timer.Step("read state and config")
	if len(o.SubCgroups) > 0 && st.CgroupPath == "" {
		return nil, stepErrf("exec cgroup", "container %s has no cgroup of its own to choose a sub-cgroup of", id)
	}
	if st.CgroupPath != "" {
		go cgroups.WarmMoveLock() // see start
	}
	prog, err := compileSeccomp(spec, initproc.NeededAfterFilter(spec, true), trace.New(c.rt.Debug, ""))
	if err != nil {
		return nil, err
	}
	timer.Step("seccomp compile/cache")
	joins, err := containerNamespaces(spec, st.Pid)
	if err != nil {
		return nil, err
	}
	defer joins.close()
	joins.pidInChild()
	opts := &options{Config: Config{ID: id, Bundle: st.Bundle, Spec: spec, NoNewKeyring: st.NoNewKeyring},
		IO: stdio, Lifecycle: lc, Debug: c.rt.Debug}
	var rootDir *os.File
	if !joins.has("mnt") {
		// Kept open: the exec chroots through it.
		if rootDir, err = os.OpenFile(fmt.Sprintf("/proc/%d/root", st.Pid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err != nil {
			return nil, stepErrf("exec", "open the container's root: %w", err)
		}
		defer rootDir.Close()
	}
	// The init was alive when refresh looked and is alive now, with the
	// same start time: so the namespaces and root just opened by its pid
	// are its own, not those of a process that took the pid in between.
	if !state.Alive(st.Pid, st.InitStart) {
		return nil, stepErrf("exec", "container %s: its init exited while exec opened its namespaces: %w", id, ErrNotRunning)
	}
	return startExec(opts, prog, joins, rootDir, st.CgroupPath, o.SubCgroups)
}

// containerNamespaces lists every namespace of the running init, user
// first and mount last (namespaces.Table's order).
func containerNamespaces(spec *specs.Spec, pid int) (*joinSet, error) {
	plan, err := namespaces.FromSpec(config.LinuxOf(spec).Namespaces)
	if err != nil {
		return nil, stepErr("exec", err)
	}
	var joins []namespaces.Join
	for _, k := range namespaces.Table {
		if plan.Has(k.Type) {
			joins = append(joins, namespaces.Join{Kind: k, Path: fmt.Sprintf("/proc/%d/ns/%s", pid, k.Proc)})
		}
	}
	return openJoins(joins)
}

func startExec(o *options, prog *seccomp.Program, joins *joinSet, root *os.File, cgroupPath string, sub cgroups.SubCgroups) (*Process, error) {
	exe, initProg, err := execInitExe()
	if err != nil {
		return nil, stepErr("seal runtime binary", err)
	}
	debugf(o.Debug, "init program: %s, from a sealed read-only view of it", initProg)
	parentSock, childSock, err := newSocketPair()
	if err != nil {
		return nil, stepErr("exec", err)
	}
	defer parentSock.Close()
	l := newLaunch(o.ExtraFiles, childSock, nil, joins, nil)
	rootFd := 0
	if root != nil {
		rootFd = l.add(root)
	}
	l.addLog(o.Debug)
	if o.Debug {
		// runc's name for this step too (see start): the C pre-main
		// (nsenter) of the new process joins the container's namespaces;
		// a pid namespace is entered by this thread before the fork,
		// unless the pre-main forks into it (pidInChild).
		names := slices.Clone(joins.names)
		if joins.pid != nil {
			names = append(names, "pid (entered by the parent)")
		}
		debugf(true, "nsexec container setup: the exec'd process joins the container's namespaces: %s", strings.Join(names, ", "))
	}
	cmd := l.command(exe, o, &syscall.SysProcAttr{})
	if o.Detached {
		cmd.SysProcAttr.Setsid = !o.Spec.Process.Terminal
	} else {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	var forked *os.Process
	if joins.forksIntoPid() {
		forked, err = startForking(cmd, int(parentSock.Fd()), childSock)
	} else {
		err = startIn(cmd, joins)
		childSock.Close()
	}
	if err != nil {
		return nil, stepErr("exec", err)
	}
	p := &Process{Pid: cmd.Process.Pid, cmd: cmd, opts: o, isExec: true, forked: forked}
	if forked != nil {
		p.Pid = forked.Pid
	}
	timer.Step("open namespaces, fork+exec")
	if err := p.setUpExec(prog, parentSock, l, rootFd, cgroupPath, sub); err != nil {
		p.kill()
		p.closeConsole()
		return nil, err
	}
	return p, nil
}

func (p *Process) setUpExec(prog *seccomp.Program, sock *os.File, l *launch, rootFd int, cgroupPath string, sub cgroups.SubCgroups) error {
	if cgroupPath != "" {
		mgr, err := cgroups.Load(cgroupPath)
		if err != nil {
			return stepErr("exec cgroup", err)
		}
		if err := cgroups.ApplySub(mgr, p.Pid, sub); err != nil {
			return stepErr("exec cgroup", err)
		}
		timer.Step("cgroup move")
	}
	if err := setRlimits(p.Pid, p.opts.Spec.Process.Rlimits); err != nil {
		return stepErr("rlimits", err)
	}
	if err := setInitialAffinity(p.opts.Spec.Process, p.Pid); err != nil {
		return stepErr("cpu affinity", err)
	}
	c := initproc.NewConn(int(sock.Fd()))
	cfg := l.execConfig(p.opts, prog)
	cfg.RootFd = rootFd
	if err := p.handshake(c, cfg); err != nil {
		return err
	}
	timer.Step("send config, process set-up")
	return writePidFile(p.opts.PidFile, p.Pid)
}

// setInitialAffinity is the parent's half of execCPUAffinity: the exec'd
// process runs on the initial CPUs from its first instruction in the
// container's cgroup (where the cpuset may narrow them further).
func setInitialAffinity(p *specs.Process, pid int) error {
	if p.ExecCPUAffinity == nil || p.ExecCPUAffinity.Initial == "" {
		return nil
	}
	cs, err := procattr.CPUSet(p.ExecCPUAffinity.Initial, "process.execCPUAffinity.initial")
	if err != nil {
		return err
	}
	if err := unix.SchedSetaffinity(pid, cs); err != nil {
		return fmt.Errorf("sched_setaffinity %d to %s: %w", pid, p.ExecCPUAffinity.Initial, err)
	}
	return nil
}
