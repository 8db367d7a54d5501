package inspect

import (
	"fmt"
	"strings"

	libseccomp "github.com/seccomp/libseccomp-golang"
	netbpf "golang.org/x/net/bpf"

	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/internal/bpf"
)

// Disassemble prints the program one instruction a line, with jump targets
// as absolute indexes, return values named, and the constants compared
// with the arch or the syscall number named for the arch being tested.
func Disassemble(p *seccomp.Program) string {
	var sb strings.Builder
	loaded := ""
	var cur bpf.Arch
	for pc, ins := range p.Instructions {
		line := ""
		switch ins.Code {
		case bpf.OpLdW:
			loaded = dataField(ins.K)
			line = "ld " + loaded
		case bpf.OpRet:
			line = "ret " + seccomp.ActionString(ins.K)
		case bpf.OpJa:
			line = fmt.Sprintf("goto %d", pc+1+int(ins.K))
		default:
			op, ok := jumpOps[ins.Code]
			if !ok {
				line = fmt.Sprintf("%v", netbpf.RawInstruction{Op: ins.Code, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}.Disassemble())
				break
			}
			note := ""
			switch loaded {
			case "arch":
				if a, ok := bpf.ByAudit(ins.K); ok {
					cur, note = a, "  # "+a.Short()
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

var jumpOps = map[uint16]string{bpf.OpJeq: "==", bpf.OpJgt: ">", bpf.OpJge: ">=", bpf.OpJset: "&"}

// syscallNote names nr for the arch under test (x32 when the bit is set).
func syscallNote(a bpf.Arch, nr uint32) string {
	if a.Scmp == "" {
		return ""
	}
	if a.Spec == "SCMP_ARCH_X86_64" && nr&bpf.X32Bit != 0 && nr != bpf.X32Bit {
		a, _ = bpf.Lookup("x32")
	}
	sa, err := a.ScmpArch()
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
