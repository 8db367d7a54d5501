package initproc

import (
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/trace"
)

// The create/start hand-off. The parent opens the exec fifo read-write
// and passes it to the init, which, once set up, blocks reading it;
// `start` opens the fifo for writing and writes one byte. Nothing is
// opened by path inside the init, so this works whatever mount namespace
// the init is in (joined, pivoted) and whatever uid it maps to, and no
// minirun process has to stay around in between. Because the init holds
// a writer itself, its read never sees EOF; and because it holds the only
// reader, `start` gets ENXIO (no reader) once the init is gone.

// openExecFifo returns the fifo fd the parent passed, or -1 without one.
func openExecFifo(sys system, cfg *Config) (int, error) {
	if cfg.ExecFifoFd <= 0 {
		return -1, nil
	}
	// Never into the container: execve closes it.
	_, _ = sys.Fcntl(cfg.ExecFifoFd, unix.F_SETFD, unix.FD_CLOEXEC)
	return cfg.ExecFifoFd, nil
}

// waitForStart tells the parent the container is set up, then blocks on
// the exec fifo until `start` writes to it.
func waitForStart(sys system, fifo int, log trace.Logger) error {
	if fifo < 0 {
		return nil
	}
	defer sys.Close(fifo)
	if err := sys.Send(Message{Type: "created"}, -1); err != nil {
		return stepErrf("create", "report created: %w", err)
	}
	log("created; waiting for start")
	var b [1]byte
	for {
		n, err := sys.Read(fifo, b[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return stepErrf("start", "read exec fifo: %w", err)
		}
		if n == 1 {
			return nil
		}
	}
}
