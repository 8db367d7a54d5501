package state

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// ErrNoProcess is returned by Signal when pid no longer names the process
// that started at start (or never named any).
var ErrNoProcess = errors.New("no such process")

// Signal sends sig to the process that pid named when it started at start.
//
// kill(2) with pid 0 or a negative pid signals whole process groups (0 is
// the caller's own), so a state whose pid is not yet known must never reach
// it. And a bare kill by number can hit whatever process reused the pid
// since the container's init died. A pidfd pins one process: if the start
// time still matches after the pidfd is open, the pidfd names the init, and
// a later exit makes pidfd_send_signal fail with ESRCH instead of hitting a
// stranger. start 0 means the caller has no start time (a pid just listed
// from the container's cgroup); the pidfd still closes the reuse window
// between opening and signalling.
func Signal(pid int, start uint64, sig unix.Signal) error {
	if pid <= 0 {
		return fmt.Errorf("signal %d to pid %d: %w", sig, pid, ErrNoProcess)
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ENOSYS) {
		// Kernels before 5.3: only the start-time check guards reuse.
		if start != 0 && !Alive(pid, start) {
			return fmt.Errorf("signal %d to pid %d: %w", sig, pid, ErrNoProcess)
		}
		return wrapSignalErr(pid, sig, unix.Kill(pid, sig))
	}
	if errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("signal %d to pid %d: %w", sig, pid, ErrNoProcess)
	}
	if err != nil {
		return fmt.Errorf("signal %d to pid %d: pidfd_open: %w", sig, pid, err)
	}
	defer unix.Close(fd)
	if start != 0 {
		st, err := StartTime(pid)
		if err != nil || st != start {
			return fmt.Errorf("signal %d to pid %d: %w", sig, pid, ErrNoProcess)
		}
	}
	return wrapSignalErr(pid, sig, unix.PidfdSendSignal(fd, sig, nil, 0))
}

func wrapSignalErr(pid int, sig unix.Signal, err error) error {
	if errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("signal %d to pid %d: %w", sig, pid, ErrNoProcess)
	}
	if err != nil {
		return fmt.Errorf("signal %d to pid %d: %w", sig, pid, err)
	}
	return nil
}
