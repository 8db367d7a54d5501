// Package config loads a runtime-spec config.json and validates it: every
// check that can be made before anything starts, so that a bad config
// never leaves half a container behind, and every field minirun does not
// implement refused by name. The parent (container) and the init
// (container/initproc) both read the parsed values from here.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/caps"
	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/inputbounds"
	"github.com/minirun/minirun/internal/procattr"
	"github.com/minirun/minirun/namespaces"
	"github.com/minirun/minirun/rootfs"
	"github.com/minirun/minirun/seccomp"
)

// LoadBundle reads and validates bundle/config.json, as `minirun run -b`
// does.
func LoadBundle(bundle string) (*specs.Spec, error) {
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return nil, err
	}
	s, err := LoadSpec(abs)
	if err != nil {
		return nil, err
	}
	return s, Validate(s, abs)
}

// LoadSpec reads BUNDLE/config.json. JSON errors name the line and column.
func LoadSpec(bundle string) (*specs.Spec, error) {
	path := filepath.Join(bundle, "config.json")
	data, err := inputbounds.ReadFile(path, inputbounds.ConfigBytes)
	if err != nil {
		return nil, stepErr("load config", err)
	}
	return DecodeSpec(path, data)
}

// DecodeSpec is LoadSpec on bytes already read from path. The size and
// depth bounds come first: they cost one pass, decoding costs far more.
func DecodeSpec(path string, data []byte) (*specs.Spec, error) {
	if len(data) > inputbounds.ConfigBytes {
		return nil, stepErr("load config", inputbounds.Errorf("%s: %d bytes, over the limit of %s", path, len(data), inputbounds.Bytes(inputbounds.ConfigBytes)))
	}
	if err := inputbounds.CheckDepth(data, inputbounds.JSONDepth); err != nil {
		return nil, stepErrf("load config", "%s: %w", path, err)
	}
	var s specs.Spec
	// Unmarshal, not a Decoder: a Decoder stops after the first value and
	// would run a config followed by anything at all.
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, stepErrf("load config", "%s: %s", path, describeJSONError(data, err))
	}
	return &s, nil
}

// describeJSONError turns encoding/json's byte offsets into line:column.
func describeJSONError(data []byte, err error) string {
	var off int64 = -1
	var field string
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off, field = te.Offset, te.Field
	}
	if off < 0 {
		return err.Error()
	}
	line, col := 1, 1
	for _, b := range data[:min(int(off), len(data))] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	if field != "" {
		return fmt.Sprintf("line %d, column %d: field %s: %v", line, col, field, err)
	}
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

