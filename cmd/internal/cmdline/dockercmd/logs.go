package dockercmd

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/cmd/internal/cmdline"
	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/errdefs"
)

// Logs is `logs [-f] [--tail N|all] [--since T] [--until T] [-t] NAME|ID`.
func Logs() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "print a detached container's output: stdout to stdout, stderr to stderr",
		ArgsUsage: "NAME|ID",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "go on printing until the container exits"},
			&cli.StringFlag{Name: "tail", Aliases: []string{"n"}, Value: "all", Usage: "only the last N lines"},
			&cli.StringFlag{Name: "since", Usage: "only lines from this time on (2006-01-02T15:04:05Z, Unix seconds) or this long ago (10m)"},
			&cli.StringFlag{Name: "until", Usage: "only lines before this time, or this long ago"},
			&cli.BoolFlag{Name: "timestamps", Aliases: []string{"t"}, Usage: "each line's time before it"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("logs: name one container: minirun logs [OPTIONS] NAME|ID")
			}
			o := docker.LogsOptions{Follow: c.Bool("follow"), Timestamps: c.Bool("timestamps"), Tail: -1}
			if t := c.String("tail"); t != "all" {
				n, err := strconv.Atoi(t)
				if err != nil {
					return errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("logs: --tail %q: want a number of lines or all", t))
				}
				// Docker takes a negative count as all.
				o.Tail = max(n, -1)
			}
			now := time.Now()
			var err error
			if o.Since, err = docker.ParseLogTime("since", c.String("since"), now); err != nil {
				return fmt.Errorf("logs: %w", err)
			}
			if o.Until, err = docker.ParseLogTime("until", c.String("until"), now); err != nil {
				return fmt.Errorf("logs: %w", err)
			}
			store, err := openImageStore(c)
			if err != nil {
				return err
			}
			ref := c.Args().First()
			r, err := docker.Find(store.ContainersDir(), ref)
			if err != nil {
				return fmt.Errorf("logs: %w", err)
			}
			return docker.Logs(store.ContainersDir(), cmdline.RuntimeOf(c), r, o, os.Stdout, os.Stderr)
		},
	}
}
