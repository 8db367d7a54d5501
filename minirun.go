// Package minirun is the Go API of the minirun runtime, for test harnesses
// and programs that run containers without shelling out to the CLI. It
// names the lifecycle types of package container, through which the runc
// CLI and the Docker-style front build their containers too, and adds
// what a program wants around them: a bundle read and checked in one
// call, and waits that end with a context. It does not pull in the image
// store or the registry client; package docker runs images.
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
	"path/filepath"
	"syscall"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/container/config"
	"github.com/minirun/minirun/errdefs"
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

// The lifecycle types; see package container.
type (
	// Runtime is where containers are registered; Create, Run and Load
	// give a Container.
	Runtime = container.Runtime
	// Container is one container: Start, Wait, Exec, Kill, Delete, State,
	// Pause, Resume, Update, Stats, Processes.
	Container = container.Container
	// Config is what a container is: ID, bundle and validated spec.
	Config = container.Config
	// IO is a process's stdio, console socket, extra fds and pid file.
	IO = container.IO
	// Lifecycle is how a container's life is tied to this program's.
	Lifecycle = container.Lifecycle
	// ExecRequest is a process to start in a running container.
	ExecRequest = container.ExecRequest
)

// ExitCode is the status the minirun command would exit with for err.
func ExitCode(err error) int { return errdefs.ExitCode(err) }

// Init runs this process as what minirun re-executed it to be (a
// container's init, a user namespace holder, a clean-up reaper) and then
// never returns; in the program's own run it returns at once. A program
// that runs images calls docker.Init instead.
func Init() { container.RunRole(nil) }

// DefaultRoot is where the CLI, run as root, keeps container state
// unless told otherwise.
const DefaultRoot = "/run/minirun"

// NewRuntime is a Runtime whose state lives under root ("" means
// DefaultRoot). The root is resolved once, as the CLI does with --root:
// the state package refuses a path with a symlink in it
// (state.ResolveRoot says why).
func NewRuntime(root string, debug bool) (*Runtime, error) {
	if root == "" {
		root = DefaultRoot
	}
	p, err := state.ResolveRoot(root)
	if err != nil {
		return nil, err
	}
	return &Runtime{Root: p, Debug: debug}, nil
}

// Bundle reads and validates dir/config.json, as `minirun run -b` does,
// into the Config of container id.
func Bundle(id, dir string) (Config, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Config{}, err
	}
	s, err := config.LoadBundle(abs)
	if err != nil {
		return Config{}, err
	}
	return Config{ID: id, Bundle: abs, Spec: s}, nil
}

// WithSpec is the Config of container id from a spec built in memory,
// validated against dir (a relative root.path is taken from there).
func WithSpec(id, dir string, s *specs.Spec) (Config, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Config{}, err
	}
	if err := config.Validate(s, abs); err != nil {
		return Config{}, err
	}
	return Config{ID: id, Bundle: abs, Spec: s}, nil
}

// Wait is c.Wait, killing the container if ctx ends first; it then
// returns ctx's error with the status.
func Wait(ctx context.Context, c *Container) (int, error) {
	return waitKilling(ctx, c.Wait, func() { _ = c.Kill(syscall.SIGKILL, true) })
}

// Exec runs p in the running container c and returns its status, as
// `minirun exec --process` does. Cancelling ctx kills the process.
func Exec(ctx context.Context, c *Container, p *specs.Process, stdio IO) (int, error) {
	if err := ctx.Err(); err != nil {
		return errdefs.ExitRuntime, err
	}
	proc, err := c.Exec(ExecRequest{Process: p}, stdio, Lifecycle{})
	if err != nil {
		return errdefs.ExitRuntime, err
	}
	return waitKilling(ctx, proc.Wait, func() { _ = syscall.Kill(proc.Pid, syscall.SIGKILL) })
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

// Run runs the container cfg describes to its end, as `minirun run -b`
// does, and returns its exit status (128+N when signal N killed it).
// Cancelling ctx kills the container; Run then returns ctx's error.
func Run(ctx context.Context, rt *Runtime, cfg Config, stdio IO) (int, error) {
	if err := ctx.Err(); err != nil {
		return errdefs.ExitRuntime, err
	}
	c, err := rt.Run(cfg, stdio, Lifecycle{})
	if err != nil {
		return errdefs.ExitRuntime, err
	}
	return Wait(ctx, c)
}
