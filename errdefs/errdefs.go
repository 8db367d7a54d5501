// Package errdefs holds the few classes every minirun error falls in, so
// callers (the CLI, engines through the Go API, tests) decide by class with
// errors.Is instead of by message, and one function maps them to Docker's
// exit codes. Each package keeps its own words ("no such image",
// "container does not exist"); New ties them to a class.
package errdefs

import "errors"

// The classes.
var (
	ErrNotFound   = errors.New("not found")      // a container or image that isn't there
	ErrExists     = errors.New("already exists") // an id or name already taken
	ErrInvalid    = errors.New("invalid")        // a config, profile, flag or image minirun refuses
	ErrNotRunning = errors.New("container not running")
	// The container's own command: Docker's 127 and 126.
	ErrCommandNotFound = errors.New("command not found")
	ErrNotExecutable   = errors.New("command not executable")
)

// Exit codes, as Docker's.
const (
	ExitRuntime  = 125 // minirun failed before the command ran
	ExitNoExec   = 126 // the command exists but can't be invoked
	ExitNotFound = 127 // the command doesn't exist
)

type classed struct {
	msg   string
	class error
}

func (e *classed) Error() string        { return e.msg }
func (e *classed) Is(target error) bool { return target == e.class }

// New is an error that reads msg and is of class.
func New(class error, msg string) error { return &classed{msg: msg, class: class} }

// ExitCode is the status minirun exits with for err: 0 for nil, 127 and
// 126 for a command that can't be found or run, 125 for everything else.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrCommandNotFound):
		return ExitNotFound
	case errors.Is(err, ErrNotExecutable):
		return ExitNoExec
	}
	return ExitRuntime
}
