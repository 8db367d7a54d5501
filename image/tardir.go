package image

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// writeTar writes dir as a layer tar: owners, modes, times, xattrs, hard
// links and device nodes kept. Sockets are skipped, as tar(1) does.
func writeTar(dir string, w io.Writer) error { return writeTarOwned(dir, w, nil) }

// writeTarOwned is writeTar with each owner passed through owners, when
// not nil (a rootless store's: host ids to the ids inside).
func writeTarOwned(dir string, w io.Writer, owners func(uid, gid int) (int, int)) error {
	return writeTarAs(dir, w, owners, false)
}

// writeLayerTar writes a stored layer as a layer tar again: overlay's
// whiteouts (0/0 character devices, the opaque xattr) become the OCI
// ".wh." entries they were unpacked from.
func writeLayerTar(dir string, w io.Writer, owners func(uid, gid int) (int, int)) error {
	return writeTarAs(dir, w, owners, true)
}

func writeTarAs(dir string, w io.Writer, owners func(uid, gid int) (int, int), overlay bool) error {
	tw := tar.NewWriter(w)
	type inode struct{ dev, ino uint64 }
	seen := map[inode]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSocket != 0 {
			return nil
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		if overlay && rel != "." && isWhiteout(fi) {
			wh := &tar.Header{Name: filepath.ToSlash(filepath.Join(filepath.Dir(rel), whiteoutPrefix+filepath.Base(rel))),
				Typeflag: tar.TypeReg, Mode: 0o600, ModTime: fi.ModTime()}
			if err := tw.WriteHeader(wh); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			return nil
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		hdr.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			hdr.Name += "/"
		}
		// Names are lookups in the host's passwd, which means nothing to
		// the image; the numeric ids are what counts.
		hdr.Uname, hdr.Gname = "", ""
		if owners != nil {
			hdr.Uid, hdr.Gid = owners(hdr.Uid, hdr.Gid)
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && !fi.IsDir() && st.Nlink > 1 {
			key := inode{uint64(st.Dev), st.Ino}
			if first, ok := seen[key]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				seen[key] = hdr.Name
			}
		}
		if err := addXattrs(p, hdr); err != nil {
			return err
		}
		opaque := false
		if overlay {
			opaque = hdr.PAXRecords["SCHILY.xattr."+overlayOpaque] == "y" || hdr.PAXRecords["SCHILY.xattr."+overlayOpaqueRootless] == "y"
			for k := range hdr.PAXRecords {
				if strings.HasPrefix(k, "SCHILY.xattr.trusted.overlay.") || strings.HasPrefix(k, "SCHILY.xattr.user.overlay.") {
					delete(hdr.PAXRecords, k)
				}
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if opaque {
			opq := &tar.Header{Name: hdr.Name + whiteoutOpaque, Typeflag: tar.TypeReg, Mode: 0o600, ModTime: fi.ModTime()}
			if rel == "." {
				opq.Name = whiteoutOpaque
			}
			if err := tw.WriteHeader(opq); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Size == 0 {
			return nil
		}
		return copyFile(tw, p, fi)
	})
	if err != nil {
		return fmt.Errorf("tar %s: %w", dir, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("tar %s: %w", dir, err)
	}
	return nil
}

// copyFile copies the content of the regular file the walk saw as fi. The
// path is opened again, so it is checked to still be that file: if
// someone who can write the source directory swapped in a symlink (to a
// host secret, say) or a FIFO meanwhile, the import fails instead of
// taking what the new entry points at into the image.
func copyFile(w io.Writer, p string, fi fs.FileInfo) error {
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	now, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	if !now.Mode().IsRegular() || !os.SameFile(fi, now) {
		return fmt.Errorf("%s: replaced while it was being read", p)
	}
	if _, err := io.CopyN(w, f, fi.Size()); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	return nil
}

// addXattrs records xattrs such as security.capability (ping's file caps).
func addXattrs(p string, hdr *tar.Header) error {
	size, err := unix.Llistxattr(p, nil)
	if err == unix.ENOTSUP || size == 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: listxattr: %w", p, err)
	}
	buf := make([]byte, size)
	n, err := unix.Llistxattr(p, buf)
	if err != nil {
		return fmt.Errorf("%s: listxattr: %w", p, err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
		vsize, err := unix.Lgetxattr(p, name, nil)
		if err != nil {
			continue // vanished, or not readable here: not worth failing over
		}
		val := make([]byte, vsize)
		vn, err := unix.Lgetxattr(p, name, val)
		if err != nil {
			continue
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords["SCHILY.xattr."+name] = string(val[:vn])
	}
	return nil
}

// isWhiteout says whether fi is overlay's whiteout: a character device
// numbered 0/0.
func isWhiteout(fi fs.FileInfo) bool {
	if fi.Mode()&fs.ModeCharDevice == 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Rdev == 0
}
