package container

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// The init is a re-exec of minirun itself. If it ran straight from the
// binary on disk, a container whose entrypoint is /proc/self/exe would run
// minirun's own file inside the container, and a process there could keep
// a handle on it through /proc/PID/exe and overwrite the host's runtime
// once it exits (CVE-2019-5736).
//
// So the init runs from a read-only view of the binary: a bind mount of
// the file cloned with open_tree(2) and made read-only with
// mount_setattr(2). The mount is detached, in no namespace and on no path:
// the container can't remount it, and the kernel drops it when the last
// handle goes, so nothing is left on the host. Every write through it
// fails with EROFS. It costs two syscalls; the older defence, copying the
// ~12 MB binary into a sealed memfd, costs about 6 ms here at every start,
// so it is only the fallback for kernels without these calls (before 5.12).
var (
	sealedOnce sync.Once
	sealedPath string
	sealedErr  error
	sealedFile *os.File // kept referenced so the GC never closes the fd
)

func sealedExe() (string, error) {
	sealedOnce.Do(func() { sealedPath, sealedFile, sealedErr = seal("/proc/self/exe") })
	return sealedPath, sealedErr
}

// seal returns a path to a read-only view of the binary at path, and the
// file that holds it open.
func seal(path string) (string, *os.File, error) {
	fd, err := readonlyExe(path)
	if err != nil {
		fd, err = memfdExe(path)
	}
	if err == nil {
		fd, err = highFd(fd)
	}
	if err != nil {
		return "", nil, err
	}
	// exec reaches the fd by path; it is close-on-exec, so the container
	// never inherits it.
	return fmt.Sprintf("/proc/self/fd/%d", fd), os.NewFile(uintptr(fd), "minirun-exe"), nil
}

// highFd moves fd up to 32 or above, out of the way of the numbers the
// child's extra files are dup'ed onto (3, 4, ...), so /proc/self/fd/N still
// names the binary when the child execs it. The child must resolve it
// through /proc/self: in a user namespace it may no longer look into this
// process's /proc entry. Not higher: past 64 the kernel grows the fd table,
// and in a multi-threaded process that waits out an RCU grace period,
// several milliseconds at every start.
func highFd(fd int) (int, error) {
	if fd >= 32 {
		return fd, nil
	}
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 32)
	if err != nil {
		return fd, nil // keep the number; exePathAbove moves it if needed
	}
	unix.Close(fd)
	return nfd, nil
}

// exePathAbove returns a path to the binary whose fd is not among the
// child's first n fds. Only a container given many extra files needs the
// copy this makes.
func exePathAbove(exe string, n int) string {
	var fd int
	if _, err := fmt.Sscanf(exe, "/proc/self/fd/%d", &fd); err != nil || fd >= n {
		return exe
	}
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, n)
	if err != nil {
		return exe
	}
	// Kept for the life of the process, like the first one.
	extraExeMu.Lock()
	extraExeFds = append(extraExeFds, os.NewFile(uintptr(nfd), "minirun-exe"))
	extraExeMu.Unlock()
	return fmt.Sprintf("/proc/self/fd/%d", nfd)
}

// Go API callers may start containers from several goroutines.
var (
	extraExeMu  sync.Mutex
	extraExeFds []*os.File
)

// readonlyExe returns an O_PATH handle on the binary at path through a
// detached, read-only bind mount of it.
func readonlyExe(path string) (int, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("open_tree %s: %w", path, err)
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("make %s read-only: %w", path, err)
	}
	return fd, nil
}

// memfdExe copies the binary at path into a memfd and seals it against
// writes.
func memfdExe(path string) (int, error) {
	src, err := os.Open(path)
	if err != nil {
		return -1, fmt.Errorf("open %s: %w", path, err)
	}
	defer src.Close()
	// MFD_EXEC is needed where vm.memfd_noexec is set; older kernels reject it.
	fd, err := unix.MemfdCreate("minirun", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if err == unix.EINVAL {
		fd, err = unix.MemfdCreate("minirun", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return -1, fmt.Errorf("memfd_create: %w", err)
	}
	if err := copyInKernel(fd, int(src.Fd())); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("copy %s to memfd: %w", path, err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("seal memfd: %w", err)
	}
	return fd, nil
}

// copyInKernel copies all of src to dst with sendfile, so the binary never
// passes through user space.
func copyInKernel(dst, src int) error {
	var st unix.Stat_t
	if err := unix.Fstat(src, &st); err != nil {
		return err
	}
	for left := st.Size; left > 0; {
		n, err := unix.Sendfile(dst, src, nil, int(left))
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("sendfile: short copy, %d bytes left", left)
		}
		left -= int64(n)
	}
	return nil
}
