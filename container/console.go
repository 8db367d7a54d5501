package container

import (
	"fmt"
	"io"
	"net"
	"os"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

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
