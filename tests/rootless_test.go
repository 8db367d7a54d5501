package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// The rootless run of the suite. TestRootless, as root, creates an
// unprivileged user with subordinate uid and gid ranges, and re-runs this
// test binary as that user for TestRootlessCases, with the user's HOME
// and XDG_RUNTIME_DIR and none of the root suite's MINIRUN_ROOT or cache:
// the defaults are part of what is tested. At the end the user and its
// ranges go, and /etc/subuid and /etc/subgid are as they were.
//
// Three of TestRootlessCases's subtests have their bodies beside their
// topic: rootlessExec (rootless_exec_test.go), rootlessShiftedImage
// (rootless_image_test.go) and rootlessHostRootMount
// (rootless_mount_test.go). They are parts of this test, not harness
// helpers; what the rootless files share with other tests is in the
// harness (harness_fixtures_test.go).

const (
	rootlessEnv   = "rootless"            // childEnv's value for the cases
	rlRootfsEnv   = "MINIRUN_RL_ROOTFS"   // a rootfs copy with a setuid-root file
	rlSubEnv      = "MINIRUN_RL_SUB"      // first subordinate id
	rlRootFileEnv = "MINIRUN_RL_ROOTFILE" // a root-owned 0644 file
)

func TestRootless(t *testing.T) {
	needRoot(t)
	for _, tool := range []string{"useradd", "userdel", "usermod", "newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("rootless run needs %s (newuidmap/newgidmap: apt-get install uidmap): %v", tool, err)
		}
	}
	name := fmt.Sprintf("mrrl%d", os.Getpid())
	removeStaleUsers(t, name)
	share := rootlessShare(t)
	home := filepath.Join(share, "home")
	subStart := freeSubRange(t)
	restore := snapshotFiles(t, "/etc/subuid", "/etc/subgid")
	t.Cleanup(func() { restore(name) }) // after the userdel, which is registered later
	runtimeDir := filepath.Join(share, "run")
	uid, gid := addTestUser(t, name, home, runtimeDir)
	rng := fmt.Sprintf("%d-%d", subStart, subStart+rlSubSize-1)
	if out, err := exec.Command("usermod", "--add-subuids", rng, "--add-subgids", rng, name).CombinedOutput(); err != nil {
		t.Fatalf("usermod: %v: %s", err, out)
	}
	// The binaries where the user can run them, as an installed minirun
	// would be: root's, not writable by the user.
	bin := filepath.Join(share, "minirun")
	testBin := filepath.Join(share, "tests.test")
	self, _ := os.Executable()
	copies := map[string]string{minirun: bin, self: testBin}
	// The init programs and, for a lean minirun, minirun-docker, which takes
	// its Docker-style commands, go beside it.
	for _, sibling := range []string{"minirun-init", "minirun-init-nsenter", "minirun-docker"} {
		if p := filepath.Join(filepath.Dir(minirun), sibling); exists(p) {
			copies[p] = filepath.Join(share, sibling)
		}
	}
	for src, dst := range copies {
		if out, err := exec.Command("cp", src, dst).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v: %s", err, out)
		}
		os.Chmod(dst, 0o755)
	}
	// A rootfs of its own, with a setuid-root program printing its
	// effective uid, and a root-owned file the user may read, not write.
	rfs := filepath.Join(share, "rootfs")
	if out, err := exec.Command("cp", "-a", rootfs, rfs).CombinedOutput(); err != nil {
		t.Fatalf("cp rootfs: %v: %s", err, out)
	}
	buildEuidProbe(t, filepath.Join(rfs, "bin", "euid"))
	buildMountProbe(t, filepath.Join(rfs, "bin", "mountprobe"))
	rootFile := filepath.Join(share, "root-owned")
	os.WriteFile(rootFile, []byte("root's\n"), 0o644)

	cmd := exec.Command(testBin, "-test.run", "^TestRootlessCases$", "-test.v", "-test.count=1", "-test.timeout=10m")
	cmd.Dir = home
	cmd.Env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + home, "USER=" + name, "LOGNAME=" + name,
		"XDG_RUNTIME_DIR=" + runtimeDir,
		childEnv + "=" + rootlessEnv, "MINIRUN_BIN=" + bin,
		rlRootfsEnv + "=" + rfs, rlSubEnv + "=" + strconv.Itoa(subStart), rlRootFileEnv + "=" + rootFile,
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("as %s (uid %d, subordinate ids %s):\n%s", name, uid, rng, out.String())
	if err != nil {
		t.Fatalf("rootless cases: %v", err)
	}
	if !strings.Contains(out.String(), "--- PASS: TestRootlessCases") {
		t.Fatal("rootless cases did not run")
	}
	// The fallback state root, /tmp/minirun-UID, is the user's to remove.
	os.RemoveAll(fmt.Sprintf("/tmp/minirun-%d", uid))

	// A second user, without subordinate ranges, for what its store does
	// with a single mapping: layers of its own files, whiteouts alike.
	rootlessWithoutRanges(t, share, bin, testBin, rfs, rootFile)
}

