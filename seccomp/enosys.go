package seccomp

import (
	"fmt"
	"slices"
	"sync"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp/internal/bpf"
)

// The ENOSYS stub runs before libseccomp's program. A syscall number the
// profile cannot know about (above the highest number it names for that ABI,
// or a number without a name) returns ENOSYS instead of the default errno, so
// libc falls back (clone3 -> clone, faccessat2 -> faccessat) instead of
// failing with EPERM. Everything else falls through to libseccomp, which
// redoes its own arch checks.

// abiRange is what the stub knows about one ABI: numbers above max, and the
// unnamed numbers below it, get ENOSYS.
type abiRange struct {
	arch bpf.Arch
	max  uint32
	gaps [][2]uint32 // inclusive, without the ABI bit
}

// enosysStub builds the stub, or nothing when the default action already lets
// unknown syscalls through.
func enosysStub(s *specs.LinuxSeccomp, arches []filterArch) ([]unix.SockFilter, error) {
	if s.DefaultAction == specs.ActAllow || s.DefaultAction == specs.ActLog {
		return nil, nil
	}
	var abis []abiRange
	for _, a := range arches {
		r, err := abiFor(s, a)
		if err != nil {
			return nil, err
		}
		abis = append(abis, r)
	}
	var as bpf.Asm
	as.Emit(bpf.OpLdW, 0, 0, bpf.OffArch)
	// One dispatch per AUDIT_ARCH value; x86_64 and x32 share one.
	var audits []uint32
	for _, r := range abis {
		if !slices.Contains(audits, r.arch.Audit) {
			audits = append(audits, r.arch.Audit)
		}
	}
	for _, au := range audits {
		as.JumpIf(bpf.OpJeq, au, fmt.Sprintf("arch%x", au))
	}
	as.Jump("end")
	for _, au := range audits {
		as.Label(fmt.Sprintf("arch%x", au))
		as.Emit(bpf.OpLdW, 0, 0, bpf.OffNr)
		var plain, bitted *abiRange
		for i := range abis {
			if abis[i].arch.Audit != au {
				continue
			}
			if abis[i].arch.NrBit != 0 {
				bitted = &abis[i]
			} else {
				plain = &abis[i]
			}
		}
		if au == 0xc000003e { // AUDIT_ARCH_X86_64: the x32 bit picks the ABI
			if bitted != nil {
				as.JumpIf(bpf.OpJset, bpf.X32Bit, "x32")
			} else {
				// x32 is not in the profile: libseccomp's bad-arch action applies.
				as.JumpIf(bpf.OpJset, bpf.X32Bit, "end")
			}
		}
		if plain != nil {
			rangeChecks(&as, *plain)
		}
		as.Jump("end")
		if bitted != nil {
			as.Label("x32")
			rangeChecks(&as, *bitted)
			as.Jump("end")
		}
	}
	as.Label("enosys")
	as.Emit(bpf.OpRet, 0, 0, unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS))
	as.Label("end")
	return as.Link()
}

// abiFor finds the highest syscall number the profile names for the arch and
// the unnamed numbers below it.
func abiFor(s *specs.LinuxSeccomp, fa filterArch) (abiRange, error) {
	a, sa := fa.Arch, fa.scmp
	if fa.scmpErr != nil {
		return abiRange{}, fa.scmpErr
	}
	tbl, err := syscallTable(a, sa)
	if err != nil {
		return abiRange{}, err
	}
	r := abiRange{arch: a}
	found := false
	for _, sc := range s.Syscalls {
		for _, name := range sc.Names {
			nr, err := libseccomp.GetSyscallFromNameByArch(name, sa)
			if err != nil || nr < 0 {
				continue // unknown here, or a multiplexed pseudo-number (socketcall)
			}
			n := uint32(nr) &^ a.NrBit
			if !found || n > r.max {
				r.max, found = n, true
			}
		}
	}
	if !found {
		// A profile naming nothing (deny-all) still knows every syscall
		// libseccomp knows: execve must stay EPERM, not become ENOSYS.
		r.max = tbl.max
	}
	for _, g := range tbl.gaps {
		if g[0] > r.max {
			break
		}
		if g[1] > r.max {
			g[1] = r.max
		}
		r.gaps = append(r.gaps, g)
	}
	return r, nil
}

// table is libseccomp's knowledge of one arch: the highest number with a
// name, and the ranges without one.
type table struct {
	max  uint32
	gaps [][2]uint32
}

var tables sync.Map // bpf.Arch.Spec -> table

func syscallTable(a bpf.Arch, sa libseccomp.ScmpArch) (table, error) {
	if t, ok := tables.Load(a.Spec); ok {
		return t.(table), nil
	}
	named := make([]bool, bpf.ScanLimit)
	var t table
	found := false
	for n := uint32(0); n < bpf.ScanLimit; n++ {
		if _, err := libseccomp.ScmpSyscall(int32(n | a.NrBit)).GetNameByArch(sa); err == nil {
			named[n], t.max, found = true, n, true
		}
	}
	if !found {
		return table{}, fmt.Errorf("libseccomp knows no syscalls for %s", a.Short())
	}
	for n := uint32(0); n <= t.max; n++ {
		if named[n] {
			continue
		}
		if k := len(t.gaps); k > 0 && t.gaps[k-1][1] == n-1 {
			t.gaps[k-1][1] = n
		} else {
			t.gaps = append(t.gaps, [2]uint32{n, n})
		}
	}
	tables.Store(a.Spec, t)
	return t, nil
}

// rangeChecks sends numbers above max or inside a gap to "enosys".
func rangeChecks(as *bpf.Asm, r abiRange) {
	as.JumpIf(bpf.OpJgt, r.max|r.arch.NrBit, "enosys")
	for _, g := range r.gaps {
		as.Emit(bpf.OpJge, 0, 2, g[0]|r.arch.NrBit)
		as.Emit(bpf.OpJgt, 1, 0, g[1]|r.arch.NrBit)
		as.Jump("enosys")
	}
}
