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

// ApplyHolding sets effective, permitted and inheritable as Capset will,
// but keeps held effective and permitted as well, for a step that still
// needs it (loading seccomp without no_new_privs needs CAP_SYS_ADMIN).
// Every check that depends on the process's permissions can then run with
// the container's own capabilities, and Capset later drops held.
func (s *Set) ApplyHolding(held capability.Cap) error {
	hadE, hadP := s.c.Get(capability.EFFECTIVE, held), s.c.Get(capability.PERMITTED, held)
	s.c.Set(capability.EFFECTIVE|capability.PERMITTED, held)
	err := s.c.Apply(capability.CAPS)
	if !hadE {
		s.c.Unset(capability.EFFECTIVE, held)
	}
	if !hadP {
		s.c.Unset(capability.PERMITTED, held)
	}
	if err != nil {
		return fmt.Errorf("capset (holding %s): %w", held, err)
	}
	return nil
}

// Capset sets effective, permitted and inheritable for the calling
// thread: one capset. The caller must be the thread that will execve:
// capset is per-thread. The ambient set is raised after it, one prctl per
// capability in Ambient, since the kernel only raises what is already
// permitted and inheritable.
func (s *Set) Capset() error {
	if err := s.c.Apply(capability.CAPS); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	return nil
}

// Ambient is the ambient set to raise after Capset. The kernel raises an
// ambient capability only when it is both permitted and inheritable.
// runc's own default spec lists ambient capabilities without inheritable
// ones and runc starts it, leaving those out; so does Ambient, rather
// than fail on a config runc runs.
func (s *Set) Ambient() []capability.Cap {
	var out []capability.Cap
	for _, c := range capability.ListKnown() {
		if s.c.Get(capability.AMBIENT, c) && s.c.Get(capability.PERMITTED, c) && s.c.Get(capability.INHERITABLE, c) {
			out = append(out, c)
		}
	}
	return out
}

// String shows the sets as the kernel will hold them, for --debug.
func (s *Set) String() string {
	return fmt.Sprintf("effective=[%s] bounding=[%s] ambient=[%s]",
		s.c.StringCap(capability.EFFECTIVE), s.c.StringCap(capability.BOUNDING), s.c.StringCap(capability.AMBIENT))
}