// rootlessWithoutRanges runs the image and volume cases as a user that has no range
// in /etc/subuid or /etc/subgid (rlSubEnv 0), and removes it after.
func rootlessWithoutRanges(t *testing.T, share, bin, testBin, rfs, rootFile string) {
	name := fmt.Sprintf("mrrn%d", os.Getpid())
	home := filepath.Join(share, "home-noranges")
	runtimeDir := filepath.Join(share, "run-noranges")
	uid, gid := addTestUser(t, name, home, runtimeDir)
	cmd := exec.Command(testBin, "-test.run", "^TestRootlessCases$/^(image_layers|named_volumes)", "-test.v", "-test.count=1", "-test.timeout=5m")
	cmd.Dir = home
	cmd.Env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=" + home, "USER=" + name, "LOGNAME=" + name,
		"XDG_RUNTIME_DIR=" + runtimeDir,
		childEnv + "=" + rootlessEnv, "MINIRUN_BIN=" + bin,
		rlRootfsEnv + "=" + rfs, rlSubEnv + "=0", rlRootFileEnv + "=" + rootFile,
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("as %s (uid %d, no subordinate ids):\n%s", name, uid, out.String())
	if err != nil {
		t.Fatalf("rootless image case without ranges: %v", err)
	}
	for _, c := range []string{"image_layers", "named_volumes"} {
		if !strings.Contains(out.String(), "--- PASS: TestRootlessCases/"+c) {
			t.Fatalf("the %s case did not run", c)
		}
	}
}

