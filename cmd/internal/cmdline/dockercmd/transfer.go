package dockercmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/image"
)

// Tag is `tag SOURCE TARGET`.
func Tag() *cli.Command {
	return &cli.Command{
		Name:      "tag",
		Usage:     "give an image another name",
		ArgsUsage: "SOURCE[:TAG] TARGET[:TAG]",
		Action: onStore(2, "SOURCE[:TAG] TARGET[:TAG]", func(c *cli.Context, s *image.Store) error {
			_, err := s.Tag(c.Args().Get(0), c.Args().Get(1))
			return err
		}),
	}
}

// Save is `save [-o FILE] IMAGE...`: a docker save archive, on stdout
// unless -o.
func Save() *cli.Command {
	return &cli.Command{
		Name:      "save",
		Usage:     "write images as a docker save archive",
		ArgsUsage: "IMAGE...",
		Flags:     []cli.Flag{&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to FILE instead of stdout"}},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return errors.New("save: name at least one image: save [-o FILE] IMAGE...")
			}
			s, err := openImageStore(c)
			if err != nil {
				return err
			}
			out := c.String("output")
			if out == "" {
				if image.IsTerminal(os.Stdout) {
					return errors.New("save: refusing to write an archive to a terminal: use -o FILE or redirect stdout")
				}
				return s.Save(os.Stdout, c.Args().Slice())
			}
			// Written beside FILE and renamed, so a failed save leaves no
			// half archive.
			f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
			if err != nil {
				return fmt.Errorf("save: %w", err)
			}
			defer os.Remove(f.Name())
			err = s.Save(f, c.Args().Slice())
			if cerr := f.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("save: %s: %w", out, cerr)
			}
			if err != nil {
				return err
			}
			if err := os.Chmod(f.Name(), 0o644); err != nil {
				return fmt.Errorf("save: %w", err)
			}
			if err := os.Rename(f.Name(), out); err != nil {
				return fmt.Errorf("save: %w", err)
			}
			return nil
		},
	}
}

// Load is `load [-i FILE] [-q]`: a docker save archive or an OCI archive,
// from stdin unless -i.
func Load() *cli.Command {
	return &cli.Command{
		Name:  "load",
		Usage: "store the images of a docker save archive or an OCI archive",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "input", Aliases: []string{"i"}, Usage: "read FILE instead of stdin"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "accepted, as Docker's; minirun's load shows no progress"},
		},
		Action: onStore(0, "", func(c *cli.Context, s *image.Store) error {
			src := c.String("input")
			if src == "" {
				if image.IsTerminal(os.Stdin) {
					return errors.New("load: requested load from stdin, but stdin is a terminal: use -i FILE or redirect stdin")
				}
				// The archive is read more than once: keep stdin in a file.
				f, err := os.CreateTemp("", "minirun-load-*.tar")
				if err != nil {
					return fmt.Errorf("load: %w", err)
				}
				defer os.Remove(f.Name())
				_, err = f.ReadFrom(os.Stdin)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					return fmt.Errorf("load: read stdin: %w", err)
				}
				src = f.Name()
			}
			names, err := s.Load(src)
			for _, n := range names {
				fmt.Println("Loaded image:", image.FamiliarName(n))
			}
			return err
		}),
	}
}

// Push is `push NAME[:TAG]`.
func Push() *cli.Command {
	return &cli.Command{
		Name:      "push",
		Usage:     "upload an image to a registry",
		ArgsUsage: "NAME[:TAG]",
		Action: onStore(1, "NAME[:TAG]", func(c *cli.Context, s *image.Store) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return s.Push(ctx, c.Args().First(), os.Stdout)
		}),
	}
}
