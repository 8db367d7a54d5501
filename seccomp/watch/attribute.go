package watch

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	dockerprofile "github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/internal/bpf"
)

// Source is a profile as its author wrote it, kept beside the compiled
// program so an action can be traced back to the entry that produced it:
// Docker's format with its includes and excludes, or the OCI rules of a
// bundle's config.json.
type Source struct {
	Name    string   // how the report names it: "Docker's default profile", "deny.json"
	Builtin bool     // Docker's own default
	Caps    []string // the container's bounding set, CAP_* names
	// CapAddHint: the front takes --cap-add, so a missing capability can
	// be suggested as a flag.
	CapAddHint bool

	def   specs.LinuxSeccompAction
	defNo *uint
	rules []srcRule

	condMu sync.Mutex
	conds  map[string][]specs.LinuxSeccompArg // name -> the conditions of every entry naming it
}

type srcRule struct {
	index    int
	rule     specs.LinuxSyscall // names, action, args (name folded into names)
	includes *dockerprofile.Filter
	excludes *dockerprofile.Filter
	applies  bool   // after includes/excludes, for these caps, arch and kernel
	comment  string // the entry's own comment
}

// DockerSource keeps a Docker-format profile for attribution. Which
// entries apply is decided by moby/profiles itself, one entry at a time,
// so it agrees with what was compiled.
func DockerSource(name string, d *dockerprofile.Seccomp, caps []string, builtin bool) *Source {
	src := &Source{Name: name, Builtin: builtin, Caps: seccomp.NormalizeCaps(caps), CapAddHint: true,
		def: d.DefaultAction, defNo: d.DefaultErrnoRet}
	for i, sc := range d.Syscalls {
		if sc == nil {
			continue
		}
		r := srcRule{index: i, rule: sc.LinuxSyscall, includes: sc.Includes, excludes: sc.Excludes, comment: sc.Comment}
		if sc.Name != "" {
			r.rule.Names = append(append([]string{}, r.rule.Names...), sc.Name)
		}
		r.applies = entryApplies(d, sc, src.Caps)
		src.rules = append(src.rules, r)
	}
	return src
}

// OCISource keeps the resolved rules of an OCI linux.seccomp (a bundle's
// config.json): every rule applies as written.
func OCISource(name string, s *specs.LinuxSeccomp) *Source {
	src := &Source{Name: name, def: s.DefaultAction, defNo: s.DefaultErrnoRet}
	for i, sc := range s.Syscalls {
		src.rules = append(src.rules, srcRule{index: i, rule: sc, applies: true})
	}
	return src
}

// entryApplies resolves a profile made of this one entry and sees whether
// moby/profiles keeps it.
func entryApplies(d *dockerprofile.Seccomp, sc *dockerprofile.Syscall, caps []string) bool {
	one := dockerprofile.Seccomp{LinuxSeccomp: specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Architectures: d.Architectures}, ArchMap: d.ArchMap, Syscalls: []*dockerprofile.Syscall{sc}}
	body, err := json.Marshal(&one)
	if err != nil {
		return false
	}
	s, err := dockerprofile.LoadProfile(string(body), capSpec(caps))
	return err == nil && s != nil && len(s.Syscalls) > 0
}

// capSpec builds the minimal spec moby/profiles reads, as the profile
// loader does: it dereferences Process.Capabilities unconditionally.
func capSpec(caps []string) *specs.Spec {
	return &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{
		Bounding: seccomp.NormalizeCaps(caps),
	}}}
}

// Attribution is the profile's reason for one action.
type Attribution struct {
	// Rule is the index of the entry in the profile's syscalls array (from
	// 0), or -1 for the default action, -2 for minirun's ENOSYS stub and
	// -3 for an architecture the profile does not list.
	Rule int `json:"rule"`
	// Entry is that entry as written.
	Entry json.RawMessage `json:"entry,omitempty"`
	Text  string          `json:"text"`
	Why   []string        `json:"why,omitempty"`
	// CapAdd are capabilities with which an entry of the profile would
	// allow the call.
	CapAdd []string `json:"capAdd,omitempty"`
}

const (
	RuleDefault = -1
	RuleENOSYS  = -2
	RuleBadArch = -3
)

