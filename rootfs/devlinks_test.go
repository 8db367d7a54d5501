package rootfs

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDevLinks(t *testing.T) {
	root, host := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "elsewhere"), 0o755); err != nil {
		t.Fatal(err)
	}
	// /dev names a host path: it resolves inside the rootfs, and nothing
	// is made in the host directory of that name.
	if err := os.Symlink(filepath.Join("/", filepath.Base(host)), filepath.Join(root, "dev")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, filepath.Base(host)), 0o755); err != nil {
		t.Fatal(err)
	}
	// A stale link is replaced, not followed.
	if err := os.Symlink("/etc/passwd", filepath.Join(root, filepath.Base(host), "stdout")); err != nil {
		t.Fatal(err)
	}
	if err := DevLinks(root); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"} {
		got, err := os.Readlink(filepath.Join(root, filepath.Base(host), name))
		if err != nil || got != want {
			t.Errorf("/dev/%s: %q, %v; want a link to %s", name, got, err, want)
		}
	}
	if ents, _ := os.ReadDir(host); len(ents) != 0 {
		t.Errorf("links made in the host directory: %v", ents)
	}
	// Run again: the links are there already and stay.
	if err := DevLinks(root); err != nil {
		t.Fatal(err)
	}
}
