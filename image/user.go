package image

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"

	"github.com/minirun/minirun/errdefs"
)

// passwdEntry and groupEntry hold the fields of /etc/passwd and /etc/group
// that user lookup needs.
type passwdEntry struct {
	name     string
	uid, gid uint32
}

type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// LookupUser resolves a Docker -u spec (NAME|UID[:GROUP|GID]) against the
// image's /etc/passwd and /etc/group, as Docker does:
//   - a name must exist in passwd; a numeric uid need not;
//   - without a group, the gid is the user's primary group (0 for an unknown
//     uid), and the groups listing the user by name are added;
//   - with a group, that group is the gid and nothing is added.
//
// The files are opened through securejoin, so a symlinked /etc in the image
// can't make us read the host's.
func LookupUser(rootfs, spec string) (uid, gid uint32, additionalGids []uint32, err error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if userPart == "" {
		userPart = "0"
	}
	if hasGroup && groupPart == "" {
		return 0, 0, nil, errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("user %q: empty group", spec))
	}
	users, err := readPasswd(rootfs)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("user %q: %w", spec, err)
	}
	u, err := findUser(users, userPart)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("user %q: %w", spec, err)
	}
	groups, err := readGroup(rootfs)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("user %q: %w", spec, err)
	}
	if hasGroup {
		g, err := findGroup(groups, groupPart)
		if err != nil {
			return 0, 0, nil, fmt.Errorf("user %q: %w", spec, err)
		}
		return u.uid, g, nil, nil
	}
	if u.name != "" {
		for _, g := range groups {
			for _, m := range g.members {
				if m == u.name && g.gid != u.gid {
					additionalGids = append(additionalGids, g.gid)
					break
				}
			}
		}
	}
	return u.uid, u.gid, additionalGids, nil
}

func findUser(users []passwdEntry, s string) (passwdEntry, error) {
	if id, ok := parseID(s); ok {
		for _, u := range users {
			if u.uid == id {
				return u, nil
			}
		}
		return passwdEntry{uid: id}, nil
	}
	for _, u := range users {
		if u.name == s {
			return u, nil
		}
	}
	return passwdEntry{}, errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("no user %q in the image's /etc/passwd", s))
}

func findGroup(groups []groupEntry, s string) (uint32, error) {
	if id, ok := parseID(s); ok {
		return id, nil
	}
	for _, g := range groups {
		if g.name == s {
			return g.gid, nil
		}
	}
	return 0, errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("no group %q in the image's /etc/group", s))
}

// parseID accepts decimal ids up to 2^31-1: larger ones are reserved or
// mean "no id" ((uid_t)-1) to the kernel.
func parseID(s string) (uint32, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > math.MaxInt32 {
		return 0, false
	}
	return uint32(n), true
}

func readPasswd(rootfs string) ([]passwdEntry, error) {
	var out []passwdEntry
	err := readColonFile(rootfs, "/etc/passwd", func(f []string) {
		if len(f) < 4 {
			return
		}
		uid, ok1 := parseID(f[2])
		gid, ok2 := parseID(f[3])
		if ok1 && ok2 {
			out = append(out, passwdEntry{name: f[0], uid: uid, gid: gid})
		}
	})
	return out, err
}

func readGroup(rootfs string) ([]groupEntry, error) {
	var out []groupEntry
	err := readColonFile(rootfs, "/etc/group", func(f []string) {
		if len(f) < 3 {
			return
		}
		gid, ok := parseID(f[2])
		if !ok {
			return
		}
		g := groupEntry{name: f[0], gid: gid}
		if len(f) > 3 && f[3] != "" {
			g.members = strings.Split(f[3], ",")
		}
		out = append(out, g)
	})
	return out, err
}

// readColonFile calls fn with the fields of each line of the image file p.
// A missing file is no error: plenty of images have none, and numeric ids
// still work.
func readColonFile(rootfs, p string, fn func([]string)) error {
	full, err := securejoin.SecureJoin(rootfs, p)
	if err != nil {
		return fmt.Errorf("resolve %s in %s: %w", p, rootfs, err)
	}
	fi, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && !fi.Mode().IsRegular() {
		// A fifo or device here would hang or mislead the read.
		return fmt.Errorf("the image's %s is not a regular file", p)
	}
	f, err := os.Open(full)
	if err != nil {
		return fmt.Errorf("open the image's %s: %w", p, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(strings.Split(line, ":"))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read the image's %s: %w", p, err)
	}
	return nil
}
