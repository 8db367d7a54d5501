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
	own, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return fmt.Errorf("netns %s: open own: %w", path, err)
	}
	defer own.Close()
	done := make(chan error, 1)
	go func() {
		// A locked thread makes the namespace and goes back to its own
		// before it runs anything else. Should it not get back, it stays
		// locked and the Go runtime discards it with the goroutine, or,
		// were it the main thread, parks it for good: never left for
		// other goroutines in the container's namespace. (Left there, a
		// main thread would also keep the namespace alive after its
		// teardown, for the life of a program that uses minirun's API.)
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("netns %s: unshare: %w", path, err)
			return
		}
		err := unix.Mount("/proc/thread-self/ns/net", path, "", unix.MS_BIND, "")
		if err != nil {
			err = fmt.Errorf("netns %s: bind mount: %w", path, err)
		} else if err = netlo.Up(); err != nil {
			// lo up here, on the thread that is in the namespace anyway:
			// one ioctl rather than the loopback plugin's two processes.
			err = fmt.Errorf("netns %s: %w", path, err)
			_ = unix.Unmount(path, unix.MNT_DETACH)
		}
		if unix.Setns(int(own.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		done <- err
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
