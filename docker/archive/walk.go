package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Source is what a copy reads: one file, symlink or directory of a root,
// held open, so the walk reads the inode that was looked up and not
// whatever the path names a moment later.
type Source struct {
	h    *os.File
	st   unix.Stat_t
	root *Root
	// Name is the tree's top name in the archive; "" when only a
	// directory's contents are copied (SRC/. in Docker's cp).
	Name string
}

// OpenSource looks p up in r, as Docker's cp takes a source: a final
// symlink is copied as itself unless follow (-L); "DIR/." means the
// directory's contents; a trailing "/" needs a directory.
func (r *Root) OpenSource(p string, follow bool) (*Source, error) {
	contents := p == "/" || p == "." || strings.HasSuffix(p, "/.")
	trailing := len(p) > 1 && strings.HasSuffix(p, "/")
	h, err := r.open(p, follow || trailing || contents)
	if err != nil {
		return nil, err
	}
	st, err := stat(h)
	if err != nil {
		h.Close()
		return nil, err
	}
	if (trailing || contents) && !isDir(st) {
		h.Close()
		return nil, &os.PathError{Op: "copy", Path: p, Err: unix.ENOTDIR}
	}
	s := &Source{h: h, st: st, root: r}
	if !contents {
		s.Name = path.Base(path.Clean("/" + p))
	}
	return s, nil
}

// Close releases the source's handle.
func (s *Source) Close() error { return s.h.Close() }

// IsDir says whether the source is a directory.
func (s *Source) IsDir() bool { return isDir(s.st) }

// WriteTar writes the source as a tar stream to w: the top named Name
// (its contents alone when Name is ""), directories walked in name order.
func (s *Source) WriteTar(w io.Writer) error {
	tw := tar.NewWriter(w)
	wk := walker{tw: tw, opts: s.root.Opts, links: map[[2]uint64]string{}}
	if s.root.Opts.SameMount {
		id, err := mountID(s.h)
		if err != nil {
			return fmt.Errorf("mount id of %s: %w", s.h.Name(), err)
		}
		wk.mnt = id
	}
	var err error
	if s.Name == "" {
		err = wk.children(s.h, "")
	} else {
		err = wk.entry(s.h, s.st, s.Name, true)
	}
	if err != nil {
		return err
	}
	return tw.Close()
}

type walker struct {
	tw    *tar.Writer
	opts  Options
	mnt   uint64
	links map[[2]uint64]string // a hard-linked inode's first name
}

// entry archives h, whose status is st, as name, and below it.
func (w *walker) entry(h *os.File, st unix.Stat_t, name string, top bool) error {
	hdr := &tar.Header{
		Name:    name,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Unix()),
		Format:  tar.FormatPAX,
	}
	if w.opts.UnmapID != nil {
		id := w.opts.UnmapID(IDPair{hdr.Uid, hdr.Gid})
		hdr.Uid, hdr.Gid = id.UID, id.GID
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		key := [2]uint64{st.Dev, st.Ino}
		if first, ok := w.links[key]; ok && st.Nlink > 1 {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
			return w.tw.WriteHeader(hdr)
		}
		if st.Nlink > 1 {
			w.links[key] = name
		}
		f, err := reopen(h, os.O_RDONLY)
		if err != nil {
			return fmt.Errorf("open %s: %w", name, err)
		}
		defer f.Close()
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
		if err := w.tw.WriteHeader(hdr); err != nil {
			return err
		}
		// A file that shrinks while it is read is padded: the archive
		// keeps the size its header gave.
		n, err := io.CopyN(w.tw, f, st.Size)
		if errors.Is(err, io.EOF) {
			_, err = io.CopyN(w.tw, zeros{}, st.Size-n)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		return nil
	case unix.S_IFLNK:
		target, err := readlink(h)
		if err != nil {
			return fmt.Errorf("readlink %s: %w", name, err)
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		return w.tw.WriteHeader(hdr)
	case unix.S_IFDIR:
		hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
		if err := w.tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !top && w.skipDir(h) {
			return nil
		}
		return w.children(h, name)
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
		return w.tw.WriteHeader(hdr)
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
		return w.tw.WriteHeader(hdr)
	}
	return nil // a socket: tar has no type for it, as Docker skips it
}

// skipDir says whether a directory met on the walk is archived empty.
func (w *walker) skipDir(h *os.File) bool {
	if w.opts.SkipPseudoFS && pseudoFS(h) {
		return true
	}
	if w.mnt != 0 {
		id, err := mountID(h)
		return err != nil || id != w.mnt
	}
	return false
}

// children archives the entries of directory h, named under prefix.
func (w *walker) children(h *os.File, prefix string) error {
	d, err := reopen(h, os.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", prefix, err)
	}
	names, err := d.Readdirnames(-1)
	if err != nil {
		d.Close()
		return fmt.Errorf("read directory %s: %w", prefix, err)
	}
	sort.Strings(names)
	for _, n := range names {
		// One component from the directory's own handle, following
		// nothing: what a racing rename puts here is only ever archived
		// as what it is.
		fd, err := unix.Openat(int(d.Fd()), n, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) {
			continue // removed since the listing
		}
		if err != nil {
			d.Close()
			return fmt.Errorf("open %s: %w", path.Join(prefix, n), err)
		}
		c := os.NewFile(uintptr(fd), n)
		st, err := stat(c)
		if err == nil {
			err = w.entry(c, st, path.Join(prefix, n), false)
		}
		c.Close()
		if err != nil {
			d.Close()
			return err
		}
	}
	return d.Close()
}

// readlink reads the target of the symlink an O_PATH handle names.
func readlink(h *os.File) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Readlinkat(int(h.Fd()), "", buf)
		if err != nil {
			return "", err
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, 2*len(buf))
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
