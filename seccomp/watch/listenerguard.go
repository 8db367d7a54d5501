package watch

import (
	"fmt"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/internal/bpf"
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
)

// listenerGuard is the guard for the ABIs where p lets a process ask for
// a listener; nothing when it lets none.
func listenerGuard(p *seccomp.Program) ([]unix.SockFilter, error) {
	type abiNr struct {
		a  bpf.Arch
		nr uint32
	}
	var abis []abiNr
	for _, a := range bpf.Table {
		nr, err := a.Resolve("seccomp")
		if err != nil {
			continue
		}
		ret, err := bpf.Run(p.Instructions, a, nr, [6]uint64{seccompSetModeFilter, filterNewListener})
		if err != nil {
			return nil, fmt.Errorf("listener guard: %w", err)
		}
		switch ret & unix.SECCOMP_RET_ACTION_FULL {
		case seccomp.RetAllow, seccomp.RetLog:
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
	if bpf.Native().BigEndian {
		lo = 4
	}
	var as bpf.Asm
	as.Emit(bpf.OpLdW, 0, 0, bpf.OffArch)
	var audits []uint32
	for _, x := range abis {
		if !slices.Contains(audits, x.a.Audit) {
			audits = append(audits, x.a.Audit)
			as.JumpIf(bpf.OpJeq, x.a.Audit, fmt.Sprintf("arch%x", x.a.Audit))
		}
	}
	as.Jump("body")
	for _, au := range audits {
		as.Label(fmt.Sprintf("arch%x", au))
		as.Emit(bpf.OpLdW, 0, 0, bpf.OffNr)
		for _, x := range abis {
			if x.a.Audit == au {
				as.JumpIf(bpf.OpJeq, x.nr, "args")
			}
		}
		as.Jump("body")
	}
	as.Label("args")
	as.Emit(bpf.OpLdW, 0, 0, bpf.OffArgs+lo)
	as.Emit(bpf.OpJeq, 1, 0, seccompSetModeFilter)
	as.Jump("body")
	as.Emit(bpf.OpLdW, 0, 0, bpf.OffArgs+8+lo)
	as.Emit(bpf.OpJset, 1, 0, filterNewListener)
	as.Jump("body")
	as.Emit(bpf.OpRet, 0, 0, seccomp.RetUserNotif)
	as.Label("body")
	return as.Link()
}
