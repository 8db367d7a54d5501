package cgroups

import (
	"fmt"
	"path/filepath"
	"strings"
)

// defaultParent holds containers whose config names no cgroupsPath.
const defaultParent = "/minirun"

// resolvePath turns linux.cgroupsPath into the path used inside every
// hierarchy, always absolute and clean, never the root itself (Delete would
// then try to remove the host's root cgroup).
func resolvePath(path, id string) (string, error) {
	var p string
	switch {
	case path == "":
		if id == "" || strings.Contains(id, "/") || id == "." || id == ".." {
			return "", fmt.Errorf("cgroups: default path for container id %q: %w", id, ErrInvalid)
		}
		p = defaultParent + "/" + id
	case strings.Count(path, ":") == 2:
		sp, err := systemdPath(path)
		if err != nil {
			return "", err
		}
		p = sp
	case strings.Contains(path, ":"):
		return "", fmt.Errorf("cgroups: path %q: a colon is only allowed in the form slice:prefix:name: %w", path, ErrInvalid)
	default:
		// A relative path is taken from the hierarchy root rather than from
		// minirun's own cgroup: the result must not depend on which
		// process (create, delete, a shim) resolves it.
		p = path
	}
	p = filepath.Clean("/" + p)
	if p == "/" {
		return "", fmt.Errorf("cgroups: path %q: resolves to the root cgroup: %w", path, ErrInvalid)
	}
	return p, nil
}

// systemdPath maps "slice:prefix:name" onto the directory systemd would use,
// e.g. "machine-web.slice:minirun:abc" -> "/machine.slice/machine-web.slice/minirun-abc.scope".
// We don't ask systemd to create the unit (--systemd-cgroup is accepted and
// treated as cgroupfs), but the layout matches, so tools that expect it find it.
func systemdPath(s string) (string, error) {
	parts := strings.SplitN(s, ":", 3)
	slice, prefix, name := parts[0], parts[1], parts[2]
	if name == "" {
		return "", fmt.Errorf("cgroups: systemd path %q: empty unit name: %w", s, ErrInvalid)
	}
	if slice == "" {
		slice = "system.slice"
	}
	dir, err := expandSlice(slice)
	if err != nil {
		return "", fmt.Errorf("cgroups: systemd path %q: %w", s, err)
	}
	unit := name
	if !strings.HasSuffix(name, ".scope") && !strings.HasSuffix(name, ".slice") {
		if prefix != "" {
			unit = prefix + "-" + name
		}
		unit += ".scope"
	}
	if strings.Contains(unit, "/") {
		return "", fmt.Errorf("cgroups: systemd path %q: unit %q contains '/': %w", s, unit, ErrInvalid)
	}
	return dir + "/" + unit, nil
}

// expandSlice follows systemd's naming: each dash opens a nested slice, so
// "a-b-c.slice" lives at "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" is the root.
func expandSlice(slice string) (string, error) {
	base, ok := strings.CutSuffix(slice, ".slice")
	if !ok || strings.Contains(slice, "/") {
		return "", fmt.Errorf("slice %q: want a name ending in .slice without '/': %w", slice, ErrInvalid)
	}
	if base == "-" {
		return "", nil
	}
	if base == "" || strings.HasPrefix(base, "-") || strings.HasSuffix(base, "-") || strings.Contains(base, "--") {
		return "", fmt.Errorf("slice %q: misplaced dash: %w", slice, ErrInvalid)
	}
	var b strings.Builder
	acc := ""
	for i, comp := range strings.Split(base, "-") {
		if i > 0 {
			acc += "-"
		}
		acc += comp
		b.WriteString("/" + acc + ".slice")
	}
	return b.String(), nil
}

// Resolve is the path New would use for cgroupsPath and container id, so
// callers can check it before anything is created.
func Resolve(path, id string) (string, error) {
	return resolvePath(path, id)
}

// Nested reports whether two resolved paths are the same cgroup or one
// lies below the other: a container at the upper one could freeze, kill
// or delete everything in the lower.
func Nested(a, b string) bool {
	a, b = filepath.Clean(a), filepath.Clean(b)
	return a == b || strings.HasPrefix(b, a+"/") || strings.HasPrefix(a, b+"/")
}
