package seccomp

import (
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/internal/inputbounds"
)

// Bounds on a profile, checked before libseccomp sees it. libseccomp's
// time grows with the square of the comparisons it is given for one
// syscall: 20,000 rules on read took 18 s of CPU here, and 4,096 rules of
// six conditions each 67 s before libseccomp aborted with a double free,
// all for filters far over the kernel's 4096 instructions. So a profile's
// size is refused before compiling.
//
// Docker's default profile has about 60 rules listing about 370 names, and
// costs about 400 comparisons; each bound is ten times that or more.
const (
	MaxRules = 4096 // entries in syscalls
	MaxNames = 4096 // syscall names over all rules
	MaxArgs  = 32   // args of one rule
	// MaxComparisons bounds the work given to libseccomp: each name
	// counts once per condition of its rule (at least once), whether the
	// conditions are ANDed in one rule or ORed as one rule each. At this
	// bound the worst shape measured here compiles in 0.4 s.
	MaxComparisons = 4096
)

// checkBounds runs before every other check on the rules, so a hostile
// profile costs one pass over them.
func checkBounds(rules []specs.LinuxSyscall) error {
	if len(rules) > MaxRules {
		return boundErrorf("syscalls: %d rules, over the limit of %d", len(rules), MaxRules)
	}
	names, cost := 0, 0
	for i, sc := range rules {
		if len(sc.Args) > MaxArgs {
			return boundErrorf("syscalls[%d].args: %d conditions, over the limit of %d", i, len(sc.Args), MaxArgs)
		}
		names += len(sc.Names)
		cost += len(sc.Names) * max(1, len(sc.Args))
	}
	if names > MaxNames {
		return boundErrorf("syscalls: %d syscall names in all, over the limit of %d", names, MaxNames)
	}
	if cost > MaxComparisons {
		return boundErrorf("syscalls: %d comparisons (each name times its rule's conditions), over the limit of %d", cost, MaxComparisons)
	}
	return nil
}

// boundError is both a bad profile (ErrInvalid, which callers test for)
// and a bound (inputbounds.ErrTooLarge); its text is the bound's alone, as a
// fieldError's is the field's.
type boundError struct{ err error }

func (e *boundError) Error() string   { return e.err.Error() }
func (e *boundError) Unwrap() []error { return []error{ErrInvalid, e.err} }

func boundErrorf(format string, a ...any) error {
	return &boundError{inputbounds.Errorf(format, a...)}
}
