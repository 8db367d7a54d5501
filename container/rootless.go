package container

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/namespaces"
	"github.com/minirun/minirun/rootfs"
)

// Rootless: minirun run by a user without root. The container then gets
// no more than that user has:
//
//   - a user namespace of its own is required: its root is the caller (or
//     one of the caller's subordinate ids), never host root;
//   - the uid/gid maps are written by Go's SysProcAttr when they map only
//     the caller's own ids (setgroups is then denied, as the kernel
//     requires), and by newuidmap/newgidmap (Debian's uidmap package)
//     when they take ranges from /etc/subuid and /etc/subgid;
//   - no cgroup unless a delegated cgroup2 subtree is there to hold it; a
//     config that asks for resources without one is refused, one that asks
//     none runs in the caller's cgroup (device rules are moot: the devices
//     are binds of the host's, see rootfs/devices.go);
//   - no idmapped mounts: building one needs CAP_SYS_ADMIN over the
//     filesystem, which only host root has;
//   - the runtime binary is sealed in a memfd: open_tree(2), the cheap
//     read-only bind, needs CAP_SYS_ADMIN in the host's mount namespace.

// Rootless reports whether minirun runs without root.
func Rootless() bool { return os.Geteuid() != 0 }

// RootlessSpec turns s into a config an unprivileged user can run, as
// runc's `spec --rootless` does: a user namespace mapping the caller's uid
// and gid to 0, no cgroup resources, no uid=/gid= mount options (ids the
// namespace may not map), and /sys bound read-only from the host when
// there is no network namespace of the container's own (sysfs may only
// be mounted by the owner of the network namespace). keepNetwork keeps a
// network namespace the config has; without it the namespace goes, as in
// runc's.
func RootlessSpec(s *specs.Spec, uid, gid int, keepNetwork bool) {
	if s.Linux == nil {
		s.Linux = &specs.Linux{}
	}
	var ns []specs.LinuxNamespace
	for _, n := range s.Linux.Namespaces {
		if n.Type == specs.UserNamespace || (n.Type == specs.NetworkNamespace && !keepNetwork) {
			continue
		}
		ns = append(ns, n)
	}
	s.Linux.Namespaces = append(ns, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(uid), Size: 1}}
	s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: uint32(gid), Size: 1}}
	netns := false
	for _, n := range s.Linux.Namespaces {
		netns = netns || n.Type == specs.NetworkNamespace
	}
	for i := range s.Mounts {
		m := &s.Mounts[i]
		if filepath.Clean(m.Destination) == "/sys" && !netns {
			m.Type, m.Source = "none", "/sys"
			m.Options = []string{"rbind", "nosuid", "noexec", "nodev", "ro"}
		}
		var opts []string
		for _, o := range m.Options {
			if !strings.HasPrefix(o, "uid=") && !strings.HasPrefix(o, "gid=") {
				opts = append(opts, o)
			}
		}
		m.Options = opts
	}
	s.Linux.Resources = nil
}

// idMapMode is how the maps of a rootless container's user namespace get
// written.
type idMapMode int

const (
	idMapNone       idMapMode = iota // no new user namespace: no maps
	idMapPrivileged                  // by root: Go writes any map
	idMapOwn                         // only the caller's own ids: Go writes them, setgroups denied
	idMapHelper                      // subordinate ranges: newuidmap/newgidmap
)

// idMapModeOf is how the maps of s's new user namespace (newUserNS) are
// written by this process, or idMapNone when there is none: any map by
// root; by Go too for a caller mapping only its own euid and egid; by
// newuidmap and newgidmap otherwise.
func idMapModeOf(s *specs.Spec, newUserNS bool) idMapMode {
	uid, gid := os.Geteuid(), os.Getegid()
	own := func(ms []specs.LinuxIDMapping, id int) bool {
		return len(ms) == 1 && ms[0].Size == 1 && int(ms[0].HostID) == id
	}
	switch {
	case !newUserNS:
		return idMapNone
	case uid == 0:
		return idMapPrivileged
	case own(s.Linux.UIDMappings, uid) && own(s.Linux.GIDMappings, gid):
		return idMapOwn
	}
	return idMapHelper
}

