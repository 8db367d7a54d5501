package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/trace"
)

// MountError names the mount that failed, with its source, target and flags.
type MountError struct {
	Source, Target, Type string
	Flags                uintptr
	Data                 string
	Err                  error
}

func (e *MountError) Error() string {
	return fmt.Sprintf("mount %s on %s (type %q, flags %s, data %q): %v",
		e.Source, e.Target, e.Type, FlagString(e.Flags), e.Data, e.Err)
}

func (e *MountError) Unwrap() error { return e.Err }

func mount(source, target, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(source, target, fstype, flags, data); err != nil {
		return &MountError{source, target, fstype, flags, data, err}
	}
	return nil
}

// SetPropagation makes the whole tree private or slave before anything is
// mounted, so the container's mounts never show up on the host.
func SetPropagation(propagation string, log trace.Logger) error {
	flag, err := PropagationFlag(propagation)
	if err != nil {
		return err
	}
	log.Log("propagation: / becomes %s", FlagString(flag))
	requested = flag
	if err := mount("", "/", "", flag, ""); err != nil {
		return err
	}
	// rslave and rprivate leave no mount of this namespace shared, so the
	// checks below that read mountinfo for a shared mount (a few hundred
	// microseconds each) have nothing to find.
	noneShared = flag&unix.MS_REC != 0 && flag&(unix.MS_SLAVE|unix.MS_PRIVATE) != 0
	return nil
}

// BindSelf turns rootfs into a mount point, which pivot_root requires.
//
// The mount holding rootfs is made private first if it is shared or
// unbindable, which rootfsPropagation "shared" or "unbindable" (or a
// shared host mount it left alone) makes it: a bind of a shared mount
// joins its peer group, so every mount made in the rootfs from here on
// would also show up wherever that group reaches, the host included; and
// a bind of an unbindable mount fails with EINVAL. PivotRoot gives the
// new root the propagation asked for.
//
// With no mount shared (noneShared), only an unbindable one is left to
// fear, and the bind itself tells: EINVAL.
func BindSelf(rootfs string, log trace.Logger) error {
	if noneShared {
		log.Log("bind %s onto itself", rootfs)
		err := mount(rootfs, rootfs, "", unix.MS_BIND|unix.MS_REC, "")
		if !errors.Is(err, unix.EINVAL) {
			return err
		}
	}
	if err := privateIf(rootfs, true, log); err != nil {
		return err
	}
	if !noneShared {
		log.Log("bind %s onto itself", rootfs)
	}
	return mount(rootfs, rootfs, "", unix.MS_BIND|unix.MS_REC, "")
}

// IsBind reports whether m is a bind mount: by its type, or by a bind or
// rbind option, as the runtime spec allows either.
func IsBind(m specs.Mount) bool {
	return m.Type == "bind" || ParseOptions(m.Options).Bind
}

// Mount performs one config mount with its destination resolved inside
// rootfs, so a symlink planted in an image can't redirect it to the host.
func Mount(rootfs string, m specs.Mount, log trace.Logger) error {
	return mountFrom(rootfs, m, -1, log)
}

// MountFrom is Mount for a bind whose source is held open as src (an
// O_PATH handle, see OpenBindSource) rather than named by m.Source, which
// the caller may not be able to reach. m.Source still names it in errors.
func MountFrom(rootfs string, m specs.Mount, src int, log trace.Logger) error {
	if !IsBind(m) {
		return fmt.Errorf("mount %s on %s: a source handle is only for a bind mount", m.Source, m.Destination)
	}
	return mountFrom(rootfs, m, src, log)
}

