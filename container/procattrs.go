package container

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/trace"
)

// The process attributes of runtime-spec 1.1 to 1.3 that the kernel keeps
// per task and passes on through fork and execve: the scheduler, the I/O
// priority, the personality, the NUMA memory policy and the CPU affinity.
// Each is parsed by the parent (validateProcAttrs) so a bad value is an
// error before anything starts, and applied by the init before the
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

func schedAttr(s *specs.Scheduler) (*unix.SchedAttr, error) {
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

func ioprioValue(p *specs.LinuxIOPriority) (int, error) {
	class, ok := ioprioClasses[p.Class]
	if !ok {
		return 0, fmt.Errorf("process.ioPriority.class %q: unknown", p.Class)
	}
	if p.Priority < 0 || p.Priority > 7 {
		return 0, fmt.Errorf("process.ioPriority.priority %d: outside 0..7", p.Priority)
	}
	return class<<13 | p.Priority, nil
}

func personalityValue(p *specs.LinuxPersonality) (uintptr, error) {
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
	set, err := cgroups.ParseList(nodes)
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

func mempolicyArgs(m *specs.LinuxMemoryPolicy) (mode int, mask []uint64, maxNode int, err error) {
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

func cpuSet(list, field string) (*unix.CPUSet, error) {
	set, err := cgroups.ParseList(list)
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

// validateProcAttrs checks every one of these attributes in s.
func validateProcAttrs(s *specs.Spec) error {
	p := s.Process
	if p.Scheduler != nil {
		if _, err := schedAttr(p.Scheduler); err != nil {
			return err
		}
	}
	if p.IOPriority != nil {
		if _, err := ioprioValue(p.IOPriority); err != nil {
			return err
		}
	}
	if a := p.ExecCPUAffinity; a != nil {
		for _, c := range []struct{ list, field string }{{a.Initial, "process.execCPUAffinity.initial"}, {a.Final, "process.execCPUAffinity.final"}} {
			if c.list == "" {
				continue
			}
			if _, err := cpuSet(c.list, c.field); err != nil {
				return err
			}
		}
	}
	if s.Linux == nil {
		return nil
	}
	if s.Linux.Personality != nil {
		if _, err := personalityValue(s.Linux.Personality); err != nil {
			return err
		}
	}
	if s.Linux.MemoryPolicy != nil {
		if _, _, _, err := mempolicyArgs(s.Linux.MemoryPolicy); err != nil {
			return err
		}
	}
	return nil
}

// applyProcAttrs sets the process's scheduler, I/O priority, memory policy
// and personality, and for exec the final CPU affinity. The parent has
// validated them, so only the kernel can refuse here.
func applyProcAttrs(s *specs.Spec, exec bool, log trace.Logger) error {
	p := s.Process
	if p.Scheduler != nil {
		a, _ := schedAttr(p.Scheduler)
		log("scheduler %s nice=%d priority=%d", p.Scheduler.Policy, p.Scheduler.Nice, p.Scheduler.Priority)
		if err := unix.SchedSetAttr(0, a, 0); err != nil {
			return stepErrf("scheduler", "sched_setattr %s: %w", p.Scheduler.Policy, err)
		}
	}
	if p.IOPriority != nil {
		v, _ := ioprioValue(p.IOPriority)
		log("ioprio %s %d", p.IOPriority.Class, p.IOPriority.Priority)
		const ioprioWhoProcess = 1
		if _, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, 0, uintptr(v)); e != 0 {
			return stepErrf("io priority", "ioprio_set %s %d: %w", p.IOPriority.Class, p.IOPriority.Priority, e)
		}
	}
	if exec && p.ExecCPUAffinity != nil && p.ExecCPUAffinity.Final != "" {
		cs, _ := cpuSet(p.ExecCPUAffinity.Final, "process.execCPUAffinity.final")
		log("cpu affinity %s", p.ExecCPUAffinity.Final)
		if err := unix.SchedSetaffinity(0, cs); err != nil {
			return stepErrf("cpu affinity", "sched_setaffinity %s: %w", p.ExecCPUAffinity.Final, err)
		}
	}
	linux := linuxOf(s)
	if m := linux.MemoryPolicy; m != nil {
		mode, mask, maxNode, _ := mempolicyArgs(m)
		var ptr unsafe.Pointer
		if len(mask) > 0 {
			ptr = unsafe.Pointer(&mask[0])
		}
		log("memory policy %s nodes=%q", m.Mode, m.Nodes)
		// maxnode counts bits, and the kernel reads one fewer than given.
		if _, _, e := unix.Syscall(unix.SYS_SET_MEMPOLICY, uintptr(mode), uintptr(ptr), uintptr(maxNode+1)); e != 0 {
			return stepErrf("memory policy", "set_mempolicy %s %q: %w", m.Mode, m.Nodes, e)
		}
	}
	if pers := linux.Personality; pers != nil {
		v, _ := personalityValue(pers)
		log("personality %s", pers.Domain)
		if _, _, e := unix.Syscall(unix.SYS_PERSONALITY, v, 0, 0); e != 0 {
			return stepErrf("personality", "personality %s: %w", pers.Domain, e)
		}
	}
	return nil
}

// setInitialAffinity is the parent's half of execCPUAffinity: the exec'd
// process runs on the initial CPUs from its first instruction in the
// container's cgroup (where the cpuset may narrow them further).
func setInitialAffinity(p *specs.Process, pid int) error {
	if p.ExecCPUAffinity == nil || p.ExecCPUAffinity.Initial == "" {
		return nil
	}
	cs, err := cpuSet(p.ExecCPUAffinity.Initial, "process.execCPUAffinity.initial")
	if err != nil {
		return err
	}
	if err := unix.SchedSetaffinity(pid, cs); err != nil {
		return fmt.Errorf("sched_setaffinity %d to %s: %w", pid, p.ExecCPUAffinity.Initial, err)
	}
	return nil
}

// MemoryPolicyFeatures lists the memoryPolicy modes and flags applyProcAttrs
// takes, for `minirun features`.
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
