package container

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The launch contract between the parent and a re-exec of minirun as a
// container's init (or an exec'd process's init). It is laid out once,
// here, for both:
//
//	fd 0, 1, 2   the process's stdio
//	fd 3...      the preserved files (--preserve-fds), kept for the container
//	then         the sync socket
//	then         the exec fifo (an init that waits for `start`)
//	then         the namespaces the C pre-main joins (exec, joined paths)
//	then         the pipe the pre-main waits on while newuidmap writes the
//	             maps (rootless with subordinate ranges, rootless.go)
//
// The environment says where the socket is (initFdEnv) and which fds to
// join (nsenterEnv), and the maps pipe (usernsEnv), because all are read
// before any config is: the
// socket carries the config, and the namespaces are joined by nsenter's C
// constructor before the Go runtime starts. The C side can't see these Go
// constants, so it spells the names again (nsenter/nsenter.go). Every
// other number the child needs (the fifo's, the first fd it closes) is in
// the initConfig it receives, so the child never redoes this arithmetic.
const (
	initFdEnv    = "MINIRUN_INIT_FD"
	nsenterEnv   = "MINIRUN_NSENTER"
	pdeathsigEnv = "MINIRUN_PDEATHSIG"
)

// launch is one laid-out start of the init.
type launch struct {
	files     []*os.File // ExtraFiles: fd 3 on
	env       []string
	fifoFd    int // 0 when there is no fifo
	closeFrom int // the first fd that is the runtime's, not the container's
}

func newLaunch(preserved []*os.File, sock, fifo *os.File, joins *joinSet, mapsWait *os.File) *launch {
	l := &launch{closeFrom: 3 + len(preserved)}
	l.files = append(append(l.files, preserved...), sock)
	l.env = []string{fmt.Sprintf("%s=%d", initFdEnv, 2+len(l.files))}
	if fifo != nil {
		l.files = append(l.files, fifo)
		l.fifoFd = 2 + len(l.files)
	}
	if e := joins.env(3 + len(l.files)); e != "" {
		l.env = append(l.env, e)
	}
	l.files = append(l.files, joins.files...)
	if mapsWait != nil {
		l.env = append(l.env, fmt.Sprintf("%s=%d", usernsEnv, 3+len(l.files)))
		l.files = append(l.files, mapsWait)
	}
	return l
}

// add passes f to the child as one more fd and returns its number there.
func (l *launch) add(f *os.File) int {
	l.files = append(l.files, f)
	return 2 + len(l.files)
}

// initRuntimeEnv starts the init's Go runtime cheaper: it runs one
// sequence on one locked thread and allocates a few hundred KiB before
// execve, so it needs neither a collector nor a P per CPU (each P's idle
// spinning costs CPU the parent's cgroup move and the init race for).
// Init unsets them, so hooks and the container never see them.
var initRuntimeEnv = []string{"GOGC=off", "GOMAXPROCS=1"}

// command is the exec.Cmd that starts the init from the sealed binary exe,
// with o's stdio and attr.
func (l *launch) command(exe string, o *Options, attr *syscall.SysProcAttr) *exec.Cmd {
	return &exec.Cmd{
		Path: exePathAbove(exe, 3+len(l.files)), Args: []string{"minirun", "init"}, Env: append(initRuntimeEnv[:len(initRuntimeEnv):len(initRuntimeEnv)], l.env...),
		Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr,
		ExtraFiles: l.files, SysProcAttr: attr,
	}
}

// handshake sends the init its config and reads its answers until it is
// created, has exec'd, or has failed. A send that fails is most often an
// init that failed first (joining a namespace, say) and said why before it
// closed its end, so its own word comes first.
func (p *Process) handshake(c conn, cfg initConfig) error {
	if err := c.send(cfg, -1); err != nil {
		if ierr := p.awaitInit(c); ierr != nil {
			return ierr
		}
		return stepErr("send config", err)
	}
	return p.awaitInit(c)
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
