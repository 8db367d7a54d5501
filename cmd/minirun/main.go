// Command minirun is a small OCI container runtime.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/internal/version"
)

// commands is filled by the init functions of the files beside this one, so
// each command lives in its own file.
var commands []*cli.Command

func main() {
	// A container's init, a user namespace holder or a reaper never
	// returns from here: this binary is re-executed as each.
	runRole()
	for _, c := range commands {
		quietUsageErrors(c)
		cacheCommandFlagNames(c)
	}
	app := &cli.App{
		Name:     "minirun",
		Usage:    "a small OCI container runtime",
		Version:  version.Version,
		Commands: commands,
		Flags:    cacheFlagNames(globalFlags),
		Before:   setupGlobals,
		// Usage errors are runtime errors in Docker's scheme: 125.
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return fmt.Errorf("usage: %w", err)
		},
		ExitErrHandler: func(*cli.Context, error) {},
	}
	if err := app.Run(reorderArgs(os.Args, app.Flags, commands)); err != nil {
		os.Exit(report(err))
	}
}

// quietUsageErrors makes a bad flag a one-line error with exit 125, as in
// Docker, rather than a page of help.
func quietUsageErrors(c *cli.Command) {
	if c.OnUsageError == nil {
		name := c.Name
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%s: %w (see 'minirun %s --help')", name, err, name)
		}
	}
	for _, sub := range c.Subcommands {
		quietUsageErrors(sub)
	}
}
