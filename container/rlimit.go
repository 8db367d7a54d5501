package container

import (
	"errors"
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/procattr"
)

// setRlimits raises, from outside, the hard limits of process.rlimits that
// are above pid's. The parent does it because once the child is in a user
// namespace it could never raise one; raising needs CAP_SYS_RESOURCE,
// which root lacks on some hosts, so that failure names the limit and the
// current hard value. Everything else, soft limits and lowered hard ones,
// finalRlimits sets right before execve, when it needs no privilege: the
// init is a Go program that still maps memory and starts threads, and a
// container's RLIMIT_AS of 1 GiB is less than the Go runtime reserves.
func setRlimits(pid int, rls []specs.POSIXRlimit) error {
	for _, r := range rls {
		res, _ := procattr.Rlimit(r.Type)
		var cur unix.Rlimit
		if err := unix.Prlimit(pid, res, nil, &cur); err != nil {
			return fmt.Errorf("%s: prlimit pid %d: %w", r.Type, pid, err)
		}
		if r.Hard <= cur.Max {
			continue
		}
		lim := unix.Rlimit{Cur: cur.Cur, Max: r.Hard}
		if err := unix.Prlimit(pid, res, &lim, nil); err != nil {
			if errors.Is(err, unix.EPERM) {
				return fmt.Errorf("%s=%d:%d: raising the hard limit above %d needs CAP_SYS_RESOURCE: %w", r.Type, r.Soft, r.Hard, cur.Max, err)
			}
			return fmt.Errorf("%s=%d:%d: prlimit pid %d: %w", r.Type, r.Soft, r.Hard, pid, err)
		}
	}
	return nil
}
