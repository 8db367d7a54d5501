package seccomp

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp/internal/bpf"
)

// SECCOMP_RET_* action values (linux/seccomp.h).
const (
	RetKillProcess uint32 = 0x80000000
	RetKillThread  uint32 = 0x00000000
	RetTrap        uint32 = 0x00030000
	RetErrno       uint32 = 0x00050000
	RetUserNotif   uint32 = 0x7fc00000
	RetTrace       uint32 = 0x7ff00000
	RetLog         uint32 = 0x7ffc0000
	RetAllow       uint32 = 0x7fff0000

	retActionFull uint32 = 0xffff0000
	retData       uint32 = 0x0000ffff
)

// Evaluate runs the program in a classic-BPF interpreter over a seccomp_data
// record for arch ("x86_64", "x86", "x32", ...) and syscall (a name, or a
// number) and returns the SECCOMP_RET_* value the kernel would act on.
func (p *Program) Evaluate(arch string, syscall string, args [6]uint64) (uint32, error) {
	a, ok := bpf.Lookup(arch)
	if !ok {
		return 0, fmt.Errorf("evaluate: unknown arch %q", arch)
	}
	nr, err := a.Resolve(syscall)
	if err != nil {
		return 0, fmt.Errorf("evaluate: %w", err)
	}
	return bpf.Run(p.Instructions, a, nr, args)
}

// FirstRefused evaluates the program for the native arch on each of
// names, with zero arguments, and returns the first it neither allows,
// logs nor hands to a listener, with the action it gets instead ("" when
// it refuses none). A syscall the arch lacks is passed over.
func (p *Program) FirstRefused(names []string) (name, action string) {
	arch := NativeArch()
	if arch == "" {
		return "", ""
	}
	for _, name := range names {
		ret, err := p.Evaluate(arch, name, [6]uint64{})
		if err != nil {
			continue // a syscall this arch lacks
		}
		switch ret & retActionFull {
		case RetAllow, RetLog, RetUserNotif:
			continue
		}
		return name, ActionString(ret)
	}
	return "", ""
}

// NativeArch names the arch this binary runs as ("x86_64", "aarch64", ...).
func NativeArch() string { return bpf.Native().Short() }

// ActionString names a SECCOMP_RET_* value: "ALLOW", "ERRNO(EPERM)",
// "ERRNO(100)", "TRACE(1)", "KILL_PROCESS"...
func ActionString(ret uint32) string {
	data := ret & retData
	switch ret & retActionFull {
	case RetKillProcess:
		return "KILL_PROCESS"
	case RetKillThread:
		return "KILL_THREAD"
	case RetTrap:
		return "TRAP"
	case RetErrno:
		return "ERRNO(" + errnoString(data) + ")"
	case RetUserNotif:
		return "NOTIFY"
	case RetTrace:
		return fmt.Sprintf("TRACE(%d)", data)
	case RetLog:
		return "LOG"
	case RetAllow:
		return "ALLOW"
	}
	return fmt.Sprintf("UNKNOWN(%#x)", ret)
}

// errnoString names the errnos that carry a policy meaning in profiles
// (denied, unknown syscall, access); any other value is shown as the number
// the profile's errnoRet gave, which is how people write and grep it.
func errnoString(e uint32) string {
	switch unix.Errno(e) {
	case unix.EPERM, unix.ENOSYS, unix.EACCES:
		return unix.ErrnoName(unix.Errno(e))
	}
	return strconv.FormatUint(uint64(e), 10)
}
