package config

import (
	"fmt"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/internal/trace"
)

// checkUnsupported names the first field of s that minirun does not
// implement. A runtime that drops a field in silence runs a container
// other than the one asked for (a blkio limit that never applies, a
// SELinux label that never confines), so each is refused before anything
// starts. Annotations are the spec's own place for extensions and are
// never refused.
func checkUnsupported(s *specs.Spec, _ string) error {
	switch {
	case s.Solaris != nil:
		return unsupported("solaris", "not a Linux config")
	case s.Windows != nil:
		return unsupported("windows", "not a Linux config")
	case s.VM != nil:
		return unsupported("vm", "minirun runs containers, not virtual machines")
	case s.ZOS != nil:
		return unsupported("zos", "not a Linux config")
	}
	if p := s.Process; p != nil {
		if p.SelinuxLabel != "" {
			if err := selinuxLabel("process.selinuxLabel", p.SelinuxLabel); err != nil {
				return err
			}
		}
		if p.ApparmorProfile != "" {
			if apparmorEnabled() {
				return unsupported("process.apparmorProfile", "minirun can't load AppArmor profiles, and this host enforces AppArmor")
			}
			// As runc: a host without AppArmor confines nothing either way.
			trace.Warnf("process.apparmorProfile %q ignored: this host has no AppArmor", p.ApparmorProfile)
		}
	}
	l := s.Linux
	if l == nil {
		return nil
	}
	switch {
	case l.MountLabel != "":
		if err := selinuxLabel("linux.mountLabel", l.MountLabel); err != nil {
			return err
		}
	}
	switch {
	case l.IntelRdt != nil:
		if _, err := os.Stat("/sys/fs/resctrl/info"); err != nil {
			return unsupported("linux.intelRdt", "the host has no resctrl filesystem mounted at /sys/fs/resctrl")
		}
		return unsupported("linux.intelRdt", "minirun does not drive resctrl")
	case len(l.TimeOffsets) > 0:
		return unsupported("linux.timeOffsets", "minirun does not write time namespace offsets")
	}
	if r := l.Resources; r != nil {
		if err := unsupportedResources(r); err != nil {
			return err
		}
	}
	return nil
}

// unsupportedResources refuses what minirun can't apply. Everything runc
// 1.1 applies is the cgroups package's to write (or, for kernel memory, to
// warn about as runc does). A zero or empty value is "not set", as in runc:
// Docker sends blockIO.weight 0, cpu.shares 0 and
// memory.disableOOMKiller false on every container, meaning none.
func unsupportedResources(r *specs.LinuxResources) error {
	if m := r.Memory; m != nil {
		switch {
		case m.UseHierarchy != nil && *m.UseHierarchy:
			return unsupported("linux.resources.memory.useHierarchy", "minirun leaves memory.use_hierarchy as the host has it")
		case m.CheckBeforeUpdate != nil && *m.CheckBeforeUpdate:
			return unsupported("linux.resources.memory.checkBeforeUpdate", "not implemented")
		}
	}
	if err := cgroups.CheckUnified(r); err != nil {
		return err
	}
	if c := r.CPU; c != nil {
		switch {
		case c.Idle != nil && *c.Idle != 0:
			return unsupported("linux.resources.cpu.idle", "not implemented")
		case c.Burst != nil && *c.Burst != 0:
			return unsupported("linux.resources.cpu.burst", "not implemented")
		}
	}
	return nil
}

func unsupported(field, why string) error {
	return fmt.Errorf("%s: not supported: %s", field, why)
}

func apparmorEnabled() bool {
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && len(b) > 0 && b[0] == 'Y'
}

// selinuxLabel refuses a label on a host that enforces SELinux, which
// minirun can't apply; on a host without SELinux no label means anything,
// and, as runc and crun do, the container runs, with a warning.
func selinuxLabel(field, label string) error {
	if _, err := os.Stat("/sys/fs/selinux/enforce"); err == nil {
		return unsupported(field, "minirun can't apply SELinux labels, and this host has SELinux")
	}
	trace.Warnf("%s %q ignored: this host has no SELinux", field, label)
	return nil
}
