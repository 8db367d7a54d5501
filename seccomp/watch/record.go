package watch

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	dockerprofile "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/inputbounds"
	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/internal/bpf"
)

// MaxRecordedValues bounds the argument values recorded for one syscall on
// one ABI: they become the conditions of one entry, which a profile may
// have at most MaxArgs of. Past it the syscall is recorded without a
// condition (allowed with any value), and the recorder says so: a profile
// a little wider than the calls seen, rather than one that can't load, or
// a supervisor that grows with every value a container makes up.
const MaxRecordedValues = seccomp.MaxArgs

// observations are what a recording saw: syscall names per ABI, and for
// the calls profiles filter on an argument, the values of that argument.
type observations struct {
	abis   map[string]map[string]bool            // name -> ABIs ("x86_64", "x86", "x32")
	values map[string]map[string]map[uint64]bool // name -> ABI -> keyed-argument values
	wide   map[string]map[string]bool            // name -> ABIs where values passed MaxRecordedValues

	fast   map[recKey]bool      // calls already recorded: answered without more work
	names  map[[2]uint32]string // (audit arch, nr) -> name
	wideNr map[[2]uint32]bool   // (audit arch, nr) recorded without its argument
}

type recKey struct {
	arch uint32
	nr   int32
	v    uint64
	any  bool // a keyed call recorded for any value
}

func newObservations() *observations {
	return &observations{abis: map[string]map[string]bool{}, values: map[string]map[string]map[uint64]bool{},
		wide: map[string]map[string]bool{}, fast: map[recKey]bool{}, names: map[[2]uint32]string{}, wideNr: map[[2]uint32]bool{}}
}

// add records name on abi, with its keyed argument's value v when keyed.
// It reports whether the call is now recorded for any value there.
func (o *observations) add(abi, name string, keyed bool, v uint64) bool {
	if o.abis[name] == nil {
		o.abis[name] = map[string]bool{}
	}
	o.abis[name][abi] = true
	if !keyed {
		return false
	}
	if o.wide[name][abi] {
		return true
	}
	if o.values[name] == nil {
		o.values[name] = map[string]map[uint64]bool{}
	}
	vals := o.values[name][abi]
	if vals == nil {
		vals = map[uint64]bool{}
		o.values[name][abi] = vals
	}
	if !vals[v] && len(vals) >= MaxRecordedValues {
		o.widen(abi, name)
		return true
	}
	vals[v] = true
	return false
}

// widen records name on abi for any value of its keyed argument.
func (o *observations) widen(abi, name string) {
	if o.abis[name] == nil {
		o.abis[name] = map[string]bool{}
	}
	o.abis[name][abi] = true
	if o.wide[name] == nil {
		o.wide[name] = map[string]bool{}
	}
	o.wide[name][abi] = true
	delete(o.values[name], abi)
	if len(o.values[name]) == 0 {
		delete(o.values, name)
	}
}

// handleRecord lets the call run and notes it. A call seen before (same
// ABI, number and deciding argument) costs a map lookup.
func (w *Watcher) handleRecord(l listener, n *notif) error {
	if w.fromRuntime(n.Pid) {
		return l.cont(n.ID)
	}
	o := w.rec
	nk := [2]uint32{n.Data.Arch, uint32(n.Data.Nr)}
	name, ok := o.names[nk]
	a, found := archForData(n.Data.Arch, uint32(n.Data.Nr))
	if !ok && found {
		// A number libseccomp has no name for can't be written in a
		// profile (the stub answers it ENOSYS on replay either way), and
		// is not kept: a container can make up numbers without end.
		if name = knownSyscallName(a, uint32(n.Data.Nr)); name != "" {
			o.names[nk] = name
		}
	}
	idx, mask, keyed := keyedArg(name)
	k := recKey{arch: n.Data.Arch, nr: n.Data.Nr}
	switch {
	case keyed && o.wideNr[nk]:
		k.any = true
	case keyed:
		k.v = n.Data.Args[idx] & mask
	}
	if err := l.cont(n.ID); err != nil {
		return err
	}
	if o.fast[k] || name == "" {
		return nil
	}
	w.mu.Lock()
	wide := o.add(a.Short(), name, keyed && !k.any, k.v)
	w.mu.Unlock()
	if wide && keyed {
		// From here every value of this call is recorded: one key for all.
		o.wideNr[nk] = true
		k = recKey{arch: n.Data.Arch, nr: n.Data.Nr, any: true}
	}
	o.fast[k] = true
	return nil
}

