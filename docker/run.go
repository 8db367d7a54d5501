package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/container/config"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/image"
	"github.com/minirun/minirun/seccomp/watch"
)

// Result is what a run leaves: the container's ID and, in the
// foreground, its exit status (128+N when signal N killed it).
type Result struct {
	ID     string
	Status int
}

// Run is `docker run IMAGE [COMMAND] [ARG...]`: it mounts the image's
// layers as the container's root, writes its record and config.json in
// the container's directory in store (an ordinary bundle), and starts it
// through rt like any runc-style container, so state, kill, exec and rm
// find it under rt.Root. Stdin is read only with o.Interactive; a
// detached container writes to container.log instead of stdio. In the foreground it
// waits, writes the seccomp report or recording, and with Remove takes
// the container away; with Detach it returns once the container runs.
// A failure before the start takes the container away too.
//
// Errors carry their errdefs class: not found for an image the store does
// not hold, already exists for a name in use, invalid for a flag or an
// image it can't run. Cancelling ctx kills a foreground container; Run
// then returns ctx's error with the status.
func Run(ctx context.Context, rt *container.Runtime, store *image.Store, o *RunOptions, stdio container.IO) (Result, error) {
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
		if err := store.RemoveRootfs(id); err != nil && stdio.Stderr != nil {
			fmt.Fprintf(stdio.Stderr, "minirun: cleanup: %v\n", err)
		}
	}
	ctr, err := start(rt, c, o, stdio, store.Root)
	if err != nil {
		remove()
		return res, err
	}
	if o.Detach {
		return res, nil
	}
	stop := context.AfterFunc(ctx, func() { _ = ctr.Kill(syscall.SIGKILL, true) })
	res.Status, err = ctr.Wait()
	stop()
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
func start(rt *container.Runtime, c Container, o *RunOptions, stdio container.IO, storeRoot string) (*container.Container, error) {
	rec := Record{ID: c.ID, Name: o.Name, Image: c.Image.Name, Created: time.Now().UTC()}
	logc, err := LogConfigOf(o.LogDriver, o.LogOpts)
	if err != nil {
		return nil, err
	}
	rec.HostConfig.LogConfig = logc
	if err := rec.Save(c.Dir); err != nil {
		return nil, fmt.Errorf("save container record: %w", err)
	}
	spec, prof, err := buildSpec(c, o)
	if err == nil {
		err = WriteSpec(filepath.Join(c.Dir, "config.json"), spec)
	}
	if err == nil {
		err = config.Validate(spec, c.Dir)
	}
	if err != nil {
		return nil, err
	}
	cfg := container.Config{ID: c.ID, Bundle: c.Dir, Spec: spec}
	lc := container.Lifecycle{
		ForwardSignals: o.SigProxy,
		Seccomp:        o.Seccomp,
		SeccompSource:  func() (*watch.Source, error) { return prof.source(spec), nil },
	}
	io := container.IO{Stdout: stdio.Stdout, Stderr: stdio.Stderr}
	if o.Interactive {
		io.Stdin = stdio.Stdin
	}
	if o.Remove {
		// Should this process be killed, its reaper removes the overlay.
		lc.ReaperEnv = []string{reaperStoreEnv + "=" + storeRoot}
	}
	if o.Detach {
		if o.Remove {
			return nil, errdefs.New(errdefs.ErrInvalid, "run: --rm with -d needs a daemon to notice the exit; minirun has none (remove it later with `minirun rm -f`)")
		}
		logf, err := os.OpenFile(filepath.Join(c.Dir, "container.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, err
		}
		defer logf.Close()
		lc.Detached, io = true, container.IO{Stdout: logf, Stderr: logf}
	}
	return rt.Run(cfg, io, lc)
}

// Init is minirun.Init for a program that runs images: besides a
// container's init and its reaper, this program may be re-executed as the
// image store's id-shifting helper (rootless), and a reaper of a --rm run
// removes the container's layer too.
func Init() {
	if image.IsShiftHelper() {
		image.ShiftHelper()
	}
	container.RunRole(RemoveReaped)
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
