package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/procstat"
)

// removeBusyFor is how long rmdir is retried on EBUSY. A cgroup stays busy
// for a moment after its last process exits, until the exit is fully
// accounted; a container that is really still running keeps it busy longer,
// and that is the caller's error to see.
const removeBusyFor = 2 * time.Second

// removeTree removes a cgroup directory and any child cgroups, deepest
// first. cgroupfs directories are removed with rmdir alone (their files are
// not real), so os.RemoveAll's unlinking would only add noise. A directory
// that is already gone is success, which makes Delete idempotent.
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cgroups: delete: list %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	deadline := time.Now().Add(removeBusyFor)
	delay := 200 * time.Microsecond
	for {
		err := unix.Rmdir(dir)
		switch {
		case err == nil || errors.Is(err, unix.ENOENT):
			return nil
		case errors.Is(err, unix.EBUSY) && time.Now().Before(deadline):
			// Busy with live processes is the caller's mistake (Delete
			// kills nothing): say so instead of waiting it out. A process
			// killed a moment ago is still listed while it exits; only
			// the living count.
			if procs := liveProcs(dir); procs != "" {
				return fmt.Errorf("cgroups: delete: rmdir %s: %w: still holds pids %s", dir, err, procs)
			}
			time.Sleep(delay)
			delay = min(2*delay, 100*time.Millisecond)
		default:
			return fmt.Errorf("cgroups: delete: rmdir %s: %w", dir, err)
		}
	}
}

// liveProcs returns the pids in dir's cgroup.procs that are not already
// exiting (gone, or zombies), on one line, or "".
func liveProcs(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return ""
	}
	var live []string
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil && !procstat.Exited(pid) {
			live = append(live, f)
		}
	}
	return strings.Join(live, " ")
}
