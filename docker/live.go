package docker

import (
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

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
func LiveState(rt *container.Runtime, r *Record) ContainerState {
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
		return unrecordedEnd(r, st)
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
		return unrecordedEnd(r, st)
	}
	if st.StartedAt.IsZero() {
		st.StartedAt = rs.Created
	}
	return st
}

// unrecordedEnd is the state of a container that ran and is gone, whose
// record does not say how it ended: the process that should have written
// the end (its monitor, or a foreground run) was killed first. The exit
// code it had is lost; the record keeps whatever it last held.
//
// The monitor's repair (RepairState: it settles the record once, under the
// container's lock, so the next ps reads "exited" without asking the
// runtime) belongs here; until then the end is only derived, not saved.
func unrecordedEnd(r *Record, st ContainerState) ContainerState {
	st.Status, st.Running, st.Paused, st.Restarting, st.Pid = StatusExited, false, false, false, 0
	if st.FinishedAt.IsZero() {
		st.FinishedAt = st.StartedAt
	}
	if st.Error == "" {
		st.Error = "the container's exit was not recorded"
	}
	return st
}

// recordStarted notes in the record that the container now runs.
func recordStarted(dir string, r *Record, pid int) error {
	r.State = ContainerState{Status: StatusRunning, Running: true, Pid: pid, StartedAt: time.Now().UTC()}
	return r.Save(dir)
}

// recordExited notes a foreground container's end, with its status as
// Docker shows it (128+N for signal N).
func recordExited(dir string, r *Record, code int) error {
	r.State.Status, r.State.Running, r.State.Paused, r.State.Pid = StatusExited, false, false, 0
	r.State.ExitCode, r.State.FinishedAt = code, time.Now().UTC()
	return r.Save(dir)
}
