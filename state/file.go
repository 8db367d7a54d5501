package state

import (
	"fmt"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/internal/atomicfile"
	"github.com/minirun/minirun/internal/specjson"
)

// State files live under /run, which a crash empties anyway: no fsync.
func writeJSON(path string, v any) error { return atomicfile.WriteJSON(path, v, 0o600, false) }

func readJSON(path string, v any) error { return atomicfile.ReadJSON(path, v) }

// readSpec is readJSON for a saved config, through specjson, which skips
// building encoding/json's tables for the other platforms' types.
func readSpec(path string, s *specs.Spec) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := specjson.Unmarshal(data, s); err != nil {
		return fmt.Errorf("read %s: decode: %w", path, err)
	}
	return nil
}
