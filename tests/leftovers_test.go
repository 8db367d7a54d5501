package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minirun/minirun/cgroups"
)

// cgroupHierarchies lists the mount points of every cgroup hierarchy
// this process sees, v1 controllers and cgroup2 alike (a v2 host's
// /sys/fs/cgroup, a hybrid host's .../unified), from mountinfo, not from
// directory names: a leftover check must look where the kernel keeps
// cgroups, whatever the host's mode.
func cgroupHierarchies(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatalf("read mountinfo: %v", err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		_, post, ok := strings.Cut(line, " - ")
		f := strings.Fields(line)
		if !ok || len(f) < 5 {
			continue
		}
		if fs := strings.Fields(post); len(fs) > 0 && (fs[0] == "cgroup" || fs[0] == "cgroup2") {
			out = append(out, f[4])
		}
	}
	return out
}

// cgroupsLeft is every hierarchy's directory for the cgroup the runtime
// would give container id with cgroupsPath ("" for its default), resolved
// by the runtime's own rules (cgroups.Resolve), that still exists.
func cgroupsLeft(t *testing.T, cgroupsPath, id string) []string {
	t.Helper()
	rel, err := cgroups.Resolve(cgroupsPath, id)
	if err != nil {
		t.Fatalf("resolve cgroup of %s (%q): %v", id, cgroupsPath, err)
	}
	var left []string
	for _, h := range cgroupHierarchies(t) {
		d := filepath.Join(h, rel)
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && d != h {
			left = append(left, d)
		}
	}
	return left
}

// checkNothingLeft is the one "nothing left" check of a container that
// was deleted or refused, with the default cgroupsPath; pid, if known,
// is its init.
func checkNothingLeft(t *testing.T, id string, pid int) {
	t.Helper()
	checkGone(t, "", id, pid)
}

// checkGone is checkNothingLeft for a container with its own
// cgroupsPath: no cgroup in any hierarchy, no state directory, no live
// init, no mount under the shared rootfs.
func checkGone(t *testing.T, cgroupsPath, id string, pid int) {
	t.Helper()
	for _, d := range cgroupsLeft(t, cgroupsPath, id) {
		t.Errorf("cgroup left: %s", d)
	}
	if _, err := os.Lstat(filepath.Join(stateRoot(), id)); !os.IsNotExist(err) {
		t.Errorf("state dir of %s left: %v", id, err)
	}
	if pid > 0 && !gone(pid) {
		t.Errorf("init %d still alive", pid)
	}
	if n := mountsUnder(t, rootfs); n != 0 {
		t.Errorf("%d mounts left under the rootfs", n)
	}
}

// The check itself must see a cgroup where one is, in v1 and v2
// hierarchies alike; otherwise every test that relies on it passes for
// nothing.
func TestNothingLeftCheckSeesCgroups(t *testing.T) {
	needRoot(t)
	hs := cgroupHierarchies(t)
	if len(hs) == 0 {
		t.Skip("no cgroup hierarchy mounted")
	}
	id := containerID(t)
	rel, err := cgroups.Resolve("", id)
	if err != nil {
		t.Fatal(err)
	}
	var made []string
	for _, h := range hs {
		d := filepath.Join(h, rel)
		if err := os.MkdirAll(d, 0o755); err == nil {
			made = append(made, d)
		}
	}
	t.Cleanup(func() {
		for _, d := range made {
			os.Remove(d)
		}
	})
	if len(made) == 0 {
		t.Skip("no hierarchy lets this test make a cgroup")
	}
	left := cgroupsLeft(t, "", id)
	if len(left) != len(made) {
		t.Fatalf("the check sees %v, made %v", left, made)
	}
	var v2 bool
	for _, d := range made {
		if _, err := os.Stat(filepath.Join(d, "cgroup.controllers")); err == nil {
			v2 = true
		}
	}
	if !v2 {
		t.Log("no cgroup2 hierarchy on this host: only v1 checked")
	}
}
