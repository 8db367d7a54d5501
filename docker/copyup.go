package docker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/image"
)

// copyUp is Docker's first use of a volume: when the volume at dataDir is
// empty, it gets what the image has at target (owners, modes, times,
// symlinks, device nodes, extended attributes). target is resolved inside
// rootfs, as the container will resolve it: an image's symlink there, even
// one to an absolute path, leads to the image's own files and never to the
// host's. Below it, each entry is opened relative to its parent's handle
// and never followed, and each copy is made relative to the volume's
// handles the same way, so neither side's symlinks can take the copy out
// of its tree.
func copyUp(rootfs, target, dataDir string) error {
	dst, err := os.OpenFile(dataDir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer dst.Close()
	if names, err := dst.Readdirnames(1); err != nil && err != io.EOF {
		return err
	} else if len(names) > 0 {
		return nil // in use already: what it holds is the user's
	}
	root, err := os.OpenFile(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer root.Close()
	h, err := pathrs.OpenatInRoot(root, target)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
		return nil // nothing in the image to copy
	}
	if err != nil {
		return err
	}
	defer h.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(h.Fd()), &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil // a file: Docker fills volumes from directories only
	}
	src, err := pathrs.Reopen(h, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return err
	}
	defer src.Close()
	// The copies get exactly the image's modes; nothing else in this
	// process makes files meanwhile.
	old := unix.Umask(0)
	defer unix.Umask(old)
	cp := &copier{links: map[[2]uint64]*linked{}}
	defer cp.close()
	if err := cp.tree(src, dst); err != nil {
		return err
	}
	return copyMeta(src, dst, &st)
}

// copier is one copy-up: it keeps the image's hard links, by a handle on
// each first copy of a file with more than one name until its last name
// is copied.
type copier struct {
	links map[[2]uint64]*linked
}

type linked struct {
	copy *os.File // O_PATH, on the first copy
	left uint64   // names still to come
}

func (cp *copier) close() {
	for _, l := range cp.links {
		l.copy.Close()
	}
}

// file copies the regular file name, or links it to the copy of a name
// already copied.
func (cp *copier) file(sfd, dfd int, name string, st *unix.Stat_t) error {
	key := [2]uint64{st.Dev, st.Ino}
	if l, ok := cp.links[key]; ok {
		// AT_EMPTY_PATH links the very file copied: no path is
		// resolved on either side but the new name in dfd.
		if err := unix.Linkat(int(l.copy.Fd()), "", dfd, name, unix.AT_EMPTY_PATH); err != nil {
			return err
		}
		if l.left--; l.left == 0 {
			l.copy.Close()
			delete(cp.links, key)
		}
		return nil
	}
	if err := copyFile(sfd, dfd, name, st); err != nil {
		return err
	}
	if st.Nlink > 1 {
		h, err := openAt(dfd, name, unix.O_PATH, 0)
		if err != nil {
			return err
		}
		cp.links[key] = &linked{copy: h, left: uint64(st.Nlink) - 1}
	}
	return nil
}

