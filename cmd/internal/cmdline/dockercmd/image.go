// Package dockercmd holds minirun-docker's own commands, the Docker-style
// ones: run IMAGE, pull, import, images, rmi, rm and spec (whose --docker
// needs the Docker front). Only cmd/minirun-docker imports it, so the lean
// minirun is built without the image store, the registry client and the
// Docker front; it hands these commands on (cmdline.Forward).
package dockercmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/image"
)

// openImageStore opens the image store named by the global --store flag.
func openImageStore(c *cli.Context) (*image.Store, error) { return image.Open(c.String("store")) }

// onStore is the action of an image command that takes n arguments: f
// gets the opened store once the count is checked.
func onStore(n int, usage string, f func(c *cli.Context, s *image.Store) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if err := imageArgs(c, n, usage); err != nil {
			return err
		}
		s, err := openImageStore(c)
		if err != nil {
			return err
		}
		return f(c, s)
	}
}

// imageArgs checks the count of positional arguments, so a typo is a usage
// error (125) rather than a confusing failure later.
func imageArgs(c *cli.Context, n int, usage string) error {
	if c.NArg() != n {
		return fmt.Errorf("%s: want %d argument(s): %s %s", c.Command.Name, n, c.Command.Name, usage)
	}
	return nil
}

// Pull is `pull REF`.
func Pull() *cli.Command {
	return &cli.Command{
		Name:      "pull",
		Usage:     "fetch an image from a registry",
		ArgsUsage: "REF",
		Action: onStore(1, "REF", func(c *cli.Context, s *image.Store) error {
			// Ctrl-C stops the transfer; unpacked-but-uncommitted layers are
			// cleaned up by the store.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			img, err := s.Pull(ctx, c.Args().First(), os.Stderr)
			if err != nil {
				return err
			}
			fmt.Println(img.Name)
			return nil
		}),
	}
}

// Import is `import NAME SRC`.
func Import() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "store an image from a rootfs directory, a .tar/.tar.gz of one, an OCI layout or a docker save tarball",
		ArgsUsage: "NAME SRC",
		Action: onStore(2, "NAME SRC", func(c *cli.Context, s *image.Store) error {
			img, err := s.Import(c.Args().Get(0), c.Args().Get(1))
			if err != nil {
				return err
			}
			fmt.Printf("%s %s\n", img.Name, imageShortID(img.ID))
			return nil
		}),
	}
}

// Images is `images`.
func Images() *cli.Command {
	return &cli.Command{
		Name:  "images",
		Usage: "list stored images",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print names only"},
		},
		Action: onStore(0, "", func(c *cli.Context, s *image.Store) error {
			imgs, err := s.List()
			if err != nil {
				return err
			}
			if c.Bool("quiet") {
				for _, img := range imgs {
					fmt.Println(img.Name)
				}
				return nil
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 3, ' ', 0)
			fmt.Fprintln(tw, "NAME\tID\tLAYERS\tSIZE")
			for _, img := range imgs {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", img.Name, imageShortID(img.ID), len(img.Layers), image.HumanSize(img.Size, ""))
			}
			return tw.Flush()
		}),
	}
}

// Rmi is `rmi NAME...`.
func Rmi() *cli.Command {
	return &cli.Command{
		Name:      "rmi",
		Usage:     "remove images and the layers no other image uses",
		ArgsUsage: "NAME [NAME...]",
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return errors.New("rmi: name at least one image")
			}
			s, err := openImageStore(c)
			if err != nil {
				return err
			}
			// Like docker rmi: remove what can be removed, report the rest.
			var failed []error
			for _, name := range c.Args().Slice() {
				if err := s.Remove(name); err != nil {
					failed = append(failed, err)
					continue
				}
				fmt.Println("removed", name)
			}
			if len(failed) > 0 {
				return errors.Join(failed...)
			}
			return nil
		},
	}
}

func imageShortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
