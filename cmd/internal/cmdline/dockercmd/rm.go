package dockercmd

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/cmd/internal/cmdline"
	"github.com/minirun/minirun/docker"
)

// Rm is `rm NAME|ID...`.
func Rm() *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove containers made by `run IMAGE`: their writable layer and record",
		ArgsUsage: "NAME|ID...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill it first if it is running"},
			&cli.BoolFlag{Name: "volumes", Aliases: []string{"v"}, Usage: "remove its anonymous volumes too"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return fmt.Errorf("rm: name at least one container")
			}
			store, err := openImageStore(c)
			if err != nil {
				return err
			}
			rt := cmdline.RuntimeOf(c)
			for _, ref := range c.Args().Slice() {
				if err := docker.RemoveContainer(rt, store, ref, c.Bool("force"), c.Bool("volumes")); err != nil {
					return fmt.Errorf("rm %s: %w", ref, err)
				}
				fmt.Println(ref)
			}
			return nil
		},
	}
}
