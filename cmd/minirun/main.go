// Command minirun is a small OCI container runtime.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/version"
)

// commands is filled by the init functions of the files beside this one, so
// each command lives in its own file.
var commands []*cli.Command

func main() {
	if container.IsInit() {
		container.Init() // never returns
	}
	app := &cli.App{
		Name:     "minirun",
		Usage:    "a small OCI container runtime",
		Version:  version.Version,
		Commands: commands,
		Flags:    globalFlags,
		Before:   setupGlobals,
		// Usage errors are runtime errors in Docker's scheme: 125.
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return exitErr(125, fmt.Errorf("usage: %w", err))
		},
		ExitErrHandler: func(*cli.Context, error) {},
	}
	if err := app.Run(os.Args); err != nil {
		os.Exit(report(err))
	}
}
