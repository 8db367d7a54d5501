package initproc

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"github.com/moby/sys/capability"
	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/caps"
	"github.com/minirun/minirun/container/hooks"
	"github.com/minirun/minirun/internal/trace"
	"github.com/minirun/minirun/rootfs"
	"github.com/minirun/minirun/seccomp/filter"
)

// system is every kernel call the init's steps make, and the messages to
// the parent over the sync socket. It is the seam at syscall level: each
// method is one kernel call, or a thin wrapper of one where a package
// owns how that call is made safe (a config mount onto a destination
// opened inside the rootfs, a write to a file of a checked procfs, a
// capset through package caps). The sequences (which calls, in which
// order, what an error means) are plain functions over it: the plan's
// steps (initplan.go), maskPaths and readonlyPaths (paths.go),
// dropPrivileges, applyProcAttrs, the hooks' loop.
//
// kernel is the real one; the unit tests run the same plan against a
// double that records each call (sys_test.go), so the ordering rules of
// initplan.go and the list of calls after the seccomp filter are checked
// on the calls themselves, without root.
type system interface {
	// sendmsg and recvmsg on the sync socket to the parent (contract.go).
	Send(m Message, fd int) error
	Recv(m *Message) (fd int, err error)

	// Mounts (package rootfs makes each safe). Mount is mount(2) itself.
	Mount(source, target, fstype string, flags uintptr, data string) error
	// SetPropagation and BindRootfs: mount(2) of / with the propagation
	// asked, and of the rootfs onto itself (made private first if shared).
	SetPropagation(mode string) error
	BindRootfs(rootfs string) error
	// MountIn mounts one config entry on its destination, resolved and
	// opened inside rootfs: mount(2) by path, or from src, a handle
	// (a bind source the parent opened, or with detached, an idmapped
	// tree it built, attached by move_mount).
	MountIn(rootfs string, m specs.Mount, src mountSource) error
	// Devices makes the device nodes inside rootfs (mknodat), or with
	// bindOnly binds the host's, which a user namespace requires.
	Devices(rootfs string, devs []specs.LinuxDevice, bindOnly bool) error
	// DevLinks makes /dev's conventional symlinks (symlinkat), under one
	// handle on the rootfs's /dev.
	DevLinks(rootfs string) error
	// Mask is one mount over path: an empty read-only tmpfs on a
	// directory (dir), the verified null device on anything else.
	Mask(path string, dir bool) error
	// Remount is mount(2) with MS_REMOUNT|MS_BIND, keeping the flags the
	// kernel locks.
	Remount(path string, flags uintptr) error
	// PivotRoot is pivot_root(".", ".") in rootfs, and the old root's
	// detach.
	PivotRoot(rootfs string) error
	Chroot(dir string) error
	Chdir(dir string) error
	Fchdir(fd int) error
	// WriteProc is write(2) to /proc/rel, opened beneath a checked procfs
	// without crossing a mount.
	WriteProc(rel, value string) error

	// Namespaces, names, keyring, network.
	Unshare(flags int) error
	Sethostname(name string) error
	Setdomainname(name string) error
	JoinSessionKeyring(name string) error // keyctl
	LoopbackUp() error                    // ioctl SIOCSIFFLAGS on lo

	// The terminal: OpenPty opens a pty pair from the container's devpts
	// (the slave through TIOCGPTPEER); SetConsole makes the slave the
	// controlling terminal (setsid, TIOCSCTTY) and stdio (dup3).
	OpenPty(size *specs.Box, owner specs.User) (master, slave int, err error)
	SetConsole(slave int) error

	// The process: one per-task setting (sched_setattr, ioprio_set,
	// sched_setaffinity, set_mempolicy or personality); prlimit (a get
	// when set is nil); prctl, whose answer is returned for the options
	// that answer through a pointer (PR_GET_PDEATHSIG).
	SetAttr(a procAttr) error
	Prlimit(res int, set, old *unix.Rlimit) error
	Prctl(option int, arg2, arg3 uintptr) (int, error)

	// Identity and capabilities, on the sets prepared from
	// process.capabilities (package caps). DropBounding is
	// PR_CAPBSET_DROP for each capability outside the bounding set;
	// Capset applies effective, permitted and inheritable, keeping
	// CAP_SYS_ADMIN too when holdingAdmin (for loading the filter).
	DropBounding() error
	Capset(holdingAdmin bool) error
	Setgroups(gids []int) error
	Setresgid(gid int) error
	Setresuid(uid int) error
	Umask(mask int)

	// Files: the cwd, the fds, the executable, the exec fifo.
	Getwd() (string, error)
	Stat(path string) (unix.Stat_t, error)
	Access(path string) error // X_OK
	Read(fd int, b []byte) (int, error)
	Close(fd int) error
	Fcntl(fd, cmd, arg int) (int, error)
	CloseFrom(first int) error // close_range(CLOSE_RANGE_CLOEXEC) from first up

	// RunHook runs one hook the init runs itself (createContainer,
	// startContainer): fork, exec and wait.
	RunHook(h specs.Hook, state []byte, dir string) error

	// The end: loading the filter (seccomp), then execve.
	LoadSeccomp(f *filter.Filter) (listener int, err error)
	Execve(a *execArgs) error
}

