package docker

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/caps"
	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/image"
	"github.com/minirun/minirun/internal/subid"
	"github.com/minirun/minirun/seccomp"
	"github.com/minirun/minirun/seccomp/watch"
)

// Container is what BuildSpec needs to know about the container being made.
type Container struct {
	ID     string
	Image  *image.Image
	Rootfs string // the mounted overlay
	Dir    string // where hostname, hosts and resolv.conf are written
	// Overlay, rootless, holds the overlay options the container mounts
	// on Rootfs from inside its user namespace (image.RootlessOverlay).
	Overlay string
	// IDMaps, rootless, are the maps the image's layers were shifted
	// with (image.Store.Shift), which the container's user namespace
	// gets; nil maps the caller alone, to root.
	IDMaps *subid.Maps
	// Store is the image store's root, where named volumes live; ""
	// refuses them.
	Store string
	// Peer is the init pid of the running container a name, id or id
	// prefix names, for --ipc and --pid container:REF; nil: none can
	// be found.
	Peer func(ref string) (int, error)
}

// BuildSpec starts from the same Docker defaults as `minirun spec` and
// applies the image's config and the flags on top.
func BuildSpec(c Container, o *RunOptions) (*specs.Spec, error) {
	s, _, err := buildSpec(c, o)
	return s, err
}

// profileSource is the profile a run asked for as the user wrote it, kept
// from the one read of its file, for the denial report to name the entry
// behind each refusal.
type profileSource struct {
	name    string
	written *seccomp.DockerProfile // nil: Docker's default
	caps    []string
}

// source is the report's view of it; nil when the container runs without
// a profile.
func (p profileSource) source(s *specs.Spec) *watch.Source {
	if s.Linux == nil || s.Linux.Seccomp == nil {
		return nil
	}
	if p.written == nil {
		return watch.DockerSource("Docker's default profile", seccomp.DockerDefault(), p.caps, true)
	}
	return watch.DockerSource(p.name, p.written, p.caps, false)
}

func buildSpec(c Container, o *RunOptions) (*specs.Spec, profileSource, error) {
	var src profileSource
	sec, err := parseSecurityOpts(o.SecurityOpts)
	if err != nil {
		return nil, src, err
	}
	s := BaseSpec()
	s.Root = &specs.Root{Path: c.Rootfs, Readonly: o.ReadOnly}
	if err := setProcess(s, c, o); err != nil {
		return nil, src, err
	}
	capList, err := capabilities(o)
	if err != nil {
		return nil, src, err
	}
	s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: capList, Effective: capList, Permitted: capList}
	s.Process.NoNewPrivileges = sec.noNewPrivs
	if s.Linux.Seccomp, src, err = seccompFor(sec, o.Privileged, capList); err != nil {
		return nil, src, err
	}
	if o.Privileged {
		if err := privilege(s); err != nil {
			return nil, src, err
		}
	}
	if err := setNetwork(s, c, netMode(o.Network), &o.Net); err != nil {
		return nil, src, err
	}
	if err := etcFiles(s, c, netMode(o.Network), &o.Net); err != nil {
		return nil, src, err
	}
	if err := applyEveryday(s, c, o); err != nil {
		return nil, src, err
	}
	if s.Linux.Resources, err = resources(o, s.Linux.Resources.Devices); err != nil {
		return nil, src, err
	}
	// Last of the checks, as it makes volumes and bind sources.
	if err := addMounts(s, c, o); err != nil {
		return nil, src, err
	}
	if container.Rootless() {
		rootless(s, c)
	}
	return s, src, nil
}

