// Package rootfs builds the container's filesystem view: propagation, the
// config's mounts, devices, pivot_root, and masked and read-only paths.
package rootfs

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Options is a mount's option list split the way mount(2) wants it.
type Options struct {
	Flags       uintptr   // flags for the mount call itself
	Clear       uintptr   // flags an option explicitly turned off (rw, suid, ...)
	Propagation []uintptr // applied with separate mount calls afterwards
	Data        string    // filesystem-specific options, comma-joined
	Bind        bool
	Recursive   bool
	// IDMap asks for an idmapped bind ("idmap", or "ridmap" for every
	// submount too; mount.uidMappings alone also asks for one).
	IDMap, IDMapRecursive bool
	// RecSet and RecClear are mount_setattr(2) attributes applied to the
	// mount and every mount below it ("rro", "rnosuid", ...), which flags
	// on one mount call can't reach.
	RecSet, RecClear uint64
}

// recursiveOptions maps runc's recursive option words to the mount
// attribute they set (or, with clear, take away). The atime words replace
// the whole atime field, so they clear MOUNT_ATTR__ATIME too.
var recursiveOptions = map[string]struct {
	clear bool
	attr  uint64
}{
	"rro": {false, unix.MOUNT_ATTR_RDONLY}, "rrw": {true, unix.MOUNT_ATTR_RDONLY},
	"rnosuid": {false, unix.MOUNT_ATTR_NOSUID}, "rsuid": {true, unix.MOUNT_ATTR_NOSUID},
	"rnodev": {false, unix.MOUNT_ATTR_NODEV}, "rdev": {true, unix.MOUNT_ATTR_NODEV},
	"rnoexec": {false, unix.MOUNT_ATTR_NOEXEC}, "rexec": {true, unix.MOUNT_ATTR_NOEXEC},
	"rnodiratime": {false, unix.MOUNT_ATTR_NODIRATIME}, "rdiratime": {true, unix.MOUNT_ATTR_NODIRATIME},
	"rrelatime": {false, unix.MOUNT_ATTR_RELATIME}, "rnoatime": {false, unix.MOUNT_ATTR_NOATIME},
	"rstrictatime": {false, unix.MOUNT_ATTR_STRICTATIME},
}

// flagOptions maps option names to the flag they set or clear.
var flagOptions = map[string]struct {
	clear bool
	flag  uintptr
}{
	"ro": {false, unix.MS_RDONLY}, "rw": {true, unix.MS_RDONLY},
	"nosuid": {false, unix.MS_NOSUID}, "suid": {true, unix.MS_NOSUID},
	"nodev": {false, unix.MS_NODEV}, "dev": {true, unix.MS_NODEV},
	"noexec": {false, unix.MS_NOEXEC}, "exec": {true, unix.MS_NOEXEC},
	"sync": {false, unix.MS_SYNCHRONOUS}, "async": {true, unix.MS_SYNCHRONOUS},
	"dirsync": {false, unix.MS_DIRSYNC}, "mand": {false, unix.MS_MANDLOCK}, "nomand": {true, unix.MS_MANDLOCK},
	"atime": {true, unix.MS_NOATIME}, "noatime": {false, unix.MS_NOATIME},
	"diratime": {true, unix.MS_NODIRATIME}, "nodiratime": {false, unix.MS_NODIRATIME},
	"relatime": {false, unix.MS_RELATIME}, "norelatime": {true, unix.MS_RELATIME},
	"strictatime": {false, unix.MS_STRICTATIME}, "nostrictatime": {true, unix.MS_STRICTATIME},
	"remount": {false, unix.MS_REMOUNT}, "silent": {false, unix.MS_SILENT}, "loud": {true, unix.MS_SILENT},
	"defaults": {false, 0},
}