// RecordNote is the one line to print about a recording, or "": the
// syscalls recorded without their argument, for having made more than
// MaxRecordedValues values of it.
func (w *Watcher) RecordNote() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.rec == nil || len(w.rec.wide) == 0 {
		return ""
	}
	var parts []string
	for _, name := range sortedKeys(w.rec.wide) {
		idx, _, _ := keyedArg(name)
		parts = append(parts, fmt.Sprintf("%s (args[%d], on %s)", name, idx, strings.Join(sortABIs(w.rec.wide[name]), ",")))
	}
	them := "them"
	if len(parts) == 1 {
		them = "it"
	}
	return fmt.Sprintf("more than %d distinct values of %s: the profile allows %s with any value there",
		MaxRecordedValues, strings.Join(parts, ", "), them)
}

// Comments the recorder writes, and reads back when merging.
const (
	seenOn         = "seen on "
	runtimeComment = "runtime: what minirun and its Go runtime may call between loading the filter and execve (minirun refuses a profile without the first of them), and restart_syscall, which the kernel has any process call after a signal interrupts a sleep"
	clone3Comment  = "clone3: its flags are behind a pointer no filter can read, so it gets ENOSYS and libc falls back to clone, whose flags are checked"
)

// Profile is the recorded profile: default ERRNO (EPERM), the runtime's
// own calls, then what was seen.
func (w *Watcher) Profile(required []string) *dockerprofile.Seccomp {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rec.profile(append(slices.Clone(required), kernelDriven...))
}

// kernelDriven are calls a process makes when the kernel sends it there,
// not when its code asks: restart_syscall resumes a sleep a signal
// interrupted. Whether a recording sees one depends on timing, so every
// recorded profile allows them, and the recorder never waits on them.
var kernelDriven = []string{"restart_syscall"}

func (o *observations) profile(required []string) *dockerprofile.Seccomp {
	eperm := uint(unix.EPERM)
	p := &dockerprofile.Seccomp{LinuxSeccomp: specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: &eperm}}
	native := seccomp.NativeArch()
	abiSet := map[string]bool{native: true}
	for _, abis := range o.abis {
		for a := range abis {
			abiSet[a] = true
		}
	}
	for _, a := range sortABIs(abiSet) {
		ai, _ := bpf.Lookup(a)
		p.Architectures = append(p.Architectures, ai.Spec)
	}
	req := slices.Clone(required)
	sort.Strings(req)
	req = slices.Compact(req)
	p.Syscalls = append(p.Syscalls, &dockerprofile.Syscall{LinuxSyscall: specs.LinuxSyscall{Names: req, Action: specs.ActAllow}, Comment: runtimeComment})

	// Plain names, one rule per set of ABIs they were seen on.
	groups := map[string][]string{}
	for _, name := range sortedKeys(o.abis) {
		if _, _, keyed := keyedArg(name); keyed || name == "clone3" {
			continue
		}
		set := strings.Join(sortABIs(o.abis[name]), ",")
		groups[set] = append(groups[set], name)
	}
	sets := sortedKeys(groups)
	sort.SliceStable(sets, func(i, j int) bool { return sets[i] == native && sets[j] != native })
	for _, set := range sets {
		p.Syscalls = append(p.Syscalls, &dockerprofile.Syscall{LinuxSyscall: specs.LinuxSyscall{Names: groups[set], Action: specs.ActAllow},
			Comment: seenOn + set})
	}
	// Calls that made too many values to list, allowed with any.
	for _, name := range sortedKeys(o.wide) {
		idx, _, _ := keyedArg(name)
		set := strings.Join(sortABIs(o.wide[name]), ",")
		p.Syscalls = append(p.Syscalls, &dockerprofile.Syscall{LinuxSyscall: specs.LinuxSyscall{Names: []string{name}, Action: specs.ActAllow},
			Comment: fmt.Sprintf("%s%s: %s with more than %d distinct values of args[%d], allowed with any", seenOn, set, name, MaxRecordedValues, idx)})
	}
	// Calls allowed only with the argument values seen.
	for _, name := range sortedKeys(o.values) {
		idx, mask, _ := keyedArg(name)
		for _, abi := range sortedKeys(o.values[name]) {
			var vals []uint64
			for v := range o.values[name][abi] {
				vals = append(vals, v)
			}
			slices.Sort(vals)
			var args []specs.LinuxSeccompArg
			var shown []string
			for _, v := range vals {
				args = append(args, specs.LinuxSeccompArg{Index: idx, Value: mask, ValueTwo: v, Op: specs.OpMaskedEqual})
				shown = append(shown, keyedString(name, v))
			}
			p.Syscalls = append(p.Syscalls, &dockerprofile.Syscall{LinuxSyscall: specs.LinuxSyscall{Names: []string{name}, Action: specs.ActAllow, Args: args},
				Comment: fmt.Sprintf("%s%s: %s with %s only", seenOn, abi, name, strings.Join(shown, " or "))})
		}
	}
	if abis := o.abis["clone3"]; len(abis) > 0 {
		enosys := uint(unix.ENOSYS)
		p.Syscalls = append(p.Syscalls, &dockerprofile.Syscall{LinuxSyscall: specs.LinuxSyscall{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: &enosys},
			Comment: seenOn + strings.Join(sortABIs(abis), ",") + ": " + clone3Comment})
	}
	return p
}

