// Package monitorproc starts a Docker-style container's monitor process,
// and lets the lean minirun hand `run -d` on to a minirun-docker that
// becomes the monitor itself (Detach, Caller). It is small and imports
// nothing of the image store, so the lean program can use it (package
// docker's monitor.go is the monitor itself).
package monitorproc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"

	"github.com/minirun/minirun/internal/timerslack"
)

// Env marks the monitor process (its value: "1"); CallerEnv tells a
// minirun-docker that the lean minirun which started it waits for its
// word on fd CallerFd (Detach). OnePEnv says that Detach set the
// child's GOMAXPROCS, which the child then takes out of its environment.
const (
	Env       = "MINIRUN_MONITOR"
	CallerEnv = "MINIRUN_DETACH_CALLER"
	CallerFd  = 3
	OnePEnv   = "MINIRUN_DETACH_ONEP"
)

// Name is a monitor's process name (comm), whichever way it started.
const Name = "minirun-monitor"

// The monitor's fds: the report it writes its one word to, the pipe its
// arguments come through (EOF without them: go away), the log, and the
// container's monitor lock when a foreground run hands its container on
// (HeldFd: the very open file the run holds locked, so that the lock is
// never free between the two).
const (
	ReportFd = 3
	GoFd     = 4
	LogFd    = 5
	HeldFd   = 6
)

// Pending is a monitor started and waiting for its arguments.
type Pending struct {
	proc   *os.Process
	report *os.File // read end
	goPipe *os.File // write end
}

// Spawn starts exe as a monitor, in its own session with /dev/null for
// stdio (stderr: the caller's when timings is set, for --debug=timings),
// handing it logf (the caller's --log) and held (as HeldFd), if any.
func Spawn(exe string, logf, held *os.File, timings bool) (*Pending, error) {
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
		Path: exe, Args: []string{Name},
		Env:        append(os.Environ(), Env+"=1"),
		Dir:        "/", // hold no caller's directory busy
		ExtraFiles: []*os.File{reportW, goR},
		// Its own session: the caller's terminal and process group
		// signals don't reach it.
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	// A nil entry is an fd the monitor does not get.
	cmd.ExtraFiles = append(cmd.ExtraFiles, logf)
	if held != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, held)
	}
	if timings {
		cmd.Stderr = os.Stderr
	}
	// The caller's slack: the monitor starts the container.
	err = timerslack.Start(cmd)
	reportW.Close()
	goR.Close()
	if err != nil {
		reportR.Close()
		goW.Close()
		return nil, fmt.Errorf("start monitor: %w", err)
	}
	return &Pending{proc: cmd.Process, report: reportR, goPipe: goW}, nil
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
