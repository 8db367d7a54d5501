package tests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Runtime behaviours runc 1.1.5 shows in its own integration suite
// (tests/integration/*.bats), which CI can't fetch: each test here is the
// suite's case in this project's terms.

// withUserns gives s a user namespace mapping 0..65533 to host 100000, as
// runc's userns.bats does.
func withUserns(s *specs.Spec) {
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65534}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65534}}
}

// userns.bats "userns with 2 inaccessible mounts" and "... + exec": bind
// sources below a directory only the host's root may enter (mode 0700) are
// out of reach of the init in a user namespace, whose root is host uid
// 100000; the caller reaches them, so they mount, as with runc, which
// opens them before the init uses them. A file source, an rbind and a
// read-only bind take the same path; the container's root can't make the
// read-only one writable.
func TestUsernsInaccessibleBindSources(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "stat -c %n /tmp/mount-1/foo.txt /tmp/mount-2/foo.txt /tmp/file; "+
		"cat /tmp/file; touch /tmp/mount-3/x 2>/dev/null && echo writable; "+
		"mount -o remount,bind,rw /tmp/mount-3 2>/dev/null && echo remounted-rw; echo done")
	withUserns(s)
	bundle := writeBundle(t, s)
	for _, d := range []string{"source-inaccessible-1", "source-inaccessible-2"} {
		if err := os.MkdirAll(filepath.Join(bundle, d, "dir"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bundle, d, "dir", "foo.txt"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(bundle, d), 0o700)
	}
	if err := os.WriteFile(filepath.Join(bundle, "source-inaccessible-1", "file"), []byte("file-ok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(bundle, 0o700)
	s.Mounts = append(s.Mounts,
		specs.Mount{Source: "source-inaccessible-1/dir", Destination: "/tmp/mount-1", Options: []string{"bind"}},
		specs.Mount{Source: filepath.Join(bundle, "source-inaccessible-2/dir"), Destination: "/tmp/mount-2", Options: []string{"rbind"}},
		specs.Mount{Source: "source-inaccessible-1/file", Destination: "/tmp/file", Type: "bind", Options: []string{"bind"}},
		specs.Mount{Source: "source-inaccessible-2/dir", Destination: "/tmp/mount-3", Options: []string{"bind", "ro"}},
	)
	writeConfig(t, bundle, s)

	r := runIn(t, bundle, "")
	want := "/tmp/mount-1/foo.txt\n/tmp/mount-2/foo.txt\n/tmp/file\nfile-ok\ndone\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("run: exit %d\nstdout %q\nwant   %q\nstderr %s", r.code, r.stdout, want, r.stderr)
	}

	s.Process.Args = []string{"sleep", "100"}
	writeConfig(t, bundle, s)
	id := containerID(t) + "-d"
	mrDetached(t, "run", "-d", "-b", bundle, id)
	t.Cleanup(func() { cleanUp(t, id) })
	if r := runMinirun(t, "", "exec", id, "stat", "-c", "%n", "/tmp/mount-1/foo.txt", "/tmp/mount-2/foo.txt"); r.code != 0 {
		t.Fatalf("exec stat: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}

// writeConfig rewrites bundle's config.json with s.
func writeConfig(t *testing.T, bundle string, s *specs.Spec) {
	t.Helper()
	data, err := jsonMarshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// needHybrid skips unless the host is hybrid: v1 controllers, and cgroup2
// at /sys/fs/cgroup/unified.
func needHybrid(t *testing.T) {
	t.Helper()
	var v1, v2 unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup/pids", &v1) != nil || v1.Type != unix.CGROUP_SUPER_MAGIC ||
		unix.Statfs("/sys/fs/cgroup/unified", &v2) != nil || v2.Type != unix.CGROUP2_SUPER_MAGIC {
		t.Skip("needs a hybrid cgroup host (v1 pids hierarchy and cgroup2 at /sys/fs/cgroup/unified)")
	}
}

// lastLine is the last line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// cgroups.bats "runc exec (cgroup v1+hybrid joins correct cgroup)": on a
// hybrid host the container is placed in the cgroup2 hierarchy too, under
// its own path, and so is an exec'd process; delete removes that cgroup,
// and so does a start that fails after the placement.
func TestHybridUnifiedPlacement(t *testing.T) {
	needRoot(t)
	needHybrid(t)
	s := defaultSpec(t, "sleep", "100")
	dropNamespace(s, specs.CgroupNamespace) // host paths in /proc/self/cgroup, as runc's default spec
	id := containerID(t)
	unified := filepath.Join("/sys/fs/cgroup/unified/minirun", id)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
	t.Cleanup(func() { cleanUp(t, id) })
	st := wantStatus(t, id, specs.StateRunning)

	want := "0::/minirun/" + id
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", st.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if got := lastLine(string(data)); got != want {
		t.Errorf("init's cgroup2 line %q, want %q", got, want)
	}
	r := runMinirun(t, "", "exec", id, "cat", "/proc/self/cgroup")
	if r.code != 0 || lastLine(r.stdout) != want {
		t.Errorf("exec'd process: exit %d, cgroup2 line %q, want %q (%s)", r.code, lastLine(r.stdout), want, r.stderr)
	}
	if !exists(unified) {
		t.Errorf("%s missing while the container runs", unified)
	}
	mr(t, "delete", "--force", id)
	if exists(unified) {
		t.Errorf("%s left after delete", unified)
	}
	checkNothingLeft(t, id, st.Pid)

	// The init fails after its placement (no such command): nothing stays.
	s.Process.Args = []string{"/no/such/command"}
	id2 := id + "-fail"
	if r := runMinirun(t, "", "run", "-b", writeBundle(t, s), id2); r.code == 0 {
		t.Fatalf("run of a missing command succeeded")
	}
	checkNothingLeft(t, id2, 0)
}

// exec.bats "runc exec --cgroup sub-cgroups [v1]" (and its v2 twin): exec
// --cgroup puts the process in an existing cgroup below the container's,
// in every hierarchy or per controller; a path out of the container's
// cgroup, a missing one and an unknown controller are refused in runc's
// words. Without --cgroup, or with "/", the process is in the container's
// own cgroup in every hierarchy.
func TestExecSubCgroup(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sleep", "100")
	dropNamespace(s, specs.CgroupNamespace)
	for i, m := range s.Mounts { // a writable cgroup mount, as set_cgroup_mount_writable
		if m.Type == "cgroup" || m.Type == "cgroup2" {
			s.Mounts[i].Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" })
		}
	}
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
	t.Cleanup(func() { cleanUp(t, id) })
	wantStatus(t, id, specs.StateRunning)
	own := "/minirun/" + id

	refused := func(want string, args ...string) {
		t.Helper()
		r := runMinirun(t, "", append(append([]string{"exec"}, args[:len(args)-1]...), id, args[len(args)-1])...)
		if r.code == 0 || !strings.Contains(r.stderr, want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("exec %v: exit %d, stderr %q: want a one-line refusal containing %q", args, r.code, r.stderr, want)
		}
	}
	refused(" .. is not a sub cgroup path", "--cgroup", "..", "true")
	refused("invalid --cgroup argument: a (missing <controller>: prefix)", "--cgroup", "a", "--cgroup", "b", "true")
	v2 := rootfsUnified()
	if !v2 {
		refused("unknown controller ", "--cgroup", "whaaat:/", "true")
		refused("/nonexistent/cgroup.procs: no such file ", "--cgroup", "cpu:nonexistent", "true")
	}
	refused("/nonexistent/cgroup.procs: no such file ", "--cgroup", "nonexistent", "true")
	r := runMinirun(t, "", "exec", "--cgroup", "nonexistent", id, "true")
	mustContain(t, "missing sub-cgroup", r.stderr, " adding pid ")

	inOwn := func(args ...string) {
		t.Helper()
		r := runMinirun(t, "", append(append([]string{"exec"}, args...), id, "cat", "/proc/self/cgroup")...)
		if r.code != 0 {
			t.Fatalf("exec %v: exit %d: %s", args, r.code, r.stderr)
		}
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if !strings.HasSuffix(l, ":"+own) {
				t.Errorf("exec %v: %q is not in the container's cgroup %s:\n%s", args, l, own, r.stdout)
			}
		}
	}
	inOwn()
	inOwn("--cgroup", "/")

	if v2 {
		mr(t, "exec", id, "mkdir", "/sys/fs/cgroup/foobar")
		r := runMinirun(t, "", "exec", "--cgroup", "foobar", id, "cat", "/proc/self/cgroup")
		mustContain(t, "exec --cgroup foobar", r.stdout, "0::"+own+"/foobar")
		return
	}
	mr(t, "exec", id, "mkdir", "-p", "/sys/fs/cgroup/memory/submem", "/sys/fs/cgroup/cpu/subcpu", "/sys/fs/cgroup/cpuacct/subcpu")
	r = runMinirun(t, "", "exec", "--cgroup", "memory:submem", "--cgroup", "cpu,cpuacct:subcpu", id, "cat", "/proc/self/cgroup")
	if r.code != 0 {
		t.Fatalf("exec into sub-cgroups: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{":memory:" + own + "/submem\n", ":cpu:" + own + "/subcpu\n", ":cpuacct:" + own + "/subcpu\n", ":pids:" + own + "\n"} {
		mustContain(t, "exec into sub-cgroups", r.stdout, want)
	}
	mr(t, "delete", "--force", id)
	checkNothingLeft(t, id, 0) // the sub-cgroups made inside went with it
}

// rootfsUnified tells whether /sys/fs/cgroup is one cgroup2 hierarchy.
func rootfsUnified() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// update.bats "update devices [minimal transition rules]" denies /dev/kmsg
// with access "rwa": runc takes the rule, its "a" meaning nothing, and the
// container can't read the node; updates keep it so. An allow rule in
// another order with a letter too much ("wamr") grants the node as "rwm"
// would. minirun warns about the letters it leaves out.
func TestDeviceAccessRunc(t *testing.T) {
	needRoot(t)
	kmsg, major, minor := "c", int64(1), int64(11)
	deny := append(append([]specs.LinuxDeviceCgroup{}, denyAll...),
		specs.LinuxDeviceCgroup{Allow: false, Type: kmsg, Major: &major, Minor: &minor, Access: "rwa"})
	s := kmsgSpec(t, deny, "sleep", "100")
	id := containerID(t)
	bundle := writeBundle(t, s)
	out := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(minirun, "run", "-d", "-b", bundle, id)
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	f.Close()
	t.Cleanup(func() { cleanUp(t, id) })
	printed, _ := os.ReadFile(out)
	if err != nil {
		t.Fatalf("run -d with a \"rwa\" rule: %v: %s", err, printed)
	}
	mustContain(t, "run's warning", string(printed), `linux.resources.devices[1]: access "rwa": "a" ignored`)
	for _, when := range []string{"after run", "after update"} {
		r := runMinirun(t, "", "exec", id, "sh", "-c", "head -c 100 /dev/kmsg")
		if r.code == 0 || !strings.Contains(r.stderr, "Operation not permitted") {
			t.Errorf("%s: read /dev/kmsg under a \"rwa\" deny: %+v", when, r)
		}
		if r := runMinirun(t, "", "update", "--pids-limit", "30", id); r.code != 0 {
			t.Fatalf("update --pids-limit 30: %+v", r)
		}
	}

	allow := append(append([]specs.LinuxDeviceCgroup{}, denyAll...),
		specs.LinuxDeviceCgroup{Allow: true, Type: kmsg, Major: &major, Minor: &minor, Access: "wamr"})
	r := runMinirun(t, "", "run", "-b", writeBundle(t, kmsgSpec(t, allow, "sh", "-c", "head -n 1 /dev/kmsg >/dev/null && echo read ok")), id+"-allow")
	if r.code != 0 || r.stdout != "read ok\n" {
		t.Errorf("read /dev/kmsg under a \"wamr\" allow: %+v", r)
	}
}

// cgroups.bats "runc run/create should warn about a non-empty cgroup" runs
// a second container in the first one's cgroup, which runc allows with a
// warning. minirun refuses it in one line: its delete kills whatever is
// left in the cgroup, and pause or kill --all of either would reach the
// other. Under the same --root the first container is named; under
// another (a second engine), the cgroup's processes are, after runc's
// words. The first container is untouched and the refused one leaves
// nothing.
func TestSharedNonEmptyCgroupRefused(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sleep", "100")
	s.Linux.CgroupsPath = "/minirun/" + containerID(t) + "-shared"
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
	t.Cleanup(func() { cleanUp(t, id) })
	st := wantStatus(t, id, specs.StateRunning)

	otherRoot := t.TempDir()
	for _, c := range []struct {
		root, cmd, want string
	}{
		{stateRoot(), "run", fmt.Sprintf("%s is already the cgroup of container %s; refused", s.Linux.CgroupsPath, id)},
		{stateRoot(), "create", fmt.Sprintf("%s is already the cgroup of container %s; refused", s.Linux.CgroupsPath, id)},
		{otherRoot, "run", fmt.Sprintf("container's cgroup is not empty: %s holds pid %d of another container or program; refused", s.Linux.CgroupsPath, st.Pid)},
		{otherRoot, "create", fmt.Sprintf("container's cgroup is not empty: %s holds pid %d of another container or program; refused", s.Linux.CgroupsPath, st.Pid)},
	} {
		id2 := id + "-" + c.cmd
		r := runMinirun(t, "", "--root", c.root, c.cmd, "-b", writeBundle(t, s), id2)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%s in a busy cgroup: exit %d, stderr %q: want one line containing %q", c.cmd, r.code, r.stderr, c.want)
		}
		if exists(filepath.Join(c.root, id2)) {
			t.Errorf("%s: the refused container's state is left", c.cmd)
			runMinirun(t, "", "--root", c.root, "delete", "--force", id2)
		}
	}
	if got := wantStatus(t, id, specs.StateRunning); got.Pid != st.Pid {
		t.Errorf("the first container's init changed: %d, was %d", got.Pid, st.Pid)
	}
}

// The harm that keeps a shared cgroup refused: a container's delete kills
// whatever is left in its cgroup (runc's delete --force does the same),
// so a second container placed in the first one's cgroup, as runc allows
// with a warning, would die with the first. This test plays the second
// container with a process of its own moved into every hierarchy of the
// first one's cgroup.
func TestSharedCgroupHarm(t *testing.T) {
	needRoot(t)
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, defaultSpec(t, "sleep", "100")), id)
	t.Cleanup(func() { cleanUp(t, id) })
	wantStatus(t, id, specs.StateRunning)
	other := exec.Command("sleep", "100")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill() })
	dirs := cgroupsLeft(t, "", id)
	if len(dirs) == 0 {
		t.Fatal("the running container has no cgroup")
	}
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(fmt.Sprint(other.Process.Pid)), 0o644); err != nil {
			t.Fatalf("move pid %d into %s: %v", other.Process.Pid, d, err)
		}
	}
	if r := runMinirun(t, "", "delete", "--force", id); r.code != 0 {
		t.Fatalf("delete --force: %+v", r)
	}
	err := other.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
		t.Fatalf("the process sharing the deleted container's cgroup survived (%v): sharing would be harmless", err)
	}
	checkNothingLeft(t, id, 0)
}

