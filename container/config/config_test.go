package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/errdefs"
)

func TestLoadSpecNamesLineAndColumn(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{\n \"ociVersion\": \"1.0.0\",\n \"process\": {\"args\": 7}\n}"), 0o644)
	_, err := LoadSpec(dir)
	var ce *errdefs.StepError
	if !errors.As(err, &ce) || ce.Code != errdefs.ExitRuntime || ce.Step != "load config" {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "line 3, column") || !strings.Contains(err.Error(), "process.args") {
		t.Fatalf("error does not say where: %v", err)
	}
	if _, err := LoadSpec(t.TempDir()); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("missing config: %v", err)
	}
}

func validSpec(t *testing.T) (*specs.Spec, string) {
	bundle := t.TempDir()
	os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755)
	return &specs.Spec{
		Version: "1.0.0",
		Process: &specs.Process{Args: []string{"sh"}, Cwd: "/"},
		Root:    &specs.Root{Path: "rootfs"},
		Linux:   &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "mount"}, {Type: "uts"}}},
	}, bundle
}
