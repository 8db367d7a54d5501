package errdefs

import (
	"errors"
	"fmt"
)

// StepError is a failure of one named step of starting or changing a
// container ("validate config", "pivot_root", "exec"), with the exit code
// it earns: 125, 126 or 127. The parent, the init and the config loader
// all make them; the init sends its own to the parent as step, message
// and code.
type StepError struct {
	Step string
	Code int // exit code: 125, 126 or 127
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// Is puts a step's failure in its class: the command's own 126 and 127,
// and the config's validation.
func (e *StepError) Is(target error) bool {
	switch target {
	case ErrCommandNotFound:
		return e.Code == ExitNotFound
	case ErrNotExecutable:
		return e.Code == ExitNoExec
	case ErrInvalid:
		return e.Step == "validate config" || e.Step == "load config"
	}
	return false
}

// ExitCode is read by the CLI to pick minirun's exit status.
func (e *StepError) ExitCode() int { return e.Code }

// Step names the step err failed in, with exit code 125; nil stays nil,
// and an error that already names its step is returned as it is.
func Step(step string, err error) error {
	if err == nil {
		return nil
	}
	var se *StepError
	if errors.As(err, &se) {
		return err
	}
	return &StepError{Step: step, Code: ExitRuntime, Err: err}
}

// Stepf is Step with a message made by fmt.Errorf.
func Stepf(step, format string, args ...any) error {
	return &StepError{Step: step, Code: ExitRuntime, Err: fmt.Errorf(format, args...)}
}
