package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/seccomp"
)

// The order is what users see when a config has several faults: moving a
// check is a change of behaviour, so it is pinned here.
func TestChecksOrder(t *testing.T) {
	want := []string{
		"version", "process", "root", "capabilities", "mount destinations", "rlimits",
		"namespaces", "mount namespace", "process attributes", "unsupported", "idmapped mounts",
		"hostname", "user namespace", "id mappings", "rootfs propagation", "sysctl",
		"net devices", "device rules", "seccomp",
	}
	var got []string
	for _, c := range checks {
		got = append(got, c.name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("checks run in the order\n%q\nwant\n%q", got, want)
	}
}

// edit changes validSpec's config; bundle is where its rootfs is.
type edit func(s *specs.Spec, bundle string)

// refusal is a config one check refuses and the words it says so in, after
// "validate config: "; BUNDLE stands for the bundle directory.
type refusal struct {
	name string
	edit edit
	want string
}

// checkCases is, for one check, configs it accepts and configs it refuses.
type checkCases struct {
	accepts  map[string]edit
	refusals []refusal
}

// TestChecks runs each check on its own and inside Validate. Every config
// validSpec makes and an edit changes is accepted by the check and by
// Validate. Every refusal is refused by the check alone, and by Validate at
// that check, so the checks before it let it through, in the same words:
// a "validate config" step error of class ErrInvalid that exits 125.
func TestChecks(t *testing.T) {
	cases := allCheckCases(t)
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			cc, ok := cases[c.name]
			if !ok || len(cc.refusals) == 0 {
				t.Fatalf("no refusals for check %q", c.name)
			}
			if _, err := runEdit(t, c, nil); err != nil {
				t.Fatalf("validSpec refused: %v", err)
			}
			for name, e := range cc.accepts {
				if _, err := runEdit(t, c, e); err != nil {
					t.Errorf("%s: refused: %v", name, err)
				}
			}
			for _, r := range cc.refusals {
				checkRefusal(t, c, r)
			}
		})
	}
	for name := range cases {
		if !slices.ContainsFunc(checks, func(c check) bool { return c.name == name }) {
			t.Errorf("cases for %q, which is not a check", name)
		}
	}
}

// runEdit runs c alone, then Validate, on validSpec changed by e. Both must
// agree; it returns c's error and the bundle.
func runEdit(t *testing.T, c check, e edit) (string, error) {
	t.Helper()
	s, bundle := validSpec(t)
	if e != nil {
		e(s, bundle)
	}
	alone := c.run(s, bundle)
	whole := Validate(s, bundle)
	if alone == nil && whole != nil {
		t.Errorf("check %s accepts what Validate refuses: %v", c.name, whole)
	}
	if alone != nil && (whole == nil || whole.Error() != alone.Error()) {
		t.Errorf("check %s says %v, Validate says %v", c.name, alone, whole)
	}
	return bundle, alone
}

func checkRefusal(t *testing.T, c check, r refusal) {
	t.Helper()
	bundle, err := runEdit(t, c, r.edit)
	want := "validate config: " + strings.ReplaceAll(r.want, "BUNDLE", bundle)
	var ce *checkError
	switch {
	case err == nil:
		t.Errorf("%s: accepted, want %q", r.name, want)
	case err.Error() != want:
		t.Errorf("%s: got\n%q\nwant\n%q", r.name, err, want)
	case !errors.Is(err, errdefs.ErrInvalid) || errdefs.ExitCode(err) != errdefs.ExitRuntime:
		t.Errorf("%s: %v: not an invalid config (exit 125)", r.name, err)
	case !errors.As(err, &ce) || ce.check != c.name:
		t.Errorf("%s: %v: does not name check %q", r.name, err, c.name)
	}
}

