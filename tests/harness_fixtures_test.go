package tests

// The harness, part three: what tests plant for minirun to run. See
// harness_test.go for the whole.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dockerprofile "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/image"
	"github.com/minirun/minirun/seccomp"
)

// Docker-front stores and images.

// storeDir is dockerRun's store: the suite's rootfs imported once per run
// as "alpine".
var (
	storeOnce sync.Once
	storeDir  string
)

// dockerRun runs `minirun run ARGS...` against a store holding the test
// rootfs imported as "alpine".
func dockerRun(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	needRoot(t)
	storeOnce.Do(func() {
		storeDir = filepath.Join(workDir, "store")
		if out, err := exec.Command(minirun, "--store", storeDir, "import", "alpine", rootfs).CombinedOutput(); err != nil {
			t.Fatalf("import: %v %s", err, out)
		}
	})
	return runMinirun(t, stdin, append([]string{"--store", storeDir, "run"}, args...)...)
}

// watchDeadline bounds every run of the seccomp report and record tests:
// a container whose calls wait on a supervisor that never answers must
// fail its test, not stall the suite until its timeout.
const watchDeadline = 60 * time.Second

// dockerRunW is dockerRun with watchDeadline.
func dockerRunW(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	return runMinirunWithin(t, watchDeadline, stdin, append([]string{"--store", storeDir, "run"}, args...)...)
}

// probeImageOnce imports the "probe" image into storeDir once per run.
var probeImageOnce sync.Once

// dockerProbe is dockerRunW with the probe image ("probe": the busybox
// rootfs with /bin/probe) in the store.
func dockerProbe(t *testing.T, args ...string) result {
	t.Helper()
	root := probeRootfs(t)                     // builds the probe, or skips
	dockerRun(t, "", "--rm", "alpine", "true") // the store exists
	probeImageOnce.Do(func() {
		if out, err := exec.Command(minirun, "--store", storeDir, "import", "probe", root).CombinedOutput(); err != nil {
			t.Fatalf("import probe: %v %s", err, out)
		}
	})
	return dockerRunW(t, "", args...)
}

// badStoreDir is the bad-input and fault cases' store, of their own,
// holding the test rootfs as "alpine", so its containers/, tmp/ and
// layers/ show exactly what the cases left.
var (
	badStoreOnce sync.Once
	badStoreDir  string
)

// badStore returns badStoreDir, importing the rootfs the first time.
func badStore(t *testing.T) string {
	badStoreOnce.Do(func() {
		badStoreDir = filepath.Join(workDir, "badstore")
		if out, err := exec.Command(minirun, "--store", badStoreDir, "import", "alpine", rootfs).CombinedOutput(); err != nil {
			t.Fatalf("import: %v %s", err, out)
		}
	})
	return badStoreDir
}

// imgStore opens a fresh store in a temp dir; the cleanup unmounts anything
// a failed test left mounted, so one failure doesn't leak mounts.
func imgStore(t *testing.T) *image.Store {
	t.Helper()
	needRoot(t)
	s, err := image.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ents, _ := os.ReadDir(filepath.Join(s.Root, "containers"))
		for _, e := range ents {
			s.RemoveRootfs(e.Name())
		}
	})
	return s
}

// Seccomp: the probe program, syscall numbers, profiles and reports.

// Syscall numbers the probes use. The probe takes numbers, not names, so
// the test says exactly what the kernel sees.
const (
	nrKexecLoad  = 246 // x86_64; denied by the default profile with EPERM
	nrUnshare    = 272 // x86_64
	nrGetpid     = 39  // x86_64
	nrClone3     = 435 // x86_64
	nrUnassigned = 1000
	nrI386Getpid = 20  // i386
	nrI386Unsh   = 310 // i386 unshare
)

// probeBin is tests/probes/probe.c built once per run into workDir, or ""
// with probeSkip saying why (a "FAIL " prefix: the build failed).
var (
	probeOnce sync.Once
	probeBin  string // built probe, or "" with probeSkip set
	probeSkip string
)

