package seccomp

import (
	"fmt"
	"sync"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// The ENOSYS stub runs before libseccomp's program. A syscall number the
// profile cannot know about (above the highest number it names for that ABI,
// or a number without a name) returns ENOSYS instead of the default errno, so
// libc falls back (clone3 -> clone, faccessat2 -> faccessat) instead of
// failing with EPERM. Everything else falls through to libseccomp, which
// redoes its own arch checks.

const (
	bpfLdW   = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	bpfJa    = unix.BPF_JMP | unix.BPF_JA
	bpfJeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	bpfJgt   = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
	bpfJge   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	bpfJset  = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
	bpfRet   = unix.BPF_RET | unix.BPF_K
	offNr    = 0 // offsetof(struct seccomp_data, nr)
	offArch  = 4 // offsetof(struct seccomp_data, arch)
	x32Bit   = 0x40000000
	retErrno = 0x00050000 // SECCOMP_RET_ERRNO
)

// abiRange is what the stub knows about one ABI: numbers above max, and the
// unnamed numbers below it, get ENOSYS.
type abiRange struct {
	arch archInfo
	max  uint32
	gaps [][2]uint32 // inclusive, without the ABI bit
}

// enosysStub builds the stub, or nothing when the default action already lets
// unknown syscalls through.
func enosysStub(s *specs.LinuxSeccomp, arches []archInfo) ([]unix.SockFilter, error) {
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
	var as assembler
	as.emit(bpfLdW, 0, 0, offArch)
	// One dispatch per AUDIT_ARCH value; x86_64 and x32 share one.
	var audits []uint32
	for _, r := range abis {
		if !containsU32(audits, r.arch.audit) {
			audits = append(audits, r.arch.audit)
		}
	}
	for _, au := range audits {
		as.jumpIf(bpfJeq, au, fmt.Sprintf("arch%x", au))
	}
	as.jump("end")
	for _, au := range audits {
		as.label(fmt.Sprintf("arch%x", au))
		as.emit(bpfLdW, 0, 0, offNr)
		var plain, bitted *abiRange
		for i := range abis {
			if abis[i].arch.audit != au {
				continue
			}
			if abis[i].arch.nrBit != 0 {
				bitted = &abis[i]
			} else {
				plain = &abis[i]
			}
		}
		if au == 0xc000003e { // AUDIT_ARCH_X86_64: the x32 bit picks the ABI
			if bitted != nil {
				as.jumpIf(bpfJset, x32Bit, "x32")
			} else {
				// x32 is not in the profile: libseccomp's bad-arch action applies.
				as.jumpIf(bpfJset, x32Bit, "end")
			}
		}
		if plain != nil {
			as.rangeChecks(*plain)
		}
		as.jump("end")
		if bitted != nil {
			as.label("x32")
			as.rangeChecks(*bitted)
			as.jump("end")
		}
	}
	as.label("enosys")
	as.emit(bpfRet, 0, 0, retErrno|uint32(unix.ENOSYS))
	as.label("end")
	return as.link()
}

// abiFor finds the highest syscall number the profile names for the arch and
// the unnamed numbers below it.
func abiFor(s *specs.LinuxSeccomp, a archInfo) (abiRange, error) {
	sa, err := a.scmpArch()
	if err != nil {
		return abiRange{}, err
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
			n := uint32(nr) &^ a.nrBit
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

var tables sync.Map // archInfo.spec -> table

// scanLimit bounds the search for named numbers; every ABI numbers its
// syscalls well below it (x32's compat calls end at 547).
const scanLimit = 1024

func syscallTable(a archInfo, sa libseccomp.ScmpArch) (table, error) {
	if t, ok := tables.Load(a.spec); ok {
		return t.(table), nil
	}
	named := make([]bool, scanLimit)
	var t table
	found := false
	for n := uint32(0); n < scanLimit; n++ {
		if _, err := libseccomp.ScmpSyscall(int32(n | a.nrBit)).GetNameByArch(sa); err == nil {
			named[n], t.max, found = true, n, true
		}
	}
	if !found {
		return table{}, fmt.Errorf("libseccomp knows no syscalls for %s", a.short())
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
	tables.Store(a.spec, t)
	return t, nil
}

func containsU32(s []uint32, v uint32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// assembler emits classic BPF with named labels. Conditional jumps only skip
// one instruction; long jumps use BPF_JA, whose offset is 32 bits, so the
// stub never runs into the 8-bit jt/jf limit.
type assembler struct {
	prog   []unix.SockFilter
	labels map[string]int
	refs   map[int]string // index of a BPF_JA -> its target label
}

func (as *assembler) emit(code uint16, jt, jf uint8, k uint32) {
	as.prog = append(as.prog, unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k})
}

func (as *assembler) label(name string) {
	if as.labels == nil {
		as.labels = map[string]int{}
	}
	as.labels[name] = len(as.prog)
}

func (as *assembler) jump(label string) {
	if as.refs == nil {
		as.refs = map[int]string{}
	}
	as.refs[len(as.prog)] = label
	as.emit(bpfJa, 0, 0, 0)
}

// jumpIf goes to label when A <op> k holds.
func (as *assembler) jumpIf(op uint16, k uint32, label string) {
	as.emit(op, 0, 1, k)
	as.jump(label)
}

// rangeChecks sends numbers above max or inside a gap to "enosys".
func (as *assembler) rangeChecks(r abiRange) {
	as.jumpIf(bpfJgt, r.max|r.arch.nrBit, "enosys")
	for _, g := range r.gaps {
		as.emit(bpfJge, 0, 2, g[0]|r.arch.nrBit)
		as.emit(bpfJgt, 1, 0, g[1]|r.arch.nrBit)
		as.jump("enosys")
	}
}

func (as *assembler) link() ([]unix.SockFilter, error) {
	for at, name := range as.refs {
		to, ok := as.labels[name]
		if !ok {
			return nil, fmt.Errorf("bpf stub: undefined label %s", name)
		}
		as.prog[at].K = uint32(to - at - 1)
	}
	return as.prog, nil
}
