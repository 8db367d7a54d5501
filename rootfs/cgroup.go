package rootfs

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// mountCgroup gives the container a view of its own cgroups, read-only
// when the mount says "ro" (Docker, containerd and podman always do). On a
// cgroup2 host that is a cgroup2 mount. On a v1 or hybrid host there is no
// single filesystem to mount, so a tmpfs holds one bind per controller of
// the container's own cgroup directory; each bind takes the mount's flags,
// as runc's do, so a config without "ro" lets the container make
// sub-cgroups (and delete removes them with the container's).
func mountCgroup(via, dest string, o Options) error {
	if UnifiedCgroups() {
		return mount("cgroup2", via, "cgroup2", o.Flags, "")
	}
	if err := mount("tmpfs", via, "tmpfs", o.Flags&^unix.MS_RDONLY, "mode=755"); err != nil {
		return err
	}
	own, err := ownCgroups()
	if err != nil {
		return err
	}
	for ctrl, path := range own {
		host := filepath.Join("/sys/fs/cgroup", ctrl, path)
		// A controller mounted elsewhere (or not reachable) is skipped; so
		// is a plain directory that happens to carry its name on the
		// tmpfs, which would show the container a tree that is no cgroup.
		if checkFS(host, unix.CGROUP_SUPER_MAGIC) != nil {
			continue
		}
		target := filepath.Join(dest, ctrl)
		if err := os.MkdirAll(target, 0o755); err != nil {
			return err
		}
		if err := mount(host, target, "", unix.MS_BIND, ""); err != nil {
			return err
		}
		if rest := o.Flags &^ (unix.MS_REMOUNT | unix.MS_BIND | unix.MS_REC); rest != 0 {
			if err := Remount(target, rest); err != nil {
				return err
			}
		}
	}
	if o.Flags&unix.MS_RDONLY != 0 {
		return Remount(dest, o.Flags)
	}
	return nil
}

// ownCgroups reads /proc/self/cgroup into controller-directory → path.
func ownCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) != 3 || parts[1] == "" {
			continue
		}
		name := strings.TrimPrefix(parts[1], "name=")
		// Joint controllers (cpu,cpuacct) sit in a directory named after both.
		out[name] = parts[2]
	}
	return out, s.Err()
}

// UnifiedCgroups reports whether the host's /sys/fs/cgroup is one cgroup2
// hierarchy (not v1, and not hybrid, where v1 controllers sit there).
func UnifiedCgroups() bool {
	return checkFS("/sys/fs/cgroup", unix.CGROUP2_SUPER_MAGIC) == nil
}
