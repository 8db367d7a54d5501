package cgroups

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3/cgroup1"
)

// An exec'd process normally joins the container's own cgroup. runc's
// `exec --cgroup` puts it in an existing cgroup below that one instead:
// `--cgroup PATH` in every hierarchy (on cgroup v2 the only form), or
// `--cgroup CONTROLLER[,CONTROLLER]:PATH`, repeatable, in those
// controllers' hierarchies, the rest staying in the container's own.
// Nothing is created: a sub-cgroup that doesn't exist fails the exec, as a
// path out of the container's cgroup does. The words of the errors are
// runc's, which its exec.bats matches.

// SubCgroups maps a hierarchy to a path relative to the container's
// cgroup: "" is every hierarchy (the PATH form), otherwise a v1 controller
// ("memory", "cpu", "name=systemd").
type SubCgroups map[string]string

// ParseSubCgroups reads the values of --cgroup.
func ParseSubCgroups(args []string) (SubCgroups, error) {
	if len(args) == 0 {
		return nil, nil
	}
	out := SubCgroups{}
	for _, a := range args {
		parts := strings.SplitN(a, ":", 3)
		switch {
		case len(parts) > 2:
			return nil, fmt.Errorf("invalid --cgroup argument: %s", a)
		case len(parts) == 1:
			if len(args) != 1 {
				return nil, fmt.Errorf("invalid --cgroup argument: %s (missing <controller>: prefix)", a)
			}
			out[""] = a
		default:
			for _, ctrl := range strings.Split(parts[0], ",") {
				if ctrl == "" {
					return nil, fmt.Errorf("invalid --cgroup argument: %s (empty controller name)", a)
				}
				out[ctrl] = parts[1]
			}
		}
	}
	return out, nil
}

// ApplySub moves pid into the sub-cgroups sub of mgr's cgroup, and into
// mgr's own cgroup in the hierarchies sub doesn't name. Empty sub is
// Apply.
func ApplySub(mgr Manager, pid int, sub SubCgroups) error {
	if len(sub) == 0 {
		return mgr.Apply(pid)
	}
	dirs, err := subDirs(mgr, sub)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		if err := writeProcs(d, pid); err != nil {
			return fmt.Errorf("adding pid %d to cgroups: %w", pid, err)
		}
	}
	return nil
}

// subDirs is, for each hierarchy the container's cgroup is in, the
// directory pid goes to.
func subDirs(mgr Manager, sub SubCgroups) ([]string, error) {
	type hierarchy struct{ name, root string }
	var hs []hierarchy
	switch m := mgr.(type) {
	case *v1Manager:
		for _, s := range m.cg.Subsystems() {
			p, ok := s.(interface{ Path(string) string })
			if !ok {
				continue
			}
			hs = append(hs, hierarchy{v1Key(s), p.Path("/")})
		}
	case *v2Manager:
		hs = append(hs, hierarchy{"", m.mount})
	default:
		return nil, fmt.Errorf("cgroups: sub-cgroups of %s: unknown manager", mgr.Path())
	}
	base := mgr.Path()
	for ctrl := range sub {
		if ctrl != "" && !slices.ContainsFunc(hs, func(h hierarchy) bool { return h.name == ctrl }) {
			return nil, fmt.Errorf("unknown controller %s (the container's cgroup %s is in: %s)", ctrl, base, strings.Join(keys(hs, func(h hierarchy) string { return h.name }), ", "))
		}
	}
	var dirs []string
	for _, h := range hs {
		rel, ok := sub[""]
		if !ok {
			rel, ok = sub[h.name]
		}
		p := base
		if ok {
			p = path.Join(base, rel)
			if p != base && !strings.HasPrefix(p, base+"/") {
				return nil, fmt.Errorf("%s is not a sub cgroup path of %s", rel, base)
			}
		}
		dirs = append(dirs, filepath.Join(h.root, p))
	}
	return dirs, nil
}

// v1Key names a v1 hierarchy as /proc/PID/cgroup and runc do: the
// controller, "name=systemd" for a named one, "" for a hybrid host's
// cgroup2.
func v1Key(s cgroup1.Subsystem) string {
	switch n := string(s.Name()); n {
	case hybridDir:
		return ""
	case "systemd":
		return "name=systemd"
	default:
		return n
	}
}

func keys[T any](xs []T, f func(T) string) []string {
	var out []string
	for _, x := range xs {
		if k := f(x); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// writeProcs moves pid into the cgroup at dir, which must exist.
func writeProcs(dir string, pid int) error {
	f, err := os.OpenFile(filepath.Join(dir, "cgroup.procs"), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.WriteString(strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("write %d to %s: %w", pid, f.Name(), err)
	}
	return nil
}
