package initproc

import (
	"errors"
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/trace"
	"github.com/minirun/minirun/rootfs"
)

// The init's sequences over the rootfs: devices before pivot_root, then
// the paths a container must not see or change, made after it, inside
// the container's own view. Each call is one mount or node (sys.go).

// makeDevices makes the default devices and linux.devices, then /dev's
// symlinks. Inside a user namespace (bindOnly) mknod is refused, so the
// host's nodes are bound instead.
func makeDevices(sys system, root string, devs []specs.LinuxDevice, bindOnly bool) error {
	if err := sys.Devices(root, rootfs.WithDefaults(devs), bindOnly); err != nil {
		return err
	}
	return sys.DevLinks(root)
}

// maskPaths hides paths from the container: a file gets the null device
// bound over it, a directory an empty read-only tmpfs. A path that isn't
// there is left alone.
func maskPaths(sys system, paths []string, log trace.Logger) error {
	for _, p := range paths {
		st, err := sys.Stat(p)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err == nil {
			err = sys.Mask(p, st.Mode&unix.S_IFMT == unix.S_IFDIR)
		}
		if err != nil {
			return fmt.Errorf("masked path %s: %w", p, err)
		}
		log("masked %s", p)
	}
	return nil
}

// readonlyPaths makes each existing path a read-only bind of itself.
func readonlyPaths(sys system, paths []string, log trace.Logger) error {
	for _, p := range paths {
		if _, err := sys.Stat(p); errors.Is(err, unix.ENOENT) {
			continue
		}
		if err := sys.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("read-only path %s: %w", p, err)
		}
		if err := sys.Remount(p, unix.MS_RDONLY); err != nil {
			return fmt.Errorf("read-only path %s: %w", p, err)
		}
		log("read-only %s", p)
	}
	return nil
}

// remountReadonly makes the mount at path (inside the container, after
// pivot_root) read-only, keeping its other flags: / for root.readonly, a
// read-only tmpfs on /dev once its nodes are made.
func remountReadonly(sys system, path string, log trace.Logger) error {
	log("remount %s read-only", path)
	return sys.Remount(path, unix.MS_RDONLY)
}
