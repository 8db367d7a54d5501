// Package archive copies files into and out of a container's root as tar
// streams, for `cp` and `export`. Every path is looked up from a handle on
// a root directory: a path the user names is resolved inside that root
// (openat2 RESOLVE_IN_ROOT, so an absolute symlink or a ".." in the
// container lands in the container, never on the host), and whatever is
// walked or made below it is reached one component at a time from its
// parent's handle without following any symlink. A container that swaps
// a directory for a symlink while a copy runs (the race of
// CVE-2018-15664) therefore changes only what it already owns. Nothing
// runs inside the container and nothing is loaded from it (unlike the
// chrooted helper of CVE-2019-14271).
package archive

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Root is a directory the paths of one side of a copy are resolved in.
type Root struct {
	f *os.File
	// resolve is how a path the user names is resolved from f.
	resolve uint64
	// inContainer: the root is a container's, so a path in it is shown
	// with the container's name and resolved in it.
	inContainer bool
	// Walk's and Extract's limits for this side.
	Opts Options
	// held is closed after f: what keeps f's tree as it is (the mount
	// namespace a stopped container's volumes are mounted in).
	held io.Closer
}

// Options are how a tree is read from or written to a root.
type Options struct {
	// KeepOwner (cp -a) writes each file with the uid and gid the
	// archive has; otherwise Owner, if set, is every new file's.
	KeepOwner bool
	Owner     *IDPair
	// MapID turns an archive's uid/gid into this side's (a container with
	// a user namespace), and UnmapID this side's into the archive's.
	MapID   func(IDPair) IDPair
	UnmapID func(IDPair) IDPair
	// SameMount keeps a walk on the root's mount: a directory that is a
	// mount point is archived empty (export: the container's filesystem,
	// not what is mounted on it).
	SameMount bool
	// SkipPseudoFS archives a procfs or sysfs directory met on a walk
	// empty (cp from a running container's root, where they are mounted).
	SkipPseudoFS bool
}

// IDPair is a uid and a gid.
type IDPair struct{ UID, GID int }

// ContainerRoot takes f, a handle on a container's root directory: paths
// are resolved inside it, magic links (/proc/self/root...) refused.
func ContainerRoot(f *os.File) *Root {
	return &Root{f: f, resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS, inContainer: true}
}

// ContainerRootHeld is ContainerRoot with held closed after f, by Close.
func ContainerRootHeld(f *os.File, held io.Closer) *Root {
	r := ContainerRoot(f)
	r.held = held
	return r
}

// HostRoot is the host's "/": the user's own paths, resolved as the shell
// would. What a copy makes below the destination still never follows a
// symlink (Extract).
func HostRoot() (*Root, error) {
	f, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &Root{f: f}, nil
}

// Close releases the root's handle, then what it held.
func (r *Root) Close() error {
	err := r.f.Close()
	if r.held != nil {
		if herr := r.held.Close(); err == nil {
			err = herr
		}
	}
	return err
}

// rel is p as resolved from r: relative to the host's current directory
// on the host, the container's "/" in a container.
func (r *Root) rel(p string) (string, error) {
	if !r.inContainer {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		p = abs
	}
	p = strings.TrimLeft(p, "/")
	if p == "" {
		p = "."
	}
	return p, nil
}

// open resolves p in r (following a final symlink only with follow) and
// returns an O_PATH handle.
func (r *Root) open(p string, follow bool) (*os.File, error) {
	rel, err := r.rel(p)
	if err != nil {
		return nil, err
	}
	flags := uint64(unix.O_PATH | unix.O_CLOEXEC)
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	fd, err := openat2(int(r.f.Fd()), rel, flags, r.resolve)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	return os.NewFile(uintptr(fd), p), nil
}

// openat2 retries on EAGAIN, which the kernel returns when a rename or
// mount elsewhere raced the lookup (RESOLVE_IN_ROOT's ".." check) and
// EINTR.
func openat2(dirfd int, p string, flags, resolve uint64) (int, error) {
	how := &unix.OpenHow{Flags: flags, Resolve: resolve}
	var err error
	for i := 0; i < 128; i++ {
		var fd int
		fd, err = unix.Openat2(dirfd, p, how)
		if err == nil {
			return fd, nil
		}
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if errors.Is(err, unix.ENOSYS) {
		return -1, fmt.Errorf("openat2 (Linux 5.6) is needed to reach into a container safely: %w", err)
	}
	return -1, err
}

// beneath opens rel below dir, following no symlink at all (O_PATH).
func beneath(dir *os.File, rel string, flags uint64) (*os.File, error) {
	if rel == "" {
		rel = "."
	}
	fd, err := openat2(int(dir.Fd()), rel, flags|unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC,
		unix.RESOLVE_BENEATH|unix.RESOLVE_NO_SYMLINKS|unix.RESOLVE_NO_MAGICLINKS)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path.Join(dir.Name(), rel)), nil
}

// reopen opens the very inode an O_PATH handle names for reading, through
// the handle's magic link in this process's own /proc.
func reopen(h *os.File, flags int) (*os.File, error) {
	return os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", h.Fd()), flags|unix.O_CLOEXEC, 0)
}

func stat(h *os.File) (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Fstat(int(h.Fd()), &st)
	return st, err
}

func isDir(st unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFDIR }

// mountID is the id of the mount h is on.
func mountID(h *os.File) (uint64, error) {
	var sx unix.Statx_t
	if err := unix.Statx(int(h.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &sx); err != nil {
		return 0, err
	}
	return sx.Mnt_id, nil
}

// pseudoFS says whether h is on procfs or sysfs.
func pseudoFS(h *os.File) bool {
	var fs unix.Statfs_t
	if unix.Fstatfs(int(h.Fd()), &fs) != nil {
		return false
	}
	return fs.Type == unix.PROC_SUPER_MAGIC || fs.Type == unix.SYSFS_MAGIC
}
