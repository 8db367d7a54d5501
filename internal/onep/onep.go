// Package onep gives the lean minirun's Go runtime one P from its first
// package initialisers on. Import it for its side effect.
//
// Every command of the lean program is one sequence of calls, most of
// them blocking, that its few other goroutines (the signal forwarder, the
// cgroup lock warmer) only wait beside. A second P makes the runtime start
// threads that spin looking for work whenever a goroutine wakes, and hand
// goroutines between them: a run of `true` took about 25 more context
// switches and 5 ms more CPU with two.
//
// Why this early, rather than once main knows the command: giving a P
// up releases its cache of spans to the runtime's central lists, and the
// first span each list takes costs it a fresh 4 KiB block of metadata.
// Dropped after the package initialisers, the P that had run them gave
// back a span of nearly every size class: about 100 page faults, a
// quarter of a run's in the parent. Here it has cached almost nothing.
//
// The roles (a container's init, the reaper, the user namespace holder)
// get one P too: an init already has GOMAXPROCS=1 from its environment,
// and the others only wait. The user's GOMAXPROCS is not asked: minirun
// never took it (minirun-docker, a separate program, keeps a P per CPU).
package onep

import "runtime"

func init() { runtime.GOMAXPROCS(1) }
