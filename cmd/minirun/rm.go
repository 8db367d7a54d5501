package main

import (
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/image"
)

var rmCommand = &cli.Command{
	Name:      "rm",
	Usage:     "remove containers made by `run IMAGE`: their writable layer and record",
	ArgsUsage: "NAME|ID...",
	Action: func(c *cli.Context) error {
		if c.NArg() == 0 {
			return exitErr(125, fmt.Errorf("rm: name at least one container"))
		}
		store, err := image.Open(c.String("store"))
		if err != nil {
			return exitErr(125, err)
		}
		for _, ref := range c.Args().Slice() {
			r, err := docker.Find(filepath.Join(store.Root, "containers"), ref)
			if err != nil {
				return exitErr(125, fmt.Errorf("rm: %w", err))
			}
			if err := store.RemoveRootfs(r.ID); err != nil {
				return exitErr(125, fmt.Errorf("rm %s: %w", ref, err))
			}
			fmt.Println(ref)
		}
		return nil
	},
}

func init() { commands = append(commands, rmCommand) }
