package tests

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cgroupFakeChild is childEnv's value for the half of
// TestCgroupFakeHierarchyIgnored that runs in a mount namespace of its own.
const cgroupFakeChild = "cgroupfake"

// fakeControllers are v1 controller names the cgroup library lists by
// name; those this host has not mounted are made as plain directories.
var fakeControllers = []string{"hugetlb", "net_cls", "net_prio", "perf_event", "rdma"}

// On a v1 or hybrid host /sys/fs/cgroup is a tmpfs, and a directory made
// there with a controller's name is no hierarchy: start, exec, kill and
// delete must work as before, and nothing may be made or written in it.
// The host's tmpfs is shared with every mount namespace, so the child
// mounts a tmpfs of its own over /sys/fs/cgroup, binds the real
// hierarchies back into it and makes the plain directories beside them:
// the host's /sys/fs/cgroup is never changed.
func TestCgroupFakeHierarchyIgnored(t *testing.T) {
	needRoot(t)
	if os.Getenv(childEnv) == cgroupFakeChild {
		cgroupFakeInNamespace(t)
		return
	}
	if os.Getenv(childEnv) != "" {
		t.Skip("a child run for another test")
	}
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil || st.Type != unix.TMPFS_MAGIC {
		t.Skip("needs a v1 or hybrid host, whose /sys/fs/cgroup is a tmpfs")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1) from util-linux")
	}
	before := dirNames(t, "/sys/fs/cgroup")
	self, err := os.Readlink("/proc/self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", os.Args[0], "-test.run=^TestCgroupFakeHierarchyIgnored$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+cgroupFakeChild, "MINIRUN_TEST_PARENT_MNTNS="+self,
		"MINIRUN_TEST_ROOTFS="+rootfs, "MINIRUN_BIN="+minirun)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("the run in a mount namespace with plain directories under /sys/fs/cgroup: %v", err)
	}
	if after := dirNames(t, "/sys/fs/cgroup"); !slices.Equal(after, before) {
		t.Fatalf("the host's /sys/fs/cgroup changed: %v, was %v", after, before)
	}
}

func cgroupFakeInNamespace(t *testing.T) {
	minirun, rootfs = os.Getenv("MINIRUN_BIN"), os.Getenv("MINIRUN_TEST_ROOTFS")
	// Everything below mounts over /sys/fs/cgroup: only ever in a mount
	// namespace that is not the caller's, and with nothing propagating out.
	if ns, _ := os.Readlink("/proc/self/ns/mnt"); ns == "" || ns == os.Getenv("MINIRUN_TEST_PARENT_MNTNS") {
		t.Fatalf("not in a mount namespace of its own (%q): refusing to mount over /sys/fs/cgroup", ns)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		t.Fatalf("make every mount private: %v", err)
	}

	// The real hierarchies, held open before the tmpfs hides them.
	mounts := cgroupMountsUnder(t, "/sys/fs/cgroup")
	fds := map[string]int{}
	for _, name := range mounts {
		fd, err := unix.Open(filepath.Join("/sys/fs/cgroup", name), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatalf("open the %s hierarchy: %v", name, err)
		}
		defer unix.Close(fd)
		fds[name] = fd
	}
	links := map[string]string{} // co-mounted controllers' symlinks, e.g. cpu -> cpu,cpuacct
	ents, err := os.ReadDir("/sys/fs/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Type()&os.ModeSymlink != 0 {
			if links[e.Name()], err = os.Readlink(filepath.Join("/sys/fs/cgroup", e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}

	if err := unix.Mount("tmpfs", "/sys/fs/cgroup", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=755"); err != nil {
		t.Fatalf("mount a tmpfs over /sys/fs/cgroup: %v", err)
	}
	// Whatever happens, the container goes, seen through the real
	// /sys/fs/cgroup again (old code can't delete it through the fake).
	id := containerID(t)
	t.Cleanup(func() {
		if err := unix.Unmount("/sys/fs/cgroup", unix.MNT_DETACH); err != nil {
			t.Errorf("unmount the tmpfs over /sys/fs/cgroup: %v", err)
		}
		cleanUp(t, id)
		cleanUp(t, id+"-run")
	})
	for _, name := range mounts {
		target := filepath.Join("/sys/fs/cgroup", name)
		if err := os.Mkdir(target, 0o555); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount("/proc/self/fd/"+strconv.Itoa(fds[name]), target, "", unix.MS_BIND, ""); err != nil {
			t.Fatalf("bind the %s hierarchy back: %v", name, err)
		}
	}
	for name, dest := range links {
		if err := os.Symlink(dest, filepath.Join("/sys/fs/cgroup", name)); err != nil {
			t.Fatal(err)
		}
	}
	var fakes []string
	for _, name := range fakeControllers {
		if slices.Contains(mounts, name) || links[name] != "" {
			continue
		}
		dir := filepath.Join("/sys/fs/cgroup", name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		fakes = append(fakes, dir)
	}
	if len(fakes) == 0 {
		t.Skipf("every one of %v is mounted here: no name left for a plain directory", fakeControllers)
	}
	t.Logf("plain directories: %v; hierarchies: %v", fakes, mounts)

	// Not fatal: the steps after show what a written directory breaks.
	untouched := func(step string) {
		t.Helper()
		for _, dir := range fakes {
			if left := listDir(dir); left != "" {
				t.Errorf("after %s: the plain directory %s holds %q", step, dir, left)
			}
		}
	}

	s := defaultSpec(t, "sleep", "1000")
	bundle := writeBundle(t, s)
	mrDetached(t, "create", "--bundle", bundle, id)
	untouched("create")
	mr(t, "start", id)
	st := wantStatus(t, id, specs.StateRunning)
	// The real hierarchies, bound back, still do the work.
	if cg, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", st.Pid)); !strings.Contains(string(cg), ":pids:/minirun/"+id+"\n") {
		t.Fatalf("the init's cgroups: %s, want /minirun/%s in the pids hierarchy", cg, id)
	}
	if out := mr(t, "exec", id, "echo", "in"); out != "in\n" {
		t.Fatalf("exec: %q", out)
	}
	untouched("start and exec")
	mr(t, "kill", id, "KILL")
	wantStatus(t, id, specs.StateStopped)
	mr(t, "delete", id)
	untouched("kill and delete")
	checkNothingLeft(t, id, st.Pid)

	s.Process.Args = []string{"echo", "ran"}
	r := runMinirun(t, "", "run", "--bundle", writeBundle(t, s), id+"-run")
	if r.code != 0 || r.stdout != "ran\n" {
		t.Fatalf("run: %+v", r)
	}
	untouched("run")
	checkNothingLeft(t, id+"-run", 0)
}

// cgroupMountsUnder names the cgroup and cgroup2 mounts right below dir.
func cgroupMountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := slices.Index(fields, "-")
		if sep < 0 || sep+1 >= len(fields) || len(fields) < 5 {
			continue
		}
		if fstype := fields[sep+1]; (fstype == "cgroup" || fstype == "cgroup2") && filepath.Dir(fields[4]) == dir && !slices.Contains(names, filepath.Base(fields[4])) {
			names = append(names, filepath.Base(fields[4]))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Skipf("no cgroup hierarchy mounted below %s", dir)
	}
	return names
}

// dirNames lists the names in dir, without descending.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
