// Command minirun-init is a new container's init as a program of its own:
// the init steps of container/initproc in pure Go, without cgo, so that it
// starts in a fraction of minirun's own time. minirun starts it, from a
// sealed view of the file beside its own binary, for the starts that need
// no C pre-main (container/initexe.go); run by hand it does nothing.
package main

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/container/initproc"
)

func main() {
	// Not dumpable from here until the final execve: the init holds the
	// sync socket and runs unfiltered. (minirun's own init is from its C
	// pre-main on; nothing else is in this init's new pid namespace yet.)
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "minirun-init: prctl PR_SET_DUMPABLE: %v\n", err)
		os.Exit(125)
	}
	if !initproc.IsInit() {
		fmt.Fprintln(os.Stderr, "minirun-init: a container's init, started by minirun; not a command")
		os.Exit(125)
	}
	runtime.LockOSThread() // Init's steps run on this thread
	quietRuntimeThreads()
	initproc.Init() // never returns
}
