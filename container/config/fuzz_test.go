package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minirun/minirun/container/internal/spectest"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/seccomp"
)

// FuzzLoadSpec feeds config.json bytes through the loader and the
// validator. Whatever the bytes, they must be refused with a one-line
// error of the runtime's kind, or accepted; never a panic.
func FuzzLoadSpec(f *testing.F) {
	s := spectest.Spec()
	s.Root.Path = "rootfs"
	plain, _ := json.Marshal(s)
	f.Add(plain)
	prof, err := seccomp.DefaultProfile(nil)
	if err != nil {
		f.Fatal(err)
	}
	s.Linux.Seccomp = prof
	withProfile, _ := json.MarshalIndent(s, "", "\t")
	f.Add(withProfile)
	f.Add([]byte(`{"ociVersion":"1.0.0","process":{"args":["sh"]},"root":{"path":"rootfs"}}`))
	f.Add([]byte(`{"ociVersion":"1.0.0","linux":{"namespaces":[{"type":"user"}],"sysctl":{"../x":"1"}}}`))
	f.Add([]byte(`[[[[{"a":"\"[["}]]]]`))
	bundle := f.TempDir()
	if err := os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		f.Fatal(err)
	}
	path := filepath.Join(bundle, "config.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := DecodeSpec(path, data)
		if err == nil {
			err = Validate(spec, bundle)
		}
		if err == nil {
			return
		}
		var ce *errdefs.StepError
		if !errors.As(err, &ce) || ce.ExitCode() != errdefs.ExitRuntime {
			t.Fatalf("error not a runtime step error (exit 125): %T %v", err, err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("error of more than one line: %q", err)
		}
	})
}
