// Package hooks runs the OCI hooks of a config: the parent runs prestart,
// createRuntime, poststart and poststop, the init createContainer and
// startContainer, each with the container's state on stdin.
package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/timerslack"
	"github.com/minirun/minirun/internal/trace"
)

// Hook kinds, named as in config.json.
const (
	Prestart        = "prestart"
	CreateRuntime   = "createRuntime"
	CreateContainer = "createContainer"
	StartContainer  = "startContainer"
	Poststart       = "poststart"
	Poststop        = "poststop"
)

// Kinds are the kinds minirun runs, each where the spec puts it.
var Kinds = []string{Prestart, CreateRuntime, CreateContainer, StartContainer, Poststart, Poststop}

// Of returns the hooks of one kind, in config order.
func Of(s *specs.Spec, kind string) []specs.Hook {
	if s == nil || s.Hooks == nil {
		return nil
	}
	h := s.Hooks
	switch kind {
	case Prestart:
		return h.Prestart //nolint:staticcheck // deprecated in the spec, still honoured
	case CreateRuntime:
		return h.CreateRuntime
	case CreateContainer:
		return h.CreateContainer
	case StartContainer:
		return h.StartContainer
	case Poststart:
		return h.Poststart
	case Poststop:
		return h.Poststop
	}
	return nil
}

// Run runs the hooks of one kind in order, each with the state JSON
// on stdin, and stops at the first failure: a failed prestart,
// createRuntime, createContainer or startContainer hook fails the
// container. Poststart and poststop hooks go through Warn instead.
//
// The runtime's own hooks run in the bundle directory, as runc runs them,
// so a hook may name files relative to it.
func Run(s *specs.Spec, kind string, st specs.State) error {
	return RunIn(bundleDir(st), s, kind, st)
}

// RunIn is Run in the working directory dir ("" keeps the caller's). The
// init runs createContainer hooks in the rootfs, before pivot_root, as
// runc does: "./lib" in such a hook is the container's /lib.
func RunIn(dir string, s *specs.Spec, kind string, st specs.State) error {
	return RunEach(RunHook, dir, s, kind, st)
}

// RunEach is RunIn with run running each hook: the init runs them through
// its syscall interface, so a test can record them without running any.
func RunEach(run func(h specs.Hook, state []byte, dir string) error, dir string, s *specs.Spec, kind string, st specs.State) error {
	return each(run, dir, s, kind, st, func(err error) error { return err })
}

// bundleDir is the state's bundle when it is still there (poststop may
// run after the bundle was removed), else "".
func bundleDir(st specs.State) string {
	if fi, err := os.Stat(st.Bundle); st.Bundle != "" && err == nil && fi.IsDir() {
		return st.Bundle
	}
	return ""
}

// Warn runs poststart or poststop hooks. The spec makes a failure
// there a warning, with "the remaining hooks and lifecycle" continuing
// "as if the hook had succeeded": so every hook runs, and each failure is
// a warning on stderr.
func Warn(s *specs.Spec, kind string, st specs.State) {
	_ = each(RunHook, bundleDir(st), s, kind, st, func(err error) error {
		trace.Warnf("%v", err)
		return nil
	})
}

// each runs the hooks of one kind in order; failed decides, for each
// failure, whether to stop (by returning it) or go on (nil).
func each(run func(specs.Hook, []byte, string) error, dir string, s *specs.Spec, kind string, st specs.State, failed func(error) error) error {
	hooks := Of(s, kind)
	if len(hooks) == 0 {
		return nil
	}
	data, err := json.Marshal(st)
	if err != nil {
		return failed(errdefs.Stepf(kind+" hook", "encode state: %w", err))
	}
	for i, h := range hooks {
		if err := run(h, data, dir); err != nil {
			if err := failed(errdefs.Stepf(kind+" hook", "error running hook hooks.%s[%d] %s: %w", kind, i, h.Path, err)); err != nil {
				return err
			}
		}
	}
	return nil
}

// RunHook runs one hook, with state on its stdin, in dir ("" keeps the
// caller's): fork, exec and wait. A timeout kills it: a hung hook must not hang
// the runtime, and the spec makes a timed-out hook a failed one.
func RunHook(h specs.Hook, state []byte, dir string) error {
	ctx := context.Background()
	if h.Timeout != nil {
		if *h.Timeout <= 0 {
			return fmt.Errorf("timeout %d: must be positive", *h.Timeout)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	args := h.Args
	if len(args) == 0 {
		args = []string{h.Path}
	}
	cmd := exec.CommandContext(ctx, h.Path)
	cmd.Args = args
	cmd.Env = h.Env
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(state)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// WaitDelay: a hook's own children holding the output pipe must not
	// keep us waiting past the kill.
	cmd.WaitDelay = time.Second
	// With the slack minirun was started with, not its Go runtime's.
	err := timerslack.Start(cmd)
	if err == nil {
		err = cmd.Wait()
	}
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("timed out after %ds", *h.Timeout)
	}
	if err != nil {
		msg := strings.TrimSpace(out.String())
		if msg != "" {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}
