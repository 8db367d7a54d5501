package docker

import (
	"github.com/opencontainers/runtime-spec/specs-go"
	"path/filepath"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/state"
)

// Docker's container statuses, as State.Status, ps's .State and its
// --filter status= take them.
const (
	StatusCreated    = "created"
	StatusRunning    = "running"
	StatusPaused     = "paused"
	StatusRestarting = "restarting"
	StatusExited     = "exited"
	StatusDead       = "dead"
)

// LiveState is r's State as it is now: the record's, brought up to date
// with the runtime's view of the container under rt.Root (running,
// paused, its pid). ps and inspect both show this.
//
// A record that says the container ended (exited, dead) is taken as it
// is, without reading the runtime's state: the monitor wrote that end
// last, and ps -a over hundreds of exited containers reads one small
// file each.
func LiveState(rt *container.Runtime, containersDir string, r *Record) ContainerState {
	st := r.State
	switch st.Status {
	case StatusExited, StatusDead:
		return st
	}
	var rs *state.State
	ctr, err := rt.Load(r.ID)
	if err == nil {
		rs, err = ctr.State()
	}
	if err != nil {
		// The runtime has no such container: never started, or its
		// end was not recorded.
		if st.StartedAt.IsZero() && st.Status != StatusRestarting {
			st.Status, st.Running, st.Paused, st.Pid = StatusCreated, false, false, 0
			return st
		}
		return endOf(containersDir, r, st)
	}
	switch rs.Status {
	case specs.StateRunning:
		st.Status, st.Running, st.Paused, st.Restarting, st.Pid = StatusRunning, true, false, false, rs.Pid
	case container.StatePaused:
		st.Status, st.Running, st.Paused, st.Restarting, st.Pid = StatusPaused, true, true, false, rs.Pid
	case specs.StateCreated, specs.StateCreating:
		st.Status, st.Running, st.Paused, st.Pid = StatusCreated, false, false, 0
		return st
	default: // stopped: the init is gone
		if st.Status == StatusRestarting {
			return st // the monitor is between two runs
		}
		return endOf(containersDir, r, st)
	}
	if st.StartedAt.IsZero() {
		st.StartedAt = rs.Created
	}
	return st
}

// endOf is the state of a container whose process is gone: as the record
// says while its monitor is still there to record the end (it does so
// in a moment: a kill just now reads as running until then, as Docker's
// daemon shows it), else derived by unrecordedEnd.
func endOf(containersDir string, r *Record, st ContainerState) ContainerState {
	if MonitorAlive(filepath.Join(containersDir, r.ID)) {
		return st
	}
	return unrecordedEnd(r, st)
}

// unrecordedEnd is the state of a container that ran and is gone, whose
// record does not say how it ended: the process that should have written
// the end (its monitor, or a foreground run) was killed first. The exit
// code it had is lost: it reads as RefreshState settles it (exited,
// ExitMonitorLost), but only derived here, so that ps stays a reader;
// wait, stop, start and rm save the repair.
func unrecordedEnd(r *Record, st ContainerState) ContainerState {
	if st.Status == StatusRemoving {
		return st
	}
	st.Status, st.Running, st.Paused, st.Restarting, st.Pid = StatusExited, false, false, false, 0
	st.ExitCode = ExitMonitorLost
	if st.FinishedAt.IsZero() {
		st.FinishedAt = st.StartedAt
	}
	if st.Error == "" {
		st.Error = "minirun's monitor of this container ended before it recorded the exit; the exit code was lost"
	}
	return st
}
