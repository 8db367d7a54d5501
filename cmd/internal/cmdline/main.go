// Package cmdline is the command line both minirun programs share: the
// runc commands, the seccomp tools, the global flags, the exit statuses
// and the forwarding of Docker-style commands from the lean minirun to
// minirun-docker. Each program's main writes out its own command list
// from the constructors here (and, for minirun-docker, from dockercmd)
// and calls Main.
package cmdline

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/internal/version"
)

// App is what a main hands to Main.
type App struct {
	// Roles runs this process as what it was re-executed for, if
	// anything (a container's init, a user namespace holder, a reaper,
	// ...). None of them returns.
	Roles func()
	// TakesForwarded is set for minirun-docker, which takes the commands
	// a lean minirun hands on (forward.go).
	TakesForwarded bool
	// ResolveContainer, minirun-docker's, finds the container a Docker
	// reference (a name, an id prefix) names; the lean minirun has none
	// and hands such references on (dockerform.go).
	ResolveContainer ContainerResolver
	// Commands, in the order help lists them.
	Commands []*cli.Command
}

// Main runs the command line os.Args describes and exits.
func Main(a App) {
	globals := globalFlags()
	resolveRecord = a.ResolveContainer
	if a.TakesForwarded {
		takeForwarded(globals, a.Commands)
	}
	// A container's init, a user namespace holder or a reaper never
	// returns from here: this binary is re-executed as each.
	a.Roles()
	classify(os.Args, globals, a.Commands)
	// Called as runc (a drop-in), urfave's "No help topic" stays: runc's
	// tests read it.
	if word := unknownCommand(os.Args, globals, a.Commands); word != "" && progName() != "runc" {
		os.Exit(report(notACommand(word, a.Commands)))
	}
	for _, c := range a.Commands {
		quietUsageErrors(c)
		cacheCommandFlagNames(c)
	}
	cli.VersionPrinter = printVersion
	app := &cli.App{
		Name:     progName(),
		Usage:    appUsage,
		Version:  version.Version,
		Commands: a.Commands,
		Flags:    cacheFlagNames(globals),
		Before:   setupGlobals,
		// A usage error is a failure like any other (exitstatus.go).
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			if !invocation.runc {
				err = dockerFlagError(err, c.App.Flags)
			}
			return fmt.Errorf("usage: %w", err)
		},
		ExitErrHandler: func(*cli.Context, error) {},
	}
	if err := app.Run(runHelpArgs(reorderArgs(os.Args, app.Flags, a.Commands), app.Flags, a.Commands)); err != nil {
		os.Exit(report(err))
	}
	os.Exit(0)
}

const appUsage = "Open Container Initiative runtime: a small one, with a Docker-style front for images"

// DocApp is the command line with cmds as help shows it, named minirun,
// for a generator of documents built apart from the programs (man pages:
// cmd/internal/mangen).
func DocApp(cmds []*cli.Command) *cli.App {
	return &cli.App{Name: "minirun", Usage: appUsage, Flags: globalFlags(), Commands: cmds}
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
			if !invocation.runc {
				err = dockerFlagError(err, c.Flags)
			}
			return fmt.Errorf("%s: %w (see '%s %s --help')", name, err, progName(), name)
		}
	}
	for _, sub := range c.Subcommands {
		quietUsageErrors(sub)
	}
}
