package container

import (
	"fmt"
	"io"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/cgroups"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/trace"
	"github.com/minirun/minirun/seccomp/watch"
	"github.com/minirun/minirun/state"
)

// Runtime is the one way into containers for every front: the runc CLI,
// the Docker-style front and the Go API. It knows where containers are
// registered; a Container it returns knows the rest.
type Runtime struct {
	// Root holds each container's state, saved config and exec fifo
	// (Root/ID), where state, kill, delete and exec find it. Empty: a
	// container Run starts is private to this process, and Create, which
	// must be found again by start, is refused.
	Root string
	// Debug traces the start on stderr (--debug).
	Debug bool
}

// Config is what the container is: its ID, its bundle and the bundle's
// spec, already validated (config.LoadBundle or config.Validate); the
// runtime does not read or check it again.
type Config struct {
	ID     string
	Bundle string // absolute; a relative root.path is taken from here
	Spec   *specs.Spec
	// NoNewKeyring keeps the caller's session keyring instead of giving
	// the container a fresh one (runc's --no-new-keyring).
	NoNewKeyring bool
}

// IO is where a container process's stdio goes and what else it is
// handed. Nil readers and writers are /dev/null, as with os/exec.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// ConsoleSocket receives the pty master when process.terminal is
	// set. Without it a foreground Wait copies the pty to Stdin/Stdout.
	ConsoleSocket string
	// ExtraFiles survive into the container (--preserve-fds): they
	// become fds 3, 4, ...
	ExtraFiles []*os.File
	// PidFile receives the process's pid, written atomically.
	PidFile string
}

// Lifecycle is how a container's life is tied to this process's.
type Lifecycle struct {
	// Detached starts the process without tying its life to this one:
	// no parent-death signal, no reaper, no Wait.
	Detached bool
	// Keep leaves a foreground container registered after it exits
	// (runc's run --keep): stopped, with its cgroup, until Delete.
	Keep bool
	// ForwardSignals passes this process's SIGTERM, SIGINT and the like
	// on to a foreground container, as docker run and runc run do. A
	// program using the Go API has its own uses for them.
	ForwardSignals bool
	// ExitsAfterWait says this process exits once Wait returns, as the
	// command line's foreground run and exec do: Wait then leaves the
	// forwarded signals caught instead of handing them back to the Go
	// runtime, which costs a round trip to the runtime's signal thread
	// per signal (a run: about 25 context switches and 100 page faults).
	// A signal that comes after Wait returned is dropped, not fatal.
	ExitsAfterWait bool
	// ReaperEnv is handed to the reaper of a foreground start (see
	// reaper.go), for the clean-up the front does after Delete.
	ReaperEnv []string
	// Seccomp asks for the denial report or the recorder
	// (--seccomp-report, --seccomp-record): this process then answers the
	// container's seccomp notifications until Wait returns, and Wait
	// writes the result.
	Seccomp watch.Request
	// BeforeInit runs once the container is registered and, in the
	// foreground, its reaper watches, before its namespaces are opened:
	// set-up of the front's that a killed minirun's reaper must undo,
	// such as the Docker front's network, whose namespace the spec joins
	// by path. An error fails the start. The ready it returns, if not
	// nil, is the rest of that set-up, which may still be under way while
	// the init gets ready (the network's plugins, each a process), or
	// needs the init's pid (pasta joins its namespaces): the init stops
	// for it after its mounts, before pivot_root and the container's
	// hooks, and its error fails the start. A start that fails before
	// calls it with pid 0: it must then only wait for what it started, so
	// that none of it goes on after Start returns.
	BeforeInit func() (ready func(pid int) error, err error)
	// SeccompSource is the profile as the user wrote it, for the report
	// to name the entry behind each refusal; nil means the spec's own
	// linux.seccomp.
	SeccompSource func() (*watch.Source, error)
}

// options is one start as the parent's steps see it.
type options struct {
	Config
	IO
	Lifecycle
	Root       string
	Debug      bool
	CreateOnly bool // return once the init waits for start (runc's create)
	// cgroupPath is the container's cgroup, resolved once from
	// linux.cgroupsPath and the ID; "" when the start manages none
	// (rootless with no limits: the caller's own cgroup).
	cgroupPath string
	watch      *watch.Session
	// Worked out once by start from the spec, for the steps after it:
	// the trace logger (--debug), the rootfs's path and how the uid and
	// gid maps of a new user namespace are written (idMapNone without).
	log    trace.Logger
	rootfs string
	idMaps idMapMode
	// front is the rest of BeforeInit's set-up, nil when none is under
	// way.
	front *frontWait
}

