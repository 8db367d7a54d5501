package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// containerRecord tells rmi which layers a container root still stacks.
type containerRecord struct {
	Image   string   `json:"image"`
	ImageID string   `json:"imageID,omitempty"` // for rmi's in-use check
	DiffIDs []string `json:"diffIDs"`
}

func (s *Store) containerDir(id string) string { return filepath.Join(s.ContainersDir(), id) }

func checkContainerID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00") {
		return fmt.Errorf("container id %q: not a plain name", id)
	}
	return nil
}

// MountRootfs mounts an overlayfs for a container at
// <store>/containers/<id>/rootfs: the image's layers as read-only lowerdirs
// and a fresh upper/work pair beside it, so the container's writes never
// reach the shared layers.
func (s *Store) MountRootfs(img *Image, containerID string) (rootfs string, err error) {
	rootfs, opts, err := s.PrepareRootfs(img, containerID)
	if err != nil {
		return "", err
	}
	// No nosuid or nodev here: the container's root is this very mount
	// (bound and pivoted into), and its setuid programs (su, ping) and
	// device nodes must work there as they do under Docker. What keeps
	// them from host users is the container's private directory.
	if err := unix.Mount("overlay", rootfs, "overlay", 0, opts); err != nil {
		os.RemoveAll(filepath.Dir(rootfs))
		return "", fmt.Errorf("mount rootfs for container %s: mount overlay on %s with %s: %w", containerID, rootfs, opts, err)
	}
	if err := inertUpper(filepath.Join(filepath.Dir(rootfs), "upper")); err != nil {
		_ = unmountAll(rootfs)
		os.RemoveAll(filepath.Dir(rootfs))
		return "", fmt.Errorf("mount rootfs for container %s: %w", containerID, err)
	}
	return rootfs, nil
}

// inertUpper binds a container's upper directory onto itself with
// nosuid,nodev,noexec. Nothing on the host needs to run or open what the
// container wrote there by that path, and the overlay, which took its own
// reference to the upper layer when it was mounted, is not affected: the
// container still sees its setuid files and devices as they are.
func inertUpper(upper string) error {
	if err := unix.Mount(upper, upper, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s onto itself: %w", upper, err)
	}
	const flags = unix.MS_BIND | unix.MS_REMOUNT | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	if err := unix.Mount("", upper, "", flags, ""); err != nil {
		_ = unmountAll(upper)
		return fmt.Errorf("remount %s nosuid,nodev,noexec: %w", upper, err)
	}
	return nil
}

// RootlessOverlay is the config mount that stacks a container's overlay on
// its rootfs from inside its user namespace, where an unprivileged caller
// may mount overlayfs (Linux 5.11 and later). userxattr keeps overlay's
// own attributes in user.overlay.*, the only ones such a mounter may set.
func RootlessOverlay(opts string) specs.Mount {
	return specs.Mount{Destination: "/", Type: "overlay", Source: "overlay",
		Options: append(strings.Split(opts, ","), "userxattr")}
}

// OverlayInUserns says whether this kernel lets a user namespace's root
// mount overlayfs (Linux 5.11), naming the feature when it does not.
func OverlayInUserns() error {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return err
	}
	rel := unix.ByteSliceToString(uts.Release[:])
	var major, minor int
	if _, err := fmt.Sscanf(rel, "%d.%d", &major, &minor); err != nil {
		return fmt.Errorf("kernel release %q: %w", rel, err)
	}
	if major < 5 || (major == 5 && minor < 11) {
		return fmt.Errorf("rootless containers from images need overlayfs mounted in a user namespace, which Linux %s lacks (it came in 5.11); run as root or use a runc-style bundle (minirun spec --rootless)", rel)
	}
	return nil
}

