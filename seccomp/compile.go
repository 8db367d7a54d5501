package seccomp

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp/filter"
	"github.com/minirun/minirun/seccomp/internal/bpf"
)

// Program is a compiled classic-BPF filter ready to be loaded. It is plain
// data so it can cross the pipe to the container's init as JSON.
type Program struct {
	Instructions  []unix.SockFilter
	Flags         uint     // SECCOMP_FILTER_FLAG_* asked for by the profile
	Listener      bool     // a NOTIFY rule exists: Load asks for a listener fd
	Rules         int      // rules given to libseccomp, for --debug traces
	Arches        []string // for --debug traces
	DefaultAction string
	Cached        bool     // true when it came from the cache without compiling
	Warnings      []string `json:",omitempty"` // syscall names libseccomp did not know
}

// Warn reports names libseccomp does not know. The runtime may replace it
// (e.g. to route the message to its log).
var Warn = func(msg string) { fmt.Fprintln(os.Stderr, "minirun: warning: "+msg) }

// Compile turns an OCI-form profile into BPF, through the cache. The
// profile has passed Validate already, once, on its way in
// (config.Validate, LoadProfile, ParseProfile): compiling does not check
// it again.
func Compile(s *specs.LinuxSeccomp) (*Program, error) {
	if s == nil {
		return nil, fmt.Errorf("seccomp compile: nil profile")
	}
	key, err := cacheKey(s)
	if err != nil {
		return nil, fmt.Errorf("seccomp compile: %w", err)
	}
	// Its key covers every byte of the profile.
	if p, err := cacheGet(key); err == nil {
		p.warn()
		return p, nil
	}
	// The bounds alone, again: a few counts, where a caller that skipped
	// Validate would otherwise have libseccomp spend seconds on a flood.
	if err := checkBounds(s.Syscalls); err != nil {
		return nil, fmt.Errorf("seccomp compile: %w", err)
	}
	p, err := compileNoCache(s)
	if err != nil {
		return nil, err
	}
	p.warn()
	// A cache that cannot be written (read-only /var, no permission) only
	// costs speed, never a start.
	_ = cachePut(key, p)
	return p, nil
}

func (p *Program) warn() {
	if len(p.Warnings) > 0 && Warn != nil {
		Warn("seccomp: " + strings.Join(p.Warnings, "; "))
	}
}

// compileNoCache runs libseccomp and puts the ENOSYS stub in front.
func compileNoCache(s *specs.LinuxSeccomp) (*Program, error) {
	arches, err := profileArches(s)
	if err != nil {
		return nil, fmt.Errorf("seccomp compile: %w", err)
	}
	body, rules, warnings, err := libseccompBPF(s, arches)
	if err != nil {
		return nil, fmt.Errorf("seccomp compile: %w", err)
	}
	p := &Program{
		Rules:         rules,
		DefaultAction: string(s.DefaultAction),
		Warnings:      warnings,
	}
	for _, a := range arches {
		p.Arches = append(p.Arches, a.Short())
	}
	for _, f := range s.Flags {
		p.Flags |= filterFlags[f]
	}
	p.Flags &^= unix.SECCOMP_FILTER_FLAG_TSYNC // Load decides on TSYNC
	for _, sc := range s.Syscalls {
		if sc.Action == specs.ActNotify {
			p.Listener = true
		}
	}
	stub, err := enosysStub(s, arches)
	if err != nil {
		return nil, fmt.Errorf("seccomp compile: ENOSYS stub: %w", err)
	}
	p.Instructions = append(stub, body...)
	if len(p.Instructions) > 4096 {
		return nil, fmt.Errorf("seccomp compile: %d instructions, the kernel's limit is 4096", len(p.Instructions))
	}
	return p, nil
}

// filterArch is an arch the filter covers, with libseccomp's value for it
// resolved once, where the list is made, for the builder and the ENOSYS
// stub; its error is kept for the step that needs the value.
type filterArch struct {
	bpf.Arch
	scmp    libseccomp.ScmpArch
	scmpErr error
}

