// Package caps maps capability names to values and applies the five
// capability sets of a runtime-spec process in the order the kernel needs.
package caps

import (
	"fmt"
	"sort"
	"strings"

	"github.com/moby/sys/capability"
	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/errdefs"
)

// DockerDefaults are the 14 capabilities Docker grants a container.
var DockerDefaults = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

var byName = func() map[string]capability.Cap {
	m := make(map[string]capability.Cap)
	for _, c := range capability.ListKnown() {
		m["CAP_"+strings.ToUpper(c.String())] = c
	}
	return m
}()

// Value returns the capability called name, which must be spelled as in
// runtime-spec configs: "CAP_SYS_ADMIN".
func Value(name string) (capability.Cap, error) {
	c, ok := byName[name]
	if !ok {
		return 0, unknown(name)
	}
	return c, nil
}

// unknown is a name no capability has: an invalid config or flag.
func unknown(name string) error {
	return errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("unknown capability %q", name))
}

// Normalize turns the spellings Docker users type ("sys_admin",
// "CAP_SYS_ADMIN", "Sys_Admin") into the canonical "CAP_SYS_ADMIN".
// "ALL" stays "ALL".
func Normalize(name string) (string, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if n == "ALL" {
		return n, nil
	}
	if !strings.HasPrefix(n, "CAP_") {
		n = "CAP_" + n
	}
	if _, ok := byName[n]; !ok {
		return "", unknown(name)
	}
	return n, nil
}

// All returns every capability the library knows, sorted by name.
func All() []string {
	out := make([]string, 0, len(byName))
	for n := range byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Validate checks that every name in every set is a known capability.
func Validate(c *specs.LinuxCapabilities) error {
	if c == nil {
		return nil
	}
	for _, set := range sets(c) {
		for _, n := range set.names {
			if _, err := Value(n); err != nil {
				return fmt.Errorf("process.capabilities.%s: %w", set.kind, err)
			}
		}
	}
	return nil
}

type namedSet struct {
	kind  string
	which capability.CapType
	names []string
}

func sets(c *specs.LinuxCapabilities) []namedSet {
	return []namedSet{
		{"bounding", capability.BOUNDING, c.Bounding},
		{"effective", capability.EFFECTIVE, c.Effective},
		{"permitted", capability.PERMITTED, c.Permitted},
		{"inheritable", capability.INHERITABLE, c.Inheritable},
		{"ambient", capability.AMBIENT, c.Ambient},
	}
}

func values(names []string) ([]capability.Cap, error) {
	out := make([]capability.Cap, 0, len(names))
	for _, n := range names {
		v, err := Value(n)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Available returns the capabilities in this process's bounding set, sorted
// by name: all that a container could be given. On some hosts even root
// lacks a few (CAP_SYS_RESOURCE, say), and asking for those fails capset.
func Available() []string {
	var out []string
	for _, n := range All() {
		if ok, err := capability.GetBound(byName[n]); err == nil && ok {
			out = append(out, n)
		}
	}
	return out
}

// Resolve applies Docker's --cap-drop and --cap-add to base: drops first
// ("ALL" empties the set), then adds ("ALL" adds every capability this
// host can grant, Available, never ones no container could get). The
// result is sorted, so configs built from it are stable. The Docker front
// and `seccomp explain --cap-add` resolve through it alike.
func Resolve(base, add, drop []string) ([]string, error) {
	set := map[string]bool{}
	for _, c := range base {
		set[c] = true
	}
	for _, raw := range drop {
		c, err := Normalize(raw)
		if err != nil {
			return nil, fmt.Errorf("--cap-drop: %w", err)
		}
		if c == "ALL" {
			set = map[string]bool{}
		} else {
			delete(set, c)
		}
	}
	for _, raw := range add {
		c, err := Normalize(raw)
		if err != nil {
			return nil, fmt.Errorf("--cap-add: %w", err)
		}
		if c == "ALL" {
			for _, a := range Available() {
				set[a] = true
			}
		} else {
			set[c] = true
		}
	}
	var out []string
	for _, c := range All() {
		if set[c] {
			out = append(out, c)
		}
	}
	return out, nil
}
