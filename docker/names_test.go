package docker

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minirun/minirun/errdefs"
)

func saveRecord(t *testing.T, dir string, r Record) {
	t.Helper()
	d := filepath.Join(dir, r.ID)
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(d); err != nil {
		t.Fatal(err)
	}
}

// Find takes a name, a full id or any unique prefix; an ambiguous prefix
// names its candidates.
func TestFindPrefixes(t *testing.T) {
	dir := t.TempDir()
	a := strings.Repeat("a", 60) + "0001"
	b := strings.Repeat("a", 60) + "0002"
	c := "c" + strings.Repeat("0", 63)
	saveRecord(t, dir, Record{ID: a, Name: "web"})
	saveRecord(t, dir, Record{ID: b, Name: "db"})
	saveRecord(t, dir, Record{ID: c, Name: "a"}) // a name that is a's prefix too
	for ref, want := range map[string]string{"web": a, a: a, b: b, "c": c, "c000": c, "a": c, strings.Repeat("a", 60) + "00021": ""} {
		r, err := Find(dir, ref)
		switch {
		case want == "" && !errors.Is(err, errdefs.ErrNotFound):
			t.Errorf("Find(%q): %v, want not found", ref, err)
		case want != "" && (err != nil || r.ID != want):
			t.Errorf("Find(%q): %v %v, want %s", ref, r, err, want)
		}
	}
	_, err := Find(dir, "aaa")
	if !errors.Is(err, errdefs.ErrInvalid) || !strings.Contains(err.Error(), a[:12]) || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("Find(aaa): %v; want ambiguous, naming %s", err, a[:12])
	}
	if errdefs.ExitCode(err) != 125 {
		t.Errorf("ambiguous prefix exits %d, want 125", errdefs.ExitCode(err))
	}
	// A name is checked as a name only: another's id prefix is free.
	if err := CheckName(dir, "aaa"); err != nil {
		t.Errorf("CheckName(aaa): %v", err)
	}
	if err := CheckName(dir, "web"); !errors.Is(err, errdefs.ErrExists) {
		t.Errorf("CheckName(web): %v, want exists", err)
	}
}