var propagationOptions = map[string]uintptr{
	"private": unix.MS_PRIVATE, "rprivate": unix.MS_PRIVATE | unix.MS_REC,
	"shared": unix.MS_SHARED, "rshared": unix.MS_SHARED | unix.MS_REC,
	"slave": unix.MS_SLAVE, "rslave": unix.MS_SLAVE | unix.MS_REC,
	"unbindable": unix.MS_UNBINDABLE, "runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// isRecursive reports whether opt is one of recursiveOptions (whose
// attribute may be 0: MOUNT_ATTR_RELATIME is).
func isRecursive(opt string) bool {
	_, ok := recursiveOptions[opt]
	return ok
}

// ParseOptions splits a runtime-spec mount option list. Unknown words are
// passed to the filesystem as data (mode=755, size=65536k, newinstance...).
func ParseOptions(opts []string) Options {
	var o Options
	var data []string
	for _, opt := range opts {
		switch {
		case opt == "bind":
			o.Bind = true
		case opt == "rbind":
			o.Bind, o.Recursive = true, true
		case opt == "idmap":
			o.IDMap = true
		case opt == "ridmap":
			o.IDMap, o.IDMapRecursive = true, true
		case isRecursive(opt):
			r := recursiveOptions[opt]
			switch {
			case opt == "rrelatime" || opt == "rnoatime" || opt == "rstrictatime":
				o.RecClear |= unix.MOUNT_ATTR__ATIME
				o.RecSet = o.RecSet&^unix.MOUNT_ATTR__ATIME | r.attr
			case r.clear:
				o.RecSet &^= r.attr
				o.RecClear |= r.attr
			default:
				o.RecSet |= r.attr
				o.RecClear &^= r.attr
			}
		case propagationOptions[opt] != 0:
			o.Propagation = append(o.Propagation, propagationOptions[opt])
		default:
			if f, ok := flagOptions[opt]; ok {
				if f.clear {
					o.Flags &^= f.flag
					o.Clear |= f.flag
				} else {
					o.Flags |= f.flag
				}
				continue
			}
			data = append(data, opt)
		}
	}
	o.Data = strings.Join(data, ",")
	return o
}

// PropagationFlag parses linux.rootfsPropagation; empty means rslave, so
// that host unmounts still reach the container but nothing flows back.
func PropagationFlag(p string) (uintptr, error) {
	if p == "" {
		return unix.MS_SLAVE | unix.MS_REC, nil
	}
	f, ok := propagationOptions[p]
	if !ok {
		return 0, fmt.Errorf("linux.rootfsPropagation: unknown propagation %q", p)
	}
	return f, nil
}

// FlagString renders mount flags for --debug and error messages.
func FlagString(f uintptr) string {
	names := []struct {
		f uintptr
		n string
	}{
		{unix.MS_BIND, "bind"}, {unix.MS_REC, "rec"}, {unix.MS_RDONLY, "ro"}, {unix.MS_NOSUID, "nosuid"},
		{unix.MS_NODEV, "nodev"}, {unix.MS_NOEXEC, "noexec"}, {unix.MS_REMOUNT, "remount"},
		{unix.MS_PRIVATE, "private"}, {unix.MS_SLAVE, "slave"}, {unix.MS_SHARED, "shared"},
		{unix.MS_UNBINDABLE, "unbindable"}, {unix.MS_STRICTATIME, "strictatime"}, {unix.MS_RELATIME, "relatime"},
		{unix.MS_NOATIME, "noatime"}, {unix.MS_SYNCHRONOUS, "sync"},
	}
	var out []string
	for _, n := range names {
		if f&n.f != 0 {
			out = append(out, n.n)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ",")
}

// MountOptions lists every option word ParseOptions knows, sorted, for
// `minirun features`; any other word is passed to the filesystem.
func MountOptions() []string {
	out := []string{"bind", "rbind", "idmap", "ridmap"}
	for o := range flagOptions {
		out = append(out, o)
	}
	for o := range propagationOptions {
		out = append(out, o)
	}
	for o := range recursiveOptions {
		out = append(out, o)
	}
	sort.Strings(out)
	return out
}
