package seccomp

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
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
	a, ok := lookupArch(arch)
	if !ok {
		return 0, fmt.Errorf("evaluate: unknown arch %q", arch)
	}
	nr, err := resolveSyscall(a, syscall)
	if err != nil {
		return 0, fmt.Errorf("evaluate: %w", err)
	}
	return p.evaluateNr(a, nr, args)
}

// resolveSyscall turns a name or a number into the nr the kernel would see;
// a bare number for x32 gets the x32 bit added.
func resolveSyscall(a archInfo, syscall string) (uint32, error) {
	if n, err := strconv.ParseUint(syscall, 0, 32); err == nil {
		return uint32(n) | a.nrBit, nil
	}
	sa, err := a.scmpArch()
	if err != nil {
		return 0, err
	}
	nr, err := libseccomp.GetSyscallFromNameByArch(syscall, sa)
	if err != nil {
		return 0, fmt.Errorf("syscall %q unknown on %s", syscall, a.short())
	}
	if nr < 0 {
		return 0, fmt.Errorf("syscall %q has no number of its own on %s (it goes through a multiplexer)", syscall, a.short())
	}
	return uint32(nr), nil
}

func (p *Program) evaluateNr(a archInfo, nr uint32, args [6]uint64) (uint32, error) {
	vm, err := bpf.NewVM(p.bpfInstructions())
	if err != nil {
		return 0, fmt.Errorf("evaluate: load program: %w", err)
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
func seccompData(a archInfo, nr uint32, args [6]uint64) []byte {
	b := make([]byte, 64)
	be := binary.BigEndian
	be.PutUint32(b[0:], nr)
	be.PutUint32(b[4:], a.audit)
	for i, v := range args {
		lo, hi := uint32(v), uint32(v>>32)
		off := 16 + 8*i
		if a.bigEndian {
			lo, hi = hi, lo
		}
		be.PutUint32(b[off:], lo)
		be.PutUint32(b[off+4:], hi)
	}
	return b
}

func (p *Program) bpfInstructions() []bpf.Instruction {
	out := make([]bpf.Instruction, len(p.Instructions))
	for i, ins := range p.Instructions {
		out[i] = bpf.RawInstruction{Op: ins.Code, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}.Disassemble()
	}
	return out
}

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

// String prints the program one instruction a line, with jump targets as
// absolute indexes and return values named.
func (p *Program) String() string {
	var sb strings.Builder
	for i, ins := range p.bpfInstructions() {
		fmt.Fprintf(&sb, "%4d: %s\n", i, describe(i, ins))
	}
	return sb.String()
}

func describe(pc int, ins bpf.Instruction) string {
	switch v := ins.(type) {
	case bpf.RetConstant:
		return "ret " + ActionString(v.Val)
	case bpf.LoadAbsolute:
		return "ld " + dataField(v.Off)
	case bpf.Jump:
		return fmt.Sprintf("jmp %d", pc+1+int(v.Skip))
	case bpf.JumpIf:
		return fmt.Sprintf("if A %s %#x goto %d else %d", condString(v.Cond), v.Val,
			pc+1+int(v.SkipTrue), pc+1+int(v.SkipFalse))
	}
	return fmt.Sprintf("%v", ins)
}

func dataField(off uint32) string {
	switch {
	case off == 0:
		return "nr"
	case off == 4:
		return "arch"
	case off == 8:
		return "instruction_pointer"
	case off == 12:
		return "instruction_pointer+4"
	case off >= 16 && off < 64:
		half := ""
		if (off-16)%8 == 4 {
			half = "+4"
		}
		return fmt.Sprintf("args[%d]%s", (off-16)/8, half)
	}
	return fmt.Sprintf("[%d]", off)
}

func condString(c bpf.JumpTest) string {
	switch c {
	case bpf.JumpEqual:
		return "=="
	case bpf.JumpNotEqual:
		return "!="
	case bpf.JumpGreaterThan:
		return ">"
	case bpf.JumpLessThan:
		return "<"
	case bpf.JumpGreaterOrEqual:
		return ">="
	case bpf.JumpLessOrEqual:
		return "<="
	case bpf.JumpBitsSet:
		return "&"
	case bpf.JumpBitsNotSet:
		return "!&"
	}
	return "?"
}
