package dockercmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/cmd/internal/cmdline"
	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/container/config"
	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/image"
)

// The Docker form of create, start and kill (cmdline's commands hand it
// here when dockerForm says so), and stop, restart and wait.

// CreateImage is `create [OPTIONS] IMAGE [COMMAND] [ARG...]`: it prints
// the new container's id.
func CreateImage(c *cli.Context) error {
	store, o, err := imageRunOptions(c, "create")
	if err != nil {
		return err
	}
	id, err := docker.Create(context.Background(), cmdline.RuntimeOf(c), store, o, os.Stderr)
	if err != nil {
		return err
	}
	fmt.Println(id)
	return nil
}

// StartContainers is `start [-a] [-i] NAME...`. With -a (one container)
// this process runs it in the foreground, its output on ours, and exits
// with its status; otherwise each starts under a new monitor.
func StartContainers(c *cli.Context) error {
	if c.NArg() == 0 {
		return errors.New("start: name at least one container")
	}
	rt := cmdline.RuntimeOf(c)
	store, err := openImageStore(c)
	if err != nil {
		return err
	}
	if c.Bool("attach") || c.Bool("interactive") {
		if c.NArg() != 1 {
			return errors.New("start: -a and -i take one container")
		}
		code, err := startAttached(c, rt, store.ContainersDir(), c.Args().First())
		if err != nil {
			return err
		}
		return cmdline.StatusError(code)
	}
	return eachContainer(c, "start", func(ref string) error { return docker.Start(rt, store, ref) })
}

// startAttached runs a created or exited container in the foreground,
// as `run` without -d does: this process is its monitor.
func startAttached(c *cli.Context, rt *container.Runtime, containersDir, ref string) (int, error) {
	r, err := docker.Find(containersDir, ref)
	if err != nil {
		return 0, err
	}
	dir := containersDir + "/" + r.ID
	spec, err := config.LoadBundle(dir)
	if err != nil {
		return 0, err
	}
	stdio := container.IO{Stdout: os.Stdout, Stderr: os.Stderr}
	if c.Bool("interactive") {
		stdio.Stdin = os.Stdin
	}
	return docker.RunAttached(rt, dir, container.Config{ID: r.ID, Bundle: dir, Spec: spec}, stdio)
}

// KillContainers is `kill [-s SIGNAL] NAME...`: SIGKILL unless -s.
func KillContainers(c *cli.Context) error {
	if c.NArg() == 0 {
		return errors.New("kill: name at least one container")
	}
	if c.Bool("all") {
		return errors.New("kill: -a/--all is runc's, for containers an engine made; a Docker-style container gets the signal at its init")
	}
	sig := syscall.SIGKILL
	if c.IsSet("signal") {
		var err error
		if sig, err = docker.ParseSignal(c.String("signal")); err != nil {
			return fmt.Errorf("kill: %w", err)
		}
	}
	rt := cmdline.RuntimeOf(c)
	store, err := openImageStore(c)
	if err != nil {
		return err
	}
	return eachContainer(c, "kill", func(ref string) error { return docker.Kill(rt, store, ref, sig) })
}

// eachContainer runs f on each argument, printing the ones it did as
// Docker does; it goes on past a failure and returns the first.
func eachContainer(c *cli.Context, cmd string, f func(ref string) error) error {
	var first error
	for _, ref := range c.Args().Slice() {
		if err := f(ref); err != nil {
			err = fmt.Errorf("%s %s: %w", cmd, ref, err)
			if first == nil {
				first = err
			} else {
				fmt.Fprintf(os.Stderr, "minirun: %v\n", err)
			}
			continue
		}
		fmt.Println(ref)
	}
	return first
}

func timeoutFlag() cli.Flag {
	return &cli.IntFlag{Name: "time", Aliases: []string{"t"}, Usage: "seconds to wait for the stop signal to end it before SIGKILL (default: --stop-timeout, else 10)"}
}

// timeoutOf is -t, when given.
func timeoutOf(c *cli.Context) (*time.Duration, error) {
	if !c.IsSet("time") {
		return nil, nil
	}
	if c.Int("time") < 0 {
		return nil, errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("%s: -t %d: want 0 or more seconds", c.Command.Name, c.Int("time")))
	}
	d := time.Duration(c.Int("time")) * time.Second
	return &d, nil
}

// Stop is `stop [-t N] NAME...`.
func Stop() *cli.Command {
	return stopCommand("stop", "stop containers made by `run IMAGE`: the stop signal, then SIGKILL after a timeout",
		docker.Stop)
}

// Restart is `restart [-t N] NAME...`: stop, then start.
func Restart() *cli.Command {
	return stopCommand("restart", "stop containers made by `run IMAGE`, then start them again",
		func(rt *container.Runtime, store *image.Store, ref string, timeout *time.Duration) error {
			if err := docker.Stop(rt, store, ref, timeout); err != nil {
				return err
			}
			return docker.Start(rt, store, ref)
		})
}

// stopCommand is stop's and restart's command: -t, one or more
// containers, and do on each of them in turn.
func stopCommand(name, usage string, do func(rt *container.Runtime, store *image.Store, ref string, timeout *time.Duration) error) *cli.Command {
	return &cli.Command{
		Name:      name,
		Usage:     usage,
		ArgsUsage: "NAME|ID...",
		Flags:     []cli.Flag{timeoutFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return errors.New(name + ": name at least one container")
			}
			timeout, err := timeoutOf(c)
			if err != nil {
				return err
			}
			rt := cmdline.RuntimeOf(c)
			store, err := openImageStore(c)
			if err != nil {
				return err
			}
			return eachContainer(c, name, func(ref string) error { return do(rt, store, ref, timeout) })
		},
	}
}

// Wait is `wait NAME...`: each container's exit code, one a line.
func Wait() *cli.Command {
	return &cli.Command{
		Name:      "wait",
		Usage:     "wait until containers made by `run IMAGE` exit, and print their exit codes",
		ArgsUsage: "NAME|ID...",
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return errors.New("wait: name at least one container")
			}
			rt := cmdline.RuntimeOf(c)
			store, err := openImageStore(c)
			if err != nil {
				return err
			}
			var first error
			for _, ref := range c.Args().Slice() {
				code, err := docker.Wait(rt, store, ref)
				if err != nil {
					if first == nil {
						first = fmt.Errorf("wait %s: %w", ref, err)
					}
					continue
				}
				fmt.Println(code)
			}
			return first
		},
	}
}
