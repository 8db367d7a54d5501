package cmdline

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
	_ "github.com/minirun/minirun/nsenter" // setns before the Go runtime, for exec and joined namespaces
)

// Create is `create [-b BUNDLE] ID`: runc's create.
func Create() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "set a container up and leave it waiting for start",
		ArgsUsage: "ID",
		Flags:     createFlags(),
		Action: func(c *cli.Context) error {
			cfg, stdio, err := bundleOptions(c, "create")
			if err != nil {
				return err
			}
			if cfg.Spec.Process.Terminal && stdio.ConsoleSocket == "" {
				return fmt.Errorf("create: process.terminal needs --console-socket")
			}
			_, err = RuntimeOf(c).Create(cfg, stdio, container.Lifecycle{})
			return err
		},
	}
}

// Start is `start ID`.
func Start() *cli.Command {
	return &cli.Command{
		Name:      "start",
		Usage:     "start the process of a created container",
		ArgsUsage: "ID",
		Action:    onID(func(c *cli.Context, ctr *container.Container) error { return ctr.Start() }),
	}
}

// oneID checks for exactly one argument, the container id.
func oneID(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", fmt.Errorf("%s: want exactly one container ID, got %d arguments", c.Command.Name, c.NArg())
	}
	return c.Args().First(), nil
}

// onID is the action of a command on one container: f gets it once the
// argument count is checked.
func onID(f func(c *cli.Context, ctr *container.Container) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		ctr, err := loadContainer(c, c.Command.Name)
		if err != nil {
			return err
		}
		return f(c, ctr)
	}
}

// RuntimeOf is the runtime the global flags describe: --root (resolved
// by the app's Before) and --debug.
func RuntimeOf(c *cli.Context) *container.Runtime {
	return &container.Runtime{Root: c.String("root"), Debug: c.Bool("debug")}
}

// loadContainer is the container the command's one argument names.
func loadContainer(c *cli.Context, cmd string) (*container.Container, error) {
	id, err := oneID(c)
	if err != nil {
		return nil, err
	}
	ctr, err := RuntimeOf(c).Load(id)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return ctr, nil
}
