package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// setting is one value for one cgroup file. Translating linux.resources
// into a list of these is pure, so it is tested without root; writing them
// is one small loop that names the file and value when the kernel refuses.
type setting struct {
	controller string // v1 hierarchy that owns file; on v2 only for messages
	file       string
	value      string
}

func (s setting) String() string { return s.file + "=" + s.value }

// writeSettings writes each setting into dirOf(controller), in order. A
// run of settings for one file (Docker's device rules: a dozen lines of
// devices.allow) goes through one open of it, a write per value: the
// kernel takes each write whole, as its own line.
func writeSettings(settings []setting, dirOf func(controller string) string) error {
	var f *os.File
	var prev setting
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	fail := func(s setting, dir string, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			// The controller is there but the file is not: this kernel
			// lacks the feature (BFQ's weights, real-time groups).
			if m, _ := filepath.Glob(filepath.Join(dir, s.controller+".*")); len(m) > 0 {
				return fmt.Errorf("cgroups: set %s in %s: this kernel has no %s: %w", s, dir, s.file, err)
			}
			return fmt.Errorf("cgroups: set %s in %s: %s controller not available: %w", s, dir, s.controller, err)
		}
		return fmt.Errorf("cgroups: set %s in %s: %w", s, dir, err)
	}
	for i, s := range settings {
		dir := dirOf(s.controller)
		if path := filepath.Join(dir, s.file); f == nil || f.Name() != path {
			if f != nil {
				err := unwrapPath(f.Close())
				f = nil
				if err != nil {
					return fail(prev, dirOf(prev.controller), err)
				}
			}
			var err error
			if f, err = openSetting(path); err != nil {
				f = nil
				return fail(s, dir, err)
			}
		}
		if _, err := f.WriteString(s.value); err != nil {
			// A setting that comes again later in the list may be refused
			// now: it is written first for the settings between to be
			// judged against it, and again after them (v1Settings' cpu
			// period).
			if err = unwrapPath(err); !errors.Is(err, syscall.EINVAL) || !slices.Contains(settings[i+1:], s) {
				return fail(s, dir, err)
			}
		}
		prev = s
	}
	if f != nil {
		err := unwrapPath(f.Close())
		f = nil
		if err != nil {
			return fail(prev, dirOf(prev.controller), err)
		}
	}
	return nil
}

// openSetting opens a cgroup file for writing.
func openSetting(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	return f, unwrapPath(err)
}

// writeFile writes one value without O_CREAT or O_TRUNC: cgroupfs files
// exist or the controller is missing, and the kernel takes each write whole.
// The returned error is the bare errno (wrapped) so callers can print the
// path once and still match it with errors.Is.
func writeFile(dir, file, value string) error {
	f, err := os.OpenFile(filepath.Join(dir, file), os.O_WRONLY, 0)
	if err != nil {
		return unwrapPath(err)
	}
	_, werr := f.WriteString(value)
	cerr := f.Close()
	if werr != nil {
		return unwrapPath(werr)
	}
	return unwrapPath(cerr)
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
