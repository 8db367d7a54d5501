package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/errdefs"
)

func TestCheckVersion(t *testing.T) {
	for _, ok := range []string{"1.0.0", "1.0.2-dev", "1.1.0", "1.2.1", "1.3.0"} {
		if err := checkVersion(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1", "0.9.0", "1.4.0", "2.0.0", "x.y.z"} {
		if err := checkVersion(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLoadSpecNamesLineAndColumn(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{\n \"ociVersion\": \"1.0.0\",\n \"process\": {\"args\": 7}\n}"), 0o644)
	_, err := LoadSpec(dir)
	var ce *errdefs.StepError
	if !errors.As(err, &ce) || ce.Code != errdefs.ExitRuntime || ce.Step != "load config" {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "line 3, column") || !strings.Contains(err.Error(), "process.args") {
		t.Fatalf("error does not say where: %v", err)
	}
	if _, err := LoadSpec(t.TempDir()); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("missing config: %v", err)
	}
}

func validSpec(t *testing.T) (*specs.Spec, string) {
	bundle := t.TempDir()
	os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755)
	return &specs.Spec{
		Version: "1.0.0",
		Process: &specs.Process{Args: []string{"sh"}, Cwd: "/"},
		Root:    &specs.Root{Path: "rootfs"},
		Linux:   &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "mount"}, {Type: "uts"}}},
	}, bundle
}

func TestValidate(t *testing.T) {
	s, bundle := validSpec(t)
	if err := Validate(s, bundle); err != nil {
		t.Fatalf("valid spec refused: %v", err)
	}
	for name, tc := range map[string]struct {
		mutate func(*specs.Spec)
		want   string
	}{
		"no process":     {func(s *specs.Spec) { s.Process = nil }, "process: missing"},
		"no args":        {func(s *specs.Spec) { s.Process.Args = nil }, "process.args: empty"},
		"missing rootfs": {func(s *specs.Spec) { s.Root.Path = "nope" }, "root.path"},
		"unknown cap":    {func(s *specs.Spec) { s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"CAP_NOPE"}} }, "CAP_NOPE"},
		"relative mount": {func(s *specs.Spec) { s.Mounts = []specs.Mount{{Destination: "proc", Type: "proc"}} }, "mounts[0].destination"},
		"bad rlimit":     {func(s *specs.Spec) { s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_BOGUS"}} }, "RLIMIT_BOGUS"},
		"soft over hard": {func(s *specs.Spec) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 2, Hard: 1}}
		}, "above hard"},
		"hostname no uts": {func(s *specs.Spec) { s.Hostname = "h"; s.Linux.Namespaces = s.Linux.Namespaces[:1] }, "uts namespace"},
		"user no maps": {func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
		}, "uidMappings"},
		"bad ns": {func(s *specs.Spec) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "bogus"})
		}, "bogus"},
		"sysctl escape": {func(s *specs.Spec) { s.Linux.Sysctl = map[string]string{"../../etc/x": "1"} }, "linux.sysctl"},
		"propagation":   {func(s *specs.Spec) { s.Linux.RootfsPropagation = "sideways" }, "rootfsPropagation"},
		"old version":   {func(s *specs.Spec) { s.Version = "0.1.0" }, "ociVersion"},
	} {
		s, bundle := validSpec(t)
		tc.mutate(s)
		err := Validate(s, bundle)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, tc.want)
		}
	}
}

// Docker sends these zero values on every container; each means "not set".
func TestZeroResourcesAreUnset(t *testing.T) {
	var w0 uint16
	var s0 uint64
	var z int64
	off := false
	r := &specs.LinuxResources{
		BlockIO: &specs.LinuxBlockIO{Weight: &w0, LeafWeight: &w0},
		CPU:     &specs.LinuxCPU{Shares: &s0, RealtimeRuntime: &z, RealtimePeriod: &s0},
		Memory:  &specs.LinuxMemory{DisableOOMKiller: &off, Kernel: &z, KernelTCP: &z, UseHierarchy: &off},
		Network: &specs.LinuxNetwork{ClassID: new(uint32)},
		Pids:    &specs.LinuxPids{Limit: &z},
	}
	if err := unsupportedResources(r); err != nil {
		t.Fatalf("zero values refused: %v", err)
	}
}
