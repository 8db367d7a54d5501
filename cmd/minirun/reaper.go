package main

import (
	"os"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/image"
)

// reaperStoreEnv names the image store whose container root a reaper
// removes too: the Docker front's `run --rm`.
const reaperStoreEnv = "MINIRUN_REAPER_RM_STORE"

// reap is the whole of a reaper process (see container/reaper.go). Its
// stdio is /dev/null: failures can only show as what is left behind,
// which delete -f and rm -f still remove.
func reap() {
	t, err := container.ReaperArgs()
	if err != nil {
		os.Exit(125)
	}
	did, err := container.Reap(t)
	if did && err == nil {
		if root := os.Getenv(reaperStoreEnv); root != "" {
			var s *image.Store
			if s, err = image.Open(root); err == nil {
				err = s.RemoveRootfs(t.ID)
			}
		}
	}
	if err != nil {
		os.Exit(125)
	}
	os.Exit(0)
}
