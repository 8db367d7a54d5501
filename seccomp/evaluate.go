package seccomp

import (
	"fmt"
	"strconv"
	"strings"

	libseccomp "github.com/seccomp/libseccomp-golang"
	netbpf "golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp/internal/bpf"
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
	a, ok := bpf.Lookup(arch)
	if !ok {
		return 0, fmt.Errorf("evaluate: unknown arch %q", arch)
	}
	nr, err := a.Resolve(syscall)
	if err != nil {
		return 0, fmt.Errorf("evaluate: %w", err)
	}
	return bpf.Run(p.Instructions, a, nr, args)
}

// NativeArch names the arch this binary runs as ("x86_64", "aarch64", ...).
func NativeArch() string { return bpf.Native().Short() }

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
	var cur bpf.Arch
	for pc, ins := range p.Instructions {
		line := ""
		switch ins.Code {
		case bpf.OpLdW:
			loaded = dataField(ins.K)
			line = "ld " + loaded
		case bpf.OpRet:
			line = "ret " + ActionString(ins.K)
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

func archByAudit(audit uint32) (bpf.Arch, bool) {
	for _, a := range bpf.Table {
		if a.Audit == audit && a.NrBit == 0 {
			return a, true
		}
	}
	return bpf.Arch{}, false
}

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
