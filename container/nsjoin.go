package container

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/namespaces"
)

// joinSet is what a child must enter: namespace files for the C
// constructor, the pid namespace, which only the parent can give (a pid
// namespace applies to the children of whoever enters it), and the ones
// the parent's forking thread enters for the child instead of its C
// constructor (byThread).
type joinSet struct {
	files    []*os.File
	names    []string
	pid      *os.File
	byThread []threadNS
}

// threadNS is a namespace the forking thread enters, and its setns type.
type threadNS struct {
	f    *os.File
	name string // as under /proc/PID/ns/
	flag int
}

// joinsByThread reports whether every namespace plan joins can be entered
// by the parent's forking thread rather than by the child's C pre-main,
// which minirun-init lacks: so the start can run minirun-init, the pure Go
// build, which starts faster than the one with the pre-main (initexe.go). Every
// CRI container joins its pod's net, ipc and uts namespaces, as do the
// Docker front's bridge and --network/--ipc container:X.
//
// Those three are per thread (the nsproxy), so one thread of a
// multithreaded process may enter them, and a child it forks starts in
// them; mnt and user can't be entered so, and pid has startIn's own path,
// whose Pdeathsig needs the pre-main. A plan that creates a user namespace
// keeps the pre-main too: its child joins from inside the new user
// namespace, where it holds no capability over a namespace the host's user
// namespace owns, and that refusal is the behaviour such a config has
// always had; joined by the parent, it would go through.
func joinsByThread(plan namespaces.Plan) bool {
	if len(plan.Join) == 0 || plan.Creates(specs.UserNamespace) {
		return false
	}
	for _, j := range plan.Join {
		if !threadJoinable(j.Type) {
			return false
		}
	}
	return true
}

func threadJoinable(t specs.LinuxNamespaceType) bool {
	return t == specs.NetworkNamespace || t == specs.IPCNamespace || t == specs.UTSNamespace
}

// openJoins opens each namespace to join. Every path is opened here, in
// the parent on the host, so a path that doesn't exist, or holds a
// namespace of another type, fails the start before anything is created.
// The child joins these very fds, so what was checked is what it enters.
func openJoins(joins []namespaces.Join) (*joinSet, error) {
	js := &joinSet{}
	for _, j := range joins {
		f, err := os.Open(j.Path)
		if err != nil {
			js.close()
			return nil, stepErrf("join namespace", "%s namespace %s: %w", j.Type, j.Path, err)
		}
		if err := j.CheckType(int(f.Fd())); err != nil {
			f.Close()
			js.close()
			return nil, stepErrf("join namespace", "%w", err)
		}
		if j.Type == "pid" {
			js.pid = f
			continue
		}
		js.files = append(js.files, f)
		js.names = append(js.names, j.Proc)
	}
	return js, nil
}

// env is the nsenter variable for files passed from fd first on:
// "FD:TYPE,FD:TYPE,...", joined in that order before the Go runtime starts
// (see nsenter/nsenter.go for why it must be that early).
func (js *joinSet) env(first int) string {
	if len(js.files) == 0 {
		return ""
	}
	parts := make([]string, len(js.files))
	for i, name := range js.names {
		parts[i] = fmt.Sprintf("%d:%s", first+i, name)
	}
	return initproc.NsenterEnv + "=" + strings.Join(parts, ",")
}

// has reports whether the set joins the namespace named name ("mnt").
func (js *joinSet) has(name string) bool { return slices.Contains(js.names, name) }

// refuseOwnMountNS refuses to join the runtime's own mount namespace with
// a root to pivot into: pivot_root there would move the root of every
// process in it, the host's among them, into the container's rootfs. (A
// root of "/" takes a joined namespace as it is, and is allowed.)
func (js *joinSet) refuseOwnMountNS(rootfs string) error {
	if rootfs == "/" {
		return nil
	}
	for i, name := range js.names {
		if name != "mnt" {
			continue
		}
		var joined, own unix.Stat_t
		if unix.Fstat(int(js.files[i].Fd()), &joined) != nil || unix.Stat("/proc/self/ns/mnt", &own) != nil {
			return nil // the setns itself will say what is wrong
		}
		if joined.Dev == own.Dev && joined.Ino == own.Ino {
			return stepErrf("join namespace", "mount namespace %s is minirun's own: pivoting into %s there would move the root of every process in it; give the container a mount namespace of its own, or root.path \"/\"", js.files[i].Name(), rootfs)
		}
	}
	return nil
}

// enterByThread hands every namespace of the set to the forking thread
// (startIn), for a plan joinsByThread allows: the child gets none of
// their fds, and no list for a pre-main it may not have.
func (js *joinSet) enterByThread() {
	for i, f := range js.files {
		for _, k := range namespaces.Table {
			if k.Proc == js.names[i] {
				js.byThread = append(js.byThread, threadNS{f: f, name: k.Proc, flag: int(k.Flag)})
			}
		}
	}
	js.files, js.names = nil, nil
}

// threadNames lists the namespaces the forking thread enters, for --debug.
func (js *joinSet) threadNames() string {
	names := make([]string, len(js.byThread))
	for i, ns := range js.byThread {
		names[i] = ns.name
	}
	return strings.Join(names, ", ")
}

