package cmdline

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
	_ "github.com/minirun/minirun/nsenter" // setns before the Go runtime, for exec and joined namespaces
)

// Create is `create [-b BUNDLE] ID`, runc's create, and Docker's
// `create [OPTIONS] IMAGE [COMMAND] [ARG...]`, which is docker's action
// (the front's, or the lean program's hand-on to it); dockerForm tells
// them apart.
func Create(docker cli.ActionFunc) *cli.Command {
	return &cli.Command{
		Name:                   "create",
		Usage:                  "set a container up and leave it waiting for start: from a bundle (runc style) or an image (Docker style)",
		ArgsUsage:              "ID | IMAGE [COMMAND] [ARG...]",
		Flags:                  append(append(createFlags(), dockerRunFlags()...), dockerLifeFlags()...),
		UseShortOptionHandling: true,
		Action: func(c *cli.Context) error {
			if dockerFormOf(c) {
				setForm(false)
				return docker(c)
			}
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

// Start is `start ID`, runc's, and Docker's `start [-a] [-i] NAME...`,
// which is docker's action; dockerForm tells them apart.
func Start(docker cli.ActionFunc) *cli.Command {
	runc := onID(func(c *cli.Context, ctr *container.Container) error { return ctr.Start() })
	return &cli.Command{
		Name:      "start",
		Usage:     "start the process of a created container (runc style), or start stopped containers again (Docker style)",
		ArgsUsage: "ID | NAME...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "attach", Aliases: []string{"a"}, Usage: "Docker style: attach to its output, and exit with its status"},
			&cli.BoolFlag{Name: "interactive", Aliases: []string{"i"}, Usage: "Docker style: attach its stdin"},
		},
		UseShortOptionHandling: true,
		Action: func(c *cli.Context) error {
			if dockerFormOf(c) {
				setForm(false)
				return docker(c)
			}
			return runc(c)
		},
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
