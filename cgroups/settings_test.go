package cgroups

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestWriteSettings(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pids.max"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeSettings([]setting{{"pids", "pids.max", "20"}}, func(string) string { return dir })
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "pids.max")); string(b) != "20" {
		t.Fatalf("pids.max = %q", b)
	}

	err = writeSettings([]setting{{"memory", "memory.max", "max"}}, func(string) string { return dir })
	if err == nil || !strings.Contains(err.Error(), "set memory.max=max in "+dir+": memory controller not available") {
		t.Fatalf("missing file: got %v", err)
	}

	if err := os.Mkdir(filepath.Join(dir, "cpu.max"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = writeSettings([]setting{{"cpu", "cpu.max", "1000 100000"}}, func(string) string { return dir })
	if !errors.Is(err, unix.EISDIR) || !strings.Contains(err.Error(), "cgroups: set cpu.max=1000 100000 in ") {
		t.Fatalf("unwritable file: got %v", err)
	}
}

func TestRemoveTreeIdempotent(t *testing.T) {
	top := filepath.Join(t.TempDir(), "cg")
	if err := os.MkdirAll(filepath.Join(top, "child", "grandchild"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := removeTree(top); err != nil {
			t.Fatalf("removeTree #%d: %v", i+1, err)
		}
	}
	if _, err := os.Stat(top); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("still there: %v", err)
	}
}

// Consecutive settings of one file go through one open, a write each (on
// a plain file here they follow one another); a missing file is named with
// its own setting and controller.
func TestWriteSettingsOneOpenPerRun(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"devices.allow", "pids.max"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	at := func(string) string { return dir }
	err := writeSettings([]setting{
		{"devices", "devices.allow", "c 1:3 rwm"}, {"devices", "devices.allow", "c 1:5 rwm"}, {"pids", "pids.max", "10"},
	}, at)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "devices.allow")); string(b) != "c 1:3 rwmc 1:5 rwm" {
		t.Errorf("devices.allow got %q: want both writes", b)
	}
	err = writeSettings([]setting{{"pids", "pids.max", "10"}, {"memory", "memory.limit_in_bytes", "1"}}, at)
	if err == nil || !strings.Contains(err.Error(), "memory.limit_in_bytes=1") || !strings.Contains(err.Error(), "memory controller not available") {
		t.Errorf("a missing file: %v", err)
	}
}
