package container

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// minirun-init is used only when it is as trustworthy as minirun itself.
func TestTrustedBeside(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "minirun")
	if err := os.WriteFile(self, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	init := filepath.Join(dir, InitBinary)
	for _, tc := range []struct {
		name string
		make func() error
		want bool
	}{
		{"missing", func() error { return nil }, false},
		{"0755", func() error { return os.WriteFile(init, nil, 0o755) }, true},
		{"group-writable", func() error { return os.Chmod(init, 0o775) }, false},
		{"other-writable", func() error { return os.Chmod(init, 0o757) }, false},
		{"not executable", func() error { return os.Chmod(init, 0o644) }, false},
		{"a symlink", func() error {
			os.Remove(init)
			return os.Symlink(self, init)
		}, false},
		{"a directory", func() error {
			os.Remove(init)
			return os.Mkdir(init, 0o755)
		}, false},
	} {
		if err := tc.make(); err != nil {
			t.Fatal(err)
		}
		if got := trustedPath(self, init); got != tc.want {
			t.Errorf("%s: trusted = %v, want %v", tc.name, got, tc.want)
		}
	}
	if os.Geteuid() == 0 { // another owner takes root to make
		os.Remove(init)
		if err := os.WriteFile(init, nil, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(init, 1000, 1000); err != nil {
			t.Fatal(err)
		}
		if trustedPath(self, init) {
			t.Error("a minirun-init of another owner is trusted")
		}
	}
	// In a directory others can write to, a hard link to any program of
	// the right owner could stand there.
	os.Remove(init)
	os.WriteFile(init, nil, 0o755)
	if !trustedPath(self, init) {
		t.Fatal("a plain minirun-init is not trusted")
	}
	os.Chmod(dir, 0o777)
	if trustedPath(self, init) {
		t.Error("a minirun-init in a world-writable directory is trusted")
	}
	os.Chmod(dir, 0o755)
}

// trustedPath opens path as initBinary does and asks trusted.
func trustedPath(self, path string) bool {
	f, err := os.OpenFile(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	return trusted(self, f)
}
