package docker

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/image"
)

// The lifecycle commands of the Docker form: start, stop, kill, wait,
// restart and rm, over containers the front made. Each brings the
// record up to date first (RefreshState), so a monitor that was killed
// reads as an exited container, never as a running one.

// DefaultStopTimeout is how long stop waits after the stop signal before
// SIGKILL, as Docker's.
const DefaultStopTimeout = 10 * time.Second

// ParseSignal takes 9, KILL, SIGKILL or sigkill.
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("signal %d out of range", n)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// Lookup finds the container ref names (a name, full id or id prefix)
// and brings its record up to date. dir is its directory.
func Lookup(rt *container.Runtime, store *image.Store, ref string) (r *Record, dir string, err error) {
	found, err := Find(store.ContainersDir(), ref)
	if err != nil {
		return nil, "", err
	}
	dir = filepath.Join(store.ContainersDir(), found.ID)
	r, err = RefreshState(rt, dir)
	return r, dir, err
}

// Start is `docker start NAME`: a created or exited container runs again
// through a new monitor, with its writable layer as it was left. A
// running one is left alone, as Docker does.
func Start(rt *container.Runtime, store *image.Store, ref string) error {
	r, dir, err := Lookup(rt, store, ref)
	if err != nil {
		return err
	}
	if live(r.State) {
		if r.State.Status == StatusRemoving {
			return errdefs.New(errdefs.ErrInvalid, "container "+ref+" is being removed")
		}
		return nil
	}
	if _, err := UpdateRecord(dir, func(r *Record) error {
		r.State.StoppedByUser = false
		return nil
	}); err != nil {
		return err
	}
	return StartMonitor(rt, store.Root, r.ID)
}

// stopSignal is the container's stop signal: --stop-signal, else SIGTERM.
func stopSignal(r *Record) unix.Signal {
	if r.Config.StopSignal != "" {
		if sig, err := ParseSignal(r.Config.StopSignal); err == nil {
			return sig
		}
	}
	return unix.SIGTERM
}

// Stop is `docker stop [-t N] NAME`: the stop signal, then SIGKILL once
// timeout has passed (nil: --stop-timeout, else 10 s), and it returns
// once the container has exited. The restart policy does not start it
// again. Stopping a container that is not running does nothing.
func Stop(rt *container.Runtime, store *image.Store, ref string, timeout *time.Duration) error {
	r, dir, err := Lookup(rt, store, ref)
	if err != nil || !live(r.State) {
		return err
	}
	if r, err = UpdateRecord(dir, func(r *Record) error {
		r.State.StoppedByUser = true
		return nil
	}); err != nil {
		return err
	}
	wait := DefaultStopTimeout
	if timeout != nil {
		wait = *timeout
	} else if r.Config.StopTimeout != nil {
		wait = time.Duration(*r.Config.StopTimeout) * time.Second
	}
	if r.State.Status == StatusRunning {
		if err := signal(rt, r.ID, stopSignal(r)); err != nil {
			return err
		}
		if exited(rt, dir, time.Now(), wait) {
			return nil
		}
		if err := signal(rt, r.ID, unix.SIGKILL); err != nil {
			return err
		}
	}
	// A restarting one's monitor sees StoppedByUser within 20 ms.
	if !exited(rt, dir, time.Now(), 30*time.Second) {
		return fmt.Errorf("stop %s: still running 30s after SIGKILL", ref)
	}
	return nil
}

// signal sends sig to container id's init; one that has just exited is
// not an error.
func signal(rt *container.Runtime, id string, sig unix.Signal) error {
	ctr, err := rt.Load(id)
	if err != nil {
		return err
	}
	if err := ctr.Kill(sig, false); err != nil && !errors.Is(err, errdefs.ErrNotFound) && !errors.Is(err, container.ErrNotRunning) {
		return err
	}
	return nil
}