func mountFrom(rootfs string, m specs.Mount, src int, log trace.Logger) error {
	o := ParseOptions(m.Options)
	o.Bind = IsBind(m)
	// srcPath reaches the source for the calls that take a path.
	srcPath := m.Source
	if src >= 0 {
		srcPath = "/proc/self/fd/" + strconv.Itoa(src)
	}
	// Mount through an O_PATH handle rather than the path: the handle was
	// opened by a resolver that refuses to leave rootfs, and it can't be
	// swapped for a symlink between the check and the mount.
	file := false
	if o.Bind {
		dir, err := isDirSource(m.Source, src)
		if err != nil {
			return fmt.Errorf("bind source %s: %w", m.Source, err)
		}
		file = !dir
	}
	target, dest, err := openTarget(rootfs, m, srcPath, o, file)
	if err != nil {
		return err
	}
	defer target.Close()
	via := "/proc/self/fd/" + strconv.Itoa(int(target.Fd()))
	log.Log("mount %s on %s type=%s flags=%s data=%q", m.Source, m.Destination, typeOf(m, o), FlagString(o.Flags), o.Data)

	if o.Bind {
		err := bindByFd(m.Source, src, target, dest, o)
		if errors.Is(err, errNoMountAPI) {
			err = bindMount(srcPath, via, dest, o)
			if e := (*MountError)(nil); errors.As(err, &e) {
				e.Source = m.Source
			}
		}
		if err != nil || o.RecSet|o.RecClear == 0 {
			return err
		}
		return setRecursiveAttrs(rootfs, m.Destination, dest, target, o)
	}
	if m.Type == "cgroup" {
		err = mountCgroup(via, dest, o)
	} else {
		err = mount(m.Source, via, m.Type, o.Flags, o.Data)
		if e := (*MountError)(nil); errors.As(err, &e) {
			e.Target = dest
		}
	}
	if err != nil {
		return err
	}
	if o.RecSet|o.RecClear != 0 {
		if err := setRecursiveAttrs(rootfs, m.Destination, dest, target, o); err != nil {
			return err
		}
	}
	if m.Type != "proc" && len(o.Propagation) == 0 {
		return nil
	}
	top, err := mountOnTop(rootfs, m.Destination, target)
	if err != nil {
		return fmt.Errorf("reopen mount %s: %w", m.Destination, err)
	}
	defer top.Close()
	if m.Type == "proc" {
		var st unix.Statfs_t
		if err := unix.Fstatfs(int(top.Fd()), &st); err != nil || st.Type != unix.PROC_SUPER_MAGIC {
			return fmt.Errorf("%s: the mount made there is not procfs (type %#x, %v)", dest, st.Type, err)
		}
	}
	return setPropagationFd(int(top.Fd()), dest, o.Propagation)
}

// setRecursiveAttrs applies "rro" and its kin to the mount just made on
// target and to every mount below it, through a handle on that mount.
func setRecursiveAttrs(rootfs, unsafeDest, dest string, target *os.File, o Options) error {
	top, err := mountOnTop(rootfs, unsafeDest, target)
	if err != nil {
		return fmt.Errorf("reopen mount %s: %w", unsafeDest, err)
	}
	defer top.Close()
	attr := &unix.MountAttr{Attr_set: o.RecSet, Attr_clr: o.RecClear}
	if err := unix.MountSetattr(int(top.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, attr); err != nil {
		return fmt.Errorf("mount_setattr %s recursively (set %#x, clear %#x): %w", dest, o.RecSet, o.RecClear, err)
	}
	return nil
}

// isDirSource tells whether a bind's source, the handle src or else the
// path, is a directory.
func isDirSource(path string, src int) (bool, error) {
	if src < 0 {
		fi, err := os.Stat(path)
		return err == nil && fi.IsDir(), err
	}
	var st unix.Stat_t
	if err := unix.Fstat(src, &st); err != nil {
		return false, fmt.Errorf("fstat: %w", err)
	}
	return st.Mode&unix.S_IFMT == unix.S_IFDIR, nil
}

func typeOf(m specs.Mount, o Options) string {
	if o.Bind {
		if o.Recursive {
			return "rbind"
		}
		return "bind"
	}
	return m.Type
}

func bindMount(source, via, dest string, o Options) error {
	flags := uintptr(unix.MS_BIND)
	if o.Recursive {
		flags |= unix.MS_REC
	}
	if err := mount(source, via, "", flags, ""); err != nil {
		var e *MountError
		if errors.As(err, &e) {
			e.Target = dest
		}
		return err
	}
	// A bind ignores every flag but MS_REC; the others need a remount.
	if rest := o.Flags &^ (unix.MS_REMOUNT | unix.MS_BIND | unix.MS_REC); rest != 0 {
		return Remount(dest, rest)
	}
	return nil
}

// Remount changes a bind mount's flags, keeping the ones the kernel locks
// (nosuid, nodev, noexec, atime) when the mount came from a more privileged
// namespace: dropping them would fail with EPERM.
func Remount(path string, flags uintptr) error {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", path, err)
	}
	locked := map[int64]uintptr{
		unix.ST_NOSUID: unix.MS_NOSUID, unix.ST_NODEV: unix.MS_NODEV, unix.ST_NOEXEC: unix.MS_NOEXEC,
		unix.ST_NOATIME: unix.MS_NOATIME, unix.ST_NODIRATIME: unix.MS_NODIRATIME, unix.ST_RELATIME: unix.MS_RELATIME,
	}
	for st1, ms := range locked {
		if st.Flags&st1 != 0 {
			flags |= ms
		}
	}
	return mount("", path, "", unix.MS_BIND|unix.MS_REMOUNT|flags, "")
}

