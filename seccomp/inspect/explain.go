package inspect

import (
	"fmt"
	"sort"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/internal/bpf"
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
	e := Explanation{Default: seccomp.ActionString(bpf.RetOf(s.DefaultAction, s.DefaultErrnoRet))}
	if s.DefaultAction != specs.ActAllow && s.DefaultAction != specs.ActLog {
		e.Unknown = seccomp.ActionString(seccomp.RetErrno | uint32(unix.ENOSYS))
	}
	for _, sc := range s.Syscalls {
		act := seccomp.ActionString(bpf.RetOf(sc.Action, sc.ErrnoRet))
		when := bpf.Condition(sc.Args)
		for _, n := range sc.Names {
			_, err := libseccomp.GetSyscallFromName(n)
			e.Syscalls = append(e.Syscalls, SyscallAction{Name: n, Action: act, When: when, Skipped: err != nil})
		}
	}
	sort.SliceStable(e.Syscalls, func(i, j int) bool { return e.Syscalls[i].Name < e.Syscalls[j].Name })
	return e
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
