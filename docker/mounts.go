package docker

import (
	"encoding/csv"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/image"
	"github.com/minirun/minirun/internal/inputbounds"
)

// The mounts a run asks for: -v, --mount, --tmpfs and --shm-size. They are
// read whole before anything is made (parseMounts), so a bad one leaves
// nothing behind; the container's record names them before any volume is
// made (a volume named by a record is in use, which keeps `volume rm`
// off one a run is about to fill); and only then does the spec get them
// (addMounts), making volumes and -v's missing bind sources on the way.

// mountReq is one mount a run asked for.
type mountReq struct {
	flag        string // how it was asked for, for errors: `-v "a:/b"`
	Type        string // bind, volume or tmpfs
	Source      string // a host path, a volume's name, or ""
	Target      string
	ReadOnly    bool
	Propagation string // bind only; "" is rprivate
	NoCopy      bool   // volume only: not filled from the image
	Anonymous   bool   // volume only: named by the run (a random id)
	Labels      map[string]string
	Tmpfs       []string // tmpfs only: its options besides ro/rw
	Mode        string   // -v's third field, for the record
	// mkSource is -v's way with a bind source that isn't there: it is
	// made, where --mount refuses it.
	mkSource bool
}

// dockerTmpfsDefaults are the options a tmpfs gets unless told otherwise,
// as in Docker.
var dockerTmpfsDefaults = []string{"noexec", "nosuid", "nodev"}