// tree copies the entries of directory src into directory dst.
func (cp *copier) tree(src, dst *os.File) error {
	names, err := src.Readdirnames(-1)
	if err != nil {
		return err
	}
	sfd, dfd := int(src.Fd()), int(dst.Fd())
	for _, name := range names {
		var st unix.Stat_t
		if err := unix.Fstatat(sfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("stat %s: %w", name, err)
		}
		perm := st.Mode & 0o7777
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			err = cp.subdir(sfd, dfd, name, &st)
		case unix.S_IFREG:
			err = cp.file(sfd, dfd, name, &st)
		case unix.S_IFLNK:
			err = copySymlink(sfd, dfd, name, &st)
		case unix.S_IFIFO, unix.S_IFCHR, unix.S_IFBLK:
			if err = unix.Mknodat(dfd, name, st.Mode&unix.S_IFMT|perm, int(st.Rdev)); err == nil {
				err = lchownTimes(dfd, name, &st)
			}
		default:
			continue // a socket: nothing a copy could carry
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func openAt(dirfd int, name string, flags int, mode uint32) (*os.File, error) {
	fd, err := unix.Openat(dirfd, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

func (cp *copier) subdir(sfd, dfd int, name string, st *unix.Stat_t) error {
	s, err := openAt(sfd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := unix.Mkdirat(dfd, name, 0o700); err != nil {
		return err
	}
	d, err := openAt(dfd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := cp.tree(s, d); err != nil {
		return err
	}
	// Last, so a read-only directory could still be filled.
	return copyMeta(s, d, st)
}

func copyFile(sfd, dfd int, name string, st *unix.Stat_t) error {
	s, err := openAt(sfd, name, unix.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := openAt(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := io.Copy(d, s); err != nil {
		return err
	}
	return copyMeta(s, d, st)
}

func copySymlink(sfd, dfd int, name string, st *unix.Stat_t) error {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(sfd, name, buf)
	if err != nil {
		return err
	}
	// The link is copied as it reads, never followed: inside the
	// container it resolves against the container's root.
	if err := unix.Symlinkat(string(buf[:n]), dfd, name); err != nil {
		return err
	}
	return lchownTimes(dfd, name, st)
}

// lchownTimes gives the entry name (not what it may point to) st's owner
// and times.
func lchownTimes(dfd int, name string, st *unix.Stat_t) error {
	if err := unix.Fchownat(dfd, name, int(st.Uid), int(st.Gid), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	return unix.UtimesNanoAt(dfd, name, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// copyMeta gives d, opened, what s has: extended attributes, owner, mode
// (after the owner, whose change clears setuid bits) and times.
func copyMeta(s, d *os.File, st *unix.Stat_t) error {
	sfd, dfd := int(s.Fd()), int(d.Fd())
	if err := copyXattrs(sfd, dfd); err != nil {
		return err
	}
	if err := unix.Fchown(dfd, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if err := unix.Fchmod(dfd, st.Mode&0o7777); err != nil {
		return err
	}
	return unix.Futimes(dfd, []unix.Timeval{unix.NsecToTimeval(unix.TimespecToNsec(st.Atim)), unix.NsecToTimeval(unix.TimespecToNsec(st.Mtim))})
}

// copyXattrs copies s's extended attributes to d. One the volume's
// filesystem can't hold, or that this process may not set (a
// security.* label), is left out, as Docker's copy does: the files
// matter, the labels are the host's business.
func copyXattrs(sfd, dfd int) error {
	size, err := unix.Flistxattr(sfd, nil)
	if err != nil || size == 0 {
		if errors.Is(err, unix.ENOTSUP) {
			return nil
		}
		return err
	}
	buf := make([]byte, size)
	if size, err = unix.Flistxattr(sfd, buf); err != nil {
		return err
	}
	for _, name := range splitNul(buf[:size]) {
		n, err := unix.Fgetxattr(sfd, name, nil)
		if err != nil {
			continue // gone meanwhile
		}
		val := make([]byte, n)
		if n, err = unix.Fgetxattr(sfd, name, val); err != nil {
			continue
		}
		if err := unix.Fsetxattr(dfd, name, val[:n], 0); err != nil && !errors.Is(err, unix.ENOTSUP) && !errors.Is(err, unix.EPERM) {
			return fmt.Errorf("xattr %s: %w", name, err)
		}
	}
	return nil
}

func splitNul(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			if i > start {
				out = append(out, string(b[start:i]))
			}
			start = i + 1
		}
	}
	return out
}

// A rootless container's layers are stacked only inside its own user
// namespace, so its first use of a volume copies from the image there
// too: in the store's helper (image.RunHelper), in a user namespace with
// the layers' maps and a mount namespace of its own, where the overlay
// is mounted read-only on the container's rootfs directory for the copy
// and goes when the helper exits. The copies' owners are the image's as
// the container sees them, shifted on the host as the layers are.

const copyUpOp = "copyup"

// copyUpJob is what the helper is asked to copy.
type copyUpJob struct {
	Rootfs  string // where to stack the layers
	Overlay string // their overlay options (image.Store.PrepareRootfs)
	Target  string // the volume's mount point in the container
}

func init() { image.RegisterHelperOp(copyUpOp, copyUpInHelper) }

// copyUpRootless is copyUp for a rootless container c.
func copyUpRootless(c Container, target, dataDir string) error {
	job, err := json.Marshal(copyUpJob{Rootfs: c.Rootfs, Overlay: c.Overlay, Target: target})
	if err != nil {
		return err
	}
	_, err = image.RunHelper(c.IDMaps, bytes.NewReader(job), copyUpOp, dataDir)
	return err
}

// copyUpInHelper is the helper's side: dataDir, the job on stdin.
func copyUpInHelper(dataDir string, stdin io.Reader) (string, error) {
	var job copyUpJob
	if err := json.NewDecoder(stdin).Decode(&job); err != nil {
		return "", fmt.Errorf("copy-up: read the job: %w", err)
	}
	// Private first: the namespace's mounts are copies of the caller's.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return "", fmt.Errorf("copy-up: make the mount namespace private: %w", err)
	}
	// Read-only: the copy reads the image, and the container's upper
	// layer is left as it was.
	if err := unix.Mount("overlay", job.Rootfs, "overlay", unix.MS_RDONLY, job.Overlay+",userxattr"); err != nil {
		return "", fmt.Errorf("copy-up: stack the image's layers on %s: %w", job.Rootfs, err)
	}
	return "", copyUp(job.Rootfs, job.Target, dataDir)
}
