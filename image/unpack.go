package image

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/inputbounds"
)

// OCI whiteout names, as written in layer tars.
const (
	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"
	// Other ".wh..wh." names are aufs bookkeeping (hardlink dirs); skipped.
	whiteoutMeta = ".wh..wh."
)

// Bounds on one layer, so a tar can't choose how much disk, how many
// inodes or how long a path the store gets. The largest layers seen in the
// wild (CUDA, ML frameworks) are a few GiB and a few hundred thousand
// files; the path bounds are the kernel's own (PATH_MAX, NAME_MAX), past
// which an entry would fail at its first system call anyway, after the
// entries before it were written.
const (
	maxPathLen      = 4096
	maxComponentLen = 255
)

// Variables only so unit tests can reach them without writing gigabytes.
var (
	maxLayerBytes   int64 = 32 << 30 // file content, as the headers declare it
	maxLayerEntries       = 1 << 20  // tar headers, whatever they create
)

// overlayOpaque marks a directory whose lower contents overlayfs hides:
// trusted.overlay.opaque in root's store, user.overlay.opaque in a
// rootless one, whose overlay is mounted in a user namespace with the
// userxattr option (RootlessOverlay) and reads only user.overlay.*, the
// only overlay attributes an unprivileged caller may set.
const (
	overlayOpaque         = "trusted.overlay.opaque"
	overlayOpaqueRootless = "user.overlay.opaque"
)

// unpacker extracts one layer tar into a directory it owns alone, so no other
// process can race it between a check and a use; the dangers it guards
// against come from the tar itself.
type unpacker struct {
	root     string
	rootless bool // not host root: device nodes can't be made, overlay's xattrs are user.overlay.*
	// shifted: in the store's user namespace (shift.go), where every
	// owner the layer names must be kept; without it, rootless, the files
	// stay the caller's.
	shifted  bool
	size     int64
	entries  int
	dirTimes []dirTime
	// dirIndex finds a directory's place in dirTimes by its path, so that
	// a later entry for the same path replaces the earlier one's times.
	dirIndex map[string]int
}

// dirTime is a directory's times, set once the whole layer is written.
type dirTime struct {
	rel   string // relative to the root, as resolved when its entry came
	atime time.Time
	mtime time.Time
}

// unpack extracts the uncompressed layer tar r into root, turning OCI
// whiteouts into overlayfs ones so root can serve as a lowerdir. It returns
// the bytes of file content written.
func unpack(r io.Reader, root string) (int64, error) {
	u := &unpacker{root: root, rootless: os.Geteuid() != 0}
	return u.run(r)
}

func (u *unpacker) run(r io.Reader) (int64, error) {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return u.size, fmt.Errorf("unpack layer: read tar: %w", err)
		}
		if err := u.checkBounds(hdr); err != nil {
			return u.size, fmt.Errorf("unpack layer: %w", err)
		}
		if err := u.entry(hdr, tr); err != nil {
			return u.size, fmt.Errorf("unpack layer: entry %q: %w", hdr.Name, err)
		}
	}
	if err := u.setDirTimes(); err != nil {
		return u.size, fmt.Errorf("unpack layer: %w", err)
	}
	return u.size, nil
}

// setDirTimes gives each directory its entry's times. They go last, since
// creating entries inside a directory bumps them; but by then a later
// entry may have replaced the directory, or one of its parents, with a
// symlink to anywhere, the host included. So each path is resolved again
// inside the root following no symlink, and a directory no longer there
// is skipped: it was removed by the entry that replaced it.
func (u *unpacker) setDirTimes() error {
	if len(u.dirTimes) == 0 {
		return nil
	}
	root, err := unix.Open(u.root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("set directory times: open %s: %w", u.root, err)
	}
	defer unix.Close(root)
	for _, d := range u.dirTimes {
		if err := setTimesIn(root, d.rel, d.atime, d.mtime); err != nil {
			return fmt.Errorf("set times of %s: %w", filepath.Join(u.root, d.rel), err)
		}
	}
	return nil
}

