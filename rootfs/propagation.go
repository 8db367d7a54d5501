package rootfs

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/trace"
)

// requested is the propagation SetPropagation gave "/". pivot_root(2)
// cannot keep "shared" or "unbindable" across the pivot (see
// unsharePivotMounts), so PivotRoot gives it to the new root afterwards.
// Set and read in the init process only, in that order.
var requested uintptr

// noneShared: SetPropagation made every mount of this namespace slave or
// private, recursively. Set and read in the init process only.
var noneShared bool

// mountPropagation reports whether the mount that holds path is shared
// and whether it is unbindable, from /proc/self/mountinfo's optional
// fields, and returns its mount point.
func mountPropagation(path string) (point string, shared, unbindable bool, err error) {
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID, &stx); err != nil {
		return "", false, false, fmt.Errorf("statx %s: %w", path, err)
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", false, false, err
	}
	defer f.Close()
	id := strconv.FormatUint(stx.Mnt_id, 10)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER
		fields := strings.Fields(sc.Text())
		if len(fields) < 7 || fields[0] != id {
			continue
		}
		for _, opt := range fields[6:] {
			if opt == "-" {
				break
			}
			shared = shared || strings.HasPrefix(opt, "shared:")
			unbindable = unbindable || opt == "unbindable"
		}
		return unescapeMountinfo(fields[4]), shared, unbindable, nil
	}
	if err := sc.Err(); err != nil {
		return "", false, false, err
	}
	return "", false, false, fmt.Errorf("mount %s of %s is not in /proc/self/mountinfo", id, path)
}

// unescapeMountinfo undoes the octal escapes (\040 for a space and so on)
// the kernel writes in mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// privateIf makes the mount holding path private when it is shared (or,
// with unbindableToo, unbindable). Only this mount namespace's copy
// changes, and it is one pivot_root leaves behind.
func privateIf(path string, unbindableToo bool, log trace.Logger) error {
	point, shared, unbindable, err := mountPropagation(path)
	if err != nil {
		return err
	}
	if !shared && !(unbindableToo && unbindable) {
		return nil
	}
	log.Log("propagation: %s (holding %s) becomes private", point, path)
	return mount("", point, "", unix.MS_PRIVATE, "")
}

// unsharePivotMounts prepares for pivot_root(".", "."), which fails with
// EINVAL when the new root or the current root's mount is shared: with
// rootfsPropagation "shared" the current root is.
func unsharePivotMounts(log trace.Logger) error {
	if noneShared {
		return nil
	}
	for _, p := range []string{".", "/"} {
		if err := privateIf(p, false, log); err != nil {
			return fmt.Errorf("before pivot_root: %w", err)
		}
	}
	return nil
}

// restorePropagation gives the new root the propagation the config asked
// for when pivot_root could not carry it over.
func restorePropagation(log trace.Logger) error {
	if requested&(unix.MS_SHARED|unix.MS_UNBINDABLE) == 0 {
		return nil
	}
	log.Log("propagation: new / becomes %s", FlagString(requested))
	return mount("", "/", "", requested, "")
}