func allCheckCases(t *testing.T) map[string]checkCases {
	return map[string]checkCases{
		"version":            versionCases(),
		"process":            processCases(),
		"root":               rootCases(t),
		"capabilities":       capabilityCases(),
		"mount destinations": mountDestinationCases(),
		"rlimits":            rlimitCases(),
		"namespaces":         namespaceCases(),
		"mount namespace":    mountNamespaceCases(),
		"process attributes": processAttributeCases(),
		"unsupported":        unsupportedCases(),
		"idmapped mounts":    idmappedMountCases(),
		"hostname":           hostnameCases(),
		"user namespace":     userNamespaceCases(),
		"id mappings":        idMappingCases(),
		"rootfs propagation": propagationCases(),
		"sysctl":             sysctlCases(),
		"net devices":        netDeviceCases(),
		"device rules":       deviceRuleCases(),
		"seccomp":            seccompCases(t),
	}
}

func versionCases() checkCases {
	cc := checkCases{accepts: map[string]edit{}}
	for _, v := range []string{"1.0.0", "1.0.2-dev", "1.1.0", "1.2.1", "1.3.0", specs.Version} {
		cc.accepts[v] = func(s *specs.Spec, _ string) { s.Version = v }
	}
	for _, v := range []string{"", "1", "1.0"} {
		cc.refusals = append(cc.refusals, refusal{"ociVersion " + v, func(s *specs.Spec, _ string) { s.Version = v },
			`ociVersion "` + v + `": not a version`})
	}
	for _, v := range []string{"0.9.0", "1.4.0", "2.0.0", "x.y.z"} {
		cc.refusals = append(cc.refusals, refusal{"ociVersion " + v, func(s *specs.Spec, _ string) { s.Version = v },
			`ociVersion "` + v + `": unsupported (minirun takes 1.0.0 through 1.3.x)`})
	}
	return cc
}

func processCases() checkCases {
	return checkCases{refusals: []refusal{
		{"no process", func(s *specs.Spec, _ string) { s.Process = nil }, "process: missing"},
		{"no args", func(s *specs.Spec, _ string) { s.Process.Args = nil }, "process.args: empty"},
		{"empty args", func(s *specs.Spec, _ string) { s.Process.Args = []string{} }, "process.args: empty"},
	}}
}

func rootCases(t *testing.T) checkCases {
	return checkCases{
		accepts: map[string]edit{
			"absolute":   func(s *specs.Spec, b string) { s.Root.Path = filepath.Join(b, "rootfs") },
			"trailing /": func(s *specs.Spec, _ string) { s.Root.Path = "rootfs/" },
		},
		refusals: []refusal{
			{"no root", func(s *specs.Spec, _ string) { s.Root = nil }, "root.path: missing"},
			{"empty path", func(s *specs.Spec, _ string) { s.Root.Path = "" }, "root.path: missing"},
			{"missing", func(s *specs.Spec, _ string) { s.Root.Path = "nope" },
				"root.path BUNDLE/nope: stat BUNDLE/nope: no such file or directory"},
			{"a file", func(s *specs.Spec, b string) {
				if err := os.WriteFile(filepath.Join(b, "file"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
				s.Root.Path = "file"
			}, "root.path BUNDLE/file: not a directory"},
		},
	}
}

func capabilityCases() checkCases {
	return checkCases{
		accepts: map[string]edit{"five sets": func(s *specs.Spec, _ string) {
			c := []string{"CAP_KILL", "CAP_CHOWN"}
			s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: c, Effective: c, Permitted: c, Inheritable: c, Ambient: c}
		}},
		refusals: []refusal{
			{"bounding", func(s *specs.Spec, _ string) {
				s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"CAP_NOPE"}}
			}, `process.capabilities.bounding: unknown capability "CAP_NOPE"`},
			{"ambient", func(s *specs.Spec, _ string) {
				s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}, Ambient: []string{"CAP_KILL", "CAP_BOGUS"}}
			}, `process.capabilities.ambient: unknown capability "CAP_BOGUS"`},
		},
	}
}

func mountDestinationCases() checkCases {
	return checkCases{
		accepts: map[string]edit{"/proc": func(s *specs.Spec, _ string) {
			s.Mounts = []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc"}}
		}},
		refusals: []refusal{
			{"relative", func(s *specs.Spec, _ string) { s.Mounts = []specs.Mount{{Destination: "proc", Type: "proc"}} },
				`mounts[0].destination "proc": not an absolute path`},
			{"empty", func(s *specs.Spec, _ string) {
				s.Mounts = []specs.Mount{{Destination: "/proc", Type: "proc"}, {Destination: "", Type: "tmpfs"}}
			}, `mounts[1].destination "": not an absolute path`},
		},
	}
}

