package rootfs

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// PivotRoot makes rootfs the root of the mount namespace and detaches the
// old root. pivot_root(".", ".") stacks the old root on top of the new one,
// so no directory for it is needed inside the container; unmounting "."
// then removes it. chroot is not used: the kernel refuses to create user
// namespaces in a chrooted process, and a chroot can be escaped.
func PivotRoot(rootfs string, log Logger) error {
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open old root: %w", err)
	}
	defer unix.Close(oldRoot)
	if err := unix.Chdir(rootfs); err != nil {
		return fmt.Errorf("chdir %s: %w", rootfs, err)
	}
	if err := unsharePivotMounts(log); err != nil {
		return err
	}
	log.log("pivot_root(\".\", \".\") in %s", rootfs)
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root %s: %w", rootfs, err)
	}
	if err := unix.Fchdir(oldRoot); err != nil {
		return fmt.Errorf("fchdir old root: %w", err)
	}
	// Make the old root a slave first, so the detach below does not travel
	// back to the host through shared propagation.
	if err := mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return err
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	log.log("old root detached")
	return restorePropagation(log)
}

// MaskPaths hides paths from the container: a file gets the null device
// bound over it, a directory an empty read-only tmpfs. Runs after pivot_root.
func MaskPaths(paths []string, log Logger) error {
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
		log.log("masked %s", p)
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
func ReadonlyPaths(paths []string, log Logger) error {
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
		log.log("read-only %s", p)
	}
	return nil
}

// ReadonlyRoot remounts / read-only, for root.readonly.
func ReadonlyRoot(log Logger) error {
	log.log("remount / read-only")
	return remount("/", unix.MS_RDONLY)
}
