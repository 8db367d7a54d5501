package seccomp

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

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
		return 0, fmt.Errorf("syscall %q has no number of its own on %s (it goes through socketcall or ipc there; check that, or give the number)", syscall, a.short())
	}
	return uint32(nr), nil
}

func (p *Program) evaluateNr(a archInfo, nr uint32, args [6]uint64) (uint32, error) {
	vm, err := p.vm()
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

func (p *Program) vm() (*bpf.VM, error) {
	if len(p.Instructions) == 0 {
		return nil, fmt.Errorf("evaluate: empty program")
	}
	if e := lastVM.Load(); e != nil && e.first == &p.Instructions[0] && e.n == len(p.Instructions) {
		return e.vm, nil
	}
	vm, err := bpf.NewVM(p.bpfInstructions())
	if err != nil {
		return nil, fmt.Errorf("evaluate: load program: %w", err)
	}
	// bpf.VM.Run keeps its registers on the stack, so one VM serves
	// concurrent callers.
	lastVM.Store(&vmEntry{first: &p.Instructions[0], n: len(p.Instructions), vm: vm})
	return vm, nil
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
// absolute indexes, return values named, and the constants compared with
// the arch or the syscall number named for the arch being tested.
func (p *Program) String() string {
	var sb strings.Builder
	loaded := ""
	var cur archInfo
	for pc, ins := range p.Instructions {
		line := ""
		switch ins.Code {
		case bpfLdW:
			loaded = dataField(ins.K)
			line = "ld " + loaded
		case bpfRet:
			line = "ret " + ActionString(ins.K)
		case bpfJa:
			line = fmt.Sprintf("goto %d", pc+1+int(ins.K))
		default:
			op, ok := jumpOps[ins.Code]
			if !ok {
				line = fmt.Sprintf("%v", bpf.RawInstruction{Op: ins.Code, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}.Disassemble())
				break
			}
			note := ""
			switch loaded {
			case "arch":
				if a, ok := archByAudit(ins.K); ok {
					cur, note = a, "  # "+a.short()
				}
			case "nr":
				note = syscallNote(cur, ins.K)
			}
			line = fmt.Sprintf("if A %s %#x goto %d else %d%s", op, ins.K, pc+1+int(ins.Jt), pc+1+int(ins.Jf), note)
		}
		fmt.Fprintf(&sb, "%4d: %s\n", pc, line)
	}
	return sb.String()
}

var jumpOps = map[uint16]string{bpfJeq: "==", bpfJgt: ">", bpfJge: ">=", bpfJset: "&"}

func archByAudit(audit uint32) (archInfo, bool) {
	for _, a := range archTable {
		if a.audit == audit && a.nrBit == 0 {
			return a, true
		}
	}
	return archInfo{}, false
}

// syscallNote names nr for the arch under test (x32 when the bit is set).
func syscallNote(a archInfo, nr uint32) string {
	if a.scmp == "" {
		return ""
	}
	if a.spec == "SCMP_ARCH_X86_64" && nr&x32Bit != 0 && nr != x32Bit {
		a, _ = lookupArch("x32")
	}
	sa, err := a.scmpArch()
	if err != nil {
		return ""
	}
	name, err := libseccomp.ScmpSyscall(int32(nr)).GetNameByArch(sa)
	if err != nil {
		return ""
	}
	return "  # " + name
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
