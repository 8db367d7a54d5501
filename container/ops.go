package container

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/container/hooks"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/state"
)

// The commands on an existing container (runc's start, state, kill,
// delete, pause, resume, ps). Each finds the container under root by id;
// those that change it hold its lock.

// ErrNotRunning is wrapped by operations that need a live container.
// Engines match runc's words, "container not running".
var ErrNotRunning = errdefs.ErrNotRunning

// State returns the container's saved state with its status as it is now.
func (c *Container) State() (*state.State, error) {
	sr, err := state.OpenRoot(c.rt.Root)
	if err != nil {
		return nil, stepErr("state", err)
	}
	st, err := sr.Read(c.ID)
	if err != nil {
		return nil, stepErr("state", err)
	}
	refresh(sr, st)
	return st, nil
}

// refresh derives the status from the live system: the saved one can't
// know the init died. The start time guards against a reused pid.
func refresh(sr *state.Root, st *state.State) {
	if st.Pid == 0 {
		return // still being created
	}
	switch {
	case !state.Alive(st.Pid, st.InitStart):
		st.Status, st.Pid = specs.StateStopped, 0
	case exists(filepath.Join(sr.Dir(st.ID), state.FifoFile)):
		st.Status = specs.StateCreated
	case st.Status == StatePaused:
	default:
		st.Status = specs.StateRunning
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// open locks a container and reads its current state.
func open(sr *state.Root, id string) (*state.Handle, *state.State, error) {
	h, err := sr.Open(id)
	if err != nil {
		return nil, nil, err
	}
	st, err := h.Load()
	if err != nil {
		h.Unlock()
		return nil, nil, err
	}
	refresh(sr, st)
	if st.Status == specs.StateCreating {
		// We hold the lock, so whoever was creating it is gone.
		st.Status = specs.StateStopped
	}
	return h, st, nil
}

// Start lets a created container run its process (runc start).
func (c *Container) Start() error {
	sr, err := state.OpenRoot(c.rt.Root)
	if err != nil {
		return stepErr("start", err)
	}
	id := c.ID
	h, st, err := open(sr, id)
	if err != nil {
		return stepErr("start", err)
	}
	defer h.Unlock()
	if st.Status != specs.StateCreated {
		return stepErrf("start", "container %s is %s, not created", id, st.Status)
	}
	if err := releaseInit(h.Path(state.FifoFile)); err != nil {
		return err
	}
	st.Status = specs.StateRunning
	if err := h.Save(st); err != nil {
		return stepErr("start", err)
	}
	spec, err := sr.ReadSpec(id)
	if err != nil {
		return stepErr("start", err)
	}
	hooks.Warn(spec, hooks.Poststart, st.State)
	return nil
}

// Kill sends sig to the init, or with all to every process in the
// container's cgroup.
func (c *Container) Kill(sig unix.Signal, all bool) error {
	id := c.ID
	st, err := c.State()
	if err != nil {
		return err
	}
	if !all {
		if st.Status == specs.StateStopped {
			return stepErrf("kill", "container %s: %w", id, ErrNotRunning)
		}
		if st.Pid <= 0 {
			// Still being created, or a create that died before it knew
			// the init's pid: there is nothing of ours to signal.
			return stepErrf("kill", "container %s is %s and has no init yet: %w", id, st.Status, ErrNotRunning)
		}
		if err := state.Signal(st.Pid, st.InitStart, sig); err != nil {
			if errors.Is(err, state.ErrNoProcess) {
				return stepErrf("kill", "container %s: %w", id, ErrNotRunning)
			}
			return stepErrf("kill", "init of %s: %w", id, err)
		}
		return nil
	}
	pids, err := cgroupPids(st)
	if err != nil {
		return stepErr("kill", err)
	}
	for _, pid := range pids {
		if err := state.Signal(pid, 0, sig); err != nil && !errors.Is(err, state.ErrNoProcess) {
			return stepErr("kill", err)
		}
	}
	return nil
}

// Processes lists the host pids in the container's cgroup (runc ps).
func (c *Container) Processes() ([]int, error) {
	st, err := c.State()
	if err != nil {
		return nil, err
	}
	pids, err := cgroupPids(st)
	return pids, stepErr("ps", err)
}

func cgroupPids(st *state.State) ([]int, error) {
	if st.CgroupPath == "" {
		if st.Status == specs.StateStopped || st.Pid <= 0 {
			return nil, nil // stopped, or an init not recorded yet
		}
		return []int{st.Pid}, nil
	}
	mgr, err := cgroups.Load(st.CgroupPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return mgr.Pids()
}

// Pause freezes every process of a running container.
func (c *Container) Pause() error {
	return c.freeze(specs.StateRunning, StatePaused)
}

// Resume thaws a paused container.
func (c *Container) Resume() error {
	return c.freeze(StatePaused, specs.StateRunning)
}

func (c *Container) freeze(from, to specs.ContainerState) error {
	step := map[specs.ContainerState]string{StatePaused: "pause", specs.StateRunning: "resume"}[to]
	sr, err := state.OpenRoot(c.rt.Root)
	if err != nil {
		return stepErr(step, err)
	}
	id := c.ID
	h, st, err := open(sr, id)
	if err != nil {
		return stepErr(step, err)
	}
	defer h.Unlock()
	if st.Status != from {
		return stepErrf(step, "container %s is %s, not %s", id, st.Status, from)
	}
	if st.CgroupPath == "" {
		return stepErrf(step, "container %s has no cgroup to freeze", id)
	}
	mgr, err := cgroups.Load(st.CgroupPath)
	if err != nil {
		return stepErr(step, err)
	}
	if to == StatePaused {
		err = mgr.Freeze()
	} else {
		err = mgr.Thaw()
	}
	if err != nil {
		return stepErr(step, err)
	}
	st.Status = to
	return stepErr(step, h.Save(st))
}

// Delete removes a stopped (or created) container: what is left in its
// cgroup, the cgroup, its state; then the poststop hooks run. force kills
// a running or paused one first.
func (c *Container) Delete(force bool) error {
	if err := c.remove(force); err != nil {
		return err
	}
	c.Release()
	return nil
}

func (c *Container) remove(force bool) error {
	sr, err := state.OpenRoot(c.rt.Root)
	if err != nil {
		return stepErr("delete", err)
	}
	id := c.ID
	h, st, err := open(sr, id)
	if errors.Is(err, state.ErrNotExist) && force && sr.RemoveStale(id) {
		return nil // half made by a start that was killed: now gone
	}
	if err != nil {
		return stepErr("delete", err)
	}
	defer h.Unlock()
	switch st.Status {
	case specs.StateStopped, specs.StateCreated:
	default:
		if !force {
			return stepErrf("delete", "container %s is %s: stop it first or use --force", id, st.Status)
		}
	}
	if st.Status != specs.StateStopped {
		if err := stopInit(st); err != nil {
			return stepErr("delete", err)
		}
	}
	timer.Step("delete: open state, stop init")
	if err := deleteCgroup(st.CgroupPath); err != nil {
		return err
	}
	timer.Step("delete: cgroup")
	spec, err := sr.ReadSpec(id)
	if err != nil {
		spec = nil // no config to take hooks from: none run
	}
	return removeStopped(h, st, spec)
}

// removeStopped ends a delete whose init and cgroup are gone: the
// poststop hooks of spec (if any), then the state directory.
func removeStopped(h *state.Handle, st *state.State, spec *specs.Spec) error {
	if spec != nil {
		st.Status, st.Pid = specs.StateStopped, 0
		hooks.Warn(spec, hooks.Poststop, st.State)
	}
	err := h.Remove()
	timer.Step("delete: poststop, state")
	return stepErr("delete", err)
}

// stopInit kills the init (thawing it first: a frozen process can't die)
// and waits until it is gone.
func stopInit(st *state.State) error {
	if st.CgroupPath != "" {
		if mgr, err := cgroups.Load(st.CgroupPath); err == nil {
			_ = mgr.Thaw()
		}
	}
	if st.Pid <= 0 {
		return nil
	}
	_ = state.Signal(st.Pid, st.InitStart, unix.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for state.Alive(st.Pid, st.InitStart) {
		if time.Now().After(deadline) {
			return fmt.Errorf("init %d still alive 10s after SIGKILL", st.Pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

func deleteCgroup(path string) error {
	if path == "" {
		return nil
	}
	mgr, err := cgroups.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return stepErr("delete cgroup", err)
	}
	return removeCgroup(mgr)
}

// StatePaused is the status of a frozen container; runtime-spec's Go
// package names the other four only.
const StatePaused specs.ContainerState = "paused"