// Attribute finds why the profile answered ret to name(args) on arch: the
// entry whose names, arguments, includes and excludes match and whose
// action is ret, or the default action. Why lists the entries that name
// the call but did not apply, and what would make them apply.
func (s *Source) Attribute(arch, name string, args [6]uint64, ret uint32) Attribution {
	a, _ := bpf.Lookup(arch)
	is32 := a.Spec == specs.ArchX86 || a.Spec == specs.ArchARM
	var at Attribution
	found := false
	for _, r := range s.rules {
		if !r.applies || !slices.Contains(r.rule.Names, name) || !argsMatch(r.rule.Args, args, is32) {
			continue
		}
		if sameAction(bpf.RetOf(r.rule.Action, r.rule.ErrnoRet), ret) {
			at = Attribution{Rule: r.index, Entry: s.entryJSON(r), Text: fmt.Sprintf("%s by rule %d %s", verb(ret), r.index, s.ruleString(r))}
			found = true
			break
		}
	}
	if !found {
		switch {
		case sameAction(bpf.RetOf(s.def, s.defNo), ret):
			at = Attribution{Rule: RuleDefault, Text: fmt.Sprintf("not in any allow rule for the container's capabilities (default action %s)", s.def)}
			if len(s.Caps) == 0 || !s.CapAddHint {
				at.Text = fmt.Sprintf("not in any allow rule (default action %s)", s.def)
			}
		case ret == seccomp.RetErrno|38:
			at = Attribution{Rule: RuleENOSYS, Text: "a number the profile names for no syscall of this ABI: minirun's stub answers ENOSYS so libc falls back, as for a kernel without the call"}
		default:
			at = Attribution{Rule: RuleBadArch, Text: fmt.Sprintf("no rule gives %s: the call's ABI (%s) may not be in the profile's architectures, where libseccomp's bad-arch action applies", seccomp.ActionString(ret), arch)}
		}
	}
	if ret&unix.SECCOMP_RET_ACTION_FULL == seccomp.RetAllow {
		return at
	}
	// Entries that would allow this very call under other conditions.
	for _, r := range s.rules {
		if !slices.Contains(r.rule.Names, name) || r.rule.Action != specs.ActAllow {
			continue
		}
		if !r.applies {
			if !argsMatch(r.rule.Args, args, is32) {
				continue
			}
			cond, caps := s.missingCondition(r)
			if cond == "" {
				continue
			}
			at.Why = append(at.Why, fmt.Sprintf("%s allows it %s (rule %d)", s.shortName(), cond, r.index))
			for _, c := range caps {
				if !slices.Contains(at.CapAdd, c) {
					at.CapAdd = append(at.CapAdd, c)
				}
			}
			continue
		}
		if !argsMatch(r.rule.Args, args, is32) {
			at.Why = append(at.Why, fmt.Sprintf("rule %d allows %s only if %s; here %s", r.index, name,
				bpf.Condition(r.rule.Args), argValues(r.rule.Args, args, name)))
		}
	}
	return at
}

// DecisionKey is what the profile's answer and the report's line for
// name(args) depend on: whether each condition of each entry naming the
// call holds (which decides the action and the reasons given), and the
// argument a suggestion allows, under its mask. Two calls with one key get
// the same line but for the first call's own values, so the report counts
// them as one kind: a container varying bits no rule looks at (unshare's
// upper 32) makes no new kinds.
func (s *Source) DecisionKey(arch, name string, args [6]uint64) string {
	a, _ := bpf.Lookup(arch)
	is32 := a.Spec == specs.ArchX86 || a.Spec == specs.ArchARM
	var sb strings.Builder
	sb.WriteString(arch)
	sb.WriteByte('/')
	sb.WriteString(name)
	if i, mask, ok := keyedArg(name); ok {
		sb.WriteByte('/')
		sb.WriteString(strconv.FormatUint(args[i]&mask, 16))
	}
	conds := s.conditions(name)
	if len(conds) == 0 {
		return sb.String()
	}
	sb.WriteByte('/')
	for _, c := range conds {
		if condMatch(c, args, is32) {
			sb.WriteByte('1')
		} else {
			sb.WriteByte('0')
		}
	}
	return sb.String()
}

// conditions are the argument conditions of every entry naming name,
// applying or not (those that don't are the report's reasons), in order.
// Cached: the report looks them up for each refused call.
func (s *Source) conditions(name string) []specs.LinuxSeccompArg {
	s.condMu.Lock()
	defer s.condMu.Unlock()
	if c, ok := s.conds[name]; ok {
		return c
	}
	var out []specs.LinuxSeccompArg
	for _, r := range s.rules {
		if slices.Contains(r.rule.Names, name) {
			out = append(out, r.rule.Args...)
		}
	}
	if s.conds == nil {
		s.conds = map[string][]specs.LinuxSeccompArg{}
	}
	// Only names of the profile are kept: any other name has no
	// conditions, and a container calling unknown numbers must not grow
	// this map.
	if len(out) > 0 {
		s.conds[name] = out
	}
	return out
}

