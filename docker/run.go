package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/container/config"
	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/image"
	"github.com/minirun/minirun/seccomp"
)

// Env is where a run's container is registered and where its stdio goes:
// what the caller decides, not `docker run`'s flags.
type Env struct {
	Root  string // runtime state (--root); state, kill, exec and rm find the container there
	Debug bool   // --debug: trace the start on stderr
	// Stdin is read only with Interactive (-i). Nil readers and writers
	// are /dev/null. A detached container writes to container.log instead.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// NoForwardSignals keeps this process's SIGINT and SIGTERM its own
	// (the Go API); the CLI forwards them to a foreground container.
	NoForwardSignals bool
}

// Result is what a run leaves: the container's ID and, in the
// foreground, its exit status (128+N when signal N killed it).
type Result struct {
	ID     string
	Status int
}

// Run is `docker run IMAGE [COMMAND] [ARG...]`: it mounts the image's
// layers as the container's root, writes its record and config.json in
// the container's directory in store (an ordinary bundle), and starts it
// under env.Root like any runc-style container. In the foreground it
// waits, writes the seccomp report or recording, and with Remove takes
// the container away; with Detach it returns once the container runs.
// A failure before the start takes the container away too.
//
// Errors carry their errdefs class: not found for an image the store does
// not hold, already exists for a name in use, invalid for a flag or an
// image it can't run. Cancelling ctx kills a foreground container; Run
// then returns ctx's error with the status.
func Run(ctx context.Context, store *image.Store, o *RunOptions, env Env) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	img, err := store.Get(o.Image)
	if err != nil {
		if errors.Is(err, image.ErrNotFound) {
			return Result{}, errdefs.New(errdefs.ErrNotFound, fmt.Sprintf("unable to find image %q locally; `minirun pull %s` or `minirun import %s DIR` first", o.Image, o.Image, o.Image))
		}
		return Result{}, err
	}
	if err := CheckName(store.ContainersDir(), o.Name); err != nil {
		return Result{}, err
	}
	id, err := NewID()
	if err != nil {
		return Result{}, err
	}
	res := Result{ID: id}
	c, err := mountRootfs(store, img, id)
	if err != nil {
		return res, err
	}
	// From here on, a failure or --rm must take the container away again.
	remove := func() {
		if err := store.RemoveRootfs(id); err != nil && env.Stderr != nil {
			fmt.Fprintf(env.Stderr, "minirun: cleanup: %v\n", err)
		}
	}
	p, watch, err := start(c, o, env, store.Root)
	if err != nil {
		remove()
		return res, err
	}
	if o.Detach {
		return res, nil
	}
	stop := context.AfterFunc(ctx, func() { _ = container.Kill(env.Root, id, syscall.SIGKILL, true) })
	res.Status, err = p.Wait()
	stop()
	if werr := watch.Finish(env.Stderr); werr != nil && err == nil {
		err = werr
	}
	if o.Remove {
		remove()
	}
	if cerr := ctx.Err(); cerr != nil && err == nil {
		err = cerr
	}
	return res, err
}

// mountRootfs mounts img's layers for container id (rootless: prepares
// them, for the container to mount inside its user namespace).
func mountRootfs(store *image.Store, img *image.Image, id string) (Container, error) {
	c := Container{ID: id, Image: img, IDMaps: store.Shift}
	var err error
	if container.Rootless() {
		if err := image.OverlayInUserns(); err != nil {
			return c, err
		}
		c.Rootfs, c.Overlay, err = store.PrepareRootfs(img, id)
	} else {
		c.Rootfs, err = store.MountRootfs(img, id)
	}
	c.Dir = filepath.Dir(c.Rootfs)
	return c, err
}

// start records c, writes its config and starts it. The caller removes
// the container's directory when start fails.
func start(c Container, o *RunOptions, env Env, storeRoot string) (*container.Process, *seccomp.RunWatch, error) {
	rec := Record{ID: c.ID, Name: o.Name, Image: c.Image.Name, Created: time.Now().UTC()}
	if err := rec.Save(c.Dir); err != nil {
		return nil, nil, fmt.Errorf("save container record: %w", err)
	}
	spec, err := BuildSpec(c, o)
	if err == nil {
		err = WriteSpec(filepath.Join(c.Dir, "config.json"), spec)
	}
	if err == nil {
		err = config.Validate(spec, c.Dir)
	}
	if err != nil {
		return nil, nil, err
	}
	watch, err := o.Seccomp.Open(watchTarget(o, spec))
	if err != nil {
		return nil, nil, err
	}
	// Registered under env.Root like any runc-style container, so list,
	// state, kill, exec and pause work on it by its ID.
	co := &container.Options{ID: c.ID, Bundle: c.Dir, Spec: spec, Debug: env.Debug,
		Stdout: env.Stdout, Stderr: env.Stderr, Root: env.Root,
		NoForwardSignals: env.NoForwardSignals, SeccompWatch: watch.Watcher()}
	if o.Interactive {
		co.Stdin = env.Stdin
	}
	if o.Remove {
		// Should this process be killed, its reaper removes the overlay.
		co.ReaperEnv = []string{reaperStoreEnv + "=" + storeRoot}
	}
	if o.Detach {
		if o.Remove {
			return nil, nil, errdefs.New(errdefs.ErrInvalid, "run: --rm with -d needs a daemon to notice the exit; minirun has none (remove it later with `minirun rm -f`)")
		}
		logf, err := os.OpenFile(filepath.Join(c.Dir, "container.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, err
		}
		defer logf.Close()
		co.Detached, co.Stdin, co.Stdout, co.Stderr = true, nil, logf, logf
	}
	p, err := container.Start(co)
	if err != nil {
		return nil, nil, err
	}
	return p, watch, nil
}

// watchTarget is what the seccomp report or recorder needs of the
// container spec describes.
func watchTarget(o *RunOptions, spec *specs.Spec) seccomp.WatchTarget {
	return seccomp.WatchTarget{
		Spec:     spec,
		Required: func() []string { return initproc.SeccompRequired(spec) },
		Source:   func() (*seccomp.Source, error) { return SeccompSource(o, spec) },
	}
}

// reaperStoreEnv names the image store whose container directory a
// reaper removes too, for a --rm run whose minirun was killed.
const reaperStoreEnv = "MINIRUN_REAPER_RM_STORE"

// RemoveReaped is the Docker front's part of a reaper's clean-up, once it
// has deleted container id: the writable layer and record of a --rm run.
// A reaper of any other container has nothing to do here.
func RemoveReaped(id string) error {
	root := os.Getenv(reaperStoreEnv)
	if root == "" {
		return nil
	}
	s, err := image.Open(root)
	if err != nil {
		return err
	}
	return s.RemoveRootfs(id)
}

// WriteSpec saves s as path (a config.json), indented as `minirun spec`
// writes it, so a container made from an image is an ordinary bundle
// anyone can inspect or rerun with `run -b`.
func WriteSpec(path string, s *specs.Spec) error {
	data, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
