package container

import (
	"fmt"
	"io"
	"net"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/trace"
)

// setupConsole gives the process a terminal when process.terminal asks
// for one. It runs after pivot_root, so the pty comes from the
// container's own devpts instance (/dev/ptmx there): a slave from the
// host's devpts would be meaningless, and unreachable, inside. The slave
// becomes stdio and the controlling terminal; the master goes to the
// parent, which hands it to --console-socket or copies it to its stdio.
func setupConsole(c conn, p *specs.Process, log trace.Logger) error {
	if !p.Terminal {
		return nil
	}
	master, slave, err := openPty()
	if err != nil {
		return stepErr("console", err)
	}
	defer unix.Close(slave)
	if p.ConsoleSize != nil {
		ws := &unix.Winsize{Row: uint16(p.ConsoleSize.Height), Col: uint16(p.ConsoleSize.Width)}
		_ = unix.IoctlSetWinsize(slave, unix.TIOCSWINSZ, ws)
	}
	err = c.send(message{Type: "pty"}, master)
	unix.Close(master)
	if err != nil {
		return stepErrf("console", "send pty master: %w", err)
	}
	if _, err := unix.Setsid(); err != nil && err != unix.EPERM {
		return stepErrf("console", "setsid: %w", err)
	}
	if err := unix.IoctlSetInt(slave, unix.TIOCSCTTY, 0); err != nil {
		return stepErrf("console", "ioctl TIOCSCTTY: %w", err)
	}
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup3(slave, fd, 0); err != nil {
			return stepErrf("console", "dup3 pty slave to fd %d: %w", fd, err)
		}
	}
	log("console: pty slave is stdio and controlling terminal")
	return nil
}

func openPty() (master, slave int, err error) {
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
	return master, slave, nil
}

// sendConsole hands the pty master to the listener on --console-socket,
// as runc does: one message whose SCM_RIGHTS carries the fd.
func sendConsole(path string, master int) error {
	conn, err := net.Dial("unix", path)
	if err != nil {
		return fmt.Errorf("connect to console socket %s: %w", path, err)
	}
	defer conn.Close()
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("console socket %s: not a unix socket", path)
	}
	if _, _, err := uc.WriteMsgUnix([]byte("/dev/ptmx"), unix.UnixRights(master), nil); err != nil {
		return fmt.Errorf("send pty master to %s: %w", path, err)
	}
	return nil
}

// proxyConsole copies between this process's stdio and the pty master, for
// a foreground container with a terminal and no --console-socket. The
// local terminal is put in raw mode so keys reach the container unchanged.
func proxyConsole(master *os.File, in io.Reader, out io.Writer) (restore func(), done <-chan struct{}) {
	restore = func() {}
	finished := make(chan struct{})
	if f, ok := in.(*os.File); ok {
		if old, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
			raw := *old
			raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
			raw.Oflag &^= unix.OPOST
			raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
			raw.Cflag &^= unix.CSIZE | unix.PARENB
			raw.Cflag |= unix.CS8
			if unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, &raw) == nil {
				restore = func() { _ = unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, old) }
			}
			copyWinsize(master, in)
		}
	}
	if in != nil {
		go func() { _, _ = io.Copy(master, in) }()
	}
	if out == nil {
		out = io.Discard
	}
	go func() {
		_, _ = io.Copy(out, master)
		close(finished)
	}()
	return restore, finished
}

// inheritConsoleSize gives a terminal process the size of the caller's
// terminal when the config names none. It is set before the start so the
// process's first look at its terminal (stty, a shell's prompt) already
// sees it; copying it later in Wait would race with that.
func inheritConsoleSize(p *specs.Process, in io.Reader) {
	if !p.Terminal || p.ConsoleSize != nil {
		return
	}
	f, ok := in.(*os.File)
	if !ok {
		return
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Row == 0 {
		return
	}
	p.ConsoleSize = &specs.Box{Height: uint(ws.Row), Width: uint(ws.Col)}
}

// copyWinsize gives the pty master the window size of the terminal in.
func copyWinsize(master *os.File, in io.Reader) {
	f, ok := in.(*os.File)
	if !ok {
		return
	}
	if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil {
		_ = unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, ws)
	}
}
