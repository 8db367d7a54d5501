package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// CheckRoot refuses a state root that another user could write. Its files
// say which pid `kill` and `delete` signal and which namespaces `exec`
// joins: whoever can replace them can point minirun, running as root, at
// any process on the host. A missing root passes; nothing is read from it.
//
// The root must name its directory with no symlink on the way (see
// ResolveRoot, which callers use first): a check made through a symlink
// holds for wherever it pointed at that moment, while every later open
// follows it again, to wherever its owner has pointed it since.
func CheckRoot(root string) error {
	abs, err := filepath.Abs(root)
	if err != nil {
		return fmt.Errorf("state root %s: %w", root, err)
	}
	resolved, err := ResolveRoot(abs)
	if err != nil {
		return err
	}
	if resolved != abs {
		return fmt.Errorf("state root %s: a symlink on the way leads to %s: not trusted (give the directory itself)", root, resolved)
	}
	if err := checkAncestors(root, abs); err != nil {
		return err
	}
	var st unix.Stat_t
	err = unix.Lstat(root, &st)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state root %s: %w", root, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("state root %s: not a directory", root)
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return fmt.Errorf("state root %s: owned by uid %d, not by the caller (uid %d): not trusted", root, st.Uid, uid)
	}
	if st.Mode&0o022 != 0 {
		return fmt.Errorf("state root %s: mode %04o lets group or others write it: not trusted (chmod go-w)", root, st.Mode&0o7777)
	}
	return nil
}

// checkAncestors refuses a root below a directory that someone else could
// change: one owned by another user, or one that group or others may
// write without the sticky bit. Whoever can rename entries there can move
// the checked root away after the check and put a symlink of their own in
// its place. A sticky, world-writable /tmp is fine: only an entry's owner
// may rename it there.
func checkAncestors(root, abs string) error {
	uid := os.Geteuid()
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		var st unix.Stat_t
		if err := unix.Lstat(dir, &st); err == nil {
			if st.Uid != 0 && int(st.Uid) != uid {
				return fmt.Errorf("state root %s: %s is owned by uid %d, neither root nor the caller (uid %d): not trusted", root, dir, st.Uid, uid)
			}
			if st.Mode&0o022 != 0 && st.Mode&unix.S_ISVTX == 0 {
				return fmt.Errorf("state root %s: %s lets group or others rename what is in it (mode %04o, not sticky): not trusted", root, dir, st.Mode&0o7777)
			}
		} else if !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("state root %s: lstat %s: %w", root, dir, err)
		}
		if dir == "/" {
			return nil
		}
	}
}

// maxRootLinks bounds the symlinks ResolveRoot follows, as the kernel's
// ELOOP does for one path (40).
const maxRootLinks = 40

// ResolveRoot returns root absolute, with each symlink in it followed
// once, for the caller to check (CheckRoot) and then use as it is, so the
// path checked is the path used. runc takes a --root through symlinks, and
// Docker passes /var/run/docker/... where /var/run links to /run, so
// symlinks are followed, not refused; but only those owned by root or by
// the caller, since a symlink's owner can repoint it at any time and, with
// fs.protected_symlinks off (as on this machine), even one in /tmp is
// followed by root. A part of the path that does not exist yet is kept as
// given: makeRoot creates it as directories.
func ResolveRoot(root string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("state root %s: %w", root, err)
	}
	uid := os.Geteuid()
	resolved, rest, links := "/", strings.Split(abs, "/"), 0
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, name)
		var st unix.Stat_t
		err := unix.Lstat(next, &st)
		if errors.Is(err, unix.ENOENT) {
			return filepath.Join(append([]string{next}, rest...)...), nil
		}
		if err != nil {
			return "", fmt.Errorf("state root %s: lstat %s: %w", root, next, err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			resolved = next
			continue
		}
		if st.Uid != 0 && int(st.Uid) != uid {
			return "", fmt.Errorf("state root %s: symlink %s is owned by uid %d, neither root nor the caller (uid %d): not trusted", root, next, st.Uid, uid)
		}
		if links++; links > maxRootLinks {
			return "", fmt.Errorf("state root %s: more than %d symlinks: %w", root, maxRootLinks, unix.ELOOP)
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", fmt.Errorf("state root %s: %w", root, err)
		}
		if filepath.IsAbs(target) {
			resolved = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return resolved, nil
}

// Root is a state root, checked once when it is opened (CheckRoot). The
// check holds for the rest of the command: it proves that only root and
// the caller can change the root or any directory above it. A root that
// was missing when opened is never read from, since whoever made it
// since was not checked; ensure creates it and checks it then.
type Root struct {
	Path   string
	exists bool
}

// OpenRoot checks the state root at path (see CheckRoot), which may not
// exist yet.
func OpenRoot(path string) (*Root, error) {
	// Whether it exists is taken before the check: one made by someone
	// else between the two would otherwise count as existing unchecked.
	_, err := os.Lstat(path)
	exists := err == nil
	if err := CheckRoot(path); err != nil {
		return nil, err
	}
	return &Root{Path: path, exists: exists}, nil
}

// ensure creates a missing root 0700 and checks it once made.
func (r *Root) ensure() error {
	if r.exists {
		return nil
	}
	if err := makeRoot(r.Path); err != nil {
		return err
	}
	r.exists = true
	return nil
}

// makeRoot creates a missing root 0700, then checks whatever is there.
// A symlink on the way is refused before anything is made through it.
func makeRoot(root string) error {
	if err := CheckRoot(root); err != nil {
		return err
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("create state root %s: %w", root, err)
	}
	return CheckRoot(root)
}
