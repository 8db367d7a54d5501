package main

import (
	"os"
	"strconv"
	"strings"

	"github.com/minirun/minirun/internal/timerslack"
)

// runtimeTimerSlack is the timer slack the init gives the Go runtime's
// own threads: the one the C pre-main gives the minirun programs, for the
// reasons package timerslack gives. minirun-init has no C pre-main (it
// is built without cgo), so its threads get it once they exist.
var runtimeTimerSlack = strconv.FormatUint(timerslack.Runtime, 10)

// quietRuntimeThreads sets runtimeTimerSlack on every thread of this
// process but the calling one, which must be the locked thread that runs
// the init's steps (initproc.Init locks the thread it is called on): only it forks (hooks) and calls execve, and timer
// slack is inherited by a child and kept across execve, so the container
// and the hooks get the slack the parent gave the init, as with runc.
// The other threads only ever run the runtime and its goroutines; threads
// the runtime starts later are made by them and inherit their slack.
// Best effort: without CAP_SYS_NICE (a rootless init) the kernel refuses
// another thread's slack, and nothing changes.
func quietRuntimeThreads() {
	// This init is a new container's, so the mount namespace is still a
	// copy of the parent's and /proc the parent's, whose numbers are not
	// the ones this pid namespace gives: thread-self names this thread in
	// /proc's own. (An exec's init, inside the container's mounts, is
	// the nsenter build, whose pre-main set the slack before the runtime's
	// threads existed, and never runs this: it would open files of the
	// container's choosing.)
	self, err := os.Readlink("/proc/thread-self")
	if err != nil {
		return
	}
	i := strings.LastIndexByte(self, '/')
	pid, tid := strings.TrimSuffix(self[:max(i, 0)], "/task"), self[i+1:]
	ents, err := os.ReadDir("/proc/" + pid + "/task")
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.Name() == tid {
			continue
		}
		if f, err := os.OpenFile("/proc/"+e.Name()+"/timerslack_ns", os.O_WRONLY, 0); err == nil {
			f.WriteString(runtimeTimerSlack)
			f.Close()
		}
	}
}
