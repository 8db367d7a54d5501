package image

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStoreImportGetListRemove(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "bin"), 0o755)
	os.WriteFile(filepath.Join(src, "bin/hello"), []byte("hello"), 0o755)
	os.Symlink("hello", filepath.Join(src, "bin/hi"))

	a, err := s.Import("one", src)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "docker.io/library/one:latest" || len(a.Layers) != 1 || a.Size != 5 {
		t.Fatalf("imported %+v", a)
	}
	if b, err := os.ReadFile(filepath.Join(a.Layers[0], "bin/hello")); err != nil || string(b) != "hello" {
		t.Fatalf("layer content: %q %v", b, err)
	}
	// The same files under another name share the layer.
	b, err := s.Import("two:v1", src)
	if err != nil {
		t.Fatal(err)
	}
	if b.Layers[0] != a.Layers[0] || b.ID != a.ID {
		t.Errorf("same rootfs, different layer or ID: %v %v", a, b)
	}
	for _, ref := range []string{"one", "docker.io/library/one:latest", "docker.io/library/two:v1"} {
		if _, err := s.Get(ref); err != nil {
			t.Errorf("Get(%q): %v", ref, err)
		}
	}
	// Two names share the ID: asked by ID, either serves, as Docker's
	// run takes the ID of an image with several tags.
	if got, err := s.Get(a.ID[7:19]); err != nil || got.ID != a.ID {
		t.Errorf("Get by an ID tagged twice: %v %v", got, err)
	}
	list, err := s.List()
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %v, %v", list, err)
	}
	if err := s.Remove("one"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a.Layers[0]); err != nil {
		t.Error("layer removed while two:v1 uses it")
	}
	if _, err := s.Get("one"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Remove: %v, want ErrNotFound", err)
	}
	if err := s.Remove("two:v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a.Layers[0]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("unused layer kept: %v", err)
	}
	if err := s.Remove("two:v1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove: %v, want ErrNotFound", err)
	}
	if ents, _ := os.ReadDir(s.tmpDir()); len(ents) != 0 {
		t.Errorf("tmp/ left with %d entries", len(ents))
	}
}

// Open sweeps what no process holds out of tmp/, whatever its age, and
// leaves what a live pull holds.
func TestSweepTakesOnlyUnheldTemps(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	held, release, err := s.makeTemp("layer-", false)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	dropped, releaseDropped, err := s.makeTemp("layer-", false)
	if err != nil {
		t.Fatal(err)
	}
	releaseDropped() // as a killed process's lock goes
	if _, err := Open(s.Root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(held); err != nil {
		t.Errorf("the sweep took a held temp: %v", err)
	}
	if _, err := os.Stat(dropped); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the sweep left a temp no one holds: %v", err)
	}
}

// rmi by ID of an image with two names takes both only when forced.
func TestRemoveImageByIDOfTwoNames(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644)
	img, err := s.Import("one", src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tag("one", "two:v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RemoveImage(img.ID, false); err == nil || !strings.Contains(err.Error(), "must be forced") {
		t.Fatalf("rmi by ID of two names: %v", err)
	}
	rm, err := s.RemoveImage(img.ID[7:19], true)
	if err != nil || len(rm.Untagged) != 2 || rm.Deleted != img.ID {
		t.Fatalf("rmi -f by ID: %+v %v", rm, err)
	}
	if ents, _ := os.ReadDir(s.layersDir()); len(ents) != 0 {
		t.Errorf("layers left: %v", ents)
	}
}