// PrepareRootfs makes a container's directories under the store and
// returns where its root goes and the overlay options that stack the
// image's layers there; MountRootfs mounts it on the host, a rootless
// container inside its user namespace (RootlessOverlay).
func (s *Store) PrepareRootfs(img *Image, containerID string) (rootfs, opts string, err error) {
	if err := checkContainerID(containerID); err != nil {
		return "", "", fmt.Errorf("mount rootfs: %w", err)
	}
	// Shared lock: rmi must not delete a layer between our check that it
	// is there and layers.json naming it.
	unlock, err := s.lock(lockSh)
	if err != nil {
		return "", "", err
	}
	defer unlock()

	dir := s.containerDir(containerID)
	// Private, as the store is (see Open): the owner's init is the only
	// one that reaches the root through here.
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("mount rootfs for container %s: %w", containerID, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.Remove(dir)
		return "", "", fmt.Errorf("mount rootfs for container %s: %w", containerID, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	rec := containerRecord{Image: img.Name, ImageID: img.ID}
	for _, l := range img.Layers {
		if _, err := os.Stat(l); err != nil {
			return "", "", fmt.Errorf("mount rootfs for container %s: image %s: layer: %w", containerID, img.Name, err)
		}
		if err := s.checkShift(l); err != nil {
			return "", "", fmt.Errorf("mount rootfs for container %s: image %s: %w", containerID, img.Name, err)
		}
		if filepath.Dir(filepath.Dir(l)) == s.layersDir() {
			rec.DiffIDs = append(rec.DiffIDs, "sha256:"+filepath.Base(filepath.Dir(l)))
		}
	}
	if err := writeJSON(filepath.Join(dir, "layers.json"), rec); err != nil {
		return "", "", fmt.Errorf("mount rootfs for container %s: %w", containerID, err)
	}
	rootfs = filepath.Join(dir, "rootfs")
	upper, work := filepath.Join(dir, "upper"), filepath.Join(dir, "work")
	// upper's mode becomes the mode of the container's "/".
	for _, d := range []string{rootfs, upper, work} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return "", "", fmt.Errorf("mount rootfs for container %s: %w", containerID, err)
		}
		if err := os.Chmod(d, 0o755); err != nil { // past the umask
			return "", "", fmt.Errorf("mount rootfs for container %s: %w", containerID, err)
		}
	}
	lowers := make([]string, 0, len(img.Layers)+1)
	// overlayfs lists lowerdirs top first.
	for i := len(img.Layers) - 1; i >= 0; i-- {
		lowers = append(lowers, img.Layers[i])
	}
	if len(lowers) == 0 {
		// overlayfs needs a lowerdir even for an image with no layers.
		empty := filepath.Join(dir, "empty")
		if err := os.Mkdir(empty, 0o755); err != nil {
			return "", "", fmt.Errorf("mount rootfs for container %s: %w", containerID, err)
		}
		lowers = append(lowers, empty)
	}
	for _, l := range append(lowers, upper, work) {
		if strings.ContainsAny(l, ":,") {
			return "", "", fmt.Errorf("mount rootfs for container %s: path %q has a ':' or ',', which overlayfs options can't carry", containerID, l)
		}
	}
	opts = "lowerdir=" + strings.Join(lowers, ":") + ",upperdir=" + upper + ",workdir=" + work
	// The options travel in one page.
	if len(opts) >= os.Getpagesize() {
		return "", "", fmt.Errorf("mount rootfs for container %s: %d layers make overlay options of %d bytes, over the %d-byte limit", containerID, len(img.Layers), len(opts), os.Getpagesize())
	}
	return rootfs, opts, nil
}

// RemoveRootfs unmounts a container's root (detaching it if busy) and
// deletes its upper layer and everything else of it. Removing a container
// that has no root is not an error.
func (s *Store) RemoveRootfs(containerID string) error {
	if err := checkContainerID(containerID); err != nil {
		return fmt.Errorf("remove rootfs: %w", err)
	}
	dir := s.containerDir(containerID)
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	rootfs := filepath.Join(dir, "rootfs")
	// The bind MountRootfs put on upper goes first, whatever happens to
	// the overlay. Only root makes it; the caller who may not unmount
	// (EPERM) never had one.
	if err := unmountAll(filepath.Join(dir, "upper")); err != nil && !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("remove rootfs of container %s: %w", containerID, err)
	}
	// A rootless container's overlay lived in its own mount namespace:
	// nothing is mounted here, and the caller may not unmount anyway.
	if mounted, err := isMountpoint(rootfs); err == nil && !mounted {
		return s.removeOwnTree(dir, containerID)
	}
	if err := unmountAll(rootfs); err != nil {
		return fmt.Errorf("remove rootfs of container %s: %w", containerID, err)
	}
	// Never delete through a mount still there: that would reach into
	// whatever is mounted.
	if mounted, err := isMountpoint(rootfs); err != nil || mounted {
		if err == nil {
			err = errors.New("still mounted")
		}
		return fmt.Errorf("remove rootfs of container %s: %s: %w", containerID, rootfs, err)
	}
	if err := s.removeAll(dir); err != nil {
		return fmt.Errorf("remove rootfs of container %s: %w", containerID, err)
	}
	return nil
}

// unmountAll takes off every mount stacked on p. A busy one is detached:
// it goes from the namespace now and from the kernel once its last user
// does.
func unmountAll(p string) error {
	for range 16 {
		err := unix.Unmount(p, unix.UMOUNT_NOFOLLOW)
		switch {
		case err == nil:
			continue
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOENT):
			return nil // not a mount point (any more)
		case errors.Is(err, unix.EBUSY):
			if err := unix.Unmount(p, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW); err != nil {
				return fmt.Errorf("unmount %s (detach): %w", p, err)
			}
		default:
			return fmt.Errorf("unmount %s: %w", p, err)
		}
	}
	return fmt.Errorf("unmount %s: still mounted after 16 unmounts", p)
}

// isMountpoint compares p's device with its parent's; enough for the overlay
// (and any other filesystem) mounted there by us.
func isMountpoint(p string) (bool, error) {
	var st, parent unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return false, nil
		}
		return false, err
	}
	if err := unix.Lstat(filepath.Dir(p), &parent); err != nil {
		return false, err
	}
	return st.Dev != parent.Dev, nil
}

// removeOwnTree deletes a container's directory, first opening up the
// directories overlayfs left unreadable (work/work is made mode 0): as
// root that never stops RemoveAll, as the caller it does. What is left
// (files a container made as a subordinate id) goes in the layers' user
// namespace.
func (s *Store) removeOwnTree(dir, containerID string) error {
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if d != nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		} else if err != nil {
			_ = os.Chmod(p, 0o700)
			return nil
		}
		return nil
	})
	if err := s.removeAll(dir); err != nil {
		return fmt.Errorf("remove rootfs of container %s: %w", containerID, err)
	}
	return nil
}
