package rootfs

import (
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// A container's init in a user namespace is root only there: on the host
// it is an unprivileged uid, so a bind source below a directory only the
// host's root may enter (a bundle's 0700 volume directory) is out of its
// reach, though the caller, who wrote the config, reaches it. runc opens
// such sources before the init can use them, as the caller, and passes
// the handles in (runc's userns.bats "userns with 2 inaccessible
// mounts"). So does minirun: the parent opens the source and the init
// mounts from the handle (MountFrom).
//
// The handle must name the source inside the init's mount namespace,
// where the mount is made: the kernel refuses to clone a mount of another
// namespace (EINVAL), and a detached clone made on the host would carry
// none of the locks the kernel puts on mounts a less privileged namespace
// inherits (a read-only or nosuid host mount could be remounted without).
// Go's parent can't setns into a mount namespace (it is multithreaded),
// so it walks there instead: /proc/PID/root is the init's root in the
// init's namespace, and a lookup below it stays in that namespace.

// OpenBindSource opens source, an absolute host path, as the process pid
// sees it from its root but with the caller's permissions, and returns an
// O_PATH handle to it. The path resolves as it would for pid: ".." stops
// at its root and an absolute symlink starts again from there
// (RESOLVE_IN_ROOT). Magic links and anything on procfs are refused
// (what /proc/self and its kin mean depends on who looks): the caller
// leaves those to the init.
func OpenBindSource(pid int, source string) (int, error) {
	root, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/root", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open the root of pid %d: %w", pid, err)
	}
	defer unix.Close(root)
	fd, err := unix.Openat2(root, source, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return -1, fmt.Errorf("open %s below the root of pid %d: %w", source, pid, err)
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("statfs %s: %w", source, err)
	}
	if st.Type == unix.PROC_SUPER_MAGIC {
		unix.Close(fd)
		return -1, fmt.Errorf("%s: %w", source, errOnProcfs)
	}
	return fd, nil
}

var errOnProcfs = errors.New("on procfs, which the init must resolve itself")