// exited waits until the container in dir has exited since `since`
// (a restart policy may already have started it again), or d passed.
func exited(rt *container.Runtime, dir string, since time.Time, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		r, err := RefreshState(rt, dir)
		if err != nil || !live(r.State) || r.State.FinishedAt.After(since) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Kill is `docker kill [-s SIG] NAME`: SIGKILL unless told, and then it
// returns once the container has exited. SIGKILL and the stop signal
// count as the user stopping it: the restart policy leaves it down;
// other signals (SIGHUP to reload, say) do not.
func Kill(rt *container.Runtime, store *image.Store, ref string, sig unix.Signal) error {
	r, dir, err := Lookup(rt, store, ref)
	if err != nil {
		return err
	}
	if !live(r.State) || r.State.Status == StatusRemoving {
		return errdefs.New(errdefs.ErrNotRunning, fmt.Sprintf("cannot kill container %s: it is not running", ref))
	}
	if sig == unix.SIGKILL || sig == stopSignal(r) {
		if _, err := UpdateRecord(dir, func(r *Record) error {
			r.State.StoppedByUser = true
			return nil
		}); err != nil {
			return err
		}
	}
	if r.State.Status == StatusRestarting {
		return nil // nothing runs; its monitor keeps it down now
	}
	since := time.Now()
	if err := signal(rt, r.ID, sig); err != nil || sig != unix.SIGKILL {
		return err
	}
	// As Docker Engine's: once SIGKILL's kill returns, the container is
	// down and its record says so (inspect, ps, a script's next line).
	if !exited(rt, dir, since, 10*time.Second) {
		return fmt.Errorf("cannot kill container %s: still running 10s after SIGKILL", ref)
	}
	return nil
}

// Wait is `docker wait NAME`: it blocks until the container exits (its
// next exit, if a restart policy starts it again) and returns the exit
// code.
func Wait(rt *container.Runtime, store *image.Store, ref string) (int, error) {
	since := time.Now()
	r, dir, err := Lookup(rt, store, ref)
	if err != nil {
		return 0, err
	}
	for r.State.Status == StatusCreated || (live(r.State) && !r.State.FinishedAt.After(since)) {
		time.Sleep(10 * time.Millisecond)
		if r, err = RefreshState(rt, dir); err != nil {
			return 0, err
		}
	}
	return r.State.ExitCode, nil
}

// Remove is `docker rm [-f] NAME`: a running container is refused
// without force; with it, it is killed first, its monitor told to write
// nothing more (Status "removing"), and its layer and record go once
// the monitor has ended.
func Remove(rt *container.Runtime, store *image.Store, ref string, force bool) error {
	return RemoveContainer(rt, store, ref, force, false)
}

// RemoveContainer is Remove, and with volumes (rm -v) the container's
// anonymous volumes that no other container uses go too.
func RemoveContainer(rt *container.Runtime, store *image.Store, ref string, force, volumes bool) error {
	r, dir, err := Lookup(rt, store, ref)
	if err != nil {
		return err
	}
	if live(r.State) || MonitorAlive(dir) {
		if !force {
			return errdefs.New(errdefs.ErrInvalid, fmt.Sprintf("you cannot remove a running container %s: it is running; stop it first, or use --force (-f) to kill and remove it", r.ID[:12]))
		}
		if _, err := UpdateRecord(dir, func(r *Record) error {
			r.State.Status, r.State.StoppedByUser = StatusRemoving, true
			return nil
		}); err != nil {
			return err
		}
		if err := signal(rt, r.ID, unix.SIGKILL); err != nil {
			return err
		}
		deadline := time.Now().Add(30 * time.Second)
		for MonitorAlive(dir) {
			if time.Now().After(deadline) {
				return fmt.Errorf("rm %s: its monitor still runs 30s after SIGKILL of the container", ref)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// What a monitor or a foreground run killed on the way left under
	// the runtime's root.
	if ctr, err := rt.Load(r.ID); err == nil {
		if _, err := ctr.State(); err == nil {
			if err := ctr.Delete(true); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
				return err
			}
		}
	}
	if err := stopNetwork(store.Root, r.ID); err != nil {
		return err
	}
	if err := store.RemoveRootfs(r.ID); err != nil || !volumes {
		return err
	}
	return RemoveAnonymous(store.Root, volumeNames(r))
}

// RunAttached is `docker start -a`: this process runs the container in
// dir in the foreground as its monitor, with stdio as the container's
// and this process's signals passed on, keeps its State and returns its
// exit status. The restart policy is the detached monitor's alone.
func RunAttached(rt *container.Runtime, dir string, cfg container.Config, stdio container.IO) (int, error) {
	lock, err := holdMonitorLock(dir)
	if err != nil {
		return 0, err
	}
	defer lock.Close()
	if _, err := UpdateRecord(dir, func(r *Record) error {
		r.State.StoppedByUser = false
		return nil
	}); err != nil {
		return 0, err
	}
	storeRoot := filepath.Dir(filepath.Dir(dir))
	ctr, err := rt.Run(cfg, stdio, container.Lifecycle{
		ForwardSignals: true, ReaperEnv: reaperEnvFor(storeRoot, false),
		BeforeInit: func() (func(int) error, error) { return startNetwork(context.Background(), storeRoot, dir) },
	})
	if err != nil {
		_ = stopNetwork(storeRoot, cfg.ID)
		return 0, err
	}
	_, _ = UpdateRecord(dir, func(r *Record) error {
		markRunning(&r.State, ctr.Pid(), time.Now())
		return nil
	})
	code, err := ctr.Wait()
	_ = stopNetwork(storeRoot, cfg.ID)
	_, _ = UpdateRecord(dir, func(r *Record) error {
		markExited(&r.State, code, time.Now())
		return nil
	})
	return code, err
}
