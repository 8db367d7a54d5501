package bpf

import (
	"fmt"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// RetOf is the SECCOMP_RET_* value an OCI action stands for.
func RetOf(a specs.LinuxSeccompAction, errnoRet *uint) uint32 {
	data := uint32(unix.EPERM)
	if errnoRet != nil {
		data = uint32(*errnoRet) & unix.SECCOMP_RET_DATA
	}
	switch a {
	case specs.ActAllow:
		return unix.SECCOMP_RET_ALLOW
	case specs.ActErrno:
		return unix.SECCOMP_RET_ERRNO | data
	case specs.ActTrace:
		return unix.SECCOMP_RET_TRACE | data
	case specs.ActKill, specs.ActKillThread:
		return unix.SECCOMP_RET_KILL_THREAD
	case specs.ActKillProcess:
		return unix.SECCOMP_RET_KILL_PROCESS
	case specs.ActTrap:
		return unix.SECCOMP_RET_TRAP
	case specs.ActLog:
		return unix.SECCOMP_RET_LOG
	case specs.ActNotify:
		return unix.SECCOMP_RET_USER_NOTIF
	}
	return 0
}

// Condition renders a rule's args the way the kernel tests them: ANDed
// when the indexes differ, ORed when one repeats (the compiler gives each
// its own rule then, as libseccomp cannot AND two tests of one argument).
func Condition(args []specs.LinuxSeccompArg) string {
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
