package tests

import (
	"bytes"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The init gives the Go runtime's own threads a timer slack of 1 ms
// (cmd/minirun-init/quiet.go), never the thread that runs the steps: the
// container's first process keeps the slack minirun was started with, as
// with runc, and so do the hooks it forks.
func TestStartupContainerKeepsCallersTimerSlack(t *testing.T) {
	needRoot(t)
	const slack = 77777 // ns: neither the kernel's default nor the init's
	s := defaultSpec(t, "cat", "/proc/self/timerslack_ns")
	bundle := writeBundle(t, s)

	// A child inherits the slack of the thread that forks it: fork
	// minirun from a locked thread with the slack set.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		t.Fatalf("prctl PR_GET_TIMERSLACK: %v", err)
	}
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, slack, 0, 0, 0); err != nil {
		t.Fatalf("prctl PR_SET_TIMERSLACK: %v", err)
	}
	cmd := exec.Command(minirun, "run", "-b", bundle, containerID(t))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(old), 0, 0, 0)
	if err != nil {
		t.Fatalf("run: %v (stderr %q)", err, errb.String())
	}
	if got := strings.TrimSpace(out.String()); got != "77777" {
		t.Fatalf("the container's timer slack is %s ns, minirun's was %d", got, slack)
	}
}
