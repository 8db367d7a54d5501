package container

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/container/config"
	"github.com/minirun/minirun/container/hooks"
	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/internal/procstat"
	"github.com/minirun/minirun/internal/subid"
	"github.com/minirun/minirun/internal/trace"
	"github.com/minirun/minirun/namespaces"
	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/watch"
	"github.com/minirun/minirun/state"
)

// Process is a started container init.
type Process struct {
	Pid     int
	cmd     *exec.Cmd
	opts    *options
	reg     *registration
	cg      cgroups.Manager
	console *os.File    // pty master kept for a foreground run
	isExec  bool        // an exec'd process: Wait leaves the container alone
	forked  *os.Process // an exec forked into the pid namespace by cmd's pre-main (execpidns.go)
	sigs    chan os.Signal
	reaper  *reaper // of a foreground start: cleans up if minirun is killed
}

// forwardedSignals are passed on to the container by a foreground Wait.
var forwardedSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}

// catchSignals starts queueing the signals Wait forwards, before the
// container exists: a SIGTERM that arrives while it starts must reach it,
// not kill minirun (and, through Pdeathsig, the container with it).
func catchSignals() chan os.Signal {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwardedSignals...)
	return sigs
}

// timer reports the parent's steps for --debug=timings.
var timer = trace.NewTimer("minirun")

// debugf prints a parent-side trace line.
func debugf(on bool, format string, args ...any) {
	if on {
		trace.New(true, "")(format, args...)
	}
}

// start runs the parent half of the init sequence:
//
//  1. compile the seccomp filter (or take it from the cache), so the child
//     only has to load it;
//  2. register the container under Root (state "creating", exec fifo);
//  3. start the child with the clone flags, which creates the namespaces;
//     namespaces given by path are entered by the child's C pre-main
//     (nsenter), the pid namespace by this thread before the fork, and so
//     are net, ipc and uts when they are all there is to join
//     (joinsByThread); the uid/gid maps are written by the Go runtime
//     before the child's execve;
//  4. send the config over the socket, which the child decodes while
//     this process goes on, and acts on only after step 6;
//  5. put the child in its cgroup and apply linux.resources, set rlimits
//     with prlimit while the child still can't have dropped anything (in
//     a user namespace it could never raise them back), move network
//     devices;
//  6. tell the child it is placed, and serve its requests (createRuntime
//     hooks, pty, seccomp listener) until it is created; where it stops
//     for the hooks, after its mounts, it also waits for the rest of the
//     front's set-up (BeforeInit's ready: the network's plugins, which
//     ran meanwhile, or pasta, which needs its pid);
//  7. unless CreateOnly, release it (exec fifo), wait for its execve and
//     run the poststart hooks.
//
// On error nothing is left running, registered or in a cgroup.
func start(o *options) (*Process, error) {
	s := o.Spec
	o.log, o.rootfs = trace.New(o.Debug, ""), config.RootfsPath(s, o.Bundle)
	plan, err := namespaces.FromSpec(s.Linux.Namespaces)
	if err != nil {
		return nil, stepErr("namespaces", err)
	}
	newUserNS := plan.Creates(specs.UserNamespace)
	// A cgroup needs a name: the ID, or linux.cgroupsPath.
	if o.ID != "" || s.Linux.CgroupsPath != "" {
		if o.cgroupPath, err = cgroups.Resolve(s.Linux.CgroupsPath, o.ID); err != nil {
			return nil, stepErr("cgroup", err)
		}
	}
	o.idMaps = idMapModeOf(s, newUserNS)
	if Rootless() {
		if err := checkRootless(s, plan, o.idMaps); err != nil {
			return nil, err
		}
		// Checked before anything is registered: a config asking for
		// limits no cgroup can hold is refused, one asking none runs in
		// the caller's own cgroup.
		want, err := rootlessCgroup(s.Linux.Resources, o.cgroupPath)
		if err != nil {
			return nil, err
		}
		if !want {
			o.cgroupPath = ""
		}
	}
	timer.Step("cli and config")
	if o.cgroupPath != "" {
		go cgroups.WarmMoveLock()
	}
	needed, required := initproc.AfterFilter(s)
	prog, err := compileSeccomp(s, needed, o.log)
	if err != nil {
		return nil, err
	}
	if prog, err = watchSeccomp(o, prog, required); err != nil {
		return nil, err
	}
	timer.Step("seccomp compile/cache")
	exe, initProg, err := initExe(plan, o.idMaps == idMapHelper)
	if err != nil {
		return nil, stepErr("seal runtime binary", err)
	}
	o.log("init program: %s, from a sealed read-only view of it", initProg)
	timer.Step("seal runtime binary")
	if o.ConsoleSocket == "" {
		inheritConsoleSize(s.Process, o.Stdin)
	}
	reg, err := register(o)
	if err != nil {
		return nil, err
	}
	timer.Step("register state")
	var rp *reaper
	if reg != nil && !o.Detached {
		if rp, err = startReaper(o, reg); err != nil {
			reg.abandon()
			return nil, err
		}
		timer.Step("start reaper")
	}
	// The namespaces to join are opened only now: the front's set-up
	// may make one (BeforeInit), under the reaper's watch.
	joins, front, err := beforeInitAndJoins(o.BeforeInit, o.rootfs, plan)
	if err != nil {
		reg.abandon()
		rp.stop()
		return nil, err
	}
	defer joins.close()
	o.front = front
	p, err := startInit(o, plan, exe, prog, joins, reg)
	if err != nil {
		_ = front.done(0) // before the front undoes it
		reg.abandon()
		rp.stop()
		return nil, err
	}
	p.reaper = rp
	reg.unlock()
	return p, nil
}

