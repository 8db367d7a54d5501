package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Target is where a copy writes, chosen by Docker's cp rules for its
// source: into an existing directory, or as a new or replaced name in an
// existing parent.
type Target struct {
	root *Root
	dir  *os.File // O_PATH handle of the directory the entries go below
	// The archive's top name, top, is written as rename ("" keeps it).
	top, rename string
	// mkdir: the archive holds a directory's contents only, and the
	// destination does not exist yet: it is made first, as rename.
	mkdir bool
	// path is dir's path in a container's root ("" on the host): an
	// entry under a symlink of the container is resolved in the
	// container from there, as Docker's cp does (/lib -> usr/lib).
	path string
}

// Close releases the target's handle.
func (t *Target) Close() error { return t.dir.Close() }

// Target resolves p, the destination of a copy of src (its top name and
// kind), by Docker's rules: a source goes into an existing directory
// under its own name; otherwise p names it, and p's parent must exist; a
// directory never replaces a file; "p/" must be a directory.
func (r *Root) Target(p, srcName string, srcIsDir bool) (*Target, error) {
	trailing := strings.HasSuffix(p, "/")
	h, err := r.open(p, true)
	if err == nil {
		st, err := stat(h)
		if err != nil {
			h.Close()
			return nil, err
		}
		if isDir(st) {
			return &Target{root: r, dir: h, path: r.containerPath(p)}, nil
		}
		h.Close()
		switch {
		case trailing:
			return nil, &os.PathError{Op: "copy to", Path: p, Err: unix.ENOTDIR}
		case srcIsDir:
			return nil, fmt.Errorf("copy to %s: cannot overwrite a file with a directory", p)
		}
	} else if !errors.Is(err, unix.ENOENT) {
		return nil, err
	} else if trailing && !srcIsDir {
		return nil, fmt.Errorf("copy to %s: destination directory must exist", p)
	}
	clean := path.Clean("/" + p)
	if !r.inContainer {
		clean = p
		if abs, err := r.rel(p); err == nil {
			clean = "/" + abs
		}
	}
	parent, base := path.Dir(path.Clean(clean)), path.Base(path.Clean(clean))
	ph, err := r.open(parent, true)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("copy to %s: parent directory %s does not exist", p, parent)
		}
		return nil, err
	}
	if st, err := stat(ph); err != nil || !isDir(st) {
		ph.Close()
		return nil, &os.PathError{Op: "copy to", Path: parent, Err: unix.ENOTDIR}
	}
	return &Target{root: r, dir: ph, top: srcName, rename: base, mkdir: srcName == "", path: r.containerPath(parent)}, nil
}

// StreamTarget is the destination of a tar stream (cp - NAME:DIR): an
// existing directory the entries go below as they are named.
func (r *Root) StreamTarget(p string) (*Target, error) {
	h, err := r.open(p, true)
	if err != nil {
		return nil, err
	}
	if st, err := stat(h); err != nil || !isDir(st) {
		h.Close()
		return nil, fmt.Errorf("copy to %s: the destination of a tar stream must be a directory", p)
	}
	return &Target{root: r, dir: h, path: r.containerPath(p)}, nil
}

// containerPath is p clean in a container's root, "" on the host.
func (r *Root) containerPath(p string) string {
	if !r.inContainer {
		return ""
	}
	return path.Clean("/" + p)
}

// Extract writes the tar stream rd below the target. Each entry's parent
// is reached from the target's handle following no symlink (an entry
// under a symlink fails), and each entry is made by name in that parent
// without following one either: a container racing the copy can make it
// fail, never write elsewhere.
func (t *Target) Extract(rd io.Reader) error {
	e := extractor{opts: t.root.Opts, dir: t.dir}
	base := t.path
	if t.mkdir {
		base = path.Join(base, t.rename)
		if err := unix.Mkdirat(int(t.dir.Fd()), t.rename, 0o755); err != nil {
			return fmt.Errorf("make directory %s: %w", t.rename, err)
		}
		d, err := beneath(t.dir, t.rename, unix.O_DIRECTORY)
		if err != nil {
			return fmt.Errorf("open directory %s: %w", t.rename, err)
		}
		defer d.Close()
		e.dir = d
		if t.root.Opts.Owner != nil {
			_ = unix.Fchownat(int(t.dir.Fd()), t.rename, t.root.Opts.Owner.UID, t.root.Opts.Owner.GID, unix.AT_SYMLINK_NOFOLLOW)
		}
	}
	if t.path != "" {
		e.inRoot = func(rel string) (*os.File, error) {
			h, err := t.root.open(path.Join(base, rel), true)
			if err != nil {
				return nil, err
			}
			if st, err := stat(h); err != nil || !isDir(st) {
				h.Close()
				return nil, unix.ENOTDIR
			}
			return h, nil
		}
	}
	tr := tar.NewReader(rd)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		name, err := t.name(hdr.Name)
		if err != nil {
			return err
		}
		if name == "." {
			continue
		}
		if hdr.Typeflag == tar.TypeLink {
			if hdr.Linkname, err = t.name(hdr.Linkname); err != nil {
				return err
			}
		}
		if err := e.entry(hdr, name, tr); err != nil {
			return err
		}
	}
	return e.finish()
}

