package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// v2TestMount finds a cgroup2 mount to exercise v2Manager on: the root on a
// pure v2 host, .../unified on a hybrid one (which lacks the memory and
// pids controllers, so only Set's error path is reachable there).
func v2TestMount(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("v2 manager test needs root to create cgroups; run as root (go test ./cgroups/)")
	}
	for _, m := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if unix.Statfs(m, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return m
		}
	}
	t.Skip("no cgroup2 mount at /sys/fs/cgroup or /sys/fs/cgroup/unified")
	return ""
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestV2ManagerLifecycle(t *testing.T) {
	mount := v2TestMount(t)
	parent := fmt.Sprintf("/minirun-unit-%d", os.Getpid())
	path := parent + "/c1"
	dir := filepath.Join(mount, path)

	mgr, err := newV2(mount, path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = removeTree(filepath.Join(mount, parent))
	})

	if err := mgr.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if got := readTrim(t, fmt.Sprintf("/proc/%d/cgroup", cmd.Process.Pid)); !strings.Contains(got, "0::"+path) {
		t.Fatalf("/proc/pid/cgroup does not show %s:\n%s", path, got)
	}
	pids, err := mgr.Pids()
	if err != nil || !slices.Equal(pids, []int{cmd.Process.Pid}) {
		t.Fatalf("Pids() = %v, %v; want [%d]", pids, err, cmd.Process.Pid)
	}

	if err := mgr.Freeze(); err != nil {
		t.Fatal(err)
	}
	if got := readTrim(t, filepath.Join(dir, "cgroup.freeze")); got != "1" {
		t.Fatalf("after Freeze cgroup.freeze = %q", got)
	}
	if err := mgr.Thaw(); err != nil {
		t.Fatal(err)
	}
	if got := readTrim(t, filepath.Join(dir, "cgroup.freeze")); got != "0" {
		t.Fatalf("after Thaw cgroup.freeze = %q", got)
	}

	err = mgr.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(20)}})
	if slices.Contains(strings.Fields(readTrim(t, filepath.Join(dir, "cgroup.controllers"))), "pids") {
		if err != nil {
			t.Fatal(err)
		}
		if got := readTrim(t, filepath.Join(dir, "pids.max")); got != "20" {
			t.Fatalf("pids.max = %q", got)
		}
	} else if err == nil || !strings.Contains(err.Error(), "set pids.max=20 in "+dir+": pids controller not available") {
		t.Fatalf("Set without a pids controller: got %v", err)
	}

	loaded, err := loadV2(mount, path)
	if err != nil {
		t.Fatal(err)
	}
	if pids, err := loaded.Pids(); err != nil || len(pids) != 1 {
		t.Fatalf("loaded Pids() = %v, %v", pids, err)
	}

	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	for i := 0; i < 2; i++ {
		if err := loaded.Delete(); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s still exists after Delete: %v", dir, err)
	}
	if _, err := loadV2(mount, path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("loadV2 after Delete: got %v, want ErrNotExist", err)
	}
}
