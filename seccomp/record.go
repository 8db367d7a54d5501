package seccomp

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	dockerprofile "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/limits"
)

// observations are what a recording saw: syscall names per ABI, and for
// the calls profiles filter on an argument, the values of that argument.
type observations struct {
	abis   map[string]map[string]bool            // name -> ABIs ("x86_64", "x86", "x32")
	values map[string]map[string]map[uint64]bool // name -> ABI -> keyed-argument values

	fast  map[recKey]bool      // calls already recorded: answered without more work
	names map[[2]uint32]string // (audit arch, nr) -> name
}

type recKey struct {
	arch uint32
	nr   int32
	v    uint64
}

func newObservations() *observations {
	return &observations{abis: map[string]map[string]bool{}, values: map[string]map[string]map[uint64]bool{},
		fast: map[recKey]bool{}, names: map[[2]uint32]string{}}
}

func (o *observations) add(abi, name string, keyed bool, v uint64) {
	if o.abis[name] == nil {
		o.abis[name] = map[string]bool{}
	}
	o.abis[name][abi] = true
	if !keyed {
		return
	}
	if o.values[name] == nil {
		o.values[name] = map[string]map[uint64]bool{}
	}
	if o.values[name][abi] == nil {
		o.values[name][abi] = map[uint64]bool{}
	}
	o.values[name][abi][v] = true
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
	if !ok {
		if a, found := archForData(n.Data.Arch, uint32(n.Data.Nr)); found {
			name = syscallName(a, uint32(n.Data.Nr))
		}
		o.names[nk] = name
	}
	idx, mask, keyed := keyedArg(name)
	k := recKey{arch: n.Data.Arch, nr: n.Data.Nr}
	if keyed {
		k.v = n.Data.Args[idx] & mask
	}
	if err := l.cont(n.ID); err != nil {
		return err
	}
	if o.fast[k] || name == "" {
		return nil
	}
	o.fast[k] = true
	a, _ := archForData(n.Data.Arch, uint32(n.Data.Nr))
	w.mu.Lock()
	o.add(a.short(), name, keyed, k.v)
	w.mu.Unlock()
	return nil
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
	native := NativeArch()
	abiSet := map[string]bool{native: true}
	for _, abis := range o.abis {
		for a := range abis {
			abiSet[a] = true
		}
	}
	for _, a := range sortABIs(abiSet) {
		ai, _ := lookupArch(a)
		p.Architectures = append(p.Architectures, ai.spec)
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
	native := NativeArch()
	sort.SliceStable(out, func(i, j int) bool { return out[i] == native && out[j] != native })
	return out
}

// MergeRecorded adds a profile written by the recorder to this
// recording, for one profile over several runs.
func (w *Watcher) MergeRecorded(path string) error {
	body, err := limits.ReadFile(path, limits.ProfileBytes)
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
			if _, ok := lookupArch(abi); !ok {
				return fmt.Errorf("merge %s: syscalls[%d]: unknown ABI %q", path, i, abi)
			}
			for _, name := range sc.Names {
				idx, mask, keyed := keyedArg(name)
				if !keyed || len(sc.Args) == 0 {
					o.add(abi, name, false, 0)
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
