// Package container is the parent side of a container's life: it starts
// the init (launch.go, start.go) or an exec'd process (exec.go), serves
// it until it is created, and holds the lifecycle commands (create, start,
// state, kill, delete, pause, ps). The config is loaded and validated in
// container/config; what the re-executed init does is container/initproc.
package container

import "github.com/minirun/minirun/errdefs"

// Exit codes, as Docker uses them.
const (
	ExitRuntime  = errdefs.ExitRuntime  // minirun failed before the command ran
	ExitNoExec   = errdefs.ExitNoExec   // the command exists but can't be invoked
	ExitNotFound = errdefs.ExitNotFound // the command doesn't exist
)

// Error is a failure of one named step of starting a container.
type Error = errdefs.StepError

var (
	stepErr  = errdefs.Step
	stepErrf = errdefs.Stepf
)
