package container

import (
	"errors"
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var rlimitTypes = map[string]int{
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_STACK": unix.RLIMIT_STACK,
}

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
		res := rlimitTypes[r.Type]
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

// finalRlimits sets every limit but RLIMIT_NOFILE (keepRlimitNofile's) to
// what the config asks, the last thing before execve that changes the
// process (see setRlimits): lowering a hard limit, or a soft one up to
// its hard, needs no privilege.
func finalRlimits(rls []specs.POSIXRlimit) error {
	for _, r := range rls {
		if r.Type == "RLIMIT_NOFILE" {
			continue
		}
		lim := unix.Rlimit{Cur: r.Soft, Max: r.Hard}
		if err := unix.Prlimit(0, rlimitTypes[r.Type], &lim, nil); err != nil {
			return stepErrf("rlimits", "%s=%d:%d: %w", r.Type, r.Soft, r.Hard, err)
		}
	}
	return nil
}
