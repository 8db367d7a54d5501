package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
)

var runCommand = &cli.Command{
	Name:      "run",
	Usage:     "run a container from a bundle (-b DIR ID)",
	ArgsUsage: "ID",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "bundle directory holding config.json"},
	},
	Action: runBundle,
}

func init() { commands = append(commands, runCommand) }

func runBundle(c *cli.Context) error {
	if c.NArg() != 1 {
		return exitErr(125, fmt.Errorf("run: want exactly one container ID, got %d arguments", c.NArg()))
	}
	bundle, err := filepath.Abs(c.String("bundle"))
	if err != nil {
		return exitErr(125, err)
	}
	if c.String("bundle") == "" {
		bundle, _ = os.Getwd()
	}
	spec, err := container.LoadSpec(bundle)
	if err != nil {
		return err
	}
	if err := container.Validate(spec, bundle); err != nil {
		return err
	}
	p, err := container.Start(&container.Options{
		ID: c.Args().First(), Bundle: bundle, Spec: spec, Debug: c.Bool("debug"),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
	})
	if err != nil {
		return err
	}
	code, err := p.Wait()
	if err != nil {
		return err
	}
	return statusError(code)
}

// asContainerError lets report() pick the step's exit code.
func asContainerError(err error) (*container.Error, bool) {
	var ce *container.Error
	ok := errors.As(err, &ce)
	return ce, ok
}