// Validate checks everything that can be checked before anything starts,
// so that a bad config never leaves half a container behind. bundle is
// where a relative root.path is resolved.
func Validate(s *specs.Spec, bundle string) error {
	if err := checkVersion(s.Version); err != nil {
		return stepErr("validate config", err)
	}
	if s.Process == nil {
		return stepErrf("validate config", "process: missing")
	}
	if len(s.Process.Args) == 0 {
		return stepErrf("validate config", "process.args: empty")
	}
	if s.Root == nil || s.Root.Path == "" {
		return stepErrf("validate config", "root.path: missing")
	}
	root := RootfsPath(s, bundle)
	fi, err := os.Stat(root)
	if err != nil {
		return stepErrf("validate config", "root.path %s: %w", root, err)
	}
	if !fi.IsDir() {
		return stepErrf("validate config", "root.path %s: not a directory", root)
	}
	if err := caps.Validate(s.Process.Capabilities); err != nil {
		return stepErr("validate config", err)
	}
	for i, m := range s.Mounts {
		if !filepath.IsAbs(m.Destination) {
			return stepErrf("validate config", "mounts[%d].destination %q: not an absolute path", i, m.Destination)
		}
	}
	for i, r := range s.Process.Rlimits {
		if !procattr.Known(r.Type) {
			return stepErrf("validate config", "process.rlimits[%d]: unknown type %q", i, r.Type)
		}
		if r.Soft > r.Hard {
			return stepErrf("validate config", "process.rlimits[%d] %s: soft limit %d above hard limit %d", i, r.Type, r.Soft, r.Hard)
		}
	}
	if err := checkMountNamespace(s); err != nil {
		return stepErr("validate config", err)
	}
	if err := procattr.Validate(s); err != nil {
		return stepErr("validate config", err)
	}
	if err := checkUnsupported(s); err != nil {
		return stepErr("validate config", err)
	}
	if err := validateIdmappedMounts(s); err != nil {
		return stepErr("validate config", err)
	}
	if s.Linux == nil {
		return nil
	}
	plan, err := namespaces.FromSpec(s.Linux.Namespaces)
	if err != nil {
		return stepErr("validate config", err)
	}
	if (s.Hostname != "" || s.Domainname != "") && !plan.Has(specs.UTSNamespace) {
		return stepErrf("validate config", "hostname: setting it needs a uts namespace")
	}
	if plan.Creates(specs.UserNamespace) && (len(s.Linux.UIDMappings) == 0 || len(s.Linux.GIDMappings) == 0) {
		return stepErrf("validate config", "linux.uidMappings/gidMappings: a new user namespace needs both")
	}
	if (len(s.Linux.UIDMappings) > 0 || len(s.Linux.GIDMappings) > 0) && !plan.Has(specs.UserNamespace) {
		return stepErrf("validate config", "linux.uidMappings/gidMappings: given without a user namespace")
	}
	if err := checkIDMappings("linux.uidMappings", s.Linux.UIDMappings); err != nil {
		return stepErr("validate config", err)
	}
	if err := checkIDMappings("linux.gidMappings", s.Linux.GIDMappings); err != nil {
		return stepErr("validate config", err)
	}
	if _, err := rootfs.PropagationFlag(s.Linux.RootfsPropagation); err != nil {
		return stepErr("validate config", err)
	}
	if err := validateSysctls(s.Linux.Sysctl, plan); err != nil {
		return stepErr("validate config", err)
	}
	if err := validateNetDevices(s.Linux.NetDevices, plan); err != nil {
		return stepErr("validate config", err)
	}
	if r := s.Linux.Resources; r != nil {
		if err := cgroups.CheckDevices(r.Devices); err != nil {
			return stepErr("validate config", err)
		}
	}
	if s.Linux.Seccomp != nil {
		if err := seccomp.Validate(s.Linux.Seccomp); err != nil {
			return stepErrf("validate config", "linux.seccomp: %w", err)
		}
	}
	return nil
}

// checkIDMappings refuses what the kernel would refuse when the maps are
// written, where only "invalid argument" would say so: an empty range, one
// that wraps past 2^32, or two that overlap on either side.
func checkIDMappings(field string, ms []specs.LinuxIDMapping) error {
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

func overlaps(a, b, na, nb uint32) bool {
	return uint64(a) < uint64(b)+uint64(nb) && uint64(b) < uint64(a)+uint64(na)
}

// checkVersion accepts runtime-spec 1.0.0 through 1.3.x.
func checkVersion(v string) error {
	major, rest, ok := strings.Cut(v, ".")
	minor, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return fmt.Errorf("ociVersion %q: not a version", v)
	}
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil || ma != 1 || mi > 3 {
		return fmt.Errorf("ociVersion %q: unsupported (minirun takes 1.0.0 through 1.3.x)", v)
	}
	return nil
}

// RootfsPath is root.path made absolute against the bundle.
func RootfsPath(s *specs.Spec, bundle string) string {
	p := s.Root.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(bundle, p)
	}
	return filepath.Clean(p)
}

// checkMountNamespace refuses mounts, masked or read-only paths and a
// read-only root when the container would share the host's mount
// namespace: every one of them would be made on the host.
func checkMountNamespace(s *specs.Spec) error {
	linux := s.Linux
	if linux == nil {
		linux = &specs.Linux{}
	}
	plan, err := namespaces.FromSpec(linux.Namespaces)
	if err != nil || plan.Has(specs.MountNamespace) {
		return err
	}
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

// LinuxOf is s.Linux, or an empty one for a config without it.
func LinuxOf(s *specs.Spec) *specs.Linux {
	if s.Linux == nil {
		return &specs.Linux{}
	}
	return s.Linux
}

var (
	stepErr  = errdefs.Step
	stepErrf = errdefs.Stepf
)
