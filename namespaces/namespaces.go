// Package namespaces is the ordered table of Linux namespace types minirun
// knows, and the translation of linux.namespaces into clone flags.
package namespaces

import (
	"fmt"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Kind is one namespace type.
type Kind struct {
	Type specs.LinuxNamespaceType
	Flag uintptr
	Proc string // the name under /proc/PID/ns/
}

// Table lists the kinds in the order they must be joined: user first, so
// the joiner holds capabilities in the new user namespace for the rest;
// mount last among the ones that change what paths mean.
var Table = []Kind{
	{specs.UserNamespace, unix.CLONE_NEWUSER, "user"},
	{specs.IPCNamespace, unix.CLONE_NEWIPC, "ipc"},
	{specs.UTSNamespace, unix.CLONE_NEWUTS, "uts"},
	{specs.NetworkNamespace, unix.CLONE_NEWNET, "net"},
	{specs.PIDNamespace, unix.CLONE_NEWPID, "pid"},
	{specs.CgroupNamespace, unix.CLONE_NEWCGROUP, "cgroup"},
	{specs.TimeNamespace, unix.CLONE_NEWTIME, "time"},
	{specs.MountNamespace, unix.CLONE_NEWNS, "mnt"},
}

// Lookup returns the table entry for t.
func Lookup(t specs.LinuxNamespaceType) (Kind, error) {
	for _, k := range Table {
		if k.Type == t {
			return k, nil
		}
	}
	return Kind{}, fmt.Errorf("unknown namespace type %q", t)
}

// Plan is what a config asks for: namespaces to create, and ones to join.
type Plan struct {
	New  []Kind
	Join []Join
}

// Join is an existing namespace to enter by path.
type Join struct {
	Kind
	Path string
}

// CloneFlags are the flags that create p.New. CLONE_NEWTIME shares its bit
// with clone(2)'s exit-signal field; Go's os/exec sees it and switches to
// clone3(2), which takes it.
func (p Plan) CloneFlags() uintptr {
	var f uintptr
	for _, k := range p.New {
		f |= k.Flag
	}
	return f
}

// Has reports whether the plan creates or joins t.
func (p Plan) Has(t specs.LinuxNamespaceType) bool {
	return p.Creates(t) || p.Joins(t)
}

// Creates reports whether the plan creates a new namespace of type t.
func (p Plan) Creates(t specs.LinuxNamespaceType) bool {
	for _, k := range p.New {
		if k.Type == t {
			return true
		}
	}
	return false
}

// Joins reports whether the plan enters an existing namespace of type t.
func (p Plan) Joins(t specs.LinuxNamespaceType) bool {
	for _, j := range p.Join {
		if j.Type == t {
			return true
		}
	}
	return false
}

// String lists the namespaces for --debug.
func (p Plan) String() string {
	var parts []string
	for _, k := range p.New {
		parts = append(parts, "new "+string(k.Type))
	}
	for _, j := range p.Join {
		parts = append(parts, fmt.Sprintf("join %s=%s", j.Type, j.Path))
	}
	if len(parts) == 0 {
		return "none (shares every namespace with the host)"
	}
	return strings.Join(parts, ", ")
}

// FromSpec validates linux.namespaces and orders it by Table.
func FromSpec(nss []specs.LinuxNamespace) (Plan, error) {
	seen := map[specs.LinuxNamespaceType]bool{}
	byType := map[specs.LinuxNamespaceType]specs.LinuxNamespace{}
	for i, ns := range nss {
		if _, err := Lookup(ns.Type); err != nil {
			return Plan{}, fmt.Errorf("linux.namespaces[%d]: %w", i, err)
		}
		if seen[ns.Type] {
			return Plan{}, fmt.Errorf("linux.namespaces[%d]: namespace %q listed twice", i, ns.Type)
		}
		seen[ns.Type] = true
		byType[ns.Type] = ns
	}
	var p Plan
	for _, k := range Table {
		ns, ok := byType[k.Type]
		if !ok {
			continue
		}
		if ns.Path == "" {
			p.New = append(p.New, k)
		} else {
			p.Join = append(p.Join, Join{Kind: k, Path: ns.Path})
		}
	}
	return p, nil
}

// nsGetNSType is ioctl_ns(2)'s NS_GET_NSTYPE, _IO(0xb7, 0x3): it returns
// the CLONE_NEW* flag of the namespace an fd refers to (Linux 4.11).
const nsGetNSType = 0xb703

// CheckType verifies that fd, opened from j.Path, is a namespace of j's
// type. setns(2) with a type of 0 enters whatever the fd is, so without
// this a config that names, say, a network namespace as its "mount" path
// would join that network namespace and create no mount namespace at all:
// the container would then pivot_root in the runtime's own mount
// namespace. The runtime spec makes the mismatch an error ("MUST").
func (j Join) CheckType(fd int) error {
	got, err := unix.IoctlRetInt(fd, nsGetNSType)
	if err != nil {
		return fmt.Errorf("%s namespace %s: not a namespace file (ioctl NS_GET_NSTYPE: %w)", j.Type, j.Path, err)
	}
	if uintptr(got) != j.Flag {
		name := fmt.Sprintf("%#x", got)
		for _, k := range Table {
			if k.Flag == uintptr(got) {
				name = string(k.Type)
			}
		}
		return fmt.Errorf("%s namespace %s: the file is a %s namespace", j.Type, j.Path, name)
	}
	return nil
}

// Names lists the namespace types of Table, as config.json spells them.
func Names() []string {
	out := make([]string, len(Table))
	for i, k := range Table {
		out[i] = string(k.Type)
	}
	return out
}
