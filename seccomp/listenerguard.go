package seccomp

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// The report turns the profile's ERRNO returns into USER_NOTIF, which
// ranks below ERRNO: where several filters answer a call the kernel takes
// the most restrictive action, and between equal ones the newest filter's
// (kernel/seccomp.c, seccomp_run_filters). While minirun holds the
// listener, the kernel refuses the container a listener of its own
// (EBUSY: one listener per filter chain). But once minirun is gone the
// listener is released, and until the container is killed a process in it
// could install a filter with its own listener (seccomp(2) with
// SECCOMP_FILTER_FLAG_NEW_LISTENER needs only no_new_privs, which any
// process may set) that notifies the refused calls too: its filter, the
// newer, gets them, and its answer CONTINUE runs what the profile refused.
//
// So in front of the report's program sits a guard: seccomp(2) asking for
// a listener is notified too, where the profile allows it. While minirun
// lives its supervisor lets the call run (and the kernel answers EBUSY, as
// without the report); once minirun is gone a notification with no
// listener is ENOSYS, so no listener can be installed any more.
const (
	seccompSetModeFilter = 1      // SECCOMP_SET_MODE_FILTER
	filterNewListener    = 1 << 3 // SECCOMP_FILTER_FLAG_NEW_LISTENER
	offArgs              = 16     // offsetof(struct seccomp_data, args)
)

// listenerGuard is the guard for the ABIs where p lets a process ask for
// a listener; nothing when it lets none.
func listenerGuard(p *Program) ([]unix.SockFilter, error) {
	type abiNr struct {
		a  archInfo
		nr uint32
	}
	var abis []abiNr
	for _, a := range archTable {
		nr, err := resolveSyscall(a, "seccomp")
		if err != nil {
			continue
		}
		ret, err := p.evaluateNr(a, nr, [6]uint64{seccompSetModeFilter, filterNewListener})
		if err != nil {
			return nil, fmt.Errorf("listener guard: %w", err)
		}
		switch ret & retActionFull {
		case RetAllow, RetLog:
			abis = append(abis, abiNr{a, nr})
		}
	}
	if len(abis) == 0 {
		return nil, nil
	}
	// seccomp_data.args are u64 in the ABI's byte order: the low word
	// (the kernel reads op and flags as unsigned int) is first on little
	// endian.
	lo := uint32(0)
	if nativeArch().bigEndian {
		lo = 4
	}
	var as assembler
	as.emit(bpfLdW, 0, 0, offArch)
	var audits []uint32
	for _, x := range abis {
		if !containsU32(audits, x.a.audit) {
			audits = append(audits, x.a.audit)
			as.jumpIf(bpfJeq, x.a.audit, fmt.Sprintf("arch%x", x.a.audit))
		}
	}
	as.jump("body")
	for _, au := range audits {
		as.label(fmt.Sprintf("arch%x", au))
		as.emit(bpfLdW, 0, 0, offNr)
		for _, x := range abis {
			if x.a.audit == au {
				as.jumpIf(bpfJeq, x.nr, "args")
			}
		}
		as.jump("body")
	}
	as.label("args")
	as.emit(bpfLdW, 0, 0, offArgs+lo)
	as.emit(bpfJeq, 1, 0, seccompSetModeFilter)
	as.jump("body")
	as.emit(bpfLdW, 0, 0, offArgs+8+lo)
	as.emit(bpfJset, 1, 0, filterNewListener)
	as.jump("body")
	as.emit(bpfRet, 0, 0, RetUserNotif)
	as.label("body")
	return as.link()
}
