package initproc

import (
	"unsafe"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/procattr"
	"github.com/minirun/minirun/internal/trace"
)

// The process attributes (config/procattrs.go), applied before the
// capability drop and the filter.

// procAttr is one per-task setting as the kernel takes it: system.SetAttr
// makes its one call, named by call. Only the fields of that call are set.
type procAttr struct {
	call    string // sched_setattr, ioprio_set, sched_setaffinity, set_mempolicy, personality
	sched   *unix.SchedAttr
	ioprio  int
	cpus    *unix.CPUSet
	mode    int      // set_mempolicy's
	mask    []uint64 // set_mempolicy's node mask
	maxNode int
	persona uintptr
}

// setAttr makes a's call.
func setAttr(a procAttr) error {
	switch a.call {
	case "sched_setattr":
		return unix.SchedSetAttr(0, a.sched, 0)
	case "ioprio_set":
		const ioprioWhoProcess = 1
		if _, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, 0, uintptr(a.ioprio)); e != 0 {
			return e
		}
	case "sched_setaffinity":
		return unix.SchedSetaffinity(0, a.cpus)
	case "set_mempolicy":
		var ptr unsafe.Pointer
		if len(a.mask) > 0 {
			ptr = unsafe.Pointer(&a.mask[0])
		}
		// maxnode counts bits, and the kernel reads one fewer than given.
		if _, _, e := unix.Syscall(unix.SYS_SET_MEMPOLICY, uintptr(a.mode), uintptr(ptr), uintptr(a.maxNode+1)); e != 0 {
			return e
		}
	case "personality":
		if _, _, e := unix.Syscall(unix.SYS_PERSONALITY, a.persona, 0, 0); e != 0 {
			return e
		}
	}
	return nil
}

// applyProcAttrs sets the process's scheduler, I/O priority, memory policy
// and personality, and for exec the final CPU affinity: five per-task
// settings with no order among them. The parent has validated them, so
// only the kernel can refuse here.
func applyProcAttrs(sys system, s *specs.Spec, exec bool, log trace.Logger) error {
	p := s.Process
	if p.Scheduler != nil {
		a, _ := procattr.SchedAttr(p.Scheduler)
		log("scheduler %s nice=%d priority=%d", p.Scheduler.Policy, p.Scheduler.Nice, p.Scheduler.Priority)
		if err := sys.SetAttr(procAttr{call: "sched_setattr", sched: a}); err != nil {
			return stepErrf("scheduler", "sched_setattr %s: %w", p.Scheduler.Policy, err)
		}
	}
	if p.IOPriority != nil {
		v, _ := procattr.IOPriority(p.IOPriority)
		log("ioprio %s %d", p.IOPriority.Class, p.IOPriority.Priority)
		if err := sys.SetAttr(procAttr{call: "ioprio_set", ioprio: v}); err != nil {
			return stepErrf("io priority", "ioprio_set %s %d: %w", p.IOPriority.Class, p.IOPriority.Priority, err)
		}
	}
	if exec && p.ExecCPUAffinity != nil && p.ExecCPUAffinity.Final != "" {
		cs, _ := procattr.CPUSet(p.ExecCPUAffinity.Final, "process.execCPUAffinity.final")
		log("cpu affinity %s", p.ExecCPUAffinity.Final)
		if err := sys.SetAttr(procAttr{call: "sched_setaffinity", cpus: cs}); err != nil {
			return stepErrf("cpu affinity", "sched_setaffinity %s: %w", p.ExecCPUAffinity.Final, err)
		}
	}
	linux := linuxOf(s)
	if m := linux.MemoryPolicy; m != nil {
		mode, mask, maxNode, _ := procattr.MemoryPolicy(m)
		log("memory policy %s nodes=%q", m.Mode, m.Nodes)
		if err := sys.SetAttr(procAttr{call: "set_mempolicy", mode: mode, mask: mask, maxNode: maxNode}); err != nil {
			return stepErrf("memory policy", "set_mempolicy %s %q: %w", m.Mode, m.Nodes, err)
		}
	}
	if pers := linux.Personality; pers != nil {
		v, _ := procattr.Personality(pers)
		log("personality %s", pers.Domain)
		if err := sys.SetAttr(procAttr{call: "personality", persona: v}); err != nil {
			return stepErrf("personality", "personality %s: %w", pers.Domain, err)
		}
	}
	return nil
}
