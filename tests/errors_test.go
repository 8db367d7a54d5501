package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"
)

func TestErrorMissingConfig(t *testing.T) {
	needRoot(t)
	r := runIn(t, t.TempDir(), "")
	checkFailure(t, r, exitRunc, "load config", "config.json", "no such file or directory")
}

func TestErrorMalformedConfig(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{\n  \"ociVersion\": \"1.0.0\",\n  \"process\": {\"args\": [\"sh\",]}\n}\n"), 0o644)
	checkFailure(t, runIn(t, dir, ""), exitRunc, "config.json", "line 3, column")
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{\"ociVersion\": \"1.0.0\", \"process\": {\"args\": \"sh\"}}"), 0o644)
	checkFailure(t, runIn(t, dir, ""), exitRunc, "line 1, column", "process.args")
}

func TestErrorUnsupportedVersion(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "true")
	s.Version = "2.0.0"
	checkFailure(t, runSpec(t, s, ""), exitRunc, "ociVersion", "2.0.0")
	for _, ok := range []string{"1.0.0", "1.1.0", "1.2.0", "1.3.0"} {
		s.Version = ok
		if r := runSpec(t, s, ""); r.code != 0 {
			t.Errorf("ociVersion %s refused: %+v", ok, r)
		}
	}
}

func TestErrorMissingRootfs(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "true")
	s.Root.Path = "/nonexistent/rootfs"
	checkFailure(t, runSpec(t, s, ""), exitRunc, "root.path", "/nonexistent/rootfs", "no such file or directory")
}

func TestErrorUnknownCapability(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "true")
	s.Process.Capabilities.Effective = append(s.Process.Capabilities.Effective, "CAP_BOGUS")
	checkFailure(t, runSpec(t, s, ""), exitRunc, "process.capabilities.effective", "CAP_BOGUS")
}

func TestErrorUnknownNamespace(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "true")
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
	checkFailure(t, runSpec(t, s, ""), exitRunc, "linux.namespaces", "bogus")
}

func TestErrorFailingMountLeavesNothing(t *testing.T) {
	needRoot(t)
	before := mountsUnder(t, rootfs)
	s := defaultSpec(t, "echo", "ran")
	s.Mounts = append(s.Mounts, specs.Mount{Destination: "/data", Type: "bind", Source: "/nonexistent/src", Options: []string{"rbind"}})
	checkFailure(t, runSpec(t, s, ""), exitRunc, "mount /data", "/nonexistent/src", "no such file or directory")
	s.Mounts[len(s.Mounts)-1] = specs.Mount{Destination: "/x", Type: "nosuchfs", Source: "none"}
	checkFailure(t, runSpec(t, s, ""), exitRunc, "mount /x", "nosuchfs", "no such device")
	if after := mountsUnder(t, rootfs); after != before {
		t.Fatalf("mounts left on the host: %d before, %d after", before, after)
	}
	if left := childrenOf(os.Getpid()); len(left) != 0 {
		t.Fatalf("processes left: %v", left)
	}
}

func TestErrorRlimitAboveHardLimit(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "true")
	s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1 << 20, Hard: 1 << 20}}
	r := runSpec(t, s, "")
	// Root without CAP_SYS_RESOURCE (as on this VM) can't raise a hard limit.
	if r.code == 0 {
		t.Skip("this host lets root raise hard limits; nothing to check")
	}
	checkFailure(t, r, exitRunc, "rlimits", "RLIMIT_NOFILE")
}

func TestRlimitsApplied(t *testing.T) {
	needRoot(t)
	s := defaultSpec(t, "sh", "-c", "ulimit -n; ulimit -Hn")
	s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 512, Hard: 800}}
	r := runSpec(t, s, "")
	if r.stdout != "512\n800\n" {
		t.Fatalf("rlimits: %+v", r)
	}
}

// A config without RLIMIT_NOFILE keeps the soft limit minirun was started
// with, not the one the init's Go runtime raised to the hard limit; and
// nothing the C pre-main consumed reaches a hook's inherited environment.
func TestRlimitNofileAndEnvFromPreMain(t *testing.T) {
	needRoot(t)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Max < 300 {
		t.Skipf("hard RLIMIT_NOFILE %d (%v): too low to tell a lowered soft limit apart", lim.Max, err)
	}
	s := defaultSpec(t, "sh", "-c", "ulimit -n; cat /hookenv; rm -f /hookenv")
	s.Process.Rlimits = nil
	s.Hooks = &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "env > /hookenv"}}}}
	bundle := writeBundle(t, s)
	cmd := exec.Command("sh", "-c", `ulimit -Sn 256 && exec "$0" run -b "$1" "$2"`, minirun, bundle, containerID(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run: %v: %s", err, out)
	}
	lines := strings.SplitN(string(out), "\n", 2)
	if lines[0] != "256" {
		t.Errorf("soft RLIMIT_NOFILE in the container = %q, want the caller's 256", lines[0])
	}
	if strings.Contains(string(out), "MINIRUN_") || strings.Contains(string(out), "GOGC") || strings.Contains(string(out), "GOMAXPROCS") {
		t.Errorf("a hook's environment carries the runtime's own variables:\n%s", out)
	}
}
