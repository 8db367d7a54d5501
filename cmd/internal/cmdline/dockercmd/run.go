package dockercmd

import (
	"context"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/cmd/internal/cmdline"
	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/image"
)

// RunImage is run's Docker mode, `run [OPTIONS] IMAGE [COMMAND] [ARG...]`:
// minirun-docker's argument to cmdline.Run.
func RunImage(c *cli.Context) error {
	store, o, err := imageRunOptions(c, "run")
	if err != nil {
		return err
	}
	res, err := docker.Run(context.Background(), cmdline.RuntimeOf(c), store, o,
		container.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	if err != nil {
		return err
	}
	if c.Bool("detach") {
		fmt.Println(res.ID)
		return nil
	}
	return cmdline.StatusError(res.Status)
}

// imageRunOptions is what run and create (verb) start from: the image
// store, and the options their flags give.
func imageRunOptions(c *cli.Context, verb string) (*image.Store, *docker.RunOptions, error) {
	if c.NArg() < 1 {
		return nil, nil, fmt.Errorf("%s: an image is required: minirun %s [OPTIONS] IMAGE [COMMAND] [ARG...]", verb, verb)
	}
	store, err := openImageStore(c)
	if err != nil {
		return nil, nil, err
	}
	o, err := runOptionsFrom(c)
	if err != nil {
		return nil, nil, err
	}
	return store, o, nil
}

func runOptionsFrom(c *cli.Context) (*docker.RunOptions, error) {
	o := &docker.RunOptions{
		SecurityOpts: c.StringSlice("security-opt"), CapAdd: c.StringSlice("cap-add"), CapDrop: c.StringSlice("cap-drop"),
		Privileged: c.Bool("privileged"), Interactive: c.Bool("interactive"), TTY: c.Bool("tty"),
		Env: c.StringSlice("env"), EnvFiles: c.StringSlice("env-file"), Volumes: cmdline.TakeList(c, "volume"),
		Workdir: c.String("workdir"), User: c.String("user"), Hostname: c.String("hostname"),
		ReadOnly: c.Bool("read-only"), Network: c.String("network"),
		Net: docker.NetworkOptions{
			Publish: c.StringSlice("publish"), PublishAll: c.Bool("publish-all"),
			DNS: c.StringSlice("dns"), DNSSearch: c.StringSlice("dns-search"), DNSOptions: c.StringSlice("dns-option"),
			AddHosts: c.StringSlice("add-host"), IP: c.String("ip"), MAC: c.String("mac-address"), Aliases: c.StringSlice("network-alias"),
		}, Ulimits: c.StringSlice("ulimit"),
		Memory: c.String("memory"), PidsLimit: c.Int64("pids-limit"), CPUs: c.String("cpus"),
		Image: c.Args().First(), Cmd: c.Args().Tail(), Pull: c.String("pull"),
		Name: c.String("name"), Remove: c.Bool("rm"), Detach: c.Bool("detach"),
		Seccomp: cmdline.SeccompWatchRequest(c), SigProxy: c.Bool("sig-proxy"),
		// Mounts besides -v.
		Mounts: cmdline.TakeList(c, "mount"), Tmpfs: cmdline.TakeList(c, "tmpfs"), ShmSize: c.String("shm-size"),
		// The everyday flags.
		Init: c.Bool("init"), Labels: cmdline.TakeList(c, "label"), LabelFiles: c.StringSlice("label-file"),
		Sysctls: c.StringSlice("sysctl"), IPC: c.String("ipc"), PID: c.String("pid"), UserNS: c.String("userns"),
		Devices: c.StringSlice("device"), Platform: c.String("platform"),
		LogDriver: c.String("log-driver"), LogOpts: c.StringSlice("log-opt"),
	}
	if c.IsSet("entrypoint") {
		e := c.String("entrypoint")
		o.Entrypoint = &e
	}
	var err error
	if o.Restart, err = docker.ParseRestartPolicy(c.String("restart")); err != nil {
		return nil, err
	}
	o.StopSignal = c.String("stop-signal")
	if c.IsSet("stop-timeout") {
		t := c.Int("stop-timeout")
		o.StopTimeout = &t
	}
	return o, nil
}
