package container

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp"
)

// initConfig is everything the init needs, sent by the parent once the
// child exists (so the parent can set rlimits and id maps first).
type initConfig struct {
	Spec    *specs.Spec
	Rootfs  string
	Bundle  string
	Seccomp *seccomp.Program `json:",omitempty"`
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
	// Timings is --debug=timings: the init reports its steps' durations.
	Timings bool `json:",omitempty"`
}

// message is what the init tells the parent. Success needs no message:
// the socket is close-on-exec, so EOF after the last step means execve
// worked.
type message struct {
	Type string // init: "error", "listener", "hooks", "pty", "idmap", "created"; parent: "ok"
	Step string `json:",omitempty"`
	Err  string `json:",omitempty"`
	Code int    `json:",omitempty"`
	// State answers "hooks": what the init's own hooks get on stdin.
	State *specs.State `json:",omitempty"`
	// Index names the mount an "idmap" request is for.
	Index int `json:",omitempty"`
}

// conn is one end of the SOCK_SEQPACKET pair: each write is one message,
// so no framing is needed and an fd can ride along with SCM_RIGHTS.
type conn struct{ fd int }

func newSocketPair() (parent, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "init-parent"), os.NewFile(uintptr(fds[1]), "init-child"), nil
}

func (c conn) send(v any, fd int) error {
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

// recv reads one message. It returns io.EOF-like (nil, -1, errEOF) when
// the peer closed its end.
func (c conn) recv(v any) (fd int, err error) {
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
			return -1, err
		}
		if size > maxMessage {
			return -1, fmt.Errorf("sync message of %d bytes, more than %d", size, maxMessage)
		}
		buf := make([]byte, max(size, 1))
		n, oobn, _, _, err := unix.Recvmsg(c.fd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, err
		}
		if n == 0 && oobn == 0 {
			return -1, errEOF
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
		return fd, json.Unmarshal(buf[:n], v)
	}
}

// maxMessage bounds one sync message: the config (bounded at 4 MiB on
// load), its compiled filter and the JSON around them.
const maxMessage = 16 << 20

type eofError struct{}

func (eofError) Error() string { return "init closed the sync socket" }

var errEOF = eofError{}
