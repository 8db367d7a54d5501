package config

import (
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/rootfs"
)

// MountIDMaps returns the uid and gid mappings for an idmapped mount: its
// own, or the container's user namespace's when the mount names none.
func MountIDMaps(s *specs.Spec, m specs.Mount) (uids, gids []specs.LinuxIDMapping) {
	uids, gids = m.UIDMappings, m.GIDMappings
	if len(uids) == 0 && len(gids) == 0 {
		uids, gids = LinuxOf(s).UIDMappings, LinuxOf(s).GIDMappings
	}
	return uids, gids
}

// checkIdmappedMounts checks every idmapped mount can be built.
func checkIdmappedMounts(s *specs.Spec, _ string) error {
	for i, m := range s.Mounts {
		if !rootfs.IsIdmapped(m) {
			continue
		}
		if !rootfs.IsBind(m) {
			return fmt.Errorf("mounts[%d] %s: idmapping applies to bind mounts only", i, m.Destination)
		}
		uids, gids := MountIDMaps(s, m)
		if len(uids) == 0 || len(gids) == 0 {
			return fmt.Errorf("mounts[%d] %s: an idmapped mount needs uidMappings and gidMappings (its own or the container's)", i, m.Destination)
		}
		for _, ms := range [][]specs.LinuxIDMapping{uids, gids} {
			for _, x := range ms {
				if x.Size == 0 {
					return fmt.Errorf("mounts[%d] %s: an id mapping of size 0", i, m.Destination)
				}
			}
		}
	}
	return nil
}

// checkUserNamespace pairs the id maps with a user namespace: in a new
// one the init can take no id until both maps are written, and maps
// without one would have nowhere to be written.
func checkUserNamespace(s *specs.Spec, _ string) error {
	plan, err := planOf(s)
	if err != nil {
		return err
	}
	linux := LinuxOf(s)
	if plan.Creates(specs.UserNamespace) && (len(linux.UIDMappings) == 0 || len(linux.GIDMappings) == 0) {
		return fmt.Errorf("linux.uidMappings/gidMappings: a new user namespace needs both")
	}
	if (len(linux.UIDMappings) > 0 || len(linux.GIDMappings) > 0) && !plan.Has(specs.UserNamespace) {
		return fmt.Errorf("linux.uidMappings/gidMappings: given without a user namespace")
	}
	return nil
}

// checkIDMappings checks the container's uid maps, then its gid maps.
func checkIDMappings(s *specs.Spec, _ string) error {
	linux := LinuxOf(s)
	if err := checkIDRanges("linux.uidMappings", linux.UIDMappings); err != nil {
		return err
	}
	return checkIDRanges("linux.gidMappings", linux.GIDMappings)
}

// checkIDRanges refuses what the kernel would refuse when the maps are
// written, where only "invalid argument" would say so: an empty range, one
// that wraps past 2^32, or two that overlap on either side.
func checkIDRanges(field string, ms []specs.LinuxIDMapping) error {
	for i, m := range ms {
		if m.Size == 0 {
			return fmt.Errorf("%s[%d]: size 0", field, i)
		}
		if uint64(m.ContainerID)+uint64(m.Size) > 1<<32 || uint64(m.HostID)+uint64(m.Size) > 1<<32 {
			return fmt.Errorf("%s[%d]: range of %d from %d (host %d) passes 2^32", field, i, m.Size, m.ContainerID, m.HostID)
		}
		for j, o := range ms[:i] {
			if overlaps(m.ContainerID, o.ContainerID, m.Size, o.Size) {
				return fmt.Errorf("%s[%d]: container ids overlap those of %s[%d]", field, i, field, j)
			}
			if overlaps(m.HostID, o.HostID, m.Size, o.Size) {
				return fmt.Errorf("%s[%d]: host ids overlap those of %s[%d]", field, i, field, j)
			}
		}
	}
	return nil
}

// overlaps reports whether [a, a+na) and [b, b+nb) meet, in 64 bits so
// that a range ending at 2^32 does not wrap.
func overlaps(a, b, na, nb uint32) bool {
	return uint64(a) < uint64(b)+uint64(nb) && uint64(b) < uint64(a)+uint64(na)
}
