package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
)

// runcRunFlags are runc's flags for `run`: the mode engines use.
var runcRunFlags = []cli.Flag{
	&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Usage: "runc mode: bundle directory holding config.json"},
	&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "run in the background"},
}

// runBundle is `run -b BUNDLE ID`: runc's create and start in one.
func runBundle(c *cli.Context) error {
	if c.NArg() != 1 {
		return exitErr(125, fmt.Errorf("run: want exactly one container ID, got %d arguments", c.NArg()))
	}
	bundle := c.String("bundle")
	if bundle == "" {
		bundle = "."
	}
	bundle, err := filepath.Abs(bundle)
	if err != nil {
		return exitErr(125, err)
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
