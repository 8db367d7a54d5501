package initproc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/minirun/minirun/seccomp/filter"
)

// recorder is the system of the unit tests: it makes no call, and records
// each one as a line ("pivot_root", "sysctl net.ipv4.ip_forward=1",
// "capset holding CAP_SYS_ADMIN"), so a test reads the sequence of kernel
// calls the init would make for a config. Every call succeeds but the one named by
// failOn; Recv answers as the parent would; Execve ends the run.
type recorder struct {
	calls  []string
	cwd    string
	nextFd int
	failOn string
	answer string // Recv's answer to "bindsrc": this type and no fd, instead of "ok" with one
	sent   string // the type of the last message sent
}

var (
	errExecRecorded = errors.New("execve (recorded)")
	errInjected     = errors.New("injected failure")
)

// rec records a call; the call fails with errInjected when its line
// starts with failOn.
func (r *recorder) rec(format string, args ...any) error {
	line := fmt.Sprintf(format, args...)
	r.calls = append(r.calls, line)
	if r.failOn != "" && strings.HasPrefix(line, r.failOn) {
		return errInjected
	}
	return nil
}

func (r *recorder) fd() int { r.nextFd++; return 100 + r.nextFd }

func (r *recorder) Send(m Message, fd int) error {
	r.sent = m.Type
	if fd >= 0 {
		return r.rec("sendmsg %s with fd", m.Type)
	}
	return r.rec("sendmsg %s", m.Type)
}

// Recv answers "hooks" with the state, "idmap" with a mount's fd.
func (r *recorder) Recv(m *Message) (int, error) {
	if r.answer != "" && r.sent == "bindsrc" {
		*m = Message{Type: r.answer}
		return -1, r.rec("recvmsg")
	}
	*m = Message{Type: "ok", State: &specs.State{ID: "c1", Status: specs.StateCreating}}
	return r.fd(), r.rec("recvmsg")
}

func (r *recorder) Mount(source, target, fstype string, flags uintptr, data string) error {
	return r.rec("mount(2) %s on %s", source, target)
}

func (r *recorder) SetPropagation(mode string) error { return r.rec("mount propagation %q", mode) }
func (r *recorder) BindRootfs(root string) error     { return r.rec("mount bind %s", root) }

func (r *recorder) MountIn(root string, m specs.Mount, src mountSource) error {
	switch {
	case src.fd < 0:
		return r.rec("mount %s", m.Destination)
	case src.detached:
		return r.rec("move_mount %s", m.Destination)
	}
	return r.rec("mount %s from the parent's handle", m.Destination)
}

func (r *recorder) Devices(root string, devs []specs.LinuxDevice, bindOnly bool) error {
	for _, d := range devs {
		verb := "mknod"
		if bindOnly {
			verb = "bind device"
		}
		if err := r.rec("%s %s", verb, d.Path); err != nil {
			return err
		}
	}
	return nil
}

func (r *recorder) DevLinks(root string) error { return r.rec("symlinks in /dev") }

func (r *recorder) Mask(path string, dir bool) error { return r.rec("mask %s", path) }
func (r *recorder) Remount(path string, flags uintptr) error {
	if flags == unix.MS_RDONLY {
		return r.rec("remount %s ro", path)
	}
	return r.rec("remount %s %#x", path, flags)
}

func (r *recorder) PivotRoot(root string) error { return r.rec("pivot_root %s", root) }
func (r *recorder) Chroot(dir string) error     { return r.rec("chroot %s", dir) }
func (r *recorder) Chdir(dir string) error      { r.cwd = dir; return r.rec("chdir %s", dir) }
func (r *recorder) Fchdir(fd int) error         { return r.rec("fchdir %d", fd) }

func (r *recorder) WriteProc(rel, value string) error { return r.rec("write /proc/%s", rel) }

func (r *recorder) Unshare(flags int) error {
	if flags == unix.CLONE_NEWCGROUP {
		return r.rec("unshare CLONE_NEWCGROUP")
	}
	return r.rec("unshare %#x", flags)
}

func (r *recorder) Sethostname(name string) error        { return r.rec("sethostname %s", name) }
func (r *recorder) Setdomainname(name string) error      { return r.rec("setdomainname %s", name) }
func (r *recorder) JoinSessionKeyring(name string) error { return r.rec("keyctl join %s", name) }
func (r *recorder) LoopbackUp() error                    { return r.rec("lo up") }

func (r *recorder) OpenPty(size *specs.Box, owner specs.User) (int, int, error) {
	return r.fd(), r.fd(), r.rec("open pty")
}

func (r *recorder) SetConsole(slave int) error { return r.rec("setsid, TIOCSCTTY, dup3") }

