// Package initproc is the container's init: what a re-exec of minirun
// does inside the new namespaces, from the config it receives to execve
// of the container's process, as a plan of named steps (initplan.go) that
// ask the kernel through one interface, system (sys.go). It also owns the
// launch contract the parent lays out for it (contract.go). The parent
// side lives in container and may import this package; never the
// reverse.
package initproc

import "github.com/minirun/minirun/errdefs"

var (
	stepErr  = errdefs.Step
	stepErrf = errdefs.Stepf
)
