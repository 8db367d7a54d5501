//go:build lean

package main

import (
	"os"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/errdefs"
)

// runRole runs this process as what it was re-executed for, if anything:
// a container's init, a user namespace holder or a reaper. None returns.
// (The layer-shifting helper and the reaper of a `run IMAGE --rm` belong
// to minirun-docker, which starts them as itself.)
func runRole() {
	switch {
	case initproc.IsInit():
		initproc.Init()
	case container.IsUsernsHolder():
		container.HoldUserns()
	case container.IsReaper():
		t, err := container.ReaperArgs()
		if err == nil {
			_, err = container.Reap(t)
		}
		if err != nil {
			os.Exit(errdefs.ExitRuntime)
		}
		os.Exit(0)
	}
}
