package container

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/atomicfile"
	"github.com/minirun/minirun/state"
)

// registration is a container's entry under --root while Start runs: its
// locked state directory, the state being built, and the exec fifo the
// init waits on between create and start.
type registration struct {
	h    *state.Handle
	st   *state.State
	fifo string
}

// register claims Root/ID, saves the config and a "creating" state, and,
// for a create or a detached run, makes the exec fifo. A foreground run
// has none: nothing can come between its create and its start, and its
// init dies with minirun (PDEATHSIG), so the init goes straight on to
// execve, and the container is "creating" until it is "running", with
// one state write and one round trip fewer. It returns nil when no Root
// is set: such a start is not visible to state, kill or delete.
func register(o *options) (*registration, error) {
	if o.Root == "" {
		return nil, nil
	}
	sr, err := state.OpenRoot(o.Root)
	if err != nil {
		return nil, stepErr("create", err)
	}
	if o.cgroupPath != "" {
		// Held until the config is saved: a start racing this one then
		// sees where our cgroup goes, and we see its.
		unlock, err := sr.Lock()
		if err != nil {
			return nil, stepErr("create", err)
		}
		defer unlock()
		if err := checkCgroupNesting(sr, o.ID, o.cgroupPath); err != nil {
			return nil, err
		}
	}
	h, err := sr.Create(o.ID)
	if err != nil {
		return nil, stepErr("create", err)
	}
	r := &registration{h: h}
	if o.CreateOnly || o.Detached {
		// A detached run's init has no parent-death signal: if minirun
		// died before recording it, it must still be waiting, not running
		// where state, kill and delete can't find it.
		r.fifo = h.Path(state.FifoFile)
	}
	r.st = &state.State{
		State: specs.State{
			Version: specs.Version, ID: o.ID, Status: specs.StateCreating,
			Bundle: o.Bundle, Annotations: o.Spec.Annotations,
		},
		Created:      time.Now().UTC(),
		Owner:        ownerName(),
		Rootfs:       o.rootfs,
		NoNewKeyring: o.NoNewKeyring,
	}
	if err := h.SaveSpec(o.Spec); err != nil {
		r.abandon()
		return nil, stepErr("create", err)
	}
	if r.fifo != "" {
		if err := unix.Mkfifo(r.fifo, 0o600); err != nil {
			r.abandon()
			return nil, stepErrf("create", "mkfifo %s: %w", r.fifo, err)
		}
	}
	if err := h.Save(r.st); err != nil {
		r.abandon()
		return nil, stepErr("create", err)
	}
	return r, nil
}

// ownerName reads /etc/passwd itself: the libc lookup would need NSS
// modules a static binary can't load.
func ownerName() string {
	uid := strconv.Itoa(os.Getuid())
	data, _ := os.ReadFile("/etc/passwd")
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 2 && f[2] == uid {
			return f[0]
		}
	}
	return uid
}

// created records the init, now waiting on the exec fifo.
func (r *registration) created(pid int, cgroupPath, pidFile string) error {
	if r == nil {
		return writePidFile(pidFile, pid)
	}
	return stepErr("create", r.record(pid, cgroupPath, specs.StateCreated, pidFile))
}

// record saves the init (its pid, start time and cgroup) with status, and
// writes the pid file.
func (r *registration) record(pid int, cgroupPath string, status specs.ContainerState, pidFile string) error {
	start, err := state.StartTime(pid)
	if err != nil {
		return fmt.Errorf("read start time of init %d: %w", pid, err)
	}
	r.st.Pid, r.st.InitStart, r.st.CgroupPath = pid, start, cgroupPath
	r.st.Status = status
	if err := r.h.Save(r.st); err != nil {
		return err
	}
	return writePidFile(pidFile, pid)
}

// recordCgroup saves where the container's cgroup goes before it exists.
func (r *registration) recordCgroup(path string) error {
	if r == nil {
		return nil
	}
	r.st.CgroupPath = path
	return stepErr("cgroup", r.h.Save(r.st))
}

// abandon removes the entry of a start that failed.
func (r *registration) abandon() {
	if r != nil {
		_ = r.h.Remove()
	}
}

// unlock lets other commands at the container once Start is done.
func (r *registration) unlock() {
	if r != nil {
		r.h.Unlock()
	}
}

// writePidFile writes the pid atomically: engines poll for the file and
// read it as soon as it appears.
func writePidFile(path string, pid int) error {
	if path == "" {
		return nil
	}
	if err := atomicfile.Write(path, []byte(strconv.Itoa(pid)), 0o644, false); err != nil {
		return stepErrf("pid file", "write %s: %w", path, err)
	}
	return nil
}

// hookState is the OCI state given to hooks and to seccomp listeners.
func hookState(o *options, pid int, status specs.ContainerState) specs.State {
	return specs.State{
		Version: specs.Version, ID: o.ID, Status: status,
		Pid: pid, Bundle: o.Bundle, Annotations: o.Spec.Annotations,
	}
}

// releaseInit writes the byte the init waits for on the exec fifo (see
// initproc/execfifo.go). No reader means the init is gone: ENXIO.
func releaseInit(fifo string) error {
	f, err := os.OpenFile(fifo, os.O_WRONLY|unix.O_NONBLOCK, 0)
	if errors.Is(err, unix.ENXIO) {
		return stepErrf("start", "container init exited before start")
	}
	if err != nil {
		return stepErrf("start", "open exec fifo %s: %w", fifo, err)
	}
	defer f.Close()
	if _, err := f.Write([]byte{0}); err != nil {
		return stepErrf("start", "write exec fifo: %w", err)
	}
	if err := os.Remove(fifo); err != nil {
		return stepErrf("start", "remove exec fifo: %w", err)
	}
	return nil
}

// openFifoFd opens the exec fifo read-write for the init: such an open
// never blocks, and keeps the fifo usable after the init leaves the
// host's mount namespace.
func openFifoFd(path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, stepErrf("create", "open exec fifo %s: %w", path, err)
	}
	return f, nil
}
