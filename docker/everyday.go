package docker

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container"
)

// run's everyday flags: --init, --label, --label-file, --sysctl, --ipc,
// --pid, --userns, --device, --platform (-h is --hostname). Each has
// Docker's meaning; a bad value is refused before anything is made.

// InitPath is the init --init runs as the container's PID 1: Debian's
// tini, static, so it needs nothing from the image. tini is what Docker
// itself ships as docker-init; it forwards every signal to its child and
// reaps whatever is reparented to it. It is bound read-only into the
// container at initDest, where Docker puts it.
var InitPath = "/usr/bin/tini-static"

const initDest = "/sbin/docker-init"

// checkPlatform accepts the host's platform only: minirun runs no
// emulator, so an image of another architecture could not run.
func checkPlatform(p string) error {
	if p == "" {
		return nil
	}
	host := "linux/" + runtime.GOARCH
	parts := strings.Split(strings.ToLower(p), "/")
	arch := ""
	if len(parts) > 1 {
		arch = parts[1]
	}
	switch arch {
	case "x86_64", "x86-64":
		arch = "amd64"
	case "aarch64":
		arch = "arm64"
	}
	if parts[0] != "linux" || len(parts) > 3 || (arch != "" && arch != runtime.GOARCH) {
		return invalidf("--platform %q: this host runs %s, and minirun runs no emulator for others", p, host)
	}
	return nil
}

// parseLabels reads --label-file lines, then --label KEY=VALUE (a bare
// KEY is an empty value, as Docker's); later ones win.
func parseLabels(labels, files []string) (map[string]string, error) {
	if len(labels) == 0 && len(files) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	add := func(kv, where string) error {
		k, v, _ := strings.Cut(kv, "=")
		if strings.TrimSpace(k) == "" {
			return invalidf("%s %q: want KEY=VALUE", where, kv)
		}
		out[k] = v
		return nil
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, invalidf("--label-file: %v", err)
		}
		sc := bufio.NewScanner(fh)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if err := add(line, fmt.Sprintf("--label-file %s line %d:", f, n)); err != nil {
				fh.Close()
				return nil, err
			}
		}
		err = sc.Err()
		fh.Close()
		if err != nil {
			return nil, invalidf("--label-file %s: %v", f, err)
		}
	}
	for _, l := range labels {
		if err := add(l, "--label"); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// applyEveryday applies the flags of this file to s, once the process,
// the mounts and the default device rules are in place.
func applyEveryday(s *specs.Spec, c Container, o *RunOptions) error {
	for _, kv := range o.Sysctls {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return invalidf("--sysctl %q: want KEY=VALUE", kv)
		}
		if s.Linux.Sysctl == nil {
			s.Linux.Sysctl = map[string]string{}
		}
		// Which keys a container may set is the config's rule
		// (container/config/sysctl.go), checked with the rest of it.
		s.Linux.Sysctl[k] = v
	}
	if err := setIPC(s, c, o.IPC); err != nil {
		return err
	}
	if err := setPID(s, c, o.PID); err != nil {
		return err
	}
	if err := checkUserns(o.UserNS); err != nil {
		return err
	}
	for _, d := range o.Devices {
		if err := addDevice(s, d); err != nil {
			return err
		}
	}
	if o.Init {
		return addInit(s)
	}
	return nil
}

// setIPC is --ipc. private and shareable are both a namespace of the
// container's own (Docker's default is private; any container may join
// either here); none is one without /dev/shm; host shares the host's
// namespace and its /dev/shm; container:REF joins another running
// container of this store.
func setIPC(s *specs.Spec, c Container, mode string) error {
	switch {
	case mode == "" || mode == "private" || mode == "shareable":
	case mode == "none":
		s.Mounts = withoutMount(s.Mounts, "/dev/shm")
	case mode == "host":
		dropNamespace(s, specs.IPCNamespace)
		for i, m := range s.Mounts {
			if m.Destination == "/dev/shm" {
				s.Mounts[i] = specs.Mount{Destination: "/dev/shm", Type: "bind", Source: "/dev/shm", Options: []string{"rbind", "rprivate"}}
			}
		}
	case strings.HasPrefix(mode, "container:"):
		return joinNamespace(s, c, specs.IPCNamespace, "ipc", "--ipc", strings.TrimPrefix(mode, "container:"))
	default:
		return invalidf("--ipc %q: want private, shareable, none, host or container:NAME", mode)
	}
	return nil
}

// setPID is --pid: host shares the host's pid namespace, container:REF
// joins another running container's.
func setPID(s *specs.Spec, c Container, mode string) error {
	switch {
	case mode == "" || mode == "private":
	case mode == "host":
		dropNamespace(s, specs.PIDNamespace)
	case strings.HasPrefix(mode, "container:"):
		return joinNamespace(s, c, specs.PIDNamespace, "pid", "--pid", strings.TrimPrefix(mode, "container:"))
	default:
		return invalidf("--pid %q: want host or container:NAME", mode)
	}
	return nil
}

