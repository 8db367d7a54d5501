package tests

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// privateRootfs copies the shared rootfs so a test can plant things in it.
func privateRootfs(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rootfs")
	if out, err := exec.Command("cp", "-a", rootfs, dir).CombinedOutput(); err != nil {
		t.Fatalf("copy rootfs: %v %s", err, out)
	}
	return dir
}

// An image can't send a mount outside its rootfs with a symlink: the
// destination is resolved inside the rootfs.
func TestSymlinkedMountTargetStaysInside(t *testing.T) {
	needRoot(t)
	root := privateRootfs(t)
	host := t.TempDir()
	if err := os.Symlink(host, filepath.Join(root, "evil")); err != nil {
		t.Fatal(err)
	}
	s := defaultSpec(t, "sh", "-c", "grep -c ' "+host+" tmpfs' /proc/mounts")
	s.Root.Path = root
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/evil", Type: "tmpfs", Source: "tmpfs"})
	before := mountsUnder(t, host)
	r := runSpec(t, s, "")
	if r.code != 0 || r.stdout != "1\n" {
		t.Fatalf("mount did not land inside the container at %s: %+v", host, r)
	}
	if mountsUnder(t, host) != before {
		t.Fatal("a mount reached the host directory")
	}
	if _, err := os.Stat(filepath.Join(root, host)); err != nil {
		t.Fatalf("mountpoint not created inside the rootfs: %v", err)
	}
}

func TestOnlyProcfsOnProc(t *testing.T) {
	needRoot(t)
	for _, m := range []specs.Mount{
		{Destination: "/proc", Type: "tmpfs", Source: "tmpfs"},
		{Destination: "/proc/", Type: "bind", Source: t.TempDir(), Options: []string{"rbind"}},
	} {
		s := defaultSpec(t, "true")
		s.Mounts[0] = m
		checkFailure(t, runSpec(t, s, ""), exitRunc, "only a real procfs may be mounted on /proc")
	}
}

// A rootfs with a fake /proc (a plain directory with planted files) must
// not swallow the runtime's writes to procfs.
func TestFakeProcIsRefused(t *testing.T) {
	needRoot(t)
	root := privateRootfs(t)
	fake := filepath.Join(root, "proc", "self")
	os.MkdirAll(fake, 0o755)
	os.WriteFile(filepath.Join(fake, "oom_score_adj"), nil, 0o644)
	s := defaultSpec(t, "true")
	s.Root.Path = root
	s.Mounts = s.Mounts[1:] // no real procfs
	s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
	adj := 100
	s.Process.OOMScoreAdj = &adj
	checkFailure(t, runSpec(t, s, ""), exitRunc, "oom score", "not on procfs")
}

// CVE-2019-5736: a container process that runs the runtime's binary, or
// holds a handle on a runtime process's /proc/PID/exe, must not be able to
// reopen it for writing once that process exits. Both binaries are checked:
// minirun, which a re-exec'd init and every exec init run (here forced with
// MINIRUN_NO_INIT_BINARY, and run by the container as /proc/self/exe), and
// minirun-init, the init of most starts (held through the created init).
func TestRuntimeBinaryNotReachableFromContainer(t *testing.T) {
	needRoot(t)
	t.Run("minirun", func(t *testing.T) {
		s := defaultSpec(t, "/proc/self/exe", "seccomp", "explain", "/dev/stdin")
		bundle := writeBundle(t, s)
		cmd := exec.Command(minirun, "run", "-b", bundle, containerID(t))
		cmd.Env = append(os.Environ(), "MINIRUN_NO_INIT_BINARY=1")
		pid, end := startExplain(t, cmd)
		checkExeSealed(t, pid, minirun, true, end)
	})
	t.Run("minirun-init", func(t *testing.T) {
		initBin := filepath.Join(filepath.Dir(minirun), "minirun-init")
		if _, err := os.Stat(initBin); err != nil {
			t.Fatalf("no minirun-init beside %s: %v", minirun, err)
		}
		id, _ := createContainer(t, defaultSpec(t, "true"))
		st := wantStatus(t, id, specs.StateCreated)
		checkExeSealed(t, st.Pid, initBin, true, func() {
			if r := runMinirun(t, "", "delete", "--force", id); r.code != 0 {
				t.Fatalf("delete: %+v", r)
			}
		})
	})
}

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

// The container must not see or inherit the runtime's sync socket or the
// memfd: covered by TestNoLeakedFdsAndSignalStatus. cwd must resolve inside.
func TestCwdInsideContainer(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "pwd")
	s.Process.Cwd = "/tmp/../etc"
	r := runSpec(t, s, "")
	if r.stdout != "/etc\n" {
		t.Fatalf("%+v", r)
	}
	s.Process.Cwd = "/nonexistent"
	checkFailure(t, runSpec(t, s, ""), exitRunc, "cwd", "/nonexistent")
}

// A minirun-init of another build than the minirun beside it refuses to
// run the container (it could be missing what this minirun asks of it),
// with a one-line error, and nothing is left.
func TestInitBinaryOfAnotherBuildRefuses(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go tool to build a second minirun-init")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "minirun")
	if out, err := exec.Command("cp", minirun, bin).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
	build := exec.Command("go", "build", "-tags", "osusergo,netgo", "-ldflags", "-X github.com/minirun/minirun/internal/version.Commit=another-build",
		"-o", filepath.Join(dir, "minirun-init"), "../cmd/minirun-init")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build minirun-init: %v: %s", err, out)
	}
	var self string
	if out, err := exec.Command(bin, "--version").Output(); err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			if c, ok := strings.CutPrefix(l, "commit: "); ok {
				self = c
			}
		}
	}
	// --version says "unknown" for a build without a commit, which checks
	// none: the suite's own build (MINIRUN_BIN unset) is one.
	if self == "" || self == "unknown" {
		t.Skip("this minirun has no build commit (built without make), so it checks none")
	}
	id := containerID(t)
	cmd := exec.Command(bin, "run", "-b", writeBundle(t, defaultSpec(t, "echo", "ran")), id)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	r := result{out.String(), errb.String(), code}
	checkFailure(t, r, exitRunc, "init", "another-build", "one build")
	checkNothingLeft(t, id, 0)
}
