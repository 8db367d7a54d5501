package state

import (
	"github.com/minirun/minirun/internal/atomicfile"
)

// State files live under /run, which a crash empties anyway: no fsync.
func writeJSON(path string, v any) error { return atomicfile.WriteJSON(path, v, 0o600, false) }

func readJSON(path string, v any) error { return atomicfile.ReadJSON(path, v) }