func startInit(o *options, plan namespaces.Plan, exe string, prog *seccomp.Program, joins *joinSet, reg *registration) (*Process, error) {
	s := o.Spec
	parentSock, childSock, err := newSocketPair()
	if err != nil {
		return nil, stepErr("start init", err)
	}
	defer parentSock.Close()
	fifoPath := ""
	if reg != nil {
		fifoPath = reg.fifo
	}
	fifo, err := openFifoFd(fifoPath)
	if err != nil {
		childSock.Close()
		return nil, err
	}
	var sigs chan os.Signal
	if !o.Detached && o.ForwardSignals {
		sigs = catchSignals()
	}
	stopSigs := func() {
		if sigs != nil {
			signal.Stop(sigs)
		}
	}
	manageCgroup := o.cgroupPath != ""
	var mapsDone, mapsWait *os.File // the helper case's pipe (rootless.go)
	if o.idMaps == idMapHelper {
		if mapsWait, mapsDone, err = os.Pipe(); err != nil {
			childSock.Close()
			if fifo != nil {
				fifo.Close()
			}
			stopSigs()
			return nil, stepErr("start init", err)
		}
		defer mapsDone.Close()
	}
	cmd, l := initCommand(o, plan, exe, childSock, fifo, joins, manageCgroup, mapsWait)
	// runc calls this step, done by its C nsexec, "nsexec container
	// setup"; scripts look for the words (runc's debug.bats). Here the
	// clone makes the new namespaces and the C pre-main (nsenter), or the
	// forking thread (startIn), joins the ones given by path.
	o.log("nsexec container setup: clone the init into its namespaces: %s", plan)
	if len(joins.byThread) > 0 {
		o.log("joined namespaces entered by the forking thread, not the init: %s", joins.threadNames())
	}
	err = startIn(cmd, joins)
	childSock.Close()
	if fifo != nil {
		fifo.Close()
	}
	if mapsWait != nil {
		mapsWait.Close()
	}
	if err != nil {
		stopSigs()
		return nil, stepErr("start init", err)
	}
	p := &Process{Pid: cmd.Process.Pid, cmd: cmd, opts: o, reg: reg, sigs: sigs}
	timer.Step("fork+exec init")
	o.log("init started as pid %d", p.Pid)
	if mapsDone != nil {
		err := (&subid.Maps{UIDs: s.Linux.UIDMappings, GIDs: s.Linux.GIDMappings}).Write(p.Pid)
		if err == nil {
			_, err = mapsDone.Write([]byte{0})
		}
		if err != nil {
			if sigs != nil {
				signal.Stop(sigs)
			}
			p.kill()
			return nil, stepErr("uid/gid maps", err)
		}
		o.log("uid/gid maps written by newuidmap/newgidmap")
	}
	if w := o.watch.Watcher(); w != nil {
		w.Started(p.Pid)
	}
	if err := p.setUp(plan, prog, parentSock, fifoPath, l, manageCgroup); err != nil {
		if sigs != nil {
			signal.Stop(sigs)
		}
		p.kill()
		_ = removeCgroup(p.cg)
		p.closeConsole()
		return nil, err
	}
	return p, nil
}

