// Package mangen writes minirun's man pages from its command line: one
// page for the program (minirun.1) and one per command (minirun-CMD.1), as
// git's and Docker's are laid out. It uses urfave/cli's ToMan, which the
// shipped programs are built without (the urfave_cli_no_docs tag keeps
// them small), so it runs only in the generator `make man` builds
// (cmd/minirun-docker/mangen.go, tag mangen).
package mangen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
)

// Write writes app's pages into dir, made if missing.
func Write(dir string, app *cli.App) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := page(filepath.Join(dir, app.Name+".1"), app, "GLOBAL OPTIONS"); err != nil {
		return err
	}
	for _, c := range app.Commands {
		if c.Hidden {
			continue
		}
		usage := app.Name + " " + c.Name
		if len(c.Flags) > 0 {
			usage += " [OPTIONS]"
		}
		if c.ArgsUsage != "" {
			usage += " " + c.ArgsUsage
		}
		sub := &cli.App{
			Name:        app.Name + "-" + c.Name,
			Usage:       c.Usage,
			UsageText:   usage,
			Description: c.Description,
			Flags:       c.Flags,
			Commands:    c.Subcommands,
		}
		if err := page(filepath.Join(dir, sub.Name+".1"), sub, "OPTIONS"); err != nil {
			return err
		}
	}
	return nil
}

// page writes app's page, its flags under the heading flagsHeading (a
// command's are its own options, not the program's global ones).
func page(path string, app *cli.App, flagsHeading string) error {
	text, err := app.ToManWithSection(1)
	if err != nil {
		return fmt.Errorf("man page %s: %w", path, err)
	}
	text = strings.Replace(text, ".SH GLOBAL OPTIONS", ".SH "+flagsHeading, 1)
	return os.WriteFile(path, []byte(text), 0o644)
}
