// Package minirun is the Go API of the minirun runtime, for test harnesses
// and programs that run containers without shelling out to the CLI. It is
// what the minirun command itself does, behind the same checks.
//
// minirun starts a container's init by re-executing the program that calls
// it, so a program using this package must hand that re-execution over:
// Init, first thing in main (or TestMain). It returns at once in the
// program's own run.
//
//	func main() {
//		minirun.Init()
//		...
//	}
//
// Containers need root (or CAP_SYS_ADMIN and friends), as with the CLI.
// Errors carry their class: errors.Is(err, minirun.ErrNotFound) and the
// like, and ExitCode gives Docker's 125/126/127 for any of them.
package minirun

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/container/config"
	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/image"
	_ "github.com/minirun/minirun/nsenter" // setns before the Go runtime, for exec
	"github.com/minirun/minirun/state"
)

// The error classes; see package errdefs.
var (
	ErrNotFound        = errdefs.ErrNotFound
	ErrExists          = errdefs.ErrExists
	ErrInvalid         = errdefs.ErrInvalid
	ErrNotRunning      = errdefs.ErrNotRunning
	ErrCommandNotFound = errdefs.ErrCommandNotFound
	ErrNotExecutable   = errdefs.ErrNotExecutable
)

// ExitCode is the status the minirun command would exit with for err.
func ExitCode(err error) int { return errdefs.ExitCode(err) }

// Init runs this process as what minirun re-executed it to be (a
// container's init, a user namespace holder, a clean-up reaper) and then
// never returns; in the program's own run it returns at once.
func Init() {
	if image.IsShiftHelper() {
		image.ShiftHelper()
	}
	// A reaper of a RunImage with Remove: its layer and record too.
	container.RunRole(docker.RemoveReaped)
}

// Where the CLI, run as root, keeps container state and images unless
// told otherwise.
const (
	DefaultRoot  = "/run/minirun"
	DefaultStore = "/var/lib/minirun"
)

// Runtime runs containers whose state lives under Root.
type Runtime struct {
	Root  string // "" means DefaultRoot
	Store string // the image store of RunImage; "" means DefaultStore
	Debug bool   // --debug traces on stderr
}

// IO is a container process's stdio. Nil readers and writers mean
// /dev/null, as with os/exec.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

func (r *Runtime) root() string {
	root := r.Root
	if root == "" {
		root = DefaultRoot
	}
	// Resolved once per call, as the CLI does with --root: the state
	// package refuses a path with a symlink in it (state.ResolveRoot says
	// why), and reports whatever fails to resolve here.
	if p, err := state.ResolveRoot(root); err == nil {
		return p
	}
	return root
}

// Spec reads and validates bundle/config.json, as `minirun run -b` does.
func Spec(bundle string) (*specs.Spec, error) { return config.LoadBundle(bundle) }

func (r *Runtime) options(id, bundle string, spec *specs.Spec, stdio IO) (*container.Options, error) {
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return nil, err
	}
	if spec == nil {
		if spec, err = Spec(abs); err != nil {
			return nil, err
		}
	} else if err := config.Validate(spec, abs); err != nil {
		return nil, err
	}
	return &container.Options{
		ID: id, Bundle: abs, Spec: spec, Debug: r.Debug, Root: r.root(),
		Stdin: stdio.Stdin, Stdout: stdio.Stdout, Stderr: stdio.Stderr,
		NoForwardSignals: true,
	}, nil
}

// Run runs a container to its end, as `minirun run -b bundle id` does, and
// returns its exit status (128+N when signal N killed it). spec nil means
// bundle/config.json; a root.path in it is taken relative to bundle.
// Cancelling ctx kills the container; Run then returns ctx's error.
func (r *Runtime) Run(ctx context.Context, id, bundle string, spec *specs.Spec, stdio IO) (int, error) {
	c, err := r.start(ctx, id, bundle, spec, stdio, false)
	if err != nil {
		return errdefs.ExitRuntime, err
	}
	return c.Wait(ctx)
}

// ImageOptions are what `minirun run [OPTIONS] IMAGE [COMMAND] [ARG...]`
// takes: the image and command, and Docker's flags (--rm, -d, --name,
// --security-opt, --cap-add, -e, -v, ...).
type ImageOptions = docker.RunOptions

