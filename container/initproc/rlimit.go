package initproc

import (
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/procattr"
)

// finalRlimits sets every limit but RLIMIT_NOFILE (keepRlimitNofile's) to
// what the config asks, the last thing before execve that changes the
// process (see setRlimits): lowering a hard limit, or a soft one up to
// its hard, needs no privilege.
func finalRlimits(sys system, rls []specs.POSIXRlimit) error {
	for _, r := range rls {
		if r.Type == "RLIMIT_NOFILE" {
			continue
		}
		lim := unix.Rlimit{Cur: r.Soft, Max: r.Hard}
		if err := sys.Prlimit(rlimitOf(r.Type), &lim, nil); err != nil {
			return stepErrf("rlimits", "%s=%d:%d: %w", r.Type, r.Soft, r.Hard, err)
		}
	}
	return nil
}

func rlimitOf(typ string) int {
	r, _ := procattr.Rlimit(typ)
	return r
}