// profileArches lists the arches the filter covers: the native one, which
// libseccomp always includes, then the profile's in order.
func profileArches(s *specs.LinuxSeccomp) ([]filterArch, error) {
	out := []bpf.Arch{bpf.Native()}
	for i, a := range s.Architectures {
		ai, ok := bpf.Lookup(string(a))
		if !ok {
			return nil, fieldErrorf(fmt.Sprintf("architectures[%d]", i), "unknown architecture %q", a)
		}
		dup := false
		for _, o := range out {
			dup = dup || o.Spec == ai.Spec
		}
		if !dup {
			out = append(out, ai)
		}
	}
	arches := make([]filterArch, len(out))
	for i, a := range out {
		arches[i].Arch = a
		arches[i].scmp, arches[i].scmpErr = a.ScmpArch()
	}
	return arches, nil
}

// libseccompBPF builds the filter with libseccomp and exports it.
func libseccompBPF(s *specs.LinuxSeccomp, arches []filterArch) ([]unix.SockFilter, int, []string, error) {
	def, err := scmpAction(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("defaultAction: %w", err)
	}
	f, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("new filter: %w", err)
	}
	defer f.Release()
	// A binary tree of syscall numbers instead of a linear list: a few
	// comparisons per syscall rather than hundreds, both for the
	// container's every syscall and for the kernel, which runs the filter
	// over every syscall number when it is loaded to build its cache.
	if err := f.SetOptimize(2); err != nil {
		return nil, 0, nil, fmt.Errorf("set optimize level 2: %w", err)
	}
	for _, a := range arches[1:] {
		if a.scmpErr != nil {
			return nil, 0, nil, a.scmpErr
		}
		if err := f.AddArch(a.scmp); err != nil {
			return nil, 0, nil, fmt.Errorf("add arch %s: %w", a.Short(), err)
		}
	}
	rules := 0
	var unknown []string
	for i, sc := range s.Syscalls {
		act, err := scmpAction(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("syscalls[%d].action: %w", i, err)
		}
		if act == def {
			// Same as the default: libseccomp refuses it and it changes nothing.
			continue
		}
		condSets, err := conditions(sc.Args)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("syscalls[%d].args: %w", i, err)
		}
		for _, name := range sc.Names {
			nr, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				if !slices.Contains(unknown, name) {
					unknown = append(unknown, name)
				}
				continue
			}
			for _, conds := range condSets {
				if len(conds) == 0 {
					err = f.AddRule(nr, act)
				} else {
					err = f.AddRuleConditional(nr, act, conds)
				}
				if err != nil {
					return nil, 0, nil, fmt.Errorf("syscalls[%d]: add rule for %s: %w", i, name, err)
				}
				rules++
			}
		}
	}
	var warnings []string
	if unknown = unexpectedUnknown(unknown); len(unknown) > 0 {
		maj, min, mic := libseccomp.GetLibraryVersion()
		warnings = append(warnings, fmt.Sprintf("skipped %d syscall names unknown to libseccomp %d.%d.%d: %s",
			len(unknown), maj, min, mic, strings.Join(unknown, ", ")))
	}
	prog, err := exportBPF(f)
	if err != nil {
		return nil, 0, nil, err
	}
	return prog, rules, warnings, nil
}

