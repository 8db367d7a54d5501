// Package procattr turns the per-process attributes of a runtime spec into
// what the kernel takes: the scheduler, the I/O priority, the personality,
// the NUMA memory policy, the CPU affinity and the rlimits, and the
// kernel's list format ("0-3,5") they and cpusets use. The parent parses
// them to refuse a bad value before anything starts; the init, which
// applies them, parses them again. It imports nothing of minirun's, so the
// init stays a small program.
package procattr

import (
	"fmt"
	"slices"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The process attributes of runtime-spec 1.1 to 1.3 that the kernel keeps
// per task and passes on through fork and execve: the scheduler, the I/O
// priority, the personality, the NUMA memory policy and the CPU affinity.
// Each is parsed by the parent (ValidateProcAttrs) so a bad value is an
// error before anything starts, and applied by the init (initproc) before the
// capability drop, since raising a policy or priority may need
// CAP_SYS_NICE or CAP_SYS_ADMIN, and before seccomp, so no profile has to
// allow these calls.

var schedPolicies = map[specs.LinuxSchedulerPolicy]uint32{
	specs.SchedOther: unix.SCHED_NORMAL, specs.SchedFIFO: unix.SCHED_FIFO, specs.SchedRR: unix.SCHED_RR,
	specs.SchedBatch: unix.SCHED_BATCH, specs.SchedISO: 4, specs.SchedIdle: unix.SCHED_IDLE,
	specs.SchedDeadline: unix.SCHED_DEADLINE,
}

var schedFlags = map[specs.LinuxSchedulerFlag]uint64{
	specs.SchedFlagResetOnFork: unix.SCHED_FLAG_RESET_ON_FORK, specs.SchedFlagReclaim: unix.SCHED_FLAG_RECLAIM,
	specs.SchedFlagDLOverrun: unix.SCHED_FLAG_DL_OVERRUN, specs.SchedFlagKeepPolicy: unix.SCHED_FLAG_KEEP_POLICY,
	specs.SchedFlagKeepParams: unix.SCHED_FLAG_KEEP_PARAMS, specs.SchedFlagUtilClampMin: unix.SCHED_FLAG_UTIL_CLAMP_MIN,
	specs.SchedFlagUtilClampMax: unix.SCHED_FLAG_UTIL_CLAMP_MAX,
}

var ioprioClasses = map[specs.IOPriorityClass]int{
	specs.IOPRIO_CLASS_RT: 1, specs.IOPRIO_CLASS_BE: 2, specs.IOPRIO_CLASS_IDLE: 3,
}

var personalities = map[specs.LinuxPersonalityDomain]uintptr{
	specs.PerLinux: 0x0000, specs.PerLinux32: 0x0008, // PER_LINUX, PER_LINUX32
}

var mempolicyModes = map[specs.MemoryPolicyModeType]int{
	specs.MpolDefault: 0, specs.MpolPreferred: 1, specs.MpolBind: 2, specs.MpolInterleave: 3,
	specs.MpolLocal: 4, specs.MpolPreferredMany: 5, specs.MpolWeightedInterleave: 6,
}

var mempolicyFlags = map[specs.MemoryPolicyFlagType]int{
	specs.MpolFStaticNodes: 1 << 15, specs.MpolFRelativeNodes: 1 << 14, specs.MpolFNumaBalancing: 1 << 13,
}

// SchedAttr is process.scheduler as sched_setattr takes it.
func SchedAttr(s *specs.Scheduler) (*unix.SchedAttr, error) {
	policy, ok := schedPolicies[s.Policy]
	if !ok {
		return nil, fmt.Errorf("process.scheduler.policy %q: unknown", s.Policy)
	}
	a := &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: policy, Nice: s.Nice, Priority: uint32(s.Priority),
		Runtime: s.Runtime, Deadline: s.Deadline, Period: s.Period}
	if s.Nice < -20 || s.Nice > 19 {
		return nil, fmt.Errorf("process.scheduler.nice %d: outside -20..19", s.Nice)
	}
	rt := policy == unix.SCHED_FIFO || policy == unix.SCHED_RR
	if rt && (s.Priority < 1 || s.Priority > 99) {
		return nil, fmt.Errorf("process.scheduler.priority %d: %s needs 1..99", s.Priority, s.Policy)
	}
	if !rt && s.Priority != 0 {
		return nil, fmt.Errorf("process.scheduler.priority %d: only SCHED_FIFO and SCHED_RR take a priority", s.Priority)
	}
	if policy == unix.SCHED_DEADLINE && (s.Runtime == 0 || s.Runtime > s.Deadline || (s.Period != 0 && s.Deadline > s.Period)) {
		return nil, fmt.Errorf("process.scheduler: SCHED_DEADLINE needs 0 < runtime <= deadline <= period")
	}
	for _, f := range s.Flags {
		v, ok := schedFlags[f]
		if !ok {
			return nil, fmt.Errorf("process.scheduler.flags: unknown flag %q", f)
		}
		a.Flags |= v
	}
	return a, nil
}