// initCommand starts exe, an init program (initexe.go), as the container's init. Its fds
// from 3 are the preserved ones, the sync socket, the exec fifo (if any)
// and the namespaces to join; it returns the fifo's number there.
func initCommand(o *options, plan namespaces.Plan, exe string, childSock, fifo *os.File, joins *joinSet, manageCgroup bool, mapsWait *os.File) (*exec.Cmd, *launch) {
	s := o.Spec
	flags := plan.CloneFlags()
	l := newLaunch(o.ExtraFiles, childSock, fifo, joins, mapsWait)
	l.addLog(o.Debug)
	if deferCgroupNS(manageCgroup) {
		// The init unshares its cgroup namespace itself once it is in the
		// container's cgroup, so the namespace is rooted there, not here.
		// Rootless without a cgroup, it does so too, so that the cgroup
		// mount binds the caller's own cgroup, not the whole tree.
		flags &^= unix.CLONE_NEWCGROUP
	}
	cmd := l.command(exe, o, &syscall.SysProcAttr{Cloneflags: flags})
	if !o.Detached {
		// If minirun dies, the container must not outlive it unattended.
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	} else {
		cmd.SysProcAttr.Setsid = !s.Process.Terminal
	}
	userNSIDs(cmd.SysProcAttr, s, o.idMaps)
	return cmd, l
}

// setUp runs steps 4 to 7 of Start on a running child.
func (p *Process) setUp(plan namespaces.Plan, prog *seccomp.Program, sock *os.File, fifo string, l *launch, manageCgroup bool) (err error) {
	o, s, reg := p.opts, p.opts.Spec, p.reg
	// The config goes out first: the init decodes it (a millisecond of
	// reflection in a fresh process) while this process places it in its
	// cgroup, and acts on it only once told it is placed.
	c := initproc.NewConn(int(sock.Fd()))
	bindSources := bindSourcesFromParent(s, plan)
	cfg := l.initConfig(o, prog, deferCgroupNS(manageCgroup) && plan.Creates(specs.CgroupNamespace))
	cfg.AwaitPlaced, cfg.BindSources = true, bindSources
	cfg.AwaitParent = o.front != nil
	if err := p.sendConfig(c, cfg); err != nil {
		return err
	}
	timer.Step("send config")
	if manageCgroup {
		cg, err := placeInCgroup(s.Linux, o.cgroupPath, o.ID, p.Pid, reg.recordCgroup)
		p.cg = cg
		if err != nil {
			return err
		}
		timer.Step("cgroup create+move+set")
	}
	if err := setRlimits(p.Pid, s.Process.Rlimits); err != nil {
		return stepErr("rlimits", err)
	}
	timer.Step("rlimits, net devices")
	if err := moveNetDevices(s.Linux.NetDevices, p.Pid); err != nil {
		return stepErr("network devices", err)
	}
	if fifo == "" {
		// The init will not stop before execve: the pid file must be
		// there (or its failure known) before the container runs, and
		// gone again if the start fails after all.
		if err := writePidFile(o.PidFile, p.Pid); err != nil {
			return err
		}
		if o.PidFile != "" {
			defer func() {
				if err != nil {
					os.Remove(o.PidFile)
				}
			}()
		}
	}
	if err := p.orInitError(c, "send placed", c.Send(initproc.Message{Type: initproc.Placed}, -1)); err != nil {
		return err
	}
	if err := p.awaitInit(c); err != nil {
		return err
	}
	timer.Step("init set-up")
	cgPath := ""
	if p.cg != nil {
		cgPath = p.cg.Path()
	}
	if fifo == "" {
		// No create/start split (a run): the init has exec'd.
		err := p.started(cgPath)
		timer.Step("state: running, poststart")
		return err
	}
	if err := reg.created(p.Pid, cgPath, o.PidFile); err != nil {
		return err
	}
	timer.Step("state: created")
	if o.CreateOnly || reg == nil {
		return nil
	}
	if err := releaseInit(fifo); err != nil {
		// An init that died on the way said why on the socket.
		if ierr := p.awaitInit(c); ierr != nil {
			return ierr
		}
		return err
	}
	// The init now runs its startContainer hooks and execs; an error on
	// the way comes back here (127 for a missing command).
	if err := p.awaitInit(c); err != nil {
		return err
	}
	timer.Step("release, confirm execve")
	err = p.started(cgPath)
	timer.Step("state: running, poststart")
	return err
}

