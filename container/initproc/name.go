package initproc

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Name is the name the init gives itself; execve replaces it with the
// command's. The parent takes the sync socket closing as "execve worked",
// because the socket is close-on-exec; but a dying init closes it too, and
// an init that a seccomp filter stops from writing can't say why it died.
// The name tells the two apart.
const Name = "minirun-init"

func nameInit() {
	if name, err := unix.BytePtrFromString(Name); err == nil {
		_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(name)), 0, 0, 0)
	}
}
