package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/docker"
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
	store, err := openImageStore(c)
	if err != nil {
		return err
	}
	res, err := docker.Run(context.Background(), store, runOptionsFrom(c),
		docker.Env{Root: c.String("root"), Debug: c.Bool("debug"), Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		return err
	}
	if c.Bool("detach") {
		fmt.Println(res.ID)
		return nil
	}
	return statusError(res.Status)
}

func runOptionsFrom(c *cli.Context) *docker.RunOptions {
	o := &docker.RunOptions{
		SecurityOpts: c.StringSlice("security-opt"), CapAdd: c.StringSlice("cap-add"), CapDrop: c.StringSlice("cap-drop"),
		Privileged: c.Bool("privileged"), Interactive: c.Bool("interactive"), TTY: c.Bool("tty"),
		Env: c.StringSlice("env"), EnvFiles: c.StringSlice("env-file"), Volumes: c.StringSlice("volume"),
		Workdir: c.String("workdir"), User: c.String("user"), Hostname: c.String("hostname"),
		ReadOnly: c.Bool("read-only"), Network: c.String("network"), Ulimits: c.StringSlice("ulimit"),
		Memory: c.String("memory"), PidsLimit: c.Int64("pids-limit"), CPUs: c.String("cpus"),
		Image: c.Args().First(), Cmd: c.Args().Tail(),
		Name: c.String("name"), Remove: c.Bool("rm"), Detach: c.Bool("detach"),
		Seccomp: seccompWatchRequest(c),
	}
	if c.IsSet("entrypoint") {
		e := c.String("entrypoint")
		o.Entrypoint = &e
	}
	return o
}
