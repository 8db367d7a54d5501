package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// Every step of a config mount after its target is opened works on file
// descriptors, never on the path again. A container that shares a volume
// with this one could otherwise swap a directory for a symlink between
// two steps and have the read-only remount, the propagation change or the
// mountpoint land somewhere else (runc's CVE-2021-30465 and its kin).
//
// A bind is built detached: open_tree clones the source, mount_setattr
// sets its flags while nothing can see it, and move_mount attaches it to
// the target handle. Its propagation is set afterwards on the same mount
// fd, which now names the attached mount. Kernels before 5.12 lack
// mount_setattr; there the old mount(2) path is taken.

// mountAttrs maps the per-mount MS_* flags to mount_setattr's.
var mountAttrs = []struct {
	ms   uintptr
	attr uint64
}{
	{unix.MS_RDONLY, unix.MOUNT_ATTR_RDONLY},
	{unix.MS_NOSUID, unix.MOUNT_ATTR_NOSUID},
	{unix.MS_NODEV, unix.MOUNT_ATTR_NODEV},
	{unix.MS_NOEXEC, unix.MOUNT_ATTR_NOEXEC},
	{unix.MS_NODIRATIME, unix.MOUNT_ATTR_NODIRATIME},
}

// attrFor turns flags into mount_setattr's set and clear masks. Only flags
// asked for are set and nothing is cleared, so flags the kernel locks on a
// mount from a more privileged namespace are kept, as remount keeps them.
// An atime mode is the one exception: the kernel takes it only with the
// whole atime field cleared.
func attrFor(flags uintptr) *unix.MountAttr {
	a := &unix.MountAttr{}
	for _, m := range mountAttrs {
		if flags&m.ms != 0 {
			a.Attr_set |= m.attr
		}
	}
	switch {
	case flags&unix.MS_NOATIME != 0:
		a.Attr_set |= unix.MOUNT_ATTR_NOATIME
		a.Attr_clr |= unix.MOUNT_ATTR__ATIME
	case flags&unix.MS_STRICTATIME != 0:
		a.Attr_set |= unix.MOUNT_ATTR_STRICTATIME
		a.Attr_clr |= unix.MOUNT_ATTR__ATIME
	}
	return a
}

// errNoMountAPI says the kernel lacks open_tree, mount_setattr or
// move_mount, and the caller should fall back to mount(2).
var errNoMountAPI = errors.New("no new mount API")

// bindByFd bind-mounts source onto the directory or file that target
// names, with o's flags and propagation, touching no path but source; with
// src (not -1) it clones that handle instead and source only names it.
func bindByFd(source string, src int, target *os.File, dest string, o Options) error {
	cloneFlags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC)
	if o.Recursive {
		cloneFlags |= unix.AT_RECURSIVE
	}
	dirfd, path := unix.AT_FDCWD, source
	if src >= 0 {
		dirfd, path = src, ""
		cloneFlags |= unix.AT_EMPTY_PATH
	}
	tree, err := unix.OpenTree(dirfd, path, cloneFlags)
	if errors.Is(err, unix.ENOSYS) {
		return errNoMountAPI
	}
	if err != nil {
		return &MountError{Source: source, Target: dest, Flags: unix.MS_BIND, Err: fmt.Errorf("open_tree: %w", err)}
	}
	defer unix.Close(tree)
	if rest := o.Flags &^ (unix.MS_REMOUNT | unix.MS_BIND | unix.MS_REC); rest != 0 {
		// The flags hold for the top mount only, as a bind remount would
		// set them; the submounts of an rbind keep their own.
		err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH, attrFor(rest))
		if errors.Is(err, unix.ENOSYS) {
			return errNoMountAPI
		}
		if err != nil {
			return &MountError{Source: source, Target: dest, Flags: rest, Err: fmt.Errorf("mount_setattr: %w", err)}
		}
	}
	err = unix.MoveMount(tree, "", int(target.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
	if err != nil {
		return &MountError{Source: source, Target: dest, Flags: unix.MS_BIND, Err: fmt.Errorf("move_mount: %w", err)}
	}
	return setPropagationFd(tree, dest, o.Propagation)
}

// setPropagationFd applies each propagation option to the mount that fd
// names (recursively for the r- forms).
func setPropagationFd(fd int, dest string, props []uintptr) error {
	for _, p := range props {
		flags := uint(unix.AT_EMPTY_PATH)
		if p&unix.MS_REC != 0 {
			flags |= unix.AT_RECURSIVE
		}
		attr := &unix.MountAttr{Propagation: uint64(p &^ unix.MS_REC)}
		if err := unix.MountSetattr(fd, "", flags, attr); err != nil {
			return &MountError{Target: dest, Flags: p, Err: fmt.Errorf("mount_setattr propagation: %w", err)}
		}
	}
	return nil
}

// mountOnTop opens the mount just made on target's mountpoint, checking
// that it is a new mount sitting right on that mountpoint, and returns a
// handle to it for the steps that follow (propagation). The handle is
// taken by resolving the path once more, so the check is what makes it
// trustworthy: a swapped path would name another mount.
func mountOnTop(rootfs, unsafePath string, target *os.File) (*os.File, error) {
	below, err := mountID(int(target.Fd()))
	if err != nil {
		return nil, err
	}
	top, err := pathrs.OpenInRoot(rootfs, unsafePath)
	if err != nil {
		return nil, err
	}
	id, err := mountID(int(top.Fd()))
	if err == nil && id == below {
		err = fmt.Errorf("%s: no new mount on the mountpoint", unsafePath)
	}
	if err == nil {
		var parent uint64
		parent, err = parentMountID(id)
		if err == nil && parent != below {
			err = fmt.Errorf("%s: mount %d sits on mount %d, not on the mountpoint's %d", unsafePath, id, parent, below)
		}
	}
	if err != nil {
		top.Close()
		return nil, err
	}
	return top, nil
}

func mountID(fd int) (uint64, error) {
	var stx unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &stx); err != nil {
		return 0, fmt.Errorf("statx mount id: %w", err)
	}
	return stx.Mnt_id, nil
}

// parentMountID reads the parent of mount id from /proc/self/mountinfo.
func parentMountID(id uint64) (uint64, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return 0, err
	}
	want := strconv.FormatUint(id, 10)
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == want {
			return strconv.ParseUint(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("mount %d not in /proc/self/mountinfo", id)
}

// createFileAt makes an empty regular file as a bind mountpoint, beneath a
// directory handle and never through a symlink.
func createFileAt(dir *os.File, name string) error {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	if err != nil {
		return err
	}
	return unix.Close(fd)
}
