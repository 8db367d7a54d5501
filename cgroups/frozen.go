package cgroups

import (
	"os"
	"path/filepath"
	"strings"
)

// Frozen reports whether the cgroup at path (as Manager.Path gives it)
// exists and is frozen, or freezing, by its own freezer or a parent's. A
// process moved into it stops at once, so a start would wait forever for
// an init that can't run.
func Frozen(path string) bool {
	if b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/freezer", path, "freezer.state")); err == nil {
		s := strings.TrimSpace(string(b))
		return s == "FROZEN" || s == "FREEZING"
	}
	for _, mount := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		// cgroup.events' "frozen 1" counts a frozen parent too, where
		// cgroup.freeze shows only the cgroup's own setting.
		b, err := os.ReadFile(filepath.Join(mount, path, "cgroup.events"))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l == "frozen 1" {
				return true
			}
		}
		if f, err := os.ReadFile(filepath.Join(mount, path, "cgroup.freeze")); err == nil && strings.TrimSpace(string(f)) == "1" {
			return true
		}
	}
	return false
}