// started marks a running container and runs the poststart hooks, whose
// failure the spec makes a warning.
func (p *Process) started(cgPath string) error {
	if r := p.reg; r != nil && r.st.Pid == 0 {
		// A run: "created" was never saved, so its record of the init
		// goes with "running".
		if err := r.record(p.Pid, cgPath, specs.StateRunning, ""); err != nil {
			return stepErr("start", err)
		}
	} else if r != nil {
		r.st.Status = specs.StateRunning
		if err := r.h.Save(r.st); err != nil {
			return stepErr("start", err)
		}
	}
	hooks.Warn(p.opts.Spec, hooks.Poststart, hookState(p.opts, p.Pid, specs.StateRunning))
	return nil
}

// awaitInit reads the init's messages until it has exec'd (EOF), reached
// the created state, or failed.
func (p *Process) awaitInit(c initproc.Conn) error {
	for {
		var m initproc.Message
		fd, err := c.Recv(&m)
		if errors.Is(err, initproc.ErrEOF) {
			return confirmExec(p.Pid)
		}
		if err != nil {
			// ECONNRESET and the like: the init died with a message
			// unread. How it died says more than the socket can.
			if st, serr := procstat.ReadStat(p.Pid); serr == nil && st.Exited() {
				return &Error{Step: "init", Code: ExitRuntime, Err: diedBeforeExec(p.Pid, st.ExitCode)}
			}
			return stepErr("wait for init", err)
		}
		switch m.Type {
		case "error":
			code := m.Code
			if code == 0 {
				code = ExitRuntime
			}
			return &Error{Step: m.Step, Code: code, Err: errors.New(m.Err)}
		case "listener-at":
			if w := p.opts.watch.Watcher(); w != nil {
				go grabListener(p.Pid, m.Code, w)
			}
		case "listener":
			if w := p.opts.watch.Watcher(); w != nil && fd >= 0 {
				w.Serve(fd) // it owns the fd from here
				continue
			}
			err := p.sendListener(fd)
			unix.Close(fd)
			if err != nil {
				return stepErr("seccomp listener", err)
			}
		case "hooks":
			// The container's hooks, as the container, may count on
			// the front's set-up (its network).
			if err := p.opts.front.done(p.Pid); err != nil {
				return err
			}
			if err := p.runtimeHooks(c); err != nil {
				return err
			}
		case "idmap":
			if err := p.idmappedMount(c, m.Index); err != nil {
				return err
			}
		case "bindsrc":
			if err := p.bindSource(c, m.Index); err != nil {
				return err
			}
		case "pty":
			if err := p.takeConsole(fd); err != nil {
				return err
			}
		case "created":
			return nil
		}
	}
}

// runtimeHooks runs prestart and createRuntime in the runtime's
// namespaces, now that the container's exist but before pivot_root, and
// answers the init with the state its own hooks will need.
func (p *Process) runtimeHooks(c initproc.Conn) error {
	st := hookState(p.opts, p.Pid, specs.StateCreating)
	for _, kind := range []string{hooks.Prestart, hooks.CreateRuntime} {
		if err := hooks.Run(p.opts.Spec, kind, st); err != nil {
			return err
		}
	}
	if err := c.Send(initproc.Message{Type: "ok", State: &st}, -1); err != nil {
		return stepErrf("hooks", "answer init: %w", err)
	}
	return nil
}

// takeConsole sends the pty master to --console-socket, or keeps it for a
// foreground Wait to copy.
func (p *Process) takeConsole(fd int) error {
	if fd < 0 {
		return stepErrf("console", "init sent no pty master")
	}
	if p.opts.ConsoleSocket != "" {
		err := sendConsole(p.opts.ConsoleSocket, fd)
		unix.Close(fd)
		return stepErr("console", err)
	}
	p.console = os.NewFile(uintptr(fd), "pty-master")
	return nil
}

func (p *Process) closeConsole() {
	if p.console != nil {
		p.console.Close()
	}
}

