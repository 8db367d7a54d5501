package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	securejoin "github.com/cyphar/filepath-securejoin"
	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/trace"
)

// Idmapped binds (mounts[].uidMappings, "idmap", "ridmap") show a host
// directory with its owners shifted. The kernel lets only a holder of
// CAP_SYS_ADMIN over the filesystem (the host's root) attach an idmapping,
// and only to a detached mount, so the runtime's parent builds the mount
// on the host (IdmappedClone) and hands its fd to the init, which attaches
// it inside the container (MountDetached) like any other bind.

// IsIdmapped reports whether m asks for an idmapped bind.
func IsIdmapped(m specs.Mount) bool {
	return len(m.UIDMappings) > 0 || len(m.GIDMappings) > 0 || ParseOptions(m.Options).IDMap
}

// IdmappedClone clones source as a detached mount, sets m's flags on it and
// the idmapping of the user namespace userns. The caller owns the fd.
func IdmappedClone(source string, m specs.Mount, userns int) (int, error) {
	o := ParseOptions(m.Options)
	cloneFlags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if o.Recursive {
		cloneFlags |= unix.AT_RECURSIVE
	}
	tree, err := unix.OpenTree(unix.AT_FDCWD, source, cloneFlags)
	if err != nil {
		return -1, fmt.Errorf("open_tree %s: %w", source, err)
	}
	if rest := o.Flags &^ (unix.MS_REMOUNT | unix.MS_BIND | unix.MS_REC); rest != 0 {
		if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH, attrFor(rest)); err != nil {
			unix.Close(tree)
			return -1, fmt.Errorf("mount_setattr %s on %s: %w", FlagString(rest), source, err)
		}
	}
	flags := uint(unix.AT_EMPTY_PATH)
	if o.IDMapRecursive {
		flags |= unix.AT_RECURSIVE
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(userns)}
	if err := unix.MountSetattr(tree, "", flags, attr); err != nil {
		unix.Close(tree)
		return -1, fmt.Errorf("idmap %s: mount_setattr MOUNT_ATTR_IDMAP: %w", source, err)
	}
	return tree, nil
}

// MountDetached attaches tree, a detached mount the parent built for m,
// at m.Destination inside rootfs, with the same checks and handles as
// Mount, then sets its propagation.
func MountDetached(rootfs string, m specs.Mount, tree int, log trace.Logger) error {
	o := ParseOptions(m.Options)
	o.Bind = true
	var st unix.Stat_t
	if err := unix.Fstat(tree, &st); err != nil {
		return fmt.Errorf("stat the idmapped mount for %s: %w", m.Destination, err)
	}
	target, dest, err := openTarget(rootfs, m, m.Source, o, st.Mode&unix.S_IFMT != unix.S_IFDIR)
	if err != nil {
		return err
	}
	defer target.Close()
	log.Log("mount idmapped %s on %s flags=%s", m.Source, m.Destination, FlagString(o.Flags))
	err = unix.MoveMount(tree, "", int(target.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
	if err != nil {
		return &MountError{Source: m.Source, Target: dest, Flags: unix.MS_BIND, Err: fmt.Errorf("move_mount: %w", err)}
	}
	return setPropagationFd(tree, dest, o.Propagation)
}

// openTarget resolves, creates (a file for file, else a directory) and
// opens m's destination inside rootfs and refuses targets in /proc:
// Mount's first half, shared with MountDetached. srcPath reaches m's source
// (m.Source, or a /proc/self/fd path for one held open).
func openTarget(rootfs string, m specs.Mount, srcPath string, o Options, file bool) (*os.File, string, error) {
	dest, err := securejoin.SecureJoin(rootfs, m.Destination)
	if err != nil {
		return nil, "", fmt.Errorf("resolve mount destination %s: %w", m.Destination, err)
	}
	var target *os.File
	if !o.Bind && (m.Type == "proc" || m.Type == "sysfs") {
		if target, err = openOrdinaryDir(rootfs, m); err != nil {
			return nil, "", err
		}
	} else {
		// Most targets (/dev, an image's own directories) are there
		// already: open them first, and only make the mountpoint, a walk
		// that checks each step through /proc, when the open finds
		// nothing of the right kind.
		target, err = pathrs.OpenInRoot(rootfs, m.Destination)
	}
	if err != nil || !isKind(target, file) {
		if target != nil {
			target.Close()
		}
		if err := makeMountpoint(rootfs, dest, m, file); err != nil {
			return nil, "", err
		}
		if target, err = pathrs.OpenInRoot(rootfs, m.Destination); err != nil {
			return nil, "", fmt.Errorf("open mount destination %s: %w", m.Destination, err)
		}
	}
	if err := checkProcTarget(rootfs, "/proc/self/fd/"+strconv.Itoa(int(target.Fd())), srcPath, m, o); err != nil {
		target.Close()
		return nil, "", err
	}
	return target, dest, nil
}

// isKind tells whether f is the kind of mountpoint wanted: a directory,
// or with file anything else.
func isKind(f *os.File, file bool) bool {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return false
	}
	return (st.Mode&unix.S_IFMT == unix.S_IFDIR) != file
}

// openOrdinaryDir opens the target of a proc or sysfs mount, which must be
// a directory of its own: never followed through a symlink, as runc
// refuses too. The runtime trusts what it finds at /proc and /sys after
// pivot_root (sysctls, oom_score_adj, the masked paths), and a /proc that
// points elsewhere in the rootfs, say into a volume another container
// writes, would leave /proc itself to whoever controls that place. The
// directories above the last component are resolved inside rootfs; the
// last one is opened with O_NOFOLLOW and checked through the handle that
// is then mounted on, so swapping it for a symlink after the check
// changes nothing. A missing target is made as a directory.
func openOrdinaryDir(rootfs string, m specs.Mount) (*os.File, error) {
	clean := filepath.Clean("/" + m.Destination)
	if clean == "/" {
		return pathrs.OpenInRoot(rootfs, "/")
	}
	parent, name := filepath.Dir(clean), filepath.Base(clean)
	dir, err := pathrs.OpenInRoot(rootfs, parent)
	if err != nil || !isKind(dir, false) {
		if dir != nil {
			dir.Close()
		}
		root, err := os.OpenFile(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open rootfs for mount destination %s: %w", m.Destination, err)
		}
		dir, err = pathrs.MkdirAllHandle(root, parent, 0o755)
		root.Close()
		if err != nil {
			return nil, fmt.Errorf("create mountpoint %s: %w", parent, err)
		}
	}
	defer dir.Close()
	dfd := int(dir.Fd())
	fd, err := unix.Openat(dfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		if err := unix.Mkdirat(dfd, name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("create mountpoint %s: %w", clean, err)
		}
		fd, err = unix.Openat(dfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("open mount destination %s: %w", clean, err)
	}
	target := os.NewFile(uintptr(fd), clean)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		target.Close()
		return nil, fmt.Errorf("stat mount destination %s: %w", clean, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return target, nil
	}
	target.Close()
	what := fmt.Sprintf("a %s", fileKind(st.Mode))
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		if to, err := readlinkat(dfd, name); err == nil {
			what = "a symlink to " + to
		}
	}
	return nil, fmt.Errorf("filesystem %q must be mounted on ordinary directory: %s in the rootfs is %s", m.Type, clean, what)
}

func readlinkat(dfd int, name string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dfd, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// fileKind names a file type for an error message.
func fileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	}
	return fmt.Sprintf("file of mode %#o", mode&unix.S_IFMT)
}