// IOPriority is process.ioPriority as ioprio_set takes it.
func IOPriority(p *specs.LinuxIOPriority) (int, error) {
	class, ok := ioprioClasses[p.Class]
	if !ok {
		return 0, fmt.Errorf("process.ioPriority.class %q: unknown", p.Class)
	}
	if p.Priority < 0 || p.Priority > 7 {
		return 0, fmt.Errorf("process.ioPriority.priority %d: outside 0..7", p.Priority)
	}
	return class<<13 | p.Priority, nil
}

// Personality is linux.personality as personality(2) takes it.
func Personality(p *specs.LinuxPersonality) (uintptr, error) {
	v, ok := personalities[p.Domain]
	if !ok {
		return 0, fmt.Errorf("linux.personality.domain %q: only LINUX and LINUX32", p.Domain)
	}
	if len(p.Flags) > 0 {
		// The spec defines none yet; guessing at one would be silent.
		return 0, fmt.Errorf("linux.personality.flags %v: none are defined", p.Flags)
	}
	return v, nil
}

// nodeMask turns a node list into set_mempolicy's bitmask.
func nodeMask(nodes string) ([]uint64, int, error) {
	set, err := ParseList(nodes)
	if err != nil {
		return nil, 0, err
	}
	maxNode := 0
	for n := range set {
		maxNode = max(maxNode, n+1)
	}
	mask := make([]uint64, (maxNode+63)/64)
	for n := range set {
		mask[n/64] |= 1 << (n % 64)
	}
	return mask, maxNode, nil
}

// MemoryPolicy is linux.memoryPolicy as set_mempolicy takes it.
func MemoryPolicy(m *specs.LinuxMemoryPolicy) (mode int, mask []uint64, maxNode int, err error) {
	mode, ok := mempolicyModes[m.Mode]
	if !ok {
		return 0, nil, 0, fmt.Errorf("linux.memoryPolicy.mode %q: unknown", m.Mode)
	}
	for _, f := range m.Flags {
		v, ok := mempolicyFlags[f]
		if !ok {
			return 0, nil, 0, fmt.Errorf("linux.memoryPolicy.flags: unknown flag %q", f)
		}
		mode |= v
	}
	if mask, maxNode, err = nodeMask(m.Nodes); err != nil {
		return 0, nil, 0, fmt.Errorf("linux.memoryPolicy.nodes: %w", err)
	}
	needsNodes := m.Mode != specs.MpolDefault && m.Mode != specs.MpolLocal
	if needsNodes && maxNode == 0 {
		return 0, nil, 0, fmt.Errorf("linux.memoryPolicy: %s needs nodes", m.Mode)
	}
	if !needsNodes && maxNode != 0 {
		return 0, nil, 0, fmt.Errorf("linux.memoryPolicy: %s takes no nodes", m.Mode)
	}
	return mode, mask, maxNode, nil
}

// CPUSet parses a CPU list of field (process.execCPUAffinity).
func CPUSet(list, field string) (*unix.CPUSet, error) {
	set, err := ParseList(list)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	var cs unix.CPUSet
	cpus := make([]int, 0, len(set))
	for c := range set {
		cpus = append(cpus, c)
	}
	slices.Sort(cpus)
	for _, c := range cpus {
		if c >= len(cs)*64 {
			return nil, fmt.Errorf("%s: cpu %d beyond %d", field, c, len(cs)*64)
		}
		cs.Set(c)
	}
	if cs.Count() == 0 {
		return nil, fmt.Errorf("%s %q: no cpus", field, list)
	}
	return &cs, nil
}

// Validate checks every one of these attributes in s.
func Validate(s *specs.Spec) error {
	p := s.Process
	if p.Scheduler != nil {
		if _, err := SchedAttr(p.Scheduler); err != nil {
			return err
		}
	}
	if p.IOPriority != nil {
		if _, err := IOPriority(p.IOPriority); err != nil {
			return err
		}
	}
	if a := p.ExecCPUAffinity; a != nil {
		for _, c := range []struct{ list, field string }{{a.Initial, "process.execCPUAffinity.initial"}, {a.Final, "process.execCPUAffinity.final"}} {
			if c.list == "" {
				continue
			}
			if _, err := CPUSet(c.list, c.field); err != nil {
				return err
			}
		}
	}
	if s.Linux == nil {
		return nil
	}
	if s.Linux.Personality != nil {
		if _, err := Personality(s.Linux.Personality); err != nil {
			return err
		}
	}
	if s.Linux.MemoryPolicy != nil {
		if _, _, _, err := MemoryPolicy(s.Linux.MemoryPolicy); err != nil {
			return err
		}
	}
	return nil
}

// MemoryPolicyFeatures lists the memoryPolicy modes and flags the init
// applies, for `minirun features`.
func MemoryPolicyFeatures() (modes, flags []string) {
	for m := range mempolicyModes {
		modes = append(modes, string(m))
	}
	for f := range mempolicyFlags {
		flags = append(flags, string(f))
	}
	slices.Sort(modes)
	slices.Sort(flags)
	return modes, flags
}
