//go:build !lean

package main

import "github.com/minirun/minirun"

// runRole runs this process as what it was re-executed for, if anything:
// a container's init, a user namespace holder, a layer-shifting helper
// or a reaper. None returns.
func runRole() { minirun.Init() }