// setTimesIn sets the times of the directory rel under root, if rel still
// names one without a symlink on the way.
func setTimesIn(root int, rel string, atime, mtime time.Time) error {
	if mtime.IsZero() {
		return nil
	}
	dir, base := path.Split(rel)
	if base == "." {
		dir = ""
	}
	pfd, err := openDirIn(root, path.Clean("./"+dir))
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	var st unix.Stat_t
	if err := unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil
	}
	if atime.IsZero() {
		atime = mtime
	}
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	return unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// openDirIn opens the directory rel under root as an O_PATH handle,
// refusing any symlink on the way (ELOOP or ENOTDIR). openat2 does it in
// one call; where it is missing (before Linux 5.6) or a seccomp profile
// refuses it, one openat per component, none following a symlink.
func openDirIn(root int, rel string) (int, error) {
	const flags = unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat2(root, rel, &unix.OpenHow{Flags: flags,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV})
	if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM) {
		return fd, err
	}
	return walkDirIn(root, rel)
}

// walkDirIn is openDirIn without openat2.
func walkDirIn(root int, rel string) (int, error) {
	const flags = unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Dup(root)
	if err != nil {
		return -1, err
	}
	for _, c := range strings.Split(rel, "/") {
		if c == "" || c == "." {
			continue
		}
		if c == ".." {
			unix.Close(fd)
			return -1, unix.ENOENT // never in a path the unpacker resolved
		}
		next, err := unix.Openat(fd, c, flags, 0)
		unix.Close(fd)
		if err != nil {
			return -1, err
		}
		fd = next
	}
	return fd, nil
}

// checkBounds runs on each header before anything of it is written: the
// size is the one the header declares, so a layer over the limit stops
// before its content is read.
func (u *unpacker) checkBounds(hdr *tar.Header) error {
	u.entries++
	if u.entries > maxLayerEntries {
		return inputbounds.Errorf("more than %d entries, over the limit", maxLayerEntries)
	}
	if err := checkPath("entry", hdr.Name); err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeLink || hdr.Typeflag == tar.TypeSymlink {
		if err := checkPath(fmt.Sprintf("entry %q: link target", hdr.Name), hdr.Linkname); err != nil {
			return err
		}
	}
	if hdr.Typeflag == tar.TypeReg && (hdr.Size < 0 || hdr.Size > maxLayerBytes-u.size) {
		return inputbounds.Errorf("entry %q: %d bytes would take the layer past the limit of %s", hdr.Name, hdr.Size, inputbounds.Bytes(maxLayerBytes))
	}
	return nil
}

func checkPath(what, p string) error {
	if len(p) > maxPathLen {
		return inputbounds.Errorf("%s %.64q...: path of %d bytes, over the limit of %d", what, p, len(p), maxPathLen)
	}
	for _, c := range strings.Split(p, "/") {
		if len(c) > maxComponentLen {
			return inputbounds.Errorf("%s %.64q...: name of %d bytes, over the limit of %d", what, c, len(c), maxComponentLen)
		}
	}
	return nil
}

// cleanEntry makes a tar name relative to the layer root. A leading "/" is
// dropped, as tar(1) does; a name that climbs out with ".." is refused.
func cleanEntry(name string) (string, error) {
	p := path.Clean(strings.TrimLeft(name, "/"))
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("path escapes the layer")
	}
	return p, nil
}

// resolve returns where an entry lives on disk. The parent is resolved with
// securejoin, so a symlink in the layer (even an absolute one, or one with
// "..") can't lead outside root; the last component is never followed, since
// the entry replaces whatever is there.
func (u *unpacker) resolve(name string) (string, error) {
	p, err := cleanEntry(name)
	if err != nil {
		return "", err
	}
	if p == "." {
		return u.root, nil
	}
	parent, err := securejoin.SecureJoin(u.root, path.Dir(p))
	if err != nil {
		return "", fmt.Errorf("resolve parent: %w", err)
	}
	// Tars may omit directory entries; create what is missing.
	if err := mkdirAll(parent); err != nil {
		return "", fmt.Errorf("create parent: %w", err)
	}
	return filepath.Join(parent, path.Base(p)), nil
}