// name is an archive name as it is written below the target: relative,
// clean, never climbing out, its top renamed.
func (t *Target) name(n string) (string, error) {
	clean := path.Clean("/" + n)
	for _, c := range strings.Split(n, "/") {
		if c == ".." {
			return "", fmt.Errorf("archive entry %q: climbs out of the destination", n)
		}
	}
	clean = strings.TrimPrefix(clean, "/")
	if clean == "" {
		return ".", nil
	}
	if t.rename != "" && t.top != "" {
		first, rest, _ := strings.Cut(clean, "/")
		if first == t.top {
			clean = path.Join(t.rename, rest)
		}
	}
	return clean, nil
}

type extractor struct {
	opts Options
	dir  *os.File
	// Directories' times are set last: writing into one changes them.
	dirTimes []dirTime
	// inRoot, in a container, opens a directory below the target through
	// the container's symlinks, resolved in its root.
	inRoot func(rel string) (*os.File, error)
}

type dirTime struct {
	name         string
	atime, mtime time.Time
}

func (e *extractor) owner(hdr *tar.Header) *IDPair {
	if e.opts.KeepOwner {
		id := IDPair{hdr.Uid, hdr.Gid}
		if e.opts.MapID != nil {
			id = e.opts.MapID(id)
		}
		return &id
	}
	return e.opts.Owner
}

