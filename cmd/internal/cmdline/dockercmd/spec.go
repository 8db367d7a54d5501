package dockercmd

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/container/config"
	"github.com/minirun/minirun/docker"
)

// Spec is `spec [--docker] [--rootless]`: runc's spec, or Docker's defaults.
func Spec() *cli.Command {
	return &cli.Command{
		Name:  "spec",
		Usage: "write a starting config.json: runc's default, or Docker's with --docker",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "directory to write config.json in"},
			&cli.BoolFlag{Name: "docker", Usage: "Docker's defaults instead of runc's: its capabilities, seccomp profile, device rules, masked paths and a writable root"},
			&cli.BoolFlag{Name: "rootless", Usage: "a config an unprivileged user can run: a user namespace mapping the caller to root, no network namespace, no cgroup resources, /sys bound read-only"},
		},
		Action: func(c *cli.Context) error {
			// Engines and runc's scripts edit what `runc spec` writes, so that is
			// the default; Docker's is a flag away for people and tests.
			s := config.Example()
			if c.Bool("docker") {
				var err error
				if s, err = docker.DefaultSpec(); err != nil {
					return err
				}
			}
			if c.Bool("rootless") {
				container.RootlessSpec(s, os.Geteuid(), os.Getegid(), false)
			}
			path := filepath.Join(c.String("bundle"), "config.json")
			if _, err := os.Stat(path); err == nil {
				return fmt.Errorf("spec: %s already exists", path)
			}
			if err := docker.WriteSpec(path, s); err != nil {
				return fmt.Errorf("spec: write %s: %w", path, err)
			}
			return nil
		},
	}
}
