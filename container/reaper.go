package container

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A foreground run cleans up when its container exits (Wait, then
// Delete). A minirun killed on the way (SIGKILL, the OOM killer) gets no
// chance to: the init dies with it through PDEATHSIG, but its state, its
// cgroup and, for the Docker front, its overlay would stay until someone
// runs delete. So a foreground start leaves a reaper beside it: a second
// minirun that only waits on a pipe whose other end this process holds.
// The pipe ends when minirun ends, however it ends; the reaper then
// deletes the container if it is still the one this start registered
// (Delete already did it on a normal exit, and then it just leaves).
//
// It runs in a session of its own, so the terminal's ^C, which goes to
// the foreground run and through it to the container, does not reach it,
// and with /dev/null for stdio, so it holds no caller's pipe open.

const reaperEnv = "MINIRUN_REAPER"

// ReaperTarget is what a reaper was started for.
type ReaperTarget struct {
	Root, ID string
	Created  int64 // the registration's creation time, UnixNano: its identity
}

// IsReaper tells main that this process is a reaper; ReaperArgs says for what.
func IsReaper() bool { return os.Getenv(reaperEnv) != "" }

// ReaperArgs reads the target from the environment; the pipe is fd 3.
func ReaperArgs() (ReaperTarget, error) {
	// ROOT is last: a path may hold any byte but NUL, an id no "/".
	f := strings.SplitN(os.Getenv(reaperEnv), "/", 3)
	if len(f) != 3 {
		return ReaperTarget{}, fmt.Errorf("reaper: malformed %s", reaperEnv)
	}
	created, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return ReaperTarget{}, fmt.Errorf("reaper: %s: %w", reaperEnv, err)
	}
	return ReaperTarget{Root: "/" + f[2], ID: f[1], Created: created}, nil
}

// startReaper starts the reaper of a foreground start. The write end of
// its pipe stays open in this process, close-on-exec, until it exits.
func startReaper(o *Options, reg *registration) error {
	r, w, err := os.Pipe()
	if err != nil {
		return stepErrf("start reaper", "pipe: %w", err)
	}
	defer r.Close()
	exe, err := os.Executable()
	if err != nil {
		w.Close()
		return stepErrf("start reaper", "find own binary: %w", err)
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		w.Close()
		return stepErrf("start reaper", "%w", err)
	}
	// CREATED/ID/ROOT: ROOT is absolute, so it brings its own "/".
	target := strconv.FormatInt(reg.st.Created.UnixNano(), 10) + "/" + o.ID + root
	cmd := &exec.Cmd{
		Path:        exe,
		Args:        []string{"minirun-reaper"},
		Env:         append([]string{reaperEnv + "=" + target, "PATH=" + os.Getenv("PATH")}, o.ReaperEnv...),
		ExtraFiles:  []*os.File{r},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	if err := cmd.Start(); err != nil {
		w.Close()
		return stepErrf("start reaper", "%w", err)
	}
	// Idle priority: its Go start-up (a few ms of CPU) must not compete
	// with the container's; it has nothing to do until this process ends.
	_ = unix.SchedSetAttr(cmd.Process.Pid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}, 0)
	// Not waited for: it outlives this process when it matters. A normal
	// exit leaves it to the reaper of whoever inherits it.
	_ = cmd.Process.Release()
	reaperPipe = w
	return nil
}

// reaperPipe is held, never written, for the life of this process.
var reaperPipe *os.File

// Reap waits for the foreground minirun to end, then deletes what it left.
// It reports whether there was anything to delete.
func Reap(t ReaperTarget) (bool, error) {
	pipe := os.NewFile(3, "reaper-pipe")
	buf := make([]byte, 1)
	for {
		if _, err := pipe.Read(buf); err != nil {
			break // EOF: the runtime is gone
		}
	}
	h, st, err := open(t.Root, t.ID)
	if err != nil {
		return false, nil // deleted: a normal exit
	}
	mine := st.Created.UnixNano() == t.Created
	h.Unlock()
	if !mine {
		return false, nil // the id was used again since
	}
	return true, Delete(t.Root, t.ID, true)
}
