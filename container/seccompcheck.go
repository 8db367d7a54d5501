package container

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp"
)

// Syscalls the init itself makes once the filter is loaded. Loading comes
// before the capability drop when no_new_privs is off, so the drop, the
// cwd check and execve all run under the container's filter; and the Go
// runtime keeps making a few calls of its own. A profile that denies one
// of them can never start a container, and worse, the init could not even
// report why (its write would be denied too), so such a profile is refused
// before anything starts.
var (
	neededAlways    = []string{"execve", "exit_group", "futex", "rt_sigreturn", "rt_sigprocmask", "write", "sendmsg", "close"}
	neededBeforeCap = []string{"capget", "capset", "prctl", "setgroups", "setresgid", "setresuid", "chdir", "getcwd", "close_range", "newfstatat", "faccessat2"}
)

var nativeArch = map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "x86", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}

// checkStartable evaluates the compiled program for each syscall the
// runtime still needs and names the first one the profile denies.
func checkStartable(prog *seccomp.Program, noNewPrivs bool) error {
	arch, ok := nativeArch[runtime.GOARCH]
	if !ok {
		return nil
	}
	needed := neededAlways
	if !noNewPrivs {
		needed = append(append([]string(nil), neededAlways...), neededBeforeCap...)
	}
	for _, name := range needed {
		ret, err := prog.Evaluate(arch, name, [6]uint64{})
		if err != nil {
			continue // a syscall this arch lacks
		}
		switch ret & unix.SECCOMP_RET_ACTION_FULL {
		case unix.SECCOMP_RET_ALLOW, unix.SECCOMP_RET_LOG, unix.SECCOMP_RET_USER_NOTIF:
			continue
		}
		return fmt.Errorf("the profile gives %s to %s, which the runtime needs after loading the filter; no container could start under it",
			seccomp.ActionString(ret), name)
	}
	return nil
}
