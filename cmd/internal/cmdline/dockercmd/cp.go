package dockercmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/cmd/internal/cmdline"
	"github.com/minirun/minirun/docker"
	"github.com/minirun/minirun/docker/archive"
	"github.com/minirun/minirun/errdefs"
)

// Cp is `cp [-a] [-L] NAME:SRC DEST|-` and `cp [-a] [-L] SRC|- NAME:DEST`,
// with Docker's path rules (docker/archive).
func Cp() *cli.Command {
	return &cli.Command{
		Name:  "cp",
		Usage: "copy files between a container and the host (- is a tar stream on stdin or stdout)",
		ArgsUsage: "CONTAINER:SRC_PATH DEST_PATH|-\n" +
			"   " + "SRC_PATH|- CONTAINER:DEST_PATH",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "archive", Aliases: []string{"a"}, Usage: "archive mode: keep the files' uid and gid"},
			&cli.BoolFlag{Name: "follow-link", Aliases: []string{"L"}, Usage: "follow a symlink that is SRC_PATH"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return fmt.Errorf("cp: want 2 arguments: cp CONTAINER:SRC_PATH DEST_PATH|- or cp SRC_PATH|- CONTAINER:DEST_PATH")
			}
			srcName, srcPath := splitCpArg(c.Args().Get(0))
			dstName, dstPath := splitCpArg(c.Args().Get(1))
			switch {
			case srcName != "" && dstName != "":
				return errdefs.New(errdefs.ErrInvalid, "cp: copying between containers is not supported")
			case srcName == "" && dstName == "":
				return errdefs.New(errdefs.ErrInvalid, "cp: name a container in the source or the destination (CONTAINER:PATH)")
			case srcPath == "" || dstPath == "":
				return errdefs.New(errdefs.ErrInvalid, "cp: a path can't be empty")
			}
			store, err := openImageStore(c)
			if err != nil {
				return err
			}
			ref := srcName + dstName
			rec, err := docker.Find(store.ContainersDir(), ref)
			if err != nil {
				return fmt.Errorf("cp: %w", err)
			}
			ctrRoot, err := docker.OpenRoot(cmdline.RuntimeOf(c), store, rec, docker.ForCopy)
			if err != nil {
				return fmt.Errorf("cp: container %s: %w", ref, err)
			}
			defer ctrRoot.Close()
			if srcName != "" {
				err = copyOut(c, ctrRoot, srcPath, dstPath)
			} else {
				err = copyIn(c, ctrRoot, srcPath, dstPath)
			}
			if err != nil {
				return fmt.Errorf("cp: %s: %w", ref, cpErr(err))
			}
			return nil
		},
	}
}

// splitCpArg splits CONTAINER:PATH. As in Docker, a path that starts
// with "/" or "." is the host's even with a colon in it.
func splitCpArg(a string) (ctr, p string) {
	if strings.HasPrefix(a, "/") || strings.HasPrefix(a, ".") {
		return "", a
	}
	if name, rest, ok := strings.Cut(a, ":"); ok && name != "" {
		return name, rest
	}
	return "", a
}

func copyOut(c *cli.Context, ctrRoot *archive.Root, srcPath, dstPath string) error {
	src, err := ctrRoot.OpenSource(srcPath, c.Bool("follow-link"))
	if err != nil {
		return err
	}
	defer src.Close()
	if dstPath == "-" {
		if isTerminal(os.Stdout) {
			return errors.New("refusing to write a tar stream to a terminal: redirect it")
		}
		return src.WriteTar(os.Stdout)
	}
	host, err := archive.HostRoot()
	if err != nil {
		return err
	}
	defer host.Close()
	host.Opts.KeepOwner = c.Bool("archive")
	t, err := host.Target(dstPath, src.Name, src.IsDir())
	if err != nil {
		return err
	}
	defer t.Close()
	return archive.Copy(src, t)
}

func copyIn(c *cli.Context, ctrRoot *archive.Root, srcPath, dstPath string) error {
	// Docker's cp without -a makes the files the container root's.
	root := archive.IDPair{}
	if ctrRoot.Opts.MapID != nil {
		root = ctrRoot.Opts.MapID(root)
	}
	ctrRoot.Opts.KeepOwner = c.Bool("archive")
	if !ctrRoot.Opts.KeepOwner {
		ctrRoot.Opts.Owner = &root
	}
	if srcPath == "-" {
		t, err := ctrRoot.StreamTarget(dstPath)
		if err != nil {
			return err
		}
		defer t.Close()
		return t.Extract(os.Stdin)
	}
	host, err := archive.HostRoot()
	if err != nil {
		return err
	}
	defer host.Close()
	src, err := host.OpenSource(srcPath, c.Bool("follow-link"))
	if err != nil {
		return err
	}
	defer src.Close()
	t, err := ctrRoot.Target(dstPath, src.Name, src.IsDir())
	if err != nil {
		return err
	}
	defer t.Close()
	return archive.Copy(src, t)
}

// cpErr says what a path error means: a missing path, a symlink met
// below the destination (ELOOP from openat2's RESOLVE_NO_SYMLINKS) or a
// path leading out (EXDEV).
func cpErr(err error) error {
	var pe *os.PathError
	switch {
	case errors.As(err, &pe) && os.IsNotExist(pe.Err):
		return fmt.Errorf("no such file or directory: %s", filepath.Clean(pe.Path))
	case errors.Is(err, unix.ELOOP):
		return fmt.Errorf("%w (a symlink where a directory was needed: refused, it could lead out of the destination)", err)
	case errors.Is(err, unix.EXDEV):
		return fmt.Errorf("%w (the path leads out of the container: refused)", err)
	}
	return err
}

// Export is `export [-o FILE] CONTAINER`: a tar of the container's
// filesystem.
func Export() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a container's filesystem as a tar archive",
		ArgsUsage: "CONTAINER",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to FILE instead of stdout"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("export: want 1 argument: export [-o FILE] CONTAINER")
			}
			ref := c.Args().First()
			store, err := openImageStore(c)
			if err != nil {
				return err
			}
			rec, err := docker.Find(store.ContainersDir(), ref)
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			out := c.String("output")
			if out == "" && isTerminal(os.Stdout) {
				return errdefs.New(errdefs.ErrInvalid, "export: refusing to write a tar archive to a terminal: use -o FILE or redirect")
			}
			root, err := docker.OpenRoot(cmdline.RuntimeOf(c), store, rec, docker.ForExport)
			if err != nil {
				return fmt.Errorf("export %s: %w", ref, err)
			}
			defer root.Close()
			src, err := root.OpenSource("/", false)
			if err != nil {
				return fmt.Errorf("export %s: %w", ref, err)
			}
			defer src.Close()
			if out == "" {
				if err := src.WriteTar(os.Stdout); err != nil {
					return fmt.Errorf("export %s: %w", ref, err)
				}
				return nil
			}
			// Written beside FILE and renamed: a failed export leaves no
			// half archive.
			f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
			if err != nil {
				return fmt.Errorf("export %s: %w", ref, err)
			}
			err = src.WriteTar(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Chmod(f.Name(), 0o644)
			}
			if err == nil {
				err = os.Rename(f.Name(), out)
			}
			if err != nil {
				os.Remove(f.Name())
				return fmt.Errorf("export %s to %s: %w", ref, out, err)
			}
			return nil
		},
	}
}

// isTerminal says whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
