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

// Import is `import SRC NAME[:TAG]`, Docker's order; minirun's older
// `import NAME SRC` still works, with a warning. SRC is a rootfs tar or
// directory, an OCI layout or a docker save tarball.
func Import() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "store an image from a rootfs directory, a .tar/.tar.gz of one, an OCI layout or a docker save tarball",
		ArgsUsage: "SRC NAME[:TAG]",
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return fmt.Errorf("import: want 2 arguments: import SRC NAME[:TAG] (minirun keeps images by name)")
			}
			src, name, old := importArgs(c.Args().Get(0), c.Args().Get(1))
			s, err := openImageStore(c)
			if err != nil {
				return err
			}
			img, err := s.Import(name, src)
			if err != nil {
				return err
			}
			// Only once it worked: a failure is its one line of error.
			if old {
				fmt.Fprintf(os.Stderr, "minirun: warning: import NAME SRC is the old order; Docker's is import %s %s\n", src, name)
			}
			fmt.Println(img.ID)
			return nil
		},
	}
}

// importArgs tells Docker's order (SRC NAME) from minirun's old one
// (NAME SRC) by which argument is a path that exists. When neither is,
// the old order is taken only if the second can't be an image name (a
// path such as /x.tar) and the first can, so that the error names the
// missing source.
func importArgs(a, b string) (src, name string, old bool) {
	switch {
	case exists(a):
		return a, b, false
	case exists(b):
		return b, a, true
	}
	if _, err := image.NormalizeName(b); err != nil {
		if _, err := image.NormalizeName(a); err == nil {
			return b, a, true
		}
	}
	return a, b, false
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Rmi is `rmi [-f] IMAGE...`.
func Rmi() *cli.Command {
	return &cli.Command{
		Name:      "rmi",
		Usage:     "remove images and the layers no other image uses",
		ArgsUsage: "IMAGE [IMAGE...]",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "remove the name even if a container uses the image (its layers stay while it does)"},
		},
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
			for _, ref := range c.Args().Slice() {
				rm, err := s.RemoveImage(ref, c.Bool("force"))
				if err != nil {
					failed = append(failed, err)
					continue
				}
				for _, n := range rm.Untagged {
					fmt.Println("Untagged:", image.FamiliarName(n))
				}
				if rm.Deleted != "" {
					fmt.Println("Deleted:", rm.Deleted)
				}
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