func verb(ret uint32) string {
	switch ret & unix.SECCOMP_RET_ACTION_FULL {
	case seccomp.RetAllow, seccomp.RetLog:
		return "allowed"
	case seccomp.RetKillProcess, seccomp.RetKillThread:
		return "killed"
	}
	return "refused"
}

func sameAction(a, b uint32) bool {
	if a&unix.SECCOMP_RET_ACTION_FULL != b&unix.SECCOMP_RET_ACTION_FULL {
		return false
	}
	switch a & unix.SECCOMP_RET_ACTION_FULL {
	case seccomp.RetErrno, seccomp.RetTrace:
		return a&unix.SECCOMP_RET_DATA == b&unix.SECCOMP_RET_DATA
	}
	return true
}

// argsMatch evaluates a rule's conditions as compile does: ANDed across
// distinct argument indexes, ORed when an index repeats. On 32-bit ABIs
// only the low words are compared, as libseccomp's filter does.
func argsMatch(conds []specs.LinuxSeccompArg, args [6]uint64, is32 bool) bool {
	if len(conds) == 0 {
		return true
	}
	seen := map[uint]bool{}
	repeated := false
	for _, c := range conds {
		repeated = repeated || seen[c.Index]
		seen[c.Index] = true
	}
	for _, c := range conds {
		ok := condMatch(c, args, is32)
		if repeated && ok {
			return true
		}
		if !repeated && !ok {
			return false
		}
	}
	return !repeated
}

func condMatch(c specs.LinuxSeccompArg, args [6]uint64, is32 bool) bool {
	if c.Index > 5 {
		return false
	}
	v, want, two := args[c.Index], c.Value, c.ValueTwo
	if is32 {
		v, want, two = v&0xffffffff, want&0xffffffff, two&0xffffffff
	}
	switch c.Op {
	case specs.OpEqualTo:
		return v == want
	case specs.OpNotEqual:
		return v != want
	case specs.OpLessThan:
		return v < want
	case specs.OpLessEqual:
		return v <= want
	case specs.OpGreaterThan:
		return v > want
	case specs.OpGreaterEqual:
		return v >= want
	case specs.OpMaskedEqual:
		return v&want == two
	}
	return false
}

