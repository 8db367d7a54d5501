package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/container/config"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/image"
	"github.com/minirun/minirun/internal/monitorproc"
	"github.com/minirun/minirun/seccomp/watch"
)

// Result is what a run leaves: the container's ID and, in the
// foreground, its exit status (128+N when signal N killed it).
type Result struct {
	ID     string
	Status int
}

// Run is `docker run IMAGE [COMMAND] [ARG...]`: it makes the container
// (Create: its layer, record and config.json in the container's
// directory in store, an ordinary bundle) and starts it through rt like
// any runc-style container, so state, kill, exec and rm find it under
// rt.Root. Stdin is read only with o.Interactive. With Detach a monitor
// process runs it (StartMonitor), its output going to its json-file log,
// and Run returns once it runs. In the foreground this process is its
// monitor: it waits, keeps the record's State (unless Remove), writes
// the seccomp report or recording, and with Remove takes the container
// away. A failure before the start takes the container away too.
//
// Errors carry their errdefs class: not found for an image the store does
// not hold, already exists for a name in use, invalid for a flag or an
// image it can't run. Cancelling ctx kills a foreground container; Run
// then returns ctx's error with the status.
func Run(ctx context.Context, rt *container.Runtime, store *image.Store, o *RunOptions, stdio container.IO) (Result, error) {
	id, err := NewID()
	if err != nil {
		return Result{}, err
	}
	res := Result{ID: id}
	var mon *PendingMonitor
	var caller *os.File
	if o.Detach {
		if err := checkDetach(o); err != nil {
			return Result{}, err
		}
		// A lean minirun waits for this process, which becomes the
		// monitor; else one starts now, its start overlapping with the
		// mounting and writing below.
		if caller = monitorproc.Caller(); caller == nil {
			if mon, err = SpawnMonitor(rt, store.Root, id); err != nil {
				return res, err
			}
		}
	}
	c, spec, prof, err := create(ctx, rt, store, o, id, stdio.Stderr)
	if err != nil {
		caller.Close()
		mon.Abort()
		return res, err
	}
	// From here on, a failure or --rm must take the container away again.
	remove := func() {
		err := store.RemoveRootfs(c.ID)
		if err == nil {
			// Its anonymous volumes go with it, as with Docker's --rm.
			err = RemoveAnonymous(store.Root, anonymousNames(o))
		}
		if err != nil && stdio.Stderr != nil {
			fmt.Fprintf(stdio.Stderr, "minirun: cleanup: %v\n", err)
		}
	}
	if caller != nil {
		// Checked by prepare.
		logc, _ := LogConfigOf(o.LogDriver, o.LogOpts)
		err := monitorHere(rt, store.Root, c.ID, spec, logc, caller, stdio.Stdout)
		remove()
		return res, err
	}
	if o.Detach {
		if err := mon.Go(); err != nil {
			remove()
			return res, err
		}
		return res, nil
	}
	var lock *os.File
	if !o.Remove {
		// This process is the container's monitor while it runs.
		if lock, err = holdMonitorLock(c.Dir); err != nil {
			remove()
			return res, err
		}
		defer lock.Close()
	}
	ctr, err := start(rt, c, o, spec, prof, stdio, store.Root)
	if err != nil {
		_ = stopNetwork(store.Root, c.ID)
		remove()
		return res, err
	}
	started := time.Now()
	if !o.Remove {
		_, _ = UpdateRecord(c.Dir, func(r *Record) error {
			markRunning(&r.State, ctr.Pid(), started)
			return nil
		})
	}
	stop := context.AfterFunc(ctx, func() { _ = ctr.Kill(syscall.SIGKILL, true) })
	res.Status, err = ctr.Wait()
	stop()
	if nerr := stopNetwork(store.Root, c.ID); nerr != nil && stdio.Stderr != nil {
		fmt.Fprintf(stdio.Stderr, "minirun: cleanup: %v\n", nerr)
	}
	if o.Remove {
		remove()
	} else {
		restart := false
		_, _ = UpdateRecord(c.Dir, func(r *Record) error {
			markExited(&r.State, res.Status, time.Now())
			// A run cancelled by its caller is not restarted.
			restart = ctx.Err() == nil && markRestart(r, res.Status)
			return nil
		})
		if restart {
			// Docker's client stays attached to the first run only; the
			// policy goes on in a monitor, as after run -d.
			delay := nextBackoff(0, time.Since(started))
			if herr := handOff(rt, store.Root, c.Dir, lock, delay); herr != nil && stdio.Stderr != nil {
				fmt.Fprintf(stdio.Stderr, "minirun: %v\n", herr)
			}
		}
	}
	if cerr := ctx.Err(); cerr != nil && err == nil {
		err = cerr
	}
	return res, err
}