// keyedString shows a recorded argument value for a comment.
func keyedString(name string, v uint64) string {
	switch name {
	case "clone", "unshare":
		ns := NamespaceFlags(v, name == "unshare")
		if len(ns) == 0 {
			return "no namespace flags"
		}
		return strings.Join(ns, "|")
	case "socket":
		return SocketFamily(v)
	case "ioctl":
		return IoctlRequest(v)
	case "prctl":
		return PrctlOption(v)
	case "personality":
		return Personality(v)
	}
	return fmt.Sprintf("%#x", v)
}

// sortABIs orders ABIs native first, then by name.
func sortABIs(set map[string]bool) []string {
	out := sortedKeys(set)
	native := seccomp.NativeArch()
	sort.SliceStable(out, func(i, j int) bool { return out[i] == native && out[j] != native })
	return out
}

// MergeRecorded adds a profile written by the recorder to this
// recording, for one profile over several runs.
func (w *Watcher) MergeRecorded(path string) error {
	body, err := inputbounds.ReadFile(path, inputbounds.ProfileBytes)
	if err != nil {
		return fmt.Errorf("merge %s: %w", path, err)
	}
	var d dockerprofile.Seccomp
	if err := json.Unmarshal(body, &d); err != nil {
		return fmt.Errorf("merge %s: %w", path, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rec.merge(&d, path)
}

func (o *observations) merge(d *dockerprofile.Seccomp, path string) error {
	for i, sc := range d.Syscalls {
		if sc == nil || strings.HasPrefix(sc.Comment, "runtime:") { // written again from this run
			continue
		}
		rest, ok := strings.CutPrefix(sc.Comment, seenOn)
		if !ok {
			return fmt.Errorf("merge %s: syscalls[%d] was not written by --seccomp-record (its comment does not say where it was seen)", path, i)
		}
		set, _, _ := strings.Cut(rest, ":")
		for _, abi := range strings.Split(set, ",") {
			if _, ok := bpf.Lookup(abi); !ok {
				return fmt.Errorf("merge %s: syscalls[%d]: unknown ABI %q", path, i, abi)
			}
			for _, name := range sc.Names {
				idx, mask, keyed := keyedArg(name)
				if !keyed {
					o.add(abi, name, false, 0)
					continue
				}
				if len(sc.Args) == 0 { // recorded for any value
					o.widen(abi, name)
					continue
				}
				for _, a := range sc.Args {
					if a.Index != idx || a.Op != specs.OpMaskedEqual || a.Value != mask {
						return fmt.Errorf("merge %s: syscalls[%d]: %s has an argument rule the recorder does not write", path, i, name)
					}
					o.add(abi, name, true, a.ValueTwo)
				}
			}
		}
	}
	return nil
}