// TestRootlessCases runs only inside TestRootless, as the unprivileged user.
func TestRootlessCases(t *testing.T) {
	if os.Getenv(childEnv) != rootlessEnv {
		t.Skip("run by TestRootless as an unprivileged user")
	}
	if os.Geteuid() == 0 {
		t.Fatal("the rootless cases run as root")
	}
	minirun = os.Getenv("MINIRUN_BIN")
	rootfs = os.Getenv(rlRootfsEnv)
	uid, gid := os.Getuid(), os.Getgid()
	sub, _ := strconv.Atoi(os.Getenv(rlSubEnv))
	multi := func(s *specs.Spec) {
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(uid), Size: 1}, {ContainerID: 1, HostID: uint32(sub), Size: rlSubSize}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(gid), Size: 1}, {ContainerID: 1, HostID: uint32(sub), Size: rlSubSize}}
	}
	tmpfs := specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777"}}

	t.Run("spec", func(t *testing.T) {
		s := rootlessSpec(t)
		var user bool
		for _, n := range s.Linux.Namespaces {
			if n.Type == specs.NetworkNamespace {
				t.Errorf("a network namespace, unasked: %+v", s.Linux.Namespaces)
			}
			user = user || n.Type == specs.UserNamespace
		}
		want := []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(uid), Size: 1}}
		if !user || fmt.Sprint(s.Linux.UIDMappings) != fmt.Sprint(want) {
			t.Errorf("user namespace %v, uid mappings %+v, want %+v", user, s.Linux.UIDMappings, want)
		}
		if s.Linux.Resources != nil {
			t.Errorf("cgroup resources: %+v", s.Linux.Resources)
		}
		for _, m := range s.Mounts {
			if m.Destination == "/sys" && (m.Type != "none" || m.Source != "/sys" || strings.Join(m.Options, ",") != "rbind,nosuid,noexec,nodev,ro") {
				t.Errorf("/sys: %+v, want runc's read-only rbind", m)
			}
			for _, o := range m.Options {
				if strings.HasPrefix(o, "gid=") || strings.HasPrefix(o, "uid=") {
					t.Errorf("%s: option %s names an id the namespace may not map", m.Destination, o)
				}
			}
		}
	})

	t.Run("run -b with the default root", func(t *testing.T) {
		s := rootlessSpec(t, "sh", "-c", "cat /proc/self/uid_map; id -u; ls /sys/fs/cgroup | head -1")
		r := runSpec(t, s, "")
		if r.code != 0 {
			t.Fatalf("%+v", r)
		}
		t.Logf("minirun run -b: %q", r.stdout)
		if f := strings.Fields(r.stdout); len(f) < 4 || f[0] != "0" || f[1] != strconv.Itoa(uid) || f[2] != "1" || f[3] != "0" {
			t.Fatalf("uid_map and id inside: %q, want 0 %d 1 and uid 0", r.stdout, uid)
		}
		checkRoot0700(t, filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "minirun"))
		// Without XDG_RUNTIME_DIR: /tmp/minirun-UID.
		cmd := exec.Command(minirun, "run", "-b", writeBundle(t, s), containerID(t))
		cmd.Env = withoutEnv("XDG_RUNTIME_DIR")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("without XDG_RUNTIME_DIR: %v: %s", err, out)
		}
		checkRoot0700(t, fmt.Sprintf("/tmp/minirun-%d", uid))
	})

	t.Run("lifecycle and exec", func(t *testing.T) {
		s := rootlessSpec(t, "sleep", "60")
		bundle := writeBundle(t, s)
		id := containerID(t)
		// The container keeps the stdio it is created with: not a pipe
		// of this test's, or reading it would wait for the container.
		for _, step := range [][]string{{"create", "-b", bundle, id}, {"start", id}} {
			if err := exec.Command(minirun, step...).Run(); err != nil {
				t.Fatalf("%v: %v", step, err)
			}
		}
		defer runMinirun(t, "", "delete", "-f", id)
		if r := runMinirun(t, "", "state", id); !strings.Contains(r.stdout, `"running"`) {
			t.Fatalf("state: %+v", r)
		}
		if r := runMinirun(t, "", "exec", id, "true"); r.code != 0 {
			t.Fatalf("exec: %+v", r)
		}
		if r := runMinirun(t, "", "kill", id, "KILL"); r.code != 0 {
			t.Fatalf("kill: %+v", r)
		}
		waitStoppedRL(t, id)
		if r := runMinirun(t, "", "delete", id); r.code != 0 {
			t.Fatalf("delete: %+v", r)
		}
	})

	t.Run("exec", func(t *testing.T) { rootlessExec(t, uid, sub, multi) })

	t.Run("subordinate ranges by newuidmap", func(t *testing.T) {
		s := rootlessSpec(t, "sh", "-c", "cat /proc/self/uid_map; touch /tmp/f; chown 1000:1000 /tmp/f && stat -c %u:%g /tmp/f; chown 70000 /tmp/f 2>&1 || echo refused")
		multi(s)
		s.Mounts = append(s.Mounts, tmpfs)
		r := runSpec(t, s, "")
		t.Logf("uid_map and chown inside: %q", r.stdout)
		want := fmt.Sprintf("0 %d 1\n1 %d %d\n1000:1000\n", uid, sub, rlSubSize)
		if r.code != 0 || !strings.HasPrefix(squeeze(r.stdout), want) || !strings.Contains(r.stdout, "refused") {
			t.Fatalf("%+v, want %q then a refused chown outside the mapping", r, want)
		}
	})

	t.Run("no host id outside the caller", func(t *testing.T) {
		s := rootlessSpec(t, "true")
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 0, Size: 1}}
		r := runSpec(t, s, "")
		if r.code != exitRunc || !strings.Contains(r.stderr, "newuidmap") {
			t.Fatalf("mapping host root: %+v, want newuidmap's refusal", r)
		}
		t.Logf("mapping host root: %s", strings.TrimSpace(r.stderr))
	})

	t.Run("mapped root cannot write a root-owned file", func(t *testing.T) {
		for _, ranges := range []bool{false, true} {
			s := rootlessSpec(t, "sh", "-c", "cat /etc/os-release; echo x >> /etc/os-release && echo wrote; chmod 666 /etc/os-release && echo chmoded; true")
			if ranges {
				multi(s)
			}
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/etc/os-release", Type: "bind", Source: os.Getenv(rlRootFileEnv), Options: []string{"bind", "rw"}})
			r := runSpec(t, s, "")
			if r.code != 0 || !strings.Contains(r.stdout, "root's") || strings.Contains(r.stdout, "wrote") || strings.Contains(r.stdout, "chmoded") {
				t.Fatalf("ranges=%v: %+v", ranges, r)
			}
		}
		data, _ := os.ReadFile(os.Getenv(rlRootFileEnv))
		if string(data) != "root's\n" {
			t.Fatalf("the root-owned file changed: %q", data)
		}
	})

	t.Run("setuid binary gains nothing", func(t *testing.T) {
		s := rootlessSpec(t, "/bin/euid")
		multi(s)
		s.Process.User = specs.User{UID: 1000, GID: 1000}
		s.Process.NoNewPrivileges = false
		r := runSpec(t, s, "")
		if r.code != 0 || strings.TrimSpace(r.stdout) != "1000 1000" {
			t.Fatalf("setuid-root probe as uid 1000: %+v, want \"1000 1000\"", r)
		}
	})

	t.Run("mounting the host root from inside fails", func(t *testing.T) { rootlessHostRootMount(t) })

	t.Run("cgroups", func(t *testing.T) {
		s := rootlessSpec(t, "true")
		limit := int64(100)
		s.Linux.Resources = &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &limit}}
		r := runSpec(t, s, "")
		if r.code != exitRunc || !strings.Contains(r.stderr, "rootless: linux.resources") {
			t.Fatalf("resources without a delegated cgroup: %+v", r)
		}
		t.Logf("asking for pids.max: %s", strings.TrimSpace(r.stderr))
		own, _ := os.ReadFile("/proc/self/cgroup")
		s = rootlessSpec(t, "true")
		if r := runSpec(t, s, ""); r.code != 0 {
			t.Fatalf("no resources: %+v", r)
		}
		if after, _ := os.ReadFile("/proc/self/cgroup"); !bytes.Equal(own, after) {
			t.Fatalf("the caller's cgroup changed")
		}
	})

	t.Run("devices are the host devices", func(t *testing.T) {
		s := rootlessSpec(t, "sh", "-c", "ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty | cut -c1; echo > /dev/null && echo null-ok; echo x > /dev/full || echo full-refused; head -c 4 /dev/urandom | wc -c")
		r := runSpec(t, s, "")
		if r.code != 0 || strings.Count(r.stdout, "c\n") != 6 || !strings.Contains(r.stdout, "null-ok") || !strings.Contains(r.stdout, "full-refused") || !strings.HasSuffix(r.stdout, "4\n") {
			t.Fatalf("%+v", r)
		}
	})

	t.Run("idmapped mounts are refused", func(t *testing.T) {
		s := rootlessSpec(t, "true")
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/home", Type: "bind", Source: rootfs, Options: []string{"bind", "idmap"}})
		r := runSpec(t, s, "")
		if r.code != exitRunc || !strings.Contains(r.stderr, "idmapped mount needs CAP_SYS_ADMIN") {
			t.Fatalf("%+v", r)
		}
	})

	t.Run("binary sealing", func(t *testing.T) {
		rootlessReplay(t)
	})

	t.Run("image layers, owners and whiteouts", func(t *testing.T) { rootlessShiftedImage(t, uid, sub) })

	t.Run("named volumes Docker style", func(t *testing.T) { rootlessVolumes(t, sub) })

	t.Run("images Docker style", func(t *testing.T) {
		if r := runMinirun(t, "", "import", "alpine", rootfs); r.code != 0 {
			t.Fatalf("import: %+v", r)
		}
		store := filepath.Join(os.Getenv("HOME"), ".local", "share", "minirun")
		if _, err := os.Stat(filepath.Join(store, "layers")); err != nil {
			t.Fatalf("store not in ~/.local/share/minirun: %v", err)
		}
		if r := runMinirun(t, "", "images"); !strings.Contains(r.stdout, "alpine") {
			t.Fatalf("images: %+v", r)
		}
		deny := filepath.Join(t.TempDir(), "deny.json")
		os.WriteFile(deny, []byte(`{"defaultAction":"SCMP_ACT_ERRNO"}`), 0o644)
		scenes := []struct {
			args []string
			code int
			out  string
		}{
			{[]string{"run", "--rm", "-i", "--security-opt", "seccomp=" + deny, "alpine", "sh"}, 125, "execve"},
			{[]string{"run", "--rm", "alpine", "unshare", "--user", "whoami"}, 1, "Operation not permitted"},
			{[]string{"run", "--rm", "--security-opt", "seccomp=unconfined", "alpine", "unshare", "--user", "whoami"}, 0, "nobody"},
			{[]string{"run", "--rm", "alpine", "sh", "-c", "echo hi > /new && cat /new && id -u && stat -c %u /bin/busybox"}, 0, "hi\n0\n0\n"},
			{[]string{"run", "--rm", "--network", "none", "alpine", "sh", "-c", "ls /sys/class/net"}, 0, "lo\n"},
			{[]string{"run", "--rm", "--network", "host", "alpine", "sh", "-c", "ls /sys/class/net | grep -c ."}, 0, ""},
			{[]string{"run", "--rm", "--memory", "64m", "alpine", "true"}, 125, "rootless: linux.resources"},
		}
		for _, sc := range scenes {
			r := runMinirun(t, "", sc.args...)
			t.Logf("minirun %s: exit %d, %q %q", strings.Join(sc.args, " "), r.code, r.stdout, r.stderr)
			if r.code != sc.code || !strings.Contains(r.stdout+r.stderr, sc.out) {
				t.Errorf("minirun %v: exit %d, want %d with %q", sc.args, r.code, sc.code, sc.out)
			}
		}
		r := runMinirun(t, "", "run", "--name", "kept", "alpine", "true")
		if r.code != 0 {
			t.Fatalf("run --name: %+v", r)
		}
		if r := runMinirun(t, "", "rm", "kept"); r.code != 0 {
			t.Fatalf("rm: %+v", r)
		}
		if r := runMinirun(t, "", "rmi", "alpine"); r.code != 0 {
			t.Fatalf("rmi: %+v", r)
		}
		if ents, _ := os.ReadDir(filepath.Join(store, "containers")); len(ents) != 0 {
			t.Fatalf("containers left in the store: %v", ents)
		}
	})
}

