package container

import (
	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/minirun/minirun/caps"
	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/container/hooks"
	"github.com/minirun/minirun/internal/procattr"
	"github.com/minirun/minirun/internal/version"
	"github.com/minirun/minirun/namespaces"
	"github.com/minirun/minirun/rootfs"
	"github.com/minirun/minirun/seccomp"
)

// Features is what this runtime implements on this host, in
// runtime-spec's features form (runc features); commit names the build.
func Features(commit string) *features.Features {
	yes, no := true, false
	mode := cgroups.Mode()
	v1 := mode == "v1" || mode == "hybrid"
	// The v2 code is there for pure v2 hosts; on hybrid ones the v1
	// controllers do the work.
	v2 := true
	modes, flags := procattr.MemoryPolicyFeatures()
	actions, operators, archs, seccompFlags := seccomp.Features()
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: version.OCIVersion,
		Hooks:         hooks.Kinds,
		MountOptions:  rootfs.MountOptions(),
		Linux: &features.Linux{
			Namespaces:   namespaces.Names(),
			Capabilities: caps.All(),
			// cgroups/translate_v1.go and translate_v2.go: rdma.max on
			// either version, as every other resource runc 1.1 writes.
			Cgroup: &features.Cgroup{V1: &v1, V2: &v2, Systemd: &no, SystemdUser: &no, Rdma: &yes},
			Seccomp: &features.Seccomp{
				Enabled: &yes, Actions: actions, Operators: operators,
				Archs: archs, KnownFlags: seccompFlags, SupportedFlags: seccompFlags,
			},
			Apparmor: &features.Apparmor{Enabled: &no},
			Selinux:  &features.Selinux{Enabled: &no},
			IntelRdt: &features.IntelRdt{Enabled: &no},
			// container/idmap.go and rootfs/idmap.go.
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &yes}},
			// container/netdev.go.
			NetDevices: &features.NetDevices{Enabled: &yes},
			// container/config/procattrs.go.
			MemoryPolicy: &features.MemoryPolicy{Modes: modes, Flags: flags},
		},
		// As runc's: the library version, then the runtime's own.
		Annotations: map[string]string{
			"io.github.seccomp.libseccomp.version": seccomp.LibraryVersion(),
			"io.github.minirun.version":            version.Version,
			"io.github.minirun.commit":             commit,
		},
	}
}
