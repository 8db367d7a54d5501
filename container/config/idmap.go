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

// validateIdmappedMounts checks every idmapped mount can be built.
func validateIdmappedMounts(s *specs.Spec) error {
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
