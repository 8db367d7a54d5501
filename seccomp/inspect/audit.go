package inspect

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/internal/bpf"
)

// Finding is one thing a profile lets through that people usually don't
// mean it to.
type Finding struct {
	Check   string `json:"check"` // abi-bypass, execveat, openat2, io_uring, dangerous, kernel-module, namespaces, mount, unknown-syscalls
	Syscall string `json:"syscall"`
	Arch    string `json:"arch"`
	Action  string `json:"action"` // what the compiled filter gives it
	Reason  string `json:"reason"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%-16s %s [%s] %s: %s", f.Check, f.Syscall, f.Arch, f.Action, f.Reason)
}

// Audit compiles s and asks the compiled program, through the interpreter,
// the questions below. Calls are asked with zero arguments unless the
// question is about an argument.
func Audit(s *specs.LinuxSeccomp) ([]Finding, error) {
	p, err := seccomp.Compile(s)
	if err != nil {
		return nil, err
	}
	return audit(p, s)
}

type auditor struct {
	p     *seccomp.Program
	s     *specs.LinuxSeccomp
	out   []Finding
	arch  bpf.Arch
	other []bpf.Arch // the native arch's compat ABIs (x86_64: x86, x32)
}

// audit asks p, compiled from s, the questions.
func audit(p *seccomp.Program, s *specs.LinuxSeccomp) ([]Finding, error) {
	a := &auditor{p: p, s: s, arch: bpf.Native()}
	if a.arch.Spec == specs.ArchX86_64 {
		x86, _ := bpf.Lookup("x86")
		x32, _ := bpf.Lookup("x32")
		a.other = []bpf.Arch{x86, x32}
	}
	if err := a.abiBypass(); err != nil {
		return nil, err
	}
	a.pair("execveat", "execve", "execveat", "execveat runs a program like execve, from an fd: allowing it while execve is denied lets the process exec anyway")
	a.pair("openat2", "openat", "openat2", "openat2 opens files like openat, with its flags in a struct no filter can read: the restriction on openat does not hold for it")
	for _, n := range []string{"io_uring_setup", "io_uring_enter", "io_uring_register"} {
		a.allowed("io_uring", n, "io_uring runs reads, writes, opens and connects from the kernel's own workers, which seccomp never sees: every restriction on those calls can be bypassed")
	}
	for n, why := range map[string]string{
		"ptrace":          "ptrace reads and writes other processes' memory and registers; on kernels before 4.8 it also let a tracer skip seccomp",
		"userfaultfd":     "userfaultfd lets a process stall the kernel inside a copy from user memory, the usual way to win kernel races",
		"bpf":             "bpf loads programs into the kernel and reads kernel data through maps",
		"perf_event_open": "perf_event_open exposes kernel addresses and has a long history of privilege escalations",
		"keyctl":          "keyctl reaches the kernel keyring, which is not namespaced: keys of the host or other containers",
		"add_key":         "add_key writes to the kernel keyring, which is not namespaced",
		"request_key":     "request_key can run a host helper and reaches the keyring, which is not namespaced",
	} {
		a.allowed("dangerous", n, why)
	}
	for _, n := range []string{"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load"} {
		a.allowed("kernel-module", n, "loads or replaces kernel code: with the capability for it, the container is the host")
	}
	a.namespaces()
	for _, n := range []string{"mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig", "mount_setattr"} {
		a.allowed("mount", n, "changes the mount table: with CAP_SYS_ADMIN (or in a user namespace of its own) the process can mount over or uncover paths")
	}
	a.unknown()
	slices.SortStableFunc(a.out, func(x, y Finding) int {
		if c := strings.Compare(x.Check, y.Check); c != 0 {
			return c
		}
		if c := strings.Compare(x.Syscall, y.Syscall); c != 0 {
			return c
		}
		return strings.Compare(x.Arch, y.Arch)
	})
	return a.out, nil
}

// eval is the action for name on arch, or ok=false where the arch has no
// such syscall of its own.
func (a *auditor) eval(arch bpf.Arch, name string, args [6]uint64) (uint32, bool) {
	nr, err := arch.Resolve(name)
	if err != nil {
		return 0, false
	}
	ret, err := bpf.Run(a.p.Instructions, arch, nr, args)
	return ret, err == nil
}

func lets(ret uint32) bool {
	switch ret & unix.SECCOMP_RET_ACTION_FULL {
	case seccomp.RetAllow, seccomp.RetLog:
		return true
	}
	return false
}

func (a *auditor) add(check, name string, arch bpf.Arch, ret uint32, reason string) {
	a.out = append(a.out, Finding{Check: check, Syscall: name, Arch: arch.Short(), Action: seccomp.ActionString(ret), Reason: reason})
}

func (a *auditor) allowed(check, name, reason string) {
	if ret, ok := a.eval(a.arch, name, [6]uint64{}); ok && lets(ret) {
		a.add(check, name, a.arch, ret, reason)
	}
}

// pair finds alt allowed where base is not (or only with argument rules).
func (a *auditor) pair(check, base, alt, reason string) {
	bret, ok1 := a.eval(a.arch, base, [6]uint64{})
	aret, ok2 := a.eval(a.arch, alt, [6]uint64{})
	if !ok1 || !ok2 || !lets(aret) {
		return
	}
	if !lets(bret) || a.hasArgRule(base) {
		a.add(check, alt, a.arch, aret, fmt.Sprintf("%s is %s; %s", base, a.restriction(base, bret), reason))
	}
}

func (a *auditor) restriction(name string, ret uint32) string {
	if !lets(ret) {
		return "denied (" + seccomp.ActionString(ret) + ")"
	}
	return "allowed only with argument rules"
}

// hasArgRule: an allow rule for name tests its arguments.
func (a *auditor) hasArgRule(name string) bool {
	for _, sc := range a.s.Syscalls {
		if slices.Contains(sc.Names, name) && len(sc.Args) > 0 && (sc.Action == specs.ActAllow || sc.Action == specs.ActLog) {
			return true
		}
	}
	return false
}

// abiBypass finds calls the native ABI denies that a compat ABI allows:
// the same kernel code, reached through int $0x80 or the x32 bit.
func (a *auditor) abiBypass() error {
	sa, err := a.arch.ScmpArch()
	if err != nil {
		return err
	}
	for nr := 0; nr < bpf.ScanLimit; nr++ {
		name, err := libseccomp.ScmpSyscall(int32(nr)).GetNameByArch(sa)
		if err != nil {
			continue
		}
		ret, ok := a.eval(a.arch, name, [6]uint64{})
		if !ok || lets(ret) {
			continue
		}
		for _, o := range a.other {
			if oret, ok := a.eval(o, name, [6]uint64{}); ok && lets(oret) {
				via := "int $0x80"
				if o.Spec == specs.ArchX32 {
					via = "the x32 bit (nr | 0x40000000)"
				}
				a.add("abi-bypass", name, o, oret, fmt.Sprintf("denied on %s (%s) but allowed through %s, which runs the same kernel code", a.arch.Short(), seccomp.ActionString(ret), via))
			}
		}
	}
	// i386 reaches the socket calls through socketcall(call, args), whose
	// arguments are in memory: a rule on socket's family does not hold.
	for _, o := range a.other {
		if o.Spec != specs.ArchX86 {
			continue
		}
		ret, ok := a.eval(o, "socketcall", [6]uint64{})
		if !ok || !lets(ret) {
			continue
		}
		for _, n := range []string{"socket", "connect", "bind", "sendto", "sendmsg"} {
			bret, ok := a.eval(a.arch, n, [6]uint64{})
			if ok && (!lets(bret) || a.hasArgRule(n)) {
				a.add("abi-bypass", "socketcall", o, ret, fmt.Sprintf("%s is %s on %s, but i386's socketcall reaches it with its arguments in memory no filter can read", n, a.restriction(n, bret), a.arch.Short()))
				break
			}
		}
	}
	return nil
}

// namespaces finds the ways to a new namespace the profile allows.
func (a *auditor) namespaces() {
	flags := []struct {
		bit  uint64
		name string
	}{{0x10000000, "CLONE_NEWUSER"}, {0x20000, "CLONE_NEWNS"}, {0x20000000, "CLONE_NEWPID"},
		{0x40000000, "CLONE_NEWNET"}, {0x8000000, "CLONE_NEWIPC"}, {0x4000000, "CLONE_NEWUTS"}, {0x2000000, "CLONE_NEWCGROUP"}}
	for _, call := range []string{"clone", "unshare"} {
		var open []string
		var last uint32
		for _, f := range flags {
			if ret, ok := a.eval(a.arch, call, [6]uint64{f.bit}); ok && lets(ret) {
				open, last = append(open, f.name), ret
			}
		}
		if len(open) > 0 {
			a.add("namespaces", call, a.arch, last, fmt.Sprintf("allowed with %s: new namespaces, and in a user namespace every capability, reach kernel code an unprivileged process never could", strings.Join(open, ", ")))
		}
	}
	if ret, ok := a.eval(a.arch, "clone3", [6]uint64{}); ok && lets(ret) {
		a.add("namespaces", "clone3", a.arch, ret, "allowed: its flags are in a struct no filter can read, so any namespace flag passes (Docker's default answers ENOSYS so libc falls back to clone)")
	}
	if ret, ok := a.eval(a.arch, "setns", [6]uint64{}); ok && lets(ret) {
		a.add("namespaces", "setns", a.arch, ret, "allowed: joins any namespace the process can open a file of")
	}
}

// unknown finds numbers no syscall has answered with ALLOW: a syscall a
// later kernel adds would run unfiltered.
func (a *auditor) unknown() {
	for _, arch := range append([]bpf.Arch{a.arch}, a.other...) {
		nr := uint32(bpf.ScanLimit-1) | arch.NrBit
		ret, err := bpf.Run(a.p.Instructions, arch, nr, [6]uint64{})
		if err == nil && lets(ret) {
			a.add("unknown-syscalls", fmt.Sprintf("syscall_%d", bpf.ScanLimit-1), arch, ret,
				"numbers no syscall has yet are allowed (default "+string(a.s.DefaultAction)+"): a syscall a later kernel adds runs unfiltered; ENOSYS is the safe answer")
		}
	}
}

// WriteFindings prints findings one a line, or that there are none.
func WriteFindings(w io.Writer, fs []Finding) {
	if len(fs) == 0 {
		fmt.Fprintln(w, "no findings")
		return
	}
	for _, f := range fs {
		fmt.Fprintln(w, f.String())
	}
}
