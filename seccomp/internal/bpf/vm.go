package bpf

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Run runs prog in a classic-BPF interpreter over a seccomp_data record
// for the call nr with args on a and returns the SECCOMP_RET_* value the
// kernel would act on.
func Run(prog []unix.SockFilter, a Arch, nr uint32, args [6]uint64) (uint32, error) {
	vm, err := vmOf(prog)
	if err != nil {
		return 0, err
	}
	ret, err := vm.Run(seccompData(a, nr, args))
	if err != nil {
		return 0, fmt.Errorf("evaluate: run: %w", err)
	}
	return uint32(ret), nil
}

// seccompData lays out struct seccomp_data for the interpreter. Seccomp
// filters only do 32-bit loads; x/net/bpf reads words big-endian (network
// order), so each word is stored big-endian and the two halves of a 64-bit
// argument are placed where the arch's byte order puts them.
func seccompData(a Arch, nr uint32, args [6]uint64) []byte {
	b := make([]byte, 64)
	be := binary.BigEndian
	be.PutUint32(b[0:], nr)
	be.PutUint32(b[4:], a.Audit)
	for i, v := range args {
		lo, hi := uint32(v), uint32(v>>32)
		off := 16 + 8*i
		if a.BigEndian {
			lo, hi = hi, lo
		}
		be.PutUint32(b[off:], lo)
		be.PutUint32(b[off+4:], hi)
	}
	return b
}

// lastVM holds the interpreter of the program evaluated last. The runtime's
// preflight and `seccomp check` evaluate one program many times in a row,
// and building the VM (disassembling ~1,200 instructions, ~1,100
// allocations) cost more than running it: 19 evaluations took 1.6 ms in a
// fresh process, a good part of a start. One entry is enough for that and
// keeps nothing alive for long. Programs are not changed once built, so the
// instructions' address and length identify one.
var lastVM atomic.Pointer[vmEntry]

type vmEntry struct {
	first *unix.SockFilter
	n     int
	vm    *bpf.VM
}

func vmOf(prog []unix.SockFilter) (*bpf.VM, error) {
	if len(prog) == 0 {
		return nil, fmt.Errorf("evaluate: empty program")
	}
	if e := lastVM.Load(); e != nil && e.first == &prog[0] && e.n == len(prog) {
		return e.vm, nil
	}
	vm, err := bpf.NewVM(bpfInstructions(prog))
	if err != nil {
		return nil, fmt.Errorf("evaluate: load program: %w", err)
	}
	// bpf.VM.Run keeps its registers on the stack, so one VM serves
	// concurrent callers.
	lastVM.Store(&vmEntry{first: &prog[0], n: len(prog), vm: vm})
	return vm, nil
}

func bpfInstructions(prog []unix.SockFilter) []bpf.Instruction {
	out := make([]bpf.Instruction, len(prog))
	for i, ins := range prog {
		out[i] = bpf.RawInstruction{Op: ins.Code, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}.Disassemble()
	}
	return out
}
