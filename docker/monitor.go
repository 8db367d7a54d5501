package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/opencontainers/runtime-spec/specs-go"

	"github.com/minirun/minirun/container"
	"github.com/minirun/minirun/container/config"
	"github.com/minirun/minirun/errdefs"
	"github.com/minirun/minirun/internal/monitorproc"
	"github.com/minirun/minirun/internal/trace"
)

// A detached container's monitor is what conmon is to podman, with no
// daemon: minirun-docker re-executed in a session of its own, with
// /dev/null for stdio. It runs the container in the foreground (it is
// the container's parent, and the container dies with it through the
// parent-death signal, the reaper that every foreground start leaves
// cleaning up after both), copies its stdout and stderr into the
// json-file log, keeps the record's State, and carries out the restart
// policy. The command that started it (run -d, start) waits on a pipe
// for one word: the container runs, or why it could not start.

// monitorArgs is what a monitor is started for, in its environment.
type monitorArgs struct {
	Root  string // the runtime's state root (--root)
	Store string // the image store (--store)
	ID    string
	Debug bool
	// LogJSON: the log handed over as fd 4 (--log, or stderr with
	// --debug) is in JSON. The monitor writes there until the first start
	// is reported, so the caller's trace and errors read as before.
	Log, LogJSON bool
	// Timings is --debug=timings: the monitor's steps go to the caller's
	// stderr (fd 2 until the start is reported).
	Timings bool
	// Handoff: a foreground run hands on its container, exited and due a
	// restart by its policy (handOff). The monitor lock is the run's, as
	// fd HeldFd; the container starts again after Delay, and the run has
	// its answer before that, once this monitor holds the container.
	Handoff bool          `json:",omitempty"`
	Delay   time.Duration `json:",omitempty"`
	// What a run -d that is its own monitor (monitorHere) has just
	// written, and need not read back: the config and the log's.
	spec *specs.Spec
	logc *LogConfig
}

// IsMonitor tells main that this process is a container's monitor.
func IsMonitor() bool { return os.Getenv(monitorproc.Env) != "" }

// StartMonitor starts the monitor of container id, whose record, layer
// and config.json are in place under store, and returns once the
// container runs, or with the reason it could not start (of the class
// the start failed with: a missing command is still 127). A monitor that
// fails to start the container leaves nothing of it under rt.Root.
func StartMonitor(rt *container.Runtime, storeRoot, id string) error {
	m, err := SpawnMonitor(rt, storeRoot, id)
	if err != nil {
		return err
	}
	return m.Go()
}

// PendingMonitor is a monitor process started ahead of its container's
// making, so that its start-up (a Go program's) overlaps with the
// caller's. Go or Abort must follow. (A `run -d` the lean minirun hands
// on needs none: that process becomes the monitor, monitorHere.)
type PendingMonitor struct {
	p    *monitorproc.Pending
	args monitorArgs
}

// SpawnMonitor starts the monitor of container id, to wait for Go.
func SpawnMonitor(rt *container.Runtime, storeRoot, id string) (*PendingMonitor, error) {
	return spawnMonitor(rt, storeRoot, id, nil)
}

// spawnMonitor is SpawnMonitor handing the monitor held, a foreground
// run's monitor lock, if not nil.
func spawnMonitor(rt *container.Runtime, storeRoot, id string, held *os.File) (*PendingMonitor, error) {
	root, err := filepath.Abs(rt.Root)
	if err != nil {
		return nil, err
	}
	store, err := filepath.Abs(storeRoot)
	if err != nil {
		return nil, err
	}
	logf, asJSON := trace.LogFile()
	m := &PendingMonitor{args: monitorArgs{Root: root, Store: store, ID: id, Debug: rt.Debug,
		Log: logf != nil, LogJSON: asJSON, Timings: trace.Timings}}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start monitor: %w", err)
	}
	if m.p, err = monitorproc.Spawn(exe, logf, held, trace.Timings); err != nil {
		return nil, err
	}
	return m, nil
}

// callerAnswer is the answer of a `run -d` that is the monitor itself
// (monitorHere): the id on the caller's stdout, then this process lets go
// of the caller's stdio and says "ok" to the lean minirun waiting on the
// pipe. A failure is the command's to report, as any command's.
type callerAnswer struct {
	pipe   *os.File
	id     string
	stdout io.Writer
	a      monitorArgs
	ok     bool
}

func (c *callerAnswer) failed(error) {}

func (c *callerAnswer) started() {
	fmt.Fprintln(c.stdout, c.id)
	dropLog(c.a)
	// Held, the caller's stdio would keep a $(minirun run -d ...) or a
	// pipe from ever ending.
	if null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0); err == nil {
		for fd := 0; fd <= 2; fd++ {
			_ = unix.Dup2(int(null.Fd()), fd)
		}
		null.Close()
	}
	_, _ = c.pipe.WriteString(monitorOK)
	c.pipe.Close()
	c.ok = true
}

