package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/cgroups/v3/cgroup1"
	"golang.org/x/sys/unix"
)

// A directory named after a controller is no hierarchy unless a cgroup
// filesystem is mounted there; the library's list keeps any that exists.
func TestCgroupMountsSkipPlainDirectories(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{"net_cls", "perf_event"} {
		if err := os.Mkdir(filepath.Join(root, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	plain := []cgroup1.Subsystem{cgroup1.NewNetCls(root), cgroup1.NewPerfEvent(root)}
	got, err := cgroupMounts(plain, statfsType)
	if !errors.Is(err, cgroup1.ErrMountPointNotExist) || len(got) != 0 {
		t.Fatalf("plain directories only: %v, %v; want none and ErrMountPointNotExist", got, err)
	}

	// With the host's real hierarchies among them, those are kept.
	var real []cgroup1.Subsystem
	for _, name := range []string{"pids", "memory", "freezer", "systemd", "unified"} {
		var st unix.Statfs_t
		if unix.Statfs(filepath.Join(v1Root, name), &st) == nil && (st.Type == unix.CGROUP_SUPER_MAGIC || st.Type == unix.CGROUP2_SUPER_MAGIC) {
			real = append(real, cgroup1.NewNamed(v1Root, cgroup1.Name(name)))
		}
	}
	if len(real) == 0 {
		t.Skip("no cgroup hierarchy mounted under /sys/fs/cgroup")
	}
	got, err = cgroupMounts(append(plain, real...), statfsType)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(real) {
		t.Fatalf("kept %d subsystems, want the %d mounted ones", len(got), len(real))
	}
	for i, s := range got {
		if s.Name() != real[i].Name() {
			t.Errorf("kept %s, want %s", s.Name(), real[i].Name())
		}
	}
}

// On a hybrid host the cgroup2 hierarchy at /sys/fs/cgroup/unified joins
// the v1 ones, so a container is placed there too, as runc places it; a
// plain directory of that name, or none, adds nothing.
func TestWithUnifiedOnHybridHosts(t *testing.T) {
	base := []cgroup1.Subsystem{cgroup1.NewPids(v1Root)}
	for _, c := range []struct {
		name  string
		magic int64
		err   error
		want  bool
	}{
		{"hybrid", unix.CGROUP2_SUPER_MAGIC, nil, true},
		{"a plain directory", unix.TMPFS_MAGIC, nil, false},
		{"a v1 hierarchy named unified", unix.CGROUP_SUPER_MAGIC, nil, false},
		{"nothing there", 0, os.ErrNotExist, false},
	} {
		var asked string
		got := withUnified(base, func(p string) (int64, error) { asked = p; return c.magic, c.err })
		if asked != "/sys/fs/cgroup/unified" {
			t.Errorf("%s: looked at %q", c.name, asked)
		}
		has := len(got) == 2 && got[1].Name() == "unified" && got[1].(interface{ Path(string) string }).Path("/minirun/x") == "/sys/fs/cgroup/unified/minirun/x"
		if has != c.want || (!c.want && len(got) != 1) {
			t.Errorf("%s: %d hierarchies (unified added: %v), want unified added: %v", c.name, len(got), has, c.want)
		}
	}
}
