// Command minirun-init is a container's init as a program of its own: the
// init steps of container/initproc without the rest of minirun, so that it
// starts in a fraction of minirun's own time. It is built twice:
//   - bin/minirun-init, in pure Go, without cgo: a new container's init
//     where no C pre-main is needed (no glibc start-up, whose CPU probes
//     trap to the hypervisor on a VM);
//   - bin/minirun-init-nsenter, with cgo and minirun's C pre-main
//     (premain.go): an exec's init, and a new container's that joins
//     namespaces by path or waits for newuidmap.
//
// minirun starts them from a sealed view of the files beside its own
// binary (container/initexe.go); run by hand they do nothing.
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
	// sync socket and runs unfiltered. (The nsenter build already is, from
	// its C pre-main on; the pure build runs only as a new pid namespace's
	// first process, with nothing else in it yet.)
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "minirun-init: prctl PR_SET_DUMPABLE: %v\n", err)
		os.Exit(125)
	}
	if !initproc.IsInit() {
		fmt.Fprintln(os.Stderr, "minirun-init: a container's init, started by minirun; not a command")
		os.Exit(125)
	}
	runtime.LockOSThread() // Init's steps run on this thread
	if !hasPreMain {
		quietRuntimeThreads()
	}
	initproc.Init() // never returns
}
