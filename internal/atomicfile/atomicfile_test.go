package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteReadJSON(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.json")
	if err := ReadJSON(p, new(int)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	for _, sync := range []bool{false, true} {
		in := map[string]int{"a": 1}
		if err := WriteJSON(p, in, 0o600, sync); err != nil {
			t.Fatal(err)
		}
		var out map[string]int
		if err := ReadJSON(p, &out); err != nil || out["a"] != 1 {
			t.Fatalf("%v %v", out, err)
		}
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v", fi.Mode())
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
	os.WriteFile(p, []byte("{"), 0o600)
	if err := ReadJSON(p, new(map[string]int)); err == nil {
		t.Fatal("bad JSON accepted")
	}
}