// RunImage runs a container from an image in the runtime's Store, as
// `minirun run IMAGE` does: Docker's defaults, the image's config, then
// o's flags. It returns the container's ID and, once it has exited, its
// status; with o.Detach it returns as soon as the container runs (Get
// finds it by ID, its output goes to container.log beside its layers,
// and `minirun rm` removes it). An image the store does not hold is
// ErrNotFound, a name in use ErrExists, a flag it refuses ErrInvalid;
// code is then ExitCode(err). Cancelling ctx kills the container.
func (r *Runtime) RunImage(ctx context.Context, o *ImageOptions, stdio IO) (id string, code int, err error) {
	dir := r.Store
	if dir == "" {
		dir = DefaultStore
	}
	store, err := image.Open(dir)
	if err != nil {
		return "", ExitCode(err), err
	}
	res, err := docker.Run(ctx, store, o, docker.Env{Root: r.root(), Debug: r.Debug,
		Stdin: stdio.Stdin, Stdout: stdio.Stdout, Stderr: stdio.Stderr, NoForwardSignals: true})
	if err != nil && res.Status == 0 {
		res.Status = ExitCode(err)
	}
	return res.ID, res.Status, err
}

// Create sets a container up and leaves it waiting for Start, as
// `minirun create` does. The container's init is a child of this process.
func (r *Runtime) Create(ctx context.Context, id, bundle string, spec *specs.Spec, stdio IO) (*Container, error) {
	return r.start(ctx, id, bundle, spec, stdio, true)
}

func (r *Runtime) start(ctx context.Context, id, bundle string, spec *specs.Spec, stdio IO, createOnly bool) (*Container, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o, err := r.options(id, bundle, spec, stdio)
	if err != nil {
		return nil, err
	}
	o.CreateOnly = createOnly
	p, err := container.Start(o)
	if err != nil {
		return nil, err
	}
	return &Container{ID: id, rt: r, init: p}, nil
}

// Get finds a container already under the runtime's root, made by this
// process or another (the CLI, an earlier run).
func (r *Runtime) Get(id string) (*Container, error) {
	if _, err := container.State(r.root(), id); err != nil {
		return nil, err
	}
	return &Container{ID: id, rt: r}, nil
}

// Container is one container under a Runtime's root.
type Container struct {
	ID   string
	rt   *Runtime
	init *container.Process // when this process started it
}

// Start lets a created container run its process, as `minirun start`.
func (c *Container) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return container.StartCreated(c.rt.root(), c.ID)
}

// State is the container's OCI state as it is now.
func (c *Container) State() (*specs.State, error) {
	st, err := container.State(c.rt.root(), c.ID)
	if err != nil {
		return nil, err
	}
	return &st.State, nil
}

// Wait waits for the container's first process, returns its status and
// deletes the container, as the end of `minirun run` does. Only for a
// container this Runtime value created or ran. Cancelling ctx kills it.
func (c *Container) Wait(ctx context.Context) (int, error) {
	if c.init == nil {
		return errdefs.ExitRuntime, fmt.Errorf("wait: container %s was not started by this process", c.ID)
	}
	return waitKilling(ctx, c.init.Wait, func() { _ = c.Kill(syscall.SIGKILL, true) })
}

// Exec runs p in the running container and returns its status, as
// `minirun exec --process` does. Cancelling ctx kills the process.
func (c *Container) Exec(ctx context.Context, p *specs.Process, stdio IO) (int, error) {
	if err := ctx.Err(); err != nil {
		return errdefs.ExitRuntime, err
	}
	proc, err := container.Exec(&container.ExecOptions{
		Root: c.rt.root(), ID: c.ID, Process: p, Debug: c.rt.Debug,
		Stdin: stdio.Stdin, Stdout: stdio.Stdout, Stderr: stdio.Stderr,
		NoForwardSignals: true,
	})
	if err != nil {
		return errdefs.ExitRuntime, err
	}
	return waitKilling(ctx, proc.Wait, func() { _ = syscall.Kill(proc.Pid, syscall.SIGKILL) })
}

// Kill sends sig to the container's init, or with all to every process in
// its cgroup.
func (c *Container) Kill(sig syscall.Signal, all bool) error {
	return container.Kill(c.rt.root(), c.ID, sig, all)
}

// Delete removes a stopped or created container; force kills a running
// one first.
func (c *Container) Delete(force bool) error {
	if err := container.Delete(c.rt.root(), c.ID, force); err != nil {
		return err
	}
	if c.init != nil {
		c.init.Release()
		c.init = nil
	}
	return nil
}

// waitKilling runs wait, calling kill once if ctx ends first.
func waitKilling(ctx context.Context, wait func() (int, error), kill func()) (int, error) {
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			kill()
		case <-done:
		}
	}()
	code, err := wait()
	if cerr := ctx.Err(); cerr != nil && err == nil {
		err = cerr
	}
	return code, err
}
