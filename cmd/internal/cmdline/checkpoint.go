package cmdline

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// Checkpoint and Restore are runc commands that engines call by name
// (docker checkpoint, podman container checkpoint). minirun has no CRIU
// support; saying so in one line is better for the caller than "No help
// topic", which reads like a typo.
func Checkpoint() *cli.Command {
	return notWithoutCRIU("checkpoint", "checkpoint a running container")
}

// Restore: see Checkpoint.
func Restore() *cli.Command {
	return notWithoutCRIU("restore", "restore a container from a checkpoint")
}

func notWithoutCRIU(name, usage string) *cli.Command {
	return &cli.Command{
		Name:            name,
		Usage:           usage + " (not supported: minirun has no CRIU support)",
		ArgsUsage:       "ID",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			// With its flags unparsed, -h is for this action to answer.
			if a := c.Args().First(); a == "-h" || a == "--help" {
				return cli.ShowCommandHelp(c.Lineage()[1], name)
			}
			return fmt.Errorf("%s: not supported: minirun has no CRIU support (use runc or crun with criu to %s a container)", name, name)
		},
	}
}
