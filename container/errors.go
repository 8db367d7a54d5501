// Package container loads and validates runtime-spec configs, starts the
// container's init from the parent side, and holds the init sequence.
package container

import (
	"errors"
	"fmt"

	"github.com/minirun/minirun/errdefs"
)

// Exit codes, as Docker uses them.
const (
	ExitRuntime  = errdefs.ExitRuntime  // minirun failed before the command ran
	ExitNoExec   = errdefs.ExitNoExec   // the command exists but can't be invoked
	ExitNotFound = errdefs.ExitNotFound // the command doesn't exist
)

// Error is a failure of one named step of starting a container.
type Error struct {
	Step string
	Code int // exit code: 125, 126 or 127
	Err  error
}

func (e *Error) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Is puts a step's failure in its errdefs class: the command's own 126
// and 127, and the config's validation.
func (e *Error) Is(target error) bool {
	switch target {
	case errdefs.ErrCommandNotFound:
		return e.Code == ExitNotFound
	case errdefs.ErrNotExecutable:
		return e.Code == ExitNoExec
	case errdefs.ErrInvalid:
		return e.Step == "validate config" || e.Step == "load config"
	}
	return false
}

// ExitCode is read by the CLI to pick minirun's exit status.
func (e *Error) ExitCode() int { return e.Code }

func stepErr(step string, err error) error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return err
	}
	return &Error{Step: step, Code: ExitRuntime, Err: err}
}

func stepErrf(step, format string, args ...any) error {
	return &Error{Step: step, Code: ExitRuntime, Err: fmt.Errorf(format, args...)}
}
