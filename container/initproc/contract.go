package initproc

import (
	"encoding/json"
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp/filter"
)

// The launch contract between the parent and a re-exec of minirun as a
// container's init (or an exec'd process's init). The parent lays it out
// once, for a start and for an exec (container/launch.go):
//
//	fd 0, 1, 2   the process's stdio
//	fd 3...      the preserved files (--preserve-fds), kept for the container
//	then         the sync socket
//	then         the exec fifo (an init that waits for `start`)
//	then         the namespaces the C pre-main joins (exec, joined paths)
//	then         the pipe the pre-main waits on while newuidmap writes the
//	             maps (rootless with subordinate ranges, container/rootless.go)
//
// The environment says where the socket is (FdEnv), which fds to join
// (NsenterEnv) and the maps pipe (UsernsEnv), because all are read before
// any config is: the socket carries the config, and the namespaces are
// joined by nsenter's C constructor before the Go runtime starts. The C
// side can't see these Go constants, so it spells the names again
// (nsenter/nsenter.go). Every other number the child needs (the fifo's,
// the first fd it closes) is in the Config it receives, so the child
// never redoes this arithmetic.
const (
	FdEnv        = "MINIRUN_INIT_FD"
	NsenterEnv   = "MINIRUN_NSENTER"
	PdeathsigEnv = "MINIRUN_PDEATHSIG"
	// UsernsEnv names the fd on which the init's C pre-main waits until the
	// parent has run newuidmap and newgidmap on it (nsenter/nsenter.go): until
	// then it must stay dumpable, or /proc/PID belongs to root and the helpers
	// refuse it.
	UsernsEnv = "MINIRUN_USERNS_SYNC"
)

// RuntimeEnv starts the init's Go runtime cheaper: it runs one
// sequence on one locked thread and allocates a few hundred KiB before
// execve, so it needs neither a collector nor a P per CPU (each P's idle
// spinning costs CPU the parent's cgroup move and the init race for).
// Init unsets them, so hooks and the container never see them.
var RuntimeEnv = []string{"GOGC=off", "GOMAXPROCS=1"}

// Config is everything the init needs, sent by the parent once the
// child exists. With AwaitPlaced, the init does nothing with it until the
// parent's Placed message says its cgroup, rlimits and network devices
// are set.
type Config struct {
	// Spec goes over the wire trimmed to what the init reads (wire.go).
	Spec    *specs.Spec `json:"-"`
	Rootfs  string
	Bundle  string
	Seccomp *filter.Filter `json:",omitempty"`
	Debug   bool
	// ExecFifoFd is the exec fifo, passed open: the init stops before
	// execve until `start` writes to it (the create/start split).
	ExecFifoFd int `json:",omitempty"`
	// CloseFrom is the first fd that is the runtime's: below it, from 3,
	// the preserved files the container keeps (runc's --preserve-fds);
	// from it up everything is closed before execve (launch.go).
	CloseFrom int
	// ID names the container in the state its hooks receive.
	ID string `json:",omitempty"`
	// NoNewKeyring keeps the session keyring of the caller.
	NoNewKeyring bool `json:",omitempty"`
	// UnshareCgroupNS: the parent left CLONE_NEWCGROUP out of the clone
	// so the namespace is made after the move into the container's
	// cgroup, and rooted there.
	UnshareCgroupNS bool `json:",omitempty"`
	// Exec makes this child an exec'd process in a running container
	// (its namespaces already joined) rather than a new init.
	Exec bool `json:",omitempty"`
	// Build is the parent's version.Commit: an init of another build
	// (version.Commit set and different) refuses to run.
	Build string `json:",omitempty"`
	// NofileSoft is the soft RLIMIT_NOFILE the parent started with, before
	// its Go runtime raised it: the one the init started with too, which
	// it puts back before its raw execve (keepRlimitNofile). 0: unknown.
	NofileSoft uint64 `json:",omitempty"`
	// TimerSlack is the timer slack, in ns, minirun was started with,
	// which the init's thread puts back before it forks a hook or execs
	// (package timerslack); 0: unknown, the init keeps its own.
	TimerSlack uint64 `json:",omitempty"`
	// RootFd is, for an exec into a container without a mount namespace
	// of its own, the container's root (its init's), which setns does not
	// give: the exec chroots there first.
	RootFd int `json:",omitempty"`
	// Timings is --debug=timings: the init reports its steps' durations.
	Timings bool `json:",omitempty"`
	// TimingsEpoch is the parent's trace.Epoch, so the init's "at" times
	// count from minirun's start.
	TimingsEpoch int64 `json:",omitempty"`
	// LogFd is the parent's log (its --log file, or its stderr), passed
	// with --debug so that the init's lines go there, JSON if LogJSON;
	// 0: the init writes them to its stderr.
	LogFd   int  `json:",omitempty"`
	LogJSON bool `json:",omitempty"`
	// AwaitPlaced: the config came before the parent put the init in its
	// cgroup; the init waits for a Placed message before it acts on it.
	AwaitPlaced bool `json:",omitempty"`
	// BindSources: the init is in a user namespace and its parent is the
	// host's root, so it asks the parent for each bind source, opened
	// with the parent's permissions ("bindsrc", bindsource.go).
	BindSources bool `json:",omitempty"`
	// AwaitParent: the parent has set-up of its own still under way that
	// the container must not run before (the Docker front's network,
	// whose plugins work while the init mounts). The init stops where it
	// stops for the runtime's hooks, after the mounts and before
	// pivot_root, and asks, as it does for them.
	AwaitParent bool `json:",omitempty"`
}

