package rootfs

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// The paths a container must not see: masked paths, made after
// pivot_root, inside the container's own view. The init's steps
// (container/initproc) walk linux.maskedPaths and linux.readonlyPaths;
// each call here is one mount.

// Mask hides path from the container: a directory (dir) gets an empty
// read-only tmpfs, anything else the null device bound over it. Runs after
// pivot_root, inside the container's own view.
func Mask(path string, dir bool) error {
	if dir {
		return mount("tmpfs", path, "tmpfs", unix.MS_RDONLY, "")
	}
	null, err := verifiedNull()
	if err != nil {
		return err
	}
	defer unix.Close(null)
	return mount(fmt.Sprintf("/proc/self/fd/%d", null), path, "", unix.MS_BIND, "")
}

// verifiedNull opens /dev/null and checks that it really is the 1:3
// character device: an image could have planted a regular file or a link
// to something else there, and binding that over /proc/kcore would expose
// whatever it is.
func verifiedNull() (int, error) {
	fd, err := unix.Open("/dev/null", unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open /dev/null: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("stat /dev/null: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3) {
		unix.Close(fd)
		return -1, fmt.Errorf("/dev/null is not the null device (mode %#o, rdev %d:%d)", st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev))
	}
	return fd, nil
}

// RawMount is mount(2), its error naming the call.
func RawMount(source, target, fstype string, flags uintptr, data string) error {
	return mount(source, target, fstype, flags, data)
}