// update.bats "update cpu period in a pod cgroup with pod limit set": a
// shorter period under the old quota breaks the pod's ratio for a moment,
// which the kernel refuses with EINVAL; the update must still take both.
func TestUpdateCPUPeriodUnderPodLimit(t *testing.T) {
	needRoot(t)
	if !v1Has("cpu") {
		t.Skip("needs a v1 cpu hierarchy (the v2 cpu.max takes both values in one write)")
	}
	pod := "/minirun/" + containerID(t) + "-pod"
	podDir := filepath.Join("/sys/fs/cgroup/cpu", pod)
	if err := os.MkdirAll(podDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The start makes the pod's directory in every other hierarchy too,
	// and delete leaves a parent it did not make alone, as runc does.
	t.Cleanup(func() {
		for _, h := range cgroupHierarchies(t) {
			os.Remove(filepath.Join(h, pod))
		}
	})
	for f, v := range map[string]string{"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "50000"} {
		if err := os.WriteFile(filepath.Join(podDir, f), []byte(v), 0o644); err != nil {
			t.Fatalf("pod limit %s: %v", f, err)
		}
	}
	s := defaultSpec(t, "sleep", "100")
	s.Linux.CgroupsPath = pod + "/ctr"
	period, quota := uint64(100000), int64(20000)
	s.Linux.Resources.CPU = &specs.LinuxCPU{Period: &period, Quota: &quota}
	id := containerID(t)
	mrDetached(t, "run", "-d", "-b", writeBundle(t, s), id)
	t.Cleanup(func() { cleanUp(t, id) })
	if r := runMinirun(t, "", "update", "--cpu-period", "10000", "--cpu-quota", "3000", id); r.code != 0 {
		t.Fatalf("update --cpu-period 10000 --cpu-quota 3000 under a pod limit of 50%%: %+v", r)
	}
	for f, want := range map[string]string{"cpu.cfs_period_us": "10000", "cpu.cfs_quota_us": "3000"} {
		if b, err := os.ReadFile(filepath.Join(podDir, "ctr", f)); err != nil || strings.TrimSpace(string(b)) != want {
			t.Errorf("%s: %q %v, want %s", f, b, err, want)
		}
	}
}
