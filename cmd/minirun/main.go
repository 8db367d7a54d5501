// Command minirun is a small OCI container runtime.
package main

import (
	"fmt"
	"os"
	"path/filepath"

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
	classify(os.Args)
	for _, c := range commands {
		quietUsageErrors(c)
		cacheCommandFlagNames(c)
	}
	app := &cli.App{
		Name:     progName(),
		Usage:    "Open Container Initiative runtime: a small one, with a Docker-style front for images",
		Version:  version.Version,
		Commands: commands,
		Flags:    cacheFlagNames(globalFlags),
		Before:   setupGlobals,
		// A usage error is a failure like any other (exitstatus.go).
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return fmt.Errorf("usage: %w", err)
		},
		ExitErrHandler: func(*cli.Context, error) {},
	}
	if err := app.Run(reorderArgs(os.Args, app.Flags, commands)); err != nil {
		os.Exit(report(err))
	}
}

// progName is the name this program was called by: its banners and help
// say it. An engine or runc's test suite that installs minirun as a
// drop-in runc (a symlink named runc) reads "runc version ..." and "runc -
// Open Container Initiative runtime" where it expects them.
func progName() string {
	if len(os.Args) > 0 {
		if name := filepath.Base(os.Args[0]); name != "." && name != "/" && name != "" {
			return name
		}
	}
	return "minirun"
}

// quietUsageErrors makes a bad flag a one-line error rather than a page
// of help.
func quietUsageErrors(c *cli.Command) {
	if c.OnUsageError == nil {
		name := c.Name
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%s: %w (see '%s %s --help')", name, err, progName(), name)
		}
	}
	for _, sub := range c.Subcommands {
		quietUsageErrors(sub)
	}
}