// probeRootfs returns a private copy of the rootfs with /bin/probe in it
// (tests/probes/probe.c, built once per run with gcc -static).
func probeRootfs(t *testing.T) string {
	t.Helper()
	probeOnce.Do(func() {
		if _, err := exec.LookPath("gcc"); err != nil {
			probeSkip = "gcc not found: the seccomp probes are C built with gcc -static (apt-get install gcc libc6-dev)"
			return
		}
		dir := filepath.Join(workDir, "probes")
		if out, err := exec.Command("./probes/build.sh", dir).CombinedOutput(); err != nil {
			// gcc is there, so a failed build is a real failure (no
			// libc6-dev, or a broken probe), not a reason to skip.
			probeSkip = fmt.Sprintf("FAIL build probes: %v\n%s", err, out)
			return
		}
		probeBin = filepath.Join(dir, "probe")
	})
	if strings.HasPrefix(probeSkip, "FAIL ") {
		t.Fatal(strings.TrimPrefix(probeSkip, "FAIL "))
	}
	if probeSkip != "" {
		t.Skip(probeSkip)
	}
	root := privateRootfs(t)
	if out, err := exec.Command("cp", probeBin, filepath.Join(root, "bin", "probe")).CombinedOutput(); err != nil {
		t.Fatalf("copy probe: %v %s", err, out)
	}
	return root
}

// probeSpec is the default spec running /bin/probe ARGS in a rootfs that
// has it.
func probeSpec(t *testing.T, args ...string) *specs.Spec {
	t.Helper()
	root := probeRootfs(t)
	s := defaultSpec(t, append([]string{"/bin/probe"}, args...)...)
	s.Root.Path = root
	return s
}

// needIA32 skips a test of the i386 ABI on a kernel that has none
// (CONFIG_IA32_EMULATION off, or ia32_emulation=0 on its command line):
// there int $0x80 faults on the host itself, before any filter could
// see it, so the container's outcome would say nothing about minirun.
func needIA32(t *testing.T) {
	t.Helper()
	if !hostHasIA32(t) {
		t.Skip("this kernel has no i386 ABI (int $0x80 faults on the host itself): IA32 emulation is off")
	}
}

// hostHasIA32 runs the probe's int $0x80 getpid on the host.
func hostHasIA32(t *testing.T) bool {
	t.Helper()
	probeRootfs(t) // builds the probe, or skips
	err := exec.Command(probeBin, "int80", fmt.Sprint(nrI386Getpid)).Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGSEGV {
			return false
		}
	}
	return true
}

// dockerProfile resolves a Docker-format profile the way `--security-opt
// seccomp=FILE` would, for the spec's capabilities.
func dockerProfile(t *testing.T, s *specs.Spec, body string) *specs.LinuxSeccomp {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := seccomp.LoadProfile(path, s.Process.Capabilities.Bounding)
	if err != nil {
		t.Fatalf("load profile: %v", err)
	}
	return p
}

// readRecorded reads the profile --seccomp-record wrote at path: parsed,
// and as written for failure messages.
func readRecorded(t *testing.T, path string) (*dockerprofile.Seccomp, []byte) {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p dockerprofile.Seccomp
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	return &p, body
}

// seenNames leaves out the runtime's own entry (what minirun and its Go
// runtime may call between the filter and execve, always written): the
// names the workload was seen calling and nothing else.
func seenNames(p *dockerprofile.Seccomp) map[string]*dockerprofile.Syscall {
	return namesOf(p, false)
}

// namesOf maps each syscall name in p to its entry, leaving out the
// runtime's own entry unless withRuntime.
func namesOf(p *dockerprofile.Seccomp, withRuntime bool) map[string]*dockerprofile.Syscall {
	m := map[string]*dockerprofile.Syscall{}
	for _, sc := range p.Syscalls {
		if !withRuntime && strings.HasPrefix(sc.Comment, "runtime:") {
			continue
		}
		for _, n := range sc.Names {
			m[n] = sc
		}
	}
	return m
}

// reportLine finds the report's line for a call: the first line of
// stderr that, trimmed, starts with prefix and contains " = ".
func reportLine(t *testing.T, r result, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(r.stderr, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, prefix) && strings.Contains(l, " = ") {
			return l
		}
	}
	t.Fatalf("no report line starting %q in stderr:\n%s", prefix, r.stderr)
	return ""
}

// Hooks.

