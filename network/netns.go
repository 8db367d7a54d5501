package network

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/netlo"
)

// NewNetns makes a network namespace that lives as long as its bind mount
// at path, not as long as a process: the CNI plugins set it up before the
// container's init exists, and tear it down after the init is gone.
func NewNetns(path string) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("netns %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return fmt.Errorf("netns %s: %w", path, err)
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()
	done := make(chan error, 1)
	go func() {
		// The thread is left locked: once it has its own network
		// namespace it must never run another goroutine, and a locked
		// thread whose goroutine ends is thrown away by the Go runtime.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("netns %s: unshare: %w", path, err)
			return
		}
		src := "/proc/thread-self/ns/net"
		if err := unix.Mount(src, path, "", unix.MS_BIND, ""); err != nil {
			done <- fmt.Errorf("netns %s: bind mount: %w", path, err)
			return
		}
		// lo up here, on the thread that is in the namespace anyway: one
		// ioctl rather than the loopback plugin's two processes.
		if err := netlo.Up(); err != nil {
			done <- fmt.Errorf("netns %s: %w", path, err)
			return
		}
		done <- nil
	}()
	return <-done
}

// RemoveNetns unmounts and removes a namespace NewNetns made; a missing
// one is not an error, so every clean-up path may call it.
func RemoveNetns(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("netns %s: unmount: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("netns %s: %w", path, err)
	}
	return nil
}
