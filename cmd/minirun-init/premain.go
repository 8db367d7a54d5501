//go:build cgo

package main

// Built with cgo (bin/minirun-init-nsenter), this program has minirun's C
// pre-main (package nsenter), which runs before the Go runtime: the init
// is not dumpable from its first instruction, joins the namespaces named
// by path (the mount and user ones need a single-threaded process), waits
// for newuidmap, and forks into a joined pid namespace. That is what an
// exec's init needs, which minirun used to start as itself, paying the
// package initialisers of 250 packages, the image of an 11 MB binary and
// the CPU to start them inside the container's cgroup.
//
// The pre-main also gives the whole process, from before the runtime's
// first thread, the runtime's timer slack (package timerslack), so the
// threads need no slack of their own afterwards.
import _ "github.com/minirun/minirun/nsenter"

// hasPreMain: this build has the C pre-main.
const hasPreMain = true