func (p *Process) sendListener(fd int) error {
	s := p.opts.Spec.Linux.Seccomp
	state := specs.ContainerProcessState{
		Version:  specs.Version,
		Fds:      []string{specs.SeccompFdName},
		Pid:      p.Pid,
		Metadata: s.ListenerMetadata,
		State: specs.State{
			Version: specs.Version, ID: p.opts.ID, Status: specs.StateCreating,
			Pid: p.Pid, Bundle: p.opts.Bundle, Annotations: p.opts.Spec.Annotations,
		},
	}
	return seccomp.SendListener(s.ListenerPath, fd, state)
}

// kill ends a half-started init and reaps it, so a failed start leaves no
// process behind. The mounts it made die with its mount namespace.
func (p *Process) kill() {
	p.killForked()
	_ = p.cmd.Process.Kill()
	_, _ = p.cmd.Process.Wait()
}

// Release reaps an init that was deleted rather than waited for (a Go API
// caller's Create then Delete), and stops what this process ran for it:
// its reaper, signal forwarding and console. Without it the init stays a
// zombie child and the reaper runs until this process exits.
func (p *Process) Release() {
	p.kill()
	if p.sigs != nil {
		signal.Stop(p.sigs)
	}
	p.closeConsole()
	p.reaper.stop()
}

// Wait forwards signals to the container's first process until it exits,
// and returns its status the way a shell reports it: the exit code, or
// 128+N when signal N killed it. The container is then deleted: its
// cgroup, its state, and the poststop hooks run. A seccomp report or
// recording is written last.
func (p *Process) Wait() (int, error) {
	code, err := p.wait()
	if werr := p.opts.watch.Finish(p.opts.Stderr); werr != nil && err == nil {
		err = werr
	}
	return code, err
}

func (p *Process) wait() (int, error) {
	sigs := p.sigs
	if sigs == nil && p.opts.ForwardSignals {
		sigs = catchSignals()
	}
	if sigs != nil && !p.opts.ExitsAfterWait {
		defer signal.Stop(sigs)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-sigs:
				if sig == syscall.SIGWINCH && p.console != nil {
					// The container's terminal follows ours; the kernel
					// tells its foreground processes with their own SIGWINCH.
					copyWinsize(p.console, p.opts.Stdin)
					continue
				}
				_ = unix.Kill(p.Pid, sig.(syscall.Signal))
			case <-done:
				return
			}
		}
	}()
	var output <-chan struct{}
	if p.console != nil {
		restore, out := proxyConsole(p.console, p.opts.Stdin, p.opts.Stdout)
		defer restore()
		output = out
	}
	timer.Skip()
	ps, err := p.waitProcess()
	timer.Step("container ran (wait)")
	close(done)
	if output != nil {
		// The slave closed with the last process: drain what is left.
		select {
		case <-output:
		case <-time.After(time.Second):
		}
		p.console.Close()
	}
	code, err := exitStatus(ps, err)
	if w := p.opts.watch.Watcher(); w != nil && ps != nil {
		if werr := w.Exited(ps.Sys().(syscall.WaitStatus)); werr != nil {
			trace.Warnf("seccomp watch: %v", werr)
		}
	}
	if p.isExec {
		return code, err
	}
	if p.opts.Keep && p.reg != nil {
		p.reaper.stop()
		return code, err
	}
	if derr := p.destroy(); derr != nil && err == nil {
		err = derr
	}
	timer.Step("delete")
	p.reaper.stop()
	timer.Step("stop reaper")
	timer.PeakRSS()
	return code, err
}

// destroy removes what Start set up once the init is gone.
func (p *Process) destroy() error {
	if p.reg == nil {
		err := removeCgroup(p.cg)
		hooks.Warn(p.opts.Spec, hooks.Poststop, hookState(p.opts, 0, specs.StateStopped))
		return err
	}
	return p.deleteReaped()
}

