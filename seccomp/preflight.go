package seccomp

import (
	"fmt"
	"strings"
)

// Blocked returns, of the given syscall names, those the program does not
// let through on the native arch when called with zero arguments, each with
// the action it gets ("execve: ERRNO(EPERM)").
//
// It exists for the runtime's preflight: whatever the init does after the
// filter is loaded is filtered too, and a profile that denies the init's
// own last steps (execve, or the write and exit_group of its error report)
// leaves it unable even to say why it failed. Checking in the parent, before
// anything starts, turns that into an ordinary error. Zero arguments is an
// approximation: a rule that filters on an argument may answer differently
// for the runtime's real call.
func (p *Program) Blocked(names ...string) ([]string, error) {
	arch := nativeArch().short()
	var out []string
	for _, name := range names {
		ret, err := p.Evaluate(arch, name, [6]uint64{})
		if err != nil {
			return nil, fmt.Errorf("seccomp preflight: %w", err)
		}
		switch ret & retActionFull {
		case RetAllow, RetLog:
		default:
			out = append(out, name+": "+ActionString(ret))
		}
	}
	return out, nil
}

// BlockedError is Blocked as an error for the runtime to return, or nil
// when the program lets all of names through.
func (p *Program) BlockedError(names ...string) error {
	blocked, err := p.Blocked(names...)
	if err != nil {
		return err
	}
	if len(blocked) == 0 {
		return nil
	}
	return fmt.Errorf("the profile blocks syscalls the runtime makes after loading it, so the container could not start (%s)", strings.Join(blocked, ", "))
}
