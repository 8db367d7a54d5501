//go:build lean

package main

import "github.com/minirun/minirun/container"

// runRole runs this process as what it was re-executed for, if anything:
// a container's init, a user namespace holder or a reaper. None returns.
// (The layer-shifting helper and the reaper of a `run IMAGE --rm` belong
// to minirun-docker, which starts them as itself.)
func runRole() { container.RunRole(nil) }
