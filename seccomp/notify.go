package seccomp

import (
	"encoding/json"
	"fmt"
	"net"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// SendListener hands the notify fd to the seccomp agent listening on
// listenerPath: one message carrying the fd as SCM_RIGHTS and the container
// process state as JSON, as the runtime spec describes. The caller fills in
// state (pid, container state, Metadata = listenerMetadata); Fds and Version
// are set here when empty.
func SendListener(listenerPath string, fd int, state specs.ContainerProcessState) error {
	if len(state.Fds) == 0 {
		state.Fds = []string{specs.SeccompFdName}
	}
	if state.Version == "" {
		state.Version = specs.Version
	}
	body, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("seccomp listener %s: encode state: %w", listenerPath, err)
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: listenerPath, Net: "unix"})
	if err != nil {
		return fmt.Errorf("seccomp listener: failed to connect with seccomp agent at %s: %w", listenerPath, err)
	}
	defer conn.Close()
	oob := unix.UnixRights(fd)
	n, oobn, err := conn.WriteMsgUnix(body, oob, nil)
	if err != nil {
		return fmt.Errorf("seccomp listener %s: send fd: %w", listenerPath, err)
	}
	if n != len(body) || oobn != len(oob) {
		return fmt.Errorf("seccomp listener %s: short write (%d/%d bytes, %d/%d oob)", listenerPath, n, len(body), oobn, len(oob))
	}
	return nil
}

// ReceiveListener is the agent's side of SendListener, for tests and small
// agents: it reads one message from conn and returns the fd and the state.
func ReceiveListener(conn *net.UnixConn) (*os.File, *specs.ContainerProcessState, error) {
	buf := make([]byte, 1<<16)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, nil, fmt.Errorf("seccomp listener: receive: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, nil, fmt.Errorf("seccomp listener: control message: %w", err)
	}
	var fds []int
	for _, m := range msgs {
		r, err := unix.ParseUnixRights(&m)
		if err == nil {
			fds = append(fds, r...)
		}
	}
	if len(fds) == 0 {
		return nil, nil, fmt.Errorf("seccomp listener: no fd in message")
	}
	for _, extra := range fds[1:] {
		unix.Close(extra)
	}
	var st specs.ContainerProcessState
	if err := json.Unmarshal(buf[:n], &st); err != nil {
		unix.Close(fds[0])
		return nil, nil, fmt.Errorf("seccomp listener: decode state: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), specs.SeccompFdName), &st, nil
}