// recordHook is a hook that saves its stdin (the state) and its mount
// namespace as DIR/KIND.json and DIR/KIND.ns. sh is the host's, or the
// container's for startContainer, which runs inside.
func recordHook(dir, kind string) specs.Hook {
	script := fmt.Sprintf("cat > %[1]s/%[2]s.json; readlink /proc/self/ns/mnt > %[1]s/%[2]s.ns; ls %[1]s > %[1]s/%[2]s.seen", dir, kind)
	return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", script}}
}

// hookRecord is what recordHook saved for one hook.
type hookRecord struct {
	state specs.State
	ns    string
	seen  string // the files already there when the hook ran
}

// readHook reads what the hook of kind saved in dir; the hook must have
// run.
func readHook(t *testing.T, dir, kind string) hookRecord {
	t.Helper()
	var r hookRecord
	data, err := os.ReadFile(filepath.Join(dir, kind+".json"))
	if err != nil {
		t.Fatalf("hook %s did not run: %v", kind, err)
	}
	if err := json.Unmarshal(data, &r.state); err != nil {
		t.Fatalf("hook %s: state %q: %v", kind, data, err)
	}
	ns, _ := os.ReadFile(filepath.Join(dir, kind+".ns"))
	seen, _ := os.ReadFile(filepath.Join(dir, kind+".seen"))
	r.ns, r.seen = strings.TrimSpace(string(ns)), string(seen)
	return r
}

// Rootless: test users, their subordinate ranges, the programs they run.

// rlSubSize is the size of the subordinate id ranges the rootless tests
// give their users.
const rlSubSize = 65536

// freeSubRange is a first id above every range in /etc/subuid and /etc/subgid.
func freeSubRange(t *testing.T) int {
	start := 1 << 20
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		data, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(data), "\n") {
			p := strings.Split(line, ":")
			if len(p) != 3 {
				continue
			}
			a, _ := strconv.Atoi(p[1])
			n, _ := strconv.Atoi(p[2])
			if a+n > start {
				start = a + n
			}
		}
	}
	return start + rlSubSize*int(os.Getpid()%16)
}

// addTestUser creates user name without subordinate ranges, with its home
// and runtime directories (made, its own, 0700), and removes it at the
// end of the test.
func addTestUser(t *testing.T, name, home, runtimeDir string) (uid, gid int) {
	t.Helper()
	if out, err := exec.Command("useradd", "-M", "-d", home, "-s", "/usr/sbin/nologin", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v: %s", name, err, out)
		}
	})
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	for _, d := range []string{home, runtimeDir} {
		os.Mkdir(d, 0o700)
		os.Chown(d, uid, gid)
	}
	return uid, gid
}

// snapshotFiles returns a function that, after userdel, drops any line the
// user left and puts back a file that still differs from the snapshot.
func snapshotFiles(t *testing.T, paths ...string) func(name string) {
	orig := map[string][]byte{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		orig[p] = data
	}
	return func(name string) {
		for _, p := range paths {
			data, _ := os.ReadFile(p)
			if bytes.Equal(data, orig[p]) {
				continue
			}
			dropUserLines(p, data, name)
		}
	}
}

// dropUserLines rewrites the /etc/subuid-style file at path, whose content
// is data, without the lines of user name.
func dropUserLines(path string, data []byte, name string) {
	var kept []string
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if l != "" && !strings.HasPrefix(l, name+":") {
			kept = append(kept, l)
		}
	}
	os.WriteFile(path, []byte(strings.Join(kept, "")), 0o644)
}

// removeStaleUsers takes away what an earlier run of a rootless test
// (TestRootless, TestRootlessPasta, storeperm's) left when it was killed before its clean-up
// (a time-out): its users (mrrl<pid>, mrrn<pid>, whose home is under a
// minirun-rootless- directory), their subordinate ranges and their
// directories. Root suites never run two at once (see DESIGN.md), so any
// such user but this run's own is stale.
func removeStaleUsers(t *testing.T, own string) {
	data, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 7 || f[0] == own || !strings.Contains(f[5], "/minirun-rootless-") ||
			!(strings.HasPrefix(f[0], "mrrl") || strings.HasPrefix(f[0], "mrrn")) {
			continue
		}
		if out, err := exec.Command("userdel", f[0]).CombinedOutput(); err != nil {
			t.Logf("stale user %s: userdel: %v: %s", f[0], err, out)
			continue
		}
		for _, file := range []string{"/etc/subuid", "/etc/subgid"} {
			if b, err := os.ReadFile(file); err == nil {
				dropUserLines(file, b, f[0])
			}
		}
		if i := strings.Index(f[5], "/minirun-rootless-"); i >= 0 {
			dir := f[5][:i] + "/" + strings.SplitN(f[5][i+1:], "/", 2)[0]
			os.RemoveAll(dir)
		}
		t.Logf("removed the stale test user %s", f[0])
	}
}

