package container

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/rootfs"
)

// openExecFifo takes a handle on the exec fifo while host paths are still
// reachable; after pivot_root only the handle leads to it.
func openExecFifo(path string) (int, error) {
	if path == "" {
		return -1, nil
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, stepErrf("create", "open exec fifo %s: %w", path, err)
	}
	return fd, nil
}

// waitForStart tells the parent the container is set up, then blocks on
// the exec fifo until `start` opens its other end. Opening a fifo for
// writing waits for a reader, which is exactly the hand-off needed, with
// no minirun process staying around in between.
func waitForStart(c conn, fifo int, log rootfs.Logger) error {
	if fifo < 0 {
		return nil
	}
	defer unix.Close(fifo)
	if err := c.send(message{Type: "created"}, -1); err != nil {
		return stepErrf("create", "report created: %w", err)
	}
	log("created; waiting for start")
	w, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", fifo), os.O_WRONLY, 0)
	if err != nil {
		return stepErrf("start", "open exec fifo: %w", err)
	}
	defer w.Close()
	if _, err := w.Write([]byte{0}); err != nil {
		return stepErrf("start", "write exec fifo: %w", err)
	}
	return nil
}
