package cgroups

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// deviceRule is one linux.resources.devices entry with the spec's
// defaults filled in, so the v1 and v2 writers never guess.
type deviceRule struct {
	allow        bool
	typ          byte  // 'a', 'b' or 'c'
	major, minor int64 // -1 matches any
	access       string
}

// wildcard says whether r covers every device and every access: on v1
// that is the one form the kernel takes as "a".
func (r deviceRule) wildcard() bool {
	return r.typ == 'a' && r.major < 0 && r.minor < 0 && r.access == "rwm"
}

// CheckDevices validates linux.resources.devices without touching a
// cgroup, so a bad rule is refused before anything is created.
func CheckDevices(rules []specs.LinuxDeviceCgroup) error {
	_, err := parseDeviceRules(rules)
	return err
}

// IgnoredDeviceAccess describes, one line each, the letters of the rules'
// access that are not r, w or m, which the rules are applied without.
func IgnoredDeviceAccess(rules []specs.LinuxDeviceCgroup) []string {
	var out []string
	for i, r := range rules {
		if extra := strings.Map(func(c rune) rune {
			if strings.ContainsRune("rwm", c) {
				return -1
			}
			return c
		}, r.Access); extra != "" {
			out = append(out, fmt.Sprintf("linux.resources.devices[%d]: access %q: %q ignored, as runc ignores it (only r, w and m mean anything)", i, r.Access, extra))
		}
	}
	return out
}

// parseDeviceRules fills in the spec's defaults: an empty type is "a", a
// missing major or minor is any, and an empty access is "rwm" (as crun
// reads it): a bare {"allow": false} must deny everything, not nothing.
func parseDeviceRules(rules []specs.LinuxDeviceCgroup) ([]deviceRule, error) {
	out := make([]deviceRule, 0, len(rules))
	for i, r := range rules {
		d := deviceRule{allow: r.Allow, major: -1, minor: -1}
		switch r.Type {
		case "", "a":
			d.typ = 'a'
		case "b", "c":
			d.typ = r.Type[0]
		default:
			return nil, fmt.Errorf("cgroups: linux.resources.devices[%d]: type %q: want a, b or c: %w", i, r.Type, ErrInvalid)
		}
		for _, n := range []struct {
			name string
			v    *int64
			dst  *int64
		}{{"major", r.Major, &d.major}, {"minor", r.Minor, &d.minor}} {
			if n.v == nil {
				continue
			}
			if *n.v < -1 || *n.v > 1<<32-1 {
				return nil, fmt.Errorf("cgroups: linux.resources.devices[%d]: %s %d: want -1 (any) or 0..4294967295: %w", i, n.name, *n.v, ErrInvalid)
			}
			*n.dst = *n.v
		}
		access := r.Access
		if access == "" {
			access = "rwm"
		}
		// Canonical order, each letter once: "mr" and "rm" are one rule.
		// Other letters mean nothing and are left out, as runc leaves them
		// out (its update.bats denies /dev/kmsg "rwa"): config validation
		// warns about them (IgnoredDeviceAccess). A rule with none of r, w
		// and m left would grant or deny nothing it names.
		for _, c := range "rwm" {
			if strings.ContainsRune(access, c) {
				d.access += string(c)
			}
		}
		if d.access == "" {
			return nil, fmt.Errorf("cgroups: linux.resources.devices[%d]: access %q: want letters from r, w, m: %w", i, r.Access, ErrInvalid)
		}
		out = append(out, d)
	}
	return out, nil
}

// v1DeviceSettings writes the rules in spec order into devices.allow and
// devices.deny. The kernel applies each write to the current list, so a
// leading "deny all" followed by allows yields an allow list, as the spec
// means. v1 reads type "a" as "everything" whatever follows it, so an "a"
// rule narrowed to a major, minor or access is split into b and c.
func v1DeviceSettings(rules []deviceRule) []setting {
	var out []setting
	for _, r := range rules {
		file := "devices.deny"
		if r.allow {
			file = "devices.allow"
		}
		if r.wildcard() {
			out = append(out, setting{"devices", file, "a"})
			continue
		}
		types := []byte{r.typ}
		if r.typ == 'a' {
			types = []byte{'c', 'b'}
		}
		for _, t := range types {
			out = append(out, setting{"devices", file, fmt.Sprintf("%c %s:%s %s", t, devNum(r.major), devNum(r.minor), r.access)})
		}
	}
	return out
}

func devNum(n int64) string {
	if n < 0 {
		return "*"
	}
	return strconv.FormatInt(n, 10)
}

// v2DeviceRules prepares the rules for cgroup2.DeviceFilter, which denies
// whatever no rule matches. v1 starts from the parent's list instead (all
// allowed, normally), so without a wildcard rule we put an "allow all"
// first: the same config then means the same thing on both versions.
func v2DeviceRules(rules []deviceRule) []specs.LinuxDeviceCgroup {
	var out []specs.LinuxDeviceCgroup
	hasWildcard := false
	for _, r := range rules {
		if r.wildcard() {
			hasWildcard = true
		}
		major, minor := r.major, r.minor
		out = append(out, specs.LinuxDeviceCgroup{Allow: r.allow, Type: string(r.typ), Major: &major, Minor: &minor, Access: r.access})
	}
	if !hasWildcard {
		anyNum := int64(-1)
		out = append([]specs.LinuxDeviceCgroup{{Allow: true, Type: "a", Major: &anyNum, Minor: &anyNum, Access: "rwm"}}, out...)
	}
	return out
}

// setDevicesV2 attaches a BPF_CGROUP_DEVICE program built from the rules to
// dir. Programs on ancestors still run (BPF_F_ALLOW_MULTI), so a container
// never gets more than its parent allows. The attachment lives as long as
// the cgroup: nothing has to keep the program's fd.
func setDevicesV2(dir string, rules []deviceRule) error {
	if len(rules) == 0 {
		return nil
	}
	insts, license, err := cgroup2.DeviceFilter(v2DeviceRules(rules))
	if err != nil {
		return fmt.Errorf("cgroups: build device filter for %s: %w", dir, err)
	}
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("cgroups: open %s to attach the device filter: %w", dir, err)
	}
	defer unix.Close(fd)
	if _, err := cgroup2.LoadAttachCgroupDeviceFilter(insts, license, fd); err != nil {
		return fmt.Errorf("cgroups: attach device filter to %s: %w", dir, err)
	}
	return nil
}
