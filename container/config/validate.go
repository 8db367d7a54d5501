package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/caps"
	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/internal/procattr"
	"github.com/minirun/minirun/internal/trace"
	"github.com/minirun/minirun/namespaces"
	"github.com/minirun/minirun/rootfs"
	"github.com/minirun/minirun/seccomp"
)

// Validate checks everything that can be checked before anything starts,
// so that a bad config never leaves half a container behind. bundle is
// where a relative root.path is resolved. It runs checks in order and
// returns the first refusal, as a "validate config" step error of class
// errdefs.ErrInvalid.
func Validate(s *specs.Spec, bundle string) error {
	for _, c := range checks {
		if err := c.run(s, bundle); err != nil {
			return err
		}
	}
	return nil
}

// A check is one rule of Validate: a name for tests and debugging, and a
// function that refuses a config in words that name the field.
type check struct {
	name string
	fn   func(s *specs.Spec, bundle string) error
}

// checks is Validate's order, and the order matters twice over. A config
// with several faults is refused for the first one met, in words that
// scripts and tests match, so moving a check changes what users see. And
// later checks lean on earlier ones: everything after "process" reads
// s.Process without a nil test, and everything after "namespaces" can
// parse the namespace plan without meeting an error.
var checks = []check{
	{"version", checkVersion},
	{"process", checkProcess},
	{"root", checkRoot},
	{"capabilities", checkCapabilities},
	{"mount destinations", checkMountDestinations},
	{"rlimits", checkRlimits},
	{"namespaces", checkNamespaces},
	{"mount namespace", checkMountNamespace},
	{"process attributes", checkProcessAttributes},
	{"unsupported", checkUnsupported},
	{"idmapped mounts", checkIdmappedMounts},
	{"hostname", checkHostname},
	{"user namespace", checkUserNamespace},
	{"id mappings", checkIDMappings},
	{"rootfs propagation", checkRootfsPropagation},
	{"sysctl", checkSysctls},
	{"net devices", checkNetDevices},
	{"device rules", checkDeviceRules},
	{"seccomp", checkSeccomp},
}

// run is one check with its refusal made a "validate config" step error.
// The check's name goes in the chain, not the text: the words stay the
// ones users and the integration tests already read.
func (c check) run(s *specs.Spec, bundle string) error {
	if err := c.fn(s, bundle); err != nil {
		return stepErr("validate config", &checkError{check: c.name, err: err})
	}
	return nil
}

// checkError names the check that refused a config; errors.As finds it.
type checkError struct {
	check string
	err   error
}

func (e *checkError) Error() string { return e.err.Error() }
func (e *checkError) Unwrap() error { return e.err }

// checkVersion accepts runtime-spec 1.0.0 through 1.3.x.
func checkVersion(s *specs.Spec, _ string) error {
	major, rest, ok := strings.Cut(s.Version, ".")
	minor, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return fmt.Errorf("ociVersion %q: not a version", s.Version)
	}
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil || ma != 1 || mi > 3 {
		return fmt.Errorf("ociVersion %q: unsupported (minirun takes 1.0.0 through 1.3.x)", s.Version)
	}
	return nil
}

// checkProcess requires something to run.
func checkProcess(s *specs.Spec, _ string) error {
	if s.Process == nil {
		return fmt.Errorf("process: missing")
	}
	if len(s.Process.Args) == 0 {
		return fmt.Errorf("process.args: empty")
	}
	return nil
}

// checkRoot requires root.path to be a directory now, so that a typo is
// reported by name and not as a failed bind mount inside the init.
func checkRoot(s *specs.Spec, bundle string) error {
	if s.Root == nil || s.Root.Path == "" {
		return fmt.Errorf("root.path: missing")
	}
	root := RootfsPath(s, bundle)
	fi, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("root.path %s: %w", root, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("root.path %s: not a directory", root)
	}
	return nil
}

// checkCapabilities refuses a capability name the init could not apply.
func checkCapabilities(s *specs.Spec, _ string) error {
	return caps.Validate(s.Process.Capabilities)
}