func (r *recorder) SetAttr(a procAttr) error { return r.rec("%s", a.call) }

// Prlimit records a get (set nil) as getrlimit, a set as setrlimit: the
// kernel sees prlimit64 for both (syscallsOf).
func (r *recorder) Prlimit(res int, set, old *unix.Rlimit) error {
	if set == nil {
		return r.rec("getrlimit %s", rlimitName(res))
	}
	return r.rec("setrlimit %s", rlimitName(res))
}

// Prctl answers PR_GET_PDEATHSIG with SIGKILL, as a foreground init's is.
func (r *recorder) Prctl(option int, arg2, arg3 uintptr) (int, error) {
	switch option {
	case unix.PR_SET_NO_NEW_PRIVS:
		return 0, r.rec("prctl PR_SET_NO_NEW_PRIVS")
	case unix.PR_SET_KEEPCAPS:
		return 0, r.rec("prctl PR_SET_KEEPCAPS")
	case unix.PR_GET_PDEATHSIG:
		return 9, r.rec("prctl PR_GET_PDEATHSIG")
	case unix.PR_SET_PDEATHSIG:
		return 0, r.rec("prctl PR_SET_PDEATHSIG")
	case unix.PR_CAP_AMBIENT:
		switch arg2 {
		case unix.PR_CAP_AMBIENT_CLEAR_ALL:
			return 0, r.rec("prctl PR_CAP_AMBIENT_CLEAR_ALL")
		case unix.PR_CAP_AMBIENT_RAISE:
			return 0, r.rec("prctl PR_CAP_AMBIENT_RAISE %d", arg3)
		}
	}
	return 0, r.rec("prctl %d %d", option, arg2)
}

func (r *recorder) DropBounding() error {
	return r.rec("prctl PR_CAPBSET_DROP, outside the bounding set")
}

func (r *recorder) Capset(holdingAdmin bool) error {
	if holdingAdmin {
		return r.rec("capset holding CAP_SYS_ADMIN")
	}
	return r.rec("capset")
}

func (r *recorder) Setgroups(gids []int) error { return r.rec("setgroups %v", gids) }
func (r *recorder) Setresgid(gid int) error    { return r.rec("setresgid %d", gid) }
func (r *recorder) Setresuid(uid int) error    { return r.rec("setresuid %d", uid) }
func (r *recorder) Umask(mask int)             { _ = r.rec("umask %o", mask) }
func (r *recorder) Getwd() (string, error)     { return r.cwd, r.rec("getcwd") }
func (r *recorder) CloseFrom(first int) error  { return r.rec("close_range %d", first) }
func (r *recorder) Access(path string) error   { return r.rec("access %s", path) }
func (r *recorder) Read(fd int, b []byte) (int, error) {
	return len(b), r.rec("read %d", fd)
}

func (r *recorder) Close(fd int) error { return r.rec("close %d", fd) }

// Fcntl answers F_DUPFD_CLOEXEC with 7.
func (r *recorder) Fcntl(fd, cmd, arg int) (int, error) {
	switch cmd {
	case unix.F_DUPFD_CLOEXEC:
		return 7, r.rec("fcntl F_DUPFD_CLOEXEC")
	case unix.F_SETFD:
		return 0, r.rec("fcntl F_SETFD %d", fd)
	}
	return 0, r.rec("fcntl %d %d", fd, cmd)
}

// Stat finds a regular file wherever it looks.
func (r *recorder) Stat(path string) (unix.Stat_t, error) {
	return unix.Stat_t{Mode: unix.S_IFREG | 0o755}, r.rec("stat %s", path)
}

func (r *recorder) RunHook(h specs.Hook, state []byte, dir string) error {
	return r.rec("hook %s", h.Path)
}

func (r *recorder) LoadSeccomp(f *filter.Filter) (int, error) {
	return -1, r.rec("seccomp load")
}

func (r *recorder) Execve(a *execArgs) error {
	if err := r.rec("execve"); err != nil {
		return err
	}
	return errExecRecorded
}

// syscallsOf names what the kernel sees for a recorded call: the first
// word, but for the calls whose name is not the syscall's. Running a hook
// is fork, exec and wait for each, with a pipe for the output, as os/exec
// does.
func syscallsOf(call string) []string {
	word, _, _ := strings.Cut(call, " ")
	switch word {
	case "setrlimit", "getrlimit":
		return []string{"prlimit64"}
	case "hook":
		return []string{"clone", "execve", "wait4", "pipe2", "read", "write", "close"}
	}
	return []string{word}
}

func rlimitName(res int) string {
	for _, n := range []string{"RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CORE", "RLIMIT_AS"} {
		if rlimitOf(n) == res {
			return n
		}
	}
	return fmt.Sprint(res)
}
