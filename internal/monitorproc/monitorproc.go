// Package monitorproc starts a Docker-style container's monitor process
// ahead of the container's making, and hands it over across the lean
// minirun's exec into minirun-docker. It is small and imports nothing of
// the image store, so the lean program can start the monitor while it
// hands `run -d` on: the two Go programs' start-ups then overlap instead
// of adding up (package docker's monitor.go is the monitor itself).
package monitorproc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Env marks the monitor process (its value: "1"); PendingEnv hands a
// started one on across an exec: "PID,REPORTFD,GOFD".
const (
	Env        = "MINIRUN_MONITOR"
	PendingEnv = "MINIRUN_MONITOR_PENDING"
)

// The monitor's fds: the report it writes its one word to, the pipe its
// arguments come through (EOF without them: go away), and the log.
const (
	ReportFd = 3
	GoFd     = 4
	LogFd    = 5
)

// Pending is a monitor started and waiting for its arguments.
type Pending struct {
	proc   *os.Process
	report *os.File // read end
	goPipe *os.File // write end
}

// Spawn starts exe as a monitor, in its own session with /dev/null for
// stdio (stderr: the caller's when timings is set, for --debug=timings),
// handing it logf (the caller's --log) if any.
func Spawn(exe string, logf *os.File, timings bool) (*Pending, error) {
	reportR, reportW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start monitor: %w", err)
	}
	goR, goW, err := os.Pipe()
	if err != nil {
		reportR.Close()
		reportW.Close()
		return nil, fmt.Errorf("start monitor: %w", err)
	}
	cmd := &exec.Cmd{
		Path: exe, Args: []string{"minirun-monitor"},
		Env:        append(os.Environ(), Env+"=1"),
		Dir:        "/", // hold no caller's directory busy
		ExtraFiles: []*os.File{reportW, goR},
		// Its own session: the caller's terminal and process group
		// signals don't reach it.
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if logf != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, logf)
	}
	if timings {
		cmd.Stderr = os.Stderr
	}
	err = cmd.Start()
	reportW.Close()
	goR.Close()
	if err != nil {
		reportR.Close()
		goW.Close()
		return nil, fmt.Errorf("start monitor: %w", err)
	}
	return &Pending{proc: cmd.Process, report: reportR, goPipe: goW}, nil
}

// HandOn keeps p's pipes open across this process's exec and returns
// the environment entry that lets the new program take it (Adopt).
func (p *Pending) HandOn() (string, error) {
	for _, f := range []*os.File{p.report, p.goPipe} {
		if _, err := unix.FcntlInt(f.Fd(), unix.F_SETFD, 0); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%s=%d,%d,%d", PendingEnv, p.proc.Pid, p.report.Fd(), p.goPipe.Fd()), nil
}

// Adopt takes the monitor a lean minirun started before it exec'd this
// program, if it did; it forgets the environment entry either way.
func Adopt() (*Pending, bool) {
	v, ok := os.LookupEnv(PendingEnv)
	if !ok {
		return nil, false
	}
	os.Unsetenv(PendingEnv)
	f := strings.Split(v, ",")
	if len(f) != 3 {
		return nil, false
	}
	var n [3]int
	for i, s := range f {
		var err error
		if n[i], err = strconv.Atoi(s); err != nil || n[i] <= 0 {
			return nil, false
		}
	}
	proc, err := os.FindProcess(n[0]) // our child: exec kept the pid
	if err != nil {
		return nil, false
	}
	unix.CloseOnExec(n[1])
	unix.CloseOnExec(n[2])
	return &Pending{proc: proc, report: os.NewFile(uintptr(n[1]), "monitor-report"), goPipe: os.NewFile(uintptr(n[2]), "monitor-go")}, true
}

// Go sends the monitor its arguments and returns its one word: "ok", or
// its error.
func (p *Pending) Go(args []byte) (string, error) {
	defer p.report.Close()
	_, err := p.goPipe.Write(args)
	p.goPipe.Close()
	if err != nil {
		_, _ = p.proc.Wait()
		return "", fmt.Errorf("its monitor is gone: %w", err)
	}
	word, _ := io.ReadAll(p.report)
	if string(word) == OK {
		// It runs on, reparented once this process ends.
		return OK, p.proc.Release()
	}
	_, _ = p.proc.Wait()
	if len(word) == 0 {
		return "", errors.New("its monitor ended before it said whether the container started")
	}
	return string(word), nil
}

// OK is the monitor's word for a container that runs.
const OK = "ok"

// Abort sends the monitor away without a container, and waits for it.
func (p *Pending) Abort() {
	if p == nil {
		return
	}
	p.goPipe.Close()
	p.report.Close()
	_, _ = p.proc.Wait()
}

// ReadArgs is the monitor's side: its arguments, once the caller sends
// them; false when the caller gave up.
func ReadArgs() ([]byte, bool) {
	f := os.NewFile(GoFd, "monitor-go")
	defer f.Close()
	b, err := io.ReadAll(f)
	return b, err == nil && len(b) > 0
}
