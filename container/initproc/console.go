package initproc

import (
	"fmt"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/trace"
)

// setupConsole gives the process a terminal when process.terminal asks
// for one. It runs after pivot_root, so the pty comes from the
// container's own devpts instance (/dev/ptmx there): a slave from the
// host's devpts would be meaningless, and unreachable, inside. The slave
// becomes stdio and the controlling terminal; the master goes to the
// parent, which hands it to --console-socket or copies it to its stdio.
func setupConsole(sys system, p *specs.Process, log trace.Logger) error {
	if !p.Terminal {
		return nil
	}
	master, slave, err := sys.OpenPty(p.ConsoleSize, p.User)
	if err != nil {
		return stepErr("console", err)
	}
	defer sys.Close(slave)
	err = sys.Send(Message{Type: "pty"}, master)
	sys.Close(master)
	if err != nil {
		return stepErrf("console", "send pty master: %w", err)
	}
	if err := sys.SetConsole(slave); err != nil {
		return stepErr("console", err)
	}
	log("console: pty slave is stdio and controlling terminal")
	return nil
}

// setConsole makes slave this process's controlling terminal and stdio.
func setConsole(slave int) error {
	if _, err := unix.Setsid(); err != nil && err != unix.EPERM {
		return fmt.Errorf("setsid: %w", err)
	}
	if err := unix.IoctlSetInt(slave, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("ioctl TIOCSCTTY: %w", err)
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return fmt.Errorf("dup3 pty slave to fd %d: %w", fd, err)
		}
	}
	return nil
}

// openPty opens a pty pair, the slave of size when given and owned by
// the process's user, as runc leaves it: a process that is not root must
// be able to reopen its own terminal (/proc/self/fd/0), which devpts's
// mode=0620 otherwise refuses it. The group stays devpts's (tty), so the
// user's other groups get no write access to it; a user the namespace
// doesn't map keeps root's ownership, as runc lets it.
func openPty(size *specs.Box, owner specs.User) (master, slave int, err error) {
	master, err = unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, -1, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	if err := unix.IoctlSetPointerInt(master, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(master)
		return -1, -1, fmt.Errorf("unlockpt: %w", err)
	}
	// TIOCGPTPEER opens the slave through the master, with no path lookup
	// that a container could redirect.
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(master), unix.TIOCGPTPEER, unix.O_RDWR|unix.O_NOCTTY)
	slave, err = int(r), error(nil)
	if errno != 0 {
		n, err2 := unix.IoctlGetInt(master, unix.TIOCGPTN)
		if err2 != nil {
			unix.Close(master)
			return -1, -1, fmt.Errorf("ptsname: %w", err2)
		}
		slave, err = unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY, 0)
	}
	if err != nil {
		unix.Close(master)
		return -1, -1, fmt.Errorf("open pty slave: %w", err)
	}
	if err := unix.Fchown(slave, int(owner.UID), -1); err != nil && err != unix.EINVAL && err != unix.EPERM && err != unix.EROFS {
		unix.Close(slave)
		unix.Close(master)
		return -1, -1, fmt.Errorf("chown pty slave to uid %d: %w", owner.UID, err)
	}
	if size != nil {
		ws := &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
		_ = unix.IoctlSetWinsize(slave, unix.TIOCSWINSZ, ws)
	}
	return master, slave, nil
}