// Message is what the init tells the parent. Success needs no message:
// the socket is close-on-exec, so EOF after the last step means execve
// worked.
type Message struct {
	Type string // init: "error", "listener", "hooks", "pty", "idmap", "bindsrc", "created"; parent: "ok", "none", Placed
	Step string `json:",omitempty"`
	Err  string `json:",omitempty"`
	Code int    `json:",omitempty"`
	// State answers "hooks": what the init's own hooks get on stdin.
	State *specs.State `json:",omitempty"`
	// Index names the mount an "idmap" or "bindsrc" request is for.
	Index int `json:",omitempty"`
}

// Placed is the parent's message that the init is in its cgroup, with
// its rlimits and network devices: an init whose config said AwaitPlaced
// waits for it before anything else.
const Placed = "placed"

// AwaitPlaced reads the parent's Placed message.
func (c Conn) AwaitPlaced() error {
	var m Message
	if _, err := c.Recv(&m); err != nil {
		return err
	}
	if m.Type != Placed {
		return fmt.Errorf("sync: want %q from the parent, got %q", Placed, m.Type)
	}
	return nil
}

// Conn is one end of the SOCK_SEQPACKET pair: each write is one message,
// so no framing is needed and an fd can ride along with SCM_RIGHTS.
type Conn struct{ fd int }

// NewConn is the end of the socket pair with fd number fd.
func NewConn(fd int) Conn { return Conn{fd} }

// Send writes one message, with fd (if not -1) as SCM_RIGHTS.
func (c Conn) Send(v any, fd int) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var oob []byte
	if fd >= 0 {
		oob = unix.UnixRights(fd)
	}
	return unix.Sendmsg(c.fd, data, oob, nil, 0)
}

// Recv reads one message, and the fd that came with it or -1. It returns
// ErrEOF when the peer closed its end.
func (c Conn) Recv(v any) (fd int, err error) {
	fd, data, err := c.recv()
	if err != nil {
		return fd, err
	}
	return fd, json.Unmarshal(data, v)
}

func (c Conn) recv() (fd int, data []byte, err error) {
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		// Peek at the message's size first (MSG_TRUNC makes a seqpacket
		// socket report the whole length) and allocate just that: a 4 MiB
		// buffer per message made the Go runtime of both sides run a GC
		// cycle, with its extra threads, for each of them, and counted
		// against a container's memory limit.
		size, _, _, _, err := unix.Recvmsg(c.fd, nil, nil, unix.MSG_PEEK|unix.MSG_TRUNC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, nil, err
		}
		if size > maxMessage {
			return -1, nil, fmt.Errorf("sync message of %d bytes, more than %d", size, maxMessage)
		}
		buf := make([]byte, max(size, 1))
		n, oobn, _, _, err := unix.Recvmsg(c.fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, nil, err
		}
		if n == 0 && oobn == 0 {
			return -1, nil, ErrEOF
		}
		fd = -1
		if oobn > 0 {
			msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
			if err == nil && len(msgs) > 0 {
				if fds, err := unix.ParseUnixRights(&msgs[0]); err == nil && len(fds) > 0 {
					fd = fds[0]
				}
			}
		}
		return fd, buf[:n], nil
	}
}

// maxMessage bounds one sync message: the config (bounded at 4 MiB on
// load), its compiled filter and the JSON around them.
const maxMessage = 16 << 20

type eofError struct{}

func (eofError) Error() string { return "init closed the sync socket" }

// ErrEOF is Recv's error for a peer that closed its end: from the init,
// the close-on-exec socket closing at execve.
var ErrEOF = eofError{}

// linuxOf is s.Linux, or an empty one.
func linuxOf(s *specs.Spec) *specs.Linux {
	if s.Linux == nil {
		return &specs.Linux{}
	}
	return s.Linux
}
