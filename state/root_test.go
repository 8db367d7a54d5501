package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateMakesRoot0700(t *testing.T) {
	root := filepath.Join(t.TempDir(), "state")
	h, err := Create(root, "c1")
	if err != nil {
		t.Fatal(err)
	}
	h.Unlock()
	fi, err := os.Stat(root)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o700 {
		t.Errorf("new root has mode %04o, want 0700", m)
	}
}

func TestRootWritableByOthersRefused(t *testing.T) {
	for _, mode := range []os.FileMode{0o777, 0o770, 0o702} {
		root := t.TempDir()
		os.Chmod(root, mode)
		for what, err := range map[string]error{
			"Create": func() error { _, err := Create(root, "c1"); return err }(),
			"Read":   func() error { _, err := Read(root, "c1"); return err }(),
			"List":   func() error { _, err := List(root); return err }(),
			"Open":   func() error { _, err := Open(root, "c1"); return err }(),
		} {
			if err == nil || !strings.Contains(err.Error(), "lets group or others write it") || !strings.Contains(err.Error(), root) {
				t.Errorf("%s in a %04o root: got %v", what, mode, err)
			}
		}
		if _, err := os.Stat(filepath.Join(root, "c1")); err == nil {
			t.Errorf("Create made a container directory in a %04o root", mode)
		}
	}
}

func TestRootNotOursRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the directory to another user")
	}
	root := t.TempDir()
	os.Chmod(root, 0o700)
	if err := os.Chown(root, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err := Create(root, "c1")
	if err == nil || !strings.Contains(err.Error(), "owned by uid 65534, not by the caller") {
		t.Fatalf("got %v", err)
	}
}

func TestRootExisting0711Accepted(t *testing.T) {
	// What earlier versions made: traversable, but no one else can write.
	root := t.TempDir()
	os.Chmod(root, 0o711)
	h, err := Create(root, "c1")
	if err != nil {
		t.Fatal(err)
	}
	h.Unlock()
}
