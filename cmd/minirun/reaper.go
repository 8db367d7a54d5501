package main

import (
	"os"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/docker"
)

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
		// A --rm run from an image: its layer and record too.
		err = docker.RemoveReaped(t.ID)
	}
	if err != nil {
		os.Exit(125)
	}
	os.Exit(0)
}
