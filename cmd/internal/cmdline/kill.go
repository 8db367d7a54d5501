package cmdline

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/state"
)

// Kill is `kill ID [SIGNAL]`, runc's (SIGTERM by default), and Docker's
// `kill [-s SIG] NAME...` (SIGKILL by default), which is docker's
// action; dockerForm tells them apart.
func Kill(docker cli.ActionFunc) *cli.Command {
	return &cli.Command{
		Name:      "kill",
		Usage:     "send a signal to a container's init (or, with --all, to all its processes); Docker style, SIGKILL unless -s",
		ArgsUsage: "ID [SIGNAL] | [-s SIGNAL] NAME...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "signal every process in the container"},
			&cli.StringFlag{Name: "signal", Aliases: []string{"s"}, Usage: "Docker style: the signal to send (default KILL)"},
		},
		Action: func(c *cli.Context) error {
			if dockerFormOf(c) {
				setForm(false)
				return docker(c)
			}
			if c.NArg() < 1 || c.NArg() > 2 {
				return fmt.Errorf("kill: want ID [SIGNAL], got %d arguments", c.NArg())
			}
			sig := unix.SIGTERM
			if c.NArg() == 2 {
				var err error
				if sig, err = parseSignal(c.Args().Get(1)); err != nil {
					return err
				}
			}
			ctr, err := RuntimeOf(c).Load(c.Args().First())
			if err != nil {
				return fmt.Errorf("kill: %w", err)
			}
			return ctr.Kill(sig, c.Bool("all"))
		},
	}
}

// parseSignal takes 9, KILL, SIGKILL or sigkill.
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 64 { // 0 checks the container is there, as runc scripts use it
			return 0, fmt.Errorf("kill: signal %d out of range", n)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("kill: unknown signal %q", s)
}

// Delete is `delete [--force] ID`.
func Delete() *cli.Command {
	return &cli.Command{
		Name:      "delete",
		Usage:     "remove a stopped container: its cgroup and state (--force kills it first)",
		ArgsUsage: "ID",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill a running container first"},
		},
		Action: onID(func(c *cli.Context, ctr *container.Container) error {
			err := ctr.Delete(c.Bool("force"))
			// runc's --force makes deleting what is already gone a success:
			// engines call it on clean-up paths and treat any error as a failure.
			if c.Bool("force") && errors.Is(err, state.ErrNotExist) {
				return nil
			}
			return err
		}),
	}
}

// Pause is `pause ID|NAME`.
func Pause() *cli.Command {
	return &cli.Command{
		Name:      "pause",
		Usage:     "freeze every process of a container",
		ArgsUsage: "ID|NAME",
		Action: onRef(func(c *cli.Context, ctr *container.Container) error {
			return echoDockerRef(c, ctr.Pause())
		}),
	}
}

// Unpause is Docker's word for resume: `unpause NAME|ID`.
func Unpause() *cli.Command {
	return &cli.Command{
		Name:      "unpause",
		Usage:     "thaw a paused container (Docker's word for resume)",
		ArgsUsage: "NAME|ID",
		Action: onRef(func(c *cli.Context, ctr *container.Container) error {
			return echoDockerRef(c, ctr.Resume())
		}),
	}
}

// Resume is `resume ID`.
func Resume() *cli.Command {
	return &cli.Command{
		Name:      "resume",
		Usage:     "thaw a paused container",
		ArgsUsage: "ID",
		Action:    onID(func(c *cli.Context, ctr *container.Container) error { return ctr.Resume() }),
	}
}