// mkdirAll creates p and its missing parents as 0755 whatever the umask, as
// an image's implied directories are. p's existing part has been resolved
// by securejoin, so what is missing contains no symlinks.
func mkdirAll(p string) error {
	fi, err := os.Lstat(p)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s: %w", p, unix.ENOTDIR)
		}
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := mkdirAll(filepath.Dir(p)); err != nil {
		return err
	}
	if err := os.Mkdir(p, 0o755); err != nil {
		return err
	}
	return os.Chmod(p, 0o755)
}

func (u *unpacker) entry(hdr *tar.Header, r io.Reader) error {
	target, err := u.resolve(hdr.Name)
	if err != nil {
		return err
	}
	base := path.Base(path.Clean("/" + hdr.Name))
	if strings.HasPrefix(base, whiteoutPrefix) {
		return u.whiteout(filepath.Dir(target), base)
	}
	if err := u.clear(target, hdr.Typeflag == tar.TypeDir); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if target != u.root {
			if err := os.Mkdir(target, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
				return fmt.Errorf("mkdir: %w", err)
			}
		}
	case tar.TypeReg:
		if err := u.writeFile(target, r); err != nil {
			return err
		}
		u.size += hdr.Size
	case tar.TypeSymlink:
		if err := os.Symlink(hdr.Linkname, target); err != nil {
			return fmt.Errorf("symlink: %w", err)
		}
	case tar.TypeLink:
		// A hard link shares its target's inode, owner and mode: nothing
		// more to set.
		return u.hardlink(hdr.Linkname, target)
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		if done, err := u.mknod(hdr, target); err != nil || !done {
			return err
		}
	case tar.TypeXGlobalHeader:
		return nil
	default:
		return fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)
	}
	return u.setMeta(hdr, target)
}

// clear removes what an entry replaces. An existing directory stays when
// the entry is a directory too, as tar(1) does, so its contents survive.
func (u *unpacker) clear(target string, isDir bool) error {
	fi, err := os.Lstat(target)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat existing: %w", err)
	}
	if fi.IsDir() && isDir {
		return nil
	}
	if target == u.root {
		return fmt.Errorf("the layer root can only be a directory")
	}
	if err := os.RemoveAll(target); err != nil {
		return fmt.Errorf("replace existing: %w", err)
	}
	return nil
}

func (u *unpacker) writeFile(target string, r io.Reader) error {
	f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY|unix.O_NOFOLLOW|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create file: %w", err)
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write file: %w", err)
	}
	return nil
}

func (u *unpacker) hardlink(linkname, target string) error {
	// The link target is a path in the same layer, resolved like any entry.
	old, err := u.resolve(linkname)
	if err != nil {
		return fmt.Errorf("hard link to %q: %w", linkname, err)
	}
	if err := os.Link(old, target); err != nil {
		return fmt.Errorf("hard link to %q: %w", linkname, err)
	}
	return nil
}

// mknod creates a device node or fifo; without root, devices are skipped
// (done=false) rather than failing the whole layer.
func (u *unpacker) mknod(hdr *tar.Header, target string) (done bool, err error) {
	mode := uint32(hdr.Mode & 0o7777)
	switch hdr.Typeflag {
	case tar.TypeChar:
		mode |= unix.S_IFCHR
	case tar.TypeBlock:
		mode |= unix.S_IFBLK
	case tar.TypeFifo:
		mode |= unix.S_IFIFO
	}
	dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
	if err := unix.Mknod(target, mode, int(dev)); err != nil {
		if u.rootless && errors.Is(err, unix.EPERM) {
			return false, nil
		}
		return false, fmt.Errorf("mknod %d:%d: %w", hdr.Devmajor, hdr.Devminor, err)
	}
	return true, nil
}