// Create sets a container up and leaves its init waiting for Start, as
// runc create does. The init is detached from this process.
func (r *Runtime) Create(c Config, stdio IO, lc Lifecycle) (*Container, error) {
	if r.Root == "" {
		return nil, stepErrf("create", "container %s: create needs a state root for start to find it", c.ID)
	}
	lc.Detached = true
	return r.start(c, stdio, lc, true)
}

// Run starts a container's process. In the foreground (not
// lc.Detached) Wait returns its status and deletes it.
func (r *Runtime) Run(c Config, stdio IO, lc Lifecycle) (*Container, error) {
	return r.start(c, stdio, lc, false)
}

func (r *Runtime) start(c Config, stdio IO, lc Lifecycle, createOnly bool) (*Container, error) {
	if c.Spec == nil || c.Spec.Process == nil {
		return nil, errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("start: container %s: no validated spec with a process in its Config (minirun.Bundle or config.Validate makes one)", c.ID))
	}
	if c.Spec.Linux == nil {
		// No linux section means no Linux settings: an empty one, once,
		// on a copy of the caller's spec, so no later step has to ask.
		s := *c.Spec
		s.Linux = &specs.Linux{}
		c.Spec = &s
	}
	p, err := start(&options{Config: c, IO: stdio, Lifecycle: lc, Root: r.Root, Debug: r.Debug, CreateOnly: createOnly})
	if err != nil {
		return nil, err
	}
	return &Container{ID: c.ID, rt: r, init: p}, nil
}

// Load names container id under the runtime's root. It reads nothing:
// each operation reads the state it needs under the container's lock and
// fails with ErrNotFound when there is no such container (delete
// --force of a start killed halfway relies on that). An id that could
// not name a container is refused here.
func (r *Runtime) Load(id string) (*Container, error) {
	if err := state.CheckID(id); err != nil {
		return nil, err
	}
	return r.handle(id), nil
}

// List returns the state of every container under the runtime's root.
func (r *Runtime) List() ([]*state.State, error) {
	sr, err := state.OpenRoot(r.Root)
	if err != nil {
		return nil, stepErr("list", err)
	}
	ids, err := sr.List()
	if err != nil {
		return nil, stepErr("list", err)
	}
	var out []*state.State
	for _, id := range ids {
		if st, err := r.handle(id).State(); err == nil {
			out = append(out, st)
		}
	}
	return out, nil
}

// handle is a Container by ID, unchecked: each operation reads the
// state it needs and fails on its own when there is none.
func (r *Runtime) handle(id string) *Container { return &Container{ID: id, rt: r} }

// Container is one container under a Runtime's root.
type Container struct {
	ID   string
	rt   *Runtime
	init *Process // when this process started it
}

// Wait waits for the process Run started in the foreground, returns its
// status (128+N when signal N killed it) and deletes the container
// unless it is kept.
func (c *Container) Wait() (int, error) {
	if c.init == nil {
		return -1, stepErrf("wait", "container %s was not started by this process", c.ID)
	}
	return c.init.Wait()
}

// Pid is the init's pid when this process started it, else 0.
func (c *Container) Pid() int {
	if c.init == nil {
		return 0
	}
	return c.init.Pid
}

// Release forgets the init this process started, once the container is
// deleted by other means.
func (c *Container) Release() {
	if c.init != nil {
		c.init.Release()
		c.init = nil
	}
}

// Stats is a container cgroup's usage, as runc events reports it.
type Stats = cgroups.Stats

// WatchOOM reports each OOM kill in the container's cgroup on the
// channel, until stop is called; a container with no cgroup, or a host
// without a memory controller for it, has none to report (nil channel).
func (c *Container) WatchOOM() (events <-chan struct{}, stop func(), err error) {
	st, err := c.State()
	if err != nil {
		return nil, nil, err
	}
	if st.CgroupPath == "" {
		return nil, func() {}, nil
	}
	return cgroups.OOMWatch(st.CgroupPath)
}

// Stats reads the usage of the container's cgroup (runc events --stats).
func (c *Container) Stats() (*Stats, error) {
	st, err := c.State()
	if err != nil {
		return nil, err
	}
	return cgroups.ReadStats(st.CgroupPath), nil
}
