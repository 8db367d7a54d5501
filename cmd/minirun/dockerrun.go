package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/image"
	"github.com/minirun/minirun/seccomp"
)

// dockerRunFlags are the `docker run` flags minirun understands.
var dockerRunFlags = []cli.Flag{
	&cli.StringSliceFlag{Name: "security-opt", Usage: "seccomp=PATH|unconfined|builtin, no-new-privileges[=true|false]"},
	&cli.StringSliceFlag{Name: "cap-add", Usage: "add a capability (or ALL)"},
	&cli.StringSliceFlag{Name: "cap-drop", Usage: "drop a capability (or ALL)"},
	&cli.BoolFlag{Name: "privileged", Usage: "all capabilities and host devices, no masked paths, no seccomp unless given"},
	&cli.BoolFlag{Name: "rm", Usage: "remove the container when it exits"},
	&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "keep stdin open"},
	&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pseudo-terminal"},
	&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable"},
	&cli.StringSliceFlag{Name: "env-file", Usage: "read environment variables from a file"},
	&cli.StringSliceFlag{Name: "volume", Aliases: []string{"v"}, Usage: "bind mount SRC:DST[:ro]"},
	&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory"},
	&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "NAME|UID[:GID]"},
	&cli.StringFlag{Name: "hostname", Usage: "container hostname"},
	&cli.BoolFlag{Name: "read-only", Usage: "read-only root filesystem"},
	&cli.StringFlag{Name: "network", Aliases: []string{"net"}, Value: "none", Usage: "none or host"},
	&cli.StringFlag{Name: "name", Usage: "a unique name"},
	&cli.StringSliceFlag{Name: "ulimit", Usage: "NAME=SOFT[:HARD]"},
	&cli.StringFlag{Name: "entrypoint", Usage: "override the image's entrypoint"},
	&cli.StringFlag{Name: "memory", Aliases: []string{"m"}, Usage: "memory limit, e.g. 64m"},
	&cli.Int64Flag{Name: "pids-limit", Usage: "maximum number of processes"},
	&cli.StringFlag{Name: "cpus", Usage: "number of CPUs, e.g. 0.5"},
}

// runImage is `run [OPTIONS] IMAGE [COMMAND] [ARG...]`.
func runImage(c *cli.Context) error {
	if c.NArg() < 1 {
		return errors.New("run: an image is required: minirun run [OPTIONS] IMAGE [COMMAND] [ARG...]")
	}
	store, err := image.Open(c.String("store"))
	if err != nil {
		return err
	}
	ref := c.Args().First()
	img, err := store.Get(ref)
	if err != nil {
		if errors.Is(err, image.ErrNotFound) {
			return fmt.Errorf("unable to find image %q locally; `minirun pull %s` or `minirun import %s DIR` first", ref, ref, ref)
		}
		return err
	}
	opts := runOptionsFrom(c)
	containersDir := store.ContainersDir()
	if err := docker.CheckName(containersDir, c.String("name")); err != nil {
		return err
	}
	id, err := docker.NewID()
	if err != nil {
		return err
	}
	var rootfs, overlay string
	if container.Rootless() {
		// Mounted by the container inside its user namespace.
		if err := image.OverlayInUserns(); err != nil {
			return err
		}
		rootfs, overlay, err = store.PrepareRootfs(img, id)
	} else {
		rootfs, err = store.MountRootfs(img, id)
	}
	if err != nil {
		return err
	}
	// From here on, a failure or --rm must take the container away again.
	remove := func() {
		if err := store.RemoveRootfs(id); err != nil {
			fmt.Fprintf(os.Stderr, "minirun: cleanup: %v\n", err)
		}
	}
	dir := filepath.Dir(rootfs)
	rec := docker.Record{ID: id, Name: c.String("name"), Image: img.Name, Created: time.Now().UTC()}
	if err := rec.Save(dir); err != nil {
		remove()
		return fmt.Errorf("save container record: %w", err)
	}
	spec, err := docker.BuildSpec(docker.Container{ID: id, Image: img, Rootfs: rootfs, Dir: dir, Overlay: overlay, IDMaps: store.Shift}, opts)
	if err == nil {
		err = writeConfig(dir, spec)
	}
	if err == nil {
		err = container.Validate(spec, dir)
	}
	if err != nil {
		remove()
		return err
	}
	// Registered under --root like any runc-style container, so list,
	// state, kill, exec and pause work on it by its ID.
	watch, err := newSeccompWatch(c, spec, func() (*seccomp.Source, error) { return docker.SeccompSource(opts, spec) })
	if err != nil {
		remove()
		return err
	}
	o := &container.Options{ID: id, Bundle: dir, Spec: spec, Debug: c.Bool("debug"),
		Stdout: os.Stdout, Stderr: os.Stderr, Root: c.String("root"), SeccompWatch: watch.watcher()}
	if opts.Interactive {
		o.Stdin = os.Stdin
	}
	if c.Bool("rm") {
		// Should this minirun be killed, its reaper removes the overlay.
		o.ReaperEnv = []string{reaperStoreEnv + "=" + store.Root}
	}
	detach := c.Bool("detach")
	if detach {
		if c.Bool("rm") {
			remove()
			return errors.New("run: --rm with -d needs a daemon to notice the exit; minirun has none (remove it later with `minirun rm -f`)")
		}
		logf, err := os.OpenFile(filepath.Join(dir, "container.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			remove()
			return err
		}
		defer logf.Close()
		o.Detached, o.Stdin, o.Stdout, o.Stderr = true, nil, logf, logf
	}
	p, err := container.Start(o)
	if err != nil {
		remove()
		return err
	}
	if detach {
		fmt.Println(id)
		return nil
	}
	code, err := p.Wait()
	if werr := watch.finish(); werr != nil && err == nil {
		err = werr
	}
	if c.Bool("rm") {
		remove()
	}
	if err != nil {
		return err
	}
	return statusError(code)
}

func runOptionsFrom(c *cli.Context) *docker.RunOptions {
	o := &docker.RunOptions{
		SecurityOpts: c.StringSlice("security-opt"), CapAdd: c.StringSlice("cap-add"), CapDrop: c.StringSlice("cap-drop"),
		Privileged: c.Bool("privileged"), Interactive: c.Bool("interactive"), TTY: c.Bool("tty"),
		Env: c.StringSlice("env"), EnvFiles: c.StringSlice("env-file"), Volumes: c.StringSlice("volume"),
		Workdir: c.String("workdir"), User: c.String("user"), Hostname: c.String("hostname"),
		ReadOnly: c.Bool("read-only"), Network: c.String("network"), Ulimits: c.StringSlice("ulimit"),
		Memory: c.String("memory"), PidsLimit: c.Int64("pids-limit"), CPUs: c.String("cpus"),
		Cmd: c.Args().Tail(),
	}
	if c.IsSet("entrypoint") {
		e := c.String("entrypoint")
		o.Entrypoint = &e
	}
	return o
}
