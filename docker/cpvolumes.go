package docker

import (
	"errors"
	"fmt"
	"os"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A stopped container's volumes and binds are not mounted anywhere: its
// overlay at containers/ID/rootfs is the bare filesystem. Docker's cp
// still reaches them (the daemon mounts them on the container's root for
// the copy), so cp mounts them too, on the overlay, but in a mount
// namespace of its own made for the copy: nothing is mounted on the host,
// and the mounts go when the copy's last handle is closed, even if cp is
// killed.
//
// Each mount point is resolved in the container's root (openat2
// RESOLVE_IN_ROOT) and mounted on through its handle, so a symlink in the
// container never puts a volume over a host path; the copy then resolves
// its paths in the root as always, crossing into the volumes as the
// container would.

// volumeMounts are rec's bind and volume mounts, parents first (a volume
// on /srv before a bind on /srv/conf, as they were mounted at start).
func volumeMounts(rec *Record) []MountPoint {
	var out []MountPoint
	for _, m := range rec.Mounts {
		if m.Type == "bind" || m.Type == "volume" {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return depth(out[i].Destination) < depth(out[j].Destination) })
	return out
}

// openWithVolumes opens the stopped container's overlay at rootfs in a
// new mount namespace, with mounts mounted on it. It returns the root's
// handle and the namespace's: the namespace, and so its mounts, live
// until both are closed (root first). The namespace is made on a thread
// of its own (unshare(CLONE_NEWNS) is a thread's), which ends once it is
// made: this process's other threads stay in the host's.
func openWithVolumes(rootfs string, mounts []MountPoint) (root, ns *os.File, err error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Never unlocked: the goroutine's end ends the thread, the only
		// one in the new namespace.
		runtime.LockOSThread()
		root, ns, err = mountVolumesHere(rootfs, mounts)
	}()
	<-done
	return root, ns, err
}

// mountVolumesHere does openWithVolumes' work on the locked thread.
func mountVolumesHere(rootfs string, mounts []MountPoint) (root, ns *os.File, err error) {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return nil, nil, fmt.Errorf("unshare a mount namespace for the volumes: %w", err)
	}
	// The copied mounts may be peers of the host's: made private first,
	// nothing mounted below propagates back.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return nil, nil, fmt.Errorf("make the volumes' mount namespace private: %w", err)
	}
	if root, err = mountedRootfs(rootfs); err != nil {
		return nil, nil, err
	}
	if ns, err = os.Open("/proc/thread-self/ns/mnt"); err != nil {
		root.Close()
		return nil, nil, fmt.Errorf("hold the volumes' mount namespace: %w", err)
	}
	for _, m := range mounts {
		if err := mountInRoot(root, m); err != nil {
			root.Close()
			ns.Close()
			return nil, nil, fmt.Errorf("mount %s %s at %s: %w", m.Type, mountName(m), m.Destination, err)
		}
	}
	return root, ns, nil
}

// mountName is how an error names m: a volume by its name, a bind by its
// host path.
func mountName(m MountPoint) string {
	if m.Name != "" {
		return m.Name
	}
	return m.Source
}

// mountInRoot bind-mounts m's source on its destination in root, read-only
// if the container has it so (Docker's cp into a read-only volume fails).
func mountInRoot(root *os.File, m MountPoint) error {
	src, err := os.OpenFile(m.Source, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer src.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(src.Fd()), &st); err != nil {
		return err
	}
	dst, err := mountPoint(root, m.Destination, st.Mode&unix.S_IFMT == unix.S_IFDIR)
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := unix.Mount(fdPath(src), fdPath(dst), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if m.RW {
		return nil
	}
	// The new mount is on top of dst's path now: opened again, the handle
	// is the mount's own root, which is remounted read-only.
	top, err := inRoot(root, m.Destination, unix.O_PATH)
	if err != nil {
		return err
	}
	defer top.Close()
	if err := unix.Mount("", fdPath(top), "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		return fmt.Errorf("make it read-only: %w", err)
	}
	return nil
}

// mountPoint opens dst in root to mount on, making it (and its parents)
// if the container never ran to make it: a directory, or an empty file
// for a file's bind.
func mountPoint(root *os.File, dst string, dir bool) (*os.File, error) {
	if h, err := inRoot(root, dst, unix.O_PATH); !errors.Is(err, unix.ENOENT) {
		return h, err
	}
	parts := strings.Split(strings.Trim(path.Clean(dst), "/"), "/")
	for i := range parts {
		p := strings.Join(parts[:i+1], "/")
		if h, err := inRoot(root, p, unix.O_PATH); err == nil {
			h.Close()
			continue
		} else if !errors.Is(err, unix.ENOENT) {
			return nil, err
		}
		if err := makeIn(root, strings.Join(parts[:i], "/"), parts[i], dir || i < len(parts)-1); err != nil {
			return nil, err
		}
	}
	return inRoot(root, dst, unix.O_PATH)
}

// makeIn makes name, a directory or an empty file, in the directory
// parent resolves to in root, never following a symlink at name.
func makeIn(root *os.File, parent, name string, dir bool) error {
	ph, err := inRoot(root, parent, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer ph.Close()
	if dir {
		if err := unix.Mkdirat(int(ph.Fd()), name, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("make the mount point: %w", err)
		}
		return nil
	}
	fd, err := unix.Openat(int(ph.Fd()), name, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("make the mount point: %w", err)
	}
	if err == nil {
		unix.Close(fd)
	}
	return nil
}

// inRoot opens p resolved in root as the container would (symlinks
// followed, in the root), refusing magic links.
func inRoot(root *os.File, p string, flags int) (*os.File, error) {
	rel := strings.TrimLeft(p, "/")
	if rel == "" {
		rel = "."
	}
	how := &unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	// EAGAIN: a rename or mount elsewhere raced the lookup; tried again,
	// a bounded number of times, as archive's lookups are.
	var err error
	for i := 0; i < 128; i++ {
		var fd int
		fd, err = unix.Openat2(int(root.Fd()), rel, how)
		if err == nil {
			return os.NewFile(uintptr(fd), p), nil
		}
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			break
		}
	}
	return nil, &os.PathError{Op: "open", Path: p, Err: err}
}

// fdPath is the magic link of f in this thread's own /proc: mount(2)
// through it reaches the very inode the handle holds.
func fdPath(f *os.File) string {
	return "/proc/thread-self/fd/" + strconv.Itoa(int(f.Fd()))
}
