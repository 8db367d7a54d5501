// Package timerslack keeps the timer slack minirun was started with for
// the processes it starts, while the Go runtime's own threads run with a
// larger one.
//
// The runtime's monitor thread (sysmon) sleeps 20 µs at a time for its
// first thousand-odd µs and again after every wake-up from a syscall, and
// idle threads sleep 3 µs while they look for work; each of those sleeps
// is a context switch, and a run of `true` made about 60 of them in
// minirun alone, most before main. With 1 ms of slack the kernel may let
// each sleep run up to 1 ms longer, which folds them into a handful. The
// monitor's duties here (taking a P back from a blocking syscall,
// preempting a goroutine that ran 10 ms) can wait that long in a program
// whose whole life is a few ms.
//
// Timer slack is per thread, inherited by a child and kept across execve,
// so a process started from any of those threads would inherit the 1 ms.
// runc's children get the caller's slack, and so must minirun's: the
// container's first process (the init puts the caller's slack back on its
// locked thread, initproc), hooks, and the minirun processes that start
// those (the reaper, a detached run's monitor). Start and Restore give
// them the caller's slack. Helpers that start nothing of the container's
// (newuidmap, iptables) may inherit the 1 ms.
//
// In the minirun programs the C pre-main (package nsenter) gives the
// whole process the slack before the Go runtime starts, so that every
// thread the runtime makes inherits it, and reports the caller's here
// (SetCaller); a container's init learns it from its config.
package timerslack

import (
	"os/exec"
	"runtime"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Runtime is the slack, in ns, the C pre-main gives the Go runtime's
// threads; nsenter's C code has the same number.
const Runtime = 1_000_000

// caller is the slack, in ns, of whoever started this process; 0 when
// unknown (the pre-main changed nothing then).
var caller atomic.Uint64

// SetCaller records the caller's slack, ns > 0.
func SetCaller(ns uint64) { caller.Store(ns) }

// Caller is the caller's slack in ns, 0 when unknown.
func Caller() uint64 { return caller.Load() }

// Restore gives the calling thread the caller's slack, for a raw execve
// or for the locked thread of a container's init. The caller must have
// locked the goroutine to its thread: the slack stays with the thread.
func Restore() error {
	ns := caller.Load()
	if ns == 0 {
		return nil
	}
	return unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(ns), 0, 0, 0)
}

// Start starts cmd from a thread with the caller's slack, which cmd's
// process inherits; the thread gets its own slack back afterwards.
func Start(cmd *exec.Cmd) error {
	ns := caller.Load()
	if ns == 0 {
		return cmd.Start()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil || uint64(old) == ns {
		return cmd.Start()
	}
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(ns), 0, 0, 0); err != nil {
		return cmd.Start()
	}
	defer unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(old), 0, 0, 0)
	return cmd.Start()
}
