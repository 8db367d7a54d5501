package rootfs

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/trace"
)

// The paths a container must not see or change: masked paths, read-only
// paths and a read-only root, all made after pivot_root, inside the
// container's own view.

// MaskPaths hides paths from the container: a file gets the null device
// bound over it, a directory an empty read-only tmpfs. Runs after pivot_root.
func MaskPaths(paths []string, log trace.Logger) error {
	if len(paths) == 0 {
		return nil
	}
	null, err := verifiedNull()
	if err != nil {
		return err
	}
	defer unix.Close(null)
	nullPath := fmt.Sprintf("/proc/self/fd/%d", null)
	for _, p := range paths {
		fi, err := os.Stat(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("masked path %s: %w", p, err)
		}
		if fi.IsDir() {
			err = mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, "")
		} else {
			err = mount(nullPath, p, "", unix.MS_BIND, "")
		}
		if err != nil {
			return fmt.Errorf("masked path %s: %w", p, err)
		}
		log.Log("masked %s", p)
	}
	return nil
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

// ReadonlyPaths makes each existing path a read-only bind of itself.
func ReadonlyPaths(paths []string, log trace.Logger) error {
	for _, p := range paths {
		if _, err := os.Stat(p); os.IsNotExist(err) {
			continue
		}
		if err := mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("read-only path %s: %w", p, err)
		}
		if err := remount(p, unix.MS_RDONLY); err != nil {
			return fmt.Errorf("read-only path %s: %w", p, err)
		}
		log.Log("read-only %s", p)
	}
	return nil
}

// ReadonlyRoot remounts / read-only, for root.readonly.
func ReadonlyRoot(log trace.Logger) error {
	log.Log("remount / read-only")
	return remount("/", unix.MS_RDONLY)
}

// RemountReadonly makes the mount at path (inside the container, after
// pivot_root) read-only, keeping its other flags.
func RemountReadonly(path string, log trace.Logger) error {
	log.Log("remount %s read-only", path)
	return remount(path, unix.MS_RDONLY)
}
