// Package container loads and validates runtime-spec configs, starts the
// container's init from the parent side, and holds the init sequence.
package container

import (
	"errors"
	"fmt"
)

// Exit codes, as Docker uses them.
const (
	ExitRuntime  = 125 // minirun failed before the command ran
	ExitNoExec   = 126 // the command exists but can't be invoked
	ExitNotFound = 127 // the command doesn't exist
)

// Error is a failure of one named step of starting a container.
type Error struct {
	Step string
	Code int // exit code: 125, 126 or 127
	Err  error
}

func (e *Error) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

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