func rlimitCases() checkCases {
	return checkCases{
		accepts: map[string]edit{"nofile": func(s *specs.Spec, _ string) {
			s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 1024}, {Type: "RLIMIT_CORE"}}
		}},
		refusals: []refusal{
			{"unknown", func(s *specs.Spec, _ string) { s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_BOGUS"}} },
				`process.rlimits[0]: unknown type "RLIMIT_BOGUS"`},
			{"soft over hard", func(s *specs.Spec, _ string) {
				s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 2, Hard: 1}}
			}, "process.rlimits[0] RLIMIT_NOFILE: soft limit 2 above hard limit 1"},
		},
	}
}

// setNamespaces sets the config's namespaces, new ones by type.
func setNamespaces(s *specs.Spec, types ...specs.LinuxNamespaceType) {
	s.Linux.Namespaces = nil
	for _, t := range types {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: t})
	}
}

func namespaceCases() checkCases {
	return checkCases{
		accepts: map[string]edit{
			"every one but user and time": func(s *specs.Spec, _ string) {
				setNamespaces(s, "pid", "network", "ipc", "uts", "mount", "cgroup")
			},
			"a joined one": func(s *specs.Spec, _ string) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "network", Path: "/proc/self/ns/net"})
			},
		},
		refusals: []refusal{
			{"unknown", func(s *specs.Spec, _ string) { setNamespaces(s, "mount", "uts", "bogus") },
				`linux.namespaces[2]: unknown namespace type "bogus"`},
			{"twice", func(s *specs.Spec, _ string) { setNamespaces(s, "mount", "uts", "mount") },
				`linux.namespaces[2]: namespace "mount" listed twice`},
		},
	}
}

func mountNamespaceCases() checkCases {
	return checkCases{
		accepts: map[string]edit{
			"none and nothing to mount": func(s *specs.Spec, _ string) { setNamespaces(s, "uts") },
			"no linux section":          func(s *specs.Spec, _ string) { s.Linux = nil },
		},
		refusals: []refusal{
			{"mounts", func(s *specs.Spec, _ string) {
				setNamespaces(s, "uts")
				s.Mounts = []specs.Mount{{Destination: "/proc", Type: "proc"}}
			}, "mounts: 1 mounts but no mount namespace: they would be made on the host"},
			{"mounts, no linux section", func(s *specs.Spec, _ string) {
				s.Linux = nil
				s.Mounts = []specs.Mount{{Destination: "/proc", Type: "proc"}, {Destination: "/dev", Type: "tmpfs"}}
			}, "mounts: 2 mounts but no mount namespace: they would be made on the host"},
			{"masked", func(s *specs.Spec, _ string) {
				setNamespaces(s, "uts")
				s.Linux.MaskedPaths = []string{"/proc/kcore", "/proc/keys"}
			}, "linux.maskedPaths: no mount namespace: the host's /proc/kcore would be masked"},
			{"read-only", func(s *specs.Spec, _ string) {
				setNamespaces(s, "uts")
				s.Linux.ReadonlyPaths = []string{"/proc/sys"}
			}, "linux.readonlyPaths: no mount namespace: the host's /proc/sys would become read-only"},
			{"read-only root", func(s *specs.Spec, _ string) {
				setNamespaces(s, "uts")
				s.Root.Readonly = true
			}, "root.readonly: no mount namespace: the host's root would be remounted read-only"},
		},
	}
}

