package main

import (
	"os"
	"strings"
)

// runtimeTimerSlack is the timer slack, in ns, the init gives the Go
// runtime's own threads. The runtime's monitor thread (sysmon) sleeps
// 20 µs at a time for its first thousand-odd µs and again after every
// wake-up from a syscall, and each of those sleeps is a context switch:
// about 60 of a start's few hundred, in a process whose whole life is a
// few ms. With a slack of 1 ms the kernel may let each of those sleeps
// run up to 1 ms longer, so it folds them into a handful; the monitor's
// duties here (taking the P back from a blocking syscall, preempting a
// goroutine that ran 10 ms) can wait that long in an init that runs one
// locked sequence.
const runtimeTimerSlack = "1000000"

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
	// minirun itself and never runs this: it would open files of the
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
