package container

import (
	"errors"
	"testing"

	"github.com/minirun/minirun/errdefs"
)

// A Config without a spec is refused before anything starts, with the
// class a harness tests for, instead of a nil dereference.
func TestRunRefusesConfigWithoutSpec(t *testing.T) {
	rt := &Runtime{Root: t.TempDir()}
	if _, err := rt.Run(Config{ID: "c1"}, IO{}, Lifecycle{}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("Run without a spec: %v, want ErrInvalid", err)
	}
	if _, err := rt.Create(Config{ID: "c1"}, IO{}, Lifecycle{}); !errors.Is(err, errdefs.ErrInvalid) {
		t.Fatalf("Create without a spec: %v, want ErrInvalid", err)
	}
}
