package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// minirun's C pre-main gives the whole process, the Go runtime's threads
// included, a timer slack of 1 ms, and minirun-init gives it to the
// runtime's own threads (internal/timerslack), never to what they start:
// the container's first process keeps the slack minirun was started
// with, as with runc, and so do the hooks minirun and the init fork and
// a process exec'd into the container.
func TestStartupContainerKeepsCallersTimerSlack(t *testing.T) {
	needRoot(t)
	const slack = 77777 // ns: neither the kernel's default nor minirun's
	dir := t.TempDir()
	s := defaultSpec(t, "cat", "/proc/self/timerslack_ns")
	s.Hooks = &specs.Hooks{
		CreateRuntime:   []specs.Hook{slackHook(dir, "createRuntime")},
		CreateContainer: []specs.Hook{slackHook(dir, "createContainer")},
		Poststart:       []specs.Hook{slackHook(dir, "poststart")},
		Poststop:        []specs.Hook{slackHook(dir, "poststop")},
	}
	bundle := writeBundle(t, s)

	out, errb, err := withTimerSlack(t, slack, "run", "-b", bundle, containerID(t))
	if err != nil {
		t.Fatalf("run: %v (stderr %q)", err, errb)
	}
	if got := strings.TrimSpace(out); got != "77777" {
		t.Fatalf("the container's timer slack is %s ns, minirun's was %d", got, slack)
	}
	for _, kind := range []string{"createRuntime", "createContainer", "poststart", "poststop"} {
		got, err := os.ReadFile(filepath.Join(dir, kind))
		if err != nil {
			t.Fatalf("%s hook: %v", kind, err)
		}
		if strings.TrimSpace(string(got)) != "77777" {
			t.Errorf("the %s hook's timer slack is %s ns, minirun's was %d", kind, got, slack)
		}
	}

	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, defaultSpec(t, "sleep", "100")), id)
	t.Cleanup(func() { cleanUp(t, id) })
	out, errb, err = withTimerSlack(t, slack, "exec", id, "cat", "/proc/self/timerslack_ns")
	if err != nil {
		t.Fatalf("exec: %v (stderr %q)", err, errb)
	}
	if got := strings.TrimSpace(out); got != "77777" {
		t.Errorf("the exec'd process's timer slack is %s ns, minirun's was %d", got, slack)
	}
}

// slackHook writes its own timer slack to dir/name. (createContainer
// runs in the container's mount namespace, but before pivot_root: dir is
// still there.)
func slackHook(dir, name string) specs.Hook {
	return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "cat /proc/self/timerslack_ns > " + filepath.Join(dir, name)}}
}

// withTimerSlack runs minirun with args, forked from a thread whose timer
// slack is slack ns: a child inherits the slack of the thread that forks
// it.
func withTimerSlack(t *testing.T, slack int, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		t.Fatalf("prctl PR_GET_TIMERSLACK: %v", err)
	}
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(slack), 0, 0, 0); err != nil {
		t.Fatalf("prctl PR_SET_TIMERSLACK: %v", err)
	}
	defer unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(old), 0, 0, 0)
	cmd := exec.Command(minirun, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}
