package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --root through a symlink: the state root is checked and used as the one
// path the symlinks lead to when minirun starts. A symlink whose owner is
// neither root nor the caller is refused, since its owner could point it
// at another directory between the check and any later open; one of
// root's own is followed, as runc does (Docker's shim passes
// /var/run/docker/..., where /var/run links to /run).
func TestStateRootSymlink(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	bundle := writeBundle(t, defaultSpec(t, "echo", "ran"))
	id := containerID(t)
	t.Cleanup(func() { runMinirun(t, "", "--root", real, "delete", "--force", id) })

	foreign := filepath.Join(dir, "foreign")
	if err := os.Symlink(real, foreign); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(foreign, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	refusal := "symlink " + foreign + " is owned by uid 65534"
	for _, args := range [][]string{{"run", "--bundle", bundle, id}, {"list"}, {"state", id}} {
		r := runMinirun(t, "", append([]string{"--root", foreign}, args...)...)
		if r.code != exitRunc || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, refusal) {
			t.Errorf("--root through a symlink of uid 65534, %v: %+v, want a one-line refusal naming the symlink", args, r)
		}
		if strings.Contains(r.stdout, "ran") {
			t.Errorf("%v: the container ran", args)
		}
	}
	// create's container would hold a pipe open: its output goes to a file.
	if err := runMinirunDetached(t, "--root", foreign, "create", "--bundle", bundle, id); err == nil || !strings.Contains(err.Error(), refusal) {
		t.Errorf("--root through a symlink of uid 65534, create: %v, want a refusal naming the symlink", err)
	}
	if left, _ := os.ReadDir(real); len(left) != 0 {
		t.Errorf("state made through the refused symlink: %v", left)
	}

	own := filepath.Join(dir, "own")
	if err := os.Symlink(real, own); err != nil {
		t.Fatal(err)
	}
	// A symlinked parent, as /var/run is.
	if err := os.Symlink(".", filepath.Join(dir, "var-run")); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{own, filepath.Join(dir, "var-run", "real")} {
		mrDetached(t, "--root", root, "create", "--bundle", bundle, id)
		if _, err := os.Stat(filepath.Join(real, id)); err != nil {
			t.Errorf("--root %s: the state is not in %s: %v", root, real, err)
		}
		if out := mr(t, "--root", root, "list", "-q"); out != id+"\n" {
			t.Errorf("--root %s: list -q printed %q", root, out)
		}
		mr(t, "--root", root, "delete", "--force", id)
		if r := runMinirun(t, "", "--root", root, "run", "--bundle", bundle, id); r.code != 0 || r.stdout != "ran\n" {
			t.Errorf("--root %s: run: %+v", root, r)
		}
	}
	if left, _ := os.ReadDir(real); len(left) != 0 {
		t.Errorf("state left: %v", left)
	}
}