// makeMountpoint creates dest: a file when a file is to be bound there, a
// directory otherwise.
func makeMountpoint(rootfs, dest string, m specs.Mount, file bool) error {
	rel, err := filepath.Rel(rootfs, dest)
	if err != nil {
		return err
	}
	if !file {
		if err := pathrs.MkdirAll(rootfs, rel, 0o755); err != nil {
			return fmt.Errorf("create mountpoint %s: %w", m.Destination, err)
		}
		return nil
	}
	root, err := os.OpenFile(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("create mountpoint %s: %w", m.Destination, err)
	}
	defer root.Close()
	dir, err := pathrs.MkdirAllHandle(root, filepath.Dir(rel), 0o755)
	if err != nil {
		return fmt.Errorf("create mountpoint %s: %w", m.Destination, err)
	}
	defer dir.Close()
	if err := createFileAt(dir, filepath.Base(rel)); err != nil {
		return fmt.Errorf("create mountpoint %s: %w", m.Destination, err)
	}
	return nil
}

// checkFS verifies that path is on a filesystem of the given magic, so a
// fake /proc (a tmpfs or bind dressed up as procfs) is never trusted.
func checkFS(path string, magic int64) error {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", path, err)
	}
	if st.Type != magic {
		return fmt.Errorf("%s: filesystem type %#x is not %#x", path, st.Type, magic)
	}
	return nil
}

// lxcfsProcFiles are the /proc files an engine may legitimately bind over
// (lxcfs emulates them per container); runc admits the same list.
var lxcfsProcFiles = map[string]bool{
	"cpuinfo": true, "diskstats": true, "meminfo": true, "stat": true,
	"swaps": true, "uptime": true, "loadavg": true, "slabinfo": true,
	"sys/kernel/ns_last_pid": true, "sys/crypto/fips_enabled": true,
}

// checkProcTarget refuses a config mount that would replace the
// container's /proc or anything in it: a fake /proc would swallow the
// runtime's writes (sysctls, oom_score_adj) and hide the masked paths.
// Only a real procfs may go on /proc itself, and only the lxcfs files
// below it. The runtime's own masked and read-only paths are not config
// mounts and never come here.
func checkProcTarget(rootfs, via, srcPath string, m specs.Mount, o Options) error {
	real, err := os.Readlink(via)
	if err != nil {
		return fmt.Errorf("mount destination %s: readlink %s: %w", m.Destination, via, err)
	}
	// real is what the kernel resolved; so must rootfs be, or a root path
	// through a symlink (/var/run on Debian) would never compare equal.
	if r, err := filepath.EvalSymlinks(rootfs); err == nil {
		rootfs = r
	}
	rel, err := filepath.Rel(filepath.Join(rootfs, "proc"), real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return nil
	}
	if rel == "." {
		if m.Type == "proc" && !o.Bind {
			return nil
		}
		if o.Bind && checkFS(srcPath, unix.PROC_SUPER_MAGIC) == nil {
			return nil
		}
		return fmt.Errorf("mount %s on %s (resolved to /proc): only a real procfs may be mounted on /proc", m.Source, m.Destination)
	}
	if lxcfsProcFiles[rel] && o.Bind {
		return nil
	}
	return fmt.Errorf("mount %s on %s (resolved to /proc/%s): nothing may be mounted inside /proc", m.Source, m.Destination, rel)
}
