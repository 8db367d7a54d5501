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

// system is everything the init's steps ask of the kernel, and of the
// parent over the sync socket. The steps hold the logic (what to call, in
// which order, what an error means); a system only makes the calls. kernel
// is the real one; the unit tests run the same plan against a double that
// records each call (sys_test.go), so the ordering rules of initplan.go
// and the list of calls after the seccomp filter are checked without root.
//
// A method is one system call where the steps care which one runs
// (pivot_root or chroot, capset, prctl, execve), and one call of the
// rootfs, caps or seccomp package where that package already owns a
// sequence of them (a mount with its flags, the masked paths).
type system interface {
	// The sync socket to the parent (contract.go).
	Send(m Message, fd int) error
	Recv(m *Message) (fd int, err error)

	// The root and its mounts (package rootfs).
	SetPropagation(mode string) error
	BindRootfs(rootfs string) error
	Mount(rootfs string, m specs.Mount) error
	MountFrom(rootfs string, m specs.Mount, src int) error // a bind from a source handle
	MountDetached(rootfs string, m specs.Mount, tree int) error
	Devices(rootfs string, devs []specs.LinuxDevice, bindOnly bool) error
	PivotRoot(rootfs string) error
	Chroot(rootfs string) error // and chdir to the new /
	ChrootFd(fd int) error      // the same to a directory held open, which it closes
	Sysctl(key, value string) error
	MaskPaths(paths []string) error
	ReadonlyPaths(paths []string) error
	ReadonlyRoot() error
	RemountReadonly(path string) error
	WriteProc(rel, value string) error

	// Namespaces, names, keyring, network.
	Unshare(flags int) error
	Sethostname(name string) error
	Setdomainname(name string) error
	JoinSessionKeyring(name string) error
	LoopbackUp() error

	// The terminal: a pty from the container's devpts, and the slave made
	// stdio and controlling terminal (setsid, TIOCSCTTY, dup3).
	OpenPty(size *specs.Box, owner specs.User) (master, slave int, err error)
	SetConsole(slave int) error

	// The process: its attributes (scheduler, I/O priority, CPU affinity,
	// memory policy, personality; five per-task settings with no order
	// among them), rlimits, no_new_privs and keep-caps.
	ProcAttrs(s *specs.Spec, exec bool) error
	Getrlimit(res int, lim *unix.Rlimit) error
	Setrlimit(res int, lim *unix.Rlimit) error
	Prctl(option int, arg uintptr) error
	Pdeathsig() (int, error) // PR_GET_PDEATHSIG

	// Identity and capabilities, on the sets prepared from
	// process.capabilities (package caps).
	DropBounding() error
	ClearAmbient() error
	Setgroups(gids []int) error
	Setresgid(gid int) error
	Setresuid(uid int) error
	// Capset applies effective, permitted and inheritable; holding keeps
	// CAP_SYS_ADMIN too (for loading the filter), and without it the
	// ambient set is raised, one prctl per capability.
	Capset(holdingAdmin bool) error
	Umask(mask int)

	// Files: the cwd, the fds, the executable, the exec fifo.
	Chdir(dir string) error
	Getwd() (string, error)
	CloseFrom(first int) error // every fd from first up close-on-exec
	CloseOnExec(fd int)
	Stat(path string) (mode uint32, err error)
	Access(path string) error // X_OK
	Read(fd int, b []byte) (int, error)
	Close(fd int) error

	// The hooks the init runs itself (createContainer, startContainer).
	RunHooks(s *specs.Spec, kind string, st specs.State, dir string) error

	// seccomp: the fd a listener will get, loading the filter, execve.
	LowestFreeFd() (int, error)
	LoadSeccomp(f *filter.Filter) (listener int, err error)
	Execve(a *execArgs) error
}

// kernel is the system that makes the calls.
type kernel struct {
	c    Conn
	caps *caps.Set
	log  trace.Logger
}

func (k *kernel) Send(m Message, fd int) error           { return k.c.Send(m, fd) }
func (k *kernel) Recv(m *Message) (int, error)           { return k.c.Recv(m) }
func (k *kernel) SetPropagation(mode string) error       { return rootfs.SetPropagation(mode, k.log) }
func (k *kernel) BindRootfs(root string) error           { return rootfs.BindSelf(root, k.log) }
func (k *kernel) Mount(root string, m specs.Mount) error { return rootfs.Mount(root, m, k.log) }
func (k *kernel) MountFrom(root string, m specs.Mount, src int) error {
	return rootfs.MountFrom(root, m, src, k.log)
}

func (k *kernel) MountDetached(root string, m specs.Mount, tree int) error {
	return rootfs.MountDetached(root, m, tree, k.log)
}

func (k *kernel) Devices(root string, devs []specs.LinuxDevice, bindOnly bool) error {
	if err := rootfs.CreateDevices(root, devs, bindOnly, k.log); err != nil {
		return err
	}
	return rootfs.DevLinks(root)
}

func (k *kernel) PivotRoot(root string) error { return rootfs.PivotRoot(root, k.log) }

// Chroot is the fallback when a config shares the host's mount namespace:
// pivot_root would change the host's root, so only chroot is possible
// there. runc does the same.
func (k *kernel) Chroot(root string) error {
	if err := unix.Chroot(root); err != nil {
		return fmt.Errorf("chroot %s: %w", root, err)
	}
	return unix.Chdir("/")
}