// rootless makes s a container an unprivileged caller can run: a user
// namespace mapping the caller to root, and its subordinate ranges from 1
// when the layers were shifted into them (else they are the caller's
// own), the overlay mounted inside it, first, and no device
// rules, since there is no device cgroup (the devices are binds of the
// host's). Limits asked for stay, for Start to refuse with the reason
// when no delegated cgroup can hold them. The network is the caller's
// choice: none keeps a network namespace, and with it a sysfs of its own.
func rootless(s *specs.Spec, c Container) {
	res := s.Linux.Resources
	container.RootlessSpec(s, os.Geteuid(), os.Getegid(), true)
	if c.IDMaps != nil {
		s.Linux.UIDMappings, s.Linux.GIDMappings = c.IDMaps.UIDs, c.IDMaps.GIDs
	}
	if res != nil {
		res.Devices = nil
		s.Linux.Resources = res
	}
	if c.Overlay != "" {
		s.Mounts = append([]specs.Mount{image.RootlessOverlay(c.Overlay)}, s.Mounts...)
	}
}

func setProcess(s *specs.Spec, c Container, o *RunOptions) error {
	cfg := c.Image.Config
	args := cfg.Entrypoint
	if o.Entrypoint != nil {
		args = nil
		if *o.Entrypoint != "" {
			args = []string{*o.Entrypoint}
		}
	}
	if len(o.Cmd) > 0 {
		args = append(append([]string(nil), args...), o.Cmd...)
	} else if o.Entrypoint == nil || len(args) == 0 {
		args = append(append([]string(nil), args...), cfg.Cmd...)
	}
	if len(args) == 0 {
		return invalidf("no command: the image %s has no Cmd or Entrypoint and none was given", c.Image.Name)
	}
	s.Process.Args = args
	hostname := o.Hostname
	if hostname == "" {
		hostname = c.ID[:12]
	}
	s.Hostname = hostname
	env := container.MergeEnv([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, cfg.Env...)
	env = container.MergeEnv(env, "HOSTNAME="+hostname)
	if o.TTY {
		env = container.MergeEnv(env, "TERM=xterm")
	}
	for _, f := range o.EnvFiles {
		kvs, err := readEnvFile(f)
		if err != nil {
			return err
		}
		env = container.MergeEnv(env, kvs...)
	}
	for _, e := range o.Env {
		kv, err := envEntry(e)
		if err != nil {
			return fmt.Errorf("-e: %w", err)
		}
		if kv != "" {
			env = container.MergeEnv(env, kv)
		}
	}
	s.Process.Env = env
	s.Process.Terminal = o.TTY
	s.Process.Cwd = "/"
	if cfg.WorkingDir != "" {
		s.Process.Cwd = cfg.WorkingDir
	}
	if o.Workdir != "" {
		if !filepath.IsAbs(o.Workdir) {
			return invalidf("-w %q: the working directory must be absolute", o.Workdir)
		}
		s.Process.Cwd = o.Workdir
	}
	user := cfg.User
	if o.User != "" {
		user = o.User
	}
	if user != "" {
		uid, gid, groups, err := image.LookupUser(c.Rootfs, user)
		if err != nil {
			return fmt.Errorf("-u: %w", err)
		}
		s.Process.User = specs.User{UID: uid, GID: gid, AdditionalGids: groups}
	}
	for _, u := range o.Ulimits {
		rl, err := parseUlimit(u)
		if err != nil {
			return err
		}
		s.Process.Rlimits = setRlimit(s.Process.Rlimits, rl)
	}
	return nil
}

func setRlimit(rls []specs.POSIXRlimit, rl specs.POSIXRlimit) []specs.POSIXRlimit {
	for i := range rls {
		if rls[i].Type == rl.Type {
			rls[i] = rl
			return rls
		}
	}
	return append(rls, rl)
}

// capabilities applies --cap-add and --cap-drop to Docker's 14 defaults,
// or starts from all of them for --privileged. ALL works on both sides.
func capabilities(o *RunOptions) ([]string, error) {
	base := caps.DockerDefaults
	if o.Privileged {
		base = caps.Available()
	}
	return caps.Resolve(base, o.CapAdd, o.CapDrop)
}

// seccompFor picks the profile: Docker's default resolved for the
// container's capabilities, none for unconfined, and none for privileged
// containers unless a profile was asked for explicitly. A file is read
// once; its resolved form is validated with the rest of the config.
func seccompFor(sec security, privileged bool, capList []string) (*specs.LinuxSeccomp, profileSource, error) {
	src := profileSource{caps: capList}
	switch {
	case sec.seccomp == "unconfined":
		return nil, src, nil
	case privileged && !sec.explicitProf:
		return nil, src, nil
	case sec.seccomp == "" || sec.seccomp == "builtin" || sec.seccomp == "default":
		p, err := seccomp.DefaultProfile(capList)
		return p, src, err
	default:
		written, p, err := seccomp.ReadProfile(sec.seccomp, capList)
		if err != nil {
			return nil, src, fmt.Errorf("--security-opt seccomp=%s: %w", sec.seccomp, err)
		}
		src.name, src.written = sec.seccomp, written
		return p, src, nil
	}
}

// privilege lifts Docker's confinement: no masked or read-only paths, a
// writable /sys, and the host's devices.
func privilege(s *specs.Spec) error {
	s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
	for i, m := range s.Mounts {
		if m.Destination == "/sys" || m.Destination == "/sys/fs/cgroup" {
			s.Mounts[i].Options = without(m.Options, "ro")
		}
	}
	devs, err := hostDevices("/dev")
	if err != nil {
		return fmt.Errorf("--privileged: list host devices: %w", err)
	}
	s.Linux.Devices = devs
	// As Docker: every device, since the host's nodes are all there.
	s.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	return nil
}

func without(opts []string, drop string) []string {
	var out []string
	for _, o := range opts {
		if o != drop {
			out = append(out, o)
		}
	}
	return out
}

// hostDevices lists the host's device nodes, skipping the ones every
// container gets anyway and the pty and shm trees that are per container.
func hostDevices(dir string) ([]specs.LinuxDevice, error) {
	var out []specs.LinuxDevice
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil // a device vanishing under us is not an error
		}
		if d.IsDir() {
			switch p {
			case "/dev/pts", "/dev/shm", "/dev/mqueue":
				return filepath.SkipDir
			}
			return nil
		}
		var st unix.Stat_t
		if unix.Lstat(p, &st) != nil {
			return nil
		}
		typ := ""
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFCHR:
			typ = "c"
		case unix.S_IFBLK:
			typ = "b"
		default:
			return nil
		}
		switch p {
		case "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/console", "/dev/ptmx":
			return nil
		}
		mode := os.FileMode(st.Mode & 0o777)
		uid, gid := st.Uid, st.Gid
		out = append(out, specs.LinuxDevice{Path: p, Type: typ, Major: int64(unix.Major(st.Rdev)), Minor: int64(unix.Minor(st.Rdev)),
			FileMode: &mode, UID: &uid, GID: &gid})
		return nil
	})
	return out, err
}

// resources maps --memory, --pids-limit and --cpus onto linux.resources,
// next to the device rules already chosen.
func resources(o *RunOptions, devices []specs.LinuxDeviceCgroup) (*specs.LinuxResources, error) {
	r := specs.LinuxResources{Devices: devices}
	set := len(devices) > 0
	if o.Memory != "" {
		m, err := parseMemory(o.Memory)
		if err != nil {
			return nil, err
		}
		r.Memory = &specs.LinuxMemory{Limit: &m, Swap: &m}
		set = true
	}
	if o.PidsLimit != 0 {
		limit := o.PidsLimit
		r.Pids = &specs.LinuxPids{Limit: &limit}
		set = true
	}
	if o.CPUs != "" {
		f, err := strconv.ParseFloat(o.CPUs, 64)
		if err != nil || f <= 0 {
			return nil, invalidf("--cpus %q: want a positive number such as 0.5", o.CPUs)
		}
		period := uint64(100000)
		quota := int64(f * float64(period))
		r.CPU = &specs.LinuxCPU{Period: &period, Quota: &quota}
		set = true
	}
	if !set {
		return nil, nil
	}
	return &r, nil
}
