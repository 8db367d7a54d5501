package caps

import (
	"fmt"

	"github.com/moby/sys/capability"
	"github.com/opencontainers/runtime-spec/specs-go"
)

// Set is a loaded, validated set of capabilities ready to apply. It is
// prepared before any privilege is dropped so that no lookup can fail half
// way through the drop.
type Set struct {
	c capability.Capabilities
}

// Prepare builds the sets from c. A nil c means no capabilities at all.
func Prepare(c *specs.LinuxCapabilities) (*Set, error) {
	if c == nil {
		c = &specs.LinuxCapabilities{}
	}
	caps, err := capability.NewPid2(0)
	if err != nil {
		return nil, fmt.Errorf("capabilities: %w", err)
	}
	caps.Clear(capability.CAPS | capability.BOUNDS | capability.AMBS)
	for _, s := range sets(c) {
		vs, err := values(s.names)
		if err != nil {
			return nil, fmt.Errorf("process.capabilities.%s: %w", s.kind, err)
		}
		caps.Set(s.which, vs...)
	}
	return &Set{c: caps}, nil
}

// DropBounding removes every capability not in the bounding set. It needs
// CAP_SETPCAP, so it comes first, while the process is still fully root.
func (s *Set) DropBounding() error {
	if err := s.c.Apply(capability.BOUNDS); err != nil {
		return fmt.Errorf("drop bounding set: %w", err)
	}
	return nil
}

// ApplyCaps sets effective, permitted and inheritable for the calling
// thread, then raises the ambient set (which the kernel only accepts for
// capabilities already permitted and inheritable). The caller must be the
// thread that will execve: capset is per-thread.
func (s *Set) ApplyCaps() error {
	if err := s.c.Apply(capability.CAPS); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	if err := s.c.Apply(capability.AMBS); err != nil {
		return fmt.Errorf("set ambient capabilities: %w", err)
	}
	return nil
}

// String shows the sets as the kernel will hold them, for --debug.
func (s *Set) String() string {
	return fmt.Sprintf("effective=[%s] bounding=[%s] ambient=[%s]",
		s.c.StringCap(capability.EFFECTIVE), s.c.StringCap(capability.BOUNDING), s.c.StringCap(capability.AMBIENT))
}
