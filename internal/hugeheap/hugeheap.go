// Package hugeheap backs the Go heap of a short-lived minirun command with
// transparent huge pages. Import it for its side effect. It depends on
// nothing that initialises late, so that Go, which runs package
// initialisers in import-path order as their dependencies allow, runs it
// before most of them.
//
// A run of `true` touches about 320 fresh 4 KiB pages of Go heap in the
// parent: every size class gets a span of its own, and each span's first
// and last pages are written when it is set up. On this VM every first
// touch of an anonymous page is a fault that costs about 12 µs (the
// hypervisor shadows the page tables), so those faults alone were some
// 4 ms of a 45 ms run. One 2 MiB huge page instead costs one fault and
// about 0.1 ms of zeroing. The host's THP mode here is "madvise", so the
// heap has to ask: MADV_HUGEPAGE for the heap's mapped part, and
// MADV_COLLAPSE for the 2 MiB halves of its first 4 MiB chunk that the
// runtime and the package initialisers before this one already touched
// in 4 KiB pages (a huge page can't go where a page table already is).
// Both are hints: a kernel or a memory cgroup that refuses them changes
// nothing but the speed.
//
// The cost is memory: the parent's resident set grows by up to 4 MiB less
// what it touched anyway. So only the runtime's own processes do this,
// never one that runs inside a container's memory cgroup (an init, when
// minirun re-execs itself as one), where a limit of a few MiB must still
// start.
package hugeheap

import (
	"syscall"
	"unsafe"
)

const (
	hugePage   = 2 << 20  // the x86-64 THP size
	arenaBytes = 64 << 20 // the Go runtime's heap arena on 64-bit Linux
	heapChunk  = 4 << 20  // the runtime maps its heap in chunks of this
	// MADV_COLLAPSE (Linux 6.1), which package syscall lacks; x/sys/unix
	// has it, but a package that imports it initialises after it.
	madvCollapse = 25
	// initFdEnv marks a container's init (initproc.FdEnv, not imported
	// for the same reason).
	initFdEnv = "MINIRUN_INIT_FD"
)

// probe is the one heap object this package allocates: its address says
// where the heap is.
var probe *[64]byte

func init() {
	if _, ok := syscall.Getenv(initFdEnv); ok {
		return
	}
	probe = new([64]byte)
	at := uintptr(unsafe.Pointer(probe))
	// Since Go 1.26 the heap starts at a random page of its first 4 MiB
	// chunk, so what the runtime touched before this may sit in the 2 MiB
	// below the probe's: start from the chunk, which the runtime maps
	// whole.
	chunk := at &^ (heapChunk - 1)
	end := at&^(arenaBytes-1) + arenaBytes
	// Up to the end of the arena or of its mapped part, whichever comes
	// first: the runtime maps more of it (MAP_FIXED, without the advice)
	// only as the heap grows, which a minirun command rarely sees.
	for p := chunk; p < end; p += hugePage {
		if madvise(p, syscall.MADV_HUGEPAGE) != nil {
			break
		}
	}
	// Both 2 MiB of the chunk: the runtime's first spans may lie in either,
	// and a 2 MiB that already has one 4 KiB page mapped gets no huge page
	// on a later fault. One that holds no page yet (the random padding
	// below the heap's start, or what the heap has not reached) fails
	// with EINVAL at once, at no cost.
	for p := chunk; p < chunk+heapChunk; p += hugePage {
		_ = madvise(p, madvCollapse)
	}
}

// madvise gives the 2 MiB at p the advice.
func madvise(p uintptr, advice int) error {
	if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, p, hugePage, uintptr(advice)); e != 0 {
		return e
	}
	return nil
}