// mountSource is where MountIn takes a mount from: by path (fd -1), from
// a handle on the source, or, detached, a mount tree to attach.
type mountSource struct {
	fd       int
	detached bool
}

var byPath = mountSource{fd: -1}

// kernel is the system that makes the calls.
type kernel struct {
	c    Conn
	caps *caps.Set
	log  trace.Logger
}

func (k *kernel) Send(m Message, fd int) error { return k.c.Send(m, fd) }
func (k *kernel) Recv(m *Message) (int, error) { return k.c.Recv(m) }

func (k *kernel) Mount(source, target, fstype string, flags uintptr, data string) error {
	return rootfs.RawMount(source, target, fstype, flags, data)
}
func (k *kernel) SetPropagation(mode string) error { return rootfs.SetPropagation(mode, k.log) }
func (k *kernel) BindRootfs(root string) error     { return rootfs.BindSelf(root, k.log) }

func (k *kernel) MountIn(root string, m specs.Mount, src mountSource) error {
	switch {
	case src.fd < 0:
		return rootfs.Mount(root, m, k.log)
	case src.detached:
		return rootfs.MountDetached(root, m, src.fd, k.log)
	}
	return rootfs.MountFrom(root, m, src.fd, k.log)
}

func (k *kernel) Devices(root string, devs []specs.LinuxDevice, bindOnly bool) error {
	return rootfs.Devices(root, devs, bindOnly, k.log)
}
func (k *kernel) DevLinks(root string) error                { return rootfs.DevLinks(root) }
func (k *kernel) Mask(path string, dir bool) error          { return rootfs.Mask(path, dir) }
func (k *kernel) Remount(path string, flags uintptr) error  { return rootfs.Remount(path, flags) }
func (k *kernel) PivotRoot(root string) error               { return rootfs.PivotRoot(root, k.log) }
func (k *kernel) Chroot(dir string) error                   { return unix.Chroot(dir) }
func (k *kernel) Chdir(dir string) error                    { return unix.Chdir(dir) }
func (k *kernel) Fchdir(fd int) error                       { return unix.Fchdir(fd) }
func (k *kernel) WriteProc(rel, value string) error         { return rootfs.WriteProc(rel, value) }
func (k *kernel) Unshare(flags int) error                   { return unix.Unshare(flags) }
func (k *kernel) Sethostname(name string) error             { return unix.Sethostname([]byte(name)) }
func (k *kernel) Setdomainname(name string) error           { return unix.Setdomainname([]byte(name)) }
func (k *kernel) LoopbackUp() error                         { return loopbackUp(k.log) }
func (k *kernel) SetConsole(slave int) error                { return setConsole(slave) }
func (k *kernel) SetAttr(a procAttr) error                  { return setAttr(a) }
func (k *kernel) DropBounding() error                       { return k.caps.DropBounding() }
func (k *kernel) Setgroups(gids []int) error                { return unix.Setgroups(gids) }
func (k *kernel) Setresgid(gid int) error                   { return unix.Setresgid(gid, gid, gid) }
func (k *kernel) Setresuid(uid int) error                   { return unix.Setresuid(uid, uid, uid) }
func (k *kernel) Umask(mask int)                            { unix.Umask(mask) }
func (k *kernel) Getwd() (string, error)                    { return unix.Getwd() }
func (k *kernel) Access(path string) error                  { return unix.Access(path, unix.X_OK) }
func (k *kernel) Read(fd int, b []byte) (int, error)        { return unix.Read(fd, b) }
func (k *kernel) Close(fd int) error                        { return unix.Close(fd) }
func (k *kernel) Fcntl(fd, cmd, arg int) (int, error)       { return unix.FcntlInt(uintptr(fd), cmd, arg) }
func (k *kernel) LoadSeccomp(f *filter.Filter) (int, error) { return f.Load() }