// monitorHere makes this process, a `run -d` the lean minirun waits on
// through caller (monitorproc.Detach), the monitor of container id. It
// returns only when the first start failed, with the reason; once the
// container runs, this process is its monitor until the end and exits.
func monitorHere(rt *container.Runtime, storeRoot, id string, spec *specs.Spec, logc LogConfig, caller *os.File, stdout io.Writer) error {
	defer caller.Close()
	root, err := filepath.Abs(rt.Root)
	if err != nil {
		return err
	}
	store, err := filepath.Abs(storeRoot)
	if err != nil {
		return err
	}
	logf, asJSON := trace.LogFile()
	a := monitorArgs{Root: root, Store: store, ID: id, Debug: rt.Debug,
		Log: logf != nil, LogJSON: asJSON, Timings: trace.Timings, spec: spec, logc: &logc}
	// Hold no caller's directory busy.
	_ = os.Chdir("/")
	nameMonitor()
	answer := &callerAnswer{pipe: caller, id: id, stdout: stdout, a: a}
	err = monitor(a, answer)
	if !answer.ok {
		return err
	}
	if err != nil {
		os.Exit(errdefs.ExitRuntime)
	}
	os.Exit(0)
	return nil
}

// Go lets the monitor start the container, and waits for its word.
func (m *PendingMonitor) Go() error {
	args, err := json.Marshal(m.args)
	if err != nil {
		m.p.Abort()
		return err
	}
	word, err := m.p.Go(args)
	if err != nil {
		return fmt.Errorf("start container %s: %w", m.args.ID[:12], err)
	}
	if word != monitorproc.OK {
		return decodeMonitorError(word)
	}
	return nil
}

// Abort sends the monitor away without a container, and waits for it.
func (m *PendingMonitor) Abort() {
	if m != nil {
		m.p.Abort()
	}
}

const monitorOK = monitorproc.OK

// encodeMonitorError is err as the monitor sends it: the exit code its
// class gives, a space, the message. decodeMonitorError gives back an
// error of that class, for the caller to exit with the same status.
func encodeMonitorError(err error) string {
	return strconv.Itoa(errdefs.ExitCode(err)) + " " + strings.ReplaceAll(err.Error(), "\n", " ")
}

func decodeMonitorError(s string) error {
	code, msg, _ := strings.Cut(s, " ")
	switch code {
	case strconv.Itoa(errdefs.ExitNotFound):
		return errdefs.New(errdefs.ErrCommandNotFound, msg)
	case strconv.Itoa(errdefs.ExitNoExec):
		return errdefs.New(errdefs.ErrNotExecutable, msg)
	}
	return errors.New(msg)
}

// Monitor is the monitor's main: it never returns.
func Monitor() {
	os.Unsetenv(monitorproc.Env)
	// One sequence of blocking calls, and a log to copy: one P, as a
	// run -d that is its own monitor.
	runtime.GOMAXPROCS(1)
	// The report pipe, the log and a held lock are this process's own:
	// what it starts (the reaper, the CNI plugins) must not keep them open,
	// or a caller waits on the report, or a --log file stays held for the
	// container's whole life.
	for _, fd := range []int{monitorproc.ReportFd, monitorproc.LogFd, monitorproc.HeldFd} {
		unix.CloseOnExec(fd)
	}
	// Wait for the caller to have the container made; a pipe closed
	// without the arguments means it gave up.
	data, ok := monitorproc.ReadArgs()
	if !ok {
		os.Exit(0)
	}
	report := os.NewFile(monitorproc.ReportFd, "monitor-report")
	var a monitorArgs
	if err := json.Unmarshal(data, &a); err != nil {
		fmt.Fprintf(report, "%s", encodeMonitorError(fmt.Errorf("monitor: malformed arguments: %w", err)))
		os.Exit(errdefs.ExitRuntime)
	}
	trace.Timings = a.Timings
	monitorTimer.Step("monitor started, arguments read")
	if a.Log {
		trace.SetLog(os.NewFile(monitorproc.LogFd, "log"), a.LogJSON)
	}
	nameMonitor()
	if err := monitor(a, reportPipe{report, a}); err != nil {
		os.Exit(errdefs.ExitRuntime)
	}
	os.Exit(0)
}

// firstStart is told how the container's first start went: it is the
// command waiting for the answer (run -d, start).
type firstStart interface {
	failed(error)
	started()
}

// reportPipe is the answer of a monitor process of its own (Spawn): one
// word on the report pipe.
type reportPipe struct {
	f *os.File
	a monitorArgs
}