// checkDetach refuses what a detached run can't do.
func checkDetach(o *RunOptions) error {
	if o.Remove {
		return errdefs.New(errdefs.ErrInvalid, "run: --rm with -d is not supported: the monitor keeps an exited container for wait and logs (remove it with `minirun rm`)")
	}
	if o.Seccomp != (watch.Request{}) {
		return invalidf("run: --seccomp-report and --seccomp-record need a foreground run")
	}
	return nil
}

// Create is `docker create IMAGE [COMMAND] [ARG...]`: the container's
// layer mounted, its record saved with Status "created" and its
// config.json written, for Start. It returns the container's id; a
// failure leaves nothing.
func Create(ctx context.Context, rt *container.Runtime, store *image.Store, o *RunOptions, progress io.Writer) (string, error) {
	if o.Remove {
		return "", invalidf("create: --rm is not supported: minirun has no daemon to remove the container when it exits")
	}
	id, err := NewID()
	if err != nil {
		return "", err
	}
	_, _, _, err = create(ctx, rt, store, o, id, progress)
	if err != nil {
		return "", err
	}
	return id, nil
}

// create makes the container Run and Create start from: its image
// (pulled if o.Pull says so, its progress on progress), its layer, its
// record and its config.json. On failure nothing is left of it.
func create(ctx context.Context, rt *container.Runtime, store *image.Store, o *RunOptions, id string, progress io.Writer) (Container, *specs.Spec, profileSource, error) {
	if err := ctx.Err(); err != nil {
		return Container{}, nil, profileSource{}, err
	}
	if o.Remove && o.Restart.Name != "" && o.Restart.Name != "no" {
		return Container{}, nil, profileSource{}, invalidf("conflicting options: --restart %s and --rm", o.Restart.Name)
	}
	if o.StopSignal != "" {
		if _, err := ParseSignal(o.StopSignal); err != nil {
			return Container{}, nil, profileSource{}, invalidf("--stop-signal: %v", err)
		}
	}
	if err := checkPlatform(o.Platform); err != nil {
		return Container{}, nil, profileSource{}, err
	}
	img, err := EnsureImage(ctx, store, o.Image, o.Pull, progress)
	if err != nil {
		return Container{}, nil, profileSource{}, err
	}
	if err := CheckName(store.ContainersDir(), o.Name); err != nil {
		return Container{}, nil, profileSource{}, err
	}
	if err := checkNetworkExists(store.Root, netMode(o.Network)); err != nil {
		return Container{}, nil, profileSource{}, err
	}
	c, err := mountRootfs(store, img, id)
	if err == nil {
		c.Peer = peerOf(rt, store.ContainersDir())
		spec, prof, perr := prepare(c, o, store.Root)
		if perr == nil {
			return c, spec, prof, nil
		}
		err = perr
	}
	if rerr := store.RemoveRootfs(id); rerr != nil {
		err = fmt.Errorf("%w (and cleanup: %v)", err, rerr)
	}
	if rerr := RemoveAnonymous(store.Root, anonymousNames(o)); rerr != nil {
		err = fmt.Errorf("%w (and cleanup: %v)", err, rerr)
	}
	return Container{ID: id}, nil, profileSource{}, err
}

// mountRootfs mounts img's layers for container id (rootless: prepares
// them, for the container to mount inside its user namespace).
func mountRootfs(store *image.Store, img *image.Image, id string) (Container, error) {
	c := Container{ID: id, Image: img, IDMaps: store.Shift, Store: store.Root}
	var err error
	if container.Rootless() {
		if err := image.OverlayInUserns(); err != nil {
			return c, err
		}
		c.Rootfs, c.Overlay, err = store.PrepareRootfs(img, id)
	} else {
		c.Rootfs, err = store.MountRootfs(img, id)
	}
	c.Dir = filepath.Dir(c.Rootfs)
	return c, err
}

// prepare records c and writes its config.json, checked. The record is
// saved before the spec is built, since building it makes the named
// volumes, and a volume a record names is in use.
func prepare(c Container, o *RunOptions, storeRoot string) (*specs.Spec, profileSource, error) {
	logc, err := LogConfigOf(o.LogDriver, o.LogOpts)
	if err != nil {
		return nil, profileSource{}, err
	}
	labels, err := parseLabels(o.Labels, o.LabelFiles)
	if err != nil {
		return nil, profileSource{}, err
	}
	if err := nameAnonymous(o, c.Image.Config); err != nil {
		return nil, profileSource{}, err
	}
	rec := newRecord(c, o)
	rec.Config.Labels, rec.HostConfig.Init, rec.HostConfig.LogConfig = labels, o.Init, logc
	rec.Config.ExposedPorts = c.Image.Config.ExposedPorts
	recordNetwork(&rec, netMode(o.Network), &o.Net)
	if err := recordMounts(&rec, o, storeRoot); err != nil {
		return nil, profileSource{}, err
	}
	if usesVolumes(rec) {
		if err := rec.Save(c.Dir); err != nil {
			return nil, profileSource{}, fmt.Errorf("save container record: %w", err)
		}
	}
	spec, prof, err := buildSpec(c, o)
	if err != nil {
		return nil, prof, err
	}
	describe(&rec, c, o, spec)
	if err := rec.Save(c.Dir); err != nil {
		return nil, prof, fmt.Errorf("save container record: %w", err)
	}
	if err := WriteSpec(filepath.Join(c.Dir, "config.json"), spec); err != nil {
		return nil, prof, err
	}
	return spec, prof, config.Validate(unjoinedNetns(spec, netMode(o.Network)), c.Dir)
}

