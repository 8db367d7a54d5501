package tests

// The harness, part two: what the host shows after a test. See
// harness_test.go for the whole.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minirun/minirun/cgroups"
)

// The "nothing left" check: after any container, deleted or refused, no
// cgroup in any hierarchy, no state directory, no live init, no mount.

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

// noneLeft checks that a refused container left nothing: no state
// directory for its id, no mount under the suite's directory, no cgroup.
func noneLeft(t *testing.T, id string) {
	t.Helper()
	checkNothingLeft(t, id, 0)
	if n := mountsUnder(t, workDir); n != 0 {
		t.Errorf("%d mounts left under %s", n, workDir)
	}
}

// Mounts.

// mountsUnder counts host mounts whose mount point is below dir.
func mountsUnder(t *testing.T, dir string) int {
	t.Helper()
	return mountsUnderDir(dir)
}

// mountsUnderDir is mountsUnder without a test, for TestMain: the mounts
// in this mount namespace whose mount point is below dir.
func mountsUnderDir(dir string) int {
	data, _ := os.ReadFile("/proc/self/mountinfo")
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir) {
			n++
		}
	}
	return n
}

// Cgroups.

// minirunCgroups lists the cgroup directories under /minirun in every v1
// hierarchy and the v2 one.
func minirunCgroups() map[string]bool {
	out := map[string]bool{}
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/minirun/*")
	more, _ := filepath.Glob("/sys/fs/cgroup/minirun/*")
	for _, d := range append(dirs, more...) {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			out[d] = true
		}
	}
	return out
}

// cgroupDirs lists the directories of cgroup path in every hierarchy.
func cgroupDirs(path string) []string {
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/*", path))
	if fi, err := os.Stat(filepath.Join("/sys/fs/cgroup", path)); err == nil && fi.IsDir() {
		dirs = append(dirs, filepath.Join("/sys/fs/cgroup", path))
	}
	return dirs
}

// v1CgroupFile reads file in the cgroup of pid under a v1 controller.
func v1CgroupFile(t *testing.T, pid int, controller, file string) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 && strings.Contains(","+f[1]+",", ","+controller+",") {
			b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", controller, f[2], file))
			if err != nil {
				t.Fatal(err)
			}
			return strings.TrimSpace(string(b))
		}
	}
	t.Skipf("no v1 %s hierarchy", controller)
	return ""
}

// Processes.

// childrenOf lists the live processes whose parent is pid.
func childrenOf(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var p int
		if _, err := fmt.Sscanf(e.Name(), "%d", &p); err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name may hold spaces; fields resume after ')'.
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		var ppid int
		if len(fields) > 1 {
			fmt.Sscanf(fields[1], "%d", &ppid)
		}
		if ppid == pid {
			out = append(out, p)
		}
	}
	return out
}

// gone reports whether pid has exited. A detached container's processes
// were reparented when minirun exited, so they may stay zombies until
// their new parent reaps them; that counts as gone.
func gone(pid int) bool {
	deadline := time.Now().Add(2 * time.Second)
	for {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(data), ") Z ") {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// nsLinks is what /proc/PID/ns/* point to, for the namespaces a rootless
// container has.
func nsLinks(t *testing.T, pid int) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range []string{"user", "pid", "mnt", "uts", "ipc"} {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, n))
		if err != nil {
			t.Fatalf("namespaces of %d: %v", pid, err)
		}
		out[n] = l
	}
	return out
}

// statusIDs is the four ids of a Uid: or Gid: line of /proc/PID/status,
// each followed by a space.
func statusIDs(t *testing.T, pid int, key string) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, key) {
			var b strings.Builder
			for _, f := range strings.Fields(strings.TrimPrefix(l, key)) {
				b.WriteString(f + " ")
			}
			return b.String()
		}
	}
	return ""
}

// Files and stores.

// exists reports whether path exists, following symlinks.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// listDir is every path below dir, relative to it, joined by blanks: what
// a directory holds, in one line for a failure message.
func listDir(dir string) string {
	var names []string
	filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
		names = append(names, strings.TrimPrefix(p, dir))
		return nil
	})
	return strings.Join(names[1:], " ")
}

// containerDirs lists the containers in dockerRun's store.
func containerDirs(t *testing.T) []string {
	ents, _ := os.ReadDir(filepath.Join(storeDir, "containers"))
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// leftovers is what a case could leave behind, as a set of names.
type leftovers map[string]bool

// snapshotLeftovers is what a Docker-front case could leave behind: the
// entries of store's containers, tmp, images and layers, the state root's
// containers, files in tmp (minirun's TMPDIR), and the cases' cgroups.
func snapshotLeftovers(store, tmp string) leftovers {
	out := leftovers{}
	add := func(kind string, paths ...string) {
		for _, p := range paths {
			out[kind+" "+p] = true
		}
	}
	for _, d := range []string{"containers", "tmp", "images", "layers/sha256"} {
		ents, _ := os.ReadDir(filepath.Join(store, d))
		for _, e := range ents {
			add("store", filepath.Join(d, e.Name()))
		}
	}
	ents, _ := os.ReadDir(stateRoot())
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") {
			add("state", e.Name())
		}
	}
	tmps, _ := os.ReadDir(tmp)
	for _, e := range tmps {
		add("temp file", e.Name())
	}
	for cg := range minirunCgroups() {
		// Only ours: the OCI suite's uuid-named cgroups come and go.
		name := filepath.Base(cg)
		if strings.HasPrefix(name, "bad-") || strings.HasPrefix(name, "fault-") || strings.HasPrefix(name, "soak-") {
			add("cgroup", cg)
		}
		// A Docker-front id could be another suite's running container:
		// only an empty cgroup (pids.current counts every namespace's
		// processes, unlike cgroup.procs) is a leftover.
		if len(name) == 64 {
			if n, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/pids/minirun", name, "pids.current")); err != nil || strings.TrimSpace(string(n)) == "0" {
				add("cgroup", cg)
			}
		}
	}
	return out
}

// checkStoreEmpty fails the test if store still holds a layer, a
// container or a temporary file.
func checkStoreEmpty(t *testing.T, store string) {
	t.Helper()
	for _, d := range []string{"layers/sha256", "containers", "tmp"} {
		if ents, _ := os.ReadDir(filepath.Join(store, d)); len(ents) != 0 {
			t.Errorf("left in the store's %s: %v", d, ents)
		}
	}
}
