package caps

import (
	"errors"
	"fmt"

	"github.com/moby/sys/capability"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
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

// ClearAmbient empties the ambient set, which the init may have inherited
// from whoever started minirun. It is done before seccomp is loaded, so
// that ApplyCaps, which may run after, needs no prctl unless the process
// is to have ambient capabilities.
func (s *Set) ClearAmbient() error {
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	return nil
}

// ApplyHolding sets effective, permitted and inheritable as ApplyCaps will,
// but keeps held effective and permitted as well, for a step that still
// needs it (loading seccomp without no_new_privs needs CAP_SYS_ADMIN).
// Every check that depends on the process's permissions can then run with
// the container's own capabilities, and ApplyCaps later drops held.
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

// ApplyCaps sets effective, permitted and inheritable for the calling
// thread, then raises the ambient set (which the kernel only accepts for
// capabilities already permitted and inheritable). The caller must be the
// thread that will execve: capset is per-thread. It may run under the
// container's seccomp filter, so it makes one capset, and one prctl per
// ambient capability only when there are any (ClearAmbient ran before).
func (s *Set) ApplyCaps() error {
	if err := s.c.Apply(capability.CAPS); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	for _, c := range capability.ListKnown() {
		// The kernel raises an ambient capability only when it is both
		// permitted and inheritable. runc's own default spec lists ambient
		// capabilities without inheritable ones and runc starts it, leaving
		// those out; so do we, rather than fail on a config runc runs.
		if !s.c.Get(capability.AMBIENT, c) || !s.c.Get(capability.PERMITTED, c) || !s.c.Get(capability.INHERITABLE, c) {
			continue
		}
		err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0)
		if err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("raise ambient capability %s: %w", c, err)
		}
	}
	return nil
}

// String shows the sets as the kernel will hold them, for --debug.
func (s *Set) String() string {
	return fmt.Sprintf("effective=[%s] bounding=[%s] ambient=[%s]",
		s.c.StringCap(capability.EFFECTIVE), s.c.StringCap(capability.BOUNDING), s.c.StringCap(capability.AMBIENT))
}