// usesVolumes says whether the container's record names volumes, which
// building its config makes: the record must be saved first, for them
// to be in use from the moment they exist. Without any, one save is
// enough, and run -d is the faster for it.
func usesVolumes(rec Record) bool {
	for _, m := range rec.Mounts {
		if m.Type == "volume" {
			return true
		}
	}
	return false
}

// newRecord is the record of a container made from o, not yet started;
// describe adds what the built config says.
func newRecord(c Container, o *RunOptions) Record {
	r := Record{ID: c.ID, Name: o.Name, Image: o.Image, ImageID: c.Image.ID, Created: time.Now().UTC()}
	r.Config.StopSignal, r.Config.StopTimeout = o.StopSignal, o.StopTimeout
	r.HostConfig.RestartPolicy = o.Restart
	if r.HostConfig.RestartPolicy.Name == "" {
		r.HostConfig.RestartPolicy.Name = "no"
	}
	r.State.Status = StatusCreated
	return r
}

// start starts the prepared container c in the foreground. The caller
// removes the container's directory when start fails.
func start(rt *container.Runtime, c Container, o *RunOptions, spec *specs.Spec, prof profileSource, stdio container.IO, storeRoot string) (*container.Container, error) {
	cfg := container.Config{ID: c.ID, Bundle: c.Dir, Spec: spec}
	lc := container.Lifecycle{
		ForwardSignals: o.SigProxy,
		Seccomp:        o.Seccomp,
		SeccompSource:  func() (*watch.Source, error) { return prof.source(spec), nil },
	}
	io := container.IO{Stdout: stdio.Stdout, Stderr: stdio.Stderr}
	if o.Interactive {
		io.Stdin = stdio.Stdin
	}
	// Should this process be killed, its reaper undoes the network, and
	// with --rm removes the overlay.
	lc.ReaperEnv = reaperEnvFor(storeRoot, o.Remove)
	lc.BeforeInit = func() (func(int) error, error) { return startNetwork(context.Background(), storeRoot, c.Dir) }
	return rt.Run(cfg, io, lc)
}

// peerOf finds, for --ipc and --pid container:REF, the init of a running
// container of this store.
func peerOf(rt *container.Runtime, containersDir string) func(string) (int, error) {
	return func(ref string) (int, error) {
		r, err := Find(containersDir, ref)
		if err != nil {
			return 0, err
		}
		ctr, err := rt.Load(r.ID)
		if err != nil {
			return 0, err
		}
		st, err := ctr.State()
		if err != nil || st.Status != specs.StateRunning {
			return 0, errdefs.New(errdefs.ErrNotRunning, "container "+ref+" is not running")
		}
		return st.Pid, nil
	}
}

// Init is minirun.Init for a program that runs images: besides a
// container's init and its reaper, this program may be re-executed as the
// image store's id-shifting helper (rootless), and a reaper of a --rm run
// removes the container's layer too.
func Init() {
	if image.IsShiftHelper() {
		image.ShiftHelper()
	}
	if IsMonitor() {
		Monitor()
	}
	container.RunRole(RemoveReaped)
}

// reaperStoreEnv names the image store whose container directory a
// reaper removes too, for a --rm run whose minirun was killed.
const reaperStoreEnv = "MINIRUN_REAPER_RM_STORE"

// RemoveReaped is the Docker front's part of a reaper's clean-up, once it
// has deleted container id: the writable layer and record of a --rm run.
// A reaper of any other container has nothing to do here.
func RemoveReaped(id string) error {
	if root := os.Getenv(reaperNetEnv); root != "" {
		if err := stopNetwork(root, id); err != nil {
			return err
		}
	}
	root := os.Getenv(reaperStoreEnv)
	if root == "" {
		return nil
	}
	s, err := image.Open(root)
	if err != nil {
		return err
	}
	var vols []string
	if r, err := LoadRecord(filepath.Join(s.ContainersDir(), id)); err == nil {
		vols = volumeNames(r)
	}
	if err := s.RemoveRootfs(id); err != nil {
		return err
	}
	// A --rm run's anonymous volumes go with it.
	return RemoveAnonymous(root, vols)
}

// WriteSpec saves s as path (a config.json), indented as `minirun spec`
// writes it, so a container made from an image is an ordinary bundle
// anyone can inspect or rerun with `run -b`.
func WriteSpec(path string, s *specs.Spec) error {
	data, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
