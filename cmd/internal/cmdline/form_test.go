package cmdline

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFrontContainer(t *testing.T) {
	store := t.TempDir()
	id := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	dir := filepath.Join(store, "containers", id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "container.json"), []byte(`{"ID":"`+id+`","Name":"web"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]bool{
		id: true, "0123": true, "0": true, "web": true, // full id, prefixes, name
		"1": false, "db": false, "../x": false, "": false,
	} {
		if got := frontRef(store, ref); got != want {
			t.Errorf("frontRef(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestPositionals(t *testing.T) {
	flags := append(createFlags(), dockerRunFlags()...)
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"--bundle", "b", "id"}, 1},
		{[]string{"id", "--bundle", "b"}, 1},
		{[]string{"--name", "web", "alpine", "sh", "-c", "true"}, 2},
		{[]string{"alpine", "--", "x"}, 2},
	} {
		if got := positionals(c.args, flags); got != c.want {
			t.Errorf("positionals(%q) = %d, want %d", c.args, got, c.want)
		}
	}
}
