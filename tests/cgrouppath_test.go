package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitRunning polls `minirun state` until id is running.
func waitRunning(t *testing.T, root, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r := runMinirun(t, "", "--root", root, "state", id)
		if r.code == 0 && strings.Contains(r.stdout, `"running"`) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("container %s never ran", id)
}

// A cgroupsPath above or below a live container's cgroup would let one
// container kill --all or delete -f the other: both are refused.
func TestCgroupPathNestingRefused(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	// Unique across suites run side by side in other pid namespaces.
	parent := fmt.Sprintf("/minirun/nest-%d", time.Now().UnixNano())
	first := parent + "/x"
	s := defaultSpec(t, "sleep", "60")
	s.Linux.CgroupsPath = first
	cmd := exec.Command(minirun, "--root", root, "run", "-b", writeBundle(t, s), "first")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		runMinirun(t, "", "--root", root, "delete", "-f", "first")
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		for _, d := range cgroupDirs(parent) {
			os.Remove(d)
		}
	})
	waitRunning(t, root, "first")

	for _, p := range []string{parent, "/minirun", first + "/sub", first} {
		t.Run(strings.ReplaceAll(p, "/", "_"), func(t *testing.T) {
			s := defaultSpec(t, "echo", "ran")
			s.Linux.CgroupsPath = p
			r := runMinirun(t, "", "--root", root, "run", "-b", writeBundle(t, s), "second")
			checkFailure(t, r, exitRunc, "cgroup", first)
			if _, err := os.Stat(filepath.Join(root, "second")); err == nil {
				t.Errorf("state of the refused container left under --root")
			}
			if left := cgroupDirs(first + "/sub"); len(left) > 0 {
				t.Errorf("cgroups left behind: %v", left)
			}
		})
	}
	r := runMinirun(t, "", "--root", root, "state", "first")
	if !strings.Contains(r.stdout, `"running"`) {
		t.Fatalf("first container no longer runs: %+v", r)
	}
}
