package docker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/atomicfile"
)

// Who writes a record: the command that makes the container writes it
// whole; then its monitor writes State, and stop, kill and rm set
// StoppedByUser or "removing". Each read-modify-write holds an flock on
// the container's directory, so no writer undoes another's field.
//
// Whether a monitor is alive is a second flock, on monitor.lock, that
// the monitor (or a foreground run, its own monitor) holds for its whole
// life: the kernel drops it however the monitor ends, SIGKILL included,
// and a pid can't be mistaken for another process's.

const monitorLockFile = "monitor.lock"

// StatusRemoving (the others are in live.go)
const (
	// StatusRemoving is set by rm -f before it kills the container, so
	// the monitor that sees its container die writes nothing more.
	StatusRemoving = "removing"
)

// ExitMonitorLost is the exit code a record gets when its monitor ended
// (SIGKILL, a crash) before it wrote the container's exit: the code was
// lost with it. It is 255, the code Docker gives a container whose exit
// it never saw (after a host reboot, say); State.Error says why.
const ExitMonitorLost = 255

// LoadRecord reads the record in dir.
func LoadRecord(dir string) (*Record, error) {
	var r Record
	if err := atomicfile.ReadJSON(filepath.Join(dir, recordFile), &r); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errdefs.New(errdefs.ErrNotFound, "no such container: "+filepath.Base(dir))
		}
		return nil, fmt.Errorf("read container record: %w", err)
	}
	return &r, nil
}

// UpdateRecord changes the record in dir under its lock: fn gets it as
// it is now and its changes are saved, unless fn fails. A record that is
// gone (rm) is ErrNotFound, and nothing is written.
func UpdateRecord(dir string, fn func(*Record) error) (*Record, error) {
	d, err := os.Open(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errdefs.New(errdefs.ErrNotFound, "no such container: "+filepath.Base(dir))
		}
		return nil, err
	}
	defer d.Close()
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX); err != nil {
		return nil, fmt.Errorf("lock container record: %w", err)
	}
	r, err := LoadRecord(dir)
	if err != nil {
		return nil, err
	}
	if err := fn(r); err != nil {
		return r, err
	}
	return r, r.Save(dir)
}

// holdMonitorLock takes dir's monitor lock for this process's life (the
// file stays open, close-on-exec, so no container inherits it). It fails
// when another monitor holds it.
func holdMonitorLock(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, monitorLockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("monitor lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, errdefs.New(errdefs.ErrExists, "container "+filepath.Base(dir)+" already has a monitor: it is running")
		}
		return nil, fmt.Errorf("monitor lock: %w", err)
	}
	return f, nil
}

// MonitorAlive says whether a monitor (or a foreground run) is watching
// the container in dir.
func MonitorAlive(dir string) bool {
	f, err := os.Open(filepath.Join(dir, monitorLockFile))
	if err != nil {
		return false
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
		return errors.Is(err, unix.EWOULDBLOCK)
	}
	return false
}

// live says whether a State has a monitor behind it.
func live(st ContainerState) bool {
	return st.Status == StatusRunning || st.Status == StatusRestarting || st.Status == StatusRemoving || st.Running
}

// RefreshState is what every command that reads a container's state
// calls first (ps, inspect, wait, start, stop, rm): it brings the record
// in dir up to date when the monitor that should keep it ended without
// doing so (SIGKILL of the monitor, of a foreground run, or a crash).
// Such a record says running or restarting with no monitor behind it; it
// is repaired to exited with ExitMonitorLost (255) and State.Error
// saying why, and what the container left under rt's root (the reaper
// normally deletes it) is deleted. A record that is in order is left
// alone and costs one flock probe. It returns the record as it is now.
func RefreshState(rt *container.Runtime, dir string) (*Record, error) {
	r, err := LoadRecord(dir)
	if err != nil || !live(r.State) || MonitorAlive(dir) {
		return r, err
	}
	return UpdateRecord(dir, func(r *Record) error {
		if !live(r.State) || MonitorAlive(dir) {
			return nil // repaired, or started again, meanwhile
		}
		if ctr, err := rt.Load(r.ID); err == nil {
			if _, err := ctr.State(); err == nil {
				// The reaper may have deleted it meanwhile: not an error.
				if err := ctr.Delete(true); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
					return fmt.Errorf("repair state of %s: delete what its monitor left: %w", r.ID[:12], err)
				}
			}
		}
		wasRemoving := r.State.Status == StatusRemoving
		markExited(&r.State, ExitMonitorLost, time.Now())
		r.State.Error = "minirun's monitor of this container ended before it recorded the exit; the exit code was lost"
		if wasRemoving {
			r.State.Status = StatusRemoving // rm -f still has to finish
		}
		return nil
	})
}

// markExited is st once the container has exited with code.
func markExited(st *ContainerState, code int, at time.Time) {
	st.Status, st.Running, st.Restarting, st.Pid = StatusExited, false, false, 0
	st.ExitCode, st.FinishedAt = code, at.UTC()
}

// markRunning is st once the container's process runs as pid.
func markRunning(st *ContainerState, pid int, at time.Time) {
	st.Status, st.Running, st.Restarting, st.Pid = StatusRunning, true, false, pid
	st.StartedAt, st.Error, st.OOMKilled, st.ExitCode = at.UTC(), "", false, 0
}
