package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

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
// reopen it for writing once that process exits. Every binary is checked:
// minirun, which a re-exec'd init runs (here forced with
// MINIRUN_NO_INIT_BINARY, and run by the container as /proc/self/exe),
// minirun-init, the init of most starts, and minirun-init-nsenter, every
// exec's init and a start's that needs the C pre-main (both held through
// the created init).
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
	// The build with the C pre-main, every exec's init and a start's that
	// needs the pre-main: here one in the host's pid namespace, where any
	// host process could reach it by pid.
	t.Run("minirun-init-nsenter", func(t *testing.T) {
		initBin := filepath.Join(filepath.Dir(minirun), "minirun-init-nsenter")
		if _, err := os.Stat(initBin); err != nil {
			t.Fatalf("no minirun-init-nsenter beside %s: %v", minirun, err)
		}
		s := defaultSpec(t, "true")
		dropNamespace(s, specs.PIDNamespace)
		id, _ := createContainer(t, s)
		st := wantStatus(t, id, specs.StateCreated)
		checkExeSealed(t, st.Pid, initBin, true, func() {
			if r := runMinirun(t, "", "delete", "--force", id); r.code != 0 {
				t.Fatalf("delete: %+v", r)
			}
		})
	})
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
