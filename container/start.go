package container

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/namespaces"
	"github.com/minirun/minirun/seccomp"
)

// Options describe one container start.
type Options struct {
	ID     string
	Bundle string
	Spec   *specs.Spec
	Debug  bool
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// ExecFifo, when set, makes the init wait before execve until the
	// fifo is opened for reading (create/start).
	ExecFifo string
	// Detached starts the init without tying its life to this process.
	Detached bool
	// ExtraFiles are passed to the init and survive into the container
	// (--preserve-fds); they become fds 3, 4, ... and the sync socket
	// comes after them.
	ExtraFiles []*os.File
}

// Process is a started container init.
type Process struct {
	Pid  int
	cmd  *exec.Cmd
	opts *Options
}

// debugf prints a parent-side trace line.
func debugf(on bool, format string, args ...any) {
	if on {
		fmt.Fprintf(os.Stderr, "minirun: "+format+"\n", args...)
	}
}

// Start runs the parent half of the init sequence:
//
//  1. compile the seccomp filter (or take it from the cache), so the child
//     only has to load it;
//  2. start the child with the clone flags, which creates the namespaces;
//  3. set rlimits with prlimit while the child still can't have dropped
//     anything (in a user namespace it could never raise them back);
//  4. the uid/gid maps are written by the Go runtime before the child's
//     execve; then send the config over the socket and wait for the child
//     to reach execve or report the step that failed.
//
// On error nothing is left running.
func Start(o *Options) (*Process, error) {
	s := o.Spec
	plan, err := namespaces.FromSpec(linuxOf(s).Namespaces)
	if err != nil {
		return nil, stepErr("namespaces", err)
	}
	prog, err := compileSeccomp(s, o.Debug)
	if err != nil {
		return nil, err
	}
	exe, err := sealedExe()
	if err != nil {
		return nil, stepErr("seal runtime binary", err)
	}
	parentSock, childSock, err := newSocketPair()
	if err != nil {
		return nil, stepErr("start init", err)
	}
	defer parentSock.Close()

	cmd := &exec.Cmd{
		Path:       exe,
		Args:       []string{"minirun", "init"},
		Stdin:      o.Stdin,
		Stdout:     o.Stdout,
		Stderr:     o.Stderr,
		Env:        []string{fmt.Sprintf("MINIRUN_INIT_FD=%d", 3+len(o.ExtraFiles))},
		ExtraFiles: append(append([]*os.File{}, o.ExtraFiles...), childSock),
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: plan.CloneFlags(),
		},
	}
	if !o.Detached {
		// If minirun dies, the container must not outlive it unattended.
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	} else {
		cmd.SysProcAttr.Setsid = !s.Process.Terminal
	}
	if plan.Creates(specs.UserNamespace) {
		cmd.SysProcAttr.UidMappings = idMaps(s.Linux.UIDMappings)
		cmd.SysProcAttr.GidMappings = idMaps(s.Linux.GIDMappings)
		cmd.SysProcAttr.GidMappingsEnableSetgroups = true
		// The init keeps its host uid until it changes it; as host root it
		// would be nobody in the namespace and execve would drop every
		// capability. Becoming the namespace's root first keeps them.
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
	}
	debugf(o.Debug, "namespaces: %s", plan)
	if err := cmd.Start(); err != nil {
		childSock.Close()
		return nil, stepErr("start init", err)
	}
	childSock.Close()
	p := &Process{Pid: cmd.Process.Pid, cmd: cmd, opts: o}
	debugf(o.Debug, "init started as pid %d", p.Pid)

	fail := func(err error) (*Process, error) {
		p.kill()
		return nil, err
	}
	if err := setRlimits(p.Pid, s.Process.Rlimits); err != nil {
		return fail(stepErr("rlimits", err))
	}
	c := conn{int(parentSock.Fd())}
	cfg := initConfig{Spec: s, Rootfs: RootfsPath(s, o.Bundle), Bundle: o.Bundle, Seccomp: prog, Debug: o.Debug, ExecFifo: o.ExecFifo, PreserveFds: len(o.ExtraFiles)}
	if err := c.send(cfg, -1); err != nil {
		return fail(stepErr("send config", err))
	}
	if err := p.awaitInit(c); err != nil {
		return fail(err)
	}
	return p, nil
}

// awaitInit reads the init's messages until it has exec'd (EOF), reached
// the created state, or failed.
func (p *Process) awaitInit(c conn) error {
	for {
		var m message
		fd, err := c.recv(&m)
		if errors.Is(err, errEOF) {
			return nil
		}
		if err != nil {
			return stepErr("wait for init", err)
		}
		switch m.Type {
		case "error":
			code := m.Code
			if code == 0 {
				code = ExitRuntime
			}
			return &Error{Step: m.Step, Code: code, Err: errors.New(m.Err)}
		case "listener":
			err := p.sendListener(fd)
			unix.Close(fd)
			if err != nil {
				return stepErr("seccomp listener", err)
			}
		case "created":
			return nil
		}
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
	_ = p.cmd.Process.Kill()
	_, _ = p.cmd.Process.Wait()
}

// Wait forwards signals to the container's first process until it exits,
// and returns its status the way a shell reports it: the exit code, or
// 128+N when signal N killed it.
func (p *Process) Wait() (int, error) {
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-sigs:
				_ = unix.Kill(p.Pid, sig.(syscall.Signal))
			case <-done:
				return
			}
		}
	}()
	err := p.cmd.Wait()
	close(done)
	return exitStatus(p.cmd.ProcessState, err)
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

func idMaps(ms []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(ms))
	for i, m := range ms {
		out[i] = syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)}
	}
	return out
}

func linuxOf(s *specs.Spec) *specs.Linux {
	if s.Linux == nil {
		return &specs.Linux{}
	}
	return s.Linux
}

// compileSeccomp turns linux.seccomp into a program the init only has to
// load. A profile that denies execve could never start anything: say so
// now rather than fail inside a half-built container.
func compileSeccomp(s *specs.Spec, debug bool) (*seccomp.Program, error) {
	if s.Linux == nil || s.Linux.Seccomp == nil {
		debugf(debug, "seccomp: none (unconfined)")
		return nil, nil
	}
	prog, err := seccomp.Compile(s.Linux.Seccomp)
	if err != nil {
		return nil, stepErr("seccomp", err)
	}
	if err := checkStartable(prog, s.Process.NoNewPrivileges); err != nil {
		return nil, stepErr("seccomp", err)
	}
	debugf(debug, "seccomp: %d rules, arches %s, default %s, cached=%v, %d BPF instructions",
		prog.Rules, strings.Join(prog.Arches, ","), prog.DefaultAction, prog.Cached, len(prog.Instructions))
	return prog, nil
}