// conditions returns the condition sets to add, one rule each. Conditions on
// distinct arguments are ANDed in one rule; when an argument index repeats,
// libseccomp cannot AND them, so each becomes its own rule (OR), which is how
// OCI runtimes read such profiles.
func conditions(args []specs.LinuxSeccompArg) ([][]libseccomp.ScmpCondition, error) {
	seen := map[uint]bool{}
	repeated := false
	for _, a := range args {
		repeated = repeated || seen[a.Index]
		seen[a.Index] = true
	}
	var all []libseccomp.ScmpCondition
	for k, a := range args {
		op, err := scmpOp(a.Op)
		if err != nil {
			return nil, fmt.Errorf("[%d].op: %w", k, err)
		}
		c, err := libseccomp.MakeCondition(a.Index, op, a.Value, a.ValueTwo)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", k, err)
		}
		all = append(all, c)
	}
	if !repeated {
		return [][]libseccomp.ScmpCondition{all}, nil
	}
	sets := make([][]libseccomp.ScmpCondition, len(all))
	for i, c := range all {
		sets[i] = []libseccomp.ScmpCondition{c}
	}
	return sets, nil
}

// exportBPF writes the program into a memfd (libseccomp 2.5 can only export
// to an fd) and decodes it.
func exportBPF(f *libseccomp.ScmpFilter) ([]unix.SockFilter, error) {
	fd, err := unix.MemfdCreate("minirun-seccomp", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("export bpf: memfd: %w", err)
	}
	file := os.NewFile(uintptr(fd), "minirun-seccomp")
	defer file.Close()
	if err := f.ExportBPF(file); err != nil {
		return nil, fmt.Errorf("export bpf: %w", err)
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("export bpf: seek: %w", err)
	}
	raw, err := io.ReadAll(file)
	if err != nil {
		return nil, fmt.Errorf("export bpf: read: %w", err)
	}
	return filter.Decode(raw)
}

// decodeInstructions reads struct sock_filter records in host byte order.
func scmpAction(a specs.LinuxSeccompAction, errnoRet *uint) (libseccomp.ScmpAction, error) {
	switch a {
	case specs.ActAllow:
		return libseccomp.ActAllow, nil
	case specs.ActErrno:
		code := uint(unix.EPERM)
		if errnoRet != nil {
			code = *errnoRet
		}
		return libseccomp.ActErrno.SetReturnCode(int16(code)), nil
	case specs.ActTrace:
		code := uint(unix.EPERM)
		if errnoRet != nil {
			code = *errnoRet
		}
		return libseccomp.ActTrace.SetReturnCode(int16(code)), nil
	case specs.ActKill, specs.ActKillThread:
		return libseccomp.ActKillThread, nil
	case specs.ActKillProcess:
		return libseccomp.ActKillProcess, nil
	case specs.ActTrap:
		return libseccomp.ActTrap, nil
	case specs.ActLog:
		return libseccomp.ActLog, nil
	case specs.ActNotify:
		return libseccomp.ActNotify, nil
	}
	return 0, fmt.Errorf("unknown action %q", a)
}

func scmpOp(op specs.LinuxSeccompOperator) (libseccomp.ScmpCompareOp, error) {
	switch op {
	case specs.OpNotEqual:
		return libseccomp.CompareNotEqual, nil
	case specs.OpLessThan:
		return libseccomp.CompareLess, nil
	case specs.OpLessEqual:
		return libseccomp.CompareLessOrEqual, nil
	case specs.OpEqualTo:
		return libseccomp.CompareEqual, nil
	case specs.OpGreaterEqual:
		return libseccomp.CompareGreaterEqual, nil
	case specs.OpGreaterThan:
		return libseccomp.CompareGreater, nil
	case specs.OpMaskedEqual:
		return libseccomp.CompareMaskedEqual, nil
	}
	return 0, fmt.Errorf("unknown operator %q", op)
}

// dockerNames are the syscalls Docker's default profile names. One of them
// unknown to libseccomp only means the profile is newer than the library, as
// it is on every start with an older libseccomp: not worth a warning.
var dockerNames = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, sc := range DockerDefault().Syscalls {
		for _, n := range append(sc.Names, sc.Name) {
			m[n] = true
		}
	}
	return m
})

// unexpectedUnknown keeps the unknown names worth a warning.
func unexpectedUnknown(names []string) []string {
	var out []string
	for _, n := range names {
		if !dockerNames()[n] {
			out = append(out, n)
		}
	}
	return out
}
