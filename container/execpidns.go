package container

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container/initproc"
)

// An exec into a container with a user namespace enters the pid namespace
// from inside the child, not from this process (see nsenter/nsenter.go).
// The container's pid namespace belongs to its user namespace, and setns
// into it needs CAP_SYS_ADMIN there: root has it from the host, a caller
// without root only once it has joined that user namespace, which a
// multithreaded Go program never can. So the child's C pre-main joins the
// user namespace first, then the others with the pid namespace among
// them, and forks the exec'd process into it with CLONE_PARENT: that
// process is this one's own child, and its pid comes back on the sync
// socket before anything else. The first child exits at once; Wait reaps
// both.

// pidInChild hands the pid namespace to the child's pre-main when the
// child joins a user namespace as well: afterwards js.pid is nil and the
// last entry of the list is "pid".
func (js *joinSet) pidInChild() {
	if js.pid == nil || !slices.Contains(js.names, "user") {
		return
	}
	js.files = append(js.files, js.pid)
	js.names = append(js.names, "pid")
	js.pid = nil
}

// forksIntoPid reports whether the child's pre-main forks into a pid
// namespace (pidInChild).
func (js *joinSet) forksIntoPid() bool {
	return js != nil && slices.Contains(js.names, "pid")
}

// startForking starts cmd, whose pre-main forks into the pid namespace,
// and returns the process it forked. childSock, the child's end of the
// sync socket c, is closed once the child has it, so a child that dies
// unheard is EOF here. Go's Pdeathsig for cmd is
// handed to the pre-main, which sets it again after its fork (a fork
// clears it), as startIn does.
func startForking(cmd *exec.Cmd, sockFd int, childSock *os.File) (*os.Process, error) {
	c := initproc.NewConn(sockFd)
	if cmd.SysProcAttr != nil && cmd.SysProcAttr.Pdeathsig != 0 {
		cmd.SysProcAttr.Pdeathsig = 0
		cmd.Env = append(cmd.Env, initproc.PdeathsigEnv+"=1")
	}
	err := cmd.Start()
	childSock.Close()
	if err != nil {
		return nil, err
	}
	if err := awaitHandoff(sockFd, cmd.Process.Pid); err != nil {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		return nil, err
	}
	var m initproc.Message
	_, err = c.Recv(&m)
	switch {
	case err == nil && m.Type == "pid" && m.Code > 0:
		// Our child (CLONE_PARENT): a pidfd is opened while it waits
		// for its config, so the pid can't be reused under us.
		p, err := os.FindProcess(m.Code)
		if err != nil {
			return nil, fmt.Errorf("pid %d forked into the pid namespace: %w", m.Code, err)
		}
		// The first child is done: reap it now, or a detached exec
		// leaves it a zombie for whoever inherits it.
		if st, err := cmd.Process.Wait(); err != nil || !st.Success() {
			_ = p.Kill()
			_, _ = p.Wait()
			return nil, fmt.Errorf("the child that forked into the pid namespace: %v %v", st, err)
		}
		return p, nil
	case err == nil && m.Type == "error":
		_, _ = cmd.Process.Wait()
		code := m.Code
		if code == 0 {
			code = ExitRuntime
		}
		return nil, &Error{Step: m.Step, Code: code, Err: errors.New(m.Err)}
	case err == nil:
		err = fmt.Errorf("message %q before the pid", m.Type)
	case errors.Is(err, initproc.ErrEOF):
		err = errors.New("the child exited before it entered the pid namespace")
	}
	_ = cmd.Process.Kill()
	_, _ = cmd.Process.Wait()
	return nil, err
}

// awaitHandoff waits until the socket has the first child's message, or
// the first child is gone without one (killed between its fork and its
// message): then the process it forked, if any, holds the socket open and
// waits for its config, and a plain receive would wait for ever. Closing
// our end (the caller's defer) ends that one.
func awaitHandoff(sock, pid int) error {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil // no pidfd: the receive alone
	}
	defer unix.Close(pidfd)
	for timeout := -1; ; {
		fds := []unix.PollFd{{Fd: int32(sock), Events: unix.POLLIN}, {Fd: int32(pidfd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, timeout)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return fmt.Errorf("wait for the pid forked into the pid namespace: poll: %w", err)
		case fds[0].Revents != 0:
			return nil
		case n == 0:
			return errors.New("the child that forks into the pid namespace exited without handing over a pid")
		}
		timeout = 0 // it exited: one more look for a message it sent first
	}
}

// waitProcess waits for the container process and returns its status:
// cmd's own, or, when cmd's pre-main forked it into a pid namespace, the
// forked process's. cmd was reaped already then (startForking); its Wait
// still ends the copying of stdio that is not a file, and its error, that
// the process was waited for, says nothing.
func (p *Process) waitProcess() (*os.ProcessState, error) {
	if p.forked == nil {
		err := p.cmd.Wait()
		return p.cmd.ProcessState, err
	}
	ps, err := p.forked.Wait()
	_ = p.cmd.Wait()
	return ps, err
}

// killForked ends and reaps the process forked into the pid namespace, if
// any, for Process.kill.
func (p *Process) killForked() {
	if p.forked != nil {
		_ = p.forked.Signal(syscall.SIGKILL)
		_, _ = p.forked.Wait()
	}
}
