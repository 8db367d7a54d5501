package cmdline

import "github.com/urfave/cli/v2"

// dockerRunFlags are the `docker run` flags minirun understands. Both
// programs have them: the lean one to parse run's command line before it
// hands Docker's form on.
func dockerRunFlags() []cli.Flag {
	return []cli.Flag{
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
		&cli.StringFlag{Name: "log-driver", Value: "json-file", Usage: "json-file, or none to keep no log"},
		&cli.StringSliceFlag{Name: "log-opt", Usage: "json-file's max-size=SIZE (10m) and max-file=N"},
		&cli.BoolFlag{Name: "sig-proxy", Value: true, Usage: "pass the signals minirun receives on to a foreground container"},
	}
}

// dockerLifeFlags are run's and create's flags for the container's life
// after it starts: its restart policy and how stop ends it.
func dockerLifeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "restart", Value: "no", Usage: "restart policy: no, on-failure[:N], always or unless-stopped"},
		&cli.StringFlag{Name: "stop-signal", Usage: "signal stop sends first (default SIGTERM)"},
		&cli.IntFlag{Name: "stop-timeout", Usage: "seconds stop waits before SIGKILL (default 10)"},
	}
}