func processAttributeCases() checkCases {
	return checkCases{
		accepts: map[string]edit{"each set": func(s *specs.Spec, _ string) {
			s.Process.Scheduler = &specs.Scheduler{Policy: specs.SchedOther}
			s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 4}
			s.Process.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0"}
			s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux}
		}},
		refusals: []refusal{
			{"scheduler", func(s *specs.Spec, _ string) { s.Process.Scheduler = &specs.Scheduler{Policy: "SCHED_BOGUS"} },
				`process.scheduler.policy "SCHED_BOGUS": unknown`},
			{"io priority", func(s *specs.Spec, _ string) {
				s.Process.IOPriority = &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 8}
			}, "process.ioPriority.priority 8: outside 0..7"},
			{"cpu affinity", func(s *specs.Spec, _ string) { s.Process.ExecCPUAffinity = &specs.CPUAffinity{Final: "x"} },
				`process.execCPUAffinity.final: list "x": bad number "x"`},
			{"personality", func(s *specs.Spec, _ string) { s.Linux.Personality = &specs.LinuxPersonality{Domain: "BSD"} },
				`linux.personality.domain "BSD": only LINUX and LINUX32`},
			{"memory policy", func(s *specs.Spec, _ string) { s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: "MPOL_BOGUS"} },
				`linux.memoryPolicy.mode "MPOL_BOGUS": unknown`},
		},
	}
}

func unsupportedCases() checkCases {
	on := true
	one := int64(1)
	oneU := uint64(1)
	res := func(s *specs.Spec) *specs.LinuxResources {
		s.Linux.Resources = &specs.LinuxResources{}
		return s.Linux.Resources
	}
	cc := checkCases{
		accepts: map[string]edit{
			"annotations": func(s *specs.Spec, _ string) { s.Annotations = map[string]string{"org.example/x": "y"} },
			// Docker sends these on every container, each meaning "not set".
			"docker's zero resources": func(s *specs.Spec, _ string) {
				var w0 uint16
				var s0 uint64
				var z int64
				off := false
				s.Linux.Resources = &specs.LinuxResources{
					BlockIO: &specs.LinuxBlockIO{Weight: &w0, LeafWeight: &w0},
					CPU:     &specs.LinuxCPU{Shares: &s0, RealtimeRuntime: &z, RealtimePeriod: &s0, Idle: &z, Burst: &s0},
					Memory:  &specs.LinuxMemory{DisableOOMKiller: &off, Kernel: &z, KernelTCP: &z, UseHierarchy: &off, CheckBeforeUpdate: &off},
					Network: &specs.LinuxNetwork{ClassID: new(uint32)},
					Pids:    &specs.LinuxPids{Limit: &z},
				}
			},
		},
		refusals: []refusal{
			{"solaris", func(s *specs.Spec, _ string) { s.Solaris = &specs.Solaris{} }, "solaris: not supported: not a Linux config"},
			{"windows", func(s *specs.Spec, _ string) { s.Windows = &specs.Windows{} }, "windows: not supported: not a Linux config"},
			{"vm", func(s *specs.Spec, _ string) { s.VM = &specs.VM{} }, "vm: not supported: minirun runs containers, not virtual machines"},
			{"zos", func(s *specs.Spec, _ string) { s.ZOS = &specs.ZOS{} }, "zos: not supported: not a Linux config"},
			{"intelRdt", func(s *specs.Spec, _ string) { s.Linux.IntelRdt = &specs.LinuxIntelRdt{} }, intelRdtWords()},
			{"time offsets", func(s *specs.Spec, _ string) {
				s.Linux.TimeOffsets = map[string]specs.LinuxTimeOffset{"monotonic": {Secs: 1}}
			}, "linux.timeOffsets: not supported: minirun does not write time namespace offsets"},
			{"use hierarchy", func(s *specs.Spec, _ string) { res(s).Memory = &specs.LinuxMemory{UseHierarchy: &on} },
				"linux.resources.memory.useHierarchy: not supported: minirun leaves memory.use_hierarchy as the host has it"},
			{"check before update", func(s *specs.Spec, _ string) { res(s).Memory = &specs.LinuxMemory{CheckBeforeUpdate: &on} },
				"linux.resources.memory.checkBeforeUpdate: not supported: not implemented"},
			{"cpu idle", func(s *specs.Spec, _ string) { res(s).CPU = &specs.LinuxCPU{Idle: &one} },
				"linux.resources.cpu.idle: not supported: not implemented"},
			{"cpu burst", func(s *specs.Spec, _ string) { res(s).CPU = &specs.LinuxCPU{Burst: &oneU} },
				"linux.resources.cpu.burst: not supported: not implemented"},
		},
	}
	addHostDependent(&cc)
	return cc
}

