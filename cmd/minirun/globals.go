package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

var globalFlags = []cli.Flag{
	&cli.BoolFlag{Name: "debug", Usage: "trace each step of container set-up on stderr"},
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
	if p := c.String("log"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return exitErr(125, fmt.Errorf("open log %s: %w", p, err))
		}
		logFile = f
	}
	switch f := c.String("log-format"); f {
	case "text", "json":
		logFormat = f
	default:
		return exitErr(125, fmt.Errorf("--log-format: unknown format %q (want text or json)", f))
	}
	return nil
}

// exitError carries the exit status minirun should end with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitErr(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// statusError is a container's own exit status: passed through silently.
type statusError int

func (s statusError) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// report prints err as one line and returns the exit code. Runtime failures
// are 125, as in Docker, unless the error says otherwise.
func report(err error) int {
	var st statusError
	if errors.As(err, &st) {
		return int(st)
	}
	code := 125
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if ce, ok := asContainerError(err); ok && ee == nil {
		code = ce.Code
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(os.Stderr, "minirun: %s\n", msg)
	if logFile != nil {
		if logFormat == "json" {
			// containerd keeps the last line whose "level" is "error",
			// lowercase as logrus writes it; slog would write "ERROR".
			l := slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{ReplaceAttr: lowerLevel}))
			l.Error(msg)
		} else {
			fmt.Fprintf(logFile, "minirun: %s\n", msg)
		}
	}
	return code
}

// lowerLevel writes slog's level the way logrus does ("error").
func lowerLevel(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.LevelKey {
		a.Value = slog.StringValue(strings.ToLower(a.Value.String()))
	}
	return a
}