func checkRoot0700(t *testing.T, dir string) {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatalf("state root: %v", err)
	}
	if st := fi.Sys().(*syscall.Stat_t); fi.Mode().Perm() != 0o700 || int(st.Uid) != os.Getuid() {
		t.Fatalf("state root %s: mode %v owner %d", dir, fi.Mode(), st.Uid)
	}
}

func withoutEnv(name string) []string {
	var out []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, name+"=") {
			out = append(out, e)
		}
	}
	return out
}

func waitStoppedRL(t *testing.T, id string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if r := runMinirun(t, "", "state", id); strings.Contains(r.stdout, `"stopped"`) {
			return
		}
	}
	t.Fatalf("%s never stopped", id)
}

// rootlessReplay is TestRuntimeBinaryNotReachableFromContainer done by the
// unprivileged caller, for both binaries: open_tree needs privilege, so
// the init runs from a sealed memfd, and writing through its /proc/PID/exe
// must fail. minirun itself (forced with MINIRUN_NO_INIT_BINARY, which
// every exec init and the re-exec'd init run) is run by the container as
// /proc/self/exe; minirun-init, the init of most rootless starts, is held
// through a created container's init.
func rootlessReplay(t *testing.T) {
	t.Run("minirun", func(t *testing.T) {
		s := rootlessSpec(t, "/proc/self/exe", "seccomp", "explain", "/dev/stdin")
		cmd := exec.Command(minirun, "run", "-b", writeBundle(t, s), containerID(t))
		cmd.Env = append(os.Environ(), "MINIRUN_NO_INIT_BINARY=1")
		pid, end := startExplain(t, cmd)
		checkExeSealed(t, pid, minirun, false, end)
	})
	t.Run("minirun-init", func(t *testing.T) {
		initBin := filepath.Join(filepath.Dir(minirun), "minirun-init")
		if !exists(initBin) {
			t.Fatalf("no minirun-init beside %s", minirun)
		}
		id := containerID(t)
		// Output to a file: the created init keeps it open, and a pipe
		// would keep runMinirun waiting for its end.
		mrDetached(t, "create", "-b", writeBundle(t, rootlessSpec(t, "true")), id)
		defer runMinirun(t, "", "delete", "--force", id)
		checkExeSealed(t, statePid(t, id), initBin, false, func() {
			if r := runMinirun(t, "", "delete", "--force", id); r.code != 0 {
				t.Fatalf("delete: %+v", r)
			}
		})
	})
}