// argValues shows the arguments a rule tests, decoded where known.
func argValues(conds []specs.LinuxSeccompArg, args [6]uint64, name string) string {
	var idx []uint
	for _, c := range conds {
		if !slices.Contains(idx, c.Index) && c.Index <= 5 {
			idx = append(idx, c.Index)
		}
	}
	var parts []string
	for _, i := range idx {
		v := args[i]
		s := fmt.Sprintf("args[%d] = %#x", i, v)
		switch {
		case (name == "clone" && i == 0) || (name == "clone" && i == 1):
			if ns := NamespaceFlags(v, false); len(ns) > 0 {
				s += " (" + strings.Join(ns, "|") + ")"
			}
		case name == "unshare" && i == 0:
			s += " (" + UnshareFlags(v) + ")"
		case name == "socket" && i == 0:
			s += " (" + SocketFamily(v) + ")"
		case name == "personality" && i == 0:
			s += " (" + Personality(v) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// missingCondition says what an entry that did not apply needs, and the
// capabilities among that.
func (s *Source) missingCondition(r srcRule) (string, []string) {
	var parts, caps []string
	if in := r.includes; in != nil {
		var need []string
		for _, c := range in.Caps {
			if !slices.Contains(s.Caps, c) {
				need = append(need, c)
			}
		}
		if len(need) > 0 {
			parts = append(parts, "with "+strings.Join(need, " and "))
			caps = need
		}
		if in.MinKernel != nil {
			parts = append(parts, "on kernel "+in.MinKernel.String()+" or later")
		}
		if len(in.Arches) > 0 && !slices.Contains(in.Arches, nativeDockerArch()) {
			return "", nil // an entry for another machine
		}
	}
	if ex := r.excludes; ex != nil {
		var drop []string
		for _, c := range ex.Caps {
			if slices.Contains(s.Caps, c) {
				drop = append(drop, c)
			}
		}
		if len(drop) > 0 {
			parts = append(parts, "without "+strings.Join(drop, " and "))
		}
		if len(ex.Arches) > 0 && slices.Contains(ex.Arches, nativeDockerArch()) {
			return "", nil
		}
	}
	return strings.Join(parts, ", "), caps
}

// nativeDockerArch is the arch name moby/profiles matches includes and
// excludes against ("amd64", "arm64", ...).
func nativeDockerArch() string {
	switch a := bpf.Native(); a.Spec {
	case specs.ArchX86_64:
		return "amd64"
	case specs.ArchAARCH64:
		return "arm64"
	default:
		return a.Scmp
	}
}

func (s *Source) shortName() string {
	if s.Builtin {
		return "Docker's default"
	}
	return s.Name
}

func (s *Source) entryJSON(r srcRule) json.RawMessage {
	e := dockerprofile.Syscall{LinuxSyscall: r.rule, Comment: r.comment, Includes: r.includes, Excludes: r.excludes}
	b, _ := json.Marshal(e)
	return b
}

// ruleString is an entry in one line, its names cut to those that matter.
func (s *Source) ruleString(r srcRule) string {
	names := r.rule.Names
	if len(names) > 4 {
		names = append(append([]string{}, names[:4]...), fmt.Sprintf("... %d more", len(r.rule.Names)-4))
	}
	out := fmt.Sprintf("{names %s, action %s", strings.Join(names, ","), r.rule.Action)
	if r.rule.ErrnoRet != nil {
		out += fmt.Sprintf(", errnoRet %d", *r.rule.ErrnoRet)
	}
	if len(r.rule.Args) > 0 {
		out += ", if " + bpf.Condition(r.rule.Args)
	}
	if r.includes != nil && len(r.includes.Caps) > 0 {
		out += ", includes caps " + strings.Join(r.includes.Caps, ",")
	}
	if r.excludes != nil && len(r.excludes.Caps) > 0 {
		out += ", excludes caps " + strings.Join(r.excludes.Caps, ",")
	}
	return out + "}"
}

// keyedArg is the argument whose value decides the answer for the calls
// the recorder and the suggestions give argument rules.
func keyedArg(name string) (index uint, mask uint64, ok bool) {
	switch name {
	case "clone":
		return 0, cloneNSMask, true
	case "unshare":
		return 0, cloneNSMask | cloneNewTime, true
	case "socket", "personality", "prctl":
		return 0, 0xffffffff, true
	case "ioctl":
		return 1, 0xffffffff, true
	}
	return 0, 0, false
}

// Suggest is the smallest entry that allows exactly this call: its name
// and, for the calls whose arguments profiles test, the value seen.
func Suggest(name string, args [6]uint64) *dockerprofile.Syscall {
	e := &dockerprofile.Syscall{LinuxSyscall: specs.LinuxSyscall{Names: []string{name}, Action: specs.ActAllow}}
	if i, mask, ok := keyedArg(name); ok {
		v := args[i] & mask
		if name == "clone" || name == "unshare" {
			// Only the namespace flags matter to a profile; the rest of
			// clone's flags change from one libc call to the next.
			e.Args = []specs.LinuxSeccompArg{{Index: i, Value: mask, ValueTwo: v, Op: specs.OpMaskedEqual}}
		} else {
			e.Args = []specs.LinuxSeccompArg{{Index: i, Value: v, Op: specs.OpEqualTo}}
		}
	}
	return e
}

// killRules is the attribution of a kill seen only in the exit signal:
// the entries of the profile that kill or trap, one of which did.
func (s *Source) killRules() *Attribution {
	at := &Attribution{Rule: RuleDefault}
	var parts []string
	for _, r := range s.rules {
		switch r.rule.Action {
		case specs.ActKill, specs.ActKillThread, specs.ActKillProcess, specs.ActTrap:
			if r.applies {
				parts = append(parts, fmt.Sprintf("rule %d %s", r.index, s.ruleString(r)))
			}
		}
	}
	switch s.def {
	case specs.ActKill, specs.ActKillThread, specs.ActKillProcess, specs.ActTrap:
		parts = append(parts, "the default action "+string(s.def))
	}
	if len(parts) == 0 {
		at.Text = "no entry of the profile kills: the signal came from elsewhere, or from an ABI the profile does not list"
		return at
	}
	at.Text = "the profile kills or traps in " + strings.Join(parts, "; ")
	return at
}
