package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/trace"
)

var mode0666 = os.FileMode(0o666)
var uid0 = uint32(0)

// DefaultDevices are the nodes every container gets, as in runc and Docker.
var DefaultDevices = []specs.LinuxDevice{
	{Path: "/dev/null", Type: "c", Major: 1, Minor: 3, FileMode: &mode0666, UID: &uid0, GID: &uid0},
	{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5, FileMode: &mode0666, UID: &uid0, GID: &uid0},
	{Path: "/dev/full", Type: "c", Major: 1, Minor: 7, FileMode: &mode0666, UID: &uid0, GID: &uid0},
	{Path: "/dev/random", Type: "c", Major: 1, Minor: 8, FileMode: &mode0666, UID: &uid0, GID: &uid0},
	{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9, FileMode: &mode0666, UID: &uid0, GID: &uid0},
	{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0, FileMode: &mode0666, UID: &uid0, GID: &uid0},
}

// WithDefaults is the nodes a container gets: the default devices, then
// linux.devices.
func WithDefaults(devices []specs.LinuxDevice) []specs.LinuxDevice {
	return append(append([]specs.LinuxDevice{}, DefaultDevices...), devices...)
}

// Devices makes the nodes devs inside rootfs. Inside a user namespace
// mknod is refused, so with bindOnly the host's nodes are bind-mounted
// instead. Each node is made, checked, chmod'ed and chown'ed through a
// handle on its directory and on the node itself, so a rootfs shared with
// another container can't swap in a symlink between the steps. The rootfs
// is opened once, and each directory once (a start's nodes are nearly all
// in /dev): the safe walk to a directory is most of a node's cost.
func Devices(rootfs string, devs []specs.LinuxDevice, bindOnly bool, log trace.Logger) error {
	root, err := os.OpenFile(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("devices: open rootfs: %w", err)
	}
	defer root.Close()
	// mknod takes the umask off a node's mode, which then needs a chmod;
	// without one the mode asked for is the mode made. The process's own
	// umask is set later, from process.user.umask.
	defer unix.Umask(unix.Umask(0))
	dirs := map[string]*os.File{}
	defer func() {
		for _, d := range dirs {
			d.Close()
		}
	}()
	for _, d := range devs {
		parent := filepath.Dir(filepath.Clean("/" + d.Path))
		dir, ok := dirs[parent]
		if !ok {
			if dir, err = pathrs.MkdirAllHandle(root, parent, 0o755); err != nil {
				return fmt.Errorf("device %s: %w", d.Path, err)
			}
			dirs[parent] = dir
		}
		if err := device(d, dir, bindOnly); err != nil {
			return err
		}
		log.Log("device %s %s %d:%d", d.Path, d.Type, d.Major, d.Minor)
	}
	return nil
}

// device makes d in dir, its directory.
func device(d specs.LinuxDevice, dir *os.File, bindOnly bool) error {
	name := filepath.Base(d.Path)
	var err error
	if bindOnly {
		err = bindDevice(d.Path, dir, name)
	} else {
		err = mknodDevice(d, dir, name)
	}
	if err != nil {
		return fmt.Errorf("device %s (%s %d:%d): %w", d.Path, d.Type, d.Major, d.Minor, err)
	}
	return nil
}

func mknodDevice(d specs.LinuxDevice, dir *os.File, name string) error {
	var typ uint32
	switch d.Type {
	case "c", "u":
		typ = unix.S_IFCHR
	case "b":
		typ = unix.S_IFBLK
	case "p":
		typ = unix.S_IFIFO
	default:
		return fmt.Errorf("unknown device type %q", d.Type)
	}
	mode := uint32(0o666)
	if d.FileMode != nil {
		mode = uint32(d.FileMode.Perm())
	}
	dfd := int(dir.Fd())
	// Replace whatever the image put there: it may be a regular file or a
	// symlink posing as a device.
	if err := unix.Unlinkat(dfd, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove old node: %w", err)
	}
	rdev := unix.Mkdev(uint32(d.Major), uint32(d.Minor))
	if err := unix.Mknodat(dfd, name, typ|mode, int(rdev)); err != nil {
		return fmt.Errorf("mknod: %w", err)
	}
	fd, err := unix.Openat(dfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open new node: %w", err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("stat new node: %w", err)
	}
	if st.Mode&unix.S_IFMT != typ || (typ != unix.S_IFIFO && st.Rdev != rdev) {
		return fmt.Errorf("the node made is not the one asked for (mode %#o, rdev %d:%d): replaced while being made", st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	// The stat just taken is of the node made, through its own handle: a
	// mode and owner it already has need no call (with the umask cleared
	// by Devices, and the init as root, that is the usual case). Else
	// chmod through the handle: an O_PATH fd can't be fchmod'ed, but its
	// /proc/self/fd link names exactly that inode.
	if st.Mode&0o7777 != mode {
		if err := unix.Chmod("/proc/self/fd/"+strconv.Itoa(fd), mode); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
	}
	uid, gid := 0, 0
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	if int(st.Uid) != uid || int(st.Gid) != gid {
		if err := unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	return nil
}

func bindDevice(host string, dir *os.File, name string) error {
	if err := createFileAt(dir, name); err != nil {
		return err
	}
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return mount(host, "/proc/self/fd/"+strconv.Itoa(fd), "", unix.MS_BIND, "")
}

// DevLinks creates the conventional symlinks in /dev. /dev is opened once,
// resolved inside the rootfs, and every link is read, removed and made
// relative to that handle: a process sharing the rootfs that swaps /dev
// for a symlink to a host directory after the resolution gains nothing
// (the CVE-2021-30465 kind of race). Whatever is at a link's name is
// replaced, never followed: /dev/stdout left over from an earlier run is
// a symlink into /proc, and following it would lead out of the rootfs.
func DevLinks(rootfs string) error {
	links := [][2]string{
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
		{"pts/ptmx", "ptmx"},
	}
	dev, err := pathrs.OpenInRoot(rootfs, "/dev")
	if err != nil {
		return fmt.Errorf("open /dev in the rootfs: %w", err)
	}
	defer dev.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(dev.Fd()), &st); err != nil {
		return fmt.Errorf("stat /dev in the rootfs: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("/dev in the rootfs is not a directory")
	}
	fd := int(dev.Fd())
	buf := make([]byte, 64)
	for _, l := range links {
		if n, err := unix.Readlinkat(fd, l[1], buf); err == nil && string(buf[:n]) == l[0] {
			continue
		}
		if err := unix.Unlinkat(fd, l[1], 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("replace /dev/%s: %w", l[1], err)
		}
		if err := unix.Symlinkat(l[0], fd, l[1]); err != nil {
			return fmt.Errorf("symlink /dev/%s -> %s: %w", l[1], l[0], err)
		}
	}
	return nil
}
