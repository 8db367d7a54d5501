package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A root named through a symlink is refused as given: the check would
// hold for where the link pointed when it was made, and every later open
// follows the link again. Nothing is created through it.
func TestRootThroughSymlinkRefused(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, root := range map[string]string{
		"the root":      filepath.Join(dir, "link"),
		"a parent":      filepath.Join(dir, "parent", "real"),
		"a missing one": filepath.Join(dir, "link", "new"),
	} {
		os.Symlink(real, filepath.Join(dir, "link"))
		os.Symlink(".", filepath.Join(dir, "parent"))
		for what, err := range map[string]error{
			"CheckRoot": CheckRoot(root),
			"Create":    func() error { _, err := Create(root, "c1"); return err }(),
			"List":      func() error { _, err := List(root); return err }(),
			"Read":      func() error { _, err := Read(root, "c1"); return err }(),
		} {
			if err == nil || !strings.Contains(err.Error(), "symlink") || !strings.Contains(err.Error(), root) {
				t.Errorf("%s of a root with a symlink in %s (%s): got %v", what, name, root, err)
			}
		}
	}
	if left, _ := os.ReadDir(real); len(left) != 0 {
		t.Errorf("made through the symlink: %v", left)
	}
}

// ResolveRoot follows the links once, to the path that is then checked
// and used; a missing part is kept for makeRoot to create.
func TestResolveRoot(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	os.Mkdir(real, 0o700)
	os.Symlink(real, filepath.Join(dir, "abs"))
	os.Symlink("real", filepath.Join(dir, "rel"))
	os.Symlink("../"+filepath.Base(dir)+"/rel", filepath.Join(dir, "up"))
	os.Symlink("loop", filepath.Join(dir, "loop"))
	for given, want := range map[string]string{
		filepath.Join(dir, "abs"):                  real,
		filepath.Join(dir, "rel"):                  real,
		filepath.Join(dir, "up"):                   real,
		filepath.Join(dir, "abs", "new", "x"):      filepath.Join(real, "new", "x"),
		filepath.Join(dir, "missing", "..", "rel"): real,
		real: real,
	} {
		got, err := ResolveRoot(given)
		if err != nil || got != want {
			t.Errorf("ResolveRoot(%s) = %q, %v; want %q", given, got, err, want)
		}
	}
	if _, err := ResolveRoot(filepath.Join(dir, "loop")); err == nil || !strings.Contains(err.Error(), "too many levels of symbolic links") {
		t.Errorf("a symlink loop: got %v", err)
	}
	root, err := ResolveRoot(filepath.Join(dir, "abs"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := Create(root, "c1")
	if err != nil {
		t.Fatalf("Create in the resolved root: %v", err)
	}
	h.Unlock()
}

// A symlink owned by another user can be repointed by its owner at any
// time: not followed, even to a directory that would pass.
func TestRootSymlinkOfAnotherUserRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the symlink to another user")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	os.Mkdir(real, 0o700)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err := ResolveRoot(link)
	if err == nil || !strings.Contains(err.Error(), "symlink "+link+" is owned by uid 65534") {
		t.Fatalf("got %v", err)
	}
}

// A root below a directory others may rename in is refused: the checked
// root could be moved away and a symlink put in its place afterwards.
func TestRootBelowWritableDirRefused(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "open")
	sticky := filepath.Join(base, "sticky")
	for dir, mode := range map[string]os.FileMode{open: 0o777, sticky: 0o777 | os.ModeSticky} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := CheckRoot(filepath.Join(open, "state")); err == nil || !strings.Contains(err.Error(), "not sticky") {
		t.Errorf("root below a 0777 directory: %v, want a refusal naming it", err)
	}
	if err := CheckRoot(filepath.Join(sticky, "state")); err != nil {
		t.Errorf("root below a sticky directory: %v", err)
	}
	if os.Geteuid() == 0 {
		other := filepath.Join(base, "other")
		if err := os.Mkdir(other, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := CheckRoot(filepath.Join(other, "state")); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Errorf("root below another user's directory: %v, want a refusal", err)
		}
	}
}