// addHostDependent adds the fields whose fate is the host's: refused where
// the host has the feature minirun can't drive, accepted with a warning
// where it has nothing that would use them.
func addHostDependent(cc *checkCases) {
	unified := func(s *specs.Spec, _ string) {
		s.Linux.Resources = &specs.LinuxResources{Unified: map[string]string{"memory.high": "max"}}
	}
	if cgroups.Mode() == "v2" {
		cc.accepts["unified on v2"] = unified
	} else {
		cc.refusals = append(cc.refusals, refusal{"unified on v1", unified,
			"cgroups: linux.resources.unified: invalid configuration: cannot use unified on cgroup v1: invalid cgroup configuration"})
	}
	apparmor := func(s *specs.Spec, _ string) { s.Process.ApparmorProfile = "docker-default" }
	if b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled"); err == nil && len(b) > 0 && b[0] == 'Y' {
		cc.refusals = append(cc.refusals, refusal{"apparmor", apparmor,
			"process.apparmorProfile: not supported: minirun can't load AppArmor profiles, and this host enforces AppArmor"})
	} else {
		cc.accepts["apparmor without AppArmor"] = apparmor
	}
	label := func(s *specs.Spec, _ string) { s.Process.SelinuxLabel = "system_u:system_r:container_t:s0" }
	mountLabel := func(s *specs.Spec, _ string) { s.Linux.MountLabel = "system_u:object_r:container_file_t:s0" }
	if _, err := os.Stat("/sys/fs/selinux/enforce"); err == nil {
		cc.refusals = append(cc.refusals,
			refusal{"selinux label", label, "process.selinuxLabel: not supported: minirun can't apply SELinux labels, and this host has SELinux"},
			refusal{"mount label", mountLabel, "linux.mountLabel: not supported: minirun can't apply SELinux labels, and this host has SELinux"})
	} else {
		cc.accepts["selinux label without SELinux"] = label
		cc.accepts["mount label without SELinux"] = mountLabel
	}
}

func intelRdtWords() string {
	if _, err := os.Stat("/sys/fs/resctrl/info"); err != nil {
		return "linux.intelRdt: not supported: the host has no resctrl filesystem mounted at /sys/fs/resctrl"
	}
	return "linux.intelRdt: not supported: minirun does not drive resctrl"
}

func idmappedMountCases() checkCases {
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	return checkCases{
		accepts: map[string]edit{
			"own maps": func(s *specs.Spec, _ string) {
				s.Mounts = []specs.Mount{{Destination: "/data", Type: "bind", Source: "/srv", UIDMappings: maps, GIDMappings: maps}}
			},
			"the container's maps": func(s *specs.Spec, _ string) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
				s.Linux.UIDMappings, s.Linux.GIDMappings = maps, maps
				s.Mounts = []specs.Mount{{Destination: "/data", Source: "/srv", Options: []string{"rbind", "idmap"}}}
			},
		},
		refusals: []refusal{
			{"not a bind", func(s *specs.Spec, _ string) {
				s.Mounts = []specs.Mount{{Destination: "/data", Type: "tmpfs", UIDMappings: maps, GIDMappings: maps}}
			}, "mounts[0] /data: idmapping applies to bind mounts only"},
			{"no maps", func(s *specs.Spec, _ string) {
				s.Mounts = []specs.Mount{{Destination: "/data", Type: "bind", Source: "/srv", Options: []string{"idmap"}}}
			}, "mounts[0] /data: an idmapped mount needs uidMappings and gidMappings (its own or the container's)"},
			{"only uid maps", func(s *specs.Spec, _ string) {
				s.Mounts = []specs.Mount{{Destination: "/data", Type: "bind", Source: "/srv", UIDMappings: maps}}
			}, "mounts[0] /data: an idmapped mount needs uidMappings and gidMappings (its own or the container's)"},
			{"size 0", func(s *specs.Spec, _ string) {
				empty := []specs.LinuxIDMapping{{HostID: 1000}}
				s.Mounts = []specs.Mount{{Destination: "/data", Type: "bind", Source: "/srv", UIDMappings: maps, GIDMappings: empty}}
			}, "mounts[0] /data: an id mapping of size 0"},
		},
	}
}

