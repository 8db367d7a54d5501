package initproc

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/trace"
)

// loopbackUp brings lo up in a new network namespace, where the kernel
// creates it down. Without it even 127.0.0.1 is unreachable, which is not
// what anyone expects of `--network none`.
func loopbackUp(log trace.Logger) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket for lo: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("get lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	log("network: lo up")
	return nil
}
