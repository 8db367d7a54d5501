package seccomp

import (
	"fmt"
	"sort"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Explanation is what a resolved profile does, syscall by syscall.
type Explanation struct {
	Default  string          // action for every syscall not listed
	Unknown  string          // action for numbers the profile cannot know ("" if none)
	Syscalls []SyscallAction // sorted by name, then rule order
}

// SyscallAction is one rule's effect on one syscall.
type SyscallAction struct {
	Name    string
	Action  string
	When    string // the argument condition, "" when unconditional
	Skipped bool   // libseccomp does not know the name: the rule is dropped
}

// Explain lists the action each syscall gets under s (already resolved for
// the capabilities, arch and kernel).
func Explain(s *specs.LinuxSeccomp) Explanation {
	e := Explanation{Default: ActionString(ociRet(s.DefaultAction, s.DefaultErrnoRet))}
	if s.DefaultAction != specs.ActAllow && s.DefaultAction != specs.ActLog {
		e.Unknown = ActionString(errno(unix.ENOSYS))
	}
	for _, sc := range s.Syscalls {
		act := ActionString(ociRet(sc.Action, sc.ErrnoRet))
		when := conditionString(sc.Args)
		for _, n := range sc.Names {
			_, err := libseccomp.GetSyscallFromName(n)
			e.Syscalls = append(e.Syscalls, SyscallAction{Name: n, Action: act, When: when, Skipped: err != nil})
		}
	}
	sort.SliceStable(e.Syscalls, func(i, j int) bool { return e.Syscalls[i].Name < e.Syscalls[j].Name })
	return e
}

func errno(e unix.Errno) uint32 { return RetErrno | uint32(e) }

// ociRet is the SECCOMP_RET_* value an OCI action stands for.
func ociRet(a specs.LinuxSeccompAction, errnoRet *uint) uint32 {
	data := uint32(unix.EPERM)
	if errnoRet != nil {
		data = uint32(*errnoRet) & retData
	}
	switch a {
	case specs.ActAllow:
		return RetAllow
	case specs.ActErrno:
		return RetErrno | data
	case specs.ActTrace:
		return RetTrace | data
	case specs.ActKill, specs.ActKillThread:
		return RetKillThread
	case specs.ActKillProcess:
		return RetKillProcess
	case specs.ActTrap:
		return RetTrap
	case specs.ActLog:
		return RetLog
	case specs.ActNotify:
		return RetUserNotif
	}
	return 0
}

// conditionString renders a rule's args the way the kernel tests them:
// ANDed when the indexes differ, ORed when one repeats (see conditions).
func conditionString(args []specs.LinuxSeccompArg) string {
	if len(args) == 0 {
		return ""
	}
	seen := map[uint]bool{}
	join := " && "
	for _, a := range args {
		if seen[a.Index] {
			join = " || "
		}
		seen[a.Index] = true
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = argString(a)
	}
	return strings.Join(parts, join)
}

func argString(a specs.LinuxSeccompArg) string {
	ops := map[specs.LinuxSeccompOperator]string{
		specs.OpNotEqual: "!=", specs.OpLessThan: "<", specs.OpLessEqual: "<=",
		specs.OpEqualTo: "==", specs.OpGreaterEqual: ">=", specs.OpGreaterThan: ">",
	}
	if a.Op == specs.OpMaskedEqual {
		return fmt.Sprintf("args[%d] & %#x == %#x", a.Index, a.Value, a.ValueTwo)
	}
	return fmt.Sprintf("args[%d] %s %#x", a.Index, ops[a.Op], a.Value)
}

// String prints the explanation as a table.
func (e Explanation) String() string {
	var sb strings.Builder
	for _, sc := range e.Syscalls {
		line := fmt.Sprintf("%-24s %s", sc.Name, sc.Action)
		if sc.When != "" {
			line += "  if " + sc.When
		}
		if sc.Skipped {
			line += "  (unknown to libseccomp: rule skipped)"
		}
		sb.WriteString(line + "\n")
	}
	fmt.Fprintf(&sb, "%-24s %s\n", "(any other syscall)", e.Default)
	if e.Unknown != "" {
		fmt.Fprintf(&sb, "%-24s %s\n", "(unknown number)", e.Unknown)
	}
	return sb.String()
}