func (js *joinSet) close() {
	if js == nil {
		return
	}
	for _, f := range js.files {
		f.Close()
	}
	for _, ns := range js.byThread {
		ns.f.Close()
	}
	if js.pid != nil {
		js.pid.Close()
	}
}

// startIn starts cmd from a thread that is, for the fork, in the
// namespaces js has the parent enter: its pid namespace, which only sets
// where the children of whoever enters it go, and the net, ipc and uts
// namespaces of a start without a pre-main (enterByThread). Each can be
// entered by one thread of a running Go program. So a locked thread
// enters them, forks, and goes back to its own namespaces before anyone
// else runs on it. It must stay alive: Pdeathsig fires when the forking
// thread dies.
//
// Go's Pdeathsig would kill a child forked into a pid namespace at once
// (it sees no parent from inside the namespace), so it is handed to the
// nsenter pre-main instead.
func startIn(cmd *exec.Cmd, js *joinSet) error {
	enter := js.byThread
	if js.pid != nil {
		enter = append(slices.Clip(enter), threadNS{f: js.pid, name: "pid", flag: unix.CLONE_NEWPID})
		if cmd.SysProcAttr != nil && cmd.SysProcAttr.Pdeathsig != 0 {
			cmd.SysProcAttr.Pdeathsig = 0
			cmd.Env = append(cmd.Env, initproc.PdeathsigEnv+"=1")
		}
	}
	if len(enter) == 0 {
		return cmd.Start()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		clean, err := startFromThread(cmd, enter, unix.Setns)
		if clean {
			runtime.UnlockOSThread()
		} // else the thread stays locked and is discarded with the goroutine
		errc <- err
	}()
	return <-errc
}

// startFromThread is startIn's work on its locked thread: it opens the
// thread's own namespaces, enters the ones given, starts cmd, and goes
// back. clean says whether the thread is back in all of its own and may
// run other goroutines. If it is not, the child can't be kept: its
// Pdeathsig is tied to this thread, which is about to be discarded, so it
// is killed and reaped here and the start fails.
func startFromThread(cmd *exec.Cmd, enter []threadNS, setns func(fd, nstype int) error) (clean bool, err error) {
	own := make([]*os.File, 0, len(enter))
	defer func() {
		for _, f := range own {
			f.Close()
		}
	}()
	for _, ns := range enter {
		f, err := os.Open("/proc/thread-self/ns/" + ns.name)
		if err != nil {
			return true, fmt.Errorf("open own %s namespace: %w", ns.name, err)
		}
		own = append(own, f)
	}
	entered := 0
	for _, ns := range enter {
		if err = setns(int(ns.f.Fd()), ns.flag); err != nil {
			err = fmt.Errorf("setns %s namespace %s: %w", ns.name, ns.f.Name(), err)
			break
		}
		entered++
	}
	if err == nil {
		err = cmd.Start()
	}
	for i := entered - 1; i >= 0; i-- {
		if berr := setns(int(own[i].Fd()), enter[i].flag); berr != nil {
			berr = fmt.Errorf("setns back into own %s namespace: %w", enter[i].name, berr)
			if cmd.Process != nil {
				_ = cmd.Process.Kill()
				_, _ = cmd.Process.Wait()
				berr = fmt.Errorf("%w; pid %d, forked from this thread, killed: its parent-death signal is tied to the thread, which is discarded", berr, cmd.Process.Pid)
			}
			return false, berr
		}
	}
	return true, err
}

// beforeInitAndJoins runs the front's BeforeInit, then opens the
// namespaces the spec joins, refuses the caller's own mount namespace, and
// hands the joins to the forking thread where the plan allows it
// (joinsByThread). It returns the rest of the front's set-up, still under
// way, if any.
func beforeInitAndJoins(beforeInit func() (func(int) error, error), rootfs string, plan namespaces.Plan) (*joinSet, *frontWait, error) {
	var front *frontWait
	if beforeInit != nil {
		ready, err := beforeInit()
		if err != nil {
			return nil, nil, err
		}
		if ready != nil {
			front = &frontWait{ready: ready}
		}
		timer.Step("front's set-up")
	}
	joins, err := openJoins(plan.Join)
	if err == nil {
		if err = joins.refuseOwnMountNS(rootfs); err != nil {
			joins.close()
		}
	}
	if err != nil {
		_ = front.done(0) // none of it goes on after the start failed
		return nil, nil, err
	}
	if joinsByThread(plan) { // as initExe decided
		joins.enterByThread()
	}
	return joins, front, nil
}

// frontWait is the rest of the front's set-up (Lifecycle.BeforeInit),
// done once: where the init stops for it, with the init's pid, or on the
// way out of a start that failed before, with 0.
type frontWait struct {
	ready func(pid int) error
	once  sync.Once
	err   error
}

func (f *frontWait) done(pid int) error {
	if f == nil {
		return nil
	}
	f.once.Do(func() {
		f.err = f.ready(pid)
		timer.Step("front's set-up, finished")
	})
	return f.err
}
