package seccomp

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Load installs the filter on the calling process with seccomp(2). TSYNC puts
// it on every thread of the Go runtime, not only the calling one. Load never
// sets no_new_privs: the caller either has (and then the kernel allows any
// filter) or still holds CAP_SYS_ADMIN. It returns the listener fd, or -1.
func (p *Program) Load() (int, error) {
	if len(p.Instructions) == 0 {
		return -1, fmt.Errorf("seccomp load: empty program")
	}
	flags := p.Flags | unix.SECCOMP_FILTER_FLAG_TSYNC
	if p.Listener {
		// TSYNC and NEW_LISTENER both want the return value (a thread id
		// vs. an fd); TSYNC_ESRCH makes a TSYNC failure an ESRCH error so
		// the return value can be the fd.
		flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	}
	prog := unix.SockFprog{
		Len:    uint16(len(p.Instructions)),
		Filter: &p.Instructions[0],
	}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(p)
	if errno != 0 {
		return -1, fmt.Errorf("seccomp load: seccomp(SET_MODE_FILTER, flags %#x, %d instructions): %w", flags, len(p.Instructions), errno)
	}
	if p.Listener {
		return int(r), nil
	}
	if r != 0 {
		// Without TSYNC_ESRCH a positive value is the thread that could not
		// be synchronised.
		return -1, fmt.Errorf("seccomp load: TSYNC failed for thread %d", r)
	}
	return -1, nil
}
