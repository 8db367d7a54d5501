package watch

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The supervisor's side of seccomp user notification (seccomp_unotify(2)).
// golang.org/x/sys has the ioctl numbers but not the structs.

// notif is struct seccomp_notif.
type notif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Data  notifData
}

// notifData is struct seccomp_data.
type notifData struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

// notifResp is struct seccomp_notif_resp.
type notifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

const (
	ioctlNotifIDValid  = 0x40082102 // SECCOMP_IOCTL_NOTIF_ID_VALID, _IOW('!', 2, __u64)
	ioctlNotifSetFlags = 0x40082104 // SECCOMP_IOCTL_NOTIF_SET_FLAGS, _IOW('!', 4, __u64)
)

func init() {
	// The layouts the kernel checks the ioctls' sizes against.
	if unsafe.Sizeof(notif{}) != 0x50 || unsafe.Sizeof(notifResp{}) != 0x18 {
		panic("seccomp: struct seccomp_notif layout")
	}
}

// listener is a seccomp notify fd.
type listener int

// syncWakeup asks the kernel to wake the supervisor and the notifying
// thread synchronously (Linux 6.6): the two hand the CPU to each other
// instead of going through the scheduler's wake-up, which is most of the
// cost of a notification. Older kernels refuse it, and that only costs
// speed.
func (l listener) syncWakeup() error {
	// The flags are the ioctl's argument itself, not a pointer to them.
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(l), ioctlNotifSetFlags, unix.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)
	if errno != 0 {
		return errno
	}
	return nil
}

// errHup is returned by wait once no process uses the filter any more.
var errHup = errors.New("seccomp listener: no process left under the filter")

// wait blocks until a notification is pending or the filter's last
// user is gone.
func (l listener) wait() error {
	for {
		fds := []unix.PollFd{{Fd: int32(l), Events: unix.POLLIN}}
		_, err := unix.Poll(fds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("seccomp listener: poll: %w", err)
		}
		if fds[0].Revents&unix.POLLIN != 0 {
			return nil
		}
		if fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 {
			return errHup
		}
	}
}

// hungUp reports, without waiting, that no process uses the filter.
func (l listener) hungUp() bool {
	fds := []unix.PollFd{{Fd: int32(l), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n == 1 && fds[0].Revents&unix.POLLHUP != 0
}

// recv takes the next notification. ENOENT means the notifying thread
// went away (killed) before it could be read: the caller tries again.
func (l listener) recv(n *notif) error {
	*n = notif{} // the kernel refuses a non-zeroed struct
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(l), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(n)))
	if errno != 0 {
		return errno
	}
	return nil
}

// valid reports whether the notification is still pending: the thread
// that made it has not died, so a pid read from /proc before this check
// still names that thread and not one that reused its number.
func (l listener) valid(id uint64) bool {
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(l), ioctlNotifIDValid, uintptr(unsafe.Pointer(&id)))
		if errno != unix.EINTR {
			return errno == 0
		}
	}
}

// fail answers a notification with -errno (0: the call returns 0).
func (l listener) fail(id uint64, errno uint32) error {
	return l.send(&notifResp{ID: id, Error: -int32(errno)})
}

// cont lets the kernel run the call as if the filter had allowed it.
func (l listener) cont(id uint64) error {
	return l.send(&notifResp{ID: id, Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE})
}

func (l listener) send(r *notifResp) error {
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(l), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(r)))
		switch errno {
		case 0, unix.ENOENT: // ENOENT: the thread is gone
			return nil
		case unix.EINTR:
			// The kernel takes the listener's lock interruptibly: a signal
			// to this thread (the Go runtime sends some) is not a failure.
			continue
		}
		return fmt.Errorf("seccomp listener: answer notification: %w", errno)
	}
}
