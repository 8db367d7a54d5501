package cmdline

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/internal/trace"
	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/state"
)

// debugMode is --debug: a bool flag (--debug, --debug=false) that also
// takes "timings". c.Bool("debug") reads it as before: true for the full
// trace only; timings go through trace.Timings.
type debugMode struct{ trace bool }

func (d *debugMode) Set(v string) error {
	if v == "timings" {
		trace.Timings = true
		return nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("want true, false or timings, not %q", v)
	}
	d.trace = on
	return nil
}

func (d *debugMode) String() string   { return strconv.FormatBool(d != nil && d.trace) }
func (d *debugMode) IsBoolFlag() bool { return true }

// globalFlags are the flags before the command.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{Name: "debug", Value: &debugMode{}, Usage: "log each step of container set-up at level debug, to --log or else stderr; --debug=timings prints one line per step with its duration instead"},
		&cli.StringFlag{Name: "root", Value: defaultRoot(), EnvVars: []string{"MINIRUN_ROOT"}, Usage: "directory for container state"},
		&cli.StringFlag{Name: "store", Value: defaultStore(), EnvVars: []string{"MINIRUN_STORE"}, Usage: "directory for images and container layers"},
		&cli.StringFlag{Name: "log", Usage: "write the log here (errors and warnings; with --debug, each step of set-up); errors go to stderr too"},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "format of the log: text or json (logrus's, as runc writes them)"},
		&cli.BoolFlag{Name: "systemd-cgroup", Usage: "accepted for runc compatibility; cgroupfs is always used"},
		&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "accepted for runc compatibility", Hidden: true},
		&cli.StringFlag{Name: "criu", Hidden: true},
	}
}

func setupGlobals(c *cli.Context) error {
	rootlessCache()
	// Every later use of --root takes the path resolved here, the one
	// the state package checks (state.ResolveRoot says why). If it can't
	// be resolved, the state package reports it, on the commands that use
	// the root only.
	if given := c.String("root"); given != "" {
		if root, err := state.ResolveRoot(given); err == nil && root != given {
			if err := c.Set("root", root); err != nil {
				return fmt.Errorf("--root %s: %w", given, err)
			}
		}
	}
	asJSON := false
	switch f := c.String("log-format"); f {
	case "text":
	case "json":
		asJSON = true
	default:
		return fmt.Errorf("--log-format: unknown format %q (want text or json)", f)
	}
	// The log, as runc's: --log FILE, else stderr with --debug; in
	// logrus's line shape (trace/logline.go). Warnings and errors go there
	// too; the --debug trace only with --debug.
	if p := c.String("log"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("open log %s: %w", p, err)
		}
		trace.SetLog(f, asJSON)
	} else if c.Bool("debug") {
		trace.SetLog(os.Stderr, asJSON)
	}
	if f, _ := trace.LogFile(); f != nil {
		seccomp.Warn = func(msg string) { trace.Log(trace.LevelWarning, msg) }
	}
	return nil
}

// StatusError is a container's own exit status: passed through silently.
// A command's action returns it for minirun to exit with.
type StatusError int

func (s StatusError) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// report prints err as one line and returns the exit status (exitStatus).
// The line goes to stderr, and to the log at level error: containerd
// reads the last error line of a --log file as the runtime's error. When
// the log is stderr itself (--debug), the log's line is the only one, as
// with runc.
func report(err error) int {
	code := exitStatus(err)
	var st StatusError
	if errors.As(err, &st) {
		return code
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if f, _ := trace.LogFile(); f != os.Stderr {
		fmt.Fprintf(os.Stderr, "minirun: %s\n", msg)
	}
	trace.Log(trace.LevelError, msg)
	return code
}
