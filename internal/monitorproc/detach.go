package monitorproc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/internal/timerslack"
)

// `run -d` through the lean minirun costs what it did before detached
// containers had monitors: the lean program starts minirun-docker as a
// child instead of exec'ing it, and that child, once it has made the
// container, becomes the container's monitor itself. So one Go program
// starts, as before, not two (a monitor of its own would be a second
// minirun-docker, whose start-up competes for the CPU with the first),
// and the record and config it just wrote are not read back. The child
// prints the id, lets go of the caller's stdio and says "ok" on a pipe;
// the lean program then exits 0. Should the child fail first, it reports
// the error as any command does and the lean program exits with its
// status.

// Detach runs exe with args and env as the `run -d` child described
// above, in a session of its own (so that the terminal's signals and
// hang-up never reach the monitor it becomes), and returns the status
// this process should exit with. SIGINT, SIGTERM, SIGHUP and SIGQUIT are
// passed on to it until it has answered: ^C still stops a `run -d` on
// its way.
func Detach(exe string, args, env []string) (int, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("run -d: pipe: %w", err)
	}
	defer r.Close()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT)
	defer signal.Stop(sigs)
	env = append(env[:len(env):len(env)], fmt.Sprintf("%s=%d", CallerEnv, CallerFd))
	// The child makes and starts the container as one sequence of
	// blocking calls, then copies its log: one P, as the lean program's
	// commands (internal/onep). From its environment, so that its Go
	// runtime starts that way; set later, the second P's threads and
	// spinning come first (about 3 ms of a 70 ms run -d, interleaved).
	// A pull on the way takes every CPU back (docker.EnsureImage).
	if _, set := os.LookupEnv("GOMAXPROCS"); !set {
		env = append(env, "GOMAXPROCS=1", OnePEnv+"=1")
	}
	cmd := &exec.Cmd{
		Path: exe, Args: args,
		Env:    env,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		// fd 3, as CallerFd says.
		ExtraFiles:  []*os.File{w},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	// The caller's slack: the monitor starts the container.
	err = timerslack.Start(cmd)
	w.Close()
	if err != nil {
		return 0, fmt.Errorf("run -d: start %s: %w", exe, err)
	}
	var answered sync.Mutex
	done := false
	go func() {
		for s := range sigs {
			answered.Lock()
			if !done {
				_ = cmd.Process.Signal(s)
			}
			answered.Unlock()
		}
	}()
	word, _ := io.ReadAll(r)
	answered.Lock()
	done = true
	answered.Unlock()
	if string(word) == OK {
		return 0, nil // it runs on as the monitor, reparented once we exit
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 0, fmt.Errorf("run -d: %w", err)
	}
	return 0, nil
}

var caller struct {
	once sync.Once
	f    *os.File
	oneP bool
}

// TakeCaller is minirun-docker's first step when a lean minirun started
// it through Detach: the pipe to the caller is made close-on-exec at
// once, so that nothing this process starts (a reaper, a helper) holds
// the caller waiting, and kept for Caller. The environment entries go,
// and the GOMAXPROCS Detach set with them: it is no one else's (a CNI
// plugin, a hook, the reaper).
func TakeCaller() {
	caller.once.Do(func() {
		v, ok := os.LookupEnv(CallerEnv)
		if !ok {
			return
		}
		os.Unsetenv(CallerEnv)
		if _, ok := os.LookupEnv(OnePEnv); ok {
			os.Unsetenv(OnePEnv)
			os.Unsetenv("GOMAXPROCS")
			caller.oneP = true
		}
		if v != fmt.Sprint(CallerFd) {
			return
		}
		if _, err := unix.FcntlInt(CallerFd, unix.F_GETFD, 0); err != nil {
			return
		}
		unix.CloseOnExec(CallerFd)
		caller.f = os.NewFile(CallerFd, "run-d-caller")
	})
}

// Caller is the pipe to the lean minirun that waits for this `run -d`
// (see Detach), or nil when there is none: the process then starts a
// monitor of its own (Spawn). Only the first call gets it.
func Caller() *os.File {
	TakeCaller()
	f := caller.f
	caller.f = nil
	return f
}

// OneP tells that Detach started this process with one P, which work
// that runs side by side (a pull) should raise while it lasts.
func OneP() bool {
	TakeCaller()
	return caller.oneP
}
