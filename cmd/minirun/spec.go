package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/docker"
)

var specCommand = &cli.Command{
	Name:  "spec",
	Usage: "write a starting config.json with Docker's defaults",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "directory to write config.json in"},
		&cli.BoolFlag{Name: "rootless", Usage: "a config an unprivileged user can run: a user namespace mapping the caller to root, no network namespace, no cgroup resources, /sys bound read-only"},
	},
	Action: func(c *cli.Context) error {
		s, err := docker.DefaultSpec()
		if err != nil {
			return err
		}
		if c.Bool("rootless") {
			container.RootlessSpec(s, os.Geteuid(), os.Getegid(), false)
		}
		data, err := json.MarshalIndent(s, "", "\t")
		if err != nil {
			return err
		}
		path := filepath.Join(c.String("bundle"), "config.json")
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("spec: %s already exists", path)
		}
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			return fmt.Errorf("spec: write %s: %w", path, err)
		}
		return nil
	},
}

func init() { commands = append(commands, specCommand) }

// writeConfig saves a spec as DIR/config.json, so a container made from an
// image is an ordinary bundle anyone can inspect or rerun with `run -b`.
func writeConfig(dir string, s *specs.Spec) error {
	data, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), append(data, '\n'), 0o644)
}