func hostnameCases() checkCases {
	return checkCases{
		accepts: map[string]edit{
			"with uts": func(s *specs.Spec, _ string) { s.Hostname, s.Domainname = "box", "example.org" },
		},
		refusals: []refusal{
			// It would set the hostname of the UTS namespace minirun
			// runs in: the host's.
			{"no linux section", func(s *specs.Spec, _ string) { s.Linux, s.Hostname = nil, "box" },
				"hostname: setting it needs a uts namespace"},
			{"hostname", func(s *specs.Spec, _ string) { setNamespaces(s, "mount"); s.Hostname = "box" },
				"hostname: setting it needs a uts namespace"},
			{"domain name", func(s *specs.Spec, _ string) { setNamespaces(s, "mount"); s.Domainname = "example.org" },
				"hostname: setting it needs a uts namespace"},
		},
	}
}

// inUserns gives the config a new user namespace with these maps.
func inUserns(s *specs.Spec, uids, gids []specs.LinuxIDMapping) {
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user"})
	s.Linux.UIDMappings, s.Linux.GIDMappings = uids, gids
}

func userNamespaceCases() checkCases {
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	return checkCases{
		accepts: map[string]edit{
			"new with maps": func(s *specs.Spec, _ string) { inUserns(s, maps, maps) },
			"joined without maps": func(s *specs.Spec, _ string) {
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "user", Path: "/proc/self/ns/user"})
			},
		},
		refusals: []refusal{
			{"new without maps", func(s *specs.Spec, _ string) { inUserns(s, nil, nil) },
				"linux.uidMappings/gidMappings: a new user namespace needs both"},
			{"new without gid maps", func(s *specs.Spec, _ string) { inUserns(s, maps, nil) },
				"linux.uidMappings/gidMappings: a new user namespace needs both"},
			{"maps without one", func(s *specs.Spec, _ string) { s.Linux.GIDMappings = maps },
				"linux.uidMappings/gidMappings: given without a user namespace"},
		},
	}
}

func idMappingCases() checkCases {
	m := func(c, h, n uint32) specs.LinuxIDMapping {
		return specs.LinuxIDMapping{ContainerID: c, HostID: h, Size: n}
	}
	ok := []specs.LinuxIDMapping{m(0, 100000, 65536)}
	with := func(uids, gids []specs.LinuxIDMapping) edit {
		return func(s *specs.Spec, _ string) { inUserns(s, uids, gids) }
	}
	return checkCases{
		accepts: map[string]edit{
			"two ranges":      with([]specs.LinuxIDMapping{m(0, 1000, 1), m(1, 100000, 65535)}, ok),
			"up to 2^32":      with([]specs.LinuxIDMapping{m(4294967295, 4294967295, 1)}, ok),
			"adjacent ranges": with([]specs.LinuxIDMapping{m(0, 0, 10), m(10, 10, 10)}, ok),
		},
		refusals: []refusal{
			{"size 0", with([]specs.LinuxIDMapping{m(0, 1000, 0)}, ok), "linux.uidMappings[0]: size 0"},
			{"past 2^32", with([]specs.LinuxIDMapping{m(4294967295, 0, 2)}, ok),
				"linux.uidMappings[0]: range of 2 from 4294967295 (host 0) passes 2^32"},
			{"host past 2^32", with([]specs.LinuxIDMapping{m(0, 4294967295, 2)}, ok),
				"linux.uidMappings[0]: range of 2 from 0 (host 4294967295) passes 2^32"},
			{"container overlap", with([]specs.LinuxIDMapping{m(0, 1000, 10), m(5, 5000, 10)}, ok),
				"linux.uidMappings[1]: container ids overlap those of linux.uidMappings[0]"},
			{"host overlap", with([]specs.LinuxIDMapping{m(0, 1000, 10), m(100, 1009, 10)}, ok),
				"linux.uidMappings[1]: host ids overlap those of linux.uidMappings[0]"},
			{"gid size 0", with(ok, []specs.LinuxIDMapping{m(0, 1000, 0)}), "linux.gidMappings[0]: size 0"},
		},
	}
}

