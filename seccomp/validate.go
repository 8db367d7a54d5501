package seccomp

import (
	"fmt"
	"slices"
	"sort"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/seccomp/internal/bpf"
)

// ErrInvalid marks every profile error, so callers can tell a bad profile
// (exit 125 before anything runs) from a failing system call.
var ErrInvalid = errdefs.New(errdefs.ErrInvalid, "invalid seccomp profile")

// fieldError names the field of the profile that is wrong.
type fieldError struct {
	field string
	msg   string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }
func (e *fieldError) Unwrap() error { return ErrInvalid }

func fieldErrorf(field, format string, a ...any) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, a...)}
}

var knownActions = []specs.LinuxSeccompAction{
	specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap,
	specs.ActErrno, specs.ActTrace, specs.ActAllow, specs.ActLog, specs.ActNotify,
}

var knownOps = []specs.LinuxSeccompOperator{
	specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
	specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual,
}

// filterFlags maps the profile's flags to SECCOMP_FILTER_FLAG_* bits. TSYNC is
// accepted because Load sets it anyway.
var filterFlags = map[specs.LinuxSeccompFlag]uint{
	"SECCOMP_FILTER_FLAG_TSYNC":            1,
	specs.LinuxSeccompFlagLog:              2,
	specs.LinuxSeccompFlagSpecAllow:        4,
	specs.LinuxSeccompFlagWaitKillableRecv: 32,
}

// Validate checks an OCI-form linux.seccomp before anything is compiled.
func Validate(s *specs.LinuxSeccomp) error {
	if s == nil {
		return nil
	}
	if err := checkBounds(s.Syscalls); err != nil {
		return err
	}
	if err := validateTop(s); err != nil {
		return err
	}
	notify := false
	for i, sc := range s.Syscalls {
		if err := validateSyscall(fmt.Sprintf("syscalls[%d]", i), sc); err != nil {
			return err
		}
		notify = notify || sc.Action == specs.ActNotify
	}
	if notify && s.ListenerPath == "" {
		return fieldErrorf("listenerPath", "required when a rule uses SCMP_ACT_NOTIFY")
	}
	return nil
}

// validateTop checks everything but the syscall rules.
func validateTop(s *specs.LinuxSeccomp) error {
	if s.DefaultAction == "" {
		return fieldErrorf("defaultAction", "missing")
	}
	if err := validateAction("defaultAction", s.DefaultAction); err != nil {
		return err
	}
	if s.DefaultAction == specs.ActNotify {
		// Every syscall, including the ones the runtime and the listener
		// itself need, would wait on a listener that is not there yet.
		return fieldErrorf("defaultAction", "SCMP_ACT_NOTIFY cannot be the default action")
	}
	if s.DefaultErrnoRet != nil && !takesErrno(s.DefaultAction) {
		return fieldErrorf("defaultErrnoRet", "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s", s.DefaultAction)
	}
	if s.DefaultErrnoRet != nil && *s.DefaultErrnoRet > 0xffff {
		return fieldErrorf("defaultErrnoRet", "%d does not fit in 16 bits", *s.DefaultErrnoRet)
	}
	for i, a := range s.Architectures {
		if _, ok := bpf.Lookup(string(a)); !ok {
			return fieldErrorf(fmt.Sprintf("architectures[%d]", i), "unknown architecture %q", a)
		}
	}
	for i, f := range s.Flags {
		if _, ok := filterFlags[f]; !ok {
			return fieldErrorf(fmt.Sprintf("flags[%d]", i), "unknown flag %q", f)
		}
	}
	return nil
}

func validateAction(field string, a specs.LinuxSeccompAction) error {
	if !slices.Contains(knownActions, a) {
		return fieldErrorf(field, "unknown action %q", a)
	}
	return nil
}

func takesErrno(a specs.LinuxSeccompAction) bool {
	return a == specs.ActErrno || a == specs.ActTrace
}

func validateSyscall(field string, sc specs.LinuxSyscall) error {
	if len(sc.Names) == 0 {
		return fieldErrorf(field+".names", "no syscall names")
	}
	for j, n := range sc.Names {
		if n == "" {
			return fieldErrorf(fmt.Sprintf("%s.names[%d]", field, j), "empty syscall name")
		}
	}
	if sc.Action == "" {
		return fieldErrorf(field+".action", "missing")
	}
	if err := validateAction(field+".action", sc.Action); err != nil {
		return err
	}
	if sc.ErrnoRet != nil && !takesErrno(sc.Action) {
		return fieldErrorf(field+".errnoRet", "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s", sc.Action)
	}
	if sc.ErrnoRet != nil && *sc.ErrnoRet > 0xffff {
		return fieldErrorf(field+".errnoRet", "%d does not fit in 16 bits", *sc.ErrnoRet)
	}
	if sc.Action == specs.ActNotify && slices.Contains(sc.Names, "write") {
		// The listener's own output, and the runtime's error reporting,
		// would block on themselves.
		return fieldErrorf(field+".action", "SCMP_ACT_NOTIFY cannot be used for the write syscall")
	}
	for k, arg := range sc.Args {
		af := fmt.Sprintf("%s.args[%d]", field, k)
		if arg.Index > 5 {
			return fieldErrorf(af+".index", "%d out of range 0-5", arg.Index)
		}
		if !slices.Contains(knownOps, arg.Op) {
			return fieldErrorf(af+".op", "unknown operator %q", arg.Op)
		}
	}
	return nil
}

// Features lists the actions, operators, architectures and filter flags
// this package takes, for `minirun features`.
func Features() (actions, operators, archs, flags []string) {
	for _, a := range knownActions {
		actions = append(actions, string(a))
	}
	for _, o := range knownOps {
		operators = append(operators, string(o))
	}
	for _, a := range bpf.Table {
		archs = append(archs, string(a.Spec))
	}
	for f := range filterFlags {
		flags = append(flags, string(f))
	}
	sort.Strings(flags)
	return actions, operators, archs, flags
}
