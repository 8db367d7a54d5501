package container

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container/internal/spectest"
	"github.com/minirun/minirun/seccomp"
)

func TestMergeEnv(t *testing.T) {
	got := MergeEnv([]string{"PATH=/bin", "A=1"}, "A=2", "B=3", "PATH=/usr/bin")
	if strings.Join(got, " ") != "PATH=/usr/bin A=2 B=3" {
		t.Fatal(got)
	}
	base := []string{"A=1"}
	if MergeEnv(base, "A=2"); base[0] != "A=1" {
		t.Fatal("base changed")
	}
	if got := MergeEnv(nil, "X"); len(got) != 1 || got[0] != "X" {
		t.Fatal(got) // a bare name is a key too
	}
}

// exec's flags over the container's process: what changes, what stays,
// and the capabilities added never inheritable (CVE-2022-29162).
func TestExecProcess(t *testing.T) {
	base := spectest.Spec().Process
	base.ConsoleSize = &specs.Box{Height: 24, Width: 80}
	base.Capabilities.Inheritable = []string{"CAP_CHOWN"}
	keep := *base.Capabilities
	uid := specs.User{UID: 1000, GID: 1000}
	p := ExecProcess(base, ExecOverrides{
		Args: []string{"ls", "-l"}, Env: []string{"PATH=/usr/bin", "X=1"}, Cwd: "/tmp", User: &uid,
		Caps: []string{"CAP_NET_ADMIN", "CAP_CHOWN"}, Tty: true, NoNewPrivs: true,
	})
	if !slices.Equal(p.Args, []string{"ls", "-l"}) || !p.Terminal || p.ConsoleSize != nil || p.Cwd != "/tmp" || p.User.UID != 1000 || !p.NoNewPrivileges {
		t.Fatalf("%+v", p)
	}
	if !slices.Equal(p.Env, []string{"PATH=/usr/bin", "X=1"}) {
		t.Errorf("env %q", p.Env)
	}
	c := p.Capabilities
	for _, set := range [][]string{c.Bounding, c.Effective, c.Permitted} {
		if !slices.Contains(set, "CAP_NET_ADMIN") || strings.Count(strings.Join(set, " "), "CAP_CHOWN") != 1 {
			t.Errorf("added caps: %v", set)
		}
	}
	if slices.Contains(c.Inheritable, "CAP_NET_ADMIN") || c.Ambient != nil {
		t.Errorf("inheritable %v, ambient %v", c.Inheritable, c.Ambient)
	}
	if !slices.Equal(base.Capabilities.Bounding, keep.Bounding) || base.Terminal || base.Cwd != "/" {
		t.Error("the container's own process was changed")
	}
	// Nothing asked: the container's process, with the new args.
	p = ExecProcess(base, ExecOverrides{Args: []string{"true"}})
	if p.Cwd != "/" || p.User.UID != base.User.UID || p.NoNewPrivileges || p.Capabilities != base.Capabilities || p.Terminal {
		t.Errorf("%+v", p)
	}
}

// The two configs the launch builder makes: an init's carries the
// rootfs, the fifo and the cgroup namespace; an exec's none of them.
// Neither carries the profile, only the compiled filter.
func TestLaunchConfigs(t *testing.T) {
	s := spectest.Spec()
	s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	bundle := t.TempDir()
	// start works out the rootfs's path once (config.RootfsPath).
	o := &options{Config: Config{ID: "c1", Bundle: bundle, Spec: s, NoNewKeyring: true}, rootfs: filepath.Join(bundle, "rootfs")}
	prog := &seccomp.Program{}
	devNull := func() *os.File {
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	l := newLaunch([]*os.File{devNull()}, devNull(), devNull(), &joinSet{}, nil)
	cfg := l.initConfig(o, prog, true)
	if cfg.Exec || cfg.Rootfs != filepath.Join(bundle, "rootfs") || cfg.Bundle != bundle || cfg.ExecFifoFd != 5 || cfg.CloseFrom != 4 ||
		!cfg.UnshareCgroupNS || cfg.ID != "c1" || !cfg.NoNewKeyring || cfg.Seccomp == nil || len(cfg.Seccomp.Instructions) != len(prog.Instructions) {
		t.Errorf("init config %+v", cfg)
	}
	if cfg.Spec.Linux.Seccomp != nil || s.Linux.Seccomp == nil {
		t.Error("the init must get the filter, not the profile; the caller's spec keeps it")
	}
	l = newLaunch(nil, devNull(), nil, &joinSet{}, nil)
	cfg = l.execConfig(o, prog)
	if !cfg.Exec || cfg.Rootfs != "" || cfg.ExecFifoFd != 0 || cfg.CloseFrom != 3 || cfg.UnshareCgroupNS || cfg.ID != "c1" || cfg.Seccomp == nil || len(cfg.Seccomp.Instructions) != len(prog.Instructions) || cfg.Spec.Linux.Seccomp != nil {
		t.Errorf("exec config %+v", cfg)
	}
}