func (k *kernel) OpenPty(size *specs.Box, owner specs.User) (int, int, error) {
	return openPty(size, owner)
}

func (k *kernel) JoinSessionKeyring(name string) error {
	_, err := unix.KeyctlJoinSessionKeyring(name)
	return err
}

func (k *kernel) Prctl(option int, arg2, arg3 uintptr) (int, error) {
	if option == unix.PR_GET_PDEATHSIG {
		var sig int
		err := unix.Prctl(option, uintptr(unsafe.Pointer(&sig)), 0, 0, 0)
		return sig, err
	}
	return 0, unix.Prctl(option, arg2, arg3, 0, 0)
}

// Prlimit goes through package syscall for RLIMIT_NOFILE: it then stops
// putting back, in the children os/exec starts (the hooks), the limit the
// Go runtime found at start.
func (k *kernel) Prlimit(res int, set, old *unix.Rlimit) error {
	if set == nil {
		var l syscall.Rlimit
		err := syscall.Getrlimit(res, &l)
		old.Cur, old.Max = l.Cur, l.Max
		return err
	}
	if res == unix.RLIMIT_NOFILE {
		return syscall.Setrlimit(res, &syscall.Rlimit{Cur: set.Cur, Max: set.Max})
	}
	return unix.Prlimit(0, res, set, old)
}

func (k *kernel) Capset(holdingAdmin bool) error {
	if holdingAdmin {
		return k.caps.ApplyHolding(capability.CAP_SYS_ADMIN)
	}
	return k.caps.Capset()
}

// CloseFrom marks every fd from first up close-on-exec. Closing them
// outright would pull fds from under the Go runtime; at execve the kernel
// closes them all, so the container starts with only what it was given.
func (k *kernel) CloseFrom(first int) error {
	if err := unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err == nil {
		return nil
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err == nil && fd >= first {
			unix.CloseOnExec(fd)
		}
	}
	return nil
}

func (k *kernel) Stat(path string) (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Stat(path, &st)
	return st, err
}

func (k *kernel) RunHook(h specs.Hook, state []byte, dir string) error {
	return hooks.RunHook(h, state, dir)
}

// Execve replaces this process with a raw execve on arguments built
// before the filter (execArgs); it returns only the error.
func (k *kernel) Execve(a *execArgs) error {
	_, _, e := unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(a.path)),
		uintptr(unsafe.Pointer(&a.argv[0])), uintptr(unsafe.Pointer(&a.envv[0])))
	return e
}

// chrootTo is the fallback when a config shares the host's mount
// namespace: pivot_root would change the host's root, so only chroot is
// possible there. runc does the same.
func chrootTo(sys system, root string) error {
	if err := sys.Chroot(root); err != nil {
		return fmt.Errorf("chroot %s: %w", root, err)
	}
	return sys.Chdir("/")
}

// chrootFd makes the directory open at fd the process's root and cwd, and
// closes it: an exec into a container without a mount namespace of its
// own, where setns left the process at the host's root.
func chrootFd(sys system, fd int) error {
	defer sys.Close(fd)
	if err := sys.Fchdir(fd); err != nil {
		return fmt.Errorf("fchdir to the container's root: %w", err)
	}
	if err := sys.Chroot("."); err != nil {
		return fmt.Errorf("chroot to the container's root: %w", err)
	}
	return sys.Chdir("/")
}