// buildMountProbe builds mountProbeSrc into dst.
func buildMountProbe(t *testing.T, dst string) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(mountProbeSrc), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module mountprobe\n\ngo 1.21\n"), 0o644)
	build := exec.Command("go", "build", "-o", dst, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build mount probe: %v: %s", err, out)
	}
	os.Chmod(dst, 0o755)
}

// mountProbeSrc is a static program run inside a rootless container: it
// reports whether CAP_SYS_ADMIN is effective, proves mount(2) works for
// what a user namespace may mount (a tmpfs), then tries to mount the host
// root's filesystem from its block device, with mount(2) and with the new
// mount API (fsopen, fsconfig, FSCONFIG_CMD_CREATE), and reports each
// errno; last, what the target directory holds and how many mounts of the
// host root filesystem's own root ("/" of device MAJ:MIN) it can see, and
// how many of any of its subtrees (the container's rootfs is one, so the
// count is never 0: a probe that can't read mountinfo fails).
const mountProbeSrc = `package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

func errno(err error) string {
	if err == nil {
		return "ok"
	}
	if e, ok := err.(syscall.Errno); ok {
		switch e {
		case syscall.EPERM:
			return "EPERM"
		case syscall.EACCES:
			return "EACCES"
		case syscall.ENODEV:
			return "ENODEV"
		}
		return "errno" + strconv.Itoa(int(e))
	}
	return err.Error()
}

func cstr(s string) uintptr { b, _ := syscall.BytePtrFromString(s); return uintptr(unsafe.Pointer(b)) }

func main() {
	dev, target, majmin := os.Args[1], os.Args[2], os.Args[3]
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
			c, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			fmt.Printf("cap_sys_admin=%v\n", c&(1<<21) != 0)
		}
	}
	err := syscall.Mount("t", target, "tmpfs", 0, "")
	fmt.Println("mount tmpfs:", errno(err))
	if err == nil {
		syscall.Unmount(target, 0)
	}
	if _, err := os.Stat(dev); err != nil {
		fmt.Println("device:", err)
	}
	fmt.Println("mount device:", errno(syscall.Mount(dev, target, "ext4", syscall.MS_RDONLY, "")))
	fd, _, e := syscall.Syscall(430, cstr("ext4"), 0, 0) // fsopen
	if e != 0 {
		fmt.Println("fsopen:", errno(e))
	} else {
		_, _, e = syscall.Syscall6(431, fd, 1, cstr("source"), cstr(dev), 0, 0) // fsconfig FSCONFIG_SET_STRING
		fmt.Println("fsconfig source:", errno(errOf(e)))
		_, _, e = syscall.Syscall6(431, fd, 6, 0, 0, 0, 0) // FSCONFIG_CMD_CREATE
		fmt.Println("fsconfig create:", errno(errOf(e)))
	}
	ents, _ := os.ReadDir(target)
	fmt.Println("entries in target:", len(ents))
	f, _ := os.Open("/proc/self/mountinfo")
	n, sub := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 4 && fs[2] == majmin {
			sub++
			if fs[3] == "/" {
				n++
			}
		}
	}
	fmt.Println("mounts of the host root:", n)
	fmt.Println("mounts from its filesystem:", sub)
}

func errOf(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}
`