func propagationCases() checkCases {
	cc := checkCases{accepts: map[string]edit{}}
	for _, p := range []string{"", "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"} {
		cc.accepts[p] = func(s *specs.Spec, _ string) { s.Linux.RootfsPropagation = p }
	}
	cc.refusals = []refusal{
		{"sideways", func(s *specs.Spec, _ string) { s.Linux.RootfsPropagation = "sideways" },
			`linux.rootfsPropagation: unknown propagation "sideways"`},
	}
	return cc
}

func sysctlCases() checkCases {
	set := func(k string, types ...specs.LinuxNamespaceType) edit {
		return func(s *specs.Spec, _ string) {
			setNamespaces(s, append([]specs.LinuxNamespaceType{"mount"}, types...)...)
			s.Linux.Sysctl = map[string]string{k: "1"}
		}
	}
	joinedNet := func(path string) edit {
		return func(s *specs.Spec, _ string) {
			s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "network", Path: path})
			s.Linux.Sysctl = map[string]string{"net.ipv4.ip_forward": "1"}
		}
	}
	notNamespaced := `linux.sysctl "kernel.core_pattern": not namespaced, so it would change the host; only ipc (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*), uts (kernel.hostname, kernel.domainname) and net.* sysctls may be set`
	return checkCases{
		accepts: map[string]edit{
			"net":     set("net.ipv4.ip_forward", "network"),
			"ipc":     set("kernel.shmmax", "ipc"),
			"mqueue":  set("fs.mqueue.msg_max", "ipc"),
			"uts":     set("kernel.domainname", "uts"),
			"several": set("kernel.msgmax", "ipc", "uts", "network"),
		},
		refusals: []refusal{
			{"climbs out", set("../../etc/x", "network"), `linux.sysctl: bad key "../../etc/x"`},
			{"slash", set("net/ipv4/ip_forward", "network"), `linux.sysctl: bad key "net/ipv4/ip_forward"`},
			{"empty", set("", "network"), `linux.sysctl: bad key ""`},
			{"leading dot", set(".net.x", "network"), `linux.sysctl: bad key ".net.x"`},
			{"trailing dot", set("net.x.", "network"), `linux.sysctl: bad key "net.x."`},
			{"not namespaced", set("kernel.core_pattern", "ipc", "uts", "network"), notNamespaced},
			{"no namespace", set("net.ipv4.ip_forward", "uts"),
				`linux.sysctl "net.ipv4.ip_forward": needs a network namespace of the container's own`},
			{"the host's", joinedNet("/proc/self/ns/net"),
				`linux.sysctl "net.ipv4.ip_forward": network namespace /proc/self/ns/net is the host's`},
			{"missing namespace file", joinedNet("/nonexistent/net"),
				`linux.sysctl "net.ipv4.ip_forward": network namespace /nonexistent/net: no such file or directory`},
		},
	}
}

