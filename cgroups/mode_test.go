package cgroups

import (
	"testing"

	"github.com/containerd/cgroups/v3"
	"golang.org/x/sys/unix"
)

func TestModeName(t *testing.T) {
	for m, want := range map[cgroups.CGMode]string{
		cgroups.Legacy:      "v1",
		cgroups.Hybrid:      "hybrid",
		cgroups.Unified:     "v2",
		cgroups.Unavailable: "unavailable",
	} {
		if got := modeName(m); got != want {
			t.Errorf("modeName(%d) = %q, want %q", m, got, want)
		}
	}
}

// TestModeMatchesMounts checks Mode against the mounts themselves: a
// cgroup2 root is v2; a tmpfs root with cgroup2 at unified/ is hybrid.
func TestModeMatchesMounts(t *testing.T) {
	var root, unified unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &root); err != nil {
		t.Skipf("no /sys/fs/cgroup: %v", err)
	}
	want := "v1"
	switch {
	case root.Type == unix.CGROUP2_SUPER_MAGIC:
		want = "v2"
	case unix.Statfs("/sys/fs/cgroup/unified", &unified) == nil && unified.Type == unix.CGROUP2_SUPER_MAGIC:
		want = "hybrid"
	}
	if got := Mode(); got != want {
		t.Fatalf("Mode() = %q, want %q", got, want)
	}
}