// deleteReaped is Delete for the container this process started and has
// just reaped. It holds the cgroup manager and the config already, so it
// neither loads the cgroup from the hierarchies again nor reads the saved
// config back for the poststop hooks; the state is still opened and
// locked, and left alone if the id now names another container (deleted
// and created again by someone else while this one ran).
func (p *Process) deleteReaped() error {
	sr, err := state.OpenRoot(p.opts.Root)
	if err != nil {
		return stepErr("delete", err)
	}
	h, st, err := open(sr, p.opts.ID)
	if err != nil {
		return (&Runtime{Root: p.opts.Root}).handle(p.opts.ID).Delete(true)
	}
	defer h.Unlock()
	if !st.Created.Equal(p.reg.st.Created) {
		return nil
	}
	timer.Step("delete: open state")
	if err := removeCgroup(p.cg); err != nil {
		return err
	}
	timer.Step("delete: cgroup")
	return removeStopped(h, st, p.opts.Spec)
}

func exitStatus(ps *os.ProcessState, err error) (int, error) {
	if ps == nil {
		return ExitRuntime, stepErr("wait", err)
	}
	ws := ps.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ws.ExitStatus(), nil
}

// compileSeccomp turns linux.seccomp into a program the init only has to
// load. A profile that denies what the runtime still needs after loading
// it (needed: initproc.NeededAfterFilter, execve first) could never start
// anything: say so now rather than fail inside a half-built container.
func compileSeccomp(s *specs.Spec, needed []string, log trace.Logger) (*seccomp.Program, error) {
	if s.Linux == nil || s.Linux.Seccomp == nil {
		log("seccomp: none (unconfined)")
		return nil, nil
	}
	prog, err := seccomp.Compile(s.Linux.Seccomp)
	if err != nil {
		return nil, stepErr("seccomp", err)
	}
	if name, action := prog.FirstRefused(needed); name != "" {
		return nil, stepErrf("seccomp", "the profile gives %s to %s, which the runtime needs after loading the filter; no container could start under it", action, name)
	}
	log("seccomp: %d rules, arches %s, default %s, cached=%v, %d BPF instructions",
		prog.Rules, strings.Join(prog.Arches, ","), prog.DefaultAction, prog.Cached, len(prog.Instructions))
	return prog, nil
}

// watchSeccomp opens the watch o.Seccomp asks for and swaps the program
// for the one it serves: the report's (refusals notified) or the
// recorder's (everything allowed notified). Neither works where the
// profile sends its notifications to an agent (listenerPath): one filter
// has one listener.
func watchSeccomp(o *options, prog *seccomp.Program, required []string) (*seccomp.Program, error) {
	src := o.SeccompSource
	if src == nil {
		src = func() (*watch.Source, error) {
			if l := o.Spec.Linux.Seccomp; l != nil {
				return watch.OCISource("config.json linux.seccomp", l), nil
			}
			return nil, nil
		}
	}
	// The syscalls the init still makes once its filter is loaded
	// (initproc.SeccompRequired): a recorded profile must allow them, or it
	// would refuse its own start.
	rw, err := o.Seccomp.Open(watch.Target{Spec: o.Spec, Required: func() []string { return required }, Source: src})
	if err != nil || rw == nil {
		return prog, err
	}
	w := rw.Watcher()
	step := "seccomp report"
	if w.Recording() {
		step = "seccomp record"
	}
	if o.Detached || o.CreateOnly {
		return nil, stepErrf(step, "needs minirun in the foreground to answer the container's calls (not with -d or create)")
	}
	if l := o.Spec.Linux.Seccomp; l != nil && l.ListenerPath != "" {
		return nil, stepErrf(step, "profile with listenerPath %s: %w", l.ListenerPath, watch.ErrListenerInUse)
	}
	q, err := w.Program(prog, required)
	if err != nil {
		return nil, stepErr(step, err)
	}
	o.watch = rw
	o.log("%s: %d BPF instructions, notifications answered by pid %d", step, len(q.Instructions), os.Getpid())
	return q, nil
}

// grabListener takes the init's listener fd n with pidfd_getfd once the
// init has loaded its filter (see announceListener), and serves it. It
// gives up when the watch already serves (the init's message came first),
// the init is gone, or after two seconds.
func grabListener(pid, n int, w *watch.Watcher) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return
	}
	defer unix.Close(pidfd)
	deadline := time.Now().Add(2 * time.Second)
	for !w.Serving() && time.Now().Before(deadline) {
		fd, err := unix.PidfdGetfd(pidfd, n, 0)
		if err == nil {
			if watch.IsListener(fd) {
				w.Serve(fd)
				return
			}
			unix.Close(fd)
		} else if errors.Is(err, unix.ESRCH) || errors.Is(err, unix.EPERM) {
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
}
