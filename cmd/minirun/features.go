package main

import (
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/caps"
	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/container"
)

// The lists below are what minirun really implements; each names where.
var (
	// container/hooks.go runs all six kinds.
	featureHooks = []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}
	// rootfs/options.go: the flag and propagation words; anything else is
	// passed to the filesystem as data.
	featureMountOptions = []string{
		"idmap", "ridmap",
		"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "loud", "mand",
		"noatime", "nodev", "nodiratime", "noexec", "nomand", "norelatime", "nostrictatime", "nosuid",
		"private", "rbind", "relatime", "remount", "ro", "rprivate", "rshared", "rslave", "runbindable",
		"rw", "shared", "silent", "slave", "strictatime", "suid", "sync", "unbindable",
	}
	// namespaces.Table.
	featureNamespaces = []string{"user", "ipc", "uts", "network", "pid", "cgroup", "time", "mount"}
	// seccomp/validate.go and seccomp/arch.go.
	featureSeccompActions = []string{
		"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
		"SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
	}
	featureSeccompOperators = []string{
		"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
	}
	featureSeccompArchs = []string{
		"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",
		"SCMP_ARCH_RISCV64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC", "SCMP_ARCH_S390X",
		"SCMP_ARCH_S390", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPSEL64",
		"SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
	}
	featureSeccompFlags = []string{
		"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
		"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
	}
)

var featuresCommand = &cli.Command{
	Name:  "features",
	Usage: "print the runtime-spec features minirun implements, as JSON",
	Action: func(c *cli.Context) error {
		yes, no := true, false
		mode := cgroups.Mode()
		v1 := mode == "v1" || mode == "hybrid"
		// The v2 code is there for pure v2 hosts; on hybrid ones the v1
		// controllers do the work.
		v2 := true
		modes, flags := container.MemoryPolicyFeatures()
		return printJSON(features.Features{
			OCIVersionMin: "1.0.0",
			OCIVersionMax: "1.3.0",
			Hooks:         featureHooks,
			MountOptions:  featureMountOptions,
			Linux: &features.Linux{
				Namespaces:   featureNamespaces,
				Capabilities: caps.All(),
				Cgroup:       &features.Cgroup{V1: &v1, V2: &v2, Systemd: &no, SystemdUser: &no},
				Seccomp: &features.Seccomp{
					Enabled: &yes, Actions: featureSeccompActions, Operators: featureSeccompOperators,
					Archs: featureSeccompArchs, KnownFlags: featureSeccompFlags, SupportedFlags: featureSeccompFlags,
				},
				Apparmor: &features.Apparmor{Enabled: &no},
				Selinux:  &features.Selinux{Enabled: &no},
				IntelRdt: &features.IntelRdt{Enabled: &no},
				// container/idmap.go and rootfs/idmap.go.
				MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &yes}},
				// container/netdev.go.
				NetDevices: &features.NetDevices{Enabled: &yes},
				// container/procattrs.go.
				MemoryPolicy: &features.MemoryPolicy{Modes: modes, Flags: flags},
			},
		})
	},
}

func init() { commands = append(commands, featuresCommand) }
