package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Writes into the container's /proc (sysctls, oom_score_adj) are made by a
// process that is still privileged on the host, so where they land must be
// beyond doubt. Each write opens /proc once, checks that it is a real
// procfs, and resolves the file beneath that handle without crossing into
// another mount: a bind of a host file over /proc/sys/... (the class of
// runc's CVE-2025-52881) then fails with EXDEV instead of redirecting the
// write. Sysctl paths also refuse every symlink.

// WriteProc writes value to /proc/rel, e.g. "self/oom_score_adj". Below
// /proc/sys (a sysctl, see SysctlPath) no symlink at all is followed.
func WriteProc(rel, value string) error {
	resolve := uint64(unix.RESOLVE_BENEATH | unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_MAGICLINKS)
	if strings.HasPrefix(rel, "sys/") {
		resolve = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_XDEV | unix.RESOLVE_NO_SYMLINKS
	}
	return writeProc(rel, value, resolve)
}

// SysctlPath is where below /proc linux.sysctl's key is written.
func SysctlPath(key string) string { return "sys/" + strings.ReplaceAll(key, ".", "/") }

// Sysctl sets one linux.sysctl entry through /proc/sys.
func Sysctl(key, value string) error { return WriteProc(SysctlPath(key), value) }

func writeProc(rel, value string, resolve uint64) error {
	path := "/proc/" + rel
	root, err := unix.Open("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /proc: %w", err)
	}
	defer unix.Close(root)
	var st unix.Statfs_t
	if err := unix.Fstatfs(root, &st); err != nil {
		return fmt.Errorf("statfs /proc: %w", err)
	}
	if st.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("%s is not on procfs: /proc has filesystem type %#x", path, st.Type)
	}
	fd, err := unix.Openat2(root, rel, &unix.OpenHow{Flags: unix.O_WRONLY | unix.O_TRUNC | unix.O_CLOEXEC, Resolve: resolve})
	if errors.Is(err, unix.ENOSYS) {
		// Before Linux 5.6: no scoped resolution; at least refuse a final
		// symlink and check the file's filesystem.
		fd, err = unix.Openat(root, rel, unix.O_WRONLY|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	}
	if errors.Is(err, unix.EXDEV) {
		return fmt.Errorf("open %s: something is mounted over it or its directory: %w", path, err)
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if err := unix.Fstatfs(fd, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", path, err)
	}
	if st.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("%s is not on procfs", path)
	}
	if _, err := f.WriteString(value); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
