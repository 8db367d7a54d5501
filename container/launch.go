package container

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/internal/timerslack"
	"github.com/minirun/minirun/internal/trace"
	"github.com/minirun/minirun/internal/version"
	"github.com/minirun/minirun/nsenter"
	"github.com/minirun/minirun/seccomp"
)

// The launch builder: the parent's half of the launch contract that
// initproc/contract.go lays out. The fds are numbered here, once, for a
// start and for an exec, and every number the child needs that is not in
// the environment goes into its initproc.Config.

// launch is one laid-out start of the init.
type launch struct {
	files     []*os.File // ExtraFiles: fd 3 on
	env       []string
	fifoFd    int // 0 when there is no fifo
	closeFrom int // the first fd that is the runtime's, not the container's
	logFd     int // the log, for the init's --debug lines; 0 when none
	logJSON   bool
}

func newLaunch(preserved []*os.File, sock, fifo *os.File, joins *joinSet, mapsWait *os.File) *launch {
	l := &launch{closeFrom: 3 + len(preserved)}
	l.files = append(append(l.files, preserved...), sock)
	l.env = []string{fmt.Sprintf("%s=%d", initproc.FdEnv, 2+len(l.files))}
	if fifo != nil {
		l.files = append(l.files, fifo)
		l.fifoFd = 2 + len(l.files)
	}
	if e := joins.env(3 + len(l.files)); e != "" {
		l.env = append(l.env, e)
	}
	l.files = append(l.files, joins.files...)
	if mapsWait != nil {
		l.env = append(l.env, fmt.Sprintf("%s=%d", initproc.UsernsEnv, 3+len(l.files)))
		l.files = append(l.files, mapsWait)
	}
	return l
}

// add passes f to the child as one more fd and returns its number there.
func (l *launch) add(f *os.File) int {
	l.files = append(l.files, f)
	return 2 + len(l.files)
}

// addLog passes the log (--log FILE, or stderr with --debug) to a child
// that traces its steps, so that its lines go where the parent's go
// rather than to its own stderr, which becomes the container's terminal
// half-way. The fd is above closeFrom: it is closed before execve.
func (l *launch) addLog(debug bool) {
	if f, asJSON := trace.LogFile(); debug && f != nil {
		l.logFd, l.logJSON = l.add(f), asJSON
	}
}

// command is the exec.Cmd that starts the init from the sealed binary exe,
// with o's stdio and attr.
func (l *launch) command(exe string, o *options, attr *syscall.SysProcAttr) *exec.Cmd {
	return &exec.Cmd{
		Path: exePathAbove(exe, 3+len(l.files)), Args: []string{"minirun", "init"}, Env: append(initproc.RuntimeEnv[:len(initproc.RuntimeEnv):len(initproc.RuntimeEnv)], l.env...),
		Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr,
		ExtraFiles: l.files, SysProcAttr: attr,
	}
}

// initConfig is what a new container's init receives: the spec without
// its profile, the compiled filter, and the numbers of this layout.
// unshareCgroupNS: the clone left the cgroup namespace out, for the init
// to make once it is in the container's cgroup.
func (l *launch) initConfig(o *options, prog *seccomp.Program, unshareCgroupNS bool) initproc.Config {
	s := o.Spec
	return initproc.Config{
		Spec: specForInit(s), Rootfs: o.rootfs, Bundle: o.Bundle, Seccomp: prog.Filter(), Debug: o.Debug,
		ExecFifoFd: l.fifoFd, CloseFrom: l.closeFrom, ID: o.ID, NoNewKeyring: o.NoNewKeyring,
		UnshareCgroupNS: unshareCgroupNS, Timings: trace.Timings, TimingsEpoch: trace.Epoch(), NofileSoft: startNofile(), TimerSlack: timerslack.Caller(), Build: version.Commit,
		LogFd: l.logFd, LogJSON: l.logJSON,
	}
}

// execConfig is what the init of a process exec'd into a running
// container receives: no rootfs, no fifo, nothing to unshare; the C
// pre-main has joined the container's namespaces.
func (l *launch) execConfig(o *options, prog *seccomp.Program) initproc.Config {
	return initproc.Config{
		Spec: specForInit(o.Spec), Seccomp: prog.Filter(), Debug: o.Debug, ID: o.ID, Exec: true,
		NoNewKeyring: o.NoNewKeyring, CloseFrom: l.closeFrom, Timings: trace.Timings, TimingsEpoch: trace.Epoch(), NofileSoft: startNofile(), TimerSlack: timerslack.Caller(), Build: version.Commit,
		LogFd: l.logFd, LogJSON: l.logJSON,
	}
}

// handshake sends the init its config and reads its answers until it is
// created, has exec'd, or has failed. A send that fails is most often an
// init that failed first (joining a namespace, say) and said why before it
// closed its end, so its own word comes first.
func (p *Process) handshake(c initproc.Conn, cfg initproc.Config) error {
	if err := p.sendConfig(c, cfg); err != nil {
		return err
	}
	return p.awaitInit(c)
}

// sendConfig sends the init its config.
func (p *Process) sendConfig(c initproc.Conn, cfg initproc.Config) error {
	return p.orInitError(c, "send config", c.SendConfig(cfg))
}

// orInitError is err, the failure of a send to the init, as step's error;
// but the init's own word on why it closed its end comes first.
func (p *Process) orInitError(c initproc.Conn, step string, err error) error {
	if err == nil {
		return nil
	}
	if ierr := p.awaitInit(c); ierr != nil {
		return ierr
	}
	return stepErr(step, err)
}

// specForInit is s without its seccomp profile: the init gets the compiled
// filter instead, and decoding a few hundred rules again would cost it a
// good part of a millisecond for nothing.
func specForInit(s *specs.Spec) *specs.Spec {
	if s.Linux == nil || s.Linux.Seccomp == nil {
		return s
	}
	c, l := *s, *s.Linux
	l.Seccomp = nil
	c.Linux = &l
	return &c
}

func newSocketPair() (parent, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "init-parent"), os.NewFile(uintptr(fds[1]), "init-child"), nil
}

// startNofile is the soft RLIMIT_NOFILE this process started with, which
// its children start with too (os/exec puts it back for them).
func startNofile() uint64 {
	soft, _ := nsenter.StartNofile()
	return soft
}
