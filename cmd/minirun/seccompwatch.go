package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/seccomp"
)

// optionalValue is a flag that may stand alone (--seccomp-report) or take
// a value (--seccomp-report=FILE): Go's flag package treats a Value with
// IsBoolFlag as a switch, and still passes it what follows "=".
type optionalValue struct {
	set   bool
	value string
}

func (o *optionalValue) String() string { return o.value }
func (o *optionalValue) IsBoolFlag() bool {
	return true
}
func (o *optionalValue) Set(v string) error {
	o.set = true
	if v != "true" {
		o.value = v
	}
	return nil
}

// seccompWatchFlags are the run flags of the denial report and the
// recorder, in both the Docker and the runc form.
var seccompWatchFlags = []cli.Flag{
	&cli.GenericFlag{Name: "seccomp-report", Value: &optionalValue{},
		Usage: "at exit, report each syscall the seccomp profile refused (to stderr, or as JSON to =FILE)"},
	&cli.StringFlag{Name: "seccomp-record", Usage: "write a minimal seccomp profile (Docker format) of the syscalls the container makes to `FILE`"},
	&cli.BoolFlag{Name: "seccomp-record-merge", Usage: "with --seccomp-record: add to the profile already in FILE"},
}

// seccompWatch is what a run's --seccomp-report or --seccomp-record asks
// for, nil for neither. source gives the profile as the user wrote it.
type seccompWatch struct {
	w          *seccomp.Watcher
	reportFile string
	recordFile string
	caps       []string
	spec       *specs.Spec
}

func newSeccompWatch(c *cli.Context, spec *specs.Spec, source func() (*seccomp.Source, error)) (*seccompWatch, error) {
	rep, _ := c.Generic("seccomp-report").(*optionalValue)
	record := c.String("seccomp-record")
	if c.Bool("seccomp-record-merge") && record == "" {
		return nil, errors.New("seccomp record: --seccomp-record-merge needs --seccomp-record FILE")
	}
	reporting := rep != nil && rep.set
	if !reporting && record == "" {
		return nil, nil
	}
	if reporting && record != "" {
		return nil, errors.New("seccomp report: --seccomp-report and --seccomp-record each need the notifications of one filter; use one at a time")
	}
	sw := &seccompWatch{spec: spec}
	if spec.Process != nil && spec.Process.Capabilities != nil {
		sw.caps = spec.Process.Capabilities.Bounding
	}
	if record != "" {
		abs, err := filepath.Abs(record)
		if err != nil {
			return nil, fmt.Errorf("seccomp record: %w", err)
		}
		sw.recordFile, sw.w = abs, seccomp.NewRecorder()
		if c.Bool("seccomp-record-merge") {
			if _, err := os.Stat(abs); err == nil {
				if err := sw.w.MergeRecorded(abs); err != nil {
					return nil, fmt.Errorf("seccomp record: %w", err)
				}
			}
		}
		return sw, nil
	}
	src, err := source()
	if err != nil {
		return nil, fmt.Errorf("seccomp report: %w", err)
	}
	if src == nil {
		return nil, errors.New("seccomp report: the container has no seccomp profile (unconfined or privileged): nothing would be refused")
	}
	if rep.value != "" {
		abs, err := filepath.Abs(rep.value)
		if err != nil {
			return nil, fmt.Errorf("seccomp report: %w", err)
		}
		sw.reportFile = abs
	}
	sw.w = seccomp.NewReport(src)
	return sw, nil
}

func (sw *seccompWatch) watcher() *seccomp.Watcher {
	if sw == nil {
		return nil
	}
	return sw.w
}

// finish writes the report or the recorded profile once the container
// has exited.
func (sw *seccompWatch) finish() error {
	if sw == nil {
		return nil
	}
	if sw.recordFile != "" {
		return sw.writeProfile()
	}
	r := sw.w.Report()
	if sw.reportFile == "" {
		r.WriteText(os.Stderr)
		return nil
	}
	f, err := os.Create(sw.reportFile)
	if err != nil {
		return fmt.Errorf("seccomp report: %w", err)
	}
	if err := r.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("seccomp report: write %s: %w", sw.reportFile, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("seccomp report: write %s: %w", sw.reportFile, err)
	}
	return nil
}

func (sw *seccompWatch) writeProfile() error {
	p := sw.w.Profile(initproc.SeccompRequired(sw.spec))
	body, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("seccomp record: encode: %w", err)
	}
	body = append(body, '\n')
	// What is written must load: check it as a profile given to run would be.
	if _, err := seccomp.ParseProfile(body, sw.caps); err != nil {
		return fmt.Errorf("seccomp record: the recorded profile does not load: %w", err)
	}
	tmp := sw.recordFile + ".tmp"
	if err := os.WriteFile(tmp, body, 0o644); err != nil {
		return fmt.Errorf("seccomp record: %w", err)
	}
	if err := os.Rename(tmp, sw.recordFile); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("seccomp record: %w", err)
	}
	return nil
}
