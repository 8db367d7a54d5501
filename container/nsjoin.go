package container

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container/initproc"
	"github.com/minirun/minirun/namespaces"
)

// joinSet is what a child must enter: namespace files for the C
// constructor, and the pid namespace, which only the parent can give (a
// pid namespace applies to the children of whoever enters it).
type joinSet struct {
	files []*os.File
	names []string
	pid   *os.File
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

func (js *joinSet) close() {
	if js == nil {
		return
	}
	for _, f := range js.files {
		f.Close()
	}
	if js.pid != nil {
		js.pid.Close()
	}
}

// startIn starts cmd, inside the pid namespace pidNS when one is given. A
// pid namespace can be entered by one thread of a running Go program: it
// only sets where that thread's children go. So this thread enters it,
// forks, and goes back to our own namespace before anyone else runs on it
// (it must stay alive: Pdeathsig fires when the forking thread dies).
//
// Go's Pdeathsig would kill such a child at once (it sees no parent from
// inside the namespace), so it is handed to the nsenter pre-main instead.
func startIn(cmd *exec.Cmd, pidNS *os.File) error {
	if pidNS == nil {
		return cmd.Start()
	}
	if cmd.SysProcAttr != nil && cmd.SysProcAttr.Pdeathsig != 0 {
		cmd.SysProcAttr.Pdeathsig = 0
		cmd.Env = append(cmd.Env, initproc.PdeathsigEnv+"=1")
	}
	own, err := os.Open("/proc/thread-self/ns/pid")
	if err != nil {
		return fmt.Errorf("open own pid namespace: %w", err)
	}
	defer own.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(int(pidNS.Fd()), unix.CLONE_NEWPID); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns pid namespace %s: %w", pidNS.Name(), err)
			return
		}
		err := cmd.Start()
		if unix.Setns(int(own.Fd()), unix.CLONE_NEWPID) == nil {
			runtime.UnlockOSThread()
		} // else the thread stays locked and is discarded with the goroutine
		errc <- err
	}()
	return <-errc
}

// beforeInitAndJoins runs the front's BeforeInit, then opens the
// namespaces the spec joins and refuses the caller's own mount namespace.
// It returns the rest of the front's set-up, still under way, if any.
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