// rootlessShare is a directory a test's throwaway user can reach,
// removed when the test ends. Its name is one removeStaleUsers knows,
// should the test be killed first.
func rootlessShare(t *testing.T) string { return openTempDir(t, "minirun-rootless-") }

// openTempDir is a temporary directory every user may traverse (not
// t.TempDir: its parent is 0700), removed when the test ends.
func openTempDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// buildEuidProbe builds a static program printing its real and effective
// uid, owned by host root and setuid.
func buildEuidProbe(t *testing.T, dst string) {
	dir := t.TempDir()
	src := "package main\n\nimport (\"fmt\"; \"os\")\n\nfunc main() { fmt.Println(os.Getuid(), os.Geteuid()) }\n"
	os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module euid\n\ngo 1.21\n"), 0o644)
	build := exec.Command("go", "build", "-o", dst, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build euid probe: %v: %s", err, out)
	}
	os.Chown(dst, 0, 0)
	os.Chmod(dst, 0o4755)
}

// The runtime's own binary, sealed: what a container that runs it sees.

// startExplain starts cmd, a container whose command is the runtime's own
// binary run as /proc/self/exe reading a blocked stdin, and returns the
// pid of that process and a func that lets it end. The caller defers
// nothing else: the test's cleanup ends it too.
func startExplain(t *testing.T, cmd *exec.Cmd) (int, func()) {
	t.Helper()
	stdin, _ := cmd.StdinPipe() // held open: the command blocks reading it
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for _, p := range childrenOf(cmd.Process.Pid) {
			if args, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p)); strings.Contains(string(args), "explain") {
				return p, func() { stdin.Close(); cmd.Wait() }
			}
		}
	}
	t.Fatal("container process never appeared")
	return 0, nil
}

// checkExeSealed keeps a handle on /proc/PID/exe, lets the process end
// (while it runs the kernel refuses writes with ETXTBSY), then tries to
// write through the handle: done from the host, which is more than a
// container could do. The write must fail: EROFS from the read-only view
// of bin itself (which only root can make, so only when view is allowed),
// or EPERM from a sealed copy of it.
func checkExeSealed(t *testing.T, pid int, bin string, view bool, end func()) {
	t.Helper()
	handle, err := os.OpenFile(fmt.Sprintf("/proc/%d/exe", pid), os.O_RDONLY|unix.O_PATH, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer handle.Close()
	var host, inside syscall.Stat_t
	if err := syscall.Stat(bin, &host); err != nil {
		t.Fatal(err)
	}
	syscall.Fstat(int(handle.Fd()), &inside)
	end()
	same := host.Dev == inside.Dev && host.Ino == inside.Ino
	if same && !view {
		t.Fatalf("pid %d ran %s itself, not a sealed copy", pid, bin)
	}
	// A memfd opens for writing; its seals refuse the write itself.
	f, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", handle.Fd()), os.O_WRONLY, 0)
	if err == nil {
		_, err = f.Write([]byte("#!/bin/sh\n"))
		f.Close()
	}
	switch {
	case err == nil:
		t.Fatalf("wrote %s (or its copy) through pid %d's /proc/PID/exe", bin, pid)
	case errors.Is(err, syscall.EROFS) && !same:
		// The read-only view is of the file itself: the process must have
		// run the binary this case is about.
		t.Fatalf("pid %d ran inode %d, not %s (inode %d)", pid, inside.Ino, bin, host.Ino)
	case !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.EROFS):
		t.Fatalf("writing %s through /proc/PID/exe failed with %v, want EROFS (read-only view) or EPERM (sealed copy)", bin, err)
	}
	t.Logf("writing pid %d's /proc/PID/exe: %v", pid, err)
}
