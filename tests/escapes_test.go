package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

// A state whose pid is 0 (every create has one for a moment, and a create
// that crashed keeps it) must never reach kill(2): kill(0, sig) signals the
// caller's own process group.
func TestKillNeverSignalsPidZero(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	id := "planted"
	dir := filepath.Join(root, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	planted := `{"ociVersion":"1.2.0","id":"planted","status":"creating","pid":0,"bundle":"/nonexistent","created":"2026-12-01T00:00:00Z"}`
	if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(planted), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"kill", id, "TERM"}, {"kill", "--all", id, "TERM"}} {
		cmd := exec.Command(minirun, append([]string{"--root", root}, args...)...)
		// In a process group of its own, as under setsid: kill(0) would
		// hit minirun itself and nothing else.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		ee, ok := err.(*exec.ExitError)
		if !ok && err != nil {
			t.Fatal(err)
		}
		if ee != nil {
			if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
				t.Fatalf("minirun %v was killed by its own %v", args, ws.Signal())
			}
		}
		if args[1] != "--all" && (ee == nil || ee.ExitCode() == 0) {
			t.Fatalf("minirun %v on a pid-0 state succeeded: %s", args, errb.String())
		}
	}
}

// The /proc check judges where a mount lands after symlinks in the image
// are followed: /myvol -> /proc must not let a host directory replace the
// container's procfs, nor a tmpfs hide /proc/sys.
func TestProcReplacedThroughSymlinkIsRefused(t *testing.T) {
	needRoot(t)
	root := privateRootfs(t)
	if err := os.Symlink("/proc", filepath.Join(root, "myvol")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc/sys", filepath.Join(root, "sysvol")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		m    specs.Mount
		want string
	}{
		{specs.Mount{Destination: "/myvol", Type: "bind", Source: t.TempDir(), Options: []string{"rbind"}}, "only a real procfs may be mounted on /proc"},
		{specs.Mount{Destination: "/sysvol", Type: "tmpfs", Source: "tmpfs"}, "nothing may be mounted inside /proc"},
		{specs.Mount{Destination: "/proc/sys/kernel", Type: "tmpfs", Source: "tmpfs"}, "nothing may be mounted inside /proc"},
	} {
		s := defaultSpec(t, "true")
		s.Root.Path = root
		s.Mounts = append(s.Mounts, tc.m)
		checkFailure(t, runSpec(t, s, ""), "mount "+tc.m.Destination, tc.want)
	}
	// An lxcfs-style bind of one file is what engines do, and stays allowed.
	src := filepath.Join(t.TempDir(), "uptime")
	os.WriteFile(src, []byte("1.00 1.00\n"), 0o644)
	s := defaultSpec(t, "cat", "/proc/uptime")
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/proc/uptime", Type: "bind", Source: src, Options: []string{"bind", "ro"}})
	if r := runSpec(t, s, ""); r.code != 0 || r.stdout != "1.00 1.00\n" {
		t.Fatalf("lxcfs-style bind over /proc/uptime: %+v", r)
	}
}