func (e *extractor) entry(hdr *tar.Header, name string, body io.Reader) error {
	parentName, leaf := path.Split(name)
	parentRel := strings.TrimSuffix(parentName, "/")
	parent, err := beneath(e.dir, parentRel, unix.O_DIRECTORY)
	if errors.Is(err, unix.ELOOP) && e.inRoot != nil {
		parent, err = e.inRoot(parentRel)
	}
	if errors.Is(err, unix.ENOENT) {
		// A stream need not list an entry's directories first.
		parent, err = e.mkdirAll(parentRel)
	}
	if err != nil {
		return fmt.Errorf("write %s: open its directory: %w", name, err)
	}
	defer parent.Close()
	pfd := int(parent.Fd())
	mode := uint32(hdr.Mode & 0o7777)
	own := e.owner(hdr)

	var old unix.Stat_t
	exists := unix.Fstatat(pfd, leaf, &old, unix.AT_SYMLINK_NOFOLLOW) == nil
	if hdr.Typeflag == tar.TypeDir {
		if exists && !isDir(old) {
			// As Docker's cp: a directory replaces a file or symlink
			// inside the tree it writes.
			if err := unix.Unlinkat(pfd, leaf, 0); err != nil && !errors.Is(err, unix.ENOENT) {
				return fmt.Errorf("replace %s: %w", name, err)
			}
			exists = false
		}
		if !exists {
			if err := unix.Mkdirat(pfd, leaf, 0o700); err != nil {
				return fmt.Errorf("make directory %s: %w", name, err)
			}
		}
		h, err := beneath(parent, leaf, unix.O_DIRECTORY)
		if err != nil {
			return fmt.Errorf("open directory %s: %w", name, err)
		}
		defer h.Close()
		if err := chownChmod(h, own, mode); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		e.dirTimes = append(e.dirTimes, dirTime{name, hdr.AccessTime, hdr.ModTime})
		return nil
	}
	if exists {
		if isDir(old) {
			return fmt.Errorf("write %s: cannot overwrite a directory with a non-directory", name)
		}
		if err := unix.Unlinkat(pfd, leaf, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("replace %s: %w", name, err)
		}
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
		// O_EXCL: should the name have come back as a symlink, this fails
		// rather than follow it.
		fd, err := unix.Openat(pfd, leaf, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		f := os.NewFile(uintptr(fd), name)
		defer f.Close()
		if _, err := io.Copy(f, body); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		if err := chownChmod(f, own, mode); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		return unix.UtimesNanoAt(pfd, leaf, times(hdr), unix.AT_SYMLINK_NOFOLLOW)
	case tar.TypeSymlink:
		if err := unix.Symlinkat(hdr.Linkname, pfd, leaf); err != nil {
			return fmt.Errorf("make symlink %s: %w", name, err)
		}
		if own != nil {
			if err := unix.Fchownat(pfd, leaf, own.UID, own.GID, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return fmt.Errorf("chown %s: %w", name, err)
			}
		}
		return unix.UtimesNanoAt(pfd, leaf, times(hdr), unix.AT_SYMLINK_NOFOLLOW)
	case tar.TypeLink:
		target, err := beneath(e.dir, hdr.Linkname, 0)
		if err != nil {
			return fmt.Errorf("hard link %s to %s: %w", name, hdr.Linkname, err)
		}
		defer target.Close()
		if err := unix.Linkat(int(target.Fd()), "", pfd, leaf, unix.AT_EMPTY_PATH); err != nil {
			return fmt.Errorf("hard link %s to %s: %w", name, hdr.Linkname, err)
		}
		return nil
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		typ := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[hdr.Typeflag]
		dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		if err := unix.Mknodat(pfd, leaf, typ|0o600, int(dev)); err != nil {
			return fmt.Errorf("make node %s: %w", name, err)
		}
		h, err := beneath(parent, leaf, 0)
		if err != nil {
			return fmt.Errorf("open %s: %w", name, err)
		}
		defer h.Close()
		if st, err := stat(h); err != nil || st.Mode&unix.S_IFMT != typ {
			return fmt.Errorf("write %s: replaced while it was made", name)
		}
		if err := chownChmod(h, own, mode); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		return unix.UtimesNanoAt(pfd, leaf, times(hdr), unix.AT_SYMLINK_NOFOLLOW)
	}
	return nil // other types (PAX globals, GNU extras) carry no file
}

// chownChmod sets h's owner, then its mode (a chown clears set-id bits).
// An O_PATH handle is changed through its own magic link, which names
// the inode itself, never a path.
func chownChmod(h *os.File, own *IDPair, mode uint32) error {
	p := fmt.Sprintf("/proc/self/fd/%d", h.Fd())
	if own != nil {
		if err := unix.Fchownat(int(h.Fd()), "", own.UID, own.GID, unix.AT_EMPTY_PATH); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	if err := unix.Chmod(p, mode); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	return nil
}

func times(hdr *tar.Header) []unix.Timespec {
	a := hdr.AccessTime
	if a.IsZero() {
		a = hdr.ModTime
	}
	return []unix.Timespec{unix.NsecToTimespec(a.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
}

// finish sets the directories' times, deepest first.
func (e *extractor) finish() error {
	for i := len(e.dirTimes) - 1; i >= 0; i-- {
		d := e.dirTimes[i]
		h, err := beneath(e.dir, d.name, unix.O_DIRECTORY)
		if err != nil {
			continue // gone or replaced since: not ours to touch
		}
		hdr := tar.Header{AccessTime: d.atime, ModTime: d.mtime}
		err = unix.UtimesNanoAt(int(h.Fd()), "", times(&hdr), unix.AT_EMPTY_PATH)
		if err != nil {
			// utimensat takes AT_EMPTY_PATH from Linux 5.x on only; the
			// magic link names the same inode.
			err = unix.UtimesNanoAt(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", h.Fd()), times(&hdr), 0)
		}
		h.Close()
		if err != nil {
			return fmt.Errorf("set times of %s: %w", d.name, err)
		}
	}
	return nil
}

// Copy streams src into t: src's tree, under its top name or t's rename.
func Copy(src *Source, t *Target) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := src.WriteTar(pw)
		pw.CloseWithError(err)
		done <- err
	}()
	err := t.Extract(pr)
	pr.CloseWithError(errors.New("copy stopped"))
	if werr := <-done; werr != nil && (err == nil || errors.Is(err, io.ErrClosedPipe)) {
		return werr
	}
	return err
}

// mkdirAll makes the missing directories of rel below the target, one
// component at a time from its parent's handle, following no symlink.
func (e *extractor) mkdirAll(rel string) (*os.File, error) {
	own := e.opts.Owner
	h, err := beneath(e.dir, ".", unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	for _, c := range strings.Split(rel, "/") {
		if c == "" || c == "." {
			continue
		}
		err := unix.Mkdirat(int(h.Fd()), c, 0o755)
		made := err == nil
		if err != nil && !errors.Is(err, unix.EEXIST) {
			h.Close()
			return nil, err
		}
		next, err := beneath(h, c, unix.O_DIRECTORY)
		h.Close()
		if err != nil {
			return nil, err
		}
		if made && own != nil {
			if err := chownChmod(next, own, 0o755); err != nil {
				next.Close()
				return nil, err
			}
		}
		h = next
	}
	return h, nil
}