func (r reportPipe) failed(err error) {
	_, _ = r.f.WriteString(encodeMonitorError(err))
	r.f.Close()
}

func (r reportPipe) started() {
	_, _ = r.f.WriteString(monitorOK)
	r.f.Close()
	dropLog(r.a)
}

// dropLog gives the caller's log and stderr back once it has its
// answer: they are the caller's until then, so that its trace and
// errors read as before.
func dropLog(a monitorArgs) {
	if f, _ := trace.LogFile(); f != nil {
		trace.SetLog(nil, false)
		f.Close()
	}
	if a.Timings {
		trace.Timings = false
		if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
			_ = unix.Dup2(int(null.Fd()), 2)
			null.Close()
		}
	}
}

// nameMonitor names this process as a monitor, for ps(1) and top.
// Through /proc, the name is the process's (its main thread's), not that
// of whichever thread runs this.
func nameMonitor() {
	_ = os.WriteFile("/proc/self/comm", []byte(monitorproc.Name), 0)
}

// monitor runs container a.ID until it exits and its policy does not
// start it again. The first start's outcome goes to first.
func monitor(a monitorArgs, first firstStart) error {
	dir := filepath.Join(a.Store, "containers", a.ID)
	fail := func(err error) error {
		if first != nil {
			first.failed(err)
		}
		return err
	}
	monitorTimer.Step("go")
	lock, err := monitorLock(a, dir)
	if err != nil {
		return fail(err)
	}
	defer lock.Close()
	spec, logc := a.spec, a.logc
	if spec == nil {
		rec, err := LoadRecord(dir)
		if err != nil {
			return fail(err)
		}
		// Made and checked by create (config.Validate): read, not
		// checked again.
		if spec, err = config.LoadSpec(dir); err != nil {
			return fail(err)
		}
		logc = &rec.HostConfig.LogConfig
	}
	sink, err := openLogSink(LogFile(filepath.Dir(dir), a.ID), *logc)
	if err != nil {
		return fail(err)
	}
	defer sink.Close()
	monitorTimer.Step("record, config, log")
	rt := &container.Runtime{Root: a.Root, Debug: a.Debug}
	cfg := container.Config{ID: a.ID, Bundle: dir, Spec: spec}
	// The network is set up for each run and undone at each exit, before
	// the record says exited, so that whoever reads "exited" (start,
	// rm) finds it gone; a killed monitor's reaper undoes it too.
	defer func() { _ = stopNetwork(a.Store, a.ID) }()
	lc := container.Lifecycle{
		ReaperEnv:  reaperEnvFor(a.Store, false),
		BeforeInit: func() (func(int) error, error) { return startNetwork(context.Background(), a.Store, dir) },
	}
	backoff := a.Delay
	if a.Handoff {
		// The foreground run that handed the container on exits now,
		// with the first run's code, as Docker's client does.
		first.started()
		first = nil
		if !restartAfter(dir, backoff) {
			return nil
		}
	}
	for {
		ctr, copies, err := runLogged(rt, cfg, lc, sink)
		if err != nil {
			_ = stopNetwork(a.Store, a.ID)
		}
		if err != nil {
			if first != nil {
				return fail(err)
			}
			// A restart that failed: the container stays exited, saying why.
			_, _ = UpdateRecord(dir, func(r *Record) error {
				markExited(&r.State, errdefs.ExitCode(err), time.Now())
				r.State.Error = err.Error()
				return nil
			})
			return err
		}
		started := time.Now()
		monitorTimer.Step("container started")
		if _, err := UpdateRecord(dir, func(r *Record) error {
			if r.State.Status == StatusRemoving {
				return errRemoving
			}
			markRunning(&r.State, ctr.Pid(), started)
			return nil
		}); err != nil {
			// rm -f came first: the container has no business running.
			_ = ctr.Kill(syscall.SIGKILL, false)
			_, _ = ctr.Wait()
			copies.Wait()
			return fail(err)
		}
		monitorTimer.Step("record running")
		// The caller's answer comes once the record says running, so
		// that a stop right after run -d finds it so.
		if first != nil {
			first.started()
			first = nil
		}
		oomKilled := watchOOM(ctr)
		code, _ := ctr.Wait()
		copies.Wait()
		ended := time.Now()
		_ = stopNetwork(a.Store, a.ID)
		restart := false
		_, err = UpdateRecord(dir, func(r *Record) error {
			if r.State.Status == StatusRemoving {
				return errRemoving // rm -f takes it from here
			}
			markExited(&r.State, code, ended)
			r.State.OOMKilled = oomKilled()
			restart = markRestart(r, code)
			return nil
		})
		if err != nil || !restart {
			return nil
		}
		backoff = nextBackoff(backoff, ended.Sub(started))
		if !restartAfter(dir, backoff) {
			return nil
		}
	}
}

