package bpf

import (
	"fmt"
	"strconv"

	libseccomp "github.com/seccomp/libseccomp-golang"
)

// X32Bit is the bit the kernel sets in the syscall number of an x32 call
// (__X32_SYSCALL_BIT); x32 shares AUDIT_ARCH_X86_64 with x86_64.
const X32Bit = 0x40000000

// ScanLimit bounds the search for named numbers; every ABI numbers its
// syscalls well below it (x32's compat calls end at 547).
const ScanLimit = 1024

// ByAudit finds the arch of a seccomp_data.arch value; for
// AUDIT_ARCH_X86_64 that is x86_64 (x32 is told by the number's bit).
func ByAudit(audit uint32) (Arch, bool) {
	for _, a := range Table {
		if a.Audit == audit && a.NrBit == 0 {
			return a, true
		}
	}
	return Arch{}, false
}

// Resolve turns a syscall name or a number into the nr the kernel would
// see; a bare number for x32 gets the x32 bit added.
func (a Arch) Resolve(syscall string) (uint32, error) {
	if n, err := strconv.ParseUint(syscall, 0, 32); err == nil {
		return uint32(n) | a.NrBit, nil
	}
	sa, err := a.ScmpArch()
	if err != nil {
		return 0, err
	}
	nr, err := libseccomp.GetSyscallFromNameByArch(syscall, sa)
	if err != nil {
		return 0, fmt.Errorf("syscall %q unknown on %s", syscall, a.Short())
	}
	if nr < 0 {
		return 0, fmt.Errorf("syscall %q has no number of its own on %s (it goes through socketcall or ipc there; check that, or give the number)", syscall, a.Short())
	}
	return uint32(nr), nil
}
