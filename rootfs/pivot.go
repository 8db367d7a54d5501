package rootfs

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/trace"
)

// PivotRoot makes rootfs the root of the mount namespace and detaches the
// old root. pivot_root(".", ".") stacks the old root on top of the new one,
// so no directory for it is needed inside the container; unmounting "."
// then removes it. chroot is not used: the kernel refuses to create user
// namespaces in a chrooted process, and a chroot can be escaped.
func PivotRoot(rootfs string, log trace.Logger) error {
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
	log.Log("pivot_root(\".\", \".\") in %s", rootfs)
	err = unix.PivotRoot(".", ".")
	if errors.Is(err, unix.EINVAL) && noneShared {
		// Something made a mount shared after SetPropagation (a mount
		// onto the rootfs with "shared", a hook): look after all.
		noneShared = false
		if err := unsharePivotMounts(log); err != nil {
			return err
		}
		err = unix.PivotRoot(".", ".")
	}
	if err != nil {
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
	log.Log("old root detached")
	return restorePropagation(log)
}
