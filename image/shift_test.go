package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minirun/minirun/internal/subid"
)

// A layer shifted with other maps than the store's now is refused by
// name; one of the caller's own files (no maps recorded) is not.
func TestCheckShift(t *testing.T) {
	s := &Store{Root: t.TempDir(), Shift: subid.Build(1001, 1001, subid.Range{Start: 100000, Size: 65536}, subid.Range{Start: 100000, Size: 65536})}
	layer := func(idmap string) string {
		dir, _ := os.MkdirTemp(s.Root, "layer-")
		os.Mkdir(filepath.Join(dir, "fs"), 0o755)
		if err := writeJSON(filepath.Join(dir, "meta.json"), layerMeta{DiffID: "sha256:ab", IDMap: idmap}); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, "fs")
	}
	if err := s.checkShift(layer(s.Shift.String())); err != nil {
		t.Errorf("same maps: %v", err)
	}
	if err := s.checkShift(layer("")); err != nil {
		t.Errorf("unshifted layer: %v", err)
	}
	other := subid.Build(1001, 1001, subid.Range{Start: 200000, Size: 65536}, subid.Range{Start: 200000, Size: 65536}).String()
	if err := s.checkShift(layer(other)); err == nil || !strings.Contains(err.Error(), "rmi") {
		t.Errorf("other maps: %v, want a refusal that says what to do", err)
	}
	s.Shift = nil
	if err := s.checkShift(layer(other)); err == nil {
		t.Error("a shifted layer in a store without maps was accepted")
	}
}