// monitorLock is the container's monitor lock: taken now, or the one a
// foreground run handed on, already held.
func monitorLock(a monitorArgs, dir string) (*os.File, error) {
	if !a.Handoff {
		return holdMonitorLock(dir)
	}
	// No container may inherit it.
	unix.CloseOnExec(monitorproc.HeldFd)
	f := os.NewFile(monitorproc.HeldFd, monitorLockFile)
	if f == nil {
		return nil, errors.New("monitor lock: not handed on")
	}
	return f, nil
}

// markRestart marks r, just exited with code, restarting if its policy
// says so, and says whether it did.
func markRestart(r *Record, code int) bool {
	if !restartWanted(r.HostConfig.RestartPolicy, r.State, code) {
		return false
	}
	r.State.Status, r.State.Restarting = StatusRestarting, true
	r.State.RestartCount++
	return true
}

// restartAfter waits out the back-off d before a restart. It says false,
// the record then exited, when stop, kill or rm asked the container to
// stay down meanwhile.
func restartAfter(dir string, d time.Duration) bool {
	if sleepUnlessStopped(dir, d) {
		return true
	}
	unmarkRestart(dir, false)
	return false
}

// unmarkRestart puts a record markRestart left restarting back to
// exited, for a restart that won't come; uncount takes the restart back
// out of its count too, when none was even tried.
func unmarkRestart(dir string, uncount bool) {
	_, _ = UpdateRecord(dir, func(r *Record) error {
		if r.State.Status == StatusRestarting {
			r.State.Status, r.State.Restarting = StatusExited, false
			if uncount {
				r.State.RestartCount--
			}
		}
		return nil
	})
}

// handOff gives a foreground run's container, just exited and marked
// restarting by its policy, to a monitor of its own that carries the
// policy out, as Docker's daemon does once its client has gone with the
// first run's code. lock is the run's monitor lock, handed on as it is.
// On failure the record says exited again, with no restart.
func handOff(rt *container.Runtime, storeRoot, dir string, lock *os.File, delay time.Duration) error {
	id := filepath.Base(dir)
	m, err := spawnMonitor(rt, storeRoot, id, lock)
	if err == nil {
		m.args.Handoff, m.args.Delay = true, delay
		err = m.Go()
	}
	if err == nil {
		return nil
	}
	unmarkRestart(dir, true)
	return fmt.Errorf("restart policy: hand container %s on to a monitor: %w", id[:12], err)
}

var monitorTimer = trace.NewTimer("monitor")

var errRemoving = errors.New("container is being removed")

// runLogged starts the container in the foreground with its stdout and
// stderr copied into sink; copies ends once both streams are drained.
func runLogged(rt *container.Runtime, cfg container.Config, lc container.Lifecycle, sink logSink) (*container.Container, *sync.WaitGroup, error) {
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, nil, err
	}
	ctr, err := rt.Run(cfg, container.IO{Stdout: outW, Stderr: errW}, lc)
	// The container holds its own ends now; ours would keep the copies
	// from ever seeing the end of the streams.
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, nil, err
	}
	var copies sync.WaitGroup
	for stream, r := range map[string]*os.File{"stdout": outR, "stderr": errR} {
		copies.Add(1)
		go func() {
			defer copies.Done()
			defer r.Close()
			if err := sink.Copy(stream, r); err != nil {
				_, _ = io.Copy(io.Discard, r) // never block the container on a full pipe
			}
		}()
	}
	return ctr, &copies, nil
}

// watchOOM watches the container's cgroup for OOM kills; the function it
// returns stops watching and says whether there was one.
func watchOOM(ctr *container.Container) func() bool {
	events, stop, err := ctr.WatchOOM()
	if err != nil || events == nil {
		if stop != nil {
			stop()
		}
		return func() bool { return false }
	}
	var mu sync.Mutex
	killed := false
	go func() {
		for range events {
			mu.Lock()
			killed = true
			mu.Unlock()
		}
	}()
	return func() bool {
		stop()
		mu.Lock()
		defer mu.Unlock()
		return killed
	}
}

// sleepUnlessStopped waits d before a restart, and says false as soon as
// stop, kill or rm has asked the container to stay down.
func sleepUnlessStopped(dir string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		r, err := LoadRecord(dir)
		if err != nil || r.State.StoppedByUser || r.State.Status == StatusRemoving {
			return false
		}
		left := time.Until(deadline)
		if left <= 0 {
			return true
		}
		time.Sleep(min(left, 20*time.Millisecond))
	}
}