// checkRootless refuses, with the reason, what an unprivileged caller
// can't have, before anything is created.
func checkRootless(s *specs.Spec, plan namespaces.Plan, maps idMapMode) error {
	if !plan.Has(specs.UserNamespace) {
		return stepErrf("rootless", "running as uid %d without a user namespace: a container needs one of its own (linux.namespaces: user, with uid/gid mappings; `minirun spec --rootless` writes such a config)", os.Geteuid())
	}
	for i, m := range s.Mounts {
		if rootfs.IsIdmapped(m) {
			return stepErrf("rootless", "mounts[%d] %s: an idmapped mount needs CAP_SYS_ADMIN over the filesystem, which only root has; run as root or drop the idmap option", i, m.Destination)
		}
	}
	if maps == idMapHelper {
		for _, h := range []string{"newuidmap", "newgidmap"} {
			if _, err := exec.LookPath(h); err != nil {
				return stepErrf("rootless", "linux.uidMappings/gidMappings map more than the caller's own uid %d and gid %d: writing them needs %s (Debian's uidmap package) and ranges in /etc/subuid and /etc/subgid: %w", os.Geteuid(), os.Getegid(), h, err)
			}
		}
	}
	return nil
}

// rootlessCgroup says whether a rootless start can have a cgroup: only in
// a cgroup2 subtree delegated to the caller. Without one, a config that
// asks for resources is refused; one that asks none (device rules aside)
// runs in the caller's own cgroup.
func rootlessCgroup(res *specs.LinuxResources, path string) (bool, error) {
	if !cgroups.Asks(res) || path == "" {
		return false, nil
	}
	// The cgroup2 directory that would hold path must be the caller's to
	// write.
	refuse := func(why string) (bool, error) {
		return false, stepErrf("cgroup", "rootless: linux.resources asks for limits, but %s; drop linux.resources (and --memory, --pids-limit, --cpus) or run as root", why)
	}
	if !rootfs.UnifiedCgroups() {
		return refuse("this host's cgroups are v1 or hybrid: their controllers belong to root and no cgroup2 subtree with them can be delegated to uid " + strconv.Itoa(os.Geteuid()))
	}
	parent := filepath.Join("/sys/fs/cgroup", filepath.Dir(filepath.Clean("/"+path)))
	var st unix.Stat_t
	if err := unix.Stat(parent, &st); err != nil {
		return refuse(fmt.Sprintf("its parent cgroup %s: %v (a delegated cgroup2 subtree, such as systemd's user@%d.service, must exist; set linux.cgroupsPath below it)", parent, err, os.Geteuid()))
	}
	if int(st.Uid) != os.Geteuid() || unix.Access(parent, unix.W_OK) != nil {
		return refuse(fmt.Sprintf("its parent cgroup %s is not delegated to uid %d (owned by uid %d); set linux.cgroupsPath below a cgroup the caller owns", parent, os.Geteuid(), st.Uid))
	}
	return true, nil
}

// userNSIDs sets how the init's user namespace gets its maps, by mode.
// As root, Go writes any map, and the init becomes the namespace's root
// at once: it keeps its host uid until it changes it, and as host root it
// would be nobody in the namespace and execve would drop every
// capability. With the caller's own ids only, Go writes them and the init
// becomes the namespace's root before its execve, so it keeps every
// capability there. Otherwise the parent runs the helpers once the init
// exists (subid.Maps.Write); the init execs before its ids are mapped, so
// it carries its capabilities across that execve as ambient ones, which
// the init clears itself when it drops privileges.
func userNSIDs(attr *syscall.SysProcAttr, s *specs.Spec, mode idMapMode) {
	uids, gids := s.Linux.UIDMappings, s.Linux.GIDMappings
	switch mode {
	case idMapNone:
		return
	case idMapPrivileged:
		attr.UidMappings, attr.GidMappings = idMaps(uids), idMaps(gids)
		attr.GidMappingsEnableSetgroups = true
		attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
		return
	case idMapOwn:
		attr.UidMappings, attr.GidMappings = idMaps(uids), idMaps(gids)
		attr.GidMappingsEnableSetgroups = false // the kernel requires "deny" from an unprivileged writer
		if uids[0].ContainerID == 0 && gids[0].ContainerID == 0 {
			attr.Credential = &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true}
			return
		}
	}
	attr.AmbientCaps = allCaps()
}

func idMaps(ms []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(ms))
	for i, m := range ms {
		out[i] = syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)}
	}
	return out
}

func allCaps() []uintptr {
	last := 40
	if b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			last = n
		}
	}
	out := make([]uintptr, last+1)
	for i := range out {
		out[i] = uintptr(i)
	}
	return out
}

// deferCgroupNS says whether the init unshares its cgroup namespace itself
// rather than getting it at clone: once it is in its cgroup, or, rootless,
// once the cgroup mount has bound the caller's own cgroup directories.
func deferCgroupNS(manageCgroup bool) bool { return manageCgroup || Rootless() }