// whiteout turns an OCI whiteout into overlayfs's form: ".wh.NAME" becomes a
// 0/0 character device NAME, and ".wh..wh..opq" the opaque xattr on dir.
func (u *unpacker) whiteout(dir, base string) error {
	if base == whiteoutOpaque {
		attr := overlayOpaque
		if u.rootless {
			attr = overlayOpaqueRootless
		}
		if err := unix.Lsetxattr(dir, attr, []byte("y"), 0); err != nil {
			return fmt.Errorf("opaque whiteout: setxattr %s on %s: %w", attr, dir, err)
		}
		return nil
	}
	if strings.HasPrefix(base, whiteoutMeta) {
		return nil
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	if name == "" || name == "." || name == ".." {
		return fmt.Errorf("whiteout names nothing")
	}
	target := filepath.Join(dir, name)
	if err := u.clear(target, false); err != nil {
		return err
	}
	// Linux 5.8 and later let anyone make this one device, overlay's
	// whiteout, as it needs no CAP_MKNOD.
	if err := unix.Mknod(target, unix.S_IFCHR, 0); err != nil {
		if u.rootless && errors.Is(err, unix.EPERM) {
			return fmt.Errorf("whiteout %s: mknod 0:0: %w (without root, overlay whiteouts need Linux 5.8 or later)", name, err)
		}
		return fmt.Errorf("whiteout %s: mknod 0:0: %w", name, err)
	}
	return nil
}

// setMeta keeps the entry's owner, mode, xattrs and times. chown comes before
// chmod because chown clears the setuid and setgid bits.
func (u *unpacker) setMeta(hdr *tar.Header, target string) error {
	if err := os.Lchown(target, hdr.Uid, hdr.Gid); err != nil && !(u.rootless && !u.shifted && errors.Is(err, unix.EPERM)) {
		if u.shifted && errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("chown %d:%d: %w (the id is outside the caller's subordinate ranges, /etc/subuid and /etc/subgid)", hdr.Uid, hdr.Gid, err)
		}
		return fmt.Errorf("chown %d:%d: %w", hdr.Uid, hdr.Gid, err)
	}
	for k, v := range hdr.PAXRecords {
		attr, ok := strings.CutPrefix(k, "SCHILY.xattr.")
		// Overlay's own xattrs come only from whiteout conversion: a layer
		// that sets them could redirect lookups elsewhere in the stack
		// (user.overlay.* in a rootless overlay, mounted with userxattr).
		if !ok || strings.HasPrefix(attr, "trusted.overlay.") || strings.HasPrefix(attr, "user.overlay.") {
			continue
		}
		if err := unix.Lsetxattr(target, attr, []byte(v), 0); err != nil {
			if errors.Is(err, unix.ENOTSUP) || (u.rootless && errors.Is(err, unix.EPERM)) {
				continue
			}
			return fmt.Errorf("setxattr %s: %w", attr, err)
		}
	}
	if hdr.Typeflag != tar.TypeSymlink {
		if err := os.Chmod(target, hdr.FileInfo().Mode()&(os.ModePerm|os.ModeSetuid|os.ModeSetgid|os.ModeSticky)); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
	}
	atime := hdr.AccessTime
	if atime.IsZero() {
		atime = hdr.ModTime
	}
	if hdr.Typeflag == tar.TypeDir {
		return u.deferDirTimes(target, atime, hdr.ModTime)
	}
	return setTimes(target, atime, hdr.ModTime)
}

// deferDirTimes keeps the times of the directory target for setDirTimes.
func (u *unpacker) deferDirTimes(target string, atime, mtime time.Time) error {
	rel, err := filepath.Rel(u.root, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("directory %s is not under the layer root %s", target, u.root)
	}
	d := dirTime{rel, atime, mtime}
	if i, ok := u.dirIndex[rel]; ok {
		u.dirTimes[i] = d
		return nil
	}
	if u.dirIndex == nil {
		u.dirIndex = map[string]int{}
	}
	u.dirIndex[rel] = len(u.dirTimes)
	u.dirTimes = append(u.dirTimes, d)
	return nil
}

func setTimes(p string, atime, mtime time.Time) error {
	if mtime.IsZero() {
		return nil // no time recorded; UnixNano of the zero time overflows
	}
	if atime.IsZero() {
		atime = mtime
	}
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times of %s: %w", p, err)
	}
	return nil
}
