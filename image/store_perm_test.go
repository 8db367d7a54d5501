package image

import (
	"os"
	"path/filepath"
	"testing"
)

func modeOf(t *testing.T, p string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// A new store, and each container directory in it, is its owner's alone;
// a store an earlier minirun made (root, containers/ and each container's
// directory 0711) is closed by Open, its containers' contents untouched.
// Needs no root.
func TestStoreModes(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{root, s.ContainersDir(), s.imagesDir(), s.layersDir(), s.tmpDir()} {
		if m := modeOf(t, d); m != 0o700 {
			t.Errorf("new store: %s mode %v, want 0700", d, m)
		}
	}
	rootfs, _, err := s.PrepareRootfs(&Image{Name: "empty"}, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if m := modeOf(t, filepath.Dir(rootfs)); m != 0o700 {
		t.Errorf("container directory: mode %v, want 0700", m)
	}
	if m := modeOf(t, filepath.Join(filepath.Dir(rootfs), "upper")); m != 0o755 {
		t.Errorf("upper: mode %v, want 0755 (the container's / gets it)", m)
	}

	// As an earlier minirun left it.
	old := filepath.Join(s.ContainersDir(), "old")
	for _, d := range []string{filepath.Join(old, "upper"), filepath.Join(old, "rootfs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A symlink there is followed by nothing.
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.Mkdir(victim, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(victim, 0o755)
	if err := os.Symlink(victim, filepath.Join(s.ContainersDir(), "link")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{root, s.ContainersDir(), old, filepath.Dir(rootfs)} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(root); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{root, s.ContainersDir(), old, filepath.Dir(rootfs)} {
		if m := modeOf(t, d); m != 0o700 {
			t.Errorf("reopened: %s mode %v, want 0700", d, m)
		}
	}
	if m := modeOf(t, filepath.Join(old, "upper")); m != 0o755 {
		t.Errorf("reopened: the old container's upper changed to %v", m)
	}
	if m := modeOf(t, victim); m != 0o755 {
		t.Errorf("a symlink in containers/ was followed: its target is now %v", m)
	}
}