func netDeviceCases() checkCases {
	devs := func(d map[string]specs.LinuxNetDevice, types ...specs.LinuxNamespaceType) edit {
		return func(s *specs.Spec, _ string) {
			setNamespaces(s, append([]specs.LinuxNamespaceType{"mount"}, types...)...)
			s.Linux.NetDevices = d
		}
	}
	lo := map[string]specs.LinuxNetDevice{"lo": {}}
	return checkCases{
		// Every network namespace has lo, so this holds for any user.
		accepts: map[string]edit{
			"lo":          devs(lo, "network"),
			"lo renamed":  devs(map[string]specs.LinuxNetDevice{"lo": {Name: "eth0"}}, "network"),
			"none, no ns": devs(map[string]specs.LinuxNetDevice{}),
		},
		refusals: []refusal{
			{"no network namespace", devs(lo), "linux.netDevices: needs a new network namespace to move the devices into"},
			{"a joined one", func(s *specs.Spec, b string) {
				devs(lo)(s, b)
				s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: "network", Path: "/proc/self/ns/net"})
			}, "linux.netDevices: needs a new network namespace to move the devices into"},
			{"bad host name", devs(map[string]specs.LinuxNetDevice{"a/b": {}}, "network"),
				`linux.netDevices["a/b"]: bad interface name "a/b"`},
			{"bad new name", devs(map[string]specs.LinuxNetDevice{"lo": {Name: ".."}}, "network"),
				`linux.netDevices["lo"]: bad interface name ".."`},
			{"name too long", devs(map[string]specs.LinuxNetDevice{"lo": {Name: "abcdefghijklmnop"}}, "network"),
				`linux.netDevices["lo"]: bad interface name "abcdefghijklmnop"`},
			{"no such interface", devs(map[string]specs.LinuxNetDevice{"mr-nosuch0": {}}, "network"),
				`linux.netDevices["mr-nosuch0"]: no such interface on the host: route ip+net: no such network interface`},
		},
	}
}

func deviceRuleCases() checkCases {
	rules := func(r ...specs.LinuxDeviceCgroup) edit {
		return func(s *specs.Spec, _ string) { s.Linux.Resources = &specs.LinuxResources{Devices: r} }
	}
	n := func(v int64) *int64 { return &v }
	return checkCases{
		accepts: map[string]edit{
			"deny all, allow null": rules(specs.LinuxDeviceCgroup{Access: "rwm"},
				specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: n(1), Minor: n(3), Access: "rw"}),
			"example": func(s *specs.Spec, _ string) { s.Linux.Resources = Example().Linux.Resources },
			// runc's update.bats: the "a" means nothing and is left out.
			"deny kmsg rwa": rules(specs.LinuxDeviceCgroup{Access: "rwm"},
				specs.LinuxDeviceCgroup{Type: "c", Major: n(1), Minor: n(11), Access: "rwa"}),
		},
		refusals: []refusal{
			{"type", rules(specs.LinuxDeviceCgroup{Type: "x"}),
				`cgroups: linux.resources.devices[0]: type "x": want a, b or c: invalid cgroup configuration`},
			{"access", rules(specs.LinuxDeviceCgroup{Allow: true}, specs.LinuxDeviceCgroup{Access: "xyz"}),
				`cgroups: linux.resources.devices[1]: access "xyz": want letters from r, w, m: invalid cgroup configuration`},
			{"major", rules(specs.LinuxDeviceCgroup{Type: "c", Major: n(-2)}),
				`cgroups: linux.resources.devices[0]: major -2: want -1 (any) or 0..4294967295: invalid cgroup configuration`},
		},
	}
}

func seccompCases(t *testing.T) checkCases {
	docker, err := seccomp.DefaultProfile(nil)
	if err != nil {
		t.Fatal(err)
	}
	profile := func(p *specs.LinuxSeccomp) edit {
		return func(s *specs.Spec, _ string) { s.Linux.Seccomp = p }
	}
	allow := specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	return checkCases{
		accepts: map[string]edit{
			"docker's default": profile(docker),
			"allow":            profile(&allow),
		},
		refusals: []refusal{
			{"no default action", profile(&specs.LinuxSeccomp{}), "linux.seccomp: defaultAction: missing"},
			{"notify by default", profile(&specs.LinuxSeccomp{DefaultAction: specs.ActNotify}),
				"linux.seccomp: defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
			{"unknown architecture", profile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{"SCMP_ARCH_PDP11"}}),
				`linux.seccomp: architectures[0]: unknown architecture "SCMP_ARCH_PDP11"`},
			{"notify without listener", profile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
				Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}}),
				"linux.seccomp: listenerPath: required when a rule uses SCMP_ACT_NOTIFY"},
			{"too many rules", profile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
				Syscalls: make([]specs.LinuxSyscall, seccomp.MaxRules+1)}),
				"linux.seccomp: syscalls: 4097 rules, over the limit of 4096"},
		},
	}
}