// checkUserns is --userns. Docker's only value is host, which turns off a
// daemon's userns-remap; without one, host is Docker's default too. Run
// as root, minirun makes no user namespace unless the config asks, so
// host is what it does anyway; run unprivileged, it needs one.
func checkUserns(mode string) error {
	switch mode {
	case "":
		return nil
	case "host":
		if container.Rootless() {
			return invalidf("--userns host: an unprivileged minirun needs a user namespace of the container's own")
		}
		return nil
	}
	return invalidf("--userns %q: only host is supported (Docker's default)", mode)
}

// joinNamespace points s's namespace typ at that of the init of the
// running container ref names, by its /proc path.
func joinNamespace(s *specs.Spec, c Container, typ specs.LinuxNamespaceType, proc, flag, ref string) error {
	if ref == "" {
		return invalidf("%s container:: name a container", flag)
	}
	if c.Peer == nil {
		return invalidf("%s container:%s: no store to find the container in", flag, ref)
	}
	pid, err := c.Peer(ref)
	if err != nil {
		return fmt.Errorf("%s container:%s: %w", flag, ref, err)
	}
	path := fmt.Sprintf("/proc/%d/ns/%s", pid, proc)
	for i, ns := range s.Linux.Namespaces {
		if ns.Type == typ {
			s.Linux.Namespaces[i].Path = path
			return nil
		}
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: typ, Path: path})
	return nil
}

func dropNamespace(s *specs.Spec, typ specs.LinuxNamespaceType) {
	var kept []specs.LinuxNamespace
	for _, ns := range s.Linux.Namespaces {
		if ns.Type != typ {
			kept = append(kept, ns)
		}
	}
	s.Linux.Namespaces = kept
}

func withoutMount(ms []specs.Mount, dest string) []specs.Mount {
	var out []specs.Mount
	for _, m := range ms {
		if m.Destination != dest {
			out = append(out, m)
		}
	}
	return out
}

// addDevice is --device HOST[:CONTAINER][:PERMS]: the host's device node
// (or every node below a directory) made in the container, and a device
// cgroup rule allowing PERMS (rwm by default) on each, as Docker's.
func addDevice(s *specs.Spec, d string) error {
	parts := strings.Split(d, ":")
	src, dst, perms := parts[0], parts[0], "rwm"
	switch len(parts) {
	case 1:
	case 2:
		if validDevicePerms(parts[1]) {
			perms = parts[1]
		} else {
			dst = parts[1]
		}
	case 3:
		dst, perms = parts[1], parts[2]
	default:
		return invalidf("--device %q: want HOST[:CONTAINER][:PERMS]", d)
	}
	if !strings.HasPrefix(src, "/") || !strings.HasPrefix(dst, "/") {
		return invalidf("--device %q: both paths must be absolute", d)
	}
	if !validDevicePerms(perms) {
		return invalidf("--device %q: bad permissions %q (want some of r, w and m)", d, perms)
	}
	if src != dst && container.Rootless() {
		// Without mknod, the host's node is bound in at its own path
		// (rootfs.CreateDevices).
		return invalidf("--device %q: an unprivileged minirun can give a device only at its host path", d)
	}
	var st unix.Stat_t
	if err := unix.Stat(src, &st); err != nil {
		return invalidf("--device %q: %s: %v", d, src, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		// As Docker's: every device node below it, under dst.
		return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || e.Type()&fs.ModeDevice == 0 {
				return nil // a node vanishing under us is not an error
			}
			var st unix.Stat_t
			if unix.Lstat(p, &st) != nil {
				return nil
			}
			addNode(s, filepath.Join(dst, strings.TrimPrefix(p, src)), st, perms)
			return nil
		})
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR, unix.S_IFBLK:
	default:
		return invalidf("--device %q: %s is not a device node or a directory of them", d, src)
	}
	addNode(s, dst, st, perms)
	return nil
}

// addNode makes the device st describes at path in the container, with
// a cgroup rule allowing perms on it.
func addNode(s *specs.Spec, path string, st unix.Stat_t, perms string) {
	typ := "c"
	if st.Mode&unix.S_IFMT == unix.S_IFBLK {
		typ = "b"
	}
	major, minor := int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	mode := os.FileMode(st.Mode & 0o777)
	uid, gid := st.Uid, st.Gid
	s.Linux.Devices = append(s.Linux.Devices, specs.LinuxDevice{Path: path, Type: typ, Major: major, Minor: minor, FileMode: &mode, UID: &uid, GID: &gid})
	if s.Linux.Resources == nil {
		s.Linux.Resources = &specs.LinuxResources{}
	}
	s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: &major, Minor: &minor, Access: perms})
}

func validDevicePerms(p string) bool {
	if p == "" || len(p) > 3 {
		return false
	}
	for _, c := range p {
		if !strings.ContainsRune("rwm", c) || strings.Count(p, string(c)) > 1 {
			return false
		}
	}
	return true
}

// addInit binds InitPath read-only at initDest and makes it PID 1, with
// the container's command as its child: `docker-init -- CMD...`.
func addInit(s *specs.Spec) error {
	fi, err := os.Stat(InitPath)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		return invalidf("--init: no init at %s: install Debian's tini package", InitPath)
	}
	s.Mounts = append(s.Mounts, specs.Mount{Destination: initDest, Type: "bind", Source: InitPath, Options: []string{"bind", "ro", "nosuid", "nodev"}})
	s.Process.Args = append([]string{initDest, "--"}, s.Process.Args...)
	return nil
}
