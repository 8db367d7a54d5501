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

// applyProcAttrs sets the process's scheduler, I/O priority, memory policy
// and personality, and for exec the final CPU affinity. The parent has
// validated them, so only the kernel can refuse here.
func applyProcAttrs(s *specs.Spec, exec bool, log trace.Logger) error {
	p := s.Process
	if p.Scheduler != nil {
		a, _ := procattr.SchedAttr(p.Scheduler)
		log("scheduler %s nice=%d priority=%d", p.Scheduler.Policy, p.Scheduler.Nice, p.Scheduler.Priority)
		if err := unix.SchedSetAttr(0, a, 0); err != nil {
			return stepErrf("scheduler", "sched_setattr %s: %w", p.Scheduler.Policy, err)
		}
	}
	if p.IOPriority != nil {
		v, _ := procattr.IOPriority(p.IOPriority)
		log("ioprio %s %d", p.IOPriority.Class, p.IOPriority.Priority)
		const ioprioWhoProcess = 1
		if _, _, e := unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, 0, uintptr(v)); e != 0 {
			return stepErrf("io priority", "ioprio_set %s %d: %w", p.IOPriority.Class, p.IOPriority.Priority, e)
		}
	}
	if exec && p.ExecCPUAffinity != nil && p.ExecCPUAffinity.Final != "" {
		cs, _ := procattr.CPUSet(p.ExecCPUAffinity.Final, "process.execCPUAffinity.final")
		log("cpu affinity %s", p.ExecCPUAffinity.Final)
		if err := unix.SchedSetaffinity(0, cs); err != nil {
			return stepErrf("cpu affinity", "sched_setaffinity %s: %w", p.ExecCPUAffinity.Final, err)
		}
	}
	linux := linuxOf(s)
	if m := linux.MemoryPolicy; m != nil {
		mode, mask, maxNode, _ := procattr.MemoryPolicy(m)
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
		v, _ := procattr.Personality(pers)
		log("personality %s", pers.Domain)
		if _, _, e := unix.Syscall(unix.SYS_PERSONALITY, v, 0, 0); e != 0 {
			return stepErrf("personality", "personality %s: %w", pers.Domain, e)
		}
	}
	return nil
}
