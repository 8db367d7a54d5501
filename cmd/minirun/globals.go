package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/state"
	"github.com/minirun/minirun/trace"
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

var globalFlags = []cli.Flag{
	&cli.GenericFlag{Name: "debug", Value: &debugMode{}, Usage: "trace each step of container set-up on stderr; --debug=timings prints one line per step with its duration instead"},
	&cli.StringFlag{Name: "root", Value: defaultRoot(), EnvVars: []string{"MINIRUN_ROOT"}, Usage: "directory for container state"},
	&cli.StringFlag{Name: "store", Value: defaultStore(), EnvVars: []string{"MINIRUN_STORE"}, Usage: "directory for images and container layers"},
	&cli.StringFlag{Name: "log", Usage: "also write errors to this file"},
	&cli.StringFlag{Name: "log-format", Value: "text", Usage: "format of --log: text or json"},
	&cli.BoolFlag{Name: "systemd-cgroup", Usage: "accepted for runc compatibility; cgroupfs is always used"},
	&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "accepted for runc compatibility", Hidden: true},
	&cli.StringFlag{Name: "criu", Hidden: true},
}

// logFile is where errors are recorded besides stderr (containerd reads it).
var (
	logFile   io.WriteCloser
	logFormat = "text"
)

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
	if p := c.String("log"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("open log %s: %w", p, err)
		}
		logFile = f
		trace.WarnSink = func(msg string) { logLine(slog.LevelWarn, msg) }
		seccomp.Warn = func(msg string) { logLine(slog.LevelWarn, msg) }
	}
	switch f := c.String("log-format"); f {
	case "text", "json":
		logFormat = f
	default:
		return fmt.Errorf("--log-format: unknown format %q (want text or json)", f)
	}
	return nil
}

// statusError is a container's own exit status: passed through silently.
type statusError int

func (s statusError) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// report prints err as one line and returns the exit status (exitStatus).
func report(err error) int {
	code := exitStatus(err)
	var st statusError
	if errors.As(err, &st) {
		return code
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(os.Stderr, "minirun: %s\n", msg)
	logLine(slog.LevelError, msg)
	return code
}

// logLine writes msg to --log, if given, in its format.
func logLine(level slog.Level, msg string) {
	if logFile == nil {
		return
	}
	if logFormat == "json" {
		// containerd keeps the last line whose "level" is "error",
		// lowercase as logrus writes it; slog would write "ERROR".
		l := slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{ReplaceAttr: logrusLevel}))
		l.Log(context.Background(), level, msg)
		return
	}
	if level == slog.LevelWarn {
		fmt.Fprintf(logFile, "minirun: warning: %s\n", msg)
		return
	}
	fmt.Fprintf(logFile, "minirun: %s\n", msg)
}

// logrusLevel writes slog's level the way logrus does ("error",
// "warning").
func logrusLevel(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.LevelKey {
		l := strings.ToLower(a.Value.String())
		if l == "warn" {
			l = "warning"
		}
		a.Value = slog.StringValue(l)
	}
	return a
}
