package container

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// The init is a re-exec of minirun itself. If it ran straight from the
// binary on disk, a container whose entrypoint is /proc/self/exe would run
// minirun's own file inside the container, and a process there could open
// it through /proc/PID/exe and overwrite the host's runtime once it exits
// (CVE-2019-5736). So the init runs from a sealed in-memory copy: writes to
// it are refused by the seals, and the host file is never reachable.
var (
	sealedOnce sync.Once
	sealedPath string
	sealedErr  error
	sealedFile *os.File // kept referenced so the GC never closes the fd
)

func sealedExe() (string, error) {
	sealedOnce.Do(func() { sealedPath, sealedErr = makeSealedExe() })
	return sealedPath, sealedErr
}

func makeSealedExe() (string, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return "", fmt.Errorf("open own binary: %w", err)
	}
	defer src.Close()
	// MFD_EXEC is needed where vm.memfd_noexec is set; older kernels reject it.
	fd, err := unix.MemfdCreate("minirun", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if err == unix.EINVAL {
		fd, err = unix.MemfdCreate("minirun", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return "", fmt.Errorf("memfd_create: %w", err)
	}
	dst := os.NewFile(uintptr(fd), "minirun-memfd")
	if err := copyInKernel(fd, int(src.Fd())); err != nil {
		dst.Close()
		return "", fmt.Errorf("copy own binary to memfd: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		dst.Close()
		return "", fmt.Errorf("seal memfd: %w", err)
	}
	sealedFile = dst
	// The fd stays open for the life of this process; exec reaches it by
	// path, and it is close-on-exec so the container never inherits it.
	return fmt.Sprintf("/proc/self/fd/%d", fd), nil
}

// copyInKernel copies all of src to dst with sendfile, so the ~10 MB of
// the binary never pass through user space: this runs at every start.
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
