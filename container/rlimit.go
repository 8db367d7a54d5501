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

// setRlimits applies process.rlimits to pid from outside. The parent does it
// because once the child is in a user namespace it could no longer raise a
// limit; raising a hard limit needs CAP_SYS_RESOURCE, which root lacks on
// some hosts, so that failure names the limit and the current hard value.
func setRlimits(pid int, rls []specs.POSIXRlimit) error {
	for _, r := range rls {
		res := rlimitTypes[r.Type]
		lim := unix.Rlimit{Cur: r.Soft, Max: r.Hard}
		if err := unix.Prlimit(pid, res, &lim, nil); err != nil {
			var cur unix.Rlimit
			_ = unix.Prlimit(pid, res, nil, &cur)
			if errors.Is(err, unix.EPERM) && r.Hard > cur.Max {
				return fmt.Errorf("%s=%d:%d: raising the hard limit above %d needs CAP_SYS_RESOURCE: %w", r.Type, r.Soft, r.Hard, cur.Max, err)
			}
			return fmt.Errorf("%s=%d:%d: prlimit pid %d: %w", r.Type, r.Soft, r.Hard, pid, err)
		}
	}
	return nil
}
