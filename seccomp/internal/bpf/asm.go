package bpf

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// The classic-BPF instructions a seccomp filter is made of here, and the
// offsets of struct seccomp_data that they load.
const (
	OpLdW  = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	OpJa   = unix.BPF_JMP | unix.BPF_JA
	OpJeq  = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	OpJgt  = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
	OpJge  = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	OpJset = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
	OpRet  = unix.BPF_RET | unix.BPF_K

	OffNr   = 0  // offsetof(struct seccomp_data, nr)
	OffArch = 4  // offsetof(struct seccomp_data, arch)
	OffArgs = 16 // offsetof(struct seccomp_data, args)
)

// Asm emits classic BPF with named labels. Conditional jumps only skip
// one instruction; long jumps use BPF_JA, whose offset is 32 bits, so a
// program never runs into the 8-bit jt/jf limit.
type Asm struct {
	prog   []unix.SockFilter
	labels map[string]int
	refs   map[int]string // index of a BPF_JA -> its target label
}

// Emit appends one instruction.
func (as *Asm) Emit(code uint16, jt, jf uint8, k uint32) {
	as.prog = append(as.prog, unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k})
}

// Label names the place of the next instruction.
func (as *Asm) Label(name string) {
	if as.labels == nil {
		as.labels = map[string]int{}
	}
	as.labels[name] = len(as.prog)
}

// Jump goes to label.
func (as *Asm) Jump(label string) {
	if as.refs == nil {
		as.refs = map[int]string{}
	}
	as.refs[len(as.prog)] = label
	as.Emit(OpJa, 0, 0, 0)
}

// JumpIf goes to label when A <op> k holds.
func (as *Asm) JumpIf(op uint16, k uint32, label string) {
	as.Emit(op, 0, 1, k)
	as.Jump(label)
}

// Link resolves the labels and returns the program.
func (as *Asm) Link() ([]unix.SockFilter, error) {
	for at, name := range as.refs {
		to, ok := as.labels[name]
		if !ok {
			return nil, fmt.Errorf("bpf stub: undefined label %s", name)
		}
		as.prog[at].K = uint32(to - at - 1)
	}
	return as.prog, nil
}