// rootlessVolumes: -v NAME:/path works rootless, as Docker's: the volume
// lives in the caller's store, its first use copies the image's files in
// (through the layers' user namespace, where the overlay is stacked),
// root's inside; what a container user of a subordinate id writes there
// stays, and volume rm removes it all.
func rootlessVolumes(t *testing.T, sub int) {
	if r := runMinirun(t, "", "import", rootfs, "rlvolimg"); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	t.Cleanup(func() { runMinirun(t, "", "rmi", "-f", "rlvolimg") })
	store := filepath.Join(os.Getenv("HOME"), ".local", "share", "minirun")
	r := runMinirun(t, "", "run", "--rm", "-v", "rlv:/etc", "rlvolimg", "sh", "-c", "cat /etc/os-release; stat -c %u:%g /etc/passwd")
	if r.code != 0 || !strings.Contains(r.stdout, "busybox rootfs") || !strings.HasSuffix(r.stdout, "0:0\n") {
		t.Fatalf("run -v rlv:/etc, rootless: %+v, want the image's /etc copied in, root's", r)
	}
	data := filepath.Join(store, "volumes", "rlv", "_data")
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(data, "os-release"), &st); err != nil || int(st.Uid) != os.Getuid() {
		t.Fatalf("the volume in the caller's store: %s: owner %d (%v), want the caller", data, st.Uid, err)
	}
	script := "echo kept > /etc/mine"
	if sub != 0 {
		// A subordinate id's files: only the layers' namespace removes them.
		script += " && mkdir /etc/d && touch /etc/d/f && chown -R 1000:1000 /etc/d && chmod 500 /etc/d"
	}
	if r := runMinirun(t, "", "run", "--rm", "-v", "rlv:/etc", "rlvolimg", "sh", "-c", script); r.code != 0 {
		t.Fatalf("write in the volume: %+v", r)
	}
	if r := runMinirun(t, "", "run", "--rm", "-v", "rlv:/x", "rlvolimg", "cat", "/x/mine"); r.code != 0 || r.stdout != "kept\n" {
		t.Fatalf("the volume kept what was written: %+v", r)
	}
	// An anonymous volume goes with --rm.
	if r := runMinirun(t, "", "run", "--rm", "-v", "/anon", "rlvolimg", "touch", "/anon/f"); r.code != 0 {
		t.Fatalf("run -v /anon, rootless: %+v", r)
	}
	if r := runMinirun(t, "", "volume", "rm", "rlv"); r.code != 0 {
		t.Fatalf("volume rm, rootless: %+v", r)
	}
	if ents, _ := os.ReadDir(filepath.Join(store, "volumes")); len(ents) != 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("volumes left in the store: %v", names)
	}
}
