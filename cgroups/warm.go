package cgroups

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3"
	"golang.org/x/sys/unix"
)

// WarmMoveLock starts, ahead of the container's cgroup move, the RCU grace
// period that move would otherwise wait for, so the two overlap with the
// rest of the start instead of adding up.
//
// Every write to a v1 cgroup.procs takes the kernel's global
// cgroup_threadgroup_rwsem for writing. That percpu rwsem, when no writer
// took it in the last grace period or so, first waits for a full RCU grace
// period (rcu_sync_enter): 10 to 15 ms on this 2-core VM, the largest step
// of a start. A writer that comes while the previous one's grace period is
// still running, or soon after it, pays nothing. So this writes the
// caller's own pid into the cgroup.procs of the v1 hierarchy it is already
// in, a migration that moves nothing, and the container's real move,
// made a few milliseconds later after the state, the reaper and the
// fork+exec of the init, finds the lock warm. Nothing changes on the host:
// no process changes cgroup and no setting is written. Errors are ignored:
// this is only a head start (a caller without the right to write there
// just waits later, as it did before). Run it in its own goroutine: it
// blocks for the grace period.
//
// Hosts where the cgroup v2 hierarchy does the placement don't need it
// once the init is cloned into its cgroup; it is a no-op there.
func WarmMoveLock() {
	if m := cgroups.Mode(); m != cgroups.Legacy && m != cgroups.Hybrid {
		return
	}
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID:CONTROLLERS:PATH; the pids hierarchy, as any v1 one would do.
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 || parts[1] != "pids" {
			continue
		}
		// A pids hierarchy mounted elsewhere leaves /sys/fs/cgroup/pids
		// free to be a plain directory, where the write below would
		// make a file rather than touch the lock.
		if t, err := statfsType(filepath.Join(v1Root, "pids")); err != nil || t != unix.CGROUP_SUPER_MAGIC {
			return
		}
		procs := filepath.Join(v1Root, "pids", parts[2], "cgroup.procs")
		pid := strconv.Itoa(os.Getpid())
		// Only where this process already is: under a cgroup namespace
		// or a bind-mounted hierarchy the path of /proc/self/cgroup may
		// name another cgroup under the mount, and writing there would
		// move this process for real.
		b, err := os.ReadFile(procs)
		if err != nil || !slices.Contains(strings.Fields(string(b)), pid) {
			return
		}
		_ = os.WriteFile(procs, []byte(pid), 0)
		return
	}
}