// parseMounts reads o's -v, --mount and --tmpfs, and checks --shm-size,
// without touching anything.
func parseMounts(o *RunOptions) ([]mountReq, error) {
	var out []mountReq
	for _, v := range o.Volumes {
		m, err := parseVolumeFlag(v)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	for _, v := range o.Mounts {
		m, err := parseMountFlag(v)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	for _, v := range o.Tmpfs {
		m, err := parseTmpfsFlag(v)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	seen := map[string]string{}
	for _, m := range out {
		if prev, dup := seen[m.Target]; dup {
			return nil, invalidf("%s: duplicate mount point %s (also %s)", m.flag, m.Target, prev)
		}
		seen[m.Target] = m.flag
	}
	// The image's VOLUMEs that no mount of the run covers.
	for _, t := range o.imageVolumes {
		if _, taken := seen[t]; !taken {
			seen[t] = "VOLUME " + t
			out = append(out, mountReq{flag: fmt.Sprintf("the image's VOLUME %s", t), Type: "volume", Target: t, Anonymous: true})
		}
	}
	for i := range out {
		if out[i].Anonymous {
			out[i].Source = o.anon[out[i].Target] // "" until nameAnonymous
		}
	}
	if _, err := shmSize(o.ShmSize); err != nil {
		return nil, err
	}
	return out, nil
}

// checkTarget is Docker's rule for a mount's destination: absolute, and
// not the root itself.
func checkTarget(flag, dst string) (string, error) {
	if !path.IsAbs(dst) {
		return "", invalidf("%s: the destination %q must be an absolute path", flag, dst)
	}
	clean := path.Clean(dst)
	if clean == "/" {
		return "", invalidf("%s: the destination can't be /", flag)
	}
	return clean, nil
}

// parseVolumeFlag reads -v [SRC:]DST[:OPTS]: SRC an absolute host path
// (a bind) or a volume's name; OPTS comma-separated ro, rw, nocopy, a
// propagation, or z/Z (SELinux labels, which minirun has nothing to do
// with, as Docker on a host without SELinux).
func parseVolumeFlag(v string) (mountReq, error) {
	m := mountReq{flag: fmt.Sprintf("-v %q", v), mkSource: true}
	parts := strings.Split(v, ":")
	switch len(parts) {
	case 1:
		// -v /data: an anonymous volume, as Docker's.
		dst, err := checkTarget(m.flag, v)
		if err != nil {
			return m, err
		}
		m.Type, m.Target, m.Anonymous = "volume", dst, true
		return m, nil
	case 2, 3:
	default:
		return m, invalidf("%s: want SRC:DST[:OPTIONS]", m.flag)
	}
	src := parts[0]
	dst, err := checkTarget(m.flag, parts[1])
	if err != nil {
		return m, err
	}
	m.Target = dst
	switch {
	case filepath.IsAbs(src):
		m.Type, m.Source = "bind", filepath.Clean(src)
	case src == "":
		return m, invalidf("%s: the source is empty", m.flag)
	case CheckVolumeName(src) == nil:
		m.Type, m.Source = "volume", src
	default:
		return m, invalidf("%s: %q is neither an absolute host path nor a volume name ([a-zA-Z0-9][a-zA-Z0-9_.-]+)", m.flag, src)
	}
	if len(parts) == 3 {
		m.Mode = parts[2]
		for _, opt := range strings.Split(parts[2], ",") {
			switch {
			case opt == "ro":
				m.ReadOnly = true
			case opt == "rw", opt == "z", opt == "Z":
			case opt == "nocopy" && m.Type == "volume":
				m.NoCopy = true
			case isPropagation(opt) && m.Type == "bind":
				m.Propagation = opt
			default:
				return m, invalidf("%s: unknown mode %q for a %s (want ro, rw%s)", m.flag, opt, m.Type, map[string]string{"bind": ", a propagation such as rslave", "volume": ", nocopy"}[m.Type])
			}
		}
	}
	return m, nil
}

func isPropagation(s string) bool {
	switch s {
	case "private", "rprivate", "shared", "rshared", "slave", "rslave":
		return true
	}
	return false
}

// parseMountFlag reads --mount's comma-separated KEY=VALUE list, quoted as
// CSV, as Docker does.
func parseMountFlag(v string) (mountReq, error) {
	m := mountReq{flag: fmt.Sprintf("--mount %q", v), Type: "volume"}
	r := csv.NewReader(strings.NewReader(v))
	fields, err := r.Read()
	if err != nil {
		return m, invalidf("%s: %v", m.flag, err)
	}
	seenKind := map[string]string{} // a type-specific key, by the type it belongs to
	for _, f := range fields {
		key, val, hasVal := strings.Cut(f, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		boolVal := func() (bool, error) {
			if !hasVal {
				return true, nil
			}
			b, err := strconv.ParseBool(val)
			if err != nil {
				return false, invalidf("%s: %s=%q: want true or false", m.flag, key, val)
			}
			return b, nil
		}
		if !hasVal && key != "readonly" && key != "ro" && key != "volume-nocopy" {
			return m, invalidf("%s: %q: want KEY=VALUE", m.flag, f)
		}
		switch key {
		case "type":
			switch val {
			case "bind", "volume", "tmpfs":
				m.Type = val
			default:
				return m, invalidf("%s: unknown type %q (want bind, volume or tmpfs)", m.flag, val)
			}
		case "source", "src":
			m.Source = val
		case "target", "destination", "dst":
			m.Target = val
		case "readonly", "ro":
			if m.ReadOnly, err = boolVal(); err != nil {
				return m, err
			}
		case "consistency":
			// Docker Desktop's; ignored on Linux, as by Docker.
		case "bind-propagation":
			if !isPropagation(val) {
				return m, invalidf("%s: bind-propagation %q: want private, rprivate, shared, rshared, slave or rslave", m.flag, val)
			}
			m.Propagation, seenKind[key] = val, "bind"
		case "volume-nocopy":
			if m.NoCopy, err = boolVal(); err != nil {
				return m, err
			}
			seenKind[key] = "volume"
		case "volume-label":
			k, lv, _ := strings.Cut(val, "=")
			if k == "" {
				return m, invalidf("%s: volume-label %q: want KEY=VALUE", m.flag, val)
			}
			if m.Labels == nil {
				m.Labels = map[string]string{}
			}
			m.Labels[k], seenKind[key] = lv, "volume"
		case "volume-driver":
			if val != "local" {
				return m, invalidf("%s: volume-driver %q: minirun has the local driver only", m.flag, val)
			}
			seenKind[key] = "volume"
		case "tmpfs-size":
			n, err := inputbounds.ParseBytes(val)
			if err != nil || n <= 0 {
				return m, invalidf("%s: tmpfs-size %q: want a size such as 64m", m.flag, val)
			}
			m.Tmpfs, seenKind[key] = append(m.Tmpfs, "size="+strconv.FormatInt(n, 10)), "tmpfs"
		case "tmpfs-mode":
			mode, err := strconv.ParseUint(val, 8, 32)
			if err != nil || mode > 0o7777 {
				return m, invalidf("%s: tmpfs-mode %q: want an octal mode such as 1777", m.flag, val)
			}
			m.Tmpfs, seenKind[key] = append(m.Tmpfs, fmt.Sprintf("mode=%o", mode)), "tmpfs"
		default:
			return m, invalidf("%s: unknown key %q", m.flag, key)
		}
	}
	for key, kind := range seenKind {
		if kind != m.Type {
			return m, invalidf("%s: %s is for type=%s, not type=%s", m.flag, key, kind, m.Type)
		}
	}
	if m.Target == "" {
		return m, invalidf("%s: target is required", m.flag)
	}
	if m.Target, err = checkTarget(m.flag, m.Target); err != nil {
		return m, err
	}
	switch m.Type {
	case "bind":
		if m.Source == "" {
			return m, invalidf("%s: source is required for a bind", m.flag)
		}
		if !filepath.IsAbs(m.Source) {
			return m, invalidf("%s: the bind source %q must be an absolute path", m.flag, m.Source)
		}
		m.Source = filepath.Clean(m.Source)
		// Unlike -v, --mount makes nothing on the host.
		if _, err := os.Stat(m.Source); err != nil {
			return m, invalidf("%s: bind source path does not exist: %s", m.flag, m.Source)
		}
	case "volume":
		if m.Source == "" {
			m.Anonymous = true
			break
		}
		if err := CheckVolumeName(m.Source); err != nil {
			return m, invalidf("%s: %v", m.flag, err)
		}
	case "tmpfs":
		if m.Source != "" {
			return m, invalidf("%s: a tmpfs takes no source", m.flag)
		}
		m.Tmpfs = append(append([]string(nil), dockerTmpfsDefaults...), m.Tmpfs...)
	}
	return m, nil
}

// parseTmpfsFlag reads --tmpfs PATH[:OPTIONS]: OPTIONS are mount(8)'s,
// comma-separated, on top of Docker's rw,noexec,nosuid,nodev (exec, suid
// or dev undo those).
func parseTmpfsFlag(v string) (mountReq, error) {
	m := mountReq{flag: fmt.Sprintf("--tmpfs %q", v), Type: "tmpfs"}
	dst, opts, _ := strings.Cut(v, ":")
	var err error
	if m.Target, err = checkTarget(m.flag, dst); err != nil {
		return m, err
	}
	m.Tmpfs = append([]string(nil), dockerTmpfsDefaults...)
	if opts == "" {
		return m, nil
	}
	for _, o := range strings.Split(opts, ",") {
		k, val, _ := strings.Cut(o, "=")
		switch k {
		case "ro":
			m.ReadOnly = true
		case "rw":
			m.ReadOnly = false
		case "exec", "suid", "dev":
			m.Tmpfs = without(m.Tmpfs, "no"+k)
		case "noexec", "nosuid", "nodev":
			m.Tmpfs = append(without(m.Tmpfs, k), k)
		case "size", "nr_inodes", "nr_blocks":
			// tmpfs reads k, m, g and % itself, as Docker passes them on;
			// checked here so that a typo fails before anything is made.
			if !tmpfsSize.MatchString(val) {
				return m, invalidf("%s: %s %q: want a number with k, m, g or %% after it", m.flag, k, val)
			}
			m.Tmpfs = append(m.Tmpfs, o)
		case "mode":
			if mode, err := strconv.ParseUint(val, 8, 32); err != nil || mode > 0o7777 {
				return m, invalidf("%s: mode %q: want an octal mode such as 1777", m.flag, val)
			}
			m.Tmpfs = append(m.Tmpfs, o)
		case "uid", "gid":
			if _, err := strconv.ParseUint(val, 10, 32); err != nil {
				return m, invalidf("%s: %s %q: want a number", m.flag, k, val)
			}
			m.Tmpfs = append(m.Tmpfs, o)
		case "mpol", "noatime", "atime", "nodiratime", "diratime",
			"relatime", "norelatime", "strictatime", "nostrictatime", "sync", "async", "dirsync", "huge", "inode64", "inode32":
			m.Tmpfs = append(m.Tmpfs, o)
		default:
			return m, invalidf("%s: unknown tmpfs option %q", m.flag, o)
		}
	}
	return m, nil
}

var tmpfsSize = regexp.MustCompile(`^[0-9]+[kKmMgGtTpPeE%]?$`)

// shmSize is --shm-size in bytes; 0 keeps Docker's 64m.
func shmSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := inputbounds.ParseBytes(s)
	if err != nil || n <= 0 {
		return 0, invalidf("--shm-size %q: want a size above zero such as 64m", s)
	}
	return n, nil
}

// recordMounts fills rec's Mounts, Binds, Tmpfs and ShmSize from o.
func recordMounts(rec *Record, o *RunOptions, storeRoot string) error {
	reqs, err := parseMounts(o)
	if err != nil {
		return err
	}
	rec.HostConfig.Binds = append([]string(nil), o.Volumes...)
	rec.HostConfig.ShmSize, _ = shmSize(o.ShmSize)
	if rec.HostConfig.ShmSize == 0 {
		rec.HostConfig.ShmSize = 64 << 20
	}
	for _, t := range o.Tmpfs {
		if rec.HostConfig.Tmpfs == nil {
			rec.HostConfig.Tmpfs = map[string]string{}
		}
		dst, opts, _ := strings.Cut(t, ":")
		rec.HostConfig.Tmpfs[dst] = opts
	}
	rec.Mounts = nil
	for _, m := range reqs {
		mp := MountPoint{Type: m.Type, Destination: m.Target, Mode: m.Mode, RW: !m.ReadOnly}
		switch m.Type {
		case "bind":
			mp.Source, mp.Propagation = m.Source, m.Propagation
			if mp.Propagation == "" {
				mp.Propagation = "rprivate"
			}
		case "volume":
			mp.Name, mp.Driver = m.Source, "local"
			mp.Source = filepath.Join(volumeDir(storeRoot, m.Source), volumeDataDir)
		}
		rec.Mounts = append(rec.Mounts, mp)
	}
	return nil
}

// anonymousLabel marks a volume a run named itself: rm -v and run --rm
// remove it with the container, as Docker's (which marks them so too).
const anonymousLabel = "com.docker.volume.anonymous"

// nameAnonymous names o's anonymous volumes, the image's VOLUMEs among
// them, once for the whole run: a random 64-hex name each, as Docker's.
func nameAnonymous(o *RunOptions, cfg image.Config) error {
	o.imageVolumes = nil
	for t := range cfg.Volumes {
		if path.IsAbs(t) && path.Clean(t) != "/" {
			o.imageVolumes = append(o.imageVolumes, path.Clean(t))
		}
	}
	sort.Strings(o.imageVolumes)
	o.anon = nil
	reqs, err := parseMounts(o)
	if err != nil {
		return err
	}
	for _, m := range reqs {
		if !m.Anonymous {
			continue
		}
		id, err := NewID()
		if err != nil {
			return err
		}
		if o.anon == nil {
			o.anon = map[string]string{}
		}
		o.anon[m.Target] = id
	}
	return nil
}

// anonymousNames are the names nameAnonymous gave.
func anonymousNames(o *RunOptions) []string {
	var out []string
	for _, n := range o.anon {
		out = append(out, n)
	}
	return out
}

// addMounts gives s the mounts o asks for, and the size of /dev/shm. It
// makes what they need: a missing -v bind source, and volumes, filled
// from the image when new or empty. A mount on a path one of Docker's
// defaults has (/dev/shm, say) takes its place, as in Docker.
func addMounts(s *specs.Spec, c Container, o *RunOptions) error {
	reqs, err := parseMounts(o)
	if err != nil {
		return err
	}
	if n, _ := shmSize(o.ShmSize); n > 0 {
		for i := range s.Mounts {
			if s.Mounts[i].Destination == "/dev/shm" {
				s.Mounts[i].Options = append(withoutPrefix(s.Mounts[i].Options, "size="), "size="+strconv.FormatInt(n/1024, 10)+"k")
			}
		}
	}
	var vols []mountReq
	for _, m := range reqs {
		if m.Type == "volume" {
			vols = append(vols, m)
		}
	}
	sources, err := prepareVolumes(c, vols)
	if err != nil {
		return err
	}
	for _, m := range reqs {
		var sm specs.Mount
		switch m.Type {
		case "bind":
			if m.mkSource {
				// Docker makes a -v source that isn't there.
				if _, err := os.Stat(m.Source); os.IsNotExist(err) {
					if err := os.MkdirAll(m.Source, 0o755); err != nil {
						return fmt.Errorf("%s: create the source: %w", m.flag, err)
					}
				}
			}
			prop := m.Propagation
			if prop == "" {
				prop = "rprivate"
			}
			sm = specs.Mount{Destination: m.Target, Type: "bind", Source: m.Source, Options: []string{"rbind", prop}}
		case "volume":
			sm = specs.Mount{Destination: m.Target, Type: "bind", Source: sources[m.Source], Options: []string{"rbind", "rprivate"}}
		case "tmpfs":
			sm = specs.Mount{Destination: m.Target, Type: "tmpfs", Source: "tmpfs", Options: append([]string(nil), m.Tmpfs...)}
		}
		if m.ReadOnly {
			sm.Options = append(sm.Options, "ro")
		} else if m.Type == "tmpfs" {
			sm.Options = append([]string{"rw"}, sm.Options...)
		}
		s.Mounts = append(withoutDest(s.Mounts, m.Target), sm)
	}
	if len(reqs) > 0 {
		// Parents before children, as Docker orders them: a volume on
		// /etc must not hide the /etc/hosts bound before it.
		sort.SliceStable(s.Mounts, func(i, j int) bool { return depth(s.Mounts[i].Destination) < depth(s.Mounts[j].Destination) })
	}
	return nil
}

func depth(p string) int {
	p = path.Clean(p)
	if p == "/" {
		return 0
	}
	return strings.Count(p, "/")
}

func withoutPrefix(opts []string, prefix string) []string {
	var out []string
	for _, o := range opts {
		if !strings.HasPrefix(o, prefix) {
			out = append(out, o)
		}
	}
	return out
}

func withoutDest(ms []specs.Mount, dst string) []specs.Mount {
	var out []specs.Mount
	for _, m := range ms {
		if path.Clean(m.Destination) != dst {
			out = append(out, m)
		}
	}
	return out
}

// prepareVolumes makes the volumes vols name that aren't there yet, and
// fills each that is empty with what the image has at its target (unless
// nocopy), under the volume lock. It returns each volume's _data.
func prepareVolumes(c Container, vols []mountReq) (map[string]string, error) {
	if len(vols) == 0 {
		return nil, nil
	}
	if c.Store == "" {
		return nil, invalidf("%s: named volumes need the image store", vols[0].flag)
	}
	unlock, err := lockVolumes(c.Store)
	if err != nil {
		return nil, err
	}
	defer unlock()
	out := map[string]string{}
	for _, m := range vols {
		labels := m.Labels
		if m.Anonymous {
			labels = map[string]string{anonymousLabel: ""}
		}
		v, created, err := createVolumeLocked(c.Store, m.Source, labels)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.flag, err)
		}
		out[m.Source] = v.Mountpoint
		if m.NoCopy {
			continue
		}
		fill := copyUp
		if c.Overlay != "" {
			// Rootless: the layers are not stacked on the host.
			fill = func(_, target, data string) error { return copyUpRootless(c, target, data) }
		}
		if err := fill(c.Rootfs, m.Target, v.Mountpoint); err != nil {
			// A volume half filled would never be filled again (it is
			// no longer empty): a new one goes, an old one is emptied.
			if created {
				_ = removeVolumeLocked(c.Store, m.Source)
			} else {
				emptyDir(v.Mountpoint)
			}
			return nil, fmt.Errorf("%s: fill volume %s from the image's %s: %w", m.flag, m.Source, m.Target, err)
		}
	}
	return out, nil
}

// emptyDir removes what dir holds, not following symlinks (os.RemoveAll
// unlinks a link rather than what it points to).
func emptyDir(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		_ = removeVolumeData(filepath.Join(dir, e.Name()))
	}
}
