package container

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/minirun/minirun/internal/timerslack"
	"github.com/minirun/minirun/state"
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
// Until then it waits in the nsenter package's C pre-main, so the Go
// runtime only starts when there is work. It runs in a session of its own, so the terminal's ^C, which goes to
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

// reaper is the running reaper of this process's foreground start.
type reaper struct {
	proc *os.Process
	pipe *os.File // the write end: held, never written
}

// startReaper starts the reaper of a foreground start. The write end of
// its pipe stays open here, close-on-exec, until stop or this process's end.
func startReaper(o *options, reg *registration) (*reaper, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, stepErrf("start reaper", "pipe: %w", err)
	}
	defer r.Close()
	fail := func(err error) (*reaper, error) {
		w.Close()
		return nil, stepErrf("start reaper", "%w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	root, err := filepath.Abs(o.Root)
	if err != nil {
		return fail(err)
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
	// The caller's slack: the reaper may run poststop hooks.
	if err := timerslack.Start(cmd); err != nil {
		return fail(err)
	}
	return &reaper{proc: cmd.Process, pipe: w}, nil
}

// stop ends the reaper once the container is deleted, or was never
// started, and waits for it: when minirun returns, nothing of it runs on
// (a reaper still running the binary would also keep it ETXTBSY).
func (r *reaper) stop() {
	if r == nil {
		return
	}
	_ = r.proc.Kill()
	_, _ = r.proc.Wait()
	r.pipe.Close()
}

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
	sr, err := state.OpenRoot(t.Root)
	if err != nil {
		return false, nil // nothing of ours can be there
	}
	h, st, err := open(sr, t.ID)
	if err != nil {
		return false, nil // deleted: a normal exit
	}
	mine := st.Created.UnixNano() == t.Created
	h.Unlock()
	if !mine {
		return false, nil // the id was used again since
	}
	return true, (&Runtime{Root: t.Root}).handle(t.ID).Delete(true)
}
