// Package netlo brings the loopback interface up in the calling thread's
// network namespace. The kernel creates lo down in a new namespace, and
// then even 127.0.0.1 is unreachable, which nobody expects of a
// container: the init does it for a namespace it makes, the network
// package for one it makes for the Docker front.
package netlo

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Up sets IFF_UP on lo with two ioctls: no netlink socket and no
// process, which is all a fresh namespace needs.
func Up() error {
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
	return nil
}
