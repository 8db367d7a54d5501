package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// freezeTimeout bounds a freeze or thaw. The containerd library loops until
// the state is reached, forever if a task sits in an uninterruptible sleep;
// `minirun pause` must fail instead of hanging, so we poll ourselves.
const freezeTimeout = 5 * time.Second

// freezer describes one hierarchy's freezer interface.
type freezer struct {
	dir   string // cgroup directory holding the files
	file  string // file to write: freezer.state (v1) or cgroup.freeze (v2)
	value string // FROZEN/THAWED (v1) or 1/0 (v2)
	done  func(dir string) (bool, string, error)
}

// run writes the requested state and waits until the kernel reports it,
// rewriting the file on each poll: on v1 a write retries freezing tasks
// that were busy the first time.
func (f freezer) run() error {
	deadline := time.Now().Add(freezeTimeout)
	delay := time.Millisecond
	for {
		if err := writeFile(f.dir, f.file, f.value); err != nil {
			return fmt.Errorf("cgroups: set %s=%s in %s: %w", f.file, f.value, f.dir, err)
		}
		ok, state, err := f.done(f.dir)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroups: set %s=%s in %s: state still %q after %s", f.file, f.value, f.dir, state, freezeTimeout)
		}
		time.Sleep(delay)
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// v1StateIs reports whether freezer.state reads want.
func v1StateIs(want string) func(string) (bool, string, error) {
	return func(dir string) (bool, string, error) {
		b, err := os.ReadFile(filepath.Join(dir, "freezer.state"))
		if err != nil {
			return false, "", fmt.Errorf("cgroups: read freezer.state in %s: %w", dir, unwrapPath(err))
		}
		s := strings.TrimSpace(string(b))
		return s == want, s, nil
	}
}

// v2FrozenIs reports whether cgroup.events has "frozen <want>".
func v2FrozenIs(want string) func(string) (bool, string, error) {
	return func(dir string) (bool, string, error) {
		b, err := os.ReadFile(filepath.Join(dir, "cgroup.events"))
		if err != nil {
			return false, "", fmt.Errorf("cgroups: read cgroup.events in %s: %w", dir, unwrapPath(err))
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "frozen "); ok {
				return v == want, "frozen " + v, nil
			}
		}
		return false, "", fmt.Errorf("cgroups: read cgroup.events in %s: no frozen line", dir)
	}
}
