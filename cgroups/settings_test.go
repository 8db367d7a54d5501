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
