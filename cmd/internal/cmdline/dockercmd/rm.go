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
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill it first if it is running"}},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return fmt.Errorf("rm: name at least one container")
			}
			store, err := openImageStore(c)
			if err != nil {
				return err
			}
			for _, ref := range c.Args().Slice() {
				r, err := docker.Find(store.ContainersDir(), ref)
				if err != nil {
					return fmt.Errorf("rm: %w", err)
				}
				// Its runtime state, if any: a detached or still running one.
				ctr, err := cmdline.RuntimeOf(c).Load(r.ID)
				if err != nil {
					return fmt.Errorf("rm %s: %w", ref, err)
				}
				if _, err := ctr.State(); err == nil {
					if err := ctr.Delete(c.Bool("force")); err != nil {
						return fmt.Errorf("rm %s: %w", ref, err)
					}
				}
				if err := store.RemoveRootfs(r.ID); err != nil {
					return fmt.Errorf("rm %s: %w", ref, err)
				}
				fmt.Println(ref)
			}
			return nil
		},
	}
}
