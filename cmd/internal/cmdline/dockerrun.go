package cmdline

import (
	"runtime"

	"github.com/urfave/cli/v2"
)

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
		&cli.GenericFlag{Name: "volume", Aliases: []string{"v"}, Value: &listValue{}, Usage: "mount a host path or a named volume: SRC:DST[:ro|rw|nocopy]"},
		&cli.StringFlag{Name: "workdir", Aliases: []string{"w"}, Usage: "working directory"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "NAME|UID[:GID]"},
		// -h too: runHelpArgs.
		&cli.StringFlag{Name: "hostname", Usage: "container hostname (-h NAME)"},
		&cli.BoolFlag{Name: "read-only", Usage: "read-only root filesystem"},
		&cli.StringFlag{Name: "network", Aliases: []string{"net"}, Usage: "bridge (the default as root), pasta (the default rootless, where it can run), none, host, container:NAME or a network's name (docs/networking.md)"},
		// The network's flags (docs/networking.md).
		&cli.StringSliceFlag{Name: "publish", Aliases: []string{"p"}, Usage: "publish a port: [IP:][HOSTPORT:]PORT[/tcp|udp], ranges too"},
		&cli.BoolFlag{Name: "publish-all", Aliases: []string{"P"}, Usage: "publish the image's exposed ports on free host ports"},
		&cli.StringSliceFlag{Name: "dns", Usage: "a resolver for /etc/resolv.conf"},
		&cli.StringSliceFlag{Name: "dns-search", Usage: "a search domain for /etc/resolv.conf"},
		&cli.StringSliceFlag{Name: "dns-option", Usage: "an option for /etc/resolv.conf"},
		&cli.StringSliceFlag{Name: "add-host", Usage: "a NAME:IP line for /etc/hosts"},
		&cli.StringFlag{Name: "ip", Usage: "the container's IPv4 address on its network"},
		&cli.StringFlag{Name: "mac-address", Usage: "the container's MAC address on its network"},
		&cli.StringSliceFlag{Name: "network-alias", Usage: "another name for the container on a user network"},
		&cli.StringFlag{Name: "name", Usage: "a unique name"},
		&cli.StringSliceFlag{Name: "ulimit", Usage: "NAME=SOFT[:HARD]"},
		&cli.StringFlag{Name: "entrypoint", Usage: "override the image's entrypoint"},
		&cli.StringFlag{Name: "memory", Aliases: []string{"m"}, Usage: "memory limit, e.g. 64m"},
		&cli.Int64Flag{Name: "pids-limit", Usage: "maximum number of processes"},
		&cli.StringFlag{Name: "cpus", Usage: "number of CPUs, e.g. 0.5"},
		&cli.StringFlag{Name: "pull", Value: "missing", Usage: "pull the image: missing (when the store lacks it), always or never"},
		&cli.StringFlag{Name: "log-driver", Value: "json-file", Usage: "json-file, or none to keep no log"},
		&cli.StringSliceFlag{Name: "log-opt", Usage: "json-file's max-size=SIZE (10m) and max-file=N"},
		&cli.BoolFlag{Name: "sig-proxy", Value: true, Usage: "pass the signals minirun receives on to a foreground container"},
		// Mounts besides -v (docker/mounts.go).
		&cli.GenericFlag{Name: "mount", Value: &listValue{}, Usage: "type=bind|volume|tmpfs,source=SRC,target=DST[,readonly][,bind-propagation=P][,volume-nocopy][,tmpfs-size=N][,tmpfs-mode=M]"},
		&cli.GenericFlag{Name: "tmpfs", Value: &listValue{}, Usage: "mount a tmpfs: PATH[:OPTIONS], rw,noexec,nosuid,nodev unless told"},
		&cli.StringFlag{Name: "shm-size", Usage: "size of /dev/shm, e.g. 128m (64m by default)"},
		// The everyday flags (docker/everyday.go).
		&cli.BoolFlag{Name: "init", Usage: "run an init (tini) as PID 1 that forwards signals and reaps zombies"},
		// Kept whole, as Docker's: a=b,c is one label.
		&cli.GenericFlag{Name: "label", Aliases: []string{"l"}, Value: &listValue{}, Usage: "set a label KEY=VALUE in the container's record (repeatable)"},
		&cli.StringSliceFlag{Name: "label-file", Usage: "read labels from a file of KEY=VALUE lines"},
		&cli.StringSliceFlag{Name: "sysctl", Usage: "set a namespaced sysctl KEY=VALUE"},
		&cli.StringFlag{Name: "ipc", Usage: "IPC namespace: private, shareable, none, host or container:NAME"},
		&cli.StringFlag{Name: "pid", Usage: "pid namespace: host or container:NAME"},
		&cli.StringFlag{Name: "userns", Usage: "user namespace: host (the default)"},
		&cli.StringSliceFlag{Name: "device", Usage: "add a host device HOST[:CONTAINER][:PERMS]"},
		&cli.StringFlag{Name: "platform", Usage: "the image's platform: only the host's (linux/" + runtime.GOARCH + ")"},
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