// ChrootFd makes the directory open at fd the process's root and cwd, and
// closes it: an exec into a container without a mount namespace of its
// own, where setns left the process at the host's root.
func (k *kernel) ChrootFd(fd int) error {
	defer unix.Close(fd)
	if err := unix.Fchdir(fd); err != nil {
		return fmt.Errorf("fchdir to the container's root: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot to the container's root: %w", err)
	}
	return unix.Chdir("/")
}

func (k *kernel) Pdeathsig() (int, error) {
	var sig int
	err := unix.Prctl(unix.PR_GET_PDEATHSIG, uintptr(unsafe.Pointer(&sig)), 0, 0, 0)
	return sig, err
}

func (k *kernel) Sysctl(key, value string) error     { return rootfs.Sysctl(key, value) }
func (k *kernel) MaskPaths(paths []string) error     { return rootfs.MaskPaths(paths, k.log) }
func (k *kernel) ReadonlyPaths(paths []string) error { return rootfs.ReadonlyPaths(paths, k.log) }
func (k *kernel) ReadonlyRoot() error                { return rootfs.ReadonlyRoot(k.log) }
func (k *kernel) RemountReadonly(path string) error {
	return rootfs.RemountReadonly(path, k.log)
}
func (k *kernel) WriteProc(rel, value string) error { return rootfs.WriteProc(rel, value) }
func (k *kernel) Unshare(flags int) error           { return unix.Unshare(flags) }
func (k *kernel) Sethostname(name string) error     { return unix.Sethostname([]byte(name)) }
func (k *kernel) Setdomainname(name string) error   { return unix.Setdomainname([]byte(name)) }
func (k *kernel) LoopbackUp() error                 { return loopbackUp(k.log) }
func (k *kernel) OpenPty(size *specs.Box, owner specs.User) (int, int, error) {
	return openPty(size, owner)
}
func (k *kernel) SetConsole(slave int) error                { return setConsole(slave) }
func (k *kernel) ProcAttrs(s *specs.Spec, exec bool) error  { return applyProcAttrs(s, exec, k.log) }
func (k *kernel) Prctl(option int, arg uintptr) error       { return unix.Prctl(option, arg, 0, 0, 0) }
func (k *kernel) DropBounding() error                       { return k.caps.DropBounding() }
func (k *kernel) ClearAmbient() error                       { return k.caps.ClearAmbient() }
func (k *kernel) Setgroups(gids []int) error                { return unix.Setgroups(gids) }
func (k *kernel) Setresgid(gid int) error                   { return unix.Setresgid(gid, gid, gid) }
func (k *kernel) Setresuid(uid int) error                   { return unix.Setresuid(uid, uid, uid) }
func (k *kernel) Umask(mask int)                            { unix.Umask(mask) }
func (k *kernel) Chdir(dir string) error                    { return unix.Chdir(dir) }
func (k *kernel) Getwd() (string, error)                    { return unix.Getwd() }
func (k *kernel) CloseOnExec(fd int)                        { unix.CloseOnExec(fd) }
func (k *kernel) Access(path string) error                  { return unix.Access(path, unix.X_OK) }
func (k *kernel) Read(fd int, b []byte) (int, error)        { return unix.Read(fd, b) }
func (k *kernel) Close(fd int) error                        { return unix.Close(fd) }
func (k *kernel) LoadSeccomp(f *filter.Filter) (int, error) { return f.Load() }

func (k *kernel) JoinSessionKeyring(name string) error {
	_, err := unix.KeyctlJoinSessionKeyring(name)
	return err
}

// Getrlimit and Setrlimit go through package syscall for RLIMIT_NOFILE:
// it then stops putting back, in the children os/exec starts (the hooks),
// the limit the Go runtime found at start.
func (k *kernel) Getrlimit(res int, lim *unix.Rlimit) error {
	var l syscall.Rlimit
	err := syscall.Getrlimit(res, &l)
	lim.Cur, lim.Max = l.Cur, l.Max
	return err
}

func (k *kernel) Setrlimit(res int, lim *unix.Rlimit) error {
	if res == unix.RLIMIT_NOFILE {
		return syscall.Setrlimit(res, &syscall.Rlimit{Cur: lim.Cur, Max: lim.Max})
	}
	return unix.Prlimit(0, res, lim, nil)
}

func (k *kernel) Capset(holdingAdmin bool) error {
	if holdingAdmin {
		return k.caps.ApplyHolding(capability.CAP_SYS_ADMIN)
	}
	return k.caps.ApplyCaps()
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

func (k *kernel) Stat(path string) (uint32, error) {
	var st unix.Stat_t
	err := unix.Stat(path, &st)
	return st.Mode, err
}

func (k *kernel) RunHooks(s *specs.Spec, kind string, st specs.State, dir string) error {
	return hooks.RunIn(dir, s, kind, st)
}

// LowestFreeFd is the fd the kernel gives next: the one a seccomp
// listener will be.
func (k *kernel) LowestFreeFd() (int, error) {
	n, err := unix.FcntlInt(uintptr(k.c.fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	unix.Close(n)
	return n, nil
}

// Execve replaces this process with a raw execve on arguments built
// before the filter (execArgs); it returns only the error.
func (k *kernel) Execve(a *execArgs) error {
	_, _, e := unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(a.path)),
		uintptr(unsafe.Pointer(&a.argv[0])), uintptr(unsafe.Pointer(&a.envv[0])))
	return e
}