// checkMountDestinations requires absolute destinations: a relative one
// would be resolved against whatever directory the init is in.
func checkMountDestinations(s *specs.Spec, _ string) error {
	for i, m := range s.Mounts {
		if !filepath.IsAbs(m.Destination) {
			return fmt.Errorf("mounts[%d].destination %q: not an absolute path", i, m.Destination)
		}
	}
	return nil
}

// checkRlimits refuses what prlimit would refuse with a bare EINVAL.
func checkRlimits(s *specs.Spec, _ string) error {
	for i, r := range s.Process.Rlimits {
		if !procattr.Known(r.Type) {
			return fmt.Errorf("process.rlimits[%d]: unknown type %q", i, r.Type)
		}
		if r.Soft > r.Hard {
			return fmt.Errorf("process.rlimits[%d] %s: soft limit %d above hard limit %d", i, r.Type, r.Soft, r.Hard)
		}
	}
	return nil
}

// checkNamespaces refuses an unknown or repeated namespace type.
func checkNamespaces(s *specs.Spec, _ string) error {
	_, err := planOf(s)
	return err
}

// checkMountNamespace refuses mounts, masked or read-only paths and a
// read-only root when the container would share the host's mount
// namespace: every one of them would be made on the host.
func checkMountNamespace(s *specs.Spec, _ string) error {
	plan, err := planOf(s)
	if err != nil || plan.Has(specs.MountNamespace) {
		return err
	}
	linux := LinuxOf(s)
	switch {
	case len(s.Mounts) > 0:
		return fmt.Errorf("mounts: %d mounts but no mount namespace: they would be made on the host", len(s.Mounts))
	case len(linux.MaskedPaths) > 0:
		return fmt.Errorf("linux.maskedPaths: no mount namespace: the host's %s would be masked", linux.MaskedPaths[0])
	case len(linux.ReadonlyPaths) > 0:
		return fmt.Errorf("linux.readonlyPaths: no mount namespace: the host's %s would become read-only", linux.ReadonlyPaths[0])
	case s.Root != nil && s.Root.Readonly:
		return fmt.Errorf("root.readonly: no mount namespace: the host's root would be remounted read-only")
	}
	return nil
}

// planOf is the namespace plan of s. Each check that needs it parses it
// again rather than share one: the parse is a pure walk over a handful of
// entries, and this way every check can be run, and tested, on its own.
func planOf(s *specs.Spec) (namespaces.Plan, error) {
	return namespaces.FromSpec(LinuxOf(s).Namespaces)
}

// checkProcessAttributes refuses a scheduler, I/O priority, CPU affinity,
// personality or memory policy the init could not set.
func checkProcessAttributes(s *specs.Spec, _ string) error {
	return procattr.Validate(s)
}

// checkHostname refuses a hostname or domain name without a UTS namespace:
// the init would set the host's.
func checkHostname(s *specs.Spec, _ string) error {
	// A config with no linux section creates no namespace: its hostname
	// would be set in the UTS namespace minirun runs in, the host's.
	plan, err := planOf(s)
	if err != nil {
		return err
	}
	if (s.Hostname != "" || s.Domainname != "") && !plan.Has(specs.UTSNamespace) {
		return fmt.Errorf("hostname: setting it needs a uts namespace")
	}
	return nil
}

// checkRootfsPropagation refuses a propagation the init could not set.
func checkRootfsPropagation(s *specs.Spec, _ string) error {
	_, err := rootfs.PropagationFlag(LinuxOf(s).RootfsPropagation)
	return err
}

// checkDeviceRules refuses a device cgroup rule before any cgroup exists,
// and warns about access letters the rules are applied without (runc
// ignores them too: update.bats denies a device "rwa").
func checkDeviceRules(s *specs.Spec, _ string) error {
	r := LinuxOf(s).Resources
	if r == nil {
		return nil
	}
	if err := cgroups.CheckDevices(r.Devices); err != nil {
		return err
	}
	for _, note := range cgroups.IgnoredDeviceAccess(r.Devices) {
		trace.Warnf("%s", note)
	}
	return nil
}

// checkSeccomp refuses a profile that could not be compiled, before the
// parent compiles it.
func checkSeccomp(s *specs.Spec, _ string) error {
	if err := seccomp.Validate(LinuxOf(s).Seccomp); err != nil {
		return fmt.Errorf("linux.seccomp: %w", err)
	}
	return nil
}
