package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
	_ "github.com/minirun/minirun/nsenter" // setns before the Go runtime, for exec and joined namespaces
)

var createCommand = &cli.Command{
	Name:      "create",
	Usage:     "set a container up and leave it waiting for start",
	ArgsUsage: "ID",
	Flags:     createFlags(),
	Action: func(c *cli.Context) error {
		o, err := bundleOptions(c, "create")
		if err != nil {
			return err
		}
		if o.Spec.Process.Terminal && o.ConsoleSocket == "" {
			return fmt.Errorf("create: process.terminal needs --console-socket")
		}
		o.CreateOnly, o.Detached = true, true
		_, err = container.Start(o)
		return err
	},
}

var startCommand = &cli.Command{
	Name:      "start",
	Usage:     "start the process of a created container",
	ArgsUsage: "ID",
	Action:    onID(func(c *cli.Context, root, id string) error { return container.StartCreated(root, id) }),
}

func init() { commands = append(commands, createCommand, startCommand) }

// oneID checks for exactly one argument, the container id.
func oneID(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", fmt.Errorf("%s: want exactly one container ID, got %d arguments", c.Command.Name, c.NArg())
	}
	return c.Args().First(), nil
}

// onID is the action of a command on one container: f gets --root and
// the ID once the argument count is checked.
func onID(f func(c *cli.Context, root, id string) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		id, err := oneID(c)
		if err != nil {
			return err
		}
		return f(c, c.String("root"), id)
	}
}
